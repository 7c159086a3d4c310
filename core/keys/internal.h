/* Helpers shared by core/keys' stores (not part of the core's interface). */
#ifndef CLAN_CORE_KEYS_INTERNAL_H
#define CLAN_CORE_KEYS_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "core/diag.h"

/* The directories a make_dirs created, so that a failure can remove them again. */
struct dir_list {
    char **v;
    size_t n;
};
void dir_list_free(struct dir_list *l);
/* Remove them, deepest first (only those still empty). */
void dir_list_remove(struct dir_list *l);
/* mkdir -p, each directory created with exactly mode and recorded in created. */
int make_dirs(const char *path, mode_t mode, struct dir_list *created, struct diag *d);
int fsync_path(const char *dir);
/* A new file (O_EXCL) with exactly mode, written and fsync'ed; gone again on failure. */
int write_new_file(const char *path, const char *data, size_t len, mode_t mode, struct diag *d);

struct keys_names;
void keys_names_free(struct keys_names *n);

#endif
