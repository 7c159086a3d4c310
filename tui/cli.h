/* Shared helpers for the non-interactive front ends (tui/cmd-*.c). */
#ifndef CLAN_TUI_CLI_H
#define CLAN_TUI_CLI_H

#include <stdio.h>

#include "core/diag.h"

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

#endif
