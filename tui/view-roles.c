/* The role editor (r): which machines and which tags are in each role of an instance.
 * Toggling first shows how the borgbackup plan would change (jobs and server clients
 * added or removed); Enter or y applies it as one undoable edit, Esc drops it. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "tui/edit.h"
#include "tui/widget-dialog.h"

struct role_row {
    size_t role;       /* index into the instance's roles */
    bool is_tag;
    char *name;        /* machine or tag */
    bool member;       /* listed directly (machines) / listed (tags) */
    char *note;        /* "via tag employees", "2 machines" */
};

struct roles {
    char *instance;
    struct role_row *rows;
    size_t n, sel, top;
    /* a toggle waiting for confirmation */
    bool pending;
    struct inv_op op;
    char *op_role;
    char *change;      /* the plan change, lines separated by '\n' */
};

static void rows_clear(struct roles *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].name);
        free(r->rows[i].note);
    }
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}

static void push_row(struct roles *r, struct role_row row)
{
    struct role_row *v = realloc(r->rows, (r->n + 1) * sizeof(*v));
    if (!v) {
        free(row.name);
        free(row.note);
        return;
    }
    r->rows = v;
    r->rows[r->n++] = row;
}

static void roles_rebuild(struct roles *r, struct app *a)
{
    rows_clear(r);
    const struct inv_model *m = inventory_model(a->inv);
    long ii = inventory_instance_index(a->inv, r->instance);
    if (ii < 0)
        return;
    const struct inv_instance *in = &m->instances[ii];
    /* every tag known anywhere */
    char **tags = NULL;
    size_t ntags = 0;
    for (size_t i = 0; i < m->nmachines; i++)
        for (size_t k = 0; k < m->machines[i].ntags; k++) {
            const char *t = m->machines[i].tags[k].s;
            bool seen = !t;
            for (size_t j = 0; j < ntags && !seen; j++)
                seen = !strcmp(tags[j], t);
            char **v = seen ? NULL : realloc(tags, (ntags + 1) * sizeof(*v));
            if (v) {
                tags = v;
                tags[ntags++] = (char *)t;
            }
        }
    for (size_t ro = 0; ro < in->nroles; ro++) {
        const struct inv_role *role = &in->roles[ro];
        for (size_t i = 0; i < m->nmachines; i++) {
            const char *mn = m->machines[i].name;
            bool direct = false;
            for (size_t k = 0; k < role->nmachines && !direct; k++)
                direct = !strcmp(role->machines[k].name, mn);
            const struct inv_member *mb = inventory_member(a->inv, in->name, role->name, mn);
            struct buf note = {0};
            for (size_t k = 0; mb && k < mb->nvia_tags; k++)
                buf_printf(&note, "%s%s", k ? ", " : "via tag ", mb->via_tags[k]);
            push_row(r, (struct role_row){ro, false, strdup(mn), direct, buf_steal(&note)});
        }
        for (size_t k = 0; k < role->ntags; k++) { /* listed tags first, with "all" */
            char *note = NULL;
            (void)!asprintf(&note, "selects %zu machine%s", role->tags[k].nselected, role->tags[k].nselected == 1 ? "" : "s");
            push_row(r, (struct role_row){ro, true, strdup(role->tags[k].name), true, note});
        }
        for (size_t j = 0; j < ntags; j++) {
            bool listed = false;
            for (size_t k = 0; k < role->ntags && !listed; k++)
                listed = !strcmp(role->tags[k].name, tags[j]);
            if (!listed)
                push_row(r, (struct role_row){ro, true, strdup(tags[j]), false, NULL});
        }
    }
    free(tags);
    if (r->sel >= r->n)
        r->sel = r->n ? r->n - 1 : 0;
}

static bool has_line(const char *text, const char *line, size_t len)
{
    for (const char *p = text; *p;) {
        size_t l = strcspn(p, "\n");
        if (l == len && !memcmp(p, line, len))
            return true;
        p += l + (p[l] == '\n');
    }
    return false;
}

/* Lines of a not in b, each prefixed with mark. */
static void missing_lines(const char *a, const char *b, char mark, struct buf *out)
{
    for (const char *p = a; *p;) {
        size_t l = strcspn(p, "\n");
        if (!has_line(b, p, l))
            buf_printf(out, "%c %.*s\n", mark, (int)l, p);
        p += l + (p[l] == '\n');
    }
}

static void propose(struct roles *r, struct app *a)
{
    const struct role_row *row = &r->rows[r->sel];
    const struct inv_model *m = inventory_model(a->inv);
    long ii = inventory_instance_index(a->inv, r->instance);
    free(r->op_role);
    r->op_role = strdup(m->instances[ii].roles[row->role].name);
    r->op = (struct inv_op){.instance = r->instance, .role = r->op_role};
    if (row->is_tag) {
        r->op.kind = row->member ? INV_OP_ROLE_TAG_REMOVE : INV_OP_ROLE_TAG_ADD;
        r->op.tag = row->name;
    } else {
        r->op.kind = row->member ? INV_OP_ROLE_MACHINE_REMOVE : INV_OP_ROLE_MACHINE_ADD;
        r->op.machine = row->name;
    }
    free(r->change);
    r->change = NULL;
    struct diag_list dl = {0};
    struct inventory *after = NULL;
    /* the model after the edit, in whichever file of the clan it lands */
    if (inventory_edit_preview_model(a->inv, &r->op, &after, NULL, &dl) < 0) {
        app_message(a, true, "cannot: %s", dl.n && dl.v[0].msg ? dl.v[0].msg : "refused");
        diag_list_free(&dl);
        return;
    }
    diag_list_free(&dl);
    struct plan *p2 = NULL;
    struct buf before = {0}, now = {0}, change = {0};
    if (inventory_plan(after, &p2, &dl) == 0) {
        edit_plan_lines(a->plan, &before);
        edit_plan_lines(p2, &now);
        missing_lines(now.p ? now.p : "", before.p ? before.p : "", '+', &change);
        missing_lines(before.p ? before.p : "", now.p ? now.p : "", '-', &change);
        if (!change.len)
            buf_puts(&change, "  no change to the backup plan\n");
    } else {
        buf_puts(&change, "  (the plan cannot be built from the result)\n");
    }
    plan_free(p2);
    inventory_free(after);
    diag_list_free(&dl);
    buf_free(&before);
    buf_free(&now);
    r->change = buf_steal(&change);
    r->pending = true;
}

static bool roles_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct roles *r = o->data;
    if (r->pending) {
        if (key == KEYSYM_ENTER || key == 'y' || key == KEYSYM_SPACE) {
            char *why = NULL;
            if (edit_apply(a, &r->op, NULL, &why) < 0)
                app_message(a, true, "not changed: %s", why ? why : "refused");
            free(why);
            roles_rebuild(r, a);
        } else {
            app_message(a, false, "not changed");
        }
        r->pending = false;
        return true;
    }
    switch (key) {
    case KEYSYM_ESC: case 'q': return false;
    case 'j': case KEYSYM_DOWN: if (r->sel + 1 < r->n) r->sel++; return true;
    case 'k': case KEYSYM_UP: if (r->sel) r->sel--; return true;
    case KEYSYM_PGDN: r->sel = r->sel + 10 < r->n ? r->sel + 10 : (r->n ? r->n - 1 : 0); return true;
    case KEYSYM_PGUP: r->sel = r->sel > 10 ? r->sel - 10 : 0; return true;
    case KEYSYM_SPACE: case KEYSYM_ENTER: case 'x':
        if (r->n)
            propose(r, a);
        return true;
    case 'u': edit_undo(a, false); roles_rebuild(r, a); return true;
    case 18: edit_undo(a, true); roles_rebuild(r, a); return true;
    default: return true;
    }
}

static void roles_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct roles *r = o->data;
    struct ui *ui = &a->ui;
    char title[200];
    snprintf(title, sizeof(title), "Roles %s %s", ui->g->dot, r->instance);
    struct rect rc = dialog_frame(ui, H, W, 30, 96, title);
    int nchange = 0;
    for (const char *p = r->pending && r->change ? r->change : ""; *p; p++)
        nchange += *p == '\n';
    int extra = r->pending ? nchange + 2 : 0;
    int rows = rc.h - 1 - extra;
    if (rows < 3)
        rows = 3;
    if (r->sel < r->top)
        r->top = r->sel;
    if (r->sel >= r->top + (size_t)rows)
        r->top = r->sel - (size_t)rows + 1;
    const struct inv_model *m = inventory_model(a->inv);
    long ii = inventory_instance_index(a->inv, r->instance);
    for (int i = 0; i < rows && r->top + (size_t)i < r->n && ii >= 0; i++) {
        const struct role_row *row = &r->rows[r->top + (size_t)i];
        char line[300];
        snprintf(line, sizeof(line), "%-8s [%s] %-7s %-22s %s", m->instances[ii].roles[row->role].name,
                 row->member ? "x" : " ", row->is_tag ? "tag" : "machine", row->name, row->note ? row->note : "");
        bool sel = r->top + (size_t)i == r->sel;
        ui_text(ui, rc.y + i, rc.x, rc.w, sel ? THEME_DIALOG_SELECTED : THEME_DIALOG_NORMAL, line);
        if (sel)
            ui_overlay_attr(ui, rc.y + i, rc.x, rc.w, THEME_DIALOG_SELECTED);
    }
    if (r->pending) {
        int y = rc.y + rows;
        char *desc = inv_op_describe(&r->op);
        char head[300];
        snprintf(head, sizeof(head), "%s: the backup plan would change:", desc ? desc : "edit");
        free(desc);
        ui_text(ui, y++, rc.x, rc.w, THEME_DETAILS_SECTION, head);
        for (const char *p = r->change; *p && y < rc.y + rc.h - 1;) {
            size_t l = strcspn(p, "\n");
            ui_textn(ui, y++, rc.x, rc.w, p[0] == '+' ? THEME_DIFF_ADD : p[0] == '-' ? THEME_DIFF_DEL : THEME_DIALOG_NORMAL, p, l);
            p += l + (p[l] == '\n');
        }
        static const char *const keys[] = {"Enter/y", "apply", "Esc/n", "drop", NULL};
        dialog_hints(ui, rc.y + rc.h - 1, rc.x, rc.w, keys);
    } else {
        static const char *const keys[] = {"Space", "toggle (shows the plan change first)", "u/C-r", "undo/redo",
                                           "Esc", "close", NULL};
        dialog_hints(ui, rc.y + rc.h - 1, rc.x, rc.w, keys);
    }
}

static void roles_free(struct overlay *o)
{
    struct roles *r = o->data;
    rows_clear(r);
    free(r->instance);
    free(r->op_role);
    free(r->change);
    free(r);
}

static const struct overlay_ops roles_ops = {"roles", roles_draw, roles_key, roles_free};

bool roles_editor_open(struct app *a)
{
    const char *inst = edit_selected_instance(a);
    const char *m = edit_selected_machine(a);
    const struct inv_model *model = inventory_model(a->inv);
    if (!inst && m) {
        const struct inv_member *mb = edit_client_member(a, m);
        if (mb)
            inst = model->instances[mb->instance].name;
    }
    for (size_t i = 0; !inst && i < model->ninstances; i++)
        if (model->instances[i].module.s && !strcmp(model->instances[i].module.s, "borgbackup"))
            inst = model->instances[i].name;
    if (!inst) {
        app_message(a, true, "select an instance first: r edits its roles");
        return false;
    }
    struct roles *r = calloc(1, sizeof(*r));
    if (!r || !(r->instance = strdup(inst))) {
        free(r);
        return false;
    }
    roles_rebuild(r, a);
    /* start on the selected machine's row */
    for (size_t i = 0; m && i < r->n; i++)
        if (!r->rows[i].is_tag && !strcmp(r->rows[i].name, m)) {
            r->sel = i;
            break;
        }
    edit_push(a, &roles_ops, r);
    return true;
}
