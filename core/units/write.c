/* Write a machine's files under DIR/<machine>/: atomic, unchanged files untouched,
 * or (dry run) a unified diff of what would change. */
#include "core/units.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int dir_of(const char *path, char **out)
{
    const char *slash = strrchr(path, '/');
    *out = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    return *out ? 0 : -ENOMEM;
}

/* batch NULL: dry run. */
static int write_one(const struct units_file *f, const char *full, const char *label,
                     struct file_batch *batch, struct buf *diff, struct units_write_stats *st,
                     struct diag *d)
{
    char *old = NULL;
    size_t oldlen = 0;
    struct file_stamp stamp = {0};
    struct diag rd = {0};
    int r = file_read(full, &old, &oldlen, &stamp, &rd);
    if (r < 0 && r != -ENOENT) {
        diag_move(d, &rd);
        return r;
    }
    diag_clear(&rd);
    bool exists = r == 0;
    mode_t oldmode = 0;
    struct stat sb;
    if (exists && stat(full, &sb) == 0)
        oldmode = sb.st_mode & 07777;
    bool same_content = exists && oldlen == f->len && !memcmp(old, f->content, f->len);
    bool same_mode = exists && oldmode == f->mode;
    if (same_content && same_mode) {
        free(old);
        st->unchanged++;
        return 0;
    }
    st->written++;
    if (!batch) {
        r = 0;
        if (diff && !same_content) {
            struct buf a = {0}, b = {0};
            if (buf_printf(&a, "a/%s", label) < 0 || buf_printf(&b, "b/%s", label) < 0)
                r = -ENOMEM;
            if (r == 0)
                r = diff_unified(exists ? old : "", exists ? oldlen : 0, f->content, f->len,
                                 exists ? a.p : "/dev/null", b.p, 3, diff);
            buf_free(&a);
            buf_free(&b);
        }
        if (r == 0 && diff && !same_mode &&
            buf_printf(diff, "mode %s: %s%04o\n", label, exists ? "" : "new ",
                       (unsigned)f->mode) < 0)
            r = -ENOMEM;
        free(old);
        return r < 0 ? diag_errno(d, -r, NULL, "out of memory") : 0;
    }
    free(old);
    char *dir = NULL;
    if (dir_of(full, &dir) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    r = mkdir_parents(dir, 0755, d);
    free(dir);
    if (r < 0)
        return r;
    if (!same_content)
        return file_batch_add(batch, full, f->content, f->len, f->mode,
                              exists ? &stamp : NULL, d);
    /* the same content with another mode: the mode is part of the output */
    if (chmod(full, f->mode) < 0)
        return diag_errno(d, errno, full, "cannot set mode %04o: %s", (unsigned)f->mode,
                          strerror(errno));
    return 0;
}

static int stage(const struct units_machine *um, const char *root, struct file_batch *batch,
                 struct buf *diff, struct units_write_stats *stats, struct diag *d)
{
    struct units_write_stats st = {0};
    for (size_t i = 0; i < um->nfiles; i++) {
        const struct units_file *f = &um->files[i];
        struct buf full = {0}, label = {0};
        if (buf_printf(&full, "%s/%s/%s", root, um->machine, f->path) < 0 ||
            buf_printf(&label, "%s/%s", um->machine, f->path) < 0) {
            buf_free(&full);
            buf_free(&label);
            return diag_errno(d, ENOMEM, NULL, "out of memory");
        }
        int r = write_one(f, full.p, label.p, batch, diff, &st, d);
        buf_free(&full);
        buf_free(&label);
        if (r < 0)
            return r;
    }
    if (stats) {
        stats->written += st.written;
        stats->unchanged += st.unchanged;
    }
    return 0;
}

int units_stage(const struct units_machine *um, const char *root, struct file_batch *batch,
                struct units_write_stats *stats, struct diag *d)
{
    return stage(um, root, batch, NULL, stats, d);
}

int units_write(const struct units_machine *um, const char *root, bool dry_run,
                struct buf *diff, struct units_write_stats *stats, struct diag *d)
{
    if (dry_run)
        return stage(um, root, NULL, diff, stats, d);
    struct file_batch *b = NULL;
    if (file_batch_new(&b) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct units_write_stats st = {0};
    int r = stage(um, root, b, NULL, &st, d);
    if (r == 0)
        r = file_batch_commit(b, d);
    file_batch_free(b);
    if (r == 0 && stats) {
        stats->written += st.written;
        stats->unchanged += st.unchanged;
    }
    return r;
}

/* ---- stale files ---- */

struct stale_walk {
    const struct units_machine *um;
    struct buf rel; /* current directory relative to the machine root ("" or "a/b/") */
    char **v;
    size_t n;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(struct stale_walk *w, const char *dir, struct diag *d)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        if (errno == ENOENT)
            return 0;
        return diag_errno(d, errno, dir, "cannot read directory: %s", strerror(errno));
    }
    int r = 0;
    struct dirent *e;
    while (r >= 0 && (e = readdir(dh))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        size_t mark = w->rel.len;
        char *full = NULL;
        struct stat st;
        if (buf_puts(&w->rel, e->d_name) < 0 || asprintf(&full, "%s/%s", dir, e->d_name) < 0) {
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
            break;
        }
        if (lstat(full, &st) == 0 && S_ISDIR(st.st_mode)) {
            r = buf_putc(&w->rel, '/') < 0 ? diag_errno(d, ENOMEM, NULL, "out of memory")
                                           : walk(w, full, d);
        } else if (!units_find_file(w->um, w->rel.p)) {
            char **nv = realloc(w->v, (w->n + 1) * sizeof(*nv));
            char *copy = strdup(w->rel.p);
            if (!nv || !copy) {
                free(copy);
                if (nv)
                    w->v = nv;
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            } else {
                w->v = nv;
                w->v[w->n++] = copy;
            }
        }
        free(full);
        w->rel.len = mark;
        if (w->rel.p)
            w->rel.p[mark] = '\0';
    }
    closedir(dh);
    return r;
}

int units_stale(const struct units_machine *um, const char *root, char ***paths, size_t *n,
                struct diag *d)
{
    struct stale_walk w = {.um = um};
    char *dir = NULL;
    if (asprintf(&dir, "%s/%s", root, um->machine) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = buf_puts(&w.rel, "") < 0 ? diag_errno(d, ENOMEM, NULL, "out of memory")
                                     : walk(&w, dir, d);
    free(dir);
    buf_free(&w.rel);
    if (r < 0) {
        units_paths_free(w.v, w.n);
        return r;
    }
    if (w.n)
        qsort(w.v, w.n, sizeof(*w.v), cmp_str);
    *paths = w.v;
    *n = w.n;
    return 0;
}

void units_paths_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}
