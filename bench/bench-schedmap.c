/* bench-schedmap: what the fleet schedule map (S, clan-tui schedule-map) costs on a
 * generated fleet: the week of starts per server with its collisions (schedmap_build) and
 * the staggered proposal (schedmap_propose), medians over rounds, wall and CPU time. There
 * is no reference tool that computes this; the plan it starts from is timed beside it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/schedmap.h"

#define ROUNDS 7

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
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

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench-schedmap FLEET.nix\n");
        return 2;
    }
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_load(argv[1], &inv, &dl) < 0) {
        fprintf(stderr, "bench-schedmap: cannot load %s\n", argv[1]);
        return 1;
    }
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    const uint64_t now = 1795694400ULL * CALENDAR_USEC_PER_SEC; /* 2026-11-26 12:00 UTC */
    double plan_w[ROUNDS], build_w[ROUNDS], build_c[ROUNDS], prop_w[ROUNDS], prop_c[ROUNDS];
    size_t jobs = 0, collisions = 0, changes = 0;
    for (int r = 0; r < ROUNDS; r++) {
        struct plan *p = NULL;
        double t0 = clock_ms(CLOCK_MONOTONIC);
        if (inventory_plan(inv, &p, &dl) < 0)
            return 1;
        double t1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        struct schedmap *m = NULL;
        struct diag d = {0};
        if (schedmap_build(p, ctx, now, &m, &d) < 0)
            return 1;
        double t2 = clock_ms(CLOCK_MONOTONIC), c2 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        struct schedmap_proposal pr = {0};
        if (schedmap_propose(m, p, ctx, 30, &pr, &d) < 0)
            return 1;
        double t3 = clock_ms(CLOCK_MONOTONIC), c3 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        plan_w[r] = t1 - t0;
        build_w[r] = t2 - t1;
        build_c[r] = c2 - c1;
        prop_w[r] = t3 - t2;
        prop_c[r] = c3 - c2;
        jobs = 0;
        for (size_t g = 0; g < m->ngroups; g++)
            jobs += m->groups[g].njobs;
        collisions = m->ncollisions;
        changes = pr.nchanges;
        schedmap_proposal_free(&pr);
        schedmap_free(m);
        plan_free(p);
    }
    printf("schedmap: %s, %zu jobs (per server), %zu collisions, proposal %zu changes; medians of %d\n",
           argv[1], jobs, collisions, changes, ROUNDS);
    printf("  plan (inventory_plan, for scale)   %8.2f ms wall\n", median(plan_w, ROUNDS));
    printf("  map (schedmap_build)               %8.2f ms wall  %8.2f ms CPU\n", median(build_w, ROUNDS),
           median(build_c, ROUNDS));
    printf("  proposal (schedmap_propose)        %8.2f ms wall  %8.2f ms CPU\n", median(prop_w, ROUNDS),
           median(prop_c, ROUNDS));
    diag_list_free(&dl);
    calendar_ctx_free(ctx);
    inventory_free(inv);
    return 0;
}
