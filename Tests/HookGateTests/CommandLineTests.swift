import Foundation
import HookGateCore
import JOSE
import Testing

/// The `hookgate` binary, run as a user would.
@Suite struct CommandLineTests {
    /// The `hookgate` binary SwiftPM built next to the test bundle.
    static var binary: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        for candidate in [directory, Bundle.main.bundleURL.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("hookgate")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return Signer.repositoryRoot.appendingPathComponent(".build/debug/hookgate")
    }

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs the binary on a thread of its own: waiting for a child blocks, and the
    /// cooperative pool must stay free for the gates under test in this process.
    static func run(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:]) async throws -> Run {
        try await RawHTTP.onThread { try runBlocking(arguments, in: directory, environment: environment) }
    }

    /// Runs the binary; `environment` is added to this process's environment.
    static func runBlocking(_ arguments: [String], in directory: URL?, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hookgate-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func signThenVerifyExitCodes() async throws {
        let root = Signer.repositoryRoot
        let fixture = root.appendingPathComponent("Fixtures/plaid/ITEM.ERROR.json").path
        let other = root.appendingPathComponent("Fixtures/plaid/ITEM.PENDING_EXPIRATION.json").path
        let keys = root.appendingPathComponent("Keys/dev.jwks.json").path
        let sign = try await Self.run(["sign", "--iat", "1700000000", fixture])
        #expect(sign.status == 0)
        let token = sign.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let jws = try CompactJWS(token)
        #expect(jws.keyID == DevelopmentKeys.keyID && jws.type == "JWT" && jws.claims["iat"]?.int64Value == 1_700_000_000)

        let verified = try await Self.run(["verify", "--key", keys, "--body", fixture, "--now", "1700000010", token])
        #expect(verified.status == 0)
        #expect(verified.output.contains("header:  {\"alg\":\"ES256\""))
        #expect(verified.output.contains("verdict: VERIFIED"))

        let mismatch = try await Self.run(["verify", "--key", keys, "--body", other, "--now", "1700000010", token])
        #expect(mismatch.status == 1)
        #expect(mismatch.output.contains("verdict: REJECTED body_mismatch"))

        let stale = try await Self.run(["verify", "--key", keys, "--body", fixture, "--now", "1700000400", token])
        #expect(stale.status == 1 && stale.output.contains("REJECTED stale_token"))
        let ageless = try await Self.run(["verify", "--key", keys, "--body", fixture, "--now", "1700000400", "--max-age", "0", token])
        #expect(ageless.status == 0)

        let dir = try Self.temporaryDirectory()
        try Data(token.utf8).write(to: dir.appendingPathComponent("token.txt"))
        let fromFile = try await Self.run([
            "verify", "--key", keys, "--token-file", dir.appendingPathComponent("token.txt").path, "--now", "1700000010",
        ])
        #expect(fromFile.status == 0)

        #expect(try await Self.run(["verify", token]).status == 2)  // no --key
        #expect(try await Self.run(["verify", "--key", "/nonexistent", token]).status == 2)
        #expect(try await Self.run(["verify", "--key", keys]).status == 2)  // no token
        #expect(try await Self.run(["verify", "--key", keys, "--max-age", "-1", token]).status == 2)
        let garbage = try await Self.run(["verify", "--key", keys, "a.b"])
        #expect(garbage.status == 1 && garbage.output.contains("REJECTED malformed_token"))
    }

    @Test func keysGenerateWritesAUsablePair() async throws {
        let dir = try Self.temporaryDirectory()
        let generate = try await Self.run(["keys", "generate", "--kid", "prod-1", "--out", dir.path])
        #expect(generate.status == 0)
        let pem = dir.appendingPathComponent("prod-1-private.pem")
        let attributes = try FileManager.default.attributesOfItem(atPath: pem.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let body = dir.appendingPathComponent("body.json")
        try Data(#"{"webhook_type":"ITEM","webhook_code":"ERROR"}"#.utf8).write(to: body)
        let sign = try await Self.run(["sign", "--key", pem.path, "--kid", "prod-1", body.path])
        #expect(sign.status == 0)
        let verify = try await Self.run([
            "verify", "--key", dir.appendingPathComponent("prod-1.jwks.json").path, "--body", body.path,
            sign.output.trimmingCharacters(in: .whitespacesAndNewlines),
        ])
        #expect(verify.status == 0)
        #expect(try await Self.run(["keys", "generate", "--kid", "prod-1", "--out", dir.path]).status == 2)  // never overwrites
        #expect(try await Self.run(["sign", "--key", pem.path, body.path]).status == 2)  // --key needs --kid
    }

    @Test func serveCheckValidatesConfigurations() async throws {
        let dir = try Self.temporaryDirectory()
        let keys = Signer.repositoryRoot.appendingPathComponent("Keys/dev.jwks.json").path
        let good = dir.appendingPathComponent("good.yaml")
        try Data("providers:\n  plaid:\n    keys_file: \(keys)\n  ledgersync:\n    verification: none\n".utf8).write(to: good)
        let ok = try await Self.run(["serve", "--check", "--config", good.path])
        #expect(ok.status == 0)
        #expect(ok.output.contains("configuration is valid"))
        let bad = dir.appendingPathComponent("bad.yaml")
        try Data("server:\n  port: 99999\nproviders:\n  plaid:\n    keys_file: /nonexistent.json\n".utf8).write(to: bad)
        let refused = try await Self.run(["serve", "--check", "--config", bad.path])
        #expect(refused.status == 1)
        #expect(refused.error.contains("server.port: must be between 0 and 65535, got 99999"))
        let missingKeys = dir.appendingPathComponent("missing-keys.yaml")
        try Data("providers:\n  plaid:\n    keys_file: /nonexistent.json\n".utf8).write(to: missingKeys)
        let keysRefused = try await Self.run(["serve", "--check", "--config", missingKeys.path])
        #expect(keysRefused.status == 1 && keysRefused.error.contains("/nonexistent.json"))
        #expect(try await Self.run(["serve", "--check"]).status == 0)  // the embedded defaults are valid
    }
}

/// Webhook cryptography is the system OpenSSL and nothing else: the binary links
/// `libcrypto.so.3`, JOSE's verify and sign calls resolve to it, the `JOSE` target
/// depends on `COpenSSL` alone, and the transports' BoringSSL copies are present only under
/// their own prefixed names: swift-nio-ssl (`CNIOBoringSSL_`, TLS of AsyncHTTPClient and of
/// postgres-nio) and swift-crypto (`CCryptoBoringSSL_`, postgres-nio's SCRAM authentication).
/// No source of ours imports swift-crypto.
@Suite struct LinkageTests {
    static func output(_ executable: String, _ arguments: [String]) async throws -> String {
        try await RawHTTP.onThread { () -> String in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
    }

    @Test func joseRunsOnTheSystemLibcryptoOnly() async throws {
        let binary = CommandLineTests.binary.path
        let ldd = try await Self.output("/usr/bin/ldd", [binary])
        #expect(ldd.contains("libcrypto.so.3"), "\(ldd)")
        // The calls JOSE makes are undefined in the binary: the dynamic linker takes them from libcrypto.so.3.
        let undefined = Set(
            try await Self.output("/usr/bin/nm", ["-D", "--undefined-only", binary]).split(separator: "\n").compactMap {
                $0.split(separator: " ").last.map(String.init)
            })
        for symbol in ["EVP_PKEY_verify", "EVP_PKEY_verify_init", "EVP_PKEY_sign", "EVP_PKEY_public_check", "CRYPTO_memcmp", "SHA256"] {
            #expect(undefined.contains { $0 == symbol || $0.hasPrefix(symbol + "@") }, "\(symbol) is not taken from the system libcrypto")
        }
        // No OpenSSL-named symbol is defined inside the binary (BoringSSL's are all CNIOBoringSSL_-prefixed).
        let defined = try await Self.output("/usr/bin/nm", ["--defined-only", binary]).split(separator: "\n")
        let clashes = defined.filter { line in
            guard let name = line.split(separator: " ").last else { return false }
            return name.hasPrefix("EVP_") || name.hasPrefix("ECDSA_") || name.hasPrefix("CRYPTO_memcmp") || name.hasPrefix("SHA256")
        }
        #expect(clashes.isEmpty, "\(clashes.prefix(5))")
        // The transports' stacks are there, under their prefixes (so they cannot capture JOSE's calls).
        #expect(defined.contains { $0.hasSuffix(" CNIOBoringSSL_SSL_CTX_new") }, "swift-nio-ssl (https, PostgreSQL TLS)")
        #expect(defined.contains { $0.contains(" CCryptoBoringSSL_") }, "swift-crypto (postgres-nio's SCRAM)")
        let ours = Signer.repositoryRoot.appendingPathComponent("Sources")
        for target in try FileManager.default.contentsOfDirectory(atPath: ours.path) {
            let folder = ours.appendingPathComponent(target)
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where file.hasSuffix(".swift") {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                #expect(!text.contains("\nimport Crypto") && !text.hasPrefix("import Crypto"), "\(target)/\(file) imports swift-crypto")
            }
        }
        // The JOSE target: COpenSSL its only dependency, and its sources import nothing else but Foundation.
        let manifest = try String(contentsOf: Signer.repositoryRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        #expect(manifest.contains(#".target(name: "JOSE", dependencies: ["COpenSSL"])"#))
        let sources = Signer.repositoryRoot.appendingPathComponent("Sources/JOSE")
        for file in try FileManager.default.contentsOfDirectory(atPath: sources.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") {
                #expect(["import COpenSSL", "import Foundation"].contains(String(line)), "\(file): \(line)")
            }
        }
    }
}
