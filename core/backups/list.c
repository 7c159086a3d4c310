/* borgbackup-list's output: a JSON array of objects, each with a "name" string
 * "<dest>::<repo>::<archive>" (jq writes it; other members are skipped); and `borg info
 * --json` of a destination's repository for the archives' times and sizes. Read with
 * core/nix's strict JSON reader. */
#include "core/backups.h"
#include "core/nix.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void backups_archives_free(struct backups_archive *a, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(a[i].name);
        free(a[i].destination);
        free(a[i].repo);
        free(a[i].archive);
        free(a[i].time);
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

/* TEXT as JSON; what is wrong with it names WHAT ("borgbackup-list's output"). */
static int read_json(const char *name, const char *what, const char *text, size_t len,
                     struct nix_file **f, struct diag *d)
{
    struct diag_list dl = {0};
    int r = nix_file_from_json(name, text, len, f, &dl);
    if (r < 0) {
        if (dl.n)
            diag_set(d, DIAG_ERROR, dl.v[0].file, dl.v[0].line, dl.v[0].col, "%s (%s)",
                     dl.v[0].msg, what);
        else if (r != -ENOMEM)
            diag_set(d, DIAG_ERROR, name, 0, 0, "cannot read %s", what);
    }
    diag_list_free(&dl);
    return r;
}

int backups_list_parse(const char *name, const char *text, size_t len,
                       struct backups_archive **out, size_t *n, struct diag *d)
{
    struct nix_file *f = NULL;
    int r = read_json(name, "borgbackup-list's output", text, len, &f, d);
    if (r < 0)
        return r;
    const struct nix_value *root = nix_file_root(f);
    struct backups_archive *v = NULL;
    size_t nv = 0;
    if (root->kind != NIX_LIST) {
        r = diag_set(d, DIAG_ERROR, name, nix_val_line(root), nix_val_col(root),
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
            r = diag_set(d, DIAG_ERROR, name, nix_val_line(a), nix_val_col(a),
                         "expected an archive {\"name\": \"DEST::REPO::ARCHIVE\"} "
                         "(borgbackup-list's output)");
            goto out;
        }
        v[nv].name = strdup(nm->str);
        v[nv].original_size = v[nv].compressed_size = v[nv].deduplicated_size = -1;
        v[nv].nfiles = -1;
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

int backups_info_command(const char *destination, struct buf *out)
{
    if (buf_puts(out, "echo y | borg-job-") < 0 || buf_put_shell_word(out, destination) < 0 ||
        buf_puts(out, " info --json --glob-archives '*'") < 0)
        return -ENOMEM;
    return 0;
}

/* a non-negative integer member of o, or -1 */
static int64_t get_count(const struct nix_value *o, const char *key)
{
    const struct nix_value *v = o ? nix_value_get(o, key) : NULL;
    return v && v->kind == NIX_INT && v->ival >= 0 ? v->ival : -1;
}

int backups_info_parse(const char *name, const char *text, size_t len, const char *destination,
                       struct backups_archive *a, size_t n, struct diag *d)
{
    static const char what[] = "borg info --json's output";
    struct nix_file *f = NULL;
    int r = read_json(name, what, text, len, &f, d);
    if (r < 0)
        return r;
    const struct nix_value *root = nix_file_root(f);
    const struct nix_value *archives =
        root->kind == NIX_ATTRS ? nix_value_get(root, "archives") : NULL;
    if (!archives || archives->kind != NIX_LIST) {
        r = diag_set(d, DIAG_ERROR, name, nix_val_line(root), nix_val_col(root),
                     "expected an object with an \"archives\" array (%s)", what);
        goto out;
    }
    for (size_t i = 0; i < archives->nchildren; i++) {
        const struct nix_value *x = archives->children[i];
        const struct nix_value *nm = x->kind == NIX_ATTRS ? nix_value_get(x, "name") : NULL;
        if (!nm || nm->kind != NIX_STRING) {
            r = diag_set(d, DIAG_ERROR, name, nix_val_line(x), nix_val_col(x),
                         "expected an archive {\"name\": ..., \"start\": ..., \"stats\": "
                         "{...}} (%s)", what);
            goto out;
        }
        const struct nix_value *start = nix_value_get(x, "start");
        const struct nix_value *stats = nix_value_get(x, "stats");
        if (stats && stats->kind != NIX_ATTRS)
            stats = NULL;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(a[k].destination, destination) || strcmp(a[k].archive, nm->str))
                continue;
            if (start && start->kind == NIX_STRING) {
                char *t = strdup(start->str);
                if (!t) {
                    r = -ENOMEM;
                    goto out;
                }
                free(a[k].time);
                a[k].time = t;
            }
            a[k].original_size = get_count(stats, "original_size");
            a[k].compressed_size = get_count(stats, "compressed_size");
            a[k].deduplicated_size = get_count(stats, "deduplicated_size");
            a[k].nfiles = get_count(stats, "nfiles");
        }
    }
    r = 0;
out:
    nix_file_free(f);
    return r;
}

void backups_format_time(const char *t, char *out, size_t size)
{
    /* YYYY-MM-DDTHH:MM:SS, then anything (fraction, zone) */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    bool ok = t != NULL;
    for (size_t i = 0; ok && shape[i]; i++)
        ok = shape[i] == 'd' ? isdigit((unsigned char)t[i]) != 0 : t[i] == shape[i];
    if (!ok) {
        snprintf(out, size, "-");
        return;
    }
    snprintf(out, size, "%.10s %.8s", t, t + 11);
}

void backups_format_size(int64_t bytes, char *out, size_t size)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 0) {
        snprintf(out, size, "-");
        return;
    }
    if (bytes < 1024) {
        snprintf(out, size, "%d B", (int)bytes);
        return;
    }
    double v = (double)bytes;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1024;
        u++;
    }
    if (v >= 999.5 && u + 1 < sizeof unit / sizeof unit[0]) {
        v /= 1024;
        u++;
    }
    snprintf(out, size, v < 9.995 ? "%.2f %s" : v < 99.95 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}
