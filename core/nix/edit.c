/* Edits as text patches on the original source: set, insert, delete, list operations.
 * Every edit is applied to a copy and re-parsed before it is handed out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix/nix-int.h"

/* ---- patches ---- */

static int add_patch(struct nix_edit *e, size_t start, size_t end, const char *text, size_t tlen)
{
    struct nix_patch *v = realloc(e->v, (e->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    e->v = v;
    char *t = malloc(tlen + 1);
    if (!t)
        return -ENOMEM;
    memcpy(t, text, tlen);
    t[tlen] = 0;
    v[e->n++] = (struct nix_patch){start, end, t};
    return 0;
}

void nix_edit_free(struct nix_edit *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->n; i++)
        free(e->v[i].text);
    free(e->v);
    e->v = NULL;
    e->n = 0;
    nix_file_free(e->result);
    e->result = NULL;
}

struct nix_file *nix_edit_take_result(struct nix_edit *e)
{
    struct nix_file *r = e->result;
    e->result = NULL;
    return r;
}

static int cmp_patch(const void *a, const void *b)
{
    const struct nix_patch *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static size_t line_start(const struct nix_file *f, size_t off);
static size_t after_eol(const struct nix_file *f, size_t off);
static bool only_ws_before(const struct nix_file *f, size_t off);

/* Sort, and merge overlapping deletions (two removed lines that share a newline); a
 * deletion that leaves only blanks on its line takes the line with it. */
static void normalize(const struct nix_file *f, struct nix_edit *e)
{
    if (e->n > 1)
        qsort(e->v, e->n, sizeof *e->v, cmp_patch);
    size_t w = 0;
    for (size_t i = 0; i < e->n; i++) {
        if (w && e->v[i].start < e->v[w - 1].end && !e->v[i].text[0] && !e->v[w - 1].text[0]) {
            if (e->v[i].end > e->v[w - 1].end)
                e->v[w - 1].end = e->v[i].end;
            free(e->v[i].text);
            continue;
        }
        e->v[w++] = e->v[i];
    }
    e->n = w;
    for (size_t i = 0; i < e->n; i++) {
        struct nix_patch *p = &e->v[i];
        if (p->text[0] || p->end == p->start || !only_ws_before(f, p->start))
            continue;
        size_t j = p->end;
        while (j < f->len && (f->text[j] == ' ' || f->text[j] == '\t' || f->text[j] == '\r'))
            j++;
        if (j >= f->len || f->text[j] != '\n')
            continue;
        size_t ls = line_start(f, p->start), ae = after_eol(f, p->end);
        if ((i == 0 || e->v[i - 1].end <= ls) && (i + 1 == e->n || e->v[i + 1].start >= ae)) {
            p->start = ls;
            p->end = ae;
        }
    }
}

int nix_edit_apply(const struct nix_file *f, const struct nix_edit *e, char **out, size_t *outlen)
{
    struct buf b = {0};
    size_t at = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct nix_patch *p = &e->v[i];
        if (p->start < at || p->end < p->start || p->end > f->len) {
            buf_free(&b);
            return -EINVAL;
        }
        if (buf_append(&b, f->text + at, p->start - at) < 0 || buf_puts(&b, p->text) < 0) {
            buf_free(&b);
            return -ENOMEM;
        }
        at = p->end;
    }
    if (buf_append(&b, f->text + at, f->len - at) < 0 || buf_reserve(&b, 1) < 0) {
        buf_free(&b);
        return -ENOMEM;
    }
    *outlen = b.len;
    *out = buf_steal(&b);
    return 0;
}

/* ---- text helpers ---- */

static size_t line_start(const struct nix_file *f, size_t off)
{
    while (off > 0 && f->text[off - 1] != '\n')
        off--;
    return off;
}

/* Where the line containing off ends: the '\r' of a CRLF, the '\n', or the end of text. */
static size_t line_end(const struct nix_file *f, size_t off)
{
    const char *nl = memchr(f->text + off, '\n', f->len - off);
    if (!nl)
        return f->len;
    size_t e = (size_t)(nl - f->text);
    if (e > off && f->text[e - 1] == '\r')
        e--;
    return e;
}

/* Offset just after the line ending at/after off (end of text if none). */
static size_t after_eol(const struct nix_file *f, size_t off)
{
    const char *nl = memchr(f->text + off, '\n', f->len - off);
    return nl ? (size_t)(nl - f->text) + 1 : f->len;
}

static const char *eol_at(const struct nix_file *f, size_t off)
{
    size_t e = line_end(f, off);
    if (e < f->len && f->text[e] == '\r')
        return "\r\n";
    if (e < f->len)
        return "\n";
    /* last line without a newline: use the file's first line ending */
    const char *nl = memchr(f->text, '\n', f->len);
    return nl && nl > f->text && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The indentation (spaces and tabs) of the line containing off. */
static size_t indent_len(const struct nix_file *f, size_t off)
{
    size_t s = line_start(f, off), i = s;
    while (i < f->len && (f->text[i] == ' ' || f->text[i] == '\t'))
        i++;
    return i - s;
}

static bool only_ws_before(const struct nix_file *f, size_t off)
{
    for (size_t i = line_start(f, off); i < off; i++)
        if (f->text[i] != ' ' && f->text[i] != '\t')
            return false;
    return true;
}

/* Only whitespace or a line comment between off and the end of its line? */
static bool only_ws_after(const struct nix_file *f, size_t off)
{
    size_t e = line_end(f, off);
    for (size_t i = off; i < e; i++) {
        if (f->text[i] == '#')
            return true;
        if (f->text[i] != ' ' && f->text[i] != '\t' && f->text[i] != '\r')
            return false;
    }
    return true;
}

static bool same_line(const struct nix_file *f, size_t a, size_t b)
{
    unsigned la, lb, c;
    nix_file_linecol(f, a, &la, &c);
    nix_file_linecol(f, b, &lb, &c);
    return la == lb;
}

/* Remove [s, e) and, when it stands alone on its lines, the lines themselves;
 * otherwise the whitespace after it (or before it, at the end of a line). */
static int delete_range(const struct nix_file *f, struct nix_edit *ed, size_t s, size_t e)
{
    if (only_ws_before(f, s) && only_ws_after(f, e))
        return add_patch(ed, line_start(f, s), after_eol(f, e), "", 0);
    size_t j = e;
    while (j < f->len && (f->text[j] == ' ' || f->text[j] == '\t'))
        j++;
    if (j > e && j < f->len && f->text[j] != '\n' && f->text[j] != '\r' && f->text[j] != '#')
        return add_patch(ed, s, j, "", 0);
    size_t i = s;
    while (i > 0 && (f->text[i - 1] == ' ' || f->text[i - 1] == '\t'))
        i--;
    if (i < s && !only_ws_before(f, i))
        return add_patch(ed, i, e, "", 0);
    return add_patch(ed, s, j, "", 0);
}

/* ---- checks ---- */

static int refuse_broken(struct nix_file *f, struct diag *d)
{
    if (nix_file_is_json(f)) /* its CST has no Nix nodes to edit */
        return diag_set(d, DIAG_ERROR, f->name, 0, 0,
                        "the file is a JSON document; expected a Nix file (JSON is edited with "
                        "the json_edit functions)");
    if (!f->has_errors)
        return 0;
    return diag_set(d, DIAG_ERROR, f->name, 0, 0,
                    "the file has syntax errors; expected a file that parses before editing");
}

static int check_expr(struct nix_file *f, const char *expr, struct diag *d)
{
    struct diag_list dl = {0};
    struct nix_file *e = NULL;
    int r = nix_parse("EXPR", expr, strlen(expr), &e, &dl);
    if (r == 0 && !e->has_errors) {
        nix_file_free(e);
        diag_list_free(&dl);
        return 0;
    }
    if (dl.n)
        r = diag_set(d, DIAG_ERROR, f->name, 0, 0, "'%s' is not a valid Nix expression (%u:%u: %s)",
                     expr, dl.v[0].line, dl.v[0].col, dl.v[0].msg);
    else
        r = diag_set(d, DIAG_ERROR, f->name, 0, 0, "'%s' is not a valid Nix expression", expr);
    nix_file_free(e);
    diag_list_free(&dl);
    return r < 0 ? r : -EINVAL;
}

static char *path_str(const char *const *path, size_t n)
{
    struct buf b = {0};
    for (size_t i = 0; i < n; i++) {
        char *q = nix_quote_key(path[i]);
        if (!q) {
            buf_free(&b);
            return NULL;
        }
        if (i)
            buf_putc(&b, '.');
        buf_puts(&b, q);
        free(q);
    }
    if (!b.p)
        buf_puts(&b, "");
    return buf_steal(&b);
}

/* How an edit was checked: by a parse of the whole patched text (g), or locally (the
 * binding that holds every patch re-parsed alone, see splice.c), when the edit's path lies
 * at or below the value that binding defines (the first k segments lead to it). */
struct checked {
    struct nix_file *g;
    struct nix_local loc;
    size_t k;
};

/* Does path lead through the value of a local check (its first *k names lead to it)? */
static bool local_path(const struct nix_local *l, const char *const *path, size_t n, size_t *k)
{
    size_t depth = 0;
    if (!l->value) /* a binding outside the logical tree */
        return false;
    for (const struct nix_value *v = &l->value->pub; v->parent; v = v->parent) {
        if (!v->name)
            return false;
        depth++;
    }
    if (depth > n)
        return false;
    size_t i = depth;
    for (const struct nix_value *v = &l->value->pub; v->parent; v = v->parent)
        if (strcmp(v->name, path[--i]))
            return false;
    if (l->attrs) {
        /* only attributes added or deleted were checked: the path must name one */
        if (depth == n)
            return false;
        bool named = nix_value_get(&l->after->pub, path[depth]) != NULL;
        for (size_t j = 0; j < l->ndel && !named; j++)
            named = !strcmp(l->value->pub.children[l->at + j]->name, path[depth]);
        if (!named)
            return false;
    }
    *k = depth;
    return true;
}

/* Check the patched text: locally when the edit allows it (ed->local), else by a parse of
 * the whole text; refuse when the result has errors. On success c->g is the re-parsed file
 * (NULL when local); it is ed->result (owned by the edit) when the parse gave no
 * diagnostic, else checked_free frees it. */
static int validate(struct nix_file *f, struct nix_edit *ed, const char *const *path, size_t n,
                    struct checked *c, struct diag *d)
{
    normalize(f, ed);
    memset(c, 0, sizeof *c);
    ed->local = false;
    int r = nix_local_check(f, ed->v, ed->n, &c->loc);
    if (r < 0)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0, "out of memory"), r;
    if (r == 1 && local_path(&c->loc, path, n, &c->k)) {
        nix_file_free(ed->result);
        ed->result = NULL;
        ed->local = true;
        return 0;
    }
    nix_local_free(&c->loc);
    char *txt;
    size_t len;
    r = nix_edit_apply(f, ed, &txt, &len);
    if (r < 0)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0, "internal error: overlapping patches"), r;
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    r = nix_parse(f->name, txt, len, &g, &dl);
    free(txt);
    if (r == 0 && g->has_errors) {
        r = diag_set(d, DIAG_ERROR, f->name, dl.n ? dl.v[0].line : 0, dl.n ? dl.v[0].col : 0,
                     "refused: the edited text would not be valid Nix (%s)",
                     dl.n ? dl.v[0].msg : "syntax error");
        r = -EINVAL;
    } else if (r < 0) {
        diag_set(d, DIAG_ERROR, f->name, 0, 0, "refused: the edited text cannot be parsed");
    }
    bool clean = dl.n == 0;
    diag_list_free(&dl);
    if (r == 0) {
        nix_file_free(ed->result);
        ed->result = clean ? g : NULL;
        c->g = g;
    } else {
        nix_file_free(g);
    }
    return r;
}

/* The value at path after the edit (NULL if none), and the text its offsets index. */
static const struct nix_value *checked_lookup(struct checked *c, const char *const *path,
                                              size_t n, const char **text)
{
    if (c->g) {
        *text = c->g->text;
        return nix_value_lookup(nix_file_root(c->g), path, n);
    }
    *text = c->loc.frag->text;
    return nix_value_lookup(&c->loc.after->pub, path + c->k, n - c->k);
}

/* Free what validate made unless the edit keeps it; an accepted local edit's check is
 * kept by f for nix_file_patch_local (r: the edit's outcome). */
static void checked_free(struct nix_file *f, const struct nix_edit *ed, struct checked *c, int r)
{
    if (c->g != ed->result)
        nix_file_free(c->g);
    c->g = NULL;
    if (r == 0 && ed->local)
        nix_local_keep(f, &c->loc, ed->v, ed->n);
    nix_local_free(&c->loc);
}

/* ---- resolving ---- */

static struct nix_ivalue *ivx(const struct nix_value *v) { return (struct nix_ivalue *)v; }

static size_t depth_of(const struct nix_value *v)
{
    size_t k = 0;
    while (v->parent) {
        v = v->parent;
        k++;
    }
    return k;
}

static int root_attrs(struct nix_file *f, const struct nix_value **root, struct diag *d)
{
    const struct nix_value *r = nix_file_root(f);
    if (!r)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0, "out of memory"), -ENOMEM;
    if (r->kind != NIX_ATTRS)
        return diag_set(d, DIAG_ERROR, f->name, 1, 1,
                        "the file's expression is not an attribute set; expected { ... } "
                        "(possibly inside a function, let or call)");
    *root = r;
    return 0;
}

/* The value expression node of a binding. */
static uint32_t binding_value(const struct nix_file *f, uint32_t bind)
{
    uint32_t ap = f->nodes[bind].first_child;
    return ap == NIX_NONE ? NIX_NONE : f->nodes[ap].next_sibling;
}

static bool binding_ends_at(const struct nix_file *f, const struct nix_def *df)
{
    uint32_t ap = f->nodes[df->node].first_child;
    return nix_nchildren(f, ap) == df->seg + 1;
}

static uint32_t literal_brace(const struct nix_file *f, uint32_t lit, int kind)
{
    const struct nix_node *nd = &f->nodes[lit];
    if (kind == T_RBRACE)
        return nd->tok_end > nd->tok_start && f->toks[nd->tok_end - 1].kind == T_RBRACE
                   ? nd->tok_end - 1 : NIX_NONE;
    for (uint32_t t = nd->tok_start; t < nd->tok_end; t++)
        if (f->toks[t].kind == T_LBRACE)
            return t;
    return NIX_NONE;
}

/* How many leading names of the binding's attrpath equal key[0..]? */
static size_t shared_prefix(struct nix_file *f, uint32_t bind, const char *const *key, size_t n,
                            struct nix_arena *a)
{
    if (f->nodes[bind].kind != N_BINDING)
        return 0;
    uint32_t ap = f->nodes[bind].first_child;
    size_t k = 0;
    for (uint32_t c = f->nodes[ap].first_child; c != NIX_NONE && k < n;
         c = f->nodes[c].next_sibling, k++) {
        char *nm = nix_attr_name(f, c, a);
        if (!nm || strcmp(nm, key[k]))
            break;
    }
    return k;
}

/* Does the binding write its name number seg as a string it need not be ("a-b" for a-b)? */
static bool quotes_plain_name(struct nix_file *f, uint32_t bind, size_t seg, struct nix_arena *a)
{
    uint32_t ap = f->nodes[bind].first_child;
    if (f->nodes[bind].kind != N_BINDING || seg >= nix_nchildren(f, ap))
        return false;
    uint32_t c = nix_child(f, ap, (unsigned)seg);
    if (f->nodes[c].kind != N_ATTR_STR)
        return false;
    char *nm = nix_attr_name(f, c, a), *q = nm ? nix_quote_key(nm) : NULL;
    bool plain = q && q[0] != '"';
    free(q);
    return plain;
}

/* The text of `key = expr;` written the way the sibling binding `anchor` (which shares the
 * first `best` names) writes its own: a name it quotes although it need not is quoted, and
 * when it stops at its name and holds a non-empty set (`alice = { x = 1; };`, not `alice.x = 1;`),
 * the rest of the path goes into such a set, on one line or indented as the sibling's
 * (`indent`: the indentation of the new binding's line). */
static char *styled_binding(struct nix_file *f, uint32_t anchor, size_t best,
                            const char *const *key, size_t nkey, const char *expr,
                            const char *indent, size_t nindent)
{
    struct nix_arena a = {0};
    bool quote = anchor != NIX_NONE && best < nkey && quotes_plain_name(f, anchor, best, &a);
    nix_arena_free(&a);
    uint32_t val = anchor != NIX_NONE && f->nodes[anchor].kind == N_BINDING ? binding_value(f, anchor) : NIX_NONE;
    /* an empty set (`m = { };`) shows no preference: only one with bindings does */
    bool nested = val != NIX_NONE && best + 1 < nkey && f->nodes[val].kind == N_ATTRSET &&
                  !(f->nodes[val].flags & NF_REC) && f->nodes[val].first_child != NIX_NONE &&
                  nix_nchildren(f, f->nodes[anchor].first_child) == best + 1;
    size_t split = nested ? best + 1 : nkey; /* names before the set, the rest inside it */
    struct buf b = {0};
    for (size_t i = 0; i < split; i++) {
        char *q = quote && i == best ? nix_quote_string(key[i]) : nix_quote_key(key[i]);
        if (!q) {
            buf_free(&b);
            return NULL;
        }
        buf_printf(&b, "%s%s", i ? "." : "", q);
        free(q);
    }
    if (!nested) {
        buf_printf(&b, " = %s;", expr);
        return buf_steal(&b);
    }
    char *inner = path_str(key + split, nkey - split);
    if (!inner) {
        buf_free(&b);
        return NULL;
    }
    size_t lb = nix_node_start(f, val), rb = nix_node_end(f, val);
    if (same_line(f, lb, rb)) {
        buf_printf(&b, " = { %s = %s; };", inner, expr);
    } else {
        /* the sibling's inner indentation: its first binding's, relative to its own line */
        size_t unit = 2, own = indent_len(f, nix_node_start(f, anchor));
        uint32_t first = f->nodes[val].first_child;
        if (first != NIX_NONE && !same_line(f, lb, nix_node_start(f, first)) &&
            indent_len(f, nix_node_start(f, first)) > own)
            unit = indent_len(f, nix_node_start(f, first)) - own;
        const char *eol = eol_at(f, lb);
        buf_printf(&b, " = {%s", eol);
        buf_append(&b, indent, nindent);
        for (size_t i = 0; i < unit; i++)
            buf_putc(&b, ' ');
        buf_printf(&b, "%s = %s;%s", inner, expr, eol);
        buf_append(&b, indent, nindent);
        buf_puts(&b, "};");
    }
    free(inner);
    return buf_steal(&b);
}

/* Insert `key = expr;` into the literal set lit, after the binding that shares the longest
 * prefix with key (else after the last binding), matching the layout and, through
 * styled_binding, the way that sibling writes names and nested sets. fresh: no item of lit
 * starts with key[0] (the set it makes has no such attribute): the last one is the anchor,
 * found without reading every item's names (a machine added to ten thousand). */
static int insert_binding(struct nix_file *f, uint32_t lit, const char *const *key, size_t nkey,
                          const char *expr, bool fresh, struct nix_edit *ed)
{
    uint32_t lb = literal_brace(f, lit, T_LBRACE), rb = literal_brace(f, lit, T_RBRACE);
    if (lb == NIX_NONE || rb == NIX_NONE)
        return -EINVAL;
    size_t lbo = f->toks[lb].start, rbo = f->toks[rb].start;
    struct nix_arena a = {0};
    uint32_t anchor = NIX_NONE, last = f->nodes[lit].last_child;
    size_t best = 0;
    bool found = fresh && last != NIX_NONE &&
                 (f->nodes[last].kind == N_BINDING || f->nodes[last].kind == N_INHERIT);
    if (found)
        anchor = last;
    for (uint32_t c = f->nodes[lit].first_child; c != NIX_NONE && !found;
         c = f->nodes[c].next_sibling) {
        int k = f->nodes[c].kind;
        if (k != N_BINDING && k != N_INHERIT)
            continue;
        size_t s = shared_prefix(f, c, key, nkey, &a);
        if (s >= best) { /* the last binding sharing the longest prefix */
            anchor = c;
            best = s;
        }
    }
    nix_arena_free(&a);
    bool multiline = !same_line(f, lbo, rbo);
    /* the indentation of the new binding's line: the sibling's, else the set's plus two */
    struct buf ind = {0};
    if (anchor != NIX_NONE) {
        size_t as = nix_node_start(f, anchor);
        buf_append(&ind, f->text + line_start(f, as), indent_len(f, as));
    } else {
        buf_append(&ind, f->text + line_start(f, rbo), indent_len(f, rbo));
        buf_puts(&ind, "  ");
    }
    char *text = styled_binding(f, anchor, best, key, nkey, expr, ind.p ? ind.p : "", ind.len);
    buf_free(&ind);
    if (!text)
        return -ENOMEM;
    struct buf b = {0};
    int r;
    if (anchor != NIX_NONE) {
        size_t as = nix_node_start(f, anchor), ae = nix_node_end(f, anchor);
        if (multiline && only_ws_after(f, ae) && only_ws_before(f, as)) {
            size_t at = line_end(f, ae);
            buf_puts(&b, eol_at(f, ae));
            buf_append(&b, f->text + line_start(f, as), indent_len(f, as));
            buf_puts(&b, text);
            r = b.p ? add_patch(ed, at, at, b.p, b.len) : -ENOMEM;
        } else {
            buf_putc(&b, ' ');
            buf_puts(&b, text);
            r = b.p ? add_patch(ed, ae, ae, b.p, b.len) : -ENOMEM;
        }
    } else if (!multiline) {
        buf_putc(&b, ' ');
        buf_puts(&b, text);
        buf_putc(&b, ' ');
        size_t s = lbo + 1;
        /* keep comments inside an empty one-line set */
        bool comments = false;
        for (uint32_t t = lb + 1; t < rb; t++)
            if (f->toks[t].kind != T_WS)
                comments = true;
        if (comments)
            r = b.p ? add_patch(ed, rbo, rbo, b.p + 1, b.len - 1) : -ENOMEM;
        else
            r = b.p ? add_patch(ed, s, rbo, b.p, b.len) : -ENOMEM;
    } else {
        size_t at = line_end(f, lbo);
        buf_puts(&b, eol_at(f, lbo));
        buf_append(&b, f->text + line_start(f, rbo), indent_len(f, rbo));
        buf_puts(&b, "  ");
        buf_puts(&b, text);
        r = b.p ? add_patch(ed, at, at, b.p, b.len) : -ENOMEM;
    }
    buf_free(&b);
    free(text);
    return r;
}

/* Source text of a binding's attrpath up to and including segment seg. */
static char *attrpath_prefix_text(const struct nix_file *f, uint32_t bind, uint32_t seg)
{
    uint32_t ap = f->nodes[bind].first_child;
    uint32_t c = nix_child(f, ap, seg);
    size_t s = nix_node_start(f, ap), e = nix_node_end(f, c);
    return strndup(f->text + s, e - s);
}

static int delete_def(struct nix_file *f, const struct nix_def *df, struct nix_edit *ed)
{
    const struct nix_node *nd = &f->nodes[df->node];
    if (nd->kind == N_INHERIT) {
        unsigned names = 0;
        for (uint32_t c = nd->first_child; c != NIX_NONE; c = f->nodes[c].next_sibling)
            names += f->nodes[c].kind != N_PAREN;
        if (names > 1) {
            size_t s = nix_node_start(f, df->name_node), e = nix_node_end(f, df->name_node);
            while (s > 0 && (f->text[s - 1] == ' ' || f->text[s - 1] == '\t'))
                s--;
            return add_patch(ed, s, e, "", 0);
        }
    }
    return delete_range(f, ed, nix_node_start(f, df->node), nix_node_end(f, df->node));
}

static int resolve(struct nix_file *f, const char *const *path, size_t n,
                   const struct nix_value **found, const struct nix_value **prefix, size_t *k,
                   struct diag *d)
{
    const struct nix_value *cur = NULL;
    int r = root_attrs(f, &cur, d);
    if (r < 0)
        return r;
    if (n == 0)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0,
                        "empty attribute path; expected at least one name");
    size_t i = 0;
    for (; i < n; i++) {
        if (cur->kind != NIX_ATTRS || ivx(cur)->inherited)
            break;
        const struct nix_value *c = nix_value_get(cur, path[i]);
        if (!c)
            break;
        cur = c;
    }
    *k = i;
    *found = i == n ? cur : NULL;
    *prefix = cur;
    return 0;
}

static int not_attrs_error(struct nix_file *f, const struct nix_value *v, const char *const *path,
                           size_t k, struct diag *d)
{
    char *ps = path_str(path, k);
    int r = diag_set(d, DIAG_ERROR, f->name, nix_val_line(v), nix_val_col(v),
                     "'%s' is %s%s; expected an attribute set to hold the new attribute",
                     ps ? ps : "?", nix_kind_name(v->kind),
                     ivx(v)->inherited ? " (inherited)" : "");
    free(ps);
    return r;
}

static int do_insert(struct nix_file *f, const struct nix_value *p, const char *const *path,
                     size_t n, const char *expr, struct nix_edit *ed, struct diag *d)
{
    const struct nix_ivalue *x = ivx(p);
    const struct nix_value *owner = p;
    uint32_t lit = NIX_NONE;
    if (x->lit != NIX_NONE) {
        lit = x->lit;
    } else if (x->pub.implicit && x->ndefs) {
        /* into the literal that holds its first dotted binding, next to it */
        const struct nix_def *df = &x->defs[0];
        for (uint32_t i = 0; i <= df->seg && owner->parent; i++)
            owner = owner->parent;
        const struct nix_ivalue *o = ivx(owner);
        size_t bs = nix_node_start(f, df->node);
        for (size_t i = 0; i < o->nlits; i++)
            if (nix_node_start(f, o->lits[i]) <= bs && bs < nix_node_end(f, o->lits[i]))
                lit = o->lits[i];
    }
    if (lit == NIX_NONE) {
        char *ps = path_str(path, depth_of(p));
        int r = diag_set(d, DIAG_ERROR, f->name, nix_val_line(p), nix_val_col(p),
                         "'%s' has no attribute set literal to insert into", ps ? ps : "?");
        free(ps);
        return r;
    }
    size_t from = depth_of(owner);
    /* into p's own literal: p has no attribute path[from], so no item of it starts so */
    bool fresh = owner == p && lit == x->lit && !f->has_errors;
    int r = insert_binding(f, lit, path + from, n - from, expr, fresh, ed);
    if (r < 0)
        diag_set(d, DIAG_ERROR, f->name, 0, 0, "cannot insert into this attribute set");
    return r;
}

static int set_patches(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                       struct nix_edit *ed, struct diag *d)
{
    const struct nix_value *x, *p;
    size_t k;
    int r = resolve(f, path, n, &x, &p, &k, d);
    if (r < 0)
        return r;
    if (!x) {
        if (p->kind != NIX_ATTRS || ivx(p)->inherited)
            return not_attrs_error(f, p, path, k, d);
        return do_insert(f, p, path, n, expr, ed, d);
    }
    const struct nix_ivalue *xi = ivx(x);
    if (xi->inherited) {
        char *ps = path_str(path, n);
        r = diag_set(d, DIAG_ERROR, f->name, nix_key_line(x), nix_key_col(x),
                     "'%s' is inherited; expected a binding (delete it first, then set it)",
                     ps ? ps : "?");
        free(ps);
        return r;
    }
    if (!xi->ndefs)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0, "the root cannot be replaced");
    const struct nix_def *first = &xi->defs[0];
    if (binding_ends_at(f, first)) {
        uint32_t val = binding_value(f, first->node);
        r = add_patch(ed, nix_node_start(f, val), nix_node_end(f, val), expr, strlen(expr));
    } else {
        char *pre = attrpath_prefix_text(f, first->node, first->seg);
        if (!pre)
            return -ENOMEM;
        struct buf b = {0};
        buf_printf(&b, "%s = %s;", pre, expr);
        free(pre);
        r = b.p ? add_patch(ed, nix_node_start(f, first->node), nix_node_end(f, first->node), b.p,
                            b.len)
                : -ENOMEM;
        buf_free(&b);
    }
    for (size_t i = 1; i < xi->ndefs && r == 0; i++)
        r = delete_def(f, &xi->defs[i], ed);
    return r;
}

static void trim(const char *s, size_t *a, size_t *b)
{
    size_t i = 0, j = strlen(s);
    while (i < j && strchr(" \t\r\n", s[i]))
        i++;
    while (j > i && strchr(" \t\r\n", s[j - 1]))
        j--;
    *a = i;
    *b = j;
}

int nix_edit_set(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                 struct nix_edit *out, struct diag *d)
{
    int r;
    if ((r = refuse_broken(f, d)) < 0 || (r = check_expr(f, expr, d)) < 0)
        return r;
    size_t ta, tb;
    trim(expr, &ta, &tb);
    char *ex = strndup(expr + ta, tb - ta);
    if (!ex)
        return -ENOMEM;
    struct nix_edit ed = {0};
    r = set_patches(f, path, n, ex, &ed, d);
    struct checked chk = {0};
    if (r == 0)
        r = validate(f, &ed, path, n, &chk, d);
    if (r == 0) {
        /* the new value must read back as exactly the given text */
        const char *nt;
        const struct nix_value *v = checked_lookup(&chk, path, n, &nt);
        size_t vs = v ? nix_wrap_start(v) : 0, ve = v ? nix_val_end(v) : 0;
        if (!v || ve - vs != strlen(ex) || memcmp(nt + vs, ex, ve - vs)) {
            char *ps = path_str(path, n);
            r = diag_set(d, DIAG_ERROR, f->name, 0, 0,
                         "refused: after the edit '%s' would not read back as the new value",
                         ps ? ps : "?");
            free(ps);
        }
    }
    checked_free(f, &ed, &chk, r);
    free(ex);
    if (r < 0) {
        nix_edit_free(&ed);
        return r;
    }
    *out = ed;
    return 0;
}

int nix_edit_delete(struct nix_file *f, const char *const *path, size_t n, struct nix_edit *out,
                    struct diag *d)
{
    int r;
    if ((r = refuse_broken(f, d)) < 0)
        return r;
    const struct nix_value *x, *p;
    size_t k;
    if ((r = resolve(f, path, n, &x, &p, &k, d)) < 0)
        return r;
    if (!x) {
        char *ps = path_str(path, n);
        r = diag_set(d, DIAG_ERROR, f->name, 0, 0, "no attribute '%s' to delete", ps ? ps : "?");
        free(ps);
        return r < 0 ? r : -ENOENT;
    }
    const struct nix_ivalue *xi = ivx(x);
    struct nix_edit ed = {0};
    /* A parent made only by the dotted bindings being deleted (`a.b.c = 1;`, delete a.b.c)
     * must stay, as an empty set: one of them becomes `a.b = { };`. */
    const struct nix_ivalue *pi = x->parent ? ivx(x->parent) : NULL;
    bool keep_parent = false;
    if (pi && pi->pub.implicit && pi->nlits == 0 && pi->ndefs) {
        keep_parent = true;
        for (size_t j = 0; j < pi->ndefs; j++) {
            bool mine = false;
            for (size_t i = 0; i < xi->ndefs; i++)
                mine |= xi->defs[i].node == pi->defs[j].node;
            keep_parent &= mine;
        }
    }
    for (size_t i = 0; i < xi->ndefs && r == 0; i++) {
        const struct nix_def *df = &xi->defs[i];
        if (keep_parent && df->seg > 0 && f->nodes[df->node].kind == N_BINDING) {
            keep_parent = false;
            char *pre = attrpath_prefix_text(f, df->node, df->seg - 1);
            if (!pre)
                return -ENOMEM;
            struct buf b = {0};
            buf_printf(&b, "%s = { };", pre);
            free(pre);
            r = b.p ? add_patch(&ed, nix_node_start(f, df->node), nix_node_end(f, df->node), b.p,
                                b.len)
                    : -ENOMEM;
            buf_free(&b);
            continue;
        }
        r = delete_def(f, df, &ed);
    }
    struct checked chk = {0};
    const char *nt;
    if (r == 0)
        r = validate(f, &ed, path, n, &chk, d);
    if (r == 0 && checked_lookup(&chk, path, n, &nt))
        r = diag_set(d, DIAG_ERROR, f->name, 0, 0, "refused: the attribute would still exist");
    checked_free(f, &ed, &chk, r);
    if (r < 0) {
        nix_edit_free(&ed);
        return r;
    }
    *out = ed;
    return 0;
}

/* ---- lists ---- */

/* The list at path, or an error. NULL with r == 0 when the path does not exist. */
static int find_list(struct nix_file *f, const char *const *path, size_t n,
                     const struct nix_value **list, struct diag *d)
{
    const struct nix_value *x, *p;
    size_t k;
    int r = resolve(f, path, n, &x, &p, &k, d);
    if (r < 0)
        return r;
    if (x && x->kind != NIX_LIST) {
        char *ps = path_str(path, n);
        r = diag_set(d, DIAG_ERROR, f->name, nix_val_line(x), nix_val_col(x),
                     "'%s' is %s; expected a list literal [ ... ]", ps ? ps : "?",
                     nix_kind_name(x->kind));
        free(ps);
        return r;
    }
    *list = x;
    return 0;
}

/* The checks every list edit starts with; need: the list must exist. */
static int list_prelude(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                        bool need, const struct nix_value **l, struct diag *d)
{
    int r;
    if ((r = refuse_broken(f, d)) < 0 || (r = check_expr(f, expr, d)) < 0 ||
        (r = find_list(f, path, n, l, d)) < 0)
        return r;
    if (!*l && need) {
        char *ps = path_str(path, n);
        r = diag_set(d, DIAG_ERROR, f->name, 0, 0, "no list '%s'", ps ? ps : "?");
        free(ps);
        return r < 0 ? r : -ENOENT;
    }
    return 0;
}

/* An element as list syntax: wrapped in parentheses unless it is one list element. */
static char *element_text(const char *expr)
{
    size_t ta, tb;
    trim(expr, &ta, &tb);
    struct buf b = {0};
    buf_puts(&b, "[ ");
    buf_append(&b, expr + ta, tb - ta);
    buf_puts(&b, " ]");
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    bool single = false;
    if (b.p && nix_parse("EXPR", b.p, b.len, &g, &dl) == 0 && !g->has_errors) {
        const struct nix_value *v = nix_file_root(g);
        single = v && v->kind == NIX_LIST && v->nchildren == 1;
    }
    nix_file_free(g);
    diag_list_free(&dl);
    buf_free(&b);
    if (single)
        return strndup(expr + ta, tb - ta);
    buf_putc(&b, '(');
    buf_append(&b, expr + ta, tb - ta);
    buf_putc(&b, ')');
    return buf_steal(&b);
}

static int list_insert_patch(struct nix_file *f, const struct nix_value *l, size_t index,
                             const char *el, struct nix_edit *ed)
{
    uint32_t node = ivx(l)->node;
    const struct nix_node *nd = &f->nodes[node];
    size_t lbo = f->toks[nd->tok_start].start, rbo = f->toks[nd->tok_end - 1].start;
    bool multiline = !same_line(f, lbo, rbo);
    struct buf b = {0};
    int r;
    if (l->nchildren == 0) {
        if (!multiline) {
            bool comments = false;
            for (uint32_t t = nd->tok_start + 1; t + 1 < nd->tok_end; t++)
                if (f->toks[t].kind != T_WS)
                    comments = true;
            buf_printf(&b, " %s ", el);
            r = comments ? add_patch(ed, rbo, rbo, b.p + 1, b.len - 1)
                         : add_patch(ed, lbo + 1, rbo, b.p, b.len);
        } else {
            size_t at = line_end(f, lbo);
            buf_puts(&b, eol_at(f, lbo));
            buf_append(&b, f->text + line_start(f, rbo), indent_len(f, rbo));
            buf_printf(&b, "  %s", el);
            r = add_patch(ed, at, at, b.p, b.len);
        }
    } else if (index >= l->nchildren) {
        const struct nix_value *last = l->children[l->nchildren - 1];
        size_t as = nix_val_start(last), ae = nix_val_end(last);
        if (multiline && only_ws_before(f, as) && only_ws_after(f, ae)) {
            size_t at = line_end(f, ae);
            buf_puts(&b, eol_at(f, ae));
            buf_append(&b, f->text + line_start(f, as), indent_len(f, as));
            buf_puts(&b, el);
            r = add_patch(ed, at, at, b.p, b.len);
        } else {
            buf_printf(&b, " %s", el);
            r = add_patch(ed, ae, ae, b.p, b.len);
        }
    } else {
        const struct nix_value *at = l->children[index];
        size_t as = nix_val_start(at);
        if (multiline && only_ws_before(f, as)) {
            size_t ls = line_start(f, as);
            buf_append(&b, f->text + ls, indent_len(f, as));
            buf_printf(&b, "%s%s", el, eol_at(f, as));
            r = add_patch(ed, ls, ls, b.p, b.len);
        } else {
            buf_printf(&b, "%s ", el);
            r = add_patch(ed, as, as, b.p, b.len);
        }
    }
    buf_free(&b);
    return r;
}

static int finish_list_edit(struct nix_file *f, struct nix_edit *ed, const char *const *path,
                            size_t n, size_t want, struct nix_edit *out, struct diag *d)
{
    struct checked chk;
    int r = validate(f, ed, path, n, &chk, d);
    if (r == 0) {
        const char *nt;
        const struct nix_value *v = checked_lookup(&chk, path, n, &nt);
        if (!v || v->kind != NIX_LIST || v->nchildren != want)
            r = diag_set(d, DIAG_ERROR, f->name, 0, 0,
                         "refused: the list would not have %zu elements after the edit", want);
    }
    checked_free(f, ed, &chk, r);
    if (r < 0) {
        nix_edit_free(ed);
        return r;
    }
    *out = *ed;
    return 0;
}

int nix_edit_list_insert(struct nix_file *f, const char *const *path, size_t n, size_t index,
                         const char *expr, struct nix_edit *out, struct diag *d)
{
    const struct nix_value *l = NULL;
    int r = list_prelude(f, path, n, expr, true, &l, d);
    if (r < 0)
        return r;
    if (index > l->nchildren)
        return diag_set(d, DIAG_ERROR, f->name, nix_val_line(l), nix_val_col(l),
                        "index %zu is past the end of the list; expected at most %zu", index,
                        l->nchildren);
    char *el = element_text(expr);
    if (!el)
        return -ENOMEM;
    struct nix_edit ed = {0};
    r = list_insert_patch(f, l, index, el, &ed);
    free(el);
    if (r < 0) {
        nix_edit_free(&ed);
        return r;
    }
    return finish_list_edit(f, &ed, path, n, l->nchildren + 1, out, d);
}

int nix_edit_list_append(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                         struct nix_edit *out, struct diag *d)
{
    const struct nix_value *l = NULL;
    int r = list_prelude(f, path, n, expr, false, &l, d);
    if (r < 0)
        return r;
    if (l)
        return nix_edit_list_insert(f, path, n, l->nchildren, expr, out, d);
    char *el = element_text(expr);
    if (!el)
        return -ENOMEM;
    struct buf b = {0};
    buf_printf(&b, "[ %s ]", el);
    free(el);
    if (!b.p)
        return -ENOMEM;
    r = nix_edit_set(f, path, n, b.p, out, d);
    buf_free(&b);
    return r;
}

static bool element_matches(struct nix_file *f, const struct nix_value *e, const char *expr,
                            const char *want_str)
{
    size_t ta, tb;
    trim(expr, &ta, &tb);
    size_t len = nix_val_end(e) - nix_val_start(e);
    if (len == tb - ta && !memcmp(f->text + nix_val_start(e), expr + ta, len))
        return true;
    return want_str && e->kind == NIX_STRING && !strcmp(e->str, want_str);
}

int nix_edit_list_remove(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                         struct nix_edit *out, struct diag *d)
{
    const struct nix_value *l = NULL;
    int r = list_prelude(f, path, n, expr, true, &l, d);
    if (r < 0)
        return r;
    /* a string literal also matches elements with the same value */
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    const char *want = NULL;
    if (nix_parse("EXPR", expr, strlen(expr), &g, &dl) == 0) {
        const struct nix_value *v = nix_file_root(g);
        if (v && v->kind == NIX_STRING)
            want = v->str;
    }
    struct nix_edit ed = {0};
    size_t removed = 0;
    for (size_t i = 0; i < l->nchildren && r == 0; i++) {
        const struct nix_value *e = l->children[i];
        if (!element_matches(f, e, expr, want))
            continue;
        r = delete_range(f, &ed, nix_val_start(e), nix_val_end(e));
        removed++;
    }
    nix_file_free(g);
    diag_list_free(&dl);
    if (r == 0 && !removed) {
        char *ps = path_str(path, n);
        r = diag_set(d, DIAG_ERROR, f->name, nix_val_line(l), nix_val_col(l),
                     "no element %s in list '%s'", expr, ps ? ps : "?");
        free(ps);
        r = r < 0 ? -ENOENT : r;
    }
    if (r < 0) {
        nix_edit_free(&ed);
        return r;
    }
    return finish_list_edit(f, &ed, path, n, l->nchildren - removed, out, d);
}

int nix_edit_list_replace(struct nix_file *f, const char *const *path, size_t n, size_t index,
                          const char *expr, struct nix_edit *out, struct diag *d)
{
    const struct nix_value *l = NULL;
    int r = list_prelude(f, path, n, expr, true, &l, d);
    if (r < 0)
        return r;
    if (index >= l->nchildren)
        return diag_set(d, DIAG_ERROR, f->name, 0, 0, "no element %zu in the list", index);
    char *el = element_text(expr);
    if (!el)
        return -ENOMEM;
    struct nix_edit ed = {0};
    const struct nix_value *e = l->children[index];
    r = add_patch(&ed, nix_val_start(e), nix_val_end(e), el, strlen(el));
    free(el);
    if (r < 0) {
        nix_edit_free(&ed);
        return r;
    }
    return finish_list_edit(f, &ed, path, n, l->nchildren, out, d);
}
