/* The help overlay: every action with its current keys, generated from tui/actions.h and
 * the live bindings, so it cannot drift from what the keys do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"

struct help {
    size_t top;
    size_t n; /* lines at the last draw */
};

/* Line i of the help text: a heading, a blank, or an action. Returns false past the end. */
static bool help_line(struct app *a, size_t i, const char **group, enum action *act)
{
    /* layout: intro, blank, then per group: heading, actions, blank */
    size_t k = 0;
    *group = NULL;
    *act = ACT_NONE;
    if (i == k++) {
        *group = "";
        return true;
    }
    for (size_t r = 0; r < action_nrows; r++) {
        if (action_rows[r].group) {
            if (r && i == k++)
                return true; /* blank before a heading */
            if (i == k++) {
                *group = action_rows[r].group;
                return true;
            }
        } else if (i == k++) {
            *act = action_rows[r].act;
            return true;
        }
    }
    (void)a;
    return false;
}

static size_t help_count(struct app *a)
{
    size_t n = 0;
    const char *g;
    enum action act;
    while (help_line(a, n, &g, &act))
        n++;
    return n;
}

static void help_draw(struct view *v, struct app *a, int y, int x, int h, int w, bool focused)
{
    (void)focused;
    struct help *hp = v->data;
    struct ui *ui = &a->ui;
    hp->n = help_count(a);
    v->height = h;
    if (hp->n > (size_t)h && hp->top > hp->n - (size_t)h)
        hp->top = hp->n - (size_t)h;
    if (hp->n <= (size_t)h)
        hp->top = 0;
    int keyw = w >= 70 ? 20 : w >= 50 ? 14 : 10;
    int namew = w >= 70 ? 15 : 0;
    for (int r = 0; r < h; r++) {
        ui_fill(ui, y + r, x, w, THEME_DIALOG_NORMAL);
        const char *group;
        enum action act;
        if (!help_line(a, hp->top + (size_t)r, &group, &act))
            continue;
        if (group && !*group) {
            ui_text(ui, y + r, x + 1, w - 2, THEME_DIALOG_NORMAL,
                    "Keys can be rebound in ~/.config/clan-tui/config.yaml (keymap:). Esc closes.");
        } else if (group) {
            ui_text(ui, y + r, x + 1, w - 2, THEME_DIALOG_TITLE, group);
        } else if (act != ACT_NONE) {
            char keys[96];
            bindings_describe(&a->keys, act, keys, sizeof(keys));
            int col = x + 2;
            int used = ui_text(ui, y + r, col, w - 3, THEME_DIALOG_KEY, keys);
            col += used < keyw ? keyw : used + 1;
            if (namew && col < x + w - 1) {
                int nu = ui_text(ui, y + r, col, x + w - 1 - col, THEME_DIALOG_NORMAL, action_table[act].name);
                col += nu < namew ? namew : nu + 1;
            }
            if (col < x + w - 1)
                ui_text(ui, y + r, col, x + w - 1 - col, THEME_DIALOG_NORMAL, action_table[act].help);
        }
    }
}

static bool help_action(struct view *v, struct app *a, enum action act)
{
    struct help *hp = v->data;
    size_t page = v->height > 1 ? (size_t)v->height - 1 : 1;
    size_t max = hp->n > (size_t)v->height ? hp->n - (size_t)v->height : 0;
    switch (act) {
    case ACT_MOVE_DOWN: hp->top = hp->top < max ? hp->top + 1 : max; break;
    case ACT_MOVE_UP: hp->top = hp->top ? hp->top - 1 : 0; break;
    case ACT_MOVE_FIRST: hp->top = 0; break;
    case ACT_MOVE_LAST: hp->top = max; break;
    case ACT_PAGE_DOWN: hp->top = hp->top + page < max ? hp->top + page : max; break;
    case ACT_PAGE_UP: hp->top = hp->top > page ? hp->top - page : 0; break;
    case ACT_BACK:
    case ACT_HELP:
    case ACT_QUIT:
        a->help_open = false;
        break;
    default:
        return false;
    }
    app_set_dirty(a);
    return true;
}

static bool help_search(struct view *v, struct app *a, const char *q, int dir, bool skip)
{
    struct help *hp = v->data;
    size_t n = help_count(a);
    for (size_t k = skip ? 1 : 0; k <= n; k++) {
        size_t i = dir > 0 ? (hp->top + k) % n : (hp->top + n - k % n) % n;
        const char *group;
        enum action act;
        help_line(a, i, &group, &act);
        char keys[96] = "";
        if (act != ACT_NONE)
            bindings_describe(&a->keys, act, keys, sizeof(keys));
        if ((group && strcasestr(group, q)) ||
            (act != ACT_NONE && (strcasestr(action_table[act].name, q) ||
                                 strcasestr(action_table[act].help, q) || strcasestr(keys, q)))) {
            hp->top = i;
            app_set_dirty(a);
            return true;
        }
    }
    return false;
}

static const char *help_title(struct view *v, struct app *a)
{
    (void)v;
    (void)a;
    return "Help";
}

static void help_position(struct view *v, char *buf, size_t n)
{
    struct help *hp = v->data;
    snprintf(buf, n, "%zu/%zu", hp->top + 1, hp->n);
}

static void help_free(struct view *v)
{
    free(v->data);
}

static const struct view_ops help_ops = {
    .name = "help",
    .draw = help_draw,
    .action = help_action,
    .search = help_search,
    .title = help_title,
    .position = help_position,
    .free = help_free,
};

struct view *view_help_new(struct app *a)
{
    (void)a;
    struct view *v = calloc(1, sizeof(*v));
    struct help *h = calloc(1, sizeof(*h));
    if (!v || !h) {
        free(v);
        free(h);
        return NULL;
    }
    v->ops = &help_ops;
    v->data = h;
    return v;
}

void view_free(struct view *v)
{
    if (!v)
        return;
    if (v->ops && v->ops->free)
        v->ops->free(v);
    free(v);
}
