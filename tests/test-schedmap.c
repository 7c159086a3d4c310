/* core/schedmap: starts per server, collisions, the staggered proposal and its edits, on
 * the user's two-machines example (both clients start at the default 01:00). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schedmap.h"

/* Thu 2026-11-26 12:00:00 UTC */
#define NOW (1795694400ULL * CALENDAR_USEC_PER_SEC)

static struct inventory *load_sample(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", SAMPLES_DIR, name);
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_load(path, &inv, &dl), 0);
    diag_list_free(&dl);
    return inv;
}

static struct schedmap *build(struct inventory *inv, struct calendar_ctx *ctx, struct plan **pp)
{
    struct diag_list dl = {0};
    struct plan *p = NULL;
    assert_int_equal(inventory_plan(inv, &p, &dl), 0);
    diag_list_free(&dl);
    struct schedmap *m = NULL;
    struct diag d = {0};
    assert_int_equal(schedmap_build(p, ctx, NOW, &m, &d), 0);
    *pp = p;
    return m;
}

static void set_start(struct inventory *inv, const char *machine, const char *value)
{
    struct inv_op op = {.kind = INV_OP_SETTING_SET, .key = "startAt", .value = value};
    op.scope = (struct inv_scope){"borgbackup", "client", INV_LEVEL_MACHINE, machine};
    struct diag_list dl = {0};
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    diag_list_free(&dl);
}

static void test_collision_found(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    struct inventory *inv = load_sample("two-machines.nix");
    struct plan *p;
    struct schedmap *m = build(inv, ctx, &p);
    assert_int_equal(m->ngroups, 1);
    const struct schedmap_group *g = &m->groups[0];
    assert_string_equal(g->name, "backup-server");
    assert_true(g->server);
    assert_int_equal(g->njobs, 2);
    assert_int_equal(g->jobs[0].nstarts, 7);
    /* the week begins at the midnight before NOW; every day 01:00 has both jobs */
    assert_int_equal(m->week_start, NOW - 12 * 3600 * CALENDAR_USEC_PER_SEC);
    assert_int_equal(g->ncollisions, 7);
    assert_int_equal(m->ncollisions, 7);
    for (int d = 0; d < 7; d++) {
        assert_int_equal(g->cells[d][1], 2);
        assert_true(g->collide[d][1]);
        assert_int_equal(g->cells[d][2], 0);
    }
    assert_int_equal(g->collisions[0].njobs, 2);
    struct buf t = {0};
    assert_int_equal(schedmap_format_text(m, ctx, &t), 0);
    assert_non_null(strstr(t.p, "backup-server: 2 jobs, 7 collisions"));
    assert_non_null(strstr(t.p, "Thu 2026-11-26   . !2  ."));
    buf_free(&t);
    schedmap_free(m);
    plan_free(p);
    inventory_free(inv);
    calendar_ctx_free(ctx);
}

static void test_proposal_removes_collision(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    struct inventory *inv = load_sample("two-machines.nix");
    struct plan *p;
    struct schedmap *m = build(inv, ctx, &p);
    struct schedmap_proposal pr = {0};
    struct diag d = {0};
    assert_int_equal(schedmap_propose(m, p, ctx, 30, &pr, &d), 0);
    assert_int_equal(pr.nchanges, 1);
    assert_string_equal(pr.changes[0].client, "postgres-server");
    assert_string_equal(pr.changes[0].old_start_at, "*-*-* 01:00:00");
    assert_string_equal(pr.changes[0].new_start_at, "*-*-* 01:30:00");
    struct inv_op op;
    assert_int_equal(schedmap_change_op(inv, &pr.changes[0], &op, &d), 0);
    struct diag_list dl = {0};
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    diag_list_free(&dl);
    schedmap_proposal_free(&pr);
    schedmap_free(m);
    plan_free(p);
    m = build(inv, ctx, &p);
    assert_int_equal(m->ncollisions, 0);
    assert_int_equal(m->groups[0].cells[0][1], 2); /* both in the 01 hour, 30 min apart */
    /* nothing left to propose */
    assert_int_equal(schedmap_propose(m, p, ctx, 30, &pr, &d), 0);
    assert_int_equal(pr.nchanges, 0);
    schedmap_proposal_free(&pr);
    schedmap_free(m);
    plan_free(p);
    inventory_free(inv);
    calendar_ctx_free(ctx);
}

/* A taken slot is skipped: with a third start at 01:30 the mover goes to 02:00. */
static void test_proposal_skips_taken(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    struct inventory *inv = load_sample("two-machines.nix");
    set_start(inv, "alice-laptop", "Mon,Thu *-*-* 01:30");
    set_start(inv, "postgres-server", "Thu 01:30");
    struct plan *p;
    struct schedmap *m = build(inv, ctx, &p);
    assert_int_equal(m->ncollisions, 1);
    struct schedmap_proposal pr = {0};
    struct diag d = {0};
    assert_int_equal(schedmap_propose(m, p, ctx, 30, &pr, &d), 0);
    assert_int_equal(pr.nchanges, 1);
    assert_string_equal(pr.changes[0].new_start_at, "Thu *-*-* 02:00:00");
    schedmap_proposal_free(&pr);
    schedmap_free(m);
    plan_free(p);
    inventory_free(inv);
    calendar_ctx_free(ctx);
}

/* An expression that is not a fixed time of day is named, not moved. */
static void test_proposal_note(void **state)
{
    (void)state;
    struct calendar_ctx *ctx = calendar_ctx_new_tz("UTC");
    struct inventory *inv = load_sample("two-machines.nix");
    set_start(inv, "postgres-server", "hourly");
    struct plan *p;
    struct schedmap *m = build(inv, ctx, &p);
    assert_int_equal(m->ncollisions, 7);
    assert_int_equal(m->groups[0].cells[3][5], 1);
    struct schedmap_proposal pr = {0};
    struct diag d = {0};
    assert_int_equal(schedmap_propose(m, p, ctx, 30, &pr, &d), 0);
    assert_int_equal(pr.nchanges, 0);
    assert_int_equal(pr.notes.n, 1);
    assert_non_null(strstr(pr.notes.v[0].msg, "not a fixed time of day"));
    struct buf j = {0};
    assert_int_equal(schedmap_format_json(m, &pr, ctx, &j), 0);
    assert_non_null(strstr(j.p, "\"collisions\": 7"));
    assert_non_null(strstr(j.p, "\"proposal\": []"));
    buf_free(&j);
    schedmap_proposal_free(&pr);
    schedmap_free(m);
    plan_free(p);
    inventory_free(inv);
    calendar_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collision_found),
        cmocka_unit_test(test_proposal_removes_collision),
        cmocka_unit_test(test_proposal_skips_taken),
        cmocka_unit_test(test_proposal_note),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
