/* The editing layer of the UI (issue 10): overlays (the editors and dialogs, drawn over the
 * panes, taking every key while open), undo/redo, write with a diff, the file-changed-on-
 * disk refusal with a reload offer, and quit with unsaved changes. app.c calls the five
 * hooks below; everything else is for the editors (tui/view-*.c of this layer). */
#ifndef CLAN_TUI_EDIT_H
#define CLAN_TUI_EDIT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/inventory.h"
#include "tui/app.h"

/* ---- hooks for app.c ---- */
/* An overlay is open: it took the key (true). */
bool edit_key(struct app *a, uint32_t key);
/* The editing actions (editors, undo, redo, write, reload); true when handled. */
bool edit_action(struct app *a, enum action act);
/* q was pressed: true when quitting is held back (a save/discard/cancel question). */
bool edit_quit(struct app *a);
/* Draw the open overlays over the screen (H x W). */
void edit_draw(struct app *a, int H, int W);
void edit_free(struct app *a);

/* ---- for the editors ---- */
struct overlay;
struct overlay_ops {
    const char *name;
    void (*draw)(struct overlay *o, struct app *a, int H, int W);
    /* Handle a key; return false to close the overlay (then it is freed). */
    bool (*key)(struct overlay *o, struct app *a, uint32_t key);
    void (*free)(struct overlay *o);
};
struct overlay {
    const struct overlay_ops *ops;
    void *data;
    struct overlay *below;
};

struct edit_state {
    struct overlay *top;
    char *base;        /* the text as read or last saved (for the diff) */
    size_t base_len;
};

/* Open an overlay on top (data is owned by it from now on; freed by ops->free). */
void edit_push(struct app *a, const struct overlay_ops *ops, void *data);
/* Close the top overlay. */
void edit_pop(struct app *a);

/* The machine the tree's selection is about (a machine row, its tags, states, jobs, a
 * role entry naming it...), or NULL. */
const char *edit_selected_machine(struct app *a);
/* The instance the selection is about (an instance or role row), or NULL. */
const char *edit_selected_instance(struct app *a);
/* The borgbackup client membership of machine (the first instance whose module is
 * borgbackup), or NULL. */
const struct inv_member *edit_client_member(struct app *a, const char *machine);

/* The borgbackup client the selection is about; NULL after saying why on the status
 * line ("KEY edits ..." names the editor). *machine gets its name. */
const struct inv_member *edit_selected_client(struct app *a, const char *key_edits,
                                              const char **machine);

/* The levels a client's setting can be defined at, in Clan's merge order reversed: the
 * machine, each tag that makes it a client, the role. */
struct edit_level {
    enum inv_level level;
    char *name; /* machine or tag; NULL for the role */
};
int edit_levels(const struct inv_member *mb, const char *machine, struct edit_level **out,
                size_t *n);
void edit_levels_free(struct edit_level *v, size_t n);
/* "machine", "tag employees", "role" */
void edit_level_label(const struct edit_level *l, char *buf, size_t n);

/* Apply an edit: the model changes, the tree is rebuilt, the status line says what was
 * done. Refused: <0, *why (caller frees) has the reason and alts (if given) the choices
 * that do not conflict. */
int edit_apply(struct app *a, const struct inv_op *op, struct inv_alternatives *alts, char **why);
/* Apply ops as one undoable edit (inventory_edit_group); refused: <0 and *why. */
int edit_apply_group(struct app *a, const struct inv_op *ops, size_t n, const char *label, char **why);
/* Write every changed file now (as y in the write dialog); true when written. Failures
 * become a dialog. */
bool edit_save(struct app *a);
/* "machine: unit to repo" for every job, "server: accepts client in dir" lines. */
struct buf;
void edit_plan_lines(const struct plan *p, struct buf *b);
/* Refuse editing in --readonly (true after saying so). */
bool edit_readonly(struct app *a);
/* The current time (µs); $CLAN_TUI_NOW ("2026-11-26 12:00:00 UTC", "@SECONDS") pins it
 * for tests. */
uint64_t edit_now(void);
/* u / C-r inside an editor: undo or redo the last edit. */
void edit_undo(struct app *a, bool redo);

/* The editors. Each returns false (with a message) when it cannot open here. */
bool schedule_editor_open(struct app *a);
bool tags_editor_open(struct app *a);
bool roles_editor_open(struct app *a);
bool exclude_editor_open(struct app *a);
bool destinations_editor_open(struct app *a);
/* I: set up a borgbackup instance (server or external destination, clients, schedule). */
bool setup_flow_open(struct app *a);
/* The schedule editor as a picker: Enter hands the expression to done (role-wide startAt
 * of a setup) instead of editing the clan. */
bool schedule_editor_pick(struct app *a, const char *what, const char *initial,
                          void (*done)(struct app *a, const char *expr, void *ctx), void *ctx);

#endif
