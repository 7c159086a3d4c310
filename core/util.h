/* Small shared utilities: growable buffers, whole-file I/O with atomic replace,
 * unified diffs, JSON output. No global state. */
#ifndef CLAN_CORE_UTIL_H
#define CLAN_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/diag.h"

#define CLAN_CLEANUP(f) __attribute__((cleanup(f)))

/* ---- growable byte buffer (always NUL-terminated when p != NULL) ---- */
struct buf_sink;
struct buf {
    char *p;
    size_t len, cap;
    /* NULL: the buffer holds everything written. Else a stream: once `chunk` bytes are
     * held, the next growth hands them to the sink first (a 58 MB plan --json is written
     * through 64 KiB, never held). Only for writers that never look back at what they
     * wrote; buf_drain hands over the rest. */
    struct buf_sink *sink;
};
struct buf_sink {
    int (*write)(void *ctx, const char *p, size_t n); /* < 0: a negative errno */
    void *ctx;
    size_t chunk;
    int err; /* the first error of write; later bytes are dropped */
};

int buf_reserve(struct buf *b, size_t extra);
int buf_append_slow(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
/* Is there room for n more bytes (and the NUL) without growing or handing a chunk to the
 * sink? The writers below take their fast path then: a byte or a short run stored in
 * place, no call (a 58 MB plan --json is tens of millions of them). */
static inline bool buf_has_room(const struct buf *b, size_t n)
{
    return b->cap - b->len > n && (!b->sink || b->len + n < b->sink->chunk);
}
static inline int buf_append(struct buf *b, const void *data, size_t len)
{
    if (!b->p || !buf_has_room(b, len))
        return buf_append_slow(b, data, len);
    __builtin_memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}
static inline int buf_putc(struct buf *b, char c)
{
    if (!b->p || !buf_has_room(b, 1))
        return buf_append_slow(b, &c, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
    return 0;
}
/* The decimal digits of x. */
int buf_put_uint(struct buf *b, unsigned long long x);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* A streaming buffer: hand what it holds to its sink (nothing without one). Returns the
 * sink's first error, or 0. */
int buf_drain(struct buf *b);
/* Hand the bytes to the caller (NUL-terminated, never NULL unless out of memory). */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

/* ---- formatting (core/util/fmt.c) ----
 * printf's output, faster for the common formats (%s, %.*s, %c, %d, %u, %ld, %lu, %lld,
 * %llu, %zu, %zd, %%: no flags, no widths); any other format goes to vsnprintf. */
#include <stdarg.h>
bool fmt_fast_ok(const char *fmt);
/* Formats into out (cap bytes, NUL-terminated when cap > 0); returns the full length. Only
 * for formats fmt_fast_ok accepts. */
size_t fmt_fast(char *out, size_t cap, const char *fmt, va_list ap);
/* asprintf: a new string in *out, its length or a negative errno. */
int str_printf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int str_vprintf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* snprintf. */
int str_snprintf(char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- arena: many small allocations freed at once ---- */
struct arena_chunk;
struct arena {
    struct arena_chunk *head; /* NULL: nothing allocated yet */
};
/* n zeroed bytes aligned for any type, or NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
/* A copy of s (NULL for NULL or when out of memory). */
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The strings up to a NULL, one after the other: arena_printf's "%s%s" without a format to
 * read (the plan names a unit and a directory for each of thousands of jobs). */
char *arena_cat(struct arena *a, ...) __attribute__((sentinel));
/* Free every allocation; the arena is empty and usable again. */
void arena_free(struct arena *a);

/* ---- files ---- */

/* Symbolic links. Every reader and writer below follows a name through its chain of
 * symbolic links (a relative link resolved against the directory holding it) to the file
 * itself, the target. Writers replace the target -- the temporary file goes beside the
 * target, in the target's directory, and is renamed over it -- so a link stays a link and
 * the file it leads to gets the content. The new file keeps the old one's owner and group:
 * as root that must succeed (else the write is refused, nothing changed); as anyone else a
 * refused chown (EPERM) keeps the group when allowed and otherwise leaves the new file
 * owned by the writer, as with any editor that writes a new copy. A dangling link (its
 * target does not exist) is refused, -ENOENT, unless the caller's stamp says there was no
 * file when it was read (exists == false): then the target is created, the link stays. */

/* What a file looked like when it was read, so a later write can refuse to clobber
 * a file that changed on disk in the meantime. Plain data: copy it freely. */
struct file_stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    uint64_t hash;        /* FNV-1a of the content */
    uint64_t target_hash; /* FNV-1a of the target's path (links followed, its directory made
                           * canonical): a link that leads elsewhere since means "changed" */
};

uint64_t hash_bytes(const void *data, size_t len);

/* Read a whole file (through symbolic links). *out is NUL-terminated (the NUL is not counted
 * in *len). stamp may be NULL. */
int file_read(const char *path, char **out, size_t *len, struct file_stamp *stamp,
              struct diag *d);

/* Does the file still match the stamp? 1 yes, 0 no (changed, removed, created, or path is
 * a symbolic link now leading to another file), <0 error. The same content under a new inode
 * (another program replaced the file atomically) still matches. */
int file_stamp_check(const char *path, const struct file_stamp *stamp, struct diag *d);

/* Replace path (its target, see above) atomically: temp file in the target's directory,
 * write, fsync, rename, fsync the directory. When expect is non-NULL the write is refused
 * (-ESTALE) if the file no longer matches it (checked before and after the temporary file is
 * written). The new file keeps the old one's mode and owner (else `mode`). On any failure the
 * original file is left as it was and no temp file remains. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      const struct file_stamp *expect, struct diag *d);

/* Many files at once, each replaced atomically, made durable with one syncfs() per file
 * system instead of two fsync() per file (writing a thousand machines' units takes seconds,
 * not minutes). file_batch_add writes a temporary file beside path's target with exactly
 * `mode` and the old file's owner (refused, nothing staged, when the target is not a regular
 * file, is missing behind a link, or no longer matches expect); file_batch_commit syncs them,
 * checks every expect stamp again -- one stale file refuses the whole batch and changes
 * nothing -- renames them into place in order and syncs the renames. A rename that fails
 * stops there: the files before it are replaced, the rest untouched (file_txn, below, puts
 * them back instead). file_batch_free removes the temporary files of a batch not committed. */
struct file_batch;
int file_batch_new(struct file_batch **out);
int file_batch_add(struct file_batch *b, const char *path, const void *data, size_t len,
                   mode_t mode, const struct file_stamp *expect, struct diag *d);
int file_batch_commit(struct file_batch *b, struct diag *d);
size_t file_batch_count(const struct file_batch *b);
void file_batch_free(struct file_batch *b);

/* A set of files replaced together: either every file gets its new content or none changes.
 *
 * file_txn_add stages one file: path (symbolic links followed as above; two names for one
 * target are refused), its new content, and expect: NULL writes blindly (an existing file is
 * replaced, a missing one created), else the stamp file_read gave -- exists == false means
 * "there was no file": it is created, and refused if one appeared. The file must be a
 * regular file, not changed since expect (-ESTALE). The new content goes to a temporary file
 * beside the target with the old file's mode and owner (mode_if_new for a new file), fsynced.
 * A failed add stages nothing; the set stays usable (or free it).
 *
 * file_txn_commit, once: checks every stamp (one stale file refuses the whole set,
 * -ESTALE, naming it); keeps each old file under a temporary name beside it (a hard link,
 * else a copy with the same mode, owner and times); checks every stamp again; renames the new
 * files into place in the order added (a new file never replaces one made meanwhile). If
 * rename k fails, files 0..k-1 are put back (old ones renamed back, new ones removed) and the
 * error names file k. Afterwards no temporary or backup file remains -- except, should
 * putting one back fail too, that file's backup, named in the message. On success
 * new_stamps (NULL, or one per added file, in order) receives each new file's stamp, as
 * file_read would give it, for the next save to compare against.
 *
 * Not guarded: a change made between the last check and the renames (microseconds), and a
 * crash in the middle of the renames (some files new, the rest old, the backups left as
 * .NAME.XXXXXX.old). file_txn_free removes whatever a set not committed left. */
struct file_txn;
int file_txn_new(struct file_txn **out);
/* The same, for many sets at once: nothing is fsync'ed; the caller makes the temporary files
 * durable with one syncfs() after every add and before any commit, and the renames with one
 * more after the commits (a thousand machines' keys: two syncs instead of thousands). */
int file_txn_new_deferred(struct file_txn **out);
int file_txn_add(struct file_txn *x, const char *path, const void *data, size_t len,
                 mode_t mode_if_new, const struct file_stamp *expect, struct diag *d);
int file_txn_commit(struct file_txn *x, struct file_stamp *new_stamps, struct diag *d);
size_t file_txn_count(const struct file_txn *x);
void file_txn_free(struct file_txn *x);

/* mkdir -p with the given mode for every directory it creates. */
int mkdir_parents(const char *path, mode_t mode, struct diag *d);

/* ---- unified diff ---- */

/* Line-based unified diff (like `diff -u`) with `context` lines around each change.
 * Returns an empty string when a and b are equal. Labels go on the ---/+++ lines. */
int diff_unified(const char *a, size_t alen, const char *b, size_t blen,
                 const char *label_a, const char *label_b, unsigned context,
                 struct buf *out);

/* ---- shell ---- */
/* Append s as one POSIX shell word: bare when it is made only of characters that are
 * never special (letters, digits, @%+=:,./_-; not starting with '='), else in single
 * quotes with each ' written as '\''. The word always reads back as exactly s. */
int buf_put_shell_word(struct buf *b, const char *s);

/* ---- JSON output ---- */
void json_put_string(struct buf *b, const char *s);
void json_put_stringn(struct buf *b, const char *s, size_t n);

#endif
