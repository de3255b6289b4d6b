import Foundation
import HookGateCore
import JOSE
import Testing

/// Replays the fuzzer's seed corpus and every crash it ever found (Fuzz/regressions/)
/// through the same entry points as Fuzz/Sources/HookGateFuzz, without sanitizers.
@Suite struct FuzzRegressionTests {
    static let fuzz = Signer.repositoryRoot.appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) throws -> [(String, [UInt8])] {
        let url = fuzz.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted().map {
            ($0, Array(try Data(contentsOf: url.appendingPathComponent($0))))
        }
    }

    /// What the fuzz target does with one input; returns a short verdict.
    static func run(_ bytes: [UInt8]) -> String {
        guard let selector = bytes.first else { return "empty" }
        let input = Array(bytes.dropFirst())
        switch selector % 6 {
        case 0:
            guard let token = String(validating: input, as: UTF8.self) else { return "not utf8" }
            do {
                let jws = try WebhookVerifier.parse(token)
                let kid = try WebhookVerifier.checkHeader(jws)
                let key = try PinnedKeySource(json: DevelopmentKeys.jwksJSON, origin: "dev").keySet.key(withID: kid).publicKey()
                _ = try WebhookVerifier.check(jws, keyID: kid, key: key, body: input, now: 1_800_000_000, maxAge: 300)
                return "verified"
            } catch let error as HookGateError {
                return error.code.rawValue
            } catch {
                return "no key"
            }
        case 1:
            guard let set = try? JSONDecoder().decode(JWKSet.self, from: Data(input)) else { return "not a jwks" }
            return "\(set.keys.filter { (try? $0.publicKey()) != nil }.count) usable keys"
        case 2:
            return (try? EventClassifier.classify(provider: .plaid, body: input).type) ?? "rejected"
        case 3:
            return (try? EventClassifier.classify(provider: .ledgersync, body: input).id) ?? "rejected"
        case 4:
            return (try? Base64URL.decode(utf8: input)).map { "\($0.count) bytes" } ?? "rejected"
        default:
            return (try? JSONParser.parse(input, options: .trailingCommas)) == nil ? "rejected" : "parsed"
        }
    }

    @Test func seedCorpusBehavesAsExpected() throws {
        let verdicts = Dictionary(uniqueKeysWithValues: try Self.inputs("corpus").map { ($0.0, Self.run($0.1)) })
        #expect(verdicts.count >= 15)
        #expect(verdicts["jws-none"] == "malformed_token")  // an unsigned token has an empty third part
        #expect(verdicts["jws-jwk"] == "malformed_token")
        #expect(verdicts["jws-valid"] == "body_mismatch")  // signed over another body: every check ran
        #expect(verdicts["jwks-dev"] == "1 usable keys")
        #expect(verdicts["body-ledgersync-0"] == "b52e0e1c-611f-43fb-89c4-401a34eb91ba")
        #expect(verdicts.filter { $0.key.hasPrefix("body-plaid") }.allSatisfy { $0.value != "rejected" })
        #expect(verdicts["json-1"] == "parsed")
    }

    @Test func everyCrashTheFuzzerFoundStaysFixed() throws {
        for (name, bytes) in try Self.inputs("regressions") {
            #expect(!Self.run(bytes).isEmpty, "\(name)")
        }
    }
}
