/* Incremental parser of journalctl's export format (systemd's JOURNAL_EXPORT_FORMATS):
 * entries are "NAME=value\n" lines or binary fields "NAME\n" + 64-bit little-endian length +
 * bytes + "\n", ended by an empty line. Input may arrive in pieces of any size. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

#define FIELD_MAX (64u << 20) /* one value */
#define ENTRY_MAX (96u << 20) /* one entry, all fields */
#define LINE_MAX_BYTES (64u << 20)

enum mode { M_LINE, M_BINLEN, M_BINDATA, M_BINNL, M_BINSKIP, M_SKIP };

struct journal_export_parser {
    char *name;
    enum mode mode;
    struct buf line;           /* partial text line */
    char binname[65];
    size_t binname_len;
    unsigned char lenbytes[8];
    size_t nlen;
    uint64_t binlen, bingot;
    struct buf bin;
    bool skip_after_bin;       /* the entry is bad: after the binary data, skip to its end */
    bool reported;             /* an error of this entry has been reported */
    bool skip_saw_nl;          /* M_SKIP: the previous byte was a newline */
    struct journal_entry_builder b;
    bool has_content;
    unsigned lineno;           /* 1-based line of the current position */
    unsigned entry_line;       /* line where the current entry began */
};

struct journal_export_parser *journal_export_parser_new(const char *name)
{
    struct journal_export_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->name = strdup(name ? name : "<export>");
    if (!p->name) {
        free(p);
        return NULL;
    }
    p->lineno = 1;
    return p;
}

void journal_export_reset(struct journal_export_parser *p)
{
    p->mode = M_LINE;
    buf_reset(&p->line);
    buf_reset(&p->bin);
    p->nlen = 0;
    p->binlen = p->bingot = 0;
    p->skip_after_bin = p->reported = p->has_content = false;
    journal_entry_builder_reset(&p->b);
    p->lineno = 1;
}

void journal_export_parser_free(struct journal_export_parser *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    buf_free(&p->bin);
    journal_entry_builder_free(&p->b);
    free(p->name);
    free(p);
}

static void report(struct journal_export_parser *p, struct diag_list *diags, unsigned col,
                   const char *what)
{
    if (!p->reported && diags)
        diag_list_add(diags, DIAG_ERROR, p->name, p->lineno, col,
                      "%s; the entry that began on line %u is skipped", what, p->entry_line);
    p->reported = true;
}

/* The entry is bad: drop what we have and skip to the empty line that ends it. */
static void bad_entry(struct journal_export_parser *p, struct diag_list *diags, unsigned col,
                      const char *what)
{
    report(p, diags, col, what);
    journal_entry_builder_reset(&p->b);
    p->has_content = false;
    p->mode = M_SKIP;
    p->skip_saw_nl = true; /* we are at the start of a line */
}

static bool parse_dec(const char *v, size_t len, uint64_t *out)
{
    if (len == 0 || len > 20)
        return false;
    uint64_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9')
            return false;
        uint64_t nx = x * 10 + (uint64_t)(v[i] - '0');
        if (nx / 10 != x)
            return false;
        x = nx;
    }
    *out = x;
    return true;
}

static int end_entry(struct journal_export_parser *p, journal_export_entry_fn fn, void *ctx)
{
    if (!p->has_content)
        return 0;
    p->has_content = false;
    p->reported = false;
    struct journal_entry *e = journal_entry_builder_finish(&p->b);
    if (!e)
        return -ENOMEM;
    return fn(ctx, e);
}

/* A field NAME with its value; returns <0 on out of memory, 1 when the entry went bad. */
static int add_field(struct journal_export_parser *p, const char *name, size_t nlen,
                     const char *val, size_t vlen, struct diag_list *diags)
{
    if (!p->has_content) {
        p->entry_line = p->lineno;
        p->has_content = true;
    }
    if (nlen >= 2 && name[0] == '_' && name[1] == '_') {
        uint64_t x;
        if (nlen == 8 && !memcmp(name, "__CURSOR", 8))
            return journal_entry_builder_set_cursor(&p->b, val, vlen);
        bool rt = nlen == 20 && !memcmp(name, "__REALTIME_TIMESTAMP", 20);
        bool mono = nlen == 21 && !memcmp(name, "__MONOTONIC_TIMESTAMP", 21);
        if (rt || mono) {
            if (!parse_dec(val, vlen, &x)) {
                bad_entry(p, diags, (unsigned)nlen + 2, "invalid timestamp: expected a decimal "
                          "number of microseconds");
                return 1;
            }
            if (rt)
                p->b.realtime = x;
            else
                p->b.monotonic = x;
        }
        return 0; /* other address fields (__SEQNUM, ...) are not kept */
    }
    if (!journal_field_name_valid(name, nlen, true)) {
        bad_entry(p, diags, 1, "invalid field name: expected A-Z, 0-9 and '_', at most 64, "
                  "not starting with a digit");
        return 1;
    }
    if (p->b.data.len + nlen + vlen > ENTRY_MAX) {
        bad_entry(p, diags, 1, "entry too large");
        return 1;
    }
    return journal_entry_builder_add(&p->b, name, nlen, val, vlen);
}

static int text_line(struct journal_export_parser *p, const char *l, size_t len,
                     journal_export_entry_fn fn, void *ctx, struct diag_list *diags)
{
    if (len == 0)
        return end_entry(p, fn, ctx);
    const char *eq = memchr(l, '=', len);
    if (eq) {
        int r = add_field(p, l, (size_t)(eq - l), eq + 1, len - (size_t)(eq - l) - 1, diags);
        return r < 0 ? r : 0;
    }
    if (!p->has_content) {
        p->entry_line = p->lineno;
        p->has_content = true;
    }
    if (!journal_field_name_valid(l, len, true)) {
        bad_entry(p, diags, 1, "invalid line: expected NAME=value, a binary field NAME, or an "
                  "empty line");
        return 0;
    }
    memcpy(p->binname, l, len);
    p->binname_len = len;
    p->binname[len] = 0;
    p->mode = M_BINLEN;
    p->nlen = 0;
    return 0;
}

int journal_export_feed(struct journal_export_parser *p, const void *data, size_t len,
                        journal_export_entry_fn fn, void *ctx, struct diag_list *diags)
{
    const char *s = data;
    const char *end = s + len;
    int r;
    while (s < end) {
        switch (p->mode) {
        case M_LINE: {
            const char *nl = memchr(s, '\n', (size_t)(end - s));
            if (!nl) {
                if (p->line.len + (size_t)(end - s) > LINE_MAX_BYTES) {
                    buf_reset(&p->line);
                    bad_entry(p, diags, 1, "line too long");
                    p->skip_saw_nl = false;
                    break;
                }
                if (buf_append(&p->line, s, (size_t)(end - s)) < 0)
                    return -ENOMEM;
                s = end;
                break;
            }
            if (p->line.len) {
                if (buf_append(&p->line, s, (size_t)(nl - s)) < 0)
                    return -ENOMEM;
                r = text_line(p, p->line.p, p->line.len, fn, ctx, diags);
                buf_reset(&p->line);
            } else
                r = text_line(p, s, (size_t)(nl - s), fn, ctx, diags);
            p->lineno++;
            s = nl + 1;
            if (r < 0)
                return r;
            break;
        }
        case M_BINLEN:
            while (s < end && p->nlen < 8)
                p->lenbytes[p->nlen++] = (unsigned char)*s++;
            if (p->nlen == 8) {
                uint64_t v = 0;
                for (int i = 7; i >= 0; i--)
                    v = (v << 8) | p->lenbytes[i];
                p->binlen = v;
                p->bingot = 0;
                buf_reset(&p->bin);
                if (v > FIELD_MAX) {
                    report(p, diags, 1, "binary field too large");
                    p->skip_after_bin = true;
                    p->mode = M_BINSKIP;
                } else
                    p->mode = M_BINDATA;
            }
            break;
        case M_BINDATA:
        case M_BINSKIP: {
            uint64_t want = p->binlen - p->bingot;
            size_t take = (size_t)end - (size_t)s < want ? (size_t)(end - s) : (size_t)want;
            for (const char *q = s; (q = memchr(q, '\n', (size_t)(s + take - q))); q++)
                p->lineno++;
            if (p->mode == M_BINDATA && buf_append(&p->bin, s, take) < 0)
                return -ENOMEM;
            s += take;
            p->bingot += take;
            if (p->bingot == p->binlen)
                p->mode = M_BINNL;
            break;
        }
        case M_BINNL:
            if (*s != '\n') {
                p->mode = M_SKIP;
                bad_entry(p, diags, 1, "binary field not followed by a newline");
                p->skip_saw_nl = false;
                break;
            }
            s++;
            if (p->skip_after_bin) {
                p->skip_after_bin = false;
                bad_entry(p, diags, 1, "binary field too large");
                p->lineno++;
                break;
            }
            r = add_field(p, p->binname, p->binname_len, p->bin.p ? p->bin.p : "", p->bin.len,
                          diags);
            buf_reset(&p->bin);
            p->lineno++;
            if (r < 0)
                return r;
            if (r == 0)
                p->mode = M_LINE;
            break;
        case M_SKIP:
            /* discard up to and including an empty line ("\n" right after a newline) */
            while (s < end) {
                char c = *s++;
                if (c == '\n') {
                    p->lineno++;
                    if (p->skip_saw_nl) {
                        p->mode = M_LINE;
                        p->reported = false;
                        break;
                    }
                    p->skip_saw_nl = true;
                } else
                    p->skip_saw_nl = false;
            }
            break;
        }
    }
    return 0;
}

int journal_export_finish(struct journal_export_parser *p, journal_export_entry_fn fn, void *ctx,
                          struct diag_list *diags)
{
    int r = 0;
    if (p->mode == M_LINE && p->line.len) {
        r = text_line(p, p->line.p, p->line.len, fn, ctx, diags);
        buf_reset(&p->line);
        if (r < 0)
            return r;
    }
    if (p->mode == M_BINLEN || p->mode == M_BINDATA || p->mode == M_BINNL ||
        p->mode == M_BINSKIP) {
        report(p, diags, 1, "stream ends inside a binary field");
        journal_entry_builder_reset(&p->b);
        p->has_content = false;
    }
    if (p->mode == M_LINE)
        r = end_entry(p, fn, ctx);
    journal_export_reset(p);
    return r;
}
