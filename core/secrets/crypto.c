/* libcrypto calls behind age and sops, base64 and bech32. */
#include "core/secrets/crypto.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

int crypto_random(void *out, size_t len)
{
    return RAND_bytes(out, (int)len) == 1 ? 0 : -1;
}

int crypto_x25519_public(const unsigned char secret[32], unsigned char pub[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, 32);
    size_t n = 32;
    int r = k && EVP_PKEY_get_raw_public_key(k, pub, &n) == 1 && n == 32 ? 0 : -1;
    EVP_PKEY_free(k);
    return r;
}

int crypto_x25519(const unsigned char secret[32], const unsigned char peer[32],
                  unsigned char shared[32])
{
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, secret, 32);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    EVP_PKEY_CTX *ctx = k ? EVP_PKEY_CTX_new(k, NULL) : NULL;
    size_t n = 32;
    int r = ctx && p && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
                    EVP_PKEY_derive(ctx, shared, &n) == 1 && n == 32
                ? 0
                : -1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    if (r == 0) {
        unsigned char acc = 0;
        for (int i = 0; i < 32; i++)
            acc |= shared[i];
        if (!acc)
            r = -1;
    }
    return r;
}

int crypto_hkdf_sha256(const void *ikm, size_t ikmlen, const void *salt, size_t saltlen,
                       const char *info, unsigned char *out, size_t outlen)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    /* an empty salt means a zero-filled one (RFC 5869); libcrypto wants a non-NULL pointer */
    static const unsigned char nosalt[1] = {0};
    int r = ctx && EVP_PKEY_derive_init(ctx) == 1 &&
                    EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) == 1 &&
                    EVP_PKEY_CTX_set1_hkdf_salt(ctx, saltlen ? salt : nosalt, (int)saltlen) == 1 &&
                    EVP_PKEY_CTX_set1_hkdf_key(ctx, ikm, (int)ikmlen) == 1 &&
                    EVP_PKEY_CTX_add1_hkdf_info(ctx, (const unsigned char *)info,
                                                (int)strlen(info)) == 1 &&
                    EVP_PKEY_derive(ctx, out, &outlen) == 1
                ? 0
                : -1;
    EVP_PKEY_CTX_free(ctx);
    return r;
}

int crypto_hmac_sha256(const unsigned char *key, size_t keylen, const void *data, size_t len,
                       unsigned char out[32])
{
    unsigned int n = 32;
    return HMAC(EVP_sha256(), key, (int)keylen, data, len, out, &n) && n == 32 ? 0 : -1;
}

int crypto_sha512(const void *data, size_t len, unsigned char out[64])
{
    unsigned int n = 64;
    return EVP_Digest(data, len, out, &n, EVP_sha512(), NULL) == 1 && n == 64 ? 0 : -1;
}

static int aead(bool seal, enum aead_kind k, const unsigned char key[32], const unsigned char *iv,
                size_t ivlen, const void *aad, size_t aadlen, const void *in, size_t len,
                unsigned char *out, unsigned char *tag)
{
    const EVP_CIPHER *c = k == AEAD_AES256_GCM ? EVP_aes_256_gcm() : EVP_chacha20_poly1305();
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, r = -1;
    if (!ctx || EVP_CipherInit_ex(ctx, c, NULL, NULL, NULL, seal) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, (int)ivlen, NULL) != 1 ||
        EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, seal) != 1)
        goto out;
    if (!seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG, tag) != 1)
        goto out;
    if (aadlen && EVP_CipherUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
        goto out;
    /* libcrypto takes int lengths: feed large inputs in pieces */
    const unsigned char *ip = in;
    unsigned char *op = out;
    for (size_t left = len; left > 0;) {
        int piece = left > (1u << 30) ? 1 << 30 : (int)left;
        if (EVP_CipherUpdate(ctx, op, &n, ip, piece) != 1)
            goto out;
        ip += piece;
        op += n;
        left -= (size_t)piece;
    }
    if (EVP_CipherFinal_ex(ctx, op, &n) != 1)
        goto out;
    if (seal && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG, tag) != 1)
        goto out;
    r = 0;
out:
    EVP_CIPHER_CTX_free(ctx);
    return r;
}

int crypto_aead_seal(enum aead_kind k, const unsigned char key[32], const unsigned char *iv,
                     size_t ivlen, const void *aad, size_t aadlen, const void *in, size_t len,
                     unsigned char *out, unsigned char tag[AEAD_TAG])
{
    return aead(true, k, key, iv, ivlen, aad, aadlen, in, len, out, tag);
}

int crypto_aead_open(enum aead_kind k, const unsigned char key[32], const unsigned char *iv,
                     size_t ivlen, const void *aad, size_t aadlen, const void *in, size_t len,
                     const unsigned char tag[AEAD_TAG], unsigned char *out)
{
    unsigned char t[AEAD_TAG];
    memcpy(t, tag, AEAD_TAG);
    int r = aead(false, k, key, iv, ivlen, aad, aadlen, in, len, out, t);
    if (r < 0)
        memset(out, 0, len); /* nothing unauthenticated leaves here */
    return r;
}

/* ---- base64 ---- */

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_len(size_t len, bool pad)
{
    return pad ? (len + 2) / 3 * 4 : len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

void b64_encode(const void *in, size_t len, bool pad, char *out)
{
    const unsigned char *p = in;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        size_t n = len - i < 3 ? len - i : 3;
        if (n > 1)
            v |= (uint32_t)p[i + 1] << 8;
        if (n > 2)
            v |= p[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        if (n > 1)
            out[o++] = b64chars[(v >> 6) & 63];
        else if (pad)
            out[o++] = '=';
        if (n > 2)
            out[o++] = b64chars[v & 63];
        else if (pad)
            out[o++] = '=';
    }
    out[o] = '\0';
}

size_t b64_decoded_max(size_t len)
{
    return len / 4 * 3 + 3;
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long b64_decode(const char *in, size_t len, bool pad, unsigned char *out)
{
    size_t npad = 0;
    if (pad) {
        if (len % 4)
            return -1;
        while (npad < 2 && len > npad && in[len - 1 - npad] == '=')
            npad++;
    }
    size_t n = len - npad; /* significant characters */
    if (n % 4 == 1 || (pad && npad && n % 4 != 4 - npad))
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_val((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* non-canonical: unused bits set */
        return -1;
    return (long)o;
}

/* ---- bech32 ---- */

static const char b32chars[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, unsigned v)
{
    static const uint32_t gen[5] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
    uint32_t top = chk >> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (int i = 0; i < 5; i++)
        if ((top >> i) & 1)
            chk ^= gen[i];
    return chk;
}

static uint32_t hrp_polymod(const char *hrp, size_t n)
{
    uint32_t chk = 1;
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) >> 5);
    chk = polymod_step(chk, 0);
    for (size_t i = 0; i < n; i++)
        chk = polymod_step(chk, (unsigned)tolower((unsigned char)hrp[i]) & 31);
    return chk;
}

#define B32_DATA 52 /* 32 bytes in 5-bit groups */

void bech32_encode32(const char *hrp, const unsigned char data[32], bool upper, char *out)
{
    unsigned char v[B32_DATA + 6];
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t nv = 0;
    for (int i = 0; i < 32; i++) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            v[nv++] = (acc >> bits) & 31;
        }
    }
    if (bits)
        v[nv++] = (acc << (5 - bits)) & 31;
    size_t hn = strlen(hrp);
    uint32_t chk = hrp_polymod(hrp, hn);
    for (size_t i = 0; i < nv; i++)
        chk = polymod_step(chk, v[i]);
    for (int i = 0; i < 6; i++)
        chk = polymod_step(chk, 0);
    chk ^= 1;
    for (int i = 0; i < 6; i++)
        v[nv++] = (chk >> (5 * (5 - i))) & 31;
    size_t o = 0;
    for (size_t i = 0; i < hn; i++)
        out[o++] = (char)(upper ? toupper((unsigned char)hrp[i]) : tolower((unsigned char)hrp[i]));
    out[o++] = '1';
    for (size_t i = 0; i < nv; i++)
        out[o++] = (char)(upper ? toupper((unsigned char)b32chars[v[i]]) : b32chars[v[i]]);
    out[o] = '\0';
}

int bech32_decode32(const char *s, size_t len, const char *hrp, unsigned char data[32],
                    const char **why)
{
    bool lower = false, upper = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 33 || c > 126)
            return *why = "contains a character that is not printable ASCII", -1;
        lower |= c >= 'a' && c <= 'z';
        upper |= c >= 'A' && c <= 'Z';
    }
    if (lower && upper)
        return *why = "mixes upper and lower case", -1;
    size_t hn = strlen(hrp);
    if (len < hn + 1 + 6 || strncasecmp(s, hrp, hn) != 0 || s[hn] != '1')
        return *why = "does not start with the expected prefix", -1;
    const char *p = s + hn + 1;
    size_t n = len - hn - 1;
    if (n != B32_DATA + 6)
        return *why = "has the wrong length for a 32-byte key", -1;
    uint32_t chk = hrp_polymod(hrp, hn);
    unsigned char v[B32_DATA + 6];
    for (size_t i = 0; i < n; i++) {
        const char *f = strchr(b32chars, tolower((unsigned char)p[i]));
        if (!f || !p[i])
            return *why = "contains a character outside the bech32 alphabet", -1;
        v[i] = (unsigned char)(f - b32chars);
        chk = polymod_step(chk, v[i]);
    }
    if (chk != 1)
        return *why = "has a bad checksum", -1;
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < B32_DATA; i++) {
        acc = (acc << 5) | v[i];
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            data[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return *why = "has non-zero padding bits", -1;
    return 0;
}
