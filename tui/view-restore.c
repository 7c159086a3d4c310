/* The restore flow (X): an overlay that asks the machine for its archives (BACKUPS_LIST),
 * lets the operator pick one, then the states (all or some), shows exactly what will run --
 * on which host, each state's preRestoreCommand, borgbackup-restore and postRestoreCommand
 * as the command lines sent (backups_restore_command), the folders overwritten -- and on y
 * runs the restore (BACKUPS_RESTORE) with its output live. A failing step stops its state
 * with its output shown; the other states go on, as `clan backups restore` does. The SSH
 * operations are driven by the app's poll loop (their fd and timeout), never blocking. */
#include "tui/view-restore.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/backups.h"
#include "core/journal.h"
#include "core/units.h"
#include "tui/app.h"
#include "tui/edit.h"
#include "tui/ops.h"

enum rstage {
    R_LISTING,   /* borgbackup-list runs */
    R_ARCHIVES,  /* pick an archive */
    R_STATES,    /* pick the states */
    R_CONFIRM,   /* what will run; y runs it */
    R_RUNNING,   /* the restore runs */
    R_ENDED,     /* the list failed, or the restore ended (ok or not) */
};

struct rstate {
    char *name;
    char **folders;
    size_t nfolders;
    char *pre, *post;   /* the hook commands, or NULL */
    bool on_machine;    /* folders evaluated on the machine: cannot be restored from here */
    bool chosen;
};

struct rview {
    struct app *app;
    char *machine, *target, *title;
    struct rstate *states;
    size_t nstates;
    struct backups_op *op;
    int fd, timer;
    short events;
    enum rstage stage;
    struct backups_archive *archives; /* taken from the list op */
    size_t narchives;
    char *details;      /* why some archives lack time and size */
    size_t asel, atop, ssel, stop;
    size_t archive;     /* the picked one */
    struct olines lines; /* the confirmation, then the run's output */
    bool follow;        /* the run's newest line stays in view */
    size_t shown_top;   /* the line drawn on the first row */
    bool confirm_ok;    /* the confirmation could build every command line */
    struct buf partial[2]; /* a started line of stdout, stderr */
    char *error;        /* the list's or the restore's failure */
    bool restored;
    int page;
};

static void on_fd(struct app *a, int fd, short revents, void *data);
static void on_timer(struct app *a, void *data);

/* Watch what the op waits for now (one machine: one descriptor at most). */
static void rearm(struct rview *v)
{
    struct app *a = v->app;
    struct pollfd p = {.fd = -1};
    bool live = v->op && !backups_op_done(v->op);
    if (live && backups_op_nfds(v->op) == 1)
        backups_op_fill(v->op, &p);
    if (v->fd >= 0 && (p.fd != v->fd || p.events != v->events))
        app_unwatch_fd(a, v->fd);
    if (p.fd >= 0 && (p.fd != v->fd || p.events != v->events))
        app_watch_fd(a, p.fd, p.events ? p.events : POLLIN, on_fd, v);
    v->fd = p.fd;
    v->events = p.events;
    if (v->timer)
        app_timer_cancel(a, v->timer);
    v->timer = 0;
    int t = live ? backups_op_timeout_ms(v->op) : -1;
    if (t >= 0)
        v->timer = app_timer_add(a, (unsigned)t, on_timer, v);
}

/* The list op ended: keep its archives, or its failure. */
static void list_ended(struct rview *v)
{
    const struct backups_machine *m = backups_op_machine(v->op, 0);
    if (m->state == BACKUPS_DONE) {
        backups_op_take_archives(v->op, 0, &v->archives, &v->narchives);
        v->details = m->details_error ? strdup(m->details_error) : NULL;
        v->asel = 0;
        v->stage = R_ARCHIVES;
    } else {
        v->error = strdup(m->error ? m->error : "borgbackup-list failed");
        v->stage = R_ENDED;
    }
    backups_op_free(v->op);
    v->op = NULL;
}

static void process(struct rview *v, const struct pollfd *p, size_t n)
{
    if (v->op && backups_op_process(v->op, p, n) < 0 && !v->error)
        v->error = strdup("out of memory");
    if (v->op && v->stage == R_LISTING && backups_op_done(v->op))
        list_ended(v);
    rearm(v);
    app_set_dirty(v->app);
}

static void on_fd(struct app *a, int fd, short revents, void *data)
{
    (void)a;
    struct pollfd p = {.fd = fd, .events = ((struct rview *)data)->events, .revents = revents};
    process(data, &p, 1);
}

static void on_timer(struct app *a, void *data)
{
    (void)a;
    struct rview *v = data;
    v->timer = 0;
    process(v, NULL, 0);
}

/* ---- the run's output, line by line, terminal-safe ---- */

static void add_text(struct rview *v, enum theme_role role, const char *s, size_t len)
{
    struct buf b = {0};
    journal_sanitize(s, len, false, &b);
    olines_add(&v->lines, role, "%s", b.p ? b.p : "");
    buf_free(&b);
}

static void flush_partial(struct rview *v)
{
    for (int k = 0; k < 2; k++)
        if (v->partial[k].len) {
            add_text(v, k ? THEME_DIAG_WARNING : THEME_UI_NORMAL, v->partial[k].p,
                     v->partial[k].len);
            buf_reset(&v->partial[k]);
        }
}

static void cb_output(void *ctx, size_t machine, const struct backups_step *step,
                      const char *data, size_t len, bool is_stderr)
{
    (void)machine;
    (void)step;
    struct rview *v = ctx;
    struct buf *pb = &v->partial[is_stderr];
    for (;;) {
        const char *nl = memchr(data, '\n', len);
        if (!nl) {
            buf_append(pb, data, len);
            break;
        }
        buf_append(pb, data, (size_t)(nl - data));
        add_text(v, is_stderr ? THEME_DIAG_WARNING : THEME_UI_NORMAL, pb->p ? pb->p : "",
                 pb->len);
        buf_reset(pb);
        len -= (size_t)(nl - data) + 1;
        data = nl + 1;
    }
    app_set_dirty(v->app);
}

static void cb_step(void *ctx, size_t machine, const struct backups_step *s, bool ended)
{
    (void)machine;
    struct rview *v = ctx;
    struct buf b = {0};
    if (!ended) {
        buf_printf(&b, "> state %s: %s", s->state ? s->state : "?", s->what);
        add_text(v, THEME_DETAILS_SECTION, b.p, b.len);
    } else {
        flush_partial(v);
        if (s->ok)
            buf_printf(&b, "  state %s: %s done", s->state ? s->state : "?", s->what);
        else
            buf_printf(&b, "  state %s: %s FAILED (exit status %d): the state stops here",
                       s->state ? s->state : "?", s->what, s->exit_status);
        add_text(v, s->ok ? THEME_DETAILS_VALUE : THEME_DIAG_ERROR, b.p, b.len);
    }
    buf_free(&b);
}

static void cb_done(void *ctx, size_t machine, const struct backups_machine *m)
{
    (void)machine;
    struct rview *v = ctx;
    if (v->stage != R_RUNNING)
        return;
    flush_partial(v);
    v->stage = R_ENDED;
    v->restored = m->state == BACKUPS_DONE;
    if (!v->restored) {
        v->error = strdup(m->error ? m->error : "the restore failed");
        add_text(v, THEME_DIAG_ERROR, v->error ? v->error : "failed", strlen(v->error ? v->error : "failed"));
        for (size_t i = 0; i < m->nsteps; i++) {
            const struct backups_step *s = &m->steps[i];
            if (s->ok)
                continue;
            struct buf b = {0};
            if (s->exit_status < 0)
                buf_printf(&b, "  state %s: %s did not finish", s->state ? s->state : "?", s->what);
            else
                buf_printf(&b, "  state %s: %s failed (exit status %d)", s->state ? s->state : "?",
                           s->what, s->exit_status);
            add_text(v, THEME_DIAG_ERROR, b.p, b.len);
            buf_free(&b);
        }
    } else {
        const char *ok = "every chosen state was restored";
        add_text(v, THEME_DETAILS_VALUE, ok, strlen(ok));
    }
}

/* ---- the steps of the flow ---- */

static void to_states(struct rview *v)
{
    v->stage = R_STATES;
    v->ssel = v->stop = 0;
}

/* The states as core/backups takes them (pointers into v; only the chosen ones). */
static size_t chosen_states(struct rview *v, struct backups_state *out)
{
    size_t n = 0;
    for (size_t i = 0; i < v->nstates; i++) {
        const struct rstate *s = &v->states[i];
        if (!s->chosen || s->on_machine)
            continue;
        out[n++] = (struct backups_state){.name = s->name, .folders = s->folders,
                                          .nfolders = s->nfolders, .pre_restore = s->pre,
                                          .post_restore = s->post};
    }
    return n;
}

/* One command line of the confirmation, or why it cannot be sent. */
static bool confirm_command(struct rview *v, const char *label, const char *cmd,
                            const struct backups_state *st)
{
    struct buf b = {0};
    struct diag d = {0};
    bool ok = backups_restore_command(cmd, v->archives[v->archive].name, st, &b, &d) >= 0;
    struct buf line = {0};
    buf_printf(&line, "    %s: ", label);
    if (ok)
        journal_sanitize(b.p ? b.p : "", b.len, false, &line);
    else
        buf_printf(&line, "refused: %s", d.msg ? d.msg : "out of memory");
    add_text(v, ok ? THEME_DETAILS_SCRIPT : THEME_DIAG_ERROR, line.p, line.len);
    buf_free(&line);
    buf_free(&b);
    diag_clear(&d);
    return ok;
}

static void to_confirm(struct rview *v)
{
    struct backups_state *sv = calloc(v->nstates ? v->nstates : 1, sizeof *sv);
    size_t n = sv ? chosen_states(v, sv) : 0;
    if (!n) {
        app_message(v->app, true, "choose at least one state (Space toggles, a: all or none)");
        free(sv);
        return;
    }
    olines_clear(&v->lines);
    v->confirm_ok = true;
    const struct backups_archive *ar = &v->archives[v->archive];
    struct buf b = {0};
    buf_puts(&b, "Restore archive ");
    journal_sanitize(ar->name, strlen(ar->name), false, &b);
    add_text(v, THEME_DETAILS_SECTION, b.p, b.len);
    buf_reset(&b);
    buf_printf(&b, "on %s, over SSH to %s; these commands run there, in this order:", v->machine,
               v->target);
    add_text(v, THEME_UI_NORMAL, b.p, b.len);
    for (size_t i = 0; i < n; i++) {
        const struct backups_state *st = &sv[i];
        buf_reset(&b);
        buf_puts(&b, "state ");
        journal_sanitize(st->name, strlen(st->name), false, &b);
        buf_puts(&b, ": overwrites ");
        for (size_t k = 0; k < st->nfolders; k++) {
            if (k)
                buf_puts(&b, ", ");
            journal_sanitize(st->folders[k], strlen(st->folders[k]), false, &b);
        }
        if (!st->nfolders)
            buf_puts(&b, "no folder");
        add_text(v, THEME_TREE_STATE, b.p, b.len);
        if (st->pre_restore && !confirm_command(v, "1. preRestoreCommand", st->pre_restore, st))
            v->confirm_ok = false;
        if (!confirm_command(v, "2. borgbackup-restore", "borgbackup-restore", st))
            v->confirm_ok = false;
        if (st->post_restore && !confirm_command(v, "3. postRestoreCommand", st->post_restore, st))
            v->confirm_ok = false;
    }
    static const char *const rule[] = {
        "A failing step stops its state (its later steps do not run, its folders stay as the",
        "failed step left them); the other states go on, as clan backups restore does."};
    for (size_t i = 0; i < 2; i++)
        add_text(v, THEME_UI_DIM, rule[i], strlen(rule[i]));
    buf_free(&b);
    free(sv);
    v->lines.sel = 0;
    v->lines.top = 0;
    v->stage = R_CONFIRM;
}

static void run_restore(struct rview *v)
{
    struct backups_state *sv = calloc(v->nstates ? v->nstates : 1, sizeof *sv);
    size_t n = sv ? chosen_states(v, sv) : 0;
    const struct ops_options *oo = &v->app->opt.ops;
    struct backups_options bo = {
        .ssh = {.identity = oo->identity, .known_hosts = oo->known_hosts,
                .connect_timeout_s = oo->ssh_timeout},
        .archive = v->archives[v->archive].name,
        .cb = {.ctx = v, .output = cb_output, .step = cb_step, .machine_done = cb_done}};
    struct backups_target t = {.machine = v->machine, .target = v->target, .states = sv,
                               .nstates = n};
    struct diag d = {0};
    olines_clear(&v->lines);
    v->follow = true;
    v->stage = R_RUNNING;
    if (!n || backups_op_start(BACKUPS_RESTORE, &bo, &t, 1, &v->op, &d) < 0) {
        v->error = strdup(d.msg ? d.msg : "cannot start the restore");
        v->stage = R_ENDED;
    }
    diag_clear(&d);
    free(sv);
    process(v, NULL, 0);
}

/* ---- drawing ---- */

/* The rows line s takes in w columns, wrapped at a space where one fits (continuation rows
 * indented by two); with draw, drawn from row y down to limit. */
static int wrap_line(struct rview *v, const struct oline *o, int y, int x, int w, int limit,
                     bool draw)
{
    struct ui *ui = &v->app->ui;
    const char *s = o->text;
    size_t len = strlen(s);
    int rows = 0;
    int indent = 0, lead = 0;
    if (w < 8)
        w = 8;
    while (s[lead] == ' ')
        lead++;
    int more = lead + 4 < w / 2 ? lead + 4 : w / 2; /* continuation rows: under the text */
    while (len || !rows) {
        int avail = w - indent, used = 0;
        size_t i = 0, space = 0;
        while (i < len) {
            size_t cl = 1;
            unsigned char c = (unsigned char)s[i];
            if (c >= 0xf0) cl = 4;
            else if (c >= 0xe0) cl = 3;
            else if (c >= 0xc0) cl = 2;
            if (i + cl > len)
                cl = len - i;
            int cw = ui_widthn(ui, s + i, cl);
            if (used + cw > avail)
                break;
            if (s[i] == ' ' && i)
                space = i;
            used += cw;
            i += cl;
        }
        size_t take = i < len && space > (size_t)avail / 2 ? space : i;
        if (!take && len)
            take = 1;
        if (draw && y + rows < limit)
            ui_textn(ui, y + rows, x + indent, w - indent, o->role, s, take);
        rows++;
        s += take;
        len -= take;
        if (len && take == space && *s == ' ') {
            s++;
            len--;
        }
        indent = more;
    }
    return rows;
}

/* The lines wrapped to the frame: from line top, or (follow) the last ones. */
static void draw_lines(struct rview *v, struct orect r, bool follow)
{
    struct olines *l = &v->lines;
    size_t top = l->sel < l->n ? l->sel : l->n ? l->n - 1 : 0;
    if (follow && l->n) {
        int rows = 0;
        top = l->n;
        while (top > 0) {
            int h = wrap_line(v, &l->v[top - 1], 0, r.x, r.w, 0, false);
            if (rows + h > r.h)
                break;
            rows += h;
            top--;
        }
        if (top == l->n)
            top = l->n - 1;
    }
    v->shown_top = top;
    int y = r.y;
    for (size_t i = top; i < l->n && y < r.y + r.h; i++)
        y += wrap_line(v, &l->v[i], y, r.x, r.w, r.y + r.h, true);
}

static void draw_archives(struct rview *v, struct orect r)
{
    struct ui *ui = &v->app->ui;
    char head[64];
    snprintf(head, sizeof head, "%-19s  %9s  %s", "TIME", "SIZE", "DEST::REPO::ARCHIVE");
    ui_text(ui, r.y, r.x, r.w, THEME_UI_HEADER, head);
    int h = r.h - 1;
    v->page = h;
    if (v->asel < v->atop)
        v->atop = v->asel;
    if (h > 0 && v->asel >= v->atop + (size_t)h)
        v->atop = v->asel - (size_t)h + 1;
    if (!v->narchives)
        ui_text(ui, r.y + 1, r.x, r.w, THEME_UI_DIM, "-- no archives: nothing to restore --");
    for (int row = 0; row < h && v->atop + (size_t)row < v->narchives; row++) {
        size_t i = v->atop + (size_t)row;
        const struct backups_archive *ar = &v->archives[i];
        char t[32], sz[32], pre[80];
        backups_format_time(ar->time, t, sizeof t);
        backups_format_size(ar->original_size, sz, sizeof sz);
        snprintf(pre, sizeof pre, "%-19s  %9s  ", t, sz);
        struct buf b = {0};
        buf_puts(&b, pre);
        journal_sanitize(ar->name, strlen(ar->name), false, &b);
        ui_text(ui, r.y + 1 + row, r.x, r.w, THEME_UI_NORMAL, b.p ? b.p : "");
        buf_free(&b);
        if (i == v->asel)
            ui_overlay_attr(ui, r.y + 1 + row, r.x, r.w, THEME_TREE_SELECTED);
    }
}

static void draw_states(struct rview *v, struct orect r)
{
    struct ui *ui = &v->app->ui;
    const struct backups_archive *ar = &v->archives[v->archive];
    struct buf b = {0};
    buf_puts(&b, "Archive ");
    journal_sanitize(ar->name, strlen(ar->name), false, &b);
    buf_puts(&b, ": the states to restore");
    ui_text(ui, r.y, r.x, r.w, THEME_UI_HEADER, b.p ? b.p : "");
    v->page = r.h - 1;
    if (r.h > 1)
        v->stop = ui_scroll_top(v->stop, v->ssel, v->nstates, r.h - 1, false);
    for (size_t i = v->stop; i < v->nstates && (int)(i - v->stop) < r.h - 1; i++) {
        const struct rstate *s = &v->states[i];
        int y = r.y + 1 + (int)(i - v->stop);
        buf_reset(&b);
        buf_puts(&b, s->on_machine ? "[-] " : s->chosen ? "[x] " : "[ ] ");
        journal_sanitize(s->name, strlen(s->name), false, &b);
        buf_puts(&b, "  ");
        if (s->on_machine)
            buf_puts(&b, "folders evaluated on the machine: clan-tui cannot restore it");
        for (size_t k = 0; !s->on_machine && k < s->nfolders; k++) {
            if (k)
                buf_puts(&b, ", ");
            journal_sanitize(s->folders[k], strlen(s->folders[k]), false, &b);
        }
        if (!s->on_machine)
            buf_printf(&b, "%s%s", s->pre ? "  (preRestoreCommand)" : "",
                       s->post ? "  (postRestoreCommand)" : "");
        ui_text(ui, y, r.x, r.w, s->on_machine ? THEME_UI_DIM : THEME_TREE_STATE, b.p ? b.p : "");
        if (i == v->ssel)
            ui_overlay_attr(ui, y, r.x, r.w, THEME_TREE_SELECTED);
    }
    buf_free(&b);
}

static void rview_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct rview *v = o->data;
    struct orect r = ops_frame(a, H, W, v->title);
    char status[512];
    const char *const *hints = NULL;
    bool err = false;
    static const char *const h_list[] = {"Esc", "close", NULL};
    static const char *const h_arch[] = {"Enter", "pick", "j/k", "move", "Esc", "close", NULL};
    static const char *const h_states[] = {"Space", "toggle", "a", "all/none", "Enter", "next",
                                           "Esc", "back", NULL};
    static const char *const h_confirm[] = {"y", "restore", "n/Esc", "back", "j/k", "scroll",
                                            NULL};
    static const char *const h_run[] = {"j/k", "scroll", "f", "follow", NULL};
    static const char *const h_end[] = {"j/k", "scroll", "f", "follow", "Esc", "close", NULL};
    switch (v->stage) {
    case R_LISTING:
        ui_text(&a->ui, r.y, r.x, r.w, THEME_UI_DIM, "-- asking for the archives --");
        snprintf(status, sizeof status, "%s: borgbackup-list, then borg info per destination",
                 v->target);
        hints = h_list;
        break;
    case R_ARCHIVES:
        draw_archives(v, r);
        snprintf(status, sizeof status, "%zu archive%s on %s%s%s", v->narchives,
                 v->narchives == 1 ? "" : "s", v->machine,
                 v->details ? "; time and size unknown: " : "", v->details ? v->details : "");
        hints = h_arch;
        break;
    case R_STATES:
        draw_states(v, r);
        snprintf(status, sizeof status, "the states of %s; [x] is restored", v->machine);
        hints = h_states;
        break;
    case R_CONFIRM:
    case R_RUNNING:
    case R_ENDED:
        v->page = r.h;
        draw_lines(v, r, v->stage != R_CONFIRM && v->follow);
        if (v->stage == R_CONFIRM) {
            snprintf(status, sizeof status, v->confirm_ok ? "restore this on %s? y runs it"
                                                          : "%s: a command cannot be sent "
                                                            "(see above); n goes back",
                     v->machine);
            err = !v->confirm_ok;
            hints = h_confirm;
        } else if (v->stage == R_RUNNING) {
            snprintf(status, sizeof status, "restoring on %s ...", v->target);
            hints = h_run;
        } else {
            snprintf(status, sizeof status, "%s", v->error ? v->error : "restored");
            err = v->error != NULL;
            hints = h_end;
        }
        break;
    }
    if (v->stage == R_ENDED && !v->lines.n && v->error)
        ui_text(&a->ui, r.y, r.x, r.w, THEME_DIAG_ERROR, v->error);
    ops_bottom(a, H, W, status, err, hints);
}

/* ---- keys ---- */

static bool rview_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct rview *v = o->data;
    a->message[0] = 0;
    bool back = key == KEYSYM_ESC || key == 'q';
    switch (v->stage) {
    case R_LISTING:
        return !back;
    case R_ARCHIVES:
        if (back)
            return false;
        if (key == KEYSYM_ENTER && v->narchives) {
            v->archive = v->asel;
            to_states(v);
            return true;
        }
        ops_move(a, key, &v->asel, v->narchives, v->page);
        return true;
    case R_STATES:
        if (back) {
            v->stage = R_ARCHIVES;
            return true;
        }
        if (key == KEYSYM_SPACE && v->ssel < v->nstates) {
            struct rstate *s = &v->states[v->ssel];
            if (s->on_machine)
                app_message(a, true, "clan-tui cannot know this state's folders: use clan "
                            "backups restore for it");
            else
                s->chosen = !s->chosen;
        } else if (key == 'a') {
            bool any = false;
            for (size_t i = 0; i < v->nstates; i++)
                any |= v->states[i].chosen && !v->states[i].on_machine;
            for (size_t i = 0; i < v->nstates; i++)
                v->states[i].chosen = !any && !v->states[i].on_machine;
        } else if (key == KEYSYM_ENTER)
            to_confirm(v);
        else
            ops_move(a, key, &v->ssel, v->nstates, v->page);
        return true;
    case R_CONFIRM:
        if (key == 'y' && v->confirm_ok)
            run_restore(v);
        else if (key == 'y')
            app_message(a, true, "a command cannot be sent (see above): nothing runs");
        else if (back || key == 'n')
            to_states(v);
        else
            olines_key(&v->lines, a, key, v->page);
        return true;
    case R_RUNNING:
        if (back) {
            app_message(a, true, "the restore runs on %s; it cannot be stopped from here", v->target);
            return true;
        }
        __attribute__((fallthrough));
    case R_ENDED:
        if (back && v->stage == R_ENDED)
            return false;
        if (key == 'f')
            v->follow = !v->follow;
        else {
            if (v->follow)
                v->lines.sel = v->shown_top;
            if (olines_key(&v->lines, a, key, v->page))
                v->follow = false;
        }
        return true;
    }
    return true;
}

static void rview_free(struct overlay *o)
{
    struct rview *v = o->data;
    if (v->fd >= 0)
        app_unwatch_fd(v->app, v->fd);
    if (v->timer)
        app_timer_cancel(v->app, v->timer);
    backups_op_free(v->op);
    backups_archives_free(v->archives, v->narchives);
    for (size_t i = 0; i < v->nstates; i++) {
        struct rstate *s = &v->states[i];
        free(s->name);
        for (size_t k = 0; k < s->nfolders; k++)
            free(s->folders[k]);
        free(s->folders);
        free(s->pre);
        free(s->post);
    }
    free(v->states);
    olines_clear(&v->lines);
    buf_free(&v->partial[0]);
    buf_free(&v->partial[1]);
    free(v->details);
    free(v->error);
    free(v->machine);
    free(v->target);
    free(v->title);
    free(v);
}

static const struct overlay_ops rview_ops = {"restore", rview_draw, rview_key, rview_free};

/* ---- opening ---- */

/* The machine's states, copied (the plan may be rebuilt while the view is open). */
static int copy_states(struct rview *v, const struct plan_machine *pm)
{
    v->states = calloc(pm->nstates ? pm->nstates : 1, sizeof *v->states);
    if (!v->states)
        return -ENOMEM;
    for (size_t i = 0; i < pm->nstates; i++) {
        const struct plan_state *ps = &pm->states[i];
        struct rstate *s = &v->states[v->nstates++];
        s->on_machine = ps->folders_on_machine;
        s->chosen = !s->on_machine;
        s->name = strdup(ps->name);
        s->folders = calloc(ps->nfolders ? ps->nfolders : 1, sizeof *s->folders);
        if (!s->name || !s->folders)
            return -ENOMEM;
        for (size_t k = 0; k < ps->nfolders; k++, s->nfolders++)
            if (!(s->folders[k] = strdup(ps->folders[k])))
                return -ENOMEM;
        struct buf pre = {0}, post = {0};
        if ((ps->has_pre_restore && (units_restore_hook_command(ps->name, true, &pre) < 0 ||
                                     buf_putc(&pre, '\0') < 0)) ||
            (ps->has_post_restore && (units_restore_hook_command(ps->name, false, &post) < 0 ||
                                      buf_putc(&post, '\0') < 0))) {
            buf_free(&pre);
            buf_free(&post);
            return -ENOMEM;
        }
        s->pre = buf_steal(&pre);
        s->post = buf_steal(&post);
    }
    return 0;
}

void restore_view_open(struct app *a, const char *machine)
{
    const struct plan_machine *pm = machine && a->plan ? plan_find_machine(a->plan, machine) : NULL;
    if (!pm) {
        app_message(a, true, "select a machine first: X restores one of its archives");
        return;
    }
    if (!pm->njobs || !pm->nstates) {
        app_message(a, true, "%s backs nothing up (no borgbackup job or no state): nothing to "
                    "restore", pm->name);
        return;
    }
    if (!pm->target_host || !*pm->target_host) {
        app_message(a, true, "%s has no deploy.targetHost: clan-tui cannot reach it", pm->name);
        return;
    }
    struct rview *v = calloc(1, sizeof *v);
    if (!v) {
        app_message(a, true, "restore: out of memory");
        return;
    }
    v->app = a;
    v->fd = -1;
    v->machine = strdup(pm->name);
    v->target = strdup(pm->target_host);
    if (asprintf(&v->title, "Restore · %s · %s", pm->name, pm->target_host) < 0)
        v->title = NULL;
    const struct ops_options *oo = &a->opt.ops;
    struct backups_options bo = {.ssh = {.identity = oo->identity, .known_hosts = oo->known_hosts,
                                         .connect_timeout_s = oo->ssh_timeout},
                                 .command_timeout_s = oo->ssh_timeout};
    struct backups_target t = {.machine = pm->name, .target = pm->target_host};
    struct diag d = {0};
    if (!v->machine || !v->target || !v->title || copy_states(v, pm) < 0 ||
        backups_op_start(BACKUPS_LIST, &bo, &t, 1, &v->op, &d) < 0) {
        app_message(a, true, "restore: %s", d.msg ? d.msg : "out of memory");
        diag_clear(&d);
        struct overlay o = {.data = v};
        rview_free(&o);
        return;
    }
    diag_clear(&d);
    v->stage = R_LISTING;
    edit_push(a, &rview_ops, v);
    process(v, NULL, 0);
}

bool restore_view_open_selected(struct app *a)
{
    long job;
    const char *m = ops_selected_machine(a, &job);
    restore_view_open(a, m);
    return m != NULL;
}
