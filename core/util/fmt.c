/* A printf for the formats the model, the plan and the tree build by the thousand:
 * strings and integers without flags or widths. glibc's vfprintf costs about a thousand
 * instructions a call whatever the format; these formats cost a tenth of that here. Any
 * other conversion (widths, flags, floats, %x) goes to vsnprintf, so the output is always
 * what printf would give. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

/* The conversion at f (just after '%'): its length modifier and letter, or false when the
 * fast path does not handle it. */
static bool conv_ok(const char *f, size_t *len)
{
    if (f[0] == '%' || f[0] == 's' || f[0] == 'c' || f[0] == 'd' || f[0] == 'u') {
        *len = 1;
        return true;
    }
    if (f[0] == '.' && f[1] == '*' && f[2] == 's') {
        *len = 3;
        return true;
    }
    if ((f[0] == 'z' || f[0] == 'l') && (f[1] == 'u' || f[1] == 'd')) {
        *len = 2;
        return true;
    }
    if (f[0] == 'l' && f[1] == 'l' && (f[2] == 'u' || f[2] == 'd')) {
        *len = 3;
        return true;
    }
    return false;
}

bool fmt_fast_ok(const char *fmt)
{
    for (const char *p = fmt; (p = strchr(p, '%')); ) {
        size_t n;
        if (!conv_ok(p + 1, &n))
            return false;
        p += 1 + n;
    }
    return true;
}

/* Decimal digits of x, written backwards ending at end; returns the first digit. */
static char *udigits(char *end, unsigned long long x)
{
    do {
        *--end = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    return end;
}

static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
    if (*n < cap) {
        size_t room = cap - *n;
        memcpy(out + *n, s, len < room ? len : room);
    }
    *n += len;
}

size_t fmt_fast(char *out, size_t cap, const char *fmt, va_list ap)
{
    size_t n = 0;
    char num[24];
    const char *p = fmt;
    for (;;) {
        const char *pc = strchr(p, '%');
        if (!pc) {
            put(out, cap, &n, p, strlen(p));
            break;
        }
        put(out, cap, &n, p, (size_t)(pc - p));
        const char *f = pc + 1;
        size_t clen = 1;
        conv_ok(f, &clen); /* the caller checked fmt_fast_ok */
        char last = f[clen - 1];
        if (f[0] == '%') {
            put(out, cap, &n, "%", 1);
        } else if (last == 's') {
            int prec = -1;
            if (f[0] == '.')
                prec = va_arg(ap, int);
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t sl = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            put(out, cap, &n, s, sl);
        } else if (last == 'c') {
            char c = (char)va_arg(ap, int);
            put(out, cap, &n, &c, 1);
        } else {
            unsigned long long u;
            bool neg = false;
            if (last == 'u') {
                u = f[0] == 'z' ? va_arg(ap, size_t)
                    : f[0] == 'l' && f[1] == 'l' ? va_arg(ap, unsigned long long)
                    : f[0] == 'l' ? va_arg(ap, unsigned long)
                    : va_arg(ap, unsigned);
            } else {
                long long v = f[0] == 'z' ? (long long)va_arg(ap, ssize_t)
                              : f[0] == 'l' && f[1] == 'l' ? va_arg(ap, long long)
                              : f[0] == 'l' ? va_arg(ap, long)
                              : va_arg(ap, int);
                neg = v < 0;
                u = neg ? 0ULL - (unsigned long long)v : (unsigned long long)v;
            }
            char *d = udigits(num + sizeof num, u);
            if (neg)
                *--d = '-';
            put(out, cap, &n, d, (size_t)(num + sizeof num - d));
        }
        p = f + clen;
    }
    if (cap)
        out[n < cap ? n : cap - 1] = '\0';
    return n;
}

int str_vprintf(char **out, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    size_t n;
    if (fmt_fast_ok(fmt)) {
        n = fmt_fast(small, sizeof small, fmt, ap);
    } else {
        int r = vsnprintf(small, sizeof small, fmt, ap);
        if (r < 0) {
            va_end(ap2);
            return -EINVAL;
        }
        n = (size_t)r;
    }
    char *s = malloc(n + 1);
    if (!s) {
        va_end(ap2);
        return -ENOMEM;
    }
    if (n < sizeof small)
        memcpy(s, small, n + 1);
    else if (fmt_fast_ok(fmt))
        fmt_fast(s, n + 1, fmt, ap2);
    else
        vsnprintf(s, n + 1, fmt, ap2);
    va_end(ap2);
    *out = s;
    return n > INT_MAX ? INT_MAX : (int)n;
}

int str_printf(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = str_vprintf(out, fmt, ap);
    va_end(ap);
    return r;
}

int str_snprintf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r;
    if (fmt_fast_ok(fmt)) {
        size_t n = fmt_fast(out, cap, fmt, ap);
        r = n > INT_MAX ? INT_MAX : (int)n;
    } else {
        r = vsnprintf(out, cap, fmt, ap);
    }
    va_end(ap);
    return r;
}
