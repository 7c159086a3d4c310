/* An edited inventory is exactly the inventory read afresh from its new text: after each
 * of many edits (and undo/redo) on every sample and a generated fleet, the model JSON
 * (inventory_dump_json), the plan JSON and the diagnostics equal those of a full reload.
 * (inventory_edit takes over the parse core/nix made to check the edit; this guards it.) */
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

/* Apply op when the inventory accepts it; either way inv must equal its reload. */
static size_t try_edit(const char *sample, struct inventory *inv, const struct inv_op *op)
{
    struct diag_list dl = {0};
    char *desc = inv_op_describe(op);
    int r = inventory_edit(inv, op, NULL, &dl);
    diag_list_free(&dl);
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
    printf("  %s: %zu of %zu edits applied, each equal to a reload\n", sample, applied, tried);
    for (size_t i = 0; i < nm; i++)
        free(names[i]);
    free(names);
    free(inst);
    inventory_free(inv);
    free(text);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
