/* libFuzzer target for core/nix local edits in place: the input is a file, a 0xff byte, and
 * a patch description (bytes: two 16-bit positions relative to a value of the file's
 * logical tree, then the replacement text). The patch is applied in place with
 * nix_file_patch_local and compared with a parse of the patched text: when applied, the
 * two must be identical (text, trees, logical tree, definitions, line table) and the full
 * parse must report nothing; when not, the file must be as it was. Any mismatch aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"
#include "core/nix/nix-int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void collect(const struct nix_value *v, const struct nix_value **out, size_t *n, size_t max)
{
    if (*n < max)
        out[(*n)++] = v;
    for (size_t i = 0; i < v->nchildren; i++)
        collect(v->children[i], out, n, max);
}

static void check(struct nix_file *a, struct nix_file *b, const char *what)
{
    struct buf why = {0};
    int r = nix_file_compare(a, b, &why);
    if (r < 0)
        abort(); /* out of memory: not expected in a fuzzer */
    if (r) {
        fprintf(stderr, "%s: %s\n", what, why.p);
        abort();
    }
    buf_free(&why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memchr(data, 0xff, size);
    if (!sep || size - (size_t)(sep - data) < 6)
        return 0;
    size_t flen = (size_t)(sep - data);
    const uint8_t *pd = sep + 1;
    size_t plen = size - flen - 1;
    struct diag_list dl = {0};
    struct nix_file *f = NULL, *orig = NULL;
    if (nix_parse("f.nix", (const char *)data, flen, &f, &dl) < 0 ||
        nix_parse("f.nix", (const char *)data, flen, &orig, &dl) < 0)
        abort();
    diag_list_free(&dl);
    /* the patch: around a value chosen by the first byte, or anywhere */
    const struct nix_value *vals[256];
    size_t nv = 0;
    const struct nix_value *root = nix_file_root(orig);
    if (root)
        collect(root, vals, &nv, 256);
    size_t base = 0;
    if (nv && pd[0] < 0xf0)
        base = vals[pd[0] % nv]->wrap_start;
    size_t s = base + (pd[1] | (size_t)pd[2] << 8) % 64;
    size_t e = s + pd[3] % 16;
    if (pd[4] & 1) /* the whole value */
        e = nv ? vals[pd[0] % nv]->val_end : e;
    if (s > flen)
        s = flen;
    if (e > flen)
        e = flen;
    if (e < s)
        e = s;
    char *text = strndup((const char *)pd + 5, plen - 5); /* up to a NUL, as a C string */
    /* a second patch after the first, when the text holds a 0xfe byte */
    struct nix_patch v[2] = {{s, e, text}};
    size_t n = 1;
    char *mark = strchr(text, (char)0xfe);
    if (mark) {
        *mark = 0;
        size_t s2 = e + (unsigned char)mark[1] % 32;
        if (s2 <= flen) {
            v[1] = (struct nix_patch){s2, s2, mark + 1};
            n = 2;
        }
    }
    if (pd[4] & 2)
        nix_file_root(f);
    struct nix_edit ed = {.v = v, .n = n};
    char *nt = NULL;
    size_t ntlen;
    if (nix_edit_apply(f, &ed, &nt, &ntlen) < 0)
        abort();
    struct nix_file *g = NULL;
    if (nix_parse("f.nix", nt, ntlen, &g, &dl) < 0)
        abort();
    bool gdiags = dl.n > 0;
    diag_list_free(&dl);
    struct nix_change ch;
    int r = nix_file_patch_local(f, v, n, &ch);
    if (r < 0)
        abort();
    if (r == 1) {
        if (gdiags) {
            fprintf(stderr, "applied in place, but the full parse reports a diagnostic\n");
            abort();
        }
        check(f, g, "applied in place");
    } else {
        check(f, orig, "not applied");
    }
    free(nt);
    free(text);
    nix_file_free(f);
    nix_file_free(orig);
    nix_file_free(g);
    return 0;
}
