/* Local edits in place: a change inside the value of one binding is re-parsed alone (the
 * binding's new text, as one binding), checked to give exactly what a parse of the whole
 * patched text would give, and spliced into the text, the tokens, the nodes, the line
 * table and the logical tree.
 *
 * Why the fragment's parse is the whole parse's: the patches lie strictly inside the value
 * (after '=', before the final ';'), so the binding starts and ends with the same tokens;
 * the lexer's state at a binding is DEFAULT, and a fragment that lexes and parses as one
 * binding without a diagnostic leaves the lexer's state stack as it found it; no token of
 * the binding is decided by bytes past its ';'. The parser's only context is the nesting
 * depth (bounded from above here) and the duplicate-attribute maps: the logical value the
 * binding defines must have that binding as its only definition, so no other binding
 * merges into it or below it, and the fragment's own parse checks what is inside.
 *
 * A second form adds or deletes whole bindings of a set literal without re-parsing the set
 * (see "the second form" below): preferred when its fragment is much smaller than the
 * innermost binding's (a machine added to a thousand others). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

/* Larger fragments: a full parse is about as cheap (a quarter of the file, at least 64 KiB:
 * a whole set of a thousand machines in a 1 MB file still is a local edit). */
#define LOCAL_MAX_TEXT(f) ((f)->len / 4 > (64u << 10) ? (f)->len / 4 : (64u << 10))
#define LOCAL_MAX_CANDS 4          /* bindings tried, innermost first */

size_t nix_change_offset(const struct nix_change *c, size_t off)
{
    if (off < c->start)
        return off;
    if (off >= c->old_end)
        return off - c->old_end + c->new_end;
    return c->start; /* inside the replaced text */
}

void nix_change_linecol(const struct nix_change *c, unsigned *line, unsigned *col)
{
    if (*line < c->old_line || (*line == c->old_line && *col < c->old_col))
        return;
    if (*line == c->old_line)
        *col = *col - c->old_col + c->new_col;
    *line = *line - c->old_line + c->new_line;
}

/* ---- finding the binding ---- */

/* The '=' of binding b (NIX_NONE if not well formed). */
static uint32_t assign_tok(const struct nix_file *f, uint32_t b)
{
    uint32_t ap = f->nodes[b].first_child;
    if (ap == NIX_NONE || f->nodes[ap].kind != N_ATTRPATH)
        return NIX_NONE;
    uint32_t val = f->nodes[ap].next_sibling;
    if (val == NIX_NONE || f->nodes[val].kind == N_ERROR || f->nodes[val].next_sibling != NIX_NONE)
        return NIX_NONE;
    uint32_t t = f->nodes[ap].tok_end;
    while (t < f->nodes[val].tok_start && nix_tok_trivia(f->toks[t].kind))
        t++;
    if (t >= f->nodes[val].tok_start || f->toks[t].kind != T_ASSIGN)
        return NIX_NONE;
    return t;
}

/* Does binding b's value hold [lo, hi): at or after the end of '=', at or before ';'? */
static bool value_holds(const struct nix_file *f, uint32_t b, size_t lo, size_t hi)
{
    const struct nix_node *nd = &f->nodes[b];
    if (nd->tok_end <= nd->tok_start || f->toks[nd->tok_end - 1].kind != T_SEMI)
        return false;
    uint32_t eq = assign_tok(f, b);
    return eq != NIX_NONE && lo >= f->toks[eq + 1].start && hi <= f->toks[nd->tok_end - 1].start;
}

struct cand {
    uint32_t node, parent;
    unsigned depth; /* nodes above it */
};

/* The bindings whose value holds [lo, hi), innermost last (at most max of them). */
static size_t find_cands(const struct nix_file *f, size_t lo, size_t hi, struct cand *c,
                         size_t max)
{
    size_t k = 0;
    uint32_t n = f->root, parent = NIX_NONE;
    unsigned depth = 0;
    for (;;) {
        if (f->nodes[n].kind == N_BINDING && value_holds(f, n, lo, hi)) {
            if (k == max) {
                memmove(c, c + 1, (max - 1) * sizeof *c);
                k--;
            }
            c[k++] = (struct cand){n, parent, depth};
        }
        uint32_t next = NIX_NONE;
        for (uint32_t ch = f->nodes[n].first_child; ch != NIX_NONE; ch = f->nodes[ch].next_sibling) {
            size_t s = nix_node_start(f, ch);
            if (s > lo)
                break;
            if (hi <= nix_node_end(f, ch) && f->nodes[ch].tok_end > f->nodes[ch].tok_start) {
                next = ch;
                break;
            }
        }
        if (next == NIX_NONE)
            return k;
        parent = n;
        n = next;
        depth++;
    }
}

/* Does binding (or any node) a strictly contain node b by tokens? */
static bool contains(const struct nix_file *f, uint32_t a, uint32_t b)
{
    return a != b && f->nodes[a].tok_start <= f->nodes[b].tok_start &&
           f->nodes[b].tok_end <= f->nodes[a].tok_end;
}

/* Where the search for a value goes in a set or list of n children: the last child whose
 * start (pos) is at or before `at`, when the children are in source order (a probe: the
 * caller checks it, and looks at every child when it does not fit). */
static size_t probe(const struct nix_value *x, size_t at,
                    size_t (*pos)(const struct nix_file *, const struct nix_value *),
                    struct nix_file *f)
{
    size_t lo = 0, hi = x->nchildren;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        f->nvisits++;
        if (pos(f, x->children[mid]) <= at)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? lo - 1 : 0;
}

static size_t def_start(const struct nix_file *f, const struct nix_value *v)
{
    const struct nix_ivalue *c = (const struct nix_ivalue *)v;
    return c->ndefs ? nix_node_start(f, c->defs[0].node) : SIZE_MAX;
}

static size_t wrap_start(const struct nix_file *f, const struct nix_value *v)
{
    (void)f;
    return nix_wrap_start(v);
}

/* Is child c of a set where binding u (nseg segments) defines a value? 0: no; 1: below c;
 * 2: c itself (*hit: c when u is its only definition, else NULL). */
static int def_match(struct nix_file *f, struct nix_ivalue *c, uint32_t u, unsigned nseg,
                     bool *in_tree, struct nix_ivalue **hit)
{
    f->nvisits++;
    for (size_t j = 0; j < c->ndefs; j++) {
        const struct nix_def *d = &c->defs[j];
        if (d->node == u) {
            *in_tree = true;
            if (d->seg + 1 == nseg) {
                *hit = c->ndefs == 1 && !c->inherited && c->nlits <= 1 ? c : NULL;
                return 2;
            }
            return 1;
        }
        if (f->nodes[d->node].kind == N_BINDING && contains(f, d->node, u))
            return 1;
    }
    return 0;
}

/* The child of x (a set or list) whose range holds [s, e), or NULL. */
static struct nix_ivalue *child_holding(struct nix_file *f, const struct nix_value *x, size_t s,
                                        size_t e)
{
    if (!x->nchildren)
        return NULL;
    size_t p = probe(x, s, wrap_start, f);
    if (p > 0) { /* the first one that holds it, as a scan would find */
        const struct nix_value *c = x->children[p - 1];
        f->nvisits++;
        if (nix_wrap_start(c) <= s && e <= nix_val_end(c))
            return (struct nix_ivalue *)c;
    }
    for (size_t i = 0; i <= x->nchildren; i++) {
        const struct nix_value *c = x->children[i ? i - 1 : p];
        if (i && i - 1 == p)
            continue;
        f->nvisits++;
        if (nix_wrap_start(c) <= s && e <= nix_val_end(c))
            return (struct nix_ivalue *)c;
    }
    return NULL;
}

/* The logical value binding u defines, when u is its only definition; else NULL, with
 * *in_tree telling whether u is one of the logical tree's definitions at all. */
static struct nix_ivalue *find_value(struct nix_file *f, uint32_t u, unsigned nseg, bool *in_tree)
{
    struct nix_ivalue *x = f->tree;
    size_t us = nix_node_start(f, u), ue = nix_node_end(f, u);
    *in_tree = false;
    for (unsigned guard = 0; x && guard < 100000; guard++) {
        struct nix_ivalue *next = NULL;
        if (x->pub.kind == NIX_ATTRS && x->pub.nchildren) {
            /* the probe first: every child only when it misses */
            size_t p = probe(&x->pub, us, def_start, f);
            for (size_t i = 0; i <= x->pub.nchildren && !next; i++) {
                if (i && i - 1 == p)
                    continue;
                struct nix_ivalue *c = (struct nix_ivalue *)x->pub.children[i ? i - 1 : p];
                struct nix_ivalue *hit = NULL;
                int m = def_match(f, c, u, nseg, in_tree, &hit);
                if (m == 2)
                    return hit;
                if (m == 1)
                    next = c;
            }
        } else if (x->pub.kind == NIX_LIST) {
            next = child_holding(f, &x->pub, us, ue);
        }
        x = next;
    }
    return NULL;
}

/* The parent of node n (NIX_NONE for the root). */
static uint32_t parent_of(const struct nix_file *f, uint32_t n)
{
    uint32_t p = f->root;
    const struct nix_node *nd = &f->nodes[n];
    for (;;) {
        uint32_t next = NIX_NONE;
        for (uint32_t c = f->nodes[p].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling) {
            if (c == n)
                return p;
            const struct nix_node *cn = &f->nodes[c];
            if (cn->tok_start <= nd->tok_start && nd->tok_end <= cn->tok_end &&
                cn->tok_end > cn->tok_start) {
                next = c;
                break;
            }
        }
        if (next == NIX_NONE)
            return NIX_NONE;
        p = next;
    }
}

/* Is attribute node a statically named s (n bytes)? false when dynamic. */
static bool attr_is(const struct nix_file *f, uint32_t a, const char *s, size_t n,
                    struct nix_arena *ar)
{
    const struct nix_node *nd = &f->nodes[a];
    if (nd->kind == N_ATTR_ID) {
        const struct nix_token *t = &f->toks[nd->tok_start];
        return nix_tok_len(t) == n && !memcmp(f->text + t->start, s, n);
    }
    const char *name = nix_attr_name(f, a, ar);
    return name && strlen(name) == n && !memcmp(name, s, n);
}

/* A binding outside the logical tree (in a let, or in a set that only an expression the
 * tree does not look into holds): can the parser's duplicate check meet it elsewhere?
 * Not when no other binding or inherit of its binds block starts with its first name and
 * the block is not merged with another (a let's never is; a set is when it is the value of
 * a binding). */
static bool alone_in_binds(const struct nix_file *f, uint32_t u, uint32_t parent)
{
    if (f->nodes[parent].kind == N_ATTRSET) {
        uint32_t up = parent_of(f, parent);
        while (up != NIX_NONE && f->nodes[up].kind == N_PAREN)
            up = parent_of(f, up);
        if (up == NIX_NONE || f->nodes[up].kind == N_BINDING)
            return false;
    } else if (f->nodes[parent].kind != N_LET) {
        return false;
    }
    struct nix_arena ar = {0};
    uint32_t first = f->nodes[f->nodes[u].first_child].first_child;
    const char *name = nix_attr_name(f, first, &ar);
    bool ok = name != NULL;
    size_t nlen = name ? strlen(name) : 0;
    for (uint32_t c = f->nodes[parent].first_child; c != NIX_NONE && ok;
         c = f->nodes[c].next_sibling) {
        if (c == u)
            continue;
        if (f->nodes[c].kind == N_BINDING) {
            uint32_t ap = f->nodes[c].first_child;
            if (ap == NIX_NONE || f->nodes[ap].kind != N_ATTRPATH ||
                attr_is(f, f->nodes[ap].first_child, name, nlen, &ar))
                ok = false;
        } else if (f->nodes[c].kind == N_INHERIT) {
            for (uint32_t a = f->nodes[c].first_child; a != NIX_NONE && ok;
                 a = f->nodes[a].next_sibling)
                if (f->nodes[a].kind != N_PAREN && attr_is(f, a, name, nlen, &ar))
                    ok = false;
        }
    }
    nix_arena_free(&ar);
    return ok;
}

/* ---- the check ---- */

static void scratch_free(struct nix_file *g)
{
    nix_file_free(g);
}

/* A scratch file holding [us, ue) of f with the patches (inside it) applied: 1, or 0 when
 * it would be too large for a local edit, <0 ENOMEM. */
static int new_frag(const struct nix_file *f, size_t us, size_t ue, const struct nix_patch *v,
                    size_t n, struct nix_file **out)
{
    size_t flen = ue - us;
    for (size_t i = 0; i < n; i++) {
        size_t tl = strlen(v[i].text);
        flen = flen - (v[i].end - v[i].start) + tl;
        if (flen > LOCAL_MAX_TEXT(f) || tl > LOCAL_MAX_TEXT(f))
            return 0;
    }
    struct nix_file *g = calloc(1, sizeof *g);
    if (!g)
        return -ENOMEM;
    g->name = strdup(f->name);
    if (!g->name || nix_big_grow((void **)&g->text, &g->captext, 1, flen + 1) < 0) {
        nix_file_free(g);
        return -ENOMEM;
    }
    size_t at = 0, from = us;
    for (size_t i = 0; i < n; i++) {
        memcpy(g->text + at, f->text + from, v[i].start - from);
        at += v[i].start - from;
        size_t tl = strlen(v[i].text);
        memcpy(g->text + at, v[i].text, tl);
        at += tl;
        from = v[i].end;
    }
    memcpy(g->text + at, f->text + from, ue - from);
    at += ue - from;
    g->text[at] = 0;
    g->len = at;
    *out = g;
    return 1;
}

/* Parse the candidate's new text; 1 when it is one clean binding with the same start. */
static int parse_fragment(struct nix_file *f, const struct cand *c, const struct nix_patch *v,
                          size_t n, struct nix_local *l)
{
    uint32_t u = c->node;
    size_t us = nix_node_start(f, u);
    struct nix_file *g = NULL;
    int r = new_frag(f, us, nix_node_end(f, u), v, n, &g);
    if (r <= 0)
        return r;
    struct diag_list dl = {0};
    uint32_t bind = NIX_NONE;
    /* the parser's depth counter grows by at most 3 per node above the binding */
    unsigned depth = 3 * c->depth + 4;
    r = 0;
    if (depth >= 2 * NIX_MAX_DEPTH)
        goto out;
    if ((r = nix_lex(g, &dl)) < 0 || dl.n || g->has_errors)
        goto out_dl;
    bool is_let = f->nodes[c->parent].kind == N_LET;
    if ((r = nix_parse_binding(g, &dl, is_let, depth, &bind)) < 0 || dl.n || g->has_errors)
        goto out_dl;
    /* one binding over every token; the empty end-of-file token after it */
    uint32_t gt = (uint32_t)g->ntoks - 1;
    if (bind != 1 || g->toks[gt].kind != T_EOF || g->toks[gt].start != g->len ||
        g->nodes[bind].tok_start != 0 || g->nodes[bind].tok_end != gt ||
        g->nodes[0].first_child != bind || g->nodes[bind].next_sibling != NIX_NONE)
        goto out_dl;
    /* the same tokens up to and including '=' */
    uint32_t eq = assign_tok(f, u), geq = assign_tok(g, bind);
    uint32_t uts = f->nodes[u].tok_start;
    if (eq == NIX_NONE || geq == NIX_NONE || geq != eq - uts)
        goto out_dl;
    for (uint32_t t = 0; t <= geq; t++)
        if (g->toks[t].kind != f->toks[uts + t].kind ||
            g->toks[t].start != f->toks[uts + t].start - us)
            goto out_dl;
    l->frag = g;
    l->bind = bind;
    g = NULL;
    r = 1;
out_dl:
    diag_list_free(&dl);
out:
    scratch_free(g);
    return r;
}

void nix_local_free(struct nix_local *l)
{
    if (!l)
        return;
    nix_file_free(l->frag);
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void drop_kept(struct nix_file *f)
{
    nix_local_free(f->kept);
    free(f->kept);
    f->kept = NULL;
}

void nix_local_keep(struct nix_file *f, struct nix_local *l, const struct nix_patch *v, size_t n)
{
    drop_kept(f);
    struct nix_local *k = calloc(1, sizeof *k);
    struct nix_patch *pv = calloc(n ? n : 1, sizeof *pv);
    if (!k || !pv) {
        free(k);
        free(pv);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        pv[i] = (struct nix_patch){v[i].start, v[i].end, strdup(v[i].text)};
        if (!pv[i].text) {
            for (size_t j = 0; j < i; j++)
                free(pv[j].text);
            free(pv);
            free(k);
            return;
        }
    }
    *k = *l;
    memset(l, 0, sizeof *l);
    k->v = pv;
    k->n = n;
    f->kept = k;
}

/* The kept check, when it was made for these patches (taken from f); else NULL. */
static struct nix_local *take_kept(struct nix_file *f, const struct nix_patch *v, size_t n)
{
    struct nix_local *k = f->kept;
    if (!k || k->n != n)
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (k->v[i].start != v[i].start || k->v[i].end != v[i].end || !v[i].text ||
            strcmp(k->v[i].text, v[i].text))
            return NULL;
    f->kept = NULL;
    return k;
}

/* ---- the second form: whole bindings inserted into or deleted from a set ----
 * The patches lie in the interior of a set literal S, between its items (or over whole
 * ones, which they delete); the text between the last item before them (or '{') and the
 * first after them (or '}') is re-parsed alone as 0..n bindings. Why that is the whole
 * parse's: it starts after a ';' or '{' (in the lexer's DEFAULT state, which a clean
 * fragment leaves as it found it) and ends with ';' or trivia other than a line comment,
 * so no token crosses its ends; its nesting depth is bounded from above as for a binding;
 * the only context the parser checks it against is S's attribute map, which holds exactly
 * the first names of S's items when S's value V is defined by S alone: a new binding's
 * first name that no item of S still has cannot meet a duplicate there. The logical tree:
 * each new binding adds one child of its own to V (its first name is new), each deleted
 * one was the only definition of its child; V's other children are what they were. */

struct attrs_cand {
    uint32_t set;        /* S */
    unsigned depth;      /* nodes above it */
    uint32_t prev, next; /* the items kept around the span, NIX_NONE for '{' / '}' */
    uint32_t ts, te;     /* the span's tokens */
    size_t ss, se;       /* its bytes */
    size_t newlen;       /* its length once patched */
};

/* The innermost set literal whose interior holds every patch, and the span, when no item
 * of it is cut by the patched range. */
static bool find_attrs(const struct nix_file *f, const struct nix_patch *v, size_t n,
                       struct attrs_cand *a)
{
    size_t lo = v[0].start, hi = v[n - 1].end;
    uint32_t node = f->root, best = NIX_NONE;
    unsigned depth = 0, bdepth = 0;
    for (;;) {
        const struct nix_node *nd = &f->nodes[node];
        if (nd->kind == N_ATTRSET && nd->tok_end >= nd->tok_start + 2 &&
            f->toks[nd->tok_end - 1].kind == T_RBRACE) {
            uint32_t lb = nd->tok_start;
            while (lb < nd->tok_end && f->toks[lb].kind != T_LBRACE)
                lb++;
            if (lb < nd->tok_end - 1 && lo >= f->toks[lb + 1].start &&
                hi <= f->toks[nd->tok_end - 1].start)
                best = node, bdepth = depth;
        }
        uint32_t next = NIX_NONE;
        for (uint32_t ch = nd->first_child; ch != NIX_NONE; ch = f->nodes[ch].next_sibling) {
            size_t s = nix_node_start(f, ch);
            if (s > lo)
                break;
            if (hi <= nix_node_end(f, ch) && f->nodes[ch].tok_end > f->nodes[ch].tok_start) {
                next = ch;
                break;
            }
        }
        if (next == NIX_NONE)
            break;
        node = next;
        depth++;
    }
    if (best == NIX_NONE || f->nodes[best].flags & NF_REC ||
        f->toks[f->nodes[best].tok_start].kind != T_LBRACE)
        return false;
    const struct nix_node *sn = &f->nodes[best];
    uint32_t prev = NIX_NONE, next = NIX_NONE;
    for (uint32_t c = sn->first_child; c != NIX_NONE; c = f->nodes[c].next_sibling) {
        int k = f->nodes[c].kind;
        if ((k != N_BINDING && k != N_INHERIT) || f->nodes[c].tok_end <= f->nodes[c].tok_start)
            return false;
        size_t is = nix_node_start(f, c), ie = nix_node_end(f, c);
        if (ie <= lo) {
            prev = c;
        } else if (is >= hi) {
            next = c;
            break;
        } else if (!(lo <= is && ie <= hi)) {
            return false; /* cut */
        }
    }
    a->set = best;
    a->depth = bdepth;
    a->prev = prev;
    a->next = next;
    a->ts = prev == NIX_NONE ? sn->tok_start + 1 : f->nodes[prev].tok_end;
    a->te = next == NIX_NONE ? sn->tok_end - 1 : f->nodes[next].tok_start;
    a->ss = f->toks[a->ts].start;
    a->se = f->toks[a->te].start;
    if (a->ts > a->te || a->ss > lo || hi > a->se)
        return false;
    size_t len = a->se - a->ss;
    for (size_t i = 0; i < n; i++)
        len = len - (v[i].end - v[i].start) + strlen(v[i].text);
    a->newlen = len;
    return true;
}

/* The child of set x one of whose bindings holds node n (a set's attributes are found by
 * their definitions: an implicit one's range is its first dotted binding alone), or NULL. */
static struct nix_ivalue *child_defining(struct nix_file *f, const struct nix_value *x,
                                         uint32_t n)
{
    if (!x->nchildren)
        return NULL;
    size_t p = probe(x, nix_node_start(f, n), def_start, f);
    for (size_t i = 0; i <= x->nchildren; i++) {
        if (i && i - 1 == p)
            continue;
        struct nix_ivalue *c = (struct nix_ivalue *)x->children[i ? i - 1 : p];
        f->nvisits++;
        for (size_t j = 0; j < c->ndefs; j++)
            if (f->nodes[c->defs[j].node].kind == N_BINDING && contains(f, c->defs[j].node, n))
                return c;
    }
    return NULL;
}

/* The logical value whose node is the set literal `set` (NULL when the tree has none). */
static struct nix_ivalue *set_value(struct nix_file *f, uint32_t set)
{
    size_t s = nix_node_start(f, set), e = nix_node_end(f, set);
    struct nix_ivalue *x = f->tree;
    for (unsigned guard = 0; x && guard < 100000; guard++) {
        if (x->node == set)
            return x->pub.kind == NIX_ATTRS ? x : NULL;
        struct nix_ivalue *next = NULL;
        if (x->pub.kind == NIX_ATTRS)
            next = child_defining(f, &x->pub, set);
        if (!next && (x->pub.kind == NIX_ATTRS || x->pub.kind == NIX_LIST))
            next = child_holding(f, &x->pub, s, e);
        x = next;
    }
    return NULL;
}

/* Start of the first definition of V's child i (children are in this order when V is
 * made by one literal alone). */
static size_t child_pos(const struct nix_file *f, const struct nix_ivalue *V, size_t i)
{
    const struct nix_ivalue *c = (const struct nix_ivalue *)V->pub.children[i];
    return c->ndefs ? nix_node_start(f, c->defs[0].node) : SIZE_MAX;
}

static int attrs_check(struct nix_file *f, const struct nix_patch *v, size_t n,
                       const struct attrs_cand *a, struct nix_local *l)
{
    struct nix_ivalue *V = set_value(f, a->set);
    if (!V || V->nlits != 1 || V->lits[0] != a->set || V->ndefs > 1 || V->inherited ||
        V->pub.implicit)
        return 0;
    /* the deleted items: bindings, each the only definition of its child; those children
     * are consecutive, after the children of the items before the span */
    size_t lo_i = 0, hi_i = V->pub.nchildren;
    while (lo_i < hi_i) {
        size_t mid = lo_i + (hi_i - lo_i) / 2;
        if (child_pos(f, V, mid) < a->ss)
            lo_i = mid + 1;
        else
            hi_i = mid;
    }
    size_t at = lo_i, ndel = 0;
    uint32_t first = a->prev == NIX_NONE ? f->nodes[a->set].first_child
                                         : f->nodes[a->prev].next_sibling;
    for (uint32_t c = first; c != a->next; c = f->nodes[c].next_sibling) {
        if (c == NIX_NONE || f->nodes[c].kind != N_BINDING)
            return 0;
        if (at + ndel >= V->pub.nchildren)
            return 0;
        const struct nix_ivalue *x = (const struct nix_ivalue *)V->pub.children[at + ndel];
        if (x->ndefs != 1 || x->defs[0].node != c || x->defs[0].seg != 0 || x->inherited)
            return 0;
        ndel++;
    }
    if (at > 0 && child_pos(f, V, at - 1) >= a->ss)
        return 0;
    /* the span, patched, parsed alone */
    unsigned depth = 3 * (a->depth + 1) + 4;
    if (depth >= 2 * NIX_MAX_DEPTH)
        return 0;
    struct nix_file *g = NULL;
    int r = new_frag(f, a->ss, a->se, v, n, &g);
    if (r <= 0)
        return r;
    struct diag_list dl = {0};
    r = 0;
    if ((r = nix_lex(g, &dl)) < 0 || dl.n || g->has_errors)
        goto out;
    uint32_t gt = (uint32_t)g->ntoks - 1;
    if (g->toks[gt].kind != T_EOF || g->toks[gt].start != g->len)
        goto out;
    /* no token may reach past the span's end: it ends with ';' or trivia that stops */
    if (gt > 0) {
        int k = g->toks[gt - 1].kind;
        if (k != T_SEMI && k != T_WS && k != T_BLOCK_COMMENT)
            goto out;
    }
    if ((r = nix_parse_binds(g, &dl, depth)) < 0 || dl.n || g->has_errors)
        goto out;
    size_t nb = 0;
    for (uint32_t c = g->nodes[0].first_child; c != NIX_NONE; c = g->nodes[c].next_sibling, nb++)
        if (g->nodes[c].kind != N_BINDING)
            goto out;
    struct nix_ivalue *W = nix_tree_build_binds(g, &g->tree_arena, 0);
    if (!W) {
        r = -ENOMEM;
        goto out;
    }
    /* one new child per binding, named as no child V keeps */
    if (W->pub.nchildren != nb)
        goto out;
    uint32_t c = g->nodes[0].first_child;
    for (size_t i = 0; i < nb; i++, c = g->nodes[c].next_sibling) {
        const struct nix_ivalue *w = (const struct nix_ivalue *)W->pub.children[i];
        if (w->ndefs < 1 || w->defs[0].node != c || w->defs[0].seg != 0)
            goto out;
        const struct nix_value *old = nix_value_get(&V->pub, w->pub.name);
        if (old) {
            size_t j = 0;
            while (j < ndel && V->pub.children[at + j] != old)
                j++;
            if (j == ndel)
                goto out;
        }
    }
    l->frag = g;
    g = NULL;
    l->attrs = true;
    l->bind = NIX_NONE;
    l->node = a->set;
    l->value = V;
    l->after = W;
    l->lo = v[0].start;
    l->hi = v[n - 1].end;
    l->prev = a->prev;
    l->next = a->next;
    l->ts = a->ts;
    l->te = a->te;
    l->ss = a->ss;
    l->se = a->se;
    l->at = at;
    l->ndel = ndel;
    r = 1;
out:
    diag_list_free(&dl);
    nix_file_free(g);
    return r;
}

int nix_local_check(struct nix_file *f, const struct nix_patch *v, size_t n, struct nix_local *l)
{
    return nix_local_check_forms(f, v, n, l, NIX_LOCAL_BINDING | NIX_LOCAL_ATTRS);
}

int nix_local_check_forms(struct nix_file *f, const struct nix_patch *v, size_t n,
                          struct nix_local *l, int forms)
{
    memset(l, 0, sizeof *l);
    if (!n || f->has_diags || f->has_errors || !f->nnodes || f->expr == NIX_NONE)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].start > v[i].end || v[i].end > f->len || (i && v[i].start < v[i - 1].end) ||
            !v[i].text)
            return 0;
    if (!f->tree_built)
        nix_file_root(f);
    if (!f->tree)
        return f->tree_built ? -ENOMEM : 0;
    struct cand c[LOCAL_MAX_CANDS];
    size_t k = forms & NIX_LOCAL_BINDING
                   ? find_cands(f, v[0].start, v[n - 1].end, c, LOCAL_MAX_CANDS) : 0;
    /* the set form, first when its fragment is much smaller than the innermost binding */
    struct attrs_cand ac;
    bool attrs = forms & NIX_LOCAL_ATTRS && find_attrs(f, v, n, &ac);
    if (attrs && (!k || ac.newlen * 4 <= nix_node_end(f, c[k - 1].node) -
                                            nix_node_start(f, c[k - 1].node))) {
        int r = attrs_check(f, v, n, &ac, l);
        if (r != 0)
            return r;
        attrs = false;
    }
    while (k-- > 0) {
        uint32_t u = c[k].node;
        int pk = c[k].parent == NIX_NONE ? -1 : f->nodes[c[k].parent].kind;
        if (pk != N_ATTRSET && pk != N_LET)
            continue;
        uint32_t ap = f->nodes[u].first_child;
        bool in_tree;
        struct nix_ivalue *V = find_value(f, u, nix_nchildren(f, ap), &in_tree);
        if (!V && (in_tree || !alone_in_binds(f, u, c[k].parent)))
            continue;
        int r = parse_fragment(f, &c[k], v, n, l);
        if (r < 0)
            return r;
        if (r == 0)
            continue;
        if (V) { /* the value as the fragment gives it */
            struct nix_file *g = l->frag;
            uint32_t gval = g->nodes[g->nodes[l->bind].first_child].next_sibling;
            l->after = nix_tree_build(g, &g->tree_arena, gval);
            if (!l->after) {
                nix_local_free(l);
                return -ENOMEM;
            }
        }
        l->node = u;
        l->value = V;
        l->lo = v[0].start;
        l->hi = v[n - 1].end;
        return 1;
    }
    return attrs ? attrs_check(f, v, n, &ac, l) : 0;
}

/* ---- applying ---- */

/* A Nix file's values read their positions from its tree (nix_val_start & co.): nothing
 * outside the rebuilt value moves. A JSON document's values keep byte offsets, moved here:
 * the whole tree but the rebuilt value, each edit (a JSON document is small next to a
 * clan.nix; its lines and columns are read from the line table). */
struct mover {
    struct nix_file *f;
    const struct nix_value *skip;
    size_t old_end, new_end;
};

static inline void move_off(const struct mover *m, uint32_t *off)
{
    if (*off >= m->old_end)
        *off = (uint32_t)(*off - m->old_end + m->new_end);
}

/* An end (exclusive) moves only when past the change: one at a pure insertion's point is
 * the end of something before it. */
static inline void move_end(const struct mover *m, uint32_t *off)
{
    if (*off > m->old_end)
        *off = (uint32_t)(*off - m->old_end + m->new_end);
}

/* Depth first; recursion as deep as the tree, which the nesting limit bounds. */
static void move_json(const struct mover *m, struct nix_value *v)
{
    struct nix_ivalue *x = (struct nix_ivalue *)v;
    m->f->nvisits++;
    if (v == m->skip || (x->js.ve < m->old_end && x->js.ke < m->old_end))
        return; /* before the change: so is all it holds */
    if (x->js.ke) {
        move_off(m, &x->js.ks);
        move_end(m, &x->js.ke);
    }
    move_off(m, &x->js.vs);
    move_end(m, &x->js.ve);
    for (size_t i = 0; i < v->nchildren; i++)
        move_json(m, v->children[i]);
}

static uint32_t map_node(uint32_t i, uint32_t bind, uint32_t u, uint32_t base)
{
    if (i == NIX_NONE)
        return NIX_NONE;
    return i == bind ? u : base + (i - 2);
}

/* The fragment's logical values in f: node indices as the nodes were copied (a JSON
 * document's offsets: after the container's start). */
struct xlate {
    struct nix_file *f;
    size_t us;
    uint32_t bind, u, base;
    uint32_t skip; /* fragment nodes before the first one copied to base (root, binding) */
};

static uint32_t xnode(const struct xlate *x, uint32_t i)
{
    if (i == NIX_NONE)
        return NIX_NONE;
    return i == x->bind ? x->u : x->base + (i - x->skip);
}

static void xlate_value(const struct xlate *x, struct nix_ivalue *v)
{
    x->f->nvisits++;
    v->file = x->f;
    if (v->json) {
        if (v->js.ke) { /* 0: no key (an element, the value itself) */
            v->js.ks += (uint32_t)x->us;
            v->js.ke += (uint32_t)x->us;
        }
        v->js.vs += (uint32_t)x->us;
        v->js.ve += (uint32_t)x->us;
    } else {
        v->key_node = xnode(x, v->key_node);
        v->wrap_node = xnode(x, v->wrap_node);
    }
    v->node = xnode(x, v->node);
    v->lit = xnode(x, v->lit);
    for (size_t i = 0; i < v->nlits; i++)
        v->lits[i] = xnode(x, v->lits[i]);
    for (size_t i = 0; i < v->ndefs; i++) {
        v->defs[i].node = xnode(x, v->defs[i].node);
        v->defs[i].name_node = xnode(x, v->defs[i].name_node);
    }
    for (size_t i = 0; i < v->pub.nchildren; i++)
        xlate_value(x, (struct nix_ivalue *)v->pub.children[i]);
}

/* The line table: the starts of lines in (us, ue] of the old text replaced by those in the
 * new text t (flen bytes, nnl newlines) put there, the rest moved by db. Room for them is
 * there. */
static void splice_lines(struct nix_file *f, size_t us, size_t ue, const char *t, size_t flen,
                         size_t nnl, ptrdiff_t db)
{
    size_t a = 0, hi = f->nlines; /* first line start > us */
    while (a < hi) {
        size_t mid = a + (hi - a) / 2;
        if (f->lines[mid] <= us)
            a = mid + 1;
        else
            hi = mid;
    }
    size_t b = a;
    while (b < f->nlines && f->lines[b] <= ue)
        b++;
    memmove(f->lines + a + nnl, f->lines + b, (f->nlines - b) * sizeof *f->lines);
    for (size_t i = a + nnl; i < f->nlines - (b - a) + nnl; i++)
        f->lines[i] = (uint32_t)((int64_t)f->lines[i] + db);
    size_t w = a;
    for (const char *q = t; (q = memchr(q, '\n', (size_t)(t + flen - q))); q++)
        f->lines[w++] = (uint32_t)(us + (size_t)(q - t) + 1);
    f->nlines = f->nlines - (b - a) + nnl;
}

/* The text [us, ue) and its tokens [ts, te) replaced by the fragment g's (but its end);
 * the text, tokens and their sentinel after them moved (room for all is there). Returns
 * how far the text after moved. */
static ptrdiff_t splice_text(struct nix_file *f, size_t us, size_t ue, uint32_t ts, uint32_t te,
                             const struct nix_file *g)
{
    uint32_t gk = (uint32_t)g->ntoks - 1;
    size_t newtoks = f->ntoks - (te - ts) + gk;
    ptrdiff_t db = (ptrdiff_t)g->len - (ptrdiff_t)(ue - us);
    memmove(f->text + ue + db, f->text + ue, f->len - ue + 1);
    memcpy(f->text + us, g->text, g->len);
    f->len = (size_t)((ptrdiff_t)f->len + db);
    memmove(f->toks + ts + gk, f->toks + te, (f->ntoks - te + 1) * sizeof *f->toks);
    for (size_t t = ts + gk; t <= newtoks; t++)
        f->toks[t].start = (uint32_t)((int64_t)f->toks[t].start + db);
    for (uint32_t t = 0; t < gk; t++)
        f->toks[ts + t] = (struct nix_token){(uint32_t)(g->toks[t].start + us), g->toks[t].kind};
    f->ntoks = newtoks;
    return db;
}

/* Room for a text of newlen bytes, newtoks tokens, gnodes more nodes and nnl more lines;
 * c's old line/col (the line table is built). 0 or -ENOMEM, f unchanged. */
static int reserve(struct nix_file *f, size_t newlen, size_t newtoks, size_t gnodes, size_t nnl,
                   struct nix_change *c)
{
    if (nix_big_grow((void **)&f->text, &f->captext, 1, newlen + 1) < 0 ||
        nix_big_grow((void **)&f->toks, &f->captoks, sizeof *f->toks, newtoks + 1) < 0 ||
        nix_big_grow((void **)&f->nodes, &f->capnodes, sizeof *f->nodes, f->nnodes + gnodes) < 0)
        return -ENOMEM;
    nix_file_linecol(f, c->old_end, &c->old_line, &c->old_col); /* builds the line table */
    if (!f->nlines ||
        nix_big_grow((void **)&f->lines, &f->caplines, sizeof *f->lines, f->nlines + nnl + 1) < 0)
        return -ENOMEM;
    return 0;
}

static size_t count_nl(const char *t, size_t len)
{
    size_t nnl = 0;
    for (const char *q = t; (q = memchr(q, '\n', (size_t)(t + len - q))); q++)
        nnl++;
    return nnl;
}


/* Hand the fragment g's tree memory over to f's tree. */
static void take_tree_memory(struct nix_file *f, struct nix_file *g)
{
    struct nix_arena_chunk **tailp = &g->tree_arena.head;
    while (*tailp)
        tailp = nix_arena_next(*tailp);
    *tailp = f->tree_arena.head;
    f->tree_arena.head = g->tree_arena.head;
    g->tree_arena.head = NULL;
}

/* The rebuilt value's new contents W (the fragment g's, translated into f) replace V's: g's
 * tree memory handed to f, V keeping its address, name, parent, key and definitions (a
 * JSON document's other values moved by c). */
static void replace_value(struct nix_file *f, struct nix_file *g, struct nix_ivalue *V,
                          struct nix_ivalue *W, struct nix_change *c)
{
    take_tree_memory(f, g);
    if (V->json) {
        struct mover mv = {f, &V->pub, c->old_end, c->new_end};
        move_json(&mv, &f->tree->pub);
    }
    struct nix_value keep = V->pub;
    struct nix_def *defs = V->defs, def0 = V->def0;
    uint32_t ndefs = V->ndefs, capdefs = V->capdefs;
    uint32_t key_node = V->key_node, ks = V->js.ks, ke = V->js.ke;
    *V = *W;
    V->def0 = def0; /* V's own definitions stay, also the one kept in V */
    V->pub.name = keep.name;
    V->pub.parent = keep.parent;
    if (V->json) {
        V->js.ks = ks;
        V->js.ke = ke;
    } else {
        V->key_node = key_node;
    }
    V->defs = defs;
    V->ndefs = ndefs;
    V->capdefs = capdefs;
    for (size_t i = 0; i < V->pub.nchildren; i++)
        V->pub.children[i]->parent = &V->pub;
    c->changed = &V->pub;
}

/* Binding u was re-parsed in its slot: the values it defines from its attribute path (V and
 * the sets its dotted key implies above V) take their keys from the new path's nodes. */
static void rekey(struct nix_file *f, struct nix_ivalue *V, uint32_t u)
{
    uint32_t ap = f->nodes[u].first_child;
    for (struct nix_ivalue *x = V; x; x = (struct nix_ivalue *)x->pub.parent, f->nvisits++)
        if (x->ndefs && x->defs[0].node == u && x->key_node != NIX_NONE)
            x->key_node = nix_child(f, ap, x->defs[0].seg);
}

static int attrs_apply(struct nix_file *f, struct nix_local *l, struct nix_change *ch);

int nix_local_apply(struct nix_file *f, struct nix_local *l, struct nix_change *ch)
{
    if (l->attrs)
        return attrs_apply(f, l, ch);
    struct nix_file *g = l->frag;
    uint32_t u = l->node, bind = l->bind;
    size_t us = nix_node_start(f, u), ue = nix_node_end(f, u);
    uint32_t uts = f->nodes[u].tok_start, ute = f->nodes[u].tok_end;
    size_t flen = g->len;
    uint32_t gk = (uint32_t)g->ntoks - 1; /* tokens of the binding */
    size_t newlen = f->len - (ue - us) + flen;
    size_t newtoks = f->ntoks - (ute - uts) + gk;
    size_t gnodes = g->nnodes - 2; /* all but the root and the binding itself */
    size_t nnl = count_nl(g->text, flen);
    if (newlen >= UINT32_MAX - 1 || newtoks >= UINT32_MAX - 1 ||
        f->nnodes + gnodes >= UINT32_MAX - 1)
        return 0;

    /* everything that can fail, first: capacities, the line/col of the change's end */
    struct nix_change c = {.start = l->lo, .old_end = l->hi};
    if (reserve(f, newlen, newtoks, gnodes, nnl, &c) < 0)
        return -ENOMEM;

    /* text and tokens */
    ptrdiff_t db = splice_text(f, us, ue, uts, ute, g);
    int32_t dt = (int32_t)gk - (int32_t)(ute - uts);
    c.new_end = (size_t)((ptrdiff_t)l->hi + db);

    /* nodes: token indices after the binding move; the binding's node is rewritten in its
     * slot, its descendants appended (the old ones stay unreferenced) */
    for (size_t i = 0; i < f->nnodes; i++) {
        struct nix_node *nd = &f->nodes[i];
        if (nd->tok_start >= ute)
            nd->tok_start = (uint32_t)((int64_t)nd->tok_start + dt);
        if (nd->tok_end >= ute)
            nd->tok_end = (uint32_t)((int64_t)nd->tok_end + dt);
    }
    uint32_t base = (uint32_t)f->nnodes;
    uint32_t keep_next = f->nodes[u].next_sibling;
    for (uint32_t i = 1; i < g->nnodes; i++) {
        const struct nix_node *gn = &g->nodes[i];
        struct nix_node nd = *gn;
        nd.tok_start = gn->tok_start + uts;
        nd.tok_end = gn->tok_end + uts;
        nd.first_child = map_node(gn->first_child, bind, u, base);
        nd.last_child = map_node(gn->last_child, bind, u, base);
        nd.next_sibling = i == bind ? keep_next : map_node(gn->next_sibling, bind, u, base);
        f->nodes[map_node(i, bind, u, base)] = nd;
    }
    f->nnodes += gnodes;

    /* lines: the starts inside the old binding replaced by the new ones, the rest moved */
    splice_lines(f, us, ue, g->text, flen, nnl, db);
    nix_file_linecol(f, c.new_end, &c.new_line, &c.new_col);

    /* the logical tree: the value's new contents are the fragment's (built when it was
     * checked), translated into f, their memory handed over to f's tree */
    struct nix_ivalue *V = l->value, *W = l->after;
    if (!V) {
        /* a binding the tree does not hold: no value changes but the innermost one around
         * the change (an opaque expression, or a set behind a let, ...), which keeps its
         * contents */
        struct nix_value *in = &f->tree->pub;
        for (struct nix_ivalue *ci; (ci = child_holding(f, in, c.start, c.new_end));)
            in = &ci->pub;
        c.changed = in;
        *ch = c;
        return 1;
    }
    struct xlate x = {.f = f, .us = us, .bind = bind, .u = u, .base = base, .skip = 2};
    xlate_value(&x, W);
    replace_value(f, g, V, W, &c);
    rekey(f, V, u);
    *ch = c;
    return 1;
}

static int attrs_apply(struct nix_file *f, struct nix_local *l, struct nix_change *ch)
{
    struct nix_file *g = l->frag;
    struct nix_ivalue *V = l->value, *W = l->after;
    uint32_t S = l->node, ts = l->ts, te = l->te;
    size_t us = l->ss, ue = l->se, flen = g->len;
    uint32_t gk = (uint32_t)g->ntoks - 1; /* the fragment's tokens but its end */
    size_t newlen = f->len - (ue - us) + flen;
    size_t newtoks = f->ntoks - (te - ts) + gk;
    size_t gnodes = g->nnodes - 1; /* all but its root */
    size_t nnl = count_nl(g->text, flen);
    size_t nch = V->pub.nchildren - l->ndel + W->pub.nchildren;
    if (newlen >= UINT32_MAX - 1 || newtoks >= UINT32_MAX - 1 ||
        f->nnodes + gnodes >= UINT32_MAX - 1 || nch >= UINT32_MAX - 1)
        return 0;

    /* everything that can fail, first */
    struct nix_change c = {.start = l->lo, .old_end = l->hi, .attrs_only = true};
    if (reserve(f, newlen, newtoks, gnodes, nnl, &c) < 0)
        return -ENOMEM;
    struct nix_value **children = V->pub.children;
    size_t capchildren = V->capchildren;
    if (nch > capchildren) {
        capchildren = nch > 2 * capchildren ? nch : 2 * capchildren;
        children = nix_arena_alloc(&f->tree_arena, capchildren * sizeof *children);
        if (!children)
            return -ENOMEM;
    }
    size_t hcap = nix_tree_index_cap(nch);
    uint32_t *hidx = NULL;
    if (hcap && V->hidx && V->hcap >= hcap) {
        hidx = V->hidx;
        hcap = V->hcap;
    } else if (hcap && !(hidx = nix_arena_alloc(&f->tree_arena, hcap * sizeof *hidx))) {
        return -ENOMEM;
    }

    /* text and tokens */
    ptrdiff_t db = splice_text(f, us, ue, ts, te, g);
    int32_t dt = (int32_t)gk - (int32_t)(te - ts);
    c.new_end = (size_t)((ptrdiff_t)l->hi + db);

    /* nodes: token indices from the span's end move (an item ending where an empty span
     * was keeps its end); the new bindings appended and linked into S's items, the deleted
     * ones unlinked (they stay behind, unreferenced) */
    for (size_t i = 0; i < f->nnodes; i++) {
        struct nix_node *nd = &f->nodes[i];
        bool after = nd->tok_start >= te;
        if (after)
            nd->tok_start = (uint32_t)((int64_t)nd->tok_start + dt);
        if (nd->tok_end > te || (nd->tok_end == te && after))
            nd->tok_end = (uint32_t)((int64_t)nd->tok_end + dt);
    }
    uint32_t base = (uint32_t)f->nnodes;
#define GMAP(i) ((i) == NIX_NONE ? NIX_NONE : base + (i) - 1)
    for (uint32_t i = 1; i < g->nnodes; i++) {
        struct nix_node nd = g->nodes[i];
        nd.tok_start += ts;
        nd.tok_end += ts;
        nd.first_child = GMAP(nd.first_child);
        nd.last_child = GMAP(nd.last_child);
        nd.next_sibling = GMAP(nd.next_sibling);
        f->nodes[base + i - 1] = nd;
    }
    f->nnodes += gnodes;
    uint32_t gfirst = GMAP(g->nodes[0].first_child), glast = GMAP(g->nodes[0].last_child);
#undef GMAP
    uint32_t link = gfirst != NIX_NONE ? gfirst : l->next;
    if (l->prev == NIX_NONE)
        f->nodes[S].first_child = link;
    else
        f->nodes[l->prev].next_sibling = link;
    if (glast != NIX_NONE)
        f->nodes[glast].next_sibling = l->next;
    if (l->next == NIX_NONE)
        f->nodes[S].last_child = glast != NIX_NONE ? glast : l->prev;

    /* lines */
    splice_lines(f, us, ue, g->text, flen, nnl, db);
    nix_file_linecol(f, c.new_end, &c.new_line, &c.new_col);

    /* the logical tree: V's deleted children dropped, the new children (the fragment's,
     * translated into f, their memory handed over to f's tree) put in their place */
    struct xlate x = {.f = f, .us = us, .bind = NIX_NONE, .u = NIX_NONE, .base = base, .skip = 1};
    for (size_t i = 0; i < W->pub.nchildren; i++)
        xlate_value(&x, (struct nix_ivalue *)W->pub.children[i]);
    take_tree_memory(f, g);
    size_t at = l->at, nold = V->pub.nchildren, nw = W->pub.nchildren;
    /* children added or deleted at the end keep the others' places in the name index */
    bool at_end = hidx && hidx == V->hidx && hcap == V->hcap && at + l->ndel == nold;
    for (size_t i = at; at_end && i < nold; i++)
        nix_tree_index_remove(V, i);
    if (l->ndel && nold > at + l->ndel)
        memmove(V->pub.children + at, V->pub.children + at + l->ndel,
                (nold - at - l->ndel) * sizeof *V->pub.children);
    V->pub.nchildren = nold - l->ndel;
    size_t keep = nold - l->ndel;
    if (children != V->pub.children && at)
        memcpy(children, V->pub.children, at * sizeof *children);
    if (keep > at)
        memmove(children + at + nw, V->pub.children + at, (keep - at) * sizeof *children);
    for (size_t i = 0; i < nw; i++) {
        children[at + i] = W->pub.children[i];
        children[at + i]->parent = &V->pub;
    }
    V->pub.children = children;
    V->capchildren = capchildren;
    V->pub.nchildren = nch;
    if (at_end) {
        for (size_t i = at; i < nch; i++)
            nix_tree_index_add(V, i);
        f->nvisits += nold - at + nch - at;
    } else {
        nix_tree_index(V, hidx, hcap);
        f->nvisits += nch;
    }
    c.changed = &V->pub;
    *ch = c;
    return 1;
}

/* ---- JSON documents ----
 * A JSON value is delimited by its own bytes: the innermost object or array that holds every
 * patch strictly inside its brackets keeps them, and the whole document's parse reads it as
 * its text alone parses (nothing outside the brackets changes, and a member's key or an
 * element's place does not depend on what the value holds). So it is read again alone, and
 * spliced in, when that parse succeeds and stays within the nesting limit with the levels
 * above it. */

static unsigned json_depth(const struct nix_value *v)
{
    unsigned d = 0;
    for (size_t i = 0; i < v->nchildren; i++) {
        unsigned c = json_depth(v->children[i]);
        d = c > d ? c : d;
    }
    return d + (v->kind == NIX_ATTRS || v->kind == NIX_LIST);
}

static bool json_holds(const struct nix_value *c, size_t lo, size_t hi)
{
    return (c->kind == NIX_ATTRS || c->kind == NIX_LIST) && nix_val_start(c) < lo &&
           hi < nix_val_end(c);
}

static int json_patch_local(struct nix_file *f, const struct nix_patch *v, size_t n,
                            struct nix_change *ch)
{
    size_t lo = v[0].start, hi = v[n - 1].end;
    if (!f->tree || !json_holds(&f->tree->pub, lo, hi))
        return 0;
    /* the innermost container around the patches (children in source order) */
    struct nix_value *in = &f->tree->pub;
    unsigned above = 0;
    for (;;) {
        size_t a = 0, b = in->nchildren; /* the last child starting before lo */
        while (a < b) {
            size_t mid = a + (b - a) / 2;
            if (nix_val_start(in->children[mid]) < lo)
                a = mid + 1;
            else
                b = mid;
        }
        if (!a || !json_holds(in->children[a - 1], lo, hi))
            break;
        in = in->children[a - 1];
        above++;
    }
    size_t us = nix_val_start(in), ue = nix_val_end(in);
    struct nix_file *t = NULL, *g = NULL;
    int r = new_frag(f, us, ue, v, n, &t);
    if (r <= 0)
        return r;
    struct diag_list dl = {0};
    r = nix_file_from_json(f->name, t->text, t->len, &g, &dl);
    scratch_free(t);
    diag_list_free(&dl);
    if (r < 0)
        return r == -ENOMEM ? r : 0;
    if (!g->tree || nix_val_start(&g->tree->pub) != 0 || nix_val_end(&g->tree->pub) != g->len ||
        above + json_depth(&g->tree->pub) > NIX_MAX_DEPTH) {
        nix_file_free(g);
        return 0;
    }
    size_t flen = g->len, nnl = count_nl(g->text, flen);
    uint32_t ts = 0, te = (uint32_t)f->ntoks; /* the container's tokens: [ts, te) */
    for (uint32_t a = 0, b = (uint32_t)f->ntoks; a < b;) {
        uint32_t mid = a + (b - a) / 2;
        if (f->toks[mid].start < us)
            a = mid + 1;
        else
            b = ts = mid;
    }
    for (uint32_t a = ts, b = (uint32_t)f->ntoks; a < b;) {
        uint32_t mid = a + (b - a) / 2;
        if (f->toks[mid].start < ue)
            a = mid + 1;
        else
            b = te = mid;
    }
    size_t newlen = f->len - (ue - us) + flen, newtoks = f->ntoks - (te - ts) + g->ntoks - 1;
    struct nix_change c = {.start = lo, .old_end = hi};
    if (newlen >= UINT32_MAX - 1 || newtoks >= UINT32_MAX - 1) {
        nix_file_free(g);
        return 0;
    }
    if (reserve(f, newlen, newtoks, 0, nnl, &c) < 0) {
        nix_file_free(g);
        return -ENOMEM;
    }
    ptrdiff_t db = splice_text(f, us, ue, ts, te, g);
    f->nodes[f->root].tok_end = (uint32_t)f->ntoks;
    splice_lines(f, us, ue, g->text, flen, nnl, db);
    c.new_end = (size_t)((ptrdiff_t)hi + db);
    nix_file_linecol(f, c.new_end, &c.new_line, &c.new_col);

    /* the container's new contents in f's coordinates, their memory handed to f */
    struct nix_ivalue *V = (struct nix_ivalue *)in, *W = g->tree;
    struct xlate x = {.f = f, .us = us, .bind = NIX_NONE, .u = NIX_NONE};
    xlate_value(&x, W);
    replace_value(f, g, V, W, &c);
    nix_file_free(g);
    *ch = c;
    return 1;
}

int nix_file_patch_local(struct nix_file *f, const struct nix_patch *v, size_t n,
                         struct nix_change *ch)
{
    if (nix_file_is_json(f))
        return n ? json_patch_local(f, v, n, ch) : 0;
    struct nix_local *k = take_kept(f, v, n);
    if (k) { /* checked by the edit function that made the patches */
        int r = nix_local_apply(f, k, ch);
        if (r == 1)
            drop_kept(f);
        else
            f->kept = k, k = NULL; /* out of memory: f unchanged, the check still holds */
        nix_local_free(k);
        free(k);
        return r;
    }
    struct nix_local l;
    int r = nix_local_check(f, v, n, &l);
    if (r == 1)
        r = nix_local_apply(f, &l, ch);
    if (r == 1)
        drop_kept(f);
    nix_local_free(&l);
    return r;
}

/* ---- comparing two files (tests and fuzzing: a local edit against a full parse) ---- */

static void dump_value(struct buf *out, const struct nix_value *v, unsigned depth)
{
    buf_printf(out, "%*s%d %s k=%u-%u@%u:%u v=%u-%u w=%u @%u:%u%s", (int)(2 * depth), "",
               (int)v->kind, v->name ? v->name : "-", nix_key_start(v), nix_key_end(v),
               nix_key_line(v), nix_key_col(v), nix_val_start(v), nix_val_end(v),
               nix_wrap_start(v), nix_val_line(v), nix_val_col(v),
               v->implicit ? " implicit" : "");
    if (v->str) {
        buf_puts(out, " str=");
        for (const char *s = v->str; *s; s++)
            buf_printf(out, (unsigned char)*s < 0x20 ? "\\x%02x" : "%c", (unsigned char)*s);
    }
    if (v->kind == NIX_INT)
        buf_printf(out, " i=%lld", (long long)v->ival);
    if (v->kind == NIX_FLOAT)
        buf_printf(out, " f=%a", v->fval);
    if (v->kind == NIX_BOOL)
        buf_printf(out, " b=%d", (int)v->bval);
    buf_printf(out, " n=%zu\n", v->nchildren);
    for (size_t i = 0; i < v->nchildren; i++) {
        if (v->children[i]->parent != v)
            buf_puts(out, "BAD PARENT\n");
        dump_value(out, v->children[i], depth + 1);
    }
}

int nix_tree_dump(struct nix_file *f, struct buf *out)
{
    const struct nix_value *r = nix_file_root(f);
    if (!r)
        return -ENOMEM;
    dump_value(out, r, 0);
    return 0;
}

/* The CST's definitions as the edit functions read them: every value's defs, the value's
 * node and literals, printed as source ranges (node indices differ between the two). */
static void dump_defs(struct buf *out, const struct nix_file *f, const struct nix_ivalue *v)
{
    buf_printf(out, "%s node=%zu-%zu lit=%zu-%zu", v->pub.name ? v->pub.name : "-",
               v->node == NIX_NONE ? 0 : nix_node_start(f, v->node),
               v->node == NIX_NONE ? 0 : nix_node_end(f, v->node),
               v->lit == NIX_NONE ? 0 : nix_node_start(f, v->lit),
               v->lit == NIX_NONE ? 0 : nix_node_end(f, v->lit));
    for (size_t i = 0; i < v->ndefs; i++)
        buf_printf(out, " def=%zu-%zu/%u/%zu", nix_node_start(f, v->defs[i].node),
                   nix_node_end(f, v->defs[i].node), v->defs[i].seg,
                   v->defs[i].name_node == NIX_NONE ? 0 : nix_node_start(f, v->defs[i].name_node));
    for (size_t i = 0; i < v->nlits; i++)
        buf_printf(out, " lit=%zu", nix_node_start(f, v->lits[i]));
    buf_printf(out, " m=%d i=%d\n", (int)v->mergeable, (int)v->inherited);
    for (size_t i = 0; i < v->pub.nchildren; i++)
        dump_defs(out, f, (const struct nix_ivalue *)v->pub.children[i]);
}

/* The same node (same tokens: indices are comparable) and the same subtree. */
static bool same_nodes(const struct nix_file *a, uint32_t x, const struct nix_file *b, uint32_t y)
{
    const struct nix_node *p = &a->nodes[x], *q = &b->nodes[y];
    if (p->kind != q->kind || p->op != q->op || p->flags != q->flags ||
        p->tok_start != q->tok_start || p->tok_end != q->tok_end)
        return false;
    uint32_t c = p->first_child, d = q->first_child;
    for (; c != NIX_NONE && d != NIX_NONE; c = a->nodes[c].next_sibling, d = b->nodes[d].next_sibling)
        if (!same_nodes(a, c, b, d))
            return false;
    if (c != NIX_NONE || d != NIX_NONE)
        return false;
    /* last_child must name the last child */
    uint32_t la = NIX_NONE, lb = NIX_NONE;
    for (c = p->first_child; c != NIX_NONE; c = a->nodes[c].next_sibling)
        la = c;
    for (d = q->first_child; d != NIX_NONE; d = b->nodes[d].next_sibling)
        lb = d;
    return la == p->last_child && lb == q->last_child;
}

int nix_file_compare(struct nix_file *a, struct nix_file *b, struct buf *why)
{
    struct buf x = {0}, y = {0};
    int r = 0;
#define DIFF(what)                                                                         \
    do {                                                                                   \
        if (x.len != y.len || (x.len && memcmp(x.p, y.p, x.len))) {                         \
            buf_printf(why, "%s differ", what);                                            \
            r = 1;                                                                         \
            goto out;                                                                      \
        }                                                                                  \
        buf_reset(&x);                                                                     \
        buf_reset(&y);                                                                     \
    } while (0)
    buf_append(&x, a->text, a->len);
    buf_append(&y, b->text, b->len);
    DIFF("texts");
    if (nix_file_print(a, &x) < 0 || nix_file_print(b, &y) < 0)
        return -ENOMEM;
    DIFF("printed trees");
    if (a->ntoks != b->ntoks) {
        buf_puts(why, "token counts differ");
        r = 1;
        goto out;
    }
    for (size_t i = 0; i <= a->ntoks; i++)
        if (a->toks[i].start != b->toks[i].start || a->toks[i].kind != b->toks[i].kind) {
            buf_printf(why, "token %zu differs", i);
            r = 1;
            goto out;
        }
    if (!same_nodes(a, a->root, b, b->root)) {
        buf_puts(why, "trees differ");
        r = 1;
        goto out;
    }
    if (a->len < 16384) { /* the listing too (slow for large files) */
        if (nix_file_dump_tree(a, &x) < 0 || nix_file_dump_tree(b, &y) < 0)
            return -ENOMEM;
        DIFF("tree listings");
    }
    if (nix_tree_dump(a, &x) < 0 || nix_tree_dump(b, &y) < 0)
        return -ENOMEM;
    DIFF("logical trees");
    dump_defs(&x, a, a->tree);
    dump_defs(&y, b, b->tree);
    DIFF("definitions");
    buf_printf(&x, "%zu %d %d", a->len, a->has_errors, a->has_diags);
    buf_printf(&y, "%zu %d %d", b->len, b->has_errors, b->has_diags);
    DIFF("flags");
    unsigned l, c;
    nix_file_linecol(a, 0, &l, &c); /* builds the line tables */
    nix_file_linecol(b, 0, &l, &c);
    if (a->nlines != b->nlines || memcmp(a->lines, b->lines, a->nlines * sizeof *a->lines)) {
        buf_puts(why, "line tables differ");
        r = 1;
        goto out;
    }
#undef DIFF
out:
    buf_free(&x);
    buf_free(&y);
    return r;
}
