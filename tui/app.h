/* The interactive UI: one poll() loop, the layout (header, panes, status line, key-hint
 * bar), views with a small ops table, search, the `:` command line and the help overlay. */
#ifndef CLAN_TUI_APP_H
#define CLAN_TUI_APP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/diag.h"
#include "core/inventory.h"
#include "core/plan.h"
#include "core/theme.h"
#include "tui/actions.h"
#include "tui/keymap.h"
#include "tui/ops.h"
#include "tui/widget-draw.h"
#include "tui/widget-input.h"

struct app;
struct app_src;
struct view;
struct edit_state;

/* A view: a screen region with its own data (tig's view_ops). Shared code owns the loop,
 * the layout, the status line, search prompts and key dispatch. */
struct view_ops {
    const char *name;
    /* Draw into the rectangle (y, x, h, w); focused: the pane has the keyboard. */
    void (*draw)(struct view *v, struct app *a, int y, int x, int h, int w, bool focused);
    /* Handle an action; false when the view does not use it. */
    bool (*action)(struct view *v, struct app *a, enum action act);
    /* Move to the next (dir 1) or previous (dir -1) match of q (case-insensitive), starting
     * at the selection (skip: after it). False when nothing matches. */
    bool (*search)(struct view *v, struct app *a, const char *q, int dir, bool skip);
    /* Pane title (may change with the selection). */
    const char *(*title)(struct view *v, struct app *a);
    /* "12/48" for the status line. */
    void (*position)(struct view *v, char *buf, size_t n);
    /* A mouse click on content row `row` (0-based), or wheel (dir -1 up, 1 down, row -1). */
    void (*mouse)(struct view *v, struct app *a, int row, int wheel);
    void (*free)(struct view *v);
};

struct view {
    const struct view_ops *ops;
    void *data;
    int height; /* content rows at the last draw (for paging) */
};

typedef void (*app_fd_cb)(struct app *a, int fd, short revents, void *data);
typedef void (*app_timer_cb)(struct app *a, void *data);

struct app_watch {
    int fd;
    short events;
    app_fd_cb cb;
    void *data;
};

struct app_timer {
    int id;
    uint64_t due_ms; /* CLOCK_MONOTONIC */
    app_timer_cb cb;
    void *data;
};

enum prompt_kind { PROMPT_NONE, PROMPT_SEARCH, PROMPT_COMMAND };

struct app_options {
    const char *file;        /* the clan as given (DIR|FILE); NULL: found from the working
                                directory upward */
    const char *theme;       /* --theme NAME|FILE (NULL: config, then default) */
    const char *config;      /* --config FILE (NULL: the XDG path) */
    bool readonly;
    int mouse;               /* -1: config; 0/1 forced */
    enum line_drawing lines; /* AUTO: config, then the locale */
    int ncolors;             /* -1: the terminal's; else forced (tests) */
    struct ops_options ops;  /* the operating views' options (tui/ops.h) */
};

struct app {
    struct app_options opt;
    struct ui ui;
    struct bindings keys;
    struct theme *theme;
    struct ui_config *config;
    char *config_dir;

    struct inventory *inv;
    struct plan *plan;
    struct diag_list plan_diags;
    struct diag_list load_diags; /* when the file could not be modelled at all */
    bool modified;               /* the text differs from the file (app_model_changed) */
    size_t *line_starts;         /* byte offset of each line of the current text */
    size_t nlines;
    char *clan_label;            /* the header's name of the clan */
    struct app_src *srcs;        /* the other files' texts, read when first shown */
    size_t nsrcs;

    struct view *tree, *details, *help;
    int focus;        /* 0 tree, 1 details */
    bool help_open;
    bool single_pane; /* narrow terminal: only the focused pane is shown */

    /* status line */
    char message[512];
    bool message_error;
    enum prompt_kind prompt;
    struct input input;
    char *last_search;
    int search_dir;
    void *search_origin; /* selection before an incremental search (view-defined) */

    /* loop */
    int input_fd;     /* the terminal's input */
    bool quit;
    bool dirty;
    bool too_small;
    bool mouse_on;
    struct app_watch *watches;
    size_t nwatches;
    struct app_timer *timers;
    size_t ntimers;
    int next_timer_id;
    uint64_t frames;  /* frames drawn (for tests and benchmarks) */
    struct edit_state *edit; /* editors, undo, write (tui/edit.h) */
    struct backups_store *backups; /* the fleet's backup status (tui/view-backups.c) */
    uint64_t input_frame_ns; /* CLOCK_MONOTONIC of the last frame drawn after keys (benchmarks) */
};

/* Minimum terminal size for the layout; smaller shows a message. */
#define APP_MIN_COLS 30
#define APP_MIN_ROWS 8

/* Entry point from main.c: argv as given to the program (options and FILE). */
int tui_main(int argc, char **argv);

/* Parse the UI's command line into opt (no terminal needed). Returns 0, or 2 after
 * printing a one-line usage error, or 1 when it printed --help (then exit 0). */
int app_parse_args(int argc, char **argv, const char *cmd, struct app_options *opt,
                   int *consumed);
/* Usage text of the UI options (for --help of the UI and `screen`). */
void app_usage_options(FILE *f);

/* Build the app on an initialised curses screen: load config, theme, keymap and the
 * inventory. Config and theme errors become messages (the UI still starts); a file that
 * cannot be read at all is an error (<0, d). */
int app_new(const struct app_options *opt, struct app **out, struct diag *d);
void app_free(struct app *a);
/* Start on the current curses screen (stdscr) reading keys from input_fd: line drawing,
 * colours (NO_COLOR, 8/16/256), mouse, the views. */
void app_attach(struct app *a, int input_fd);
/* Run until quit. */
int app_run(struct app *a);
/* One turn of the loop without blocking: read all pending input, fire due timers and
 * ready fds, redraw when needed (for the test harness). */
void app_pump(struct app *a);
/* One turn of the loop that waits up to timeout_ms for input, fds or timers. */
void app_wait(struct app *a, int timeout_ms);
/* Handle one abstract key (see keyname_parse) as if typed. */
void app_key(struct app *a, uint32_t key);
/* Lay out and draw now; doupdate() is left to the caller when update is false. */
void app_draw(struct app *a, bool update);
/* The terminal changed size (KEY_RESIZE). */
void app_resized(struct app *a);

/* ---- for views and later modules ---- */
int app_watch_fd(struct app *a, int fd, short events, app_fd_cb cb, void *data);
void app_unwatch_fd(struct app *a, int fd);
int app_timer_add(struct app *a, unsigned ms, app_timer_cb cb, void *data);
void app_timer_cancel(struct app *a, int id);
void app_message(struct app *a, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void app_set_dirty(struct app *a);
/* The model changed (after an edit, undo, reload): rebuild the plan and the tree. */
void app_model_changed(struct app *a);
/* Writers (editors, save, key generation) call this first: false, with a message in the
 * status line, when the UI runs with --readonly. */
bool app_may_write(struct app *a, const char *what);
/* Run a command line as typed after ':' (without the colon). */
void app_command(struct app *a, const char *line);
/* Every diagnostic: the inventory's, then the plan's. */
size_t app_ndiags(const struct app *a);
const struct diag *app_diag(const struct app *a, size_t i);
/* The current text of file `file` of the clan (inv_loc.file), unsaved edits included; NULL
 * when it cannot be read. */
const char *app_file_text(struct app *a, unsigned file, size_t *len);
/* Line `line` (1-based) of file `file` without its newline, or NULL. */
const char *app_source_line(struct app *a, unsigned file, unsigned line, size_t *len);
/* The file of the clan a diagnostic is in: 0 for the main module (and for a diagnostic
 * without a file); -1 when it names no file of the clan. */
long app_diag_file(const struct app *a, const struct diag *d);
/* "two-machines.nix:7:5": the basename of file `file` with the position, or NULL (line 0). */
const char *app_where(const struct app *a, unsigned file, unsigned line, unsigned col, char *buf,
                      size_t n);
/* Does the clan have more than one file (positions must name theirs)? */
bool app_many_files(const struct app *a);
/* A path of the clan, relative to its directory when it is inside it. */
const char *app_clan_path(const struct app *a, const char *path);
/* "clan module", "inventory.json", "NixOS module", "flake". */
const char *app_file_kind(enum inv_file_kind k);
/* The main clan module: what messages name when no other file is concerned. */
const char *app_edit_file(const struct app *a);
/* Focus the tree and select the node that best matches a source position (diagnostics). */
bool app_goto_line(struct app *a, unsigned file, unsigned line);

/* The views of this module. */
struct view *view_tree_new(struct app *a);
void view_tree_rebuild(struct view *v, struct app *a);
/* The selected tree node (opaque to other views; see view-tree.c). */
const struct tnode *view_tree_selected(struct view *v);
bool view_tree_select_line(struct view *v, struct app *a, unsigned file, unsigned line);
bool view_tree_goto_label(struct view *v, struct app *a, const char *label);
struct view *view_details_new(struct app *a);
/* The selection changed: recompute the details. */
void view_details_update(struct view *v, struct app *a, const struct tnode *n);
struct view *view_help_new(struct app *a);
void view_free(struct view *v);

#endif
