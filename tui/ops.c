/* Shared parts of the operating views: options, the frame, scrolling lines, y/N questions. */
#include "tui/ops.h"

#include "core/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/app.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/lazylib.h"
#include "tui/view-restore.h"
#include "tui/view-tree.h"
#include "tui/widget-dialog.h"

/* ---- options ---- */

void ops_usage_options(FILE *f)
{
    fputs("  --units-dir DIR    where the units view (U) writes (default: units/ in the clan\n"
          "                     directory)\n"
          "  --script-dir DIR   the units' script directory on the target (default\n"
          "                     /usr/local/lib/clan-borgbackup)\n"
          "  --secrets DIR      the keys view (K) shows and writes the plain secrets directory\n"
          "                     of keygen --secrets DIR (default: Clan's sops vars)\n"
          "  --journal-dir DIR  the journal view (J) reads the journal files in DIR\n"
          "  --journal-file F   the journal view reads journal file F (repeatable)\n"
          "  --identity KEY     SSH key for remote journals, backups and restore (X)\n"
          "                     (default: the agent, ~/.ssh/id_*)\n"
          "  --known-hosts F    known_hosts file for remote journals and backups (default\n"
          "                     ~/.ssh/known_hosts)\n"
          "  --status-every S   ask every machine for its backup status every S seconds (the\n"
          "                     backups view B and the tree's marks; default: only on r in B)\n"
          "  --ssh-timeout S    seconds to connect, and for a status to answer (default 10\n"
          "                     and 60)\n",
          f);
}

int ops_parse_option(int argc, char **argv, int *i, const char *cmd, struct ops_options *o)
{
    static const char *const names[] = {"--units-dir", "--secrets", "--journal-dir",
                                        "--journal-file", "--identity", "--known-hosts",
                                        "--script-dir", "--status-every", "--ssh-timeout"};
    const char *s = argv[*i];
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        size_t n = strlen(names[k]);
        if (strncmp(s, names[k], n) || (s[n] && s[n] != '='))
            continue;
        const char *val;
        if (s[n] == '=')
            val = s + n + 1;
        else if (*i + 1 < argc)
            val = argv[++*i];
        else
            return cli_usage_error(cmd, "option '%s' needs a value", s), 2;
        if (!*val)
            return cli_usage_error(cmd, "option '%s' needs a non-empty value", names[k]), 2;
        switch (k) {
        case 0: o->units_dir = val; break;
        case 1: o->secrets_dir = val; break;
        case 2: o->journal_dir = val; break;
        case 3:
            if (o->njournal_files == OPS_MAX_JOURNAL_FILES)
                return cli_usage_error(cmd, "at most %d --journal-file options; use --journal-dir",
                                       OPS_MAX_JOURNAL_FILES), 2;
            o->journal_files[o->njournal_files++] = val;
            break;
        case 4: o->identity = val; break;
        case 5: o->known_hosts = val; break;
        case 7:
        case 8: {
            char *end;
            unsigned long v = strtoul(val, &end, 10);
            if (*end || v == 0 || v > 86400)
                return cli_usage_error(cmd, "invalid %s '%s': expected seconds (1 to 86400)", names[k], val), 2;
            *(k == 7 ? &o->status_every : &o->ssh_timeout) = (unsigned)v;
            break;
        }
        case 6: o->script_dir = val; break;
        default: break;
        }
        if (o->journal_dir && o->njournal_files)
            return cli_usage_error(cmd, "choose --journal-dir or --journal-file, not both"), 2;
        return 1;
    }
    return 0;
}

bool ops_action(struct app *a, enum action act)
{
    bool (*open)(struct app *) = NULL;
    unsigned libs = 0; /* loaded before the view opens (tui/lazylib.h) */
    switch (act) {
    case ACT_VIEW_UNITS: open = units_view_open; break;
    case ACT_VIEW_KEYS:
        open = keys_view_open;
        libs = LAZYLIB_BIT(LAZYLIB_SSH) | LAZYLIB_BIT(LAZYLIB_CRYPTO);
        break;
    case ACT_VIEW_JOURNAL:
        open = journal_view_open;
        libs = LAZYLIB_BIT(LAZYLIB_SYSTEMD) | LAZYLIB_BIT(LAZYLIB_SSH);
        break;
    case ACT_SCHEDULE_MAP: open = map_view_open; break;
    case ACT_VIEW_BACKUPS: open = backups_view_open; libs = LAZYLIB_BIT(LAZYLIB_SSH); break;
    case ACT_RESTORE: open = restore_view_open_selected; libs = LAZYLIB_BIT(LAZYLIB_SSH); break;
    default: return false;
    }
    if (!a->inv || !a->plan) {
        app_message(a, true, "no backup plan: the file has errors (] goes to them)");
        return true;
    }
    char err[512];
    if (lazylib_require(libs, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return true;
    }
    open(a);
    return true;
}

/* ---- selection ---- */

const char *ops_selected_machine(struct app *a, long *job)
{
    *job = -1;
    if (a->tree && a->plan) {
        for (const struct tnode *n = view_tree_selected(a->tree); n; n = n->parent) {
            if (n->kind == TK_JOB && (size_t)n->a < a->plan->nmachines) {
                *job = n->b;
                return a->plan->machines[n->a].name;
            }
        }
    }
    return edit_selected_machine(a);
}

/* ---- lines ---- */

int olines_add(struct olines *l, enum theme_role role, const char *fmt, ...)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        struct oline *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    l->v[l->n++] = (struct oline){s, role};
    return 0;
}

void olines_clear(struct olines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
    *l = (struct olines){0};
}

static void clamp(struct olines *l, int h)
{
    if (l->sel >= l->n)
        l->sel = l->n ? l->n - 1 : 0;
    if (h <= 0)
        return;
    l->top = ui_scroll_top(l->top, l->sel, l->n, h, l->jump);
    l->jump = false;
}

void olines_draw(struct olines *l, struct app *a, int y, int x, int h, int w, bool select)
{
    clamp(l, h);
    for (int r = 0; r < h && l->top + (size_t)r < l->n; r++) {
        const struct oline *o = &l->v[l->top + (size_t)r];
        ui_text(&a->ui, y + r, x, w, o->role, o->text);
        if (select && l->top + (size_t)r == l->sel)
            ui_overlay_attr(&a->ui, y + r, x, w, THEME_TREE_SELECTED);
    }
}

bool ops_move(struct app *a, uint32_t key, size_t *sel, size_t n, int page)
{
    size_t p = page > 1 ? (size_t)page - 1 : 1;
    switch (bindings_lookup(&a->keys, key)) {
    case ACT_MOVE_DOWN: if (*sel + 1 < n) ++*sel; break;
    case ACT_MOVE_UP: if (*sel) --*sel; break;
    case ACT_PAGE_DOWN: *sel = *sel + p < n ? *sel + p : n ? n - 1 : 0; break;
    case ACT_PAGE_UP: *sel = *sel > p ? *sel - p : 0; break;
    case ACT_MOVE_FIRST: *sel = 0; break;
    case ACT_MOVE_LAST: *sel = n ? n - 1 : 0; break;
    default: return false;
    }
    return true;
}

bool olines_key(struct olines *l, struct app *a, uint32_t key, int page)
{
    return ops_move(a, key, &l->sel, l->n, page);
}

bool olines_search(struct olines *l, const char *q, int dir, bool skip)
{
    if (!l->n || !q || !*q)
        return false;
    size_t i = l->sel;
    for (size_t k = 0; k < l->n; k++) {
        if (k || skip)
            i = dir > 0 ? (i + 1) % l->n : (i + l->n - 1) % l->n;
        if (strcasestr(l->v[i].text, q)) {
            l->sel = i;
            l->jump = true;
            return true;
        }
    }
    return false;
}

/* ---- frame ---- */

struct orect ops_frame(struct app *a, int H, int W, const char *title)
{
    int h = H - 3;
    for (int r = 0; r < h; r++)
        ui_fill(&a->ui, 1 + r, 0, W, THEME_UI_NORMAL);
    ui_box(&a->ui, 1, 0, h, W, THEME_UI_BORDER_FOCUS, THEME_UI_TITLE_FOCUS, title);
    return (struct orect){2, 1, h - 2, W - 2};
}

void ops_bottom(struct app *a, int H, int W, const char *status, bool error,
                const char *const *hints)
{
    struct ui *ui = &a->ui;
    ui_fill(ui, H - 2, 0, W, THEME_STATUS_NORMAL);
    int c = 1;
    if (status) /* the view's state first (a journal's connection), then the last message */
        c += ui_text(ui, H - 2, c, W - c - 1, error ? THEME_STATUS_ERROR : THEME_STATUS_NORMAL, status);
    if (a->message[0] && c + 3 < W)
        ui_text(ui, H - 2, c + 2, W - c - 3, a->message_error ? THEME_STATUS_ERROR : THEME_STATUS_INFO,
                a->message);
    ui_fill(ui, H - 1, 0, W, THEME_HINT_TEXT);
    c = 1;
    for (; hints && hints[0] && hints[1]; hints += 2) {
        int need = ui_width(ui, hints[0]) + 1 + ui_width(ui, hints[1]) + 2;
        if (c + need > W)
            break;
        c += ui_text(ui, H - 1, c, W - c, THEME_HINT_KEY, hints[0]);
        c += ui_text(ui, H - 1, c, W - c, THEME_HINT_TEXT, " ");
        c += ui_text(ui, H - 1, c, W - c, THEME_HINT_TEXT, hints[1]);
        c += 2;
    }
}

/* ---- y/N ---- */

struct confirm {
    char *title, *text;
    void (*yes)(struct app *a, void *data);
    void *data;
    void (*free_data)(void *);
};

static void confirm_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct confirm *c = o->data;
    int lines = 1;
    for (const char *p = c->text; *p; p++)
        lines += *p == '\n';
    struct rect r = dialog_frame(&a->ui, H, W, lines + 4, 96, c->title);
    int y = r.y;
    for (const char *p = c->text; y < r.y + r.h - 1;) {
        size_t l = strcspn(p, "\n");
        ui_textn(&a->ui, y++, r.x, r.w, THEME_DIALOG_NORMAL, p, l);
        if (!p[l])
            break;
        p += l + 1;
    }
    static const char *const hints[] = {"y", "yes", "n/Esc/Enter", "no (default)", NULL};
    static const char *const info_hints[] = {"Enter/Esc", "close", NULL};
    dialog_hints(&a->ui, r.y + r.h - 1, r.x, r.w, c->yes ? hints : info_hints);
}

static bool confirm_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct confirm *c = o->data;
    if (!c->yes)
        return false; /* ops_info: any key closes it */
    if (key == 'y' || key == 'Y') {
        void (*yes)(struct app *, void *) = c->yes;
        void *data = c->data;
        void (*fd)(void *) = c->free_data;
        c->data = NULL;
        edit_pop(a); /* first: the answer may open another overlay */
        yes(a, data);
        if (fd)
            fd(data);
        return true;
    }
    app_message(a, false, "cancelled: nothing written");
    return false;
}

static void confirm_free(struct overlay *o)
{
    struct confirm *c = o->data;
    if (c->data && c->free_data)
        c->free_data(c->data);
    free(c->title);
    free(c->text);
    free(c);
}

static const struct overlay_ops confirm_ops = {"confirm", confirm_draw, confirm_key, confirm_free};

void ops_confirm(struct app *a, const char *title, const char *text,
                 void (*yes)(struct app *a, void *data), void *data, void (*free_data)(void *))
{
    struct confirm *c = calloc(1, sizeof(*c));
    if (c) {
        c->title = strdup(title);
        c->text = strdup(text);
    }
    if (!c || !c->title || !c->text) {
        if (c) {
            free(c->title);
            free(c->text);
            free(c);
        }
        if (data && free_data)
            free_data(data);
        app_message(a, true, "out of memory");
        return;
    }
    c->yes = yes;
    c->data = data;
    c->free_data = free_data;
    edit_push(a, &confirm_ops, c);
}

void ops_info(struct app *a, const char *title, const char *text)
{
    /* words wrapped at 70 columns: the dialog's inside on an 80-column terminal */
    struct buf b = {0};
    size_t col = 0;
    for (const char *p = text; *p;) {
        size_t w = strcspn(p, " \n");
        if (col && col + 1 + w > 70) {
            buf_putc(&b, '\n');
            col = 0;
        } else if (col) {
            buf_putc(&b, ' ');
            col++;
        }
        buf_append(&b, p, w);
        col += w;
        p += w;
        if (*p == '\n')
            col = 0, buf_putc(&b, '\n');
        if (*p)
            p++;
    }
    if (b.p)
        ops_confirm(a, title, b.p, NULL, NULL, NULL);
    buf_free(&b);
}

/* ---- search ---- */

bool olines_find(void *ctx, const char *q, int dir, bool skip)
{
    return olines_search(ctx, q, dir, skip);
}

bool ops_search_key(struct app *a, struct ops_search *s, uint32_t key, ops_find_fn find, void *ctx)
{
    if (s->open) {
        enum input_result r = input_key(&s->in, key);
        if (r == INPUT_CANCEL) {
            s->open = false;
        } else if (r == INPUT_ENTER) {
            s->open = false;
            if (s->in.len)
                snprintf(s->last, sizeof(s->last), "%s", s->in.buf);
            if (s->last[0] && !find(ctx, s->last, 1, false))
                app_message(a, true, "not found: %s", s->last);
        }
        return true;
    }
    enum action act = bindings_lookup(&a->keys, key);
    if (act == ACT_SEARCH) {
        s->open = true;
        input_set(&s->in, "");
        return true;
    }
    if (act == ACT_SEARCH_NEXT || act == ACT_SEARCH_PREV) {
        if (!s->last[0])
            app_message(a, true, "no search yet: press / and type");
        else if (!find(ctx, s->last, act == ACT_SEARCH_NEXT ? 1 : -1, true))
            app_message(a, true, "not found: %s", s->last);
        else
            app_message(a, false, "/%s", s->last);
        return true;
    }
    return false;
}

void ops_search_draw(struct app *a, const struct ops_search *s, int H, int W)
{
    if (!s->open)
        return;
    input_draw(&a->ui, H - 2, 0, W, THEME_INPUT_PROMPT, "/", &s->in);
    curs_set(1);
}
