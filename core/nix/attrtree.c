/* The logical attribute tree: dotted keys and nested attrset literals merged into one
 * tree, wrappers looked through, everything else an opaque leaf with its source range. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

struct builder {
    struct nix_file *f;
    struct nix_arena *a;
    bool oom;
};

static void *grow(struct builder *b, void *old, size_t n, uint32_t *cap, size_t elem)
{
    if (n < *cap)
        return old;
    size_t nc = *cap ? *cap * 2 : 4;
    void *nv = nix_arena_alloc(b->a, nc * elem);
    if (!nv) {
        b->oom = true;
        return NULL;
    }
    if (n)
        memcpy(nv, old, n * elem);
    *cap = nc;
    return nv;
}

static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static void index_child(struct builder *b, struct nix_ivalue *v, size_t i)
{
    if (!v->hidx)
        return;
    uint32_t mask = (uint32_t)v->hcap - 1;
    uint32_t j = name_hash(v->pub.children[i]->name) & mask;
    while (v->hidx[j])
        j = (j + 1) & mask;
    v->hidx[j] = (uint32_t)i + 1;
    (void)b;
}

static void reindex(struct builder *b, struct nix_ivalue *v)
{
    size_t hc = 64;
    while (hc < v->pub.nchildren * 2)
        hc *= 2;
    uint32_t *h = nix_arena_alloc(b->a, hc * sizeof *h);
    if (!h) {
        v->hidx = NULL;
        return;
    }
    memset(h, 0, hc * sizeof *h);
    v->hidx = h;
    v->hcap = hc;
    for (size_t i = 0; i < v->pub.nchildren; i++)
        if (v->pub.children[i]->name)
            index_child(b, v, i);
}

static struct nix_ivalue *iv(const struct nix_value *v) { return (struct nix_ivalue *)v; }

const struct nix_value *nix_value_get(const struct nix_value *v, const char *name)
{
    if (!v || v->kind != NIX_ATTRS || !name)
        return NULL;
    const struct nix_ivalue *x = iv(v);
    if (x->hidx) {
        uint32_t mask = (uint32_t)x->hcap - 1;
        for (uint32_t j = name_hash(name) & mask; x->hidx[j]; j = (j + 1) & mask) {
            const struct nix_value *c = v->children[x->hidx[j] - 1];
            if (!strcmp(c->name, name))
                return c;
        }
        return NULL;
    }
    for (size_t i = 0; i < v->nchildren; i++)
        if (v->children[i]->name && !strcmp(v->children[i]->name, name))
            return v->children[i];
    return NULL;
}

const struct nix_value *nix_value_lookup(const struct nix_value *v, const char *const *path,
                                         size_t n)
{
    for (size_t i = 0; i < n && v; i++)
        v = nix_value_get(v, path[i]);
    return v;
}

/* ---- positions: read from the file's tree ---- */

static const struct nix_ivalue *civ(const struct nix_value *v)
{
    return (const struct nix_ivalue *)v;
}

/* The '{' of set literal n (rec and the wrappers are outside the value's range). */
static size_t brace_of(const struct nix_file *f, uint32_t n)
{
    uint32_t brace = f->nodes[n].tok_start;
    while (brace < f->nodes[n].tok_end && f->toks[brace].kind != T_LBRACE)
        brace++;
    return brace < f->ntoks ? f->toks[brace].start : nix_node_start(f, n);
}

uint32_t nix_key_start(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json)
        return x->js.ks;
    return x->key_node == NIX_NONE ? 0 : (uint32_t)nix_node_start(x->file, x->key_node);
}

uint32_t nix_key_end(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json)
        return x->js.ke;
    return x->key_node == NIX_NONE ? 0 : (uint32_t)nix_node_end(x->file, x->key_node);
}

uint32_t nix_wrap_start(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json)
        return x->js.vs;
    return x->wrap_node == NIX_NONE ? 0 : (uint32_t)nix_node_start(x->file, x->wrap_node);
}

uint32_t nix_val_start(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json)
        return x->js.vs;
    if (x->node == NIX_NONE) /* implicit: its first binding */
        return nix_wrap_start(v);
    if (x->file->nodes[x->node].kind == N_ATTRSET)
        return (uint32_t)brace_of(x->file, x->node);
    return (uint32_t)nix_node_start(x->file, x->node);
}

uint32_t nix_val_end(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json)
        return x->js.ve;
    uint32_t n = x->node != NIX_NONE ? x->node : x->wrap_node;
    return n == NIX_NONE ? 0 : (uint32_t)nix_node_end(x->file, n);
}

/* Line and column of offset off in v's file (callers read in roughly ascending order: the
 * file keeps the last line found as a cursor). */
static void linecol(const struct nix_value *v, size_t off, unsigned *line, unsigned *col)
{
    struct nix_file *f = civ(v)->file;
    nix_linecol_hint(f, off, &f->pos_hint, line, col);
}

unsigned nix_key_line(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json ? x->js.ke == 0 : x->key_node == NIX_NONE)
        return 0;
    unsigned l, c;
    linecol(v, nix_key_start(v), &l, &c);
    return l;
}

unsigned nix_key_col(const struct nix_value *v)
{
    const struct nix_ivalue *x = civ(v);
    if (x->json ? x->js.ke == 0 : x->key_node == NIX_NONE)
        return 0;
    unsigned l, c;
    linecol(v, nix_key_start(v), &l, &c);
    return c;
}

unsigned nix_val_line(const struct nix_value *v)
{
    unsigned l, c;
    linecol(v, nix_val_start(v), &l, &c);
    return l;
}

unsigned nix_val_col(const struct nix_value *v)
{
    unsigned l, c;
    linecol(v, nix_val_start(v), &l, &c);
    return c;
}

static struct nix_ivalue *new_value(struct builder *b, enum nix_kind kind)
{
    struct nix_ivalue *v = nix_arena_alloc(b->a, sizeof *v);
    if (!v) {
        b->oom = true;
        return NULL;
    }
    memset(v, 0, sizeof *v);
    v->pub.kind = kind;
    v->file = b->f;
    v->node = v->lit = v->key_node = v->wrap_node = NIX_NONE;
    return v;
}

static void add_child_value(struct builder *b, struct nix_ivalue *parent, struct nix_ivalue *c)
{
    struct nix_value **ch = grow(b, parent->pub.children, parent->pub.nchildren,
                                 &parent->capchildren, sizeof *ch);
    if (!ch)
        return;
    parent->pub.children = ch;
    c->pub.parent = &parent->pub;
    ch[parent->pub.nchildren++] = &c->pub;
    if (parent->pub.kind == NIX_ATTRS && c->pub.name) {
        if (!parent->hidx && parent->pub.nchildren > 16)
            reindex(b, parent);
        else if (parent->hidx && parent->pub.nchildren * 2 > parent->hcap)
            reindex(b, parent);
        else
            index_child(b, parent, parent->pub.nchildren - 1);
    }
}

static void add_def(struct builder *b, struct nix_ivalue *v, uint32_t node, uint32_t seg,
                    uint32_t name_node)
{
    if (!v->capdefs) { /* the first one lives in the value */
        v->defs = &v->def0;
        v->capdefs = 1;
    }
    struct nix_def *d = grow(b, v->defs, v->ndefs, &v->capdefs, sizeof *d);
    if (!d)
        return;
    v->defs = d;
    d[v->ndefs++] = (struct nix_def){node, seg, name_node};
}

static void add_lit(struct builder *b, struct nix_ivalue *v, uint32_t lit)
{
    uint32_t *l = grow(b, v->lits, v->nlits, &v->caplits, sizeof *l);
    if (!l)
        return;
    v->lits = l;
    l[v->nlits++] = lit;
    if (v->lit == NIX_NONE)
        v->lit = lit;
}

/* Look through wrappers to an attrset literal; NIX_NONE if there is none. */
static uint32_t unwrap_attrs(const struct nix_file *f, uint32_t n, bool calls)
{
    for (unsigned guard = 0; n != NIX_NONE && guard < 100000; guard++) {
        const struct nix_node *nd = &f->nodes[n];
        switch (nd->kind) {
        case N_ATTRSET:
            return n;
        case N_PAREN:
            n = nd->first_child;
            break;
        case N_LAMBDA:
            n = nd->last_child;
            if (n != NIX_NONE && f->nodes[n].kind == N_FORMALS)
                return NIX_NONE;
            break;
        case N_WITH:
        case N_ASSERT:
            n = nix_child(f, n, 1);
            break;
        case N_LET:
            n = nd->last_child;
            if (n != NIX_NONE && (f->nodes[n].kind == N_BINDING || f->nodes[n].kind == N_INHERIT ||
                                  f->nodes[n].kind == N_ERROR))
                return NIX_NONE;
            break;
        case N_APPLY:
            if (!calls)
                return NIX_NONE;
            n = nix_unparen(f, nd->last_child);
            if (n == NIX_NONE || f->nodes[n].kind != N_ATTRSET)
                return NIX_NONE;
            break;
        default:
            return NIX_NONE;
        }
    }
    return NIX_NONE;
}

static void set_key(struct nix_ivalue *v, uint32_t keynode)
{
    v->key_node = keynode;
}

static void fill_attrs(struct builder *b, struct nix_ivalue *v, uint32_t set);

static struct nix_ivalue *build_value(struct builder *b, uint32_t node, bool calls)
{
    struct nix_file *f = b->f;
    uint32_t set = unwrap_attrs(f, node, calls);
    struct nix_ivalue *v;
    if (set != NIX_NONE) {
        v = new_value(b, NIX_ATTRS);
        if (!v)
            return NULL;
        v->node = set;
        v->mergeable = nix_unparen(f, node) == set;
        v->wrap_node = node; /* the literal's range is from '{' to '}' (see brace_of) */
        add_lit(b, v, set);
        fill_attrs(b, v, set);
        return v;
    }
    /* a list behind `with pkgs;`, `let ... in` or parentheses is still a list */
    uint32_t wrapped = node;
    for (unsigned guard = 0; guard < 100000; guard++) {
        const struct nix_node *w = &f->nodes[wrapped];
        uint32_t inner = w->kind == N_PAREN ? w->first_child
                         : w->kind == N_WITH || w->kind == N_ASSERT ? nix_child(f, wrapped, 1)
                         : w->kind == N_LET ? w->last_child : NIX_NONE;
        if (inner == NIX_NONE || (w->kind == N_LET && f->nodes[inner].kind == N_BINDING))
            break;
        wrapped = inner;
    }
    if (wrapped != node && f->nodes[wrapped].kind == N_LIST) {
        v = build_value(b, wrapped, false);
        if (v)
            v->wrap_node = node;
        return v;
    }
    const struct nix_node *nd = &f->nodes[node];
    enum nix_kind kind = NIX_OPAQUE;
    char *str = NULL;
    int64_t ival = 0;
    double fval = 0;
    bool bval = false;
    const char *text = f->text + nix_node_start(f, node);
    size_t tlen = nix_node_end(f, node) - nix_node_start(f, node);
    switch (nd->kind) {
    case N_LIST:
        kind = NIX_LIST;
        break;
    case N_STRING:
        if ((str = nix_decode_string(f, node, b->a)))
            kind = NIX_STRING;
        break;
    case N_INDSTRING:
        if ((str = nix_decode_indstring(f, node, b->a)))
            kind = NIX_STRING;
        break;
    case N_INT: {
        uint64_t x = 0;
        bool ok = tlen > 0;
        for (size_t i = 0; i < tlen && ok; i++) {
            unsigned d = (unsigned)(text[i] - '0');
            if (x > (UINT64_C(9223372036854775807) - d) / 10)
                ok = false;
            x = x * 10 + d;
        }
        if (ok)
            kind = NIX_INT, ival = (int64_t)x;
        break;
    }
    case N_FLOAT: {
        char tmp[64];
        if (tlen < sizeof tmp) {
            memcpy(tmp, text, tlen);
            tmp[tlen] = 0;
            fval = strtod(tmp, NULL);
            kind = NIX_FLOAT;
        }
        break;
    }
    case N_VAR:
        if (tlen == 4 && !memcmp(text, "true", 4))
            kind = NIX_BOOL, bval = true;
        else if (tlen == 5 && !memcmp(text, "false", 5))
            kind = NIX_BOOL;
        else if (tlen == 4 && !memcmp(text, "null", 4))
            kind = NIX_NULL;
        break;
    case N_PATH:
        if (nd->first_child == NIX_NONE) {
            kind = NIX_PATH;
            /* the text up to the zero-width end marker */
            str = nix_arena_strndup(b->a, text, tlen);
        }
        break;
    case N_SPATH:
        kind = NIX_PATH;
        str = nix_arena_strndup(b->a, text, tlen);
        break;
    default:
        break;
    }
    v = new_value(b, kind);
    if (!v)
        return NULL;
    v->node = node;
    v->pub.str = str;
    if (kind == NIX_INT)
        v->pub.ival = ival;
    else if (kind == NIX_FLOAT)
        v->pub.fval = fval;
    else if (kind == NIX_BOOL)
        v->pub.bval = bval;
    v->wrap_node = node;
    if (kind == NIX_LIST) {
        for (uint32_t c = nd->first_child; c != NIX_NONE; c = f->nodes[c].next_sibling) {
            if (f->nodes[c].kind == N_ERROR)
                continue;
            struct nix_ivalue *e = build_value(b, c, false);
            if (!e)
                return NULL;
            add_child_value(b, v, e);
        }
    }
    return v;
}

static void add_binding(struct builder *b, struct nix_ivalue *v, uint32_t bind)
{
    struct nix_file *f = b->f;
    uint32_t ap = f->nodes[bind].first_child;
    if (ap == NIX_NONE || f->nodes[ap].kind != N_ATTRPATH)
        return;
    uint32_t val = f->nodes[ap].next_sibling;
    if (val == NIX_NONE || f->nodes[val].kind == N_ERROR)
        return;
    unsigned nseg = nix_nchildren(f, ap), i = 0;
    /* all segments must be static names */
    for (uint32_t c = f->nodes[ap].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling)
        if (f->nodes[c].kind == N_ERROR)
            return;
    struct nix_ivalue *cur = v;
    for (uint32_t c = f->nodes[ap].first_child; c != NIX_NONE;
         c = f->nodes[c].next_sibling, i++) {
        char *name = nix_attr_name(f, c, b->a);
        if (!name)
            return;
        struct nix_ivalue *x = iv(nix_value_get(&cur->pub, name));
        if (i + 1 < nseg) {
            if (!x) {
                x = new_value(b, NIX_ATTRS);
                if (!x)
                    return;
                x->pub.name = name;
                x->pub.implicit = true;
                x->mergeable = true;
                set_key(x, c);
                x->wrap_node = bind; /* its range: the binding */
                add_child_value(b, cur, x);
            } else if (x->pub.kind != NIX_ATTRS || x->inherited) {
                return; /* conflict: reported by the parser */
            }
            add_def(b, x, bind, i, NIX_NONE);
            cur = x;
            continue;
        }
        if (!x) {
            x = build_value(b, val, false);
            if (!x)
                return;
            x->pub.name = name;
            set_key(x, c);
            add_def(b, x, bind, i, NIX_NONE);
            add_child_value(b, cur, x);
            return;
        }
        uint32_t set = unwrap_attrs(f, val, false);
        if (x->pub.kind == NIX_ATTRS && !x->inherited && set != NIX_NONE) {
            add_def(b, x, bind, i, NIX_NONE);
            add_lit(b, x, set);
            if (x->pub.implicit) {
                /* the literal becomes the main definition */
                x->node = set;
                x->pub.implicit = false;
                x->wrap_node = val;
            }
            fill_attrs(b, x, set);
        }
        return;
    }
}

static void add_inherit(struct builder *b, struct nix_ivalue *v, uint32_t inh)
{
    struct nix_file *f = b->f;
    for (uint32_t c = f->nodes[inh].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling) {
        int k = f->nodes[c].kind;
        if (k != N_ATTR_ID && k != N_ATTR_STR && k != N_ATTR_DYN)
            continue;
        char *name = nix_attr_name(f, c, b->a);
        if (!name || nix_value_get(&v->pub, name))
            continue;
        struct nix_ivalue *x = new_value(b, NIX_OPAQUE);
        if (!x)
            return;
        x->pub.name = name;
        x->inherited = true;
        x->node = c;
        set_key(x, c);
        x->wrap_node = c;
        add_def(b, x, inh, 0, c);
        add_child_value(b, v, x);
    }
}

static void fill_attrs(struct builder *b, struct nix_ivalue *v, uint32_t set)
{
    struct nix_file *f = b->f;
    for (uint32_t c = f->nodes[set].first_child; c != NIX_NONE && !b->oom;
         c = f->nodes[c].next_sibling) {
        if (f->nodes[c].kind == N_BINDING)
            add_binding(b, v, c);
        else if (f->nodes[c].kind == N_INHERIT)
            add_inherit(b, v, c);
    }
}

struct nix_ivalue *nix_tree_build(struct nix_file *f, struct nix_arena *a, uint32_t node)
{
    struct builder b = {.f = f, .a = a};
    struct nix_ivalue *v = build_value(&b, node, false);
    return b.oom ? NULL : v;
}

struct nix_ivalue *nix_tree_build_binds(struct nix_file *f, struct nix_arena *a, uint32_t parent)
{
    struct builder b = {.f = f, .a = a};
    struct nix_ivalue *v = new_value(&b, NIX_ATTRS);
    if (!v)
        return NULL;
    for (uint32_t c = f->nodes[parent].first_child; c != NIX_NONE && !b.oom;
         c = f->nodes[c].next_sibling)
        if (f->nodes[c].kind == N_BINDING)
            add_binding(&b, v, c);
    return b.oom ? NULL : v;
}

size_t nix_tree_index_cap(size_t nchildren)
{
    if (nchildren <= 16)
        return 0;
    size_t hc = 64;
    while (hc < nchildren * 2)
        hc *= 2;
    return hc;
}

void nix_tree_index(struct nix_ivalue *v, uint32_t *table, size_t cap)
{
    v->hidx = table;
    v->hcap = table ? cap : 0;
    if (!table)
        return;
    memset(table, 0, cap * sizeof *table);
    uint32_t mask = (uint32_t)cap - 1;
    for (size_t i = 0; i < v->pub.nchildren; i++) {
        if (!v->pub.children[i]->name)
            continue;
        uint32_t j = name_hash(v->pub.children[i]->name) & mask;
        while (table[j])
            j = (j + 1) & mask;
        table[j] = (uint32_t)i + 1;
    }
}

void nix_tree_index_add(struct nix_ivalue *v, size_t i)
{
    if (v->pub.children[i]->name)
        index_child(NULL, v, i);
}

void nix_tree_index_remove(struct nix_ivalue *v, size_t i)
{
    if (!v->hidx || !v->pub.children[i]->name)
        return;
    uint32_t mask = v->hcap - 1, *h = v->hidx;
    uint32_t j = name_hash(v->pub.children[i]->name) & mask;
    while (h[j] && h[j] != i + 1)
        j = (j + 1) & mask;
    if (!h[j])
        return;
    /* linear probing: entries after the hole that it cut from their home move back */
    h[j] = 0;
    for (uint32_t k = (j + 1) & mask; h[k]; k = (k + 1) & mask) {
        uint32_t home = name_hash(v->pub.children[h[k] - 1]->name) & mask;
        bool stays = j < k ? home > j && home <= k : home > j || home <= k;
        if (!stays) {
            h[j] = h[k];
            h[k] = 0;
            j = k;
        }
    }
}

const struct nix_value *nix_file_root(struct nix_file *f)
{
    if (f->tree_built)
        return f->tree ? &f->tree->pub : NULL;
    f->tree_built = true;
    struct builder b = {.f = f, .a = &f->tree_arena};
    struct nix_ivalue *root;
    if (f->expr == NIX_NONE || f->nodes[f->expr].kind == N_ERROR) {
        root = new_value(&b, NIX_OPAQUE); /* no node: positions 0 */
    } else {
        root = build_value(&b, f->expr, true);
    }
    if (b.oom)
        root = NULL;
    f->tree = root;
    return root ? &root->pub : NULL;
}

const char *nix_kind_name(enum nix_kind k)
{
    switch (k) {
    case NIX_ATTRS: return "an attribute set";
    case NIX_LIST: return "a list";
    case NIX_STRING: return "a string";
    case NIX_INT: return "an integer";
    case NIX_FLOAT: return "a float";
    case NIX_BOOL: return "a boolean";
    case NIX_NULL: return "null";
    case NIX_PATH: return "a path";
    default: return "an expression (not a literal)";
    }
}

int nix_attrpath_split(const char *s, char ***segs, size_t *n, struct diag *d)
{
    size_t cap = 4, k = 0;
    char **v = calloc(cap, sizeof *v);
    if (!v)
        return -ENOMEM;
    const char *p = s;
    int r = 0;
    struct buf cur = {0};
    for (;;) {
        buf_reset(&cur);
        size_t col = (size_t)(p - s) + 1;
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) {
                    p++;
                    buf_putc(&cur, *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p);
                } else if (*p == '$' && p[1] == '{') {
                    r = diag_set(d, DIAG_ERROR, NULL, 1, (unsigned)(p - s) + 1,
                                 "interpolation in attribute path '%s'; expected constant "
                                 "names", s);
                    goto fail;
                } else {
                    buf_putc(&cur, *p);
                }
                p++;
            }
            if (*p != '"') {
                r = diag_set(d, DIAG_ERROR, NULL, 1, (unsigned)col,
                             "unterminated quoted name in attribute path '%s'; expected a "
                             "closing '\"'", s);
                goto fail;
            }
            p++;
        } else {
            while (*p && *p != '.' && *p != '"')
                buf_putc(&cur, *p++);
            if (!cur.len) {
                r = diag_set(d, DIAG_ERROR, NULL, 1, (unsigned)col,
                             "empty name in attribute path '%s'; expected NAME or "
                             "\"NAME\" between dots", s);
                goto fail;
            }
        }
        if (k == cap) {
            cap *= 2;
            char **nv = realloc(v, cap * sizeof *nv);
            if (!nv) {
                r = -ENOMEM;
                goto fail;
            }
            v = nv;
        }
        v[k] = strdup(cur.p ? cur.p : "");
        if (!v[k]) {
            r = -ENOMEM;
            goto fail;
        }
        k++;
        if (!*p)
            break;
        if (*p != '.') {
            r = diag_set(d, DIAG_ERROR, NULL, 1, (unsigned)(p - s) + 1,
                         "unexpected '%c' in attribute path '%s'; expected '.'", *p, s);
            goto fail;
        }
        p++;
    }
    buf_free(&cur);
    *segs = v;
    *n = k;
    return 0;
fail:
    buf_free(&cur);
    for (size_t i = 0; i < k; i++)
        free(v[i]);
    free(v);
    return r;
}
