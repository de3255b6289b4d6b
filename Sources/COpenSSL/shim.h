// The slice of OpenSSL 3's libcrypto that HookGate uses (EVP, ECDSA_SIG, BN, EC, PEM,
// SHA-256, CRYPTO_memcmp). Macros and variadic functions Swift cannot see get
// documented `static inline` wrappers here and nowhere else.
#ifndef HOOKGATE_COPENSSL_SHIM_H
#define HOOKGATE_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/opensslv.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/// `BIO_get_mem_data` is a macro; returns the length and sets `*data` to the buffer.
static inline long hookgate_BIO_get_mem_data(BIO *bio, char **data) {
    return BIO_get_mem_data(bio, data);
}

/// `OPENSSL_free` is a macro carrying file/line; frees memory OpenSSL allocated.
static inline void hookgate_OPENSSL_free(void *ptr) {
    OPENSSL_free(ptr);
}

/// `EVP_PKEY_CTX_set_ec_paramgen_curve_nid` is a function in OpenSSL 3, wrapped so
/// Swift sees a stable name across 3.x minor versions.
static inline int hookgate_EVP_PKEY_CTX_set_ec_curve_nid(EVP_PKEY_CTX *ctx, int nid) {
    return EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, nid);
}

/// The OpenSSL version the program runs against (`OpenSSL_version(OPENSSL_VERSION)`).
static inline const char *hookgate_openssl_version(void) {
    return OpenSSL_version(OPENSSL_VERSION);
}

/// Builds a P-256 key from an uncompressed point (and, when `priv` is non-NULL, the
/// private scalar) with `EVP_PKEY_fromdata`. Done in C because OSSL_PARAM_BLD keeps
/// the key-name and value pointers until `OSSL_PARAM_BLD_to_param`, which Swift's
/// temporary string and buffer bridging does not guarantee. Returns NULL on failure
/// (including a point that is not on the curve). The caller owns the result.
static inline EVP_PKEY *hookgate_p256_from_data(const unsigned char *pub, size_t pub_len,
                                                const unsigned char *priv, size_t priv_len) {
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    BIGNUM *d = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (bld == NULL) goto done;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1, 0)) goto done;
    if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_len)) goto done;
    if (priv != NULL) {
        d = BN_bin2bn(priv, (int)priv_len, NULL);
        if (d == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)) goto done;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    if (params == NULL) goto done;
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) goto done;
    if (EVP_PKEY_fromdata(ctx, &pkey, priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1) pkey = NULL;
done:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/// Whether this OpenSSL was built with the 3.0-deprecated EC functions the fixed-key
/// ES256 verifier needs (`EC_GROUP_precompute_mult`,
/// `EC_POINT_get_Jprojective_coordinates_GFp`). A build with `no-deprecated` lacks them:
/// the wrappers below then return 0 and the verifier falls back to `EVP_PKEY_verify`.
static inline int hookgate_fixed_key_functions_present(void) {
#ifndef OPENSSL_NO_DEPRECATED_3_0
    return 1;
#else
    return 0;
#endif
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

/// `EC_GROUP_precompute_mult`: builds the table of multiples of the group's generator
/// (for P-256 on x86_64, the nistz256 method's 37 x 64 affine points, 151,552 bytes).
/// Deprecated in OpenSSL 3.0 (EC_GROUP internals) and still present; returns 0 when
/// this OpenSSL lacks it or the computation fails.
static inline int hookgate_EC_GROUP_precompute_mult(EC_GROUP *group, BN_CTX *ctx) {
#ifndef OPENSSL_NO_DEPRECATED_3_0
    return EC_GROUP_precompute_mult(group, ctx);
#else
    (void)group; (void)ctx;
    return 0;
#endif
}

/// `EC_POINT_get_Jprojective_coordinates_GFp`: the point's Jacobian coordinates
/// (x = X/Z^2, y = Y/Z^3), reduced, in the ordinary (not Montgomery) domain. Deprecated
/// in OpenSSL 3.0 and still present; returns 0 when this OpenSSL lacks it.
static inline int hookgate_EC_POINT_get_Jprojective_coordinates(const EC_GROUP *group, const EC_POINT *point,
                                                               BIGNUM *x, BIGNUM *y, BIGNUM *z, BN_CTX *ctx) {
#ifndef OPENSSL_NO_DEPRECATED_3_0
    return EC_POINT_get_Jprojective_coordinates_GFp(group, point, x, y, z, ctx);
#else
    (void)group; (void)point; (void)x; (void)y; (void)z; (void)ctx;
    return 0;
#endif
}

#pragma GCC diagnostic pop

#endif
