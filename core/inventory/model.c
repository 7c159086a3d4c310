/* Reading the inventory model out of the logical Nix tree of clan.nix. */
#include "core/inventory/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* ---- small helpers ---- */

char *inv_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *inv_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *inv_asprintf(const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    if (str_vprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return s;
}

int inv_grow(void *pv, size_t *cap, size_t n, size_t sz)
{
    void **p = pv;
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    void *q = realloc(*p, nc * sz);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

/* The identity of a diagnostic for "said once": its file, place, severity and text. */
static uint64_t diag_key(enum diag_severity sev, const char *file, unsigned line, unsigned col,
                         const char *msg)
{
    uint64_t h = hash_bytes(msg, strlen(msg)) ^ (hash_bytes(file, strlen(file)) * 31);
    h ^= ((uint64_t)line << 16) ^ col ^ ((uint64_t)sev << 60);
    return h ? h : 1;
}

/* Is key h among the diagnostics said? Records it. */
static bool dseen_add(struct inventory *inv, uint64_t h)
{
    if ((inv->ndseen + 1) * 2 > inv->capdseen) {
        size_t nc = inv->capdseen ? inv->capdseen * 2 : 64;
        uint64_t *nv = calloc(nc, sizeof(*nv));
        if (!nv)
            return false;
        for (size_t i = 0; i < inv->capdseen; i++) {
            if (!inv->dseen[i])
                continue;
            size_t j = inv->dseen[i] & (nc - 1);
            while (nv[j])
                j = (j + 1) & (nc - 1);
            nv[j] = inv->dseen[i];
        }
        free(inv->dseen);
        inv->dseen = nv;
        inv->capdseen = nc;
    }
    size_t j = h & (inv->capdseen - 1);
    for (; inv->dseen[j]; j = (j + 1) & (inv->capdseen - 1))
        if (inv->dseen[j] == h)
            return true;
    inv->dseen[j] = h;
    inv->ndseen++;
    return false;
}

/* Was this diagnostic made already (same file, place, severity, text)? Records it. */
static bool inv_diag_seen(struct inventory *inv, enum diag_severity sev, struct inv_loc loc,
                          const char *msg)
{
    return dseen_add(inv, diag_key(sev, inventory_file_name(inv, loc.file), loc.line, loc.col, msg));
}

void inv_diag_reseed(struct inventory *inv)
{
    if (inv->dseen)
        memset(inv->dseen, 0, inv->capdseen * sizeof(*inv->dseen));
    inv->ndseen = 0;
    const char *main = inventory_file_name(inv, 0);
    for (size_t i = 0; i < inv->diags.n; i++) {
        const struct diag *d = &inv->diags.v[i];
        if (d->file && d->msg && (!main || strcmp(d->file, main)))
            (void)dseen_add(inv, diag_key(d->severity, d->file, d->line, d->col, d->msg));
    }
}

void inv_diag(struct inventory *inv, enum diag_severity sev, struct inv_loc loc,
              const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    /* a module shared by many machines says each thing once */
    if (loc.file && msg && inv_diag_seen(inv, sev, loc, msg)) {
        free(msg);
        return;
    }
    diag_list_add(&inv->diags, sev, inventory_file_name(inv, loc.file), loc.line, loc.col, "%s",
                  msg ? msg : "out of memory");
    free(msg);
    inv_owners_sync(inv, inv->cur_owner);
}

void inv_owners_sync(struct inventory *inv, struct inv_owner o)
{
    if (inv->diags.n > inv->capowners) {
        size_t nc = inv->capowners ? inv->capowners : 16;
        while (nc < inv->diags.n)
            nc *= 2;
        struct inv_owner *no = realloc(inv->owners, nc * sizeof(*no));
        if (!no)
            return; /* owners stay short: an update then reads the whole model again */
        inv->owners = no;
        inv->capowners = nc;
    }
    /* owners are kept for diags.v[0 .. nowned); new diagnostics get o */
    for (size_t i = inv->nowned; i < inv->diags.n; i++)
        inv->owners[i] = o;
    inv->nowned = inv->diags.n;
}

static int cmp_diag(const struct diag *x, const struct diag *y)
{
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    if (x->severity != y->severity)
        return x->severity < y->severity ? -1 : 1;
    return strcmp(x->msg ? x->msg : "", y->msg ? y->msg : "");
}

void inv_sort_diags(struct inventory *inv)
{
    bool owned = inv->nowned == inv->diags.n;
    /* insertion sort: stable, and the list is almost sorted */
    for (size_t i = 1; i < inv->diags.n; i++) {
        struct diag d = inv->diags.v[i];
        struct inv_owner o = owned ? inv->owners[i] : (struct inv_owner){0};
        size_t j = i;
        while (j > 0 && cmp_diag(&inv->diags.v[j - 1], &d) > 0) {
            inv->diags.v[j] = inv->diags.v[j - 1];
            if (owned)
                inv->owners[j] = inv->owners[j - 1];
            j--;
        }
        inv->diags.v[j] = d;
        if (owned)
            inv->owners[j] = o;
    }
}

bool inv_is_borgbackup(const struct inv_instance *in)
{
    return in->module.s && !in->module.opaque && !strcmp(in->module.s, "borgbackup");
}

const char *inv_hook_name(enum inv_hook h)
{
    static const char *const names[INV_NHOOKS] = {
        "preBackupScript", "postBackupScript", "preRestoreScript", "postRestoreScript"};
    return (unsigned)h < INV_NHOOKS ? names[h] : "?";
}

const char *inv_level_name(enum inv_level l)
{
    switch (l) {
    case INV_LEVEL_DEFAULT: return "default";
    case INV_LEVEL_ROLE: return "role";
    case INV_LEVEL_TAG: return "tag";
    case INV_LEVEL_MACHINE: return "machine";
    }
    return "?";
}

static const char *kind_name(enum nix_kind k)
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
    case NIX_OPAQUE: return "an expression";
    }
    return "?";
}

/* ---- name index ---- */

static size_t hash_name(const char *s)
{
    size_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    /* FNV's low bits, the ones the table uses, repeat for names that differ only at the
     * end ("web-0123", "web-0124"): mix the high bits in */
    h ^= h >> 32;
    h *= 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 29);
}

int inv_index_put(struct inv_index *ix, const char *key, size_t val)
{
    if ((ix->n + 1) * 2 > ix->cap) {
        size_t nc = ix->cap ? ix->cap * 2 : 16;
        const char **k = calloc(nc, sizeof(*k));
        size_t *v = calloc(nc, sizeof(*v));
        if (!k || !v) {
            free(k);
            free(v);
            return -ENOMEM;
        }
        for (size_t i = 0; i < ix->cap; i++) {
            if (!ix->keys[i])
                continue;
            size_t j = hash_name(ix->keys[i]) & (nc - 1);
            while (k[j])
                j = (j + 1) & (nc - 1);
            k[j] = ix->keys[i];
            v[j] = ix->vals[i];
        }
        free(ix->keys);
        free(ix->vals);
        ix->keys = k;
        ix->vals = v;
        ix->cap = nc;
    }
    size_t j = hash_name(key) & (ix->cap - 1);
    while (ix->keys[j]) {
        if (!strcmp(ix->keys[j], key))
            return 0; /* first one wins */
        j = (j + 1) & (ix->cap - 1);
    }
    ix->keys[j] = key;
    ix->vals[j] = val;
    ix->n++;
    return 0;
}

void inv_index_del(struct inv_index *ix, const char *key, size_t val)
{
    if (!ix->cap || !key)
        return;
    size_t mask = ix->cap - 1, j = hash_name(key) & mask;
    while (ix->keys[j] && (strcmp(ix->keys[j], key) || ix->vals[j] != val))
        j = (j + 1) & mask;
    if (!ix->keys[j])
        return;
    /* linear probing: the entries after the hole that it cut from their home move back */
    ix->keys[j] = NULL;
    ix->n--;
    for (size_t k = (j + 1) & mask; ix->keys[k]; k = (k + 1) & mask) {
        size_t home = hash_name(ix->keys[k]) & mask;
        bool stays = j < k ? home > j && home <= k : home > j || home <= k;
        if (!stays) {
            ix->keys[j] = ix->keys[k];
            ix->vals[j] = ix->vals[k];
            ix->keys[k] = NULL;
            j = k;
        }
    }
}

long inv_index_get(const struct inv_index *ix, const char *key)
{
    if (!ix->cap || !key)
        return -1;
    size_t j = hash_name(key) & (ix->cap - 1);
    while (ix->keys[j]) {
        if (!strcmp(ix->keys[j], key))
            return (long)ix->vals[j];
        j = (j + 1) & (ix->cap - 1);
    }
    return -1;
}

void inv_index_free(struct inv_index *ix)
{
    free(ix->keys);
    free(ix->vals);
    memset(ix, 0, sizeof(*ix));
}

/* ---- positions and text ---- */

/* Values read from inside lib.mkForce & co. live in a snippet tree; their offsets are
 * relative to it. Returns the offset to add, and the snippet (NULL for the main tree). */
static const struct nix_value *value_root(const struct nix_value *v)
{
    while (v->parent)
        v = v->parent;
    return v;
}

/* The snippet whose tree has this root, or -1 (a hash: values are asked for one by one,
 * and a fleet may hold a snippet per machine). */
static long snippet_index(const struct inventory *inv, const struct nix_value *root)
{
    if (!inv->snippet_hcap)
        return -1;
    size_t mask = inv->snippet_hcap - 1;
    for (size_t j = inv_ptr_hash(root) & mask; inv->snippet_hidx[j]; j = (j + 1) & mask)
        if (inv->snippet_roots[inv->snippet_hidx[j] - 1] == root)
            return (long)inv->snippet_hidx[j] - 1;
    return -1;
}

static int snippet_reindex(struct inventory *inv)
{
    if (inv->nsnippets * 2 < inv->snippet_hcap) {
        size_t mask = inv->snippet_hcap - 1, i = inv->nsnippets - 1;
        size_t j = inv_ptr_hash(inv->snippet_roots[i]) & mask;
        while (inv->snippet_hidx[j])
            j = (j + 1) & mask;
        inv->snippet_hidx[j] = (uint32_t)i + 1;
        return 0;
    }
    size_t cap = inv->snippet_hcap ? inv->snippet_hcap * 2 : 16;
    uint32_t *h = calloc(cap, sizeof(*h));
    if (!h)
        return -ENOMEM;
    free(inv->snippet_hidx);
    inv->snippet_hidx = h;
    inv->snippet_hcap = cap;
    for (size_t i = 0; i < inv->nsnippets; i++) {
        size_t j = inv_ptr_hash(inv->snippet_roots[i]) & (cap - 1);
        while (h[j])
            j = (j + 1) & (cap - 1);
        h[j] = (uint32_t)i + 1;
    }
    return 0;
}

/* Where v's text lives: *file gets the tree holding it (NULL: the main file's own tree),
 * *fidx its file of the clan, *snip whether it is a snippet (its own text, whose offsets
 * are moved by the returned delta into the file's). */
static long value_delta(const struct inventory *inv, const struct nix_value *v,
                        struct nix_file **file, unsigned *fidx, bool *snip)
{
    *file = NULL;
    *fidx = 0;
    *snip = false;
    if (!inv->nsnippets && !inv->clan)
        return 0;
    const struct nix_value *r = value_root(v);
    long i = snippet_index(inv, r);
    if (i >= 0) {
        *file = inv->snippets[i];
        *fidx = inv->snippet_file[i];
        *snip = true;
        return inv->snippet_delta[i];
    }
    if (inv->clan) {
        const struct inv_tree *t = inv_clan_tree(inv->clan, r);
        if (t) {
            *file = t->nix;
            *fidx = t->file;
        }
    }
    return 0;
}

struct nix_file *inv_value_file(const struct inventory *inv, const struct nix_value *v,
                                unsigned *file)
{
    struct nix_file *f;
    bool snip;
    unsigned fi;
    (void)value_delta(inv, v, &f, &fi, &snip);
    if (file)
        *file = fi;
    return f ? f : inv->nix;
}

/* The whole file fidx (for line numbers of snippets). */
static struct nix_file *base_file(const struct inventory *inv, unsigned fidx)
{
    if (fidx && inv->clan && fidx < inv->clan->nfiles && inv->clan->files[fidx].nix)
        return inv->clan->files[fidx].nix;
    return inv->nix;
}

/* Keep a parsed snippet; delta: where its text "{ v = <inner>" comes from (-1: nowhere). */
static int add_snippet(struct inventory *inv, struct nix_file *f, long inner_start,
                       unsigned fidx)
{
    size_t n = inv->nsnippets + 1;
    struct nix_file **ns = realloc(inv->snippets, n * sizeof(*ns));
    if (!ns)
        return -ENOMEM;
    inv->snippets = ns;
    const struct nix_value **nr = realloc(inv->snippet_roots, n * sizeof(*nr));
    if (!nr)
        return -ENOMEM;
    inv->snippet_roots = nr;
    long *nd = realloc(inv->snippet_delta, n * sizeof(*nd));
    if (!nd)
        return -ENOMEM;
    inv->snippet_delta = nd;
    unsigned *nf = realloc(inv->snippet_file, n * sizeof(*nf));
    if (!nf)
        return -ENOMEM;
    inv->snippet_file = nf;
    nf[inv->nsnippets] = fidx;
    ns[inv->nsnippets] = f;
    nr[inv->nsnippets] = nix_file_root(f);
    nd[inv->nsnippets] = inner_start < 0 ? 0 : inner_start - 6; /* "{ v = " */
    inv->nsnippets++;
    return snippet_reindex(inv);
}

int inv_add_snippet(struct inventory *inv, struct nix_file *f)
{
    return add_snippet(inv, f, -1, 0);
}

int inv_add_view(struct inventory *inv, struct nix_file *view, unsigned file)
{
    if (add_snippet(inv, view, -1, file) < 0)
        return -ENOMEM;
    inv->snippet_delta[inv->nsnippets - 1] = 0;
    return 0;
}

struct inv_loc inv_loc_value(const struct inventory *inv, const struct nix_value *v)
{
    struct inv_loc l = {0};
    if (!v)
        return l;
    struct nix_file *sf;
    unsigned fi;
    bool snip;
    long d = value_delta(inv, v, &sf, &fi, &snip);
    l.file = fi;
    l.start = (size_t)((long)nix_wrap_start(v) + d);
    l.end = (size_t)((long)nix_val_end(v) + d);
    if (!snip) {
        l.line = nix_val_line(v);
        l.col = nix_val_col(v);
        if (nix_wrap_start(v) != nix_val_start(v))
            nix_file_linecol(sf ? sf : inv->nix, l.start, &l.line, &l.col);
    } else {
        nix_file_linecol(base_file(inv, fi), l.start, &l.line, &l.col);
    }
    return l;
}

struct inv_loc inv_loc_key(const struct inventory *inv, const struct nix_value *v)
{
    struct inv_loc l = {0};
    if (!v)
        return l;
    if (nix_key_end(v) == 0 && nix_key_start(v) == 0)
        return inv_loc_value(inv, v);
    struct nix_file *sf;
    unsigned fi;
    bool snip;
    long d = value_delta(inv, v, &sf, &fi, &snip);
    l.file = fi;
    l.start = (size_t)((long)nix_key_start(v) + d);
    l.end = (size_t)((long)nix_key_end(v) + d);
    if (!snip) {
        l.line = nix_key_line(v);
        l.col = nix_key_col(v);
    } else {
        nix_file_linecol(base_file(inv, fi), l.start, &l.line, &l.col);
    }
    return l;
}

char *inv_value_text(const struct inventory *inv, const struct nix_value *v)
{
    size_t len;
    const char *t = nix_file_text(inv_value_file(inv, v, NULL), &len);
    size_t a = nix_wrap_start(v), b = nix_val_end(v);
    if (a > len || b > len || a > b)
        return strdup("");
    return inv_strndup(t + a, b - a);
}

/* ---- lib.mkForce & co. ---- */

static bool is_ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '\'' || c == '-' || c == '.';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Recognize "<path>.mkForce ", "mkDefault ", "lib.mkOverride 50 " at the start of t.
 * Returns the length of the wrapper (0 when none) and sets *prio. */
static size_t match_wrapper(const char *t, size_t n, int *prio)
{
    size_t i = 0;
    while (i < n && is_ident_char(t[i]))
        i++;
    if (i == 0)
        return 0;
    size_t s = i;
    while (s > 0 && t[s - 1] != '.')
        s--;
    const char *w = t + s;
    size_t wl = i - s;
    int p;
    if (wl == 7 && !memcmp(w, "mkForce", 7))
        p = INV_PRIO_FORCE;
    else if (wl == 9 && !memcmp(w, "mkDefault", 9))
        p = INV_PRIO_DEFAULT;
    else if (wl == 15 && !memcmp(w, "mkOptionDefault", 15))
        p = INV_PRIO_OPTION_DEFAULT;
    else if (wl == 10 && !memcmp(w, "mkOverride", 10)) {
        while (i < n && is_space(t[i]))
            i++;
        size_t j = i;
        long v = 0;
        while (j < n && t[j] >= '0' && t[j] <= '9' && v < 100000)
            v = v * 10 + (t[j++] - '0');
        if (j == i)
            return 0;
        p = (int)v;
        i = j;
    } else
        return 0;
    if (i < n && !is_space(t[i]) && t[i] != '(' && t[i] != '"' && t[i] != '[' &&
        t[i] != '{' && t[i] != '\'')
        return 0;
    while (i < n && is_space(t[i]))
        i++;
    if (i >= n)
        return 0;
    *prio = p;
    return i;
}

static const struct nix_value *unwrap_priority(struct inventory *inv, const struct nix_value *v,
                                            int *prio, size_t *inner_start)
{
    *prio = INV_PRIO_PLAIN;
    if (inner_start)
        *inner_start = nix_val_start(v);
    struct nix_file *sf;
    unsigned fidx;
    bool snip;
    (void)value_delta(inv, v, &sf, &fidx, &snip);
    size_t len;
    const char *src = nix_file_text(sf ? sf : inv->nix, &len);
    if (v->kind == NIX_ATTRS && nix_wrap_start(v) < nix_val_start(v)) {
        /* `lib.mkForce { ... }`: the tree already looked through the call */
        int p;
        size_t w = match_wrapper(src + nix_wrap_start(v), nix_val_start(v) - nix_wrap_start(v), &p);
        if (w && nix_wrap_start(v) + w == nix_val_start(v))
            *prio = p;
        return v;
    }
    if (v->kind != NIX_OPAQUE || snip)
        return v;
    size_t a = nix_val_start(v), b = nix_val_end(v);
    if (b > len || a >= b)
        return v;
    /* strip whole-expression parentheses */
    while (a < b && is_space(src[a]))
        a++;
    while (b > a && is_space(src[b - 1]))
        b--;
    while (b - a >= 2 && src[a] == '(' && src[b - 1] == ')') {
        a++;
        b--;
        while (a < b && is_space(src[a]))
            a++;
        while (b > a && is_space(src[b - 1]))
            b--;
    }
    int p;
    size_t w = match_wrapper(src + a, b - a, &p);
    if (!w)
        return v;
    *prio = p;
    size_t ia = a + w;
    if (inner_start)
        *inner_start = ia;
    struct buf sb = {0};
    buf_puts(&sb, "{ v = ");
    buf_append(&sb, src + ia, b - ia);
    buf_puts(&sb, "\n; }\n");
    if (!sb.p)
        return v;
    struct diag_list dl = {0};
    struct nix_file *sn = NULL;
    int r = nix_parse(inventory_file_name(inv, fidx), sb.p, sb.len, &sn, &dl);
    buf_free(&sb);
    diag_list_free(&dl);
    if (r < 0 || !sn)
        return v;
    if (nix_file_has_errors(sn)) {
        nix_file_free(sn);
        return v;
    }
    if (add_snippet(inv, sn, (long)ia, fidx) < 0) {
        nix_file_free(sn);
        return v;
    }
    const struct nix_value *c = nix_value_get(nix_file_root(sn), "v");
    return c ? c : v;
}

const struct nix_value *inv_unwrap_priority(struct inventory *inv, const struct nix_value *v,
                                            int *prio, size_t *inner_start)
{
    /* literals carry no wrapper: only expressions and wrapped attrsets are looked at */
    if (v->kind != NIX_OPAQUE && !(v->kind == NIX_ATTRS && nix_wrap_start(v) < nix_val_start(v))) {
        *prio = INV_PRIO_PLAIN;
        if (inner_start)
            *inner_start = nix_val_start(v);
        return v;
    }
    struct inv_unwrap_cache *c = &inv->unwrap;
    size_t h = inv_unwrap_hash(v);
    if (c->cap) {
        for (size_t j = h & (c->cap - 1);; j = (j + 1) & (c->cap - 1)) {
            if (!c->v[j].key)
                break;
            if (c->v[j].key == v) {
                *prio = c->v[j].prio;
                if (inner_start)
                    *inner_start = c->v[j].inner_start;
                return c->v[j].inner;
            }
        }
    }
    size_t is;
    const struct nix_value *r = unwrap_priority(inv, v, prio, &is);
    if (inner_start)
        *inner_start = is;
    if ((c->n + 1) * 2 > c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        struct inv_unwrap *nv = calloc(nc, sizeof(*nv));
        if (!nv)
            return r;
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->v[i].key)
                continue;
            size_t k = inv_unwrap_hash(c->v[i].key);
            size_t j = k & (nc - 1);
            while (nv[j].key)
                j = (j + 1) & (nc - 1);
            nv[j] = c->v[i];
        }
        free(c->v);
        c->v = nv;
        c->cap = nc;
    }
    size_t j = h & (c->cap - 1);
    while (c->v[j].key)
        j = (j + 1) & (c->cap - 1);
    c->v[j] = (struct inv_unwrap){v, r, *prio, is};
    c->n++;
    return r;
}

bool inv_lib_in_scope(const struct inventory *inv)
{
    const struct nix_value *root = nix_file_root(inv->nix);
    if (!root || nix_wrap_start(root) >= nix_val_start(root))
        return false;
    size_t len;
    const char *t = nix_file_text(inv->nix, &len);
    /* a lambda `{ lib, ... }:` or `with lib;` before the top-level attrset */
    for (size_t i = nix_wrap_start(root); i + 3 <= nix_val_start(root); i++) {
        if (!memcmp(t + i, "lib", 3) && (i == 0 || !is_ident_char(t[i - 1])) &&
            (i + 3 == len || !is_ident_char(t[i + 3])))
            return true;
    }
    return false;
}

/* ---- reading values ---- */

/* A string field: literal string, or opaque source text (warned about). */
static struct inv_text read_text(struct inventory *inv, const struct nix_value *v,
                                 const char *what)
{
    struct inv_text t = {0};
    if (!v)
        return t;
    t.loc = inv_loc_value(inv, v);
    if (v->kind == NIX_STRING) {
        t.s = inv_strdup(v->str ? v->str : "");
    } else if (v->kind == NIX_OPAQUE) {
        t.s = inv_value_text(inv, v);
        t.opaque = true;
        inv_diag(inv, DIAG_WARNING, t.loc,
                 "%s is not a literal string; shown read-only as written", what);
    } else {
        t.s = inv_value_text(inv, v);
        t.opaque = true;
        inv_diag(inv, DIAG_ERROR, t.loc, "%s: expected a string, found %s", what,
                 kind_name(v->kind));
    }
    return t;
}

struct inv_text inv_read_text(struct inventory *inv, const struct nix_value *v, const char *what)
{
    return read_text(inv, v, what);
}

/* A state folder: a literal string, or an expression evaluated on the machine (kept as
 * its source text, marked opaque; no warning: Clan accepts it). */
static struct inv_text read_folder(struct inventory *inv, const struct nix_value *v)
{
    if (v->kind == NIX_OPAQUE) {
        struct inv_text t = {.loc = inv_loc_value(inv, v), .opaque = true};
        t.s = inv_value_text(inv, v);
        return t;
    }
    return read_text(inv, v, "a state folder");
}

static void free_text(struct inv_text *t)
{
    free(t->s);
    t->s = NULL;
}

/* Expect an attrset (or nothing). Warns about opaque values, errors on other kinds. */
static bool expect_attrs(struct inventory *inv, const struct nix_value *v, const char *what)
{
    if (!v)
        return false;
    if (v->kind == NIX_ATTRS)
        return true;
    if (v->kind == NIX_OPAQUE)
        inv_diag(inv, DIAG_WARNING, inv_loc_value(inv, v),
                 "%s is not a literal attribute set; clan-tui cannot read into it", what);
    else
        inv_diag(inv, DIAG_ERROR, inv_loc_value(inv, v),
                 "%s: expected an attribute set, found %s", what, kind_name(v->kind));
    return false;
}

/* ---- machines ---- */

static void read_machine(struct inventory *inv, struct inv_machine *m, const struct nix_value *v)
{
    m->name = inv_strdup(v->name);
    m->loc = inv_loc_key(inv, v);
    m->node = v;
    char what[300];
    str_snprintf(what, sizeof(what), "inventory.machines.%s", v->name);
    if (!expect_attrs(inv, v, what))
        return;
    const struct nix_value *deploy = nix_value_get(v, "deploy");
    if (deploy && expect_attrs(inv, deploy, "deploy")) {
        str_snprintf(what, sizeof(what), "inventory.machines.%s.deploy.targetHost", v->name);
        m->target_host = read_text(inv, nix_value_get(deploy, "targetHost"), what);
    }
    const struct nix_value *tags = nix_value_get(v, "tags");
    if (!tags)
        return;
    m->has_tags = true;
    m->tags_loc = inv_loc_value(inv, tags);
    str_snprintf(what, sizeof(what), "inventory.machines.%s.tags", v->name);
    if (tags->kind != NIX_LIST) {
        if (tags->kind == NIX_OPAQUE)
            inv_diag(inv, DIAG_WARNING, m->tags_loc,
                     "%s is not a literal list; clan-tui cannot tell which tags it holds",
                     what);
        else
            inv_diag(inv, DIAG_ERROR, m->tags_loc, "%s: expected a list of strings, found %s",
                     what, kind_name(tags->kind));
        return;
    }
    m->tags = calloc(tags->nchildren ? tags->nchildren : 1, sizeof(*m->tags));
    if (!m->tags)
        return;
    for (size_t i = 0; i < tags->nchildren; i++)
        m->tags[m->ntags++] = read_text(inv, tags->children[i], what);
}

void inv_free_machine_inv(struct inv_machine *m)
{
    free(m->name);
    m->name = NULL;
    free_text(&m->target_host);
    for (size_t i = 0; i < m->ntags; i++)
        free_text(&m->tags[i]);
    free(m->tags);
    m->tags = NULL;
    m->ntags = 0;
    m->has_tags = false;
    m->tags_loc = (struct inv_loc){0};
    m->node = NULL;
}

void inv_free_machine_cfg(struct inv_machine *m)
{
    for (size_t i = 0; i < m->nstates; i++) {
        struct inv_state *s = &m->states[i];
        free(s->name);
        free(s->database);
        for (size_t j = 0; j < s->nfolders; j++)
            free_text(&s->folders[j]);
        free(s->folders);
        free_text(&s->folders_text);
        for (int h = 0; h < INV_NHOOKS; h++)
            free_text(&s->hooks[h]);
        free_text(&s->condition);
    }
    free(m->states);
    m->states = NULL;
    m->nstates = 0;
    m->pg_enabled = false;
    m->pg_dbs_loc = (struct inv_loc){0};
    free_text(&m->nixos_target_host);
    m->config = NULL;
    m->config_opaque = false;
}

static void free_machine(struct inv_machine *m)
{
    inv_free_machine_inv(m);
    inv_free_machine_cfg(m);
}

void inv_read_machine(struct inventory *inv, struct inv_machine *m, const struct nix_value *v)
{
    read_machine(inv, m, v);
}

/* ---- states ---- */

static struct inv_state *add_state(struct inv_machine *m, const char *name)
{
    for (size_t i = 0; i < m->nstates; i++)
        if (!strcmp(m->states[i].name, name))
            return &m->states[i];
    /* capacity: the next power of two (the array only grows while the model is read) */
    if (!m->nstates || !(m->nstates & (m->nstates - 1))) {
        size_t nc = m->nstates ? m->nstates * 2 : 2;
        struct inv_state *ns = realloc(m->states, nc * sizeof(*ns));
        if (!ns)
            return NULL;
        m->states = ns;
    }
    struct inv_state *s = &m->states[m->nstates];
    memset(s, 0, sizeof(*s));
    s->name = inv_strdup(name);
    if (!s->name)
        return NULL;
    m->nstates++;
    return s;
}

static void add_folder(struct inv_state *s, struct inv_text t)
{
    struct inv_text *nf = realloc(s->folders, (s->nfolders + 1) * sizeof(*nf));
    if (!nf) {
        free(t.s);
        return;
    }
    s->folders = nf;
    s->folders[s->nfolders++] = t;
}

static void read_state(struct inventory *inv, struct inv_machine *m, const char *name,
                       struct inv_loc keyloc, const struct nix_value *v, const char *cond,
                       struct inv_loc cond_loc)
{
    struct inv_state *s = add_state(m, name);
    if (!s)
        return;
    s->loc = keyloc;
    if (cond && !s->condition.s) {
        s->condition.s = inv_strdup(cond);
        s->condition.opaque = true;
        s->condition.loc = cond_loc;
    }
    char what[400];
    str_snprintf(what, sizeof(what), "machines.%s: clan.core.state.%s", m->name, name);
    if (!expect_attrs(inv, v, what)) {
        s->folders_opaque = true;
        s->folders_text.s = inv_value_text(inv, v);
        s->folders_text.opaque = true;
        s->folders_text.loc = inv_loc_value(inv, v);
        return;
    }
    const struct nix_value *f = nix_value_get(v, "folders");
    if (!f) {
        inv_diag(inv, DIAG_ERROR, s->loc,
                 "clan.core.state.%s has no `folders` (a required list of paths)", name);
    } else if (f->kind == NIX_LIST) {
        for (size_t i = 0; i < f->nchildren; i++)
            add_folder(s, read_folder(inv, f->children[i]));
    } else {
        s->folders_opaque = true;
        s->folders_text.s = inv_value_text(inv, f);
        s->folders_text.opaque = true;
        s->folders_text.loc = inv_loc_value(inv, f);
        /* an expression is evaluated on the machine (the plan says so); a literal of
         * another kind is an error Clan's evaluation reports too */
        if (f->kind != NIX_OPAQUE)
            inv_diag(inv, DIAG_ERROR, s->folders_text.loc,
                     "clan.core.state.%s.folders: expected a list of paths, found %s", name,
                     kind_name(f->kind));
    }
    for (int h = 0; h < INV_NHOOKS; h++) {
        const struct nix_value *hv = nix_value_get(v, inv_hook_name((enum inv_hook)h));
        if (!hv)
            continue;
        str_snprintf(what, sizeof(what), "clan.core.state.%s.%s", name,
                 inv_hook_name((enum inv_hook)h));
        struct inv_text t = hv->kind == NIX_OPAQUE ? read_folder(inv, hv) : read_text(inv, hv, what);
        if (s->hooks[h].s) {
            inv_diag(inv, DIAG_ERROR, t.loc,
                     "%s is defined twice (the other definition is at line %u); Clan's "
                     "evaluation would fail",
                     what, s->hooks[h].loc.line);
            free(t.s);
        } else {
            s->hooks[h] = t;
        }
    }
}

/* clan.core.postgresql.databases.<db> = { name?; service?; }: a state named after
 * `service` (default: the attribute name) backing up /var/backup/postgres/<name>. */
static void read_database(struct inventory *inv, struct inv_machine *m,
                          const struct nix_value *v, const char *cond, struct inv_loc cond_loc)
{
    const char *db = v->name;
    const char *state = v->name;
    struct buf stop = {0}; /* restore.stopOnRestore: services stopped around the restore */
    if (v->kind == NIX_ATTRS) {
        const char *rp[] = {"restore", "stopOnRestore"};
        const struct nix_value *sr = nix_value_lookup(v, rp, 2);
        for (size_t i = 0; sr && sr->kind == NIX_LIST && i < sr->nchildren; i++)
            if (sr->children[i]->kind == NIX_STRING && sr->children[i]->str) {
                buf_putc(&stop, ' ');
                buf_put_shell_word(&stop, sr->children[i]->str);
            }
        const struct nix_value *n = nix_value_get(v, "name");
        if (n && n->kind == NIX_STRING)
            db = n->str;
        const struct nix_value *sv = nix_value_get(v, "service");
        if (sv && sv->kind == NIX_STRING)
            state = sv->str;
    } else if (v->kind != NIX_OPAQUE) {
        inv_diag(inv, DIAG_ERROR, inv_loc_value(inv, v),
                 "clan.core.postgresql.databases.%s: expected an attribute set, found %s",
                 v->name, kind_name(v->kind));
        return;
    }
    struct inv_state *s = add_state(m, state);
    if (!s) {
        buf_free(&stop);
        return;
    }
    if (!s->loc.line)
        s->loc = inv_loc_key(inv, v);
    if (cond && !s->condition.s) {
        s->condition.s = inv_strdup(cond);
        s->condition.opaque = true;
        s->condition.loc = cond_loc;
    }
    free(s->database);
    s->database = inv_strdup(db);
    struct inv_loc loc = inv_loc_key(inv, v);
    char *folder = inv_asprintf("/var/backup/postgres/%s", db);
    if (!folder) {
        buf_free(&stop);
        return;
    }
    add_folder(s, (struct inv_text){.s = inv_strdup(folder), .loc = loc});
    struct buf pre = {0}, post = {0};
    buf_puts(&pre, "set -eu\nuntil systemctl is-active --quiet postgresql; do sleep 1; done\n"
                   "umask 0077\nmkdir -p ");
    buf_put_shell_word(&pre, folder);
    buf_puts(&pre, "\nrunuser -u postgres -- pg_dump -Fc --dbname=");
    buf_put_shell_word(&pre, db);
    buf_puts(&pre, " > ");
    buf_put_shell_word(&pre, folder);
    buf_puts(&pre, "/pg-dump.tmp\nmv ");
    buf_put_shell_word(&pre, folder);
    buf_puts(&pre, "/pg-dump.tmp ");
    buf_put_shell_word(&pre, folder);
    buf_puts(&pre, "/pg-dump\n");
    buf_puts(&post, "set -eu\nuntil systemctl is-active --quiet postgresql; do sleep 1; done\n"
                    "if [ -e ");
    buf_put_shell_word(&post, folder);
    buf_puts(&post, "/pg-dump ]; then\n");
    const char *ind = "  ";
    if (stop.len) {
        /* as Clan's postgresql module: the services stop for the restore, and start
         * again however it ends */
        buf_printf(&post, "  (\n    systemctl stop%s\n    trap 'systemctl start%s' EXIT\n", stop.p,
                   stop.p);
        ind = "    ";
    }
    buf_printf(&post, "%srunuser -u postgres -- dropdb --if-exists ", ind);
    buf_put_shell_word(&post, db);
    buf_printf(&post, "\n%srunuser -u postgres -- pg_restore -C -d postgres ", ind);
    buf_put_shell_word(&post, folder);
    buf_puts(&post, "/pg-dump\n");
    if (stop.len)
        buf_puts(&post, "  )\n");
    buf_puts(&post, "else\n  echo 'no database dump found, skipping restore'\nfi\n");
    buf_free(&stop);
    free(folder);
    struct { enum inv_hook h; struct buf *b; } gen[2] = {
        {INV_HOOK_PRE_BACKUP, &pre}, {INV_HOOK_POST_RESTORE, &post}};
    for (int i = 0; i < 2; i++) {
        if (s->hooks[gen[i].h].s) {
            inv_diag(inv, DIAG_ERROR, s->hooks[gen[i].h].loc,
                     "clan.core.state.%s.%s is also defined by "
                     "clan.core.postgresql.databases.%s (line %u); Clan's evaluation would "
                     "fail",
                     state, inv_hook_name(gen[i].h), v->name, loc.line);
            buf_free(gen[i].b);
            continue;
        }
        s->hooks[gen[i].h].s = buf_steal(gen[i].b);
        s->hooks[gen[i].h].loc = loc;
    }
}

static int cmp_state(const void *a, const void *b)
{
    return strcmp(((const struct inv_state *)a)->name, ((const struct inv_state *)b)->name);
}

/* clan.core.state (an attribute set of states) of one module of machine m. */
void inv_read_state_set(struct inventory *inv, struct inv_machine *m,
                        const struct nix_value *states, const char *cond, struct inv_loc cl)
{
    if (!expect_attrs(inv, states, "clan.core.state"))
        return;
    for (size_t i = 0; i < states->nchildren; i++)
        read_state(inv, m, states->children[i]->name, inv_loc_key(inv, states->children[i]),
                   states->children[i], cond, cl);
}

/* One state, clan.core.state.<name> = v (v already looked through lib.mkIf). */
void inv_read_one_state(struct inventory *inv, struct inv_machine *m, const char *name,
                        struct inv_loc keyloc, const struct nix_value *v, const char *cond,
                        struct inv_loc cl)
{
    read_state(inv, m, name, keyloc, v, cond, cl);
}

/* clan.core.postgresql of one module of machine m. */
void inv_read_postgresql(struct inventory *inv, struct inv_machine *m,
                         const struct nix_value *pg, const char *cond, struct inv_loc cl)
{
    if (pg->kind != NIX_ATTRS)
        return;
    const struct nix_value *dbs = nix_value_get(pg, "databases");
    const struct nix_value *en0 = nix_value_get(pg, "enable");
    if (en0 && ((en0->kind == NIX_BOOL && en0->bval) || en0->kind == NIX_OPAQUE))
        m->pg_enabled = true;
    if (!dbs || !expect_attrs(inv, dbs, "clan.core.postgresql.databases"))
        return;
    const struct nix_value *en = nix_value_get(pg, "enable");
    if (en && ((en->kind == NIX_BOOL && en->bval) || en->kind == NIX_OPAQUE))
        m->pg_enabled = true;
    if (dbs->nchildren && !m->pg_dbs_loc.line)
        m->pg_dbs_loc = inv_loc_key(inv, dbs);
    for (size_t i = 0; i < dbs->nchildren; i++)
        read_database(inv, m, dbs->children[i], cond, cl);
}

/* After every module of m was read: databases without the service. */
void inv_check_postgresql(struct inventory *inv, struct inv_machine *m)
{
    if (m->pg_dbs_loc.line && !m->pg_enabled)
        inv_diag(inv, DIAG_WARNING, m->pg_dbs_loc,
                 "clan.core.postgresql.databases is set but "
                 "clan.core.postgresql.enable is not true on machine %s",
                 m->name);
}

void inv_sort_states(struct inv_machine *m)
{
    if (m->nstates > 1)
        qsort(m->states, m->nstates, sizeof(*m->states), cmp_state);
}

static void read_config(struct inventory *inv, struct inv_machine *m, const struct nix_value *v)
{
    if (!m->config)
        m->config = v;
    unsigned fi = 0;
    (void)inv_value_file(inv, v, &fi);
    inv_read_nixos_module(inv, m, fi, v, NULL);
    inv_sort_states(m);
    if (!inv->clan)
        inv_check_postgresql(inv, m);
}

void inv_read_config(struct inventory *inv, struct inv_machine *m, const struct nix_value *v)
{
    read_config(inv, m, v);
}

/* A module value that is not an attribute set and that the module reader could not look
 * into: say so once. */
void inv_config_opaque(struct inventory *inv, struct inv_machine *m, const struct nix_value *v)
{
    m->config_opaque = true;
    inv_diag(inv, DIAG_WARNING, inv_loc_value(inv, v),
             "machines.%s is not a literal module; clan-tui cannot see its clan.core.state",
             m->name);
}

/* ---- instances ---- */

static void read_entries(struct inventory *inv, const struct nix_value *v, const char *what,
                         struct inv_role_entry **out, size_t *n)
{
    *out = calloc(v->nchildren ? v->nchildren : 1, sizeof(**out));
    if (!*out)
        return;
    for (size_t i = 0; i < v->nchildren; i++) {
        const struct nix_value *c = v->children[i];
        struct inv_role_entry *e = &(*out)[(*n)++];
        e->name = inv_strdup(c->name);
        e->loc = inv_loc_key(inv, c);
        if (c->kind == NIX_ATTRS) {
            e->settings = nix_value_get(c, "settings");
            if (e->settings && e->settings->kind != NIX_ATTRS &&
                e->settings->kind != NIX_OPAQUE)
                inv_diag(inv, DIAG_ERROR, inv_loc_value(inv, e->settings),
                         "%s.%s.settings: expected an attribute set, found %s", what, c->name,
                         kind_name(e->settings->kind));
        } else {
            char w[400];
            str_snprintf(w, sizeof(w), "%s.%s", what, c->name);
            expect_attrs(inv, c, w);
        }
    }
}

static void read_role(struct inventory *inv, struct inv_role *r, const struct nix_value *v,
                      const char *inst)
{
    r->name = inv_strdup(v->name);
    r->loc = inv_loc_key(inv, v);
    char what[400];
    str_snprintf(what, sizeof(what), "inventory.instances.%s.roles.%s", inst, v->name);
    if (!expect_attrs(inv, v, what))
        return;
    r->extra_modules = nix_value_get(v, "extraModules");
    const struct nix_value *ms = nix_value_get(v, "machines");
    char w2[450];
    str_snprintf(w2, sizeof(w2), "%s.machines", what);
    if (ms && expect_attrs(inv, ms, w2))
        read_entries(inv, ms, w2, &r->machines, &r->nmachines);
    const struct nix_value *tags = nix_value_get(v, "tags");
    str_snprintf(w2, sizeof(w2), "%s.tags", what);
    if (tags && tags->kind == NIX_LIST) {
        r->tags_is_list = true;
        r->tags = calloc(tags->nchildren ? tags->nchildren : 1, sizeof(*r->tags));
        for (size_t i = 0; r->tags && i < tags->nchildren; i++) {
            const struct nix_value *c = tags->children[i];
            struct inv_role_entry *e = &r->tags[r->ntags];
            e->loc = inv_loc_value(inv, c);
            if (c->kind == NIX_STRING) {
                e->name = inv_strdup(c->str);
                r->ntags++;
            } else {
                inv_diag(inv, c->kind == NIX_OPAQUE ? DIAG_WARNING : DIAG_ERROR, e->loc,
                         "%s: expected tag names (strings), found %s", w2,
                         kind_name(c->kind));
            }
        }
    } else if (tags && expect_attrs(inv, tags, w2)) {
        read_entries(inv, tags, w2, &r->tags, &r->ntags);
    }
    r->settings = nix_value_get(v, "settings");
    if (r->settings) {
        r->settings_loc = inv_loc_key(inv, r->settings);
        if (r->settings->kind != NIX_ATTRS && r->settings->kind != NIX_OPAQUE)
            inv_diag(inv, DIAG_ERROR, inv_loc_value(inv, r->settings),
                     "%s.settings: expected an attribute set, found %s", what,
                     kind_name(r->settings->kind));
    }
}

static void read_instance(struct inventory *inv, struct inv_instance *in,
                          const struct nix_value *v)
{
    in->name = inv_strdup(v->name);
    in->loc = inv_loc_key(inv, v);
    char what[300];
    str_snprintf(what, sizeof(what), "inventory.instances.%s", v->name);
    if (!expect_attrs(inv, v, what)) {
        in->module.s = inv_strdup(v->name);
        return;
    }
    const struct nix_value *mod = nix_value_get(v, "module");
    const struct nix_value *mn = NULL;
    if (mod && mod->kind == NIX_ATTRS)
        mn = nix_value_get(mod, "name");
    else if (mod)
        expect_attrs(inv, mod, "module");
    if (mn)
        in->module = read_text(inv, mn, "module.name");
    if (!in->module.s) {
        free(in->module.s);
        in->module = (struct inv_text){.s = inv_strdup(v->name)};
    }
    const struct nix_value *roles = nix_value_get(v, "roles");
    if (!roles || !expect_attrs(inv, roles, "roles"))
        return;
    in->roles = calloc(roles->nchildren ? roles->nchildren : 1, sizeof(*in->roles));
    if (!in->roles)
        return;
    for (size_t i = 0; i < roles->nchildren; i++)
        read_role(inv, &in->roles[in->nroles++], roles->children[i], v->name);
}

static void free_entries(struct inv_role_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].name);
    free(e);
}

void inv_read_instance(struct inventory *inv, struct inv_instance *in,
                       const struct nix_value *v)
{
    read_instance(inv, in, v);
}

void inv_free_instance(struct inv_instance *in)
{
    free(in->name);
    free_text(&in->module);
    for (size_t j = 0; j < in->nroles; j++) {
        struct inv_role *r = &in->roles[j];
        free(r->name);
        free_entries(r->machines, r->nmachines);
        free_entries(r->tags, r->ntags);
    }
    free(in->roles);
    memset(in, 0, sizeof(*in));
}

void inv_free_member(struct inv_member *mb)
{
    for (size_t j = 0; j < mb->nvia_tags; j++)
        free(mb->via_tags[j]);
    free(mb->via_tags);
    inv_free_eff(&mb->settings);
    memset(mb, 0, sizeof(*mb));
}

void inv_free_model(struct inv_model *m)
{
    free_text(&m->meta.name);
    free_text(&m->meta.domain);
    for (size_t i = 0; i < m->nmachines; i++)
        free_machine(&m->machines[i]);
    free(m->machines);
    for (size_t i = 0; i < m->ninstances; i++)
        inv_free_instance(&m->instances[i]);
    free(m->instances);
    for (size_t i = 0; i < m->nmembers; i++)
        inv_free_member(&m->members[i]);
    free(m->members);
    memset(m, 0, sizeof(*m));
}

/* ---- the whole model ---- */

/* Room for one more machine. */
static struct inv_machine *new_machine(struct inventory *inv, size_t *cap)
{
    struct inv_model *m = &inv->model;
    if (inv_grow(&m->machines, cap, m->nmachines, sizeof(*m->machines)) < 0)
        return NULL;
    struct inv_machine *mm = &m->machines[m->nmachines];
    memset(mm, 0, sizeof(*mm));
    return mm;
}

/* A second definition of inventory.machines.<name> (another file): the module system merges
 * them -- tags concatenate, a single value defined differently is an evaluation error. */
static void merge_machine(struct inventory *inv, struct inv_machine *e, struct inv_machine *t)
{
    e->merged = true;
    if (t->target_host.s) {
        if (!e->target_host.s) {
            e->target_host = t->target_host;
            t->target_host.s = NULL;
        } else if (strcmp(e->target_host.s, t->target_host.s)) {
            inv_diag(inv, DIAG_ERROR, t->target_host.loc,
                     "inventory.machines.%s.deploy.targetHost is defined differently here "
                     "and in %s:%u:%u; Clan's evaluation rejects two definitions of one value",
                     e->name, inventory_file_name(inv, e->target_host.loc.file),
                     e->target_host.loc.line, e->target_host.loc.col);
        }
    }
    if (t->has_tags) {
        if (!e->has_tags) {
            e->has_tags = true;
            e->tags_loc = t->tags_loc;
        }
        if (t->ntags) {
            struct inv_text *nt = realloc(e->tags, (e->ntags + t->ntags) * sizeof(*nt));
            if (nt) {
                e->tags = nt;
                for (size_t k = 0; k < t->ntags; k++) {
                    e->tags[e->ntags++] = t->tags[k];
                    t->tags[k].s = NULL;
                }
            }
        }
    }
    if (!e->node)
        e->node = t->node;
    if (!e->loc.line && t->loc.line)
        e->loc = t->loc;
    inv_free_machine_inv(t);
}

/* inventory.machines of one module (or inventory.json's machines). */
static void read_machines(struct inventory *inv, const struct nix_value *machines, size_t *cap)
{
    struct inv_model *m = &inv->model;
    for (size_t i = 0; i < machines->nchildren; i++) {
        long k = inv_index_get(&inv->machine_ix, machines->children[i]->name);
        if (k >= 0) {
            struct inv_machine t = {0};
            inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_INV, (uint32_t)k, 0};
            read_machine(inv, &t, machines->children[i]);
            merge_machine(inv, &m->machines[k], &t);
            continue;
        }
        struct inv_machine *mm = new_machine(inv, cap);
        if (!mm)
            return;
        inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_INV, (uint32_t)m->nmachines, 0};
        read_machine(inv, mm, machines->children[i]);
        if (mm->name) {
            inv_index_put(&inv->machine_ix, mm->name, m->nmachines);
            m->nmachines++;
        }
    }
}

long inv_declare_machine(struct inventory *inv, const char *name, struct inv_loc loc,
                         size_t *cap)
{
    long k = inv_index_get(&inv->machine_ix, name);
    if (k >= 0)
        return k;
    struct inv_machine *mm = new_machine(inv, cap);
    if (!mm)
        return -1;
    mm->name = inv_strdup(name);
    if (!mm->name)
        return -1;
    mm->loc = loc;
    inv_index_put(&inv->machine_ix, mm->name, inv->model.nmachines);
    return (long)inv->model.nmachines++;
}

/* machines.<m> of a clan module: each declares a machine and is a module of its config. */
static void read_configs(struct inventory *inv, const struct nix_value *configs, size_t *cap)
{
    for (size_t i = 0; i < configs->nchildren; i++) {
        const struct nix_value *c = configs->children[i];
        long k = inv_declare_machine(inv, c->name, inv_loc_key(inv, c), cap);
        if (k < 0)
            continue;
        inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_CFG, (uint32_t)k, 0};
        read_config(inv, &inv->model.machines[k], c);
    }
}

/* A second definition of an instance: roles merge (their machines and tags join, the first
 * definition's settings stay the ones shown). */
static void merge_instance(struct inventory *inv, struct inv_instance *e, struct inv_instance *t)
{
    e->merged = true;
    if (!e->module.loc.line && t->module.loc.line) {
        free(e->module.s);
        e->module = t->module;
        t->module.s = NULL;
    }
    for (size_t j = 0; j < t->nroles; j++) {
        struct inv_role *tr = &t->roles[j];
        struct inv_role *er = NULL;
        for (size_t k = 0; k < e->nroles; k++)
            if (!strcmp(e->roles[k].name, tr->name))
                er = &e->roles[k];
        if (!er) {
            struct inv_role *nr = realloc(e->roles, (e->nroles + 1) * sizeof(*nr));
            if (!nr)
                continue;
            e->roles = nr;
            e->roles[e->nroles++] = *tr;
            memset(tr, 0, sizeof(*tr));
            continue;
        }
        struct { struct inv_role_entry **ev; size_t *en; struct inv_role_entry *tv; size_t tn; }
            lists[2] = {{&er->machines, &er->nmachines, tr->machines, tr->nmachines},
                        {&er->tags, &er->ntags, tr->tags, tr->ntags}};
        for (int l = 0; l < 2; l++) {
            for (size_t k = 0; k < lists[l].tn; k++) {
                struct inv_role_entry *x = &lists[l].tv[k];
                bool dup = false;
                for (size_t q = 0; q < *lists[l].en && !dup; q++)
                    if (!strcmp((*lists[l].ev)[q].name, x->name)) {
                        dup = true;
                        if (x->settings && (*lists[l].ev)[q].settings)
                            inv_diag(inv, DIAG_WARNING, x->loc,
                                     "%s.roles.%s: settings of %s are also defined in %s; "
                                     "clan-tui shows only those (Clan merges both)",
                                     e->name, er->name, x->name,
                                     inventory_file_name(inv, (*lists[l].ev)[q].loc.file));
                        else if (x->settings)
                            (*lists[l].ev)[q].settings = x->settings;
                    }
                if (dup)
                    continue;
                struct inv_role_entry *nv =
                    realloc(*lists[l].ev, (*lists[l].en + 1) * sizeof(*nv));
                if (!nv)
                    continue;
                *lists[l].ev = nv;
                nv[(*lists[l].en)++] = *x;
                memset(x, 0, sizeof(*x));
            }
        }
        if (!er->settings && tr->settings) {
            er->settings = tr->settings;
            er->settings_loc = tr->settings_loc;
        } else if (er->settings && tr->settings) {
            inv_diag(inv, DIAG_WARNING, tr->settings_loc,
                     "%s.roles.%s.settings is also defined in %s; clan-tui shows only that "
                     "definition (Clan merges both)",
                     e->name, er->name, inventory_file_name(inv, er->settings_loc.file));
        }
        if (!er->extra_modules)
            er->extra_modules = tr->extra_modules;
    }
    inv_free_instance(t);
}

static void read_instances(struct inventory *inv, const struct nix_value *instances)
{
    struct inv_model *m = &inv->model;
    size_t need = m->ninstances + instances->nchildren;
    struct inv_instance *ni = realloc(m->instances, (need ? need : 1) * sizeof(*ni));
    if (!ni)
        return;
    m->instances = ni;
    for (size_t i = 0; i < instances->nchildren; i++) {
        long k = inv_index_get(&inv->instance_ix, instances->children[i]->name);
        if (k >= 0) {
            struct inv_instance t = {0};
            inv->cur_owner = (struct inv_owner){INV_OWN_INSTANCE, (uint32_t)k, 0};
            read_instance(inv, &t, instances->children[i]);
            merge_instance(inv, &m->instances[k], &t);
            continue;
        }
        memset(&m->instances[m->ninstances], 0, sizeof(*m->instances));
        inv->cur_owner = (struct inv_owner){INV_OWN_INSTANCE, (uint32_t)m->ninstances, 0};
        read_instance(inv, &m->instances[m->ninstances], instances->children[i]);
        if (m->instances[m->ninstances].name) {
            inv_index_put(&inv->instance_ix, m->instances[m->ninstances].name, m->ninstances);
            m->ninstances++;
        }
    }
}

/* A single value of meta (meta.name ...) from one more module. */
static void merge_text(struct inventory *inv, struct inv_text *e, struct inv_text t,
                       const char *what)
{
    if (!t.s)
        return;
    if (!e->s) {
        *e = t;
        return;
    }
    if (strcmp(e->s, t.s))
        inv_diag(inv, DIAG_ERROR, t.loc,
                 "%s is defined differently here and in %s:%u:%u; Clan's evaluation rejects "
                 "two definitions of one value",
                 what, inventory_file_name(inv, e->loc.file), e->loc.line, e->loc.col);
    free(t.s);
}

static void read_meta(struct inventory *inv, const struct nix_value *meta)
{
    if (!meta || !expect_attrs(inv, meta, "meta"))
        return;
    merge_text(inv, &inv->model.meta.name, read_text(inv, nix_value_get(meta, "name"), "meta.name"),
               "meta.name");
    merge_text(inv, &inv->model.meta.domain,
               read_text(inv, nix_value_get(meta, "domain"), "meta.domain"), "meta.domain");
}

/* inventory.tags.<tag> = [ machines ]: Clan adds the tag to each (applied once every
 * module is read, see apply_tag_lists). */
static void read_tag_lists(struct inventory *inv, const struct nix_value *tags)
{
    if (tags->kind != NIX_ATTRS)
        return; /* a function of the machines: evaluated by Clan */
    for (size_t i = 0; i < tags->nchildren; i++) {
        const struct nix_value *l = tags->children[i];
        if (l->kind != NIX_LIST)
            continue;
        for (size_t k = 0; k < l->nchildren; k++) {
            const struct nix_value *e = l->children[k];
            if (e->kind != NIX_STRING || !e->str)
                continue;
            struct inv_tagdef *nv = realloc(inv->tagdefs, (inv->ntagdefs + 1) * sizeof(*nv));
            if (!nv)
                return;
            inv->tagdefs = nv;
            nv[inv->ntagdefs++] = (struct inv_tagdef){l->name, e->str, inv_loc_value(inv, e)};
        }
    }
    inv->no_local = true; /* a machine's tags no longer come from its own entry alone */
}

static void apply_tag_lists(struct inventory *inv)
{
    for (size_t i = 0; i < inv->ntagdefs; i++) {
        const struct inv_tagdef *t = &inv->tagdefs[i];
        long k = inv_index_get(&inv->machine_ix, t->machine);
        if (k < 0)
            continue;
        struct inv_machine *m = &inv->model.machines[k];
        bool has = false;
        for (size_t j = 0; j < m->ntags && !has; j++)
            has = m->tags[j].s && !strcmp(m->tags[j].s, t->tag);
        if (has)
            continue;
        struct inv_text *nt = realloc(m->tags, (m->ntags + 1) * sizeof(*nt));
        if (!nt)
            return;
        m->tags = nt;
        m->tags[m->ntags++] = (struct inv_text){.s = inv_strdup(t->tag), .loc = t->loc};
        m->has_tags = true;
    }
    free(inv->tagdefs);
    inv->tagdefs = NULL;
    inv->ntagdefs = 0;
}

#define INV_MAX_PARTS 32

void inv_read_clan_module(struct inventory *inv, const struct nix_value *root, bool json,
                          size_t *cap)
{
    inv->cur_owner = (struct inv_owner){INV_OWN_GLOBAL, 0, 0};
    const struct nix_value *roots[INV_MAX_PARTS];
    size_t nroots = inv_expand_attrs(inv, root, roots, INV_MAX_PARTS);
    if (!nroots) {
        inv_diag(inv, DIAG_ERROR, inv_loc_value(inv, root),
                 json ? "expected the inventory (a JSON object), found %s"
                      : "expected the clan configuration (an attribute set, possibly inside "
                        "`{ ... }:` or `clan-core.lib.clan`), found %s",
                 kind_name(root->kind));
        return;
    }
    for (size_t r = 0; r < nroots; r++) {
        root = roots[r];
        const struct nix_value *invs[INV_MAX_PARTS];
        size_t ninv = 0;
        if (json) {
            invs[ninv++] = root;
        } else {
            const struct nix_value *metas[INV_MAX_PARTS];
            size_t nmeta = inv_expand_attrs(inv, nix_value_get(root, "meta"), metas, INV_MAX_PARTS);
            for (size_t k = 0; k < nmeta; k++)
                read_meta(inv, metas[k]);
            const struct nix_value *iv = nix_value_get(root, "inventory");
            ninv = inv_expand_attrs(inv, iv, invs, INV_MAX_PARTS);
            if (iv && !ninv)
                expect_attrs(inv, iv, "inventory");
        }
        for (size_t k = 0; k < ninv; k++) {
            const struct nix_value *invn = invs[k];
            const struct nix_value *parts[INV_MAX_PARTS];
            size_t np = inv_expand_attrs(inv, nix_value_get(invn, "meta"), parts, INV_MAX_PARTS);
            for (size_t j = 0; j < np; j++)
                read_meta(inv, parts[j]);
            const struct nix_value *mv = nix_value_get(invn, "machines");
            np = inv_expand_attrs(inv, mv, parts, INV_MAX_PARTS);
            if (mv && !np)
                expect_attrs(inv, mv, "inventory.machines");
            for (size_t j = 0; j < np; j++)
                read_machines(inv, parts[j], cap);
            const struct nix_value *tv = nix_value_get(invn, "tags");
            np = inv_expand_attrs(inv, tv, parts, INV_MAX_PARTS);
            for (size_t j = 0; j < np; j++)
                read_tag_lists(inv, parts[j]);
        }
        if (!json) {
            /* machines.<m> declares a machine too (Clan adds it to the inventory) */
            const struct nix_value *parts[INV_MAX_PARTS];
            const struct nix_value *cv = nix_value_get(root, "machines");
            size_t np = inv_expand_attrs(inv, cv, parts, INV_MAX_PARTS);
            if (cv && !np)
                expect_attrs(inv, cv, "machines");
            for (size_t j = 0; j < np; j++)
                read_configs(inv, parts[j], cap);
        }
        for (size_t k = 0; k < ninv; k++) {
            const struct nix_value *parts[INV_MAX_PARTS];
            const struct nix_value *xv = nix_value_get(invs[k], "instances");
            size_t np = inv_expand_attrs(inv, xv, parts, INV_MAX_PARTS);
            if (xv && !np)
                expect_attrs(inv, xv, "inventory.instances");
            for (size_t j = 0; j < np; j++)
                read_instances(inv, parts[j]);
        }
    }
}

static void read_model(struct inventory *inv)
{
    const struct nix_value *root = nix_file_root(inv->nix);
    if (!root)
        return;
    size_t cap = 0;
    inv_read_clan_module(inv, root, false, &cap);
    if (inv->clan)
        inv_read_sources(inv, &cap);
    apply_tag_lists(inv);
}

static void release_model(struct inventory *inv);

/* Model, resolution and checks of inv->nix, diagnostics in file order. */
static void read_all(struct inventory *inv)
{
    read_model(inv);
    inv_resolve(inv);
    if (inv->clan)
        inv_read_role_modules(inv);
    inv_list_files(inv);
    inv_check_resolution(inv);
    inv_check_plan(inv);
    inv_sort_diags(inv);
}

void inv_rebuild_model(struct inventory *inv)
{
    release_model(inv);
    read_all(inv);
}

/* owned (may be NULL): the caller's copy of the text, freed as soon as the tree holds its
 * own (keeps the peak memory of a load down by one copy of the file). */
static int build(const char *name, const char *text, size_t len, char **owned,
                 struct nix_file *parsed, struct inv_clan *clan, struct inventory **out,
                 struct diag_list *diags)
{
    struct inventory *inv = calloc(1, sizeof(*inv));
    if (!inv) {
        nix_file_free(parsed);
        return diag_list_add(diags, DIAG_ERROR, name, 0, 0, "out of memory"), -ENOMEM;
    }
    inv->name = inv_strdup(name ? name : "<text>");
    if (clan) {
        clan->refs++;
        inv->clan = clan;
    }
    int r = 0;
    if (parsed)
        inv->nix = parsed;
    else
        r = nix_parse(inv->name, text, len, &inv->nix, &inv->diags);
    if (owned) {
        free(*owned);
        *owned = NULL;
    }
    if (r < 0) {
        for (size_t i = 0; i < inv->diags.n; i++)
            diag_list_push(diags, &inv->diags.v[i]);
        inv_release(inv);
        inv_clan_unref(inv->clan);
        free(inv->name);
        free(inv);
        return r;
    }
    inv_owners_sync(inv, (struct inv_owner){INV_OWN_NIX, 0, 0});
    read_all(inv);
    inv_sync_real(inv);
    if (diags)
        for (size_t i = 0; i < inv->diags.n; i++)
            diag_list_push(diags, &inv->diags.v[i]);
    *out = inv;
    return 0;
}

int inv_build(const char *name, const char *text, size_t len, struct inventory **out,
              struct diag_list *diags)
{
    return build(name, text, len, NULL, NULL, NULL, out, diags);
}

int inv_build_clan(const char *name, const char *text, size_t len, struct inv_clan *clan,
                   struct inventory **out, struct diag_list *diags)
{
    return build(name, text, len, NULL, NULL, clan, out, diags);
}

int inv_build_parsed(struct nix_file *f, struct inv_clan *clan, struct inventory **out,
                     struct diag_list *diags)
{
    return build(nix_file_name(f), NULL, 0, NULL, f, clan, out, diags);
}

/* Everything read from the tree (not the tree). */
static void release_model(struct inventory *inv)
{
    inv_free_model(&inv->model);
    inv_index_free(&inv->machine_ix);
    inv_index_free(&inv->instance_ix);
    for (size_t i = 0; i < inv->nsnippets; i++)
        nix_file_free(inv->snippets[i]);
    free(inv->snippets);
    free(inv->snippet_roots);
    free(inv->snippet_delta);
    free(inv->snippet_file);
    free(inv->snippet_hidx);
    inv->snippet_hidx = NULL;
    inv->snippet_hcap = 0;
    inv->snippets = NULL;
    inv->snippet_roots = NULL;
    inv->snippet_delta = NULL;
    inv->snippet_file = NULL;
    for (size_t i = 0; i < inv->nunf; i++)
        free((char *)inv->unf[i].text);
    free(inv->unf);
    inv->unf = NULL;
    inv->nunf = inv->capunf = 0;
    inv->nsnippets = 0;
    free(inv->unwrap.v);
    memset(&inv->unwrap, 0, sizeof(inv->unwrap));
    inv->borg_defaults = NULL;
    /* all diagnostics go: an update runs only on a file whose parse reported none */
    for (size_t k = 0; k < inv->diags.n; k++)
        diag_clear(&inv->diags.v[k]);
    inv->diags.n = 0;
    inv->nowned = 0;
    inv->no_local = false;
    free(inv->fused);
    inv->fused = NULL;
    inv->nfused = 0;
    free(inv->flist);
    inv->flist = NULL;
    inv->nflist = 0;
    free(inv->dseen);
    inv->dseen = NULL;
    inv->ndseen = inv->capdseen = 0;
    free(inv->tagdefs);
    inv->tagdefs = NULL;
    inv->ntagdefs = 0;
}

void inv_release(struct inventory *inv)
{
    release_model(inv);
    nix_file_free(inv->nix);
    inv->nix = NULL;
    diag_list_free(&inv->diags);
    free(inv->owners);
    inv->owners = NULL;
    inv->capowners = inv->nowned = 0;
}

/* ---- public ---- */

int inventory_from_text(const char *name, const char *text, size_t len, struct inventory **out,
                        struct diag_list *diags)
{
    struct inventory *inv;
    int r = inv_build(name, text, len, &inv, diags);
    if (r < 0)
        return r;
    *out = inv;
    return 0;
}

int inventory_load(const char *path, struct inventory **out, struct diag_list *diags)
{
    char *text;
    size_t len;
    struct file_stamp st;
    struct diag d = {0};
    int r = file_read(path, &text, &len, &st, &d);
    if (r < 0) {
        diag_list_push(diags, &d);
        diag_clear(&d);
        return r;
    }
    struct inventory *inv;
    r = build(path, text, len, &text, NULL, NULL, &inv, diags);
    free(text);
    if (r < 0)
        return r;
    inv->has_file = true;
    inv->stamp = st;
    *out = inv;
    return 0;
}

void inv_undo_free(struct inv_undo *u)
{
    free(u->label);
    free(u->file);
    for (size_t i = 0; i < u->nfwd; i++)
        free(u->fwd[i].text);
    for (size_t i = 0; i < u->nback; i++)
        free(u->back[i].text);
    free(u->fwd);
    free(u->back);
}

void inventory_free(struct inventory *inv)
{
    if (!inv)
        return;
    inv_release(inv);
    for (size_t i = 0; i < inv->nundo; i++)
        inv_undo_free(&inv->undo[i]);
    for (size_t i = 0; i < inv->nredo; i++)
        inv_undo_free(&inv->redo[i]);
    free(inv->undo);
    free(inv->redo);
    free(inv->real);
    free(inv->visit);
    inv_clan_unref(inv->clan);
    free(inv->name);
    free(inv);
}

const char *inventory_name(const struct inventory *inv)
{
    return inv->name;
}

const char *inventory_text(const struct inventory *inv, size_t *len)
{
    if (inv->real) {
        *len = inv->real_len;
        return inv->real;
    }
    return nix_file_text(inv->nix, len);
}

char *inv_real_of(const struct inventory *inv, const char *view, size_t vlen, size_t *len)
{
    const struct inv_clan *c = inv->clan;
    if (!c || !c->main_prefix) {
        *len = vlen;
        return inv_strndup(view, vlen);
    }
    size_t a = c->main_prefix_len, b = c->main_suffix_len;
    if (vlen < a + b)
        return NULL;
    size_t mid = vlen - a - b;
    char *r = malloc(a + mid + b + 1);
    if (!r)
        return NULL;
    memcpy(r, c->main_prefix, a);
    memcpy(r + a, view + a, mid);
    memcpy(r + a + mid, c->main_suffix, b);
    r[a + mid + b] = 0;
    *len = a + mid + b;
    return r;
}

void inv_sync_real(struct inventory *inv)
{
    if (!inv->clan || !inv->clan->main_prefix)
        return;
    size_t vlen;
    const char *v = nix_file_text(inv->nix, &vlen);
    size_t len;
    char *r = inv_real_of(inv, v, vlen, &len);
    if (!r)
        return; /* out of memory: the previous text stays */
    free(inv->real);
    inv->real = r;
    inv->real_len = len;
}

struct nix_file *inventory_nix(const struct inventory *inv)
{
    return inv->nix;
}

/* the first member whose (instance, role) is not below (i, r) */
static size_t role_bound(const struct inv_model *md, size_t i, size_t r)
{
    size_t lo = 0, hi = md->nmembers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct inv_member *x = &md->members[mid];
        if (x->instance < i || (x->instance == i && x->role < r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t inv_model_role_members(const struct inv_model *md, size_t i, size_t r, size_t *first)
{
    *first = role_bound(md, i, r);
    return role_bound(md, i, r + 1) - *first;
}

int inv_model_members_by_machine(const struct inv_model *md, size_t **first, size_t **by)
{
    size_t *start = calloc(md->nmachines + 2, sizeof(*start));
    size_t *v = malloc((md->nmembers ? md->nmembers : 1) * sizeof(*v));
    *first = *by = NULL;
    if (!start || !v) {
        free(start);
        free(v);
        return -ENOMEM;
    }
    /* start[m + 2] counts machine m; the prefix sums make start[m + 1] its first slot,
     * which the fill advances to start[m + 2]'s first slot, i.e. machine m + 1's start */
    for (size_t k = 0; k < md->nmembers; k++)
        if (md->members[k].machine < md->nmachines)
            start[md->members[k].machine + 2]++;
    for (size_t m = 1; m < md->nmachines + 2; m++)
        start[m] += start[m - 1];
    for (size_t k = 0; k < md->nmembers; k++)
        if (md->members[k].machine < md->nmachines)
            v[start[md->members[k].machine + 1]++] = k;
    *first = start;
    *by = v;
    return 0;
}

const struct inv_model *inventory_model(const struct inventory *inv)
{
    return &inv->model;
}

long inventory_machine_index(const struct inventory *inv, const char *name)
{
    return inv_index_get(&inv->machine_ix, name);
}

long inventory_instance_index(const struct inventory *inv, const char *name)
{
    return inv_index_get(&inv->instance_ix, name);
}

const struct diag_list *inventory_diags(const struct inventory *inv)
{
    return &inv->diags;
}
