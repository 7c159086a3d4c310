/* Quoting for every place a value lands: shell (and borg's shlex), systemd settings,
 * file names. Each function appends to a buffer and never changes a value's meaning. */
#include "core/units.h"

#include <errno.h>
#include <string.h>

#include "core/units/units-internal.h"

int units_shell_quote(struct buf *b, const char *s)
{
    return buf_put_shell_word(b, s);
}

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when it is not valid. */
static size_t utf8_len(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    size_t n;
    unsigned cp;
    if ((p[0] & 0xe0) == 0xc0) {
        n = 2;
        cp = p[0] & 0x1f;
    } else if ((p[0] & 0xf0) == 0xe0) {
        n = 3;
        cp = p[0] & 0x0f;
    } else if ((p[0] & 0xf8) == 0xf0) {
        n = 4;
        cp = p[0] & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

bool units_utf8_valid(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_len(p);
        if (!n)
            return false;
        p += n;
    }
    return true;
}

bool units_has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return true;
    return false;
}

int units_systemd_quote(struct buf *b, const char *s)
{
    if (!units_utf8_valid(s))
        return -EILSEQ;
    int r = buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p && r >= 0; p++) {
        switch (*p) {
        case '\\': r = buf_puts(b, "\\\\"); break;
        case '"': r = buf_puts(b, "\\\""); break;
        case '\n': r = buf_puts(b, "\\n"); break;
        case '\t': r = buf_puts(b, "\\t"); break;
        case '%': r = buf_puts(b, "%%"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                r = buf_printf(b, "\\x%02x", *p);
            else
                r = buf_putc(b, (char)*p);
        }
    }
    if (r >= 0)
        r = buf_putc(b, '"');
    return r < 0 ? -ENOMEM : 0;
}

int units_file_component(struct buf *b, const char *s)
{
    int r = 0;
    if (!*s)
        return buf_puts(b, "%") < 0 ? -ENOMEM : 0; /* "%" alone: the empty name */
    for (const unsigned char *p = (const unsigned char *)s; *p && r >= 0; p++) {
        bool keep = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                    (*p == '.' && p != (const unsigned char *)s);
        r = keep ? buf_putc(b, (char)*p) : buf_printf(b, "%%%02x", *p);
    }
    return r < 0 ? -ENOMEM : 0;
}

bool units_unit_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 240)
        return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A comment line must stay one line: control characters become '?'. */
int units_put_comment_text(struct buf *b, const char *s)
{
    int r = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && r >= 0; p++)
        r = buf_putc(b, (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p);
    return r < 0 ? -ENOMEM : 0;
}
