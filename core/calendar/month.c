/* Month preview for the schedule editor: which days of a month fire, and when.
 * Bounded work per call (at most CAP_PER_DAY elapses are walked per day, then the
 * walk jumps to the next local midnight), so it is cheap enough for every keystroke. */
#include <errno.h>
#include <string.h>

#include "core/calendar/internal.h"

#define CAP_PER_DAY 96

/* µs of local midnight starting day (y, m, d); d may run past the month's end. */
static int64_t local_midnight(struct calendar_ctx *ctx, int y, int m, int d, long *offset)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    int64_t t = tz_mktime(ctx->local, &tm, offset);
    return t;
}

int calendar_month(struct calendar_ctx *ctx, const struct calendar_spec *spec, int year,
                   int month, struct calendar_month *out)
{
    if (month < 1 || month > 12 || year < CAL_MIN_YEAR || year > CAL_MAX_YEAR)
        return -EINVAL;
    struct calendar_month m;
    memset(&m, 0, sizeof m);
    m.year = year;
    m.month = month;
    m.days = tz_days_in_month(year, month);
    int64_t first = tz_days_from_civil(year, month, 1);
    m.first_wday = (int)(((first % 7) + 10) % 7); /* 1970-01-01 was a Thursday (3) */
    long offset = ctx->local_offset;
    int64_t start = local_midnight(ctx, year, month, 1, &offset);
    int64_t end = local_midnight(ctx, year, month, m.days + 1, &offset);
    if (start < 0 || end <= start)
        return -EINVAL;
    uint64_t base = (uint64_t)start * CALENDAR_USEC_PER_SEC;
    uint64_t limit = (uint64_t)end * CALENDAR_USEC_PER_SEC;
    base = base ? base - 1 : 0; /* calendar_next is strictly after */
    int cur_day = -1, in_day = 0;
    while (m.total < CALENDAR_MONTH_SCAN_MAX) {
        uint64_t next;
        int r = calendar_next(ctx, spec, base, &next);
        if (r == -ENOENT)
            break;
        if (r < 0) {
            m.error = r;
            break;
        }
        if (next >= limit)
            break;
        struct tm tm;
        tz_localtime(ctx->local, (int64_t)(next / CALENDAR_USEC_PER_SEC), &tm);
        int day = tm.tm_mday;
        if (tm.tm_mon + 1 != month || tm.tm_year + 1900 != year) /* cannot happen; be safe */
            break;
        if (m.day_count[day - 1] < UINT16_MAX)
            m.day_count[day - 1]++;
        m.total++;
        if (m.ntimes < CALENDAR_MONTH_TIMES)
            m.times[m.ntimes++] = next;
        if (day != cur_day) {
            cur_day = day;
            in_day = 0;
        }
        base = next;
        if (++in_day >= CAP_PER_DAY) {
            /* many elapses on one day: mark it as saturated, skip to the next day */
            m.day_count[day - 1] = UINT16_MAX;
            m.truncated = true;
            if (day >= m.days)
                break;
            int64_t nd = local_midnight(ctx, year, month, day + 1, &offset);
            if (nd <= 0)
                break;
            base = (uint64_t)nd * CALENDAR_USEC_PER_SEC - 1;
        }
    }
    if (m.total >= CALENDAR_MONTH_SCAN_MAX)
        m.truncated = true;
    *out = m;
    return 0;
}
