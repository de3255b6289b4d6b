/// The development key pair committed in `Keys/` (`dev-private.pem`, `dev.jwks.json`),
/// compiled in so the embedded defaults and `hookgate replay` work from any folder.
///
/// This key is public knowledge: anyone can sign with it. It exists for local
/// development, replay and tests only; a gate that trusts it must never face the
/// internet. A test checks these copies against the files in `Keys/`.
public enum DevelopmentKeys {
    /// The `kid` of the development key.
    public static let keyID = "hookgate-dev-1"

    /// `Keys/dev.jwks.json`, byte for byte.
    public static let jwksJSON = """
        {
          "keys": [
            {
              "kty": "EC",
              "crv": "P-256",
              "x": "49SqXP7Qdef9-CHa1U1xRQqm1GZmbJc0mMV8m7ynN6s",
              "y": "vARtw4mCHkfDwfUozPVMWDwKPz6T7TKMyrvBaKktDTo",
              "kid": "hookgate-dev-1",
              "alg": "ES256",
              "use": "sig",
              "created_at": 1795305600,
              "expired_at": null
            }
          ]
        }

        """

    /// `Keys/dev-private.pem`, byte for byte (PKCS#8, unencrypted).
    public static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgMwqX07p1z1b3SZnm
        syPjefKqSRwq0+FV5fOTGQQ1/OWhRANCAATj1Kpc/tB15/34IdrVTXFFCqbUZmZs
        lzSYxXybvKc3q7wEbcOJgh5Hw8H1KMz1TFg8Cj8+k+0yjMq7wWipLQ06
        -----END PRIVATE KEY-----

        """
}
