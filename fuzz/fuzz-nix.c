/* libFuzzer target for core/nix: every input parses into a tree that prints back byte
 * for byte; on input without errors, the logical tree is built and edits are tried at
 * paths taken from it: every edit that is accepted must give text that parses cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must_parse_clean(struct nix_file *f, const struct nix_edit *e)
{
    char *out;
    size_t len;
    if (nix_edit_apply(f, e, &out, &len) < 0)
        abort();
    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    if (nix_parse("edited", out, len, &g, &dl) < 0 || nix_file_has_errors(g)) {
        fprintf(stderr, "edit produced invalid text:\n%s\n", out);
        abort();
    }
    nix_file_free(g);
    diag_list_free(&dl);
    free(out);
}

/* Try the edits at path (n names). */
static void try_edits(struct nix_file *f, const char **path, size_t n)
{
    static const char *const exprs[] = {"1", "\"a ${b}\"", "{ x = [ ]; }", "f x", "-1",
                                        "x: x", "[ 1 2 ]", "''\n  s\n''"};
    struct nix_edit e = {0};
    struct diag d = {0};
    for (size_t i = 0; i < sizeof exprs / sizeof *exprs; i++) {
        if (nix_edit_set(f, path, n, exprs[i], &e, &d) == 0) {
            must_parse_clean(f, &e);
            nix_edit_free(&e);
        }
        if (nix_edit_list_append(f, path, n, exprs[i], &e, &d) == 0) {
            must_parse_clean(f, &e);
            nix_edit_free(&e);
        }
    }
    if (nix_edit_delete(f, path, n, &e, &d) == 0) {
        must_parse_clean(f, &e);
        nix_edit_free(&e);
    }
    if (nix_edit_list_remove(f, path, n, "1", &e, &d) == 0) {
        must_parse_clean(f, &e);
        nix_edit_free(&e);
    }
    if (nix_edit_list_insert(f, path, n, 0, "0", &e, &d) == 0) {
        must_parse_clean(f, &e);
        nix_edit_free(&e);
    }
    diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    if (nix_parse("fuzz.nix", (const char *)data, size, &f, &dl) < 0) {
        diag_list_free(&dl);
        return 0;
    }
    struct buf b = {0};
    if (nix_file_print(f, &b) < 0 || b.len != size || (size && memcmp(b.p, data, size)))
        abort();
    buf_reset(&b);
    if (nix_file_dump_tree(f, &b) < 0)
        abort();
    buf_free(&b);
    const struct nix_value *root = nix_file_root(f);
    if (!nix_file_has_errors(f) && root && root->kind == NIX_ATTRS) {
        /* a path to the first child, the last grandchild, and a new name */
        const char *path[4];
        size_t n = 0;
        const struct nix_value *v = root;
        while (n < 3 && v->kind == NIX_ATTRS && v->nchildren) {
            v = v->children[(n == 0 ? 0 : v->nchildren - 1)];
            path[n++] = v->name;
            try_edits(f, path, n);
        }
        path[n++] = "fuzzNew";
        try_edits(f, path, n);
    }
    nix_file_free(f);
    diag_list_free(&dl);
    return 0;
}
