/* The exclude editor (x): the effective exclude list of a borgbackup client as Clan
 * merges it (role, then its tags, then the machine), each pattern with its origin; add at
 * a chosen level, edit, delete and reorder at the pattern's own level; and a path tester
 * that says whether borg would leave a path out, and by which pattern. */
#include <stdlib.h>
#include <string.h>

#include "core/borgpattern.h"
#include "tui/edit.h"
#include "tui/widget-dialog.h"

struct ex_item {
    char *pattern;
    enum inv_level level;
    char *tag;
    char at[96];       /* FILE:LINE:COL of the pattern, in the file of its definition */
    size_t index;      /* within its level's list */
    size_t count;      /* items in its level's list */
    struct borg_pattern *bp;
    char *error;       /* the pattern does not parse */
};

enum ex_mode { EX_LIST, EX_ADD, EX_EDIT, EX_TEST };

struct excl {
    char *machine, *instance;
    struct ex_item *items;
    size_t n, sel;
    struct edit_level *levels;
    size_t nlevels, level;
    enum ex_mode mode;
    struct input in;     /* add / edit */
    struct input test;   /* the path tester */
};

static void items_clear(struct excl *e)
{
    for (size_t i = 0; i < e->n; i++) {
        free(e->items[i].pattern);
        free(e->items[i].tag);
        free(e->items[i].error);
        borg_pattern_free(e->items[i].bp);
    }
    free(e->items);
    e->items = NULL;
    e->n = 0;
}

static void excl_rebuild(struct excl *e, struct app *a)
{
    items_clear(e);
    const struct inv_model *m = inventory_model(a->inv);
    const struct inv_member *mb = inventory_member(a->inv, e->instance, "client", e->machine);
    const struct inv_eff *ex = mb ? inv_eff_lookup(&mb->settings, "exclude") : NULL;
    (void)m;
    if (!ex || !ex->nitems)
        return;
    e->items = calloc(ex->nitems, sizeof(*e->items));
    if (!e->items)
        return;
    for (size_t i = 0; i < ex->nitems; i++) {
        const struct nix_value *v = ex->items[i];
        const struct inv_def *d = &ex->defs[ex->item_def[i]];
        struct ex_item *it = &e->items[e->n++];
        it->pattern = strdup(v->kind == NIX_STRING && v->str ? v->str : "(not a string)");
        it->level = d->level;
        it->tag = d->tag ? strdup(d->tag) : NULL;
        app_where(a, d->loc.file, nix_val_line(v) ? nix_val_line(v) : 1, nix_val_col(v), it->at,
                  sizeof(it->at));
        for (size_t k = 0; k < i; k++)
            it->index += ex->item_def[k] == ex->item_def[i];
        for (size_t k = 0; k < ex->nitems; k++)
            it->count += ex->item_def[k] == ex->item_def[i];
        struct diag dg = {0};
        if (it->pattern && borg_pattern_parse(it->pattern, &it->bp, &dg) < 0)
            (void)!asprintf(&it->error, "column %u: %s", dg.col, dg.msg ? dg.msg : "invalid");
        diag_clear(&dg);
    }
    if (e->sel >= e->n)
        e->sel = e->n ? e->n - 1 : 0;
}

static struct inv_scope item_scope(const struct excl *e, const struct ex_item *it)
{
    return (struct inv_scope){e->instance, "client", it->level,
                              it->level == INV_LEVEL_TAG ? it->tag : it->level == INV_LEVEL_MACHINE ? e->machine : NULL};
}

static void apply(struct excl *e, struct app *a, struct inv_op *op)
{
    char *why = NULL;
    op->key = "exclude";
    if (edit_apply(a, op, NULL, &why) < 0)
        app_message(a, true, "not changed: %s", why ? why : "refused");
    free(why);
    excl_rebuild(e, a);
}

static void origin(const struct ex_item *it, char *buf, size_t n)
{
    if (it->level == INV_LEVEL_TAG)
        snprintf(buf, n, "tag %s, %s", it->tag, it->at);
    else
        snprintf(buf, n, "%s, %s", inv_level_name(it->level), it->at);
}

static bool excl_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct excl *e = o->data;
    if (e->mode == EX_TEST) {
        if (key == KEYSYM_ESC || key == KEYSYM_ENTER || key == KEYSYM_TAB) {
            e->mode = EX_LIST;
            return true;
        }
        if (!(key == KEYSYM_BACKSPACE && e->test.len == 0))
            input_key(&e->test, key);
        return true;
    }
    if (e->mode == EX_ADD || e->mode == EX_EDIT) {
        enum input_result r = input_key(&e->in, key);
        if (r == INPUT_CANCEL) {
            e->mode = EX_LIST;
        } else if (r == INPUT_ENTER) {
            enum ex_mode mode = e->mode;
            e->mode = EX_LIST;
            struct borg_pattern *bp = NULL;
            struct diag dg = {0};
            if (!e->in.len) {
                app_message(a, true, "an empty pattern excludes nothing; not added");
            } else if (borg_pattern_parse(e->in.buf, &bp, &dg) < 0) {
                app_message(a, true, "not a borg pattern: column %u: %s", dg.col, dg.msg);
                e->mode = mode; /* keep typing */
            } else if (mode == EX_ADD) {
                const struct edit_level *l = &e->levels[e->level];
                struct inv_op op = {.kind = INV_OP_LIST_ADD, .value = e->in.buf};
                op.scope = (struct inv_scope){e->instance, "client", l->level, l->name};
                char *added = strdup(e->in.buf);
                apply(e, a, &op);
                for (size_t i = 0; added && i < e->n; i++) /* select what was added */
                    if (!strcmp(e->items[i].pattern, added) && e->items[i].level == l->level)
                        e->sel = i;
                free(added);
            } else if (e->n) {
                const struct ex_item *it = &e->items[e->sel];
                struct inv_op op = {.kind = INV_OP_LIST_REPLACE, .value = e->in.buf, .index = it->index};
                op.scope = item_scope(e, it);
                apply(e, a, &op);
            }
            borg_pattern_free(bp);
            diag_clear(&dg);
        }
        return true;
    }
    const struct ex_item *it = e->n ? &e->items[e->sel] : NULL;
    switch (key) {
    case KEYSYM_ESC: case 'q': return false;
    case 'j': case KEYSYM_DOWN: if (e->sel + 1 < e->n) e->sel++; return true;
    case 'k': case KEYSYM_UP: if (e->sel) e->sel--; return true;
    case 'a': case 'n': e->mode = EX_ADD; input_set(&e->in, ""); return true;
    case 'e': case KEYSYM_ENTER:
        if (it) {
            e->mode = EX_EDIT;
            input_set(&e->in, it->pattern);
        }
        return true;
    case 'D': case KEYSYM_DELETE:
        if (it) {
            struct inv_op op = {.kind = INV_OP_LIST_REMOVE, .value = it->pattern};
            op.scope = item_scope(e, it);
            char *pat = strdup(it->pattern);
            op.value = pat;
            apply(e, a, &op);
            free(pat);
        }
        return true;
    case 'J': case 'K':
        if (it) {
            bool down = key == 'J';
            if ((down && it->index + 1 >= it->count) || (!down && it->index == 0)) {
                app_message(a, true, "a pattern moves only within its own level's list (%s)",
                            it->level == INV_LEVEL_TAG ? "a tag" : inv_level_name(it->level));
                return true;
            }
            struct inv_op op = {.kind = INV_OP_LIST_MOVE, .index = it->index, .to = down ? it->index + 1 : it->index - 1};
            op.scope = item_scope(e, it);
            apply(e, a, &op);
            if (down && e->sel + 1 < e->n)
                e->sel++;
            else if (!down && e->sel)
                e->sel--;
        }
        return true;
    case 'L': case 'v': e->level = (e->level + 1) % e->nlevels; return true;
    case '/': case KEYSYM_TAB: e->mode = EX_TEST; return true;
    case 'u': edit_undo(a, false); excl_rebuild(e, a); return true;
    case 18: edit_undo(a, true); excl_rebuild(e, a); return true;
    default: return true;
    }
}

static void excl_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct excl *e = o->data;
    struct ui *ui = &a->ui;
    char title[200];
    snprintf(title, sizeof(title), "Exclude %s %s %s %s client", ui->g->dot, e->machine, ui->g->dot, e->instance);
    struct rect r = dialog_frame(ui, H, W, (int)e->n + 10, 100, title);
    char lv[160], ll[100];
    edit_level_label(&e->levels[e->level], ll, sizeof(ll));
    snprintf(lv, sizeof(lv), "add at: %s   (L changes)", ll);
    ui_text(ui, r.y, r.x, r.w, THEME_DIALOG_KEY, lv);
    ui_text(ui, r.y + 1, r.x, r.w, THEME_DETAILS_SECTION, "effective list (role, tags, machine: Clan concatenates them)");
    int rows = r.h - 7;
    const char *path = e->test.len ? e->test.buf : NULL;
    size_t first_match = (size_t)-1;
    for (size_t i = 0; path && i < e->n; i++)
        if (e->items[i].bp && borg_pattern_match(e->items[i].bp, path)) {
            first_match = i;
            break;
        }
    size_t top = e->sel >= (size_t)rows ? e->sel - (size_t)rows + 1 : 0;
    for (int i = 0; i < rows && top + (size_t)i < e->n; i++) {
        const struct ex_item *it = &e->items[top + (size_t)i];
        char line[400], org[200];
        origin(it, org, sizeof(org));
        bool match = path && it->bp && borg_pattern_match(it->bp, path);
        snprintf(line, sizeof(line), "%s %-26s %-3s %-32s %s", match ? "=>" : "  ", it->pattern,
                 it->bp ? borg_pattern_style_name(borg_pattern_style(it->bp)) : "??", org, it->error ? it->error : "");
        bool sel = top + (size_t)i == e->sel && e->mode == EX_LIST;
        ui_text(ui, r.y + 2 + i, r.x, r.w, it->error ? THEME_INPUT_ERROR : sel ? THEME_DIALOG_SELECTED : THEME_DIALOG_NORMAL, line);
        if (sel)
            ui_overlay_attr(ui, r.y + 2 + i, r.x, r.w, THEME_DIALOG_SELECTED);
    }
    if (!e->n)
        ui_text(ui, r.y + 2, r.x, r.w, THEME_UI_DIM, "  no exclude patterns: a adds one");
    int y = r.y + r.h - 5;
    input_draw(ui, y, r.x, r.w, e->mode == EX_TEST ? THEME_INPUT_PROMPT : THEME_UI_DIM, "test path: ", &e->test);
    int cy, cx;
    getyx(ui->win, cy, cx);
    char res[400] = "";
    if (path && first_match != (size_t)-1) {
        char org[200];
        origin(&e->items[first_match], org, sizeof(org));
        snprintf(res, sizeof(res), "excluded by '%s' (%s, %s)", e->items[first_match].pattern, org,
                 borg_pattern_prepared(e->items[first_match].bp));
        ui_text(ui, y + 1, r.x, r.w, THEME_DIFF_DEL, res);
    } else if (path) {
        ui_text(ui, y + 1, r.x, r.w, THEME_DIFF_ADD, "not excluded: borg backs it up (if it is under a state folder)");
    }
    if (e->mode == EX_ADD || e->mode == EX_EDIT) {
        input_draw(ui, y + 2, r.x, r.w, THEME_INPUT_PROMPT, e->mode == EX_ADD ? "new pattern: " : "edit pattern: ", &e->in);
        getyx(ui->win, cy, cx);
    }
    if (e->mode != EX_LIST) {
        wmove(ui->win, cy, cx);
        curs_set(1);
    }
    static const char *const keys[] = {"a", "add", "e", "edit", "D", "delete", "J/K", "move", "L", "level",
                                       "/", "test a path", "u/C-r", "undo/redo", "Esc", "close", NULL};
    dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
}

static void excl_free(struct overlay *o)
{
    struct excl *e = o->data;
    items_clear(e);
    edit_levels_free(e->levels, e->nlevels);
    free(e->machine);
    free(e->instance);
    free(e);
}

static const struct overlay_ops excl_ops = {"exclude", excl_draw, excl_key, excl_free};

bool exclude_editor_open(struct app *a)
{
    const char *m = NULL;
    const struct inv_member *mb = edit_selected_client(a, "x edits a borgbackup client's exclude patterns", &m);
    if (!mb)
        return false;
    struct excl *e = calloc(1, sizeof(*e));
    if (!e)
        return false;
    e->machine = strdup(m);
    e->instance = strdup(inventory_model(a->inv)->instances[mb->instance].name);
    if (!e->machine || !e->instance || edit_levels(mb, m, &e->levels, &e->nlevels) < 0) {
        struct overlay tmp = {&excl_ops, e, NULL};
        excl_free(&tmp);
        return false;
    }
    excl_rebuild(e, a);
    edit_push(a, &excl_ops, e);
    return true;
}
