import Foundation
import JOSE

/// One secret a shared-secret sender may sign with; several form a rotation.
///
/// Never printed: ``description`` masks it, so a secret that reaches a log or an
/// error message by mistake shows only its kind.
public enum SignatureSecret: Sendable, CustomStringConvertible {
    /// HMAC key bytes.
    case hmac([UInt8])
    /// A Standard Webhooks `whpk_` public key (`v1a` signatures).
    case ed25519(Ed25519PublicKey)

    /// Reads a secret as written in the configuration for `kind`.
    ///
    /// - Standard Webhooks: `whsec_` + base64 of the HMAC key, or `whpk_` + base64 of a
    ///   32-byte Ed25519 public key.
    /// - Every other kind: the secret's UTF-8 bytes as written (Stripe's `whsec_…` included).
    /// - Returns: the secret, or why it is refused (never quoting it).
    public static func parse(_ text: String, kind: ProviderKind) -> Result<SignatureSecret, SecretProblem> {
        guard !text.isEmpty else { return .failure(.init("is empty")) }
        guard kind == .standardWebhooks else { return .success(.hmac(Array(text.utf8))) }
        if text.hasPrefix("whsec_") {
            guard let key = Data(base64Encoded: String(text.dropFirst(6))), !key.isEmpty else {
                return .failure(.init("a whsec_ secret must be whsec_ followed by the base64 of the key"))
            }
            return .success(.hmac(Array(key)))
        }
        if text.hasPrefix("whpk_") {
            guard let key = Data(base64Encoded: String(text.dropFirst(5))), key.count == 32,
                let publicKey = try? Ed25519PublicKey(rawRepresentation: Array(key))
            else { return .failure(.init("a whpk_ key must be whpk_ followed by the base64 of a 32-byte Ed25519 public key")) }
            return .success(.ed25519(publicKey))
        }
        return .failure(.init("a Standard Webhooks secret starts with whsec_ (HMAC) or whpk_ (Ed25519 public key)"))
    }

    /// Why a configured secret is refused; the text never contains the secret.
    public struct SecretProblem: Error, Sendable {
        public let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    public var description: String {
        switch self {
        case .hmac: return "hmac secret (hidden)"
        case .ed25519: return "ed25519 public key"
        }
    }
}
