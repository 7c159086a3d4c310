/* Secrets as Clan keeps them: age (https://age-encryption.org/v1, X25519 recipients only) and
 * sops files in its binary form (a JSON envelope with one encrypted "data" value and the sops
 * metadata), written and read here from their specifications. The primitives come from
 * OpenSSL's libcrypto: X25519, HKDF-SHA256, HMAC-SHA256, ChaCha20-Poly1305, AES-256-GCM,
 * SHA-512, random bytes.
 *
 * Plaintext is only ever in memory: every buffer that held a secret is wiped before it is
 * freed (secret_free). Errors are values: a diag naming the input (the `name` argument) and,
 * for a parse error, its line and column. */
#ifndef CLAN_CORE_SECRETS_H
#define CLAN_CORE_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* Wipe len bytes of p, then free it. */
void secret_free(void *p, size_t len);

/* ---- age ---- */

#define AGE_KEY_BYTES 32
#define AGE_RECIPIENT_LEN 62 /* "age1" + 58 bech32 characters */
#define AGE_IDENTITY_LEN 74  /* "AGE-SECRET-KEY-1" + 58 bech32 characters */

struct age_identity {
    unsigned char secret[AGE_KEY_BYTES];
    unsigned char public[AGE_KEY_BYTES];
};

/* A new X25519 identity from the system's random source. */
int age_identity_generate(struct age_identity *id, struct diag *d);
/* "AGE-SECRET-KEY-1..." (upper case, as age-keygen writes it); out: AGE_IDENTITY_LEN + 1. */
void age_identity_format(const struct age_identity *id, char *out);
/* "age1..." of a public key; out: AGE_RECIPIENT_LEN + 1. */
void age_recipient_format(const unsigned char pub[AGE_KEY_BYTES], char *out);
/* Parse one identity (exactly the bech32 string, no whitespace around it). */
int age_identity_parse(const char *s, size_t len, struct age_identity *id, struct diag *d);
/* Parse one recipient "age1..." into its public key. */
int age_recipient_parse(const char *s, size_t len, unsigned char pub[AGE_KEY_BYTES],
                        struct diag *d);

/* An identity file as age -i and sops read it (keys.txt): one AGE-SECRET-KEY-1 per line,
 * '#' comments and blank lines ignored, CRLF tolerated. Anything else is an error at its line
 * (name:LINE:COL). At least one identity is required. */
struct age_identities {
    struct age_identity *v;
    size_t n;
};
int age_identities_parse(const char *name, const char *text, size_t len,
                         struct age_identities *out, struct diag *d);
void age_identities_free(struct age_identities *ids);

/* Encrypt to n recipients (public keys). armor: the PEM-like ASCII form age -a writes.
 * *out (NUL-terminated, *outlen bytes) is the caller's. */
int age_encrypt(const unsigned char (*recipients)[AGE_KEY_BYTES], size_t n,
                const void *plaintext, size_t len, bool armor, char **out, size_t *outlen,
                struct diag *d);
/* Decrypt binary or armored age data with the first identity that opens an X25519 stanza;
 * the header MAC and every payload chunk are authenticated. *out is wiped by secret_free.
 * Errors name `name`: not an age file, no identity matches, header MAC mismatch, truncated or
 * tampered payload. matched (may be NULL) gets the index of the identity used. */
int age_decrypt(const struct age_identities *ids, const char *name, const void *data,
                size_t len, unsigned char **out, size_t *outlen, size_t *matched,
                struct diag *d);

/* ---- sops (binary store, age key groups) ---- */

struct sops_recipient {
    char *recipient; /* "age1..." */
    char *enc;       /* armored age file of the data key */
};

/* A sops file as read: the encrypted data value and the metadata clan-tui needs. */
struct sops_file {
    char *data;        /* "ENC[AES256_GCM,...]" or "" (an empty secret) */
    struct sops_recipient *age;
    size_t nage;
    char *lastmodified;
    char *mac;         /* "ENC[AES256_GCM,...]" */
    char *version;
    char *unencrypted_suffix; /* may be NULL */
    size_t nother;     /* non-age key sources (pgp, kms, ...) with entries: not ours to open */
    bool mac_only_encrypted;
};

/* Parse (not decrypt) a sops binary-store file: JSON, an object with exactly the keys "data"
 * (a string) and "sops" (metadata). Errors at name:LINE:COL. */
int sops_parse(const char *name, const char *text, size_t len, struct sops_file *out,
               struct diag *d);
void sops_file_free(struct sops_file *f);

/* Encrypt plaintext as `sops encrypt` of a file without extension would: a random 32-byte data
 * key, the data under AES-256-GCM (32-byte IV, additional data "data:"), one age entry per
 * recipient ("age1..." strings, kept in the order given), lastmodified = now (UTC, RFC 3339),
 * the MAC (SHA-512 of the plaintext, upper-case hex) encrypted with lastmodified as additional
 * data. JSON indented with tabs, as sops writes it. */
int sops_encrypt(const char *const *recipients, size_t n, const void *plaintext, size_t len,
                 int64_t now, char **out, size_t *outlen, struct diag *d);
/* Decrypt: the data key from the first age entry an identity opens, then the data, then the
 * MAC checked. *out is wiped by secret_free. */
int sops_decrypt(const struct age_identities *ids, const char *name, const char *text,
                 size_t len, unsigned char **out, size_t *outlen, struct diag *d);
/* sops updatekeys: the same data key and data (decrypted and MAC-checked first), the age
 * entries replaced by one per recipient, each encrypted anew as sops does. lastmodified and
 * the MAC are kept (the data did not change). */
int sops_updatekeys(const struct age_identities *ids, const char *name, const char *text,
                    size_t len, const char *const *recipients, size_t n, char **out,
                    size_t *outlen, struct diag *d);

/* Clan's sops/{machines,users}/<name>/key.json: {"publickey": "age1...", "type": "age"} or a
 * list of such objects (clan writes a list, older versions an object). Every key must be an
 * age recipient. *out: n strdup'ed "age1..." strings. */
int sops_key_json_parse(const char *name, const char *text, size_t len, char ***out, size_t *n,
                        struct diag *d);

#endif
