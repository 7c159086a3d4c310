/* systemd calendar events (OnCalendar=, borgbackup's startAt): parse, normalize, next
 * elapse, month preview -- behaving exactly like systemd 252's calendarspec.c.
 *
 * All time-zone state lives in a struct calendar_ctx: the local zone (TZ or
 * /etc/localtime, read once) and every named zone used so far (TZif files read once
 * and cached). Nothing here touches TZ, tzset() or other global state. A ctx and the
 * specs parsed with it are not thread-safe; use one ctx per thread. */
#ifndef CLAN_CORE_CALENDAR_H
#define CLAN_CORE_CALENDAR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"

#define CALENDAR_USEC_PER_SEC 1000000ULL
/* Largest timestamp systemd formats (year 9999); bases beyond it are rejected. */
#define CALENDAR_USEC_FORMATTABLE_MAX 253402214399999999ULL

struct calendar_ctx;
struct calendar_spec;

/* A context for the local zone taken from $TZ (or /etc/localtime when TZ is unset). */
struct calendar_ctx *calendar_ctx_new(void);
/* Same, with the local zone given as a TZ value (":Europe/Berlin", "Europe/Berlin",
 * "/path/to/tzif", a POSIX rule such as "CET-1CEST,M3.5.0,M10.5.0/3"; NULL or "" = UTC). */
struct calendar_ctx *calendar_ctx_new_tz(const char *tz);
void calendar_ctx_free(struct calendar_ctx *ctx);
/* True when the local zone is UTC for systemd's purposes (glibc timezone == 0 and
 * daylight == 0): then systemd-analyze prints no "(in UTC)" lines. */
bool calendar_ctx_local_is_utc(const struct calendar_ctx *ctx);

/* Parse an expression exactly as systemd 252's calendar_spec_from_string(). Returns 0,
 * -EINVAL, -ERANGE, -ENOBUFS or -ENOMEM. On failure d gets a message whose col is the
 * 1-based byte column of the offending character (line 1, file NULL). */
int calendar_parse(struct calendar_ctx *ctx, const char *text, struct calendar_spec **ret,
                   struct diag *d);
void calendar_spec_free(struct calendar_spec *spec);
/* Append the normalized form (systemd's "Normalized form:") to out. */
int calendar_format(const struct calendar_spec *spec, struct buf *out);
/* The named zone of the spec ("Europe/Berlin"), or NULL (local zone or UTC). */
const char *calendar_spec_timezone(const struct calendar_spec *spec);
bool calendar_spec_is_utc(const struct calendar_spec *spec);

/* The first elapse strictly after base (µs since the epoch). Returns 0, -ENOENT (never
 * again), -EDEADLK (systemd's 1000-iteration safety valve), -EINVAL (base too large). */
int calendar_next(struct calendar_ctx *ctx, const struct calendar_spec *spec, uint64_t base,
                  uint64_t *ret);

/* Month preview for the schedule editor: days are those of the ctx's local zone.
 * times[] holds the first elapses inside the month, day_count[d] how many fall on day
 * d+1; UINT16_MAX means "many" (a day with 96 or more elapses is not walked further,
 * and the whole scan stops after CALENDAR_MONTH_SCAN_MAX), so a call costs at most a
 * few thousand next-elapse steps -- fine for every keystroke. */
#define CALENDAR_MONTH_TIMES 64
#define CALENDAR_MONTH_SCAN_MAX 5000
struct calendar_month {
    int year, month;           /* as asked, month 1..12 */
    int days;                  /* days in that month */
    int first_wday;            /* weekday of the 1st, 0 = Monday */
    uint16_t day_count[31];
    uint32_t total;            /* elapses counted (up to the scan limit) */
    bool truncated;            /* the scan limit was reached */
    int error;                 /* 0, or the negative errno that stopped the scan early */
    unsigned ntimes;
    uint64_t times[CALENDAR_MONTH_TIMES];
};
int calendar_month(struct calendar_ctx *ctx, const struct calendar_spec *spec, int year,
                   int month, struct calendar_month *out);

/* "Mon 2026-11-30 03:00:00 CET" in the ctx's local zone, or with utc "... UTC", as
 * systemd's format_timestamp() prints it (microseconds cut off). */
int calendar_format_timestamp(struct calendar_ctx *ctx, uint64_t usec, bool utc,
                              struct buf *out);
/* "3 days 4h left", "2 months 1 day ago", "now", as format_timestamp_relative(). */
int calendar_format_relative(uint64_t usec, uint64_t now, struct buf *out);

/* systemd's parse_timestamp(): "2026-01-01 12:00[:00[.frac]] [UTC|ABBR|Zone]", "@SECS",
 * "now", "today", "+5min", "2 weeks ago", "Mon 2026-01-05 ...", "12:00", ... relative to
 * now (µs). Returns 0 or -EINVAL/-ERANGE. */
int calendar_parse_timestamp(struct calendar_ctx *ctx, const char *text, uint64_t now,
                             uint64_t *ret);
/* systemd's parse_time() with seconds as the default unit ("5min", "1h 30s", "2.5"). */
int calendar_parse_timespan(const char *text, uint64_t *ret);

#endif
