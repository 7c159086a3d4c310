/* Decoding of string literals and attribute names; quoting of strings and keys. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

/* Nix's unescapeStr for the text of "...": \n \r \t, \X = X, raw CR and CRLF become LF. */
static void unescape_dq(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\' && i + 1 < n) {
            c = s[++i];
            buf_putc(b, c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
        } else if (c == '\r') {
            buf_putc(b, '\n');
            if (i + 1 < n && s[i + 1] == '\n')
                i++;
        } else {
            buf_putc(b, c);
        }
    }
}

static char *finish_buf(struct buf *b, struct nix_arena *a)
{
    char *r = nix_arena_strndup(a, b->p ? b->p : "", b->len);
    buf_free(b);
    return r;
}

bool nix_string_plain(const struct nix_file *f, uint32_t node, const char **s, size_t *n)
{
    const struct nix_node *nd = &f->nodes[node];
    if (nd->kind != N_STRING || nd->first_child != NIX_NONE)
        return false;
    const struct nix_token *text = NULL;
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++)
        if (f->toks[t].kind == T_STR_TEXT) {
            if (text)
                return false;
            text = &f->toks[t];
        }
    if (!text) {
        *s = "";
        *n = 0;
        return true;
    }
    const char *p = f->text + text->start;
    for (uint32_t i = 0; i < nix_tok_len(text); i++)
        if (p[i] == '\\' || p[i] == '\r' || p[i] == 0)
            return false;
    *s = p;
    *n = nix_tok_len(text);
    return true;
}

char *nix_decode_string(const struct nix_file *f, uint32_t node, struct nix_arena *a)
{
    const struct nix_node *nd = &f->nodes[node];
    if (nd->kind != N_STRING || nd->first_child != NIX_NONE)
        return NULL;
    const char *ps;
    size_t pn;
    if (nix_string_plain(f, node, &ps, &pn)) /* nothing to unescape: the text itself */
        return nix_arena_strndup(a, ps, pn);
    struct buf b = {0};
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++)
        if (f->toks[t].kind == T_STR_TEXT)
            unescape_dq(&b, f->text + f->toks[t].start, nix_tok_len(&f->toks[t]));
    return finish_buf(&b, a);
}

/* One piece of an indented string: text that counts for indentation, or not. */
struct ipart {
    const char *p;
    size_t l;
    bool indent;
    char tmp[2];
};

/* Nix's stripIndentation over the parts of an indented string without interpolation. */
char *nix_decode_indstring(const struct nix_file *f, uint32_t node, struct nix_arena *a)
{
    const struct nix_node *nd = &f->nodes[node];
    if (nd->kind != N_INDSTRING || nd->first_child != NIX_NONE)
        return NULL;
    size_t np = 0;
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++)
        np += f->toks[t].kind == T_IND_TEXT || f->toks[t].kind == T_IND_ESC;
    struct ipart *parts = calloc(np ? np : 1, sizeof *parts);
    if (!parts)
        return NULL;
    np = 0;
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++) {
        const struct nix_token *tk = &f->toks[t];
        const char *s = f->text + tk->start;
        struct ipart *ip = &parts[np];
        if (tk->kind == T_IND_TEXT) {
            ip->p = s;
            ip->l = nix_tok_len(tk);
            ip->indent = true;
            np++;
        } else if (tk->kind == T_IND_ESC) {
            ip->indent = false;
            if (s[2] == '$') {
                ip->p = "$", ip->l = 1;
            } else if (s[2] == '\'') {
                ip->p = "''", ip->l = 2;
            } else {
                char c = s[3];
                ip->tmp[0] = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
                ip->p = ip->tmp;
                ip->l = 1;
            }
            np++;
        }
    }
    /* minimum indentation */
    bool sol = true;
    size_t min_indent = 1000000, cur = 0;
    for (size_t i = 0; i < np; i++) {
        if (!parts[i].indent) {
            if (sol) {
                sol = false;
                if (cur < min_indent)
                    min_indent = cur;
            }
            continue;
        }
        for (size_t j = 0; j < parts[i].l; j++) {
            char c = parts[i].p[j];
            if (sol) {
                if (c == ' ')
                    cur++;
                else if (c == '\n')
                    cur = 0;
                else {
                    sol = false;
                    if (cur < min_indent)
                        min_indent = cur;
                }
            } else if (c == '\n') {
                sol = true;
                cur = 0;
            }
        }
    }
    /* strip */
    struct buf b = {0};
    sol = true;
    size_t dropped = 0;
    for (size_t i = 0; i < np; i++) {
        size_t from = b.len;
        for (size_t j = 0; j < parts[i].l; j++) {
            char c = parts[i].p[j];
            if (sol) {
                if (c == ' ') {
                    if (dropped++ >= min_indent)
                        buf_putc(&b, c);
                } else if (c == '\n') {
                    dropped = 0;
                    buf_putc(&b, c);
                } else {
                    sol = false;
                    dropped = 0;
                    buf_putc(&b, c);
                }
            } else {
                buf_putc(&b, c);
                if (c == '\n')
                    sol = true;
            }
        }
        if (i + 1 == np && b.p) { /* drop a last line of spaces only */
            char *nl = NULL;
            for (size_t k = b.len; k > from; k--)
                if (b.p[k - 1] == '\n') {
                    nl = b.p + k - 1;
                    break;
                }
            if (nl) {
                bool spaces = true;
                for (char *q = nl + 1; q < b.p + b.len; q++)
                    if (*q != ' ')
                        spaces = false;
                if (spaces) {
                    b.len = (size_t)(nl + 1 - b.p);
                    b.p[b.len] = 0;
                }
            }
        }
    }
    free(parts);
    return finish_buf(&b, a);
}

/* How many string parts Nix's lexer makes of an indented string (for constant names). */
static size_t ind_parts(const struct nix_file *f, uint32_t node)
{
    const struct nix_node *nd = &f->nodes[node];
    size_t n = 0;
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++) {
        const struct nix_token *tk = &f->toks[t];
        if (tk->kind == T_IND_ESC) {
            n++;
        } else if (tk->kind == T_IND_TEXT) {
            const char *s = f->text + tk->start;
            bool run = false;
            for (size_t i = 0; i < nix_tok_len(tk); i++) {
                bool lone = (s[i] == '$' && (i + 1 == nix_tok_len(tk) || s[i + 1] == '\'')) ||
                            (s[i] == '\'' && i + 1 < nix_tok_len(tk) && s[i + 1] == '$');
                if (lone) {
                    n++;
                    run = false;
                } else {
                    if (!run)
                        n++;
                    run = true;
                    if ((s[i] == '$' || s[i] == '\'') && i + 1 < nix_tok_len(tk))
                        i++;
                }
            }
        }
    }
    return n;
}

char *nix_attr_name(const struct nix_file *f, uint32_t node, struct nix_arena *a)
{
    const struct nix_node *nd = &f->nodes[node];
    switch (nd->kind) {
    case N_ATTR_ID: {
        const struct nix_token *t = &f->toks[nd->tok_start];
        return nix_arena_strndup(a, f->text + t->start, nix_tok_len(t));
    }
    case N_ATTR_STR:
        return nd->first_child == NIX_NONE ? NULL : nix_decode_string(f, nd->first_child, a);
    case N_ATTR_DYN: {
        uint32_t e = nix_unparen(f, nd->first_child);
        if (e == NIX_NONE)
            return NULL;
        if (f->nodes[e].kind == N_STRING)
            return nix_decode_string(f, e, a);
        if (f->nodes[e].kind == N_INDSTRING && f->nodes[e].first_child == NIX_NONE &&
            ind_parts(f, e) <= 1)
            return nix_decode_indstring(f, e, a);
        return NULL;
    }
    default:
        return NULL;
    }
}

char *nix_quote_string(const char *s)
{
    struct buf b = {0};
    buf_putc(&b, '"');
    for (; *s; s++) {
        switch (*s) {
        case '\\': buf_puts(&b, "\\\\"); break;
        case '"': buf_puts(&b, "\\\""); break;
        case '\n': buf_puts(&b, "\\n"); break;
        case '\r': buf_puts(&b, "\\r"); break;
        case '\t': buf_puts(&b, "\\t"); break;
        case '$':
            if (s[1] == '{')
                buf_puts(&b, "\\$");
            else
                buf_putc(&b, '$');
            break;
        default: buf_putc(&b, *s);
        }
    }
    buf_putc(&b, '"');
    return buf_steal(&b);
}

static bool is_ident(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (const char *q = s + 1; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '_' || *q == '\'' || *q == '-'))
            return false;
    return true;
}

char *nix_quote_key(const char *s)
{
    if (is_ident(s) && !nix_is_keyword(s, strlen(s)))
        return strdup(s);
    return nix_quote_string(s);
}
