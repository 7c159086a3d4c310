/* age v1 (age-encryption.org/v1) with X25519 recipients: identities and recipients in
 * bech32, the header (stanzas, HMAC), the STREAM payload, and the ASCII armor. */
#include "core/secrets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/secrets/crypto.h"
#include "core/util.h"

#define AGE_INTRO "age-encryption.org/v1\n"
#define AGE_X25519_LABEL "age-encryption.org/v1/X25519"
#define FILE_KEY 16
#define PAYLOAD_NONCE 16
#define CHUNK 65536
#define COLS 64
#define ARMOR_BEGIN "-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END "-----END AGE ENCRYPTED FILE-----"
#define MAC_B64 43 /* 32 bytes, unpadded */

void secret_free(void *p, size_t len)
{
    if (p) {
        explicit_bzero(p, len);
        free(p);
    }
}

/* ---- keys ---- */

int age_identity_generate(struct age_identity *id, struct diag *d)
{
    if (crypto_random(id->secret, AGE_KEY_BYTES) < 0 ||
        crypto_x25519_public(id->secret, id->public) < 0) {
        explicit_bzero(id, sizeof(*id));
        return diag_errno(d, EIO, NULL, "libcrypto could not generate an X25519 key");
    }
    return 0;
}

void age_identity_format(const struct age_identity *id, char *out)
{
    bech32_encode32("AGE-SECRET-KEY-", id->secret, true, out);
}

void age_recipient_format(const unsigned char pub[AGE_KEY_BYTES], char *out)
{
    bech32_encode32("age", pub, false, out);
}

int age_identity_parse(const char *s, size_t len, struct age_identity *id, struct diag *d)
{
    const char *why = NULL;
    if (bech32_decode32(s, len, "AGE-SECRET-KEY-", id->secret, &why) < 0)
        return diag_errno(d, EINVAL, NULL, "not an age identity: '%.*s...' %s; expected "
                          "AGE-SECRET-KEY-1 and 58 bech32 characters", len > 16 ? 16 : (int)len,
                          s, why);
    if (crypto_x25519_public(id->secret, id->public) < 0) {
        explicit_bzero(id, sizeof(*id));
        return diag_errno(d, EIO, NULL, "libcrypto could not derive the public key");
    }
    return 0;
}

int age_recipient_parse(const char *s, size_t len, unsigned char pub[AGE_KEY_BYTES],
                        struct diag *d)
{
    const char *why = NULL;
    if (bech32_decode32(s, len, "age", pub, &why) < 0)
        return diag_errno(d, EINVAL, NULL, "not an age recipient: '%.*s' %s; expected age1 and "
                          "58 bech32 characters", len > 70 ? 70 : (int)len, s, why);
    return 0;
}

void age_identities_free(struct age_identities *ids)
{
    if (!ids)
        return;
    secret_free(ids->v, ids->n * sizeof(*ids->v));
    ids->v = NULL;
    ids->n = 0;
}

int age_identities_parse(const char *name, const char *text, size_t len,
                         struct age_identities *out, struct diag *d)
{
    struct age_identities ids = {0};
    unsigned line = 0;
    int r = 0;
    for (size_t pos = 0; pos < len && r == 0;) {
        line++;
        const char *l = text + pos;
        const char *nl = memchr(l, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - l) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n > 0 && l[n - 1] == '\r')
            n--;
        size_t lead = 0;
        while (lead < n && (l[lead] == ' ' || l[lead] == '\t'))
            lead++;
        size_t end = n;
        while (end > lead && (l[end - 1] == ' ' || l[end - 1] == '\t'))
            end--;
        if (end == lead || l[lead] == '#')
            continue;
        struct age_identity id;
        struct diag tmp = {0};
        if (age_identity_parse(l + lead, end - lead, &id, &tmp) < 0) {
            r = diag_set(d, DIAG_ERROR, name, line, (unsigned)lead + 1, "%s", tmp.msg);
            r = -EINVAL;
            diag_clear(&tmp);
            break;
        }
        struct age_identity *nv = malloc((ids.n + 1) * sizeof(*nv));
        if (!nv) {
            explicit_bzero(&id, sizeof(id));
            r = diag_errno(d, ENOMEM, name, "out of memory");
            break;
        }
        if (ids.n)
            memcpy(nv, ids.v, ids.n * sizeof(*nv));
        nv[ids.n] = id;
        explicit_bzero(&id, sizeof(id));
        secret_free(ids.v, ids.n * sizeof(*ids.v));
        ids.v = nv;
        ids.n++;
    }
    if (r == 0 && ids.n == 0)
        r = diag_set(d, DIAG_ERROR, name, 0, 0, "no age identity in it; expected a line "
                     "AGE-SECRET-KEY-1... (as age-keygen writes)");
    if (r < 0) {
        age_identities_free(&ids);
        return r;
    }
    *out = ids;
    return 0;
}

/* ---- encryption ---- */

static int put_wrapped_b64(struct buf *b, const unsigned char *data, size_t len)
{
    char *s = malloc(b64_len(len, false) + 1);
    if (!s)
        return -ENOMEM;
    b64_encode(data, len, false, s);
    size_t n = strlen(s);
    int r = 0;
    /* lines of 64 columns; the last one is shorter (empty when n is a multiple of 64) */
    for (size_t i = 0;; i += COLS) {
        size_t k = n - i < COLS ? n - i : COLS;
        r |= buf_append(b, s + i, k);
        r |= buf_putc(b, '\n');
        if (k < COLS)
            break;
    }
    free(s);
    return r < 0 ? -ENOMEM : 0;
}

static void stream_nonce(unsigned char nonce[12], uint64_t counter, bool last)
{
    memset(nonce, 0, 12);
    for (int i = 0; i < 8; i++)
        nonce[10 - i] = (unsigned char)(counter >> (8 * i));
    nonce[11] = last ? 1 : 0;
}

static int armor(const char *bin, size_t len, struct buf *out)
{
    char *s = malloc(b64_len(len, true) + 1);
    if (!s)
        return -ENOMEM;
    b64_encode(bin, len, true, s);
    size_t n = strlen(s);
    int r = buf_puts(out, ARMOR_BEGIN "\n");
    for (size_t i = 0; i < n; i += COLS) {
        r |= buf_append(out, s + i, n - i < COLS ? n - i : COLS);
        r |= buf_putc(out, '\n');
    }
    r |= buf_puts(out, ARMOR_END "\n");
    free(s);
    return r < 0 ? -ENOMEM : 0;
}

int age_encrypt(const unsigned char (*recipients)[AGE_KEY_BYTES], size_t n,
                const void *plaintext, size_t len, bool armored, char **out, size_t *outlen,
                struct diag *d)
{
    if (n == 0)
        return diag_errno(d, EINVAL, NULL, "no recipients to encrypt to");
    unsigned char file_key[FILE_KEY], mac_key[32], mac[32], nonce[PAYLOAD_NONCE], pkey[32];
    struct buf b = {0};
    int r = 0, e = 0;
    if (crypto_random(file_key, sizeof(file_key)) < 0)
        goto crypto_fail;
    e |= buf_puts(&b, AGE_INTRO);
    for (size_t i = 0; i < n; i++) {
        unsigned char eph[32], share[32], shared[32], salt[64], wrap[32], body[FILE_KEY + 16];
        int c = crypto_random(eph, 32);
        c |= c ? 0 : crypto_x25519_public(eph, share);
        c |= c ? 0 : crypto_x25519(eph, recipients[i], shared);
        memcpy(salt, share, 32);
        memcpy(salt + 32, recipients[i], 32);
        static const unsigned char zero_nonce[12] = {0};
        c |= c ? 0 : crypto_hkdf_sha256(shared, 32, salt, 64, AGE_X25519_LABEL, wrap, 32);
        c |= c ? 0 : crypto_aead_seal(AEAD_CHACHA20_POLY1305, wrap, zero_nonce, 12, NULL, 0,
                                      file_key, FILE_KEY, body, body + FILE_KEY);
        explicit_bzero(eph, sizeof(eph));
        explicit_bzero(shared, sizeof(shared));
        explicit_bzero(wrap, sizeof(wrap));
        if (c) {
            char rcpt[AGE_RECIPIENT_LEN + 1];
            age_recipient_format(recipients[i], rcpt);
            r = diag_errno(d, EINVAL, NULL, "cannot encrypt to %s: not a usable X25519 public "
                           "key (a low-order point?)", rcpt);
            goto done;
        }
        char sb[48];
        b64_encode(share, 32, false, sb);
        e |= buf_printf(&b, "-> X25519 %s\n", sb);
        e |= put_wrapped_b64(&b, body, sizeof(body));
    }
    e |= buf_puts(&b, "---");
    if (e < 0)
        goto nomem;
    if (crypto_hkdf_sha256(file_key, FILE_KEY, NULL, 0, "header", mac_key, 32) < 0 ||
        crypto_hmac_sha256(mac_key, 32, b.p, b.len, mac) < 0)
        goto crypto_fail;
    char mb[48];
    b64_encode(mac, 32, false, mb);
    e |= buf_printf(&b, " %s\n", mb);
    if (crypto_random(nonce, sizeof(nonce)) < 0 ||
        crypto_hkdf_sha256(file_key, FILE_KEY, nonce, sizeof(nonce), "payload", pkey, 32) < 0)
        goto crypto_fail;
    e |= buf_append(&b, nonce, sizeof(nonce));
    size_t nchunks = len ? (len + CHUNK - 1) / CHUNK : 1;
    e |= buf_reserve(&b, len + nchunks * AEAD_TAG);
    if (e < 0)
        goto nomem;
    const unsigned char *p = plaintext;
    for (size_t c = 0; c < nchunks; c++) {
        size_t k = c + 1 < nchunks ? CHUNK : len - c * CHUNK;
        unsigned char iv[12];
        stream_nonce(iv, c, c + 1 == nchunks);
        unsigned char *o = (unsigned char *)b.p + b.len;
        if (crypto_aead_seal(AEAD_CHACHA20_POLY1305, pkey, iv, 12, NULL, 0, p + c * CHUNK, k, o,
                             o + k) < 0)
            goto crypto_fail;
        b.len += k + AEAD_TAG;
    }
    b.p[b.len] = '\0';
    if (armored) {
        struct buf a = {0};
        if (armor(b.p, b.len, &a) < 0) {
            buf_free(&a);
            goto nomem;
        }
        buf_free(&b);
        b = a;
    }
    *outlen = b.len;
    *out = buf_steal(&b);
    goto done;
nomem:
    r = diag_errno(d, ENOMEM, NULL, "out of memory");
    goto done;
crypto_fail:
    r = diag_errno(d, EIO, NULL, "libcrypto failed while encrypting");
done:
    explicit_bzero(file_key, sizeof(file_key));
    explicit_bzero(mac_key, sizeof(mac_key));
    explicit_bzero(pkey, sizeof(pkey));
    if (r < 0)
        buf_free(&b);
    return r;
}

/* ---- decryption ---- */

/* Strip the armor: 0 with the binary in *bin, or -1 with a reason. Whitespace around the
 * armored block is allowed (age allows it); inside, lines are exactly 64 columns but the
 * last, LF or CRLF. */
static int dearmor(const char *s, size_t len, unsigned char **bin, size_t *binlen,
                   const char **why)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    size_t end = len;
    while (end > i && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r' ||
                       s[end - 1] == '\n'))
        end--;
    size_t bl = strlen(ARMOR_BEGIN), el = strlen(ARMOR_END);
    if (end - i < bl || memcmp(s + i, ARMOR_BEGIN, bl) != 0)
        return *why = "not armored", -1;
    if (end - i < bl + el || memcmp(s + end - el, ARMOR_END, el) != 0)
        return *why = "the armor has no end line (truncated?)", -1;
    const char *p = s + i + bl, *stop = s + end - el;
    struct buf text = {0};
    bool short_seen = false;
    int r = 0;
    if (p < stop && *p == '\r')
        p++;
    if (p >= stop || *p != '\n')
        return *why = "the armor's first line has trailing characters", -1;
    p++;
    while (p < stop) {
        const char *nl = memchr(p, '\n', (size_t)(stop - p));
        if (!nl) {
            r = -1, *why = "the armor's last line does not end in a newline";
            break;
        }
        size_t n = (size_t)(nl - p);
        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n > COLS || short_seen || n == 0) {
            r = -1, *why = "the armor's lines are not 64 columns";
            break;
        }
        short_seen = n < COLS;
        if (buf_append(&text, p, n) < 0) {
            r = -1, *why = "out of memory";
            break;
        }
        p = nl + 1;
    }
    unsigned char *out = NULL;
    long got = -1;
    if (r == 0 && text.len == 0)
        r = -1, *why = "the armor is empty";
    if (r == 0 && !(out = malloc(b64_decoded_max(text.len))))
        r = -1, *why = "out of memory";
    if (r == 0 && (got = b64_decode(text.p, text.len, true, out)) < 0)
        r = -1, *why = "the armor is not valid base64";
    buf_free(&text);
    if (r < 0) {
        free(out);
        return -1;
    }
    *bin = out;
    *binlen = (size_t)got;
    return 0;
}

struct hdr_line {
    const char *p;
    size_t n;
};

/* Next line of the header (without its LF) or -1 when there is no LF. */
static int next_line(const unsigned char *s, size_t len, size_t *pos, struct hdr_line *l)
{
    if (*pos >= len)
        return -1;
    const unsigned char *nl = memchr(s + *pos, '\n', len - *pos);
    if (!nl)
        return -1;
    l->p = (const char *)s + *pos;
    l->n = (size_t)(nl - (s + *pos));
    *pos += l->n + 1;
    return 0;
}

static bool vchar_arg(const char *p, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126)
            return false;
    return true;
}

/* Try every identity on one X25519 stanza: 1 opened (file key set), 0 none, -1 malformed. */
static int x25519_unwrap(const struct age_identities *ids, const unsigned char share[32],
                         const unsigned char *body, size_t bodylen, unsigned char *file_key,
                         size_t *matched)
{
    if (bodylen != FILE_KEY + AEAD_TAG)
        return -1;
    static const unsigned char zero_nonce[12] = {0};
    for (size_t i = 0; i < ids->n; i++) {
        unsigned char shared[32], salt[64], wrap[32];
        if (crypto_x25519(ids->v[i].secret, share, shared) < 0)
            return -1; /* a low-order share: malformed for every identity */
        memcpy(salt, share, 32);
        memcpy(salt + 32, ids->v[i].public, 32);
        int c = crypto_hkdf_sha256(shared, 32, salt, 64, AGE_X25519_LABEL, wrap, 32);
        explicit_bzero(shared, sizeof(shared));
        if (c == 0 && crypto_aead_open(AEAD_CHACHA20_POLY1305, wrap, zero_nonce, 12, NULL, 0,
                                       body, FILE_KEY, body + FILE_KEY, file_key) == 0) {
            explicit_bzero(wrap, sizeof(wrap));
            if (matched)
                *matched = i;
            return 1;
        }
        explicit_bzero(wrap, sizeof(wrap));
    }
    return 0;
}

static int bad(struct diag *d, const char *name, const char *what)
{
    return diag_errno(d, EBADMSG, name, "%s", what);
}

int age_decrypt(const struct age_identities *ids, const char *name, const void *data,
                size_t len, unsigned char **out, size_t *outlen, size_t *matched,
                struct diag *d)
{
    const unsigned char *s = data;
    unsigned char *bin = NULL;
    size_t blen = len;
    size_t skip = 0;
    while (skip < len && (s[skip] == ' ' || s[skip] == '\n' || s[skip] == '\r' || s[skip] == '\t'))
        skip++;
    if (len - skip >= 5 && !memcmp(s + skip, "-----", 5)) {
        const char *why = NULL;
        if (dearmor(data, len, &bin, &blen, &why) < 0)
            return diag_errno(d, EBADMSG, name, "not an age file: %s", why);
        s = bin;
    }
    unsigned char file_key[FILE_KEY];
    unsigned char *pt = NULL;
    size_t pos = 0;
    int r = 0;
    bool opened = false, any_x25519 = false;
    struct hdr_line l;
    size_t introlen = strlen(AGE_INTRO);
    if (blen < introlen || memcmp(s, AGE_INTRO, introlen) != 0) {
        r = bad(d, name, "not an age file: expected the line age-encryption.org/v1");
        goto out;
    }
    pos = introlen;
    for (;;) {
        size_t line_start = pos;
        if (next_line(s, blen, &pos, &l) < 0) {
            r = bad(d, name, "truncated age header: expected a stanza or the MAC line");
            goto out;
        }
        if (l.n >= 3 && !memcmp(l.p, "---", 3)) {
            if (l.n != 4 + MAC_B64 || l.p[3] != ' ') {
                r = bad(d, name, "malformed age header MAC line: expected '--- ' and 43 "
                        "base64 characters");
                goto out;
            }
            unsigned char mac[33], want[32], mkey[32];
            if (b64_decode(l.p + 4, MAC_B64, false, mac) != 32) {
                r = bad(d, name, "malformed age header MAC: not canonical base64");
                goto out;
            }
            if (!opened) {
                r = diag_errno(d, ENOKEY, name, "%s",
                               any_x25519 ? "no identity matches any of its recipients"
                                          : "no X25519 recipient stanza in it; "
                                            "expected one for an age identity");
                goto out;
            }
            int c = crypto_hkdf_sha256(file_key, FILE_KEY, NULL, 0, "header", mkey, 32);
            c |= c ? 0 : crypto_hmac_sha256(mkey, 32, s, line_start + 3, want);
            explicit_bzero(mkey, sizeof(mkey));
            if (c || CRYPTO_memcmp(mac, want, 32)) {
                r = bad(d, name, "age header MAC mismatch: the header was tampered with");
                goto out;
            }
            break;
        }
        if (l.n < 3 || memcmp(l.p, "-> ", 3) != 0) {
            r = bad(d, name, "malformed age header: expected a line '-> TYPE ARGS' or '--- MAC'");
            goto out;
        }
        /* arguments: single spaces, each non-empty VCHAR */
        const char *args[8];
        size_t argn[8], nargs = 0;
        for (const char *a = l.p + 3, *e = l.p + l.n; a <= e;) {
            const char *sp = memchr(a, ' ', (size_t)(e - a));
            const char *ae = sp ? sp : e;
            if (nargs == 8 || !vchar_arg(a, (size_t)(ae - a))) {
                r = bad(d, name, "malformed age stanza line: expected non-empty arguments "
                        "separated by single spaces");
                goto out;
            }
            args[nargs] = a;
            argn[nargs++] = (size_t)(ae - a);
            if (!sp)
                break;
            a = sp + 1;
        }
        /* body: 64-column lines, ended by a shorter one */
        struct buf body = {0};
        for (;;) {
            if (next_line(s, blen, &pos, &l) < 0 || l.n > COLS) {
                buf_free(&body);
                r = bad(d, name, "truncated or malformed age stanza body: expected base64 "
                        "lines of 64 columns ending with a shorter one");
                goto out;
            }
            if (buf_append(&body, l.p, l.n) < 0 || (!body.p && buf_puts(&body, "") < 0)) {
                buf_free(&body);
                r = diag_errno(d, ENOMEM, name, "out of memory");
                goto out;
            }
            if (l.n < COLS)
                break;
        }
        unsigned char *raw = malloc(b64_decoded_max(body.len) + 1);
        long rawn = raw ? b64_decode(body.p, body.len, false, raw) : -1;
        buf_free(&body);
        if (rawn < 0) {
            free(raw);
            r = bad(d, name, "malformed age stanza body: not canonical base64");
            goto out;
        }
        if (argn[0] == 6 && !memcmp(args[0], "X25519", 6)) {
            any_x25519 = true;
            unsigned char share[33];
            if (nargs != 2 || argn[1] != MAC_B64 ||
                b64_decode(args[1], argn[1], false, share) != 32) {
                free(raw);
                r = bad(d, name, "malformed X25519 stanza: expected one 32-byte share");
                goto out;
            }
            if (!opened) {
                int k = x25519_unwrap(ids, share, raw, (size_t)rawn, file_key, matched);
                if (k < 0) {
                    free(raw);
                    r = bad(d, name, "malformed X25519 stanza: bad share or body length");
                    goto out;
                }
                opened = k == 1;
            }
        }
        free(raw);
    }
    /* payload */
    if (blen - pos < PAYLOAD_NONCE) {
        r = bad(d, name, "truncated age payload: no nonce");
        goto out;
    }
    unsigned char pkey[32];
    if (crypto_hkdf_sha256(file_key, FILE_KEY, s + pos, PAYLOAD_NONCE, "payload", pkey, 32) < 0) {
        r = diag_errno(d, EIO, name, "libcrypto failed");
        goto out;
    }
    pos += PAYLOAD_NONCE;
    size_t rest = blen - pos;
    size_t full = CHUNK + AEAD_TAG;
    if (rest < AEAD_TAG) {
        explicit_bzero(pkey, sizeof(pkey));
        r = bad(d, name, "truncated age payload: no complete chunk");
        goto out;
    }
    pt = malloc(rest + 1);
    if (!pt) {
        explicit_bzero(pkey, sizeof(pkey));
        r = diag_errno(d, ENOMEM, name, "out of memory");
        goto out;
    }
    size_t ptlen = 0;
    for (uint64_t c = 0; pos < blen; c++) {
        size_t left = blen - pos;
        bool last = left <= full;
        size_t k = last ? left : full;
        if (k < AEAD_TAG || (last && k == AEAD_TAG && c > 0)) {
            r = bad(d, name, k < AEAD_TAG ? "truncated age payload: a chunk shorter than its tag"
                                          : "malformed age payload: an empty last chunk");
            break;
        }
        unsigned char iv[12];
        stream_nonce(iv, c, last);
        if (crypto_aead_open(AEAD_CHACHA20_POLY1305, pkey, iv, 12, NULL, 0, s + pos, k - AEAD_TAG,
                             s + pos + k - AEAD_TAG, pt + ptlen) < 0) {
            r = bad(d, name, last ? "age payload does not authenticate: truncated or tampered"
                                  : "age payload chunk does not authenticate: tampered");
            break;
        }
        ptlen += k - AEAD_TAG;
        pos += k;
    }
    explicit_bzero(pkey, sizeof(pkey));
    if (r < 0) {
        secret_free(pt, rest + 1);
        pt = NULL;
        goto out;
    }
    pt[ptlen] = 0;
    *out = pt;
    *outlen = ptlen;
out:
    explicit_bzero(file_key, sizeof(file_key));
    free(bin);
    return r;
}
