/* libFuzzer target for core/nix/json.c: every input either parses or is refused with exactly
 * one error; a parse prints back byte for byte, its tree's ranges hold what their kinds say,
 * the Nix edit functions refuse it, and JSON edits are tried at paths taken from the tree:
 * every edit accepted gives text that parses again, as the edit's result, and the same
 * patches applied in place (nix_file_patch_local), when they are, give exactly that parse. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"
#include "core/nix/nix-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Ranges of v and below: '{' '[' '"' or the literal at val_start, the key's quotes. */
static void check_tree(const struct nix_file *f, const struct nix_value *v)
{
    size_t len;
    const char *t = nix_file_text(f, &len);
    /* an explicit stack: trees are up to 1000 levels deep */
    size_t cap = 64, sp = 0;
    const struct nix_value **st = malloc(cap * sizeof *st);
    if (!st)
        return;
    st[sp++] = v;
    while (sp) {
        v = st[--sp];
        if (nix_val_start(v) >= nix_val_end(v) || nix_val_end(v) > len ||
            nix_wrap_start(v) != nix_val_start(v))
            abort();
        char c = t[nix_val_start(v)], e = t[nix_val_end(v) - 1];
        bool ok = v->kind == NIX_ATTRS ? c == '{' && e == '}'
                  : v->kind == NIX_LIST ? c == '[' && e == ']'
                  : v->kind == NIX_STRING ? c == '"' && e == '"' && v->str
                  : v->kind == NIX_BOOL ? c == 't' || c == 'f'
                  : v->kind == NIX_NULL ? c == 'n'
                  : (c == '-' || (c >= '0' && c <= '9'));
        if (!ok)
            abort();
        if (v->name && (t[nix_key_start(v)] != '"' || t[nix_key_end(v) - 1] != '"'))
            abort();
        for (size_t i = 0; i < v->nchildren; i++) {
            if (v->children[i]->parent != v)
                abort();
            if (v->kind == NIX_ATTRS && nix_value_get(v, v->children[i]->name) != v->children[i])
                abort();
            if (sp == cap) {
                const struct nix_value **ns = realloc(st, 2 * cap * sizeof *ns);
                if (!ns)
                    break;
                st = ns;
                cap *= 2;
            }
            st[sp++] = v->children[i];
        }
    }
    free(st);
}

/* An accepted edit: its patched text parses again and is its result. */
static void must_reparse(struct nix_file *f, struct nix_edit *e)
{
    char *out;
    size_t len;
    if (nix_edit_apply(f, e, &out, &len) < 0 || !e->result)
        abort();
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    if (nix_file_from_json("edited", out, len, &g, &dl) < 0) {
        fprintf(stderr, "edit produced invalid JSON:\n%s\n", out);
        abort();
    }
    size_t rl;
    const char *rt = nix_file_text(e->result, &rl);
    if (rl != len || memcmp(rt, out, len))
        abort();
    check_tree(g, nix_file_root(g));
    nix_file_free(g);
    diag_list_free(&dl);
    /* in place, on a copy of f (whose tree may be built or not) */
    size_t fl;
    const char *ft = nix_file_text(f, &fl);
    struct nix_file *h = NULL;
    if (nix_file_from_json("fuzz.json", ft, fl, &h, &dl) < 0)
        abort();
    if (len & 1)
        nix_file_root(h);
    struct nix_change ch;
    int r = nix_file_patch_local(h, e->v, e->n, &ch);
    if (r < 0)
        abort();
    struct buf why = {0};
    if (r == 1 && nix_file_compare(h, e->result, &why) != 0) {
        fprintf(stderr, "in place: %s\n", why.p ? why.p : "?");
        abort();
    }
    if (r == 1 && (ch.new_end - ch.old_end + fl != len || !ch.changed))
        abort();
    buf_free(&why);
    nix_file_free(h);
    free(out);
    nix_edit_free(e);
}

static void try_edits(struct nix_file *f, const char *const *path, size_t n, const char *val)
{
    static const char *const values[] = {"1", "\"s\\u00e9\"", "{\"a\": [1, {}]}", "[]", "null"};
    struct nix_edit e = {0};
    struct diag d = {0};
    const char *vals[6] = {values[0], values[1], values[2], values[3], values[4], val};
    for (size_t i = 0; i < 6; i++) {
        if (!vals[i])
            continue;
        if (json_edit_set(f, path, n, vals[i], &e, &d) == 0)
            must_reparse(f, &e);
        if (json_edit_list_append(f, path, n, vals[i], &e, &d) == 0)
            must_reparse(f, &e);
        if (json_edit_list_remove(f, path, n, vals[i], &e, &d) == 0)
            must_reparse(f, &e);
        if (json_edit_list_replace(f, path, n, 0, vals[i], &e, &d) == 0)
            must_reparse(f, &e);
    }
    if (json_edit_delete(f, path, n, &e, &d) == 0)
        must_reparse(f, &e);
    /* a member that does not exist yet, below the path */
    const char *deeper[8];
    if (n < 6) {
        memcpy(deeper, path, n * sizeof *path);
        deeper[n] = "new";
        deeper[n + 1] = "k";
        if (json_edit_set(f, deeper, n + 2, "[1]", &e, &d) == 0)
            must_reparse(f, &e);
    }
    diag_clear(&d);
}

/* A JSON file as the Nix functions see it: printed back byte for byte, listed, refused by
 * the Nix edits; a patch before its value is never applied in place. */
static void check_as_nix(struct nix_file *f, const uint8_t *data, size_t size)
{
    if (!nix_file_is_json(f) || nix_file_has_errors(f) || nix_file_has_diags(f))
        abort();
    struct buf out = {0};
    bool same = nix_file_print(f, &out) == 0 && out.len == size &&
                (!size || !memcmp(out.p, data, size));
    buf_reset(&out);
    if (!same || (size < 4096 && nix_file_dump_tree(f, &out) < 0))
        abort();
    buf_free(&out);
    struct nix_edit e = {0};
    struct diag d = {0};
    const char *p0[] = {"a"};
    if (nix_edit_set(f, p0, 1, "1", &e, &d) == 0 || nix_edit_list_append(f, p0, 1, "1", &e, &d) == 0 ||
        nix_edit_delete(f, p0, 1, &e, &d) == 0)
        abort();
    diag_clear(&d);
    struct nix_patch pt = {0, 0, (char *)" "};
    struct nix_change ch;
    if (nix_file_patch_local(f, &pt, 1, &ch) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    int r = size <= 65536 ? nix_file_from_json("fuzz.json", (const char *)data, size, &f, &dl)
                          : -EFBIG;
    /* refused with exactly one error, or accepted with none */
    if (r < 0 ? size <= 65536 && dl.n != 1 : dl.n != 0)
        abort();
    diag_list_free(&dl);
    if (r < 0)
        return 0;
    check_as_nix(f, data, size);
    const struct nix_value *root = nix_file_root(f);
    check_tree(f, root);

    /* edits at the root, and along the first, last and middle members down the tree */
    try_edits(f, NULL, 0, NULL);
    for (int pick = 0; pick < 3; pick++) {
        const char *path[6];
        size_t n = 0;
        const struct nix_value *v = root;
        while (n < 6 && v->kind == NIX_ATTRS && v->nchildren) {
            size_t i = pick == 0 ? 0 : pick == 1 ? v->nchildren - 1 : v->nchildren / 2;
            v = v->children[i];
            path[n++] = v->name;
            /* an element of the value as the value to remove, replace or set */
            const char *val = NULL;
            char *own = NULL;
            if (v->kind == NIX_LIST && v->nchildren) {
                const struct nix_value *el = v->children[v->nchildren / 2];
                own = strndup(nix_file_text(f, NULL) + nix_val_start(el),
                              nix_val_end(el) - nix_val_start(el));
                val = own;
            }
            try_edits(f, path, n, val);
            free(own);
        }
    }
    nix_file_free(f);
    return 0;
}
