/* The parsed file: arena, tokens and CST nodes, printing and the tree listing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core/nix/nix-int.h"

/* ---- arena ---- */

struct nix_arena_chunk {
    struct nix_arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

/* A new head chunk with room for size bytes (grown as the arena grows). */
static struct nix_arena_chunk *new_chunk(struct nix_arena *a, size_t size)
{
    struct nix_arena_chunk *c = a->head;
    size_t cap = a->first ? a->first : 64 * 1024;
    if (c && c->cap < 16 * 1024 * 1024)
        cap = c->cap * 2;
    if (cap < size)
        cap = size;
    c = malloc(sizeof *c + cap);
    if (!c)
        return NULL;
    c->cap = cap;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    return c;
}

size_t nix_arena_first_for(size_t len)
{
    size_t want = len < 16 * 1024 ? len * 4 : 64 * 1024;
    size_t cap = 4096 - sizeof(struct nix_arena_chunk) - 32; /* a page with malloc's header */
    while (cap < want && cap < 64 * 1024)
        cap = cap * 2 + sizeof(struct nix_arena_chunk) + 32;
    return cap;
}

void *nix_arena_alloc(struct nix_arena *a, size_t size)
{
    size = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    struct nix_arena_chunk *c = a->head;
    if ((!c || c->cap - c->used < size) && !(c = new_chunk(a, size)))
        return NULL;
    void *r = (char *)c->data + c->used;
    c->used += size;
    return r;
}

struct nix_arena_chunk **nix_arena_next(struct nix_arena_chunk *c)
{
    return &c->next;
}

char *nix_arena_strndup(struct nix_arena *a, const char *s, size_t n)
{
    char *r = nix_arena_alloc(a, n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

void nix_arena_free(struct nix_arena *a)
{
    struct nix_arena_chunk *c = a->head;
    while (c) {
        struct nix_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}

/* ---- big arrays (tokens, nodes): large ones are mapped with transparent huge pages,
 * which makes the page faults of a fresh 4 MB file's 30 MB of arrays (and of its copy of
 * the text) much cheaper; below 3 MB plain malloc (rounding to 2 MB pages would add ~2 MB
 * to the resident size of a 1 MB file) ---- */

#define BIG_MIN (3u << 20)

int nix_big_grow(void **p, size_t *cap, size_t elem, size_t want)
{
    if (want <= *cap)
        return 0;
    size_t oldb = *cap * elem, newb = want * elem;
    void *np;
    if (newb < BIG_MIN) {
        np = realloc(*p, newb);
        if (!np)
            return -ENOMEM;
    } else {
        newb = (newb + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
        if (oldb >= BIG_MIN) {
            np = mremap(*p, oldb, newb, MREMAP_MAYMOVE);
        } else {
            np = mmap(NULL, newb, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (np != MAP_FAILED) {
                madvise(np, newb, MADV_HUGEPAGE);
                if (oldb)
                    memcpy(np, *p, oldb);
                free(*p);
            }
        }
        if (np == MAP_FAILED)
            return -ENOMEM;
        want = newb / elem;
    }
    *p = np;
    *cap = want;
    return 0;
}

void nix_big_free(void *p, size_t cap, size_t elem)
{
    if (!p)
        return;
    size_t b = cap * elem;
    if (b >= BIG_MIN)
        munmap(p, b);
    else
        free(p);
}

/* ---- the file ---- */

static int build_lines(struct nix_file *f)
{
    size_t n = 0;
    if (nix_big_grow((void **)&f->lines, &f->caplines, sizeof *f->lines, f->len / 24 + 64) < 0)
        return -ENOMEM;
    f->lines[n++] = 0;
    const char *s = f->text, *e = s + f->len, *q = s;
    while ((q = memchr(q, '\n', (size_t)(e - q)))) {
        q++;
        if (n == f->caplines &&
            nix_big_grow((void **)&f->lines, &f->caplines, sizeof *f->lines, n * 2) < 0)
            return -ENOMEM;
        f->lines[n++] = (uint32_t)(q - s);
    }
    f->nlines = n;
    return 0;
}

int nix_parse(const char *name, const char *text, size_t len, struct nix_file **out,
              struct diag_list *diags)
{
    if (len >= UINT32_MAX - 1)
        return diag_list_add(diags, DIAG_ERROR, name, 0, 0,
                             "file too large (%zu bytes); expected less than 4 GiB", len),
               -EFBIG;
    struct nix_file *f = calloc(1, sizeof *f);
    if (!f)
        return -ENOMEM;
    f->name = strdup(name ? name : "<input>");
    int r = -ENOMEM;
    if (!f->name || nix_big_grow((void **)&f->text, &f->captext, 1, len + 1) < 0)
        goto fail;
    memcpy(f->text, text, len);
    f->text[len] = 0;
    f->len = len;
    f->arena.first = f->tree_arena.first = nix_arena_first_for(len);
    size_t ndiags = diags->n;
    if ((r = nix_lex(f, diags)) < 0)
        goto fail;
    if ((r = nix_parse_tokens(f, diags)) < 0) {
        if (r == -ENOMEM)
            diag_list_add(diags, DIAG_ERROR, f->name, 0, 0, "out of memory while parsing");
        goto fail;
    }
    f->has_diags = f->has_errors || diags->n != ndiags;
    *out = f;
    return 0;
fail:
    nix_file_free(f);
    return r;
}

void nix_file_free(struct nix_file *f)
{
    if (!f)
        return;
    free(f->name);
    nix_big_free(f->text, f->captext, 1);
    nix_big_free(f->toks, f->captoks, sizeof *f->toks);
    nix_big_free(f->nodes, f->capnodes, sizeof *f->nodes);
    nix_big_free(f->lines, f->caplines, sizeof *f->lines);
    nix_arena_free(&f->arena);
    nix_arena_free(&f->tree_arena);
    nix_local_free(f->kept);
    free(f->kept);
    free(f);
}

const char *nix_file_name(const struct nix_file *f) { return f->name; }

const char *nix_file_text(const struct nix_file *f, size_t *len)
{
    if (len)
        *len = f->len;
    return f->text;
}

bool nix_file_has_errors(const struct nix_file *f) { return f->has_errors; }

bool nix_file_has_diags(const struct nix_file *f) { return f->has_diags; }

void nix_file_linecol(const struct nix_file *f, size_t offset, unsigned *line, unsigned *col)
{
    size_t hint = 0;
    nix_linecol_hint(f, offset, &hint, line, col);
}

void nix_linecol_hint(const struct nix_file *f, size_t offset, size_t *hint, unsigned *line,
                      unsigned *col)
{
    if (offset > f->len)
        offset = f->len;
    if (!f->nlines) {
        /* the line table is a cache, built on first use (most parses never need it) */
        struct nix_file *mf = (struct nix_file *)f;
        if (build_lines(mf) < 0) {
            mf->nlines = 0;
            unsigned l = 1;
            size_t ls = 0;
            for (size_t i = 0; i < offset; i++)
                if (f->text[i] == '\n')
                    l++, ls = i + 1;
            *line = l;
            *col = (unsigned)(offset - ls + 1);
            return;
        }
    }
    size_t h = *hint;
    /* callers that walk the source in order find the line at or just after the hint */
    for (size_t k = 0; k < 4 && h < f->nlines && f->lines[h] <= offset; k++, h++) {
        if (h + 1 == f->nlines || f->lines[h + 1] > offset) {
            *hint = h;
            *line = (unsigned)(h + 1);
            *col = (unsigned)(offset - f->lines[h] + 1);
            return;
        }
    }
    size_t lo = 0, hi = f->nlines; /* last line start <= offset */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *hint = lo;
    *line = (unsigned)(lo + 1);
    *col = (unsigned)(offset - f->lines[lo] + 1);
}

/* ---- node helpers ---- */

size_t nix_node_start(const struct nix_file *f, uint32_t n)
{
    const struct nix_node *nd = &f->nodes[n];
    return nd->tok_start < f->ntoks ? f->toks[nd->tok_start].start : f->len;
}

size_t nix_node_end(const struct nix_file *f, uint32_t n)
{
    const struct nix_node *nd = &f->nodes[n];
    if (nd->tok_end <= nd->tok_start)
        return nix_node_start(f, n);
    const struct nix_token *t = &f->toks[nd->tok_end - 1];
    return t->start + nix_tok_len(t);
}

uint32_t nix_unparen(const struct nix_file *f, uint32_t n)
{
    while (n != NIX_NONE && f->nodes[n].kind == N_PAREN)
        n = f->nodes[n].first_child;
    return n;
}

uint32_t nix_child(const struct nix_file *f, uint32_t n, unsigned i)
{
    uint32_t c = f->nodes[n].first_child;
    while (c != NIX_NONE && i--)
        c = f->nodes[c].next_sibling;
    return c;
}

unsigned nix_nchildren(const struct nix_file *f, uint32_t n)
{
    unsigned k = 0;
    for (uint32_t c = f->nodes[n].first_child; c != NIX_NONE; c = f->nodes[c].next_sibling)
        k++;
    return k;
}

const char *nix_node_kind_name(int kind)
{
    static const char *const names[N__COUNT] = {
        [N_ROOT] = "ROOT", [N_ERROR] = "ERROR", [N_LAMBDA] = "LAMBDA",
        [N_FORMALS] = "FORMALS", [N_FORMAL] = "FORMAL", [N_ASSERT] = "ASSERT",
        [N_WITH] = "WITH", [N_LET] = "LET", [N_LEGACY_LET] = "LEGACY_LET", [N_IF] = "IF",
        [N_BINOP] = "BINOP", [N_NOT] = "NOT", [N_NEG] = "NEG", [N_HASATTR] = "HASATTR",
        [N_APPLY] = "APPLY", [N_SELECT] = "SELECT", [N_CURSED_OR] = "CURSED_OR",
        [N_VAR] = "VAR", [N_INT] = "INT", [N_FLOAT] = "FLOAT", [N_STRING] = "STRING",
        [N_INDSTRING] = "IND_STRING", [N_PATH] = "PATH", [N_SPATH] = "SEARCH_PATH",
        [N_URI] = "URI", [N_PAREN] = "PAREN", [N_ATTRSET] = "ATTRSET", [N_LIST] = "LIST",
        [N_BINDING] = "BINDING", [N_INHERIT] = "INHERIT", [N_ATTRPATH] = "ATTRPATH",
        [N_ATTR_ID] = "ATTR_NAME", [N_ATTR_STR] = "ATTR_STRING", [N_ATTR_DYN] = "ATTR_DYNAMIC",
        [N_INTERP] = "INTERPOLATION",
    };
    return kind >= 0 && kind < N__COUNT && names[kind] ? names[kind] : "NODE";
}

/* ---- walking the tree: every token is visited once, inside the node that owns it ---- */

struct walk_frame {
    uint32_t node, next_tok, child;
};

struct walker {
    int (*enter)(void *ctx, const struct nix_file *f, uint32_t node, unsigned depth);
    int (*tokens)(void *ctx, const struct nix_file *f, uint32_t from, uint32_t to, unsigned depth);
    void *ctx;
};

static int walk(const struct nix_file *f, const struct walker *w)
{
    size_t cap = 64, sp = 0;
    struct walk_frame *st = malloc(cap * sizeof *st);
    if (!st)
        return -ENOMEM;
    int r = 0;
    uint32_t n = f->root;
    for (;;) {
        if (sp == cap) {
            cap *= 2;
            struct walk_frame *ns = realloc(st, cap * sizeof *ns);
            if (!ns) {
                r = -ENOMEM;
                break;
            }
            st = ns;
        }
        st[sp++] = (struct walk_frame){n, f->nodes[n].tok_start, f->nodes[n].first_child};
        if (w->enter && (r = w->enter(w->ctx, f, n, (unsigned)sp - 1)) < 0)
            break;
        /* finish frames without further children, then descend into the next child */
        n = NIX_NONE;
        while (sp && r == 0) {
            struct walk_frame *fr = &st[sp - 1];
            if (fr->child == NIX_NONE) {
                r = w->tokens(w->ctx, f, fr->next_tok, f->nodes[fr->node].tok_end, (unsigned)sp);
                sp--;
                continue;
            }
            n = fr->child;
            r = w->tokens(w->ctx, f, fr->next_tok, f->nodes[n].tok_start, (unsigned)sp);
            fr->next_tok = f->nodes[n].tok_end;
            fr->child = f->nodes[n].next_sibling;
            break;
        }
        if (!sp || r < 0)
            break;
    }
    free(st);
    return r;
}

static int emit_toks(void *ctx, const struct nix_file *f, uint32_t from, uint32_t to,
                     unsigned depth)
{
    (void)depth;
    if (to <= from)
        return 0;
    size_t a = f->toks[from].start;
    const struct nix_token *last = &f->toks[to - 1];
    return buf_append(ctx, f->text + a, last->start + nix_tok_len(last) - a);
}

int nix_file_print(const struct nix_file *f, struct buf *out)
{
    if (!f->nnodes)
        return buf_append(out, f->text, f->len);
    struct walker w = {NULL, emit_toks, out};
    return walk(f, &w);
}

static void dump_escaped(struct buf *out, const char *s, size_t n)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') buf_puts(out, "\\n");
        else if (c == '\r') buf_puts(out, "\\r");
        else if (c == '\t') buf_puts(out, "\\t");
        else if (c == '"' || c == '\\') { buf_putc(out, '\\'); buf_putc(out, (char)c); }
        else if (c < 0x20 || c == 0x7f) buf_printf(out, "\\x%02x", c);
        else buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

static const char *tok_kind_label(int k)
{
    switch (k) {
    case T_WS: return "WS";
    case T_LINE_COMMENT: case T_BLOCK_COMMENT: return "COMMENT";
    case T_ID: return "ID";
    case T_INT: return "INT";
    case T_FLOAT: return "FLOAT";
    case T_PATH: case T_HPATH: case T_PATH_FRAG: return "PATH";
    case T_PATH_END: return "PATH_END";
    case T_SPATH: return "SPATH";
    case T_URI: return "URI";
    case T_STR_TEXT: case T_IND_TEXT: return "STR";
    case T_IND_ESC: return "ESC";
    case T_EOF: return "EOF";
    case T_UNKNOWN: return "UNKNOWN";
    default: return nix_tok_kind_is_keyword(k) ? "KEYWORD" : "TOKEN";
    }
}

bool nix_tok_kind_is_keyword(int k)
{
    return k >= T_IF && k <= T_OR_KW;
}

static int dump_tokens(void *ctx, const struct nix_file *f, uint32_t from, uint32_t to,
                       unsigned depth)
{
    struct buf *out = ctx;
    for (uint32_t t = from; t < to; t++) {
        const struct nix_token *tk = &f->toks[t];
        unsigned line, col;
        nix_file_linecol(f, tk->start, &line, &col);
        buf_printf(out, "%*s%s %u:%u ", (int)(2 * depth), "", tok_kind_label(tk->kind), line, col);
        dump_escaped(out, f->text + tk->start, nix_tok_len(tk));
        buf_putc(out, '\n');
    }
    return 0;
}

static int dump_node(void *ctx, const struct nix_file *f, uint32_t node, unsigned depth)
{
    struct buf *out = ctx;
    const struct nix_node *nd = &f->nodes[node];
    unsigned l1, c1, l2, c2;
    nix_file_linecol(f, nix_node_start(f, node), &l1, &c1);
    nix_file_linecol(f, nix_node_end(f, node), &l2, &c2);
    buf_printf(out, "%*s%s", (int)(2 * depth), "", nix_node_kind_name(nd->kind));
    if (nd->kind == N_BINOP)
        buf_printf(out, " %s", nix_tok_name(nd->op));
    if (nd->flags & NF_REC)
        buf_puts(out, " rec");
    buf_printf(out, " %u:%u-%u:%u\n", l1, c1, l2, c2);
    return 0;
}

int nix_file_dump_tree(const struct nix_file *f, struct buf *out)
{
    struct walker w = {dump_node, dump_tokens, out};
    int r = walk(f, &w);
    return r < 0 ? r : out->p || !f->len ? 0 : -ENOMEM;
}
