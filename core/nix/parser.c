/* Recursive-descent parser for the Nix language (the grammar of Nix 2.8's parser.y),
 * building a lossless CST over the token array, recovering from syntax errors, and doing
 * the static checks Nix does while parsing (duplicate attributes, inherit/let misuse,
 * duplicate formals, integer range). Nesting is bounded by NIX_MAX_DEPTH. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

/* ---- attribute maps for the duplicate checks (mirror Nix's ExprAttrs) ----
 * A map is a number; all entries of all maps live in one array with one hash table,
 * each map's entries chained through `next`. Map 0 means "none". */
enum { E_OTHER, E_INHERITED, E_ATTRS };
struct aentry {
    const char *name;
    uint32_t nlen, map, sub, next, pos; /* sub: the nested map of an E_ATTRS entry */
    uint8_t kind;
};

/* A slot of the hash table: the entry, and its hash, so that a probe compares names only
 * when the hashes agree (new names meet no entry and no source text at all). */
struct hslot {
    uint32_t e, h;
};

struct parser {
    struct nix_file *f;
    struct diag_list *diags;
    uint32_t pos, prev_end;
    unsigned depth;
    bool fatal;
    int fatal_err;
    bool reported, depth_reported;
    uint32_t last_err_tok;
    unsigned nerrors;
    struct nix_arena arena;  /* decoded names: freed after parsing */
    struct aentry *ents;     /* entries of all maps; index 0 unused */
    uint32_t nents;
    size_t capents;
    struct hslot *htab;      /* entry indices by (map, name), for big maps */
    uint32_t hcap, nhashed;
    uint32_t *heads;         /* first entry of each map */
    uint32_t *counts;        /* entries of each map; maps above SMALL_MAP are hashed */
    uint32_t nmaps;
    size_t capheads, capcounts;
    uint32_t last_set_node, last_set_map; /* the attrset literal finished last, its map */
    uint32_t *stk;           /* operand stack for right-associative chains */
    size_t nstk, capstk;
};

/* ---- small helpers ---- */

static void oom(struct parser *p)
{
    p->fatal = true;
    p->fatal_err = -ENOMEM;
}

static inline const struct nix_token *tok(const struct parser *p, uint32_t i)
{
    return &p->f->toks[i];
}

/* p->pos is always at a significant token (advance skips the trivia after what it
 * consumed; parsing starts with skip_trivia), so a look is a load. */
static inline void skip_trivia(struct parser *p)
{
    while (nix_tok_trivia(p->f->toks[p->pos].kind))
        p->pos++;
}

static inline int peek(struct parser *p)
{
    if (p->fatal)
        return T_EOF;
    return p->f->toks[p->pos].kind;
}

/* Kind of the n-th significant token after the current one (n = 1: the next). */
static int peek_at(struct parser *p, unsigned n)
{
    if (p->fatal)
        return T_EOF;
    peek(p);
    uint32_t i = p->pos;
    while (n > 0) {
        if (p->f->toks[i].kind == T_EOF)
            return T_EOF;
        i++;
        while (nix_tok_trivia(p->f->toks[i].kind))
            i++;
        n--;
    }
    return p->f->toks[i].kind;
}

static void advance(struct parser *p)
{
    if (p->f->toks[p->pos].kind != T_EOF)
        p->pos++;
    p->prev_end = p->pos;
    skip_trivia(p);
}

static void verror_at(struct parser *p, size_t off, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void verror_at(struct parser *p, size_t off, const char *fmt, va_list ap)
{
    p->f->has_errors = true;
    if (p->nerrors > NIX_MAX_ERRORS)
        return;
    unsigned line, col;
    nix_file_linecol(p->f, off, &line, &col);
    p->nerrors++;
    if (p->nerrors > NIX_MAX_ERRORS) {
        if (diag_list_add(p->diags, DIAG_ERROR, p->f->name, line, col,
                          "too many errors; giving up reporting") < 0)
            oom(p);
        return;
    }
    struct diag d = {0};
    diag_setv(&d, DIAG_ERROR, p->f->name, line, col, fmt, ap);
    if (diag_list_push(p->diags, &d) < 0)
        oom(p);
    diag_clear(&d);
}

static void error_at(struct parser *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void error_at(struct parser *p, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror_at(p, off, fmt, ap);
    va_end(ap);
}

/* A syntax error at the current token; cascades at the same token are suppressed. */
static void syntax_error(struct parser *p, const char *expected)
{
    peek(p);
    p->f->has_errors = true;
    if (p->reported && p->pos <= p->last_err_tok)
        return;
    p->reported = true;
    p->last_err_tok = p->pos;
    const struct nix_token *t = tok(p, p->pos);
    const char *name = nix_tok_name(t->kind);
    char what[80];
    switch (t->kind) {
    case T_ID: case T_INT: case T_FLOAT: case T_PATH: case T_HPATH: case T_SPATH:
    case T_URI: case T_UNKNOWN: {
        unsigned n = nix_tok_len(t) > 40 ? 40 : nix_tok_len(t);
        const unsigned char *s = (const unsigned char *)p->f->text + t->start;
        if (t->kind == T_UNKNOWN && (s[0] < 0x20 || s[0] >= 0x7f))
            snprintf(what, sizeof what, "byte 0x%02x", s[0]);
        else
            snprintf(what, sizeof what, "%s '%.*s'", name, (int)n, (const char *)s);
        break;
    }
    default:
        snprintf(what, sizeof what, "%s", name);
    }
    if (expected)
        error_at(p, t->start, "syntax error: unexpected %s, expected %s", what, expected);
    else
        error_at(p, t->start, "syntax error: unexpected %s", what);
}

static uint32_t new_node(struct parser *p, int kind, uint32_t start)
{
    struct nix_file *f = p->f;
    if (f->nnodes == f->capnodes &&
        nix_big_grow((void **)&f->nodes, &f->capnodes, sizeof *f->nodes,
                     f->capnodes * 2 + 1024) < 0) {
        oom(p);
        return 0; /* node 0 (the root) absorbs writes after a failure */
    }
    uint32_t i = (uint32_t)f->nnodes++;
    f->nodes[i] = (struct nix_node){.kind = (uint8_t)kind, .tok_start = start, .tok_end = start,
                                    .first_child = NIX_NONE, .last_child = NIX_NONE,
                                    .next_sibling = NIX_NONE};
    return i;
}

/* A node starting at the current (significant) token. */
static uint32_t open_node(struct parser *p, int kind)
{
    peek(p);
    return new_node(p, kind, p->pos);
}

/* An empty node (a missing expression) right after the last consumed token. */
static uint32_t empty_node(struct parser *p, int kind)
{
    return new_node(p, kind, p->prev_end);
}

static void add_child(struct parser *p, uint32_t parent, uint32_t child)
{
    if (p->fatal)
        return;
    struct nix_node *pn = &p->f->nodes[parent], *cn = &p->f->nodes[child];
    if (cn->tok_start < pn->tok_start) /* an empty child before its parent's first token */
        cn->tok_start = cn->tok_end = pn->tok_start;
    if (pn->last_child == NIX_NONE)
        pn->first_child = child;
    else
        p->f->nodes[pn->last_child].next_sibling = child;
    pn->last_child = child;
}

static void finish(struct parser *p, uint32_t n)
{
    if (p->fatal)
        return;
    struct nix_node *nd = &p->f->nodes[n];
    nd->tok_end = p->prev_end > nd->tok_start ? p->prev_end : nd->tok_start;
    if (nd->last_child != NIX_NONE && p->f->nodes[nd->last_child].tok_end > nd->tok_end)
        nd->tok_end = p->f->nodes[nd->last_child].tok_end;
}

static bool expect(struct parser *p, int kind, const char *what)
{
    if (peek(p) == kind) {
        advance(p);
        return true;
    }
    syntax_error(p, what);
    return false;
}

static size_t tok_off(const struct parser *p, uint32_t t) { return tok(p, t)->start; }

static size_t node_off(const struct parser *p, uint32_t n)
{
    const struct nix_node *nd = &p->f->nodes[n];
    return nd->tok_start < p->f->ntoks ? tok_off(p, nd->tok_start) : p->f->len;
}

static bool can_start_simple(int k)
{
    switch (k) {
    case T_ID: case T_INT: case T_FLOAT: case T_DQUOTE_OPEN: case T_IND_OPEN: case T_PATH:
    case T_HPATH: case T_SPATH: case T_URI: case T_LPAREN: case T_LET: case T_REC:
    case T_LBRACE: case T_LBRACK:
        return true;
    default:
        return false;
    }
}

static bool is_opener(int k)
{
    return k == T_LPAREN || k == T_LBRACK || k == T_LBRACE || k == T_DOLLAR_CURLY ||
           k == T_DQUOTE_OPEN || k == T_IND_OPEN;
}

static bool is_closer(int k)
{
    return k == T_RPAREN || k == T_RBRACK || k == T_RBRACE || k == T_DQUOTE_CLOSE ||
           k == T_IND_CLOSE;
}

/* Too deep: report once, then skip (without recursion) what is nested here, up to the
 * closer or separator that belongs to the enclosing construct; the caller gets an ERROR
 * node holding the skipped tokens, so the tree stays lossless. */
static uint32_t too_deep(struct parser *p)
{
    peek(p);
    if (!p->depth_reported) {
        p->depth_reported = true;
        error_at(p, tok_off(p, p->pos), "expression nested too deeply; expected at most %d "
                 "levels of nesting", NIX_MAX_DEPTH);
        p->reported = true;
        p->last_err_tok = UINT32_MAX - 1; /* the rest of this file is not checked */
    }
    uint32_t e = open_node(p, N_ERROR);
    size_t balance = 0;
    for (;;) {
        int k = peek(p);
        if (k == T_EOF)
            break;
        if (balance == 0 && (is_closer(k) || k == T_SEMI || k == T_COMMA || k == T_IN ||
                             k == T_THEN || k == T_ELSE || k == T_PATH_END))
            break;
        if (is_opener(k))
            balance++;
        else if (is_closer(k))
            balance--;
        advance(p);
    }
    finish(p, e);
    return e;
}

static bool depth_enter(struct parser *p)
{
    return ++p->depth <= 2 * NIX_MAX_DEPTH;
}

/* ---- attribute maps ---- */

static uint32_t hash_name(uint32_t map, const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    h ^= map * 0x9e3779b1u;
    /* final mix: the table is indexed by the low bits */
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    return h ^ (h >> 16);
}

/* Small maps are searched along their chain (recent, so in cache); big ones hashed. */
#define SMALL_MAP 8

static uint32_t amap_new(struct parser *p)
{
    if (p->nmaps + 1 >= p->capheads || p->nmaps + 1 >= p->capcounts) {
        /* big arrays: a large file's grow in huge pages (far fewer page faults) */
        size_t nc = p->capheads ? p->capheads * 2 : 1024;
        if (nix_big_grow((void **)&p->heads, &p->capheads, sizeof *p->heads, nc) < 0 ||
            nix_big_grow((void **)&p->counts, &p->capcounts, sizeof *p->counts, nc) < 0) {
            oom(p);
            return 0;
        }
    }
    p->nmaps++;
    p->heads[p->nmaps] = 0;
    p->counts[p->nmaps] = 0;
    return p->nmaps;
}

static uint32_t amap_find(struct parser *p, uint32_t map, const char *name, size_t n)
{
    if (!map)
        return 0;
    if (p->counts[map] <= SMALL_MAP) {
        for (uint32_t e = p->heads[map]; e; e = p->ents[e].next)
            if (p->ents[e].nlen == n && !memcmp(p->ents[e].name, name, n))
                return e;
        return 0;
    }
    uint32_t mask = p->hcap - 1, h = hash_name(map, name, n);
    for (uint32_t j = h & mask;; j = (j + 1) & mask) {
        uint32_t e = p->htab[j].e;
        if (!e)
            return 0;
        if (p->htab[j].h != h)
            continue;
        const struct aentry *a = &p->ents[e];
        if (a->map == map && a->nlen == n && !memcmp(a->name, name, n))
            return e;
    }
}

static void amap_insert_hash(struct parser *p, uint32_t e)
{
    const struct aentry *a = &p->ents[e];
    uint32_t mask = p->hcap - 1, h = hash_name(a->map, a->name, a->nlen), j = h & mask;
    while (p->htab[j].e)
        j = (j + 1) & mask;
    p->htab[j] = (struct hslot){e, h};
}

static uint32_t amap_add(struct parser *p, uint32_t map, const char *name, size_t n, int kind,
                         uint32_t sub, size_t pos)
{
    if (!map)
        return 0;
    if (p->nents + 1 >= p->capents) {
        size_t nc = p->capents ? p->capents * 2 : 1024;
        if (nix_big_grow((void **)&p->ents, &p->capents, sizeof *p->ents, nc) < 0) {
            oom(p);
            return 0;
        }
        if (!p->nents)
            p->nents = 1; /* index 0 is "none" */
    }
    uint32_t e = p->nents++;
    p->ents[e] = (struct aentry){.name = name, .nlen = (uint32_t)n, .map = map, .sub = sub,
                                 .next = p->heads[map], .pos = (uint32_t)pos,
                                 .kind = (uint8_t)kind};
    p->heads[map] = e;
    uint32_t cnt = ++p->counts[map];
    if (cnt <= SMALL_MAP)
        return e;
    p->nhashed += cnt == SMALL_MAP + 1 ? cnt : 1;
    if (p->nhashed * 2 > p->hcap) {
        uint32_t hc = p->hcap ? p->hcap : 1024;
        while (p->nhashed * 2 > hc)
            hc *= 2;
        struct hslot *h = calloc(hc, sizeof *h);
        if (!h) {
            oom(p);
            return 0;
        }
        free(p->htab);
        p->htab = h;
        p->hcap = hc;
        for (uint32_t i = 1; i < p->nents; i++)
            if (p->counts[p->ents[i].map] > SMALL_MAP)
                amap_insert_hash(p, i);
    } else if (cnt == SMALL_MAP + 1) {
        for (uint32_t i = p->heads[map]; i; i = p->ents[i].next)
            amap_insert_hash(p, i);
    } else {
        amap_insert_hash(p, e);
    }
    return e;
}

static void fmt_pos(struct parser *p, size_t off, char *buf, size_t n)
{
    unsigned line, col;
    nix_file_linecol(p->f, off, &line, &col);
    snprintf(buf, n, "%s:%u:%u", p->f->name, line, col);
}

static void dup_error(struct parser *p, const char *path, size_t at, size_t prev)
{
    char where[300];
    fmt_pos(p, prev, where, sizeof where);
    error_at(p, at, "attribute '%s' already defined at %s; expected each attribute once",
             path, where);
}

/* The static name of an attribute-name node, as (ptr, len); false when dynamic. */
static bool attr_static_name(struct parser *p, uint32_t node, const char **s, size_t *n)
{
    const struct nix_node *nd = &p->f->nodes[node];
    if (nd->kind == N_ATTR_ID) {
        const struct nix_token *t = tok(p, nd->tok_start);
        *s = p->f->text + t->start;
        *n = nix_tok_len(t);
        return true;
    }
    if (nd->kind != N_ATTR_STR && nd->kind != N_ATTR_DYN)
        return false;
    if (nd->kind == N_ATTR_STR && nd->first_child != NIX_NONE &&
        nix_string_plain(p->f, nd->first_child, s, n))
        return true;
    char *v = nix_attr_name(p->f, node, &p->arena);
    if (!v)
        return false;
    *s = v;
    *n = strlen(v);
    return true;
}

/* Dotted path text of segments [0, k] for messages. */
static void path_text(struct parser *p, uint32_t attrpath, unsigned k, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    unsigned i = 0;
    for (uint32_t c = p->f->nodes[attrpath].first_child; c != NIX_NONE && i <= k;
         c = p->f->nodes[c].next_sibling, i++) {
        const char *s;
        size_t n;
        if (!attr_static_name(p, c, &s, &n))
            s = "\"${...}\"", n = 8;
        int w = snprintf(buf + len, cap - len, "%s%.*s", i ? "." : "", (int)n, s);
        if (w < 0 || (size_t)w >= cap - len)
            break;
        len += (size_t)w;
    }
}

/* Nix's addAttr: add `attrpath = value` to the map of a binds block. */
static void check_binding(struct parser *p, uint32_t m, uint32_t attrpath, uint32_t value,
                          bool is_let)
{
    if (p->fatal || !m || p->f->nodes[attrpath].kind != N_ATTRPATH)
        return;
    uint32_t val = value == NIX_NONE ? NIX_NONE : nix_unparen(p->f, value);
    uint32_t valmap = val != NIX_NONE && val == p->last_set_node ? p->last_set_map : 0;
    unsigned nseg = nix_nchildren(p->f, attrpath), i = 0;
    size_t pos = node_off(p, attrpath);
    char path[512];
    for (uint32_t c = p->f->nodes[attrpath].first_child; c != NIX_NONE;
         c = p->f->nodes[c].next_sibling, i++) {
        const char *s;
        size_t n;
        bool last = i + 1 == nseg;
        if (!attr_static_name(p, c, &s, &n)) {
            if (i == 0 && is_let)
                error_at(p, node_off(p, c), "dynamic attributes not allowed in let; expected "
                         "a constant attribute name");
            if (last)
                return;
            m = amap_new(p); /* a dynamic attribute gets a fresh nested set */
            if (!m)
                return;
            continue;
        }
        uint32_t e = amap_find(p, m, s, n);
        if (!last) {
            if (e) {
                if (p->ents[e].kind != E_ATTRS) {
                    path_text(p, attrpath, nseg, path, sizeof path);
                    dup_error(p, path, pos, p->ents[e].pos);
                    return;
                }
                m = p->ents[e].sub;
            } else {
                uint32_t nm = amap_new(p);
                if (!nm || !amap_add(p, m, s, n, E_ATTRS, nm, pos))
                    return;
                m = nm;
            }
            continue;
        }
        if (!e) {
            amap_add(p, m, s, n, valmap ? E_ATTRS : E_OTHER, valmap, pos);
            return;
        }
        if (p->ents[e].kind == E_ATTRS && valmap) {
            uint32_t into = p->ents[e].sub;
            for (uint32_t j = p->heads[valmap]; j; j = p->ents[j].next) {
                struct aentry ve = p->ents[j]; /* a copy: adding may move the array */
                uint32_t je = amap_find(p, into, ve.name, ve.nlen);
                if (je) {
                    char nm[300];
                    snprintf(nm, sizeof nm, "%.*s", (int)ve.nlen, ve.name);
                    dup_error(p, nm, ve.pos, p->ents[je].pos);
                    continue;
                }
                amap_add(p, into, ve.name, ve.nlen, ve.kind, ve.sub, ve.pos);
            }
            return;
        }
        path_text(p, attrpath, nseg, path, sizeof path);
        dup_error(p, path, pos, p->ents[e].pos);
        return;
    }
}

/* ---- grammar ---- */

static uint32_t parse_expr(struct parser *p);
static uint32_t parse_select(struct parser *p);
static uint32_t parse_op(struct parser *p, int minprec);

static uint32_t parse_interp(struct parser *p, int kind)
{
    uint32_t n = open_node(p, kind);
    advance(p); /* ${ */
    add_child(p, n, parse_expr(p));
    expect(p, T_RBRACE, "'}'");
    finish(p, n);
    return n;
}

static uint32_t parse_string(struct parser *p)
{
    uint32_t n = open_node(p, N_STRING);
    advance(p);
    for (;;) {
        int k = peek(p);
        if (k == T_STR_TEXT) {
            advance(p);
        } else if (k == T_DOLLAR_CURLY) {
            add_child(p, n, parse_interp(p, N_INTERP));
        } else {
            expect(p, T_DQUOTE_CLOSE, "'\"'");
            break;
        }
    }
    finish(p, n);
    return n;
}

static uint32_t parse_indstring(struct parser *p)
{
    uint32_t n = open_node(p, N_INDSTRING);
    advance(p);
    for (;;) {
        int k = peek(p);
        if (k == T_IND_TEXT || k == T_IND_ESC) {
            advance(p);
        } else if (k == T_DOLLAR_CURLY) {
            add_child(p, n, parse_interp(p, N_INTERP));
        } else {
            expect(p, T_IND_CLOSE, "\"''\"");
            break;
        }
    }
    finish(p, n);
    return n;
}

static uint32_t parse_path(struct parser *p)
{
    uint32_t n = open_node(p, N_PATH);
    advance(p);
    unsigned npieces = 0, first_interp = 0;
    for (;;) {
        int k = peek(p);
        if (k == T_PATH_FRAG) {
            advance(p);
            npieces++;
        } else if (k == T_DOLLAR_CURLY) {
            add_child(p, n, parse_interp(p, N_INTERP));
            npieces++;
            if (!first_interp)
                first_interp = npieces;
        } else if (k == T_PATH_END) {
            if (npieces && (!first_interp || first_interp > 2))
                syntax_error(p, "'${' (a path with pieces needs an interpolation)");
            advance(p);
            break;
        } else {
            syntax_error(p, "the end of the path");
            break;
        }
    }
    finish(p, n);
    return n;
}

static uint32_t parse_attr(struct parser *p)
{
    int k = peek(p);
    if (k == T_ID || k == T_OR_KW) {
        uint32_t n = open_node(p, N_ATTR_ID);
        advance(p);
        finish(p, n);
        return n;
    }
    if (k == T_DQUOTE_OPEN) {
        uint32_t n = open_node(p, N_ATTR_STR);
        add_child(p, n, parse_string(p));
        finish(p, n);
        return n;
    }
    if (k == T_DOLLAR_CURLY)
        return parse_interp(p, N_ATTR_DYN);
    syntax_error(p, "an attribute name");
    return empty_node(p, N_ERROR);
}

static bool can_start_attr(int k)
{
    return k == T_ID || k == T_OR_KW || k == T_DQUOTE_OPEN || k == T_DOLLAR_CURLY;
}

static uint32_t parse_attrpath(struct parser *p)
{
    uint32_t n = open_node(p, N_ATTRPATH);
    add_child(p, n, parse_attr(p));
    while (peek(p) == T_DOT) {
        advance(p);
        add_child(p, n, parse_attr(p));
    }
    finish(p, n);
    return n;
}

/* Skip tokens up to and including the next ';' (stopping before '}', `in` or EOF). */
static uint32_t skip_to_semi(struct parser *p, int terminator)
{
    uint32_t e = open_node(p, N_ERROR);
    for (;;) {
        int k = peek(p);
        if (k == T_EOF || k == terminator || k == T_RBRACE)
            break;
        advance(p);
        if (k == T_SEMI)
            break;
    }
    finish(p, e);
    return e;
}

static void check_inherit_name(struct parser *p, uint32_t m, uint32_t name)
{
    const char *s;
    size_t n;
    if (!attr_static_name(p, name, &s, &n)) {
        error_at(p, node_off(p, name), "dynamic attributes not allowed in inherit; expected "
                 "a constant attribute name");
        return;
    }
    if (!m)
        return;
    uint32_t e = amap_find(p, m, s, n);
    if (e) {
        char nm[300];
        snprintf(nm, sizeof nm, "%.*s", (int)n, s);
        dup_error(p, nm, node_off(p, name), p->ents[e].pos);
        return;
    }
    amap_add(p, m, s, n, E_INHERITED, 0, node_off(p, name));
}

/* attrpath = expr ; (at a token that can start an attribute name), checked into map m. */
static uint32_t parse_binding(struct parser *p, int terminator, bool is_let, uint32_t m)
{
    uint32_t n = open_node(p, N_BINDING);
    uint32_t ap = parse_attrpath(p);
    add_child(p, n, ap);
    uint32_t val = NIX_NONE;
    if (expect(p, T_ASSIGN, "'=' or '.'")) {
        val = parse_expr(p);
        add_child(p, n, val);
        expect(p, T_SEMI, "';'");
    } else {
        add_child(p, n, skip_to_semi(p, terminator));
    }
    finish(p, n);
    if (val != NIX_NONE)
        check_binding(p, m, ap, val, is_let);
    return n;
}

/* binds, up to (not including) the terminator ('}' or `in`). */
static void parse_binds(struct parser *p, uint32_t parent, int terminator, bool is_let,
                        uint32_t m)
{
    const char *expected = terminator == T_IN ? "an attribute name, 'inherit' or 'in'"
                                              : "an attribute name, 'inherit' or '}'";
    for (;;) {
        int k = peek(p);
        if (k == terminator || k == T_EOF || p->fatal)
            return;
        if (k == T_INHERIT) {
            uint32_t n = open_node(p, N_INHERIT);
            advance(p);
            if (peek(p) == T_LPAREN) {
                uint32_t src = open_node(p, N_PAREN);
                advance(p);
                add_child(p, src, parse_expr(p));
                expect(p, T_RPAREN, "')'");
                finish(p, src);
                add_child(p, n, src);
            }
            while (can_start_attr(peek(p))) {
                uint32_t a = parse_attr(p);
                add_child(p, n, a);
                check_inherit_name(p, m, a);
            }
            expect(p, T_SEMI, "an attribute name or ';'");
            finish(p, n);
            add_child(p, parent, n);
        } else if (can_start_attr(k)) {
            add_child(p, parent, parse_binding(p, terminator, is_let, m));
        } else if (k == T_RBRACE || k == T_RPAREN || k == T_RBRACK || k == T_IN) {
            syntax_error(p, expected);
            return;
        } else {
            syntax_error(p, expected);
            add_child(p, parent, skip_to_semi(p, terminator));
        }
    }
}

static uint32_t parse_attrset(struct parser *p, int kind, unsigned flags)
{
    uint32_t n = open_node(p, kind);
    p->f->nodes[n].flags = (uint8_t)flags;
    if (kind == N_LEGACY_LET || flags & NF_REC) {
        advance(p); /* let / rec */
        if (!expect(p, T_LBRACE, "'{'")) {
            finish(p, n);
            return n;
        }
    } else {
        advance(p);
    }
    uint32_t m = amap_new(p);
    parse_binds(p, n, T_RBRACE, false, m);
    expect(p, T_RBRACE, "'}'");
    finish(p, n);
    if (kind == N_ATTRSET) {
        p->last_set_node = n;
        p->last_set_map = m;
    }
    return n;
}

static void check_int(struct parser *p, uint32_t t)
{
    const struct nix_token *tk = tok(p, t);
    const char *s = p->f->text + tk->start;
    uint64_t v = 0;
    for (uint32_t i = 0; i < nix_tok_len(tk); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_C(9223372036854775807) - d) / 10) {
            error_at(p, tk->start, "invalid integer '%.*s'; expected at most "
                     "9223372036854775807", (int)(nix_tok_len(tk) > 60 ? 60 : nix_tok_len(tk)), s);
            return;
        }
        v = v * 10 + d;
    }
}

static void check_float(struct parser *p, uint32_t t)
{
    const struct nix_token *tk = tok(p, t);
    char buf[400];
    if (nix_tok_len(tk) >= sizeof buf)
        return;
    memcpy(buf, p->f->text + tk->start, nix_tok_len(tk));
    buf[nix_tok_len(tk)] = 0;
    errno = 0;
    (void)strtod(buf, NULL);
    if (errno != 0)
        error_at(p, tk->start, "invalid float '%s'; expected a number in double range", buf);
}

static uint32_t parse_simple(struct parser *p)
{
    int k = peek(p);
    uint32_t n;
    switch (k) {
    case T_ID:
    case T_INT:
    case T_FLOAT:
    case T_SPATH:
    case T_URI:
        n = open_node(p, k == T_ID ? N_VAR : k == T_INT ? N_INT : k == T_FLOAT ? N_FLOAT
                                   : k == T_SPATH ? N_SPATH : N_URI);
        if (k == T_INT)
            check_int(p, p->pos);
        else if (k == T_FLOAT)
            check_float(p, p->pos);
        advance(p);
        finish(p, n);
        return n;
    case T_DQUOTE_OPEN:
        return parse_string(p);
    case T_IND_OPEN:
        return parse_indstring(p);
    case T_PATH:
    case T_HPATH:
        return parse_path(p);
    case T_LPAREN:
        n = open_node(p, N_PAREN);
        advance(p);
        add_child(p, n, parse_expr(p));
        expect(p, T_RPAREN, "')'");
        finish(p, n);
        return n;
    case T_LET:
        return parse_attrset(p, N_LEGACY_LET, 0);
    case T_REC:
        return parse_attrset(p, N_ATTRSET, NF_REC);
    case T_LBRACE:
        return parse_attrset(p, N_ATTRSET, 0);
    case T_LBRACK:
        n = open_node(p, N_LIST);
        advance(p);
        for (;;) {
            k = peek(p);
            if (can_start_simple(k)) {
                add_child(p, n, parse_select(p));
            } else if (k == T_RBRACK) {
                advance(p);
                break;
            } else if (k == T_EOF || k == T_RBRACE || k == T_RPAREN || k == T_SEMI ||
                       k == T_IN || k == T_THEN || k == T_ELSE || p->fatal) {
                syntax_error(p, "a list element or ']'");
                break;
            } else {
                syntax_error(p, "a list element or ']' (wrap operators, lambdas and "
                             "negative numbers in parentheses)");
                uint32_t e = open_node(p, N_ERROR);
                advance(p);
                finish(p, e);
                add_child(p, n, e);
            }
        }
        finish(p, n);
        return n;
    default:
        syntax_error(p, "an expression");
        return empty_node(p, N_ERROR);
    }
}

static uint32_t parse_select(struct parser *p)
{
    if (!depth_enter(p)) {
        p->depth--;
        return too_deep(p);
    }
    uint32_t s = parse_simple(p);
    int k = peek(p);
    if (k == T_DOT) {
        uint32_t n = new_node(p, N_SELECT, p->f->nodes[s].tok_start);
        add_child(p, n, s);
        advance(p);
        add_child(p, n, parse_attrpath(p));
        if (peek(p) == T_OR_KW) {
            advance(p);
            add_child(p, n, parse_select(p));
        }
        finish(p, n);
        s = n;
    } else if (k == T_OR_KW) {
        uint32_t n = new_node(p, N_CURSED_OR, p->f->nodes[s].tok_start);
        add_child(p, n, s);
        advance(p);
        finish(p, n);
        s = n;
    }
    p->depth--;
    return s;
}

static uint32_t parse_app(struct parser *p)
{
    uint32_t f = parse_select(p);
    while (can_start_simple(peek(p)) && !p->fatal) {
        uint32_t n = new_node(p, N_APPLY, p->f->nodes[f].tok_start);
        add_child(p, n, f);
        add_child(p, n, parse_select(p));
        finish(p, n);
        f = n;
    }
    return f;
}

/* Binary operators: precedence (higher binds tighter), 0 = not a binary operator. */
static int binprec(int k)
{
    switch (k) {
    case T_IMPL: return 1;
    case T_OR: return 2;
    case T_AND: return 3;
    case T_EQ: case T_NEQ: return 4;
    case T_LT: case T_GT: case T_LEQ: case T_GEQ: return 5;
    case T_UPDATE: return 6;
    case T_PLUS: case T_MINUS: return 8;
    case T_STAR: case T_SLASH: return 9;
    case T_CONCAT: return 10;
    case T_QUESTION: return 11;
    default: return 0;
    }
}

static bool right_assoc(int prec) { return prec == 1 || prec == 6 || prec == 10; }
static bool non_assoc(int prec) { return prec == 4 || prec == 5; }

static int stk_push(struct parser *p, uint32_t v)
{
    if (p->nstk == p->capstk) {
        size_t nc = p->capstk ? p->capstk * 2 : 64;
        uint32_t *ns = realloc(p->stk, nc * sizeof *ns);
        if (!ns) {
            oom(p);
            return -ENOMEM;
        }
        p->stk = ns;
        p->capstk = nc;
    }
    p->stk[p->nstk++] = v;
    return 0;
}

static uint32_t parse_op(struct parser *p, int minprec)
{
    uint32_t lhs;
    int k = peek(p);
    if (k == T_NOT || k == T_MINUS) {
        if (!depth_enter(p)) {
            p->depth--;
            return too_deep(p);
        }
        lhs = open_node(p, k == T_NOT ? N_NOT : N_NEG);
        advance(p);
        add_child(p, lhs, parse_op(p, k == T_NOT ? 8 : 13));
        finish(p, lhs);
        p->depth--;
    } else {
        lhs = parse_app(p);
    }
    int last_non = 0;
    for (;;) {
        k = peek(p);
        int prec = binprec(k);
        if (!prec || prec < minprec || p->fatal)
            break;
        if (k == T_QUESTION) {
            uint32_t n = new_node(p, N_HASATTR, p->f->nodes[lhs].tok_start);
            add_child(p, n, lhs);
            advance(p);
            add_child(p, n, parse_attrpath(p));
            finish(p, n);
            lhs = n;
            continue;
        }
        if (non_assoc(prec)) {
            if (last_non == prec)
                syntax_error(p, NULL);
            last_non = prec;
        }
        if (!right_assoc(prec)) {
            uint32_t n = new_node(p, N_BINOP, p->f->nodes[lhs].tok_start);
            p->f->nodes[n].op = (uint8_t)k;
            add_child(p, n, lhs);
            advance(p);
            add_child(p, n, parse_op(p, prec + 1));
            finish(p, n);
            lhs = n;
            continue;
        }
        /* right-associative chain a OP b OP c: collect operands, then nest from the right */
        size_t base = p->nstk;
        stk_push(p, lhs);
        while (peek(p) == k && !p->fatal) {
            advance(p);
            stk_push(p, parse_op(p, prec + 1));
        }
        if (p->fatal) {
            p->nstk = base;
            break;
        }
        uint32_t acc = p->stk[p->nstk - 1];
        uint32_t end = p->f->nodes[acc].tok_end;
        for (size_t i = p->nstk - 1; i-- > base;) {
            uint32_t l = p->stk[i];
            uint32_t n = new_node(p, N_BINOP, p->f->nodes[l].tok_start);
            p->f->nodes[n].op = (uint8_t)k;
            add_child(p, n, l);
            add_child(p, n, acc);
            p->f->nodes[n].tok_end = end;
            acc = n;
        }
        p->nstk = base;
        lhs = acc;
    }
    return lhs;
}

static uint32_t parse_if(struct parser *p)
{
    if (peek(p) != T_IF)
        return parse_op(p, 0);
    uint32_t n = open_node(p, N_IF);
    advance(p);
    add_child(p, n, parse_expr(p));
    if (expect(p, T_THEN, "'then'")) {
        add_child(p, n, parse_expr(p));
        if (expect(p, T_ELSE, "'else'"))
            add_child(p, n, parse_expr(p));
    }
    finish(p, n);
    return n;
}

/* After '{': does a formal argument set follow (rather than an attribute set)? */
static bool is_formals(struct parser *p)
{
    int t1 = peek_at(p, 1);
    if (t1 == T_RBRACE) {
        int t2 = peek_at(p, 2);
        return t2 == T_COLON || t2 == T_AT;
    }
    if (t1 == T_ELLIPSIS)
        return true;
    if (t1 == T_ID) {
        int t2 = peek_at(p, 2);
        return t2 == T_COMMA || t2 == T_QUESTION || t2 == T_RBRACE;
    }
    return false;
}

static void add_formal_name(struct parser *p, uint32_t m, uint32_t t)
{
    const struct nix_token *tk = tok(p, t);
    const char *s = p->f->text + tk->start;
    if (amap_find(p, m, s, nix_tok_len(tk))) {
        error_at(p, tk->start, "duplicate formal function argument '%.*s'",
                 (int)(nix_tok_len(tk) > 100 ? 100 : nix_tok_len(tk)), s);
        return;
    }
    amap_add(p, m, s, nix_tok_len(tk), E_OTHER, 0, tk->start);
}

static uint32_t parse_formals(struct parser *p, uint32_t m)
{
    uint32_t n = open_node(p, N_FORMALS);
    advance(p); /* { */
    for (;;) {
        int k = peek(p);
        if (k == T_RBRACE) {
            advance(p);
            break;
        }
        if (k == T_ELLIPSIS) {
            advance(p);
            expect(p, T_RBRACE, "'}' (nothing may follow '...')");
            break;
        }
        if (k != T_ID) {
            syntax_error(p, "a formal argument name, '...' or '}'");
            break;
        }
        uint32_t fm = open_node(p, N_FORMAL);
        add_formal_name(p, m, p->pos);
        advance(p);
        if (peek(p) == T_QUESTION) {
            advance(p);
            add_child(p, fm, parse_expr(p));
        }
        finish(p, fm);
        add_child(p, n, fm);
        k = peek(p);
        if (k == T_COMMA) {
            advance(p);
        } else if (k != T_RBRACE) {
            syntax_error(p, "',' or '}'");
            break;
        }
    }
    finish(p, n);
    return n;
}

static uint32_t parse_function(struct parser *p)
{
    int k = peek(p);
    if (k == T_ID) {
        int k2 = peek_at(p, 1);
        if (k2 == T_COLON || k2 == T_AT) {
            uint32_t n = open_node(p, N_LAMBDA);
            uint32_t idtok = p->pos;
            advance(p);
            if (k2 == T_AT) {
                advance(p);
                if (peek(p) != T_LBRACE) {
                    syntax_error(p, "'{'");
                    finish(p, n);
                    return n;
                }
                uint32_t m = amap_new(p);
                if (!m)
                    return n;
                add_formal_name(p, m, idtok);
                add_child(p, n, parse_formals(p, m));
            } else {
                advance(p);
                add_child(p, n, parse_expr(p));
                finish(p, n);
                return n;
            }
            if (expect(p, T_COLON, "':'"))
                add_child(p, n, parse_expr(p));
            finish(p, n);
            return n;
        }
    } else if (k == T_LBRACE && is_formals(p)) {
        uint32_t n = open_node(p, N_LAMBDA);
        uint32_t m = amap_new(p);
        if (!m)
            return n;
        add_child(p, n, parse_formals(p, m));
        if (peek(p) == T_AT) {
            advance(p);
            if (peek(p) == T_ID)
                add_formal_name(p, m, p->pos);
            expect(p, T_ID, "an identifier after '@'");
        }
        if (expect(p, T_COLON, "':' (a function body after the formal arguments)"))
            add_child(p, n, parse_expr(p));
        finish(p, n);
        return n;
    } else if (k == T_ASSERT || k == T_WITH) {
        uint32_t n = open_node(p, k == T_ASSERT ? N_ASSERT : N_WITH);
        advance(p);
        add_child(p, n, parse_expr(p));
        if (expect(p, T_SEMI, "';'"))
            add_child(p, n, parse_expr(p));
        finish(p, n);
        return n;
    } else if (k == T_LET && peek_at(p, 1) != T_LBRACE) {
        uint32_t n = open_node(p, N_LET);
        advance(p);
        uint32_t m = amap_new(p);
        parse_binds(p, n, T_IN, true, m);
        if (expect(p, T_IN, "'in'"))
            add_child(p, n, parse_expr(p));
        finish(p, n);
        return n;
    }
    return parse_if(p);
}

static uint32_t parse_expr(struct parser *p)
{
    if (!depth_enter(p)) {
        p->depth--;
        return too_deep(p);
    }
    uint32_t n = parse_function(p);
    p->depth--;
    return n;
}

static int parser_done(struct parser *p)
{
    nix_arena_free(&p->arena);
    nix_big_free(p->ents, p->capents, sizeof *p->ents);
    free(p->htab);
    nix_big_free(p->heads, p->capheads, sizeof *p->heads);
    nix_big_free(p->counts, p->capcounts, sizeof *p->counts);
    free(p->stk);
    return p->fatal ? p->fatal_err : 0;
}

int nix_parse_tokens(struct nix_file *f, struct diag_list *diags)
{
    struct parser p = {.f = f, .diags = diags, .last_set_node = NIX_NONE};
    f->nnodes = 0;
    size_t guess = f->ntoks / 2 + 16; /* about a node per two tokens */
    if (nix_big_grow((void **)&f->nodes, &f->capnodes, sizeof *f->nodes, guess) < 0)
        return -ENOMEM;
    /* the duplicate check's entries: about one per eight tokens: room for one per six */
    if (nix_big_grow((void **)&p.ents, &p.capents, sizeof *p.ents, f->ntoks / 6 + 1024) < 0)
        return -ENOMEM;
    p.nents = 1; /* index 0 is "none" */
    skip_trivia(&p);
    uint32_t root = new_node(&p, N_ROOT, 0);
    f->root = root;
    f->expr = NIX_NONE;
    if (peek(&p) == T_EOF) {
        syntax_error(&p, "an expression (the file has no expression)");
    } else {
        uint32_t e = parse_expr(&p);
        add_child(&p, root, e);
        f->expr = e;
        if (peek(&p) != T_EOF && !p.fatal) {
            syntax_error(&p, "end of file (a file holds one expression)");
            uint32_t err = open_node(&p, N_ERROR);
            while (peek(&p) != T_EOF)
                advance(&p);
            finish(&p, err);
            add_child(&p, root, err);
        }
    }
    if (!p.fatal) {
        f->nodes[root].tok_start = 0;
        f->nodes[root].tok_end = (uint32_t)f->ntoks;
    }
    return parser_done(&p);
}

/* A parser for a fragment (node 0 its root, nothing else yet): 0 or -ENOMEM. */
static int fragment_start(struct parser *p, struct nix_file *f, struct diag_list *diags,
                          unsigned depth)
{
    *p = (struct parser){.f = f, .diags = diags, .last_set_node = NIX_NONE, .depth = depth};
    f->nnodes = 0;
    if (nix_big_grow((void **)&f->nodes, &f->capnodes, sizeof *f->nodes, f->ntoks / 2 + 16) < 0 ||
        nix_big_grow((void **)&p->ents, &p->capents, sizeof *p->ents, f->ntoks / 6 + 64) < 0) {
        nix_big_free(p->ents, p->capents, sizeof *p->ents);
        return -ENOMEM;
    }
    p->nents = 1;
    skip_trivia(p);
    f->root = new_node(p, N_ROOT, 0);
    f->expr = NIX_NONE;
    return 0;
}

int nix_parse_binding(struct nix_file *f, struct diag_list *diags, bool is_let, unsigned depth,
                      uint32_t *bind)
{
    struct parser p;
    *bind = NIX_NONE;
    if (fragment_start(&p, f, diags, depth) < 0)
        return -ENOMEM;
    uint32_t root = f->root;
    if (!can_start_attr(peek(&p))) {
        syntax_error(&p, "an attribute name");
    } else {
        uint32_t m = amap_new(&p);
        uint32_t b = parse_binding(&p, is_let ? T_IN : T_RBRACE, is_let, m);
        add_child(&p, root, b);
        if (!p.fatal)
            *bind = b;
        if (peek(&p) != T_EOF)
            syntax_error(&p, "end of the binding");
    }
    if (!p.fatal) {
        f->nodes[root].tok_start = 0;
        f->nodes[root].tok_end = (uint32_t)f->ntoks;
    }
    return parser_done(&p);
}

int nix_parse_binds(struct nix_file *f, struct diag_list *diags, unsigned depth)
{
    struct parser p;
    if (fragment_start(&p, f, diags, depth) < 0)
        return -ENOMEM;
    uint32_t root = f->root;
    uint32_t m = amap_new(&p);
    if (m)
        parse_binds(&p, root, T_RBRACE, false, m);
    if (!p.fatal && peek(&p) != T_EOF)
        syntax_error(&p, "end of the bindings");
    if (!p.fatal) {
        f->nodes[root].tok_start = 0;
        f->nodes[root].tok_end = (uint32_t)f->ntoks;
    }
    return parser_done(&p);
}
