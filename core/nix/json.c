/* JSON documents (Clan's inventory.json) as nix_files: a strict RFC 8259 scanner that builds
 * the logical tree with exact positions, and edits as text patches in Clan's layout.
 *
 * A JSON file's CST is a single N_ROOT node (flag JSON_ROOT, which no Nix node carries)
 * over tokens of the Nix kinds closest to JSON's (braces, brackets, ':' ',', strings as
 * open/text/close, T_INT/T_FLOAT, true/false/null as T_ID, whitespace): printing it and
 * listing it work as for Nix, and since f->expr is NIX_NONE no local edit applies to it. */
#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

#define JSON_ROOT 0x80u

bool nix_file_is_json(const struct nix_file *f)
{
    return f && f->nnodes == 1 && f->nodes[0].kind == N_ROOT && (f->nodes[0].flags & JSON_ROOT);
}

/* ---- UTF-8 ---- */

/* Length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if there is none. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xbf)
            return 0;
    return len;
}

static uint32_t utf8_decode(const unsigned char *s, size_t len)
{
    if (len == 1)
        return s[0];
    uint32_t cp = s[0] & (0x7f >> len);
    for (size_t k = 1; k < len; k++)
        cp = cp << 6 | (s[k] & 0x3f);
    return cp;
}

static void utf8_put(struct buf *b, uint32_t cp)
{
    char t[4];
    size_t n;
    if (cp < 0x80) {
        t[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        t[0] = (char)(0xc0 | cp >> 6);
        t[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        t[0] = (char)(0xe0 | cp >> 12);
        t[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        t[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        t[0] = (char)(0xf0 | cp >> 18);
        t[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        t[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        t[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_append(b, t, n);
}

char *json_quote_string(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    struct buf b = {0};
    buf_putc(&b, '"');
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t len = utf8_len(u + i, n - i);
        if (!len) {
            buf_free(&b);
            errno = EINVAL;
            return NULL;
        }
        uint32_t cp = utf8_decode(u + i, len);
        i += len;
        switch (cp) {
        case '"': buf_puts(&b, "\\\""); continue;
        case '\\': buf_puts(&b, "\\\\"); continue;
        case '\n': buf_puts(&b, "\\n"); continue;
        case '\r': buf_puts(&b, "\\r"); continue;
        case '\t': buf_puts(&b, "\\t"); continue;
        case '\b': buf_puts(&b, "\\b"); continue;
        case '\f': buf_puts(&b, "\\f"); continue;
        default: break;
        }
        if (cp >= 0x20 && cp < 0x7f)
            buf_putc(&b, (char)c);
        else if (cp < 0x10000)
            buf_printf(&b, "\\u%04x", (unsigned)cp);
        else
            buf_printf(&b, "\\u%04x\\u%04x", (unsigned)(0xd800 + ((cp - 0x10000) >> 10)),
                       (unsigned)(0xdc00 + ((cp - 0x10000) & 0x3ff)));
    }
    buf_putc(&b, '"');
    char *r = buf_steal(&b);
    if (!r)
        errno = ENOMEM;
    return r;
}

/* ---- the scanner ---- */

/* An object or array being read. */
struct jframe {
    struct nix_ivalue *v;
    size_t first; /* its children so far: pend[first..npend) */
    /* objects: the key of the member whose value comes next */
    char *key;
    size_t ks, ke;
};

struct jparser {
    struct nix_file *f;
    const unsigned char *s;
    size_t n, i;
    unsigned line;  /* of i, and where that line starts */
    size_t lstart;
    struct nix_arena *a;
    struct diag_list *diags;
    struct jframe *st;
    size_t depth, stcap;
    struct nix_ivalue **pend;
    size_t npend, cappend;
    locale_t cloc; /* "C" numbers whatever the process locale is */
    struct buf sb;
};

static const char VALUE_EXPECTED[] =
    "a value (a string in double quotes, a number, an object, an array, true, false or null)";

/* An error at offset `at` (line and column counted from the start: errors end the parse). */
__attribute__((format(printf, 3, 4))) static int fail(struct jparser *p, size_t at,
                                                      const char *fmt, ...)
{
    unsigned line = 1;
    size_t ls = 0;
    for (size_t k = 0; k < at && k < p->n; k++)
        if (p->s[k] == '\n')
            line++, ls = k + 1;
    struct diag dg = {0};
    va_list ap;
    va_start(ap, fmt);
    diag_setv(&dg, DIAG_ERROR, p->f->name, line, (unsigned)(at - ls + 1), fmt, ap);
    va_end(ap);
    int r = diag_list_push(p->diags, &dg) < 0 ? -ENOMEM : -EINVAL;
    diag_clear(&dg);
    return r;
}

static int oom(struct jparser *p)
{
    diag_list_add(p->diags, DIAG_ERROR, p->f->name, 0, 0, "out of memory while reading JSON");
    return -ENOMEM;
}

/* What stands at offset i, for messages: "end of file", "'x'", "byte 0xff". */
static const char *describe(const struct jparser *p, size_t i, char *out, size_t cap)
{
    if (i >= p->n)
        return "end of file";
    unsigned char c = p->s[i];
    size_t len = utf8_len(p->s + i, p->n - i);
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, cap, "'%c'", c);
    else if (len > 1)
        snprintf(out, cap, "'%.*s'", (int)len, (const char *)p->s + i);
    else
        snprintf(out, cap, "byte 0x%02x", c);
    return out;
}

static bool is_comment(const struct jparser *p, size_t i)
{
    return i < p->n && (p->s[i] == '#' || (p->s[i] == '/' && i + 1 < p->n &&
                                           (p->s[i + 1] == '/' || p->s[i + 1] == '*')));
}

/* Does an unquoted word (a YAML plain scalar, a JavaScript name) start with c? */
static bool word_start(unsigned char c)
{
    return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$';
}

/* End of a run of text that is not JSON syntax (an unquoted word), for messages. */
static size_t word_end(const struct jparser *p, size_t i)
{
    while (i < p->n && !strchr(" \t\r\n,:[]{}\"'", p->s[i]) && p->s[i] >= 0x20)
        i++;
    return i;
}

static int tok(struct jparser *p, size_t start, int kind)
{
    struct nix_file *f = p->f;
    if (f->ntoks + 1 >= f->captoks &&
        nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, f->captoks * 2 + 1024) < 0)
        return oom(p);
    f->toks[f->ntoks++] = (struct nix_token){(uint32_t)start, (uint8_t)kind};
    return 0;
}

static int ws(struct jparser *p)
{
    size_t i = p->i;
    while (i < p->n) {
        unsigned char c = p->s[i];
        if (c == '\n') {
            p->line++;
            p->lstart = i + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            break;
        }
        i++;
    }
    int r = i > p->i ? tok(p, p->i, T_WS) : 0;
    p->i = i;
    return r;
}

static struct nix_ivalue *new_value(struct jparser *p, enum nix_kind kind)
{
    struct nix_ivalue *v = nix_arena_alloc(p->a, sizeof *v);
    if (!v)
        return NULL;
    memset(v, 0, sizeof *v);
    v->pub.kind = kind;
    v->file = p->f;
    v->json = true;
    v->js.vs = (uint32_t)p->i;
    v->node = v->lit = NIX_NONE;
    if (p->depth) { /* the member's key, read before it */
        struct jframe *fr = &p->st[p->depth - 1];
        if (fr->v->pub.kind == NIX_ATTRS) {
            v->pub.name = fr->key;
            v->js.ks = (uint32_t)fr->ks;
            v->js.ke = (uint32_t)fr->ke;
        }
    }
    return v;
}

/* Check the escape at s[j] == '\\' of the string opened at `open`; *adv: its length. */
static int check_escape(struct jparser *p, size_t j, size_t *adv)
{
    const unsigned char *s = p->s;
    if (j + 1 >= p->n)
        return fail(p, j, "unterminated string; expected an escape and a closing '\"'");
    unsigned char e = s[j + 1];
    if (strchr("\"\\/bfnrt", e) && e) {
        *adv = 2;
        return 0;
    }
    if (e != 'u') {
        char d[16];
        return fail(p, j, "invalid escape '\\' followed by %s; expected one of \\\" \\\\ \\/ \\b "
                    "\\f \\n \\r \\t \\uXXXX", describe(p, j + 1, d, sizeof d));
    }
    unsigned cp[2] = {0, 0};
    size_t k = 0;
    for (; k < 2; k++) {
        size_t at = j + 6 * k;
        if (k == 1 && !(at + 1 < p->n && s[at] == '\\' && s[at + 1] == 'u'))
            break;
        for (size_t h = 0; h < 4; h++) {
            unsigned char c = at + 2 + h < p->n ? s[at + 2 + h] : 0;
            unsigned v = c >= '0' && c <= '9' ? c - '0'
                         : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : 16;
            if (v == 16)
                return fail(p, at, "invalid escape '\\u%.*s'; expected four hex digits after \\u",
                            (int)(h + (c >= 0x20 && c < 0x7f && c != '"')), (const char *)s + at + 2);
            cp[k] = cp[k] << 4 | v;
        }
        if (k == 0 && (cp[0] < 0xd800 || cp[0] > 0xdbff))
            break;
    }
    if (cp[0] == 0)
        return fail(p, j, "'\\u0000' (NUL) in a string; expected text without NUL characters "
                    "(they cannot be represented)");
    if (cp[0] >= 0xdc00 && cp[0] <= 0xdfff)
        return fail(p, j, "lone low surrogate '\\u%.4s'; expected a high surrogate "
                    "\\ud800-\\udbff before it", (const char *)s + j + 2);
    if (cp[0] >= 0xd800 && cp[0] <= 0xdbff && (k < 2 || cp[1] < 0xdc00 || cp[1] > 0xdfff))
        return fail(p, j, "lone high surrogate '\\u%.4s'; expected a low surrogate "
                    "\\udc00-\\udfff right after it", (const char *)s + j + 2);
    *adv = cp[0] >= 0xd800 && cp[0] <= 0xdbff ? 12 : 6;
    return 0;
}

static unsigned hex4(const unsigned char *s)
{
    unsigned v = 0;
    for (int h = 0; h < 4; h++) {
        unsigned c = s[h] | 0x20;
        v = v << 4 | (c <= '9' ? c - '0' : c - 'a' + 10);
    }
    return v;
}

/* Decode the checked content [cs, ce) of a string with escapes into p->sb. */
static void decode(struct jparser *p, size_t cs, size_t ce)
{
    const unsigned char *s = p->s;
    buf_reset(&p->sb);
    size_t run = cs;
    for (size_t j = cs; j < ce;) {
        if (s[j] != '\\') {
            j++;
            continue;
        }
        buf_append(&p->sb, s + run, j - run);
        unsigned char e = s[j + 1];
        if (e == 'u') {
            uint32_t cp = hex4(s + j + 2);
            j += 6;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(s + j + 2) - 0xdc00);
                j += 6;
            }
            utf8_put(&p->sb, cp);
        } else {
            const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
            buf_putc(&p->sb, to[strchr(from, e) - from]);
            j += 2;
        }
        run = j;
    }
    buf_append(&p->sb, s + run, ce - run);
}

/* The string at p->i: tokens, decoded value (in the tree's arena) and its end. */
static int scan_string(struct jparser *p, char **out)
{
    const unsigned char *s = p->s;
    size_t open = p->i, j = open + 1;
    bool esc = false;
    int r;
    for (;;) {
        if (j >= p->n) {
            unsigned l = p->line, c = (unsigned)(open - p->lstart + 1);
            return fail(p, j, "unterminated string (opened at %u:%u); expected a closing '\"'",
                        l, c);
        }
        unsigned char c = s[j];
        if (c == '"')
            break;
        if (c == '\\') {
            size_t adv = 0;
            if ((r = check_escape(p, j, &adv)) < 0)
                return r;
            esc = true;
            j += adv;
        } else if (c >= 0x80) {
            size_t len = utf8_len(s + j, p->n - j);
            if (!len)
                return fail(p, j, "byte 0x%02x is not UTF-8; expected UTF-8 text", c);
            j += len;
        } else if (c < 0x20) {
            if (c == '\n' || c == '\r')
                return fail(p, j, "line break inside a string; expected \\n (or the closing "
                            "'\"' before the line ends)");
            return fail(p, j, "control character U+%04X inside a string; expected it escaped "
                        "as \\u%04x", c, c);
        } else {
            j++;
        }
    }
    if ((r = tok(p, open, T_DQUOTE_OPEN)) < 0 ||
        (j > open + 1 && (r = tok(p, open + 1, T_STR_TEXT)) < 0) ||
        (r = tok(p, j, T_DQUOTE_CLOSE)) < 0)
        return r;
    if (esc) {
        decode(p, open + 1, j);
        *out = p->sb.p ? nix_arena_strndup(p->a, p->sb.p, p->sb.len) : NULL;
    } else {
        *out = nix_arena_strndup(p->a, (const char *)s + open + 1, j - open - 1);
    }
    if (!*out)
        return oom(p);
    p->i = j + 1;
    return 0;
}

/* Does a value or a key end at i (so `truex` or `1a` is one unknown word)? */
static bool delimited(const struct jparser *p, size_t i)
{
    return i >= p->n || strchr(" \t\r\n,:]}[{\"", p->s[i]);
}

static int scan_number(struct jparser *p, struct nix_ivalue *v)
{
    const unsigned char *s = p->s;
    size_t i = p->i, n = p->n;
    bool neg = false, frac = false;
    if (s[i] == '-')
        neg = true, i++;
    size_t ds = i;
    bool ok = i < n && s[i] >= '0' && s[i] <= '9';
    if (ok && s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    size_t de = i;
    if (ok && i < n && s[i] == '.') {
        frac = true;
        size_t k = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        ok = i > k;
    }
    if (ok && i < n && (s[i] == 'e' || s[i] == 'E')) {
        frac = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t k = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        ok = i > k;
    }
    if (!ok || !delimited(p, i)) {
        size_t e = word_end(p, p->i);
        if (e == p->i + 1 && s[p->i] == '-')
            return fail(p, p->i, "'-' without digits; expected %s", VALUE_EXPECTED);
        return fail(p, p->i, "invalid number '%.*s'; expected a number as JSON writes it "
                    "(-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)",
                    (int)(e - p->i > 40 ? 40 : e - p->i), (const char *)s + p->i);
    }
    v->js.ve = (uint32_t)i;
    if (!frac) {
        uint64_t x = 0, lim = neg ? UINT64_C(9223372036854775808) : UINT64_C(9223372036854775807);
        bool fits = true;
        for (size_t k = ds; k < de && fits; k++) {
            unsigned d = s[k] - '0';
            if (x > (lim - d) / 10)
                fits = false;
            else
                x = x * 10 + d;
        }
        if (fits) {
            v->pub.kind = NIX_INT;
            v->pub.ival = neg ? (int64_t)(0 - x) : (int64_t)x;
            int r = tok(p, p->i, T_INT);
            p->i = i;
            return r;
        }
    }
    v->pub.kind = NIX_FLOAT;
    v->pub.str = nix_arena_strndup(p->a, (const char *)s + p->i, i - p->i);
    if (!v->pub.str)
        return oom(p);
    if (!p->cloc && !(p->cloc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0)))
        return oom(p);
    v->pub.fval = strtod_l(v->pub.str, NULL, p->cloc);
    int r = tok(p, p->i, frac ? T_FLOAT : T_INT);
    p->i = i;
    return r;
}

/* A value at p->i that is not an object or array. */
static int scan_scalar(struct jparser *p, struct nix_ivalue *v)
{
    const unsigned char *s = p->s;
    size_t i = p->i;
    unsigned char c = s[i];
    char d[16];
    if (c == '"') {
        v->pub.kind = NIX_STRING;
        int r = scan_string(p, &v->pub.str);
        v->js.ve = (uint32_t)p->i;
        return r;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return scan_number(p, v);
    static const char *const lits[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lits[k]);
        if (p->n - i >= l && !memcmp(s + i, lits[k], l) && delimited(p, i + l)) {
            v->pub.kind = k == 2 ? NIX_NULL : NIX_BOOL;
            v->pub.bval = k == 0;
            v->js.ve = (uint32_t)i + l;
            p->i = i + l;
            return tok(p, i, T_ID);
        }
    }
    if (c == '\'')
        return fail(p, i, "single-quoted string; expected a string in double quotes");
    if (is_comment(p, i))
        return fail(p, i, "comment; expected %s (JSON has no comments)", VALUE_EXPECTED);
    size_t e = word_end(p, i);
    if (e > i && word_start(c))
        return fail(p, i, "unquoted text '%.*s'; expected %s", (int)(e - i > 40 ? 40 : e - i),
                    (const char *)s + i, VALUE_EXPECTED);
    if (c == '.' || c == '+')
        return fail(p, i, "invalid number '%.*s'; expected a number as JSON writes it "
                    "(-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?)",
                    (int)(e - i > 40 ? 40 : e - i), (const char *)s + i);
    if (c >= 0x80 && !utf8_len(s + i, p->n - i))
        return fail(p, i, "byte 0x%02x is not UTF-8; expected UTF-8 text", c);
    return fail(p, i, "unexpected %s; expected %s", describe(p, i, d, sizeof d), VALUE_EXPECTED);
}

/* A member's key and its ':' (p->i is at the key, after whitespace). */
static int scan_key(struct jparser *p)
{
    struct jframe *fr = &p->st[p->depth - 1];
    size_t i = p->i;
    char d[16];
    if (i >= p->n || p->s[i] != '"') {
        if (i < p->n && p->s[i] == '\'')
            return fail(p, i, "single-quoted key; expected a key in double quotes");
        if (is_comment(p, i))
            return fail(p, i, "comment; expected a key in double quotes (JSON has no comments)");
        size_t e = word_end(p, i);
        if (e > i && word_start(p->s[i]))
            return fail(p, i, "unquoted key '%.*s'; expected a key in double quotes",
                        (int)(e - i > 40 ? 40 : e - i), (const char *)p->s + i);
        return fail(p, i, "unexpected %s; expected a key in double quotes",
                    describe(p, i, d, sizeof d));
    }
    fr->ks = i;
    int r = scan_string(p, &fr->key);
    if (r < 0)
        return r;
    fr->ke = p->i;
    if ((r = ws(p)) < 0)
        return r;
    if (p->i >= p->n || p->s[p->i] != ':')
        return fail(p, p->i, "unexpected %s; expected ':' after the key",
                    describe(p, p->i, d, sizeof d));
    if ((r = tok(p, p->i, T_COLON)) < 0)
        return r;
    p->i++;
    return ws(p);
}

static int push_pending(struct jparser *p, struct nix_ivalue *v)
{
    if (p->npend == p->cappend) {
        size_t nc = p->cappend ? p->cappend * 2 : 256;
        struct nix_ivalue **np = realloc(p->pend, nc * sizeof *np);
        if (!np)
            return oom(p);
        p->pend = np;
        p->cappend = nc;
    }
    p->pend[p->npend++] = v;
    return 0;
}

/* Open the object or array v at p->i ('{' or '['). */
static int open_container(struct jparser *p, struct nix_ivalue *v)
{
    if (p->depth == NIX_MAX_DEPTH)
        return fail(p, p->i, "nesting deeper than %d levels; expected at most %d nested "
                    "objects and arrays", NIX_MAX_DEPTH, NIX_MAX_DEPTH);
    if (p->depth == p->stcap) {
        size_t nc = p->stcap ? p->stcap * 2 : 32;
        struct jframe *ns = realloc(p->st, nc * sizeof *ns);
        if (!ns)
            return oom(p);
        p->st = ns;
        p->stcap = nc;
    }
    p->st[p->depth++] = (struct jframe){.v = v, .first = p->npend};
    int r = tok(p, p->i, v->pub.kind == NIX_ATTRS ? T_LBRACE : T_LBRACK);
    p->i++;
    return r;
}

/* Close the object or array on top at p->i ('}' or ']'): its children, name index and
 * duplicate check. */
static int close_container(struct jparser *p, struct nix_ivalue **done)
{
    struct jframe *fr = &p->st[--p->depth];
    struct nix_ivalue *v = fr->v;
    int r = tok(p, p->i, v->pub.kind == NIX_ATTRS ? T_RBRACE : T_RBRACK);
    if (r < 0)
        return r;
    p->i++;
    v->js.ve = (uint32_t)p->i;
    size_t n = p->npend - fr->first;
    if (n) {
        struct nix_value **ch = nix_arena_alloc(p->a, n * sizeof *ch);
        if (!ch)
            return oom(p);
        for (size_t k = 0; k < n; k++) {
            ch[k] = &p->pend[fr->first + k]->pub;
            ch[k]->parent = &v->pub;
        }
        v->pub.children = ch;
        v->pub.nchildren = v->capchildren = n;
    }
    p->npend = fr->first;
    if (v->pub.kind == NIX_ATTRS && n) {
        size_t cap = nix_tree_index_cap(n);
        if (cap) {
            uint32_t *t = nix_arena_alloc(p->a, cap * sizeof *t);
            if (!t)
                return oom(p);
            nix_tree_index(v, t, cap);
        }
        /* the index (or the scan) finds the first member of a name */
        for (size_t k = 0; k < n; k++) {
            const struct nix_value *c = v->pub.children[k];
            const struct nix_value *first = nix_value_get(&v->pub, c->name);
            if (first != c) {
                size_t kl = nix_key_end(c) - nix_key_start(c);
                return fail(p, nix_key_start(c), "duplicate key %.*s%s (first at %u:%u); expected "
                            "each key once in an object", (int)(kl > 60 ? 60 : kl),
                            (const char *)p->s + nix_key_start(c), kl > 60 ? "..." : "",
                            nix_key_line(first), nix_key_col(first));
            }
        }
    }
    *done = v;
    return 0;
}

/* After a value inside the object or array on top: ',' and the next one, or its end. */
static int after_value(struct jparser *p, bool *want_value, struct nix_ivalue **done)
{
    struct jframe *fr = &p->st[p->depth - 1];
    bool obj = fr->v->pub.kind == NIX_ATTRS;
    char close = obj ? '}' : ']';
    const char *what = obj ? "object" : "array";
    char d[16];
    int r;
    if ((r = ws(p)) < 0)
        return r;
    size_t i = p->i;
    if (i < p->n && p->s[i] == ',') {
        if ((r = tok(p, i, T_COMMA)) < 0)
            return r;
        p->i++;
        if ((r = ws(p)) < 0)
            return r;
        if (p->i < p->n && p->s[p->i] == close)
            return fail(p, i, "trailing comma before '%c'; expected another %s", close,
                        obj ? "member (a key in double quotes)" : "element");
        *want_value = true;
        return obj ? scan_key(p) : 0;
    }
    if (i < p->n && p->s[i] == close)
        return close_container(p, done);
    if (is_comment(p, i))
        return fail(p, i, "comment; expected ',' or '%c' (JSON has no comments)", close);
    if (i >= p->n)
        return fail(p, i, "unexpected end of file; expected ',' or '%c' (the %s opened at "
                    "%u:%u is not closed)", close, what, nix_val_line(&fr->v->pub),
                    nix_val_col(&fr->v->pub));
    return fail(p, i, "unexpected %s; expected ',' or '%c'", describe(p, i, d, sizeof d), close);
}

static int parse_doc(struct jparser *p, struct nix_ivalue **root)
{
    int r;
    char d[16];
    if (p->n >= 3 && !memcmp(p->s, "\xef\xbb\xbf", 3))
        return fail(p, 0, "byte order mark (U+FEFF); expected the document without one (JSON "
                    "text must not start with a BOM)");
    if ((r = ws(p)) < 0)
        return r;
    if (p->i >= p->n)
        return fail(p, p->i, "empty document; expected %s", VALUE_EXPECTED);
    bool want_value = true;
    struct nix_ivalue *done = NULL;
    for (;;) {
        if (want_value) {
            if (p->i >= p->n)
                return fail(p, p->i, "unexpected end of file; expected %s", VALUE_EXPECTED);
            struct nix_ivalue *v = new_value(p, NIX_NULL);
            if (!v)
                return oom(p);
            unsigned char c = p->s[p->i];
            if (c == '{' || c == '[') {
                v->pub.kind = c == '{' ? NIX_ATTRS : NIX_LIST;
                if ((r = open_container(p, v)) < 0 || (r = ws(p)) < 0)
                    return r;
                if (p->i < p->n && p->s[p->i] == (c == '{' ? '}' : ']')) {
                    if ((r = close_container(p, &done)) < 0)
                        return r;
                    want_value = false;
                } else if (c == '{' && (r = scan_key(p)) < 0) {
                    return r;
                }
                continue;
            }
            if ((r = scan_scalar(p, v)) < 0)
                return r;
            done = v;
            want_value = false;
            continue;
        }
        /* `done` is complete */
        if (!p->depth)
            break;
        if ((r = push_pending(p, done)) < 0 || (r = after_value(p, &want_value, &done)) < 0)
            return r;
    }
    *root = done;
    if ((r = ws(p)) < 0)
        return r;
    if (p->i < p->n) {
        if (is_comment(p, p->i))
            return fail(p, p->i, "comment after the document; expected the end of the file "
                        "(JSON has no comments)");
        return fail(p, p->i, "unexpected %s after the document; expected the end of the file "
                    "(a JSON file holds one value)", describe(p, p->i, d, sizeof d));
    }
    return 0;
}

/* An empty JSON file holding a copy of text: 0, -EFBIG or -ENOMEM. */
static int new_file(const char *name, const char *text, size_t len, struct nix_file **out)
{
    *out = NULL;
    if (len >= UINT32_MAX - 1) /* offsets are 32-bit */
        return -EFBIG;
    struct nix_file *f = calloc(1, sizeof *f);
    *out = f;
    if (!f || !(f->name = strdup(name ? name : "<input>")) ||
        nix_big_grow((void **)&f->text, &f->captext, 1, len + 1) < 0 ||
        nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, len / 3 + 16) < 0 ||
        nix_big_grow((void **)&f->nodes, &f->capnodes, sizeof *f->nodes, 1) < 0)
        return -ENOMEM;
    memcpy(f->text, text, len);
    f->text[len] = 0;
    f->len = len;
    f->arena.first = f->tree_arena.first = nix_arena_first_for(len);
    return 0;
}

int nix_file_from_json(const char *name, const char *text, size_t len, struct nix_file **out,
                       struct diag_list *diags)
{
    struct nix_file *f = NULL;
    struct nix_ivalue *root = NULL;
    struct jparser p = {.n = len, .line = 1, .diags = diags};
    int r = new_file(name, text, len, &f);
    if (r < 0) {
        if (r == -EFBIG)
            diag_list_add(diags, DIAG_ERROR, name, 0, 0, "file too large (%zu bytes); "
                          "expected less than 4 GiB", len);
        else
            diag_list_add(diags, DIAG_ERROR, name, 0, 0, "out of memory reading %zu bytes "
                          "of JSON", len);
        goto out;
    }
    p.f = f;
    p.a = &f->tree_arena;
    p.s = (const unsigned char *)f->text;
    if ((r = parse_doc(&p, &root)) < 0 || (r = tok(&p, len, T_EOF)) < 0)
        goto out;
    f->toks[f->ntoks] = (struct nix_token){(uint32_t)len, T_EOF}; /* the sentinel */
    f->nodes[0] = (struct nix_node){.kind = N_ROOT, .flags = JSON_ROOT, .tok_start = 0,
                                    .tok_end = (uint32_t)f->ntoks, .first_child = NIX_NONE,
                                    .last_child = NIX_NONE, .next_sibling = NIX_NONE};
    f->nnodes = 1;
    f->root = 0;
    f->expr = NIX_NONE;
    f->tree = root;
    f->tree_built = true;
out:
    free(p.st);
    free(p.pend);
    buf_free(&p.sb);
    if (p.cloc)
        freelocale(p.cloc);
    if (r < 0) {
        nix_file_free(f);
        return r;
    }
    *out = f;
    return 0;
}

/* ---- edits ---- */

struct span {
    const char *p;
    size_t n;
};

static size_t line_start(const struct nix_file *f, size_t off)
{
    while (off > 0 && f->text[off - 1] != '\n')
        off--;
    return off;
}

/* The spaces and tabs that start the line holding off (up to off). */
static struct span indent_of(const struct nix_file *f, size_t off)
{
    size_t s = line_start(f, off), e = s;
    while (e < off && (f->text[e] == ' ' || f->text[e] == '\t'))
        e++;
    return (struct span){f->text + s, e - s};
}

static bool starts_line(const struct nix_file *f, size_t off)
{
    return indent_of(f, off).n == off - line_start(f, off);
}

/* Where a member (its key) or an element begins. */
static size_t child_start(const struct nix_value *parent, const struct nix_value *c)
{
    return parent->kind == NIX_ATTRS ? nix_key_start(c) : nix_val_start(c);
}

/* An object or array whose members share the line of its opening bracket. */
static bool is_inline(const struct nix_file *f, const struct nix_value *v)
{
    return v->nchildren && !starts_line(f, child_start(v, v->children[0]));
}

static const char *eol_of(const struct nix_file *f)
{
    const char *nl = memchr(f->text, '\n', f->len);
    return nl && nl > f->text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The file's indentation step: how much deeper than its line the members of v (or of the
 * nearest container around it that has members on lines of their own) stand; 2 spaces if
 * none does. */
static struct span indent_unit(const struct nix_file *f, const struct nix_value *v)
{
    for (; v; v = v->parent) {
        if (!v->nchildren)
            continue;
        size_t cs = child_start(v, v->children[0]);
        if (!starts_line(f, cs))
            continue;
        struct span ci = indent_of(f, cs), pi = indent_of(f, nix_val_start(v));
        if (ci.n > pi.n && !memcmp(ci.p, pi.p, pi.n))
            return (struct span){ci.p + pi.n, ci.n - pi.n};
    }
    return (struct span){"  ", 2};
}

/* Writing values the way Clan's writer (Python's json.dumps) does: one member a line and
 * indented (pretty), or on one line with ", " and ": " between. */
struct jfmt {
    struct buf *b;
    bool pretty;
    const char *eol;
    struct span base, unit; /* the indentation of level 0, and of each level more */
    const struct nix_file *src; /* the text numbers and literals are copied from */
    bool bad_key;               /* a key was not UTF-8 */
};

static void put_newline(struct jfmt *o, size_t level)
{
    if (!o->pretty)
        return;
    buf_puts(o->b, o->eol);
    buf_append(o->b, o->base.p, o->base.n);
    for (size_t k = 0; k < level; k++)
        buf_append(o->b, o->unit.p, o->unit.n);
}

static void put_quoted(struct jfmt *o, const char *s)
{
    char *q = json_quote_string(s);
    if (!q) {
        o->bad_key = true;
        return;
    }
    buf_puts(o->b, q);
    free(q);
}

/* v at the given level (nesting is bounded by the parse of the value). */
static void put_value(struct jfmt *o, const struct nix_value *v, size_t level)
{
    if (v->kind == NIX_STRING) {
        put_quoted(o, v->str);
        return;
    }
    if (v->kind != NIX_ATTRS && v->kind != NIX_LIST) {
        buf_append(o->b, o->src->text + nix_val_start(v), nix_val_end(v) - nix_val_start(v));
        return;
    }
    bool obj = v->kind == NIX_ATTRS;
    buf_putc(o->b, obj ? '{' : '[');
    for (size_t k = 0; k < v->nchildren; k++) {
        if (k)
            buf_puts(o->b, o->pretty ? "," : ", ");
        put_newline(o, level + 1);
        if (obj) {
            put_quoted(o, v->children[k]->name);
            buf_puts(o->b, ": ");
        }
        put_value(o, v->children[k], level + 1);
    }
    if (v->nchildren)
        put_newline(o, level);
    buf_putc(o->b, obj ? '}' : ']');
}

/* `"k0": {"k1": ... v ...}` at the given level (nk > 0), or v alone (nk == 0). */
static void put_child(struct jfmt *o, const char *const *keys, size_t nk,
                      const struct nix_value *v, size_t level)
{
    for (size_t k = 0; k < nk; k++) {
        put_quoted(o, keys[k]);
        buf_puts(o->b, ": ");
        if (k + 1 < nk) {
            buf_putc(o->b, '{');
            put_newline(o, level + k + 1);
        }
    }
    put_value(o, v, level + (nk ? nk - 1 : 0));
    for (size_t k = nk ? nk - 1 : 0; k-- > 0;) {
        put_newline(o, level + k);
        buf_putc(o->b, '}');
    }
}

/* What a value is, in JSON's words. */
static const char *kind_name(enum nix_kind k)
{
    switch (k) {
    case NIX_ATTRS: return "an object";
    case NIX_LIST: return "an array";
    case NIX_STRING: return "a string";
    case NIX_BOOL: return "a boolean";
    case NIX_NULL: return "null";
    default: return "a number";
    }
}

/* One JSON edit in the making. */
struct jedit {
    struct nix_file *f;
    struct diag *d;
    struct nix_file *arg;         /* the given value, parsed */
    const struct nix_value *val;  /* its root */
    struct nix_edit ed;
};

static char *path_text(const char *const *path, size_t n)
{
    struct buf b = {0};
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(&b, '.');
        bool bare = path[i][0] != 0;
        for (const char *s = path[i]; *s && bare; s++)
            bare = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                   (*s >= '0' && *s <= '9') || *s == '_' || *s == '-';
        char *q = bare ? NULL : json_quote_string(path[i]);
        buf_puts(&b, bare ? path[i] : q ? q : "\"?\"");
        free(q);
    }
    if (!n)
        buf_puts(&b, "(the document)");
    return buf_steal(&b);
}

/* A refusal about path[0..n) at v's position. */
__attribute__((format(printf, 5, 6))) static int refuse(struct jedit *e,
                                                         const struct nix_value *v,
                                                         const char *const *path, size_t n,
                                                         const char *fmt, ...)
{
    char *ps = path_text(path, n), *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    diag_set(e->d, DIAG_ERROR, e->f->name, v ? nix_val_line(v) : 0, v ? nix_val_col(v) : 0,
             "'%s' %s", ps ? ps : "?", msg ? msg : "cannot be edited");
    free(ps);
    free(msg);
    return -EINVAL;
}

static int parse_arg(struct jedit *e, const char *json)
{
    struct diag_list dl = {0};
    nix_file_free(e->arg);
    e->arg = NULL;
    int r = nix_file_from_json("value", json, strlen(json), &e->arg, &dl);
    if (r < 0)
        diag_set(e->d, DIAG_ERROR, e->f->name, 0, 0, "'%.60s%s' is not valid JSON (%u:%u: %s)",
                 json, strlen(json) > 60 ? "..." : "", dl.n ? dl.v[0].line : 0,
                 dl.n ? dl.v[0].col : 0, dl.n ? dl.v[0].msg : "out of memory");
    diag_list_free(&dl);
    e->val = r < 0 ? NULL : nix_file_root(e->arg);
    return r;
}

static int begin(struct jedit *e, struct nix_file *f, const char *json, struct diag *d)
{
    memset(e, 0, sizeof *e);
    e->f = f;
    e->d = d;
    if (!nix_file_is_json(f))
        return diag_set(d, DIAG_ERROR, f ? f->name : NULL, 0, 0,
                        "not a JSON document; expected a file read by nix_file_from_json");
    return json ? parse_arg(e, json) : 0;
}

static int end(struct jedit *e, int r, struct nix_edit *out)
{
    nix_file_free(e->arg);
    if (r < 0)
        nix_edit_free(&e->ed);
    else
        *out = e->ed;
    return r;
}

static int add_patch(struct jedit *e, size_t start, size_t end_, struct buf *text)
{
    struct nix_edit *ed = &e->ed;
    struct nix_patch *v = realloc(ed->v, (ed->n + 1) * sizeof *v);
    char *t = buf_steal(text);
    if (!v || !t) {
        if (v)
            ed->v = v;
        free(t);
        return diag_set(e->d, DIAG_ERROR, e->f->name, 0, 0, "out of memory"), -ENOMEM;
    }
    ed->v = v;
    v[ed->n++] = (struct nix_patch){start, end_, t};
    return 0;
}

/* The deepest value along path (*k of its names lead to it). */
static const struct nix_value *walk(struct nix_file *f, const char *const *path, size_t n,
                                    size_t *k)
{
    const struct nix_value *cur = nix_file_root(f);
    size_t i = 0;
    for (; i < n; i++) {
        const struct nix_value *c = nix_value_get(cur, path[i]);
        if (!c)
            break;
        cur = c;
    }
    *k = i;
    return cur;
}

static int patch_with(struct jedit *e, struct jfmt *o, size_t start, size_t end_)
{
    if (o->bad_key) {
        buf_free(o->b);
        return diag_set(e->d, DIAG_ERROR, e->f->name, 0, 0,
                        "a key is not valid UTF-8; expected UTF-8 text"), -EINVAL;
    }
    return add_patch(e, start, end_, o->b);
}

/* Replace the value x by the given one. */
static int replace_value(struct jedit *e, const struct nix_value *x)
{
    const struct nix_file *f = e->f;
    const struct nix_value *p = x->parent;
    struct buf b = {0};
    struct jfmt o = {.b = &b, .eol = eol_of(f), .unit = indent_unit(f, x), .src = e->arg,
                     .pretty = !is_inline(f, p ? p : x),
                     .base = indent_of(f, p ? child_start(p, x) : nix_val_start(x))};
    put_value(&o, e->val, 0);
    return patch_with(e, &o, nix_val_start(x), nix_val_end(x));
}

/* Add the given value at the end of the object or array c: as the member keys[0] (holding
 * the objects keys[1..nk) around the value), or as an element (nk == 0). */
static int insert_child(struct jedit *e, const struct nix_value *c, const char *const *keys,
                        size_t nk)
{
    const struct nix_file *f = e->f;
    bool obj = c->kind == NIX_ATTRS;
    struct buf b = {0};
    struct jfmt o = {.b = &b, .eol = eol_of(f), .unit = indent_unit(f, c), .src = e->arg};
    if (!c->nchildren) {
        o.pretty = !c->parent || !is_inline(f, c->parent);
        o.base = indent_of(f, nix_val_start(c));
        buf_putc(&b, obj ? '{' : '[');
        put_newline(&o, 1);
        put_child(&o, keys, nk, e->val, 1);
        put_newline(&o, 0);
        buf_putc(&b, obj ? '}' : ']');
        return patch_with(e, &o, nix_val_start(c), nix_val_end(c));
    }
    const struct nix_value *last = c->children[c->nchildren - 1];
    o.pretty = !is_inline(f, c);
    o.base = indent_of(f, child_start(c, last));
    buf_puts(&b, o.pretty ? "," : ", ");
    put_newline(&o, 0);
    put_child(&o, keys, nk, e->val, 0);
    return patch_with(e, &o, nix_val_end(last), nix_val_end(last));
}

/* Remove child i of c with the comma and the line break that go with it. */
static int remove_child(struct jedit *e, const struct nix_value *c, size_t i)
{
    struct buf b = {0};
    const struct nix_value *x = c->children[i];
    if (c->nchildren == 1) {
        buf_puts(&b, c->kind == NIX_ATTRS ? "{}" : "[]");
        return add_patch(e, nix_val_start(c), nix_val_end(c), &b);
    }
    buf_puts(&b, "");
    if (i + 1 == c->nchildren)
        return add_patch(e, nix_val_end(c->children[i - 1]), nix_val_end(x), &b);
    return add_patch(e, child_start(c, x), child_start(c, c->children[i + 1]), &b);
}

/* Equal as JSON values: strings decoded, numbers by value, members in any order. */
static bool json_equal(const struct nix_value *a, const struct nix_value *b)
{
    bool an = a->kind == NIX_INT || a->kind == NIX_FLOAT;
    bool bn = b->kind == NIX_INT || b->kind == NIX_FLOAT;
    if (an && bn) {
        if (a->kind == NIX_INT && b->kind == NIX_INT)
            return a->ival == b->ival;
        double x = a->kind == NIX_INT ? (double)a->ival : a->fval;
        double y = b->kind == NIX_INT ? (double)b->ival : b->fval;
        return x == y;
    }
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case NIX_STRING: return !strcmp(a->str, b->str);
    case NIX_BOOL: return a->bval == b->bval;
    case NIX_NULL: return true;
    case NIX_LIST:
    case NIX_ATTRS:
        if (a->nchildren != b->nchildren)
            return false;
        for (size_t k = 0; k < a->nchildren; k++) {
            const struct nix_value *y = a->kind == NIX_LIST ? b->children[k]
                                                            : nix_value_get(b, a->children[k]->name);
            if (!y || !json_equal(a->children[k], y))
                return false;
        }
        return true;
    default: return false;
    }
}

enum jcheck { J_SET, J_GONE, J_APPENDED, J_REMOVED, J_REPLACED };

/* Re-parse the patched text and check that path reads back as the edit meant; the parse
 * becomes the edit's result. */
static int finish(struct jedit *e, const char *const *path, size_t n, enum jcheck what,
                  size_t count, size_t index)
{
    char *txt;
    size_t len;
    if (nix_edit_apply(e->f, &e->ed, &txt, &len) < 0)
        return diag_set(e->d, DIAG_ERROR, e->f->name, 0, 0, "out of memory"), -ENOMEM;
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    int r = nix_file_from_json(e->f->name, txt, len, &g, &dl);
    free(txt);
    if (r < 0) {
        diag_set(e->d, DIAG_ERROR, e->f->name, dl.n ? dl.v[0].line : 0, dl.n ? dl.v[0].col : 0,
                 "refused: the edited text would not be valid JSON (%s)",
                 dl.n ? dl.v[0].msg : "out of memory");
        diag_list_free(&dl);
        return r;
    }
    diag_list_free(&dl);
    const struct nix_value *v = nix_value_lookup(nix_file_root(g), path, n);
    bool list = v && v->kind == NIX_LIST, ok;
    switch (what) {
    case J_SET: ok = v && json_equal(v, e->val); break;
    case J_GONE: ok = !v; break;
    case J_APPENDED: ok = list && v->nchildren == count && json_equal(v->children[count - 1], e->val); break;
    case J_REMOVED: ok = list && v->nchildren == count; break;
    default: ok = list && v->nchildren == count && json_equal(v->children[index], e->val); break;
    }
    if (!ok) {
        nix_file_free(g);
        return refuse(e, NULL, path, n, "would not read back as the edit means; refused");
    }
    nix_file_free(e->ed.result);
    e->ed.result = g;
    e->ed.local = false;
    return 0;
}

int json_edit_set(struct nix_file *f, const char *const *path, size_t n, const char *json,
                  struct nix_edit *out, struct diag *d)
{
    struct jedit e;
    int r = begin(&e, f, json, d);
    if (r < 0)
        return end(&e, r, out);
    size_t k;
    const struct nix_value *x = walk(f, path, n, &k);
    if (k == n)
        r = replace_value(&e, x);
    else if (x->kind != NIX_ATTRS)
        r = refuse(&e, x, path, k, "is %s; expected an object to hold the member '%s'",
                   kind_name(x->kind), path[k]);
    else
        r = insert_child(&e, x, path + k, n - k);
    if (r == 0)
        r = finish(&e, path, n, J_SET, 0, 0);
    return end(&e, r, out);
}

int json_edit_delete(struct nix_file *f, const char *const *path, size_t n,
                     struct nix_edit *out, struct diag *d)
{
    struct jedit e;
    int r = begin(&e, f, NULL, d);
    if (r < 0)
        return end(&e, r, out);
    size_t k;
    const struct nix_value *x = walk(f, path, n, &k);
    if (n == 0)
        r = refuse(&e, x, path, n, "cannot be deleted; expected the path of a member");
    else if (k < n)
        r = refuse(&e, x, path, n, "does not exist; expected a member to delete"), r = -ENOENT;
    if (r == 0) {
        const struct nix_value *p = x->parent;
        size_t i = 0;
        while (p->children[i] != x)
            i++;
        r = remove_child(&e, p, i);
    }
    if (r == 0)
        r = finish(&e, path, n, J_GONE, 0, 0);
    return end(&e, r, out);
}

/* begin, and the array at path: *list (NULL when path does not exist -- refused when need --
 * with *k names leading to *deepest). */
static int begin_array(struct jedit *e, struct nix_file *f, const char *const *path, size_t n,
                       const char *json, struct diag *d, bool need, const struct nix_value **list,
                       const struct nix_value **deepest, size_t *k)
{
    int r = begin(e, f, json, d);
    if (r < 0)
        return r;
    const struct nix_value *x = walk(e->f, path, n, k);
    *deepest = x;
    *list = *k == n ? x : NULL;
    if (*list && x->kind != NIX_LIST)
        return refuse(e, x, path, n, "is %s; expected an array", kind_name(x->kind));
    if (!*list && need)
        return refuse(e, x, path, n, "does not exist; expected an array"), -ENOENT;
    return 0;
}

int json_edit_list_append(struct nix_file *f, const char *const *path, size_t n,
                          const char *json, struct nix_edit *out, struct diag *d)
{
    struct jedit e;
    const struct nix_value *l, *x;
    size_t k;
    int r = begin_array(&e, f, path, n, json, d, false, &l, &x, &k);
    if (r < 0)
        return end(&e, r, out);
    if (l) {
        r = insert_child(&e, l, NULL, 0);
        if (r == 0)
            r = finish(&e, path, n, J_APPENDED, l->nchildren + 1, 0);
        return end(&e, r, out);
    }
    if (x->kind != NIX_ATTRS)
        return end(&e, refuse(&e, x, path, k, "is %s; expected an object to hold the array '%s'",
                              kind_name(x->kind), path[k]), out);
    /* a new array of one element */
    struct buf b = {0};
    buf_printf(&b, "[%s]", json);
    r = b.p ? parse_arg(&e, b.p) : -ENOMEM;
    buf_free(&b);
    if (r == 0)
        r = insert_child(&e, x, path + k, n - k);
    if (r == 0)
        r = finish(&e, path, n, J_SET, 0, 0);
    return end(&e, r, out);
}

int json_edit_list_remove(struct nix_file *f, const char *const *path, size_t n,
                          const char *json, struct nix_edit *out, struct diag *d)
{
    struct jedit e;
    const struct nix_value *l, *x;
    size_t k;
    int r = begin_array(&e, f, path, n, json, d, true, &l, &x, &k);
    if (r < 0)
        return end(&e, r, out);
    size_t i = 0;
    while (i < l->nchildren && !json_equal(l->children[i], e.val))
        i++;
    if (i == l->nchildren)
        r = refuse(&e, l, path, n, "has no element %.60s%s; expected one to remove", json,
                   strlen(json) > 60 ? "..." : ""), r = -ENOENT;
    else
        r = remove_child(&e, l, i);
    if (r == 0)
        r = finish(&e, path, n, J_REMOVED, l->nchildren - 1, 0);
    return end(&e, r, out);
}

int json_edit_list_replace(struct nix_file *f, const char *const *path, size_t n, size_t index,
                           const char *json, struct nix_edit *out, struct diag *d)
{
    struct jedit e;
    const struct nix_value *l, *x;
    size_t k;
    int r = begin_array(&e, f, path, n, json, d, true, &l, &x, &k);
    if (r == 0 && index >= l->nchildren)
        r = refuse(&e, l, path, n, "has %zu elements; expected an index below that, not %zu",
                   l->nchildren, index);
    if (r == 0)
        r = replace_value(&e, l->children[index]);
    if (r == 0)
        r = finish(&e, path, n, J_REPLACED, l->nchildren, index);
    return end(&e, r, out);
}
