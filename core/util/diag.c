#include "core/diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char oom_msg[] = "out of memory";

void diag_clear(struct diag *d)
{
    if (!d)
        return;
    free(d->file);
    free(d->msg);
    memset(d, 0, sizeof(*d));
}

void diag_move(struct diag *dst, struct diag *src)
{
    diag_clear(dst);
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

int diag_setv(struct diag *d, enum diag_severity sev, const char *file, unsigned line,
              unsigned col, const char *fmt, va_list ap)
{
    if (!d)
        return -EINVAL;
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    char *f = file ? strdup(file) : NULL;
    diag_clear(d);
    d->severity = sev;
    d->file = f;
    d->line = line;
    d->col = col;
    d->msg = msg ? msg : strdup(oom_msg);
    return -EINVAL;
}

int diag_set(struct diag *d, enum diag_severity sev, const char *file, unsigned line,
             unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = diag_setv(d, sev, file, line, col, fmt, ap);
    va_end(ap);
    return r;
}

int diag_errno(struct diag *d, int err, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, DIAG_ERROR, file, 0, 0, fmt, ap);
    va_end(ap);
    return err < 0 ? err : -err;
}

const char *diag_severity_name(enum diag_severity sev)
{
    switch (sev) {
    case DIAG_ERROR: return "error";
    case DIAG_WARNING: return "warning";
    case DIAG_NOTE: return "note";
    }
    return "error";
}

char *diag_format(const struct diag *d)
{
    char *out = NULL;
    const char *msg = d->msg ? d->msg : "unknown error";
    const char *sev = diag_severity_name(d->severity);
    int r;
    if (d->file && d->line && d->col)
        r = asprintf(&out, "%s:%u:%u: %s: %s", d->file, d->line, d->col, sev, msg);
    else if (d->file && d->line)
        r = asprintf(&out, "%s:%u: %s: %s", d->file, d->line, sev, msg);
    else if (d->file)
        r = asprintf(&out, "%s: %s: %s", d->file, sev, msg);
    else
        r = asprintf(&out, "%s: %s", sev, msg);
    return r < 0 ? NULL : out;
}

static int list_grow(struct diag_list *l)
{
    if (l->n < l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : 8;
    struct diag *v = realloc(l->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    l->v = v;
    l->cap = cap;
    return 0;
}

int diag_list_add(struct diag_list *l, enum diag_severity sev, const char *file, unsigned line,
                  unsigned col, const char *fmt, ...)
{
    if (list_grow(l) < 0)
        return -ENOMEM;
    struct diag *d = &l->v[l->n];
    memset(d, 0, sizeof(*d));
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, sev, file, line, col, fmt, ap);
    va_end(ap);
    l->n++;
    return 0;
}

int diag_list_push(struct diag_list *l, const struct diag *src)
{
    if (list_grow(l) < 0)
        return -ENOMEM;
    struct diag *d = &l->v[l->n];
    memset(d, 0, sizeof(*d));
    d->severity = src->severity;
    d->file = src->file ? strdup(src->file) : NULL;
    d->line = src->line;
    d->col = src->col;
    d->msg = strdup(src->msg ? src->msg : oom_msg);
    l->n++;
    return 0;
}

size_t diag_list_count(const struct diag_list *l, enum diag_severity sev)
{
    size_t c = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].severity == sev)
            c++;
    return c;
}

void diag_list_free(struct diag_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        diag_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}
