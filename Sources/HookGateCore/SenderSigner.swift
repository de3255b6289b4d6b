import Foundation
import JOSE

/// Signs a body as a shared-secret sender does (Stripe, GitHub, Shopify, Standard
/// Webhooks, `hmac`): `hookgate sign --provider` and `hookgate replay` for those kinds.
///
/// The headers that identify the event (`X-GitHub-Delivery`, `X-GitHub-Event`,
/// `X-Shopify-Topic`, `webhook-id`, ...) are taken from `captured` when given; an id
/// header that is missing is derived from the body's SHA-256, so replaying the same
/// body twice is a duplicate, as a sender's retry is.
public struct SenderSigner: Sendable {
    /// What it signs with.
    public enum Key: Sendable {
        case hmac([UInt8])
        case ed25519(Ed25519PrivateKey)
    }

    public let format: SignatureScheme.Format
    public let identity: EventIdentity
    public let key: Key
    /// For Standard Webhooks: the development Ed25519 key when the provider lists it, used
    /// for a capture whose signature was `v1a`, so a replay keeps the capture's version.
    public var ed25519: Ed25519PrivateKey?

    public init(format: SignatureScheme.Format, identity: EventIdentity, key: Key) {
        self.format = format
        self.identity = identity
        self.key = key
    }

    /// A signer for `settings` (a shared-secret provider): with `secret` as the configuration
    /// writes it when given, else the provider's first HMAC secret, else, for a Standard
    /// Webhooks provider listing the development `whpk_` key
    /// (``DevelopmentSecrets/ed25519PublicKey``), that key's private half (`v1a`).
    /// - Throws: ``SignerProblem`` when the provider is not a shared-secret kind, or nothing
    ///   it lists can sign (a `whpk_` public key other than the development one).
    public init(settings: GateConfiguration.ProviderSettings, secret: String?) throws(SignerProblem) {
        guard case .signature(let scheme) = settings.verification else {
            throw SignerProblem("\(settings.provider) is a \(settings.kind.rawValue) provider: it is signed with an ES256 key, not a secret")
        }
        if let secret {
            if secret == DevelopmentSecrets.ed25519PublicKey {
                self.init(format: scheme.format, identity: settings.identity, key: .ed25519(DevelopmentSecrets.ed25519Key))
                return
            }
            switch SignatureSecret.parse(secret, kind: settings.kind) {
            case .success(.hmac(let bytes)): self.init(format: scheme.format, identity: settings.identity, key: .hmac(bytes))
            case .success(.ed25519):
                throw SignerProblem("a whpk_ secret is a public key: only the development one (\(DevelopmentSecrets.ed25519PublicKey)) can sign")
            case .failure(let problem): throw SignerProblem("the secret \(problem.reason)")
            }
            return
        }
        let development = DevelopmentSecrets.ed25519Key
        let listsDevelopmentKey = scheme.secrets.contains {
            if case .ed25519(let key) = $0 { return key.rawRepresentation == development.publicKeyBytes }
            return false
        }
        for case .hmac(let bytes) in scheme.secrets {
            self.init(format: scheme.format, identity: settings.identity, key: .hmac(bytes))
            if listsDevelopmentKey { ed25519 = development }
            return
        }
        if listsDevelopmentKey {
            self.init(format: scheme.format, identity: settings.identity, key: .ed25519(development))
            return
        }
        throw SignerProblem("\(settings.provider) lists only whpk_ public keys: pass --secret with a whsec_ secret it accepts")
    }

    /// The request headers for `body`: identity headers (captured or derived), then the signature.
    /// - Parameters:
    ///   - captured: a capture's headers; signature headers in it are replaced.
    ///   - now: Unix seconds, for the formats with a timestamp.
    public func headers(body: [UInt8], captured: [(String, String)] = [], now: Int64) throws(SignerProblem) -> [(String, String)] {
        let kept = RequestHeaders(captured)
        var headers: [(String, String)] = [("Content-Type", kept.first("Content-Type") ?? "application/json")]
        let hash = SHA256.hexHash(body)
        let derived = String(hash.prefix(32))
        func identityHeader(_ name: String, _ fallback: @autoclosure () -> String?) {
            if let value = kept.first(name) ?? fallback() { headers.append((name, value)) }
        }
        if case .header(let names) = identity.id, !names.contains(where: { kept.first($0) != nil }) {
            switch format {
            case .github: headers.append((names[0], Self.uuid(derived)))
            case .standardWebhooks: break  // webhook-id is written with the signature below
            default: headers.append((names[0], derived))
            }
        } else if case .header(let names) = identity.id {
            for name in names { identityHeader(name, nil) }
        }
        switch identity.type {
        case .header(let name, _): identityHeader(name, nil)
        case .githubEvent:
            guard let event = kept.first("X-GitHub-Event") else {
                throw SignerProblem("a GitHub webhook needs its X-GitHub-Event header: replay a capture that has it")
            }
            headers.append(("X-GitHub-Event", event))
        default: break
        }
        switch (format, key) {
        case (.stripe, .hmac(let secret)):
            let code = HMACAlgorithm.sha256.authenticationCode(for: Array("\(now).".utf8) + body, key: secret)
            headers.append(("Stripe-Signature", "t=\(now),v1=\(Hex.encode(code))"))
        case (.github, .hmac(let secret)):
            headers.append(("X-Hub-Signature-256", "sha256=" + Hex.encode(HMACAlgorithm.sha256.authenticationCode(for: body, key: secret))))
        case (.shopify, .hmac(let secret)):
            headers.append(("X-Shopify-Hmac-Sha256", Data(HMACAlgorithm.sha256.authenticationCode(for: body, key: secret)).base64EncodedString()))
        case (.standardWebhooks, _):
            let id = kept.first("webhook-id") ?? kept.first("svix-id") ?? "msg_" + derived
            let message = Array("\(id).\(now).".utf8) + body
            let signature: String
            let capturedV1a = (kept.first("webhook-signature") ?? kept.first("svix-signature"))?.hasPrefix("v1a,") == true
            let key = capturedV1a ? ed25519.map { Key.ed25519($0) } ?? key : key
            switch key {
            case .hmac(let secret): signature = "v1," + Data(HMACAlgorithm.sha256.authenticationCode(for: message, key: secret)).base64EncodedString()
            case .ed25519(let privateKey):
                do { signature = "v1a," + Data(try privateKey.signature(for: message)).base64EncodedString() } catch {
                    throw SignerProblem("Ed25519 signing failed: \(error.reason)")
                }
            }
            headers.removeAll { RequestHeaders.sameName($0.0, "webhook-id") }
            headers += [("webhook-id", id), ("webhook-timestamp", String(now)), ("webhook-signature", signature)]
        case (.hmac(let header, let algorithm, let encoding, let prefix), .hmac(let secret)):
            let code = algorithm.authenticationCode(for: body, key: secret)
            headers.append((header, prefix + (encoding == .hex ? Hex.encode(code) : Data(code).base64EncodedString())))
        default:
            throw SignerProblem("an Ed25519 key signs only Standard Webhooks (v1a)")
        }
        return headers
    }

    /// 32 hex digits as a UUID (8-4-4-4-12), as GitHub writes delivery ids.
    private static func uuid(_ hex: String) -> String {
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }

    /// Why a body cannot be signed.
    public struct SignerProblem: Error, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }
}
