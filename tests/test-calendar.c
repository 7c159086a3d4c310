/* core/calendar: normalization, rejections (errno + column) and next-elapse edge cases.
 * Expected values come from systemd 252 (systemd-analyze calendar) and the reference
 * notes; the differential test (calendar-diff.sh) covers hundreds more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"

#define S 1000000ULL

/* seconds since the epoch of a UTC date, for readable expectations */
static uint64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;
    return (uint64_t)timegm(&tm) * S;
}

static void check_norm(struct calendar_ctx *ctx, const char *in, const char *want)
{
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    int r = calendar_parse(ctx, in, &s, &d);
    if (r < 0)
        fail_msg("'%s' rejected: %s", in, d.msg);
    struct buf b = {0};
    assert_int_equal(calendar_format(s, &b), 0);
    if (strcmp(b.p, want))
        fail_msg("'%s' -> '%s', expected '%s'", in, b.p, want);
    /* normalizing the normalized form gives it back */
    struct calendar_spec *s2 = NULL;
    assert_int_equal(calendar_parse(ctx, b.p, &s2, &d), 0);
    struct buf b2 = {0};
    assert_int_equal(calendar_format(s2, &b2), 0);
    assert_string_equal(b.p, b2.p);
    buf_free(&b);
    buf_free(&b2);
    calendar_spec_free(s);
    calendar_spec_free(s2);
    diag_clear(&d);
}

static void check_err(struct calendar_ctx *ctx, const char *in, int err, unsigned col)
{
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    int r = calendar_parse(ctx, in, &s, &d);
    if (r != err)
        fail_msg("'%s': got %d, expected %d", in, r, err);
    assert_null(s);
    assert_non_null(d.msg);
    if (col && d.col != col)
        fail_msg("'%s': error at column %u, expected %u (%s)", in, d.col, col, d.msg);
    diag_clear(&d);
}

/* The first n elapses after base must be exactly want[] (0 terminates: never). */
static void check_next(struct calendar_ctx *ctx, const char *in, uint64_t base,
                       const uint64_t *want, int n)
{
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    if (calendar_parse(ctx, in, &s, &d) < 0)
        fail_msg("'%s' rejected: %s", in, d.msg);
    for (int i = 0; i < n; i++) {
        uint64_t next = 0;
        int r = calendar_next(ctx, s, base, &next);
        if (want[i] == 0) {
            if (r != -ENOENT)
                fail_msg("'%s' #%d: expected never, got r=%d next=%llu", in, i + 1, r,
                         (unsigned long long)next);
            break;
        }
        if (r != 0 || next != want[i])
            fail_msg("'%s' #%d: r=%d next=%llu, expected %llu", in, i + 1, r,
                     (unsigned long long)next, (unsigned long long)want[i]);
        base = next;
    }
    calendar_spec_free(s);
}

static void t_normalize(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    static const char *const cases[][2] = {
        {"Wed..Sat,Tue 12-10-15 1:2:3", "Tue..Sat 2012-10-15 01:02:03"},
        {"mon,fri *-1/2-1,3 *:30:45", "Mon,Fri *-01/2-01,03 *:30:45"},
        {"12,14,13,12:20,10,30", "*-*-* 12,13,14:10,20,30:00"},
        {"*:2/3", "*-*-* *:02/3:00"},
        {"2016-03-27 03:17:00/0.42", "2016-03-27 03:17:00/0.420000"},
        {"05:40:23.4200004/3.1700005", "*-*-* 05:40:23.420000/3.170001"},
        {"00:00:1.0..3.8", "*-*-* 00:00:01..03"},
        {"*:*:0..59.5/15.5", "*-*-* *:*:00..46.500000/15.500000"},
        {"*~03/1,03..05", "*-*~03/1,03..05 00:00:00"},
        {"*-*~1 Utc", "*-*~01 00:00:00 UTC"},
        {"@1493187147", "2017-04-26 06:12:27 UTC"},
        {"00:00:00.9999995", "*-*-* 00:00:01"},
        {"12:00:00,5", "*-*-* 12:00:00,05"},
        {"Mon,Tue,Wed", "Mon..Wed *-*-* 00:00:00"},
        {"Sat..Sun", "Sat,Sun *-*-* 00:00:00"},
        {"Sat,Sun,Mon", "Mon,Sat,Sun *-*-* 00:00:00"},
        {"Sat,Thu,Mon-Wed,Sat-Sun", "Mon..Thu,Sat,Sun *-*-* 00:00:00"},
        {"Mon..Sun 12:00", "*-*-* 12:00:00"},
        {"Wed,", "Wed *-*-* 00:00:00"},
        {"Monday", "Mon *-*-* 00:00:00"},
        {"minutely", "*-*-* *:*:00"},
        {"hourly", "*-*-* *:00:00"},
        {"weekly", "Mon *-*-* 00:00:00"},
        {"anually", "*-01-01 00:00:00"},
        {"quarterly", "*-01,04,07,10-01 00:00:00"},
        {"bi-annually", "*-01,07-01 00:00:00"},
        {"weekly Pacific/Auckland", "Mon *-*-* 00:00:00 Pacific/Auckland"},
        {"93..00-*-*", "1993..2000-*-* 00:00:00"},
        {"26..30-01-01", "2026..2030-01-01 00:00:00"},
        {"*:05..10/6", "*-*-* *:05:00"},
        {"2027-8..9/2-01", "2027-08-01 00:00:00"},
        {"*:20..39/5", "*-*-* *:20..35/5:00"},
        {"0..23/6:00", "*-*-* 00..18/6:00:00"},
        {"2026..2199/43-01-01", "2026..2198/43-01-01 00:00:00"},
        {"0..5,3..8:00", "*-*-* 00..05,03..08:00:00"},
        {"1..3,2:00", "*-*-* 01..03,02:00:00"},
        {"*:0/1", "*-*-* *:00/1:00"},
        {"*-*-1/1", "*-*-01/1 00:00:00"},
        {"*:*:0/1", "*-*-* *:*:*"},
        {"*:*:00/1,30", "*-*-* *:*:*"},
        {"*-*~*", "*-*-* 00:00:00"},
        {"0012:00030", "*-*-* 12:30:00"},
        {"*-*~05,3 ", "*-*~03,05 00:00:00"},
        {"12:00 Etc/UTC", "*-*-* 12:00:00 Etc/UTC"},
        {"Mon @1800000000", "Mon 2027-01-15 08:00:00 UTC"},
        {"@1800000000 Europe/Berlin", "2027-01-15 08:00:00 UTC"},
        {"*-02-30", "*-02-30 00:00:00"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_norm(ctx, cases[i][0], cases[i][1]);
    calendar_ctx_free(ctx);
}

static void t_reject(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    check_err(ctx, "", -EINVAL, 1);
    check_err(ctx, " 12:00", -EINVAL, 1);
    check_err(ctx, "12:00 ", -EINVAL, 6);
    check_err(ctx, "Mond", -EINVAL, 4);
    check_err(ctx, "Fri..Mon", -EINVAL, 6);
    check_err(ctx, "Mon..", -EINVAL, 6);
    check_err(ctx, "Mon,,Tue", -EINVAL, 5);
    check_err(ctx, "*/5", -EINVAL, 2);
    check_err(ctx, "7", -EINVAL, 2);
    check_err(ctx, "2026/01/01", -EINVAL, 0);
    check_err(ctx, "2026-01-01T12:00", -EINVAL, 11);
    check_err(ctx, "2016~11-22", -EINVAL, 8);
    check_err(ctx, "12:00.5", -EINVAL, 6);
    check_err(ctx, "25:00", -EINVAL, 1);
    check_err(ctx, "Mon..Fri 25:00", -EINVAL, 10);
    check_err(ctx, "*-*-* 12:60", -EINVAL, 10);
    check_err(ctx, "*-*~29", -EINVAL, 5);
    check_err(ctx, "*-*~5/5", -EINVAL, 5);
    check_err(ctx, "*:30/30", -EINVAL, 3);
    check_err(ctx, "2027..2026-*-*", -EINVAL, 1);
    check_err(ctx, "100-01-01", -EINVAL, 1);
    check_err(ctx, "00:00:00.5..00.9", -EINVAL, 7);
    check_err(ctx, "12:00:00.", -EINVAL, 10);
    check_err(ctx, "00:00:60", -EINVAL, 7);
    check_err(ctx, "00:00:59.9999995", -EINVAL, 7);
    check_err(ctx, "2147483648:00", -ERANGE, 1);
    check_err(ctx, "00:00:2148", -ERANGE, 7);
    check_err(ctx, "*:0/0", -ERANGE, 5);
    check_err(ctx, "00:00:00/0.0000004", -ERANGE, 0);
    check_err(ctx, "@18446744073709551616", -ERANGE, 0);
    check_err(ctx, "@7258118400", -EINVAL, 0);
    check_err(ctx, "@1.5", -EINVAL, 0);
    check_err(ctx, "hourly 12:00", -EINVAL, 0);
    check_err(ctx, "12:00 Europe/Berln", -EINVAL, 6);
    check_err(ctx, "12:00 europe/berlin", -EINVAL, 6);
    check_err(ctx, "12:00 Europe/Berlin UTC", -EINVAL, 6);
    check_err(ctx, "12:00  UTC", -EINVAL, 6);
    check_err(ctx, "12:00\t", -EINVAL, 6);
    /* 241 items are fine, 242 are ENOBUFS */
    char buf[1024] = "*:";
    for (int i = 0; i < 241; i++)
        strcat(buf, i ? ",0" : "0");
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    assert_int_equal(calendar_parse(ctx, buf, &s, &d), 0);
    calendar_spec_free(s);
    strcat(buf, ",0");
    check_err(ctx, buf, -ENOBUFS, 0);
    calendar_ctx_free(ctx);
}

static void t_local_abbreviation(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("Europe/Berlin");
    check_norm(ctx, "12:00 CET", "*-*-* 12:00:00 CET");
    check_norm(ctx, "12:00 cest", "*-*-* 12:00:00 CEST");
    assert_false(calendar_ctx_local_is_utc(ctx));
    calendar_ctx_free(ctx);
    ctx = calendar_ctx_new_tz("UTC");
    assert_true(calendar_ctx_local_is_utc(ctx));
    check_err(ctx, "12:00 CEST", -EINVAL, 6); /* "CET" alone is a zone file */
    calendar_ctx_free(ctx);
}

static void t_next_utc(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    /* strictly after the base */
    check_next(ctx, "2026-01-01 00:00:00", utc(2026, 1, 1, 0, 0, 0), (uint64_t[]){0}, 1);
    check_next(ctx, "2026-01-01 00:00:00", utc(2025, 12, 31, 23, 59, 59),
               (uint64_t[]){utc(2026, 1, 1, 0, 0, 0), 0}, 2);
    /* leap days: 2100 is not a leap year */
    check_next(ctx, "*-02-29", utc(2096, 3, 1, 0, 0, 0),
               (uint64_t[]){utc(2104, 2, 29, 0, 0, 0), utc(2108, 2, 29, 0, 0, 0)}, 2);
    /* Monday Feb 29ths */
    check_next(ctx, "Mon *-02-29", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2044, 2, 29, 0, 0, 0), utc(2072, 2, 29, 0, 0, 0),
                            utc(2112, 2, 29, 0, 0, 0)}, 3);
    /* 31st only in 31-day months */
    check_next(ctx, "*-*-31 12:00", utc(2026, 4, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 5, 31, 12, 0, 0), utc(2026, 7, 31, 12, 0, 0),
                            utc(2026, 8, 31, 12, 0, 0), utc(2026, 10, 31, 12, 0, 0)}, 4);
    /* never */
    check_next(ctx, "*-02-30", utc(2026, 1, 1, 0, 0, 0), (uint64_t[]){0}, 1);
    check_next(ctx, "Wed 2027-02-29", utc(2026, 1, 1, 0, 0, 0), (uint64_t[]){0}, 1);
    /* ~: last day, last three days, Feb in a leap year, 4th last in 31-day months */
    check_next(ctx, "*-*~01", utc(2028, 1, 31, 0, 0, 0),
               (uint64_t[]){utc(2028, 2, 29, 0, 0, 0), utc(2028, 3, 31, 0, 0, 0)}, 2);
    check_next(ctx, "*-02~1..3 06:00", utc(2027, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2027, 2, 26, 6, 0, 0), utc(2027, 2, 27, 6, 0, 0),
                            utc(2027, 2, 28, 6, 0, 0), utc(2028, 2, 27, 6, 0, 0)}, 4);
    check_next(ctx, "*-*~7/2", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 25, 0, 0, 0), utc(2026, 1, 27, 0, 0, 0),
                            utc(2026, 1, 29, 0, 0, 0), utc(2026, 1, 31, 0, 0, 0),
                            utc(2026, 2, 22, 0, 0, 0)}, 5);
    /* last Friday of the month */
    check_next(ctx, "Fri *-*~1..7 18:00", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 30, 18, 0, 0), utc(2026, 2, 27, 18, 0, 0),
                            utc(2026, 3, 27, 18, 0, 0)}, 3);
    /* a day repetition across month ends restarts each month */
    check_next(ctx, "*-*-01/10 04:00", utc(2026, 1, 25, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 31, 4, 0, 0), utc(2026, 2, 1, 4, 0, 0),
                            utc(2026, 2, 11, 4, 0, 0), utc(2026, 2, 21, 4, 0, 0),
                            utc(2026, 3, 1, 4, 0, 0)}, 5);
    /* a year range that runs out */
    check_next(ctx, "2026..2027-06-15 12:00", utc(2026, 7, 1, 0, 0, 0),
               (uint64_t[]){utc(2027, 6, 15, 12, 0, 0), 0}, 2);
    check_next(ctx, "2199-12-31 23:59:59", utc(2199, 12, 31, 23, 59, 58),
               (uint64_t[]){utc(2199, 12, 31, 23, 59, 59), 0}, 2);
    /* sub-second repetition */
    check_next(ctx, "*:*:0/0.5", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 1, 0, 0, 0) + S / 2, utc(2026, 1, 1, 0, 0, 1)}, 2);
    /* @epoch fires once */
    check_next(ctx, "@1800000000", 1700000000 * S, (uint64_t[]){1800000000 * S, 0}, 2);
    calendar_ctx_free(ctx);
}

static void t_next_dst(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    /* spring-forward gap: skipped for that day, not moved */
    check_next(ctx, "*-*-* 02:30 Europe/Berlin", utc(2026, 3, 28, 12, 0, 0),
               (uint64_t[]){utc(2026, 3, 30, 0, 30, 0)}, 1);
    check_next(ctx, "2026-03-29 02:30 Europe/Berlin", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){0}, 1);
    check_next(ctx, "*-03-29 02:30 Europe/Berlin", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2027, 3, 29, 0, 30, 0)}, 1);
    check_next(ctx, "*:30 Europe/Berlin", utc(2026, 3, 29, 0, 0, 0),
               (uint64_t[]){utc(2026, 3, 29, 0, 30, 0), utc(2026, 3, 29, 1, 30, 0)}, 2);
    /* fall-back overlap: the repeated hour fires once, in its first instance */
    check_next(ctx, "2026-10-25 02:30 Europe/Berlin", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 10, 25, 0, 30, 0), 0}, 2);
    check_next(ctx, "*:30 Europe/Berlin", utc(2026, 10, 25, 0, 30, 0),
               (uint64_t[]){utc(2026, 10, 25, 2, 30, 0)}, 1);
    check_next(ctx, "2026-11-01 *:30 America/New_York", utc(2026, 11, 1, 4, 0, 0),
               (uint64_t[]){utc(2026, 11, 1, 4, 30, 0), utc(2026, 11, 1, 5, 30, 0),
                            utc(2026, 11, 1, 7, 30, 0)}, 3);
    /* half-hour DST step and 45-minute offsets */
    check_next(ctx, "2026-04-05 *:00 Australia/Lord_Howe", utc(2026, 4, 4, 12, 30, 0),
               (uint64_t[]){utc(2026, 4, 4, 13, 0, 0), utc(2026, 4, 4, 14, 0, 0),
                            utc(2026, 4, 4, 15, 30, 0)}, 3);
    check_next(ctx, "hourly Asia/Kathmandu", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 1, 0, 15, 0)}, 1);
    /* the weekday is a filter in the spec's zone */
    check_next(ctx, "Mon 00:00 Pacific/Kiritimati", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 4, 10, 0, 0)}, 1);
    /* leap seconds in right/ zones */
    check_next(ctx, "2026-01-01 12:00 right/UTC", utc(2025, 12, 1, 0, 0, 0),
               (uint64_t[]){utc(2026, 1, 1, 12, 0, 27)}, 1);
    /* a date pattern that lands in the gap every year exhausts the search */
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    assert_int_equal(calendar_parse(ctx, "Sun *-03~07/1 02:30 Europe/Berlin", &s, &d), 0);
    uint64_t next;
    assert_int_equal(calendar_next(ctx, s, utc(2026, 1, 1, 0, 0, 0), &next), -EDEADLK);
    calendar_spec_free(s);
    check_next(ctx, "Sun 2026..2100-03-8..14 02:30 America/New_York", utc(2026, 1, 1, 0, 0, 0),
               (uint64_t[]){0}, 1);
    calendar_ctx_free(ctx);

    /* the same in the local zone, and Dublin's negative DST (fixed in 252.39) */
    ctx = calendar_ctx_new_tz("Europe/Dublin");
    check_next(ctx, "daily", utc(2026, 3, 28, 12, 0, 0),
               (uint64_t[]){utc(2026, 3, 29, 0, 0, 0), utc(2026, 3, 29, 23, 0, 0),
                            utc(2026, 3, 30, 23, 0, 0)}, 3);
    calendar_ctx_free(ctx);
}

static void t_month(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("Europe/Berlin");
    struct calendar_spec *s = NULL;
    struct diag d = {0};
    assert_int_equal(calendar_parse(ctx, "Mon *-*-* 03:00:00", &s, &d), 0);
    struct calendar_month m;
    assert_int_equal(calendar_month(ctx, s, 2026, 11, &m), 0);
    assert_int_equal(m.days, 30);
    assert_int_equal(m.first_wday, 6); /* 2026-11-01 is a Sunday */
    assert_int_equal(m.total, 5);
    for (int day = 1; day <= 30; day++)
        assert_int_equal(m.day_count[day - 1] != 0, day == 2 || day == 9 || day == 16 ||
                                                        day == 23 || day == 30);
    assert_int_equal(m.ntimes, 5);
    assert_true(m.times[4] == utc(2026, 11, 30, 2, 0, 0));
    calendar_spec_free(s);
    /* a gap day has no 02:30 */
    assert_int_equal(calendar_parse(ctx, "*-*-* 02:30", &s, &d), 0);
    assert_int_equal(calendar_month(ctx, s, 2026, 3, &m), 0);
    assert_int_equal(m.total, 30);
    assert_int_equal(m.day_count[28], 0);
    calendar_spec_free(s);
    /* minutely saturates per day and stays bounded */
    assert_int_equal(calendar_parse(ctx, "minutely", &s, &d), 0);
    assert_int_equal(calendar_month(ctx, s, 2026, 2, &m), 0);
    assert_true(m.truncated);
    assert_int_equal(m.day_count[27], UINT16_MAX);
    calendar_spec_free(s);
    calendar_ctx_free(ctx);
}

static void t_timestamps(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("Europe/Berlin");
    struct buf b = {0};
    assert_int_equal(calendar_format_timestamp(ctx, utc(2026, 11, 30, 2, 0, 0) + 999999, false, &b), 0);
    assert_string_equal(b.p, "Mon 2026-11-30 03:00:00 CET");
    buf_reset(&b);
    assert_int_equal(calendar_format_timestamp(ctx, utc(2026, 7, 1, 0, 0, 0), true, &b), 0);
    assert_string_equal(b.p, "Wed 2026-07-01 00:00:00 UTC");
    buf_reset(&b);
    calendar_format_relative(100 * S, 100 * S + 3 * 86400 * S + 4 * 3600 * S, &b);
    assert_string_equal(b.p, "3 days ago");
    buf_reset(&b);
    calendar_format_relative(100 * S + 90 * S, 100 * S, &b);
    assert_string_equal(b.p, "1min 30s left");
    buf_reset(&b);
    calendar_format_relative(5 * S, 5 * S, &b);
    assert_string_equal(b.p, "now");
    buf_free(&b);

    uint64_t t, now = utc(2026, 6, 15, 10, 0, 0);
    assert_int_equal(calendar_parse_timestamp(ctx, "2026-01-01 12:00 UTC", now, &t), 0);
    assert_true(t == utc(2026, 1, 1, 12, 0, 0));
    assert_int_equal(calendar_parse_timestamp(ctx, "2026-01-01 12:00", now, &t), 0);
    assert_true(t == utc(2026, 1, 1, 11, 0, 0));
    assert_int_equal(calendar_parse_timestamp(ctx, "2026-07-01 12:00:00.5 CEST", now, &t), 0);
    assert_true(t == utc(2026, 7, 1, 10, 0, 0) + S / 2);
    assert_int_equal(calendar_parse_timestamp(ctx, "@1800000000", now, &t), 0);
    assert_true(t == 1800000000 * S);
    assert_int_equal(calendar_parse_timestamp(ctx, "now", now, &t), 0);
    assert_true(t == now);
    assert_int_equal(calendar_parse_timestamp(ctx, "2 weeks ago", now, &t), 0);
    assert_true(t == now - 14 * 86400 * S);
    assert_int_equal(calendar_parse_timestamp(ctx, "Mon 2026-06-15 10:00", now, &t), 0);
    assert_int_equal(calendar_parse_timestamp(ctx, "Sun 2026-06-15 10:00", now, &t), -EINVAL);
    assert_int_equal(calendar_parse_timestamp(ctx, "garbage", now, &t), -EINVAL);
    assert_int_equal(calendar_parse_timespan("1h 30s", &t), 0);
    assert_true(t == 3630 * S);
    assert_int_equal(calendar_parse_timespan("12.34.56", &t), -EINVAL);
    assert_int_equal(calendar_parse_timespan("-5", &t), -ERANGE);
    calendar_ctx_free(ctx);
}

static void t_posix_tz(void **state)
{
    (void)state;
    /* a POSIX rule string as the local zone (no file): EU rules */
    struct calendar_ctx *ctx = calendar_ctx_new_tz("CET-1CEST,M3.5.0,M10.5.0/3");
    check_next(ctx, "*-*-* 02:30", utc(2026, 3, 28, 12, 0, 0),
               (uint64_t[]){utc(2026, 3, 30, 0, 30, 0)}, 1);
    struct buf b = {0};
    calendar_format_timestamp(ctx, utc(2026, 7, 1, 0, 0, 0), false, &b);
    assert_string_equal(b.p, "Wed 2026-07-01 02:00:00 CEST");
    buf_free(&b);
    calendar_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_normalize),     cmocka_unit_test(t_reject),
        cmocka_unit_test(t_local_abbreviation), cmocka_unit_test(t_next_utc),
        cmocka_unit_test(t_next_dst),      cmocka_unit_test(t_month),
        cmocka_unit_test(t_timestamps),    cmocka_unit_test(t_posix_tz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
