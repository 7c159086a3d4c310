/* borgbackup-list's output: a JSON array of objects, each with a "name" string
 * "<dest>::<repo>::<archive>" (jq writes it; other members are skipped). Read with core/nix's
 * strict JSON reader. */
#include "core/backups.h"
#include "core/nix.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void backups_archives_free(struct backups_archive *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].destination);
        free(a[i].repo);
        free(a[i].archive);
    }
    free(a);
}

/* dest::repo::archive, split as borgbackup-restore splits NAME (the job before the first
 * "::"; borg then reads repo::archive, the repo ending at the next "::"). */
static int split_name(struct backups_archive *a)
{
    const char *s = a->name;
    const char *c1 = strstr(s, "::");
    const char *c2 = c1 ? strstr(c1 + 2, "::") : NULL;
    a->destination = c1 ? strndup(s, (size_t)(c1 - s)) : strdup(s);
    a->repo = c2 ? strndup(c1 + 2, (size_t)(c2 - c1 - 2)) : strdup(c1 ? c1 + 2 : "");
    a->archive = strdup(c2 ? c2 + 2 : "");
    return a->destination && a->repo && a->archive ? 0 : -ENOMEM;
}

int backups_list_parse(const char *name, const char *text, size_t len,
                       struct backups_archive **out, size_t *n, struct diag *d)
{
    struct nix_file *f = NULL;
    struct diag_list dl = {0};
    int r = nix_file_from_json(name, text, len, &f, &dl);
    if (r < 0) {
        if (dl.n)
            diag_set(d, DIAG_ERROR, dl.v[0].file, dl.v[0].line, dl.v[0].col,
                     "%s (borgbackup-list's output)", dl.v[0].msg);
        else if (r != -ENOMEM)
            diag_set(d, DIAG_ERROR, name, 0, 0, "cannot read borgbackup-list's output");
        diag_list_free(&dl);
        return r;
    }
    diag_list_free(&dl);
    const struct nix_value *root = nix_file_root(f);
    struct backups_archive *v = NULL;
    size_t nv = 0;
    if (root->kind != NIX_LIST) {
        r = diag_set(d, DIAG_ERROR, name, root->val_line, root->val_col,
                     "expected a JSON array of archives (borgbackup-list's output), got %s",
                     nix_kind_name(root->kind));
        goto out;
    }
    if (root->nchildren && !(v = calloc(root->nchildren, sizeof *v))) {
        r = -ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < root->nchildren; i++) {
        const struct nix_value *a = root->children[i];
        const struct nix_value *nm = a->kind == NIX_ATTRS ? nix_value_get(a, "name") : NULL;
        if (!nm || nm->kind != NIX_STRING) {
            r = diag_set(d, DIAG_ERROR, name, a->val_line, a->val_col,
                         "expected an archive {\"name\": \"DEST::REPO::ARCHIVE\"} "
                         "(borgbackup-list's output)");
            goto out;
        }
        v[nv].name = strdup(nm->str);
        nv++;
        if (!v[nv - 1].name || split_name(&v[nv - 1]) < 0) {
            r = -ENOMEM;
            goto out;
        }
    }
    *out = v;
    *n = nv;
    v = NULL;
    nv = 0;
    r = 0;
out:
    backups_archives_free(v, nv);
    nix_file_free(f);
    return r;
}
