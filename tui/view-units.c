/* The units view (U): what core/units renders for the selected machine -- service, timer,
 * scripts, exclude files, the server's authorized_keys -- each file marked new, changed or
 * unchanged against the output directory, a diff mode, and a write after y (default No).
 * It opens on a summary of the files (state, mode, path); Enter there goes to the file,
 * Enter in a file back to its summary row. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"
#include "core/util.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/ops.h"

struct units_view {
    struct app *app;
    char *machine;
    char *root;   /* the output directory */
    char *title;
    struct units_machine *um;
    struct olines lines;
    bool diff;    /* show the diff against the output directory instead of the files */
    size_t *header; /* files mode: the line of each file's header (um->nfiles) */
    size_t summary; /* files mode: the line of the first file's summary row */
    size_t nnew, nchanged, nsame;
    char status[256];
    bool status_error;
    int page;
    struct ops_search search;
};

static char *units_root(struct app *a)
{
    if (a->opt.ops.units_dir)
        return strdup(a->opt.ops.units_dir);
    char *dir = cli_clan_dir(a->inv), *r = NULL;
    if (dir && asprintf(&r, "%s/units", dir) < 0)
        r = NULL;
    free(dir);
    return r;
}

/* new / changed / unchanged of one file under root/<machine>/. */
static const char *file_state(const struct units_view *u, const struct units_file *f)
{
    char *path = NULL;
    if (asprintf(&path, "%s/%s/%s", u->root, u->machine, f->path) < 0)
        return "?";
    char *old = NULL;
    size_t len = 0;
    struct diag d = {0};
    const char *s;
    if (file_read(path, &old, &len, NULL, &d) < 0)
        s = "new";
    else
        s = len == f->len && !memcmp(old, f->content, len) ? "unchanged" : "changed";
    diag_clear(&d);
    free(old);
    free(path);
    return s;
}

static void fill_lines(struct units_view *u)
{
    olines_clear(&u->lines);
    u->nnew = u->nchanged = u->nsame = 0;
    struct olines *l = &u->lines;
    for (size_t i = 0; i < u->um->notes.n; i++) {
        const struct diag *n = &u->um->notes.v[i];
        olines_add(l, n->severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING, "%s: %s",
                   diag_severity_name(n->severity), n->msg ? n->msg : "");
    }
    for (size_t i = 0; i < u->um->nfiles; i++) {
        const char *s = file_state(u, &u->um->files[i]);
        u->nnew += s[0] == 'n';
        u->nchanged += s[0] == 'c';
        u->nsame += s[0] == 'u';
    }
    if (u->diff) {
        struct buf b = {0};
        struct diag d = {0};
        if (units_write(u->um, u->root, true, &b, NULL, &d) < 0)
            olines_add(l, THEME_DIAG_ERROR, "error: %s", d.msg ? d.msg : "cannot compare");
        else if (!b.len)
            olines_add(l, THEME_DETAILS_DEFAULT, "no differences: %s/%s/ is up to date", u->root,
                       u->machine);
        for (const char *p = b.p; p && *p;) {
            size_t n = strcspn(p, "\n");
            enum theme_role role = !strncmp(p, "+++", 3) || !strncmp(p, "---", 3) ? THEME_DETAILS_SECTION
                                   : p[0] == '+' ? THEME_DIFF_ADD : p[0] == '-' ? THEME_DIFF_DEL
                                   : p[0] == '@' ? THEME_DIFF_HUNK : THEME_UI_NORMAL;
            olines_add(l, role, "%.*s", (int)n, p);
            p += n + (p[n] == '\n');
        }
        buf_free(&b);
        diag_clear(&d);
    } else {
        free(u->header);
        u->header = calloc(u->um->nfiles + 1, sizeof(*u->header));
        olines_add(l, THEME_DETAILS_SECTION, "%zu file%s for %s/%s/ (Enter: go to the file)",
                   u->um->nfiles, u->um->nfiles == 1 ? "" : "s", u->root, u->machine);
        u->summary = l->n;
        for (size_t i = 0; i < u->um->nfiles; i++) {
            const struct units_file *f = &u->um->files[i];
            olines_add(l, THEME_DETAILS_VALUE, "  %-9s  %04o  /%s", file_state(u, f),
                       (unsigned)f->mode, f->path);
        }
        olines_add(l, THEME_UI_NORMAL, "%s", "");
        for (size_t i = 0; i < u->um->nfiles; i++) {
            const struct units_file *f = &u->um->files[i];
            if (u->header)
                u->header[i] = l->n;
            olines_add(l, THEME_DETAILS_SECTION, "── /%s  %04o  %s", f->path, (unsigned)f->mode,
                       file_state(u, f));
            for (const char *p = f->content; p < f->content + f->len;) {
                size_t n = strcspn(p, "\n");
                olines_add(l, THEME_DETAILS_SCRIPT, "  %.*s", (int)n, p);
                p += n + (p[n] == '\n');
            }
        }
    }
    char **stale = NULL;
    size_t nstale = 0;
    struct diag d = {0};
    if (units_stale(u->um, u->root, &stale, &nstale, &d) == 0)
        for (size_t i = 0; i < nstale; i++)
            olines_add(l, THEME_DIAG_NOTE, "note: %s/%s/%s is not rendered any more (left alone)",
                       u->root, u->machine, stale[i]);
    units_paths_free(stale, nstale);
    diag_clear(&d);
    snprintf(u->status, sizeof(u->status), "%zu file%s: %zu new, %zu changed, %zu unchanged",
             u->um->nfiles, u->um->nfiles == 1 ? "" : "s", u->nnew, u->nchanged, u->nsame);
    u->status_error = false;
}

static void units_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct units_view *u = o->data;
    struct orect r = ops_frame(a, H, W, u->title);
    u->page = r.h;
    olines_draw(&u->lines, a, r.y, r.x, r.h, r.w, true);
    static const char *const hints[] = {"j/k", "scroll", "Enter", "file/list", "d", "diff/files",
                                        "w", "write", "/", "search", "Esc", "close", NULL};
    ops_bottom(a, H, W, u->status, u->status_error, hints);
    ops_search_draw(a, &u->search, H, W);
}

static void do_write(struct app *a, void *data)
{
    struct units_view *u = data;
    struct units_write_stats st = {0};
    struct diag d = {0};
    char *dir = NULL;
    if (asprintf(&dir, "%s/%s", u->root, u->machine) < 0 || mkdir_parents(dir, 0755, &d) < 0 ||
        units_write(u->um, u->root, false, NULL, &st, &d) < 0) {
        app_message(a, true, "not written: %s", d.msg ? d.msg : "out of memory");
    } else {
        app_message(a, false, "wrote %zu file%s to %s/ (%zu unchanged)", st.written,
                    st.written == 1 ? "" : "s", dir, st.unchanged);
    }
    free(dir);
    diag_clear(&d);
    fill_lines(u);
}

/* Enter: on a summary row, to that file's header (placed on top, its contents below); in a
 * file, back to its summary row. */
static void units_enter(struct units_view *u)
{
    struct olines *l = &u->lines;
    size_t n = u->um->nfiles;
    if (l->sel >= u->summary && l->sel < u->summary + n) {
        l->sel = u->header[l->sel - u->summary];
        l->jump = true;
        return;
    }
    for (size_t i = n; i-- > 0;)
        if (l->sel >= u->header[i]) {
            l->sel = u->summary + i;
            l->top = 0; /* the list from its top, scrolled only as far as the row needs */
            return;
        }
}

static bool units_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct units_view *u = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &u->search, key, olines_find, &u->lines))
        return true;
    if (key == 'd') {
        u->diff = !u->diff;
        u->lines.sel = u->lines.top = 0;
        fill_lines(u);
        if (!u->diff)
            u->lines.sel = u->summary; /* on the first file's row, ready for Enter */
        return true;
    }
    if (key == 'w') {
        if (!app_may_write(a, "writing units"))
            return true;
        if (!u->nnew && !u->nchanged) {
            app_message(a, false, "nothing to write: %s/%s/ is up to date", u->root, u->machine);
            return true;
        }
        char *text = NULL;
        if (asprintf(&text, "Write %zu new and %zu changed file%s of %s into\n%s/%s/ ?\n"
                            "(%zu unchanged files are not touched; files are replaced atomically)",
                     u->nnew, u->nchanged, u->nnew + u->nchanged == 1 ? "" : "s", u->machine,
                     u->root, u->machine, u->nsame) >= 0) {
            ops_confirm(a, "Write units", text, do_write, u, NULL);
            free(text);
        }
        return true;
    }
    if (key == 'q' || key == KEYSYM_ESC)
        return false;
    if (bindings_lookup(&a->keys, key) == ACT_ENTER && !u->diff && u->header)
        return units_enter(u), true;
    olines_key(&u->lines, a, key, u->page);
    return true;
}

static void units_free(struct overlay *o)
{
    struct units_view *u = o->data;
    units_machine_free(u->um);
    olines_clear(&u->lines);
    free(u->header);
    free(u->machine);
    free(u->root);
    free(u->title);
    free(u);
}

static const struct overlay_ops units_ops = {"units", units_draw, units_key, units_free};

bool units_view_open(struct app *a)
{
    long job;
    const char *m = ops_selected_machine(a, &job);
    if (!m) {
        app_message(a, true, "select a machine first: U shows its units");
        return false;
    }
    const struct plan_machine *pm = plan_find_machine(a->plan, m);
    if (!pm || (!pm->njobs && !pm->is_server)) {
        app_message(a, true, "%s gets no units: %s", m,
                    pm && pm->no_jobs_reason ? pm->no_jobs_reason : "it is neither a client with jobs nor a backup server");
        return false;
    }
    struct units_view *u = calloc(1, sizeof(*u));
    char *dir = cli_clan_dir(a->inv), *base = strdup(app_edit_file(a));
    struct units_options uo = {.clan_dir = dir, .script_dir = a->opt.ops.script_dir, .source = base ? strrchr(base, '/') ? strrchr(base, '/') + 1 : base : NULL};
    struct diag d = {0};
    if (!u || !(u->machine = strdup(m)) || !(u->root = units_root(a)) ||
        units_render_machine(a->plan, pm, &uo, &u->um, &d) < 0) {
        app_message(a, true, "cannot render the units of %s: %s", m, d.msg ? d.msg : "out of memory");
        if (u) {
            free(u->machine);
            free(u->root);
            free(u);
        }
        diag_clear(&d);
        free(dir);
        free(base);
        return false;
    }
    free(dir);
    free(base);
    u->app = a;
    if (asprintf(&u->title, "Units · %s → %s/%s/", m, u->root, m) < 0)
        u->title = NULL;
    fill_lines(u);
    u->lines.sel = u->summary; /* on the first file's row, ready for Enter */
    edit_push(a, &units_ops, u);
    return true;
}
