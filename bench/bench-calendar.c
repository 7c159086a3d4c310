/* bench-calendar: nanoseconds per next-elapse computation, core/calendar against
 * systemd's own implementation (libsystemd-shared-252.so, loaded with dlopen) in the
 * same run. Medians of several rounds; prints one row per expression and the median
 * ratio per group (UTC / named zone). Run with TZ=UTC (bench-calendar.sh does). */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"

#define SD_LIB "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so"
#define ROUNDS 7

typedef int (*sd_from_string_t)(const char *p, void **spec);
typedef int (*sd_next_t)(const void *spec, uint64_t usec, uint64_t *next);
typedef void *(*sd_free_t)(void *spec);

struct sd {
    void *h;
    sd_from_string_t from_string;
    sd_next_t next;
    sd_free_t free;
};

static const struct {
    const char *expr;
    int zone; /* 0: UTC group, 1: named-zone group */
} cases[] = {
    {"*-*-* 04:00:00", 0},
    {"Mon *-*-* 03:00:00", 0},
    {"*-*-* *:00:00", 0},
    {"Mon..Fri 09:00", 0},
    {"*-*~01", 0},
    {"daily", 0},
    {"*-*-* 01:00:00 UTC", 0},
    {"Sat,Sun 10:00 UTC", 0},
    {"Sat,Sun 10:00 Europe/Berlin", 1},
    {"*-*-* 02:30 Europe/Berlin", 1},
    {"hourly America/New_York", 1},
    {"Mon..Fri 09:00 Asia/Kolkata", 1},
    {"*-*~01 03:00 Australia/Lord_Howe", 1},
};
#define NCASES (sizeof cases / sizeof *cases)

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const uint64_t BASE = 1780000000ULL * 1000000ULL; /* 2026-05-28 */

/* ns per call over n chained next-elapse calls; returns a checksum via *sum */
static double run_ours(struct calendar_ctx *ctx, const struct calendar_spec *s, int n,
                       uint64_t *sum)
{
    uint64_t t = BASE, next;
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        if (calendar_next(ctx, s, t, &next) < 0)
            next = BASE;
        *sum += next;
        t = next;
    }
    return (now_ns() - t0) / n;
}

static double run_sd(const struct sd *sd, const void *s, int n, uint64_t *sum)
{
    uint64_t t = BASE, next;
    double t0 = now_ns();
    for (int i = 0; i < n; i++) {
        if (sd->next(s, t, &next) < 0)
            next = BASE;
        *sum += next;
        t = next;
    }
    return (now_ns() - t0) / n;
}

int main(void)
{
    struct sd sd = {0};
    sd.h = dlopen(SD_LIB, RTLD_NOW | RTLD_LOCAL);
    if (sd.h) {
        sd.from_string = (sd_from_string_t)dlsym(sd.h, "calendar_spec_from_string");
        sd.next = (sd_next_t)dlsym(sd.h, "calendar_spec_next_usec");
        sd.free = (sd_free_t)dlsym(sd.h, "calendar_spec_free");
        if (!sd.from_string || !sd.next || !sd.free) {
            dlclose(sd.h);
            sd.h = NULL;
        }
    }
    if (!sd.h)
        printf("note: %s not usable; printing our figures only\n", SD_LIB);

    struct calendar_ctx *ctx = calendar_ctx_new();
    if (!ctx)
        return 1;
    printf("%-36s %12s %12s %9s\n", "expression", "ours ns", "systemd ns", "ratio");
    double ratios[2][NCASES];
    int nratios[2] = {0, 0};
    for (size_t i = 0; i < NCASES; i++) {
        struct calendar_spec *s = NULL;
        struct diag d = {0};
        if (calendar_parse(ctx, cases[i].expr, &s, &d) < 0) {
            fprintf(stderr, "cannot parse '%s': %s\n", cases[i].expr, d.msg);
            return 1;
        }
        void *ss = NULL;
        if (sd.h && sd.from_string(cases[i].expr, &ss) < 0)
            ss = NULL;
        /* systemd forks for named zones (~1 ms per call): fewer calls there */
        int n_ours = 20000, n_sd = cases[i].zone ? 100 : 5000;
        double ours[ROUNDS], theirs[ROUNDS];
        uint64_t sum_ours = 0, sum_sd = 0;
        for (int r = 0; r < ROUNDS; r++) {
            ours[r] = run_ours(ctx, s, n_ours, &sum_ours);
            theirs[r] = ss ? run_sd(&sd, ss, n_sd, &sum_sd) : 0;
        }
        /* the same elapses must come out of both (first n_sd of each round) */
        if (ss) {
            uint64_t a = BASE, b = BASE, na, nb;
            for (int k = 0; k < 50; k++) {
                int ra = calendar_next(ctx, s, a, &na), rb = sd.next(ss, b, &nb);
                if (ra != rb || (ra == 0 && na != nb)) {
                    fprintf(stderr, "MISMATCH for '%s' at step %d\n", cases[i].expr, k);
                    return 1;
                }
                if (ra < 0)
                    break;
                a = na;
                b = nb;
            }
        }
        double mo = median(ours, ROUNDS), mt = ss ? median(theirs, ROUNDS) : 0;
        if (ss) {
            ratios[cases[i].zone][nratios[cases[i].zone]++] = mt / mo;
            printf("%-36s %12.0f %12.0f %8.1fx\n", cases[i].expr, mo, mt, mt / mo);
        } else
            printf("%-36s %12.0f %12s %9s\n", cases[i].expr, mo, "-", "-");
        if (ss)
            sd.free(ss);
        calendar_spec_free(s);
        (void)sum_ours;
        (void)sum_sd;
    }
    if (nratios[0])
        printf("median ratio, UTC expressions:        %.1fx (target >= 5x)\n",
               median(ratios[0], nratios[0]));
    if (nratios[1])
        printf("median ratio, named-zone expressions: %.1fx (target >= 100x)\n",
               median(ratios[1], nratios[1]));

    /* the schedule editor's month preview, called on every keystroke */
    static const char *const month_cases[] = {"Mon *-*-* 03:00:00", "hourly",
                                              "minutely", "*-*-* 02:30 Europe/Berlin"};
    for (size_t i = 0; i < sizeof month_cases / sizeof *month_cases; i++) {
        struct calendar_spec *s = NULL;
        struct diag d = {0};
        if (calendar_parse(ctx, month_cases[i], &s, &d) < 0)
            return 1;
        double v[ROUNDS];
        struct calendar_month m;
        for (int r = 0; r < ROUNDS; r++) {
            double t0 = now_ns();
            for (int k = 0; k < 20; k++)
                calendar_month(ctx, s, 2026, 3, &m);
            v[r] = (now_ns() - t0) / 20;
        }
        printf("month view %-26s %9.0f us per call\n", month_cases[i], median(v, ROUNDS) / 1000);
        calendar_spec_free(s);
    }
    calendar_ctx_free(ctx);
    if (sd.h)
        dlclose(sd.h);
    return 0;
}
