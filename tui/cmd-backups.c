/* clan-tui backups status|list|create|restore: operate Clan's borgbackup on the machines over
 * SSH, with the commands `clan backups` runs there (core/backups): every machine at once,
 * each failing alone; create follows the jobs' journals live (core/journal over SSH). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/backups.h"
#include "core/inventory.h"
#include "core/journal.h"
#include "core/plan.h"
#include "core/units.h"
#include "tui/cli.h"

static void backups_help(void)
{
    fputs("Usage: clan-tui backups status [DIR|FILE] [MACHINE]... [OPTION]...\n"
          "       clan-tui backups list [DIR|FILE] MACHINE [OPTION]...\n"
          "       clan-tui backups create [DIR|FILE] MACHINE [--job DEST] [OPTION]...\n"
          "       clan-tui backups restore [DIR|FILE] MACHINE borgbackup NAME [--service S]\n"
          "\n"
          "Operate the backups on the machines over SSH (their deploy.targetHost), with the\n"
          "commands Clan's borgbackup service installs there (`clan-tui units` writes them\n"
          "for a host without NixOS):\n"
          "  status   per job of each client (every client when no MACHINE is given, all at\n"
          "           once): the last run's result, start and end, and the timer's last and\n"
          "           next elapse, from `systemctl show` of its .service and .timer\n"
          "  list     the archives, as borgbackup-list gives them (DEST::REPO::ARCHIVE),\n"
          "           with each one's time and original size where the repository answers\n"
          "           `borg-job-DEST info --json` (--json: time, original_size,\n"
          "           compressed_size, deduplicated_size, nfiles beside the name)\n"
          "  create   back up now: borgbackup-create (every job), or with --job DEST\n"
          "           `systemctl start borgbackup-job-DEST`; the jobs' journals are shown\n"
          "           live, then their result\n"
          "  restore  archive NAME (as `list` prints it), state by state (or only S): the\n"
          "           state's preRestoreCommand, borgbackup-restore with NAME and FOLDERS in\n"
          "           its environment, then its postRestoreCommand; a failing step stops\n"
          "           that state with its output, the other states go on (as Clan does)\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -j, --job DEST         create: only the job of destination DEST\n"
          "  -s, --service S        restore: only state S\n"
          "      --json             print the result as JSON (list: borgbackup-list's JSON)\n"
          "  -i, --identity=KEY     private key for SSH (default: the agent, ~/.ssh/id_*)\n"
          "      --known-hosts=F    known_hosts file (default ~/.ssh/known_hosts)\n"
          "      --strict-host-keys refuse unknown host keys (default: accept new ones,\n"
          "                         always refuse a changed key)\n"
          "      --timeout=S        seconds to connect, and for status and list to answer\n"
          "                         (default 10 and 60)\n"
          "  -h, --help             show this help and exit\n"
          "\n"
          "Names, states and folders are sent as single-quoted shell words: no value can\n"
          "change the command that runs. A machine that cannot be reached fails alone.\n"
          "Exit status: 0 done (status: every machine answered and no job failed), 1 a\n"
          "machine failed, a job failed or a state was not restored, 2 usage error.\n",
          stdout);
}

enum { OPT_JSON = 256, OPT_KNOWN_HOSTS, OPT_STRICT, OPT_TIMEOUT };

struct ctx {
    const char *op;
    bool json;
    struct backups_options bo;
    struct inventory *inv;
    struct plan *plan;
    const char *clan_file;
};

/* ---- time ---- */

static void put_time(struct buf *b, uint64_t us, bool json)
{
    if (!us) {
        buf_puts(b, json ? "null" : "-");
        return;
    }
    time_t t = (time_t)(us / 1000000);
    struct tm tm;
    char s[64];
    if (json) {
        gmtime_r(&t, &tm);
        strftime(s, sizeof s, "\"%Y-%m-%dT%H:%M:%SZ\"", &tm);
    } else {
        localtime_r(&t, &tm);
        strftime(s, sizeof s, "%Y-%m-%d %H:%M:%S", &tm);
    }
    buf_puts(b, s);
}

static const char *dest_of(const char *unit)
{
    return strncmp(unit, "borgbackup-job-", 15) ? unit : unit + 15;
}

/* ---- machines and their targets ---- */

static int add_target(struct ctx *c, const struct plan_machine *m, struct backups_target **v,
                      size_t *n)
{
    struct backups_target *nv = realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return -ENOMEM;
    *v = nv;
    (void)c;
    nv[(*n)++] = (struct backups_target){.machine = m->name, .target = m->target_host};
    return 0;
}

static const struct plan_machine *find_client(struct ctx *c, const char *name)
{
    const struct plan_machine *m = plan_find_machine(c->plan, name);
    if (!m) {
        fprintf(stderr, "%s: error: no machine '%s' in the inventory\n", c->clan_file, name);
        return NULL;
    }
    if (!m->is_client || !m->njobs) {
        fprintf(stderr, "%s: error: machine '%s' has no backup jobs (%s)\n", c->clan_file,
                name, m->no_jobs_reason ? m->no_jobs_reason : "not a borgbackup client");
        return NULL;
    }
    return m;
}

/* Every machine gets its units; machines without a target fail before contacting anyone. */
static char **units_of(const struct plan_machine *m)
{
    char **u = calloc(m->njobs ? m->njobs : 1, sizeof *u);
    for (size_t i = 0; u && i < m->njobs; i++)
        u[i] = m->jobs[i].unit;
    return u;
}

/* ---- printing results ---- */

static void print_failure(const struct backups_machine *bm, const char *target)
{
    fprintf(stderr, "clan-tui: backups: %s: %s\n", bm->machine,
            bm->error ? bm->error : target ? "failed" : "no deploy.targetHost");
}

static int print_status(struct ctx *c, struct backups_op *op, const char **targets)
{
    struct buf b = {0};
    int ret = 0;
    size_t n = backups_op_count(op);
    if (c->json)
        buf_puts(&b, "{\"machines\": [");
    else
        buf_printf(&b, "%-20s %-16s %-10s %-19s  %-19s  %-19s\n", "MACHINE", "JOB", "RESULT",
                   "LAST START", "LAST END", "NEXT");
    for (size_t i = 0; i < n; i++) {
        const struct backups_machine *bm = backups_op_machine(op, i);
        bool ok = bm->state == BACKUPS_DONE;
        if (!ok)
            ret = 1;
        if (c->json) {
            buf_puts(&b, i ? ",\n  {\"machine\": " : "\n  {\"machine\": ");
            json_put_string(&b, bm->machine);
            buf_puts(&b, ", \"target\": ");
            if (targets[i])
                json_put_string(&b, targets[i]);
            else
                buf_puts(&b, "null");
            buf_printf(&b, ", \"ok\": %s, \"error\": ", ok ? "true" : "false");
            if (bm->error)
                json_put_string(&b, bm->error);
            else
                buf_puts(&b, "null");
            buf_puts(&b, ", \"jobs\": [");
        } else if (!ok)
            print_failure(bm, targets[i]);
        for (size_t j = 0; j < bm->njobs; j++) {
            const struct backups_job_status *js = &bm->jobs[j];
            if (ok && js->state == BACKUPS_JOB_FAILED)
                ret = 1;
            if (c->json) {
                buf_puts(&b, j ? ", {\"unit\": " : "{\"unit\": ");
                json_put_string(&b, js->unit);
                buf_puts(&b, ", \"destination\": ");
                json_put_string(&b, dest_of(js->unit));
                buf_puts(&b, ", \"state\": ");
                json_put_string(&b, ok ? backups_job_state_name(js->state) : "unknown");
                const char *strs[] = {"result", js->result, "active_state", js->active_state,
                                      "sub_state", js->sub_state};
                for (size_t k = 0; k < 6; k += 2) {
                    buf_printf(&b, ", \"%s\": ", strs[k]);
                    if (strs[k + 1])
                        json_put_string(&b, strs[k + 1]);
                    else
                        buf_puts(&b, "null");
                }
                buf_printf(&b, ", \"exit_status\": %d", js->exit_status);
                const char *tn[] = {"last_start", "last_end", "timer_last", "timer_next"};
                uint64_t tv[] = {js->last_start, js->last_end, js->timer_last, js->timer_next};
                for (size_t k = 0; k < 4; k++) {
                    buf_printf(&b, ", \"%s\": ", tn[k]);
                    put_time(&b, tv[k], true);
                }
                buf_puts(&b, "}");
                continue;
            }
            if (!ok)
                continue;
            char result[64];
            if (js->state == BACKUPS_JOB_FAILED && js->result)
                snprintf(result, sizeof result, "failed (%s, status %d)", js->result,
                         js->exit_status);
            else
                snprintf(result, sizeof result, "%s", backups_job_state_name(js->state));
            buf_printf(&b, "%-20s %-16s %-10s ", bm->machine, dest_of(js->unit), result);
            put_time(&b, js->last_start, false);
            buf_puts(&b, js->last_start ? "  " : "                    ");
            put_time(&b, js->last_end, false);
            buf_puts(&b, js->last_end ? "  " : "                    ");
            put_time(&b, js->timer_next, false);
            buf_puts(&b, "\n");
        }
        if (c->json)
            buf_puts(&b, "]}");
    }
    if (c->json)
        buf_puts(&b, "\n]}\n");
    if (b.p && cli_write_stdout(b.p, b.len))
        ret = 1;
    buf_free(&b);
    return ret;
}

/* borgbackup-list's JSON as jq prints it (jq -s 'add // []'), so the two compare equal */
static void put_list_json(struct buf *b, const struct backups_machine *bm)
{
    if (!bm->narchives) {
        buf_puts(b, "[]\n");
        return;
    }
    buf_puts(b, "[\n");
    for (size_t i = 0; i < bm->narchives; i++) {
        const struct backups_archive *a = &bm->archives[i];
        buf_puts(b, "  {\n    \"name\": ");
        json_put_string(b, a->name);
        /* what the repository told, beyond borgbackup-list's name */
        if (a->time) {
            buf_puts(b, ",\n    \"time\": ");
            json_put_string(b, a->time);
        }
        const int64_t num[] = {a->original_size, a->compressed_size, a->deduplicated_size,
                               a->nfiles};
        static const char *const key[] = {"original_size", "compressed_size",
                                          "deduplicated_size", "nfiles"};
        for (size_t k = 0; k < 4; k++)
            if (num[k] >= 0)
                buf_printf(b, ",\n    \"%s\": %lld", key[k], (long long)num[k]);
        buf_puts(b, i + 1 < bm->narchives ? "\n  },\n" : "\n  }\n");
    }
    buf_puts(b, "]\n");
}

static void put_steps_json(struct buf *b, const struct backups_machine *bm)
{
    buf_puts(b, "{\"machine\": ");
    json_put_string(b, bm->machine);
    buf_printf(b, ", \"ok\": %s, \"error\": ", bm->state == BACKUPS_DONE ? "true" : "false");
    if (bm->error)
        json_put_string(b, bm->error);
    else
        buf_puts(b, "null");
    buf_puts(b, ", \"steps\": [");
    for (size_t i = 0; i < bm->nsteps; i++) {
        const struct backups_step *s = &bm->steps[i];
        buf_puts(b, i ? ", {\"state\": " : "{\"state\": ");
        if (s->state)
            json_put_string(b, s->state);
        else
            buf_puts(b, "null");
        buf_puts(b, ", \"what\": ");
        json_put_string(b, s->what);
        buf_puts(b, ", \"command\": ");
        json_put_string(b, s->command);
        buf_printf(b, ", \"exit_status\": %d, \"ok\": %s, \"output\": ", s->exit_status,
                   s->ok ? "true" : "false");
        json_put_stringn(b, s->output.p ? s->output.p : "", s->output.len);
        buf_puts(b, "}");
    }
    buf_puts(b, "]}\n");
}

/* ---- live output of create and restore ---- */

static void on_output(void *ctx, size_t machine, const struct backups_step *step,
                      const char *data, size_t len, bool is_stderr)
{
    struct ctx *c = ctx;
    (void)machine;
    (void)step;
    if (c->json)
        return;
    struct buf safe = {0};
    journal_sanitize(data, len, true, &safe);
    if (safe.p)
        fwrite(safe.p, 1, safe.len, is_stderr ? stderr : stdout);
    fflush(is_stderr ? stderr : stdout);
    buf_free(&safe);
}

static void on_step(void *ctx, size_t machine, const struct backups_step *s, bool ended)
{
    struct ctx *c = ctx;
    (void)machine;
    if (c->json)
        return;
    struct buf line = {0};
    if (!ended)
        buf_printf(&line, "==> %s%s%s%s\n", s->state ? "state " : "", s->state ? s->state : "",
                   s->state ? ": " : "", s->what);
    else
        buf_printf(&line, "==> %s%s%s%s %s (exit status %d)\n", s->state ? "state " : "",
                   s->state ? s->state : "", s->state ? ": " : "", s->what,
                   s->ok ? "done" : "FAILED", s->exit_status);
    struct buf safe = {0};
    journal_sanitize(line.p, line.len, true, &safe);
    fwrite(safe.p, 1, safe.len, stdout);
    fflush(stdout);
    buf_free(&safe);
    buf_free(&line);
}

/* ---- create: the op beside the jobs' journals ---- */

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

/* Did systemd log the end of the start job of every unit (JOB_TYPE=start, JOB_RESULT)? */
static bool jobs_ended(const struct journal_entry *e, char **units, size_t n, bool *seen)
{
    size_t ul;
    const char *unit = journal_entry_get(e, "UNIT", &ul);
    const char *jt = journal_entry_get(e, "JOB_TYPE", NULL);
    if (unit && jt && !strcmp(jt, "start") && journal_entry_get(e, "JOB_RESULT", NULL))
        for (size_t i = 0; i < n; i++) {
            size_t l = strlen(units[i]);
            if (ul == l + 8 && !strncmp(unit, units[i], l) && !strcmp(unit + l, ".service"))
                seen[i] = true;
        }
    for (size_t i = 0; i < n; i++)
        if (!seen[i])
            return false;
    return true;
}

static int run_create(struct ctx *c, const struct plan_machine *m, const char *job)
{
    struct backups_target t = {.machine = m->name, .target = m->target_host};
    char *one[1];
    char **all = units_of(m);
    if (!all)
        return 1;
    size_t nwatch = m->njobs;
    char **watch = all;
    if (job) {
        for (size_t i = 0; i < m->njobs; i++)
            if (!strcmp(m->jobs[i].destination, job))
                one[0] = m->jobs[i].unit, t.units = one, t.nunits = 1;
        if (!t.nunits) {
            fprintf(stderr, "%s: error: machine '%s' has no job for destination '%s'\n",
                    c->clan_file, m->name, job);
            free(all);
            return 1;
        }
        watch = one;
        nwatch = 1;
    }
    int ret = 1;
    struct journal_source *src = NULL;
    struct backups_op *op = NULL, *st = NULL;
    struct diag d = {0};
    bool *seen = calloc(nwatch, sizeof *seen);
    if (!seen)
        goto out;
    /* the journal first: once it follows, nothing the job logs is missed */
    struct journal_select sel = {.prio_max = -1, .follow = true, .lines = 1000000,
                                 .has_since = true, .since = now_us() - 2000000};
    for (size_t i = 0; i < nwatch; i++) {
        char *s = NULL;
        if (str_printf(&s, "%s.service", watch[i]) < 0 || journal_select_add_unit(&sel, s) < 0) {
            free(s);
            goto out;
        }
        free(s);
    }
    struct journal_source_options so = {
        .kind = JOURNAL_REMOTE,
        .remote = {.target = m->target_host, .identity = c->bo.ssh.identity,
                   .known_hosts = c->bo.ssh.known_hosts,
                   .policy = c->bo.ssh.policy == SSHC_HOSTKEY_STRICT ? JOURNAL_HOSTKEY_STRICT
                                                                     : JOURNAL_HOSTKEY_ACCEPT_NEW,
                   .connect_timeout_s = c->bo.ssh.connect_timeout_s}};
    int r = journal_source_open(&so, &sel, &src, &d);
    journal_select_free(&sel);
    if (r < 0) {
        cli_print_diag(stderr, &d);
        goto out;
    }
    if ((r = backups_op_start(BACKUPS_CREATE, &c->bo, &t, 1, &op, &d)) < 0) {
        cli_print_diag(stderr, &d);
        goto out;
    }
    struct journal_ring *ring = journal_source_ring(src);
    uint64_t next = journal_ring_first(ring);
    struct buf out = {0};
    bool journal_ok = true, all_seen = false;
    struct pollfd fds[2];
    for (;;) {
        bool following = journal_ok && journal_source_state(src) == JOURNAL_STATE_FOLLOWING;
        bool op_done = backups_op_done(op);
        if (op_done && (all_seen || !journal_ok))
            break;
        size_t nop = following && !op_done ? backups_op_nfds(op) : 0;
        if (nop)
            backups_op_fill(op, fds);
        int jfd = journal_ok ? journal_source_fd(src) : -1;
        size_t nf = nop;
        if (jfd >= 0)
            fds[nf++] = (struct pollfd){.fd = jfd, .events = journal_source_events(src)};
        int to = journal_ok ? journal_source_timeout_ms(src) : -1;
        if (following && !op_done) {
            int t2 = backups_op_timeout_ms(op);
            if (t2 >= 0 && (to < 0 || t2 < to))
                to = t2;
        }
        if (op_done && (to < 0 || to > 10000))
            to = 10000; /* the journal's last words: wait for them a while, not forever */
        int pr = poll(fds, nf, to);
        if (pr < 0 && errno != EINTR)
            break;
        if (following && !op_done && backups_op_process(op, fds, nop) < 0)
            break;
        if (op_done && pr == 0)
            break;
        if (journal_ok) {
            short rev = jfd >= 0 ? fds[nf - 1].revents : 0;
            if (journal_source_process(src, rev, &d) < 0) {
                cli_print_diag(stderr, &d);
                journal_ok = false;
            }
            char *notice = journal_source_take_notice(src);
            if (notice)
                fprintf(stderr, "clan-tui: backups: %s\n", notice);
            free(notice);
            for (; next < journal_ring_end(ring); next++) {
                const struct journal_entry *e = journal_ring_get(ring, next);
                if (e->filtered)
                    continue;
                if (!c->json)
                    journal_format(e, JOURNAL_OUTPUT_SHORT_ISO, false, &out);
                if (jobs_ended(e, watch, nwatch, seen))
                    all_seen = true;
            }
            journal_ring_clear(ring);
            next = journal_ring_end(ring);
            if (out.len) {
                cli_write_stdout(out.p, out.len);
                buf_reset(&out);
            }
        }
    }
    buf_free(&out);
    const struct backups_machine *bm = backups_op_machine(op, 0);
    if (bm->state != BACKUPS_DONE && bm->state != BACKUPS_FAILED) {
        fprintf(stderr, "clan-tui: backups: %s: the backup could not be started: %s\n",
                m->name, "the journal could not be followed");
        goto out;
    }
    /* the result, as systemd has it now */
    t.units = all;
    t.nunits = m->njobs;
    if (backups_op_start(BACKUPS_STATUS, &c->bo, &t, 1, &st, &d) < 0 || backups_op_run(st) < 0)
        goto out;
    if (c->json) {
        struct buf b = {0};
        put_steps_json(&b, bm);
        cli_write_stdout(b.p, b.len);
        buf_free(&b);
    }
    const char *targets[1] = {m->target_host};
    int sr = print_status(c, st, targets);
    if (bm->state == BACKUPS_DONE && sr == 0)
        ret = 0;
    else if (bm->state != BACKUPS_DONE)
        print_failure(bm, m->target_host);
out:
    backups_op_free(op);
    backups_op_free(st);
    journal_source_free(src);
    diag_clear(&d);
    free(seen);
    free(all);
    return ret;
}

/* ---- restore ---- */

static int run_restore(struct ctx *c, const struct plan_machine *m, const char *name,
                       const char *service)
{
    struct backups_state *sv = calloc(m->nstates ? m->nstates : 1, sizeof *sv);
    struct buf *names = calloc(m->nstates ? 2 * m->nstates : 1, sizeof *names);
    size_t n = 0;
    int ret = 1;
    if (!sv || !names)
        goto out;
    for (size_t i = 0; i < m->nstates; i++) {
        const struct plan_state *ps = &m->states[i];
        if (service && strcmp(ps->name, service))
            continue;
        if (ps->folders_on_machine) {
            fprintf(stderr, "%s: error: state %s of %s has folders Clan evaluates on the "
                    "machine; clan-tui cannot know them, so it cannot restore this state "
                    "(use clan backups restore)\n", c->clan_file, ps->name, m->name);
            goto out;
        }
        if (ps->has_pre_restore && units_restore_hook_command(ps->name, true, &names[2 * i]) < 0)
            goto out;
        if (ps->has_post_restore &&
            units_restore_hook_command(ps->name, false, &names[2 * i + 1]) < 0)
            goto out;
        buf_putc(&names[2 * i], '\0');
        buf_putc(&names[2 * i + 1], '\0');
        sv[n++] = (struct backups_state){.name = ps->name, .folders = ps->folders,
                                         .nfolders = ps->nfolders,
                                         .pre_restore = ps->has_pre_restore ? names[2 * i].p : NULL,
                                         .post_restore = ps->has_post_restore ? names[2 * i + 1].p
                                                                              : NULL};
    }
    if (service && !n) {
        fprintf(stderr, "%s: error: Service %s not found in configuration. Available services "
                "are:", c->clan_file, service);
        for (size_t i = 0; i < m->nstates; i++)
            fprintf(stderr, "%s %s", i ? "," : "", m->states[i].name);
        fputc('\n', stderr);
        goto out;
    }
    struct backups_target t = {.machine = m->name, .target = m->target_host, .states = sv,
                               .nstates = n};
    struct backups_options bo = c->bo;
    bo.archive = name;
    struct backups_op *op = NULL;
    struct diag d = {0};
    if (backups_op_start(BACKUPS_RESTORE, &bo, &t, 1, &op, &d) < 0) {
        cli_print_diag(stderr, &d);
        diag_clear(&d);
        goto out;
    }
    if (backups_op_run(op) == 0) {
        const struct backups_machine *bm = backups_op_machine(op, 0);
        if (c->json) {
            struct buf b = {0};
            put_steps_json(&b, bm);
            cli_write_stdout(b.p, b.len);
            buf_free(&b);
        }
        if (bm->state == BACKUPS_DONE)
            ret = 0;
        else {
            fprintf(stderr, "clan-tui: backups: %s: restore failed: %s\n", m->name,
                    bm->error ? bm->error : "?");
            for (size_t i = 0; i < bm->nsteps; i++) {
                const struct backups_step *s = &bm->steps[i];
                if (s->ok)
                    continue;
                if (s->exit_status < 0)
                    fprintf(stderr, "  state %s: %s did not finish\n", s->state ? s->state : "?",
                            s->what);
                else
                    fprintf(stderr, "  state %s: %s failed (exit status %d)\n",
                            s->state ? s->state : "?", s->what, s->exit_status);
            }
        }
    }
    backups_op_free(op);
out:
    for (size_t i = 0; names && i < 2 * m->nstates; i++)
        buf_free(&names[i]);
    free(names);
    free(sv);
    return ret;
}

/* ---- the command ---- */

int cmd_backups(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"job", required_argument, NULL, 'j'},
        {"service", required_argument, NULL, 's'},
        {"json", no_argument, NULL, OPT_JSON},
        {"identity", required_argument, NULL, 'i'},
        {"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},
        {"strict-host-keys", no_argument, NULL, OPT_STRICT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ctx c = {0};
    const char *job = NULL, *service = NULL;
    int opt;
    optind = 1;
    opterr = 0;
    /* GNU getopt permutes: options may come anywhere among the words */
    while ((opt = getopt_long(argc, argv, ":j:s:i:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'j': job = optarg; break;
        case 's': service = optarg; break;
        case OPT_JSON: c.json = true; break;
        case 'i': c.bo.ssh.identity = optarg; break;
        case OPT_KNOWN_HOSTS: c.bo.ssh.known_hosts = optarg; break;
        case OPT_STRICT: c.bo.ssh.policy = SSHC_HOSTKEY_STRICT; break;
        case OPT_TIMEOUT: {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v == 0 || v > 86400)
                return cli_usage_error("backups", "invalid --timeout '%s': expected seconds "
                                       "(1 to 86400)", optarg);
            c.bo.ssh.connect_timeout_s = (unsigned)v;
            c.bo.command_timeout_s = (unsigned)v;
            break;
        }
        case 'h': backups_help(); return 0;
        case ':': return cli_usage_error("backups", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("backups", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("backups", "expected an operation: status, list, create or "
                               "restore");
    c.op = argv[optind++];
    if (strcmp(c.op, "status") && strcmp(c.op, "list") && strcmp(c.op, "create") &&
        strcmp(c.op, "restore"))
        return cli_usage_error("backups", "unknown operation '%s': expected status, list, "
                               "create or restore", c.op);
    char **pos = argv + optind;
    size_t npos = (size_t)(argc - optind);
    size_t pi = 0;
    const char *clan_arg = npos && cli_is_clan_arg(pos[0]) ? pos[pi++] : NULL;
    int ret = 2;
    bool is_status = !strcmp(c.op, "status"), is_restore = !strcmp(c.op, "restore");
    if (!is_status && npos - pi < 1) {
        ret = cli_usage_error("backups", "%s: expected a MACHINE", c.op);
        goto done;
    }
    if (is_restore && npos - pi != 3) {
        ret = cli_usage_error("backups", "restore: expected MACHINE borgbackup NAME");
        goto done;
    }
    if (is_restore && strcmp(pos[pi + 1], "borgbackup")) {
        ret = cli_usage_error("backups", "restore: unknown provider '%s': expected borgbackup",
                              pos[pi + 1]);
        goto done;
    }
    if (!is_status && !is_restore && npos - pi != 1) {
        ret = cli_usage_error("backups", "%s: expected one MACHINE", c.op);
        goto done;
    }
    if ((job && strcmp(c.op, "create")) || (service && !is_restore)) {
        ret = cli_usage_error("backups", "%s is for %s", job ? "--job" : "--service",
                              job ? "create" : "restore");
        goto done;
    }
    c.bo.cb = (struct backups_callbacks){.ctx = &c, .output = on_output, .step = on_step};
    ret = 1;
    cli_open_clan("backups", clan_arg, &c.inv, NULL);
    if (!c.inv)
        goto done;
    c.clan_file = inventory_name(c.inv);
    struct diag_list dl = {0};
    if (inventory_plan(c.inv, &c.plan, &dl) < 0) {
        cli_print_diags(stderr, &dl);
        diag_list_free(&dl);
        goto done;
    }
    diag_list_free(&dl);

    if (is_status || !strcmp(c.op, "list")) {
        struct backups_target *tv = NULL;
        size_t nt = 0;
        const char **targets = NULL;
        bool bad = false;
        if (is_status && pi == npos) {
            for (size_t i = 0; i < c.plan->nmachines; i++)
                if (c.plan->machines[i].is_client && c.plan->machines[i].njobs &&
                    add_target(&c, &c.plan->machines[i], &tv, &nt) < 0)
                    bad = true;
        } else
            for (size_t i = pi; i < npos; i++) {
                const struct plan_machine *m = find_client(&c, pos[i]);
                if (!m || add_target(&c, m, &tv, &nt) < 0)
                    bad = true;
            }
        char ***unitv = calloc(nt ? nt : 1, sizeof *unitv);
        targets = calloc(nt ? nt : 1, sizeof *targets);
        for (size_t i = 0; !bad && i < nt; i++) {
            const struct plan_machine *m = plan_find_machine(c.plan, tv[i].machine);
            targets[i] = m->target_host;
            if (!m->target_host) {
                fprintf(stderr, "%s: error: machine '%s' has no deploy.targetHost: clan-tui "
                        "cannot reach it\n", c.clan_file, m->name);
                bad = true;
                break;
            }
            if (is_status) {
                unitv[i] = units_of(m);
                tv[i].units = unitv[i];
                tv[i].nunits = m->njobs;
            }
        }
        struct backups_op *op = NULL;
        struct diag d = {0};
        if (!bad && backups_op_start(is_status ? BACKUPS_STATUS : BACKUPS_LIST, &c.bo, tv, nt,
                                     &op, &d) < 0) {
            cli_print_diag(stderr, &d);
            bad = true;
        }
        if (!bad && backups_op_run(op) == 0) {
            if (is_status)
                ret = print_status(&c, op, targets);
            else {
                const struct backups_machine *bm = backups_op_machine(op, 0);
                if (bm->state != BACKUPS_DONE)
                    print_failure(bm, targets[0]);
                else {
                    struct buf b = {0};
                    if (c.json)
                        put_list_json(&b, bm);
                    else
                        for (size_t i = 0; i < bm->narchives; i++) {
                            const struct backups_archive *a = &bm->archives[i];
                            char t[32], sz[32];
                            backups_format_time(a->time, t, sizeof t);
                            backups_format_size(a->original_size, sz, sizeof sz);
                            buf_printf(&b, "%-19s  %9s  ", t, sz);
                            journal_sanitize(a->name, strlen(a->name), false, &b);
                            buf_putc(&b, '\n');
                        }
                    if (bm->details_error)
                        fprintf(stderr, "%s: note: time and size unknown for some archives: "
                                "%s\n", c.clan_file, bm->details_error);
                    ret = b.len && cli_write_stdout(b.p, b.len) ? 1 : 0;
                    buf_free(&b);
                }
            }
        }
        diag_clear(&d);
        backups_op_free(op);
        for (size_t i = 0; i < nt; i++)
            free(unitv[i]);
        free(unitv);
        free(targets);
        free(tv);
        goto done;
    }
    const struct plan_machine *m = find_client(&c, pos[pi]);
    if (!m)
        goto done;
    if (!m->target_host) {
        fprintf(stderr, "%s: error: machine '%s' has no deploy.targetHost: clan-tui cannot "
                "reach it\n", c.clan_file, m->name);
        goto done;
    }
    if (!strcmp(c.op, "create"))
        ret = run_create(&c, m, job);
    else
        ret = run_restore(&c, m, pos[pi + 2], service);
done:
    plan_free(c.plan);
    inventory_free(c.inv);
    return ret;
}
