/* libFuzzer target for core/calendar: parse -> normalize -> parse the normalized form
 * again -> it must be accepted and normalize to the same string. Also runs a few
 * next-elapse steps so the search is exercised on whatever parses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct calendar_ctx *ctx_get(void)
{
    static struct calendar_ctx *ctx; /* fuzzer harness only: one context for the run */
    if (!ctx)
        ctx = calendar_ctx_new_tz("Europe/Berlin");
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    struct calendar_ctx *ctx = ctx_get();
    struct calendar_spec *a = NULL, *b = NULL;
    struct diag d = {0};
    if (calendar_parse(ctx, s, &a, &d) == 0) {
        struct buf n1 = {0}, n2 = {0};
        if (calendar_format(a, &n1) < 0)
            abort();
        if (calendar_parse(ctx, n1.p, &b, &d) != 0) {
            fprintf(stderr, "normalized form rejected: '%s' -> '%s': %s\n", s, n1.p, d.msg);
            abort();
        }
        if (calendar_format(b, &n2) < 0 || strcmp(n1.p, n2.p)) {
            fprintf(stderr, "not idempotent: '%s' -> '%s' -> '%s'\n", s, n1.p, n2.p);
            abort();
        }
        uint64_t t = 1780000000000000ULL, next;
        for (int i = 0; i < 3 && calendar_next(ctx, a, t, &next) == 0; i++) {
            if (next <= t)
                abort();
            t = next;
        }
        buf_free(&n1);
        buf_free(&n2);
    } else if (!d.msg || d.col < 1 || d.col > size + 1) {
        fprintf(stderr, "bad diagnostic for '%s'\n", s);
        abort();
    }
    diag_clear(&d);
    calendar_spec_free(a);
    calendar_spec_free(b);
    free(s);
    return 0;
}
