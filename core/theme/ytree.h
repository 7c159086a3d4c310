/* A small in-memory YAML tree for the theme, config and keymap files (internal to
 * core/theme). Aliases of scalars are resolved; every node keeps its position. */
#ifndef CLAN_CORE_THEME_YTREE_H
#define CLAN_CORE_THEME_YTREE_H

#include <stddef.h>

#include "core/diag.h"

enum ynode_type { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ };

struct ynode {
    enum ynode_type type;
    unsigned line, col; /* 1-based */
    char *str;          /* SCALAR: the value */
    int plain;          /* SCALAR: unquoted (so `null`, `~`, `true` mean what YAML says) */
    struct ynode **keys; /* MAP: keys (scalars); MAP and SEQ: values in vals */
    struct ynode **vals;
    size_t n, cap;
    struct ynode *next_alloc; /* arena chain */
};

struct ydoc {
    struct ynode *root; /* NULL for an empty document */
    struct ynode *arena;
    char *file;
};

/* Parse one YAML document (more than one is an error). */
int ydoc_parse(const char *file, const char *text, size_t len, struct ydoc **out,
               struct diag *d);
void ydoc_free(struct ydoc *doc);

/* Report an error at a node: "FILE:LINE:COL: error: ..."; returns -EINVAL. */
int ydoc_error(const struct ydoc *doc, const struct ynode *n, struct diag *d, const char *fmt,
               ...) __attribute__((format(printf, 4, 5)));
/* A YAML boolean (true/false/yes/no/on/off): 0 or 1, or -1 when it is not one. */
int ynode_bool(const struct ynode *n);
const char *ynode_type_name(enum ynode_type t);

#endif
