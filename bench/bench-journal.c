/* Follow latency: an entry is appended to a journal file by systemd-journal-remote; how long
 * until core/journal's follower (driven by poll() on sd_journal_get_fd) has it, and how long
 * until `journalctl -f` prints it, in the same run. Medians over N appends, in ms, measured
 * from the start of the write; the writer's own run time is measured alone for reference.
 * Usage: bench-journal JOURNAL-REMOTE DIR [N] */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/journal.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Append one entry with MESSAGE=msg; returns the writer's pid (not waited for). */
static pid_t append(const char *remote, const char *file, const char *msg, long i)
{
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execl(remote, remote, "-o", file, "-", (char *)NULL);
        _exit(127);
    }
    close(p[0]);
    dprintf(p[1],
            "__REALTIME_TIMESTAMP=%ld\n__MONOTONIC_TIMESTAMP=%ld\n"
            "_BOOT_ID=55555555555555555555555555555555\n_HOSTNAME=bench\n_PID=9\n_UID=0\n"
            "SYSLOG_IDENTIFIER=borg\n_SYSTEMD_UNIT=borgbackup-job-bench.service\nPRIORITY=6\n"
            "MESSAGE=%s\n\n",
            1764118800000000L + i * 1000, 1000000L + i * 1000, msg);
    close(p[1]);
    return pid;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-journal JOURNAL-REMOTE DIR [N]\n");
        return 2;
    }
    const char *remote = argv[1];
    int n = argc > 3 ? atoi(argv[3]) : 21;
    if (n < 1 || n > 1000)
        n = 21;
    char file[4096];
    snprintf(file, sizeof file, "%s/bench-follow.journal", argv[2]);
    unlink(file);
    waitpid(append(remote, file, "seed", 0), NULL, 0);

    /* journalctl -f as a child, its output on a pipe */
    int jp[2];
    if (pipe(jp) < 0)
        return 1;
    pid_t jctl = fork();
    if (jctl == 0) {
        dup2(jp[1], 1);
        close(jp[0]);
        close(jp[1]);
        execlp("journalctl", "journalctl", "--file", file, "-f", "-n", "0", "-q", "-u",
               "borgbackup-job-*", "-o", "cat", (char *)NULL);
        _exit(127);
    }
    close(jp[1]);

    struct journal_select sel = {.prio_max = -1, .lines = 0, .follow = true};
    struct journal_source_options so = {.kind = JOURNAL_FILES, .paths = (char *[]){file},
                                        .npaths = 1};
    struct journal_source *src = NULL;
    struct diag d = {0};
    if (journal_source_open(&so, &sel, &src, &d) < 0) {
        fprintf(stderr, "open: %s\n", d.msg);
        return 1;
    }
    /* drain the initial state so only new entries count */
    while (journal_source_timeout_ms(src) == 0)
        journal_source_process(src, 0, &d);

    double *ours = calloc((size_t)n, sizeof *ours), *theirs = calloc((size_t)n, sizeof *theirs);
    double *writer = calloc((size_t)n, sizeof *writer);
    char jbuf[65536];
    size_t jlen = 0;
    struct journal_ring *ring = journal_source_ring(src);
    for (int i = 0; i < n; i++) {
        char msg[64];
        snprintf(msg, sizeof msg, "bench %d", i);
        double t0 = now_ms();
        pid_t w = append(remote, file, msg, i + 1);
        double t_ours = -1, t_theirs = -1;
        while (t_ours < 0 || t_theirs < 0) {
            struct pollfd pfd[2] = {
                {.fd = journal_source_fd(src), .events = journal_source_events(src)},
                {.fd = jp[0], .events = POLLIN},
            };
            int timeout = journal_source_timeout_ms(src);
            if (poll(pfd, 2, timeout < 0 || timeout > 10000 ? 10000 : timeout) == 0 &&
                now_ms() - t0 > 10000) {
                fprintf(stderr, "entry %d not seen within 10 s (ours %s, journalctl %s)\n", i,
                        t_ours < 0 ? "no" : "yes", t_theirs < 0 ? "no" : "yes");
                return 1;
            }
            if (journal_source_process(src, pfd[0].revents, &d) < 0) {
                fprintf(stderr, "process: %s\n", d.msg);
                return 1;
            }
            for (uint64_t s = journal_ring_first(ring); s < journal_ring_end(ring); s++) {
                const char *m = journal_entry_get(journal_ring_get(ring, s), "MESSAGE", NULL);
                if (m && !strcmp(m, msg) && t_ours < 0)
                    t_ours = now_ms();
            }
            journal_ring_clear(ring);
            if (pfd[1].revents & POLLIN) {
                ssize_t r = read(jp[0], jbuf + jlen, sizeof jbuf - 1 - jlen);
                if (r <= 0) {
                    fprintf(stderr, "journalctl -f ended\n");
                    return 1;
                }
                jlen += (size_t)r;
                jbuf[jlen] = 0;
                char want[80];
                snprintf(want, sizeof want, "%s\n", msg);
                if (strstr(jbuf, want) && t_theirs < 0) {
                    t_theirs = now_ms();
                    jlen = 0;
                }
            }
        }
        waitpid(w, NULL, 0);
        ours[i] = t_ours - t0;
        theirs[i] = t_theirs - t0;
    }
    for (int i = 0; i < n; i++) {
        double t0 = now_ms();
        waitpid(append(remote, file, "writer alone", n + 1 + i), NULL, 0);
        writer[i] = now_ms() - t0;
    }
    double mo = median(ours, n), mt = median(theirs, n), mw = median(writer, n);
    printf("follow latency, median of %d appends, from the start of the write:\n", n);
    printf("  clan-tui (core/journal)  %8.2f ms\n", mo);
    printf("  journalctl -f            %8.2f ms\n", mt);
    printf("  ratio clan-tui/journalctl %6.2f\n", mt > 0 ? mo / mt : 0);
    printf("  (systemd-journal-remote alone, start to exit: %.2f ms)\n", mw);
    kill(jctl, SIGTERM);
    waitpid(jctl, NULL, 0);
    journal_source_free(src);
    free(ours);
    free(theirs);
    free(writer);
    unlink(file);
    return 0;
}
