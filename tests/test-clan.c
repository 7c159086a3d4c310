/* A clan of several files (tests/clans/<shape>): edits go to the file that defines the value
 * (clan.nix, the expression inside flake.nix or a flake-parts module, inventory.json), undo
 * and redo span files, an edited clan equals the clan read afresh from the saved files, JSON
 * stays JSON that jq reads with every other value unchanged, and a multi-file write is all
 * or nothing. Each test works on a copy of the fixture in a temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/inventory.h"
#include "core/util.h"

static char cwd0[4096];

/* Copy the fixture into a fresh directory and chdir there. */
static char *enter_copy(const char *shape)
{
    char *dir = strdup("/tmp/test-clan.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "cp -a %s/tests/clans/%s/. %s/", TOP_SRCDIR, shape, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chdir(dir), 0);
    return dir;
}

static void leave(char *dir)
{
    assert_int_equal(chdir(cwd0), 0);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "chmod -R u+w %s; rm -rf %s", dir, dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

static struct inventory *open_here(void)
{
    struct diag_list dl = {0};
    struct inventory *inv = NULL;
    int r = inventory_open(".", &inv, &dl);
    for (size_t i = 0; r < 0 && i < dl.n; i++)
        fprintf(stderr, "%s\n", dl.v[i].msg);
    diag_list_free(&dl);
    assert_int_equal(r, 0);
    return inv;
}

static char *dump(const struct inventory *inv)
{
    struct buf b = {0};
    assert_int_equal(inventory_dump_json(inv, &b), 0);
    struct plan *p = NULL;
    struct diag_list dl = {0};
    if (inventory_plan(inv, &p, &dl) == 0) {
        buf_puts(&b, "\n");
        plan_to_json(p, NULL, &b);
        plan_free(p);
    }
    diag_list_free(&dl);
    return buf_steal(&b);
}

static char *slurp(const char *path)
{
    char *t = NULL;
    size_t l = 0;
    struct diag d = {0};
    if (file_read(path, &t, &l, NULL, &d) < 0) {
        diag_clear(&d);
        return NULL;
    }
    return t;
}

/* The edited model equals the one read afresh from the saved files. */
static void assert_reload_equal(struct inventory *inv)
{
    struct diag d = {0};
    int r = inventory_save(inv, &d);
    if (r < 0)
        fprintf(stderr, "save: %s\n", d.msg);
    diag_clear(&d);
    assert_int_equal(r, 0);
    assert_false(inventory_dirty(inv));
    struct inventory *fresh = open_here();
    char *a = dump(inv), *b = dump(fresh);
    if (strcmp(a, b)) {
        fprintf(stderr, "edited:\n%s\nreloaded:\n%s\n", a, b);
        fail_msg("the edited clan differs from the clan read again");
    }
    free(a);
    free(b);
    inventory_free(fresh);
}

static void edit_ok(struct inventory *inv, struct inv_op op, unsigned *file)
{
    struct diag_list dl = {0};
    char *t = NULL;
    size_t l = 0;
    unsigned fi = 99;
    int r = inventory_edit_preview_file(inv, &op, &fi, &t, &l, NULL, &dl);
    for (size_t i = 0; r < 0 && i < dl.n; i++)
        fprintf(stderr, "preview: %s:%u: %s\n", dl.v[i].file ? dl.v[i].file : "", dl.v[i].line,
                dl.v[i].msg);
    assert_int_equal(r, 0);
    free(t);
    diag_list_free(&dl);
    r = inventory_edit(inv, &op, NULL, &dl);
    for (size_t i = 0; r < 0 && i < dl.n; i++)
        fprintf(stderr, "edit: %s\n", dl.v[i].msg);
    diag_list_free(&dl);
    assert_int_equal(r, 0);
    if (file)
        *file = fi;
}

static int jq_ok(const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "jq -e . %s >/dev/null 2>&1", path);
    return system(cmd) == 0;
}

static const char *kind_file(const struct inventory *inv, unsigned fi)
{
    const struct inv_file_info *f = inventory_file(inv, fi);
    return f ? f->path : "?";
}

/* classic: a machine defined only in inventory.json gets its tag there; clan.nix edits stay
 * in clan.nix; undo and redo span both files. */
static void test_classic_json_and_nix(void **state)
{
    (void)state;
    char *dir = enter_copy("classic");
    char *json0 = slurp("inventory.json");
    char *nix0 = slurp("clan.nix");
    struct inventory *inv = open_here();
    unsigned fi;
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "gamma", .tag = "backup"},
            &fi);
    assert_string_equal(kind_file(inv, fi), "inventory.json");
    edit_ok(inv,
            (struct inv_op){.kind = INV_OP_SETTING_SET,
                            .scope = {.instance = "borgbackup", .role = "client",
                                      .level = INV_LEVEL_ROLE},
                            .key = "startAt", .value = "*-*-* 04:00:00"},
            &fi);
    assert_int_equal(fi, 0);
    /* gamma is a client now (tag backup), in the plan */
    assert_non_null(inventory_member(inv, "borgbackup", "client", "gamma"));
    struct inv_pending pv[8];
    assert_int_equal(inventory_pending(inv, pv, 8), 2);
    /* undo both, across files */
    struct diag d = {0};
    assert_int_equal(inventory_undo(inv, &d), 0);
    assert_int_equal(inventory_undo(inv, &d), 0);
    assert_null(inventory_member(inv, "borgbackup", "client", "gamma"));
    assert_int_equal(inventory_pending(inv, pv, 8), 0);
    assert_false(inventory_dirty(inv));
    assert_int_equal(inventory_redo(inv, &d), 0);
    assert_int_equal(inventory_redo(inv, &d), 0);
    assert_non_null(inventory_member(inv, "borgbackup", "client", "gamma"));
    assert_reload_equal(inv);
    /* the JSON is valid, holds the tag, and every other value is unchanged */
    assert_true(jq_ok("inventory.json"));
    assert_int_equal(system("jq -e '.machines.gamma.tags == [\"backup\"]' inventory.json >/dev/null"), 0);
    char cmd[4096];
    FILE *o = fopen("old.json", "w");
    assert_non_null(o);
    fputs(json0, o);
    fclose(o);
    snprintf(cmd, sizeof(cmd),
             "test \"$(jq -S 'del(.machines.gamma.tags)' inventory.json)\" = \"$(jq -S . old.json)\"");
    assert_int_equal(system(cmd), 0);
    unlink("old.json");
    /* no trailing newline added: Clan's writer writes none */
    char *json1 = slurp("inventory.json");
    assert_true(json1[strlen(json1) - 1] == '}');
    char *nix1 = slurp("clan.nix");
    assert_string_not_equal(nix0, nix1);
    assert_non_null(strstr(nix1, "startAt = \"*-*-* 04:00:00\";"));
    free(json0);
    free(json1);
    free(nix0);
    free(nix1);
    inventory_free(inv);
    leave(dir);
}

/* json-heavy: the borgbackup instance is defined in inventory.json: settings go there; a
 * Nix expression that JSON cannot hold is refused and changes nothing. */
static void test_json_instance(void **state)
{
    (void)state;
    char *dir = enter_copy("json-heavy");
    char *json0 = slurp("inventory.json");
    struct inventory *inv = open_here();
    unsigned fi;
    edit_ok(inv,
            (struct inv_op){.kind = INV_OP_LIST_ADD,
                            .scope = {.instance = "borgbackup", .role = "client",
                                      .level = INV_LEVEL_ROLE},
                            .key = "exclude", .value = "/var/tmp"},
            &fi);
    assert_string_equal(kind_file(inv, fi), "inventory.json");
    edit_ok(inv,
            (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = "borgbackup",
                            .role = "client", .machine = "backup1"},
            &fi);
    assert_string_equal(kind_file(inv, fi), "inventory.json");
    struct diag_list dl = {0};
    struct inv_op force = {.kind = INV_OP_SETTING_SET,
                           .scope = {.instance = "borgbackup", .role = "client",
                                     .level = INV_LEVEL_ROLE},
                           .key = "startAt", .value = "daily", .priority = INV_PRIO_FORCE};
    assert_true(inventory_edit(inv, &force, NULL, &dl) < 0);
    assert_true(dl.n > 0);
    diag_list_free(&dl);
    assert_reload_equal(inv);
    assert_true(jq_ok("inventory.json"));
    assert_int_equal(system("jq -e '.instances.borgbackup.roles.client.settings.exclude[-1] == "
                            "\"/var/tmp\" and .instances.borgbackup.roles.client.machines.backup1 "
                            "== {}' inventory.json >/dev/null"),
                     0);
    free(json0);
    inventory_free(inv);
    leave(dir);
}

/* flake-parts: the clan module is `clan = { ... }` inside clan.nix: the rest of the file
 * (the let, the imports) is kept byte for byte. */
static void test_flake_parts_view(void **state)
{
    (void)state;
    char *dir = enter_copy("flake-parts");
    char *nix0 = slurp("clan.nix");
    struct inventory *inv = open_here();
    unsigned fi;
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "desk", .tag = "server"},
            &fi);
    assert_int_equal(fi, 0);
    size_t l;
    const char *t = inventory_text(inv, &l);
    /* the text outside the clan expression is there, unchanged */
    char *let = strstr(nix0, "in\n{");
    assert_non_null(let);
    assert_memory_equal(t, nix0, (size_t)(let - nix0) + 4);
    assert_reload_equal(inv);
    char *nix1 = slurp("clan.nix");
    assert_non_null(strstr(nix1, "desk.tags = [\n          \"desktop\"") ? nix1 : strstr(nix1, "\"server\""));
    free(nix0);
    free(nix1);
    inventory_free(inv);
    leave(dir);
}

/* inline-flake: the clan is the argument of clan-core.lib.clan in flake.nix. */
static void test_inline_flake(void **state)
{
    (void)state;
    char *dir = enter_copy("inline-flake");
    struct inventory *inv = open_here();
    const struct inv_model *md = inventory_model(inv);
    assert_true(md->nmachines > 0);
    unsigned fi;
    char *name = strdup(md->machines[0].name); /* the model is read again by the edit */
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = name, .tag = "extra"}, &fi);
    free(name);
    assert_reload_equal(inv);
    assert_int_equal(system("nix-instantiate --parse flake.nix >/dev/null 2>&1 || "
                            "! command -v nix-instantiate >/dev/null"),
                     0);
    inventory_free(inv);
    leave(dir);
}

/* A multi-file write that fails leaves every file as it was; the message names the file. */
static void test_write_faults(void **state)
{
    (void)state;
    char *dir = enter_copy("classic");
    struct inventory *inv = open_here();
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "gamma", .tag = "backup"},
            NULL);
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "alpha", .tag = "extra"},
            NULL);
    char *json0 = slurp("inventory.json"), *nix0 = slurp("clan.nix");
    /* 1. a file changed on disk since it was read: refused, nothing written */
    FILE *f = fopen("inventory.json", "a");
    assert_non_null(f);
    fputs(" ", f);
    fclose(f);
    char *json_changed = slurp("inventory.json");
    struct diag d = {0};
    assert_true(inventory_save(inv, &d) < 0);
    assert_non_null(d.msg);
    assert_non_null(strstr(d.file ? d.file : d.msg, "inventory.json"));
    diag_clear(&d);
    char *nix1 = slurp("clan.nix"), *json1 = slurp("inventory.json");
    assert_string_equal(nix1, nix0);
    assert_string_equal(json1, json_changed);
    free(nix1);
    free(json1);
    /* put it back: the save goes through */
    f = fopen("inventory.json", "w");
    fputs(json0, f);
    fclose(f);
    assert_int_equal(inventory_save(inv, &d), 0);
    diag_clear(&d);
    free(json0);
    free(nix0);
    free(json_changed);
    inventory_free(inv);
    leave(dir);
}

int main(void)
{
    assert_non_null(getcwd(cwd0, sizeof(cwd0)));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classic_json_and_nix),
        cmocka_unit_test(test_json_instance),
        cmocka_unit_test(test_flake_parts_view),
        cmocka_unit_test(test_inline_flake),
        cmocka_unit_test(test_write_faults),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
