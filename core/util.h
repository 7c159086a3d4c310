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
struct buf {
    char *p;
    size_t len, cap;
};

int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
/* Hand the bytes to the caller (NUL-terminated, never NULL unless out of memory). */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

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
/* Free every allocation; the arena is empty and usable again. */
void arena_free(struct arena *a);

/* ---- files ---- */

/* What a file looked like when it was read, so a later write can refuse to clobber
 * a file that changed on disk in the meantime. */
struct file_stamp {
    bool exists;
    dev_t dev;
    ino_t ino;
    off_t size;
    int64_t mtime_ns;
    uint64_t hash; /* FNV-1a of the content */
};

uint64_t hash_bytes(const void *data, size_t len);

/* Read a whole file. *out is NUL-terminated (the NUL is not counted in *len).
 * stamp may be NULL. */
int file_read(const char *path, char **out, size_t *len, struct file_stamp *stamp,
              struct diag *d);

/* Does the file still match the stamp? 1 yes, 0 no (changed, removed, created), <0 error. */
int file_stamp_check(const char *path, const struct file_stamp *stamp, struct diag *d);

/* Replace path atomically: temp file in the same directory, write, fsync, rename,
 * fsync the directory. When expect is non-NULL the write is refused (-ESTALE) if the
 * file no longer matches it. The new file keeps the old one's mode (else `mode`).
 * On any failure the original file is left as it was and no temp file remains. */
int file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                      const struct file_stamp *expect, struct diag *d);

/* Many files at once, each replaced atomically, made durable with one syncfs() per file
 * system instead of two fsync() per file (writing a thousand machines' units takes seconds,
 * not minutes). file_batch_add writes a temporary file beside path with exactly `mode`
 * (refused, nothing staged, when path is not a regular file or no longer matches expect);
 * file_batch_commit syncs them, checks every expect stamp again -- one stale file refuses
 * the whole batch and changes nothing -- renames them into place in order and syncs the
 * renames. A rename that fails stops there: the files before it are replaced, the rest
 * untouched. file_batch_free removes the temporary files of a batch not committed. */
struct file_batch;
int file_batch_new(struct file_batch **out);
int file_batch_add(struct file_batch *b, const char *path, const void *data, size_t len,
                   mode_t mode, const struct file_stamp *expect, struct diag *d);
int file_batch_commit(struct file_batch *b, struct diag *d);
size_t file_batch_count(const struct file_batch *b);
void file_batch_free(struct file_batch *b);

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
