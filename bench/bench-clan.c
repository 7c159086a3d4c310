/* bench-clan DIR MODE: time core/inventory on a clan directory (samples/gen-fleet-dir).
 *   open N        inventory_open + plan, N runs: per run "WALL CPU" (ms), one a line (the
 *                 model's free after each run is not counted)
 *   edit N KIND   one edit with re-resolution, then its undo, N runs: per run "EDIT_WALL
 *                 EDIT_CPU UNDO_WALL UNDO_CPU" (ms). KIND: nix (a tag of a machine defined
 *                 in clan.nix), json (a tag of a machine defined in inventory.json)
 *   rss           one open + plan, then the peak RSS in KiB
 * The driver bench/bench-clan.sh computes medians and compares with nix-instantiate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/inventory.h"
#include "tui/heap.h"

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static struct inventory *open_plan(const char *dir)
{
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_open(dir, &inv, &dl) < 0) {
        fprintf(stderr, "bench-clan: cannot open %s\n", dir);
        diag_list_free(&dl);
        return NULL;
    }
    struct plan *p = NULL;
    if (inventory_plan(inv, &p, &dl) < 0) {
        inventory_free(inv);
        inv = NULL;
    }
    plan_free(p);
    diag_list_free(&dl);
    return inv;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: bench-clan DIR open|edit N [nix|json] | DIR rss\n", stderr);
        return 2;
    }
    const char *dir = argv[1], *mode = argv[2];
    heap_prefer_huge_pages((size_t)48 << 20); /* as clan-tui's main() */
    int n = argc > 3 ? atoi(argv[3]) : 1;
    if (!strcmp(mode, "rss")) {
        struct inventory *inv = open_plan(dir);
        if (!inv)
            return 1;
        inventory_free(inv);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%ld\n", ru.ru_maxrss);
        return 0;
    }
    if (!strcmp(mode, "open")) {
        for (int i = 0; i < n; i++) {
            double t = clock_ms(CLOCK_MONOTONIC), c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
            struct inventory *inv = open_plan(dir);
            if (!inv)
                return 1;
            /* the model ready: what freeing it costs is not the open's */
            double tw = clock_ms(CLOCK_MONOTONIC) - t, tc = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c;
            inventory_free(inv);
            printf("%.3f %.3f\n", tw, tc);
        }
        return 0;
    }
    if (!strcmp(mode, "edit")) {
        const char *kind = argc > 4 ? argv[4] : "nix";
        struct inventory *inv = open_plan(dir);
        if (!inv)
            return 1;
        /* a machine whose inventory entry is in the wanted file */
        const struct inv_model *md = inventory_model(inv);
        char *machine = NULL;
        for (size_t i = md->nmachines / 4; i < md->nmachines && !machine; i++) {
            const struct inv_machine *m = &md->machines[i];
            const char *fp = inventory_file_name(inv, m->loc.file);
            size_t fl = strlen(fp);
            bool json = fl >= 14 && !strcmp(fp + fl - 14, "inventory.json");
            if (json == !strcmp(kind, "json"))
                machine = strdup(m->name);
        }
        if (!machine) {
            fprintf(stderr, "bench-clan: no machine defined in the %s file\n", kind);
            return 1;
        }
        struct inv_op op = {.kind = INV_OP_TAG_ADD, .machine = machine, .tag = "bench-tag"};
        for (int i = 0; i < n; i++) {
            struct diag_list dl = {0};
            struct diag d = {0};
            double t = clock_ms(CLOCK_MONOTONIC), c = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
            if (inventory_edit(inv, &op, NULL, &dl) < 0) {
                fprintf(stderr, "bench-clan: the edit was refused: %s\n",
                        dl.n ? dl.v[0].msg : "?");
                return 1;
            }
            double t1 = clock_ms(CLOCK_MONOTONIC), c1 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
            if (inventory_undo(inv, &d) < 0)
                return 1;
            printf("%.3f %.3f %.3f %.3f\n", t1 - t, c1 - c, clock_ms(CLOCK_MONOTONIC) - t1,
                   clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c1);
            diag_list_free(&dl);
        }
        size_t local, full;
        inventory_update_counts(inv, &local, &full);
        fprintf(stderr, "%s: %zu updates in place, %zu full\n", kind, local, full);
        free(machine);
        inventory_free(inv);
        return 0;
    }
    fprintf(stderr, "bench-clan: unknown mode %s\n", mode);
    return 2;
}
