/* The views that operate (issue 11): units (U), keys (K), journal (J) and the fleet schedule
 * map (S). Each is an overlay of the editing layer (tui/edit.h) covering the panes, with its
 * own status and key-hint rows. app.c calls ops_action and the option hooks. */
#ifndef CLAN_TUI_OPS_H
#define CLAN_TUI_OPS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/theme.h"
#include "tui/actions.h"

struct app;

#define OPS_MAX_JOURNAL_FILES 16

/* The UI options of these views (part of struct app_options). */
struct ops_options {
    const char *units_dir;    /* --units-dir: where U writes (default: units/ beside FILE) */
    const char *secrets_dir;  /* --secrets: K on a plain secrets directory (default: sops) */
    const char *journal_dir;  /* --journal-dir: read journal files there instead */
    const char *journal_files[OPS_MAX_JOURNAL_FILES]; /* --journal-file (repeatable) */
    size_t njournal_files;
    const char *identity;     /* --identity: SSH key for remote journals */
    const char *known_hosts;  /* --known-hosts */
    const char *script_dir;   /* --script-dir: where the units' scripts live on the target */
    unsigned status_every;    /* --status-every: seconds between fleet status refreshes (0: off) */
    unsigned ssh_timeout;     /* --ssh-timeout: seconds to connect and for status to answer */
};

/* ---- hooks for app.c ---- */
/* U, K, J, S: open the view (true when the action is one of these). */
bool ops_action(struct app *a, enum action act);
/* Is argv[*i] one of these options? 1: taken (*i advanced past its value), 0: not ours,
 * 2: a usage error was printed. */
int ops_parse_option(int argc, char **argv, int *i, const char *cmd, struct ops_options *o);
void ops_usage_options(FILE *f);

/* ---- shared by the views ---- */
struct oline {
    char *text;
    enum theme_role role;
};
/* Lines of text with a scroll position and a selection. */
struct olines {
    struct oline *v;
    size_t n, cap;
    size_t top, sel;
    bool jump; /* the selection is a search match: place it as less does */
};
int olines_add(struct olines *l, enum theme_role role, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void olines_clear(struct olines *l);
/* Draw rows [top, top + h) in (y, x, h, w); select: highlight the selection. */
void olines_draw(struct olines *l, struct app *a, int y, int x, int h, int w, bool select);
/* j/k/arrows, PgUp/PgDn, g/G through the keymap; true when the key moved. */
bool olines_key(struct olines *l, struct app *a, uint32_t key, int page);
/* The same on a selection *sel among n rows, page rows a page. */
bool ops_move(struct app *a, uint32_t key, size_t *sel, size_t n, int page);
/* Case-insensitive search from the selection; true when found. */
bool olines_search(struct olines *l, const char *q, int dir, bool skip);

/* A search prompt inside a view: / opens it on the status row, Enter finds, n/N repeat. */
#include "tui/widget-input.h"
struct ops_search {
    bool open;
    struct input in;
    char last[INPUT_MAX];
};
typedef bool (*ops_find_fn)(void *ctx, const char *q, int dir, bool skip);
/* True when the key was the search's (/, n, N, or typing into the open prompt). */
bool ops_search_key(struct app *a, struct ops_search *s, uint32_t key, ops_find_fn find, void *ctx);
/* Draw the open prompt over the status row (after ops_bottom). */
void ops_search_draw(struct app *a, const struct ops_search *s, int H, int W);
/* olines_search as an ops_find_fn (ctx: struct olines *). */
bool olines_find(void *ctx, const char *q, int dir, bool skip);

struct orect {
    int y, x, h, w;
};
/* The frame of a view: a box over the panes (rows 1 .. H-3) with title; returns the inside. */
struct orect ops_frame(struct app *a, int H, int W, const char *title);
/* The status row (H-2: the app's message when there is one, else status) and the hint row
 * (H-1: pairs key, label, ..., NULL). */
void ops_bottom(struct app *a, int H, int W, const char *status, bool error,
                const char *const *hints);
/* Ask y/N (default No: every other key answers no); yes(a, data) runs on y. data is freed
 * with free_data (may be NULL) either way. */
void ops_confirm(struct app *a, const char *title, const char *text,
                 void (*yes)(struct app *a, void *data), void *data, void (*free_data)(void *));
/* A message in a dialog, words wrapped to fit 80 columns; any key closes it. */
void ops_info(struct app *a, const char *title, const char *text);
/* The machine the tree's selection is about, or NULL; *job gets the selected job's index
 * in the plan machine (-1 when no job is selected). */
const char *ops_selected_machine(struct app *a, long *job);

/* The views. Each returns false (with a message) when it cannot open. */
bool units_view_open(struct app *a);
bool keys_view_open(struct app *a);
bool journal_view_open(struct app *a);
bool map_view_open(struct app *a);
/* The fleet's backups (B, tui/view-backups.c), and the status it fetched, which the tree's
 * marks show. */
bool backups_view_open(struct app *a);
/* Arm the --status-every timer (app_attach), free the status (app_free). */
void backups_status_attach(struct app *a);
void backups_status_free(struct app *a);
/* Is a status refresh running? (benchmarks) */
bool backups_status_busy(const struct app *a);
/* The mark of a tree node (a backup job, a machine, the backups section) once a status is
 * known: text and colour; false when it has none. */
struct tnode;
bool backups_tree_mark(struct app *a, const struct tnode *n, char *out, size_t len,
                       enum theme_role *role);
/* The journal of a machine's jobs (job >= 0: only that one) in the lower half of the
 * screen, under the backups view (a backup started there). */
bool journal_view_open_split(struct app *a, const char *machine, long job);

#endif
