/* Operations on many machines at once, each over its own SSH connection (core/sshc), all
 * driven from the caller's poll loop. */
#include "core/backups.h"
#include "core/journal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEP_OUTPUT_MAX (64 * 1024)      /* a step keeps the last 64 KiB it printed */
#define CAPTURE_MAX (64 * 1024 * 1024)   /* status and list: what is parsed */

struct mach {
    struct backups_machine pub;
    struct sshc *c;
    char *machine, *target;
    char **units;
    size_t nunits;
    struct backups_state *states;  /* deep copies */
    size_t nstates;
    size_t state_i;                /* restore: the state being restored */
    int stage;                     /* restore: 0 pre, 1 restore, 2 post, 3 next state */
    bool state_failed;
    size_t info_k;                 /* list: archives before it had their destination asked */
    bool in_info;                  /* list: borg info of a destination runs */
    struct buf out, err;           /* status and list: the command's stdout, stderr */
    uint64_t cmd_deadline;         /* status and list: CLOCK_MONOTONIC ms, 0 none */
    bool started;
    bool more;                     /* output may be left in libssh's buffers */
    bool due;                      /* its socket had news in the last poll */
};

struct backups_op {
    enum backups_kind kind;
    struct backups_options o;
    char *archive;
    struct mach *m;
    size_t n;
    /* which machine each filled pollfd belongs to */
    size_t *fd_owner;
    size_t next;                   /* with a slice: the machine to start the next call at */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- restore command lines ---- */

int backups_restore_command(const char *cmd, const char *archive_name,
                            const struct backups_state *st, struct buf *out, struct diag *d)
{
    struct buf folders = {0};
    for (size_t i = 0; i < st->nfolders; i++) {
        if (strchr(st->folders[i], ':')) {
            buf_free(&folders);
            return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                            "state %s: folder '%s' holds ':', which Clan's FOLDERS (a "
                            "':'-separated list) cannot carry", st->name, st->folders[i]);
        }
        if ((i && buf_putc(&folders, ':') < 0) || buf_puts(&folders, st->folders[i]) < 0)
            goto oom;
    }
    if (buf_putc(&folders, '\0') < 0)
        goto oom;
    /* NAME=... FOLDERS=... exec CMD: the values are single-quoted words, the command a word */
    if (buf_puts(out, "NAME=") < 0 || buf_put_shell_word(out, archive_name) < 0 ||
        buf_puts(out, " FOLDERS=") < 0 || buf_put_shell_word(out, folders.p) < 0 ||
        buf_puts(out, " exec ") < 0 || buf_put_shell_word(out, cmd) < 0)
        goto oom;
    buf_free(&folders);
    return 0;
oom:
    buf_free(&folders);
    return -ENOMEM;
}

/* ---- setup ---- */

static char *xstrdup(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *c = strdup(s);
    if (!c)
        *oom = true;
    return c;
}

static void free_states(struct backups_state *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)s[i].name);
        for (size_t f = 0; f < s[i].nfolders; f++)
            free(s[i].folders[f]);
        free((char **)s[i].folders);
        free((char *)s[i].pre_restore);
        free((char *)s[i].post_restore);
    }
    free(s);
}

static void free_steps(struct backups_step *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(s[i].state);
        free(s[i].what);
        free(s[i].command);
        buf_free(&s[i].output);
    }
    free(s);
}

void backups_op_free(struct backups_op *op)
{
    if (!op)
        return;
    for (size_t i = 0; i < op->n; i++) {
        struct mach *m = &op->m[i];
        sshc_free(m->c);
        free(m->machine);
        free(m->target);
        for (size_t u = 0; u < m->nunits; u++)
            free(m->units[u]);
        free(m->units);
        free_states(m->states, m->nstates);
        buf_free(&m->out);
        buf_free(&m->err);
        free(m->pub.error);
        free(m->pub.details_error);
        for (size_t j = 0; j < m->pub.njobs; j++)
            backups_job_status_clear(&m->pub.jobs[j]);
        free(m->pub.jobs);
        backups_archives_free(m->pub.archives, m->pub.narchives);
        free_steps(m->pub.steps, m->pub.nsteps);
    }
    free(op->m);
    free(op->fd_owner);
    free(op->archive);
    free(op);
}

static int copy_target(struct mach *m, const struct backups_target *t)
{
    bool oom = false;
    m->machine = xstrdup(t->machine ? t->machine : t->target, &oom);
    m->target = xstrdup(t->target, &oom);
    m->pub.machine = m->machine;
    if (t->nunits && !(m->units = calloc(t->nunits, sizeof *m->units)))
        return -ENOMEM;
    for (size_t u = 0; u < t->nunits; u++)
        m->units[m->nunits++] = xstrdup(t->units[u], &oom);
    if (t->nstates && !(m->states = calloc(t->nstates, sizeof *m->states)))
        return -ENOMEM;
    for (size_t s = 0; s < t->nstates; s++) {
        m->nstates = s + 1; /* counted first: a failure below frees what was filled */
        const struct backups_state *src = &t->states[s];
        struct backups_state *dst = &m->states[s];
        dst->name = xstrdup(src->name, &oom);
        dst->pre_restore = xstrdup(src->pre_restore, &oom);
        dst->post_restore = xstrdup(src->post_restore, &oom);
        char **f = src->nfolders ? calloc(src->nfolders, sizeof *f) : NULL;
        if (src->nfolders && !f)
            return -ENOMEM;
        for (size_t i = 0; i < src->nfolders; i++)
            f[i] = xstrdup(src->folders[i], &oom);
        dst->folders = f;
        dst->nfolders = src->nfolders;
    }
    return oom ? -ENOMEM : 0;
}

int backups_op_start(enum backups_kind kind, const struct backups_options *o,
                     const struct backups_target *targets, size_t n, struct backups_op **out,
                     struct diag *d)
{
    if (kind == BACKUPS_RESTORE && (!o->archive || !o->archive[0]))
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "restore: no archive name given");
    struct backups_op *op = calloc(1, sizeof *op);
    if (!op)
        return -ENOMEM;
    op->kind = kind;
    op->o = *o;
    op->o.archive = NULL;
    int r = -ENOMEM;
    if (o->archive && !(op->archive = strdup(o->archive)))
        goto fail;
    if (n && (!(op->m = calloc(n, sizeof *op->m)) || !(op->fd_owner = calloc(n, sizeof(size_t)))))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        op->n = i + 1; /* counted first: a refusal below frees this machine's copy too */
        struct mach *m = &op->m[i];
        if ((r = copy_target(m, &targets[i])) < 0)
            goto fail;
        r = -ENOMEM;
        if (kind == BACKUPS_STATUS && m->nunits) {
            if (!(m->pub.jobs = calloc(m->nunits, sizeof *m->pub.jobs)))
                goto fail;
            for (size_t u = 0; u < m->nunits; u++, m->pub.njobs++) {
                backups_job_status_clear(&m->pub.jobs[u]);
                if (!(m->pub.jobs[u].unit = strdup(m->units[u])))
                    goto fail;
            }
        }
        if (kind == BACKUPS_RESTORE) /* refuse what FOLDERS cannot carry before any host */
            for (size_t s = 0; s < m->nstates; s++) {
                struct buf probe = {0};
                r = backups_restore_command("x", op->archive, &m->states[s], &probe, d);
                buf_free(&probe);
                if (r < 0)
                    goto fail;
            }
        struct sshc_options so = o->ssh;
        so.target = m->target;
        if ((r = sshc_new(&so, &m->c, d)) < 0)
            goto fail;
    }
    *out = op;
    return 0;
fail:
    backups_op_free(op);
    return r;
}

/* ---- steps ---- */

/* a message as one terminal-safe line (control characters as spaces), or NULL */
static char *one_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static char *one_line(const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        return NULL;
    for (char *p = msg; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return msg;
}

static void machine_fail(struct backups_op *op, size_t i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void machine_fail(struct backups_op *op, size_t i, const char *fmt, ...)
{
    struct mach *m = &op->m[i];
    va_list ap;
    va_start(ap, fmt);
    char *msg = one_line(fmt, ap);
    va_end(ap);
    free(m->pub.error);
    m->pub.error = msg ? msg : strdup("failed");
    m->pub.state = BACKUPS_FAILED;
    sshc_disconnect(m->c);
    if (op->o.cb.machine_done)
        op->o.cb.machine_done(op->o.cb.ctx, i, &m->pub);
}

static void machine_done(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    m->pub.state = BACKUPS_DONE;
    sshc_disconnect(m->c);
    if (op->o.cb.machine_done)
        op->o.cb.machine_done(op->o.cb.ctx, i, &m->pub);
}

static struct backups_step *cur_step(struct mach *m)
{
    return m->pub.nsteps ? &m->pub.steps[m->pub.nsteps - 1] : NULL;
}

/* Start a remote command (a step for create and restore). */
static int start_command(struct backups_op *op, size_t i, const char *state, const char *what,
                         const char *command)
{
    struct mach *m = &op->m[i];
    if (op->kind == BACKUPS_CREATE || op->kind == BACKUPS_RESTORE) {
        struct backups_step *v = realloc(m->pub.steps, (m->pub.nsteps + 1) * sizeof *v);
        if (!v)
            return -ENOMEM;
        m->pub.steps = v;
        struct backups_step *s = &v[m->pub.nsteps++];
        *s = (struct backups_step){.exit_status = -1};
        bool oom = false;
        s->state = xstrdup(state, &oom);
        s->what = xstrdup(what, &oom);
        s->command = xstrdup(command, &oom);
        if (oom)
            return -ENOMEM;
        if (op->o.cb.step)
            op->o.cb.step(op->o.cb.ctx, i, s, false);
    }
    buf_reset(&m->out);
    buf_reset(&m->err);
    m->cmd_deadline = 0; /* set when the command runs: connecting has its own timeout */
    return sshc_exec(m->c, command);
}

/* The next restore step of machine i, or done. */
static int restore_next(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    for (;;) {
        if (m->state_i >= m->nstates) {
            if (m->pub.states_failed)
                machine_fail(op, i, "%zu of %zu states were not restored (see their steps)",
                             m->pub.states_failed, m->nstates);
            else
                machine_done(op, i);
            return 0;
        }
        const struct backups_state *st = &m->states[m->state_i];
        const char *cmd = NULL, *what = NULL;
        if (m->state_failed || m->stage > 2) {
            m->state_i++;
            m->stage = 0;
            m->state_failed = false;
            continue;
        }
        if (m->stage == 0) {
            cmd = st->pre_restore;
            what = "preRestoreCommand";
        } else if (m->stage == 1) {
            cmd = "borgbackup-restore";
            what = "borgbackup-restore";
        } else {
            cmd = st->post_restore;
            what = "postRestoreCommand";
        }
        m->stage++;
        if (!cmd)
            continue;
        struct buf line = {0};
        struct diag d = {0};
        int r = backups_restore_command(cmd, op->archive, st, &line, &d);
        if (r >= 0)
            r = buf_putc(&line, '\0') < 0 ? -ENOMEM : 0;
        if (r >= 0)
            r = start_command(op, i, st->name, what, line.p);
        buf_free(&line);
        diag_clear(&d);
        return r;
    }
}

static int begin(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    m->started = true;
    m->pub.state = BACKUPS_CONNECTING;
    struct buf cmd = {0};
    int r = 0;
    switch (op->kind) {
    case BACKUPS_STATUS:
        if (!m->nunits) {
            machine_done(op, i);
            return 0;
        }
        r = backups_status_command(m->units, m->nunits, &cmd);
        if (r >= 0 && (r = buf_putc(&cmd, '\0')) >= 0)
            r = start_command(op, i, NULL, "systemctl show", cmd.p);
        break;
    case BACKUPS_LIST:
        r = start_command(op, i, NULL, "borgbackup-list", "borgbackup-list");
        break;
    case BACKUPS_CREATE:
        if (m->nunits == 1) {
            char *svc = NULL;
            r = str_printf(&svc, "%s.service", m->units[0]);
            if (r >= 0 && (r = buf_puts(&cmd, "systemctl start -- ")) >= 0 &&
                (r = buf_put_shell_word(&cmd, svc)) >= 0 && (r = buf_putc(&cmd, '\0')) >= 0)
                r = start_command(op, i, NULL, "systemctl start", cmd.p);
            free(svc);
        } else
            r = start_command(op, i, NULL, "borgbackup-create", "borgbackup-create");
        break;
    case BACKUPS_RESTORE:
        r = restore_next(op, i);
        break;
    }
    buf_free(&cmd);
    return r < 0 ? -ENOMEM : 0;
}

/* list: why time and size are missing for some archives (the first reason is kept) */
static void details_fail(struct mach *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void details_fail(struct mach *m, const char *fmt, ...)
{
    if (m->pub.details_error)
        return;
    va_list ap;
    va_start(ap, fmt);
    m->pub.details_error = one_line(fmt, ap);
    va_end(ap);
}

/* list: ask the next destination's repository for times and sizes, or done. */
static int list_next_info(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    const struct backups_archive *a = m->pub.archives;
    m->in_info = false;
    for (size_t k = m->info_k; k < m->pub.narchives; k++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = !strcmp(a[j].destination, a[k].destination);
        if (seen)
            continue;
        m->info_k = k + 1;
        struct buf cmd = {0};
        int r = backups_info_command(a[k].destination, &cmd);
        if (r >= 0)
            r = buf_putc(&cmd, '\0');
        if (r >= 0) {
            m->in_info = true;
            r = start_command(op, i, NULL, "borg info", cmd.p);
        }
        buf_free(&cmd);
        return r < 0 ? -ENOMEM : 0;
    }
    m->info_k = m->pub.narchives;
    machine_done(op, i);
    return 0;
}

/* list: the borg info of the destination of archive info_k - 1 ended */
static int info_ended(struct backups_op *op, size_t i, int status)
{
    struct mach *m = &op->m[i];
    const char *dest = m->pub.archives[m->info_k - 1].destination;
    if (status != 0) {
        struct buf why = {0};
        if (m->err.len)
            journal_sanitize(m->err.p, m->err.len, false, &why);
        details_fail(m, "borg-job-%s info exited with status %d%s%s", dest, status,
                     why.len ? ": " : "", why.len ? why.p : "");
        buf_free(&why);
    } else {
        struct diag d = {0};
        char name[300];
        snprintf(name, sizeof name, "%s:borg-job-%s info", m->machine, dest);
        int r = backups_info_parse(name, m->out.p ? m->out.p : "", m->out.len, dest,
                                   m->pub.archives, m->pub.narchives, &d);
        if (r == -ENOMEM) {
            diag_clear(&d);
            return r;
        }
        if (r < 0) {
            char *f = diag_format(&d);
            details_fail(m, "%s", f ? f : "cannot read borg info's answer");
            free(f);
        }
        diag_clear(&d);
    }
    return list_next_info(op, i);
}

/* The command of machine i ended with status (-1: none arrived). */
static int command_ended(struct backups_op *op, size_t i, int status)
{
    struct mach *m = &op->m[i];
    sshc_close_channel(m->c);
    struct backups_step *s = cur_step(m);
    if (m->in_info)
        return info_ended(op, i, status);
    if (op->kind == BACKUPS_STATUS || op->kind == BACKUPS_LIST) {
        struct buf why = {0};
        if (m->err.len)
            journal_sanitize(m->err.p, m->err.len, false, &why);
        const char *what = op->kind == BACKUPS_STATUS ? "systemctl show" : "borgbackup-list";
        if (status != 0) {
            machine_fail(op, i, "%s exited with status %d%s%s", what, status,
                         why.len ? ": " : "", why.len ? why.p : "");
            buf_free(&why);
            return 0;
        }
        buf_free(&why);
        struct diag d = {0};
        char name[300];
        snprintf(name, sizeof name, "%s:%s", m->machine, what);
        int r = op->kind == BACKUPS_STATUS
                    ? backups_status_parse(name, m->out.p ? m->out.p : "", m->out.len,
                                           m->units, m->nunits, m->pub.jobs, &d)
                    : backups_list_parse(name, m->out.p ? m->out.p : "", m->out.len,
                                         &m->pub.archives, &m->pub.narchives, &d);
        if (r == -ENOMEM)
            return r;
        if (r < 0) {
            char *f = diag_format(&d);
            machine_fail(op, i, "%s", f ? f : "cannot read the answer");
            free(f);
        } else if (op->kind == BACKUPS_LIST)
            r = list_next_info(op, i);
        else
            machine_done(op, i);
        diag_clear(&d);
        return r < 0 ? r : 0;
    }
    s->exit_status = status;
    s->ok = status == 0;
    if (op->o.cb.step)
        op->o.cb.step(op->o.cb.ctx, i, s, true);
    if (op->kind == BACKUPS_CREATE) {
        if (s->ok)
            machine_done(op, i);
        else
            machine_fail(op, i, "%s exited with status %d", s->what, status);
        return 0;
    }
    if (!s->ok) {
        m->state_failed = true;
        m->pub.states_failed++;
    }
    return restore_next(op, i);
}

static void capture(struct buf *b, const char *data, size_t len, size_t max)
{
    if (b->len + len > max) {
        if (len >= max) {
            data += len - max;
            len = max;
            buf_reset(b);
        } else {
            size_t drop = b->len + len - max;
            memmove(b->p, b->p + drop, b->len - drop);
            b->len -= drop;
        }
    }
    buf_append(b, data, len);
}

static int read_output(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    char data[16384];
    bool is_err;
    /* bounded per call so one chatty machine cannot starve the others */
    m->more = false;
    for (int rounds = 0; rounds < 64; rounds++) {
        int n = sshc_read(m->c, data, sizeof data, &is_err);
        if (n <= 0)
            return n;
        struct backups_step *s = cur_step(m);
        if (op->kind == BACKUPS_STATUS || op->kind == BACKUPS_LIST) {
            struct buf *b = is_err ? &m->err : &m->out;
            if (b->len + (size_t)n > (is_err ? 4096u : CAPTURE_MAX))
                return -E2BIG;
            if (buf_append(b, data, (size_t)n) < 0)
                return -ENOMEM;
        } else if (s) {
            capture(&s->output, data, (size_t)n, STEP_OUTPUT_MAX);
            if (op->o.cb.output)
                op->o.cb.output(op->o.cb.ctx, i, s, data, (size_t)n, is_err);
        }
    }
    m->more = true;
    return 1;
}

static int process_machine(struct backups_op *op, size_t i)
{
    struct mach *m = &op->m[i];
    if (m->pub.state == BACKUPS_DONE || m->pub.state == BACKUPS_FAILED)
        return 0;
    if (!m->started)
        return begin(op, i);
    struct diag d = {0};
    int r = sshc_process(m->c, &d);
    char *notice = sshc_take_notice(m->c);
    free(notice);
    if (r < 0) {
        if (r == -ENOMEM)
            return r;
        if (m->in_info) {
            details_fail(m, "%s: %s during borg info", m->target, d.msg ? d.msg : "failed");
            diag_clear(&d);
            m->in_info = false;
            machine_done(op, i);
            return 0;
        }
        struct backups_step *s = cur_step(m);
        if (s && s->exit_status < 0 && op->kind == BACKUPS_RESTORE && m->pub.nsteps > 1)
            machine_fail(op, i, "%s: %s; the restore is incomplete", m->target, d.msg);
        else
            machine_fail(op, i, "%s: %s", m->target, d.msg ? d.msg : "failed");
        diag_clear(&d);
        return 0;
    }
    diag_clear(&d);
    if (sshc_phase(m->c) != SSHC_RUNNING)
        return 0;
    if (r == 1 && (op->kind == BACKUPS_STATUS || op->kind == BACKUPS_LIST)) {
        unsigned t = op->o.command_timeout_s ? op->o.command_timeout_s : 60;
        m->cmd_deadline = now_ms() + (uint64_t)t * 1000;
    }
    m->pub.state = BACKUPS_RUNNING;
    int n = read_output(op, i);
    if (n == -ENOMEM)
        return n;
    if (m->in_info && (n == -EIO || n == -E2BIG || sshc_connection_lost(m->c))) {
        /* the archives are in hand: only their times and sizes are lost */
        details_fail(m, "%s: %s during borg info", m->target,
                     n == -E2BIG ? "the answer is too large" : "connection lost");
        m->in_info = false;
        machine_done(op, i);
        return 0;
    }
    if (n == -E2BIG) {
        machine_fail(op, i, "%s: the answer is too large", m->target);
        return 0;
    }
    int status;
    if (n == -EIO || sshc_connection_lost(m->c)) {
        struct backups_step *s = cur_step(m);
        if (s)
            machine_fail(op, i, "%s: connection lost during %s%s%s%s", m->target, s->what,
                         s->state ? " of state " : "", s->state ? s->state : "",
                         op->kind == BACKUPS_RESTORE ? "; the restore is incomplete" : "");
        else
            machine_fail(op, i, "%s: connection lost", m->target);
        return 0;
    }
    if (n == 0 && sshc_command_ended(m->c, &status)) {
        if (status < 0 && op->kind == BACKUPS_RESTORE) {
            struct backups_step *s = cur_step(m);
            machine_fail(op, i, "%s: %s of state %s ended without an exit status (killed or "
                         "connection lost); the restore is incomplete", m->target,
                         s ? s->what : "a step", s && s->state ? s->state : "?");
            return 0;
        }
        return command_ended(op, i, status);
    }
    if (m->cmd_deadline && now_ms() >= m->cmd_deadline) {
        unsigned t = op->o.command_timeout_s ? op->o.command_timeout_s : 60;
        if (m->in_info) {
            details_fail(m, "%s: borg info gave no answer within %u s", m->target, t);
            m->in_info = false;
            machine_done(op, i);
            return 0;
        }
        machine_fail(op, i, "%s: no answer within %u s", m->target, t);
    }
    return 0;
}

/* ---- the poll interface ---- */

size_t backups_op_nfds(const struct backups_op *op)
{
    size_t k = 0;
    for (size_t i = 0; i < op->n; i++)
        if (op->m[i].started && op->m[i].pub.state != BACKUPS_DONE &&
            op->m[i].pub.state != BACKUPS_FAILED && sshc_fd(op->m[i].c) >= 0)
            k++;
    return k;
}

void backups_op_fill(const struct backups_op *op, struct pollfd *fds)
{
    size_t k = 0;
    for (size_t i = 0; i < op->n; i++) {
        const struct mach *m = &op->m[i];
        if (!m->started || m->pub.state == BACKUPS_DONE || m->pub.state == BACKUPS_FAILED ||
            sshc_fd(m->c) < 0)
            continue;
        fds[k] = (struct pollfd){.fd = sshc_fd(m->c), .events = sshc_events(m->c)};
        op->fd_owner[k] = i;
        k++;
    }
}

/* When machine i needs a turn without socket news: ms (0 now), -1 never. */
static int machine_timeout(const struct mach *m, uint64_t now)
{
    if (m->pub.state == BACKUPS_DONE || m->pub.state == BACKUPS_FAILED)
        return -1;
    if (!m->started || m->more || m->due)
        return 0;
    if (sshc_phase(m->c) == SSHC_RUNNING)
        return m->cmd_deadline ? (m->cmd_deadline <= now ? 0 : (int)(m->cmd_deadline - now))
                               : -1;
    return sshc_timeout_ms(m->c);
}

int backups_op_timeout_ms(const struct backups_op *op)
{
    int best = -1;
    uint64_t now = now_ms();
    for (size_t i = 0; i < op->n; i++) {
        int t = machine_timeout(&op->m[i], now);
        if (t >= 0 && (best < 0 || t < best))
            best = t;
    }
    return best;
}

int backups_op_process(struct backups_op *op, const struct pollfd *fds, size_t nfds)
{
    /* a machine gets a turn when its socket has news or its time has come */
    for (size_t k = 0; k < nfds; k++)
        if (fds[k].revents && op->fd_owner[k] < op->n)
            op->m[op->fd_owner[k]].due = true;
    uint64_t now = now_ms();
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (size_t k = 0; k < op->n; k++) {
        size_t i = (op->next + k) % op->n;
        struct mach *m = &op->m[i];
        if (!m->due && machine_timeout(m, now) != 0)
            continue;
        m->due = false;
        int r = process_machine(op, i);
        if (r < 0)
            return r;
        if (!op->o.slice_us)
            continue;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((uint64_t)(t.tv_sec - t0.tv_sec) * 1000000u + (uint64_t)(t.tv_nsec / 1000) -
                (uint64_t)(t0.tv_nsec / 1000) >= op->o.slice_us) {
            /* the slice is used up: the machines not reached yet keep their turn (due, or
             * their time has come: backups_op_timeout_ms says 0) for the next call */
            for (size_t j = k + 1; j < op->n; j++) {
                struct mach *o = &op->m[(op->next + j) % op->n];
                if (!o->due && machine_timeout(o, now) == 0 && !o->more && o->started)
                    o->due = true;
            }
            op->next = (i + 1) % op->n;
            return 0;
        }
    }
    return 0;
}

bool backups_op_done(const struct backups_op *op)
{
    for (size_t i = 0; i < op->n; i++)
        if (op->m[i].pub.state != BACKUPS_DONE && op->m[i].pub.state != BACKUPS_FAILED)
            return false;
    return true;
}

size_t backups_op_count(const struct backups_op *op)
{
    return op->n;
}

const struct backups_machine *backups_op_machine(const struct backups_op *op, size_t i)
{
    return i < op->n ? &op->m[i].pub : NULL;
}

void backups_op_take_archives(struct backups_op *op, size_t i, struct backups_archive **out,
                              size_t *n)
{
    *out = NULL;
    *n = 0;
    if (i >= op->n)
        return;
    *out = op->m[i].pub.archives;
    *n = op->m[i].pub.narchives;
    op->m[i].pub.archives = NULL;
    op->m[i].pub.narchives = 0;
}

int backups_op_run(struct backups_op *op)
{
    struct pollfd *fds = op->n ? calloc(op->n, sizeof *fds) : NULL;
    if (op->n && !fds)
        return -ENOMEM;
    int r = 0;
    while (!backups_op_done(op)) {
        size_t n = backups_op_nfds(op);
        backups_op_fill(op, fds);
        int t = backups_op_timeout_ms(op);
        if (poll(fds, n, t) < 0 && errno != EINTR) {
            r = -errno;
            break;
        }
        if ((r = backups_op_process(op, fds, n)) < 0)
            break;
    }
    free(fds);
    return r;
}
