/* The headless test harness: the real UI loop on a virtual terminal of a fixed size.
 * Keys go through a pipe as the bytes a terminal would send (terminfo), curses renders to
 * /dev/null, and the screen is read back from curses' own idea of the terminal (curscr). */
#ifndef CLAN_TUI_HARNESS_H
#define CLAN_TUI_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "tui/app.h"

struct harness;

/* Start the UI on the clan opt->file names (NULL: found upward) at cols x rows with
 * terminfo entry term (NULL: $TERM, else xterm-256color) and draw the first frame. */
int harness_open(const struct app_options *opt, int cols, int rows, const char *term,
                 struct harness **out, struct diag *d);
/* Type one key (abstract, see keyname_parse) and let the loop handle it and redraw.
 * Returns false when the terminal has no such key. */
bool harness_key(struct harness *h, uint32_t key);
void harness_resize(struct harness *h, int cols, int rows);
/* Send a key's bytes without running the loop (another thread may: the caller runs it with
 * app_wait). False when the terminal has no such key. */
bool harness_send_key(struct harness *h, uint32_t key);
/* A mouse event as an xterm sends it (SGR reports): button 0 clicks (press and release),
 * 64 and 65 turn the wheel up and down; col and row are 0-based. False when the terminal
 * type has no mouse. */
bool harness_mouse(struct harness *h, int button, int col, int row);
/* The screen as text (trailing blanks removed), or, with attrs, one letter per cell:
 * R reverse, B bold, U underline, D dim, c a colour, '.' plain. */
void harness_dump(struct harness *h, FILE *f, bool attrs);
/* Run a key script (the steps `clan-tui screen --keys` takes) and write its dumps to out;
 * path names the script in errors (on stderr). Returns 0, or 1 after a bad step. */
int harness_run_script(struct harness *h, const char *path, const char *text, FILE *out);
struct app *harness_app(struct harness *h);
void harness_close(struct harness *h);

#endif
