/* sops files in the binary store ({"data": ENC[...], "sops": {...}}), with age key sources:
 * a strict JSON reader for them, encryption, decryption with the MAC checked, updatekeys. */
#include "core/secrets.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "core/secrets/crypto.h"
#include "core/util.h"

#define SOPS_VERSION "3.10.2" /* the format written: that of the sops Clan ships */
#define DATA_KEY 32
#define SOPS_IV 32
#define MAX_DEPTH 32

/* sops's constant prefix of the MAC when only encrypted values are authenticated */
static const unsigned char mac_only_encrypted_init[32] = {
    0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
    0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69};

/* ---- a small strict JSON reader (RFC 8259) ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
    enum jtype t;
    unsigned line, col;
    char *s;        /* J_STR: decoded (NUL-terminated; may hold NULs: slen) */
    size_t slen;
    bool b;
    struct jv *kid; /* J_ARR / J_OBJ */
    char **key;     /* J_OBJ */
    size_t n;
};

struct jp {
    const char *name;
    const char *p;
    size_t len, pos;
    unsigned line;
    size_t line_start;
    struct diag *d;
};

static void jv_free(struct jv *v)
{
    if (!v)
        return;
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        jv_free(&v->kid[i]);
        if (v->key)
            free(v->key[i]);
    }
    free(v->kid);
    free(v->key);
    memset(v, 0, sizeof(*v));
}

static unsigned jp_col(const struct jp *j)
{
    return (unsigned)(j->pos - j->line_start) + 1;
}

__attribute__((format(printf, 2, 3))) static int jp_err(struct jp *j, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(j->d, DIAG_ERROR, j->name, j->line, jp_col(j), fmt, ap);
    va_end(ap);
    if (j->pos >= j->len && j->d && j->d->msg && !strstr(j->d->msg, "truncated")) {
        char *m = NULL;
        if (asprintf(&m, "the file ends here (truncated?): %s", j->d->msg) >= 0) {
            free(j->d->msg);
            j->d->msg = m;
        }
    }
    return -EBADMSG;
}

static void jp_ws(struct jp *j)
{
    while (j->pos < j->len) {
        char c = j->p[j->pos];
        if (c == '\n') {
            j->line++;
            j->line_start = j->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        j->pos++;
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int jp_hex4(struct jp *j, unsigned *out)
{
    if (j->len - j->pos < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[j->pos + (size_t)i]);
        if (h < 0)
            return -1;
        v = v << 4 | (unsigned)h;
    }
    j->pos += 4;
    *out = v;
    return 0;
}

static int put_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63));
        u[2] = (char)(0x80 | (cp & 63)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63));
        u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), n = 4;
    }
    return buf_append(b, u, n);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t k;
    unsigned cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        k = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        k = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        k = 4, cp = c & 0x07;
    else
        return 0;
    if (n < k)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 63);
    }
    if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return k;
}

static int jp_string(struct jp *j, struct jv *v)
{
    struct buf b = {0};
    j->pos++; /* the quote */
    int r = buf_puts(&b, "");
    while (r == 0) {
        if (j->pos >= j->len) {
            r = jp_err(j, "unterminated string%s; expected a closing '\"'", "");
            break;
        }
        unsigned char c = (unsigned char)j->p[j->pos];
        if (c == '"') {
            j->pos++;
            break;
        }
        if (c < 0x20) {
            r = jp_err(j, "control character in a string%s; expected it escaped", "");
            break;
        }
        if (c != '\\') {
            size_t k = utf8_len((const unsigned char *)j->p + j->pos, j->len - j->pos);
            if (!k) {
                r = jp_err(j, "invalid UTF-8 in a string%s", "");
                break;
            }
            r = buf_append(&b, j->p + j->pos, k);
            j->pos += k;
            continue;
        }
        j->pos++;
        char e = j->pos < j->len ? j->p[j->pos++] : 0;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char map[] = "\"\\/\b\f\n\r\t";
            r = buf_putc(&b, map[simple - "\"\\/bfnrt"]);
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || jp_hex4(j, &cp) < 0) {
            r = jp_err(j, "bad escape in a string%s; expected \\\" \\\\ \\/ \\b \\f \\n \\r \\t or "
                       "\\uXXXX", "");
            break;
        }
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (j->len - j->pos < 2 || j->p[j->pos] != '\\' || j->p[j->pos + 1] != 'u' ||
                (j->pos += 2, jp_hex4(j, &lo) < 0) || lo < 0xdc00 || lo > 0xdfff) {
                r = jp_err(j, "lone surrogate in a \\u escape%s", "");
                break;
            }
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        } else if (cp >= 0xdc00 && cp <= 0xdfff) {
            r = jp_err(j, "lone surrogate in a \\u escape%s", "");
            break;
        }
        r = put_utf8(&b, cp);
    }
    if (r < 0) {
        buf_free(&b);
        return r == -EBADMSG ? r : jp_err(j, "out of memory%s", "");
    }
    v->t = J_STR;
    v->slen = b.len;
    v->s = buf_steal(&b);
    return 0;
}

static int jp_value(struct jp *j, struct jv *v, unsigned depth);

static int jp_container(struct jp *j, struct jv *v, unsigned depth, bool obj)
{
    v->t = obj ? J_OBJ : J_ARR;
    j->pos++;
    jp_ws(j);
    if (j->pos < j->len && j->p[j->pos] == (obj ? '}' : ']')) {
        j->pos++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        jp_ws(j);
        if (obj) {
            struct jv k = {0};
            if (j->pos >= j->len || j->p[j->pos] != '"')
                return jp_err(j, "expected a string key%s", "");
            int r = jp_string(j, &k);
            if (r < 0)
                return r;
            for (size_t i = 0; i < v->n; i++)
                if (!strcmp(v->key[i], k.s)) {
                    jp_err(j, "duplicate key \"%s\"; expected each key once", k.s);
                    jv_free(&k);
                    return -EBADMSG;
                }
            key = k.s;
            jp_ws(j);
            if (j->pos >= j->len || j->p[j->pos] != ':') {
                free(key);
                return jp_err(j, "expected ':' after a key%s", "");
            }
            j->pos++;
            jp_ws(j);
        }
        struct jv *nk = realloc(v->kid, (v->n + 1) * sizeof(*nk));
        char **nkey = obj ? realloc(v->key, (v->n + 1) * sizeof(*nkey)) : NULL;
        if (nk)
            v->kid = nk;
        if (nkey)
            v->key = nkey;
        if (!nk || (obj && !nkey)) {
            free(key);
            return jp_err(j, "out of memory%s", "");
        }
        memset(&v->kid[v->n], 0, sizeof(*v->kid));
        if (obj)
            v->key[v->n] = key;
        v->n++;
        int r = jp_value(j, &v->kid[v->n - 1], depth + 1);
        if (r < 0)
            return r;
        jp_ws(j);
        if (j->pos < j->len && j->p[j->pos] == ',') {
            j->pos++;
            continue;
        }
        if (j->pos < j->len && j->p[j->pos] == (obj ? '}' : ']')) {
            j->pos++;
            return 0;
        }
        return obj ? jp_err(j, "expected ',' or '}'") : jp_err(j, "expected ',' or ']'");
    }
}

static int jp_value(struct jp *j, struct jv *v, unsigned depth)
{
    jp_ws(j);
    v->line = j->line;
    v->col = jp_col(j);
    if (depth > MAX_DEPTH)
        return jp_err(j, "nested too deeply%s; a sops file is at most a few levels deep", "");
    if (j->pos >= j->len)
        return jp_err(j, "unexpected end of input%s; expected a value (truncated file?)", "");
    char c = j->p[j->pos];
    if (c == '{' || c == '[')
        return jp_container(j, v, depth, c == '{');
    if (c == '"')
        return jp_string(j, v);
    static const char *const lits[] = {"null", "true", "false"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lits[i]);
        if (j->len - j->pos >= n && !memcmp(j->p + j->pos, lits[i], n)) {
            v->t = i == 0 ? J_NULL : J_BOOL;
            v->b = i == 1;
            j->pos += n;
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        /* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
        size_t p = j->pos;
        if (j->p[p] == '-')
            p++;
        size_t ds = p;
        while (p < j->len && j->p[p] >= '0' && j->p[p] <= '9')
            p++;
        bool ok = p > ds && !(j->p[ds] == '0' && p - ds > 1);
        if (ok && p < j->len && j->p[p] == '.') {
            size_t f = ++p;
            while (p < j->len && j->p[p] >= '0' && j->p[p] <= '9')
                p++;
            ok = p > f;
        }
        if (ok && p < j->len && (j->p[p] == 'e' || j->p[p] == 'E')) {
            p++;
            if (p < j->len && (j->p[p] == '+' || j->p[p] == '-'))
                p++;
            size_t f = p;
            while (p < j->len && j->p[p] >= '0' && j->p[p] <= '9')
                p++;
            ok = p > f;
        }
        if (!ok)
            return jp_err(j, "malformed number%s", "");
        v->t = J_NUM;
        j->pos = p;
        return 0;
    }
    return jp_err(j, "unexpected character%s; expected a JSON value", "");
}

static int json_parse(const char *name, const char *text, size_t len, struct jv *out,
                      struct diag *d)
{
    struct jp j = {name, text, len, 0, 1, 0, d};
    memset(out, 0, sizeof(*out));
    int r = jp_value(&j, out, 0);
    if (r == 0) {
        jp_ws(&j);
        if (j.pos < j.len)
            r = jp_err(&j, "trailing characters after the JSON value%s", "");
    }
    if (r < 0)
        jv_free(out);
    return r;
}

static const struct jv *jv_get(const struct jv *o, const char *key, size_t *idx)
{
    for (size_t i = 0; o->t == J_OBJ && i < o->n; i++)
        if (!strcmp(o->key[i], key)) {
            if (idx)
                *idx = i;
            return &o->kid[i];
        }
    return NULL;
}

/* ---- the sops file ---- */

void sops_file_free(struct sops_file *f)
{
    if (!f)
        return;
    free(f->data);
    for (size_t i = 0; i < f->nage; i++) {
        free(f->age[i].recipient);
        free(f->age[i].enc);
    }
    free(f->age);
    free(f->lastmodified);
    free(f->mac);
    free(f->version);
    free(f->unencrypted_suffix);
    memset(f, 0, sizeof(*f));
}

__attribute__((format(printf, 4, 5))) static int at(struct diag *d, const char *name,
                                                     const struct jv *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, DIAG_ERROR, name, v->line, v->col, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

static char *dup_str(const struct jv *v)
{
    char *s = malloc(v->slen + 1);
    if (s) {
        memcpy(s, v->s, v->slen);
        s[v->slen] = 0;
    }
    return s;
}

/* A metadata string field: *out set, or an error naming it. */
static int meta_str(const char *name, const struct jv *meta, const char *key, bool required,
                    char **out, struct diag *d)
{
    const struct jv *v = jv_get(meta, key, NULL);
    if (!v || v->t == J_NULL) {
        if (required)
            return at(d, name, meta, "sops metadata has no \"%s\"; expected it in every sops file",
                      key);
        return 0;
    }
    if (v->t != J_STR || strlen(v->s) != v->slen)
        return at(d, name, v, "sops metadata \"%s\" is not a string", key);
    *out = dup_str(v);
    return *out ? 0 : diag_errno(d, ENOMEM, name, "out of memory");
}

int sops_parse(const char *name, const char *text, size_t len, struct sops_file *out,
               struct diag *d)
{
    struct jv root;
    int r = json_parse(name, text, len, &root, d);
    if (r < 0)
        return r;
    struct sops_file f = {0};
    const struct jv *data = NULL, *meta = NULL;
    if (root.t != J_OBJ) {
        r = at(d, name, &root, "not a sops file: expected a JSON object%s", "");
        goto out;
    }
    meta = jv_get(&root, "sops", NULL);
    if (!meta || meta->t != J_OBJ) {
        r = at(d, name, meta ? meta : &root, "not a sops file: expected an object \"sops\" with "
               "its metadata%s", "");
        goto out;
    }
    for (size_t i = 0; i < root.n; i++)
        if (strcmp(root.key[i], "data") && strcmp(root.key[i], "sops")) {
            r = at(d, name, &root.kid[i], "unexpected key \"%s\": expected a sops binary file, "
                   "whose only keys are \"data\" and \"sops\"", root.key[i]);
            goto out;
        }
    data = jv_get(&root, "data", NULL);
    if (!data || data->t != J_STR || strlen(data->s) != data->slen) {
        r = at(d, name, data ? data : &root, "not a sops binary file: expected a string \"data\"%s",
               "");
        goto out;
    }
    if (!(f.data = dup_str(data))) {
        r = diag_errno(d, ENOMEM, name, "out of memory");
        goto out;
    }
    const struct jv *age = jv_get(meta, "age", NULL);
    if (age && age->t != J_NULL && age->t != J_ARR) {
        r = at(d, name, age, "sops metadata \"age\" is not a list%s", "");
        goto out;
    }
    for (size_t i = 0; age && age->t == J_ARR && i < age->n; i++) {
        const struct jv *e = &age->kid[i];
        const struct jv *rc = jv_get(e, "recipient", NULL), *enc = jv_get(e, "enc", NULL);
        if (e->t != J_OBJ || !rc || rc->t != J_STR || !enc || enc->t != J_STR) {
            r = at(d, name, e, "sops age entry is not {\"recipient\": \"age1...\", \"enc\": "
                   "\"...\"}%s", "");
            goto out;
        }
        struct sops_recipient *nv = realloc(f.age, (f.nage + 1) * sizeof(*nv));
        if (!nv) {
            r = diag_errno(d, ENOMEM, name, "out of memory");
            goto out;
        }
        f.age = nv;
        f.age[f.nage].recipient = dup_str(rc);
        f.age[f.nage].enc = dup_str(enc);
        f.nage++;
        if (!f.age[f.nage - 1].recipient || !f.age[f.nage - 1].enc) {
            r = diag_errno(d, ENOMEM, name, "out of memory");
            goto out;
        }
    }
    static const char *const others[] = {"kms", "gcp_kms", "azure_kv", "hc_vault", "pgp",
                                          "hckms"};
    for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
        const struct jv *o = jv_get(meta, others[i], NULL);
        if (o && o->t == J_ARR)
            f.nother += o->n;
    }
    const struct jv *kg = jv_get(meta, "key_groups", NULL);
    if (kg && kg->t == J_ARR && kg->n > 0) {
        r = at(d, name, kg, "sops key groups (Shamir secret sharing) are not supported%s; "
               "expected the age keys directly under \"sops\", as Clan writes them", "");
        goto out;
    }
    const struct jv *moe = jv_get(meta, "mac_only_encrypted", NULL);
    f.mac_only_encrypted = moe && moe->t == J_BOOL && moe->b;
    r = meta_str(name, meta, "lastmodified", true, &f.lastmodified, d);
    if (r == 0)
        r = meta_str(name, meta, "mac", true, &f.mac, d);
    if (r == 0)
        r = meta_str(name, meta, "version", true, &f.version, d);
    if (r == 0)
        r = meta_str(name, meta, "unencrypted_suffix", false, &f.unencrypted_suffix, d);
out:
    jv_free(&root);
    if (r < 0) {
        sops_file_free(&f);
        return r;
    }
    *out = f;
    return 0;
}

/* ---- ENC[AES256_GCM,data:...,iv:...,tag:...,type:...] ---- */

struct enc_value {
    unsigned char *data;
    size_t len;
    unsigned char iv[64];
    size_t ivlen;
    unsigned char tag[AEAD_TAG];
    char type[16];
};

static const char *field(const char *p, const char *tag, size_t *n)
{
    size_t tl = strlen(tag);
    if (strncmp(p, tag, tl) != 0)
        return NULL;
    p += tl;
    const char *e = strpbrk(p, ",]");
    if (!e)
        return NULL;
    *n = (size_t)(e - p);
    return p;
}

static int enc_parse(const char *s, struct enc_value *v, const char **why)
{
    memset(v, 0, sizeof(*v));
    static const char head[] = "ENC[AES256_GCM,";
    if (strncmp(s, head, sizeof(head) - 1) != 0)
        return *why = "not an ENC[AES256_GCM,...] value", -1;
    const char *p = s + sizeof(head) - 1;
    size_t dn, in, tn, yn;
    const char *dp = field(p, "data:", &dn);
    const char *ip = dp && dp[dn] == ',' ? field(dp + dn + 1, "iv:", &in) : NULL;
    const char *tp = ip && ip[in] == ',' ? field(ip + in + 1, "tag:", &tn) : NULL;
    const char *yp = tp && tp[tn] == ',' ? field(tp + tn + 1, "type:", &yn) : NULL;
    if (!yp || yp[yn] != ']' || yp[yn + 1] != '\0')
        return *why = "malformed ENC[...] value: expected data:,iv:,tag:,type: and ']'", -1;
    if (yn == 0 || yn >= sizeof(v->type))
        return *why = "malformed ENC[...] value: bad type", -1;
    memcpy(v->type, yp, yn);
    unsigned char tagbuf[AEAD_TAG + 3], ivbuf[sizeof(v->iv) + 3];
    if (in > 80 || b64_decode(tp, tn, true, tagbuf) != AEAD_TAG)
        return *why = "malformed ENC[...] value: the tag is not 16 bytes of base64", -1;
    long il = b64_decode(ip, in, true, ivbuf);
    if (il <= 0 || (size_t)il > sizeof(v->iv))
        return *why = "malformed ENC[...] value: bad iv", -1;
    memcpy(v->tag, tagbuf, AEAD_TAG);
    memcpy(v->iv, ivbuf, (size_t)il);
    v->ivlen = (size_t)il;
    v->data = malloc(b64_decoded_max(dn) + 1);
    long dl = v->data ? b64_decode(dp, dn, true, v->data) : -1;
    if (dl < 0) {
        free(v->data);
        v->data = NULL;
        return *why = "malformed ENC[...] value: the data is not base64", -1;
    }
    v->len = (size_t)dl;
    return 0;
}

/* Decrypt one value; *out (len+1 bytes, NUL-terminated) is wiped by secret_free. */
static int enc_open(const char *name, const char *what, const char *s,
                    const unsigned char key[DATA_KEY], const char *aad, unsigned char **out,
                    size_t *outlen, struct diag *d)
{
    struct enc_value v;
    const char *why = NULL;
    if (enc_parse(s, &v, &why) < 0)
        return diag_errno(d, EBADMSG, name, "%s: %s", what, why);
    if (strcmp(v.type, "str") && strcmp(v.type, "bytes")) {
        free(v.data);
        return diag_errno(d, EBADMSG, name, "%s: type %s; expected str", what, v.type);
    }
    unsigned char *pt = malloc(v.len + 1);
    int r = 0;
    if (!pt)
        r = diag_errno(d, ENOMEM, name, "out of memory");
    else if (crypto_aead_open(AEAD_AES256_GCM, key, v.iv, v.ivlen, aad, strlen(aad), v.data, v.len,
                              v.tag, pt) < 0)
        r = diag_errno(d, EBADMSG, name, "%s does not authenticate (AES-GCM tag mismatch): "
                       "tampered, or encrypted with another data key", what);
    free(v.data);
    if (r < 0) {
        secret_free(pt, v.len + 1);
        return r;
    }
    pt[v.len] = 0;
    *out = pt;
    *outlen = v.len;
    return 0;
}

static int enc_seal(const unsigned char key[DATA_KEY], const char *aad, const void *pt,
                    size_t len, struct buf *out)
{
    if (len == 0)
        return 0; /* sops writes an empty value as "" */
    unsigned char iv[SOPS_IV], tag[AEAD_TAG];
    unsigned char *ct = malloc(len);
    char *d64 = malloc(b64_len(len, true) + 1);
    char i64[64], t64[32];
    int r = -1;
    if (ct && d64 && crypto_random(iv, sizeof(iv)) == 0 &&
        crypto_aead_seal(AEAD_AES256_GCM, key, iv, sizeof(iv), aad, strlen(aad), pt, len, ct,
                         tag) == 0) {
        b64_encode(ct, len, true, d64);
        b64_encode(iv, sizeof(iv), true, i64);
        b64_encode(tag, sizeof(tag), true, t64);
        r = buf_printf(out, "ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:str]", d64, i64, t64);
    }
    free(ct);
    free(d64);
    return r < 0 ? -1 : 0;
}

static void mac_hex(const void *pt, size_t len, bool only_encrypted, char out[129])
{
    unsigned char h[64];
    if (only_encrypted) {
        /* SHA-512 over the prefix, then the value */
        unsigned char *tmp = malloc(32 + len);
        if (tmp) {
            memcpy(tmp, mac_only_encrypted_init, 32);
            memcpy(tmp + 32, pt, len);
            crypto_sha512(tmp, 32 + len, h);
            secret_free(tmp, 32 + len);
        } else {
            memset(h, 0, sizeof(h));
        }
    } else {
        crypto_sha512(pt, len, h);
    }
    for (int i = 0; i < 64; i++)
        snprintf(out + 2 * i, 3, "%02X", h[i]);
}

/* JSON string as Go's encoding/json writes it (HTML-safe escapes). */
static int put_json_str(struct buf *b, const char *s)
{
    int r = buf_putc(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            r |= buf_printf(b, "\\%c", c);
        else if (c == '\n')
            r |= buf_puts(b, "\\n");
        else if (c == '\r')
            r |= buf_puts(b, "\\r");
        else if (c == '\t')
            r |= buf_puts(b, "\\t");
        else if (c < 0x20 || c == '<' || c == '>' || c == '&')
            r |= buf_printf(b, "\\u%04x", c);
        else
            r |= buf_putc(b, (char)c);
    }
    return r | buf_putc(b, '"');
}

static int emit(const char *data, const struct sops_recipient *age, size_t nage,
                const char *lastmodified, const char *mac, const char *suffix,
                const char *version, char **out, size_t *outlen)
{
    struct buf b = {0};
    int r = buf_puts(&b, "{\n\t\"data\": ");
    r |= put_json_str(&b, data);
    r |= buf_puts(&b, ",\n\t\"sops\": {\n\t\t\"age\": [");
    for (size_t i = 0; i < nage; i++) {
        r |= buf_puts(&b, i ? ",\n\t\t\t{\n\t\t\t\t\"recipient\": " : "\n\t\t\t{\n\t\t\t\t\"recipient\": ");
        r |= put_json_str(&b, age[i].recipient);
        r |= buf_puts(&b, ",\n\t\t\t\t\"enc\": ");
        r |= put_json_str(&b, age[i].enc);
        r |= buf_puts(&b, "\n\t\t\t}");
    }
    r |= buf_puts(&b, nage ? "\n\t\t],\n\t\t\"lastmodified\": " : "],\n\t\t\"lastmodified\": ");
    r |= put_json_str(&b, lastmodified);
    r |= buf_puts(&b, ",\n\t\t\"mac\": ");
    r |= put_json_str(&b, mac);
    if (suffix) {
        r |= buf_puts(&b, ",\n\t\t\"unencrypted_suffix\": ");
        r |= put_json_str(&b, suffix);
    }
    r |= buf_puts(&b, ",\n\t\t\"version\": ");
    r |= put_json_str(&b, version);
    r |= buf_puts(&b, "\n\t}\n}\n");
    if (r < 0) {
        buf_free(&b);
        return -ENOMEM;
    }
    *outlen = b.len;
    *out = buf_steal(&b);
    return 0;
}

static void recipients_free(struct sops_recipient *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].recipient);
        free(v[i].enc);
    }
    free(v);
}

/* One armored age file of the data key per recipient. */
static int wrap_data_key(const unsigned char key[DATA_KEY], const char *const *recipients,
                         size_t n, struct sops_recipient **out, struct diag *d)
{
    struct sops_recipient *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        unsigned char pub[1][AGE_KEY_BYTES];
        size_t len;
        r = age_recipient_parse(recipients[i], strlen(recipients[i]), pub[0], d);
        if (r == 0)
            r = age_encrypt((const unsigned char(*)[AGE_KEY_BYTES])pub, 1, key, DATA_KEY, true,
                            &v[i].enc, &len, d);
        if (r == 0 && !(v[i].recipient = strdup(recipients[i])))
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    if (r < 0) {
        recipients_free(v, n);
        return r;
    }
    *out = v;
    return 0;
}

int sops_encrypt(const char *const *recipients, size_t n, const void *plaintext, size_t len,
                 int64_t now, char **out, size_t *outlen, struct diag *d)
{
    if (n == 0)
        return diag_errno(d, EINVAL, NULL, "no recipients to encrypt to");
    unsigned char key[DATA_KEY];
    char lastmod[32], hex[129];
    time_t t = (time_t)now;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(lastmod, sizeof(lastmod), "%Y-%m-%dT%H:%M:%SZ", &tm))
        return diag_errno(d, EINVAL, NULL, "cannot format the time %lld", (long long)now);
    if (crypto_random(key, sizeof(key)) < 0)
        return diag_errno(d, EIO, NULL, "libcrypto could not generate a data key");
    struct sops_recipient *age = NULL;
    struct buf data = {0}, mac = {0};
    int r = wrap_data_key(key, recipients, n, &age, d);
    mac_hex(plaintext, len, false, hex);
    if (r == 0 && (buf_puts(&data, "") < 0 || enc_seal(key, "data:", plaintext, len, &data) < 0 ||
                   enc_seal(key, lastmod, hex, 128, &mac) < 0))
        r = diag_errno(d, EIO, NULL, "libcrypto failed while encrypting");
    if (r == 0 && emit(data.p, age, n, lastmod, mac.p, "_unencrypted", SOPS_VERSION, out,
                       outlen) < 0)
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
    explicit_bzero(key, sizeof(key));
    explicit_bzero(hex, sizeof(hex));
    if (age)
        recipients_free(age, n);
    buf_free(&data);
    buf_free(&mac);
    return r;
}

/* The data key from the first age entry an identity opens. */
static int data_key_of(const struct age_identities *ids, const char *name,
                       const struct sops_file *f, unsigned char key[DATA_KEY], struct diag *d)
{
    if (f->nage == 0)
        return diag_errno(d, ENOKEY, name, "no age recipient in its sops metadata%s",
                          f->nother ? " (only other key sources: pgp, kms, ...)" : "");
    struct diag first = {0};
    for (size_t i = 0; i < f->nage; i++) {
        unsigned char *k = NULL;
        size_t klen = 0;
        struct diag tmp = {0};
        int r = age_decrypt(ids, name, f->age[i].enc, strlen(f->age[i].enc), &k, &klen, NULL,
                            &tmp);
        if (r == 0 && klen == DATA_KEY) {
            memcpy(key, k, DATA_KEY);
            secret_free(k, klen);
            diag_clear(&first);
            return 0;
        }
        if (r == 0) {
            secret_free(k, klen);
            diag_errno(&tmp, EBADMSG, name, "the data key in the age entry for %s is %zu bytes; "
                       "expected 32", f->age[i].recipient, klen);
            r = -EBADMSG;
        }
        if (r != -ENOKEY && !first.msg) {
            diag_errno(&first, r, name, "age entry for %s: %s", f->age[i].recipient, tmp.msg);
        }
        diag_clear(&tmp);
    }
    if (first.msg) {
        diag_move(d, &first);
        return -EBADMSG;
    }
    struct buf who = {0};
    for (size_t i = 0; i < f->nage; i++)
        buf_printf(&who, "%s%s", i ? ", " : "", f->age[i].recipient);
    diag_errno(d, ENOKEY, name, "no matching identity: it is encrypted to %s, and none of "
               "the admin's identities is one of them", who.p ? who.p : "?");
    buf_free(&who);
    return -ENOKEY;
}

int sops_decrypt(const struct age_identities *ids, const char *name, const char *text,
                 size_t len, unsigned char **out, size_t *outlen, struct diag *d)
{
    struct sops_file f;
    int r = sops_parse(name, text, len, &f, d);
    if (r < 0)
        return r;
    unsigned char key[DATA_KEY];
    unsigned char *pt = NULL, *mac = NULL;
    size_t ptlen = 0, maclen = 0;
    r = data_key_of(ids, name, &f, key, d);
    if (r == 0 && f.data[0])
        r = enc_open(name, "the data", f.data, key, "data:", &pt, &ptlen, d);
    else if (r == 0 && !(pt = calloc(1, 1)))
        r = diag_errno(d, ENOMEM, name, "out of memory");
    if (r == 0)
        r = enc_open(name, "the MAC", f.mac, key, f.lastmodified, &mac, &maclen, d);
    if (r == 0) {
        char hex[129];
        mac_hex(pt, ptlen, f.mac_only_encrypted, hex);
        if (maclen != 128 || CRYPTO_memcmp(hex, mac, 128) != 0)
            r = diag_errno(d, EBADMSG, name, "MAC mismatch: the decrypted data is not what was "
                           "encrypted (tampered)");
        explicit_bzero(hex, sizeof(hex));
    }
    explicit_bzero(key, sizeof(key));
    secret_free(mac, maclen + 1);
    sops_file_free(&f);
    if (r < 0) {
        secret_free(pt, ptlen + 1);
        return r;
    }
    *out = pt;
    *outlen = ptlen;
    return 0;
}

int sops_updatekeys(const struct age_identities *ids, const char *name, const char *text,
                    size_t len, const char *const *recipients, size_t n, char **out,
                    size_t *outlen, struct diag *d)
{
    if (n == 0)
        return diag_errno(d, EINVAL, name, "no recipients to encrypt to");
    /* decrypting first checks the data and MAC: never re-wrap a key to tampered data */
    unsigned char *pt = NULL;
    size_t ptlen = 0;
    int r = sops_decrypt(ids, name, text, len, &pt, &ptlen, d);
    if (r < 0)
        return r;
    secret_free(pt, ptlen + 1);
    struct sops_file f;
    r = sops_parse(name, text, len, &f, d);
    if (r < 0)
        return r;
    unsigned char key[DATA_KEY];
    struct sops_recipient *age = NULL;
    r = data_key_of(ids, name, &f, key, d);
    if (r == 0)
        r = wrap_data_key(key, recipients, n, &age, d);
    explicit_bzero(key, sizeof(key));
    if (r == 0 && f.mac_only_encrypted)
        r = diag_errno(d, ENOTSUP, name, "a sops file with mac_only_encrypted is not rewritten "
                       "by clan-tui; expected one as Clan writes it");
    if (r == 0 && emit(f.data, age, n, f.lastmodified, f.mac, f.unencrypted_suffix, SOPS_VERSION,
                       out, outlen) < 0)
        r = diag_errno(d, ENOMEM, name, "out of memory");
    if (age)
        recipients_free(age, n);
    sops_file_free(&f);
    return r;
}

/* ---- Clan's key.json ---- */

static int key_entry(const char *name, const struct jv *e, char ***v, size_t *n, struct diag *d)
{
    const struct jv *pk = jv_get(e, "publickey", NULL), *ty = jv_get(e, "type", NULL);
    if (e->t != J_OBJ || !pk || pk->t != J_STR)
        return at(d, name, e, "expected {\"publickey\": \"age1...\", \"type\": \"age\"}");
    if (ty && (ty->t != J_STR || strcmp(ty->s, "age")))
        return at(d, name, ty, "key type is not \"age\"; clan-tui encrypts to age keys only");
    unsigned char pub[AGE_KEY_BYTES];
    struct diag tmp = {0};
    if (age_recipient_parse(pk->s, pk->slen, pub, &tmp) < 0) {
        at(d, name, pk, "publickey %s", tmp.msg);
        diag_clear(&tmp);
        return -EBADMSG;
    }
    char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv)
        return diag_errno(d, ENOMEM, name, "out of memory");
    *v = nv;
    if (!(nv[*n] = strdup(pk->s)))
        return diag_errno(d, ENOMEM, name, "out of memory");
    (*n)++;
    return 0;
}

int sops_key_json_parse(const char *name, const char *text, size_t len, char ***out, size_t *n,
                        struct diag *d)
{
    struct jv root;
    int r = json_parse(name, text, len, &root, d);
    if (r < 0)
        return r;
    char **v = NULL;
    size_t nv = 0;
    if (root.t == J_OBJ)
        r = key_entry(name, &root, &v, &nv, d);
    else if (root.t == J_ARR && root.n == 0)
        r = at(d, name, &root, "no key in it; expected at least one age public key");
    else if (root.t == J_ARR)
        for (size_t i = 0; i < root.n && r == 0; i++)
            r = key_entry(name, &root.kid[i], &v, &nv, d);
    else
        r = at(d, name, &root, "expected an object {\"publickey\": ..., \"type\": \"age\"} or a "
               "list of them");
    jv_free(&root);
    if (r < 0) {
        for (size_t i = 0; i < nv; i++)
            free(v[i]);
        free(v);
        return r;
    }
    *out = v;
    *n = nv;
    return 0;
}
