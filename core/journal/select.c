/* Selection of entries like journalctl: units (with journalctl's name mangling), priority
 * ranges, times, and the MESSAGE pattern. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"
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

int journal_parse_time(const char *s, uint64_t now_usec, uint64_t *out, struct diag *d)
{
    /* journalctl parses --since/--until with systemd's parse_timestamp(); core/calendar
     * has it, with the local zone taken from TZ (or /etc/localtime) */
    struct calendar_ctx *ctx = calendar_ctx_new();
    if (!ctx)
        return -ENOMEM;
    int r = calendar_parse_timestamp(ctx, s, now_usec, out);
    calendar_ctx_free(ctx);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                        "invalid time '%s': expected 'YYYY-MM-DD [HH:MM[:SS[.frac]]] [UTC]', "
                        "'HH:MM[:SS]', '@SECONDS', 'now', 'today', 'yesterday', 'tomorrow', "
                        "'-1h' or '2d ago' (as systemd.time(7) describes)", s);
    return 0;
}

/* ---- the MESSAGE pattern ---- */

/* journalctl matches with PCRE2; clan-tui with POSIX extended expressions, after
 * translating the PCRE spellings that mean something else there: "." does not match a
 * newline, \d \D \s \S \n \t \r \xHH \A \z \Z, escapes inside brackets, and a leading
 * (?i). (And "$" also matches before a final newline: journal_matcher_keep.) */
static int pcre_to_ere(const char *p, struct buf *out, bool *icase)
{
    if (!strncmp(p, "(?i)", 4)) {
        *icase = true;
        p += 4;
    }
    bool in_bracket = false;
    for (; *p; p++) {
        if (in_bracket && *p == ']' && p[-1] != '[' && !(p[-1] == '^' && p[-2] == '[')) {
            in_bracket = false;
            buf_putc(out, ']');
            continue;
        }
        if (*p == '[' && !in_bracket) {
            in_bracket = true;
            buf_putc(out, '[');
            if (p[1] == '^')
                buf_putc(out, *++p);
            if (p[1] == ']')
                buf_putc(out, *++p);
            continue;
        }
        if (*p == '.' && !in_bracket) {
            buf_puts(out, "[^\n]");
            continue;
        }
        if (*p != '\\' || !p[1]) {
            buf_putc(out, *p);
            continue;
        }
        char c = *++p;
        const char *cls = NULL;
        switch (c) {
        case 'd': cls = in_bracket ? "0-9" : "[0-9]"; break;
        case 'D': cls = in_bracket ? NULL : "[^0-9]"; break;
        case 's': cls = in_bracket ? "[:space:]" : "[[:space:]]"; break;
        case 'S': cls = in_bracket ? NULL : "[^[:space:]]"; break;
        case 'w': cls = in_bracket ? "[:alnum:]_" : NULL; break;
        case 'n': cls = "\n"; break;
        case 't': cls = "\t"; break;
        case 'r': cls = "\r"; break;
        case 'A': cls = in_bracket ? NULL : "^"; break;
        case 'z': case 'Z': cls = in_bracket ? NULL : "$"; break;
        case 'x':
            if (isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
                char h[3] = {p[1], p[2], 0}, lit = (char)strtol(h, NULL, 16);
                p += 2;
                if (!in_bracket && strchr("^.[$()|*+?{\\", lit))
                    buf_putc(out, '\\');
                buf_putc(out, lit);
                continue;
            }
            break;
        default: break;
        }
        if (cls)
            buf_puts(out, cls);
        else if (in_bracket && !isalnum((unsigned char)c))
            buf_putc(out, c); /* [\]] [\-] [\\]: the character itself */
        else {
            buf_putc(out, '\\');
            buf_putc(out, c);
        }
    }
    return out->p ? 0 : -ENOMEM;
}

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
        bool upper = false, icase = false;
        for (const char *p = s->grep; *p; p++)
            upper |= isupper((unsigned char)*p) != 0;
        /* like journalctl: a pattern without capitals matches case-insensitively */
        struct buf ere = {0};
        if (pcre_to_ere(s->grep, &ere, &icase) < 0) {
            free(m);
            return -ENOMEM;
        }
        if (icase || (!s->grep_case_sensitive && !upper))
            flags |= REG_ICASE;
        int r = regcomp(&m->re, ere.p, flags);
        buf_free(&ere);
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
    /* journalctl matches the first MESSAGE (sd_journal_get_data) and shows the last */
    size_t len = 0;
    const char *msg = NULL;
    for (size_t i = 0; i < e->nfields && !msg; i++)
        if (!strcmp(e->fields[i].name, "MESSAGE")) {
            msg = e->fields[i].value;
            len = e->fields[i].len;
        }
    if (!msg)
        return 0;
    regmatch_t pm[1] = {{.rm_so = 0, .rm_eo = (regoff_t)len}};
    if (regexec(&m->re, msg, 1, pm, REG_STARTEND) == 0)
        return 1;
    /* PCRE's "$" matches before a final newline too */
    if (len == 0 || msg[len - 1] != '\n')
        return 0;
    pm[0].rm_so = 0;
    pm[0].rm_eo = (regoff_t)len - 1;
    return regexec(&m->re, msg, 1, pm, REG_STARTEND) == 0;
}
