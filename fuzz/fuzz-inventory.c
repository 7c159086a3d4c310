/* libFuzzer target for core/inventory: any text gives a model, a plan, JSON and an install
 * order without crashing; every edit operation either is refused or yields a text whose
 * undo restores the input byte for byte. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try_edit(struct inventory *inv, const struct inv_op *op, const char *orig,
                     size_t len)
{
    struct diag_list dl = {0};
    if (inventory_edit(inv, op, NULL, &dl) == 0) {
        struct plan *p = NULL;
        if (inventory_plan(inv, &p, &dl) == 0)
            plan_free(p);
        struct diag d = {0};
        if (inventory_undo(inv, &d) != 0)
            abort();
        size_t l;
        const char *t = inventory_text(inv, &l);
        if (l != len || memcmp(t, orig, len) != 0)
            abort(); /* undo must give the original bytes back */
        diag_clear(&d);
    }
    diag_list_free(&dl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_from_text("fuzz.nix", (const char *)data, size, &inv, &dl) < 0) {
        diag_list_free(&dl);
        return 0;
    }
    diag_list_free(&dl);
    struct plan *p = NULL;
    if (inventory_plan(inv, &p, &dl) == 0) {
        struct buf b = {0};
        plan_to_json(p, NULL, &b);
        buf_free(&b);
        plan_free(p);
    }
    struct buf b = {0};
    inventory_dump_json(inv, &b);
    buf_free(&b);
    size_t *order = NULL, n = 0;
    if (inventory_install_order(inv, &order, &n, &dl) == 0)
        free(order);
    diag_list_free(&dl);

    const struct inv_model *md = inventory_model(inv);
    char *m0 = md->nmachines ? strdup(md->machines[0].name) : strdup("m");
    char *i0 = md->ninstances ? strdup(md->instances[0].name) : strdup("borgbackup");
    size_t len;
    const char *t = inventory_text(inv, &len);
    char *orig = malloc(len + 1);
    if (!m0 || !i0 || !orig)
        goto out;
    memcpy(orig, t, len + 1);
    struct inv_op ops[] = {
        {.kind = INV_OP_TAG_ADD, .machine = m0, .tag = "fz"},
        {.kind = INV_OP_TAG_REMOVE, .machine = m0, .tag = "fz"},
        {.kind = INV_OP_MACHINE_ADD, .machine = "fz-new", .target_host = "root@h", .tag = "t"},
        {.kind = INV_OP_ROLE_MACHINE_ADD, .instance = i0, .role = "client", .machine = m0},
        {.kind = INV_OP_ROLE_MACHINE_REMOVE, .instance = i0, .role = "client", .machine = m0},
        {.kind = INV_OP_ROLE_TAG_ADD, .instance = i0, .role = "client", .tag = "fz"},
        {.kind = INV_OP_ROLE_TAG_REMOVE, .instance = i0, .role = "client", .tag = "fz"},
        {.kind = INV_OP_SETTING_SET, .scope = {.instance = i0, .level = INV_LEVEL_MACHINE, .name = m0},
         .key = "startAt", .value = "*-*-* 04:00:00"},
        {.kind = INV_OP_SETTING_SET, .scope = {.instance = i0, .level = INV_LEVEL_ROLE},
         .key = "startAt", .value = "*-*-* 03:00:00"},
        {.kind = INV_OP_SETTING_CLEAR, .scope = {.instance = i0, .level = INV_LEVEL_MACHINE, .name = m0},
         .key = "startAt"},
        {.kind = INV_OP_LIST_ADD, .scope = {.instance = i0, .level = INV_LEVEL_MACHINE, .name = m0},
         .key = "exclude", .value = "*.fz"},
        {.kind = INV_OP_LIST_REMOVE, .scope = {.instance = i0, .level = INV_LEVEL_ROLE},
         .key = "exclude", .value = "*.fz"},
        {.kind = INV_OP_LIST_MOVE, .scope = {.instance = i0, .level = INV_LEVEL_MACHINE, .name = m0},
         .key = "exclude", .index = 1, .to = 0},
        {.kind = INV_OP_SETTING_SET, .scope = {.instance = i0, .level = INV_LEVEL_MACHINE, .name = m0},
         .key = "destinations.fz.repo", .value = "u@h:."},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        try_edit(inv, &ops[i], orig, len);
out:
    free(orig);
    free(m0);
    free(i0);
    inventory_free(inv);
    return 0;
}
