/* core/inventory: the user's document's statements about every example, the module-system
 * merge, diagnostics for bad input, and edits with conflicts and undo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/inventory.h"

static char *sample_path(const char *name)
{
    const char *top = getenv("top_srcdir");
    char *p = NULL;
    if (asprintf(&p, "%s/samples/%s", top ? top : TOP_SRCDIR, name) < 0)
        return NULL;
    return p;
}

static struct inventory *load_sample(const char *name)
{
    char *p = sample_path(name);
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_load(p, &inv, &dl), 0);
    for (size_t i = 0; i < dl.n; i++)
        if (dl.v[i].severity == DIAG_ERROR)
            fail_msg("%s:%u:%u: %s", name, dl.v[i].line, dl.v[i].col, dl.v[i].msg);
    diag_list_free(&dl);
    free(p);
    return inv;
}

static struct inventory *from_text(const char *text, struct diag_list *dl)
{
    struct inventory *inv = NULL;
    assert_int_equal(inventory_from_text("t.nix", text, strlen(text), &inv, dl), 0);
    return inv;
}

static struct plan *plan_of(const struct inventory *inv)
{
    struct plan *p = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_plan(inv, &p, &dl), 0);
    diag_list_free(&dl);
    return p;
}

static const struct plan_job *job(const struct plan_machine *m, const char *unit)
{
    for (size_t i = 0; i < m->njobs; i++)
        if (!strcmp(m->jobs[i].unit, unit))
            return &m->jobs[i];
    return NULL;
}

static bool has_hook(const struct plan_hook *h, size_t n, const char *state)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(h[i].state, state))
            return true;
    return false;
}

static bool diag_has(const struct diag_list *l, enum diag_severity sev, const char *needle)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].severity == sev && l->v[i].msg && strstr(l->v[i].msg, needle))
            return true;
    return false;
}

/* ---- the user's document ---- */

/* "alice-laptop has a tag called employees. The borgbackup service uses this tag to
 * automatically include any machine tagged employees as a client" */
static void test_two_machines(void **state)
{
    (void)state;
    struct inventory *inv = load_sample("two-machines.nix");
    const struct inv_member *mb = inventory_member(inv, "borgbackup", "client", "alice-laptop");
    assert_non_null(mb);
    assert_false(mb->direct);
    assert_int_equal(mb->nvia_tags, 1);
    assert_string_equal(mb->via_tags[0], "employees");
    const struct inv_member *pg = inventory_member(inv, "borgbackup", "client", "postgres-server");
    assert_non_null(pg);
    assert_true(pg->direct);
    assert_non_null(inventory_member(inv, "borgbackup", "server", "backup-server"));
    assert_null(inventory_member(inv, "borgbackup", "client", "backup-server"));
    /* built-in tag all */
    assert_non_null(inventory_member(inv, "sshd", "server", "backup-server"));
    const struct inv_model *md = inventory_model(inv);
    assert_string_equal(md->meta.name.s, "MY-BACKUP-CLAN");
    assert_string_equal(md->meta.domain.s, "mybackupclan.lol");
    long ai = inventory_machine_index(inv, "alice-laptop");
    assert_true(ai >= 0);
    assert_string_equal(md->machines[ai].target_host.s, "root@192.168.56.101");
    assert_int_equal(md->machines[ai].target_host.loc.line, 8);

    struct plan *p = plan_of(inv);
    const struct plan_machine *a = plan_find_machine(p, "alice-laptop");
    assert_true(a->is_client);
    assert_int_equal(a->njobs, 1);
    const struct plan_job *j = job(a, "borgbackup-job-backup-server");
    assert_non_null(j);
    assert_string_equal(j->repo, "borg@192.168.56.104:.");
    assert_int_equal(j->npaths, 2);
    assert_string_equal(j->paths[0], "/home/alice/documents");
    assert_string_equal(j->paths[1], "/home/alice/pictures");
    assert_string_equal(j->start_at, "*-*-* 01:00:00");
    assert_string_equal(j->start_at_origin.level, "default");
    assert_string_equal(j->rsh, "ssh -i /run/secrets/vars/borgbackup/borgbackup.ssh "
                                "-o StrictHostKeyChecking=accept-new -o IdentitiesOnly=Yes");
    /* postgres-server: the database state and the stop/start state, in name order */
    const struct plan_machine *ps = plan_find_machine(p, "postgres-server");
    j = job(ps, "borgbackup-job-backup-server");
    assert_non_null(j);
    assert_int_equal(j->npaths, 1);
    assert_string_equal(j->paths[0], "/var/backup/postgres/mydb");
    assert_int_equal(j->npre, 2);
    assert_string_equal(j->pre_backup[0].state, "mydb");
    assert_non_null(strstr(j->pre_backup[0].script, "pg_dump"));
    assert_string_equal(j->pre_backup[1].state, "postgresql");
    assert_string_equal(j->pre_backup[1].script, "systemctl stop postgresql\n");
    assert_int_equal(j->npost, 1);
    assert_string_equal(j->post_backup[0].script, "systemctl start postgresql\n");
    assert_true(has_hook(j->post_restore, j->npost_restore, "mydb"));
    assert_non_null(strstr(j->post_restore[0].script, "pg_restore"));
    const struct plan_machine *bs = plan_find_machine(p, "backup-server");
    assert_true(bs->is_server);
    assert_false(bs->is_client);
    assert_int_equal(bs->nclients, 2);
    assert_string_equal(bs->clients[0].client, "alice-laptop");
    assert_string_equal(bs->clients[0].directory, "/var/lib/borgbackup/alice-laptop");
    plan_free(p);

    /* "install the backup server before any client machines" */
    size_t *order, n;
    struct diag_list dl = {0};
    assert_int_equal(inventory_install_order(inv, &order, &n, &dl), 0);
    assert_int_equal(n, 3);
    assert_string_equal(md->machines[order[0]].name, "backup-server");
    assert_int_equal(dl.n, 0);
    free(order);
    inventory_free(inv);
}

/* "postgres-server gets two scheduled jobs: borgbackup-job-backup-server and
 * borgbackup-job-storagebox. Both run on the same schedule and both honor the pre/post backup
 * hooks" */
static void test_multi_destination(void **state)
{
    (void)state;
    struct inventory *inv = load_sample("multi-destination.nix");
    struct plan *p = plan_of(inv);
    const struct plan_machine *m = plan_find_machine(p, "postgres-server");
    assert_int_equal(m->njobs, 2);
    const struct plan_job *a = job(m, "borgbackup-job-backup-server");
    const struct plan_job *b = job(m, "borgbackup-job-storagebox");
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a->start_at, b->start_at);
    assert_true(has_hook(a->pre_backup, a->npre, "postgresql"));
    assert_true(has_hook(b->pre_backup, b->npre, "postgresql"));
    assert_true(has_hook(a->post_backup, a->npost, "postgresql"));
    assert_true(has_hook(b->post_backup, b->npost, "postgresql"));
    assert_string_equal(b->repo, "<HETZNER-USER>@<HETZNER-USER>.your-storagebox.de:/./borgbackup");
    assert_string_equal(b->rsh, "ssh -p 23 -oStrictHostKeyChecking=accept-new -i "
                                "/run/secrets/vars/borgbackup/borgbackup.ssh");
    assert_true(b->explicit_dest);
    assert_false(a->explicit_dest);
    assert_string_equal(a->repo, "borg@<IP-ADDRESS>:.");
    assert_string_equal(a->server, "backup-server");
    plan_free(p);
    inventory_free(inv);
}

/* "three workstations backing up to a NAS, each on a different schedule" */
static void test_nas(void **state)
{
    (void)state;
    struct inventory *inv = load_sample("nas-schedules.nix");
    struct plan *p = plan_of(inv);
    const char *names[] = {"laptop", "desktop", "work-pc"};
    const char *times[] = {"*-*-* 02:00:00", "*-*-* 03:00:00", "*-*-* 04:00:00"};
    size_t clients = 0;
    for (size_t i = 0; i < p->nmachines; i++)
        clients += p->machines[i].is_client;
    assert_int_equal(clients, 3);
    for (int i = 0; i < 3; i++) {
        const struct plan_machine *m = plan_find_machine(p, names[i]);
        assert_int_equal(m->njobs, 1);
        assert_string_equal(m->jobs[0].unit, "borgbackup-job-nas");
        assert_string_equal(m->jobs[0].start_at, times[i]);
        assert_string_equal(m->jobs[0].start_at_origin.level, "machine");
        assert_string_equal(m->jobs[0].repo, "borg@192.168.1.50:.");
    }
    const struct plan_machine *nas = plan_find_machine(p, "nas");
    assert_string_equal(nas->directory, "/data/backups");
    assert_int_equal(nas->nclients, 3);
    assert_string_equal(nas->clients[2].directory, "/data/backups/work-pc");
    plan_free(p);
    inventory_free(inv);
}

static void test_exclude_and_schedule_samples(void **state)
{
    (void)state;
    /* "This would exclude all files ending with .bak on every machine tagged with employees" */
    struct inventory *inv = load_sample("exclude-tag.nix");
    struct plan *p = plan_of(inv);
    for (int i = 0; i < 2; i++) {
        const struct plan_machine *m = plan_find_machine(p, i ? "bob-laptop" : "alice-laptop");
        assert_int_equal(m->njobs, 1);
        assert_int_equal(m->jobs[0].nexclude, 1);
        assert_string_equal(m->jobs[0].exclude[0], "*.bak");
        assert_string_equal(m->jobs[0].exclude_origin[0].level, "tag:employees");
    }
    plan_free(p);
    inventory_free(inv);

    inv = load_sample("exclude.nix");
    p = plan_of(inv);
    const struct plan_job *j = &plan_find_machine(p, "alice-laptop")->jobs[0];
    assert_int_equal(j->nexclude, 4);
    assert_string_equal(j->exclude[0], "*.pyc");
    assert_string_equal(j->exclude[3], ".cache");
    plan_free(p);
    inventory_free(inv);

    /* "The default schedule is 1:00 AM daily. To change it, add startAt" */
    inv = load_sample("schedule.nix");
    p = plan_of(inv);
    j = &plan_find_machine(p, "alice-laptop")->jobs[0];
    assert_string_equal(j->start_at, "*-*-* 04:00:00");
    assert_int_equal(j->start_at_origin.line, 20);
    plan_free(p);
    inventory_free(inv);
}

static void test_hooks_and_storagebox(void **state)
{
    (void)state;
    struct inventory *inv = load_sample("docker-hooks.nix");
    const struct inv_model *md = inventory_model(inv);
    const struct inv_machine *m = &md->machines[inventory_machine_index(inv, "docker-host")];
    assert_int_equal(m->nstates, 1);
    assert_string_equal(m->states[0].name, "containers");
    assert_string_equal(m->states[0].hooks[INV_HOOK_PRE_BACKUP].s, "docker pause $(docker ps -q)\n");
    assert_string_equal(m->states[0].hooks[INV_HOOK_POST_BACKUP].s,
                        "docker unpause $(docker ps -q)\n");
    assert_null(m->states[0].hooks[INV_HOOK_PRE_RESTORE].s);
    struct plan *p = plan_of(inv);
    const struct plan_job *j = &plan_find_machine(p, "docker-host")->jobs[0];
    assert_string_equal(j->paths[0], "/var/lib/docker/volumes");
    assert_string_equal(j->pre_backup[0].state, "containers");
    plan_free(p);
    inventory_free(inv);

    /* an external destination only: one job named after it */
    inv = load_sample("storagebox.nix");
    p = plan_of(inv);
    const struct plan_machine *pm = plan_find_machine(p, "postgres-server");
    assert_int_equal(pm->njobs, 1);
    assert_string_equal(pm->jobs[0].unit, "borgbackup-job-storagebox");
    assert_string_equal(pm->jobs[0].repo, "<BOX-USERID>@<BOX-USERID>.your-storagebox.de:/./borgbackup");
    plan_free(p);
    inventory_free(inv);

    inv = load_sample("postgres.nix");
    md = inventory_model(inv);
    m = &md->machines[inventory_machine_index(inv, "postgres-server")];
    assert_int_equal(m->nstates, 2);
    assert_string_equal(m->states[0].name, "mydatabase");
    assert_string_equal(m->states[0].database, "mydatabase");
    assert_string_equal(m->states[0].folders[0].s, "/var/backup/postgres/mydatabase");
    assert_string_equal(m->states[1].name, "postgresql");
    /* module.name = "users" (nested form) */
    long ui = inventory_instance_index(inv, "user-root");
    assert_string_equal(md->instances[ui].module.s, "users");
    assert_string_equal(md->instances[inventory_instance_index(inv, "borgbackup")].module.s,
                        "borgbackup");
    inventory_free(inv);
}

/* ---- module-system merge ---- */

static const char merge_text[] =
    "{ lib, ... }:\n"
    "{\n"
    "  inventory.machines = {\n"
    "    a = { tags = [ \"t\" \"u\" ]; };\n"
    "    b = { };\n"
    "    s = { };\n"
    "  };\n"
    "  inventory.instances.borgbackup = {\n"
    "    roles.client.settings.timeout = 40;\n"
    "    roles.client.tags.t.settings.timeout = lib.mkForce 50;\n"
    "    roles.client.settings.exclude = [ \"*.role\" ];\n"
    "    roles.client.tags.t.settings.exclude = [ \"*.tag\" ];\n"
    "    roles.client.tags.u = { };\n"
    "    roles.client.machines.a.settings.exclude = [ \"*.machine\" ];\n"
    "    roles.client.machines.b.settings = { startAt = \"*-*-* 05:00:00\"; };\n"
    "    roles.client.settings.startAt = lib.mkDefault \"*-*-* 02:00:00\";\n"
    "    roles.server.machines.s = { };\n"
    "  };\n"
    "  machines.a.clan.core.state.x.folders = [ \"/x\" ];\n"
    "  machines.b.clan.core.state.y.folders = [ \"/y\" ];\n"
    "}\n";

static void test_merge(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(merge_text, &dl);
    assert_int_equal(diag_list_count(&dl, DIAG_ERROR), 0);
    /* clan-core's own test: role-wide 40 plus a tag's mkForce 50 */
    const struct inv_member *a = inventory_member(inv, "borgbackup", "client", "a");
    const struct inv_member *b = inventory_member(inv, "borgbackup", "client", "b");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a->direct);
    assert_int_equal(a->nvia_tags, 2);
    const struct inv_eff *ta = inv_eff_get(&a->settings, "timeout");
    assert_non_null(ta);
    assert_false(ta->conflict);
    assert_int_equal(ta->value->ival, 50);
    assert_int_equal(ta->ndefs, 2);
    assert_false(ta->defs[0].active);
    assert_int_equal(ta->defs[1].priority, INV_PRIO_FORCE);
    assert_string_equal(ta->defs[1].tag, "t");
    assert_int_equal(ta->defs[1].loc.line, 10);
    assert_int_equal(inv_eff_get(&b->settings, "timeout")->value->ival, 40);
    /* lists concatenate: role, tags, machine */
    const struct inv_eff *ex = inv_eff_get(&a->settings, "exclude");
    assert_int_equal(ex->kind, NIX_LIST);
    assert_int_equal(ex->nitems, 3);
    assert_string_equal(ex->items[0]->str, "*.role");
    assert_string_equal(ex->items[1]->str, "*.tag");
    assert_string_equal(ex->items[2]->str, "*.machine");
    /* mkDefault loses to a plain value, beats the option default */
    assert_string_equal(inv_eff_string(inv_eff_get(&b->settings, "startAt")), "*-*-* 05:00:00");
    const struct inv_eff *sa = inv_eff_get(&a->settings, "startAt");
    assert_string_equal(inv_eff_string(sa), "*-*-* 02:00:00");
    assert_int_equal(sa->defs[0].level, INV_LEVEL_DEFAULT);
    assert_false(sa->defs[0].active);
    assert_int_equal(sa->winner->priority, INV_PRIO_DEFAULT);
    struct plan *p = plan_of(inv);
    assert_string_equal(plan_find_machine(p, "a")->jobs[0].start_at, "*-*-* 02:00:00");
    assert_string_equal(plan_find_machine(p, "a")->jobs[0].start_at_origin.level, "role");
    plan_free(p);
    diag_list_free(&dl);
    inventory_free(inv);
}

static void test_conflict(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(
        "{\n"
        "  inventory.machines.a.tags = [ \"t\" ];\n"
        "  inventory.instances.borgbackup.roles.client = {\n"
        "    tags.t.settings.startAt = \"*-*-* 03:00:00\";\n"
        "    machines.a.settings.startAt = \"*-*-* 04:00:00\";\n"
        "  };\n"
        "}\n",
        &dl);
    assert_true(diag_has(&dl, DIAG_ERROR, "conflicting definitions of settings.startAt"));
    const struct inv_member *a = inventory_member(inv, "borgbackup", "client", "a");
    const struct inv_eff *sa = inv_eff_get(&a->settings, "startAt");
    assert_true(sa->conflict);
    assert_null(inv_eff_string(sa));
    assert_int_equal(sa->ndefs, 3); /* default, tag, machine */
    diag_list_free(&dl);
    inventory_free(inv);
}

/* ---- diagnostics ---- */

static void test_bad_input(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    /* a syntax error: the rest is still read */
    struct inventory *inv = from_text("{\n  inventory.machines.a = { tags = [ \"x\" ]; };\n"
                                      "  meta.name = ;\n}\n",
                                      &dl);
    assert_true(diag_list_count(&dl, DIAG_ERROR) > 0);
    assert_true(inventory_machine_index(inv, "a") >= 0);
    inventory_free(inv);
    diag_list_free(&dl);

    /* unknown shapes and non-literal values */
    inv = from_text("{ x, ... }:\n{\n"
                    "  inventory.machines = {\n"
                    "    a = { deploy.targetHost = x.host; tags = x.tags; };\n"
                    "    b = 5;\n"
                    "    c = { tags = [ \"ok\" 3 ]; };\n"
                    "  };\n"
                    "  inventory.instances.borgbackup.roles.client = {\n"
                    "    machines.ghost = { };\n"
                    "    tags = [ \"nothing\" ];\n"
                    "    settings.destinations.\"bad name\".repo = \"r\";\n"
                    "    settings.startAt = \"every tuesday-ish\";\n"
                    "  };\n"
                    "  inventory.instances.borgbackup.roles.client.machines.c = { };\n"
                    "  machines.c = import ./c.nix;\n"
                    "}\n",
                    &dl);
    const struct inv_model *md = inventory_model(inv);
    const struct inv_machine *a = &md->machines[inventory_machine_index(inv, "a")];
    assert_true(a->target_host.opaque);
    assert_string_equal(a->target_host.s, "x.host");
    assert_true(diag_has(&dl, DIAG_WARNING, "not a literal string"));
    assert_true(diag_has(&dl, DIAG_WARNING, "not a literal list"));
    assert_true(diag_has(&dl, DIAG_ERROR, "expected an attribute set, found an integer"));
    assert_true(diag_has(&dl, DIAG_ERROR, "expected a string, found an integer"));
    assert_true(diag_has(&dl, DIAG_ERROR, "names machine 'ghost'"));
    assert_true(diag_has(&dl, DIAG_WARNING, "tag 'nothing'"));
    assert_true(diag_has(&dl, DIAG_ERROR, "destination name 'bad name'"));
    assert_true(diag_has(&dl, DIAG_ERROR, "not a valid systemd calendar expression"));
    assert_true(diag_has(&dl, DIAG_WARNING, "cannot see its clan.core.state"));
    for (size_t i = 0; i < dl.n; i++)
        assert_true(dl.v[i].line > 0);
    struct plan *p = plan_of(inv);
    assert_non_null(plan_find_machine(p, "c")->no_jobs_reason);
    plan_free(p);
    inventory_free(inv);
    diag_list_free(&dl);

    /* not an attrset at all, empty input, garbage */
    const char *bad[] = {"42", "", "{", "}}}{{{", "let in", "\"str\"", "{ a = ",
                         "{ inventory = [ ]; machines = \"x\"; meta = 1; }"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        inv = NULL;
        assert_int_equal(inventory_from_text("bad.nix", bad[i], strlen(bad[i]), &inv, &dl), 0);
        p = plan_of(inv);
        plan_free(p);
        struct buf b = {0};
        assert_int_equal(inventory_dump_json(inv, &b), 0);
        buf_free(&b);
        inventory_free(inv);
        if (i != 1)
            assert_true(dl.n > 0);
        diag_list_free(&dl);
    }
}

static void test_duplicate_units(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(
        "{\n"
        "  inventory.machines = { c = { }; s = { }; x = { }; };\n"
        "  inventory.instances.one = { module.name = \"borgbackup\"; roles.client.machines.c = { };"
        " roles.server.machines.s = { }; };\n"
        "  inventory.instances.two = { module.name = \"borgbackup\"; roles.client.machines.c = { };"
        " roles.server.machines.s = { }; };\n"
        "  machines.c.clan.core.state.d.folders = [ \"/d\" ];\n"
        "  inventory.instances.three = { module.name = \"borgbackup\"; roles.server.machines.c = { };"
        " roles.client.machines.s = { }; roles.client.machines.x = { }; };\n"
        "  machines.s.clan.core.state.e.folders = [ \"/e\" ];\n"
        "  machines.x.clan.core.state.e.folders = [ \"/e\" ];\n"
        "}\n",
        &dl);
    assert_true(diag_has(&dl, DIAG_ERROR, "two jobs named borgbackup-job-s"));
    size_t *order, n;
    struct diag_list od = {0};
    assert_int_equal(inventory_install_order(inv, &order, &n, &od), 0);
    /* c and s form the cycle; x only depends on it and is ordered after it */
    assert_true(diag_has(&od, DIAG_ERROR, "c, s need each other's host keys"));
    assert_int_equal(od.n, 1);
    assert_int_equal(n, 3);
    assert_int_equal(order[2], 2);
    free(order);
    diag_list_free(&od);
    diag_list_free(&dl);
    inventory_free(inv);
}

/* ---- edits ---- */

static void test_edit_conflict_refused(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    static const char text[] =
        "{ lib, ... }:\n"
        "{\n"
        "  inventory.machines.a.tags = [ \"t\" ];\n"
        "  inventory.instances.borgbackup.roles.client = {\n"
        "    tags.t.settings.startAt = \"*-*-* 03:00:00\";\n"
        "  };\n"
        "}\n";
    struct inventory *inv = from_text(text, &dl);
    assert_int_equal(diag_list_count(&dl, DIAG_ERROR), 0);
    /* a client without a server or destination is worth a warning */
    assert_true(diag_has(&dl, DIAG_WARNING, "has no destination"));
    diag_list_free(&dl);
    struct inv_op op = {.kind = INV_OP_SETTING_SET,
                        .scope = {.level = INV_LEVEL_ROLE},
                        .key = "startAt",
                        .value = "*-*-* 05:00:00"};
    /* role-wide 05:00 is fine for machines without the tag; a has no such definition... */
    struct inv_alternatives alts = {0};
    op.scope.level = INV_LEVEL_MACHINE;
    op.scope.name = "a";
    assert_int_equal(inventory_edit(inv, &op, &alts, &dl), -EEXIST);
    assert_true(diag_has(&dl, DIAG_ERROR, "refused"));
    assert_true(diag_has(&dl, DIAG_ERROR, "t.nix:5:"));
    assert_true(alts.n >= 3);
    /* nothing changed */
    size_t len;
    assert_memory_equal(inventory_text(inv, &len), text, sizeof(text) - 1);
    assert_int_equal(inventory_undo_depth(inv), 0);
    /* every alternative goes through */
    for (size_t i = 0; i < alts.n; i++) {
        char *t = NULL;
        size_t tl;
        struct diag_list d2 = {0};
        assert_int_equal(inventory_edit_preview(inv, &alts.v[i].op, &t, &tl, NULL, &d2), 0);
        free(t);
        diag_list_free(&d2);
    }
    /* apply the mkForce one */
    size_t k;
    for (k = 0; k < alts.n && alts.v[k].op.priority != INV_PRIO_FORCE; k++)
        ;
    assert_true(k < alts.n);
    diag_list_free(&dl);
    assert_int_equal(inventory_edit(inv, &alts.v[k].op, NULL, &dl), 0);
    const struct inv_member *a = inventory_member(inv, "borgbackup", "client", "a");
    assert_string_equal(inv_eff_string(inv_eff_get(&a->settings, "startAt")), "*-*-* 05:00:00");
    assert_non_null(strstr(inventory_text(inv, &len), "lib.mkForce \"*-*-* 05:00:00\""));
    struct diag d = {0};
    assert_int_equal(inventory_undo(inv, &d), 0);
    assert_int_equal(len = 0, 0);
    const char *t = inventory_text(inv, &len);
    assert_int_equal(len, sizeof(text) - 1);
    assert_memory_equal(t, text, len);
    assert_int_equal(inventory_redo(inv, &d), 0);
    assert_non_null(strstr(inventory_text(inv, &len), "lib.mkForce"));
    assert_int_equal(inventory_redo(inv, &d), -ENOENT);
    diag_clear(&d);
    inv_alternatives_free(&alts);
    diag_list_free(&dl);
    inventory_free(inv);
}

static void test_edit_schedule_document(void **state)
{
    (void)state;
    /* the document's example: "schedule set alice-laptop *-*-* 04:00:00" on two-machines */
    struct inventory *inv = load_sample("two-machines.nix");
    struct diag_list dl = {0};
    struct inv_op op = {.kind = INV_OP_SETTING_SET,
                        .scope = {.level = INV_LEVEL_MACHINE, .name = "alice-laptop"},
                        .key = "startAt",
                        .value = "*-*-* 04:00:00"};
    /* alice-laptop is a client only through its tag: a machine-level setting adds it */
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    struct plan *p = plan_of(inv);
    assert_string_equal(plan_find_machine(p, "alice-laptop")->jobs[0].start_at, "*-*-* 04:00:00");
    assert_string_equal(plan_find_machine(p, "postgres-server")->jobs[0].start_at,
                        "*-*-* 01:00:00");
    plan_free(p);
    assert_string_equal(inventory_undo_label(inv),
                        "set startAt = \"*-*-* 04:00:00\" at machine alice-laptop");
    assert_true(inventory_dirty(inv));
    /* an invalid expression is refused before anything changes */
    op.value = "*-*-* 25:00:00";
    assert_true(inventory_edit(inv, &op, NULL, &dl) < 0);
    assert_true(diag_has(&dl, DIAG_ERROR, "not a valid systemd calendar expression"));
    assert_int_equal(inventory_undo_depth(inv), 1);
    diag_list_free(&dl);
    inventory_free(inv);
}

/* lib.mkOverride N, forced lists, and equal definitions */
static void test_merge_priorities(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(
        "{ lib, ... }:\n"
        "{\n"
        "  inventory.machines = { a = { tags = [ \"t\" ]; }; b = { }; };\n"
        "  inventory.instances.borgbackup.roles.client = {\n"
        "    settings.startAt = lib.mkOverride 900 \"*-*-* 09:00:00\";\n"
        "    tags.t.settings.startAt = \"*-*-* 01:30:00\";\n"
        "    machines.a.settings.startAt = (lib.mkOverride 10 \"*-*-* 00:10:00\");\n"
        "    settings.exclude = [ \"*.role\" ];\n"
        "    tags.t.settings.exclude = lib.mkForce [ \"*.forced\" ];\n"
        "    machines.a.settings.exclude = [ \"*.machine\" ];\n"
        "    machines.b.settings.timeout = 5;\n"
        "    settings.timeout = 5;\n"
        "  };\n"
        "}\n",
        &dl);
    assert_int_equal(diag_list_count(&dl, DIAG_ERROR), 0);
    const struct inv_member *a = inventory_member(inv, "borgbackup", "client", "a");
    const struct inv_member *b = inventory_member(inv, "borgbackup", "client", "b");
    /* mkOverride 10 beats the plain tag value; 900 loses to it but beats the default */
    const struct inv_eff *sa = inv_eff_get(&a->settings, "startAt");
    assert_string_equal(inv_eff_string(sa), "*-*-* 00:10:00");
    assert_int_equal(sa->winner->priority, 10);
    assert_string_equal(inv_eff_string(inv_eff_get(&b->settings, "startAt")), "*-*-* 09:00:00");
    assert_int_equal(inv_eff_get(&b->settings, "startAt")->winner->priority, 900);
    /* a forced list keeps only the definitions of its priority */
    const struct inv_eff *ex = inv_eff_get(&a->settings, "exclude");
    assert_int_equal(ex->nitems, 1);
    assert_string_equal(ex->items[0]->str, "*.forced");
    assert_int_equal(inv_eff_get(&b->settings, "exclude")->nitems, 1);
    /* equal single values at one priority are no conflict */
    const struct inv_eff *to = inv_eff_get(&b->settings, "timeout");
    assert_false(to->conflict);
    assert_int_equal(to->value->ival, 5);
    diag_list_free(&dl);
    inventory_free(inv);
}

/* A tag that would bring a conflicting value: refused, with the removals that help */
static void test_edit_tag_conflict(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(
        "{\n"
        "  inventory.machines.a.tags = [ ];\n"
        "  inventory.machines.s = { };\n"
        "  inventory.instances.borgbackup.roles = {\n"
        "    client.tags.t.settings.startAt = \"*-*-* 03:00:00\";\n"
        "    client.machines.a.settings.startAt = \"*-*-* 04:00:00\";\n"
        "    server.machines.s = { };\n"
        "  };\n"
        "}\n",
        &dl);
    diag_list_free(&dl);
    struct inv_op op = {.kind = INV_OP_TAG_ADD, .machine = "a", .tag = "t"};
    struct inv_alternatives alts = {0};
    assert_int_equal(inventory_edit(inv, &op, &alts, &dl), -EEXIST);
    assert_true(diag_has(&dl, DIAG_ERROR, "refused: add tag t to a"));
    assert_int_equal(alts.n, 2);
    for (size_t i = 0; i < alts.n; i++) {
        assert_int_equal(alts.v[i].op.kind, INV_OP_SETTING_CLEAR);
        assert_string_equal(alts.v[i].op.key, "startAt");
    }
    /* after the first removal the tag goes in */
    diag_list_free(&dl);
    assert_int_equal(inventory_edit(inv, &alts.v[0].op, NULL, &dl), 0);
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    inv_alternatives_free(&alts);
    diag_list_free(&dl);
    inventory_free(inv);
}

/* Undo gives back every byte, NUL bytes in the removed text included (found by fuzzing) */
static void test_undo_keeps_nul_bytes(void **state)
{
    (void)state;
    static const char text[] = "{\n  inventory.machines.a = { };\n"
                               "  inventory.instances.borgbackup.roles.client.machines.a = {\n"
                               "    settings.startAt = \"*-*\0\0-* 04:00:00\";\n  };\n}\n";
    size_t len = sizeof(text) - 1;
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_from_text("nul.nix", text, len, &inv, &dl), 0);
    struct inv_op op = {.kind = INV_OP_ROLE_MACHINE_REMOVE, .instance = "borgbackup",
                        .role = "client", .machine = "a"};
    if (inventory_edit(inv, &op, NULL, &dl) == 0) {
        struct diag d = {0};
        assert_int_equal(inventory_undo(inv, &d), 0);
        size_t l;
        const char *t = inventory_text(inv, &l);
        assert_int_equal(l, len);
        assert_memory_equal(t, text, len);
    }
    diag_list_free(&dl);
    inventory_free(inv);
}

/* Setting a value that has a priority keeps the priority */
static void test_edit_keeps_priority(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = from_text(merge_text, &dl);
    struct inv_op op = {.kind = INV_OP_SETTING_SET,
                        .scope = {.level = INV_LEVEL_ROLE},
                        .key = "startAt",
                        .value = "*-*-* 02:30:00"};
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    size_t len;
    assert_non_null(strstr(inventory_text(inv, &len),
                           "roles.client.settings.startAt = lib.mkDefault \"*-*-* 02:30:00\";"));
    /* b keeps its own plain value, a gets the new default */
    const struct inv_member *a = inventory_member(inv, "borgbackup", "client", "a");
    const struct inv_member *b = inventory_member(inv, "borgbackup", "client", "b");
    assert_string_equal(inv_eff_string(inv_eff_get(&a->settings, "startAt")), "*-*-* 02:30:00");
    assert_string_equal(inv_eff_string(inv_eff_get(&b->settings, "startAt")), "*-*-* 05:00:00");
    diag_list_free(&dl);
    inventory_free(inv);
}

/* An edit that adds an attribute writes it as its nearest sibling writes its own: in
 * two-machines.nix the client role's machines are quoted (machines."postgres-server"), and so
 * is a new one; storagebox.nix nests its destinations, and so does a new one. */
static void test_edit_follows_sibling_style(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct inventory *inv = load_sample("two-machines.nix");
    struct inv_op op = {.kind = INV_OP_SETTING_SET,
                        .scope = {.level = INV_LEVEL_MACHINE, .name = "alice-laptop"},
                        .key = "startAt",
                        .value = "*-*-* 04:00:00"};
    assert_int_equal(inventory_edit(inv, &op, NULL, &dl), 0);
    size_t len;
    assert_non_null(strstr(inventory_text(inv, &len),
                           "      roles.client.machines.\"postgres-server\" = { };\n"
                           "      roles.client.machines.\"alice-laptop\".settings.startAt = \"*-*-* 04:00:00\";\n"));
    struct inv_op add = {.kind = INV_OP_ROLE_MACHINE_ADD, .instance = "borgbackup", .role = "server",
                         .machine = "postgres-server"};
    assert_int_equal(inventory_edit(inv, &add, NULL, &dl), 0);
    assert_non_null(strstr(inventory_text(inv, &len), "roles.server.machines.\"postgres-server\" = { };"));
    inventory_free(inv);
    inv = load_sample("storagebox.nix");
    struct inv_op dest = {.kind = INV_OP_SETTING_SET,
                          .scope = {.level = INV_LEVEL_MACHINE, .name = "postgres-server"},
                          .key = "destinations.my-nas.repo",
                          .value = "borg@nas.lan:/backups"};
    assert_int_equal(inventory_edit(inv, &dest, NULL, &dl), 0);
    assert_non_null(strstr(inventory_text(inv, &len),
                           "        };\n"
                           "        settings.destinations.\"my-nas\" = {\n"
                           "          repo = \"borg@nas.lan:/backups\";\n"
                           "        };\n"));
    diag_list_free(&dl);
    inventory_free(inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_machines),
        cmocka_unit_test(test_multi_destination),
        cmocka_unit_test(test_nas),
        cmocka_unit_test(test_exclude_and_schedule_samples),
        cmocka_unit_test(test_hooks_and_storagebox),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_conflict),
        cmocka_unit_test(test_merge_priorities),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_duplicate_units),
        cmocka_unit_test(test_edit_conflict_refused),
        cmocka_unit_test(test_edit_schedule_document),
        cmocka_unit_test(test_edit_keeps_priority),
        cmocka_unit_test(test_undo_keeps_nul_bytes),
        cmocka_unit_test(test_edit_tag_conflict),
        cmocka_unit_test(test_edit_follows_sibling_style),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
