/* The editing layer: overlays, undo/redo, write with a diff, the refusal when the file
 * changed on disk (with a reload offer), and quit with unsaved changes. */
#include "tui/edit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"
#include "core/util.h"
#include "tui/cli.h"
#include "tui/view-tree.h"
#include "tui/widget-dialog.h"
#include "tui/widget-diff.h"

static bool save(struct app *a);
static void snapshot_base(struct app *a);

static struct edit_state *state(struct app *a)
{
    if (!a->edit)
        a->edit = calloc(1, sizeof(*a->edit));
    return a->edit;
}

void edit_push(struct app *a, const struct overlay_ops *ops, void *data)
{
    struct edit_state *e = state(a);
    struct overlay *o = e ? calloc(1, sizeof(*o)) : NULL;
    if (!o) {
        struct overlay tmp = {ops, data, NULL};
        ops->free(&tmp);
        app_message(a, true, "out of memory");
        return;
    }
    o->ops = ops;
    o->data = data;
    o->below = e->top;
    e->top = o;
    a->help_open = false;
    app_set_dirty(a);
}

void edit_pop(struct app *a)
{
    struct edit_state *e = a->edit;
    if (!e || !e->top)
        return;
    struct overlay *o = e->top;
    e->top = o->below;
    o->ops->free(o);
    free(o);
    app_set_dirty(a);
}

void edit_free(struct app *a)
{
    if (!a->edit)
        return;
    while (a->edit->top)
        edit_pop(a);
    free(a->edit->base);
    free(a->edit);
    a->edit = NULL;
}

bool edit_key(struct app *a, uint32_t key)
{
    struct edit_state *e = a->edit;
    if (!e || !e->top)
        return false;
    struct overlay *o = e->top;
    if (!o->ops->key(o, a, key) && e->top == o)
        edit_pop(a);
    app_set_dirty(a);
    return true;
}

static void draw_stack(struct app *a, struct overlay *o, int H, int W)
{
    if (!o)
        return;
    draw_stack(a, o->below, H, W);
    o->ops->draw(o, a, H, W);
}

void edit_draw(struct app *a, int H, int W)
{
    if (a->edit && a->edit->top)
        draw_stack(a, a->edit->top, H, W);
}

void edit_plan_lines(const struct plan *p, struct buf *b)
{
    for (size_t i = 0; p && i < p->nmachines; i++) {
        const struct plan_machine *pm = &p->machines[i];
        for (size_t j = 0; j < pm->njobs; j++)
            buf_printf(b, "%s: %s to %s\n", pm->name, pm->jobs[j].unit, pm->jobs[j].repo ? pm->jobs[j].repo : "?");
        for (size_t j = 0; j < pm->nclients; j++)
            buf_printf(b, "%s: accepts %s in %s\n", pm->name, pm->clients[j].client,
                       pm->clients[j].directory ? pm->clients[j].directory : "?");
    }
}

bool edit_save(struct app *a)
{
    return save(a);
}

int edit_apply_group(struct app *a, const struct inv_op *ops, size_t n, const char *label, char **why)
{
    *why = NULL;
    if (a->opt.readonly) {
        *why = strdup("read-only (--readonly): editing is off");
        return -EROFS;
    }
    snapshot_base(a);
    struct diag_list dl = {0};
    int r = inventory_edit_group(a->inv, ops, n, label, &dl);
    if (r < 0) {
        struct buf b = {0};
        for (size_t i = 0; i < dl.n; i++)
            buf_printf(&b, "%s%s", i ? "; " : "", dl.v[i].msg ? dl.v[i].msg : "refused");
        *why = buf_steal(&b);
    } else {
        app_model_changed(a);
    }
    diag_list_free(&dl);
    return r;
}

/* ---- selection ---- */

const char *edit_selected_machine(struct app *a)
{
    if (!a->inv || !a->tree)
        return NULL;
    const struct inv_model *m = inventory_model(a->inv);
    for (const struct tnode *n = view_tree_selected(a->tree); n; n = n->parent) {
        switch ((enum tkind)n->kind) {
        case TK_MACHINE: case TK_MACHINE_TAG: case TK_STATE: case TK_FOLDER: case TK_HOOK:
        case TK_TAG_MACHINE:
            if (n->a >= 0 && (size_t)n->a < m->nmachines)
                return m->machines[n->a].name;
            return NULL;
        case TK_MEMBERSHIP: case TK_MEMBER:
            if (n->a >= 0 && (size_t)n->a < m->nmembers)
                return m->machines[m->members[n->a].machine].name;
            return NULL;
        case TK_ROLE_MACHINE:
            if ((size_t)n->a < m->ninstances && (size_t)n->b < m->instances[n->a].nroles &&
                (size_t)n->c < m->instances[n->a].roles[n->b].nmachines)
                return m->instances[n->a].roles[n->b].machines[n->c].name;
            return NULL;
        case TK_PLAN_MACHINE: case TK_JOB: case TK_SERVER_CLIENT:
            if (a->plan && (size_t)n->a < a->plan->nmachines)
                return a->plan->machines[n->a].name;
            return NULL;
        default:
            break;
        }
    }
    return NULL;
}

const char *edit_selected_instance(struct app *a)
{
    if (!a->inv || !a->tree)
        return NULL;
    const struct inv_model *m = inventory_model(a->inv);
    for (const struct tnode *n = view_tree_selected(a->tree); n; n = n->parent) {
        if ((n->kind == TK_INSTANCE || n->kind == TK_ROLE || n->kind == TK_ROLE_MACHINE ||
             n->kind == TK_ROLE_TAG) && n->a >= 0 && (size_t)n->a < m->ninstances)
            return m->instances[n->a].name;
        if (n->kind == TK_MEMBER && (size_t)n->a < m->nmembers)
            return m->instances[m->members[n->a].instance].name;
    }
    return NULL;
}

const struct inv_member *edit_client_member(struct app *a, const char *machine)
{
    const struct inv_model *m = inventory_model(a->inv);
    long mi = inventory_machine_index(a->inv, machine);
    for (size_t i = 0; mi >= 0 && i < m->nmembers; i++) {
        const struct inv_member *mb = &m->members[i];
        const struct inv_instance *in = &m->instances[mb->instance];
        if (mb->machine == (size_t)mi && in->module.s && !strcmp(in->module.s, "borgbackup") &&
            !strcmp(in->roles[mb->role].name, "client"))
            return mb;
    }
    return NULL;
}

const struct inv_member *edit_selected_client(struct app *a, const char *key_edits,
                                              const char **machine)
{
    const char *m = edit_selected_machine(a);
    if (!m) {
        app_message(a, true, "select a machine first: %s", key_edits);
        return NULL;
    }
    const struct inv_member *mb = edit_client_member(a, m);
    if (!mb) {
        app_message(a, true, "%s is not a borgbackup client: r adds it to the client role", m);
        return NULL;
    }
    *machine = m;
    return mb;
}

int edit_levels(const struct inv_member *mb, const char *machine, struct edit_level **out,
                size_t *n)
{
    size_t k = 2 + mb->nvia_tags;
    struct edit_level *v = calloc(k, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v[0] = (struct edit_level){INV_LEVEL_MACHINE, strdup(machine)};
    for (size_t i = 0; i < mb->nvia_tags; i++)
        v[1 + i] = (struct edit_level){INV_LEVEL_TAG, strdup(mb->via_tags[i])};
    v[k - 1] = (struct edit_level){INV_LEVEL_ROLE, NULL};
    for (size_t i = 0; i + 1 < k; i++)
        if (!v[i].name) {
            edit_levels_free(v, k);
            return -ENOMEM;
        }
    *out = v;
    *n = k;
    return 0;
}

void edit_levels_free(struct edit_level *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].name);
    free(v);
}

void edit_level_label(const struct edit_level *l, char *buf, size_t n)
{
    if (l->level == INV_LEVEL_TAG)
        snprintf(buf, n, "tag %s", l->name);
    else
        snprintf(buf, n, "%s", inv_level_name(l->level));
}

/* ---- edits ---- */

bool edit_readonly(struct app *a)
{
    if (!a->opt.readonly)
        return false;
    app_message(a, true, "read-only (--readonly): editing and writing are off");
    return true;
}

uint64_t edit_now(void)
{
    const char *pin = getenv("CLAN_TUI_NOW");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * CALENDAR_USEC_PER_SEC + (uint64_t)ts.tv_nsec / 1000u;
    if (pin && *pin) {
        struct calendar_ctx *ctx = calendar_ctx_new();
        uint64_t t;
        if (ctx && calendar_parse_timestamp(ctx, pin, now, &t) == 0)
            now = t;
        calendar_ctx_free(ctx);
    }
    return now;
}

static void snapshot_base(struct app *a)
{
    struct edit_state *e = state(a);
    if (!e || !a->inv || inventory_dirty(a->inv))
        return;
    size_t len;
    const char *t = inventory_text(a->inv, &len);
    char *c = malloc(len + 1);
    if (!c)
        return;
    memcpy(c, t, len);
    c[len] = 0;
    free(e->base);
    e->base = c;
    e->base_len = len;
}

int edit_apply(struct app *a, const struct inv_op *op, struct inv_alternatives *alts, char **why)
{
    if (why)
        *why = NULL;
    if (a->opt.readonly) {
        if (why)
            *why = strdup("read-only (--readonly): editing is off");
        return -EROFS;
    }
    snapshot_base(a);
    struct diag_list dl = {0};
    int r = inventory_edit(a->inv, op, alts, &dl);
    if (r < 0) {
        if (why) {
            struct buf b = {0};
            for (size_t i = 0; i < dl.n; i++) {
                if (i)
                    buf_puts(&b, "; ");
                buf_puts(&b, dl.v[i].msg ? dl.v[i].msg : "refused");
            }
            if (!dl.n)
                buf_printf(&b, "refused: %s", strerror(-r));
            *why = buf_steal(&b);
        }
        diag_list_free(&dl);
        return r;
    }
    diag_list_free(&dl);
    app_model_changed(a);
    char *desc = inv_op_describe(op);
    app_message(a, false, "%s (u undoes)", desc ? desc : "changed");
    free(desc);
    return 0;
}

void edit_undo(struct app *a, bool redo)
{
    if (!a->inv || edit_readonly(a))
        return;
    const char *l = redo ? inventory_redo_label(a->inv) : inventory_undo_label(a->inv);
    char *label = l ? strdup(l) : NULL;
    struct diag d = {0};
    int r = redo ? inventory_redo(a->inv, &d) : inventory_undo(a->inv, &d);
    app_model_changed(a);
    if (r == -ENOENT) {
        app_message(a, true, redo ? "nothing to redo" : "nothing to undo");
    } else if (r < 0) {
        app_message(a, true, "%s failed: %s", redo ? "redo" : "undo", d.msg ? d.msg : strerror(-r));
    } else {
        app_message(a, false, "%s: %s", redo ? "redid" : "undid", label ? label : "an edit");
    }
    free(label);
    diag_clear(&d);
}

/* ---- questions (a message and a few keys) ---- */

typedef void (*question_cb)(struct app *a, uint32_t key);

struct question {
    char *title;
    char *text;                  /* lines separated by '\n' */
    const char *const *hints;    /* key, label pairs */
    const uint32_t *keys;        /* the keys that answer (0-terminated) */
    question_cb cb;
    bool error;
};

static void question_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct question *q = o->data;
    int lines = 1;
    for (const char *p = q->text; *p; p++)
        lines += *p == '\n';
    struct rect r = dialog_frame(&a->ui, H, W, lines + 4, 90, q->title);
    int y = r.y;
    for (const char *p = q->text; y < r.y + r.h - 1;) {
        size_t l = strcspn(p, "\n");
        ui_textn(&a->ui, y, r.x, r.w, y == r.y && q->error ? THEME_STATUS_ERROR : THEME_DIALOG_NORMAL, p, l);
        y++;
        if (!p[l])
            break;
        p += l + 1;
    }
    dialog_hints(&a->ui, r.y + r.h - 1, r.x, r.w, q->hints);
}

static bool question_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct question *q = o->data;
    for (const uint32_t *k = q->keys; *k; k++) {
        if (*k == key) {
            question_cb cb = q->cb;
            edit_pop(a); /* first: the answer may open another question */
            cb(a, key);
            return true;
        }
    }
    return true; /* other keys are ignored: the question waits for an answer */
}

static void question_free(struct overlay *o)
{
    struct question *q = o->data;
    free(q->title);
    free(q->text);
    free(q);
}

static const struct overlay_ops question_ops = {"question", question_draw, question_key, question_free};

static void ask(struct app *a, bool error, const char *title, const char *const *hints,
                const uint32_t *keys, question_cb cb, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));

static void ask(struct app *a, bool error, const char *title, const char *const *hints,
                const uint32_t *keys, question_cb cb, const char *fmt, ...)
{
    struct question *q = calloc(1, sizeof(*q));
    if (!q)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&q->text, fmt, ap) < 0)
        q->text = NULL;
    va_end(ap);
    q->title = strdup(title);
    q->hints = hints;
    q->keys = keys;
    q->cb = cb;
    q->error = error;
    if (!q->text || !q->title) {
        free(q->text);
        free(q->title);
        free(q);
        return;
    }
    edit_push(a, &question_ops, q);
}

/* ---- reload, save, write, quit ---- */

static void reload(struct app *a)
{
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_open(app_edit_file(a), &inv, &dl) < 0) {
        app_message(a, true, "cannot reload %s: %s", app_edit_file(a),
                    dl.n && dl.v[0].msg ? dl.v[0].msg : "unreadable");
        diag_list_free(&dl);
        return;
    }
    diag_list_free(&dl);
    inventory_free(a->inv);
    a->inv = inv;
    if (a->edit) {
        free(a->edit->base);
        a->edit->base = NULL;
    }
    app_model_changed(a);
    app_message(a, false, "reloaded %s from disk", app_edit_file(a));
}

static void on_close(struct app *a, uint32_t key)
{
    (void)a;
    (void)key;
}

static void on_stale(struct app *a, uint32_t key)
{
    if (key == 'r')
        reload(a);
    else
        app_message(a, false, "not written; your edits are kept (w tries again, :reload reads the file)");
}

static const char *const hints_stale[] = {"r", "reload from disk (drops the unsaved edits)", "Esc", "keep editing", NULL};
static const uint32_t keys_stale[] = {'r', KEYSYM_ESC, 'n', 'q', 0};
static const char *const hints_close[] = {"Esc", "close", NULL};
static const uint32_t keys_close[] = {KEYSYM_ESC, KEYSYM_ENTER, 'q', 'n', 0};

/* Write now; true when written. Failures become a dialog. */
static bool save(struct app *a)
{
    struct diag d = {0};
    size_t undo = inventory_undo_depth(a->inv);
    struct buf names = {0}; /* what is written: the main module, or the files edits reached */
    if (cli_diff_pending(a->inv, NULL, 0, false, NULL, &names) < 0)
        buf_reset(&names);
    const char *what = names.p && names.len ? names.p : app_edit_file(a);
    int r = inventory_save(a->inv, &d);
    if (r == -ESTALE) {
        ask(a, true, "File changed on disk", hints_stale, keys_stale, on_stale,
            "%s changed on disk since it was read: NOT written.\n"
            "Your %zu unsaved edit%s stay in memory. Reload to see the file as it is now\n"
            "(the edits are dropped), or keep editing and write elsewhere by hand.",
            app_many_files(a) && d.file ? d.file : what, undo, undo == 1 ? "" : "s");
    } else if (r < 0) {
        char *msg = diag_format(&d);
        ask(a, true, "Write failed", hints_close, keys_close, on_close,
            "cannot write %s:\n%s\nThe file on disk is as it was; your edits stay in memory.",
            what, msg ? msg : strerror(-r));
        free(msg);
    } else {
        snapshot_base(a);
        app_model_changed(a); /* the unsaved marker goes */
        app_message(a, false, "wrote %s", what);
    }
    buf_free(&names);
    diag_clear(&d);
    return r == 0;
}

struct writer {
    struct diffview dv;
    char *title;
    int page;
};

static void writer_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct writer *w = o->data;
    struct rect r = dialog_frame(&a->ui, H, W, (int)w->dv.n + 4, 110, w->title);
    w->page = r.h - 1;
    diffview_draw(&w->dv, &a->ui, r.y, r.x, r.h - 1, r.w);
    static const char *const hints[] = {"y", "write the file", "n/Esc", "cancel", "j/k PgUp/PgDn", "scroll", NULL};
    dialog_hints(&a->ui, r.y + r.h - 1, r.x, r.w, hints);
}

static bool writer_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct writer *w = o->data;
    if (key == 'y' || key == 'Y') {
        edit_pop(a);
        save(a);
        return true;
    }
    if (key == 'n' || key == 'N' || key == KEYSYM_ESC || key == 'q') {
        app_message(a, false, "not written");
        return false;
    }
    diffview_key(&w->dv, key, w->page);
    return true;
}

static void writer_free(struct overlay *o)
{
    struct writer *w = o->data;
    diffview_free(&w->dv);
    free(w->title);
    free(w);
}

static const struct overlay_ops writer_ops = {"write", writer_draw, writer_key, writer_free};

static void write_file(struct app *a)
{
    if (!a->inv || edit_readonly(a))
        return;
    if (!a->modified) {
        app_message(a, false, "no unsaved changes: %s is as on disk", app_edit_file(a));
        return;
    }
    /* every file the edits changed (a clan's edits may reach several), the main module's
     * against its text as read or last saved */
    struct buf diff = {0}, names = {0};
    const char *base = a->edit ? a->edit->base : NULL;
    size_t blen = base ? a->edit->base_len : 0;
    size_t nfiles = inventory_pending(a->inv, NULL, 0);
    struct writer *w = calloc(1, sizeof(*w));
    if (!w || cli_diff_pending(a->inv, base, blen, false, &diff, &names) < 0 ||
        diffview_set(&w->dv, diff.p ? diff.p : "") < 0) {
        buf_free(&diff);
        buf_free(&names);
        if (w)
            diffview_free(&w->dv);
        free(w);
        app_message(a, true, "out of memory");
        return;
    }
    buf_free(&diff);
    int t = nfiles > 1 ? asprintf(&w->title, "Write %zu files? +%zu -%zu lines", nfiles, w->dv.added, w->dv.removed)
                       : asprintf(&w->title, "Write %s? +%zu -%zu lines", names.p ? names.p : app_edit_file(a),
                                  w->dv.added, w->dv.removed);
    if (t < 0)
        w->title = NULL;
    buf_free(&names);
    edit_push(a, &writer_ops, w);
}

static void on_quit(struct app *a, uint32_t key)
{
    if (key == 's') {
        if (save(a))
            a->quit = true;
    } else if (key == 'd') {
        a->quit = true;
    } else {
        app_message(a, false, "not quitting");
    }
}

bool edit_quit(struct app *a)
{
    if (!a->inv || !a->modified || a->opt.readonly)
        return false;
    static const char *const hints[] = {"s", "save and quit", "d", "discard and quit", "Esc", "cancel", NULL};
    static const uint32_t keys[] = {'s', 'd', KEYSYM_ESC, 'c', 0};
    size_t n = inventory_undo_depth(a->inv);
    ask(a, false, "Unsaved changes", hints, keys, on_quit,
        "%s has %zu unsaved edit%s.\nSave them before quitting?", app_edit_file(a), n ? n : 1,
        n == 1 ? "" : "s");
    return true;
}

bool edit_action(struct app *a, enum action act)
{
    bool (*open)(struct app *) = NULL;
    switch (act) {
    case ACT_UNDO: edit_undo(a, false); return true;
    case ACT_REDO: edit_undo(a, true); return true;
    case ACT_WRITE: write_file(a); return true;
    case ACT_RELOAD:
        if (a->modified) {
            static const char *const hints[] = {"r", "reload and drop the edits", "Esc", "cancel", NULL};
            static const uint32_t keys[] = {'r', KEYSYM_ESC, 'n', 0};
            ask(a, false, "Reload", hints, keys, on_stale, "Reading %s again drops %zu unsaved edit%s.",
                app_edit_file(a), inventory_undo_depth(a->inv), inventory_undo_depth(a->inv) == 1 ? "" : "s");
        } else {
            reload(a);
        }
        return true;
    case ACT_EDIT_SCHEDULE: open = schedule_editor_open; break;
    case ACT_EDIT_TAGS: open = tags_editor_open; break;
    case ACT_EDIT_ROLES: open = roles_editor_open; break;
    case ACT_EDIT_EXCLUDE: open = exclude_editor_open; break;
    case ACT_EDIT_DESTINATIONS: open = destinations_editor_open; break;
    case ACT_SETUP_BACKUPS: open = setup_flow_open; break;
    default: return false;
    }
    if (!a->inv || edit_readonly(a))
        return true;
    open(a);
    return true;
}
