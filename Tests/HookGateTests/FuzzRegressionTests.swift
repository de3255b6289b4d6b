import Foundation
import HookGateCore
import JOSE
import Testing

/// Replays the fuzzer's seed corpus and its regression inputs (Fuzz/regressions/: crashes
/// it found and hostile inputs worth keeping) through the same entry points as
/// Fuzz/Sources/HookGateFuzz, without sanitizers, checking the same invariants.
@Suite struct FuzzRegressionTests {
    static let fuzz = Signer.repositoryRoot.appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) throws -> [(String, [UInt8])] {
        let url = fuzz.appendingPathComponent(folder)
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted().map {
            ($0, Array(try Data(contentsOf: url.appendingPathComponent($0))))
        }
    }

    /// A JOSE failure as a verdict: its reason without the byte offset.
    static func rejected(_ error: JOSEError) -> String {
        let reason = error.reason
        return "rejected: " + (reason.range(of: " at byte ").map { String(reason[..<$0.lowerBound]) } ?? reason)
    }

    /// What the fuzz target does with one input; returns a short verdict. A broken
    /// invariant (one the fuzz target checks with `precondition`) shows as its own verdict.
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
                return error.reason.isEmpty ? "error without a reason" : error.code.rawValue
            } catch {
                return "no key"
            }
        case 1:
            guard let set = try? JSONDecoder().decode(JWKSet.self, from: Data(input)) else { return "not a jwks" }
            return "\(set.keys.filter { (try? $0.publicKey()) != nil }.count) usable keys"
        case 2:
            do {
                let classified = try EventClassifier.classifyParsed(provider: .plaid, body: input)
                guard classified.id.hasPrefix("sha256:") else { return "id is not a hash" }
                return classified.type
            } catch {
                return error.code.rawValue
            }
        case 3:
            do {
                let id = try EventClassifier.classify(provider: .ledgersync, body: input).id
                guard !id.isEmpty, id.utf8.count <= EventClassifier.maxEventIDLength else { return "id out of bounds" }
                return id
            } catch {
                return error.code.rawValue
            }
        case 4:
            do {
                let decoded = try Base64URL.decode(utf8: input)
                guard Array(Base64URL.encode(decoded).utf8) == input else { return "accepted a non-canonical encoding" }
                return "\(decoded.count) bytes"
            } catch {
                return rejected(error)
            }
        default:
            let strict = Result { () throws(JOSEError) in try JSONParser.parse(input, options: .strict) }
            do {
                _ = try JSONParser.parse(input, options: .trailingCommas)
                return (try? strict.get()) == nil ? "parsed with trailing commas" : "parsed"
            } catch {
                return (try? strict.get()) == nil ? rejected(error) : "strict accepted what trailing commas refused"
            }
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
        let plaid = verdicts.filter { $0.key.hasPrefix("body-plaid") }
        #expect(!plaid.isEmpty && plaid.allSatisfy { $0.value.contains(".") && $0.value != "UNKNOWN.UNKNOWN" }, "\(plaid)")
        #expect(verdicts["json-1"] == "parsed with trailing commas")
        #expect(verdicts["b64-1"] == "1 bytes")
    }

    /// The verdict each file in Fuzz/regressions/ must keep. A new file without an
    /// entry here fails the test, so every crash the fuzzer finds gets a stated outcome.
    static let regressions: [String: String] = [
        "jws-truncated-signature": "malformed_token",
        "jws-oversized": "malformed_token",
        "jws-duplicate-alg": "malformed_token",
        "jws-alg-hs256": "unsupported_algorithm",
        "jws-no-kid": "missing_key_id",
        "jws-long-kid": "malformed_token",
        "jws-crit": "malformed_token",
        "jws-padded": "malformed_token",
        "jws-four-parts": "malformed_token",
        "jws-zero-signature": "bad_signature",
        "jws-short-signature": "bad_signature",
        "jws-invalid-utf8": "not utf8",
        "jws-deep-header": "malformed_token",
        "jwks-off-curve": "0 usable keys",
        "jwks-short-coordinate": "0 usable keys",
        "jwks-wrong-curve": "0 usable keys",
        "plaid-duplicate-member": "malformed_body",
        "plaid-deep-nesting": "malformed_body",
        "plaid-invalid-utf8": "malformed_body",
        "plaid-lone-surrogate": "malformed_body",
        "plaid-trailing-comma": "malformed_body",
        "plaid-not-object": "malformed_body",
        "ledgersync-trailing-comma": "evt-1",
        "ledgersync-padded-id": "evt-2",
        "ledgersync-long-id": "missing_event_id",
        "ledgersync-control-id": "missing_event_id",
        "ledgersync-numeric-id": "missing_event_id",
        "ledgersync-blank-id": "missing_event_id",
        "b64-padding": "rejected: padding is not allowed",
        "b64-noncanonical": "rejected: non-canonical encoding: unused trailing bits are not zero",
        "b64-impossible-length": "rejected: length 5 is not a possible base64url length",
        "b64-standard-alphabet": "rejected: character 43 is outside the base64url alphabet",
        "json-deep-nesting": "rejected: nesting deeper than 32",
        "json-duplicate-member": "rejected: duplicate member name \"a\"",
        "json-nul-in-string": "rejected: control character in string",
        "json-unpaired-low-surrogate": "rejected: unpaired surrogate",
        "json-huge-exponent": "parsed",
        "json-truncated": "rejected: unexpected end of input",
    ]

    @Test func everyRegressionInputKeepsItsVerdict() throws {
        let inputs = try Self.inputs("regressions")
        #expect(inputs.count >= Self.regressions.count)
        #expect(Set(inputs.map(\.0)) == Set(Self.regressions.keys), "every file in Fuzz/regressions needs an expected verdict")
        for (name, bytes) in inputs {
            #expect(Self.run(bytes) == Self.regressions[name], "\(name)")
        }
    }
}
