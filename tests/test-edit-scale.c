/* An edit in place must not touch every machine: the six kinds of edit bench-inventory times
 * (a tag, a tag a role selects, a machine's schedule, an exclude pattern, a machine into a
 * role, a new machine), each with its undo, on gen-fleet clans of 1,000 and 10,000 machines.
 * Not timed: core/nix counts the logical values a local edit looks at or changes
 * (nix_file.nvisits: the search for the value, the fragment's new values, a large set's name
 * index), and ten times the machines may cost the same visits but for the few steps of a
 * binary search. A walk over every value after the change (positions moved one by one)
 * would cost hundreds of thousands. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/fleet-edits.h"
#include "core/inventory.h"
#include "core/nix/nix-int.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

#define NKINDS 6
static const char *const kinds[NKINDS] = {FLEET_EDIT_KINDS};

struct visits {
    unsigned long edit[NKINDS], undo[NKINDS];
};

static struct visits measure(const char *path)
{
    struct visits v = {{0}, {0}};
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_load(path, &inv, &dl), 0);
    struct fleet_edits p;
    assert_int_equal(fleet_edits_pick(inventory_model(inv), &p), 0);
    assert_non_null(p.join);
    assert_non_null(p.other);
    for (int k = 0; k < NKINDS; k++) {
        struct inv_op op;
        assert_int_equal(fleet_edits_op(&p, kinds[k], &op), 0);
        size_t local0, full0, local, full;
        inventory_update_counts(inv, &local0, &full0);
        inventory_nix(inv)->nvisits = 0;
        assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
        v.edit[k] = inventory_nix(inv)->nvisits;
        struct diag d = {0};
        inventory_nix(inv)->nvisits = 0;
        assert_int_equal(inventory_undo(inv, &d), 0);
        v.undo[k] = inventory_nix(inv)->nvisits;
        /* both in place: the model updated, nothing read again whole */
        inventory_update_counts(inv, &local, &full);
        assert_int_equal(local, local0 + 2);
        assert_int_equal(full, full0);
    }
    fleet_edits_free(&p);
    diag_list_free(&dl);
    inventory_free(inv);
    return v;
}

static void test_edits(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-edit-scale.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char a[100], b[100], cmd[1200];
    snprintf(a, sizeof a, "%s/fleet1000.nix", dir);
    snprintf(b, sizeof b, "%s/fleet10000.nix", dir);
    snprintf(cmd, sizeof cmd, "sh %s/samples/gen-fleet 1000 > %s && sh %s/samples/gen-fleet 10000 > %s",
             TOP_SRCDIR, a, TOP_SRCDIR, b);
    assert_int_equal(system(cmd), 0);
    struct visits s = measure(a), l = measure(b);
    for (int k = 0; k < NKINDS; k++) {
        print_message("  %-12s 1000 -> 10000 machines: edit %lu -> %lu values, undo %lu -> %lu\n",
                      kinds[k], s.edit[k], l.edit[k], s.undo[k], l.undo[k]);
        /* the same work but a binary search's few more steps (log2 10 < 4 per search) */
        assert_true(s.edit[k] > 0 && s.undo[k] > 0);
        assert_true(l.edit[k] <= s.edit[k] + 16);
        assert_true(l.undo[k] <= s.undo[k] + 16);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
