/* Write a machine's files under DIR/<machine>/: atomic, unchanged files untouched,
 * or (dry run) a unified diff of what would change. */
#include "core/units.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int dir_of(const char *path, char **out)
{
    const char *slash = strrchr(path, '/');
    *out = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
    return *out ? 0 : -ENOMEM;
}

static int write_one(const struct units_file *f, const char *full, const char *label, bool dry_run,
                     struct buf *diff, struct units_write_stats *st, struct diag *d)
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
    if (dry_run) {
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
    if (!same_content) {
        r = file_write_atomic(full, f->content, f->len, f->mode, exists ? &stamp : NULL, d);
        if (r < 0)
            return r;
    }
    /* file_write_atomic keeps an existing file's mode; ours is part of the output. */
    if (chmod(full, f->mode) < 0)
        return diag_errno(d, errno, full, "cannot set mode %04o: %s", (unsigned)f->mode,
                          strerror(errno));
    return 0;
}

int units_write(const struct units_machine *um, const char *root, bool dry_run,
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
        int r = write_one(f, full.p, label.p, dry_run, diff, &st, d);
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
