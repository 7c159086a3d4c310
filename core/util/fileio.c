#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

uint64_t hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static void stamp_from_stat(struct file_stamp *s, const struct stat *st)
{
    s->exists = true;
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->size = st->st_size;
    s->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

int file_read(const char *path, char **out, size_t *len, struct file_stamp *stamp,
              struct diag *d)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return diag_errno(d, errno, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return diag_errno(d, e, path, "cannot stat: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return diag_errno(d, EISDIR, path, "is a directory, expected a file");
    }
    struct buf b = {0};
    char chunk[65536];
    if (S_ISREG(st.st_mode) && st.st_size > 0 && buf_reserve(&b, (size_t)st.st_size) < 0) {
        close(fd);
        return diag_errno(d, ENOMEM, path, "out of memory reading %lld bytes",
                          (long long)st.st_size);
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            close(fd);
            buf_free(&b);
            return diag_errno(d, e, path, "read failed: %s", strerror(e));
        }
        if (n == 0)
            break;
        if (buf_append(&b, chunk, (size_t)n) < 0) {
            close(fd);
            buf_free(&b);
            return diag_errno(d, ENOMEM, path, "out of memory");
        }
    }
    close(fd);
    size_t l = b.len;
    char *p = buf_steal(&b);
    if (!p)
        return diag_errno(d, ENOMEM, path, "out of memory");
    if (stamp) {
        memset(stamp, 0, sizeof(*stamp));
        stamp_from_stat(stamp, &st);
        stamp->hash = hash_bytes(p, l);
    }
    *out = p;
    if (len)
        *len = l;
    return 0;
}

int file_stamp_check(const char *path, const struct file_stamp *stamp, struct diag *d)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return stamp->exists ? 0 : 1;
        return diag_errno(d, errno, path, "cannot stat: %s", strerror(errno));
    }
    if (!stamp->exists)
        return 0;
    struct file_stamp now = {0};
    stamp_from_stat(&now, &st);
    if (now.dev == stamp->dev && now.ino == stamp->ino && now.size == stamp->size &&
        now.mtime_ns == stamp->mtime_ns)
        return 1;
    if (now.size != stamp->size)
        return 0;
    /* Same size, different identity or time: compare the content itself. */
    char *content = NULL;
    size_t len = 0;
    struct diag tmp = {0};
    if (file_read(path, &content, &len, NULL, &tmp) < 0) {
        diag_move(d, &tmp);
        return -EIO;
    }
    int same = hash_bytes(content, len) == stamp->hash;
    free(content);
    return same;
}

static int fsync_dir_of(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    /* Some file systems refuse fsync on directories; the rename is done either way. */
    return r == -EINVAL ? 0 : r;
}

/* Write data to a new temporary file beside path (DIR/.BASENAME.XXXXXX, so it is on the
 * same file system) with mode; fsync it when sync. *tmp: its name (caller frees). */
static int write_temp(const char *path, const void *data, size_t len, mode_t mode, bool sync,
                      char **tmp_out, struct diag *d)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    char *copy = strdup(path);
    if (!tmp || !copy) {
        free(tmp);
        free(copy);
        return diag_errno(d, ENOMEM, path, "out of memory");
    }
    char *dir = dirname(copy);
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(tmp, plen + 16, "%s/.%s.XXXXXX", dir, base);
    free(copy);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return diag_errno(d, e, path, "cannot create a temporary file beside it: %s",
                          strerror(e));
    }
    const char *p = data;
    size_t left = len;
    int err = 0;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            err = errno;
            break;
        }
        p += n;
        left -= (size_t)n;
    }
    if (!err && fchmod(fd, mode) < 0)
        err = errno;
    if (!err && sync && fsync(fd) < 0)
        err = errno;
    if (close(fd) < 0 && !err)
        err = errno;
    if (err) {
        unlink(tmp);
        free(tmp);
        return diag_errno(d, err, path, "write failed: %s", strerror(err));
    }
    *tmp_out = tmp;
    return 0;
}

static int stale_error(const char *path, struct diag *d)
{
    return diag_errno(d, ESTALE, path,
                      "changed on disk since it was read; reload it before writing");
}

/* May path be replaced? Not when it is not a regular file, nor when it no longer matches
 * expect. keep_mode (may be NULL) gets the mode of an existing file. */
static int may_replace(const char *path, const struct file_stamp *expect, mode_t *keep_mode,
                       struct diag *d)
{
    struct stat st;
    bool existed = stat(path, &st) == 0;
    if (existed && !S_ISREG(st.st_mode))
        return diag_errno(d, EINVAL, path, "not a regular file, refusing to replace it");
    if (existed && keep_mode)
        *keep_mode = st.st_mode & 07777;
    if (expect) {
        int r = file_stamp_check(path, expect, d);
        if (r < 0)
            return r;
        if (r == 0)
            return stale_error(path, d);
    }
    return 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      const struct file_stamp *expect, struct diag *d)
{
    int r = may_replace(path, expect, &mode, d);
    if (r < 0)
        return r;
    char *tmp = NULL;
    r = write_temp(path, data, len, mode, true, &tmp, d);
    if (r < 0)
        return r;
    if (expect) {
        /* Check once more right before the rename: the window is as small as it gets. */
        r = file_stamp_check(path, expect, d);
        if (r <= 0) {
            unlink(tmp);
            free(tmp);
            return r < 0 ? r : stale_error(path, d);
        }
    }
    if (rename(tmp, path) < 0) {
        int err = errno;
        unlink(tmp);
        free(tmp);
        return diag_errno(d, err, path, "write failed: %s", strerror(err));
    }
    free(tmp);
    fsync_dir_of(path);
    return 0;
}

/* ---- many files at once ---- */

struct file_batch_entry {
    char *path, *tmp;
    bool has_expect;
    struct file_stamp expect;
    dev_t dev;
};

struct file_batch {
    struct file_batch_entry *v;
    size_t n, cap;
};

int file_batch_new(struct file_batch **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

int file_batch_add(struct file_batch *b, const char *path, const void *data, size_t len,
                   mode_t mode, const struct file_stamp *expect, struct diag *d)
{
    int r = may_replace(path, expect, NULL, d);
    if (r < 0)
        return r;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 16;
        struct file_batch_entry *nv = realloc(b->v, nc * sizeof(*nv));
        if (!nv)
            return diag_errno(d, ENOMEM, path, "out of memory");
        b->v = nv;
        b->cap = nc;
    }
    struct file_batch_entry *e = &b->v[b->n];
    memset(e, 0, sizeof(*e));
    e->path = strdup(path);
    if (!e->path)
        return diag_errno(d, ENOMEM, path, "out of memory");
    r = write_temp(path, data, len, mode, false, &e->tmp, d);
    struct stat ts;
    if (r == 0 && stat(e->tmp, &ts) < 0)
        r = diag_errno(d, errno, e->tmp, "cannot stat: %s", strerror(errno));
    if (r < 0) {
        if (e->tmp)
            unlink(e->tmp);
        free(e->tmp);
        free(e->path);
        return r;
    }
    e->dev = ts.st_dev;
    if (expect) {
        e->has_expect = true;
        e->expect = *expect;
    }
    b->n++;
    return 0;
}

/* One syncfs per file system the batch writes to. */
static int sync_batch(const struct file_batch *b, bool renamed, struct diag *d)
{
    for (size_t i = 0; i < b->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = b->v[k].dev == b->v[i].dev;
        if (seen)
            continue;
        const char *at = renamed ? b->v[i].path : b->v[i].tmp;
        int fd = open(at, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return diag_errno(d, errno, at, "cannot open: %s", strerror(errno));
        int r = syncfs(fd) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
            return diag_errno(d, -r, at, "cannot sync its file system: %s", strerror(-r));
    }
    return 0;
}

static void batch_drop_temps(struct file_batch *b, size_t from)
{
    for (size_t i = from; i < b->n; i++) {
        if (b->v[i].tmp)
            unlink(b->v[i].tmp);
        free(b->v[i].tmp);
        b->v[i].tmp = NULL;
    }
}

int file_batch_commit(struct file_batch *b, struct diag *d)
{
    if (!b->n)
        return 0;
    int r = sync_batch(b, false, d);
    /* every stamp is checked before anything is replaced: a refusal changes nothing */
    for (size_t i = 0; i < b->n && r >= 0; i++) {
        if (!b->v[i].has_expect)
            continue;
        r = file_stamp_check(b->v[i].path, &b->v[i].expect, d);
        if (r == 0)
            r = stale_error(b->v[i].path, d);
    }
    if (r < 0) {
        batch_drop_temps(b, 0);
        return r;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (rename(b->v[i].tmp, b->v[i].path) < 0) {
            int err = errno;
            diag_errno(d, err, b->v[i].path, "write failed: %s", strerror(err));
            batch_drop_temps(b, i);
            return -err;
        }
        free(b->v[i].tmp);
        b->v[i].tmp = NULL;
    }
    /* the renames themselves: one more sync of each file system */
    return sync_batch(b, true, d);
}

size_t file_batch_count(const struct file_batch *b)
{
    return b ? b->n : 0;
}

void file_batch_free(struct file_batch *b)
{
    if (!b)
        return;
    batch_drop_temps(b, 0);
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i].path);
    free(b->v);
    free(b);
}

int mkdir_parents(const char *path, mode_t mode, struct diag *d)
{
    char *p = strdup(path);
    if (!p)
        return diag_errno(d, ENOMEM, path, "out of memory");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s == '/' || end) {
            *s = '\0';
            if (mkdir(p, mode) < 0 && errno != EEXIST) {
                int e = errno;
                char *msgpath = strdup(p);
                free(p);
                int r = diag_errno(d, e, msgpath ? msgpath : path,
                                   "cannot create directory: %s", strerror(e));
                free(msgpath);
                return r;
            }
            struct stat st;
            if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                int r = diag_errno(d, ENOTDIR, path, "%s exists and is not a directory", p);
                free(p);
                return r;
            }
            if (end)
                break;
            *s = '/';
        }
    }
    free(p);
    return 0;
}
