import Foundation
import JOSE

/// The development secrets of the shared-secret kinds: what `hookgate sign` and
/// `hookgate replay` sign with when no `--secret` is given, and what a development
/// configuration lists under `secrets:` to accept them.
///
/// Like ``DevelopmentKeys`` these are public knowledge: a gate that lists one must never
/// face the internet.
public enum DevelopmentSecrets {
    /// The seed of the development Ed25519 key (Standard Webhooks `v1a`).
    public static let ed25519Seed: [UInt8] = SHA256.hash(Array("hookgate development ed25519 seed".utf8))

    /// The development secret of `kind`, written as the configuration writes it.
    /// - Returns: `nil` for the JWT kinds, which use ``DevelopmentKeys``.
    public static func secret(for kind: ProviderKind) -> String? {
        switch kind {
        case .plaid, .linkmoney, .ledgersync: return nil
        case .stripe: return "whsec_hookgate_development_stripe_secret"
        case .github: return "hookgate-development-github-secret"
        case .shopify: return "hookgate-development-shopify-secret"
        case .standardWebhooks: return "whsec_" + Data("hookgate-development-standard-webhooks".utf8).base64EncodedString()
        case .hmac: return "hookgate-development-hmac-secret"
        }
    }

    /// The development Ed25519 public key, written as a Standard Webhooks `whpk_` secret.
    public static let ed25519PublicKey = "whpk_" + Data(ed25519Key.publicKeyBytes).base64EncodedString()

    /// The development Ed25519 key itself (its private half is public knowledge).
    public static let ed25519Key = try! Ed25519PrivateKey(seed: ed25519Seed)  // 32 bytes: never refused
}
