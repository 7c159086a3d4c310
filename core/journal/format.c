/* Output of entries: journalctl's short and short-iso forms (as systemd 252 prints them when
 * not on a terminal), one JSON object per line, and terminal-safe rendering of any bytes. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/journal.h"

#define PRINT_CHAR_THRESHOLD 300
#define USEC_PER_SEC 1000000ULL

const char *const journal_output_names[] = {
    [JOURNAL_OUTPUT_SHORT] = "short",
    [JOURNAL_OUTPUT_SHORT_ISO] = "short-iso",
    [JOURNAL_OUTPUT_JSON] = "json",
    NULL,
};

int journal_output_parse(const char *s, enum journal_output *out)
{
    for (size_t i = 0; journal_output_names[i]; i++)
        if (!strcmp(s, journal_output_names[i])) {
            *out = (enum journal_output)i;
            return 0;
        }
    return -EINVAL;
}

/* ---- UTF-8 as systemd judges it ---- */

static int utf8_expected_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        return 2;
    if ((c & 0xf0) == 0xe0)
        return 3;
    if ((c & 0xf8) == 0xf0)
        return 4;
    return 0;
}

static bool unichar_valid(uint32_t c)
{
    if (c >= 0x110000)
        return false;
    if ((c & 0xfffff800) == 0xd800)
        return false;
    if (c >= 0xfdd0 && c <= 0xfdef)
        return false;
    if ((c & 0xfffe) == 0xfffe)
        return false;
    return true;
}

static int unichar_encoded_len(uint32_t c)
{
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* Length of the valid character at s, or -1; its value in *cp. */
static int utf8_char(const unsigned char *s, size_t len, uint32_t *cp)
{
    int n = utf8_expected_len(s[0]);
    if (n == 0 || (size_t)n > len)
        return -1;
    if (n == 1) {
        *cp = s[0];
        return 1;
    }
    uint32_t c = s[0] & (0x7f >> n);
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (unichar_encoded_len(c) != n || !unichar_valid(c))
        return -1;
    *cp = c;
    return n;
}

static bool unichar_is_control(uint32_t c)
{
    return (c < ' ' && c != '\t' && c != '\n') || (c >= 0x7f && c <= 0x9f);
}

static bool utf8_is_printable(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    while (len > 0) {
        uint32_t c;
        int n = utf8_char(p, len, &c);
        if (n < 0 || unichar_is_control(c))
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool shall_print(const char *p, size_t len)
{
    return len < PRINT_CHAR_THRESHOLD && utf8_is_printable(p, len);
}

/* journalctl 252's strip_tab_ansi (as Debian's 252.39 has it): tabs become 8 spaces,
 * ESC [ digits/; ... m colour sequences and ESC ] ... BEL operating system commands are
 * removed, carriage returns before a newline or at the end are dropped; anything else,
 * truncated or unknown sequences included, is left as it is. */
static void strip_tab_ansi(const char *in, size_t isz, struct buf *out)
{
    enum { OTHER, ESCAPE, CSI, CSO } state = OTHER;
    size_t begin = 0, crs = 0;
    for (size_t i = 0; i <= isz; i++) {
        bool eot = i >= isz;
        char c = eot ? 0 : in[i];
        switch (state) {
        case OTHER:
            if (eot)
                break;
            if (c == '\r') {
                crs++;
                break;
            }
            if (c == '\n')
                crs = 0;
            for (; crs > 0; crs--)
                buf_putc(out, '\r');
            if (c == '\x1b')
                state = ESCAPE;
            else if (c == '\t')
                buf_puts(out, "        ");
            else
                buf_putc(out, c);
            break;
        case ESCAPE:
            if (eot) {
                buf_putc(out, '\x1b');
                break;
            }
            if (c == '[') {
                state = CSI;
                begin = i + 1;
            } else if (c == ']') {
                state = CSO;
                begin = i + 1;
            } else {
                buf_putc(out, '\x1b');
                buf_putc(out, c);
                state = OTHER;
            }
            break;
        case CSI:
            if (eot || !strchr("0123456789;m", c) || c == 0) {
                buf_puts(out, "\x1b[");
                state = OTHER;
                i = begin - 1;
            } else if (c == 'm')
                state = OTHER;
            break;
        case CSO:
            if (eot || (c != '\a' && (unsigned char)c < 32) || (unsigned char)c > 126) {
                buf_puts(out, "\x1b]");
                state = OTHER;
                i = begin - 1;
            } else if (c == '\a')
                state = OTHER;
            break;
        }
    }
}

void journal_format_bytes(uint64_t t, char *out, size_t outlen)
{
    static const struct { const char *suffix; uint64_t factor; } table[] = {
        {"E", 1ULL << 60}, {"P", 1ULL << 50}, {"T", 1ULL << 40},
        {"G", 1ULL << 30}, {"M", 1ULL << 20}, {"K", 1ULL << 10},
    };
    const size_t n = sizeof table / sizeof table[0];
    for (size_t i = 0; i < n; i++)
        if (t >= table[i].factor) {
            uint64_t dec = i != n - 1 ? (t / table[i + 1].factor * 10 / table[n - 1].factor) % 10
                                      : (t * 10 / table[i].factor) % 10;
            snprintf(out, outlen, "%" PRIu64 ".%" PRIu64 "%s", t / table[i].factor, dec,
                     table[i].suffix);
            return;
        }
    snprintf(out, outlen, "%" PRIu64 "B", t);
}

/* safe_atou64 as systemd has it: leading whitespace, base prefixes, no sign. */
static bool parse_u64(const char *s, uint64_t *out)
{
    s += strspn(s, " \t\n\r");
    if (*s == '-' || *s == 0)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end)
        return false;
    *out = v;
    return true;
}

static uint64_t display_realtime(const struct journal_entry *e)
{
    const char *v = journal_entry_get(e, "_SOURCE_REALTIME_TIMESTAMP", NULL);
    uint64_t x;
    if (v && parse_u64(v, &x) && x > 0 && x < UINT64_MAX)
        return x;
    return e->realtime;
}

static int format_short(const struct journal_entry *e, enum journal_output mode, struct buf *out)
{
    size_t mlen, hlen = 0, ilen = 0, clen = 0, plen = 0, fplen = 0;
    const char *msg = journal_entry_get(e, "MESSAGE", &mlen);
    if (!msg)
        return 0;
    const char *host = journal_entry_get(e, "_HOSTNAME", &hlen);
    const char *ident = journal_entry_get(e, "SYSLOG_IDENTIFIER", &ilen);
    const char *comm = journal_entry_get(e, "_COMM", &clen);
    const char *pid = journal_entry_get(e, "_PID", &plen);
    const char *fpid = journal_entry_get(e, "SYSLOG_PID", &fplen);

    uint64_t rt = display_realtime(e);
    time_t t = (time_t)(rt / USEC_PER_SEC);
    struct tm tm;
    char ts[64];
    if (!localtime_r(&t, &tm) ||
        !strftime(ts, sizeof ts, mode == JOURNAL_OUTPUT_SHORT_ISO ? "%Y-%m-%dT%H:%M:%S%z"
                                                                  : "%b %d %H:%M:%S", &tm))
        return -EINVAL;

    size_t start = out->len;
    buf_puts(out, ts);
    size_t n = strlen(ts);
    if (host && shall_print(host, hlen)) {
        buf_putc(out, ' ');
        buf_append(out, host, hlen);
        n += hlen + 1;
    }
    if (ident && shall_print(ident, ilen)) {
        buf_putc(out, ' ');
        buf_append(out, ident, ilen);
        n += ilen + 1;
    } else if (comm && shall_print(comm, clen)) {
        buf_putc(out, ' ');
        buf_append(out, comm, clen);
        n += clen + 1;
    } else
        buf_puts(out, " unknown"); /* journalctl does not count it in the indent */
    if (pid && shall_print(pid, plen)) {
        buf_putc(out, '[');
        buf_append(out, pid, plen);
        buf_putc(out, ']');
        n += plen + 2;
    } else if (fpid && shall_print(fpid, fplen)) {
        buf_putc(out, '[');
        buf_append(out, fpid, fplen);
        buf_putc(out, ']');
        n += fplen + 2;
    }
    buf_puts(out, ": ");

    struct buf m = {0};
    strip_tab_ansi(msg, mlen, &m);
    const char *mp = m.p ? m.p : "";
    if (!utf8_is_printable(mp, m.len)) {
        char b[32];
        journal_format_bytes(m.len, b, sizeof b);
        buf_printf(out, "[%s blob data]\n", b);
    } else {
        size_t prefix = n + 2;
        if (m.len == 0)
            buf_putc(out, '\n');
        int line = 0;
        for (const char *pos = mp; pos < mp + m.len; line++) {
            const char *end = memchr(pos, '\n', (size_t)(mp + m.len - pos));
            if (!end)
                end = mp + m.len;
            if (line > 0)
                for (size_t k = 0; k < prefix; k++)
                    buf_putc(out, ' ');
            buf_append(out, pos, (size_t)(end - pos));
            buf_putc(out, '\n');
            pos = end + 1;
        }
    }
    buf_free(&m);
    if (!out->p || out->len < start)
        return -ENOMEM;
    return 1;
}

/* journalctl -o json shows null for a field of 4096 bytes or more ("NAME=value") */
#define JSON_THRESHOLD 4096

static void json_value(struct buf *out, const char *name, const char *v, size_t len)
{
    if (strlen(name) + 1 + len >= JSON_THRESHOLD) {
        buf_puts(out, "null");
        return;
    }
    if (utf8_is_printable(v, len)) {
        json_put_stringn(out, v, len);
        return;
    }
    buf_putc(out, '[');
    for (size_t i = 0; i < len; i++)
        buf_printf(out, "%s%u", i ? "," : "", (unsigned char)v[i]);
    buf_putc(out, ']');
}

static int format_json(const struct journal_entry *e, struct buf *out)
{
    buf_putc(out, '{');
    bool first = true;
    if (e->cursor) {
        buf_puts(out, "\"__CURSOR\":");
        json_put_string(out, e->cursor);
        first = false;
    }
    buf_printf(out, "%s\"__REALTIME_TIMESTAMP\":\"%" PRIu64 "\",\"__MONOTONIC_TIMESTAMP\":\"%"
               PRIu64 "\"", first ? "" : ",", e->realtime, e->monotonic);
    for (size_t i = 0; i < e->nfields; i++) {
        const char *name = e->fields[i].name;
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(e->fields[k].name, name);
        if (seen)
            continue;
        size_t count = 0;
        for (size_t k = i; k < e->nfields; k++)
            count += !strcmp(e->fields[k].name, name);
        buf_putc(out, ',');
        json_put_string(out, name);
        buf_putc(out, ':');
        if (count == 1) {
            json_value(out, name, e->fields[i].value, e->fields[i].len);
            continue;
        }
        buf_putc(out, '[');
        bool f = true;
        for (size_t k = i; k < e->nfields; k++)
            if (!strcmp(e->fields[k].name, name)) {
                if (!f)
                    buf_putc(out, ',');
                f = false;
                json_value(out, name, e->fields[k].value, e->fields[k].len);
            }
        buf_putc(out, ']');
    }
    buf_puts(out, "}\n");
    return out->p ? 1 : -ENOMEM;
}

int journal_format(const struct journal_entry *e, enum journal_output mode, bool boot_lines,
                   struct buf *out)
{
    if (mode == JOURNAL_OUTPUT_JSON)
        return e->filtered ? 0 : format_json(e, out);
    if (boot_lines && e->new_boot && e->boot_id[0])
        buf_printf(out, "-- Boot %s --\n", e->boot_id);
    return format_short(e, mode, out);
}

/* ---- terminal-safe rendering for the TUI and status lines ---- */

static bool is_bidi_control(uint32_t c)
{
    return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0x200e ||
           c == 0x200f || c == 0x061c;
}

void journal_sanitize(const char *s, size_t len, bool keep_newlines, struct buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t col = 0;
    while (len > 0) {
        uint32_t c;
        int n = utf8_char(p, len, &c);
        if (n < 0) {
            buf_printf(out, "\\x%02x", p[0]);
            col += 4;
            p++;
            len--;
            continue;
        }
        if (c == '\t') {
            do
                buf_putc(out, ' ');
            while (++col % 8);
        } else if (c == '\n') {
            if (keep_newlines) {
                buf_putc(out, '\n');
                col = 0;
            } else {
                buf_puts(out, "\xe2\x8f\x8e"); /* ⏎ */
                col++;
            }
        } else if (c < 0x20 || c == 0x7f) {
            buf_printf(out, "\\x%02x", (unsigned)c);
            col += 4;
        } else if ((c >= 0x80 && c <= 0x9f) || is_bidi_control(c)) {
            buf_printf(out, "\\u{%x}", (unsigned)c);
            col += 6;
        } else {
            buf_append(out, p, (size_t)n);
            col++;
        }
        p += n;
        len -= (size_t)n;
    }
    if (!out->p)
        buf_puts(out, "");
}
