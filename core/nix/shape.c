/* Expression shapes: what the logical tree keeps opaque (calls such as `lib.mkIf c { ... }`,
 * lists of modules, `import ./x.nix`, `dir + "/x.nix"`, let-bound names) seen as syntax, for
 * static readers that follow a Clan's files without evaluating Nix. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

/* The node whose range is exactly s (parentheses looked through), or NIX_NONE. */
static uint32_t node_at(const struct nix_file *f, struct nix_span s)
{
    uint32_t n = f->expr;
    for (unsigned guard = 0; n != NIX_NONE && guard < 100000; guard++) {
        size_t a = nix_node_start(f, n), b = nix_node_end(f, n);
        if (a == s.start && b == s.end) {
            /* the innermost node with this range (a lambda's body may share its end) */
            uint32_t u = nix_unparen(f, n);
            return u == NIX_NONE ? n : u;
        }
        uint32_t next = NIX_NONE;
        for (uint32_t c = f->nodes[n].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling)
            if (nix_node_start(f, c) <= s.start && nix_node_end(f, c) >= s.end) {
                next = c;
                break;
            }
        n = next;
    }
    return NIX_NONE;
}

static struct nix_span span_of(const struct nix_file *f, uint32_t n)
{
    return (struct nix_span){nix_node_start(f, n), nix_node_end(f, n)};
}

static int add_part(struct nix_shape *sh, struct nix_span s, size_t *cap)
{
    if (sh->nparts == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        struct nix_span *np = realloc(sh->parts, nc * sizeof(*np));
        if (!np)
            return -ENOMEM;
        sh->parts = np;
        *cap = nc;
    }
    sh->parts[sh->nparts++] = s;
    return 0;
}

/* Flatten a left-nested chain of nodes of one kind (f a b: APPLY(APPLY(f, a), b); a + b + c). */
static int flatten(const struct nix_file *f, uint32_t n, int kind, int op, struct nix_shape *sh,
                   size_t *cap)
{
    uint32_t l = nix_unparen(f, f->nodes[n].first_child);
    uint32_t r = f->nodes[n].last_child;
    if (l == NIX_NONE || r == NIX_NONE)
        return 0;
    int lr;
    if (f->nodes[l].kind == kind && (kind != N_BINOP || f->nodes[l].op == op) &&
        f->nodes[f->nodes[n].first_child].kind != N_PAREN)
        lr = flatten(f, l, kind, op, sh, cap);
    else
        lr = add_part(sh, span_of(f, f->nodes[n].first_child), cap);
    if (lr < 0)
        return lr;
    return add_part(sh, span_of(f, r), cap);
}

int nix_shape_at(const struct nix_file *f, struct nix_span s, struct nix_shape *out)
{
    memset(out, 0, sizeof(*out));
    if (!f->nodes || f->expr == NIX_NONE)
        return -ENOENT;
    uint32_t n = node_at(f, s);
    if (n == NIX_NONE)
        return -ENOENT;
    const struct nix_node *nd = &f->nodes[n];
    out->span = span_of(f, n);
    size_t cap = 0;
    int r = 0;
    struct nix_arena a = {0};
    switch (nd->kind) {
    case N_ATTRSET:
        out->kind = NIX_SH_ATTRS;
        break;
    case N_LIST:
        out->kind = NIX_SH_LIST;
        for (uint32_t c = nd->first_child; c != NIX_NONE && r == 0; c = f->nodes[c].next_sibling)
            r = add_part(out, span_of(f, c), &cap);
        break;
    case N_APPLY:
        out->kind = NIX_SH_APPLY;
        r = flatten(f, n, N_APPLY, 0, out, &cap);
        break;
    case N_BINOP:
        if (nd->op == T_PLUS) {
            out->kind = NIX_SH_PLUS;
            r = flatten(f, n, N_BINOP, T_PLUS, out, &cap);
        } else if (nd->op == T_UPDATE) {
            out->kind = NIX_SH_UPDATE;
            r = flatten(f, n, N_BINOP, T_UPDATE, out, &cap);
        }
        break;
    case N_PATH:
        out->kind = NIX_SH_PATH;
        if (nd->first_child == NIX_NONE)
            out->text = strndup(f->text + out->span.start, out->span.end - out->span.start);
        break;
    case N_STRING:
    case N_INDSTRING: {
        out->kind = NIX_SH_STRING;
        char *d = nd->kind == N_STRING ? nix_decode_string(f, n, &a)
                                       : nix_decode_indstring(f, n, &a);
        if (d)
            out->text = strdup(d);
        break;
    }
    case N_VAR:
        out->kind = NIX_SH_VAR;
        out->text = strndup(f->text + out->span.start, out->span.end - out->span.start);
        break;
    case N_SELECT:
        out->kind = NIX_SH_SELECT;
        out->text = strndup(f->text + out->span.start, out->span.end - out->span.start);
        break;
    case N_LAMBDA:
        out->kind = NIX_SH_LAMBDA;
        if (nd->last_child != NIX_NONE && f->nodes[nd->last_child].kind != N_FORMALS)
            r = add_part(out, span_of(f, nd->last_child), &cap);
        break;
    case N_LET:
    case N_WITH:
    case N_ASSERT:
        out->kind = NIX_SH_WRAP;
        if (nd->last_child != NIX_NONE && f->nodes[nd->last_child].kind != N_BINDING &&
            f->nodes[nd->last_child].kind != N_INHERIT)
            r = add_part(out, span_of(f, nd->last_child), &cap);
        break;
    case N_IF:
        out->kind = NIX_SH_IF;
        for (uint32_t c = nd->first_child; c != NIX_NONE && r == 0; c = f->nodes[c].next_sibling)
            r = add_part(out, span_of(f, c), &cap);
        break;
    default:
        out->kind = NIX_SH_OTHER;
        break;
    }
    nix_arena_free(&a);
    if (r < 0) {
        nix_shape_free(out);
        return r;
    }
    return 0;
}

void nix_shape_free(struct nix_shape *s)
{
    free(s->parts);
    free(s->text);
    memset(s, 0, sizeof(*s));
}

/* Does binding `b` (N_BINDING) bind exactly the single name `name`? */
static bool binds_name(const struct nix_file *f, uint32_t b, const char *name)
{
    uint32_t path = f->nodes[b].first_child;
    if (path == NIX_NONE || f->nodes[path].kind != N_ATTRPATH)
        return false;
    uint32_t seg = f->nodes[path].first_child;
    if (seg == NIX_NONE || f->nodes[seg].next_sibling != NIX_NONE)
        return false;
    struct nix_arena a = {0};
    char *nm = nix_attr_name(f, seg, &a);
    bool ok = nm && !strcmp(nm, name);
    nix_arena_free(&a);
    return ok;
}

int nix_let_binding(const struct nix_file *f, size_t at, const char *name, struct nix_span *out)
{
    if (!f->nodes || f->expr == NIX_NONE)
        return -ENOENT;
    /* walk down to `at`, remembering the lets (and rec sets) passed through */
    uint32_t stack[256];
    size_t depth = 0;
    uint32_t n = f->expr;
    for (unsigned guard = 0; n != NIX_NONE && guard < 100000; guard++) {
        int k = f->nodes[n].kind;
        if ((k == N_LET || (k == N_ATTRSET && (f->nodes[n].flags & NF_REC))) && depth < 256)
            stack[depth++] = n;
        uint32_t next = NIX_NONE;
        for (uint32_t c = f->nodes[n].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling)
            if (nix_node_start(f, c) <= at && nix_node_end(f, c) > at) {
                next = c;
                break;
            }
        n = next;
    }
    while (depth--) {
        for (uint32_t c = f->nodes[stack[depth]].first_child; c != NIX_NONE;
             c = f->nodes[c].next_sibling) {
            if (f->nodes[c].kind != N_BINDING || !binds_name(f, c, name))
                continue;
            uint32_t v = f->nodes[c].last_child;
            if (v == NIX_NONE)
                return -ENOENT;
            *out = span_of(f, v);
            return 0;
        }
    }
    return -ENOENT;
}

int nix_file_view(const struct nix_file *f, struct nix_span s, struct nix_file **out,
                  struct diag_list *diags)
{
    if (s.start > s.end || s.end > f->len)
        return -EINVAL;
    char *t = malloc(f->len + 1);
    if (!t)
        return -ENOMEM;
    /* blank everything outside s, keeping line ends (so offsets, lines and columns agree) */
    for (size_t i = 0; i < f->len; i++) {
        char c = f->text[i];
        t[i] = (i >= s.start && i < s.end) || c == '\n' ? c : ' ';
    }
    t[f->len] = 0;
    int r = nix_parse(f->name, t, f->len, out, diags);
    free(t);
    return r;
}

/* Does the expression text t (a variable or a selection) end in the dotted name nm? */
static bool ends_with_name(const char *t, size_t n, const char *nm)
{
    size_t k = strlen(nm);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n' || t[n - 1] == '\r'))
        n--;
    if (n < k || memcmp(t + n - k, nm, k))
        return false;
    return n == k || t[n - k - 1] == '.';
}

static int push_node(uint32_t **stack, size_t *depth, size_t *cap, uint32_t x)
{
    if (*depth == *cap) {
        uint32_t *ns = realloc(*stack, *cap * 2 * sizeof(*ns));
        if (!ns)
            return -ENOMEM;
        *stack = ns;
        *cap *= 2;
    }
    (*stack)[(*depth)++] = x;
    return 0;
}

int nix_find_calls(const struct nix_file *f, const char *const *names, size_t nnames,
                   struct nix_call **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!f->nodes || f->expr == NIX_NONE)
        return 0;
    size_t cap = 0, depth = 0, scap = 64;
    uint32_t *stack = malloc(scap * sizeof(*stack));
    if (!stack)
        return -ENOMEM;
    stack[depth++] = f->expr;
    int r = 0;
    while (depth && r == 0) {
        uint32_t x = stack[--depth];
        const struct nix_node *nd = &f->nodes[x];
        uint32_t skip = NIX_NONE;
        if (nd->kind == N_APPLY) {
            /* the function of a chain f a b: its innermost first child */
            uint32_t fn = x;
            while (f->nodes[fn].kind == N_APPLY)
                fn = nix_unparen(f, f->nodes[fn].first_child);
            int fk = fn == NIX_NONE ? -1 : f->nodes[fn].kind;
            if (fk == N_VAR || fk == N_SELECT) {
                size_t a = nix_node_start(f, fn), b = nix_node_end(f, fn);
                for (size_t i = 0; i < nnames; i++) {
                    if (!ends_with_name(f->text + a, b - a, names[i]))
                        continue;
                    if (*n == cap) {
                        size_t nc = cap ? cap * 2 : 4;
                        struct nix_call *nv = realloc(*out, nc * sizeof(*nv));
                        if (!nv) {
                            r = -ENOMEM;
                            break;
                        }
                        *out = nv;
                        cap = nc;
                    }
                    (*out)[(*n)++] = (struct nix_call){
                        .name = i,
                        .fn = {a, b},
                        .arg = span_of(f, nd->last_child),
                        .call = span_of(f, x),
                    };
                    break;
                }
            }
            /* the inner applications of the chain are not calls of their own */
            skip = f->nodes[x].first_child;
        }
        /* children, pushed in reverse so they come out in source order */
        uint32_t kids[64];
        size_t nk = 0;
        for (uint32_t c = nd->first_child; c != NIX_NONE && r == 0; c = f->nodes[c].next_sibling) {
            if (c == skip && f->nodes[c].kind == N_APPLY) {
                /* still look inside its arguments */
                for (uint32_t g = c; f->nodes[g].kind == N_APPLY; g = f->nodes[g].first_child) {
                    if (f->nodes[g].last_child != NIX_NONE && nk < 64)
                        kids[nk++] = f->nodes[g].last_child;
                    if (f->nodes[g].first_child == NIX_NONE)
                        break;
                }
                continue;
            }
            if (nk < 64)
                kids[nk++] = c;
            else /* a node with many children (a large set or list): pushed directly */
                r = push_node(&stack, &depth, &scap, c);
        }
        while (nk && r == 0)
            r = push_node(&stack, &depth, &scap, kids[--nk]);
    }
    free(stack);
    if (r < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return r;
}
