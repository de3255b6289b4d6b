import Foundation
import HookGateCore
import JOSE

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// The development key the fuzzer verifies against, so well-formed tokens reach the signature and claim checks.
let developmentKey = try! JWKSet(keys: PinnedKeySource(json: DevelopmentKeys.jwksJSON, origin: "dev").keySet.keys).key(withID: DevelopmentKeys.keyID)
    .publicKey()

/// One input: the first byte chooses what is fuzzed, the rest is the input.
/// 0: a compact JWS through the whole verification pipeline (against `body` = the token's own bytes);
/// 1: a JWK or JWKS; 2: a Plaid/LinkMoney body; 3: a LedgerSync body; 4: strict base64url; 5: strict JSON;
/// 6: a shared-secret sender's signature header and body (``SenderFuzz``).
/// With HOOKGATE_FUZZ_MODE=differential every input instead checks the fixed-key ES256 verifier
/// against EVP_DigestVerify (``Differential``, 8 signatures an input): a run of its own, so the
/// signing and verifying it costs does not slow the parsers' run.
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard size > 0, let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let input = Array(bytes.dropFirst())
    if differentialOnly {
        Differential.check(bytes)
        return 0
    }
    switch bytes[0] % 7 {
    case 0:
        guard let token = String(validating: input, as: UTF8.self) else { return 0 }
        do {
            let jws = try WebhookVerifier.parse(token)
            let kid = try WebhookVerifier.checkHeader(jws)
            _ = try WebhookVerifier.check(jws, keyID: kid, key: developmentKey, body: input, now: 1_800_000_000, maxAge: 300)
        } catch {
            precondition(!error.reason.isEmpty)
        }
    case 1:
        let data = Data(input)
        if let set = try? JSONDecoder().decode(JWKSet.self, from: data) {
            for key in set.keys { _ = try? key.publicKey() }
            if let kid = set.keys.first?.keyID { _ = try? set.key(withID: kid) }
        }
        if let key = try? JSONDecoder().decode(JWK.self, from: data) {
            _ = try? key.publicKey()
            _ = try? P256PrivateKey(jwk: key)
        }
        _ = try? PinnedKeySource(json: String(decoding: input, as: UTF8.self), origin: "fuzz")
    case 2:
        if let classified = try? EventClassifier.classifyParsed(provider: .plaid, body: input) {
            precondition(classified.id.hasPrefix("sha256:"))
            _ = HandlerMatcher(handlers: []).deliveries(provider: .plaid, type: classified.type, json: classified.json)
        }
    case 3:
        if let classified = try? EventClassifier.classify(provider: .ledgersync, body: input) {
            precondition(!classified.id.isEmpty && classified.id.utf8.count <= EventClassifier.maxEventIDLength)
        }
    case 4:
        if let decoded = try? Base64URL.decode(utf8: input) {
            precondition(Array(Base64URL.encode(decoded).utf8) == input, "accepted a non-canonical encoding")
        }
    case 6:
        SenderFuzz.check(input)
    default:
        _ = try? JSONParser.parse(input, options: .strict)
        _ = try? JSONParser.parse(input, options: .trailingCommas)
    }
    return 0
}

let differentialOnly = ProcessInfo.processInfo.environment["HOOKGATE_FUZZ_MODE"] == "differential"

@main
struct Main {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOne))
    }
}
