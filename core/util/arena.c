/* An arena: chunks of at least 64 KiB, freed together. */
#include "core/util.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        struct arena_chunk *nc = malloc(sizeof(*nc) + cap);
        if (!nc)
            return NULL;
        nc->next = c;
        nc->used = 0;
        nc->cap = cap;
        a->head = c = nc;
    }
    void *r = (char *)c->data + c->used;
    c->used += n;
    memset(r, 0, n);
    return r;
}

char *arena_strdup(struct arena *a, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *r = arena_alloc(a, n);
    return r ? memcpy(r, s, n) : NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    bool fast = fmt_fast_ok(fmt);
    int n;
    va_start(ap, fmt);
    if (fast) {
        size_t len = fmt_fast(small, sizeof(small), fmt, ap);
        n = len > INT_MAX ? -1 : (int)len;
    } else {
        n = vsnprintf(small, sizeof(small), fmt, ap);
    }
    va_end(ap);
    if (n < 0)
        return NULL;
    char *r = arena_alloc(a, (size_t)n + 1);
    if (!r)
        return NULL;
    if ((size_t)n < sizeof(small)) {
        memcpy(r, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        if (fast)
            fmt_fast(r, (size_t)n + 1, fmt, ap);
        else
            vsnprintf(r, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return r;
}

void arena_free(struct arena *a)
{
    for (struct arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
}

char *arena_cat(struct arena *a, ...)
{
    va_list ap;
    size_t n = 1;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *));)
        n += strlen(s);
    va_end(ap);
    char *r = arena_alloc(a, n), *o = r;
    if (!r)
        return NULL;
    va_start(ap, a);
    for (const char *s; (s = va_arg(ap, const char *));)
        o = stpcpy(o, s);
    va_end(ap);
    return r;
}
