/* An edited inventory is exactly the inventory read afresh from its new text: after each
 * of many edits (and undo/redo) on every sample and a generated fleet, the model JSON
 * (inventory_dump_json), the plan JSON and the diagnostics equal those of a full reload.
 * Most edits update the model in place (a local edit re-reads only the machine or instance
 * it touches; core/inventory/incremental.c): this is what guards that, with a scripted
 * series of edits and a random one (every kind of edit, undo and redo, refusals). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/inventory.h"

static const char *const samples[] = {
    "two-machines.nix", "multi-destination.nix", "nas-schedules.nix", "storagebox.nix",
    "postgres.nix",     "docker-hooks.nix",      "exclude.nix",       "exclude-tag.nix",
    "schedule.nix",     "@fleet",
};

/* The sample's text; the fleet is generated into a temporary file first. */
static char *read_sample(const char *sample, size_t *len)
{
    char path[1024], tmp[] = "/tmp/test-inventory-reload.XXXXXX";
    bool fleet = !strcmp(sample, "@fleet");
    if (fleet) {
        int fd = mkstemp(tmp);
        assert_true(fd >= 0);
        close(fd);
        snprintf(path, sizeof(path), "%s/samples/gen-fleet 1000 > %s", TOP_SRCDIR, tmp);
        assert_int_equal(system(path), 0);
        snprintf(path, sizeof(path), "%s", tmp);
    } else {
        snprintf(path, sizeof(path), "%s/samples/%s", TOP_SRCDIR, sample);
    }
    char *text = NULL;
    struct diag d = {0};
    if (file_read(path, &text, len, NULL, &d) < 0)
        fail_msg("%s: %s", path, d.msg);
    if (fleet)
        unlink(tmp);
    return text;
}

/* Model JSON, plan JSON and diagnostics of inv, as one text. */
static char *state_of(const struct inventory *inv)
{
    struct buf b = {0};
    assert_int_equal(inventory_dump_json(inv, &b), 0);
    buf_puts(&b, "\n--- plan\n");
    struct plan *p = NULL;
    struct diag_list dl = {0};
    if (inventory_plan(inv, &p, &dl) == 0)
        assert_int_equal(plan_to_json(p, NULL, &b), 0);
    plan_free(p);
    buf_puts(&b, "\n--- plan diagnostics\n");
    for (size_t i = 0; i < dl.n; i++)
        buf_printf(&b, "%d %u:%u %s\n", (int)dl.v[i].severity, dl.v[i].line, dl.v[i].col,
                   dl.v[i].msg ? dl.v[i].msg : "");
    diag_list_free(&dl);
    buf_puts(&b, "--- diagnostics\n");
    const struct diag_list *d = inventory_diags(inv);
    for (size_t i = 0; i < d->n; i++)
        buf_printf(&b, "%d %s %u:%u %s\n", (int)d->v[i].severity,
                   d->v[i].file ? d->v[i].file : "", d->v[i].line, d->v[i].col,
                   d->v[i].msg ? d->v[i].msg : "");
    return buf_steal(&b);
}

/* inv must equal a fresh read of its own text. */
static void same_as_reload(const char *sample, const struct inventory *inv, const char *what)
{
    size_t len;
    const char *t = inventory_text(inv, &len);
    struct inventory *re = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_from_text(inventory_name(inv), t, len, &re, &dl), 0);
    diag_list_free(&dl);
    char *a = state_of(inv), *b = state_of(re);
    if (strcmp(a, b)) {
        size_t i = 0;
        while (a[i] && a[i] == b[i])
            i++;
        size_t from = i > 80 ? i - 80 : 0;
        fail_msg("%s: after %s the inventory differs from a reload at byte %zu:\n"
                 "edited: ...%.160s\nreload: ...%.160s", sample, what, i, a + from, b + from);
    }
    free(a);
    free(b);
    inventory_free(re);
}

/* Apply op when the inventory accepts it; either way inv must equal its reload, and a
 * refused edit leaves the text as it was. */
static size_t try_edit(const char *sample, struct inventory *inv, const struct inv_op *op)
{
    struct diag_list dl = {0};
    char *desc = inv_op_describe(op);
    size_t len0;
    const char *t0 = inventory_text(inv, &len0);
    char *before = malloc(len0 + 1);
    memcpy(before, t0, len0);
    size_t depth0 = inventory_undo_depth(inv);
    int r = inventory_edit(inv, op, NULL, &dl);
    diag_list_free(&dl);
    if (r < 0) {
        size_t len1;
        const char *t1 = inventory_text(inv, &len1);
        if (len1 != len0 || memcmp(t1, before, len0))
            fail_msg("%s: the refused edit '%s' changed the text", sample, desc);
        assert_int_equal(inventory_undo_depth(inv), depth0);
    }
    free(before);
    same_as_reload(sample, inv, desc);
    free(desc);
    return r == 0;
}

static void reload_one(const char *sample)
{
    size_t len;
    char *text = read_sample(sample, &len);
    char name[256];
    snprintf(name, sizeof(name), "%s", sample);
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_from_text(name, text, len, &inv, &dl), 0);
    diag_list_free(&dl);
    same_as_reload(sample, inv, "loading");
    const struct inv_model *md = inventory_model(inv);
    size_t nm = md->nmachines, step = nm > 12 ? nm / 12 : 1, applied = 0, tried = 0;
    char **names = calloc(nm + 1, sizeof(*names));
    for (size_t i = 0; i < nm; i++)
        names[i] = strdup(md->machines[i].name);
    const char *iname = md->ninstances ? md->instances[0].name : NULL;
    char *inst = iname ? strdup(iname) : NULL;
    for (size_t i = 0; i < nm; i += step) {
        struct inv_op op = {.kind = INV_OP_TAG_ADD, .machine = names[i], .tag = "reload-a"};
        applied += try_edit(sample, inv, &op), tried++;
        op.tag = "reload-b";
        applied += try_edit(sample, inv, &op), tried++;
        if (i % 2) {
            op = (struct inv_op){.kind = INV_OP_TAG_REMOVE, .machine = names[i], .tag = "reload-a"};
            applied += try_edit(sample, inv, &op), tried++;
        }
        if (inst) {
            op = (struct inv_op){.kind = INV_OP_SETTING_SET,
                                 .scope = {.instance = inst, .level = INV_LEVEL_MACHINE,
                                           .name = names[i]},
                                 .key = "startAt", .value = "*-*-* 04:00:00"};
            applied += try_edit(sample, inv, &op), tried++;
            op.kind = INV_OP_LIST_ADD;
            op.key = "exclude";
            op.value = "*.reload";
            applied += try_edit(sample, inv, &op), tried++;
            op = (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = inst,
                                 .role = "client", .machine = names[i]};
            applied += try_edit(sample, inv, &op), tried++;
        }
    }
    struct inv_op op = {.kind = INV_OP_MACHINE_ADD, .machine = "reload-new",
                        .target_host = "root@10.1.2.3", .tag = "reload-a"};
    applied += try_edit(sample, inv, &op), tried++;
    if (inst) {
        op = (struct inv_op){.kind = INV_OP_ROLE_TAG_ADD, .instance = inst, .role = "client",
                             .tag = "reload-b"};
        applied += try_edit(sample, inv, &op), tried++;
    }
    /* a new instance with roles, as one group; an instance removed */
    struct inv_op grp[] = {
        {.kind = INV_OP_INSTANCE_ADD, .instance = "reload-bb", .module = "borgbackup"},
        {.kind = INV_OP_ROLE_MACHINE_ADD, .instance = "reload-bb", .role = "server",
         .machine = names[0]},
        {.kind = INV_OP_ROLE_TAG_ADD, .instance = "reload-bb", .role = "client",
         .tag = "reload-a"},
    };
    size_t depth_g = inventory_undo_depth(inv);
    dl = (struct diag_list){0};
    if (nm && inventory_edit_group(inv, grp, 3, "set up reload-bb", &dl) == 0) {
        assert_int_equal(inventory_undo_depth(inv), depth_g + 3);
        assert_string_equal(inventory_undo_label(inv), "set up reload-bb");
        same_as_reload(sample, inv, "the group");
        struct diag gd = {0};
        assert_int_equal(inventory_undo(inv, &gd), 0); /* one undo takes the group back */
        assert_int_equal(inventory_undo_depth(inv), depth_g);
        same_as_reload(sample, inv, "undo of the group");
        assert_int_equal(inventory_redo(inv, &gd), 0);
        assert_int_equal(inventory_undo_depth(inv), depth_g + 3);
        same_as_reload(sample, inv, "redo of the group");
        applied++;
    }
    diag_list_free(&dl);
    tried++;
    /* a group with a refused step applies nothing */
    struct inv_op bad[] = {
        {.kind = INV_OP_INSTANCE_ADD, .instance = "reload-bad"},
        {.kind = INV_OP_ROLE_MACHINE_ADD, .instance = "reload-bad", .role = "client",
         .machine = "no-such-machine"},
    };
    size_t blen0;
    const char *bt0 = inventory_text(inv, &blen0);
    char *bbefore = malloc(blen0 + 1);
    memcpy(bbefore, bt0, blen0);
    size_t bdepth = inventory_undo_depth(inv);
    assert_true(inventory_edit_group(inv, bad, 2, NULL, &dl) < 0);
    diag_list_free(&dl);
    size_t blen1;
    const char *bt1 = inventory_text(inv, &blen1);
    assert_true(blen1 == blen0 && !memcmp(bt1, bbefore, blen0));
    assert_int_equal(inventory_undo_depth(inv), bdepth);
    free(bbefore);
    same_as_reload(sample, inv, "a refused group");
    if (inst) {
        op = (struct inv_op){.kind = INV_OP_INSTANCE_REMOVE, .instance = inst};
        applied += try_edit(sample, inv, &op), tried++;
    }
    op = (struct inv_op){.kind = INV_OP_INSTANCE_ADD, .instance = "reload-plain"};
    applied += try_edit(sample, inv, &op), tried++;
    /* undo half, redo a quarter: each state equals its reload */
    struct diag d = {0};
    size_t depth = inventory_undo_depth(inv);
    for (size_t i = 0; i < depth / 2; i++) {
        assert_int_equal(inventory_undo(inv, &d), 0);
        same_as_reload(sample, inv, "undo");
    }
    for (size_t i = 0; i < depth / 4; i++) {
        assert_int_equal(inventory_redo(inv, &d), 0);
        same_as_reload(sample, inv, "redo");
    }
    if (!applied)
        fail_msg("%s: no edit was applied", sample);
    size_t local, full;
    inventory_update_counts(inv, &local, &full);
    printf("  %s: %zu of %zu edits applied, each equal to a reload (%zu updates in place, "
           "%zu full)\n", sample, applied, tried, local, full);
    for (size_t i = 0; i < nm; i++)
        free(names[i]);
    free(names);
    free(inst);
    inventory_free(inv);
    free(text);
}

/* A random series of edits of every kind, undos and redos, each compared with a reload. */
static unsigned long rnd_state;
static size_t rnd(size_t n)
{
    rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
    return (size_t)((rnd_state >> 33) % (n ? n : 1));
}

static void random_one(const char *sample, size_t steps)
{
    size_t len;
    char *text = read_sample(sample, &len);
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_from_text(sample, text, len, &inv, &dl), 0);
    diag_list_free(&dl);
    const struct inv_model *md = inventory_model(inv);
    /* names to pick from: machines, instances, roles and the tags roles select (so tag
     * edits move machines in and out of roles), plus names nothing uses */
    char *pool[4][64];
    size_t np[4] = {0};
    for (size_t i = 0; i < md->nmachines && np[0] < 63; i += 1 + md->nmachines / 40)
        pool[0][np[0]++] = strdup(md->machines[i].name);
    pool[0][np[0]++] = strdup("no-such-machine");
    for (size_t i = 0; i < md->ninstances && np[1] < 64; i++)
        pool[1][np[1]++] = strdup(md->instances[i].name);
    for (size_t i = 0; i < md->ninstances; i++)
        for (size_t j = 0; j < md->instances[i].nroles; j++)
            for (size_t k = 0; k < md->instances[i].roles[j].ntags && np[2] < 62; k++)
                pool[2][np[2]++] = strdup(md->instances[i].roles[j].tags[k].name);
    pool[2][np[2]++] = strdup("backup-server");
    pool[2][np[2]++] = strdup("random-tag");
    const char *roles[] = {"client", "server"};
    const char *values[] = {"*-*-* 03:00:00", "daily", "Mon *-*-* 02:30", "not a calendar",
                            "*.iso", "/var/cache", "ssh://u@h/./r", "10.0.0.9"};
    size_t applied = 0;
    struct diag d = {0};
    for (size_t step = 0; step < steps; step++) {
        char where[64];
        snprintf(where, sizeof(where), "step %zu", step);
        size_t k = rnd(20);
        if (k == 0 && inventory_undo_depth(inv)) {
            assert_int_equal(inventory_undo(inv, &d), 0);
            same_as_reload(sample, inv, "undo");
            continue;
        }
        if (k == 1 && inventory_redo_depth(inv)) {
            assert_int_equal(inventory_redo(inv, &d), 0);
            same_as_reload(sample, inv, "redo");
            continue;
        }
        const char *m = pool[0][rnd(np[0])], *tag = pool[2][rnd(np[2])];
        const char *inst = np[1] ? pool[1][rnd(np[1])] : NULL;
        const char *role = roles[rnd(2)];
        struct inv_op op = {0};
        struct inv_scope sc = {.instance = inst, .role = role};
        size_t lv = rnd(3);
        sc.level = lv == 0 ? INV_LEVEL_ROLE : lv == 1 ? INV_LEVEL_TAG : INV_LEVEL_MACHINE;
        sc.name = lv == 1 ? tag : lv == 2 ? m : NULL;
        switch (k) {
        case 2: case 3:
            op = (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = m, .tag = tag};
            break;
        case 4:
            op = (struct inv_op){.kind = INV_OP_TAG_REMOVE, .machine = m, .tag = tag};
            break;
        case 5:
            op = (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = inst,
                                 .role = role, .machine = m};
            break;
        case 6:
            op = (struct inv_op){.kind = INV_OP_ROLE_MACHINE_REMOVE, .instance = inst,
                                 .role = role, .machine = m};
            break;
        case 7:
            op = (struct inv_op){.kind = INV_OP_ROLE_TAG_ADD, .instance = inst, .role = role,
                                 .tag = tag};
            break;
        case 8:
            op = (struct inv_op){.kind = INV_OP_ROLE_TAG_REMOVE, .instance = inst,
                                 .role = role, .tag = tag};
            break;
        case 9: case 10:
            sc.role = "client";
            op = (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc, .key = "startAt",
                                 .value = values[rnd(4)], .priority = rnd(3) ? 0
                                                                  : INV_PRIO_FORCE};
            break;
        case 11:
            sc.role = "client";
            op = (struct inv_op){.kind = INV_OP_SETTING_CLEAR, .scope = sc,
                                 .key = rnd(2) ? "startAt" : "exclude"};
            break;
        case 12:
            sc.role = "client";
            op = (struct inv_op){.kind = INV_OP_LIST_ADD, .scope = sc, .key = "exclude",
                                 .value = values[4 + rnd(2)]};
            break;
        case 13:
            sc.role = "client";
            op = (struct inv_op){.kind = rnd(2) ? INV_OP_LIST_REMOVE : INV_OP_LIST_REPLACE,
                                 .scope = sc, .key = "exclude", .value = values[4 + rnd(2)],
                                 .index = rnd(2)};
            if (op.kind == INV_OP_LIST_REPLACE)
                op.value = "*.replaced";
            break;
        case 14:
            sc.role = "client";
            op = (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc,
                                 .key = rnd(2) ? "destinations.offsite.repo"
                                               : "destinations.offsite.rsh",
                                 .value = values[6]};
            break;
        case 16: {
            /* a new machine (at the end of inventory.machines); sometimes one a role names
             * already, so the role's "not in the inventory" goes away */
            static char fresh[64];
            snprintf(fresh, sizeof(fresh), "rnd-new-%zu", step);
            op = (struct inv_op){.kind = INV_OP_MACHINE_ADD,
                                 .machine = rnd(3) ? fresh : "no-such-machine",
                                 .target_host = "root@10.7.7.7", .tag = rnd(2) ? tag : NULL};
            break;
        }
        case 18:
            op = (struct inv_op){.kind = INV_OP_INSTANCE_ADD,
                                 .instance = rnd(2) ? "rnd-instance" : inst,
                                 .module = rnd(2) ? "borgbackup" : NULL};
            break;
        case 19:
            op = (struct inv_op){.kind = INV_OP_INSTANCE_REMOVE,
                                 .instance = rnd(2) ? "rnd-instance" : inst};
            break;
        default:
            sc.role = "server";
            sc.level = INV_LEVEL_MACHINE;
            sc.name = m;
            op = (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc, .key = "address",
                                 .value = values[7]};
            break;
        }
        applied += try_edit(sample, inv, &op);
    }
    size_t local, full;
    inventory_update_counts(inv, &local, &full);
    printf("  %s: %zu random steps, %zu edits applied; %zu updates in place, %zu full\n",
           sample, steps, applied, local, full);
    /* a fleet is what the in-place update is for: most of its edits must take that path */
    if (!strcmp(sample, "@fleet") && local < full)
        fail_msg("%s: only %zu of %zu updates were in place", sample, local, local + full);
    for (size_t i = 0; i < 4; i++)
        for (size_t j = 0; j < np[i]; j++)
            free(pool[i][j]);
    inventory_free(inv);
    free(text);
}

static void test_random(void **state)
{
    (void)state;
    /* RELOAD_SEED and RELOAD_STEPS (a multiplier) make longer soak runs by hand */
    const char *seed = getenv("RELOAD_SEED"), *mult = getenv("RELOAD_STEPS");
    rnd_state = seed ? strtoul(seed, NULL, 10) : 20261126;
    size_t k = mult ? strtoul(mult, NULL, 10) : 1;
    /* under AddressSanitizer the reload and JSON of a 1000-machine fleet after every step
     * cost ten times as much: fewer fleet steps there (the plain run does them all) */
#ifdef __SANITIZE_ADDRESS__
    size_t fleet_steps = 40;
#else
    size_t fleet_steps = 120;
#endif
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        random_one(samples[i], (!strcmp(samples[i], "@fleet") ? fleet_steps : 80) * (k ? k : 1));
}

static void test_reload(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
        reload_one(samples[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
