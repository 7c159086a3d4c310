/* The primitives age and sops need, each one call into OpenSSL's libcrypto, plus the base64
 * and bech32 encodings (internal to core/secrets). */
#ifndef CLAN_CORE_SECRETS_CRYPTO_H
#define CLAN_CORE_SECRETS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#define AEAD_TAG 16

/* All return 0 or -1 (a failure of libcrypto, or a tag that does not authenticate). */
int crypto_random(void *out, size_t len);
/* X25519: pub = X25519(secret, basepoint); shared = X25519(secret, peer), refusing an all-zero
 * result (a low-order peer point). */
int crypto_x25519_public(const unsigned char secret[32], unsigned char pub[32]);
int crypto_x25519(const unsigned char secret[32], const unsigned char peer[32],
                  unsigned char shared[32]);
int crypto_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
                       const char *info, unsigned char *out, size_t outlen);
int crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
                       unsigned char out[32]);
int crypto_sha512(const void *data, size_t len, unsigned char out[64]);

enum aead_kind { AEAD_CHACHA20_POLY1305, AEAD_AES256_GCM };
/* Seal: out gets len bytes of ciphertext, tag AEAD_TAG bytes. Open: out gets len bytes of
 * plaintext if tag authenticates in and aad. */
int crypto_aead_seal(enum aead_kind k, const unsigned char key[32], const unsigned char *iv,
                     size_t ivlen, const void *aad, size_t aadlen, const void *in, size_t len,
                     unsigned char *out, unsigned char tag[AEAD_TAG]);
int crypto_aead_open(enum aead_kind k, const unsigned char key[32], const unsigned char *iv,
                     size_t ivlen, const void *aad, size_t aadlen, const void *in, size_t len,
                     const unsigned char tag[AEAD_TAG], unsigned char *out);

/* Base64 (RFC 4648 alphabet). pad: with '=' padding (std) or without (age's raw form).
 * b64_encode writes b64_len(len, pad) chars and a NUL. b64_decode is strict: canonical
 * encodings only (unused bits zero, padding exactly as pad says); returns the byte count or
 * -1. out needs b64_decoded_max(len) bytes. */
size_t b64_len(size_t len, bool pad);
void b64_encode(const void *in, size_t len, bool pad, char *out);
size_t b64_decoded_max(size_t len);
long b64_decode(const char *in, size_t len, bool pad, unsigned char *out);

/* Bech32 (BIP 173 checksum, no length limit, as age uses it) of 32 bytes under hrp;
 * upper: all upper case. out: strlen(hrp) + 1 + 58 + 1 bytes. */
void bech32_encode32(const char *hrp, const unsigned char data[32], bool upper, char *out);
/* Decode s (one case throughout) whose hrp must equal hrp (compared case-insensitively) into
 * exactly 32 bytes: 0, or -1 with *why set to a short reason. */
int bech32_decode32(const char *s, size_t len, const char *hrp, unsigned char data[32],
                    const char **why);

#endif
