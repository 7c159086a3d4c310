/* make bench: the fleet status of core/backups, N machines in one poll loop. Each argument
 * after the options is a target ([user@]host:port); every refresh asks all of them for the
 * status of two jobs at once (as `clan-tui backups status` does), and the wall time and the
 * CPU time (user + system of this process) of each refresh are printed, then their medians.
 * Usage: bench-backups -i KEY -k KNOWN_HOSTS -n REFRESHES TARGET... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/backups.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    const char *key = NULL, *kh = NULL;
    int refreshes = 7, c;
    while ((c = getopt(argc, argv, "i:k:n:")) != -1) {
        if (c == 'i')
            key = optarg;
        else if (c == 'k')
            kh = optarg;
        else if (c == 'n')
            refreshes = atoi(optarg);
        else
            return 2;
    }
    size_t n = (size_t)(argc - optind);
    if (!n || refreshes < 1)
        return 2;
    char *units[] = {"borgbackup-job-local", "borgbackup-job-second"};
    struct backups_target *t = calloc(n, sizeof *t);
    double *wall = calloc((size_t)refreshes, sizeof *wall), *cpu = calloc((size_t)refreshes, sizeof *cpu);
    if (!t || !wall || !cpu)
        return 1;
    for (size_t i = 0; i < n; i++)
        t[i] = (struct backups_target){.machine = argv[optind + (int)i],
                                       .target = argv[optind + (int)i], .units = units,
                                       .nunits = 2};
    /* generous timeouts: 100 sshd on the same host answer slowly when it is busy, and a
     * machine that timed out would make the refresh look fast */
    struct backups_options o = {.ssh = {.identity = key, .known_hosts = kh,
                                        .connect_timeout_s = 600},
                                .command_timeout_s = 600};
    int ret = 0;
    for (int r = -1; r < refreshes; r++) { /* r = -1: a warm-up that records the host keys */
        struct backups_op *op = NULL;
        struct diag d = {0};
        double w0 = now_s(), c0 = cpu_s();
        if (backups_op_start(BACKUPS_STATUS, &o, t, n, &op, &d) < 0 || backups_op_run(op) < 0) {
            fprintf(stderr, "bench-backups: %s\n", d.msg ? d.msg : "failed");
            return 1;
        }
        double w = now_s() - w0, cp = cpu_s() - c0;
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) {
            const struct backups_machine *m = backups_op_machine(op, i);
            if (m->state == BACKUPS_DONE && m->njobs == 2 && m->jobs[0].state == BACKUPS_JOB_OK &&
                m->jobs[1].state == BACKUPS_JOB_FAILED)
                ok++;
            else if (r == -1 && m->error)
                fprintf(stderr, "bench-backups: %s: %s\n", m->machine, m->error);
        }
        backups_op_free(op);
        if (ok != n) {
            fprintf(stderr, "bench-backups: refresh %d: %zu of %zu machines answered right\n",
                    r + 1, ok, n);
            ret = 1;
        }
        if (r >= 0) {
            wall[r] = w;
            cpu[r] = cp;
            printf("refresh %d: %zu machines, wall %.3f s, cpu %.3f s\n", r + 1, n, w, cp);
        }
    }
    qsort(wall, (size_t)refreshes, sizeof *wall, cmp_double);
    qsort(cpu, (size_t)refreshes, sizeof *cpu, cmp_double);
    printf("status of %zu machines, median of %d refreshes: wall %.3f s, cpu %.3f s (%.2f ms "
           "per machine)\n", n, refreshes, wall[refreshes / 2], cpu[refreshes / 2],
           cpu[refreshes / 2] * 1000 / (double)n);
    free(t);
    free(wall);
    free(cpu);
    return ret;
}
