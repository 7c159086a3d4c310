/* Finding a Clan: the directory that holds its flake.nix / clan.nix / inventory.json /
 * machines/, from a path given on the command line or from the working directory. */
#ifndef CLAN_CORE_CLAN_H
#define CLAN_CORE_CLAN_H

#include <stdbool.h>

#include "core/diag.h"

struct clan_location {
    char *dir;       /* the clan directory (as given, or relative to the working directory) */
    char *file;      /* the file named, or NULL when a directory was named (or none) */
    bool given_nix;  /* file is a .nix file other than the directory's flake.nix */
    bool lone;       /* file is a lone Nix file: its directory has no flake.nix, clan.nix,
                        inventory.json or machines/ -- read it alone, as a clan.nix */
};

/* Where is the clan that path names?
 *  - a directory: that directory;
 *  - a file: its directory (a lone file, see above, when that directory is no clan);
 *  - NULL: the working directory or the nearest parent that holds a flake.nix mentioning
 *    clan, a clan.nix, or an inventory.json (as git looks for .git).
 * 0, or <0 with d saying what was looked for and where. */
int clan_locate(const char *path, struct clan_location *out, struct diag *d);
void clan_location_free(struct clan_location *l);
/* Does dir look like a clan directory (the markers above)? */
bool clan_is_dir(const char *dir);
/* The directory part of a path ("." when it has none). Caller frees. */
char *clan_dir_of(const char *path);
/* strcmp on char ** (for qsort). */
int clan_cmp_names(const void *a, const void *b);

#endif
