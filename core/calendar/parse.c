/* Calendar expression parser with systemd 252's accept/reject decisions and errnos,
 * plus a column for every rejection. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/calendar/internal.h"

/* Parser state: the original text (for columns) and the first error. */
struct pstate {
    struct calendar_ctx *ctx;
    const char *text;  /* what columns are relative to */
    const char *src;   /* the (possibly suffix-stripped) copy being parsed */
    int err_col;
    const char *err_msg;
};

static int fail(struct pstate *s, const char *at, int err, const char *msg)
{
    if (!s->err_msg) {
        s->err_col = at ? (int)(at - s->src) + 1 : 0;
        s->err_msg = msg;
    }
    return err;
}

void calendar_spec_free(struct calendar_spec *spec)
{
    if (!spec)
        return;
    for (int i = 0; i < CAL_NCHAINS; i++)
        free(spec->c[i].v);
    free(spec->timezone);
    free(spec->dst_name);
    free(spec);
}

static int chain_add(struct cal_chain *c, int start, int stop, int repeat, int col)
{
    struct cal_item *v = realloc(c->v, (size_t)(c->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    c->v = v;
    v[c->n++] = (struct cal_item){start, stop, repeat, col};
    return 0;
}

static void chain_clear(struct cal_chain *c)
{
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

/* ---- weekdays ---- */

static int parse_weekdays(struct pstate *s, const char **p, struct calendar_spec *c)
{
    static const struct {
        const char *name;
        int nr;
    } days[] = {
        {"Monday", 0}, {"Mon", 0}, {"Tuesday", 1}, {"Tue", 1},   {"Wednesday", 2},
        {"Wed", 2},    {"Thursday", 3}, {"Thu", 3}, {"Friday", 4}, {"Fri", 4},
        {"Saturday", 5}, {"Sat", 5}, {"Sunday", 6}, {"Sun", 6},
    };
    int l = -1;
    bool first = true;
    for (;;) {
        size_t i;
        for (i = 0; i < sizeof days / sizeof *days; i++) {
            size_t n = strlen(days[i].name);
            if (strncasecmp(*p, days[i].name, n))
                continue;
            char f = (*p)[n];
            if (f && f != '-' && f != '.' && f != ',' && f != ' ')
                return fail(s, *p + n, -EINVAL,
                            "weekday name must be followed by ',', '..', '-', a space or the end");
            c->weekdays |= 1 << days[i].nr;
            if (l >= 0) {
                if (l > days[i].nr)
                    return fail(s, *p, -EINVAL, "weekday range goes backwards (write Mon..Sun order)");
                for (int j = l + 1; j < days[i].nr; j++)
                    c->weekdays |= 1 << j;
            }
            *p += n;
            break;
        }
        if (i >= sizeof days / sizeof *days) {
            if (first)
                return 0;
            return fail(s, *p, -EINVAL, "expected a weekday name (Mon..Sun)");
        }
        if (**p == 0)
            return 0;
        if (**p == ' ') {
            *p += strspn(*p, " ");
            return 0;
        }
        if (**p == '.') {
            if (l >= 0)
                return fail(s, *p, -EINVAL, "weekday ranges cannot be chained");
            if ((*p)[1] != '.')
                return fail(s, *p, -EINVAL, "expected '..' for a weekday range");
            l = days[i].nr;
            *p += 2;
        } else if (**p == '-') {
            if (l >= 0)
                return fail(s, *p, -EINVAL, "weekday ranges cannot be chained");
            l = days[i].nr;
            *p += 1;
        } else if (**p == ',') {
            l = -1;
            *p += 1;
        }
        if (**p == 0 || **p == ' ') {
            if (l >= 0)
                return fail(s, *p, -EINVAL, "weekday range has no end");
            *p += strspn(*p, " ");
            return 0;
        }
        first = false;
    }
}

/* ---- numbers and chains ---- */

/* systemd's parse_fractional_part_u(p, 6): 6 digits, the 7th rounds, the rest ignored. */
int cal_parse_fraction6(const char **p, unsigned *res)
{
    const char *q = *p;
    unsigned v = 0;
    for (int i = 0; i < 6; i++, q++) {
        if (*q < '0' || *q > '9') {
            if (i == 0)
                return -EINVAL;
            for (; i < 6; i++)
                v *= 10;
            break;
        }
        v = v * 10 + (unsigned)(*q - '0');
    }
    if (*q >= '5' && *q <= '9')
        v++;
    q += strspn(q, "0123456789");
    *p = q;
    *res = v;
    return 0;
}

static int parse_decimal(struct pstate *s, const char **p, bool usec, int *res)
{
    const char *at = *p;
    if (!isdigit((unsigned char)**p))
        return fail(s, at, -EINVAL, "expected a number");
    char *e;
    errno = 0;
    unsigned long v = strtoul(*p, &e, 10);
    if (errno > 0)
        return fail(s, at, -errno, "number out of range");
    if (usec) {
        if (v * CAL_USEC / CAL_USEC != v)
            return fail(s, at, -ERANGE, "number out of range");
        v *= CAL_USEC;
        if (e[0] == '.' && e[1] != '.') {
            const char *f = e + 1;
            unsigned add;
            if (cal_parse_fraction6(&f, &add) < 0)
                return fail(s, e + 1, -EINVAL, "expected digits after the decimal point");
            if (add + v < v)
                return fail(s, at, -ERANGE, "number out of range");
            v += add;
            e = (char *)f;
        }
    }
    if (v > INT_MAX)
        return fail(s, at, -ERANGE, usec ? "seconds value out of range" : "number out of range");
    *p = e;
    *res = (int)v;
    return 0;
}

static int parse_items(struct pstate *s, const char **p, bool usec, struct cal_chain *c)
{
    const char *e = *p;
    for (int nesting = 0;; nesting++) {
        if (nesting > CAL_ITEMS_MAX - 1)
            return fail(s, e, -ENOBUFS, "too many items in one list (at most 241)");
        const char *item = e;
        int start, stop = -1, repeat = 0, r;
        r = parse_decimal(s, &e, usec, &start);
        if (r < 0)
            return r;
        if (e[0] == '.' && e[1] == '.') {
            e += 2;
            r = parse_decimal(s, &e, usec, &stop);
            if (r < 0)
                return r;
            repeat = usec ? CAL_USEC : 1;
        }
        if (*e == '/') {
            e++;
            const char *rp = e;
            r = parse_decimal(s, &e, usec, &repeat);
            if (r < 0)
                return r;
            if (repeat == 0)
                return fail(s, rp, -ERANGE, "repetition must not be 0");
        } else {
            if (start > INT_MAX - repeat)
                return fail(s, item, -ERANGE, "number out of range");
            if (usec && stop >= 0 && start + repeat > stop)
                return fail(s, item, -EINVAL, "a seconds range without '/' must span at least 1s");
        }
        if (*e && *e != ' ' && *e != ',' && *e != '-' && *e != '~' && *e != ':')
            return fail(s, e, -EINVAL, "unexpected character after a number");
        r = chain_add(c, start, stop, repeat, (int)(item - s->src) + 1);
        if (r < 0)
            return r;
        *p = e;
        if (*e != ',')
            return 0;
        e++;
    }
}

static int parse_chain(struct pstate *s, const char **p, bool usec, struct cal_chain *c)
{
    chain_clear(c);
    if (**p == '*') {
        if (usec) {
            int r = chain_add(c, 0, -1, CAL_USEC, (int)(*p - s->src) + 1);
            if (r < 0)
                return r;
        }
        *p += 1;
        return 0;
    }
    return parse_items(s, p, usec, c);
}

static int const_chain(struct cal_chain *c, int v)
{
    return chain_add(c, v, -1, 0, 0);
}

/* ---- @epoch, date, time ---- */

static int from_epoch(struct pstate *s, const char *at, struct calendar_spec *c, time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || tm.tm_year > INT_MAX - 1900)
        return fail(s, at, -ERANGE, "timestamp out of range");
    cal_gmtime(s->ctx, t, &tm); /* with the local zone's leap seconds, as glibc */
    int vals[CAL_NCHAINS] = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                             tm.tm_hour,        tm.tm_min,     tm.tm_sec * CAL_USEC};
    for (int i = 0; i < CAL_NCHAINS; i++) {
        chain_clear(&c->c[i]);
        int r = const_chain(&c->c[i], vals[i]);
        if (r < 0)
            return r;
        c->c[i].v[0].col = (int)(at - s->src) + 1;
    }
    c->utc = true;
    return 0;
}

/* Returns 1 for @epoch (no time may follow), 0 otherwise. */
static int parse_date(struct pstate *s, const char **p, struct calendar_spec *c)
{
    const char *t = *p;
    struct cal_chain first = {0}, second = {0}, third = {0};
    int r;
    if (*t == 0)
        return 0;
    if (*t == '@') {
        char *e;
        errno = 0;
        unsigned long v = strtoul(t + 1, &e, 10);
        if (errno > 0)
            return fail(s, t + 1, -errno, "timestamp out of range");
        if (e == t + 1)
            return fail(s, t + 1, -EINVAL, "expected seconds since the epoch after '@'");
        time_t tt = (time_t)v;
        if ((unsigned long)tt != v)
            return fail(s, t + 1, -ERANGE, "timestamp out of range");
        r = from_epoch(s, t, c, tt);
        if (r < 0)
            return r;
        *p = e;
        return 1;
    }
    r = parse_chain(s, &t, false, &first);
    if (r < 0)
        goto out;
    if (*t == 0 || *t == ':') {
        chain_clear(&first);
        return 0; /* it was the hour: parse again as a time */
    }
    if (*t == '~')
        c->end_of_month = true;
    else if (*t != '-') {
        r = fail(s, t, -EINVAL, "expected '-' or '~' between date parts");
        goto out;
    }
    t++;
    r = parse_chain(s, &t, false, &second);
    if (r < 0)
        goto out;
    if (*t == 0 || *t == ' ') {
        *p = t + strspn(t, " ");
        c->c[CAL_MONTH] = first;
        c->c[CAL_DAY] = second;
        return 0;
    } else if (c->end_of_month) {
        r = fail(s, t, -EINVAL, "'~' may only come before the day");
        goto out;
    }
    if (*t == '~')
        c->end_of_month = true;
    else if (*t != '-') {
        r = fail(s, t, -EINVAL, "expected '-', '~', a space or the end after the month");
        goto out;
    }
    t++;
    r = parse_chain(s, &t, false, &third);
    if (r < 0)
        goto out;
    if (*t != 0 && *t != ' ') {
        r = fail(s, t, -EINVAL, "expected a space or the end after the date");
        goto out;
    }
    *p = t + strspn(t, " ");
    c->c[CAL_YEAR] = first;
    c->c[CAL_MONTH] = second;
    c->c[CAL_DAY] = third;
    return 0;
out:
    chain_clear(&first);
    chain_clear(&second);
    chain_clear(&third);
    return r;
}

static int parse_time(struct pstate *s, const char **p, struct calendar_spec *c)
{
    const char *t = *p;
    struct cal_chain h = {0}, m = {0}, sec = {0};
    int r;
    if (*t == 0) {
        if ((r = const_chain(&h, 0)) < 0 || (r = const_chain(&m, 0)) < 0 ||
            (r = const_chain(&sec, 0)) < 0)
            goto out;
        goto finish;
    }
    r = parse_chain(s, &t, false, &h);
    if (r < 0)
        goto out;
    if (*t != ':') {
        r = fail(s, t, -EINVAL, *t == ' ' ? "unexpected space (a time must end the expression)"
                                          : "expected ':' after the hour");
        goto out;
    }
    t++;
    r = parse_chain(s, &t, false, &m);
    if (r < 0)
        goto out;
    if (*t == 0) {
        if ((r = const_chain(&sec, 0)) < 0)
            goto out;
        goto finish;
    }
    if (*t != ':') {
        r = fail(s, t, -EINVAL, *t == ' ' ? "unexpected text after the time"
                                          : "expected ':' or the end after the minute");
        goto out;
    }
    t++;
    r = parse_chain(s, &t, true, &sec);
    if (r < 0)
        goto out;
    if (*t != 0) {
        r = fail(s, t, -EINVAL, "unexpected text after the time");
        goto out;
    }
finish:
    *p = t;
    chain_clear(&c->c[CAL_HOUR]);
    chain_clear(&c->c[CAL_MINUTE]);
    chain_clear(&c->c[CAL_USECS]);
    c->c[CAL_HOUR] = h;
    c->c[CAL_MINUTE] = m;
    c->c[CAL_USECS] = sec;
    return 0;
out:
    chain_clear(&h);
    chain_clear(&m);
    chain_clear(&sec);
    return r;
}

/* ---- normalization and validation ---- */

static int item_cmp(const void *a, const void *b)
{
    const struct cal_item *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->stop != y->stop)
        return x->stop < y->stop ? -1 : 1;
    if (x->repeat != y->repeat)
        return x->repeat < y->repeat ? -1 : 1;
    return 0;
}

static void normalize_chain(struct cal_chain *c)
{
    for (int i = 0; i < c->n; i++) {
        struct cal_item *it = &c->v[i];
        if (it->stop > it->start && it->repeat > 0)
            it->stop -= (it->stop - it->start) % it->repeat;
        if ((it->stop > it->start && it->repeat > 0 && it->start + it->repeat > it->stop) ||
            it->start == it->stop) {
            it->repeat = 0;
            it->stop = -1;
        }
    }
    if (c->n <= 1)
        return;
    /* stable w.r.t. columns: equal items keep the earliest column */
    qsort(c->v, (size_t)c->n, sizeof *c->v, item_cmp);
    int k = 0;
    for (int i = 0; i < c->n; i++) {
        if (k > 0 && item_cmp(&c->v[k - 1], &c->v[i]) == 0) {
            if (c->v[i].col < c->v[k - 1].col)
                c->v[k - 1].col = c->v[i].col;
            continue;
        }
        c->v[k++] = c->v[i];
    }
    c->n = k;
}

/* systemd 252's chain_valid(): with '~' it lowers the day limit by 3 in each recursive call,
 * so the first item of the (sorted) day list may reach 28, the second 25, the third 22...
 * ('*-*~1,26' is EINVAL, found by fuzz-calendar-diff). A bug of systemd's, kept as it is. */
static const struct cal_item *chain_invalid(const struct cal_chain *c, int from, int to, bool eom)
{
    for (int i = 0; i < c->n; i++) {
        if (eom)
            to -= 3;
        const struct cal_item *it = &c->v[i];
        if (it->start < from || it->start > to || it->repeat > to - from)
            return it;
        if (it->stop >= 0) {
            if (it->stop < from || it->stop > to || it->start + it->repeat > it->stop)
                return it;
        } else if (eom ? it->start - it->repeat < from : it->start + it->repeat > to)
            return it;
    }
    return NULL;
}

static int normalize_and_validate(struct pstate *s, struct calendar_spec *c)
{
    if (c->weekdays <= 0 || c->weekdays >= CAL_WEEKDAYS_ALL)
        c->weekdays = -1;
    if (c->end_of_month && c->c[CAL_DAY].n == 0)
        c->end_of_month = false;
    for (int i = 0; i < c->c[CAL_YEAR].n; i++) {
        struct cal_item *it = &c->c[CAL_YEAR].v[i];
        if (it->start >= 0 && it->start < 70)
            it->start += 2000;
        if (it->stop >= 0 && it->stop < 70)
            it->stop += 2000;
        if (it->start >= 70 && it->start < 100)
            it->start += 1900;
        if (it->stop >= 70 && it->stop < 100)
            it->stop += 1900;
    }
    for (int i = 0; i < CAL_NCHAINS; i++)
        normalize_chain(&c->c[i]);
    static const struct {
        int from, to;
        const char *what;
    } lim[CAL_NCHAINS] = {
        {CAL_MIN_YEAR, CAL_MAX_YEAR, "year must be 1970..2199 (or 00..99)"},
        {1, 12, "month must be 1..12"},
        {1, 31, "day must be 1..31"},
        {0, 23, "hour must be 0..23"},
        {0, 59, "minute must be 0..59"},
        {0, 60 * CAL_USEC - 1, "second must be 0..59.999999"},
    };
    for (int i = 0; i < CAL_NCHAINS; i++) {
        bool eom = i == CAL_DAY && c->end_of_month;
        const struct cal_item *bad = chain_invalid(&c->c[i], lim[i].from, lim[i].to, eom);
        if (!bad)
            continue;
        const char *msg = lim[i].what;
        if (eom && bad->start >= 1)
            msg = "day counted from the month's end ('~') must be 1..28 (systemd lowers the "
                  "limit by 3 for each further item of the sorted list: 28, 25, 22, ...), and a "
                  "repetition must fit";
        else if (bad->start >= lim[i].from && bad->start <= lim[i].to)
            msg = bad->stop >= 0 ? "range is reversed, out of bounds, or its repetition never fires"
                                 : "repetition does not fit even once before the field's maximum";
        s->err_msg = NULL;
        return fail(s, bad->col ? s->src + bad->col - 1 : NULL, -EINVAL, msg);
    }
    return 0;
}

/* ---- entry point ---- */

const char *cal_endswith_nocase(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    if (m > n || strcasecmp(s + n - m, suffix))
        return NULL;
    return s + n - m;
}

static int shorthand(struct calendar_spec *c, const char *p, bool *matched)
{
    static const struct {
        const char *names[4];
        int months[4], nmonths, day, hour, minute, weekly;
    } tab[] = {
        {{"minutely"}, {0}, 0, -1, -1, -1, 0},
        {{"hourly"}, {0}, 0, -1, -1, 0, 0},
        {{"daily"}, {0}, 0, -1, 0, 0, 0},
        {{"monthly"}, {0}, 0, 1, 0, 0, 0},
        {{"annually", "yearly", "anually"}, {1}, 1, 1, 0, 0, 0},
        {{"weekly"}, {0}, 0, -1, 0, 0, 1},
        {{"quarterly"}, {1, 4, 7, 10}, 4, 1, 0, 0, 0},
        {{"biannually", "bi-annually", "semiannually", "semi-annually"}, {1, 7}, 2, 1, 0, 0, 0},
    };
    *matched = false;
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++)
        for (int j = 0; j < 4 && tab[i].names[j]; j++) {
            if (strcasecmp(p, tab[i].names[j]))
                continue;
            int r = 0;
            *matched = true;
            for (int k = 0; k < tab[i].nmonths && r == 0; k++)
                r = const_chain(&c->c[CAL_MONTH], tab[i].months[k]);
            if (r == 0 && tab[i].day >= 0)
                r = const_chain(&c->c[CAL_DAY], tab[i].day);
            if (r == 0 && tab[i].hour >= 0)
                r = const_chain(&c->c[CAL_HOUR], tab[i].hour);
            if (r == 0 && tab[i].minute >= 0)
                r = const_chain(&c->c[CAL_MINUTE], tab[i].minute);
            if (r == 0)
                r = const_chain(&c->c[CAL_USECS], 0);
            if (tab[i].weekly)
                c->weekdays = 1;
            return r;
        }
    return 0;
}

static int parse_spec(struct calendar_ctx *ctx, struct pstate *s, const char *text,
                      struct calendar_spec *c, char **owned)
{
    const char *p = text;
    const char *utc = cal_endswith_nocase(p, " UTC");
    size_t cut = strlen(p);
    if (utc) {
        c->utc = true;
        cut = (size_t)(utc - p);
    } else {
        int j;
        const char *e = NULL;
        for (j = 0; j <= 1; j++) {
            const char *name = ctx->local->tzname[j];
            if (!name || !*name)
                continue;
            e = cal_endswith_nocase(p, name);
            if (!e || e == p || e[-1] != ' ')
                continue;
            break;
        }
        if (j <= 1) {
            cut = (size_t)(e - p - 1);
            c->dst = j;
            c->dst_name = strdup(ctx->local->tzname[j]);
            if (!c->dst_name)
                return -ENOMEM;
        } else {
            const char *sp = strrchr(p, ' ');
            if (sp && tz_name_valid(sp + 1)) {
                c->timezone = strdup(sp + 1);
                if (!c->timezone)
                    return -ENOMEM;
                cut = (size_t)(sp - p);
            }
        }
    }
    *owned = strndup(text, cut);
    if (!*owned)
        return -ENOMEM;
    p = s->src = *owned;
    if (!*p)
        return fail(s, p, -EINVAL, "empty calendar expression");
    bool matched;
    int r = shorthand(c, p, &matched);
    if (r < 0)
        return r;
    if (!matched) {
        r = parse_weekdays(s, &p, c);
        if (r < 0)
            return r;
        r = parse_date(s, &p, c);
        if (r < 0)
            return r;
        if (r == 0) {
            r = parse_time(s, &p, c);
            if (r < 0)
                return r;
        }
        if (*p != 0)
            return fail(s, p, -EINVAL, "unexpected text after '@' timestamp");
    }
    if (c->timezone && !strcmp(c->timezone, "UTC")) {
        c->utc = true;
        free(c->timezone);
        c->timezone = NULL;
    }
    return normalize_and_validate(s, c);
}

int calendar_parse(struct calendar_ctx *ctx, const char *text, struct calendar_spec **ret,
                   struct diag *d)
{
    struct calendar_spec *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    c->dst = -1;
    struct pstate s = {.ctx = ctx, .text = text, .src = text};
    char *owned = NULL;
    int r = parse_spec(ctx, &s, text, c, &owned);
    if (r < 0) {
        if (d) {
            const char *what = r == -ERANGE ? "value out of range" :
                               r == -ENOBUFS ? "too many list items" :
                               r == -ENOMEM ? "out of memory" : "invalid calendar expression";
            unsigned col = s.err_col > 0 ? (unsigned)s.err_col : 1;
            diag_set(d, DIAG_ERROR, NULL, 1, col, "%s: %s", what,
                     s.err_msg ? s.err_msg : "not a calendar expression");
        }
        free(owned);
        calendar_spec_free(c);
        return r;
    }
    free(owned);
    if (ret)
        *ret = c;
    else
        calendar_spec_free(c);
    return 0;
}

const char *calendar_spec_timezone(const struct calendar_spec *spec)
{
    return spec->timezone;
}

bool calendar_spec_is_utc(const struct calendar_spec *spec)
{
    return spec->utc;
}
