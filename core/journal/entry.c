/* Journal entries: built field by field, stored in one allocation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

bool journal_field_name_valid(const char *name, size_t len, bool allow_protected)
{
    if (len == 0 || len > 64)
        return false;
    if (name[0] >= '0' && name[0] <= '9')
        return false;
    if (name[0] == '_' && !allow_protected)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

void journal_entry_builder_reset(struct journal_entry_builder *b)
{
    buf_reset(&b->data);
    b->n = 0;
    b->realtime = b->monotonic = 0;
    b->boot_id[0] = 0;
    free(b->cursor);
    b->cursor = NULL;
}

void journal_entry_builder_free(struct journal_entry_builder *b)
{
    buf_free(&b->data);
    free(b->offs);
    free(b->cursor);
    memset(b, 0, sizeof *b);
}

static bool hex32(const char *v, size_t len)
{
    if (len != 32)
        return false;
    for (size_t i = 0; i < 32; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || (v[i] >= 'a' && v[i] <= 'f')))
            return false;
    return true;
}

int journal_entry_builder_add(struct journal_entry_builder *b, const char *name, size_t name_len,
                              const void *value, size_t len)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        size_t *o = realloc(b->offs, cap * 3 * sizeof *o);
        if (!o)
            return -ENOMEM;
        b->offs = o;
        b->cap = cap;
    }
    size_t noff = b->data.len;
    if (buf_append(&b->data, name, name_len) < 0 || buf_putc(&b->data, 0) < 0)
        return -ENOMEM;
    size_t voff = b->data.len;
    if (buf_append(&b->data, value, len) < 0 || buf_putc(&b->data, 0) < 0)
        return -ENOMEM;
    b->offs[b->n * 3] = noff;
    b->offs[b->n * 3 + 1] = voff;
    b->offs[b->n * 3 + 2] = len;
    b->n++;
    if (name_len == 8 && !memcmp(name, "_BOOT_ID", 8) && hex32(value, len)) {
        memcpy(b->boot_id, value, 32);
        b->boot_id[32] = 0;
    }
    return 0;
}

int journal_entry_builder_set_cursor(struct journal_entry_builder *b, const char *c, size_t len)
{
    char *s = strndup(c, len);
    if (!s)
        return -ENOMEM;
    free(b->cursor);
    b->cursor = s;
    return 0;
}

struct journal_entry *journal_entry_builder_finish(struct journal_entry_builder *b)
{
    size_t clen = b->cursor ? strlen(b->cursor) + 1 : 0;
    size_t size = sizeof(struct journal_entry) + b->n * sizeof(struct journal_field) +
                  b->data.len + clen;
    struct journal_entry *e = malloc(size);
    if (!e) {
        journal_entry_builder_reset(b);
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->fields = (struct journal_field *)(e + 1);
    char *data = (char *)(e->fields + b->n);
    if (b->data.len)
        memcpy(data, b->data.p, b->data.len);
    for (size_t i = 0; i < b->n; i++) {
        e->fields[i].name = data + b->offs[i * 3];
        e->fields[i].value = data + b->offs[i * 3 + 1];
        e->fields[i].len = b->offs[i * 3 + 2];
    }
    if (b->cursor) {
        char *c = data + b->data.len;
        memcpy(c, b->cursor, clen);
        e->cursor = c;
    }
    e->nfields = b->n;
    e->realtime = b->realtime;
    e->monotonic = b->monotonic;
    memcpy(e->boot_id, b->boot_id, sizeof e->boot_id);
    e->size = size;
    journal_entry_builder_reset(b);
    return e;
}

void journal_entry_free(struct journal_entry *e)
{
    free(e);
}

const char *journal_entry_get(const struct journal_entry *e, const char *name, size_t *len)
{
    /* journalctl keeps the last value of a repeated field; so do we */
    for (size_t i = e->nfields; i-- > 0;)
        if (!strcmp(e->fields[i].name, name)) {
            if (len)
                *len = e->fields[i].len;
            return e->fields[i].value;
        }
    return NULL;
}
