/* Time zones without TZ/tzset(): a TZif reader (v1..v4, leap seconds, POSIX footer) and
 * localtime/mktime equivalents that behave like glibc 2.36's, so that the next-elapse
 * search hits DST gaps and repeats exactly as systemd does. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/calendar/internal.h"

#define ZONEINFO "/usr/share/zoneinfo/"

/* ---- civil calendar arithmetic (proleptic Gregorian) ---- */

bool tz_leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int tz_days_in_month(int64_t y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && tz_leap_year(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01 (H. Hinnant's algorithm). */
int64_t tz_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* Break t (already shifted by the offset) into tm; no zone fields. */
static void breakdown(int64_t t, struct tm *tm)
{
    int64_t days = floordiv(t, 86400);
    int64_t rem = t - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    tm->tm_year = (int)(y - 1900);
    tm->tm_mon = m - 1;
    tm->tm_mday = d;
    tm->tm_hour = (int)(rem / 3600);
    tm->tm_min = (int)(rem / 60 % 60);
    tm->tm_sec = (int)(rem % 60);
    tm->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */
    tm->tm_yday = (int)(days - tz_days_from_civil(y, 1, 1));
}

void tz_gmtime(int64_t t, struct tm *tm)
{
    breakdown(t, tm);
    tm->tm_isdst = 0;
    tm->tm_gmtoff = 0;
    tm->tm_zone = "GMT";
}

/* timegm(): normalizes *tm in place. */
int64_t tz_timegm(struct tm *tm)
{
    int64_t mon = tm->tm_mon;
    int64_t y = (int64_t)tm->tm_year + 1900 + floordiv(mon, 12);
    int m = (int)(mon - floordiv(mon, 12) * 12) + 1;
    int64_t days = tz_days_from_civil(y, m, 1) + tm->tm_mday - 1;
    int64_t t = days * 86400 + (int64_t)tm->tm_hour * 3600 + (int64_t)tm->tm_min * 60 + tm->tm_sec;
    tz_gmtime(t, tm);
    return t;
}

/* ---- POSIX TZ strings ---- */

static const char *posix_name(const char *p, char *out, size_t outsz)
{
    size_t n = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>') {
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
        if (*p != '>')
            return NULL;
        p++;
        if (n < 3)
            return NULL;
    } else {
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            if (n + 1 < outsz)
                out[n++] = *p;
            p++;
        }
        if (n < 3)
            return NULL;
    }
    out[n] = 0;
    return p;
}

/* [+-]hh[:mm[:ss]] -> seconds (sign as written). */
static const char *posix_time(const char *p, int32_t *out, int maxh)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    if (*p < '0' || *p > '9')
        return NULL;
    long h = 0, mi = 0, s = 0;
    while (*p >= '0' && *p <= '9' && h <= maxh)
        h = h * 10 + (*p++ - '0');
    if (h > maxh)
        return NULL;
    if (*p == ':') {
        p++;
        if (*p < '0' || *p > '9')
            return NULL;
        while (*p >= '0' && *p <= '9' && mi < 60)
            mi = mi * 10 + (*p++ - '0');
        if (*p == ':') {
            p++;
            if (*p < '0' || *p > '9')
                return NULL;
            while (*p >= '0' && *p <= '9' && s < 60)
                s = s * 10 + (*p++ - '0');
        }
    }
    *out = (int32_t)(sign * (h * 3600 + mi * 60 + s));
    return p;
}

static const char *posix_rule(const char *p, struct tz_rule *r)
{
    char *e;
    memset(r, 0, sizeof *r);
    if (*p == 'J' || (*p >= '0' && *p <= '9')) {
        r->kind = *p == 'J' ? 'J' : 'D';
        if (*p == 'J')
            p++;
        r->n = (int)strtol(p, &e, 10);
        if (e == p || r->n < 0 || r->n > 365 || (r->kind == 'J' && r->n < 1))
            return NULL;
        p = e;
    } else if (*p == 'M') {
        r->kind = 'M';
        p++;
        r->m = (int)strtol(p, &e, 10);
        if (e == p || *e != '.' || r->m < 1 || r->m > 12)
            return NULL;
        p = e + 1;
        r->w = (int)strtol(p, &e, 10);
        if (e == p || *e != '.' || r->w < 1 || r->w > 5)
            return NULL;
        p = e + 1;
        r->d = (int)strtol(p, &e, 10);
        if (e == p || r->d < 0 || r->d > 6)
            return NULL;
        p = e;
    } else
        return NULL;
    r->secs = 7200;
    if (*p == '/') {
        p = posix_time(p + 1, &r->secs, 167);
        if (!p)
            return NULL;
    }
    return p;
}

static bool posix_parse(const char *s, struct tz_posix *out)
{
    struct tz_posix z;
    memset(&z, 0, sizeof z);
    const char *p = posix_name(s, z.std_name, sizeof z.std_name);
    if (!p)
        return false;
    int32_t off;
    p = posix_time(p, &off, 24);
    if (!p)
        return false;
    z.std_off = -off;
    z.dst_off = z.std_off;
    if (*p) {
        p = posix_name(p, z.dst_name, sizeof z.dst_name);
        if (!p)
            return false;
        z.has_dst = true;
        z.dst_off = z.std_off + 3600;
        if (*p && *p != ',') {
            p = posix_time(p, &off, 24);
            if (!p)
                return false;
            z.dst_off = -off;
        }
        if (*p == ',') {
            p = posix_rule(p + 1, &z.start);
            if (!p || *p != ',')
                return false;
            p = posix_rule(p + 1, &z.end);
            if (!p)
                return false;
        } else {
            /* glibc's default rules (US) when a DST name has no dates */
            z.start = (struct tz_rule){'M', 3, 2, 0, 0, 7200};
            z.end = (struct tz_rule){'M', 11, 1, 0, 0, 7200};
        }
        if (*p)
            return false;
    }
    z.valid = true;
    *out = z;
    return true;
}

/* Local-time seconds since the epoch at which rule r fires in year y. */
static int64_t rule_local(const struct tz_rule *r, int64_t y)
{
    int64_t day;
    if (r->kind == 'J') {
        day = tz_days_from_civil(y, 1, 1) + r->n - 1;
        if (tz_leap_year(y) && r->n >= 60)
            day++;
    } else if (r->kind == 'D') {
        day = tz_days_from_civil(y, 1, 1) + r->n;
    } else {
        int64_t first = tz_days_from_civil(y, r->m, 1);
        int wday1 = (int)((first % 7 + 11) % 7); /* 0 = Sunday */
        int d = (r->d - wday1 + 7) % 7 + 1 + (r->w - 1) * 7;
        int dim = tz_days_in_month(y, r->m);
        while (d > dim)
            d -= 7;
        day = first + d - 1;
    }
    return day * 86400 + r->secs;
}

static void posix_apply(struct tz_zone *z, int64_t t, struct tm *tm)
{
    const struct tz_posix *p = &z->posix;
    bool dst = false;
    if (p->has_dst) {
        struct tm u;
        breakdown(t, &u);
        int y = u.tm_year + 1900;
        if (z->cache_year != y) {
            z->cache_start = rule_local(&p->start, y) - p->std_off;
            z->cache_end = rule_local(&p->end, y) - p->dst_off;
            z->cache_year = y;
        }
        if (z->cache_start > z->cache_end)
            dst = t < z->cache_end || t >= z->cache_start;
        else
            dst = t >= z->cache_start && t < z->cache_end;
    }
    int32_t off = dst ? p->dst_off : p->std_off;
    breakdown(t + off, tm);
    tm->tm_isdst = dst;
    tm->tm_gmtoff = off;
    tm->tm_zone = dst ? p->dst_name : p->std_name;
}

/* ---- TZif ---- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static bool read_all(const char *path, unsigned char **data, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > (1 << 22)) {
        close(fd);
        return false;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    unsigned char *b = malloc(cap);
    if (!b) {
        close(fd);
        return false;
    }
    for (;;) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            free(b);
            close(fd);
            return false;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            unsigned char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                close(fd);
                return false;
            }
            b = nb;
            cap *= 2;
        }
    }
    close(fd);
    *data = b;
    *len = n;
    return true;
}

static bool tzif_parse(struct tz_zone *z, const unsigned char *d, size_t len)
{
    if (len < 44 || memcmp(d, "TZif", 4))
        return false;
    int version = d[4] ? d[4] - '0' : 1;
    size_t cnt[6];
    for (int i = 0; i < 6; i++)
        cnt[i] = be32(d + 20 + 4 * i);
    /* isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt */
    size_t tsize = 4;
    const unsigned char *p = d + 44;
    if (version >= 2) {
        size_t v1 = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
        if (v1 > len - 44 || len - 44 - v1 < 44)
            return false;
        p = d + 44 + v1;
        if (memcmp(p, "TZif", 4))
            return false;
        for (int i = 0; i < 6; i++)
            cnt[i] = be32(p + 20 + 4 * i);
        p += 44;
        tsize = 8;
    }
    size_t need = cnt[3] * (tsize + 1) + cnt[4] * 6 + cnt[5] + cnt[2] * (tsize + 4) + cnt[1] +
                  cnt[0];
    if (cnt[4] == 0 || cnt[4] > 256 || cnt[3] > 100000 || cnt[2] > 10000 || cnt[5] > 100000 ||
        need > (size_t)(d + len - p))
        return false;
    z->ntrans = cnt[3];
    z->ntypes = cnt[4];
    z->nleaps = cnt[2];
    z->trans = calloc(z->ntrans + 1, sizeof *z->trans);
    z->trans_type = calloc(z->ntrans + 1, 1);
    z->types = calloc(z->ntypes, sizeof *z->types);
    z->abbrs = calloc(cnt[5] + 1, 1);
    z->leaps = calloc(z->nleaps + 1, sizeof *z->leaps);
    if (!z->trans || !z->trans_type || !z->types || !z->abbrs || !z->leaps)
        return false;
    for (size_t i = 0; i < z->ntrans; i++, p += tsize)
        z->trans[i] = tsize == 8 ? be64(p) : (int32_t)be32(p);
    for (size_t i = 0; i < z->ntrans; i++, p++) {
        if (*p >= z->ntypes)
            return false;
        z->trans_type[i] = *p;
    }
    const unsigned char *types = p;
    p += z->ntypes * 6;
    memcpy(z->abbrs, p, cnt[5]);
    for (size_t i = 0; i < z->ntypes; i++) {
        const unsigned char *t = types + 6 * i;
        z->types[i].off = (int32_t)be32(t);
        z->types[i].isdst = t[4] != 0;
        z->types[i].abbr = t[5] < cnt[5] ? z->abbrs + t[5] : "";
    }
    p += cnt[5];
    for (size_t i = 0; i < z->nleaps; i++, p += tsize + 4) {
        z->leaps[i].t = tsize == 8 ? be64(p) : (int32_t)be32(p);
        z->leaps[i].corr = (int32_t)be32(p + tsize);
    }
    p += cnt[1] + cnt[0];
    if (version >= 2 && p < d + len && *p == '\n') {
        const unsigned char *e = memchr(p + 1, '\n', (size_t)(d + len - p - 1));
        if (e && e > p + 1) {
            char tzs[256];
            size_t n = (size_t)(e - p - 1);
            if (n < sizeof tzs) {
                memcpy(tzs, p + 1, n);
                tzs[n] = 0;
                posix_parse(tzs, &z->posix);
            }
        }
    }
    return true;
}

/* tzname/timezone/daylight as glibc's __tzfile_read leaves them. */
static void tzif_globals(struct tz_zone *z)
{
    z->tzname[0] = z->tzname[1] = NULL;
    for (size_t i = z->ntrans; i > 0;) {
        const struct tz_type *t = &z->types[z->trans_type[--i]];
        if (!z->tzname[t->isdst]) {
            z->tzname[t->isdst] = t->abbr;
            if (z->tzname[!t->isdst])
                break;
        }
    }
    if (!z->tzname[0])
        z->tzname[0] = z->types[0].abbr;
    if (!z->tzname[1])
        z->tzname[1] = z->tzname[0];
    int32_t stdoff = 0, dstoff = 0;
    if (z->ntrans == 0)
        stdoff = dstoff = z->types[0].off;
    else {
        bool sset = false, dset = false;
        for (size_t i = z->ntrans; i-- > 0;) {
            const struct tz_type *t = &z->types[z->trans_type[i]];
            if (!sset && !t->isdst) {
                sset = true;
                stdoff = t->off;
            } else if (!dset && t->isdst) {
                dset = true;
                dstoff = t->off;
            }
            if (sset && dset)
                break;
        }
        if (!dset)
            dstoff = stdoff;
    }
    z->std_off = stdoff;
    z->daylight = stdoff != dstoff;
}

void tz_zone_free(struct tz_zone *z)
{
    if (!z)
        return;
    free(z->name);
    free(z->trans);
    free(z->trans_type);
    free(z->types);
    free(z->abbrs);
    free(z->leaps);
    free(z);
}

static void set_posix_only(struct tz_zone *z)
{
    z->tzname[0] = z->posix.std_name;
    z->tzname[1] = z->posix.has_dst ? z->posix.dst_name : z->posix.std_name;
    z->std_off = z->posix.std_off;
    z->daylight = z->posix.has_dst && z->posix.std_off != z->posix.dst_off;
}

struct tz_zone *tz_zone_utc(void)
{
    struct tz_zone *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->name = strdup("UTC");
    if (!z->name) {
        free(z);
        return NULL;
    }
    posix_parse("UTC0", &z->posix);
    set_posix_only(z);
    z->is_utc = true;
    z->cache_year = INT_MIN;
    return z;
}

struct tz_zone *tz_zone_utc_leaps(const struct tz_zone *src)
{
    if (!src->nleaps)
        return NULL;
    struct tz_zone *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->cache_year = INT_MIN;
    z->name = strdup("UTC");
    z->types = calloc(1, sizeof *z->types);
    z->leaps = calloc(src->nleaps, sizeof *z->leaps);
    if (!z->name || !z->types || !z->leaps) {
        tz_zone_free(z);
        return NULL;
    }
    z->types[0] = (struct tz_type){0, false, "GMT"};
    z->ntypes = 1;
    memcpy(z->leaps, src->leaps, src->nleaps * sizeof *z->leaps);
    z->nleaps = src->nleaps;
    z->tzname[0] = z->tzname[1] = "GMT";
    return z;
}

struct tz_zone *tz_zone_load(const char *spec, bool posix_fallback)
{
    struct tz_zone *z = calloc(1, sizeof *z);
    if (!z)
        return NULL;
    z->cache_year = INT_MIN;
    z->name = strdup(spec);
    if (!z->name)
        goto fail;
    const char *name = spec[0] == ':' ? spec + 1 : spec;
    char path[PATH_MAX];
    if (name[0] == '/')
        snprintf(path, sizeof path, "%s", name);
    else if (snprintf(path, sizeof path, ZONEINFO "%s", name) >= (int)sizeof path)
        path[0] = 0;
    unsigned char *data = NULL;
    size_t len = 0;
    bool ok = path[0] && !strstr(name, "..") && read_all(path, &data, &len);
    if (ok) {
        ok = tzif_parse(z, data, len);
        free(data);
    }
    if (ok) {
        tzif_globals(z);
        /* A zone that is plain UTC forever (UTC, Etc/UTC, Zulu, ...) takes the fast path. */
        z->is_utc = z->ntrans == 0 && z->nleaps == 0 && z->ntypes >= 1 && z->types[0].off == 0 &&
                    !z->types[0].isdst && (!z->posix.valid || !z->posix.has_dst) &&
                    (!z->posix.valid || z->posix.std_off == 0);
        return z;
    }
    if (!posix_fallback)
        goto fail;
    /* Not a file: a POSIX rule string, or glibc's fallback to UTC. */
    free(z->trans);
    free(z->trans_type);
    free(z->types);
    free(z->abbrs);
    free(z->leaps);
    z->trans = NULL;
    z->trans_type = NULL;
    z->types = NULL;
    z->abbrs = NULL;
    z->leaps = NULL;
    z->ntrans = z->ntypes = z->nleaps = 0;
    if (!posix_parse(name, &z->posix))
        posix_parse("UTC0", &z->posix);
    set_posix_only(z);
    z->is_utc = !z->posix.has_dst && z->posix.std_off == 0;
    return z;
fail:
    tz_zone_free(z);
    return NULL;
}

bool tz_name_valid(const char *name)
{
    if (!name || !*name)
        return false;
    if (!strcmp(name, "UTC"))
        return true;
    if (name[0] == '/')
        return false;
    bool slash = false;
    size_t n = 0;
    for (const char *p = name; *p; p++, n++) {
        char c = *p;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '+' || c == '/'))
            return false;
        if (c == '/') {
            if (slash)
                return false;
            slash = true;
        } else
            slash = false;
    }
    if (slash || n >= PATH_MAX - sizeof ZONEINFO)
        return false;
    char path[PATH_MAX];
    snprintf(path, sizeof path, ZONEINFO "%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    char magic[4];
    bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && read(fd, magic, 4) == 4 &&
              !memcmp(magic, "TZif", 4);
    close(fd);
    return ok;
}

/* ---- localtime ---- */

bool tz_localtime(struct tz_zone *z, int64_t t, struct tm *tm)
{
    if (z->is_utc) {
        breakdown(t, tm);
        tm->tm_isdst = 0;
        tm->tm_gmtoff = 0;
        tm->tm_zone = z->tzname[0];
        return true;
    }
    const struct tz_type *type = NULL;
    if (z->ntypes == 0) {
        posix_apply(z, t, tm);
    } else if (z->ntrans == 0 || t < z->trans[0]) {
        size_t i = 0;
        while (i < z->ntypes && z->types[i].isdst)
            i++;
        if (i == z->ntypes)
            i = 0;
        type = &z->types[i];
    } else if (t >= z->trans[z->ntrans - 1] && z->posix.valid) {
        posix_apply(z, t, tm);
    } else if (t >= z->trans[z->ntrans - 1]) {
        type = &z->types[z->trans_type[z->ntrans - 1]];
    } else {
        size_t lo = 0, hi = z->ntrans - 1; /* trans[lo] <= t < trans[hi] */
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (t < z->trans[mid])
                hi = mid;
            else
                lo = mid;
        }
        type = &z->types[z->trans_type[lo]];
    }
    /* leap seconds (right/ zones) */
    int32_t corr = 0;
    int hit = 0;
    if (z->nleaps) {
        size_t i = z->nleaps;
        while (i > 0 && t < z->leaps[i - 1].t)
            i--;
        if (i > 0) {
            i--;
            corr = z->leaps[i].corr;
            if (t == z->leaps[i].t &&
                ((i == 0 && z->leaps[i].corr > 0) ||
                 (i > 0 && z->leaps[i].corr > z->leaps[i - 1].corr))) {
                hit = 1;
                while (i > 0 && z->leaps[i].t == z->leaps[i - 1].t + 1 &&
                       z->leaps[i].corr == z->leaps[i - 1].corr + 1) {
                    hit++;
                    i--;
                }
            }
        }
    }
    if (type) {
        breakdown(t + type->off - corr, tm);
        tm->tm_isdst = type->isdst;
        tm->tm_gmtoff = type->off;
        tm->tm_zone = type->abbr;
    } else if (corr) {
        long off = tm->tm_gmtoff;
        int isdst = tm->tm_isdst;
        const char *zn = tm->tm_zone;
        breakdown(t + off - corr, tm);
        tm->tm_isdst = isdst;
        tm->tm_gmtoff = off;
        tm->tm_zone = zn;
    }
    tm->tm_sec += hit;
    return true;
}

/* ---- mktime, as glibc's __mktime_internal ---- */

static int64_t ydhms_diff(int64_t year1, int64_t yday1, int hour1, int min1, int sec1, int year0,
                          int yday0, int hour0, int min0, int sec0)
{
    /* year values are tm_year (years since 1900); exact day arithmetic */
    int64_t d1 = tz_days_from_civil(year1 + 1900, 1, 1) + yday1;
    int64_t d0 = tz_days_from_civil((int64_t)year0 + 1900, 1, 1) + yday0;
    return ((d1 - d0) * 24 + hour1 - hour0) * 3600 + (int64_t)(min1 - min0) * 60 + sec1 - sec0;
}

static bool isdst_differ(int a, int b)
{
    return (!a != !b) && a >= 0 && b >= 0;
}

int64_t tz_mktime(struct tz_zone *z, struct tm *tp, long *offset)
{
    if (z->is_utc && tp->tm_isdst <= 0) {
        struct tm t = *tp;
        int64_t r = tz_timegm(&t);
        t.tm_zone = z->tzname[0];
        *tp = t;
        *offset = 0;
        return r;
    }
    struct tm tm;
    int remaining_probes = 6;
    int sec = tp->tm_sec, min = tp->tm_min, hour = tp->tm_hour, mday = tp->tm_mday;
    int mon = tp->tm_mon, isdst = tp->tm_isdst;
    int dst2 = 0;
    int mon_rem = mon % 12;
    int neg = mon_rem < 0;
    int64_t year = (int64_t)tp->tm_year + mon / 12 - neg;
    int m = mon_rem + 12 * neg; /* 0..11 */
    int64_t yday = tz_days_from_civil(year + 1900, m + 1, 1) - tz_days_from_civil(year + 1900, 1, 1) +
                   mday - 1;
    long off = *offset;
    int sec_requested = sec;
    if (sec < 0)
        sec = 0;
    if (sec > 59)
        sec = 59;
    int64_t t0 = ydhms_diff(year, yday, hour, min, sec, 70, 0, 0, 0, (int)-off);
    int64_t t = t0, t1 = t0, t2 = t0;
    for (;;) {
        tz_localtime(z, t, &tm);
        int64_t dt = ydhms_diff(year, yday, hour, min, sec, tm.tm_year, tm.tm_yday, tm.tm_hour,
                                tm.tm_min, tm.tm_sec);
        if (dt == 0)
            break;
        if (t == t1 && t != t2 &&
            (tm.tm_isdst < 0 ||
             (isdst < 0 ? dst2 <= (tm.tm_isdst != 0) : (isdst != 0) != (tm.tm_isdst != 0))))
            goto offset_found;
        if (--remaining_probes == 0)
            return -1;
        t1 = t2;
        t2 = t;
        t += dt;
        dst2 = tm.tm_isdst != 0;
    }
    if (isdst_differ(isdst, tm.tm_isdst)) {
        /* glibc >= 2.35: probe +-7 years for a neighbour with the requested isdst */
        const int stride = 601200, delta_bound = 457243200 / 2 + 601200;
        int dst_difference = (isdst == 0) - (tm.tm_isdst == 0);
        for (int delta = stride; delta < delta_bound; delta += stride)
            for (int dir = -1; dir <= 1; dir += 2) {
                int64_t ot = t + (int64_t)delta * dir;
                struct tm otm;
                tz_localtime(z, ot, &otm);
                if (!isdst_differ(isdst, otm.tm_isdst)) {
                    int64_t gt = ot + ydhms_diff(year, yday, hour, min, sec, otm.tm_year,
                                                 otm.tm_yday, otm.tm_hour, otm.tm_min, otm.tm_sec);
                    tz_localtime(z, gt, &tm);
                    t = gt;
                    goto offset_found;
                }
            }
        /* none nearby: assume DST was asked for in a zone without it, and shift */
        t += 3600 * dst_difference;
        tz_localtime(z, t, &tm);
        goto offset_found;
    }
offset_found:
    *offset = (long)(t - t0) + off; /* glibc keeps UTC - local as the next guess */
    if (sec_requested != tm.tm_sec) {
        int64_t adj = sec == 0 && tm.tm_sec == 60;
        adj -= sec;
        adj += sec_requested;
        t += adj;
        tz_localtime(z, t, &tm);
    }
    *tp = tm;
    return t;
}
