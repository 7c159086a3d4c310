/* The tag editor (t): every tag of the inventory as a checkbox for the selected machine,
 * the roles each tag brings a machine into, and a new tag typed in. Each toggle is one
 * undoable edit. */
#include <stdlib.h>
#include <string.h>

#include "tui/edit.h"
#include "tui/widget-dialog.h"

struct tags {
    char *machine;
    char **names;
    size_t n, sel;
    bool typing;
    struct input in;
};

static void tags_clear(struct tags *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->names[i]);
    free(t->names);
    t->names = NULL;
    t->n = 0;
}

static void add_name(struct tags *t, const char *s)
{
    if (!s || !strcmp(s, "all")) /* the built-in tag every machine has */
        return;
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->names[i], s))
            return;
    char **v = realloc(t->names, (t->n + 1) * sizeof(*v));
    if (!v)
        return;
    t->names = v;
    if ((t->names[t->n] = strdup(s)))
        t->n++;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static void tags_rebuild(struct tags *t, struct app *a)
{
    tags_clear(t);
    const struct inv_model *m = inventory_model(a->inv);
    for (size_t i = 0; i < m->nmachines; i++)
        for (size_t k = 0; k < m->machines[i].ntags; k++)
            add_name(t, m->machines[i].tags[k].s);
    for (size_t i = 0; i < m->ninstances; i++)
        for (size_t r = 0; r < m->instances[i].nroles; r++)
            for (size_t k = 0; k < m->instances[i].roles[r].ntags; k++)
                add_name(t, m->instances[i].roles[r].tags[k].name);
    qsort(t->names, t->n, sizeof(*t->names), cmp_str);
    if (t->sel >= t->n)
        t->sel = t->n ? t->n - 1 : 0;
}

static bool has_tag(struct app *a, const char *machine, const char *tag)
{
    long mi = inventory_machine_index(a->inv, machine);
    if (mi < 0)
        return false;
    const struct inv_machine *mm = &inventory_model(a->inv)->machines[mi];
    for (size_t k = 0; k < mm->ntags; k++)
        if (mm->tags[k].s && !strcmp(mm->tags[k].s, tag))
            return true;
    return false;
}

/* "borgbackup.client, sshd.server" */
static void roles_of_tag(struct app *a, const char *tag, char *buf, size_t n)
{
    const struct inv_model *m = inventory_model(a->inv);
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < m->ninstances; i++)
        for (size_t r = 0; r < m->instances[i].nroles; r++)
            for (size_t k = 0; k < m->instances[i].roles[r].ntags; k++)
                if (!strcmp(m->instances[i].roles[r].tags[k].name, tag) && o < n)
                    o += (size_t)snprintf(buf + o, n - o, "%s%s.%s", o ? ", " : "", m->instances[i].name,
                                          m->instances[i].roles[r].name);
    if (!buf[0])
        snprintf(buf, n, "no role");
}

static void toggle(struct tags *t, struct app *a, const char *tag)
{
    struct inv_op op = {.kind = has_tag(a, t->machine, tag) ? INV_OP_TAG_REMOVE : INV_OP_TAG_ADD,
                        .machine = t->machine, .tag = tag};
    char *why = NULL;
    if (edit_apply(a, &op, NULL, &why) < 0)
        app_message(a, true, "not changed: %s", why ? why : "refused");
    free(why);
    tags_rebuild(t, a);
}

static bool tags_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct tags *t = o->data;
    if (t->typing) {
        enum input_result r = input_key(&t->in, key);
        if (r == INPUT_CANCEL) {
            t->typing = false;
        } else if (r == INPUT_ENTER) {
            t->typing = false;
            if (t->in.len) {
                char *tag = strdup(t->in.buf);
                if (tag && has_tag(a, t->machine, tag))
                    app_message(a, false, "%s already has tag %s", t->machine, tag);
                else if (tag)
                    toggle(t, a, tag);
                for (size_t i = 0; tag && i < t->n; i++)
                    if (!strcmp(t->names[i], tag))
                        t->sel = i;
                free(tag);
            }
        }
        return true;
    }
    switch (key) {
    case KEYSYM_ESC: case 'q': return false;
    case 'j': case KEYSYM_DOWN: if (t->sel + 1 < t->n) t->sel++; return true;
    case 'k': case KEYSYM_UP: if (t->sel) t->sel--; return true;
    case KEYSYM_SPACE: case KEYSYM_ENTER: case 'x':
        if (t->n)
            toggle(t, a, t->names[t->sel]);
        return true;
    case 'n': case 'a': t->typing = true; input_set(&t->in, ""); return true;
    case 'u': edit_undo(a, false); tags_rebuild(t, a); return true;
    case 18: edit_undo(a, true); tags_rebuild(t, a); return true;
    default: return true;
    }
}

static void tags_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct tags *t = o->data;
    struct ui *ui = &a->ui;
    char title[200];
    snprintf(title, sizeof(title), "Tags %s %s", ui->g->dot, t->machine);
    struct rect r = dialog_frame(ui, H, W, (int)t->n + 7, 80, title);
    int rows = r.h - 3, top = (int)t->sel >= rows ? (int)t->sel - rows + 1 : 0;
    for (int i = 0; i < rows && (size_t)(top + i) < t->n; i++) {
        const char *name = t->names[top + i];
        char line[300], roles[200];
        roles_of_tag(a, name, roles, sizeof(roles));
        snprintf(line, sizeof(line), "[%s] %-20s %s", has_tag(a, t->machine, name) ? "x" : " ", name, roles);
        bool sel = (size_t)(top + i) == t->sel && !t->typing;
        ui_text(ui, r.y + i, r.x, r.w, sel ? THEME_DIALOG_SELECTED : THEME_DIALOG_NORMAL, line);
        if (sel)
            ui_overlay_attr(ui, r.y + i, r.x, r.w, THEME_DIALOG_SELECTED);
    }
    if (!t->n)
        ui_text(ui, r.y, r.x, r.w, THEME_UI_DIM, "no tags yet: n adds one");
    if (t->typing) {
        input_draw(ui, r.y + r.h - 2, r.x, r.w, THEME_INPUT_PROMPT, "new tag: ", &t->in);
        curs_set(1);
    } else {
        ui_text(ui, r.y + r.h - 2, r.x, r.w, THEME_UI_DIM, "[x]: the machine has the tag; right: the roles it brings the machine into");
    }
    static const char *const keys[] = {"Space", "toggle", "n", "new tag", "u/C-r", "undo/redo", "Esc", "close", NULL};
    dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
}

static void tags_free(struct overlay *o)
{
    struct tags *t = o->data;
    tags_clear(t);
    free(t->machine);
    free(t);
}

static const struct overlay_ops tags_ops = {"tags", tags_draw, tags_key, tags_free};

bool tags_editor_open(struct app *a)
{
    const char *m = edit_selected_machine(a);
    if (!m) {
        app_message(a, true, "select a machine first: t edits its tags");
        return false;
    }
    struct tags *t = calloc(1, sizeof(*t));
    if (!t || !(t->machine = strdup(m))) {
        free(t);
        return false;
    }
    tags_rebuild(t, a);
    edit_push(a, &tags_ops, t);
    return true;
}
