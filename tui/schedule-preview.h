/* What the schedule editor shows for an expression, computed without curses (so the
 * benchmark measures exactly what a keystroke costs): valid or the error with its column,
 * the normalized form, the next runs in local time and UTC, and two month grids. */
#ifndef CLAN_TUI_SCHEDULE_PREVIEW_H
#define CLAN_TUI_SCHEDULE_PREVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/calendar.h"

#define SCHED_RUNS 10
#define SCHED_MONTHS 2

struct sched_preview {
    bool valid;
    unsigned err_col;              /* invalid: 1-based column of the problem */
    char err[256];                 /* invalid: the message */
    char normalized[512];
    int nruns;
    char local[SCHED_RUNS][48];    /* "Mon 2026-11-30 03:00:00 UTC" */
    char utc[SCHED_RUNS][48];      /* "Mon 03:00:00 UTC" (the weekday tells the date) */
    int runs_error;                /* 0, -ENOENT (never again), ... */
    struct calendar_month months[SCHED_MONTHS];
};

/* Compute the preview of expr at time now, with the grids starting at year/month (local).
 * Returns 0 (out->valid tells whether expr parses) or -ENOMEM. */
int sched_preview_compute(struct calendar_ctx *ctx, const char *expr, uint64_t now, int year,
                          int month, struct sched_preview *out);

#endif
