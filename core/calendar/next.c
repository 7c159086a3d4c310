/* Next elapse: the same walk as systemd 252's find_next(), year -> month -> day ->
 * weekday -> hour -> minute -> second, with its 1000-iteration safety valve and its
 * "did mktime() normalize the candidate?" checks, on our own zone code. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar/internal.h"

/* ---- context ---- */

struct calendar_ctx *calendar_ctx_new_tz(const char *tz)
{
    struct calendar_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    if (!tz || !*tz || !strcmp(tz, ":"))
        ctx->local = tz_zone_utc();
    else
        ctx->local = tz_zone_load(tz, true);
    if (!ctx->local) {
        free(ctx);
        return NULL;
    }
    ctx->utc = tz_zone_utc_leaps(ctx->local);
    return ctx;
}

struct calendar_ctx *calendar_ctx_new(void)
{
    const char *tz = getenv("TZ");
    if (!tz)
        tz = "/etc/localtime";
    return calendar_ctx_new_tz(tz);
}

void calendar_ctx_free(struct calendar_ctx *ctx)
{
    if (!ctx)
        return;
    tz_zone_free(ctx->local);
    tz_zone_free(ctx->utc);
    while (ctx->zones) {
        struct tz_zone *n = ctx->zones->next;
        tz_zone_free(ctx->zones);
        ctx->zones = n;
    }
    free(ctx);
}

void cal_gmtime(const struct calendar_ctx *ctx, int64_t t, struct tm *tm)
{
    if (ctx->utc)
        tz_localtime(ctx->utc, t, tm);
    else
        tz_gmtime(t, tm);
}

int64_t cal_timegm(struct calendar_ctx *ctx, struct tm *tm)
{
    return ctx->utc ? tz_mktime(ctx->utc, tm, &ctx->utc_offset) : tz_timegm(tm);
}

bool calendar_ctx_local_is_utc(const struct calendar_ctx *ctx)
{
    return ctx->local->std_off == 0 && !ctx->local->daylight;
}

struct tz_zone *calendar_ctx_zone(struct calendar_ctx *ctx, const char *name)
{
    for (struct tz_zone *z = ctx->zones; z; z = z->next)
        if (!strcmp(z->name, name))
            return z;
    struct tz_zone *z = tz_zone_load(name, false);
    if (!z)
        return NULL;
    z->next = ctx->zones;
    ctx->zones = z;
    return z;
}

/* ---- the search ---- */

struct frame {
    struct tz_zone *zone; /* NULL: UTC via timegm */
    long *offset;         /* glibc mktime's remembered guess */
};

static int64_t fr_mktime(const struct frame *f, struct tm *tm)
{
    if (!f->zone)
        return tz_timegm(tm);
    return tz_mktime(f->zone, tm, f->offset);
}

/* In the UTC frame, timegm() leaves fields that are already in range as they are, so
 * the search can skip it for them: that is where the speed of the UTC path comes from.
 * (Years before 1970 would make timegm() negative, i.e. an error: not "normal".) */
static bool utc_normal(const struct frame *f, const struct tm *t)
{
    return !f->zone && t->tm_year >= 70 && t->tm_mon >= 0 && t->tm_mon <= 11 && t->tm_mday >= 1 &&
           t->tm_mday <= tz_days_in_month(t->tm_year + 1900, t->tm_mon + 1) && t->tm_hour >= 0 &&
           t->tm_hour <= 23 && t->tm_min >= 0 && t->tm_min <= 59 && t->tm_sec >= 0 &&
           t->tm_sec <= 59;
}

static int end_of_month_day(const struct frame *f, const struct tm *tm, int day)
{
    if (utc_normal(f, tm)) {
        int dim = tz_days_in_month(tm->tm_year + 1900, tm->tm_mon + 1);
        return day >= 1 && day <= dim ? dim + 1 - day : -1;
    }
    struct tm t = *tm;
    t.tm_mon++;
    t.tm_mday = 1 - day;
    if (fr_mktime(f, &t) < 0 || t.tm_mon != tm->tm_mon)
        return -1;
    return t.tm_mday;
}

static int find_matching(const struct frame *f, const struct calendar_spec *spec, int which,
                         const struct tm *tm, int *val)
{
    const struct cal_chain *c = &spec->c[which];
    if (c->n == 0)
        return 0;
    bool eom = spec->end_of_month && which == CAL_DAY;
    int d = -1;
    bool d_set = false;
    for (int i = 0; i < c->n; i++) {
        const struct cal_item *it = &c->v[i];
        int start, stop;
        if (eom) {
            start = end_of_month_day(f, tm, it->start);
            stop = end_of_month_day(f, tm, it->stop);
            if (stop > 0) {
                int x = start;
                start = stop;
                stop = x;
            }
        } else {
            start = it->start;
            stop = it->stop;
        }
        if (start >= *val) {
            if (!d_set || start < d) {
                d = start;
                d_set = true;
            }
        } else if (it->repeat > 0) {
            int k = start + it->repeat * ((*val - start + it->repeat - 1) / it->repeat);
            if ((!d_set || k < d) && (stop < 0 || k <= stop)) {
                d = k;
                d_set = true;
            }
        }
    }
    if (!d_set)
        return -ENOENT;
    int changed = *val != d;
    *val = d;
    return changed;
}

static int cmp_int(int a, int b)
{
    return (a > b) - (a < b);
}

/* 1: tm is already normalized; 0: normalization moved it forward (tm updated);
 * <0: moved backward or out of range. */
static int within_bounds(const struct frame *f, struct tm *tm)
{
    if (tm->tm_year + 1900 > CAL_MAX_YEAR)
        return -ERANGE;
    if (utc_normal(f, tm))
        return 1;
    struct tm t = *tm;
    if (fr_mktime(f, &t) < 0)
        return -EOVERFLOW;
    int c;
    if ((c = cmp_int(t.tm_year, tm->tm_year)) != 0)
        t.tm_mon = 0;
    else if ((c = cmp_int(t.tm_mon, tm->tm_mon)) != 0)
        t.tm_mday = 1;
    else if ((c = cmp_int(t.tm_mday, tm->tm_mday)) != 0)
        t.tm_hour = 0;
    else if ((c = cmp_int(t.tm_hour, tm->tm_hour)) != 0)
        t.tm_min = 0;
    else if ((c = cmp_int(t.tm_min, tm->tm_min)) != 0)
        t.tm_sec = 0;
    else
        c = cmp_int(t.tm_sec, tm->tm_sec);
    if (c < 0)
        return -EDEADLK;
    if (c > 0)
        *tm = t;
    return c == 0;
}

static bool matches_weekday(const struct frame *f, int bits, const struct tm *tm)
{
    if (bits < 0 || bits >= CAL_WEEKDAYS_ALL)
        return true;
    if (utc_normal(f, tm)) {
        int64_t days = tz_days_from_civil(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
        int k = (int)((days % 7 + 10) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
        return bits & (1 << k);
    }
    struct tm t = *tm;
    if (fr_mktime(f, &t) < 0)
        return false;
    int k = t.tm_wday == 0 ? 6 : t.tm_wday - 1;
    return bits & (1 << k);
}

#define MAX_ITERATIONS 1000

static int find_next(const struct frame *f, const struct calendar_spec *spec, struct tm *tm,
                     int *usec)
{
    struct tm c = *tm;
    const struct tm start = *tm;
    int tm_usec = *usec, r;
    /* Debian's 252.39 carries systemd's fix for zones with negative DST (Europe/Dublin,
     * PR #36897, read from the shipped binary): a match earlier than the start bumps
     * the hour and from then on keeps the tm_isdst that normalization produced. */
    bool keep_isdst = false;
    for (unsigned it = 0; it < MAX_ITERATIONS; it++) {
        if (!utc_normal(f, &c))
            (void)fr_mktime(f, &c);
        if (!keep_isdst)
            c.tm_isdst = spec->dst;

        c.tm_year += 1900;
        r = find_matching(f, spec, CAL_YEAR, &c, &c.tm_year);
        c.tm_year -= 1900;
        if (r > 0) {
            c.tm_mon = 0;
            c.tm_mday = 1;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
        }
        if (r < 0)
            return r;
        if (within_bounds(f, &c) <= 0)
            return -ENOENT;

        c.tm_mon += 1;
        r = find_matching(f, spec, CAL_MONTH, &c, &c.tm_mon);
        c.tm_mon -= 1;
        if (r > 0) {
            c.tm_mday = 1;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
        }
        if (r < 0 || (r = within_bounds(f, &c)) < 0) {
            c.tm_year++;
            c.tm_mon = 0;
            c.tm_mday = 1;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
            continue;
        }
        if (r == 0)
            continue;

        r = find_matching(f, spec, CAL_DAY, &c, &c.tm_mday);
        if (r > 0)
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
        if (r < 0 || (r = within_bounds(f, &c)) < 0) {
            c.tm_mon++;
            c.tm_mday = 1;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
            continue;
        }
        if (r == 0)
            continue;

        if (!matches_weekday(f, spec->weekdays, &c)) {
            c.tm_mday++;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
            continue;
        }

        r = find_matching(f, spec, CAL_HOUR, &c, &c.tm_hour);
        if (r > 0)
            c.tm_min = c.tm_sec = tm_usec = 0;
        if (r < 0 || (r = within_bounds(f, &c)) < 0) {
            c.tm_mday++;
            c.tm_hour = c.tm_min = c.tm_sec = tm_usec = 0;
            continue;
        }
        if (r == 0)
            continue;

        r = find_matching(f, spec, CAL_MINUTE, &c, &c.tm_min);
        if (r > 0)
            c.tm_sec = tm_usec = 0;
        if (r < 0 || (r = within_bounds(f, &c)) < 0) {
            c.tm_hour++;
            c.tm_min = c.tm_sec = tm_usec = 0;
            continue;
        }
        if (r == 0)
            continue;

        c.tm_sec = c.tm_sec * CAL_USEC + tm_usec;
        r = find_matching(f, spec, CAL_USECS, &c, &c.tm_sec);
        tm_usec = c.tm_sec % CAL_USEC;
        c.tm_sec /= CAL_USEC;
        if (r < 0 || (r = within_bounds(f, &c)) < 0) {
            c.tm_min++;
            c.tm_sec = tm_usec = 0;
            continue;
        }
        if (r == 0)
            continue;

        int order = cmp_int(c.tm_year, start.tm_year);
        if (!order)
            order = cmp_int(c.tm_mon, start.tm_mon);
        if (!order)
            order = cmp_int(c.tm_mday, start.tm_mday);
        if (!order)
            order = cmp_int(c.tm_hour, start.tm_hour);
        if (!order)
            order = cmp_int(c.tm_min, start.tm_min);
        if (!order)
            order = cmp_int(c.tm_sec, start.tm_sec);
        if (order < 0 || (order == 0 && *usec > tm_usec)) {
            c.tm_hour++;
            keep_isdst = true;
            continue;
        }

        *tm = c;
        *usec = tm_usec;
        return 0;
    }
    return -EDEADLK;
}

int calendar_next(struct calendar_ctx *ctx, const struct calendar_spec *spec, uint64_t base,
                  uint64_t *ret)
{
    if (base > CALENDAR_USEC_FORMATTABLE_MAX)
        return -EINVAL;
    struct frame f = {ctx->utc, &ctx->utc_offset};
    long named_offset;
    if (!spec->utc && !(spec->dst < 0 && !spec->timezone && ctx->local->is_utc)) {
        if (spec->timezone) {
            f.zone = calendar_ctx_zone(ctx, spec->timezone);
            if (!f.zone)
                return -ENOENT;
            /* systemd forks: the child starts from the parent's guess, and its own
             * updates are lost. */
            named_offset = ctx->local_offset;
            f.offset = &named_offset;
        } else {
            f.zone = ctx->local;
            f.offset = &ctx->local_offset;
        }
    }
    base++;
    int64_t t = (int64_t)(base / CALENDAR_USEC_PER_SEC);
    struct tm tm;
    if (f.zone)
        tz_localtime(f.zone, t, &tm);
    else
        tz_gmtime(t, &tm);
    int usec = (int)(base % CALENDAR_USEC_PER_SEC);
    int r = find_next(&f, spec, &tm, &usec);
    if (r < 0)
        return r;
    t = fr_mktime(&f, &tm);
    if (t < 0)
        return -EINVAL;
    *ret = (uint64_t)t * CALENDAR_USEC_PER_SEC + (uint64_t)usec;
    return 0;
}
