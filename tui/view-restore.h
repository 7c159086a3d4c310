/* The restore flow (X on a machine of the tree): the machine's archives (borgbackup-list,
 * with time and size), the states to restore, a confirmation showing every command and hook
 * that will run, on which host, and the folders overwritten; y runs the restore with its
 * output live. Everything over SSH is driven by the app's poll loop. */
#ifndef CLAN_TUI_VIEW_RESTORE_H
#define CLAN_TUI_VIEW_RESTORE_H

#include <stdbool.h>

struct app;

/* Open the flow for MACHINE (a client of the plan with a deploy.targetHost); otherwise a
 * message on the status line says why and nothing opens. */
void restore_view_open(struct app *a, const char *machine);
/* X: the flow for the machine the tree's selection is about (false: none, said why). */
bool restore_view_open_selected(struct app *a);

#endif
