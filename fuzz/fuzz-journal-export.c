/* libFuzzer target: journalctl's export format, parsed whole and in pieces. The first byte
 * picks the piece size; both ways must give the same entries (same fields, same bytes) and
 * the same number of diagnostics, and formatting every entry must not fail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

struct sink {
    struct journal_entry *v[256];
    size_t n;
    uint64_t hash;
};

static int take(void *ctx, struct journal_entry *e)
{
    struct sink *s = ctx;
    s->hash = s->hash * 31 + e->realtime + e->monotonic;
    for (size_t i = 0; i < e->nfields; i++)
        s->hash = s->hash * 31 + hash_bytes(e->fields[i].name, strlen(e->fields[i].name)) +
                  hash_bytes(e->fields[i].value, e->fields[i].len);
    if (e->cursor)
        s->hash += hash_bytes(e->cursor, strlen(e->cursor));
    if (s->n < 256)
        s->v[s->n++] = e;
    else
        journal_entry_free(e);
    return 0;
}

static void run(const uint8_t *data, size_t size, size_t piece, struct sink *s, size_t *ndiag)
{
    struct journal_export_parser *p = journal_export_parser_new("fuzz");
    struct diag_list dl = {0};
    if (!p)
        abort();
    for (size_t off = 0; off < size; off += piece)
        journal_export_feed(p, data + off, off + piece > size ? size - off : piece, take, s, &dl);
    journal_export_finish(p, take, s, &dl);
    *ndiag = dl.n;
    diag_list_free(&dl);
    journal_export_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = (size_t)data[0] % 17 + 1;
    data++;
    size--;
    struct sink a = {0}, b = {0};
    size_t da = 0, db = 0;
    run(data, size, size ? size : 1, &a, &da);
    run(data, size, piece, &b, &db);
    if (a.n != b.n || a.hash != b.hash || da != db)
        abort();
    struct buf out = {0};
    for (size_t i = 0; i < a.n; i++) {
        journal_format(a.v[i], JOURNAL_OUTPUT_SHORT_ISO, true, &out);
        journal_format(a.v[i], JOURNAL_OUTPUT_JSON, true, &out);
        size_t len;
        const char *m = journal_entry_get(a.v[i], "MESSAGE", &len);
        if (m)
            journal_sanitize(m, len, false, &out);
        buf_reset(&out);
    }
    struct journal_status st = {0};
    for (size_t i = 0; i < a.n; i++)
        journal_status_feed(&st, a.v[i]);
    journal_status_free(&st);
    buf_free(&out);
    for (size_t i = 0; i < a.n; i++)
        journal_entry_free(a.v[i]);
    for (size_t i = 0; i < b.n; i++)
        journal_entry_free(b.v[i]);
    return 0;
}
