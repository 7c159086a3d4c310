/* The schedule editor's preview: parse, normalize, ten next elapses, two month grids. */
#include "tui/schedule-preview.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"

int sched_preview_compute(struct calendar_ctx *ctx, const char *expr, uint64_t now, int year,
                          int month, struct sched_preview *out)
{
    struct calendar_spec *spec = NULL;
    struct diag d = {0};
    memset(out, 0, sizeof(*out));
    int r = calendar_parse(ctx, expr, &spec, &d);
    if (r == -ENOMEM) {
        diag_clear(&d);
        return r;
    }
    if (r < 0) {
        out->err_col = d.col ? d.col : 1;
        snprintf(out->err, sizeof(out->err), "%s", d.msg ? d.msg : "invalid calendar expression");
        diag_clear(&d);
        return 0;
    }
    out->valid = true;
    struct buf b = {0};
    if (calendar_format(spec, &b) < 0) {
        calendar_spec_free(spec);
        buf_free(&b);
        return -ENOMEM;
    }
    snprintf(out->normalized, sizeof(out->normalized), "%s", b.p ? b.p : "");
    uint64_t t = now;
    for (int i = 0; i < SCHED_RUNS; i++) {
        uint64_t next;
        int e = calendar_next(ctx, spec, t, &next);
        if (e < 0) {
            out->runs_error = e;
            break;
        }
        buf_reset(&b);
        if (calendar_format_timestamp(ctx, next, false, &b) == 0)
            snprintf(out->local[i], sizeof(out->local[i]), "%s", b.p);
        buf_reset(&b);
        /* "Mon 2026-11-30 03:00:00 UTC" -> "Mon 03:00:00 UTC": the date is the local one's
         * or a day next to it, which the weekday tells */
        if (calendar_format_timestamp(ctx, next, true, &b) == 0) {
            bool dated = b.len > 15 && b.p[3] == ' ' && b.p[14] == ' ';
            snprintf(out->utc[i], sizeof(out->utc[i]), "%.4s%s", dated ? b.p : "",
                     dated ? b.p + 15 : b.p);
        }
        out->nruns++;
        t = next;
    }
    buf_free(&b);
    for (int k = 0; k < SCHED_MONTHS; k++) {
        int y = year, m = month + k;
        while (m > 12) {
            m -= 12;
            y++;
        }
        if (calendar_month(ctx, spec, y, m, &out->months[k]) == -ENOMEM) {
            calendar_spec_free(spec);
            return -ENOMEM;
        }
    }
    calendar_spec_free(spec);
    return 0;
}
