/* The normalized form, printed exactly as systemd's calendar_spec_to_string(). */
#include <errno.h>
#include <stdio.h>

#include "core/calendar/internal.h"

static int format_weekdays(struct buf *b, int bits)
{
    static const char *const names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    bool comma = false;
    int r = 0, x, l = -1;
    for (x = 0; x < 7; x++) {
        if (bits & (1 << x)) {
            if (l < 0) {
                if (comma)
                    r |= buf_putc(b, ',');
                comma = true;
                r |= buf_puts(b, names[x]);
                l = x;
            }
        } else if (l >= 0) {
            if (x > l + 1) {
                r |= buf_puts(b, x > l + 2 ? ".." : ",");
                r |= buf_puts(b, names[x - 1]);
            }
            l = -1;
        }
    }
    if (l >= 0 && x > l + 1) {
        r |= buf_puts(b, x > l + 2 ? ".." : ",");
        r |= buf_puts(b, names[x - 1]);
    }
    return r;
}

static int format_chain(struct buf *b, int width, const struct cal_chain *c, bool usec)
{
    int d = usec ? CAL_USEC : 1, r = 0;
    if (c->n == 0)
        return buf_putc(b, '*');
    if (usec)
        for (int i = 0; i < c->n; i++)
            if (c->v[i].start == 0 && c->v[i].stop < 0 && c->v[i].repeat == CAL_USEC)
                return buf_putc(b, '*');
    for (int i = 0; i < c->n; i++) {
        const struct cal_item *it = &c->v[i];
        if (i > 0)
            r |= buf_putc(b, ',');
        r |= buf_printf(b, "%0*d", width, it->start / d);
        if (it->start % d > 0)
            r |= buf_printf(b, ".%06d", it->start % d);
        if (it->stop > 0)
            r |= buf_printf(b, "..%0*d", width, it->stop / d);
        if (it->stop % d > 0)
            r |= buf_printf(b, ".%06d", it->stop % d);
        if (it->repeat > 0 && !(it->stop > 0 && it->repeat == d))
            r |= buf_printf(b, "/%d", it->repeat / d);
        if (it->repeat % d > 0)
            r |= buf_printf(b, ".%06d", it->repeat % d);
    }
    return r;
}

int calendar_format(const struct calendar_spec *c, struct buf *b)
{
    int r = 0;
    if (c->weekdays > 0 && c->weekdays <= CAL_WEEKDAYS_ALL) {
        r |= format_weekdays(b, c->weekdays);
        r |= buf_putc(b, ' ');
    }
    r |= format_chain(b, 4, &c->c[CAL_YEAR], false);
    r |= buf_putc(b, '-');
    r |= format_chain(b, 2, &c->c[CAL_MONTH], false);
    r |= buf_putc(b, c->end_of_month ? '~' : '-');
    r |= format_chain(b, 2, &c->c[CAL_DAY], false);
    r |= buf_putc(b, ' ');
    r |= format_chain(b, 2, &c->c[CAL_HOUR], false);
    r |= buf_putc(b, ':');
    r |= format_chain(b, 2, &c->c[CAL_MINUTE], false);
    r |= buf_putc(b, ':');
    r |= format_chain(b, 2, &c->c[CAL_USECS], true);
    if (c->utc)
        r |= buf_puts(b, " UTC");
    else if (c->timezone) {
        r |= buf_putc(b, ' ');
        r |= buf_puts(b, c->timezone);
    } else if (c->dst >= 0 && c->dst_name && *c->dst_name) {
        r |= buf_putc(b, ' ');
        r |= buf_puts(b, c->dst_name);
    }
    return r ? -ENOMEM : 0;
}
