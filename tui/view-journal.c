/* The journal view (J): a live tail of the borgbackup-job units of the selected machine (or
 * only the selected job), from the local journal when the machine is this host, else over
 * SSH to its deploy.targetHost, or from --journal-dir / --journal-file. The source is driven
 * by the app's poll() loop (its fd and timeout). Above the entries, per job: the last run's
 * result from the journal and the next run from the schedule. f follows (keeps the newest
 * entry in view), / searches, p filters by priority, d by destination. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/calendar.h"
#include "core/journal.h"
#include "tui/app.h"
#include "tui/edit.h"
#include "tui/ops.h"

struct jview {
    struct app *app;
    struct journal_source *src;
    int fd;
    short events;
    int timer;
    char *machine;
    char *title;
    char **dests;        /* the machine's (or the job's) destinations */
    char **units;        /* borgbackup-job-D.service of each */
    char **next_run;     /* per destination: the next run, formatted */
    size_t ndests;
    int dest_filter;     /* -1 all, else index into dests */
    int prio_max;        /* show priorities <= this (7: all) */
    bool follow;
    bool split;          /* the lower half, under the backups view */
    uint64_t seen;       /* ring entries looked at so far (status, visible list) */
    uint64_t *vis;       /* ring seqs of the visible entries */
    size_t nvis, capvis;
    size_t sel, top;
    int page;
    struct journal_status status;
    char *failure;       /* a permanent failure */
    struct ops_search search;
};

static const char *entry_unit(const struct journal_entry *e)
{
    const char *u = journal_entry_get(e, "_SYSTEMD_UNIT", NULL);
    return u ? u : journal_entry_get(e, "UNIT", NULL);
}

static bool visible(const struct jview *v, const struct journal_entry *e)
{
    if (e->filtered)
        return false;
    size_t pl;
    const char *p = journal_entry_get(e, "PRIORITY", &pl);
    int prio = p && pl == 1 && *p >= '0' && *p <= '7' ? *p - '0' : 6;
    if (prio > v->prio_max)
        return false;
    if (v->dest_filter >= 0) {
        const char *u = entry_unit(e);
        if (!u || strcmp(u, v->units[v->dest_filter]))
            return false;
    }
    return true;
}

/* Rebuild the visible list from the ring (filters changed, or entries were dropped). */
static void rebuild(struct jview *v)
{
    struct journal_ring *r = journal_source_ring(v->src);
    uint64_t keep = v->nvis && v->sel < v->nvis ? v->vis[v->sel] : UINT64_MAX;
    v->nvis = 0;
    for (uint64_t s = journal_ring_first(r); s < journal_ring_end(r); s++) {
        if (!visible(v, journal_ring_get(r, s)))
            continue;
        if (v->nvis == v->capvis) {
            size_t cap = v->capvis ? v->capvis * 2 : 256;
            uint64_t *nv = realloc(v->vis, cap * sizeof(*nv));
            if (!nv)
                return;
            v->vis = nv;
            v->capvis = cap;
        }
        if (s <= keep || v->nvis == 0)
            v->sel = v->nvis;
        v->vis[v->nvis++] = s;
    }
    if (v->follow || keep == UINT64_MAX)
        v->sel = v->nvis ? v->nvis - 1 : 0;
}

/* New entries: per-job status, then the visible list. */
static void take_new(struct jview *v)
{
    struct journal_ring *r = journal_source_ring(v->src);
    if (v->seen < journal_ring_first(r))
        v->seen = journal_ring_first(r);
    for (; v->seen < journal_ring_end(r); v->seen++) {
        const struct journal_entry *e = journal_ring_get(r, v->seen);
        if (!e->filtered)
            journal_status_feed(&v->status, e);
    }
    rebuild(v);
}

static void on_fd(struct app *a, int fd, short revents, void *data);
static void on_timer(struct app *a, void *data);

/* Watch what the source waits for now. */
static void rearm(struct jview *v)
{
    struct app *a = v->app;
    int fd = v->failure ? -1 : journal_source_fd(v->src);
    short ev = fd >= 0 ? journal_source_events(v->src) : 0;
    if (v->fd >= 0 && (fd != v->fd || ev != v->events))
        app_unwatch_fd(a, v->fd);
    if (fd >= 0 && (fd != v->fd || ev != v->events))
        app_watch_fd(a, fd, ev ? ev : POLLIN, on_fd, v);
    v->fd = fd;
    v->events = ev;
    if (v->timer)
        app_timer_cancel(a, v->timer);
    v->timer = 0;
    int t = v->failure ? -1 : journal_source_timeout_ms(v->src);
    if (t >= 0)
        v->timer = app_timer_add(a, (unsigned)t, on_timer, v);
}

static void process(struct jview *v, short revents)
{
    struct diag d = {0};
    int r = journal_source_process(v->src, revents, &d);
    char *n = journal_source_take_notice(v->src);
    if (n) {
        app_message(v->app, false, "journal: %s", n);
        free(n);
    }
    take_new(v);
    if (r < 0 && !v->failure) {
        char *s = diag_format(&d);
        v->failure = s ? s : strdup("the journal failed");
    }
    diag_clear(&d);
    rearm(v);
    app_set_dirty(v->app);
}

static void on_fd(struct app *a, int fd, short revents, void *data)
{
    (void)a;
    (void)fd;
    process(data, revents);
}

static void on_timer(struct app *a, void *data)
{
    (void)a;
    struct jview *v = data;
    v->timer = 0;
    process(v, 0);
}

/* ---- drawing ---- */

static enum theme_role prio_role(int p)
{
    static const enum theme_role roles[8] = {
        THEME_JOURNAL_PRIORITY_EMERG, THEME_JOURNAL_PRIORITY_ALERT, THEME_JOURNAL_PRIORITY_CRIT,
        THEME_JOURNAL_PRIORITY_ERR, THEME_JOURNAL_PRIORITY_WARNING, THEME_JOURNAL_PRIORITY_NOTICE,
        THEME_JOURNAL_PRIORITY_INFO, THEME_JOURNAL_PRIORITY_DEBUG};
    return p >= 0 && p < 8 ? roles[p] : THEME_JOURNAL_PRIORITY_INFO;
}

static void fmt_time(uint64_t usec, char *out, size_t n)
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    if (!localtime_r(&t, &tm) || !strftime(out, n, "%b %d %H:%M:%S", &tm))
        snprintf(out, n, "?");
}

/* One entry: time host unit: message, sanitized (no control character reaches the screen). */
static void draw_entry(struct jview *v, const struct journal_entry *e, int y, int x, int w)
{
    struct ui *ui = &v->app->ui;
    char ts[32];
    fmt_time(e->realtime, ts, sizeof(ts));
    int c = ui_text(ui, y, x, w, THEME_JOURNAL_TIME, ts);
    struct buf b = {0};
    size_t len;
    const char *host = journal_entry_get(e, "_HOSTNAME", &len);
    if (host) {
        journal_sanitize(host, len, false, &b);
        c += ui_text(ui, y, x + c, w - c, THEME_UI_NORMAL, " ");
        c += ui_text(ui, y, x + c, w - c, THEME_JOURNAL_HOST, b.p ? b.p : "");
        buf_reset(&b);
    }
    const char *unit = entry_unit(e);
    if (!unit)
        unit = journal_entry_get(e, "SYSLOG_IDENTIFIER", NULL);
    if (unit) {
        journal_sanitize(unit, strlen(unit), false, &b);
        c += ui_text(ui, y, x + c, w - c, THEME_UI_NORMAL, " ");
        c += ui_text(ui, y, x + c, w - c, THEME_JOURNAL_UNIT, b.p ? b.p : "");
        buf_reset(&b);
    }
    c += ui_text(ui, y, x + c, w - c, THEME_UI_NORMAL, ": ");
    const char *msg = journal_entry_get(e, "MESSAGE", &len);
    const char *p = journal_entry_get(e, "PRIORITY", NULL);
    journal_sanitize(msg ? msg : "", msg ? len : 0, false, &b);
    ui_text(ui, y, x + c, w - c, prio_role(p && *p >= '0' && *p <= '7' ? *p - '0' : 6), b.p ? b.p : "");
    buf_free(&b);
}

static void fmt_status_time(uint64_t usec, char *out, size_t n)
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    if (!usec || !localtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(out, n, "-");
}

static void jview_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct jview *v = o->data;
    struct ui *ui = &a->ui;
    struct orect r;
    if (v->split) { /* the lower half: the backups view that started the job stays above */
        int top = 1 + (H - 3) / 2, h = H - 2 - top;
        for (int k = 0; k < h; k++)
            ui_fill(ui, top + k, 0, W, THEME_UI_NORMAL);
        ui_box(ui, top, 0, h, W, THEME_UI_BORDER_FOCUS, THEME_UI_TITLE_FOCUS, v->title);
        r = (struct orect){top + 1, 1, h - 2, W - 2};
    } else {
        r = ops_frame(a, H, W, v->title);
    }
    int y = r.y;
    /* per job: last run and next run */
    for (size_t i = 0; i < v->ndests && y < r.y + r.h - 2; i++, y++) {
        const struct journal_job_status *js = journal_status_find(&v->status, v->units[i]);
        char start[32];
        fmt_status_time(js ? js->last_start : 0, start, sizeof(start));
        const char *res = js && js->result ? js->result : "no run in the journal";
        enum theme_role role = !js ? THEME_UI_DIM : !strcmp(res, "success") ? THEME_DETAILS_VALUE
                               : !strcmp(res, "running") ? THEME_STATUS_INFO : THEME_DIAG_ERROR;
        char line[512];
        int c = ui_text(ui, y, r.x, r.w, v->dest_filter == (int)i ? THEME_TREE_SELECTED : THEME_TREE_JOB, v->units[i]);
        c += ui_text(ui, y, r.x + c, r.w - c, THEME_UI_NORMAL, "  last: ");
        snprintf(line, sizeof(line), "%s%s%s%s%s", res, js && js->exit_status ? " " : "",
                 js && js->exit_status ? js->exit_status : "", js && js->last_start ? " at " : "",
                 js && js->last_start ? start : "");
        c += ui_text(ui, y, r.x + c, r.w - c, role, line);
        c += ui_text(ui, y, r.x + c, r.w - c, THEME_UI_NORMAL, "  next: ");
        ui_text(ui, y, r.x + c, r.w - c, THEME_DETAILS_VALUE, v->next_run[i]);
    }
    if (v->ndests) {
        for (int k = 0; k < r.w; k++)
            ui_text(ui, y, r.x + k, 1, THEME_UI_BORDER, ui->g->h);
        y++;
    }
    int h = r.y + r.h - y;
    v->page = h;
    if (v->sel >= v->nvis)
        v->sel = v->nvis ? v->nvis - 1 : 0;
    if (v->sel < v->top)
        v->top = v->sel;
    if (h > 0 && v->sel >= v->top + (size_t)h)
        v->top = v->sel - (size_t)h + 1;
    if (h > 0 && v->top + (size_t)h > v->nvis) /* no empty rows below the last entry */
        v->top = v->nvis > (size_t)h ? v->nvis - (size_t)h : 0;
    if (v->follow && h > 0 && v->nvis > (size_t)h)
        v->top = v->nvis - (size_t)h;
    struct journal_ring *ring = journal_source_ring(v->src);
    if (!v->nvis)
        ui_text(ui, y, r.x, r.w, THEME_UI_DIM, journal_source_state(v->src) == JOURNAL_STATE_CONNECTING
                                                   ? "-- connecting --" : "-- No entries --");
    for (int row = 0; row < h && v->top + (size_t)row < v->nvis; row++) {
        const struct journal_entry *e = journal_ring_get(ring, v->vis[v->top + (size_t)row]);
        if (!e)
            continue;
        draw_entry(v, e, y + row, r.x, r.w);
        if (!v->follow && v->top + (size_t)row == v->sel)
            ui_overlay_attr(ui, y + row, r.x, r.w, THEME_TREE_SELECTED);
    }
    static const char *const prio_names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    char status[512];
    snprintf(status, sizeof(status), "%s  %s  %zu entr%s%s%s%s%s", v->failure ? v->failure : journal_source_describe(v->src),
             v->follow ? "[follow]" : "[paused]", v->nvis, v->nvis == 1 ? "y" : "ies",
             v->prio_max < 7 ? "  priority <= " : "", v->prio_max < 7 ? prio_names[v->prio_max] : "",
             v->dest_filter >= 0 ? "  destination " : "", v->dest_filter >= 0 ? v->dests[v->dest_filter] : "");
    static const char *const hints[] = {"f", "follow", "/", "search", "p", "priority", "d", "destination",
                                        "j/k", "move", "Esc", "close", NULL};
    ops_bottom(a, H, W, status, v->failure != NULL, hints);
    ops_search_draw(a, &v->search, H, W);
}

static bool jview_find(void *ctx, const char *q, int dir, bool skip)
{
    struct jview *v = ctx;
    if (!v->nvis)
        return false;
    struct journal_ring *ring = journal_source_ring(v->src);
    size_t i = v->sel;
    for (size_t k = 0; k < v->nvis; k++) {
        if (k || skip)
            i = dir > 0 ? (i + 1) % v->nvis : (i + v->nvis - 1) % v->nvis;
        const struct journal_entry *e = journal_ring_get(ring, v->vis[i]);
        const char *m = e ? journal_entry_get(e, "MESSAGE", NULL) : NULL;
        if (m && strcasestr(m, q)) {
            v->sel = i;
            v->follow = false; /* stay on the match */
            return true;
        }
    }
    return false;
}

static bool jview_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct jview *v = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &v->search, key, jview_find, v))
        return true;
    switch (key) {
    case 'f':
        v->follow = !v->follow;
        if (v->follow)
            v->sel = v->nvis ? v->nvis - 1 : 0;
        app_message(a, false, v->follow ? "following: the newest entry stays in view" : "paused: new entries are collected below");
        return true;
    case 'p':
        v->prio_max = v->prio_max == 7 ? 3 : v->prio_max == 3 ? 4 : v->prio_max == 4 ? 5 : 7;
        rebuild(v);
        return true;
    case 'd':
        if (!v->ndests) {
            app_message(a, true, "no destinations to filter by");
            return true;
        }
        v->dest_filter = v->dest_filter + 1 >= (int)v->ndests ? -1 : v->dest_filter + 1;
        rebuild(v);
        return true;
    case 'q':
    case KEYSYM_ESC:
        return false;
    default:
        break;
    }
    size_t before = v->sel;
    if (!ops_move(a, key, &v->sel, v->nvis, v->page))
        return true;
    if (v->sel != before && v->follow) /* moving up pauses; G at the end keeps following */
        v->follow = v->sel + 1 == v->nvis;
    return true;
}

static void jview_free(struct overlay *o)
{
    struct jview *v = o->data;
    if (v->fd >= 0)
        app_unwatch_fd(v->app, v->fd);
    if (v->timer)
        app_timer_cancel(v->app, v->timer);
    journal_source_free(v->src);
    journal_status_free(&v->status);
    for (size_t i = 0; i < v->ndests; i++) {
        free(v->dests[i]);
        free(v->units[i]);
        free(v->next_run[i]);
    }
    free(v->dests);
    free(v->units);
    free(v->next_run);
    free(v->vis);
    free(v->machine);
    free(v->title);
    free(v);
}

static const struct overlay_ops jview_ops = {"journal", jview_draw, jview_key, jview_free};

static bool is_this_host(const char *machine)
{
    char h[256];
    if (gethostname(h, sizeof(h) - 1) < 0)
        return false;
    h[sizeof(h) - 1] = 0;
    h[strcspn(h, ".")] = 0;
    return !strcmp(h, machine);
}

static void next_runs(struct jview *v, const struct plan_machine *pm, long job)
{
    struct calendar_ctx *ctx = calendar_ctx_new();
    uint64_t now = edit_now();
    size_t n = job >= 0 ? 1 : pm->njobs;
    v->dests = calloc(n + 1, sizeof(char *));
    v->units = calloc(n + 1, sizeof(char *));
    v->next_run = calloc(n + 1, sizeof(char *));
    if (!ctx || !v->dests || !v->units || !v->next_run) {
        calendar_ctx_free(ctx);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const struct plan_job *pj = &pm->jobs[job >= 0 ? (size_t)job : i];
        struct calendar_spec *spec = NULL;
        struct diag d = {0};
        struct buf b = {0};
        uint64_t t;
        if (calendar_parse(ctx, pj->start_at, &spec, &d) == 0 && calendar_next(ctx, spec, now, &t) == 0)
            calendar_format_timestamp(ctx, t, false, &b);
        else
            buf_puts(&b, "never");
        buf_printf(&b, " (%s)", pj->start_at);
        calendar_spec_free(spec);
        diag_clear(&d);
        v->dests[i] = strdup(pj->destination);
        if (asprintf(&v->units[i], "%s.service", pj->unit) < 0)
            v->units[i] = NULL;
        v->next_run[i] = buf_steal(&b);
        if (!v->dests[i] || !v->units[i] || !v->next_run[i]) {
            free(v->dests[i]);
            free(v->units[i]);
            free(v->next_run[i]);
            break;
        }
        v->ndests++;
    }
    calendar_ctx_free(ctx);
}

static bool journal_open(struct app *a, const char *m, long job, bool split)
{
    const struct ops_options *oo = &a->opt.ops;
    bool files = oo->journal_dir || oo->njournal_files;
    const struct plan_machine *pm = m ? plan_find_machine(a->plan, m) : NULL;
    if (!pm && !files) {
        app_message(a, true, "select a machine first: J shows its journal");
        return false;
    }
    struct journal_select sel = {.prio_max = -1, .lines = 1000, .follow = true};
    struct journal_source_options so = {.kind = JOURNAL_LOCAL};
    struct diag d = {0};
    const char *where = NULL;
    /* the machine's own units by name (a glob that matches nothing yet is refused, and
     * nothing has run on a new machine); a machine without jobs: every job unit */
    if (job >= 0 && pm && (size_t)job < pm->njobs)
        journal_select_add_destination(&sel, pm->jobs[job].destination, &d);
    for (size_t i = 0; job < 0 && pm && i < pm->njobs; i++)
        journal_select_add_destination(&sel, pm->jobs[i].destination, &d);
    if (!sel.nunits)
        journal_select_add_unit(&sel, JOURNAL_DEFAULT_UNIT);
    if (files) {
        if (oo->journal_dir) {
            so.kind = JOURNAL_DIRECTORY;
            so.paths = (char **)&oo->journal_dir;
            so.npaths = 1;
        } else {
            so.kind = JOURNAL_FILES;
            so.paths = (char **)oo->journal_files;
            so.npaths = oo->njournal_files;
        }
        if (pm)
            sel.hostname = strdup(pm->name); /* the files may hold several machines */
    } else if (is_this_host(pm->name)) {
        so.kind = JOURNAL_LOCAL;
    } else if (pm->target_host && *pm->target_host) {
        so.kind = JOURNAL_REMOTE;
        so.remote.target = pm->target_host;
        so.remote.identity = oo->identity;
        so.remote.known_hosts = oo->known_hosts;
    } else {
        app_message(a, true, "%s has no deploy.targetHost and is not this host: no journal to read "
                             "(--journal-dir reads files)", pm->name);
        journal_select_free(&sel);
        return false;
    }
    struct jview *v = calloc(1, sizeof(*v));
    if (!v || journal_source_open(&so, &sel, &v->src, &d) < 0) {
        app_message(a, true, "journal: %s", d.msg ? d.msg : "out of memory");
        diag_clear(&d);
        journal_select_free(&sel);
        free(v);
        return false;
    }
    journal_select_free(&sel);
    diag_clear(&d);
    v->app = a;
    v->fd = -1;
    v->dest_filter = -1;
    v->prio_max = 7;
    v->follow = true;
    v->split = split;
    v->machine = pm ? strdup(pm->name) : NULL;
    if (pm)
        next_runs(v, pm, job >= 0 && (size_t)job < pm->njobs ? job : -1);
    where = so.kind == JOURNAL_REMOTE ? pm->target_host : so.kind == JOURNAL_LOCAL ? "local journal"
            : oo->journal_dir ? oo->journal_dir : oo->journal_files[0];
    if (asprintf(&v->title, "Journal · %s%s%s · %s", pm ? pm->name : "every machine",
                 job >= 0 && pm ? " · " : "", job >= 0 && pm ? pm->jobs[job].unit : "", where) < 0)
        v->title = NULL;
    /* read what the journal holds now; then the loop drives it */
    process(v, 0);
    for (int i = 0; i < 1000 && !v->failure && journal_source_timeout_ms(v->src) == 0 &&
                    journal_source_state(v->src) == JOURNAL_STATE_READING; i++)
        process(v, 0);
    edit_push(a, &jview_ops, v);
    return true;
}

bool journal_view_open(struct app *a)
{
    long job;
    const char *m = ops_selected_machine(a, &job);
    return journal_open(a, m, job, false);
}

bool journal_view_open_split(struct app *a, const char *machine, long job)
{
    return journal_open(a, machine, job, true);
}
