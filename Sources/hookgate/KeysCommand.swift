import ArgumentParser
import Foundation
import JOSE

/// `hookgate keys`: key management for development and pinned-key deployments.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage verification keys.", subcommands: [Generate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a new P-256 key pair: DIR/<kid>-private.pem (mode 0600) and DIR/<kid>.jwks.json (public).")

        @Option(help: "The key id to publish.")
        var kid: String

        @Option(help: "The folder to write into (created if missing).")
        var out: String

        func validate() throws {
            guard !kid.isEmpty, kid.utf8.count <= 128, kid.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw ValidationError("--kid must be 1-128 characters of letters, digits, '-', '_' or '.'")
            }
        }

        func run() async throws {
            let manager = FileManager.default
            try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
            let pemPath = (out as NSString).appendingPathComponent("\(kid)-private.pem")
            let jwksPath = (out as NSString).appendingPathComponent("\(kid).jwks.json")
            for path in [pemPath, jwksPath] where manager.fileExists(atPath: path) {
                throw ValidationError("\(path) exists; not overwriting a key")
            }
            let key = try P256PrivateKey.generate()
            let pem = try key.pemRepresentation()
            guard manager.createFile(atPath: pemPath, contents: Data(pem.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw ValidationError("cannot write \(pemPath)")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let jwks = JWKSet(keys: [key.publicJWK(keyID: kid, createdAt: Int64(Date().timeIntervalSince1970))])
            var json = try encoder.encode(jwks)
            json.append(0x0A)
            guard manager.createFile(atPath: jwksPath, contents: json, attributes: [.posixPermissions: 0o644]) else {
                throw ValidationError("cannot write \(jwksPath)")
            }
            print("private key: \(pemPath) (mode 0600; keep it secret)")
            print("public JWKS: \(jwksPath)")
        }
    }
}
