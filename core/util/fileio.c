#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Eight bytes a step (a file of megabytes is hashed on every read and save), each word
 * mixed by a multiply and a shift; the tail byte by byte. Only compared within a run. */
uint64_t hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL ^ len;
    size_t i = 0;
    for (uint64_t w; i + 8 <= len; i += 8) {
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t hash_str(const char *s)
{
    return hash_bytes(s, strlen(s));
}

/* ---- where a name leads: symbolic links followed to the file itself ---- */

#define MAX_LINKS 40 /* as the kernel's own limit for a path */

struct target {
    char *path;     /* the final name: not a link; its directory canonical when it exists */
    bool link;      /* the name given is a symbolic link */
    bool exists;    /* the final name exists */
    struct stat st; /* of the final name, when it exists */
};

static void target_free(struct target *t)
{
    free(t->path);
    t->path = NULL;
}

/* The directory part of p ("." when there is none), malloc'd. */
static char *dir_part(const char *p)
{
    const char *s = strrchr(p, '/');
    if (!s)
        return strdup(".");
    while (s > p && s[-1] == '/')
        s--;
    return s == p ? strdup("/") : strndup(p, (size_t)(s - p));
}

static const char *base_part(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static char *join(const char *dir, const char *name)
{
    char *out = NULL;
    size_t n = strlen(dir);
    if (asprintf(&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
        return NULL;
    return out;
}

/* The content of symbolic link p, malloc'd; NULL with errno set. */
static char *read_link(const char *p, size_t hint)
{
    size_t cap = hint + 2 > 128 ? hint + 2 : 128;
    for (;;) {
        char *s = malloc(cap);
        if (!s)
            return NULL;
        ssize_t n = readlink(p, s, cap);
        if (n < 0) {
            int e = errno;
            free(s);
            errno = e;
            return NULL;
        }
        if ((size_t)n < cap) {
            s[n] = '\0';
            return s;
        }
        free(s);
        if (cap > (size_t)PATH_MAX * 4) {
            errno = ENAMETOOLONG;
            return NULL;
        }
        cap *= 2;
    }
}

/* Follow path through every symbolic link, each relative link resolved against the
 * directory holding it, as the kernel does. A missing final name is not an error (exists is
 * false: nothing there, or a dangling link). The errors name path. */
static int resolve(const char *path, struct target *t, struct diag *d)
{
    memset(t, 0, sizeof(*t));
    char *cur = strdup(path);
    if (!cur)
        return diag_errno(d, ENOMEM, path, "out of memory");
    for (int hops = 0;; hops++) {
        struct stat st;
        if (lstat(cur, &st) < 0) {
            int e = errno;
            if (e == ENOENT)
                break;
            int r = t->link ? diag_errno(d, e, path, "cannot follow the link to %s: %s", cur,
                                         strerror(e))
                            : diag_errno(d, e, path, "cannot stat: %s", strerror(e));
            free(cur);
            return r;
        }
        if (!S_ISLNK(st.st_mode)) {
            t->exists = true;
            t->st = st;
            break;
        }
        if (hops == MAX_LINKS) {
            free(cur);
            return diag_errno(d, ELOOP, path, "too many levels of symbolic links");
        }
        char *to = read_link(cur, (size_t)st.st_size);
        if (!to) {
            int e = errno;
            free(cur);
            return diag_errno(d, e, path, "cannot read the symbolic link: %s", strerror(e));
        }
        char *next = to;
        if (to[0] != '/') {
            char *dir = dir_part(cur);
            next = dir ? join(dir, to) : NULL;
            free(dir);
            free(to);
        }
        free(cur);
        cur = next;
        if (!cur)
            return diag_errno(d, ENOMEM, path, "out of memory");
        t->link = true;
    }
    /* one spelling per file: the same name gives the same target string on every call */
    char *dir = dir_part(cur);
    char *real = dir ? realpath(dir, NULL) : NULL;
    char *canon = real ? join(real, base_part(cur)) : NULL;
    free(dir);
    free(real);
    if (canon) {
        free(cur);
        cur = canon;
    }
    t->path = cur;
    return 0;
}

/* ---- reading, stamps ---- */

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
    uint64_t target_hash = 0;
    if (stamp) {
        /* Where the name leads now. Resolved before the open: a link changed in between
         * makes the stamp name the old target, so the next check calls the file changed. */
        struct target t;
        struct diag ignored = {0};
        if (resolve(path, &t, &ignored) == 0)
            target_hash = hash_str(t.path);
        target_free(&t);
        diag_clear(&ignored); /* the open below says what is wrong */
    }
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
        stamp->target_hash = target_hash;
    }
    *out = p;
    if (len)
        *len = l;
    return 0;
}

/* file_stamp_check for an existing stamp, with path already resolved to t. */
static int check_target(const char *path, const struct target *t,
                        const struct file_stamp *stamp, struct diag *d)
{
    if (!t->exists || hash_str(t->path) != stamp->target_hash)
        return 0; /* removed, or the link leads elsewhere now */
    struct file_stamp now = {0};
    stamp_from_stat(&now, &t->st);
    if (now.dev == stamp->dev && now.ino == stamp->ino && now.size == stamp->size &&
        now.mtime_ns == stamp->mtime_ns)
        return 1;
    if (now.size != stamp->size)
        return 0;
    /* Same size, different identity or time: compare the content itself. */
    char *content = NULL;
    size_t len = 0;
    struct diag tmp = {0};
    if (file_read(t->path, &content, &len, NULL, &tmp) < 0) {
        int r = diag_errno(d, EIO, path, "cannot read it again to compare: %s",
                           tmp.msg ? tmp.msg : "read failed");
        diag_clear(&tmp);
        return r;
    }
    int same = hash_bytes(content, len) == stamp->hash;
    free(content);
    return same;
}

int file_stamp_check(const char *path, const struct file_stamp *stamp, struct diag *d)
{
    if (!stamp->exists) {
        struct stat st;
        if (stat(path, &st) == 0)
            return 0;
        if (errno == ENOENT)
            return 1; /* still nothing there (a dangling link counts as nothing) */
        return diag_errno(d, errno, path, "cannot stat: %s", strerror(errno));
    }
    struct target t;
    int r = resolve(path, &t, d);
    if (r < 0)
        return r;
    r = check_target(path, &t, stamp, d);
    target_free(&t);
    return r;
}

/* ---- writing ---- */

static int fsync_dir_of(const char *path)
{
    char *dir = dir_part(path);
    if (!dir)
        return -ENOMEM;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(dir);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 ? -errno : 0;
    close(fd);
    /* Some file systems refuse fsync on directories; the rename is done either way. */
    return r == -EINVAL ? 0 : r;
}

static int stale_error(const char *path, struct diag *d)
{
    return diag_errno(d, ESTALE, path,
                      "changed on disk since it was read; reload it before writing");
}

/* Give the file open as fd the owner of `like`. Root must manage; anyone else keeps the
 * group when allowed and otherwise becomes the owner of the new file, as with any editor
 * that writes a new copy. 0 or -errno. */
static int keep_owner(int fd, const struct stat *like)
{
    struct stat now;
    if (fstat(fd, &now) < 0)
        return -errno;
    if (now.st_uid == like->st_uid && now.st_gid == like->st_gid)
        return 0;
    if (fchown(fd, like->st_uid, like->st_gid) == 0)
        return 0;
    int e = errno;
    if (e != EPERM || geteuid() == 0)
        return -e;
    if (now.st_gid != like->st_gid && fchown(fd, (uid_t)-1, like->st_gid) < 0) {
        /* not in that group: the new file keeps ours */
    }
    return 0;
}

/* Write data to a new temporary file beside t->path (DIR/.BASENAME.XXXXXX, so it is on the
 * same file system) with mode and, when like is given, like's owner (and its times when
 * keep_times); fsync it when sync. *tmp_out: its name (caller frees); *st_out (may be NULL):
 * its stat. Errors name `name`, the file the caller asked for. */
static int write_temp(const char *name, const struct target *t, const void *data, size_t len,
                      mode_t mode, const struct stat *like, bool keep_times, bool sync,
                      char **tmp_out, struct stat *st_out, struct diag *d)
{
    char *dir = dir_part(t->path);
    char *tmp = NULL;
    if (!dir || asprintf(&tmp, "%s%s.%s.XXXXXX", dir, strcmp(dir, "/") ? "/" : "",
                         base_part(t->path)) < 0) {
        free(dir);
        return diag_errno(d, ENOMEM, name, "out of memory");
    }
    free(dir);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        if (t->link)
            return diag_errno(d, e, name,
                              "cannot create a temporary file beside its target %s: %s",
                              t->path, strerror(e));
        return diag_errno(d, e, name, "cannot create a temporary file beside it: %s",
                          strerror(e));
    }
    const char *p = data;
    size_t left = len;
    int err = 0;
    const char *what = "write failed";
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
    if (!err && like) {
        int r = keep_owner(fd, like);
        if (r < 0) {
            err = -r;
            what = "cannot give the new file the owner of the old one";
        }
    }
    if (!err && fchmod(fd, mode) < 0)
        err = errno;
    if (!err && keep_times) {
        const struct timespec times[2] = {like->st_atim, like->st_mtim};
        if (futimens(fd, times) < 0)
            err = errno;
    }
    if (!err && sync && fsync(fd) < 0)
        err = errno;
    if (!err && st_out && fstat(fd, st_out) < 0)
        err = errno;
    if (close(fd) < 0 && !err)
        err = errno;
    if (err) {
        unlink(tmp);
        free(tmp);
        return diag_errno(d, err, name, "%s: %s", what, strerror(err));
    }
    *tmp_out = tmp;
    return 0;
}

/* Resolve path for a writer and decide whether it may be replaced: not when its target is
 * not a regular file, not when it is a dangling link (unless the caller expects no file
 * there), not when it no longer matches expect. */
static int prepare(const char *path, const struct file_stamp *expect, struct target *t,
                   struct diag *d)
{
    int r = resolve(path, t, d);
    if (r < 0)
        return r;
    if (t->exists && !S_ISREG(t->st.st_mode)) {
        r = t->link ? diag_errno(d, EINVAL, path,
                                 "leads to %s, which is not a regular file; refusing to "
                                 "replace it", t->path)
                    : diag_errno(d, EINVAL, path, "not a regular file, refusing to replace it");
    } else if (!t->exists && t->link && !(expect && !expect->exists)) {
        r = diag_errno(d, ENOENT, path,
                       "is a symbolic link to %s, which does not exist; refusing to create "
                       "it (remove the link, or make the file first)", t->path);
    } else if (expect) {
        r = expect->exists ? check_target(path, t, expect, d) : file_stamp_check(path, expect, d);
        if (r == 0)
            r = stale_error(path, d);
    }
    if (r < 0) {
        target_free(t);
        return r;
    }
    return 0;
}

/* A file staged for replacement: its new content in a temporary file beside its target. */
struct staged {
    char *path;   /* as the caller named it: every message names this */
    char *target; /* where the content goes (symbolic links followed) */
    char *tmp;    /* the new content, until it is renamed into place */
    bool existed, has_expect;
    struct file_stamp expect;
    struct stat st; /* of the temporary file */
};

/* Check path (prepare) and write its temporary file with mode -- the old file's mode
 * instead when keep_mode -- and the old file's owner; fsync it when sync. */
static int stage(struct staged *s, const char *path, const void *data, size_t len, mode_t mode,
                 bool keep_mode, bool sync, const struct file_stamp *expect, struct diag *d)
{
    memset(s, 0, sizeof(*s));
    struct target t;
    int r = prepare(path, expect, &t, d);
    if (r < 0)
        return r;
    if (keep_mode && t.exists)
        mode = t.st.st_mode & 07777;
    r = write_temp(path, &t, data, len, mode, t.exists ? &t.st : NULL, false, sync, &s->tmp,
                   &s->st, d);
    if (r == 0 && !(s->path = strdup(path))) {
        unlink(s->tmp);
        free(s->tmp);
        s->tmp = NULL;
        r = diag_errno(d, ENOMEM, path, "out of memory");
    }
    if (r < 0) {
        target_free(&t);
        return r;
    }
    s->target = t.path;
    s->existed = t.exists;
    if (expect) {
        s->has_expect = true;
        s->expect = *expect;
    }
    return 0;
}

/* Remove the temporary file of s, if it still has one. */
static void staged_drop(struct staged *s)
{
    if (s->tmp)
        unlink(s->tmp);
    free(s->tmp);
    s->tmp = NULL;
}

static void staged_free(struct staged *s)
{
    staged_drop(s);
    free(s->path);
    free(s->target);
}

/* After the temporary files are written: does s still match what it expects? 0 or <0. */
static int recheck(const struct staged *s, struct diag *d)
{
    if (!s->has_expect)
        return 0;
    int r = file_stamp_check(s->path, &s->expect, d);
    return r < 0 ? r : r == 0 ? stale_error(s->path, d) : 0;
}

int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      const struct file_stamp *expect, struct diag *d)
{
    struct staged s;
    int r = stage(&s, path, data, len, mode, true, true, expect, d);
    if (r < 0)
        return r;
    /* Check once more right before the rename: the window is as small as it gets. */
    r = recheck(&s, d);
    if (r == 0 && rename(s.tmp, s.target) < 0)
        r = diag_errno(d, errno, path, "write failed: %s", strerror(errno));
    if (r == 0) {
        free(s.tmp);
        s.tmp = NULL;
        fsync_dir_of(s.target);
    }
    staged_free(&s);
    return r;
}

/* ---- many files at once ---- */

/* v (n elements of size, room for *cap) with room for one more: v itself, or a larger copy
 * (*cap updated); NULL when out of memory (v is left as it was). */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return v;
    size_t nc = *cap ? *cap * 2 : 16;
    void *nv = realloc(v, nc * size);
    if (nv)
        *cap = nc;
    return nv;
}

struct file_batch {
    struct staged *v;
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
    struct staged *nv = grow(b->v, b->n, &b->cap, sizeof(*nv));
    if (!nv)
        return diag_errno(d, ENOMEM, path, "out of memory");
    b->v = nv;
    int r = stage(&b->v[b->n], path, data, len, mode, false, false, expect, d);
    if (r == 0)
        b->n++;
    return r;
}

/* One syncfs per file system the batch writes to. */
static int sync_batch(const struct file_batch *b, bool renamed, struct diag *d)
{
    for (size_t i = 0; i < b->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = b->v[k].st.st_dev == b->v[i].st.st_dev;
        if (seen)
            continue;
        const char *at = renamed ? b->v[i].target : b->v[i].tmp;
        int fd = open(at, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return diag_errno(d, errno, b->v[i].path, "cannot open %s: %s", at,
                              strerror(errno));
        int r = syncfs(fd) < 0 ? -errno : 0;
        close(fd);
        if (r < 0)
            return diag_errno(d, -r, b->v[i].path, "cannot sync its file system: %s",
                              strerror(-r));
    }
    return 0;
}

static void batch_drop_temps(struct file_batch *b, size_t from)
{
    for (size_t i = from; i < b->n; i++)
        staged_drop(&b->v[i]);
}

int file_batch_commit(struct file_batch *b, struct diag *d)
{
    if (!b->n)
        return 0;
    int r = sync_batch(b, false, d);
    /* every stamp is checked before anything is replaced: a refusal changes nothing */
    for (size_t i = 0; i < b->n && r >= 0; i++)
        r = recheck(&b->v[i], d);
    if (r < 0) {
        batch_drop_temps(b, 0);
        return r;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (rename(b->v[i].tmp, b->v[i].target) < 0) {
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
    for (size_t i = 0; i < b->n; i++)
        staged_free(&b->v[i]);
    free(b->v);
    free(b);
}

/* ---- a set of files replaced all or nothing ---- */

struct file_txn_entry {
    struct staged s;
    char *backup; /* the old file (a hard link, else a copy) while the set is renamed */
    bool renamed, keep_backup;
    struct file_stamp stamp; /* of the new file once in place */
};

struct file_txn {
    struct file_txn_entry *v;
    size_t n, cap;
    bool done;     /* committed, or tried to */
    bool deferred; /* no fsync: the caller syncs the file system before and after commit */
};

int file_txn_new(struct file_txn **out)
{
    *out = calloc(1, sizeof(**out));
    return *out ? 0 : -ENOMEM;
}

int file_txn_new_deferred(struct file_txn **out)
{
    int r = file_txn_new(out);
    if (r == 0)
        (*out)->deferred = true;
    return r;
}

size_t file_txn_count(const struct file_txn *x)
{
    return x ? x->n : 0;
}

int file_txn_add(struct file_txn *x, const char *path, const void *data, size_t len,
                 mode_t mode_if_new, const struct file_stamp *expect, struct diag *d)
{
    if (x->done)
        return diag_errno(d, EINVAL, path, "cannot add to a set of files already committed");
    struct file_txn_entry *nv = grow(x->v, x->n, &x->cap, sizeof(*nv));
    if (!nv)
        return diag_errno(d, ENOMEM, path, "out of memory");
    x->v = nv;
    struct file_txn_entry *e = &x->v[x->n];
    memset(e, 0, sizeof(*e));
    int r = stage(&e->s, path, data, len, mode_if_new, true, !x->deferred, expect, d);
    if (r < 0)
        return r;
    for (size_t i = 0; i < x->n; i++) {
        if (!strcmp(x->v[i].s.target, e->s.target)) {
            r = diag_errno(d, EINVAL, path, "is in the set twice (also as %s)", x->v[i].s.path);
            staged_free(&e->s);
            return r;
        }
    }
    /* a rename keeps the inode and its times: this is what file_read will see */
    stamp_from_stat(&e->stamp, &e->s.st);
    e->stamp.hash = hash_bytes(data, len);
    e->stamp.target_hash = hash_str(e->s.target);
    x->n++;
    return 0;
}

static int txn_check(const struct file_txn *x, struct diag *d)
{
    for (size_t i = 0; i < x->n; i++) {
        const struct staged *s = &x->v[i].s;
        int r = recheck(s, d);
        if (r == 0 && !s->has_expect && !s->existed && access(s->target, F_OK) == 0)
            r = diag_errno(d, EEXIST, s->path, "was created by someone else meanwhile");
        if (r < 0)
            return r;
    }
    return 0;
}

/* Keep the old file under another name until the set is in place: a hard link (no copy, the
 * same inode comes back), else -- no hard links on this file system, an immutable file, too
 * many links -- a copy with the same mode, owner and times. */
static int txn_backup(struct file_txn_entry *e, struct diag *d)
{
    const struct staged *s = &e->s;
    char *bak = NULL;
    if (asprintf(&bak, "%s.old", s->tmp) < 0)
        return diag_errno(d, ENOMEM, s->path, "out of memory");
    if (link(s->target, bak) == 0) {
        e->backup = bak;
        return 0;
    }
    free(bak);
    struct target t = {.path = s->target, .link = strcmp(s->path, s->target) != 0};
    char *old = NULL;
    size_t len = 0;
    struct diag tmp = {0};
    int r = file_read(s->target, &old, &len, NULL, &tmp);
    if (r == 0 && stat(s->target, &t.st) < 0)
        r = diag_errno(&tmp, errno, s->target, "cannot stat: %s", strerror(errno));
    if (r == 0)
        r = write_temp(s->path, &t, old, len, t.st.st_mode & 07777, &t.st, true, true,
                       &e->backup, NULL, &tmp);
    free(old);
    if (r < 0) {
        r = diag_errno(d, r, s->path, "cannot keep a copy of it to put back on failure: %s",
                       tmp.msg ? tmp.msg : strerror(-r));
        diag_clear(&tmp);
    }
    return r;
}

/* Replace s's file with its new content; a new file never replaces one made meanwhile. */
static int txn_put(const struct staged *s)
{
    if (!s->existed) {
        if (renameat2(AT_FDCWD, s->tmp, AT_FDCWD, s->target, RENAME_NOREPLACE) == 0)
            return 0;
        if (errno != EINVAL && errno != ENOSYS)
            return -errno;
        /* a file system without RENAME_NOREPLACE: checked just before */
    }
    return rename(s->tmp, s->target) < 0 ? -errno : 0;
}

/* Undo the renames of entries [0, k): the old files back, the new ones removed. Adds what
 * could not be put back to msg. */
static void txn_rollback(struct file_txn *x, size_t k, struct buf *msg)
{
    for (size_t j = k; j-- > 0;) {
        struct file_txn_entry *e = &x->v[j];
        if (!e->renamed)
            continue;
        bool existed = e->s.existed;
        if ((existed ? rename(e->backup, e->s.target) : unlink(e->s.target)) < 0) {
            buf_printf(msg, "; could not put back %s: %s", e->s.path, strerror(errno));
            if (existed) {
                buf_printf(msg, " (its old content is in %s)", e->backup);
                e->keep_backup = true;
            }
            continue;
        }
        e->renamed = false;
        if (existed) {
            free(e->backup);
            e->backup = NULL;
        }
        fsync_dir_of(e->s.target);
    }
}

static void txn_cleanup(struct file_txn *x)
{
    for (size_t i = 0; i < x->n; i++) {
        struct file_txn_entry *e = &x->v[i];
        staged_drop(&e->s);
        if (e->backup && !e->keep_backup)
            unlink(e->backup);
        free(e->backup);
        e->backup = NULL;
    }
}

int file_txn_commit(struct file_txn *x, struct file_stamp *new_stamps, struct diag *d)
{
    if (x->done)
        return diag_errno(d, EINVAL, NULL, "this set of files was already committed");
    x->done = true;
    int r = txn_check(x, d);
    for (size_t i = 0; i < x->n && r == 0; i++)
        if (x->v[i].s.existed)
            r = txn_backup(&x->v[i], d);
    /* once more, right before the renames */
    if (r == 0)
        r = txn_check(x, d);
    for (size_t k = 0; k < x->n && r == 0; k++) {
        struct file_txn_entry *e = &x->v[k];
        r = txn_put(&e->s);
        if (r == 0) {
            e->renamed = true;
            free(e->s.tmp); /* that name is gone */
            e->s.tmp = NULL;
            continue;
        }
        struct buf msg = {0};
        buf_printf(&msg, "write failed: %s", strerror(-r));
        size_t before = msg.len;
        txn_rollback(x, k, &msg);
        if (msg.len == before && k > 0)
            buf_printf(&msg, "; the %zu file%s written before it %s put back", k,
                       k == 1 ? "" : "s", k == 1 ? "was" : "were");
        diag_errno(d, r, e->s.path, "%s", msg.p ? msg.p : "write failed");
        buf_free(&msg);
    }
    if (r == 0) {
        for (size_t i = 0; i < x->n && !x->deferred; i++)
            fsync_dir_of(x->v[i].s.target);
        if (new_stamps)
            for (size_t i = 0; i < x->n; i++)
                new_stamps[i] = x->v[i].stamp;
    }
    txn_cleanup(x);
    return r;
}

void file_txn_free(struct file_txn *x)
{
    if (!x)
        return;
    txn_cleanup(x);
    for (size_t i = 0; i < x->n; i++)
        staged_free(&x->v[i].s);
    free(x->v);
    free(x);
}

/* ---- directories ---- */

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
