/* Errors as values: every core function that can fail fills a struct diag. */
#ifndef CLAN_CORE_DIAG_H
#define CLAN_CORE_DIAG_H

#include <stddef.h>
#include <stdarg.h>

enum diag_severity { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* One message with a source position. line/col are 1-based; 0 means unknown.
 * file and msg are owned (malloc'd) by the diag. */
struct diag {
    enum diag_severity severity;
    char *file;
    unsigned line, col;
    char *msg;
};

/* A growable list of diagnostics, e.g. everything a parser recovered from. */
struct diag_list {
    struct diag *v;
    size_t n, cap;
};

/* Fill d (freeing what it held). Returns -EINVAL for convenience: `return diag_set(...)`.
 * On allocation failure the message degrades to a fixed text; never fails. */
int diag_set(struct diag *d, enum diag_severity sev, const char *file, unsigned line,
             unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
int diag_setv(struct diag *d, enum diag_severity sev, const char *file, unsigned line,
              unsigned col, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));
/* Same as diag_set, returning the given negative errno. */
int diag_errno(struct diag *d, int err, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_clear(struct diag *d);
/* Move src into dst (dst's old content is freed, src is left empty). */
void diag_move(struct diag *dst, struct diag *src);

/* "FILE:LINE:COL: error: MSG" (parts that are unknown are left out). Caller frees. */
char *diag_format(const struct diag *d);
const char *diag_severity_name(enum diag_severity sev);

int diag_list_add(struct diag_list *l, enum diag_severity sev, const char *file, unsigned line,
                  unsigned col, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Append a copy of d. */
int diag_list_push(struct diag_list *l, const struct diag *d);
size_t diag_list_count(const struct diag_list *l, enum diag_severity sev);
void diag_list_free(struct diag_list *l);

#endif
