/* borg's exclude pattern styles, prepared as borg/patterns.py prepares them and matched
 * by simulating the pattern as an automaton over code points (linear in the path for
 * every token, no backtracking, so no pattern can make a match take exponential time). */
#include "core/borgpattern.h"

#include <errno.h>
#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

enum tok_kind {
    TOK_LIT,        /* one code point */
    TOK_ANY,        /* fm '?': any code point */
    TOK_ANY_NOSEP,  /* sh '?': any but '/' */
    TOK_STAR,       /* fm '*': anything */
    TOK_STAR_NOSEP, /* sh '*': anything without '/' */
    TOK_DIRS,       /* sh '**' + '/': nothing, or anything that ends in '/' */
    TOK_CLASS,      /* [...] */
};

struct range {
    uint32_t lo, hi;
};

struct tok {
    enum tok_kind kind;
    uint32_t cp;          /* TOK_LIT */
    bool negate;          /* TOK_CLASS */
    struct range *ranges; /* TOK_CLASS */
    size_t nranges;
};

struct borg_pattern {
    enum borg_pattern_style style;
    char *prepared;
    struct tok *toks;
    size_t ntoks;
    regex_t re;
    bool has_re;
};

const char *borg_pattern_style_name(enum borg_pattern_style s)
{
    static const char *const names[] = {"fm", "sh", "re", "pp", "pf"};
    return (unsigned)s < 5 ? names[s] : "?";
}

enum borg_pattern_style borg_pattern_style(const struct borg_pattern *p)
{
    return p->style;
}

const char *borg_pattern_prepared(const struct borg_pattern *p)
{
    return p->prepared;
}

void borg_pattern_free(struct borg_pattern *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ntoks; i++)
        free(p->toks[i].ranges);
    free(p->toks);
    if (p->has_re)
        regfree(&p->re);
    free(p->prepared);
    free(p);
}

/* ---- code points (Python strings; undecodable bytes become U+DC80.. as with
 * surrogateescape, so they only ever equal themselves) ---- */

static size_t decode_one(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xe0) == 0xc0) {
        len = 2, v = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        len = 3, v = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        goto bad;
    }
    if (len > n)
        goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            goto bad;
        v = v << 6 | (s[i] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        goto bad;
    *cp = v;
    return len;
bad:
    *cp = 0xdc00 + c;
    return 1;
}

static uint32_t *decode(const char *s, size_t *n)
{
    size_t len = strlen(s);
    uint32_t *v = malloc((len + 1) * sizeof(*v));
    if (!v)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < len;)
        i += decode_one((const unsigned char *)s + i, len - i, &v[k++]);
    *n = k;
    return v;
}

/* ---- normpath ---- */

char *borg_normpath(const char *s)
{
    size_t len = strlen(s);
    int initial = 0;
    if (s[0] == '/')
        initial = s[1] == '/' && s[2] != '/' ? 2 : 1;
    /* components as (start, length) pairs */
    size_t *comp = malloc((len / 2 + 2) * 2 * sizeof(*comp));
    char *out = malloc(len + 3);
    if (!comp || !out) {
        free(comp);
        free(out);
        return NULL;
    }
    size_t nc = 0;
    for (size_t i = 0; i <= len;) {
        size_t e = i;
        while (e < len && s[e] != '/')
            e++;
        size_t cl = e - i;
        const char *c = s + i;
        if (cl == 0 || (cl == 1 && c[0] == '.')) {
            /* skip */
        } else if (cl == 2 && c[0] == '.' && c[1] == '.' &&
                   !((!initial && nc == 0) ||
                     (nc && comp[2 * (nc - 1) + 1] == 2 && !memcmp(s + comp[2 * (nc - 1)], "..", 2)))) {
            if (nc)
                nc--;
        } else {
            comp[2 * nc] = i;
            comp[2 * nc + 1] = cl;
            nc++;
        }
        i = e + 1;
    }
    size_t o = 0;
    for (int k = 0; k < initial; k++)
        out[o++] = '/';
    for (size_t k = 0; k < nc; k++) {
        if (k)
            out[o++] = '/';
        memcpy(out + o, s + comp[2 * k], comp[2 * k + 1]);
        o += comp[2 * k + 1];
    }
    if (!o)
        out[o++] = '.';
    out[o] = 0;
    free(comp);
    return out;
}

/* ---- compiling fm: and sh: patterns to tokens ---- */

static int push_tok(struct borg_pattern *p, size_t *cap, struct tok t)
{
    if (p->ntoks == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        struct tok *v = realloc(p->toks, nc * sizeof(*v));
        if (!v)
            return -ENOMEM;
        p->toks = v;
        *cap = nc;
    }
    p->toks[p->ntoks++] = t;
    return 0;
}

/* [...] starting after the '['; returns the index after ']' or 0 when there is no
 * closing bracket (then '[' is literal, as in fnmatch). */
static size_t parse_class(const uint32_t *c, size_t n, size_t i, struct tok *t)
{
    size_t j = i;
    if (j < n && c[j] == '!')
        j++;
    if (j < n && c[j] == ']')
        j++;
    while (j < n && c[j] != ']')
        j++;
    if (j >= n)
        return 0;
    size_t k = i;
    t->kind = TOK_CLASS;
    t->negate = false;
    t->nranges = 0;
    t->ranges = NULL;
    if (c[k] == '!') {
        t->negate = true;
        k++;
    }
    t->ranges = malloc((j - k + 1) * sizeof(*t->ranges));
    if (!t->ranges)
        return (size_t)-1;
    while (k < j) {
        if (k + 2 < j && c[k + 1] == '-') {
            t->ranges[t->nranges++] = (struct range){c[k], c[k + 2]}; /* lo > hi: empty */
            k += 3;
        } else {
            t->ranges[t->nranges++] = (struct range){c[k], c[k]};
            k++;
        }
    }
    return j + 1;
}

static int compile_glob(struct borg_pattern *p, bool shell)
{
    size_t n, cap = 0;
    uint32_t *c = decode(p->prepared, &n);
    if (!c)
        return -ENOMEM;
    int r = 0;
    for (size_t i = 0; i < n && r == 0;) {
        struct tok t = {.kind = TOK_LIT, .cp = c[i]};
        if (c[i] == '*') {
            if (shell && i + 2 < n && c[i + 1] == '*' && c[i + 2] == '/') {
                t.kind = TOK_DIRS;
                i += 3;
            } else {
                t.kind = shell ? TOK_STAR_NOSEP : TOK_STAR;
                i++;
                /* consecutive stars of fnmatch are one star */
                if (!shell && p->ntoks && p->toks[p->ntoks - 1].kind == TOK_STAR)
                    continue;
            }
        } else if (c[i] == '?') {
            t.kind = shell ? TOK_ANY_NOSEP : TOK_ANY;
            i++;
        } else if (c[i] == '[') {
            size_t e = parse_class(c, n, i + 1, &t);
            if (e == (size_t)-1) {
                r = -ENOMEM;
                break;
            }
            if (e == 0) {
                t.kind = TOK_LIT;
                i++;
            } else {
                i = e;
            }
        } else {
            i++;
        }
        if (push_tok(p, &cap, t) < 0) {
            free(t.ranges);
            r = -ENOMEM;
        }
    }
    free(c);
    return r;
}

/* Refuse what POSIX would read differently from Python's re, and what makes glibc's
 * regcomp/regexec blow up (stacked quantifiers duplicate the tree each time, large
 * bounds copy it, backreferences backtrack): an error is honest, a hang is not. */
#define REGEX_MAX_BOUND 100
static int check_regex(const char *s, struct diag *d, unsigned col0, struct buf *out)
{
    bool prev_quant = false;
    size_t copied = 0; /* s[copied..i) still to be copied to out */
    for (size_t i = 0; s[i]; i++) {
        unsigned col = col0 + (unsigned)i;
        char c = s[i];
        if (c == '\\' && s[i + 1]) {
            if (strchr("dDAZ", s[i + 1]))
                return diag_set(d, DIAG_ERROR, NULL, 1, col,
                                "'\\%c' is Python regular expression syntax that this tester "
                                "does not know; expected a POSIX extended expression (e.g. "
                                "[0-9] for \\d)", s[i + 1]);
            if (s[i + 1] >= '1' && s[i + 1] <= '9')
                return diag_set(d, DIAG_ERROR, NULL, 1, col,
                                "backreferences ('\\%c') are not supported by this tester", s[i + 1]);
            i++;
            prev_quant = false;
        } else if (c == '[') { /* a bracket expression: its characters are literal */
            size_t j = i + 1;
            if (s[j] == '^')
                j++;
            if (s[j] == ']')
                j++;
            while (s[j] && s[j] != ']') {
                if (s[j] == '[' && (s[j + 1] == ':' || s[j + 1] == '.' || s[j + 1] == '='))
                    return diag_set(d, DIAG_ERROR, NULL, 1, col0 + (unsigned)j,
                                    "'[%c' inside brackets is a POSIX class that Python's re (borg) "
                                    "reads as plain characters; expected e.g. [0-9] for [[:digit:]]",
                                    s[j + 1]);
                j++;
            }
            if (!s[j])
                break; /* unterminated: regcomp reports it */
            i = j;
            prev_quant = false;
        } else if (c == '(' && s[i + 1] == '?') {
            return diag_set(d, DIAG_ERROR, NULL, 1, col,
                            "'(?' groups are Python regular expression syntax that this tester "
                            "does not know; expected a POSIX extended expression");
        } else if (c == '*' || c == '+' || c == '?' || c == '{') {
            size_t end = i;
            if (c == '{') { /* {n}, {n,}, {n,m}; anything else is a literal brace */
                size_t j = i + 1;
                unsigned long lo = 0, hi = 0;
                bool digits = false;
                while (s[j] >= '0' && s[j] <= '9') {
                    lo = lo * 10 + (unsigned long)(s[j++] - '0');
                    digits = true;
                    if (lo > 100000)
                        lo = 100000;
                }
                hi = lo;
                if (s[j] == ',') {
                    j++;
                    hi = 0;
                    while (s[j] >= '0' && s[j] <= '9') {
                        hi = hi * 10 + (unsigned long)(s[j++] - '0');
                        if (hi > 100000)
                            hi = 100000;
                    }
                }
                if (!digits || s[j] != '}') { /* Python: a literal brace; POSIX needs \{ */
                    if (buf_append(out, s + copied, i - copied) < 0 || buf_puts(out, "\\{") < 0)
                        return -ENOMEM;
                    copied = i + 1;
                    prev_quant = false;
                    continue;
                }
                if (lo > REGEX_MAX_BOUND || hi > REGEX_MAX_BOUND)
                    return diag_set(d, DIAG_ERROR, NULL, 1, col,
                                    "repetition counts above %d are not supported by this tester",
                                    REGEX_MAX_BOUND);
                end = j;
            }
            if (prev_quant)
                return diag_set(d, DIAG_ERROR, NULL, 1, col,
                                c == '?' ? "lazy quantifiers ('*?', '+?') are Python regular expression "
                                           "syntax that this tester does not know; expected a POSIX "
                                           "extended expression"
                                : c == '+' ? "possessive quantifiers ('*+', '++') are not supported by "
                                             "this tester"
                                           : "multiple repeat: a quantifier cannot follow another "
                                             "(Python refuses it too)");
            prev_quant = true;
            i = end;
        } else {
            prev_quant = false;
        }
    }
    if (buf_puts(out, s + copied) < 0)
        return -ENOMEM;
    return 0;
}

static bool isalnum_ascii(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int borg_pattern_parse(const char *text, struct borg_pattern **out, struct diag *d)
{
    struct borg_pattern *p = calloc(1, sizeof(*p));
    if (!p)
        return diag_errno(d, -ENOMEM, NULL, "out of memory");
    const char *pat = text;
    unsigned col0 = 1;
    p->style = BORG_PATTERN_FM;
    if (strlen(text) > 2 && text[2] == ':' && isalnum_ascii(text[0]) && isalnum_ascii(text[1])) {
        static const char *const styles[] = {"fm", "sh", "re", "pp", "pf"};
        int s = -1;
        for (int k = 0; k < 5; k++)
            if (!strncmp(text, styles[k], 2))
                s = k;
        if (s < 0) {
            free(p);
            return diag_set(d, DIAG_ERROR, NULL, 1, 1,
                            "unknown pattern style '%.2s:'; expected fm:, sh:, re:, pp: or pf: "
                            "(or no prefix for fm:)", text);
        }
        p->style = (enum borg_pattern_style)s;
        pat = text + 3;
        col0 = 4;
    }
    int r = 0;
    char *norm = NULL;
    struct buf b = {0};
    size_t plen = strlen(pat);
    switch (p->style) {
    case BORG_PATTERN_RE: {
        r = check_regex(pat, d, col0, &b);
        if (r == -ENOMEM)
            diag_errno(d, r, NULL, "out of memory");
        if (r < 0)
            break;
        int rc = regcomp(&p->re, b.p ? b.p : "", REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[256];
            regerror(rc, &p->re, msg, sizeof(msg));
            r = diag_set(d, DIAG_ERROR, NULL, 1, col0, "invalid regular expression: %s", msg);
            break;
        }
        p->has_re = true;
        p->prepared = strdup(pat);
        break;
    }
    case BORG_PATTERN_PF:
        norm = borg_normpath(pat);
        if (norm) {
            const char *s = norm;
            while (*s == '/')
                s++;
            p->prepared = strdup(s);
        }
        break;
    case BORG_PATTERN_PP:
    case BORG_PATTERN_FM:
    case BORG_PATTERN_SH:
        norm = borg_normpath(pat);
        if (!norm)
            break;
        {
            size_t nl = strlen(norm);
            bool dir = plen && pat[plen - 1] == '/';
            if (p->style == BORG_PATTERN_PP || dir) /* rstrip('/') */
                while (nl && norm[nl - 1] == '/')
                    nl--;
            if (buf_append(&b, norm, nl) < 0)
                break;
            if (p->style == BORG_PATTERN_PP)
                r = buf_puts(&b, "/");
            else if (p->style == BORG_PATTERN_FM)
                r = buf_puts(&b, dir ? "/*/" : "/*");
            else
                r = buf_puts(&b, dir ? "/**/*/" : "/**/*");
            if (r < 0)
                break;
            const char *s = b.p;
            while (*s == '/')
                s++;
            p->prepared = strdup(s);
        }
        break;
    }
    free(norm);
    buf_free(&b);
    if (r == 0 && !p->prepared)
        r = diag_errno(d, -ENOMEM, NULL, "out of memory");
    if (r == 0 && (p->style == BORG_PATTERN_FM || p->style == BORG_PATTERN_SH)) {
        r = compile_glob(p, p->style == BORG_PATTERN_SH);
        if (r < 0)
            diag_errno(d, r, NULL, "out of memory");
    }
    if (r < 0) {
        borg_pattern_free(p);
        return r;
    }
    *out = p;
    return 0;
}

/* ---- matching ---- */

static bool class_has(const struct tok *t, uint32_t cp)
{
    bool in = false;
    for (size_t i = 0; i < t->nranges && !in; i++)
        in = t->ranges[i].lo <= cp && cp <= t->ranges[i].hi;
    return in != t->negate;
}

/* Does the whole of s[0..n) match the tokens? One set of reachable positions per step. */
static bool glob_match(const struct borg_pattern *p, const uint32_t *s, size_t n)
{
    bool *cur = calloc(n + 1, 1), *nxt = calloc(n + 1, 1);
    bool ok = false;
    if (!cur || !nxt)
        goto out;
    cur[0] = true;
    for (size_t k = 0; k < p->ntoks; k++) {
        const struct tok *t = &p->toks[k];
        memset(nxt, 0, n + 1);
        bool any = false, run = false;
        for (size_t i = 0; i <= n; i++) {
            switch (t->kind) {
            case TOK_LIT:
                if (cur[i] && i < n && s[i] == t->cp)
                    nxt[i + 1] = true;
                break;
            case TOK_ANY:
                if (cur[i] && i < n)
                    nxt[i + 1] = true;
                break;
            case TOK_ANY_NOSEP:
                if (cur[i] && i < n && s[i] != '/')
                    nxt[i + 1] = true;
                break;
            case TOK_CLASS:
                if (cur[i] && i < n && class_has(t, s[i]))
                    nxt[i + 1] = true;
                break;
            case TOK_STAR:
                run = run || cur[i];
                nxt[i] = run;
                break;
            case TOK_STAR_NOSEP:
                run = run || cur[i];
                nxt[i] = run;
                if (i < n && s[i] == '/')
                    run = false;
                break;
            case TOK_DIRS:
                if (cur[i] || (run && i > 0 && s[i - 1] == '/'))
                    nxt[i] = true;
                run = run || cur[i];
                break;
            }
        }
        for (size_t i = 0; i <= n; i++)
            any = any || nxt[i];
        bool *tmp = cur;
        cur = nxt;
        nxt = tmp;
        if (!any)
            goto out;
    }
    ok = cur[n];
out:
    free(cur);
    free(nxt);
    return ok;
}

bool borg_pattern_match(const struct borg_pattern *p, const char *path)
{
    while (*path == '/')
        path++;
    switch (p->style) {
    case BORG_PATTERN_RE:
        return regexec(&p->re, path, 0, NULL, 0) == 0;
    case BORG_PATTERN_PF:
        return !strcmp(path, p->prepared);
    case BORG_PATTERN_PP: {
        size_t pl = strlen(path), ql = strlen(p->prepared);
        /* (path + "/").startswith(prepared) */
        if (ql <= pl)
            return !memcmp(path, p->prepared, ql);
        return ql == pl + 1 && !memcmp(path, p->prepared, pl) && p->prepared[pl] == '/';
    }
    case BORG_PATTERN_FM:
    case BORG_PATTERN_SH: {
        /* borg matches path + "/" */
        size_t len = strlen(path);
        char *s = malloc(len + 2);
        if (!s)
            return false;
        memcpy(s, path, len);
        s[len] = '/';
        s[len + 1] = 0;
        size_t n;
        uint32_t *cp = decode(s, &n);
        free(s);
        if (!cp)
            return false;
        bool m = glob_match(p, cp, n);
        free(cp);
        return m;
    }
    }
    return false;
}
