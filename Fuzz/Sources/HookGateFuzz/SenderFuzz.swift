import HookGateCore
import JOSE

/// The shared-secret senders' verifiers and identities under fuzzing: an input is a header
/// value, a newline, and a body. Every format reads the header value where its signature
/// goes; none may crash, none may accept it (a random value that verifies is a forgery),
/// and each format's own signature over the body must verify (round trip).
enum SenderFuzz {
    static let now: Int64 = 1_800_000_000

    static let providers: [GateConfiguration.ProviderSettings] = {
        var settings: [GateConfiguration.ProviderSettings] = []
        let formats: [(ProviderKind, SignatureScheme.Format)] =
            ProviderKind.allCases.compactMap { kind in SignatureScheme.Format(kind: kind).map { (kind, $0) } }
            + [(.hmac, .hmac(header: "X-Signature", algorithm: .sha512, encoding: .base64, prefix: "v="))]
        for (kind, format) in formats {
            guard case .success(let secret) = SignatureSecret.parse(DevelopmentSecrets.secret(for: kind)!, kind: kind) else { fatalError() }
            var secrets = [secret]
            if kind == .standardWebhooks, case .success(let key) = SignatureSecret.parse(DevelopmentSecrets.ed25519PublicKey, kind: kind) {
                secrets.append(key)
            }
            let identity = kind == .hmac
                ? EventIdentity(id: .json(JSONPointer("/data/0/id")!, integers: true), type: .header("X-Type", fallback: ""), json: .strict)
                : EventIdentity(kind: kind)
            settings.append(
                .init(
                    provider: Provider(rawValue: kind.rawValue)!, kind: kind, path: "/", verification: .signature(SignatureScheme(format: format, secrets: secrets)),
                    identity: identity))
        }
        return settings
    }()

    static let edSigner: SenderSigner = {
        let settings = providers[3]
        return try! SenderSigner(settings: settings, secret: DevelopmentSecrets.ed25519PublicKey)
    }()

    /// Each provider's development signer, made once (making one derives an Ed25519 key).
    static let signers: [SenderSigner] = providers.map { try! SenderSigner(settings: $0, secret: nil) }

    static func check(_ input: [UInt8]) {
        let newline = input.firstIndex(of: 0x0A) ?? input.count
        let value = String(decoding: input[..<newline], as: UTF8.self)
        let body = Array(input[min(newline + 1, input.count)...])
        for (settings, signer) in zip(providers, signers) {
            guard case .signature(let scheme) = settings.verification else { continue }
            let forged = RequestHeaders((scheme.headerNames + settings.identity.headerNames).map { ($0, value) })
            do {
                try SignatureVerifier.verify(scheme, headers: forged, body: body, now: now)
                preconditionFailure("a fuzzed \(settings.kind.rawValue) signature verified: \(value)")
            } catch {
                precondition(!error.reason.isEmpty)
            }
            if let classified = try? EventClassifier.classifyParsed(identity: settings.identity, body: body, headers: forged) {
                precondition(!classified.id.isEmpty && classified.id.utf8.count <= EventClassifier.maxEventIDLength + 7 + 64)
                precondition(classified.type.utf8.count <= EventClassifier.maxEventTypeLength * 4)
            }
            // Ed25519 signing costs about 30 times an HMAC: its round trip runs on one input in 16.
            let withEd25519 = settings.kind == .standardWebhooks && body.count % 16 == 0
            for signer in withEd25519 ? [signer, edSigner] : [signer] {
                let captured = [("X-GitHub-Event", "push")]
                guard let signed = try? signer.headers(body: body, captured: captured, now: now) else { preconditionFailure("signing failed") }
                do {
                    try SignatureVerifier.verify(scheme, headers: RequestHeaders(signed), body: body, now: now)
                } catch {
                    preconditionFailure("\(settings.kind.rawValue): its own signature did not verify: \(error)")
                }
            }
        }
        if let pointer = JSONPointer(value), let json = try? JSONParser.parse(body, options: .strict) {
            _ = pointer.resolve(in: json)
        }
    }
}
