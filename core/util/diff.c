/* Unified diff of two texts, line by line (Myers' O(ND) algorithm on the part
 * between the common prefix and suffix). */
#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct line {
    const char *p;
    size_t len; /* including the '\n' if there is one */
    uint64_t h;
};

static int split_lines(const char *s, size_t n, struct line **out, size_t *count)
{
    size_t cap = 16, k = 0;
    struct line *v = malloc(cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t end = nl ? (size_t)(nl - s) + 1 : n;
        if (k == cap) {
            cap *= 2;
            struct line *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                free(v);
                return -ENOMEM;
            }
            v = nv;
        }
        v[k].p = s + i;
        v[k].len = end - i;
        v[k].h = hash_bytes(s + i, end - i);
        k++;
        i = end;
    }
    *out = v;
    *count = k;
    return 0;
}

static int line_eq(const struct line *a, const struct line *b)
{
    return a->h == b->h && a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* Edit script as a per-line flag: dela[i] = line i of a deleted, insb[j] = line j of b inserted. */
static int myers(const struct line *a, size_t n, const struct line *b, size_t m,
                 unsigned char *dela, unsigned char *insb)
{
    size_t max = n + m;
    if (max == 0)
        return 0;
    /* Beyond this many edits, keep memory bounded: mark the whole range replaced. */
    const size_t dmax = max < 4096 ? max : 4096;
    size_t width = 2 * max + 1;
    long *v = calloc(width, sizeof(long));
    long **trace = calloc(dmax + 1, sizeof(long *));
    if (!v || !trace) {
        free(v);
        free(trace);
        return -ENOMEM;
    }
    long off = (long)max;
    long found_d = -1;
    for (long d = 0; d <= (long)dmax; d++) {
        long kmin = -d, kmax = d;
        for (long k = kmin; k <= kmax; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            long y = x - k;
            while (x < (long)n && y < (long)m && line_eq(&a[x], &b[y])) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (long)n && y >= (long)m) {
                found_d = d;
                break;
            }
        }
        /* save a copy of the frontier for backtracking (only the used window) */
        trace[d] = malloc((size_t)(2 * d + 1) * sizeof(long));
        if (!trace[d]) {
            for (long i = 0; i < d; i++)
                free(trace[i]);
            free(trace);
            free(v);
            return -ENOMEM;
        }
        memcpy(trace[d], &v[off - d], (size_t)(2 * d + 1) * sizeof(long));
        if (found_d >= 0)
            break;
    }
    if (found_d < 0) {
        memset(dela, 1, n);
        memset(insb, 1, m);
    } else {
        long x = (long)n, y = (long)m;
        for (long d = found_d; d > 0; d--) {
            long *pv = trace[d - 1]; /* index k -> pv[k + (d-1)] */
            long k = x - y;
            long prev_k;
            if (k == -d || (k != d && pv[k - 1 + (d - 1)] < pv[k + 1 + (d - 1)]))
                prev_k = k + 1;
            else
                prev_k = k - 1;
            long prev_x = pv[prev_k + (d - 1)];
            long prev_y = prev_x - prev_k;
            while (x > prev_x && y > prev_y) {
                x--;
                y--;
            }
            if (x == prev_x)
                insb[prev_y] = 1; /* moved down: insertion of b[prev_y] */
            else
                dela[prev_x] = 1; /* moved right: deletion of a[prev_x] */
            x = prev_x;
            y = prev_y;
        }
    }
    for (long d = 0; d <= (found_d < 0 ? (long)dmax : found_d); d++)
        free(trace[d]);
    free(trace);
    free(v);
    return 0;
}

static void emit_line(struct buf *out, char tag, const struct line *l)
{
    buf_putc(out, tag);
    buf_append(out, l->p, l->len);
    if (l->len == 0 || l->p[l->len - 1] != '\n')
        buf_puts(out, "\n\\ No newline at end of file\n");
}

static void emit_range(struct buf *out, size_t start, size_t count)
{
    if (count == 0)
        buf_printf(out, "%zu,0", start);
    else if (count == 1)
        buf_printf(out, "%zu", start + 1);
    else
        buf_printf(out, "%zu,%zu", start + 1, count);
}

int diff_unified(const char *as, size_t alen, const char *bs, size_t blen,
                 const char *label_a, const char *label_b, unsigned context,
                 struct buf *out)
{
    struct line *a = NULL, *b = NULL;
    size_t n = 0, m = 0;
    if (buf_reserve(out, 0) < 0 || split_lines(as, alen, &a, &n) < 0 ||
        split_lines(bs, blen, &b, &m) < 0) {
        free(a);
        free(b);
        return -ENOMEM;
    }
    size_t pre = 0;
    while (pre < n && pre < m && line_eq(&a[pre], &b[pre]))
        pre++;
    size_t suf = 0;
    while (suf < n - pre && suf < m - pre && line_eq(&a[n - 1 - suf], &b[m - 1 - suf]))
        suf++;
    unsigned char *dela = calloc(n + 1, 1), *insb = calloc(m + 1, 1);
    if (!dela || !insb) {
        free(a);
        free(b);
        free(dela);
        free(insb);
        return -ENOMEM;
    }
    int r = myers(a + pre, n - pre - suf, b + pre, m - pre - suf, dela + pre, insb + pre);
    if (r < 0)
        goto done;
    if (pre == n && pre == m)
        goto done; /* equal */

    buf_printf(out, "--- %s\n+++ %s\n", label_a, label_b);
    /* Walk both sequences in step, grouping changes into hunks. */
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        /* find next change */
        size_t ci = i, cj = j;
        while (ci < n && cj < m && !dela[ci] && !insb[cj]) {
            ci++;
            cj++;
        }
        if (ci >= n && cj >= m)
            break;
        /* hunk starts `context` lines before the change */
        size_t back = ci - i < context ? ci - i : context;
        if (ci < context)
            back = ci;
        size_t hi = ci - back, hj = cj - back;
        /* extend the hunk while the next change is within 2*context lines */
        size_t ei = ci, ej = cj;
        for (;;) {
            while ((ei < n && dela[ei]) || (ej < m && insb[ej])) {
                if (ei < n && dela[ei])
                    ei++;
                else
                    ej++;
            }
            size_t run = 0;
            while (ei + run < n && ej + run < m && !dela[ei + run] && !insb[ej + run])
                run++;
            bool at_end = ei + run >= n && ej + run >= m;
            if (!at_end && run <= 2 * context) {
                ei += run;
                ej += run;
                continue;
            }
            size_t tail = run < context ? run : context;
            ei += tail;
            ej += tail;
            break;
        }
        buf_puts(out, "@@ -");
        emit_range(out, hi, ei - hi);
        buf_puts(out, " +");
        emit_range(out, hj, ej - hj);
        buf_puts(out, " @@\n");
        size_t x = hi, y = hj;
        while (x < ei || y < ej) {
            if (x < ei && dela[x])
                emit_line(out, '-', &a[x++]);
            else if (y < ej && insb[y])
                emit_line(out, '+', &b[y++]);
            else {
                emit_line(out, ' ', &a[x]);
                x++;
                y++;
            }
        }
        i = ei;
        j = ej;
    }
done:
    free(a);
    free(b);
    free(dela);
    free(insb);
    return r;
}
