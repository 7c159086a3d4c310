/* libFuzzer target for core/nix local edits in place: the input is a file, a 0xff byte, and
 * a patch description (bytes: a value of the file's logical tree, a position in it, a
 * length, flags, then the replacement text; a 0xfe in it starts a second patch; flag 4
 * makes it whole bindings of a set literal instead: the text inserted between two items, or
 * with flag 8 items deleted (replaced by the text); flag 16 tries the set form alone). An input
 * starting with 0xfd uses one of the built-in files instead (the next byte picks it), so
 * that every mutation goes into the patch. The patch is applied in place with
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

static const char *const bases[] = {
    "{ lib, ... }:\n{\n  meta.name = \"X\";\n  inventory.machines = {\n"
    "    a = { deploy.targetHost = \"root@h\"; tags = [ \"t\" \"u\" ]; };\n"
    "    b.tags = [ ];\n    \"c-d\" = { };\n  };\n"
    "  inventory.instances.bb = {\n    module.name = \"borgbackup\";\n"
    "    roles.client.tags.t.settings = { exclude = [ \"*.tmp\" ]; };\n"
    "    roles.client.settings.startAt = lib.mkDefault \"*-*-* 01:00:00\";\n"
    "    roles.server.machines.b.settings = { address = \"10.0.0.1\"; };\n  };\n"
    "  machines.a = { config, ... }: {\n    clan.core.state.db = {\n"
    "      folders = [ \"/var/db\" ];\n      preBackupScript = ''\n        x ${y}\n      '';\n"
    "    };\n  };\n}\n",
    "rec {\n  a = 1; # c\n  b = [ 1 \"s\" ./p { x = /* c */ 2; } (f x) ];\n"
    "  c.d.e = { f = true; g = null; };\n  c.h = 1.5;\n  inherit (lib) i j;\n"
    "  k = let l = 1; in { m = l; };\n  n = with p; [ q ];\n  \"o p\" = ''\n  r\n'';\n"
    "  ${\"s\"} = 1;\n  t = x: { u = x; };\n}\n",
    "let\n  x = { a = 1; };\nin\nclan-core.lib.clan {\n  self = x;\n"
    "  inventory = { machines = { m1 = { tags = [ \"a\" ]; }; }; };\n"
    "  inventory.instances.i.roles.r.machines.m1 = { };\n}\r\n",
};

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
    size_t flen, plen;
    const uint8_t *pd;
    if (size >= 7 && data[0] == 0xfd) {
        const char *b = bases[data[1] % (sizeof bases / sizeof *bases)];
        flen = strlen(b);
        pd = data + 2;
        plen = size - 2;
        data = (const uint8_t *)b;
    } else {
        const uint8_t *sep = memchr(data, 0xff, size);
        if (!sep || size - (size_t)(sep - data) < 6)
            return 0;
        flen = (size_t)(sep - data);
        pd = sep + 1;
        plen = size - flen - 1;
    }
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
    size_t s = (pd[1] | (size_t)pd[2] << 8), e = s + pd[3] % 16;
    if (nv && pd[0] < 0xf0) { /* inside a value (most often a local edit) */
        const struct nix_value *x = vals[pd[0] % nv];
        size_t w = nix_val_end(x) - nix_val_start(x) + 1;
        s = nix_val_start(x) + s % w;
        e = s + pd[3] % (nix_val_end(x) - s + 1);
        if (pd[4] & 1) /* the whole value */
            s = nix_wrap_start(x), e = nix_val_end(x);
    }
    if (pd[4] & 4) { /* whole bindings: between or over the items of a set literal */
        uint32_t sets = 0, set = NIX_NONE;
        for (uint32_t i = 0; i < orig->nnodes; i++)
            if (orig->nodes[i].kind == N_ATTRSET && orig->nodes[i].tok_end > orig->nodes[i].tok_start)
                sets++;
        for (uint32_t i = 0, k = 0; sets && i < orig->nnodes; i++)
            if (orig->nodes[i].kind == N_ATTRSET &&
                orig->nodes[i].tok_end > orig->nodes[i].tok_start && k++ == pd[0] % sets)
                set = i;
        if (set != NIX_NONE) {
            const struct nix_node *sn = &orig->nodes[set];
            uint32_t items[64], lb = sn->tok_start;
            size_t ni = 0;
            for (uint32_t c = sn->first_child; c != NIX_NONE && ni < 64; c = orig->nodes[c].next_sibling)
                items[ni++] = c;
            while (lb + 1 < sn->tok_end && orig->toks[lb].kind != T_LBRACE)
                lb++;
            size_t i = ni ? pd[1] % (ni + 1) : 0;
            if (pd[4] & 8 && ni) { /* items [i, i + k] deleted */
                i %= ni;
                size_t j = i + pd[3] % 3;
                if (j >= ni)
                    j = ni - 1;
                s = nix_node_start(orig, items[i]);
                e = nix_node_end(orig, items[j]);
            } else { /* inserted after '{' or after item i - 1 */
                s = e = i ? nix_node_end(orig, items[i - 1]) : orig->toks[lb + 1].start;
            }
        }
    }
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
    int r;
    if (pd[4] & 16) { /* the set form alone */
        struct nix_local l;
        r = nix_local_check_forms(f, v, n, &l, NIX_LOCAL_ATTRS);
        if (r == 1)
            r = nix_local_apply(f, &l, &ch);
        nix_local_free(&l);
    } else {
        r = nix_file_patch_local(f, v, n, &ch);
    }
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
