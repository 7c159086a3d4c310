/* The Nix lexer (as Nix 2.8's flex lexer: longest match, rule order on ties, a stack of
 * start conditions). Trivia are tokens, so the tokens cover every byte of the input. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

enum lex_state { S_INITIAL, S_DEFAULT, S_STRING, S_IND, S_INPATH, S_INPATH_SLASH };

enum {
    C_PATH = 1,   /* [a-zA-Z0-9._+-] */
    C_IDSTART = 2, /* [a-zA-Z_] */
    C_ID = 4,     /* [a-zA-Z0-9_'-] */
    C_SCHEME = 8, /* [a-zA-Z0-9+.-] */
    C_URI = 16,   /* [a-zA-Z0-9%/?:@&=+$,_.!~*'-] */
    C_DIGIT = 32,
    C_WS = 64,    /* [ \t\r\n] */
    C_ALPHA = 128,
};

static const uint8_t cls[256] = {
#define ALNUM (C_PATH | C_ID | C_SCHEME | C_URI)
    [' '] = C_WS, ['\t'] = C_WS, ['\r'] = C_WS, ['\n'] = C_WS,
    ['0' ... '9'] = ALNUM | C_DIGIT,
    ['a' ... 'z'] = ALNUM | C_IDSTART | C_ALPHA,
    ['A' ... 'Z'] = ALNUM | C_IDSTART | C_ALPHA,
    ['_'] = C_PATH | C_IDSTART | C_ID | C_URI,
    ['.'] = C_PATH | C_SCHEME | C_URI,
    ['+'] = C_PATH | C_SCHEME | C_URI,
    ['-'] = C_PATH | C_ID | C_SCHEME | C_URI,
    ['\''] = C_ID | C_URI,
    ['%'] = C_URI, ['/'] = C_URI, ['?'] = C_URI, [':'] = C_URI, ['@'] = C_URI,
    ['&'] = C_URI, ['='] = C_URI, ['$'] = C_URI, [','] = C_URI, ['!'] = C_URI,
    ['~'] = C_URI, ['*'] = C_URI,
#undef ALNUM
};

/* Bytes that end a run of plain text inside "...": the quote, escapes, ${ and the NUL
 * (after the text, or inside it: looked at one by one). */
static const uint8_t str_stop[256] = {[0] = 1, ['"'] = 1, ['\\'] = 1, ['$'] = 1};

struct lexer {
    struct nix_file *f;
    const unsigned char *s;
    size_t n;
    uint8_t *stack;
    size_t sp, cap;
    size_t end; /* where the last token pushed ends */
    struct diag_list *diags;
};

static inline int push_tok(struct lexer *lx, int kind, size_t start, size_t len)
{
    struct nix_file *f = lx->f;
    if (f->ntoks == f->captoks &&
        nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, f->captoks * 2 + 1024) < 0)
        return -ENOMEM;
    f->toks[f->ntoks++] = (struct nix_token){(uint32_t)start, (uint8_t)kind};
    lx->end = start + len;
    return 0;
}

static int push_state(struct lexer *lx, uint8_t st)
{
    if (lx->sp == lx->cap) {
        size_t nc = lx->cap * 2;
        uint8_t *ns = realloc(lx->stack, nc);
        if (!ns)
            return -ENOMEM;
        lx->stack = ns;
        lx->cap = nc;
    }
    lx->stack[lx->sp++] = st;
    return 0;
}

static inline uint8_t top(const struct lexer *lx) { return lx->stack[lx->sp - 1]; }
static inline void pop(struct lexer *lx)
{
    if (lx->sp > 1)
        lx->sp--;
}

/* ---- regex matchers: return the match length at i, 0 for no match ---- */

/* The text ends with a NUL (nix_parse adds it), which is in no class: no bound check. */
static inline size_t run(const struct lexer *lx, size_t i, uint8_t c)
{
    const unsigned char *s = lx->s + i, *q = s;
    while (cls[*q] & c)
        q++;
    return (size_t)(q - s);
}

/* PATH: {PATH_CHAR}*(\/{PATH_CHAR}+)+\/?   (pre = length of the leading PATH_CHAR run) */
static size_t match_path_from(const struct lexer *lx, size_t i, size_t pre)
{
    size_t j = i + pre;
    bool seg = false;
    while (j + 1 < lx->n && lx->s[j] == '/' && (cls[lx->s[j + 1]] & C_PATH)) {
        j += 1 + run(lx, j + 1, C_PATH);
        seg = true;
    }
    if (!seg)
        return 0;
    if (j < lx->n && lx->s[j] == '/')
        j++;
    return j - i;
}

/* {PATH_CHAR}*\/\$\{ : returns the length of the part before ${ (0 if no match) */
static size_t match_pathseg_dollar(const struct lexer *lx, size_t i, size_t pre)
{
    size_t j = i + pre;
    if (j + 2 < lx->n && lx->s[j] == '/' && lx->s[j + 1] == '$' && lx->s[j + 2] == '{')
        return j + 1 - i;
    return 0;
}

/* URI: [a-zA-Z][a-zA-Z0-9+.-]*:[uri chars]+ */
static size_t match_uri(const struct lexer *lx, size_t i)
{
    if (!(cls[lx->s[i]] & C_ALPHA))
        return 0;
    size_t j = i + 1 + run(lx, i + 1, C_SCHEME);
    if (j >= lx->n || lx->s[j] != ':')
        return 0;
    size_t r = run(lx, j + 1, C_URI);
    return r ? j + 1 + r - i : 0;
}

/* FLOAT: (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)? */
static size_t match_float(const struct lexer *lx, size_t i)
{
    const unsigned char *s = lx->s;
    size_t n = lx->n, j = i;
    if (s[j] >= '1' && s[j] <= '9') {
        j += run(lx, j, C_DIGIT);
        if (j >= n || s[j] != '.')
            return 0;
        j++;
        j += run(lx, j, C_DIGIT);
    } else {
        if (s[j] == '0')
            j++;
        if (j >= n || s[j] != '.')
            return 0;
        j++;
        size_t d = run(lx, j, C_DIGIT);
        if (!d)
            return 0;
        j += d;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < n && (s[k] == '+' || s[k] == '-'))
            k++;
        size_t d = run(lx, k, C_DIGIT);
        if (d)
            j = k + d;
    }
    return j - i;
}

static int keyword(const unsigned char *s, size_t n)
{
    switch (n) {
    case 2:
        if (s[0] == 'i' && s[1] == 'f') return T_IF;
        if (s[0] == 'i' && s[1] == 'n') return T_IN;
        if (s[0] == 'o' && s[1] == 'r') return T_OR_KW;
        break;
    case 3:
        if (!memcmp(s, "let", 3)) return T_LET;
        if (!memcmp(s, "rec", 3)) return T_REC;
        break;
    case 4:
        if (!memcmp(s, "then", 4)) return T_THEN;
        if (!memcmp(s, "else", 4)) return T_ELSE;
        if (!memcmp(s, "with", 4)) return T_WITH;
        break;
    case 6:
        if (!memcmp(s, "assert", 6)) return T_ASSERT;
        break;
    case 7:
        if (!memcmp(s, "inherit", 7)) return T_INHERIT;
        break;
    }
    return T_ID;
}

bool nix_is_keyword(const char *s, size_t n)
{
    return keyword((const unsigned char *)s, n) != T_ID;
}

/* One token in DEFAULT/INITIAL state. */
static int lex_default(struct lexer *lx, size_t i)
{
    const unsigned char *s = lx->s;
    size_t n = lx->n;
    unsigned char c = s[i];
    unsigned char c1 = i + 1 < n ? s[i + 1] : 0;
    int kind = T_UNKNOWN;
    size_t len = 1;
    int st = -1; /* state to push after the token */

    if (cls[c] & C_WS)
        return push_tok(lx, T_WS, i, run(lx, i, C_WS));
    if (c == '#') {
        size_t j = i + 1;
        while (j < n && s[j] != '\n' && s[j] != '\r')
            j++;
        return push_tok(lx, T_LINE_COMMENT, i, j - i);
    }
    if (c == '/' && c1 == '*' && i + 2 < n) {
        const unsigned char *e = memmem(s + i + 2, n - i - 2, "*/", 2);
        if (e)
            return push_tok(lx, T_BLOCK_COMMENT, i, (size_t)(e + 2 - (s + i)));
    }

    /* fixed tokens (keywords come from the ID branch) */
    switch (c) {
    case '.':
        if (c1 == '.' && i + 2 < n && s[i + 2] == '.') kind = T_ELLIPSIS, len = 3;
        else kind = T_DOT;
        break;
    case '=': if (c1 == '=') kind = T_EQ, len = 2; else kind = T_ASSIGN; break;
    case '!': if (c1 == '=') kind = T_NEQ, len = 2; else kind = T_NOT; break;
    case '<': if (c1 == '=') kind = T_LEQ, len = 2; else kind = T_LT; break;
    case '>': if (c1 == '=') kind = T_GEQ, len = 2; else kind = T_GT; break;
    case '&': if (c1 == '&') kind = T_AND, len = 2; break;
    case '|': if (c1 == '|') kind = T_OR, len = 2; break;
    case '-': if (c1 == '>') kind = T_IMPL, len = 2; else kind = T_MINUS; break;
    case '/': if (c1 == '/') kind = T_UPDATE, len = 2; else kind = T_SLASH; break;
    case '+': if (c1 == '+') kind = T_CONCAT, len = 2; else kind = T_PLUS; break;
    case '$': if (c1 == '{') kind = T_DOLLAR_CURLY, len = 2, st = S_DEFAULT; break;
    case '{': kind = T_LBRACE; st = S_DEFAULT; break;
    case '}': kind = T_RBRACE; break;
    case '[': kind = T_LBRACK; break;
    case ']': kind = T_RBRACK; break;
    case '(': kind = T_LPAREN; break;
    case ')': kind = T_RPAREN; break;
    case ';': kind = T_SEMI; break;
    case ':': kind = T_COLON; break;
    case ',': kind = T_COMMA; break;
    case '?': kind = T_QUESTION; break;
    case '@': kind = T_AT; break;
    case '*': kind = T_STAR; break;
    case '"': kind = T_DQUOTE_OPEN; st = S_STRING; break;
    case '\'':
        if (c1 == '\'') {
            size_t j = i + 2;
            while (j < n && s[j] == ' ')
                j++;
            kind = T_IND_OPEN;
            st = S_IND;
            len = (j < n && s[j] == '\n') ? j + 1 - i : 2;
        }
        break;
    default:
        break;
    }
    /* The candidates that can be longer: ID, INT, FLOAT, PATH_SEG${, PATH, HPATH, SPATH, URI.
     * A candidate replaces the current one only when strictly longer (rule order). */
    bool path_char = cls[c] & C_PATH;
    if (cls[c] & C_IDSTART) {
        /* fast path: an identifier or keyword not followed by a character that could
         * make it a path or URI ('/', '.', '+', ':') is just that */
        size_t l = 1 + run(lx, i + 1, C_ID);
        unsigned char d = i + l < n ? s[i + l] : 0;
        if (d != '/' && d != '.' && d != '+' && d != ':')
            return push_tok(lx, keyword(s + i, l), i, l);
    } else if (cls[c] & C_DIGIT) {
        size_t l = run(lx, i, C_DIGIT);
        unsigned char d = i + l < n ? s[i + l] : 0;
        if (!(cls[d] & C_PATH) && d != '/')
            return push_tok(lx, T_INT, i, l);
    }
    if (cls[c] & C_IDSTART) {
        size_t l = 1 + run(lx, i + 1, C_ID);
        if (l > len || kind == T_UNKNOWN) {
            kind = keyword(s + i, l);
            len = l;
            st = -1;
        }
    } else if (cls[c] & C_DIGIT) {
        size_t l = run(lx, i, C_DIGIT);
        if (l > len || kind == T_UNKNOWN)
            kind = T_INT, len = l, st = -1;
    }
    if (c == '.' || (cls[c] & C_DIGIT)) {
        size_t l = match_float(lx, i);
        if (l > len)
            kind = T_FLOAT, len = l, st = -1;
    }
    if (path_char || c == '/') {
        size_t pre = path_char ? run(lx, i, C_PATH) : 0;
        if (i + pre < n && s[i + pre] == '/') {
            size_t l = match_pathseg_dollar(lx, i, pre);
            if (l && l + 2 > len) {
                kind = T_PATH, len = l, st = S_INPATH_SLASH;
            } else {
                l = match_path_from(lx, i, pre);
                if (l > len)
                    kind = T_PATH, len = l, st = s[i + l - 1] == '/' ? S_INPATH_SLASH : S_INPATH;
            }
        }
    }
    if (c == '~' && c1 == '/') {
        if (i + 3 < n && s[i + 2] == '$' && s[i + 3] == '{') {
            kind = T_HPATH, len = 2, st = S_INPATH_SLASH;
        } else {
            size_t l = match_path_from(lx, i + 1, 0);
            if (l && l + 1 > len)
                kind = T_HPATH, len = l + 1, st = s[i + l] == '/' ? S_INPATH_SLASH : S_INPATH;
        }
    }
    if (c == '<' && i + 1 < n && (cls[c1] & C_PATH)) {
        size_t j = i + 1 + run(lx, i + 1, C_PATH);
        while (j + 1 < n && s[j] == '/' && (cls[s[j + 1]] & C_PATH))
            j += 1 + run(lx, j + 1, C_PATH);
        if (j < n && s[j] == '>' && j + 1 - i > len)
            kind = T_SPATH, len = j + 1 - i, st = -1;
    }
    if (cls[c] & C_ALPHA) {
        size_t l = match_uri(lx, i);
        if (l > len)
            kind = T_URI, len = l, st = -1;
    }

    int r = push_tok(lx, kind, i, len);
    if (r < 0)
        return r;
    if (kind == T_RBRACE) {
        if (top(lx) != S_INITIAL)
            pop(lx);
    } else if (st >= 0) {
        r = push_state(lx, (uint8_t)st);
    }
    return r;
}

/* The commonest tokens of DEFAULT state in one tight loop, each exactly as lex_default
 * lexes it: whitespace, identifiers and keywords that no path or URI extends, and
 * punctuation that no longer match can
 * start. Stops before anything else, and after a token that leaves DEFAULT state; *pi
 * moves past what was lexed. Returns 0 or -ENOMEM. */
static int lex_common(struct lexer *lx, size_t *pi)
{
    const unsigned char *s = lx->s;
    size_t i = *pi;
    int r = 0;
    for (;;) {
        unsigned char c = s[i];
        int kind;
        size_t len = 1;
        if (cls[c] & C_WS) {
            /* indentation: eight spaces at a time */
            const unsigned char *q = s + i + 1, *e = s + lx->n;
            while (e - q >= 8 && !memcmp(q, "        ", 8))
                q += 8;
            kind = T_WS;
            len = (size_t)(q - (s + i)) + run(lx, (size_t)(q - s), C_WS);
        } else if (cls[c] & C_IDSTART) {
            len = 1 + run(lx, i + 1, C_ID);
            unsigned char d = s[i + len]; /* the text ends with a NUL */
            if (d == '/' || d == ':')
                break;
            if (d == '.' || d == '+') {
                /* a longer path or URI needs a '/' or ':' right after the run of path
                 * characters (URI scheme characters are path characters): a.b.c is
                 * the identifier a */
                size_t pre = run(lx, i, C_PATH);
                if (s[i + pre] == '/' || s[i + pre] == ':')
                    break;
            }
            kind = keyword(s + i, len);
        } else {
            switch (c) {
            case ';': kind = T_SEMI; break;
            case '[': kind = T_LBRACK; break;
            case ']': kind = T_RBRACK; break;
            case '(': kind = T_LPAREN; break;
            case ')': kind = T_RPAREN; break;
            case ',': kind = T_COMMA; break;
            case '@': kind = T_AT; break;
            case '?': kind = T_QUESTION; break;
            case ':': kind = T_COLON; break;
            case '.':
                /* unless a float (.5) or a path (./a, .a/b) is longer: '.' or '...' */
                if (cls[s[i + 1]] & C_DIGIT)
                    goto out;
                if (s[i + run(lx, i, C_PATH)] == '/')
                    goto out;
                if (s[i + 1] == '.' && s[i + 2] == '.')
                    kind = T_ELLIPSIS, len = 3;
                else
                    kind = T_DOT;
                break;
            case '=':
                if (s[i + 1] == '=')
                    kind = T_EQ, len = 2;
                else
                    kind = T_ASSIGN;
                break;
            case '{': kind = T_LBRACE; break;
            case '}': kind = T_RBRACE; break;
            case '"': {
                /* a string without escapes or interpolation: its three tokens at once */
                size_t j = i + 1;
                while (!str_stop[s[j]])
                    j++;
                if (s[j] != '"') {
                    kind = T_DQUOTE_OPEN; /* the rest in STRING state */
                    break;
                }
                if ((r = push_tok(lx, T_DQUOTE_OPEN, i, 1)) < 0 ||
                    (j > i + 1 && (r = push_tok(lx, T_STR_TEXT, i + 1, j - i - 1)) < 0) ||
                    (r = push_tok(lx, T_DQUOTE_CLOSE, j, 1)) < 0)
                    goto out;
                i = j + 1;
                continue;
            }
            default: goto out;
            }
        }
        if ((r = push_tok(lx, kind, i, len)) < 0)
            goto out;
        i += len;
        if (kind == T_LBRACE) {
            if ((r = push_state(lx, S_DEFAULT)) < 0)
                goto out;
        } else if (kind == T_RBRACE) {
            if (top(lx) != S_INITIAL)
                pop(lx);
            if (top(lx) != S_DEFAULT && top(lx) != S_INITIAL)
                break;
        } else if (kind == T_DQUOTE_OPEN) {
            r = push_state(lx, S_STRING);
            break;
        }
    }
out:
    *pi = i;
    return r;
}

/* ${ inside a string: the interpolation is lexed in DEFAULT state until its '}'. */
static int open_interp(struct lexer *lx, size_t i)
{
    int r = push_tok(lx, T_DOLLAR_CURLY, i, 2);
    return r < 0 ? r : push_state(lx, S_DEFAULT);
}

/* Inside "...": text, ${ or the closing quote. */
static int lex_string(struct lexer *lx, size_t i)
{
    const unsigned char *s = lx->s;
    size_t n = lx->n;
    if (s[i] == '"') {
        pop(lx);
        return push_tok(lx, T_DQUOTE_CLOSE, i, 1);
    }
    if (s[i] == '$' && i + 1 < n && s[i + 1] == '{')
        return open_interp(lx, i);
    size_t j = i;
    while (j < n) {
        unsigned char c = s[j];
        if (c == '"')
            break;
        if (c == '\\') {
            j += j + 1 < n ? 2 : 1;
        } else if (c == '$') {
            unsigned char d = j + 1 < n ? s[j + 1] : 0;
            if (d == '{')
                break;
            if (d == '"' || j + 1 >= n)
                j++;
            else if (d == '\\')
                j += j + 2 < n ? 3 : 2;
            else
                j += 2;
        } else {
            j++;
            while (!str_stop[s[j]]) /* the text ends with a NUL */
                j++;
        }
    }
    return push_tok(lx, T_STR_TEXT, i, j - i);
}

/* Inside ''...'': text, escapes, ${ or the closing ''. */
static int lex_ind(struct lexer *lx, size_t i)
{
    const unsigned char *s = lx->s;
    size_t n = lx->n;
    if (s[i] == '\'' && i + 1 < n && s[i + 1] == '\'') {
        unsigned char d = i + 2 < n ? s[i + 2] : 0;
        if (i + 2 < n && (d == '$' || d == '\''))
            return push_tok(lx, T_IND_ESC, i, 3);
        if (i + 3 < n && d == '\\')
            return push_tok(lx, T_IND_ESC, i, 4);
        pop(lx);
        return push_tok(lx, T_IND_CLOSE, i, 2);
    }
    if (s[i] == '$' && i + 1 < n && s[i + 1] == '{')
        return open_interp(lx, i);
    size_t j = i;
    while (j < n) {
        unsigned char c = s[j];
        if (c == '\'') {
            if (j + 1 < n && s[j + 1] == '\'')
                break;
            j++;
        } else if (c == '$') {
            unsigned char d = j + 1 < n ? s[j + 1] : 0;
            if (d == '{')
                break;
            j += (j + 1 < n && d != '\'') ? 2 : 1;
        } else {
            const unsigned char *q = s + j + 1;
            /* fast skip of plain text */
            while (q < s + n && *q != '\'' && *q != '$')
                q++;
            j = (size_t)(q - s);
        }
    }
    return push_tok(lx, T_IND_TEXT, i, j - i);
}

/* After a path token: further pieces, ${, or the (zero-width) end of the path. */
static int lex_inpath(struct lexer *lx, size_t i)
{
    const unsigned char *s = lx->s;
    size_t n = lx->n;
    uint8_t st = top(lx);
    if (i + 1 < n && s[i] == '$' && s[i + 1] == '{') {
        pop(lx);
        int r = push_state(lx, S_INPATH);
        if (!r)
            r = push_tok(lx, T_DOLLAR_CURLY, i, 2);
        return r < 0 ? r : push_state(lx, S_DEFAULT);
    }
    size_t pre = i < n ? run(lx, i, C_PATH) : 0;
    size_t l = pre;
    if (i + pre < n && s[i + pre] == '/') {
        size_t lp = match_path_from(lx, i, pre);
        l = lp > pre + 1 ? lp : pre + 1;
    }
    if (l) {
        pop(lx);
        int r = push_state(lx, s[i + l - 1] == '/' ? S_INPATH_SLASH : S_INPATH);
        return r < 0 ? r : push_tok(lx, T_PATH_FRAG, i, l);
    }
    if (st == S_INPATH_SLASH) {
        unsigned line, col;
        nix_file_linecol(lx->f, i ? i - 1 : 0, &line, &col);
        lx->f->has_errors = true;
        if (diag_list_add(lx->diags, DIAG_ERROR, lx->f->name, line, col,
                          "path has a trailing slash; expected a path without a final '/'") < 0)
            return -ENOMEM;
    }
    pop(lx);
    return push_tok(lx, T_PATH_END, i, 0);
}

int nix_lex(struct nix_file *f, struct diag_list *diags)
{
    struct lexer lx = {.f = f, .s = (const unsigned char *)f->text, .n = f->len,
                       .diags = diags, .cap = 64};
    lx.stack = malloc(lx.cap);
    if (!lx.stack)
        return -ENOMEM;
    lx.stack[lx.sp++] = S_INITIAL;
    /* one allocation for typical input (about a token per 3.7 bytes in a clan.nix) */
    size_t guess = f->len / 3 + 16;
    if (nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, guess) < 0) {
        free(lx.stack);
        return -ENOMEM;
    }
    int r = 0;
    size_t i = 0;
    while (r == 0) {
        uint8_t st = top(&lx);
        if (st == S_DEFAULT || st == S_INITIAL) {
            if ((r = lex_common(&lx, &i)) < 0)
                break;
            st = top(&lx);
        }
        if (i >= lx.n && st != S_INPATH && st != S_INPATH_SLASH)
            break;
        size_t before = f->ntoks;
        if (lx.s[i] == 0 && (st == S_INITIAL || st == S_DEFAULT)) {
            /* Nix's lexer hands a NUL byte to the parser as the end of the input: the rest
             * of the file is ignored. It stays in the tree as the end-of-file token. */
            unsigned line, col;
            nix_file_linecol(f, i, &line, &col);
            if (diag_list_add(diags, DIAG_WARNING, f->name, line, col,
                              "NUL byte: Nix ignores everything from here to the end of "
                              "the file") < 0)
                r = -ENOMEM;
            break;
        }
        switch (st) {
        case S_STRING: r = lex_string(&lx, i); break;
        case S_IND: r = lex_ind(&lx, i); break;
        case S_INPATH:
        case S_INPATH_SLASH: r = lex_inpath(&lx, i); break;
        default: r = lex_default(&lx, i); break;
        }
        if (r == 0 && f->ntoks > before)
            i = lx.end;
    }
    if (r == 0)
        r = push_tok(&lx, T_EOF, i < lx.n ? i : lx.n, i < lx.n ? lx.n - i : 0);
    /* the sentinel: the end of the last token */
    if (r == 0 && f->ntoks == f->captoks &&
        nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, f->ntoks + 1) < 0)
        r = -ENOMEM;
    if (r == 0)
        f->toks[f->ntoks] = (struct nix_token){(uint32_t)lx.n, T_EOF};
    free(lx.stack);
    return r;
}

const char *nix_tok_name(int kind)
{
    static const char *const names[T__COUNT] = {
        [T_EOF] = "end of file", [T_WS] = "whitespace", [T_LINE_COMMENT] = "comment",
        [T_BLOCK_COMMENT] = "comment", [T_ID] = "identifier", [T_INT] = "integer",
        [T_FLOAT] = "float", [T_PATH] = "path", [T_HPATH] = "path", [T_SPATH] = "<path>",
        [T_URI] = "URI", [T_PATH_FRAG] = "path", [T_PATH_END] = "end of path",
        [T_DQUOTE_OPEN] = "'\"'", [T_DQUOTE_CLOSE] = "'\"'", [T_STR_TEXT] = "string text",
        [T_IND_OPEN] = "\"''\"", [T_IND_CLOSE] = "\"''\"", [T_IND_TEXT] = "string text",
        [T_IND_ESC] = "string escape", [T_DOLLAR_CURLY] = "'${'", [T_IF] = "'if'",
        [T_THEN] = "'then'", [T_ELSE] = "'else'", [T_ASSERT] = "'assert'",
        [T_WITH] = "'with'", [T_LET] = "'let'", [T_IN] = "'in'", [T_REC] = "'rec'",
        [T_INHERIT] = "'inherit'", [T_OR_KW] = "'or'", [T_ELLIPSIS] = "'...'",
        [T_EQ] = "'=='", [T_NEQ] = "'!='", [T_LEQ] = "'<='", [T_GEQ] = "'>='",
        [T_AND] = "'&&'", [T_OR] = "'||'", [T_IMPL] = "'->'", [T_UPDATE] = "'//'",
        [T_CONCAT] = "'++'", [T_LBRACE] = "'{'", [T_RBRACE] = "'}'", [T_LBRACK] = "'['",
        [T_RBRACK] = "']'", [T_LPAREN] = "'('", [T_RPAREN] = "')'", [T_SEMI] = "';'",
        [T_COLON] = "':'", [T_COMMA] = "','", [T_DOT] = "'.'", [T_ASSIGN] = "'='",
        [T_QUESTION] = "'?'", [T_AT] = "'@'", [T_NOT] = "'!'", [T_PLUS] = "'+'",
        [T_MINUS] = "'-'", [T_STAR] = "'*'", [T_SLASH] = "'/'", [T_LT] = "'<'",
        [T_GT] = "'>'", [T_UNKNOWN] = "character",
    };
    return kind >= 0 && kind < T__COUNT && names[kind] ? names[kind] : "token";
}
