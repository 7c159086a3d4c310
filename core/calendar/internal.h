/* Internals of core/calendar shared between parse.c, format.c, next.c, tz.c, month.c. */
#ifndef CLAN_CORE_CALENDAR_INTERNAL_H
#define CLAN_CORE_CALENDAR_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/calendar.h"

#define CAL_MIN_YEAR 1970
#define CAL_MAX_YEAR 2199
#define CAL_ITEMS_MAX 241 /* systemd: components beyond nesting 240 give ENOBUFS */
#define CAL_WEEKDAYS_ALL 127
#define CAL_USEC 1000000

/* One list item: start[..stop][/repeat]; stop -1 = none, repeat 0 = none. */
struct cal_item {
    int start, stop, repeat;
    int col; /* 1-based source column of the item, for diagnostics */
};

/* A component chain; n == 0 means "*" (match everything). */
struct cal_chain {
    struct cal_item *v;
    int n;
};

enum { CAL_YEAR, CAL_MONTH, CAL_DAY, CAL_HOUR, CAL_MINUTE, CAL_USECS, CAL_NCHAINS };

struct calendar_spec {
    int weekdays;      /* bit 0 = Monday; -1 = any */
    bool end_of_month; /* day chain counts from the end of the month (~) */
    bool utc;
    int dst;           /* -1, or 0/1 when the local zone's std/dst abbreviation was given */
    char *timezone;    /* named zone, or NULL */
    char *dst_name;    /* the abbreviation printed back when dst >= 0 */
    struct cal_chain c[CAL_NCHAINS];
};

/* ---- time zones (tz.c) ---- */

struct tz_type {
    int32_t off;
    bool isdst;
    const char *abbr;
};

struct tz_rule { /* one POSIX TZ date rule: Jn, n or Mm.w.d, at secs local time */
    char kind;   /* 'J', 'D' (zero-based day) or 'M' */
    int m, w, d, n;
    int32_t secs;
};

struct tz_posix {
    bool valid, has_dst;
    char std_name[32], dst_name[32];
    int32_t std_off, dst_off; /* seconds east of UTC */
    struct tz_rule start, end;
};

struct tz_leap {
    int64_t t;
    int32_t corr;
};

struct tz_zone {
    char *name;         /* the key it was loaded under */
    bool is_utc;        /* plain UTC: fast paths */
    int64_t *trans;
    uint8_t *trans_type;
    size_t ntrans;
    struct tz_type *types;
    size_t ntypes;
    char *abbrs;
    struct tz_leap *leaps;
    size_t nleaps;
    struct tz_posix posix;
    /* glibc's tzname[], timezone, daylight after tzset() for this zone */
    const char *tzname[2];
    int32_t std_off;
    bool daylight;
    /* cached POSIX rule transitions for one year */
    int cache_year;
    int64_t cache_start, cache_end;
    struct tz_zone *next;
};

/* Load a zone: a name under /usr/share/zoneinfo, an absolute TZif path, or (when
 * no such file) a POSIX TZ string. Returns NULL only on allocation failure or when
 * posix_fallback is false and the file is missing/invalid. */
struct tz_zone *tz_zone_load(const char *spec, bool posix_fallback);
struct tz_zone *tz_zone_utc(void);
/* UTC carrying z's leap seconds, or NULL when z has none (or on allocation failure). */
struct tz_zone *tz_zone_utc_leaps(const struct tz_zone *z);
void tz_zone_free(struct tz_zone *z);

/* glibc's timezone_is_valid() as systemd uses it: name syntax + TZif file check. */
bool tz_name_valid(const char *name);

/* localtime_r / gmtime_r equivalents; fill tm_isdst, tm_gmtoff, tm_zone, tm_wday, tm_yday. */
bool tz_localtime(struct tz_zone *z, int64_t t, struct tm *tm);
void tz_gmtime(int64_t t, struct tm *tm);
/* glibc's mktime(), including its probing and the "last offset" guess kept in *offset
 * (the static localtime_offset in glibc). Returns -1 with *tm untouched on failure. */
int64_t tz_mktime(struct tz_zone *z, struct tm *tm, long *offset);
int64_t tz_timegm(struct tm *tm);

int64_t tz_days_from_civil(int64_t y, int m, int d); /* m 1..12 */
bool tz_leap_year(int64_t y);
int tz_days_in_month(int64_t y, int m);

/* ---- small parsing helpers (parse.c) ---- */
int cal_parse_fraction6(const char **p, unsigned *res);
/* Pointer to where suffix starts if s ends with it (ASCII case-insensitive), else NULL. */
const char *cal_endswith_nocase(const char *s, const char *suffix);

/* ---- context ---- */
struct calendar_ctx {
    struct tz_zone *local;
    struct tz_zone *zones;   /* named zones loaded so far */
    long local_offset;       /* glibc mktime's remembered offset, local zone */
    /* glibc's gmtime()/timegm() apply the local zone's leap seconds (right/ zones):
     * then this is UTC with those leaps, else NULL (plain arithmetic). */
    struct tz_zone *utc;
    long utc_offset;         /* timegm's remembered offset */
};

/* gmtime()/timegm() as glibc does them for this ctx's local zone. */
void cal_gmtime(const struct calendar_ctx *ctx, int64_t t, struct tm *tm);
int64_t cal_timegm(struct calendar_ctx *ctx, struct tm *tm);

struct tz_zone *calendar_ctx_zone(struct calendar_ctx *ctx, const char *name);

#endif
