/* Timestamps as systemd formats and parses them: format_timestamp(),
 * format_timestamp_relative(), parse_timestamp() (for --base-time and for
 * systemd-analyze's "valid timestamp" hint) and parse_time() (the timespan hint). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/calendar/internal.h"

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL
#define USEC_PER_MINUTE (60ULL * USEC_PER_SEC)
#define USEC_PER_HOUR (60ULL * USEC_PER_MINUTE)
#define USEC_PER_DAY (24ULL * USEC_PER_HOUR)
#define USEC_PER_WEEK (7ULL * USEC_PER_DAY)
#define USEC_PER_MONTH (2629800ULL * USEC_PER_SEC)
#define USEC_PER_YEAR (31557600ULL * USEC_PER_SEC)
#define USEC_INFINITY UINT64_MAX

static const char *const wday_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

int calendar_format_timestamp(struct calendar_ctx *ctx, uint64_t usec, bool utc, struct buf *out)
{
    if (usec > CALENDAR_USEC_FORMATTABLE_MAX)
        return buf_puts(out, "--- XXXX-XX-XX XX:XX:XX");
    int64_t sec = (int64_t)(usec / USEC_PER_SEC);
    struct tm tm;
    if (utc)
        cal_gmtime(ctx, sec, &tm);
    else
        tz_localtime(ctx->local, sec, &tm);
    int r = buf_printf(out, "%s %04d-%02d-%02d %02d:%02d:%02d", wday_names[tm.tm_wday],
                       tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                       tm.tm_sec);
    if (r < 0)
        return r;
    if (utc)
        return buf_puts(out, " UTC");
    if (tm.tm_zone && *tm.tm_zone)
        return buf_printf(out, " %s", tm.tm_zone);
    return 0;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int calendar_format_relative(uint64_t t, uint64_t n, struct buf *b)
{
    const char *s;
    uint64_t d;
    if (n > t) {
        d = n - t;
        s = "ago";
    } else {
        d = t - n;
        s = "left";
    }
#define U(x) ((unsigned long long)(x))
    if (d >= USEC_PER_YEAR) {
        uint64_t y = d / USEC_PER_YEAR, m = (d % USEC_PER_YEAR) / USEC_PER_MONTH;
        return buf_printf(b, "%llu %s %llu %s %s", U(y), plural(y, "year", "years"), U(m),
                          plural(m, "month", "months"), s);
    }
    if (d >= USEC_PER_MONTH) {
        uint64_t m = d / USEC_PER_MONTH, dd = (d % USEC_PER_MONTH) / USEC_PER_DAY;
        return buf_printf(b, "%llu %s %llu %s %s", U(m), plural(m, "month", "months"), U(dd),
                          plural(dd, "day", "days"), s);
    }
    if (d >= USEC_PER_WEEK) {
        uint64_t w = d / USEC_PER_WEEK, dd = (d % USEC_PER_WEEK) / USEC_PER_DAY;
        return buf_printf(b, "%llu %s %llu %s %s", U(w), plural(w, "week", "weeks"), U(dd),
                          plural(dd, "day", "days"), s);
    }
    if (d >= 2 * USEC_PER_DAY)
        return buf_printf(b, "%llu days %s", U(d / USEC_PER_DAY), s);
    if (d >= 25 * USEC_PER_HOUR)
        return buf_printf(b, "1 day %lluh %s", U((d - USEC_PER_DAY) / USEC_PER_HOUR), s);
    if (d >= 6 * USEC_PER_HOUR)
        return buf_printf(b, "%lluh %s", U(d / USEC_PER_HOUR), s);
    if (d >= USEC_PER_HOUR)
        return buf_printf(b, "%lluh %llumin %s", U(d / USEC_PER_HOUR),
                          U((d % USEC_PER_HOUR) / USEC_PER_MINUTE), s);
    if (d >= 5 * USEC_PER_MINUTE)
        return buf_printf(b, "%llumin %s", U(d / USEC_PER_MINUTE), s);
    if (d >= USEC_PER_MINUTE)
        return buf_printf(b, "%llumin %llus %s", U(d / USEC_PER_MINUTE),
                          U((d % USEC_PER_MINUTE) / USEC_PER_SEC), s);
    if (d >= USEC_PER_SEC)
        return buf_printf(b, "%llus %s", U(d / USEC_PER_SEC), s);
    if (d >= USEC_PER_MSEC)
        return buf_printf(b, "%llums %s", U(d / USEC_PER_MSEC), s);
    if (d > 0)
        return buf_printf(b, "%lluus %s", U(d), s);
    return buf_puts(b, "now");
#undef U
}

/* ---- parse_time() ---- */

static const char *multiplier(const char *p, uint64_t *mul)
{
    static const struct {
        const char *suffix;
        uint64_t usec;
    } tab[] = {
        {"seconds", USEC_PER_SEC}, {"second", USEC_PER_SEC}, {"sec", USEC_PER_SEC},
        {"s", USEC_PER_SEC},       {"minutes", USEC_PER_MINUTE}, {"minute", USEC_PER_MINUTE},
        {"min", USEC_PER_MINUTE},  {"months", USEC_PER_MONTH}, {"month", USEC_PER_MONTH},
        {"M", USEC_PER_MONTH},     {"msec", USEC_PER_MSEC}, {"ms", USEC_PER_MSEC},
        {"m", USEC_PER_MINUTE},    {"hours", USEC_PER_HOUR}, {"hour", USEC_PER_HOUR},
        {"hr", USEC_PER_HOUR},     {"h", USEC_PER_HOUR},     {"days", USEC_PER_DAY},
        {"day", USEC_PER_DAY},     {"d", USEC_PER_DAY},      {"weeks", USEC_PER_WEEK},
        {"week", USEC_PER_WEEK},   {"w", USEC_PER_WEEK},     {"years", USEC_PER_YEAR},
        {"year", USEC_PER_YEAR},   {"y", USEC_PER_YEAR},     {"usec", 1},
        {"us", 1},                 {"\xce\xbcs", 1},         {"\xc2\xb5s", 1},
    };
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        size_t n = strlen(tab[i].suffix);
        if (!strncmp(p, tab[i].suffix, n)) {
            *mul = tab[i].usec;
            return p + n;
        }
    }
    return p;
}

#define WS " \t\n\r"

static int parse_time_unit(const char *t, uint64_t *usec, uint64_t default_unit)
{
    const char *p = t, *s;
    uint64_t r = 0;
    bool something = false;
    p += strspn(p, WS);
    if (!strncmp(p, "infinity", 8)) {
        s = p + 8;
        s += strspn(s, WS);
        if (*s)
            return -EINVAL;
        *usec = USEC_INFINITY;
        return 0;
    }
    for (;;) {
        uint64_t mul = default_unit, k;
        char *e;
        p += strspn(p, WS);
        if (*p == 0) {
            if (!something)
                return -EINVAL;
            break;
        }
        if (*p == '-')
            return -ERANGE;
        errno = 0;
        long long l = strtoll(p, &e, 10);
        if (errno > 0)
            return -errno;
        if (l < 0)
            return -ERANGE;
        if (*e == '.') {
            p = e + 1;
            p += strspn(p, "0123456789");
        } else if (e == p)
            return -EINVAL;
        else
            p = e;
        s = multiplier(p + strspn(p, WS), &mul);
        if (s == p && *s != 0)
            return -EINVAL;
        p = s;
        if ((uint64_t)l >= USEC_INFINITY / mul)
            return -ERANGE;
        k = (uint64_t)l * mul;
        if (k >= USEC_INFINITY - r)
            return -ERANGE;
        r += k;
        something = true;
        if (*e == '.') {
            uint64_t m = mul / 10;
            const char *b;
            for (b = e + 1; *b >= '0' && *b <= '9'; b++, m /= 10) {
                k = (uint64_t)(*b - '0') * m;
                if (k >= USEC_INFINITY - r)
                    return -ERANGE;
                r += k;
            }
            if (b == e + 1)
                return -EINVAL;
        }
    }
    *usec = r;
    return 0;
}

int calendar_parse_timespan(const char *text, uint64_t *ret)
{
    uint64_t u;
    int r = parse_time_unit(text, &u, USEC_PER_SEC);
    if (r < 0)
        return r;
    if (ret)
        *ret = u;
    return 0;
}

/* ---- strptime subset (glibc semantics for the formats systemd tries) ---- */

static bool get_number(const char **rp, int from, int to, int n, int *val)
{
    const char *p = *rp;
    while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
        p++;
    if (*p < '0' || *p > '9')
        return false;
    int v = 0;
    do {
        v = v * 10 + (*p++ - '0');
    } while (--n > 0 && v * 10 <= to && *p >= '0' && *p <= '9');
    if (v < from || v > to)
        return false;
    *val = v;
    *rp = p;
    return true;
}

static const char *mini_strptime(const char *rp, const char *fmt, struct tm *tm)
{
    static const char *const months[12] = {"January", "February", "March",     "April",
                                           "May",     "June",     "July",      "August",
                                           "September", "October", "November", "December"};
    bool want_xday = false, century_y = false;
    int v;
    for (; *fmt; fmt++) {
        if (*fmt == ' ') {
            while (*rp == ' ' || (*rp >= '\t' && *rp <= '\r'))
                rp++;
            continue;
        }
        if (*fmt != '%') {
            if (*rp++ != *fmt)
                return NULL;
            continue;
        }
        switch (*++fmt) {
        case 'Y':
            if (!get_number(&rp, 0, 9999, 4, &v))
                return NULL;
            tm->tm_year = v - 1900;
            want_xday = true;
            break;
        case 'y':
            if (!get_number(&rp, 0, 99, 2, &v))
                return NULL;
            tm->tm_year = v >= 69 ? v : v + 100;
            century_y = true;
            want_xday = true;
            break;
        case 'm':
            if (!get_number(&rp, 1, 12, 2, &v))
                return NULL;
            tm->tm_mon = v - 1;
            want_xday = true;
            break;
        case 'd':
            if (!get_number(&rp, 1, 31, 2, &v))
                return NULL;
            tm->tm_mday = v;
            want_xday = true;
            break;
        case 'H':
            if (!get_number(&rp, 0, 23, 2, &v))
                return NULL;
            tm->tm_hour = v;
            break;
        case 'M':
            if (!get_number(&rp, 0, 59, 2, &v))
                return NULL;
            tm->tm_min = v;
            break;
        case 'S':
            if (!get_number(&rp, 0, 61, 2, &v))
                return NULL;
            tm->tm_sec = v;
            break;
        case 'b': {
            int best = -1;
            size_t bestlen = 0;
            for (int i = 0; i < 12; i++) {
                size_t full = strlen(months[i]);
                if (!strncasecmp(rp, months[i], full) && full > bestlen) {
                    best = i;
                    bestlen = full;
                } else if (!strncasecmp(rp, months[i], 3) && 3 > bestlen) {
                    best = i;
                    bestlen = 3;
                }
            }
            if (best < 0)
                return NULL;
            rp += bestlen;
            tm->tm_mon = best;
            want_xday = true;
            break;
        }
        default:
            return NULL;
        }
    }
    (void)century_y;
    if (want_xday) {
        int64_t y = (int64_t)tm->tm_year + 1900;
        int64_t days = tz_days_from_civil(y, tm->tm_mon + 1, 1) + tm->tm_mday - 1;
        tm->tm_wday = (int)(((days % 7) + 11) % 7);
        tm->tm_yday = (int)(days - tz_days_from_civil(y, 1, 1));
    }
    return rp;
}

/* parse_timestamp_impl() in the ctx's local zone (systemd's with_tz=false case). */
static int timestamp_impl(struct calendar_ctx *ctx, const char *t0, uint64_t now, uint64_t *usec)
{
    static const struct {
        const char *name;
        int nr;
    } day_nr[] = {
        {"Sunday", 0},   {"Sun", 0}, {"Monday", 1}, {"Mon", 1},   {"Tuesday", 2},
        {"Tue", 2},      {"Wednesday", 3}, {"Wed", 3}, {"Thursday", 4}, {"Thu", 4},
        {"Friday", 5},   {"Fri", 5}, {"Saturday", 6}, {"Sat", 6},
    };
    char *buf = strdup(t0);
    if (!buf)
        return -ENOMEM;
    const char *t = buf, *k;
    bool utc = false;
    int r = -EINVAL, weekday = -1, dst = -1;
    uint64_t ret = now, plus = 0, minus = 0, x_usec = 0;
    struct tm tm, copy;

    struct tz_zone *z = ctx->local;
    if (t[0] == '@') {
        r = parse_time_unit(t + 1, usec, USEC_PER_SEC);
        free(buf);
        return r;
    }
    {
        if (!strcmp(t, "now"))
            goto finish;
        if (t[0] == '+') {
            if ((r = parse_time_unit(t + 1, &plus, USEC_PER_SEC)) < 0)
                goto out;
            goto finish;
        }
        if (t[0] == '-') {
            if ((r = parse_time_unit(t + 1, &minus, USEC_PER_SEC)) < 0)
                goto out;
            goto finish;
        }
        size_t n = strlen(buf);
        if (n >= 4 && !strcmp(buf + n - 4, " ago")) {
            buf[n - 4] = 0;
            if ((r = parse_time_unit(t, &minus, USEC_PER_SEC)) < 0)
                goto out;
            goto finish;
        }
        if (n >= 5 && !strcmp(buf + n - 5, " left")) {
            buf[n - 5] = 0;
            if ((r = parse_time_unit(t, &plus, USEC_PER_SEC)) < 0)
                goto out;
            goto finish;
        }
        const char *u = cal_endswith_nocase(buf, " UTC");
        if (u) {
            buf[u - buf] = 0;
            utc = true;
        } else {
            for (int j = 0; j <= 1; j++) {
                const char *name = z->tzname[j];
                if (!name || !*name)
                    continue;
                const char *e = cal_endswith_nocase(buf, name);
                if (!e || e == buf || e[-1] != ' ')
                    continue;
                buf[e - buf - 1] = 0;
                dst = j;
                break;
            }
        }
    }
    int64_t x = (int64_t)(now / USEC_PER_SEC);
    if (utc)
        cal_gmtime(ctx, x, &tm);
    else
        tz_localtime(z, x, &tm);
    tm.tm_isdst = dst;
    r = -EINVAL;
    if (!strcmp(t, "today")) {
        tm.tm_sec = tm.tm_min = tm.tm_hour = 0;
        goto from_tm;
    } else if (!strcmp(t, "yesterday")) {
        tm.tm_mday--;
        tm.tm_sec = tm.tm_min = tm.tm_hour = 0;
        goto from_tm;
    } else if (!strcmp(t, "tomorrow")) {
        tm.tm_mday++;
        tm.tm_sec = tm.tm_min = tm.tm_hour = 0;
        goto from_tm;
    }
    for (size_t i = 0; i < sizeof day_nr / sizeof *day_nr; i++) {
        size_t skip = strlen(day_nr[i].name);
        if (strncasecmp(t, day_nr[i].name, skip) || t[skip] != ' ')
            continue;
        weekday = day_nr[i].nr;
        t += skip + 1;
        break;
    }
    static const struct {
        const char *fmt;
        int usec_ok; /* may be followed by ".frac" */
        int zero;    /* fields to zero: 1 sec, 3 sec+min+hour */
    } fmts[] = {
        {"%y-%m-%d %H:%M:%S", 1, 0}, {"%Y-%m-%d %H:%M:%S", 1, 0}, {"%b %d %H:%M:%S", 1, 0},
        {"%y-%m-%d %H:%M", 0, 1},    {"%Y-%m-%d %H:%M", 0, 1},    {"%y-%m-%d", 0, 3},
        {"%Y-%m-%d", 0, 3},          {"%H:%M:%S", 1, 0},          {"%H:%M", 0, 1},
    };
    copy = tm;
    for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
        tm = copy;
        k = mini_strptime(t, fmts[i].fmt, &tm);
        if (!k)
            continue;
        if (fmts[i].usec_ok && *k == '.') {
            unsigned add;
            k++;
            if (cal_parse_fraction6(&k, &add) < 0 || *k) {
                r = -EINVAL;
                goto out;
            }
            x_usec = add;
            goto from_tm;
        }
        if (*k)
            continue;
        if (fmts[i].zero >= 1)
            tm.tm_sec = 0;
        if (fmts[i].zero >= 3)
            tm.tm_min = tm.tm_hour = 0;
        goto from_tm;
    }
    r = -EINVAL;
    goto out;
from_tm:
    if (weekday >= 0 && tm.tm_wday != weekday) {
        r = -EINVAL;
        goto out;
    }
    x = utc ? cal_timegm(ctx, &tm) : tz_mktime(z, &tm, &ctx->local_offset);
    if (x < 0) {
        r = -EINVAL;
        goto out;
    }
    ret = (uint64_t)x * USEC_PER_SEC + x_usec;
    if (ret > CALENDAR_USEC_FORMATTABLE_MAX) {
        r = -EINVAL;
        goto out;
    }
finish:
    r = -EINVAL;
    if (ret + plus < ret)
        goto out;
    ret += plus;
    if (ret > CALENDAR_USEC_FORMATTABLE_MAX)
        goto out;
    if (ret < minus)
        goto out;
    ret -= minus;
    *usec = ret;
    r = 0;
out:
    free(buf);
    return r;
}

int calendar_parse_timestamp(struct calendar_ctx *ctx, const char *text, uint64_t now,
                             uint64_t *ret)
{
    const char *sp = strrchr(text, ' ');
    const char *tz = sp && tz_name_valid(sp + 1) ? sp + 1 : NULL;
    uint64_t u = 0;
    int r;
    if (!tz || cal_endswith_nocase(text, " UTC"))
        r = timestamp_impl(ctx, text, now, &u);
    else
        /* systemd forks and parses in TZ=:zone there; the installed 252.39 rejects every
         * such timestamp with EINVAL (checked with 'systemd-analyze timestamp'), so do we. */
        r = -EINVAL;
    if (r < 0)
        return r;
    if (ret)
        *ret = u;
    return 0;
}
