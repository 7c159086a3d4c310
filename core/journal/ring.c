/* A bounded window of the newest journal entries (count and bytes). */
#include <stdlib.h>

#include "core/journal.h"

struct journal_ring {
    struct journal_entry **v;
    size_t cap;       /* max entries */
    size_t max_bytes;
    size_t head;      /* index of the oldest entry */
    size_t count;
    size_t bytes;
    uint64_t first;   /* sequence number of the oldest entry */
    uint64_t dropped;
};

struct journal_ring *journal_ring_new(size_t max_entries, size_t max_bytes)
{
    if (max_entries == 0)
        max_entries = 1;
    struct journal_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->v = calloc(max_entries, sizeof *r->v);
    if (!r->v) {
        free(r);
        return NULL;
    }
    r->cap = max_entries;
    r->max_bytes = max_bytes ? max_bytes : (size_t)-1;
    return r;
}

static void drop_oldest(struct journal_ring *r)
{
    struct journal_entry *e = r->v[r->head];
    r->bytes -= e->size;
    journal_entry_free(e);
    r->v[r->head] = NULL;
    r->head = (r->head + 1) % r->cap;
    r->count--;
    r->first++;
    r->dropped++;
}

void journal_ring_clear(struct journal_ring *r)
{
    while (r->count)
        drop_oldest(r);
}

void journal_ring_free(struct journal_ring *r)
{
    if (!r)
        return;
    journal_ring_clear(r);
    free(r->v);
    free(r);
}

void journal_ring_push(struct journal_ring *r, struct journal_entry *e)
{
    if (r->count == r->cap)
        drop_oldest(r);
    while (r->count && r->bytes + e->size > r->max_bytes)
        drop_oldest(r);
    r->v[(r->head + r->count) % r->cap] = e;
    r->count++;
    r->bytes += e->size;
}

uint64_t journal_ring_first(const struct journal_ring *r) { return r->first; }
uint64_t journal_ring_end(const struct journal_ring *r) { return r->first + r->count; }
size_t journal_ring_count(const struct journal_ring *r) { return r->count; }
size_t journal_ring_bytes(const struct journal_ring *r) { return r->bytes; }
uint64_t journal_ring_dropped(const struct journal_ring *r) { return r->dropped; }

const struct journal_entry *journal_ring_get(const struct journal_ring *r, uint64_t seq)
{
    if (seq < r->first || seq >= r->first + r->count)
        return NULL;
    return r->v[(r->head + (size_t)(seq - r->first)) % r->cap];
}
