/* core/nix local edits in place (nix_file_patch_local), differentially: every patch applied
 * in place is compared with nix_parse of the patched text (text, printed tree, tree listing,
 * the whole logical tree, the definitions the edit functions read, the line table); a
 * patch that is not applied must leave the file as it was, and one whose full parse reports
 * anything must not be applied. Inputs: every sample, a 200-machine generated fleet, the
 * parser's differential corpus (tests/nix-corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"
#include "core/nix/nix-int.h"

struct stats {
    size_t tried, local, refused_diag;
    size_t attrs; /* applied as whole attributes added to or deleted from a set */
};

/* The forms of local edits tried (nix_local_check_forms), or 0: nix_file_patch_local. */
static int forms;

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static const char *srcdir(void)
{
    const char *s = getenv("top_srcdir");
    return s ? s : ".";
}

static char *slurp(FILE *fp, size_t *len)
{
    struct buf b = {0};
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0)
        assert_int_equal(buf_append(&b, tmp, k), 0);
    *len = b.len;
    if (!b.p)
        return strdup("");
    return buf_steal(&b);
}

static char *read_path(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char *s = slurp(fp, len);
    fclose(fp);
    return s;
}

static char *gen_fleet(unsigned n, size_t *len)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "sh '%s/samples/gen-fleet' %u", srcdir(), n);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    char *s = slurp(fp, len);
    assert_int_equal(pclose(fp), 0);
    assert_true(*len > 1000);
    return s;
}

static struct nix_file *parse(const char *text, size_t len, bool *diags)
{
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    assert_int_equal(nix_parse("t.nix", text, len, &f, &dl), 0);
    *diags = dl.n > 0;
    assert_true(nix_file_has_diags(f) == *diags);
    diag_list_free(&dl);
    return f;
}

static char *patched(const struct nix_file *f, const struct nix_patch *v, size_t n,
                     size_t *outlen)
{
    struct nix_edit e = {.v = (struct nix_patch *)v, .n = n};
    char *out = NULL;
    assert_int_equal(nix_edit_apply(f, &e, &out, outlen), 0);
    return out;
}

static void expect_same(struct nix_file *a, struct nix_file *b, const char *what)
{
    struct buf why = {0};
    int r = nix_file_compare(a, b, &why);
    if (r != 0) {
        size_t la;
        const char *ta = nix_file_text(a, &la);
        fprintf(stderr, "%s: %s\n--- text ---\n%.*s\n", what, why.p ? why.p : "?",
                (int)(la > 3000 ? 3000 : la), ta);
    }
    buf_free(&why);
    assert_int_equal(r, 0);
}

/* f, parsed from the same text as orig, is as nix_parse made it: the same arrays. */
static void expect_untouched(struct nix_file *f, struct nix_file *orig)
{
    assert_int_equal(f->len, orig->len);
    assert_memory_equal(f->text, orig->text, f->len + 1);
    assert_int_equal(f->ntoks, orig->ntoks);
    for (size_t i = 0; i <= f->ntoks; i++) {
        assert_int_equal(f->toks[i].start, orig->toks[i].start);
        assert_int_equal(f->toks[i].kind, orig->toks[i].kind);
    }
    assert_int_equal(f->nnodes, orig->nnodes);
    for (size_t i = 0; i < f->nnodes; i++) {
        const struct nix_node *a = &f->nodes[i], *b = &orig->nodes[i];
        assert_true(a->kind == b->kind && a->op == b->op && a->flags == b->flags &&
                    a->tok_start == b->tok_start && a->tok_end == b->tok_end &&
                    a->first_child == b->first_child && a->last_child == b->last_child &&
                    a->next_sibling == b->next_sibling);
    }
    assert_int_equal(f->has_diags, orig->has_diags);
    if (f->nlines) {
        unsigned l, c;
        nix_file_linecol(orig, 0, &l, &c);
        assert_int_equal(f->nlines, orig->nlines);
        assert_memory_equal(f->lines, orig->lines, f->nlines * sizeof *f->lines);
    }
    if (f->tree_built) {
        struct buf x = {0}, y = {0};
        assert_int_equal(nix_tree_dump(f, &x), 0);
        assert_int_equal(nix_tree_dump(orig, &y), 0);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.p, y.p, x.len);
        buf_free(&x);
        buf_free(&y);
    }
}

static void collect(const struct nix_value *v, const struct nix_value ***out, size_t *n,
                    size_t *cap);

/* The change's ends, as lines and columns of the old text (orig) and the new one (g). */
static void expect_ends(struct nix_file *orig, struct nix_file *g, const struct nix_change *ch)
{
    unsigned l, c;
    nix_file_linecol(orig, ch->old_end, &l, &c);
    assert_int_equal(l, ch->old_line);
    assert_int_equal(c, ch->old_col);
    nix_file_linecol(g, ch->new_end, &l, &c);
    assert_int_equal(l, ch->new_line);
    assert_int_equal(c, ch->new_col);
}

static int ptr_cmp(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;
    return x < y ? -1 : x > y;
}

/* Apply v to a fresh parse of text in place and check it against the full parse. orig is
 * a parse of text that is never changed. */
static int try_patches(const char *text, size_t len, struct nix_file *orig, struct nix_patch *v,
                       size_t n, struct stats *st)
{
    bool d0, dg;
    struct nix_file *f = parse(text, len, &d0);
    switch (st->tried % 4) { /* what is cached before the edit varies */
    case 0: nix_file_root(f); break;
    case 1: { unsigned l, c; nix_file_linecol(f, len / 2, &l, &c); break; }
    case 2: nix_file_root(f); { unsigned l, c; nix_file_linecol(f, len, &l, &c); } break;
    default: break;
    }
    st->tried++;
    size_t nl;
    char *nt = patched(f, v, n, &nl);
    struct nix_file *g = parse(nt, nl, &dg);
    struct nix_change ch;
    memset(&ch, 0xa5, sizeof ch);
    /* the values before the edit (when the tree is built already) */
    const struct nix_value **olds = NULL;
    size_t nolds = 0, capolds = 0;
    if (f->tree_built) {
        collect(nix_file_root(f), &olds, &nolds, &capolds);
        qsort(olds, nolds, sizeof *olds, ptr_cmp);
    }
    int r;
    if (forms) {
        struct nix_local l;
        r = nix_local_check_forms(f, v, n, &l, forms);
        if (r == 1)
            r = nix_local_apply(f, &l, &ch);
        nix_local_free(&l);
    } else {
        r = nix_file_patch_local(f, v, n, &ch);
    }
    assert_true(r == 0 || r == 1);
    if (dg) {
        st->refused_diag++;
        assert_int_equal(r, 0);
    }
    if (r == 1) {
        st->local++;
        expect_same(f, g, "applied in place");
        assert_int_equal(ch.start, v[0].start);
        assert_int_equal(ch.old_end, v[n - 1].end);
        assert_int_equal(ch.new_end - ch.old_end + len, nl);
        assert_non_null(ch.changed);
        if (ch.attrs_only) {
            st->attrs++;
            assert_int_equal(ch.changed->kind, NIX_ATTRS);
            /* the set's other attributes are the values they were, outside the change */
            for (size_t i = 0; olds && i < ch.changed->nchildren; i++) {
                const struct nix_value *x = ch.changed->children[i];
                bool kept = bsearch(&x, olds, nolds, sizeof *olds, ptr_cmp) != NULL;
                bool inside = nix_key_start(x) >= ch.start && nix_key_start(x) < ch.new_end;
                assert_true(!kept || !inside);
            }
        }
        expect_ends(orig, g, &ch);
        /* a position after the change moves as nix_change_offset/linecol say */
        if (ch.old_end < len) {
            size_t o = ch.old_end + (len - ch.old_end) / 2;
            unsigned l1, c1, l2, c2;
            nix_file_linecol(orig, o, &l1, &c1);
            nix_file_linecol(g, nix_change_offset(&ch, o), &l2, &c2);
            nix_change_linecol(&ch, &l1, &c1);
            assert_int_equal(l1, l2);
            assert_int_equal(c1, c2);
        }
    } else {
        expect_untouched(f, orig);
    }
    free(olds);
    nix_file_free(f);
    nix_file_free(g);
    free(nt);
    return r;
}

static const char *const repl[] = {
    "\"x\"", "42", "{ a = 1; }", "[ 1 2 ]", "f x", "''\n  ind ${x}\n''", "\"${y} z\"",
    "{ a = 1; a = 2; }", "{", "}", "\"unterminated", "/* c */ 1 # end\n", "]", "1; b = 2",
    "x: x", "let q = 1; in q", "rec { a = 1; }", "{ inherit a; a = 2; }", "/* open",
    "\"\\${\"", "''''$ x '''' ''", "{ a.b = 1; a.c = 2; }", "{ a.b = 1; a = { b = 2; }; }",
    "{ ${x} = 1; }", "[ ]", "true", "null", "./p", "<nixpkgs>", "1.5", "99999999999999999999",
    "((((1))))", "{ a = { b = { c = 1; }; }; }", "a.b or c", "-1", "! x", "x // { y = 1; }",
    "http://x.y/z", "\"a\" + \"b\"", "a/", "a/${b}", "~/x", "if a then b else c",
    "assert a; 1", "with x; [ y ]", "\"\\n\\t\"", "{ \"a b\" = 1; }", "''\n''", "\r\n1", "",
    " ", ";", "= 1", "/**/", "#\n1", "{ or = 1; }", "or", "1 1", "{ a = 1; } { }",
    "{ a = 1; }.a", "\"${\"", "''${", "${x}", "a: { b = a; }", "{ a, b ? 1, ... }: a",
    "[ \"t\" \"u\" ]", "\"é\"", "1e400", "{ a.b = 1; a.b.c = 2; }", "{ inherit (x) a b; }",
    "let a = 1; a = 2; in a", "{ x = 1; \"x\" = 2; }", "[ (x: x) ]", "\"\\\"\"",
};
#define NREPL (sizeof repl / sizeof *repl)

static void collect(const struct nix_value *v, const struct nix_value ***out, size_t *n,
                    size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *out = realloc(*out, *cap * sizeof **out);
        assert_non_null(*out);
    }
    (*out)[(*n)++] = v;
    for (size_t i = 0; i < v->nchildren; i++)
        collect(v->children[i], out, n, cap);
}

static void one(const char *text, size_t len, struct nix_file *orig, size_t s, size_t e,
                const char *t, struct stats *st)
{
    struct nix_patch p = {s, e, (char *)t};
    try_patches(text, len, orig, &p, 1, st);
}

/* Whole bindings inserted into and deleted from the set literals of a file, by every
 * form (nix_file_patch_local) and by the set form alone; `every`: every k-th set only. */
static const char *const ins[] = {
    " zz = 1;", "\n  # a comment\n  zz = { q = [ 1 ]; };\n\n", " zz.y = 1; /* c */",
    " zz = 1; zy = 2;", " zz = 1; zz = 2;", " zz = 1; zz.y = 2;", " zz.a = 1; zz.b = 2;",
    " zz = 1; # c", " inherit zz;", " ${x} = 1;", "\r\n  \"z z\" = ''\n    s\n  '';",
    " zz = let a = 1; in a;", " zz = rec { a = 1; };", " zz = x: x;", "zz=1;", " ", "",
    " # c\n", " zz = 1; }", " zz = 1", " zz = \"${", " zz = {", "/* c */",
};
#define NINS (sizeof ins / sizeof *ins)

static void one(const char *text, size_t len, struct nix_file *orig, size_t s, size_t e,
                const char *t, struct stats *st);

static void both_forms(const char *text, size_t len, struct nix_file *orig, struct nix_patch *v,
                       size_t n, struct stats *st)
{
    forms = 0;
    try_patches(text, len, orig, v, n, st);
    forms = NIX_LOCAL_ATTRS;
    try_patches(text, len, orig, v, n, st);
    forms = 0;
}

static void both(const char *text, size_t len, struct nix_file *orig, size_t s, size_t e,
                 const char *t, struct stats *st)
{
    struct nix_patch p = {s, e, (char *)t};
    both_forms(text, len, orig, &p, 1, st);
}

/* [s, e) widened to its whole lines when nothing else is on them */
static void line_of(const char *text, size_t len, size_t *s, size_t *e)
{
    size_t a = *s, b = *e;
    while (a > 0 && (text[a - 1] == ' ' || text[a - 1] == '\t'))
        a--;
    while (b < len && (text[b] == ' ' || text[b] == '\t' || text[b] == '\r'))
        b++;
    if ((a == 0 || text[a - 1] == '\n') && b < len && text[b] == '\n') {
        *s = a;
        *e = b + 1;
    }
}

static void attrs_file(const char *text, size_t len, size_t every, struct stats *st)
{
    bool d;
    struct nix_file *orig = parse(text, len, &d);
    nix_file_root(orig);
    size_t nsets = 0;
    for (uint32_t i = 0; i < orig->nnodes; i++) {
        const struct nix_node *sn = &orig->nodes[i];
        if (sn->kind != N_ATTRSET || sn->tok_end < sn->tok_start + 2 || nsets++ % every)
            continue;
        /* the places between items: after '{', after each item */
        size_t at[256], nat = 0;
        uint32_t items[256];
        size_t nitems = 0;
        uint32_t lb = sn->tok_start;
        while (lb < sn->tok_end && orig->toks[lb].kind != T_LBRACE)
            lb++;
        if (lb >= sn->tok_end)
            continue;
        at[nat++] = orig->toks[lb + 1].start;
        for (uint32_t c = sn->first_child; c != NIX_NONE && nitems < 255;
             c = orig->nodes[c].next_sibling) {
            items[nitems++] = c;
            at[nat++] = nix_node_end(orig, c);
        }
        size_t picks[3] = {0, nat / 2, nat - 1};
        for (size_t p = 0; p < 3; p++) {
            if (p && picks[p] == picks[p - 1])
                continue;
            size_t a = at[picks[p]];
            for (size_t k = 0; k < NINS; k++)
                both(text, len, orig, a, a, ins[(k + i) % NINS], st);
            if (nitems) { /* an existing name again, alone and dotted */
                uint32_t ap = orig->nodes[items[0]].first_child;
                if (orig->nodes[items[0]].kind == N_BINDING && ap != NIX_NONE) {
                    struct buf b = {0};
                    size_t ks = nix_node_start(orig, orig->nodes[ap].first_child),
                           ke = nix_node_end(orig, orig->nodes[ap].first_child);
                    buf_printf(&b, " %.*s = 1;", (int)(ke - ks), text + ks);
                    both(text, len, orig, a, a, b.p, st);
                    buf_reset(&b);
                    buf_printf(&b, " %.*s.zz = 1;", (int)(ke - ks), text + ks);
                    both(text, len, orig, a, a, b.p, st);
                    buf_free(&b);
                }
            }
        }
        /* every item deleted (alone, with its line, two at once, one replaced by another
         * binding) */
        for (size_t j = 0; j < nitems; j++) {
            size_t s = nix_node_start(orig, items[j]), e = nix_node_end(orig, items[j]);
            both(text, len, orig, s, e, "", st);
            size_t ls = s, le = e;
            line_of(text, len, &ls, &le);
            if (ls != s || le != e)
                both(text, len, orig, ls, le, "", st);
            both(text, len, orig, s, e, "zz = [ ];", st);
            if (j + 1 < nitems) {
                size_t s2 = nix_node_start(orig, items[j + 1]), e2 = nix_node_end(orig, items[j + 1]);
                both(text, len, orig, s, e2, "", st);
                struct nix_patch two[2] = {{s, e, ""}, {s2, e2, "zz = 2;"}};
                both_forms(text, len, orig, two, 2, st);
                struct nix_patch ins2[2] = {{e, e, " zx = 1;"}, {e2, e2, " zy = 2;"}};
                both_forms(text, len, orig, ins2, 2, st);
            }
        }
    }
    nix_file_free(orig);
}

/* Many patches on the values of one file; `every`: try every k-th value only. */
static void patch_file(const char *text, size_t len, size_t every, size_t nrepl,
                       struct stats *st)
{
    bool d;
    struct nix_file *orig = parse(text, len, &d);
    const struct nix_value *root = nix_file_root(orig);
    assert_non_null(root);
    const struct nix_value **vals = NULL;
    size_t nv = 0, cap = 0;
    collect(root, &vals, &nv, &cap);
    for (size_t i = 1; i < nv; i += every) {
        const struct nix_value *v = vals[i];
        size_t s = nix_val_start(v), e = nix_val_end(v), w = nix_wrap_start(v);
        if (v->implicit)
            continue;
        for (size_t k = 0; k < nrepl; k++)
            one(text, len, orig, w, e, repl[(i * 7 + k) % NREPL], st);
        one(text, len, orig, w, w, "/* c */ ", st);
        one(text, len, orig, e, e, " # c\n", st);
        one(text, len, orig, e, e, " /* open", st);
        if (v->kind == NIX_LIST && e > s + 1) {
            one(text, len, orig, e - 1, e - 1, "\"new\" ", st);
            one(text, len, orig, s + 1, s + 1, " \"first\"", st);
            if (v->nchildren) {
                const struct nix_value *c0 = v->children[0];
                one(text, len, orig, nix_val_start(c0), nix_val_end(c0), "", st);
                one(text, len, orig, nix_wrap_start(c0), nix_val_end(c0), "(x: x)", st);
            }
            if (v->nchildren >= 2) {
                const struct nix_value *c0 = v->children[0], *cl = v->children[v->nchildren - 1];
                struct nix_patch two[2] = {{nix_val_start(c0), nix_val_end(c0), "\"A\""},
                                           {nix_val_start(cl), nix_val_end(cl), "{ b = 2; }"}};
                try_patches(text, len, orig, two, 2, st);
            }
        }
        if (v->kind == NIX_ATTRS && e > s + 1 && text[s] == '{') {
            one(text, len, orig, s + 1, s + 1, " zz = 1;", st);
            one(text, len, orig, s + 1, s + 1, " x.y.z = { q = [ ]; };", st);
            one(text, len, orig, s + 1, s + 1, " inherit zz;", st);
            one(text, len, orig, e - 1, e - 1, "zz = { }; ", st);
            if (v->nchildren && v->children[0]->name) {
                char *dup = NULL;
                char *q = nix_quote_key(v->children[0]->name);
                assert_true(asprintf(&dup, " %s = 2;", q) > 0);
                one(text, len, orig, s + 1, s + 1, dup, st); /* a duplicate */
                free(dup);
                assert_true(asprintf(&dup, " %s.zz = 2;", q) > 0);
                one(text, len, orig, s + 1, s + 1, dup, st); /* merges or duplicates */
                free(dup);
                free(q);
            }
        }
        /* random bytes at a random place of the value */
        static const char *const junk[] = {"{", "}", "\"", "''", "${", "[", "]", ";", "(",
                                           "#", "/*", "*/", "\n", " ", "=", "a", "1", "\\",
                                           "$", "'", ".", "/", "~", "<", ">"};
        for (int k = 0; k < 2; k++) {
            size_t at = s + (e > s ? rnd() % (e - s + 1) : 0);
            one(text, len, orig, at, at, junk[rnd() % (sizeof junk / sizeof *junk)], st);
        }
    }
    free(vals);
    /* the value of every binding of the syntax tree, those the logical tree does not hold
     * too (in a let, in a function's argument, ...) */
    size_t nb = 0;
    for (uint32_t i = 0; i < orig->nnodes; i++) {
        if (orig->nodes[i].kind != N_BINDING || nb++ % every)
            continue;
        uint32_t ap = orig->nodes[i].first_child;
        uint32_t val = ap == NIX_NONE ? NIX_NONE : orig->nodes[ap].next_sibling;
        if (val == NIX_NONE)
            continue;
        size_t s = nix_node_start(orig, val), e = nix_node_end(orig, val);
        for (size_t k = 0; k < 3; k++)
            one(text, len, orig, s, e, repl[(i * 5 + k) % NREPL], st);
        one(text, len, orig, s, s, "/* c */ ", st);
        if (orig->nodes[val].kind == N_ATTRSET && e > s + 1)
            one(text, len, orig, e - 1, e - 1, "zz = 1; ", st);
    }
    nix_file_free(orig);
}

static void test_samples(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/samples", srcdir());
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *de;
    struct stats st = {0}, ast = {0};
    size_t files = 0;
    while ((de = readdir(dp))) {
        size_t l = strlen(de->d_name);
        if (l < 5 || strcmp(de->d_name + l - 4, ".nix"))
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len;
        char *text = read_path(path, &len);
        patch_file(text, len, 1, 12, &st);
        attrs_file(text, len, 1, &ast);
        free(text);
        files++;
    }
    closedir(dp);
    print_message("samples: %zu files, %zu patches, %zu applied in place, %zu refused by "
                  "the full parse\n", files, st.tried, st.local, st.refused_diag);
    assert_true(files >= 8);
    assert_true(st.local * 3 >= st.tried);  /* most value edits are local */
    assert_true(st.refused_diag * 10 >= st.tried);
    print_message("samples, bindings added and deleted: %zu patches, %zu applied in place, "
                  "%zu of them as attributes of a set, %zu refused by the full parse\n",
                  ast.tried, ast.local, ast.attrs, ast.refused_diag);
    assert_true(ast.attrs * 5 >= ast.tried);
}

static void test_fleet(void **state)
{
    (void)state;
    size_t len;
    char *text = gen_fleet(200, &len);
    struct stats st = {0};
    patch_file(text, len, 61, 6, &st);
    print_message("fleet: %zu patches, %zu applied in place, %zu refused by the full parse\n",
                  st.tried, st.local, st.refused_diag);
    assert_true(st.local * 3 >= st.tried);
    struct stats ast = {0};
    attrs_file(text, len, 293, &ast);
    print_message("fleet, bindings added and deleted: %zu patches, %zu applied in place, "
                  "%zu of them as attributes of a set, %zu refused by the full parse\n",
                  ast.tried, ast.local, ast.attrs, ast.refused_diag);
    assert_true(ast.attrs * 5 >= ast.tried);
    free(text);
}

/* The corpus of the parser's differential test: atoms in binding contexts, and cases. */
static void test_corpus(void **state)
{
    (void)state;
    char path[4096];
    struct stats st = {0}, ast = {0};
    size_t inputs = 0;
    snprintf(path, sizeof path, "%s/tests/nix-corpus/atoms.txt", srcdir());
    size_t len;
    char *atoms = read_path(path, &len);
    static const char *const ctx[] = {"{ a = @@; }", "with {}; { a = [ @@ ]; b.c = @@; }",
                                      "rec { x = { y = @@; }; }"};
    for (char *line = atoms, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        struct buf atom = {0};
        for (const char *q = line; *q; q++) {
            if (!strncmp(q, "{NL}", 4)) {
                buf_putc(&atom, '\n');
                q += 3;
            } else {
                buf_putc(&atom, *q);
            }
        }
        for (size_t c = 0; c < sizeof ctx / sizeof *ctx; c++) {
            struct buf in = {0};
            for (const char *q = ctx[c]; *q; q++) {
                if (q[0] == '@' && q[1] == '@') {
                    buf_append(&in, atom.p ? atom.p : "", atom.len);
                    q++;
                } else {
                    buf_putc(&in, *q);
                }
            }
            patch_file(in.p, in.len, 1, 3, &st);
            inputs++;
            buf_free(&in);
        }
        buf_free(&atom);
    }
    free(atoms);
    snprintf(path, sizeof path, "%s/tests/nix-corpus/cases.txt", srcdir());
    char *cases = read_path(path, &len);
    struct buf cur = {0};
    for (char *line = cases, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        if (!strcmp(line, "----") || !next) {
            if (!next && *line) {
                if (cur.len)
                    buf_putc(&cur, '\n');
                buf_puts(&cur, line);
            }
            patch_file(cur.p ? cur.p : "", cur.len, 1, 3, &st);
            attrs_file(cur.p ? cur.p : "", cur.len, 1, &ast);
            inputs++;
            buf_reset(&cur);
            if (!next)
                break;
            continue;
        }
        if (cur.len)
            buf_putc(&cur, '\n');
        buf_puts(&cur, line);
    }
    buf_free(&cur);
    free(cases);
    print_message("corpus: %zu inputs, %zu patches, %zu applied in place, %zu refused by the "
                  "full parse\n", inputs, st.tried, st.local, st.refused_diag);
    assert_true(inputs >= 500);
    assert_true(st.local * 5 >= st.tried);
    print_message("corpus cases, bindings added and deleted: %zu patches, %zu applied in "
                  "place, %zu of them as attributes of a set, %zu refused by the full parse\n",
                  ast.tried, ast.local, ast.attrs, ast.refused_diag);
    assert_true(ast.attrs * 10 >= ast.tried);
}

/* `{ a = ((...({ b = 1; })...)); }`: k parentheses (kind 0, two levels of nesting each) or
 * lists (kind 1, one) around a set. */
static void nested(struct buf *in, int kind, int k)
{
    buf_puts(in, "{ a = ");
    for (int i = 0; i < k; i++)
        buf_puts(in, kind ? "[" : "(");
    buf_puts(in, "{ b = 1; }");
    for (int i = 0; i < k; i++)
        buf_puts(in, kind ? "]" : ")");
    buf_puts(in, "; }");
}

/* Never in place: a file with diagnostics (here a NUL byte, a warning), patches outside
 * any binding's value, or over its '=' or ';'. */
static void test_refusals(void **state)
{
    (void)state;
    struct stats st = {0};
    static const char nul[] = "{ a = 1; }\0junk";
    bool d;
    struct nix_file *o = parse(nul, sizeof nul - 1, &d);
    assert_true(d);
    struct nix_patch p = {6, 7, "2"};
    assert_int_equal(try_patches(nul, sizeof nul - 1, o, &p, 1, &st), 0);
    nix_file_free(o);
    const char *t = "{ a = 1; b = [ 1 ]; }";
    size_t len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch cases[] = {
        {6, 7, "2"},      /* the value: local */
        {4, 7, "= 2"},    /* over '=' */
        {6, 8, "2;"},     /* over ';' */
        {0, 1, "{"},      /* outside */
        {9, 10, "c"},     /* a key */
        {15, 16, "2"},    /* inside b's list: local */
    };
    int want[] = {1, 0, 0, 0, 0, 1};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        assert_int_equal(try_patches(t, len, o, &cases[i], 1, &st), want[i]);
    /* two definitions of one value (a = { } merged with a.y): not local */
    nix_file_free(o);
    t = "{ a = { x = 1; }; a.y = 2; }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch m = {14, 14, " z = 3;"}, x = {12, 13, "3"};
    assert_int_equal(try_patches(t, len, o, &m, 1, &st), 0);
    assert_int_equal(try_patches(t, len, o, &x, 1, &st), 1); /* a.x is defined once */
    nix_file_free(o);
    /* let bindings: outside the logical tree, local when their name is theirs alone */
    t = "let a = 1; in { b = a; }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch lp = {8, 9, "{ x = 2; }"};
    assert_int_equal(try_patches(t, len, o, &lp, 1, &st), 1);
    nix_file_free(o);
    t = "let a.x = 1; a.y = 2; in { b = a; }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch lp2 = {10, 11, "{ z = 2; }"};
    assert_int_equal(try_patches(t, len, o, &lp2, 1, &st), 0); /* a is shared */
    nix_file_free(o);
    /* a set that is the value of a binding outside the tree: its contents merge */
    t = "let a = { x = { p = 1; }; }; in { b = a; }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch lp3 = {14, 24, "{ p = 2; }"};
    assert_int_equal(try_patches(t, len, o, &lp3, 1, &st), 1); /* the let's binding x holds */
    nix_file_free(o);
    /* nesting past the parser's limit in the new value */
    struct buf deep = {0};
    for (int i = 0; i < 1100; i++)
        buf_putc(&deep, '(');
    buf_putc(&deep, '1');
    for (int i = 0; i < 1100; i++)
        buf_putc(&deep, ')');
    t = "{ a = 1; }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch dp = {6, 7, deep.p};
    assert_int_equal(try_patches(t, len, o, &dp, 1, &st), 0);
    nix_file_free(o);
    buf_free(&deep);
    /* near the nesting limit: parentheses (two levels each) and lists (one) around the
     * binding, and more of them in the new value */
    for (int kind = 0; kind < 2; kind++) {
        for (int k = kind ? 1980 : 985; k <= (kind ? 2001 : 1001); k += 3) {
            struct buf in = {0};
            nested(&in, kind, k);
            o = parse(in.p, in.len, &d);
            size_t at = 6 + (size_t)k + 6;
            assert_memory_equal(in.p + at, "1", 1);
            static const char *const vals[] = {"2", "(2)", "((((2))))", "[ [ [ 2 ] ] ]"};
            for (size_t j = 0; j < 4; j++) {
                struct nix_patch np = {at, at + 1, (char *)vals[j]};
                try_patches(in.p, in.len, o, &np, 1, &st);
            }
            nix_file_free(o);
            buf_free(&in);
        }
    }
    /* a comment opened in the value and closed after the binding */
    t = "{ a = 1; b = 2; /* x */ }";
    len = strlen(t);
    o = parse(t, len, &d);
    struct nix_patch cp = {6, 7, "1 /*"};
    assert_int_equal(try_patches(t, len, o, &cp, 1, &st), 0);
    nix_file_free(o);
}

/* The set form on its own: what it applies, what it leaves to a full parse. */
static void test_attrs_form(void **state)
{
    (void)state;
    struct stats st = {0};
    const char *t = "{\n  a = 1;\n  b = { x = 1; };\n  c.d = 2;\n  c.e = 3;\n  inherit f;\n}\n";
    size_t len = strlen(t);
    bool d;
    struct nix_file *o = parse(t, len, &d);
    assert_false(d);
    size_t after_a = 10, after_b = 28, at_c = 31, after_cd = 39, end = 64;
    assert_memory_equal(t + after_a - 1, ";", 1);
    assert_memory_equal(t + after_b - 1, ";", 1);
    assert_memory_equal(t + at_c, "c.d", 3);
    assert_memory_equal(t + end, "}", 1);
    struct {
        size_t s, e;
        const char *text;
        int want; /* by the set form alone */
    } cases[] = {
        {after_a, after_a, " z = 1;", 1},                      /* middle */
        {2, 2, "z = 1;\n  ", 1},                               /* start */
        {end, end, "  z = 1;\n", 1},                           /* end */
        {end, end, "  # new\n\n  z = { y = [ 1 ]; }; /* c */\n", 1},
        {after_a, after_a, " z = 1; y.w = 2; \"q r\" = 3;", 1}, /* several */
        {after_a, after_a, " a = 2;", 0},                      /* a name that exists */
        {after_a, after_a, " b.y = 2;", 0},                    /* merges into b */
        {after_a, after_a, " c = { };", 0},                    /* c exists */
        {after_a, after_a, " f = 1;", 0},                      /* inherited */
        {after_a, after_a, " z.y = 1;", 1},                    /* dotted, new */
        {after_a, after_a, " z.y = 1; z.w = 2;", 0},           /* one name twice */
        {after_a, after_a, " inherit g;", 0},                  /* not a binding */
        {after_a, after_a, " ${x} = 1;", 0},                   /* not a static name */
        {after_a, after_a, " z = 1; # c", 1},                  /* the comment ends there */
        {13, 13, "z = 1; # c", 0},                             /* it swallows b's line */
        {4, after_a, "", 1},                                   /* delete a */
        {2, after_a + 1, "", 1},                               /* a with its line */
        {4, after_b, "", 1},                                   /* a and b */
        {4, after_a, "z = 2;", 1},                             /* a replaced by z */
        {4, after_a, "a = 2;", 1},                             /* a replaced by a */
        {at_c, after_cd, "", 0},                               /* c has another binding */
        {after_cd + 3, end - 1, "", 0},                        /* c.e and inherit f; */
        {45, 55, "", 0},                                       /* both cut */
        {after_a, after_a, "/* c */", 1},                      /* trivia only */
        {8, 9, "2", 0},                                        /* a value: not this form */
        {9, 9, " z = 1;", 0},                                  /* inside a */
    };
    forms = NIX_LOCAL_ATTRS;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct nix_patch p = {cases[i].s, cases[i].e, (char *)cases[i].text};
        size_t before = st.attrs;
        int r = try_patches(t, len, o, &p, 1, &st);
        if (r != cases[i].want)
            fprintf(stderr, "case %zu: %d\n", i, r);
        assert_int_equal(r, cases[i].want);
        assert_int_equal(st.attrs - before, (size_t)r);
    }
    forms = 0;
    nix_file_free(o);
    /* not this form: rec sets, let, a set merged with another definition, a set that is
     * not in the logical tree */
    static const char *const no[] = {"rec { a = 1; }", "let a = 1; in { b = a; }",
                                     "{ a = { x = 1; }; a.y = 2; }",
                                     "{ a = f { x = 1; }; }"};
    static const size_t noat[] = {12, 10, 14, 16};
    forms = NIX_LOCAL_ATTRS;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        o = parse(no[i], strlen(no[i]), &d);
        struct nix_patch p = {noat[i], noat[i], " z = 1;"};
        assert_int_equal(try_patches(no[i], strlen(no[i]), o, &p, 1, &st), 0);
        nix_file_free(o);
    }
    forms = 0;
    /* near the nesting limit: parentheses and lists around the set, more nesting in the
     * new bindings */
    forms = NIX_LOCAL_ATTRS;
    for (int kind = 0; kind < 2; kind++) {
        for (int k = kind ? 1980 : 985; k <= (kind ? 2001 : 1001); k += 4) {
            struct buf in = {0};
            nested(&in, kind, k);
            o = parse(in.p, in.len, &d);
            size_t at = 6 + (size_t)k + 8;
            assert_memory_equal(in.p + at - 1, ";", 1);
            static const char *const vals[] = {" z = 2;", " z = (2);", " z = ((((2))));",
                                               " z = [ [ [ 2 ] ] ];", " z.y.x = { w = 1; };"};
            for (size_t j = 0; j < 5; j++) {
                struct nix_patch np = {at, at, (char *)vals[j]};
                try_patches(in.p, in.len, o, &np, 1, &st);
            }
            nix_file_free(o);
            buf_free(&in);
        }
    }
    forms = 0;
    /* the root set, a set in a list, one behind a let */
    static const char *const yes[] = {"{ a = 1; }", "{ l = [ { a = 1; } ]; }",
                                      "{ s = let q = 1; in { a = q; }; }"};
    static const size_t yesat[] = {8, 16, 28};
    forms = NIX_LOCAL_ATTRS;
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
        o = parse(yes[i], strlen(yes[i]), &d);
        struct nix_patch p = {yesat[i], yesat[i], " z = 1;"};
        assert_int_equal(try_patches(yes[i], strlen(yes[i]), o, &p, 1, &st), 1);
        nix_file_free(o);
    }
    forms = 0;
}

/* A machine added to a fleet's inventory.machines, and deleted: checked by the edit
 * function as whole attributes of that set (the fragment is the new binding, not the
 * set), applied with attrs_only; machines added and deleted anywhere in a long run. */
static void test_machine_add(void **state)
{
    (void)state;
    size_t len;
    char *text = gen_fleet(200, &len);
    bool d;
    struct nix_file *f = parse(text, len, &d);
    const char *const mp[] = {"inventory", "machines"};
    const struct nix_value *machines = nix_value_lookup(nix_file_root(f), mp, 2);
    assert_non_null(machines);
    size_t nm = machines->nchildren;
    const char *path[] = {"inventory", "machines", "brand-new"};
    struct nix_edit ed = {0};
    struct diag dg = {0};
    const char *val = "{ deploy.targetHost = \"root@new\"; tags = [ \"a\" ]; }";
    assert_int_equal(nix_edit_set(f, path, 3, val, &ed, &dg), 0);
    assert_true(ed.local);
    assert_non_null(f->kept);
    assert_true(f->kept->attrs);
    assert_true(f->kept->frag->len < 200);
    assert_true(nix_val_end(machines) - nix_val_start(machines) > 20000);
    size_t nl;
    char *nt = patched(f, ed.v, ed.n, &nl);
    const struct nix_value *first = machines->children[0], *last = machines->children[nm - 1];
    struct nix_change ch;
    assert_int_equal(nix_file_patch_local(f, ed.v, ed.n, &ch), 1);
    assert_true(ch.attrs_only);
    assert_ptr_equal(ch.changed, machines);
    assert_int_equal(machines->nchildren, nm + 1);
    assert_ptr_equal(machines->children[0], first);
    assert_ptr_equal(nix_value_get(machines, last->name), last);
    const struct nix_value *nv = nix_value_lookup(nix_file_root(f), path, 3);
    assert_non_null(nv);
    assert_ptr_equal(nv->parent, machines);
    struct nix_file *g = parse(nt, nl, &d);
    expect_same(f, g, "a machine added");
    nix_file_free(g);
    free(nt);
    nix_edit_free(&ed);
    /* and deleted again */
    assert_int_equal(nix_edit_delete(f, path, 3, &ed, &dg), 0);
    assert_true(ed.local && f->kept && f->kept->attrs);
    nt = patched(f, ed.v, ed.n, &nl);
    assert_int_equal(nix_file_patch_local(f, ed.v, ed.n, &ch), 1);
    assert_true(ch.attrs_only);
    assert_int_equal(machines->nchildren, nm);
    assert_null(nix_value_lookup(nix_file_root(f), path, 3));
    g = parse(nt, nl, &d);
    expect_same(f, g, "a machine deleted");
    nix_file_free(g);
    free(nt);
    nix_edit_free(&ed);

    /* a long run: machines added (by the edit function, and as raw bindings between any
     * two machines), deleted (any of them), tags edited; a fresh parse after every edit */
    size_t total = 0, local = 0, attrs = 0;
    for (int step = 0; step < 240; step++) {
        machines = nix_value_lookup(nix_file_root(f), mp, 2);
        assert_non_null(machines);
        size_t n = machines->nchildren;
        const struct nix_value *m = machines->children[rnd() % n];
        char name[64];
        snprintf(name, sizeof name, "m-%d", step);
        const char *np[] = {"inventory", "machines", name};
        const char *dp[] = {"inventory", "machines", m->name};
        const char *tp[] = {"inventory", "machines", m->name, "tags"};
        struct nix_patch raw[2];
        size_t nraw = 0;
        char buf[128];
        int r = 0;
        bool use_edit = true;
        switch (step % 5) {
        case 0: r = nix_edit_set(f, np, 3, "{ tags = [ \"x\" ]; }", &ed, &dg); break;
        case 1: r = nix_edit_delete(f, dp, 3, &ed, &dg); break;
        case 2: r = nix_edit_list_append(f, tp, 3 + 1, "\"t\"", &ed, &dg); break;
        case 3: { /* a raw binding after machine m, and another after the next one */
            const struct nix_ivalue *mi = (const struct nix_ivalue *)m;
            size_t e = nix_node_end(f, mi->defs[0].node);
            snprintf(buf, sizeof buf, "\n    %s = { tags = [ ]; };", name);
            raw[nraw++] = (struct nix_patch){e, e, buf};
            use_edit = false;
            break;
        }
        default: { /* two machines deleted at once, with their lines */
            size_t i = rnd() % n;
            if (i + 1 >= n)
                i = n - 2;
            for (size_t j = 0; j < 2; j++) {
                const struct nix_ivalue *mi = (const struct nix_ivalue *)machines->children[i + j];
                size_t s = nix_node_start(f, mi->defs[0].node), e = nix_node_end(f, mi->defs[0].node);
                line_of(f->text, f->len, &s, &e);
                raw[nraw++] = (struct nix_patch){s, e, ""};
            }
            if (raw[1].start < raw[0].end)
                nraw = 1;
            use_edit = false;
            break;
        }
        }
        assert_int_equal(r, 0);
        const struct nix_patch *pv = use_edit ? ed.v : raw;
        size_t pn = use_edit ? ed.n : nraw;
        total++;
        nt = patched(f, pv, pn, &nl);
        r = nix_file_patch_local(f, pv, pn, &ch);
        assert_true(r == 0 || r == 1);
        if (use_edit)
            assert_true(ed.local == (r == 1));
        if (r == 1) {
            local++;
            attrs += ch.attrs_only;
            if (step % 5 != 2)
                assert_true(ch.attrs_only);
        } else {
            nix_file_free(f);
            f = parse(nt, nl, &d);
        }
        g = parse(nt, nl, &d);
        assert_false(d);
        expect_same(f, g, "machines added and deleted in a row");
        nix_file_free(g);
        free(nt);
        if (use_edit)
            nix_edit_free(&ed);
        diag_clear(&dg);
    }
    print_message("machines added and deleted: %zu edits, %zu in place, %zu as attributes of "
                  "inventory.machines\n", total, local, attrs);
    assert_int_equal(local, total);
    nix_file_free(f);
    free(text);
}

/* The edit functions: a tag appended to a machine's tags in the fleet is checked locally
 * and applied in place; many edits in a row (the old nodes and values stay behind as
 * garbage) still give what a full parse gives. */
static void test_edits_in_a_row(void **state)
{
    (void)state;
    size_t len;
    char *text = gen_fleet(200, &len);
    bool d;
    struct nix_file *f = parse(text, len, &d);
    assert_false(d);
    const struct nix_value *machines =
        nix_value_lookup(nix_file_root(f), (const char *[]){"inventory", "machines"}, 2);
    assert_non_null(machines);
    assert_true(machines->nchildren >= 200);
    size_t nmach = machines->nchildren, local = 0, total = 0;
    char **names = calloc(nmach, sizeof *names);
    for (size_t i = 0; i < nmach; i++)
        names[i] = strdup(machines->children[i]->name);
    {
        /* two edits checked, the first applied: the second's kept check must not be used
         * for it, and is dropped once the file changed */
        const char *pa[] = {"inventory", "machines", names[0], "tags"};
        const char *pb[] = {"inventory", "machines", names[1], "deploy", "targetHost"};
        struct nix_edit ea = {0}, eb = {0};
        struct diag dg = {0};
        assert_int_equal(nix_edit_list_append(f, pa, 4, "\"first\"", &ea, &dg), 0);
        assert_int_equal(nix_edit_set(f, pb, 5, "\"root@b\"", &eb, &dg), 0);
        assert_true(ea.local && eb.local);
        size_t nl;
        char *nt = patched(f, ea.v, ea.n, &nl);
        struct nix_change ch;
        assert_int_equal(nix_file_patch_local(f, ea.v, ea.n, &ch), 1);
        struct nix_file *g = parse(nt, nl, &d);
        expect_same(f, g, "the first of two checked edits");
        assert_null(f->kept);
        nix_file_free(g);
        free(nt);
        nix_edit_free(&ea);
        nix_edit_free(&eb);
    }
    for (int step = 0; step < 300; step++) {
        const char *m = names[rnd() % nmach];
        const char *path[] = {"inventory", "machines", m, "tags"};
        const char *path2[] = {"inventory", "machines", m, "deploy", "targetHost"};
        struct nix_edit ed = {0};
        struct diag dg = {0};
        char tag[64], host[64];
        snprintf(tag, sizeof tag, "\"tag-%d\"", step);
        snprintf(host, sizeof host, "\"root@h%d\"", step);
        char newm[64], prevm[64];
        snprintf(newm, sizeof newm, "new-%d", step);
        snprintf(prevm, sizeof prevm, "new-%d", step - 1);
        const char *path3[] = {"inventory", "machines", newm};
        const char *path4[] = {"inventory", "machines", prevm, "tags"};
        int r;
        switch (step % 6) {
        case 0: case 1: r = nix_edit_list_append(f, path, 4, tag, &ed, &dg); break;
        case 2: r = nix_edit_set(f, path2, 5, host, &ed, &dg); break;
        case 3: r = nix_edit_list_insert(f, path, 4, 0, tag, &ed, &dg); break;
        case 4: r = nix_edit_set(f, path3, 3, "{ tags = [ \"a\" ]; }", &ed, &dg); break;
        default: r = nix_edit_delete(f, path4, 4, &ed, &dg); break; /* the one just added */
        }
        assert_int_equal(r, 0);
        total++;
        size_t nl;
        char *nt = patched(f, ed.v, ed.n, &nl);
        struct nix_change ch;
        r = nix_file_patch_local(f, ed.v, ed.n, &ch);
        assert_true(r == 0 || r == 1);
        assert_true(ed.local == (r == 1));
        if (r == 1) {
            local++;
            assert_null(ed.result);
            /* the edit's path reads back in the updated tree */
            const struct nix_value *root = nix_file_root(f);
            switch (step % 6) {
            case 2: assert_non_null(nix_value_lookup(root, path2, 5)); break;
            case 4: assert_non_null(nix_value_lookup(root, path3, 3)); break;
            case 5: assert_null(nix_value_lookup(root, path4, 4)); break;
            default: assert_non_null(nix_value_lookup(root, path, 4)); break;
            }
        } else {
            nix_file_free(f);
            f = parse(nt, nl, &d);
        }
        if (step % 25 == 24 || step == 299) {
            struct nix_file *g = parse(nt, nl, &d);
            assert_false(d);
            expect_same(f, g, "edits in a row");
            nix_file_free(g);
        }
        free(nt);
        nix_edit_free(&ed);
        diag_clear(&dg);
    }
    print_message("fleet edits: %zu, %zu in place\n", total, local);
    assert_true(local * 10 >= total * 9);
    for (size_t i = 0; i < nmach; i++)
        free(names[i]);
    free(names);
    nix_file_free(f);
    free(text);
}


/* ---- JSON documents: the innermost container read again alone ---- */

static struct nix_file *parse_json(const char *text, size_t len)
{
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    int r = nix_file_from_json("t.json", text, len, &f, &dl);
    diag_list_free(&dl);
    return r < 0 ? NULL : f;
}

static const char *const jrepl[] = {
    "\"x\"", "42", "-1.5e3", "{\"a\": 1}", "[1, 2]", "[]", "{}", "true", "null",
    "\"\\u00e9\\ud83d\\ude00\"", ", \"k\": 3", ", 7", "\n    \"n\": [\n      \"y\"\n    ],",
    "{", "]", "\"unterminated", "1,", "{\"a\": 1, \"a\": 2}", "\"a\": 1", "\t", "",
    "[[[[[[[[[[1]]]]]]]]]]", "\"tag\"", "\r\n",
};

/* Patch a fresh parse of text in place at [s, e) with t; compared with the full parse of the
 * patched text when applied, untouched when not (always when that parse fails). */
static int json_try(const char *text, size_t len, struct nix_file *orig, size_t s, size_t e,
                    const char *t, struct stats *st)
{
    struct nix_file *f = parse_json(text, len);
    assert_non_null(f);
    if (st->tried++ % 2)
        nix_file_root(f); /* the line table built before, or not */
    else {
        unsigned l, c;
        nix_file_linecol(f, len / 2, &l, &c);
    }
    struct nix_patch v = {s, e, (char *)t};
    size_t nl;
    char *nt = patched(f, &v, 1, &nl);
    struct nix_file *g = parse_json(nt, nl);
    struct nix_change ch;
    int r = nix_file_patch_local(f, &v, 1, &ch);
    assert_true(r == 0 || r == 1);
    if (!g)
        assert_int_equal(r, 0);
    if (r == 1) {
        st->local++;
        expect_same(f, g, "JSON applied in place");
        assert_int_equal(ch.new_end - ch.old_end + len, nl);
        assert_true(ch.changed->kind == NIX_ATTRS || ch.changed->kind == NIX_LIST);
        expect_ends(orig, g, &ch);
    } else {
        expect_untouched(f, orig);
    }
    nix_file_free(f);
    nix_file_free(g);
    free(nt);
    return r;
}

static void json_file(const char *text, size_t len, size_t every, struct stats *st)
{
    struct nix_file *orig = parse_json(text, len);
    assert_non_null(orig);
    size_t nr = sizeof jrepl / sizeof *jrepl;
    for (size_t s = 0; s < len; s += 1 + rnd() % every) {
        size_t e = s + (rnd() % 3 ? rnd() % 12 : 0);
        json_try(text, len, orig, s, e > len ? len : e, jrepl[rnd() % nr], st);
    }
    /* every value replaced whole, and an element or member added after each one */
    const struct nix_value **all = NULL;
    size_t n = 0, cap = 0;
    collect(nix_file_root(orig), &all, &n, &cap);
    for (size_t i = 0; i < n; i += 1 + rnd() % every) {
        json_try(text, len, orig, nix_val_start(all[i]), nix_val_end(all[i]), jrepl[rnd() % nr],
                 st);
        const char *add = all[i]->parent && all[i]->parent->kind == NIX_LIST ? ", 5" : ", \"z\": 5";
        json_try(text, len, orig, nix_val_end(all[i]), nix_val_end(all[i]), add, st);
    }
    free(all);
    nix_file_free(orig);
}

static void test_json(void **state)
{
    (void)state;
    static const char *const files[] = {
        "tests/clans/classic/inventory.json", "tests/clans/json-heavy/inventory.json",
        "tests/clans/subdirectory/infra/inventory.json", "samples/clan-dir/inventory.json",
    };
    struct stats st = {0};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", srcdir(), files[i]);
        size_t len;
        char *text = read_path(path, &len);
        json_file(text, len, 3, &st);
        free(text);
    }
    static const char hand[] =
        "{\n  \"a\": [1, 2.5e-3, \"\\u00e9\", {\"b\": [[], {}]}],\r\n  \"c\": {\"d\": null, "
        "\"e\": true},\n\t\"f\": \"\\ud83d\\ude00 x\"\n}";
    json_file(hand, sizeof hand - 1, 1, &st);
    /* a scalar document, and patches outside every container: never local */
    static const char scalar[] = "  \"just a string\"  ";
    json_file(scalar, sizeof scalar - 1, 1, &st);
    fprintf(stderr, "json: %zu patches tried, %zu applied in place\n", st.tried, st.local);
    assert_true(st.local > st.tried / 10);
}

/* The nesting limit counts the levels above the container read again. */
static void test_json_depth(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int i = 0; i < NIX_MAX_DEPTH - 1; i++)
        buf_putc(&b, '[');
    buf_puts(&b, "[1]");
    for (int i = 0; i < NIX_MAX_DEPTH - 1; i++)
        buf_putc(&b, ']');
    struct nix_file *f = parse_json(b.p, b.len);
    assert_non_null(f);
    size_t at = NIX_MAX_DEPTH; /* the 1 in the innermost array */
    struct nix_patch v = {at, at + 1, (char *)"[2]"};
    struct nix_change ch;
    assert_int_equal(nix_file_patch_local(f, &v, 1, &ch), 0);
    v.text = (char *)"2, 3";
    assert_int_equal(nix_file_patch_local(f, &v, 1, &ch), 1);
    size_t len;
    const char *t = nix_file_text(f, &len);
    assert_int_equal(len, b.len + 3);
    assert_memory_equal(t + at, "2, 3]", 5);
    nix_file_free(f);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_samples),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_fleet),
        cmocka_unit_test(test_edits_in_a_row),
        cmocka_unit_test(test_attrs_form),
        cmocka_unit_test(test_machine_add),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_depth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
