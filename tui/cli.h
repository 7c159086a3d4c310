/* Shared helpers for the non-interactive front ends (tui/cmd-*.c). */
#ifndef CLAN_TUI_CLI_H
#define CLAN_TUI_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/diag.h"
#include "core/util.h"

struct inventory;

#define CMD(name, fn, summary) int fn(int argc, char **argv);
#include "tui/commands.def"
#undef CMD

/* The interactive UI: argv as given to the program (options and FILE). */
int tui_main(int argc, char **argv);

/* Print "clan-tui: MSG" and a hint to stderr; returns 2 (usage error exit status). */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print one diagnostic as FILE:LINE:COL: severity: message to stream. */
void cli_print_diag(FILE *f, const struct diag *d);
void cli_print_diags(FILE *f, const struct diag_list *l);
/* Write all of buf to stdout; returns 0 or 1 on a write error (reported). */
int cli_write_stdout(const char *data, size_t len);
/* Large outputs (plan --json, dump) are streamed: b becomes an empty buffer whose bytes go
 * to stdout every 64 KiB (struct buf's sink s); cli_stdout_finish writes the rest, frees b
 * and returns 0, or 1 on a write error (reported). */
void cli_stdout_stream(struct buf *b, struct buf_sink *s);
int cli_stdout_finish(struct buf *b);

/* ---- the clan a command reads ---- */

/* The paragraph every --help shows about [DIR|FILE]. */
#define CLI_CLAN_HELP                                                                     \
    "DIR|FILE names the clan: its directory (the one with flake.nix, clan.nix,\n"          \
    "inventory.json or machines/) or any file in it. A lone .nix file, in a directory\n"  \
    "that is no clan, is read alone. Without DIR|FILE the clan is looked for in the\n"    \
    "working directory, then in each parent directory.\n"

/* Open the clan that arg names (a clan directory or a file in one; NULL: the working
 * directory or the nearest parent that holds a clan, as git finds its repository). The
 * diagnostics of reading it go to diags when given (the caller reports them), else they are
 * printed to stderr. Returns the exit status so far: 1 when nothing could be opened (*inv
 * NULL, the reason printed) or the clan has errors, else 0. */
int cli_open_clan(const char *cmd, const char *arg, struct inventory **inv,
                  struct diag_list *diags);
/* Is word meant as the clan ([DIR|FILE]) rather than the next positional argument (a
 * machine name, an operation)? A path (has a '/', ends in .nix or .json, "." or "..") or a
 * clan directory. */
bool cli_is_clan_arg(const char *word);
/* What to call the clan in messages: arg as given, else the directory that was found. */
const char *cli_clan_label(const char *arg, const struct inventory *inv);
/* The clan's directory (a lone file's directory); caller frees. NULL: out of memory. */
char *cli_clan_dir(const struct inventory *inv);
/* An existing path directly inside the clan directory, for the functions that take "the
 * clan file" and use its directory (keys_store_open); caller frees. */
char *cli_clan_anchor(const struct inventory *inv);
/* Make store write and read Clan's sops layout, as keygen does: the admin's age identity
 * (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, $XDG_CONFIG_HOME/sops/age/keys.txt) matched to a user of
 * sops/users/, the default groups, the backup root (backup, else the default of meta_name,
 * which may be NULL). No identity, or one that is no user: -ENOKEY, d says what fixes it. */
struct keys_store;
int cli_keys_use_sops(struct keys_store *store, const char *meta_name,
                      const char *const *groups, size_t ngroups, const char *backup,
                      struct diag *d);
/* The unified diff of every file inventory_save would write, against its text on disk (the
 * main module's against old0 when given: its text before the edits). Labels are the paths,
 * or a/PATH and b/PATH when ab (as git). names (may be NULL) gets the paths, ", "-separated
 * (out NULL: only the names). 0, or -ENOMEM. */
int cli_diff_pending(const struct inventory *inv, const char *old0, size_t old0_len, bool ab,
                     struct buf *out, struct buf *names);
/* "clan.nix:7:5": the basename of a position's file (core's inv_loc.file) with line and
 * column, into buf; NULL when line is 0. */
const char *cli_where(const struct inventory *inv, unsigned file, unsigned line, unsigned col,
                      char *buf, size_t n);

#endif
