/* Selection of entries like journalctl: units (with journalctl's name mangling), priority
 * ranges, times, and the MESSAGE pattern. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/journal.h"

void journal_select_free(struct journal_select *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nunits; i++)
        free(s->units[i]);
    free(s->units);
    free(s->hostname);
    free(s->grep);
    memset(s, 0, sizeof *s);
    s->prio_max = -1;
    s->lines = -1;
}

int journal_select_add_unit(struct journal_select *s, const char *unit)
{
    char **v = realloc(s->units, (s->nunits + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    s->units = v;
    if (!(v[s->nunits] = strdup(unit)))
        return -ENOMEM;
    s->nunits++;
    return 0;
}

int journal_select_add_destination(struct journal_select *s, const char *dest, struct diag *d)
{
    size_t n = strlen(dest);
    if (n == 0 || strspn(dest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                        "invalid destination name '%s': expected letters, digits, '.', '_' or '-'",
                        dest);
    char *u;
    if (asprintf(&u, "borgbackup-job-%s.service", dest) < 0)
        return -ENOMEM;
    int r = journal_select_add_unit(s, u);
    free(u);
    return r;
}

/* ---- unit names (systemd's unit_name_mangle_with_suffix with globs allowed) ---- */

#define UNIT_CHARS "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:-_.\\"

static const char *const unit_types[] = {
    "service", "mount", "swap", "socket", "target", "device", "automount",
    "timer", "path", "slice", "scope", NULL,
};

static bool has_unit_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (!dot)
        return false;
    for (const char *const *t = unit_types; *t; t++)
        if (!strcmp(dot + 1, *t))
            return true;
    return false;
}

static bool unit_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= 256 || !has_unit_type(name))
        return false;
    const char *dot = strrchr(name, '.');
    if (dot == name)
        return false;
    const char *at = memchr(name, '@', (size_t)(dot - name));
    for (const char *p = name; p < dot; p++)
        if (!strchr(UNIT_CHARS, *p) && p != at)
            return false;
    if (at && (at == name))
        return false;
    return true;
}

static bool string_is_glob(const char *s)
{
    return strpbrk(s, "*?[") != NULL;
}

char *journal_unit_mangle(const char *unit)
{
    if (unit_name_valid(unit))
        return strdup(unit);
    if (string_is_glob(unit) && strspn(unit, UNIT_CHARS "@[]!-*?") == strlen(unit))
        return strdup(unit);
    struct buf b = {0};
    for (const unsigned char *p = (const unsigned char *)unit; *p; p++) {
        if (*p == '/')
            buf_putc(&b, '-');
        else if (*p == '\\' || !strchr(UNIT_CHARS "@*?[]!", *p))
            buf_printf(&b, "\\x%02x", *p);
        else
            buf_putc(&b, (char)*p);
    }
    if (!b.p)
        return strdup("");
    if (!string_is_glob(b.p) && !has_unit_type(b.p))
        buf_puts(&b, ".service");
    return buf_steal(&b);
}

/* ---- priorities ---- */

static const char *const prio_names[] = {"emerg", "alert", "crit", "err",
                                         "warning", "notice", "info", "debug"};

static int parse_one_priority(const char *s, size_t n)
{
    if (n == 1 && s[0] >= '0' && s[0] <= '7')
        return s[0] - '0';
    for (int i = 0; i < 8; i++)
        if (strlen(prio_names[i]) == n && !strncmp(prio_names[i], s, n))
            return i;
    return -1;
}

int journal_parse_priority(const char *s, int *min, int *max, struct diag *d)
{
    const char *dots = strstr(s, "..");
    int a, b;
    if (dots) {
        a = parse_one_priority(s, (size_t)(dots - s));
        b = parse_one_priority(dots + 2, strlen(dots + 2));
        if (a < 0 || b < 0)
            goto bad;
        if (a > b) {
            int t = a;
            a = b;
            b = t;
        }
    } else {
        a = 0;
        b = parse_one_priority(s, strlen(s));
        if (b < 0)
            goto bad;
    }
    *min = a;
    *max = b;
    return 0;
bad:
    return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                    "invalid priority '%s': expected 0-7 or emerg, alert, crit, err, warning, "
                    "notice, info, debug, or a range like 'err..warning'", s);
}

/* ---- times ---- */

static int unit_usec(char u, uint64_t *mult)
{
    switch (u) {
    case 's': *mult = 1000000ULL; return 0;
    case 'm': *mult = 60000000ULL; return 0;
    case 'h': *mult = 3600000000ULL; return 0;
    case 'd': *mult = 86400000000ULL; return 0;
    case 'w': *mult = 7 * 86400000000ULL; return 0;
    default: return -1;
    }
}

static uint64_t day_start(uint64_t now_usec, int offset_days)
{
    time_t t = (time_t)(now_usec / 1000000ULL);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday += offset_days;
    tm.tm_isdst = -1;
    return (uint64_t)mktime(&tm) * 1000000ULL;
}

int journal_parse_time(const char *s, uint64_t now_usec, uint64_t *out, struct diag *d)
{
    size_t n = strlen(s);
    if (!strcmp(s, "now")) {
        *out = now_usec;
        return 0;
    }
    if (!strcmp(s, "today") || !strcmp(s, "yesterday") || !strcmp(s, "tomorrow")) {
        *out = day_start(now_usec, s[0] == 'y' ? -1 : s[2] == 'm' ? 1 : 0);
        return 0;
    }
    if (s[0] == '@') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s + 1, &end, 10);
        if (errno || end == s + 1 || *end)
            goto bad;
        *out = (uint64_t)v * 1000000ULL;
        return 0;
    }
    /* relative: +N[u], -N[u], "N[u] ago" */
    {
        int sign = 0;
        const char *p = s;
        if (*p == '+' || *p == '-')
            sign = *p++ == '+' ? 1 : -1;
        const char *ago = n > 4 ? strstr(s, " ago") : NULL;
        if (ago && ago[4] == 0)
            sign = -1;
        if (sign && isdigit((unsigned char)*p)) {
            char *end;
            unsigned long long v = strtoull(p, &end, 10);
            uint64_t mult = 1000000ULL;
            if (*end && (!ago || end < ago)) {
                if (unit_usec(*end, &mult) < 0)
                    goto bad;
                end++;
            }
            if (ago ? end != ago : *end != 0)
                goto bad;
            uint64_t delta = (uint64_t)v * mult;
            *out = sign > 0 ? now_usec + delta : (delta > now_usec ? 0 : now_usec - delta);
            return 0;
        }
    }
    /* absolute: YYYY-MM-DD [HH:MM[:SS]] or HH:MM[:SS] (today) */
    {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        int Y, M, D, h = 0, m = 0, sec = 0, used = 0;
        if (sscanf(s, "%4d-%2d-%2d%n", &Y, &M, &D, &used) == 3) {
            const char *rest = s + used;
            if (*rest == ' ' || *rest == 'T') {
                int u2 = 0;
                if (sscanf(rest + 1, "%2d:%2d%n", &h, &m, &u2) != 2)
                    goto bad;
                rest += 1 + u2;
                if (*rest == ':') {
                    int u3 = 0;
                    if (sscanf(rest + 1, "%2d%n", &sec, &u3) != 1)
                        goto bad;
                    rest += 1 + u3;
                }
            }
            if (*rest)
                goto bad;
            if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
                goto bad;
            tm.tm_year = Y - 1900;
            tm.tm_mon = M - 1;
            tm.tm_mday = D;
        } else if (sscanf(s, "%2d:%2d%n", &h, &m, &used) == 2) {
            const char *rest = s + used;
            if (*rest == ':') {
                int u3 = 0;
                if (sscanf(rest + 1, "%2d%n", &sec, &u3) != 1)
                    goto bad;
                rest += 1 + u3;
            }
            if (*rest || h > 23 || m > 59 || sec > 60)
                goto bad;
            time_t t = (time_t)(now_usec / 1000000ULL);
            localtime_r(&t, &tm);
        } else
            goto bad;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1 || t < 0)
            goto bad;
        *out = (uint64_t)t * 1000000ULL;
        return 0;
    }
bad:
    return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                    "invalid time '%s': expected 'YYYY-MM-DD [HH:MM[:SS]]', 'HH:MM[:SS]', "
                    "'@SECONDS', 'now', 'today', 'yesterday', 'tomorrow', '-1h' or '2d ago'", s);
}

/* ---- the MESSAGE pattern ---- */

struct journal_matcher {
    bool has_re;
    regex_t re;
};

int journal_matcher_new(const struct journal_select *s, struct journal_matcher **out,
                        struct diag *d)
{
    struct journal_matcher *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    if (s->grep) {
        int flags = REG_EXTENDED | REG_NOSUB;
        bool upper = false;
        for (const char *p = s->grep; *p; p++)
            upper |= isupper((unsigned char)*p) != 0;
        /* like journalctl: a pattern without capitals matches case-insensitively */
        if (!s->grep_case_sensitive && !upper)
            flags |= REG_ICASE;
        int r = regcomp(&m->re, s->grep, flags);
        if (r) {
            char err[256];
            regerror(r, &m->re, err, sizeof err);
            free(m);
            return diag_set(d, DIAG_ERROR, NULL, 0, 0, "invalid pattern '%s': %s", s->grep, err);
        }
        m->has_re = true;
    }
    *out = m;
    return 0;
}

void journal_matcher_free(struct journal_matcher *m)
{
    if (!m)
        return;
    if (m->has_re)
        regfree(&m->re);
    free(m);
}

int journal_matcher_keep(const struct journal_matcher *m, const struct journal_entry *e)
{
    if (!m->has_re)
        return 1;
    size_t len;
    const char *msg = journal_entry_get(e, "MESSAGE", &len);
    if (!msg)
        return 0;
    regmatch_t pm[1] = {{.rm_so = 0, .rm_eo = (regoff_t)len}};
    return regexec(&m->re, msg, 1, pm, REG_STARTEND) == 0;
}
