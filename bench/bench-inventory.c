/* bench-inventory FILE MODE: time core/inventory on FILE (a gen-fleet clan.nix).
 *   load  N   parse + model + resolution + plan, N runs: per run "WALL CPU" (ms), one a line
 *   parse N   core/nix parse alone (the share of the parser), N runs
 *   edit  N [KIND]  one edit with re-resolution, then its undo, N runs: per run "EDIT_WALL
 *             EDIT_CPU UNDO_WALL UNDO_CPU" (ms). KIND: tag-add (a tag no role selects, the
 *             default), tag-join (a tag a borgbackup client role selects: the machine
 *             joins it), schedule (startAt of a machine in its instance), exclude (an exclude
 *             pattern for a role's tag), role-add (a machine into a client role), machine-add
 *             (a new machine: an edit in place too, its binding parsed alone)
 *   rss       one load + plan, then print the peak RSS in KiB
 * The driver bench/bench-inventory.sh computes medians and compares with nix-instantiate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench/fleet-edits.h"
#include "core/inventory.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* CPU time of this process: what the code costs, whatever else the machine runs */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load_plan(const char *path)
{
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_load(path, &inv, &dl) < 0) {
        fprintf(stderr, "bench-inventory: cannot load %s\n", path);
        return -1;
    }
    struct plan *p = NULL;
    int r = inventory_plan(inv, &p, &dl);
    plan_free(p);
    diag_list_free(&dl);
    inventory_free(inv);
    return r;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fputs("usage: bench-inventory FILE load|parse|edit N | FILE rss\n", stderr);
        return 2;
    }
    const char *path = argv[1], *mode = argv[2];
    int n = argc > 3 ? atoi(argv[3]) : 1;
    if (!strcmp(mode, "rss")) {
        if (load_plan(path) < 0)
            return 1;
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf("%ld\n", ru.ru_maxrss);
        return 0;
    }
    if (!strcmp(mode, "load")) {
        for (int i = 0; i < n; i++) {
            double t = now_ms(), c = cpu_ms();
            if (load_plan(path) < 0)
                return 1;
            printf("%.3f %.3f\n", now_ms() - t, cpu_ms() - c);
        }
        return 0;
    }
    if (!strcmp(mode, "parse")) {
        char *text;
        size_t len;
        struct diag d = {0};
        if (file_read(path, &text, &len, NULL, &d) < 0)
            return 1;
        for (int i = 0; i < n; i++) {
            double t = now_ms(), c = cpu_ms();
            struct nix_file *f = NULL;
            struct diag_list dl = {0};
            nix_parse(path, text, len, &f, &dl);
            (void)nix_file_root(f);
            nix_file_free(f);
            diag_list_free(&dl);
            printf("%.3f %.3f\n", now_ms() - t, cpu_ms() - c);
        }
        free(text);
        return 0;
    }
    if (!strcmp(mode, "edit")) {
        const char *kind = argc > 4 ? argv[4] : "tag-add";
        struct inventory *inv = NULL;
        struct diag_list dl = {0};
        if (inventory_load(path, &inv, &dl) < 0)
            return 1;
        struct fleet_edits pk;
        if (fleet_edits_pick(inventory_model(inv), &pk) < 0) {
            fprintf(stderr, "bench-inventory: no direct client in the fleet\n");
            return 1;
        }
        struct inv_op op;
        if (fleet_edits_op(&pk, kind, &op) < 0) {
            fprintf(stderr, "bench-inventory: unknown edit kind '%s'\n", kind);
            return 2;
        }
        for (int i = 0; i < n; i++) {
            double t = now_ms(), c = cpu_ms();
            if (inventory_edit(inv, &op, NULL, &dl) < 0) {
                fprintf(stderr, "bench-inventory: edit refused\n");
                for (size_t k = 0; k < dl.n; k++)
                    fprintf(stderr, "  %s\n", dl.v[k].msg);
                return 1;
            }
            double ew = now_ms() - t, ec = cpu_ms() - c;
            struct diag d = {0};
            t = now_ms();
            c = cpu_ms();
            inventory_undo(inv, &d);
            printf("%.3f %.3f %.3f %.3f\n", ew, ec, now_ms() - t, cpu_ms() - c);
        }
        size_t local, full;
        inventory_update_counts(inv, &local, &full);
        fprintf(stderr, "%s: %zu updates in place, %zu full\n", kind, local, full);
        fleet_edits_free(&pk);
        diag_list_free(&dl);
        inventory_free(inv);
        return 0;
    }
    fprintf(stderr, "bench-inventory: unknown mode '%s'\n", mode);
    return 2;
}
