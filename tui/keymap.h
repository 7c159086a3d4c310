/* Key bindings: the defaults from tui/actions.h, laid over by the user's keymap. */
#ifndef CLAN_TUI_KEYMAP_H
#define CLAN_TUI_KEYMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/theme.h"
#include "tui/actions.h"

struct binding {
    uint32_t key; /* abstract key, see keyname_parse */
    enum action act;
};

struct bindings {
    struct binding *v;
    size_t n, cap;
};

/* The default bindings. Returns 0 or -ENOMEM. */
int bindings_init(struct bindings *b);
void bindings_free(struct bindings *b);
/* Lay a keymap over: each action it names gets exactly its keys; a key it takes is taken
 * from whatever action had it. */
int bindings_apply(struct bindings *b, const struct keymap *k);
enum action bindings_lookup(const struct bindings *b, uint32_t key);
/* The keys of an action in binding order; returns how many (up to max). */
size_t bindings_keys(const struct bindings *b, enum action a, uint32_t *out, size_t max);
/* "j, Down, C-n" (or "unbound"). */
void bindings_describe(const struct bindings *b, enum action a, char *buf, size_t n);

/* A curses input (the wget_wch result and value) as an abstract key; 0 when it has none. */
uint32_t key_from_curses(int status, uint32_t value);
/* The bytes a terminal sends for key under the current terminfo entry (for the test
 * harness); 0 bytes when the terminal has no such key. */
size_t key_to_bytes(uint32_t key, char *out, size_t n);

#endif
