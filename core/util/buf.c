#include "core/util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_drain(struct buf *b)
{
    if (!b->sink)
        return 0;
    if (b->len && !b->sink->err) {
        int r = b->sink->write(b->sink->ctx, b->p, b->len);
        if (r < 0)
            b->sink->err = r;
    }
    buf_reset(b);
    return b->sink->err;
}

int buf_reserve(struct buf *b, size_t extra)
{
    if (b->sink && b->len && b->len + extra >= b->sink->chunk)
        buf_drain(b);
    if (extra > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    b->p = p;
    b->cap = cap;
    b->p[b->len] = '\0';
    return 0;
}

int buf_append_slow(struct buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -ENOMEM;
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_put_uint(struct buf *b, unsigned long long x)
{
    char d[24], *e = d + sizeof d, *q = e;
    do
        *--q = (char)('0' + x % 10);
    while ((x /= 10));
    return buf_append(b, q, (size_t)(e - q));
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    bool fast = fmt_fast_ok(fmt);
    size_t room = b->cap > b->len ? b->cap - b->len : 0;
    int n;
    /* one pass when it fits in the room left, else measure, grow, write */
    va_start(ap, fmt);
    if (fast) {
        size_t len = fmt_fast(room ? b->p + b->len : NULL, room, fmt, ap);
        n = len > INT_MAX ? -1 : (int)len;
    } else {
        n = vsnprintf(room ? b->p + b->len : NULL, room, fmt, ap);
    }
    va_end(ap);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n < room) {
        b->len += (size_t)n;
        return 0;
    }
    if (room)
        b->p[b->len] = '\0'; /* the attempt wrote past len */
    if (buf_reserve(b, (size_t)n) < 0)
        return -ENOMEM;
    va_start(ap, fmt);
    if (fast)
        fmt_fast(b->p + b->len, (size_t)n + 1, fmt, ap);
    else
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
}

char *buf_steal(struct buf *b)
{
    if (!b->p && buf_reserve(b, 0) < 0)
        return NULL;
    char *p = b->p;
    p[b->len] = '\0';
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static bool shell_safe_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("@%+=:,./_-", c) != NULL;
}

int buf_put_shell_word(struct buf *b, const char *s)
{
    bool bare = *s != '\0' && s[0] != '=';
    for (const unsigned char *p = (const unsigned char *)s; *p && bare; p++)
        bare = shell_safe_char(*p);
    if (bare)
        return buf_puts(b, s);
    int r = buf_putc(b, '\'');
    for (const char *p = s; *p && r >= 0; p++)
        r = *p == '\'' ? buf_puts(b, "'\\''") : buf_putc(b, *p);
    if (r >= 0)
        r = buf_putc(b, '\'');
    return r < 0 ? -ENOMEM : 0;
}

/* the escaped form of a byte that JSON does not take as it is */
static void json_put_escape(struct buf *b, unsigned char c)
{
    switch (c) {
    case '"': buf_append(b, "\\\"", 2); break;
    case '\\': buf_append(b, "\\\\", 2); break;
    case '\n': buf_append(b, "\\n", 2); break;
    case '\r': buf_append(b, "\\r", 2); break;
    case '\t': buf_append(b, "\\t", 2); break;
    case '\b': buf_append(b, "\\b", 2); break;
    case '\f': buf_append(b, "\\f", 2); break;
    default: {
        static const char hex[] = "0123456789abcdef";
        char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        buf_append(b, u, sizeof u);
    }
    }
}

#ifdef __SSE2__
/* The length of the longest prefix of s[0, n) that needs no escape, 16 bytes a step (every
 * x86-64 has SSE2). Most strings are shorter than 16 bytes: the last step loads 16 bytes
 * when they cannot cross into the next page (as the C library's string functions do) and
 * ignores those past n, so a short string is one step; that read past the end is why
 * ASan is told to leave this function alone. */
__attribute__((no_sanitize_address)) static size_t json_plain_prefix(const char *s, size_t n)
{
    const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'),
                  bslash = _mm_set1_epi8('\\'), del = _mm_set1_epi8(0x7f);
    for (size_t j = 0; j < n; j += 16) {
        const char *p = s + j;
        size_t left = n - j;
        __m128i x;
        if (left >= 16 || ((uintptr_t)p & 4095) <= 4096 - 16) {
            x = _mm_loadu_si128((const __m128i *)(const void *)p);
        } else {
            char tail[16] = {0};
            memcpy(tail, p, left);
            x = _mm_loadu_si128((const __m128i *)(const void *)tail);
        }
        __m128i bad = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, below), x), _mm_cmpeq_epi8(x, quote)),
            _mm_or_si128(_mm_cmpeq_epi8(x, bslash), _mm_cmpeq_epi8(x, del)));
        unsigned m = (unsigned)_mm_movemask_epi8(bad);
        if (left < 16)
            m &= (1u << left) - 1;
        if (m)
            return j + (size_t)__builtin_ctz(m);
    }
    return n;
}
#else
static bool json_plain(unsigned char c)
{
    return c >= 0x20 && c != 0x7f && c != '"' && c != '\\';
}

/* Does any of the 8 bytes in w need an escape (below 0x20, 0x7f, '"' or '\\')? Exact for
 * the first such byte; a "yes" only sends the word to the byte-wise check. */
static bool json_word_special(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t below = (w - 0x20 * ones) & ~w & high;
    uint64_t q = w ^ ('"' * ones), bs = w ^ ('\\' * ones), del = w ^ (0x7f * ones);
    uint64_t eq = ((q - ones) & ~q) | ((bs - ones) & ~bs) | ((del - ones) & ~del);
    return (below | (eq & high)) != 0;
}

/* the length of the longest prefix of s[0, n) that needs no escape, 8 bytes a step */
static size_t json_plain_prefix(const char *s, size_t n)
{
    size_t j = 0;
    for (uint64_t w; j + 8 <= n; j += 8) {
        memcpy(&w, s + j, 8);
        if (json_word_special(w))
            break;
    }
    while (j < n && json_plain((unsigned char)s[j]))
        j++;
    return j;
}
#endif

void json_put_stringn(struct buf *b, const char *s, size_t n)
{
    size_t plain = json_plain_prefix(s, n);
    if (plain == n && b->p && buf_has_room(b, n + 2)) { /* the common case: quoted as it is */
        char *o = b->p + b->len;
        *o++ = '"';
        memcpy(o, s, n);
        o += n;
        *o++ = '"';
        *o = '\0';
        b->len += n + 2;
        return;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < n;) {
        /* the run of bytes that need no escape, copied at once, then one escape */
        buf_append(b, s + i, plain);
        i += plain;
        if (i < n)
            json_put_escape(b, (unsigned char)s[i++]);
        plain = json_plain_prefix(s + i, n - i);
    }
    buf_putc(b, '"');
}

void json_put_string(struct buf *b, const char *s)
{
    if (!s) {
        buf_puts(b, "null");
        return;
    }
    json_put_stringn(b, s, strlen(s));
}
