/* bench-schedule: what one keystroke in the schedule editor costs -- validate, normalize,
 * the next 10 runs (formatted in local time and UTC) and two month grids
 * (sched_preview_compute) -- for every prefix of typing each expression, as a user types
 * it. Medians over rounds; the reference is what the same answer costs with systemd's own
 * tool, `systemd-analyze calendar --iterations=10 EXPR` (a process per keystroke), timed
 * in the same run. Target: the median keystroke under 1 ms. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/calendar.h"
#include "tui/schedule-preview.h"

extern char **environ;

#define ROUNDS 7

static const char *const exprs[] = {
    "Mon *-*-* 03:00:00",
    "*-*-* 04:00:00",
    "*-*-* *:00:00",
    "Mon..Fri 09:00 Europe/Berlin",
    "*-*~01 03:00",
    "*-*-* *:*:00",   /* every minute: the month grids hit their per-day cap */
    "*-*-* *:*:*",    /* every second */
    "2027-02-29",     /* never: the search gives up */
};
#define NEXPRS (sizeof exprs / sizeof *exprs)

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One run of systemd-analyze calendar --iterations=10 EXPR, in ns (stdout to /dev/null). */
static double reference_ns(const char *expr)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"systemd-analyze", "calendar", "--iterations=10", (char *)expr, NULL};
    double t0 = now_ns();
    pid_t pid;
    int r = posix_spawnp(&pid, "systemd-analyze", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0)
        return -1;
    int st;
    waitpid(pid, &st, 0);
    return now_ns() - t0;
}

int main(void)
{
    struct calendar_ctx *ctx = calendar_ctx_new();
    if (!ctx)
        return 1;
    uint64_t now = 1795689600ULL * 1000000ULL; /* 2026-11-26 00:00:00 UTC */
    struct sched_preview *pv = malloc(sizeof(*pv));
    if (!pv)
        return 1;
    double all[4096];
    size_t nall = 0;
    double worst = 0;
    printf("%-32s %8s %12s %12s %12s\n", "expression (typed key by key)", "keys", "median us", "max-key us",
           "full us");
    for (size_t e = 0; e < NEXPRS; e++) {
        size_t len = strlen(exprs[e]);
        double per_key[256];
        double maxkey = 0, full = 0;
        for (size_t k = 1; k <= len && k < 256; k++) {
            char prefix[256];
            memcpy(prefix, exprs[e], k);
            prefix[k] = 0;
            double rounds[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                double t0 = now_ns();
                sched_preview_compute(ctx, prefix, now, 2026, 11, pv);
                rounds[r] = now_ns() - t0;
            }
            per_key[k - 1] = median(rounds, ROUNDS);
            if (per_key[k - 1] > maxkey)
                maxkey = per_key[k - 1];
            if (k == len)
                full = per_key[k - 1];
            if (nall < 4096)
                all[nall++] = per_key[k - 1];
        }
        if (maxkey > worst)
            worst = maxkey;
        double med = median(per_key, len < 256 ? len : 255);
        printf("%-32s %8zu %12.1f %12.1f %12.1f\n", exprs[e], len, med / 1e3, maxkey / 1e3, full / 1e3);
    }
    double med_all = median(all, nall);
    double ref[ROUNDS];
    int nref = 0;
    for (int r = 0; r < ROUNDS; r++) {
        double t = reference_ns("Mon *-*-* 03:00:00");
        if (t > 0)
            ref[nref++] = t;
    }
    printf("\nper keystroke over all %zu keystrokes: median %.1f us, worst key %.1f us (target: < 1000 us)\n",
           nall, med_all / 1e3, worst / 1e3);
    if (nref) {
        double rm = median(ref, (size_t)nref);
        printf("reference: systemd-analyze calendar --iterations=10 (one process per key, no month grid): "
               "median %.1f us; ratio %.0fx faster\n", rm / 1e3, rm / med_all);
    } else {
        printf("reference: systemd-analyze not found\n");
    }
    free(pv);
    calendar_ctx_free(ctx);
    return 0;
}
