/* The fleet's backups (B, issue 17): one row per client job of the plan with its last result,
 * the age of its last success, its last start and end and its next run; the tree's marks
 * (tui/view-tree.c) read the same status. Status comes from core/backups (`systemctl show`
 * over SSH, every machine at once) only when the operator asks (r) or, with
 * --status-every, on a timer of the app's loop: opening a clan contacts no host. The op's
 * descriptors join the app's poll() set; nothing here blocks. b backs up the selected job
 * now, m every job of its machine (BACKUPS_CREATE), with the job's live journal beside. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/backups.h"
#include "core/calendar.h"
#include "tui/app.h"
#include "tui/edit.h"
#include "tui/lazylib.h"
#include "tui/ops.h"
#include "tui/view-tree.h"

enum sev { SEV_NONE, SEV_OK, SEV_RUNNING, SEV_NEVER, SEV_WARN, SEV_ERROR };

struct bjob {
    char *unit, *dest, *start_at;
    uint64_t interval;       /* between the schedule's next two elapses (0: unknown) */
    uint64_t sched_next;     /* the schedule's next elapse after now (0: none) */
    bool known;
    enum backups_job_state state;
    char result[32];
    int exit_status;
    uint64_t last_start, last_end, timer_next;
    int sev;
    bool stale;              /* ok, but the last success is older than twice the interval */
};

struct bmach {
    char *name, *target;
    char *error;             /* the last status query failed: why (one line) */
    bool querying;
    struct bjob *jobs;
    size_t njobs;
    int sev;
    size_t nfailed, nstale, nok, nnever;
    char *create;            /* back up now: "running" or its result */
};

struct backups_store;
struct opdrive {
    struct backups_store *s;
    struct backups_op *op;
    struct pollfd *fds;
    size_t nfds, cap;
    int timer, kick;
    void (*done)(struct backups_store *s);
};

struct backups_store {
    struct app *a;
    struct bmach *m;
    size_t n;
    size_t *byname;          /* indices of m sorted by name */
    bool asked;              /* a status was asked for at least once */
    uint64_t refreshed;      /* when the last refresh ended (µs, edit_now) */
    struct opdrive status, create;
    size_t *status_idx;      /* status op machine -> index in m */
    size_t status_total, status_done;
    size_t create_m;
    long create_job;         /* -1: every job of the machine */
    int every_timer;
    bool view_open;
    size_t nfailed, nstale, nok, nnever, nunreach;
    int sev;
};

/* ---- time ---- */

static void fmt_time(uint64_t us, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    if (!us || !localtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, n, "-");
}

static void fmt_next(uint64_t us, uint64_t now, char *out, size_t n)
{
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    bool soon = us > now && us - now < 6ULL * 86400 * 1000000;
    if (!us || !localtime_r(&t, &tm) || !strftime(out, n, soon ? "%a %H:%M" : "%Y-%m-%d", &tm))
        snprintf(out, n, "-");
}

static void fmt_age(uint64_t us, uint64_t now, char *out, size_t n)
{
    struct buf b = {0};
    if (us && calendar_format_relative(us, now, &b) == 0 && b.p)
        snprintf(out, n, "%s", b.p);
    else
        snprintf(out, n, "-");
    buf_free(&b);
}

/* ---- the store ---- */

static void job_clear_status(struct bjob *j)
{
    j->known = false;
    j->state = BACKUPS_JOB_UNKNOWN;
    j->result[0] = 0;
    j->exit_status = -1;
    j->last_start = j->last_end = j->timer_next = 0;
    j->stale = false;
    j->sev = SEV_NONE;
}

static void mach_free(struct bmach *m)
{
    for (size_t j = 0; j < m->njobs; j++) {
        free(m->jobs[j].unit);
        free(m->jobs[j].dest);
        free(m->jobs[j].start_at);
    }
    free(m->jobs);
    free(m->name);
    free(m->target);
    free(m->error);
    free(m->create);
}

static void rollup(struct backups_store *s)
{
    s->sev = SEV_NONE;
    s->nfailed = s->nstale = s->nok = s->nnever = s->nunreach = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct bmach *m = &s->m[i];
        m->sev = SEV_NONE;
        m->nfailed = m->nstale = m->nok = m->nnever = 0;
        for (size_t j = 0; j < m->njobs; j++) {
            struct bjob *jb = &m->jobs[j];
            jb->sev = m->error ? SEV_ERROR : !jb->known ? SEV_NONE
                      : jb->state == BACKUPS_JOB_FAILED ? SEV_ERROR
                      : jb->state == BACKUPS_JOB_MISSING || jb->stale ? SEV_WARN
                      : jb->state == BACKUPS_JOB_NEVER ? SEV_NEVER
                      : jb->state == BACKUPS_JOB_RUNNING ? SEV_RUNNING
                      : jb->state == BACKUPS_JOB_OK ? SEV_OK : SEV_NONE;
            if (jb->sev > m->sev)
                m->sev = jb->sev;
            m->nfailed += jb->known && jb->state == BACKUPS_JOB_FAILED;
            m->nstale += jb->known && (jb->stale || jb->state == BACKUPS_JOB_MISSING);
            m->nok += jb->sev == SEV_OK;
            m->nnever += jb->sev == SEV_NEVER;
        }
        if (m->sev > s->sev)
            s->sev = m->sev;
        s->nfailed += m->nfailed;
        s->nstale += m->nstale;
        s->nok += m->nok;
        s->nnever += m->nnever;
        s->nunreach += m->error != NULL;
    }
}

static int by_name_cmp(const void *x, const void *y, void *ctx)
{
    const struct bmach *m = ctx;
    return strcmp(m[*(const size_t *)x].name, m[*(const size_t *)y].name);
}

static struct bmach *find_mach(struct backups_store *s, const char *name)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(s->m[s->byname[mid]].name, name);
        if (!c)
            return &s->m[s->byname[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static struct bjob *find_job(struct bmach *m, const char *unit)
{
    for (size_t j = 0; m && j < m->njobs; j++)
        if (!strcmp(m->jobs[j].unit, unit))
            return &m->jobs[j];
    return NULL;
}

static void schedule(struct calendar_ctx *ctx, struct bjob *j, uint64_t now)
{
    struct calendar_spec *spec = NULL;
    struct diag d = {0};
    uint64_t t1, t2;
    if (ctx && j->start_at && calendar_parse(ctx, j->start_at, &spec, &d) == 0 &&
        calendar_next(ctx, spec, now, &t1) == 0) {
        j->sched_next = t1;
        if (calendar_next(ctx, spec, t1, &t2) == 0)
            j->interval = t2 - t1;
    }
    calendar_spec_free(spec);
    diag_clear(&d);
}

/* The clients of the plan, each with its jobs; what an earlier status said of a machine and
 * unit of the same names is kept. Not while an op runs (its indices point into the list). */
static int store_sync(struct backups_store *s)
{
    struct app *a = s->a;
    if (s->status.op || s->create.op || !a->plan)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < a->plan->nmachines; i++)
        n += a->plan->machines[i].is_client && a->plan->machines[i].njobs;
    struct bmach *m = calloc(n ? n : 1, sizeof(*m));
    size_t *byname = calloc(n ? n : 1, sizeof(*byname));
    struct calendar_ctx *ctx = calendar_ctx_new();
    uint64_t now = edit_now();
    if (!m || !byname) {
        free(m);
        free(byname);
        calendar_ctx_free(ctx);
        return -ENOMEM;
    }
    size_t k = 0;
    bool oom = false;
    for (size_t i = 0; i < a->plan->nmachines; i++) {
        const struct plan_machine *pm = &a->plan->machines[i];
        if (!pm->is_client || !pm->njobs)
            continue;
        struct bmach *nm = &m[k++];
        struct bmach *old = find_mach(s, pm->name);
        nm->name = strdup(pm->name);
        nm->target = pm->target_host ? strdup(pm->target_host) : NULL;
        nm->jobs = calloc(pm->njobs, sizeof(*nm->jobs));
        if (!nm->name || !nm->jobs) {
            oom = true;
            continue;
        }
        nm->njobs = pm->njobs;
        if (old && old->error)
            nm->error = strdup(old->error);
        if (old && old->create)
            nm->create = strdup(old->create);
        for (size_t j = 0; j < pm->njobs; j++) {
            struct bjob *jb = &nm->jobs[j];
            const struct bjob *oj = find_job(old, pm->jobs[j].unit);
            if (oj)
                *jb = *oj;
            else
                job_clear_status(jb);
            jb->unit = strdup(pm->jobs[j].unit);
            jb->dest = strdup(pm->jobs[j].destination);
            jb->start_at = pm->jobs[j].start_at ? strdup(pm->jobs[j].start_at) : NULL;
            jb->interval = jb->sched_next = 0;
            oom |= !jb->unit || !jb->dest;
            schedule(ctx, jb, now);
        }
    }
    calendar_ctx_free(ctx);
    for (size_t i = 0; i < s->n; i++)
        mach_free(&s->m[i]);
    free(s->m);
    free(s->byname);
    s->m = m;
    s->n = k;
    s->byname = byname;
    for (size_t i = 0; i < k; i++)
        byname[i] = i;
    qsort_r(byname, k, sizeof(*byname), by_name_cmp, m);
    rollup(s);
    return oom ? -ENOMEM : 0;
}

static struct backups_store *store_get(struct app *a)
{
    if (!a->backups) {
        struct backups_store *s = calloc(1, sizeof(*s));
        if (!s)
            return NULL;
        s->a = a;
        s->status.s = s->create.s = s;
        a->backups = s;
    }
    return a->backups;
}

/* ---- driving an op from the app's loop ---- */

static void drive_arm(struct opdrive *d);

static void drive_process(struct opdrive *d)
{
    struct app *a = d->s->a;
    if (d->kick)
        app_timer_cancel(a, d->kick);
    if (d->timer)
        app_timer_cancel(a, d->timer);
    d->kick = d->timer = 0;
    if (!d->op)
        return;
    if (backups_op_process(d->op, d->fds, d->nfds) < 0)
        app_message(a, true, "backups: out of memory");
    app_set_dirty(a);
    if (backups_op_done(d->op)) {
        drive_arm(d); /* unwatches */
        d->done(d->s);
        return;
    }
    drive_arm(d);
}

static void drive_on_kick(struct app *a, void *data)
{
    (void)a;
    struct opdrive *d = data;
    d->kick = 0;
    drive_process(d);
}

static void drive_on_fd(struct app *a, int fd, short revents, void *data)
{
    struct opdrive *d = data;
    for (size_t i = 0; i < d->nfds; i++)
        if (d->fds[i].fd == fd)
            d->fds[i].revents |= revents;
    /* every fd of this turn first, then one process (after the watches: a timer) */
    if (!d->kick)
        d->kick = app_timer_add(a, 0, drive_on_kick, d);
}

static void drive_on_timer(struct app *a, void *data)
{
    (void)a;
    struct opdrive *d = data;
    d->timer = 0;
    drive_process(d);
}

static void drive_arm(struct opdrive *d)
{
    struct app *a = d->s->a;
    for (size_t i = 0; i < d->nfds; i++)
        app_unwatch_fd(a, d->fds[i].fd);
    d->nfds = 0;
    if (d->timer)
        app_timer_cancel(a, d->timer);
    d->timer = 0;
    if (!d->op || backups_op_done(d->op))
        return;
    size_t n = backups_op_nfds(d->op);
    if (n > d->cap) {
        struct pollfd *f = realloc(d->fds, n * sizeof(*f));
        if (!f) {
            app_message(a, true, "backups: out of memory");
            return;
        }
        d->fds = f;
        d->cap = n;
    }
    backups_op_fill(d->op, d->fds);
    d->nfds = n;
    for (size_t i = 0; i < n; i++) {
        d->fds[i].revents = 0;
        app_watch_fd(a, d->fds[i].fd, d->fds[i].events, drive_on_fd, d);
    }
    int t = backups_op_timeout_ms(d->op);
    if (t >= 0)
        d->timer = app_timer_add(a, (unsigned)t, drive_on_timer, d);
}

static void drive_stop(struct opdrive *d)
{
    struct app *a = d->s->a;
    if (d->kick)
        app_timer_cancel(a, d->kick);
    d->kick = 0;
    struct backups_op *op = d->op;
    d->op = NULL;
    drive_arm(d);
    backups_op_free(op);
    free(d->fds);
    d->fds = NULL;
    d->cap = 0;
}

static void ssh_options(struct app *a, struct backups_options *o)
{
    o->ssh.identity = a->opt.ops.identity;
    o->ssh.known_hosts = a->opt.ops.known_hosts;
    o->ssh.connect_timeout_s = a->opt.ops.ssh_timeout;
    o->command_timeout_s = a->opt.ops.ssh_timeout;
    o->slice_us = 1000; /* keys are read between slices of the fleet's SSH work */
}

/* ---- status ---- */

static void status_machine_done(void *ctx, size_t i, const struct backups_machine *bm)
{
    struct backups_store *s = ctx;
    if (i >= s->status_total)
        return;
    struct bmach *m = &s->m[s->status_idx[i]];
    s->status_done++;
    m->querying = false;
    free(m->error);
    m->error = NULL;
    if (bm->state != BACKUPS_DONE) {
        m->error = strdup(bm->error ? bm->error : "failed");
        for (size_t j = 0; j < m->njobs; j++)
            job_clear_status(&m->jobs[j]);
    } else {
        uint64_t now = edit_now();
        for (size_t j = 0; j < m->njobs && j < bm->njobs; j++) {
            const struct backups_job_status *js = &bm->jobs[j];
            struct bjob *jb = &m->jobs[j];
            jb->known = true;
            jb->state = js->state;
            snprintf(jb->result, sizeof(jb->result), "%s", js->result ? js->result : "");
            jb->exit_status = js->exit_status;
            jb->last_start = js->last_start;
            jb->last_end = js->last_end;
            jb->timer_next = js->timer_next;
            jb->stale = js->state == BACKUPS_JOB_OK && jb->interval && js->last_end &&
                        now > js->last_end && now - js->last_end > 2 * jb->interval;
        }
    }
    rollup(s);
    app_set_dirty(s->a);
}

static void status_done(struct backups_store *s)
{
    backups_op_free(s->status.op);
    s->status.op = NULL;
    s->refreshed = edit_now();
    rollup(s);
    if (s->view_open || s->nfailed || s->nunreach)
        app_message(s->a, s->nfailed || s->nunreach, "status of %zu machine%s: %zu ok, %zu failed, %zu late, %zu unreachable",
                    s->status_total, s->status_total == 1 ? "" : "s", s->nok, s->nfailed,
                    s->nstale, s->nunreach);
    free(s->status_idx);
    s->status_idx = NULL;
}

/* Ask every machine (only: when not NULL) for the status of its jobs, all at once. */
static void status_refresh(struct app *a, const char *only)
{
    struct backups_store *s = store_get(a);
    if (!s)
        return;
    if (s->status.op) {
        app_message(a, false, "a status refresh is running (%zu of %zu answered)", s->status_done, s->status_total);
        return;
    }
    if (!a->plan) {
        app_message(a, true, "no backup plan: the file has errors");
        return;
    }
    char err[512]; /* the --status-every timer may come first, before B loaded libssh */
    if (lazylib_require(LAZYLIB_BIT(LAZYLIB_SSH), err, sizeof err) < 0) {
        app_message(a, true, "status: %s", err);
        return;
    }
    if (store_sync(s) < 0) {
        app_message(a, true, "backups: out of memory");
        return;
    }
    struct backups_target *t = calloc(s->n ? s->n : 1, sizeof(*t));
    char ***units = calloc(s->n ? s->n : 1, sizeof(*units));
    s->status_idx = calloc(s->n ? s->n : 1, sizeof(*s->status_idx));
    size_t nt = 0;
    bool oom = !t || !units || !s->status_idx;
    for (size_t i = 0; !oom && i < s->n; i++) {
        struct bmach *m = &s->m[i];
        if (only && strcmp(m->name, only))
            continue;
        if (!m->target) {
            free(m->error);
            m->error = strdup("no deploy.targetHost: clan-tui cannot reach it");
            continue;
        }
        units[nt] = calloc(m->njobs, sizeof(char *));
        if (!units[nt]) {
            oom = true;
            break;
        }
        for (size_t j = 0; j < m->njobs; j++)
            units[nt][j] = m->jobs[j].unit;
        t[nt] = (struct backups_target){.machine = m->name, .target = m->target,
                                        .units = units[nt], .nunits = m->njobs};
        s->status_idx[nt++] = i;
        m->querying = true;
    }
    struct backups_options o = {.cb = {.ctx = s, .machine_done = status_machine_done}};
    ssh_options(a, &o);
    struct diag d = {0};
    s->asked = true;
    s->status_total = nt;
    s->status_done = 0;
    if (!oom && nt && backups_op_start(BACKUPS_STATUS, &o, t, nt, &s->status.op, &d) < 0)
        app_message(a, true, "backups: %s", d.msg ? d.msg : "cannot start");
    else if (oom)
        app_message(a, true, "backups: out of memory");
    else if (!nt)
        app_message(a, true, "no machine to ask: %s", s->n ? "none has a deploy.targetHost" : "the plan has no client jobs");
    diag_clear(&d);
    for (size_t i = 0; units && i < nt; i++)
        free(units[i]);
    free(units);
    free(t);
    if (!s->status.op) {
        for (size_t i = 0; i < s->n; i++)
            s->m[i].querying = false;
        free(s->status_idx);
        s->status_idx = NULL;
        rollup(s);
        return;
    }
    s->status.done = status_done;
    rollup(s);
    drive_process(&s->status); /* connects start at once; then the loop drives it */
}

static void every_fire(struct app *a, void *data)
{
    (void)data;
    struct backups_store *s = store_get(a);
    if (!s)
        return;
    s->every_timer = 0;
    if (!s->status.op)
        status_refresh(a, NULL);
    s->every_timer = app_timer_add(a, a->opt.ops.status_every * 1000u, every_fire, NULL);
}

void backups_status_attach(struct app *a)
{
    if (!a->opt.ops.status_every)
        return;
    struct backups_store *s = store_get(a);
    if (s && !s->every_timer) /* the first refresh after one period: opening contacts no host */
        s->every_timer = app_timer_add(a, a->opt.ops.status_every * 1000u, every_fire, NULL);
}

bool backups_status_busy(const struct app *a)
{
    return a->backups && a->backups->status.op;
}

void backups_status_free(struct app *a)
{
    struct backups_store *s = a->backups;
    if (!s)
        return;
    drive_stop(&s->status);
    drive_stop(&s->create);
    if (s->every_timer)
        app_timer_cancel(a, s->every_timer);
    for (size_t i = 0; i < s->n; i++)
        mach_free(&s->m[i]);
    free(s->m);
    free(s->byname);
    free(s->status_idx);
    free(s);
    a->backups = NULL;
}

/* ---- marks (the tree and the view) ---- */

static const char *glyph(const struct app *a, int sev)
{
    static const char *const utf8[] = {"", "\u2713", "~", "-", "!", "\u2717"};
    static const char *const ascii[] = {"", "+", "~", "-", "!", "x"};
    return (a->ui.g && a->ui.g->ascii ? ascii : utf8)[sev];
}

static enum theme_role sev_role(int sev)
{
    return sev == SEV_ERROR ? THEME_DIAG_ERROR : sev == SEV_WARN ? THEME_DIAG_WARNING
           : sev == SEV_OK ? THEME_DETAILS_VALUE : sev == SEV_RUNNING ? THEME_STATUS_INFO
           : THEME_UI_DIM;
}

/* "ok 2h 3min ago", "failed (exit-code, status 2)", "never ran", ... */
static void job_result(const struct bmach *m, const struct bjob *j, uint64_t now, char *out, size_t n)
{
    char age[64];
    if (m->error)
        snprintf(out, n, "unreachable: %s", m->error);
    else if (m->querying && !j->known)
        snprintf(out, n, "asking...");
    else if (!j->known)
        snprintf(out, n, "not asked (r)");
    else if (j->state == BACKUPS_JOB_FAILED && !strcmp(j->result, "exit-code"))
        snprintf(out, n, "failed, exit status %d", j->exit_status);
    else if (j->state == BACKUPS_JOB_FAILED)
        snprintf(out, n, "failed (%s)", j->result[0] ? j->result : "?");
    else if (j->state == BACKUPS_JOB_OK) {
        fmt_age(j->last_end ? j->last_end : j->last_start, now, age, sizeof(age));
        snprintf(out, n, "ok %s%s", age, j->stale ? ", late" : "");
    } else
        snprintf(out, n, "%s", j->state == BACKUPS_JOB_MISSING ? "no such unit" : backups_job_state_name(j->state));
}

bool backups_tree_mark(struct app *a, const struct tnode *n, char *out, size_t len, enum theme_role *role)
{
    struct backups_store *s = a->backups;
    if (!s || !s->asked || !a->plan)
        return false;
    uint64_t now = edit_now();
    const struct plan_machine *pm = NULL;
    if ((n->kind == TK_JOB || n->kind == TK_PLAN_MACHINE) && n->a >= 0 && (size_t)n->a < a->plan->nmachines)
        pm = &a->plan->machines[n->a];
    if (n->kind == TK_JOB && pm && n->b >= 0 && (size_t)n->b < pm->njobs) {
        struct bmach *m = find_mach(s, pm->name);
        struct bjob *j = find_job(m, pm->jobs[n->b].unit);
        if (!j)
            return false;
        char res[256], next[32];
        job_result(m, j, now, res, sizeof(res));
        fmt_next(j->timer_next ? j->timer_next : j->sched_next, now, next, sizeof(next));
        int sev = j->sev ? j->sev : SEV_NEVER;
        snprintf(out, len, "%s %s%s%s", glyph(a, sev), res, m->error ? "" : " \u00b7 next ", m->error ? "" : next);
        if (a->ui.g && a->ui.g->ascii)
            for (char *p = strstr(out, "\u00b7"); p; p = strstr(p, "\u00b7"))
                memmove(p, p + 1, strlen(p + 1) + 1), *p = '|';
        *role = sev_role(j->sev);
        return true;
    }
    const struct bmach *m = NULL;
    int sev;
    size_t nf, ns, nok, nnever;
    if (n->kind == TK_SECTION && n->a == SEC_BACKUPS) {
        sev = s->sev;
        nf = s->nfailed;
        ns = s->nstale;
        nok = s->nok;
        nnever = s->nnever;
    } else {
        const char *name = n->kind == TK_MACHINE ? n->label : pm ? pm->name : NULL;
        if (!name || (n->kind != TK_MACHINE && n->kind != TK_PLAN_MACHINE) || !(m = find_mach(s, name)))
            return false;
        sev = m->sev;
        nf = m->nfailed;
        ns = m->nstale;
        nok = m->nok;
        nnever = m->nnever;
    }
    struct buf b = {0};
    buf_printf(&b, "%s", glyph(a, sev ? sev : SEV_NEVER));
    if (nf)
        buf_printf(&b, " %zu failed", nf);
    if (ns)
        buf_printf(&b, " %zu late", ns);
    if (m && m->error)
        buf_puts(&b, " unreachable");
    else if (!m && s->nunreach)
        buf_printf(&b, " %zu unreachable", s->nunreach);
    if (nok)
        buf_printf(&b, " %zu ok", nok);
    if (nnever)
        buf_printf(&b, " %zu never ran", nnever);
    if (m && m->querying)
        buf_puts(&b, " asking...");
    snprintf(out, len, "%s", b.p ? b.p : "");
    buf_free(&b);
    *role = sev_role(sev);
    return true;
}

/* ---- back up now ---- */

static void create_done(struct backups_store *s)
{
    struct app *a = s->a;
    const struct backups_machine *bm = backups_op_machine(s->create.op, 0);
    struct bmach *m = s->create_m < s->n ? &s->m[s->create_m] : NULL;
    bool ok = bm->state == BACKUPS_DONE;
    if (m) {
        free(m->create);
        if (asprintf(&m->create, "%s %s", s->create_job >= 0 ? m->jobs[s->create_job].dest : "every job",
                     ok ? "done" : bm->error ? bm->error : "failed") < 0)
            m->create = NULL;
        app_message(a, !ok, "back up now on %s: %s", m->name, m->create ? m->create : ok ? "done" : "failed");
    }
    backups_op_free(s->create.op);
    s->create.op = NULL;
    char *name = m ? strdup(m->name) : NULL; /* the refresh rebuilds the list m is in */
    if (name) /* the result as systemd has it now */
        status_refresh(a, name);
    free(name);
}

static void create_start(struct app *a, void *data)
{
    struct backups_store *s = store_get(a);
    size_t *sel = data;
    if (!s || s->create.op || sel[0] >= s->n)
        return;
    struct bmach *m = &s->m[sel[0]];
    long job = (long)sel[1] - 1;
    char *one[1] = {job >= 0 ? m->jobs[job].unit : NULL};
    struct backups_target t = {.machine = m->name, .target = m->target, .units = job >= 0 ? one : NULL,
                               .nunits = job >= 0 ? 1 : 0};
    struct backups_options o = {0};
    ssh_options(a, &o);
    struct diag d = {0};
    if (backups_op_start(BACKUPS_CREATE, &o, &t, 1, &s->create.op, &d) < 0) {
        app_message(a, true, "back up now: %s", d.msg ? d.msg : "cannot start");
        diag_clear(&d);
        return;
    }
    s->create_m = sel[0];
    s->create_job = job;
    s->create.done = create_done;
    free(m->create);
    m->create = strdup("running");
    /* the journal beside the view, from before the start: nothing the job logs is missed */
    journal_view_open_split(a, m->name, job);
    drive_process(&s->create);
}

/* ---- the view ---- */

struct bview {
    struct backups_store *s;
    size_t sel, top;
    int page;
    struct ops_search search;
};

static size_t nrows(const struct backups_store *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        n += s->m[i].njobs;
    return n;
}

static bool row_at(const struct backups_store *s, size_t r, size_t *mi, size_t *ji)
{
    for (size_t i = 0; i < s->n; i++) {
        if (r < s->m[i].njobs) {
            *mi = i;
            *ji = r;
            return true;
        }
        r -= s->m[i].njobs;
    }
    return false;
}

static void bview_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct bview *v = o->data;
    struct backups_store *s = v->s;
    uint64_t now = edit_now();
    char title[256], when[64];
    if (s->status.op)
        snprintf(title, sizeof(title), "Backups \u00b7 asking %zu machine%s (%zu answered)", s->status_total,
                 s->status_total == 1 ? "" : "s", s->status_done);
    else if (s->refreshed) {
        fmt_time(s->refreshed, when, sizeof(when));
        snprintf(title, sizeof(title), "Backups \u00b7 status of %s", when);
    } else
        snprintf(title, sizeof(title), "Backups \u00b7 status not asked yet (r asks every machine)");
    struct orect r = ops_frame(a, H, W, title);
    /* the journal of a backup started here takes the lower half */
    bool split = a->edit && a->edit->top && a->edit->top != o && !strcmp(a->edit->top->ops->name, "journal");
    if (split)
        r.h = (H - 3) / 2 - 2;
    struct ui *ui = &a->ui;
    int wm = 7, wj = 3;
    for (size_t i = 0; i < s->n; i++) {
        int l = ui_width(ui, s->m[i].name);
        wm = l > wm ? l : wm;
        for (size_t j = 0; j < s->m[i].njobs; j++) {
            l = ui_width(ui, s->m[i].jobs[j].dest);
            wj = l > wj ? l : wj;
        }
    }
    wm = wm > 20 ? 20 : wm;
    wj = wj > 16 ? 16 : wj;
    const int wr = 24, wt = 16;
    int cx[7] = {0, wm + 2, wm + 2 + wj + 2, 0, 0, 0, 0};
    cx[3] = cx[2] + wr + 2;
    cx[4] = cx[3] + wt + 2;
    cx[5] = cx[4] + wt + 2;
    cx[6] = cx[5] + wt + 2;
    static const char *const heads[] = {"MACHINE", "JOB", "RESULT", "LAST START", "LAST END", "NEXT", "BACK UP NOW"};
    for (int c = 0; c < 7 && cx[c] < r.w; c++)
        ui_text(ui, r.y, r.x + cx[c], r.w - cx[c], THEME_DETAILS_KEY, heads[c]);
    int h = r.h - 1;
    v->page = h;
    size_t n = nrows(s);
    if (v->sel >= n)
        v->sel = n ? n - 1 : 0;
    if (h > 0)
        v->top = ui_scroll_top(v->top, v->sel, n, h, false);
    if (!n)
        ui_text(ui, r.y + 1, r.x, r.w, THEME_UI_DIM, "-- no client job in the plan --");
    for (int row = 0; row < h && v->top + (size_t)row < n; row++) {
        size_t mi = 0, ji = 0;
        row_at(s, v->top + (size_t)row, &mi, &ji);
        const struct bmach *m = &s->m[mi];
        const struct bjob *j = &m->jobs[ji];
        int y = r.y + 1 + row;
        char rtext[256], res[300], t1[32], t2[32], t3[32];
        job_result(m, j, now, rtext, sizeof(rtext));
        snprintf(res, sizeof(res), "%s%s%s", j->sev && j->sev != SEV_NEVER ? glyph(a, j->sev) : "",
                 j->sev && j->sev != SEV_NEVER ? " " : "", rtext);
        ui_text(ui, y, r.x, wm, THEME_TREE_MACHINE, ji == 0 || row == 0 ? m->name : "");
        ui_text(ui, y, r.x + cx[1], wj, THEME_TREE_JOB, j->dest);
        if (m->error) { /* the machine's error on its rows, as far as it fits */
            ui_text(ui, y, r.x + cx[2], r.w - cx[2], THEME_DIAG_ERROR, res);
        } else {
            ui_text(ui, y, r.x + cx[2], wr, sev_role(j->sev), res);
            fmt_time(j->last_start, t1, sizeof(t1));
            fmt_time(j->last_end, t2, sizeof(t2));
            fmt_time(j->timer_next ? j->timer_next : j->sched_next, t3, sizeof(t3));
            bool mine = m->create && s->create_m == mi && (s->create_job < 0 || s->create_job == (long)ji);
            const char *cols[] = {t1, t2, t3, mine ? m->create : ""};
            for (int c = 3; c < 7 && cx[c] < r.w; c++)
                ui_text(ui, y, r.x + cx[c], c == 6 ? r.w - cx[c] : wt, c == 6 ? THEME_STATUS_INFO : THEME_DETAILS_VALUE,
                        cols[c - 3]);
        }
        if (v->top + (size_t)row == v->sel)
            ui_overlay_attr(ui, y, r.x, r.w, THEME_TREE_SELECTED);
    }
    if (split)
        return; /* the journal draws the status and hint rows */
    char status[256];
    snprintf(status, sizeof(status), "%zu job%s on %zu machine%s", n, n == 1 ? "" : "s", s->n, s->n == 1 ? "" : "s");
    static const char *const hints[] = {"r", "ask status", "b", "back up job", "m", "back up machine",
                                        "/", "search", "Esc", "close", NULL};
    ops_bottom(a, H, W, status, false, hints);
    ops_search_draw(a, &v->search, H, W);
}

static bool bview_find(void *ctx, const char *q, int dir, bool skip)
{
    struct bview *v = ctx;
    size_t n = nrows(v->s), i = v->sel;
    for (size_t k = 0; k < n; k++) {
        if (k || skip)
            i = dir > 0 ? (i + 1) % n : (i + n - 1) % n;
        size_t mi = 0, ji = 0;
        row_at(v->s, i, &mi, &ji);
        if (strcasestr(v->s->m[mi].name, q) || strcasestr(v->s->m[mi].jobs[ji].dest, q)) {
            v->sel = i;
            return true;
        }
    }
    return false;
}

static void ask_create(struct app *a, struct bview *v, bool machine)
{
    struct backups_store *s = v->s;
    size_t mi = 0, ji = 0;
    if (!row_at(s, v->sel, &mi, &ji))
        return;
    const struct bmach *m = &s->m[mi];
    if (s->create.op) {
        app_message(a, true, "a backup started here is still running on %s", s->m[s->create_m].name);
        return;
    }
    if (!m->target) {
        app_message(a, true, "%s has no deploy.targetHost: clan-tui cannot reach it", m->name);
        return;
    }
    size_t *sel = calloc(2, sizeof(*sel));
    char *text = NULL;
    if (!sel || asprintf(&text, "Back up now on %s (%s)?\n\nruns there: %s%s\n\nIts journal follows live beside "
                                "this view; the result shows on its row.",
                         m->name, m->target, machine ? "borgbackup-create" : "systemctl start ",
                         machine ? "" : m->jobs[ji].unit) < 0) {
        free(sel);
        app_message(a, true, "out of memory");
        return;
    }
    sel[0] = mi;
    sel[1] = machine ? 0 : ji + 1;
    ops_confirm(a, "Back up now", text, create_start, sel, free);
    free(text);
}

static bool bview_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct bview *v = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &v->search, key, bview_find, v))
        return true;
    switch (key) {
    case 'r':
        status_refresh(a, NULL);
        return true;
    case 'b':
    case 'm':
        ask_create(a, v, key == 'm');
        return true;
    case 'q':
    case KEYSYM_ESC:
        return false;
    default:
        break;
    }
    ops_move(a, key, &v->sel, nrows(v->s), v->page);
    return true;
}

static void bview_free(struct overlay *o)
{
    struct bview *v = o->data;
    v->s->view_open = false;
    free(v);
}

static const struct overlay_ops bview_ops = {"backups", bview_draw, bview_key, bview_free};

bool backups_view_open(struct app *a)
{
    struct backups_store *s = store_get(a);
    struct bview *v = calloc(1, sizeof(*v));
    if (!s || !v || store_sync(s) < 0) {
        free(v);
        app_message(a, true, "backups: out of memory");
        return false;
    }
    v->s = s;
    s->view_open = true;
    /* start on the selected machine's (or job's) row */
    long job;
    const char *sel = ops_selected_machine(a, &job);
    size_t row = 0;
    for (size_t i = 0; sel && i < s->n; row += s->m[i++].njobs)
        if (!strcmp(s->m[i].name, sel)) {
            v->sel = row + (job > 0 && (size_t)job < s->m[i].njobs ? (size_t)job : 0);
            break;
        }
    edit_push(a, &bview_ops, v);
    return true;
}
