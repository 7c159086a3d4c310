/* clan-tui journal: the journals of borgbackup-job units, local or over SSH, like
 * `journalctl -u 'borgbackup-job-*'` (same selection, same short/short-iso output). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/journal.h"
#include "tui/cli.h"
#include "core/inventory.h"
#include "core/plan.h"

static void usage(FILE *f)
{
    fputs("Usage: clan-tui journal [DIR|FILE] [OPTION]...\n"
          "\n"
          "Show the journals of the borgbackup jobs (units borgbackup-job-*), like\n"
          "journalctl -u 'borgbackup-job-*': from the local journal, journal files or a\n"
          "directory, or from a machine over SSH (journalctl -o export runs there).\n"
          "\n"
          "Source (default: the local system journal):\n"
          "      --file=F           read the journal file F (repeat for more files)\n"
          "  -D, --directory=DIR    read the journal files in DIR\n"
          "  -H, --host=[USER@]HOST[:PORT]  run journalctl on HOST over SSH\n"
          "  -M, --machine=M        with DIR|FILE (a clan): connect to M's deploy.targetHost;\n"
          "                         without: only entries with _HOSTNAME=M\n"
          "  -i, --identity=KEY     private key for SSH (default: the agent, ~/.ssh/id_*)\n"
          "      --known-hosts=F    known_hosts file (default ~/.ssh/known_hosts)\n"
          "      --strict-host-keys refuse unknown host keys (default: accept new ones,\n"
          "                         always refuse a changed key)\n"
          "      --journalctl=CMD   the remote journalctl command (default journalctl)\n"
          "\n"
          "Selection:\n"
          "  -u, --unit=GLOB        a unit name or glob (repeatable; default\n"
          "                         'borgbackup-job-*'), matched as journalctl -u does\n"
          "  -d, --destination=D    the job of destination D (borgbackup-job-D.service)\n"
          "  -p, --priority=P       priority or range (err, 0..4, warning..err)\n"
          "  -S, --since=T          entries at or after T (\"2026-11-26 01:00\", -1h, today)\n"
          "  -U, --until=T          entries at or before T\n"
          "  -g, --grep=PATTERN     MESSAGE matches the extended regular expression\n"
          "                         (case-insensitive unless it has capitals)\n"
          "      --case-sensitive   match PATTERN case-sensitively\n"
          "  -n, --lines=N          the last N entries (\"all\" for every entry)\n"
          "  -f, --follow           keep showing new entries (reconnects over SSH)\n"
          "\n"
          "Output:\n"
          "  -o, --output=MODE      short (default), short-iso (both as journalctl prints\n"
          "                         them), json (one object per line)\n"
          "      --status           per job: last run start/end, result, archive, borg stats\n"
          "  -h, --help             show this help and exit\n"
          "\n"
          "Control characters and escape sequences never reach the terminal: messages\n"
          "containing them are shown as \"[N blob data]\" (as journalctl does) or escaped.\n"
          "DIR|FILE names the clan (its directory or a file in it) whose inventory gives\n"
          "M's address; without it no clan is read (the journal comes from --host, --file,\n"
          "--directory or this machine).\n"
          "Exit status: 0 ok, 1 error (cannot open, connect, host key refused), 2 usage.\n",
          f);
}

/* The machine's deploy.targetHost from the clan's inventory. <0 with d set, or with d empty
 * when the clan could not be opened (the reason is printed). */
static int journal_target_from_inventory(const char *clan, const char *machine,
                                         char **out, struct diag *d)
{
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    struct plan *plan = NULL;
    int r = -ENOENT;
    cli_open_clan("journal", clan, &inv, &dl); /* the address is all that is needed */
    diag_list_free(&dl);
    if (!inv)
        goto out;
    const char *clan_file = inventory_name(inv);
    r = inventory_plan(inv, &plan, &dl);
    if (r < 0) {
        diag_errno(d, r, clan_file, "cannot compute the plan");
        goto out;
    }
    const struct plan_machine *m = plan_find_machine(plan, machine);
    if (!m) {
        r = diag_errno(d, -ENOENT, clan_file, "no machine '%s' in the inventory", machine);
        goto out;
    }
    if (!m->target_host || !m->target_host[0]) {
        r = diag_errno(d, -ENOENT, clan_file,
                       "machine '%s' has no deploy.targetHost: give --host [USER@]HOST[:PORT]",
                       machine);
        goto out;
    }
    if (!(*out = strdup(m->target_host)))
        r = -ENOMEM;
out:
    if (plan)
        plan_free(plan);
    inventory_free(inv);
    diag_list_free(&dl);
    return r;
}

static uint64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void print_notices(struct journal_source *src)
{
    char *n = journal_source_take_notice(src);
    if (n) {
        fprintf(stderr, "clan-tui: journal: %s\n", n);
        free(n);
    }
}

static int write_out(struct buf *out)
{
    if (!out->len)
        return 0;
    int r = cli_write_stdout(out->p, out->len);
    buf_reset(out);
    return r;
}

static void status_time(struct buf *b, uint64_t usec)
{
    if (!usec) {
        buf_puts(b, "-");
        return;
    }
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    char s[64];
    if (localtime_r(&t, &tm) && strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S%z", &tm))
        buf_puts(b, s);
    else
        buf_puts(b, "?");
}

static void print_status(const struct journal_status *st, struct buf *out)
{
    if (st->njobs == 0)
        buf_puts(out, "-- No job runs in the selected entries --\n");
    for (size_t i = 0; i < st->njobs; i++) {
        const struct journal_job_status *j = &st->jobs[i];
        buf_printf(out, "%s\n  last run  ", j->unit);
        status_time(out, j->last_start);
        buf_puts(out, " .. ");
        status_time(out, j->last_end);
        buf_printf(out, "\n  result    %s%s%s\n", j->result ? j->result : "unknown",
                   j->exit_status ? ", " : "", j->exit_status ? j->exit_status : "");
        if (j->archive)
            buf_printf(out, "  archive   %s\n", j->archive);
        for (size_t k = 0; k < j->nstats; k++)
            buf_printf(out, "  | %s\n", j->stats[k]);
    }
}

enum {
    OPT_FILE = 1000, OPT_KNOWN_HOSTS, OPT_STRICT, OPT_JOURNALCTL, OPT_CASE, OPT_STATUS,
};

static volatile sig_atomic_t stop_requested;
static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

int cmd_journal(int argc, char **argv)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, OPT_FILE},
        {"directory", required_argument, NULL, 'D'},
        {"host", required_argument, NULL, 'H'},
        {"machine", required_argument, NULL, 'M'},
        {"identity", required_argument, NULL, 'i'},
        {"known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS},
        {"strict-host-keys", no_argument, NULL, OPT_STRICT},
        {"journalctl", required_argument, NULL, OPT_JOURNALCTL},
        {"unit", required_argument, NULL, 'u'},
        {"destination", required_argument, NULL, 'd'},
        {"priority", required_argument, NULL, 'p'},
        {"since", required_argument, NULL, 'S'},
        {"until", required_argument, NULL, 'U'},
        {"grep", required_argument, NULL, 'g'},
        {"case-sensitive", no_argument, NULL, OPT_CASE},
        {"lines", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"status", no_argument, NULL, OPT_STATUS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct journal_select sel = {.prio_max = -1, .lines = -1};
    struct journal_source_options so = {.kind = JOURNAL_LOCAL};
    char **files = NULL;
    size_t nfiles = 0;
    const char *directory = NULL, *host = NULL, *machine = NULL;
    enum journal_output mode = JOURNAL_OUTPUT_SHORT;
    bool status = false;
    int ret = 2, c;
    struct diag d = {0};
    struct journal_source *src = NULL;
    char *target_owned = NULL;
    uint64_t now = now_usec();

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":D:H:M:i:u:d:p:S:U:g:n:fo:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_FILE: {
            char **v = realloc(files, (nfiles + 1) * sizeof *v);
            if (!v)
                goto oom;
            files = v;
            files[nfiles++] = optarg;
            break;
        }
        case 'D': directory = optarg; break;
        case 'H': host = optarg; break;
        case 'M': machine = optarg; break;
        case 'i': so.remote.identity = optarg; break;
        case OPT_KNOWN_HOSTS: so.remote.known_hosts = optarg; break;
        case OPT_STRICT: so.remote.policy = JOURNAL_HOSTKEY_STRICT; break;
        case OPT_JOURNALCTL: so.remote.journalctl = optarg; break;
        case 'u':
            if (journal_select_add_unit(&sel, optarg) < 0)
                goto oom;
            break;
        case 'd':
            if (journal_select_add_destination(&sel, optarg, &d) < 0) {
                ret = cli_usage_error("journal", "%s", d.msg);
                goto out;
            }
            break;
        case 'p':
            if (journal_parse_priority(optarg, &sel.prio_min, &sel.prio_max, &d) < 0) {
                ret = cli_usage_error("journal", "%s", d.msg);
                goto out;
            }
            break;
        case 'S':
        case 'U': {
            uint64_t t;
            if (journal_parse_time(optarg, now, &t, &d) < 0) {
                ret = cli_usage_error("journal", "%s", d.msg);
                goto out;
            }
            if (c == 'S') {
                sel.has_since = true;
                sel.since = t;
            } else {
                sel.has_until = true;
                sel.until = t;
            }
            break;
        }
        case 'g':
            free(sel.grep);
            if (!(sel.grep = strdup(optarg)))
                goto oom;
            break;
        case OPT_CASE: sel.grep_case_sensitive = true; break;
        case 'n': {
            if (!strcmp(optarg, "all")) {
                sel.lines = -1;
                break;
            }
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *optarg == 0 || *end || v < 0) {
                ret = cli_usage_error("journal", "invalid number of lines '%s': expected a "
                                      "number >= 0 or 'all'", optarg);
                goto out;
            }
            sel.lines = v;
            break;
        }
        case 'f': sel.follow = true; break;
        case 'o':
            if (journal_output_parse(optarg, &mode) < 0) {
                ret = cli_usage_error("journal", "invalid output mode '%s': expected short, "
                                      "short-iso or json", optarg);
                goto out;
            }
            break;
        case OPT_STATUS: status = true; break;
        case 'h':
            usage(stdout);
            ret = 0;
            goto out;
        case ':':
            ret = cli_usage_error("journal", "option '%s' needs a value", argv[optind - 1]);
            goto out;
        default:
            ret = cli_usage_error("journal", "unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    const char *clan_file = NULL;
    if (optind < argc)
        clan_file = argv[optind++];
    if (optind < argc) {
        ret = cli_usage_error("journal", "unexpected argument '%s'", argv[optind]);
        goto out;
    }
    if ((nfiles > 0) + (directory != NULL) + (host != NULL || clan_file != NULL) > 1) {
        ret = cli_usage_error("journal", "choose one source: --file, --directory, or "
                              "--host / DIR|FILE --machine");
        goto out;
    }
    if (clan_file && !machine) {
        ret = cli_usage_error("journal", "DIR|FILE needs --machine M (whose deploy.targetHost "
                              "to use)");
        goto out;
    }
    if (sel.has_since && sel.has_until && sel.since > sel.until) {
        /* journalctl's words and exit status */
        fprintf(stderr, "clan-tui: journal: --since= must be before --until=.\n");
        ret = 1;
        goto out;
    }
    if (status && sel.follow) {
        ret = cli_usage_error("journal", "--status and --follow cannot be combined");
        goto out;
    }
    if (clan_file) {
        if (journal_target_from_inventory(clan_file, machine, &target_owned, &d) < 0) {
            if (d.msg)
                cli_print_diag(stderr, &d);
            ret = 1;
            goto out;
        }
        host = target_owned;
    } else if (machine && !(sel.hostname = strdup(machine)))
        goto oom;

    if (nfiles) {
        so.kind = JOURNAL_FILES;
        so.paths = files;
        so.npaths = nfiles;
    } else if (directory) {
        so.kind = JOURNAL_DIRECTORY;
        so.paths = (char **)&directory;
        so.npaths = 1;
    } else if (host) {
        so.kind = JOURNAL_REMOTE;
        so.remote.target = host;
    }
    if (journal_source_open(&so, &sel, &src, &d) < 0) {
        cli_print_diag(stderr, &d);
        ret = 1;
        goto out;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct journal_ring *ring = journal_source_ring(src);
    struct journal_status st = {0};
    struct buf out = {0};
    uint64_t next = journal_ring_first(ring);
    long shown = 0;
    ret = 0;
    for (;;) {
        int fd = journal_source_fd(src);
        int timeout = journal_source_timeout_ms(src);
        enum journal_state state = journal_source_state(src);
        if (state == JOURNAL_STATE_DONE || stop_requested)
            break;
        short revents = 0;
        if (timeout != 0) {
            struct pollfd pfd = {.fd = fd, .events = journal_source_events(src)};
            int n = poll(&pfd, fd >= 0 ? 1 : 0, timeout);
            if (n < 0 && errno != EINTR) {
                fprintf(stderr, "clan-tui: journal: poll: %s\n", strerror(errno));
                ret = 1;
                break;
            }
            if (n < 0)
                continue;
            revents = pfd.revents;
        }
        int r = journal_source_process(src, revents, &d);
        print_notices(src);
        if (next < journal_ring_first(ring))
            next = journal_ring_first(ring); /* cannot happen: we drain after every batch */
        for (; next < journal_ring_end(ring); next++) {
            const struct journal_entry *e = journal_ring_get(ring, next);
            if (e->filtered) {
                if (!status && journal_format(e, mode, true, &out) < 0)
                    goto oom_loop;
                continue;
            }
            if (status) {
                if (journal_status_feed(&st, e) < 0)
                    goto oom_loop;
            } else if (journal_format(e, mode, true, &out) < 0)
                goto oom_loop;
            shown++;
        }
        /* the entries are printed; the ring need not keep them for the command line */
        journal_ring_clear(ring);
        next = journal_ring_end(ring);
        if (write_out(&out)) {
            ret = 1;
            break;
        }
        if (r < 0) { /* after what was read before the failure has been shown */
            cli_print_diag(stderr, &d);
            ret = 1;
            break;
        }
    }
    if (ret == 0 && status)
        print_status(&st, &out);
    else if (ret == 0 && shown == 0 && !sel.follow && mode != JOURNAL_OUTPUT_JSON)
        buf_puts(&out, "-- No entries --\n");
    /* like journalctl (and grep): a pattern that matched nothing is a failure -- except
     * with -n 0, where journalctl stops before looking */
    if (ret == 0 && sel.grep && shown == 0 && !status && sel.lines != 0)
        ret = 1;
    if (write_out(&out))
        ret = 1;
    buf_free(&out);
    journal_status_free(&st);
    goto out;
oom_loop:
    buf_free(&out);
    journal_status_free(&st);
oom:
    fprintf(stderr, "clan-tui: journal: out of memory\n");
    ret = 1;
out:
    journal_source_free(src);
    journal_select_free(&sel);
    diag_clear(&d);
    free(files);
    free(target_owned);
    return ret;
}
