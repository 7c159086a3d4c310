/* A clan of several files (tests/clans/<shape>): edits go to the file that defines the value
 * (clan.nix, the expression inside flake.nix or a flake-parts module, inventory.json), undo
 * and redo span files, an edited clan equals the clan read afresh from the saved files, JSON
 * stays JSON that jq reads with every other value unchanged, and a multi-file write is all
 * or nothing. Each test works on a copy of the fixture in a temporary directory.
 *
 * A random series of edits, undos and redos runs on every fixture with borgbackup and on
 * samples/flake-parts and samples/clan-dir, saving and reading the clan again after each step
 * (RELOAD_SEED: the first of three seeds, RELOAD_STEPS: a multiplier, RELOAD_ONLY=NAME, CLAN_TEST_VERBOSE=1). Write
 * faults on a save of three files: a file changed on disk, an immutable file or directory,
 * a full file system (a small tmpfs in a private mount namespace; skipped without root). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/inventory.h"
#include "core/util.h"

static char cwd0[4096];
/* What a failing check was doing (the random series: fixture, seed, step, edit). */
static char where[1024];

/* Copy the fixture into a fresh directory and chdir there. */
static char *enter_copy(const char *shape)
{
    char *dir = strdup("/tmp/test-clan.XXXXXX");
    assert_non_null(mkdtemp(dir));
    char cmd[8192];
    /* a fixture's name, or a path under the source tree (samples/clan-dir) */
    snprintf(cmd, sizeof(cmd), "cp -a %s/%s%s/. %s/", TOP_SRCDIR,
             strchr(shape, '/') ? "" : "tests/clans/", shape, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(chdir(dir), 0);
    return dir;
}

static void leave(char *dir)
{
    assert_int_equal(chdir(cwd0), 0);
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "chattr -R -i %s 2>/dev/null; chmod -R u+w %s; rm -rf %s", dir,
             dir, dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* The clan in the working directory (NULL, said on stderr, when it cannot be opened). */
static struct inventory *open_quiet(void)
{
    struct diag_list dl = {0};
    struct inventory *inv = NULL;
    int r = inventory_open(".", &inv, &dl);
    for (size_t i = 0; r < 0 && i < dl.n; i++)
        fprintf(stderr, "%s\n", dl.v[i].msg);
    diag_list_free(&dl);
    return r < 0 ? NULL : inv;
}

static struct inventory *open_here(void)
{
    struct inventory *inv = open_quiet();
    assert_non_null(inv);
    return inv;
}

static char *dump(const struct inventory *inv)
{
    struct buf b = {0};
    if (inventory_dump_json(inv, &b) < 0)
        buf_puts(&b, "(inventory_dump_json failed)");
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

/* Are the dumps equal? (The files that make up the clan, and why each is read, included:
 * an edit moving an import, or a tag edit that attaches a module to no machine any more,
 * must read the same as a fresh open.) */
static bool same_dump(char *a, char *b)
{
    return !strcmp(a, b);
}

static void write_text(const char *path, const char *text)
{
    struct diag d = {0};
    assert_int_equal(file_write_atomic(path, text, strlen(text), 0644, NULL, &d), 0);
}

/* Save, then the edited model must equal the one read afresh from the saved files. NULL, or
 * what went wrong (no cmocka assertion: the disk-full test runs it in a child process). */
static const char *reload_check(struct inventory *inv)
{
    static char err[1200];
    struct diag d = {0};
    int r = inventory_save(inv, &d);
    if (r < 0) {
        snprintf(err, sizeof(err), "%s%ssave: %s", where, *where ? ": " : "", d.msg);
        diag_clear(&d);
        return err;
    }
    if (inventory_dirty(inv))
        return snprintf(err, sizeof(err), "%s: still dirty after a save", where), err;
    struct inventory *fresh = open_quiet();
    if (!fresh)
        return snprintf(err, sizeof(err), "%s: the saved clan cannot be opened", where), err;
    char *a = dump(inv), *b = dump(fresh);
    const char *ret = NULL;
    if (!same_dump(a, b)) {
        fprintf(stderr, "edited:\n%s\nreloaded:\n%s\n", a, b);
        snprintf(err, sizeof(err), "%s%sthe edited clan differs from the clan read again", where,
                 *where ? ": " : "");
        ret = err;
    }
    free(a);
    free(b);
    inventory_free(fresh);
    return ret;
}

static void assert_reload_equal(struct inventory *inv)
{
    const char *e = reload_check(inv);
    if (e)
        fail_msg("%s", e);
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
    size_t local0, full0, local1, full1;
    inventory_update_counts(inv, &local0, &full0);
    edit_ok(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "gamma", .tag = "backup"},
            &fi);
    assert_string_equal(kind_file(inv, fi), "inventory.json");
    /* patched in place (core/nix's JSON local edit), the model updated, not read again */
    inventory_update_counts(inv, &local1, &full1);
    assert_int_equal(local1, local0 + 1);
    assert_int_equal(full1, full0);
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
    write_text("old.json", json0);
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
                            "! nix-instantiate --parse -E 1 >/dev/null 2>&1"),
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
    write_text("inventory.json", json0);
    assert_int_equal(inventory_save(inv, &d), 0);
    diag_clear(&d);
    free(json0);
    free(nix0);
    free(json_changed);
    inventory_free(inv);
    leave(dir);
}

/* ---- a random series of edits on every fixture with borgbackup ---- */

static unsigned long rnd_state;
static size_t rnd(size_t n)
{
    rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
    return (size_t)((rnd_state >> 33) % (n ? n : 1));
}

/* Names to pick from, owned (the model's strings are freed by the next edit). */
struct pool {
    char *v[64];
    size_t n;
};
static void pool_add(struct pool *p, const char *s)
{
    for (size_t i = 0; s && i < p->n; i++)
        if (!strcmp(p->v[i], s))
            return;
    if (s && p->n < 64)
        p->v[p->n++] = strdup(s);
}
static const char *pool_pick(const struct pool *p)
{
    return p->n ? p->v[rnd(p->n)] : NULL;
}
static void pool_free(struct pool *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i]);
    p->n = 0;
}

/* What a refused edit must leave as it was: the model and every file's pending text. */
#define SNAP_MAX 16
struct snap {
    char *model;
    size_t n;
    unsigned file[SNAP_MAX];
    char *text[SNAP_MAX];
    size_t len[SNAP_MAX];
};
static void snap_take(const struct inventory *inv, struct snap *s)
{
    s->model = dump(inv);
    struct inv_pending pv[SNAP_MAX];
    s->n = inventory_pending(inv, pv, SNAP_MAX);
    if (s->n > SNAP_MAX)
        s->n = SNAP_MAX;
    for (size_t i = 0; i < s->n; i++) {
        s->file[i] = pv[i].file;
        s->len[i] = pv[i].len;
        s->text[i] = malloc(pv[i].len + 1);
        memcpy(s->text[i], pv[i].text, pv[i].len);
        s->text[i][pv[i].len] = 0;
    }
}
static void snap_free(struct snap *s)
{
    free(s->model);
    for (size_t i = 0; i < s->n; i++)
        free(s->text[i]);
    s->n = 0;
}
/* Take a snapshot now and compare it with s (then free both): NULL, or what differs. */
static const char *snap_diff(const struct inventory *inv, struct snap *s, const char *what)
{
    static char err[1200];
    const char *ret = NULL;
    struct snap t;
    snap_take(inv, &t);
    if (strcmp(s->model, t.model))
        snprintf(err, sizeof(err), "%s: %s changed the model", where, what), ret = err;
    else if (s->n != t.n)
        snprintf(err, sizeof(err), "%s: %s changed the pending files (%zu, now %zu)", where,
                 what, s->n, t.n), ret = err;
    for (size_t i = 0; !ret && i < s->n; i++)
        if (s->file[i] != t.file[i] || s->len[i] != t.len[i] ||
            memcmp(s->text[i], t.text[i], s->len[i]))
            snprintf(err, sizeof(err), "%s: %s changed the pending text of %s", where, what,
                     kind_file(inv, s->file[i])), ret = err;
    snap_free(s);
    snap_free(&t);
    return ret;
}
static void snap_same(const struct inventory *inv, struct snap *s, const char *what)
{
    const char *e = snap_diff(inv, s, what);
    if (e)
        fail_msg("%s", e);
}

/* The files as last seen on disk, to tell which ones a save wrote; each new text of a JSON
 * or Nix file is written to chk/ for jq and nix-instantiate (run once per fixture). */
struct seen {
    char *path[64], *text[64];
    bool orig_nl[64]; /* the file as first seen ended with a newline (or did not exist) */
    size_t n;
    char chk[64];
    size_t nchk;
    uint64_t done[4096]; /* hashes of the texts queued already */
    size_t ndone;
};
static size_t seen_slot(struct seen *sn, const char *path)
{
    for (size_t i = 0; i < sn->n; i++)
        if (!strcmp(sn->path[i], path))
            return i;
    assert_true(sn->n < 64);
    sn->path[sn->n] = strdup(path);
    sn->text[sn->n] = NULL;
    sn->orig_nl[sn->n] = false;
    return sn->n++;
}
static void seen_queue(struct seen *sn, const char *path, const char *text, bool json)
{
    uint64_t h = hash_bytes(text, strlen(text)) ^ hash_bytes(path, strlen(path));
    for (size_t i = 0; i < sn->ndone; i++)
        if (sn->done[i] == h)
            return;
    if (sn->ndone < sizeof(sn->done) / sizeof(sn->done[0]))
        sn->done[sn->ndone++] = h;
    char name[4096];
    int k = snprintf(name, sizeof(name), "%s/%04zu-", sn->chk, sn->nchk++);
    for (const char *p = path; *p && k < (int)sizeof(name) - 8; p++)
        name[k++] = *p == '/' ? '_' : *p;
    snprintf(name + k, sizeof(name) - (size_t)k, "%s", json ? ".json" : ".nix");
    write_text(name, text);
}
/* After a save: the files that changed on disk are exactly the pending ones; new texts are
 * queued for the syntax checks; JSON gets no trailing newline it did not have. */
static void seen_update(struct seen *sn, const struct inventory *inv, const bool *pending,
                        bool first)
{
    for (size_t i = 0; i < inventory_nfiles(inv); i++) {
        const struct inv_file_info *f = inventory_file(inv, i);
        size_t k = seen_slot(sn, f->path);
        char *t = slurp(f->path);
        bool changed = !(t && sn->text[k] && !strcmp(t, sn->text[k])) && !(!t && !sn->text[k]);
        if (first || !sn->text[k])
            sn->orig_nl[k] = !t || (*t && t[strlen(t) - 1] == '\n');
        bool pend = i < SNAP_MAX && pending[i];
        if (!first && changed != pend)
            fail_msg("%s: %s %s on disk, but it was %s", where, f->path,
                     changed ? "changed" : "did not change", pend ? "pending" : "not pending");
        if (!first && changed && t) {
            bool json = f->kind == INV_FILE_JSON;
            if (json && !sn->orig_nl[k] && *t && t[strlen(t) - 1] == '\n')
                fail_msg("%s: %s: a trailing newline was added", where, f->path);
            seen_queue(sn, f->path, t, json);
        }
        free(sn->text[k]);
        sn->text[k] = t;
    }
}
/* jq and nix-instantiate --parse on every text queued (Nix: where nix-instantiate works). */
static void seen_check(struct seen *sn, const char *fixture)
{
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "cd %s && st=0; for f in *.json; do [ -e \"$f\" ] || continue; "
             "jq -e . \"$f\" >/dev/null 2>&1 || { echo \"jq cannot read $f\"; st=1; }; done; "
             "set -- *.nix; if [ -e \"$1\" ] && nix-instantiate --parse -E 1 >/dev/null 2>&1; then "
             "nix-instantiate --parse \"$@\" >/dev/null 2>err || { grep -v nixbld err; st=1; }; fi; "
             "exit $st",
             sn->chk);
    if (system(cmd) != 0)
        fail_msg("%s: an edited file is not valid JSON / Nix (texts kept in %s)", fixture,
                 sn->chk);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", sn->chk);
    assert_int_equal(system(cmd), 0);
    for (size_t i = 0; i < sn->n; i++) {
        free(sn->path[i]);
        free(sn->text[i]);
    }
    sn->n = 0;
}

static bool verbose(void)
{
    const char *v = getenv("CLAN_TEST_VERBOSE");
    return v && *v && strcmp(v, "0");
}

/* One edit of the series: the preview and the edit agree; a refused edit changes nothing;
 * an applied one changes exactly the file the preview named, to the text it gave. */
static bool series_edit(struct inventory *inv, const struct inv_op *op)
{
    struct snap before;
    snap_take(inv, &before);
    unsigned fi = 99;
    char *t = NULL;
    size_t l = 0;
    struct diag_list dl = {0};
    int rp = inventory_edit_preview_file(inv, op, &fi, &t, &l, NULL, &dl);
    diag_list_free(&dl);
    struct snap mid;
    snap_take(inv, &mid);
    snap_same(inv, &mid, "a preview");
    struct inv_alternatives alts = {0};
    int r = inventory_edit(inv, op, &alts, &dl);
    inv_alternatives_free(&alts);
    if ((rp < 0) != (r < 0)) {
        for (size_t i = 0; i < dl.n; i++)
            fprintf(stderr, "  %s\n", dl.v[i].msg);
        fail_msg("%s: the preview %s, the edit %s", where, rp < 0 ? "refused" : "accepted",
                 r < 0 ? "refused" : "applied");
    }
    if (r < 0 && verbose())
        fprintf(stderr, "  refused: %s\n", dl.n ? dl.v[0].msg : "(no message)");
    diag_list_free(&dl);
    if (r < 0) {
        snap_same(inv, &before, "a refused edit");
        free(t);
        return false;
    }
    snap_free(&before);
    struct inv_pending pv[SNAP_MAX];
    size_t n = inventory_pending(inv, pv, SNAP_MAX);
    /* (nothing pending: the edit wrote what the file holds already, a value set again) */
    char *disk = n ? NULL : slurp(kind_file(inv, fi));
    bool same = disk && strlen(disk) == l && !memcmp(disk, t, l);
    free(disk);
    if (same)
        ;
    else if (n != 1 || pv[0].file != fi || pv[0].len != l || memcmp(pv[0].text, t, l))
        fail_msg("%s: the edit did not change just %s as previewed (%zu files pending)", where,
                 kind_file(inv, fi), n);
    free(t);
    return true;
}

/* A random op on the model as it is now. Strings come from the pools or from tmp (owned). */
static struct inv_op series_op(const struct inventory *inv, const struct pool *machines,
                               const struct pool *tags, const struct pool *instances,
                               struct pool *tmp)
{
    const struct inv_model *md = inventory_model(inv);
    const char *m = pool_pick(machines), *tag = pool_pick(tags);
    const char *inst = pool_pick(instances);
    const char *role = rnd(3) ? "client" : "server";
    static const char *const starts[] = {"*-*-* 04:00:00", "daily", "Mon *-*-* 02:30",
                                         "hourly", "not a calendar"};
    static const char *const excludes[] = {"*.iso", "/var/cache", "*.tmp", "/home/*/.cache"};
    /* often a machine or tag the role has now, so removals and machine settings apply */
    long ii = inventory_instance_index(inv, inst);
    const struct inv_role *ro = NULL;
    for (size_t j = 0; ii >= 0 && j < md->instances[ii].nroles; j++)
        if (!strcmp(md->instances[ii].roles[j].name, role))
            ro = &md->instances[ii].roles[j];
    if (ro && ro->nmachines && rnd(2)) {
        pool_add(tmp, ro->machines[rnd(ro->nmachines)].name);
        m = tmp->v[tmp->n - 1];
    }
    const char *rtag = tag;
    if (ro && ro->ntags && rnd(2)) {
        pool_add(tmp, ro->tags[rnd(ro->ntags)].name);
        rtag = tmp->v[tmp->n - 1];
    }
    struct inv_scope sc = {.instance = rnd(4) ? inst : NULL, .role = "client"};
    size_t lv = rnd(5);
    sc.level = lv < 2 ? INV_LEVEL_ROLE : lv < 4 ? INV_LEVEL_MACHINE : INV_LEVEL_TAG;
    sc.name = sc.level == INV_LEVEL_MACHINE ? m : sc.level == INV_LEVEL_TAG ? rtag : NULL;
    int prio = rnd(8) == 0 ? INV_PRIO_FORCE : rnd(8) == 0 ? INV_PRIO_DEFAULT : 0;
    switch (rnd(11)) {
    case 0:
    case 1: {
        /* a tag the machine has, sometimes */
        long mi = inventory_machine_index(inv, m);
        if (mi >= 0 && md->machines[mi].ntags && rnd(2)) {
            pool_add(tmp, md->machines[mi].tags[rnd(md->machines[mi].ntags)].s);
            return (struct inv_op){.kind = INV_OP_TAG_REMOVE, .machine = m,
                                   .tag = tmp->v[tmp->n - 1]};
        }
        return (struct inv_op){.kind = rnd(3) ? INV_OP_TAG_ADD : INV_OP_TAG_REMOVE,
                               .machine = m, .tag = tag};
    }
    case 2:
        return (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = m, .tag = tag};
    case 3:
        return (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = inst,
                               .role = role, .machine = pool_pick(machines)};
    case 4:
        return (struct inv_op){.kind = INV_OP_ROLE_MACHINE_REMOVE, .instance = inst,
                               .role = role, .machine = m};
    case 5:
        return (struct inv_op){.kind = INV_OP_ROLE_TAG_ADD, .instance = inst, .role = role,
                               .tag = tag};
    case 6:
        return (struct inv_op){.kind = INV_OP_ROLE_TAG_REMOVE, .instance = inst, .role = role,
                               .tag = rtag};
    case 7:
    case 8:
        return (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc, .key = "startAt",
                               .value = starts[rnd(5)], .priority = prio};
    case 9:
        return (struct inv_op){.kind = INV_OP_LIST_ADD, .scope = sc, .key = "exclude",
                               .value = excludes[rnd(4)]};
    default:
        return (struct inv_op){.kind = INV_OP_LIST_REMOVE, .scope = sc, .key = "exclude",
                               .value = excludes[rnd(4)]};
    }
}

static void series_one(const char *fixture, unsigned long seed, size_t steps)
{
    char *dir = enter_copy(fixture);
    struct inventory *inv = open_here();
    const struct inv_model *md = inventory_model(inv);
    struct pool machines = {0}, tags = {0}, instances = {0};
    for (size_t i = 0; i < md->nmachines; i++) {
        pool_add(&machines, md->machines[i].name);
        for (size_t j = 0; j < md->machines[i].ntags; j++)
            pool_add(&tags, md->machines[i].tags[j].s);
    }
    pool_add(&machines, "no-such-machine");
    for (size_t i = 0; i < md->ninstances; i++) {
        const struct inv_instance *in = &md->instances[i];
        for (size_t j = 0; j < in->nroles; j++)
            for (size_t k = 0; k < in->roles[j].ntags; k++)
                pool_add(&tags, in->roles[j].tags[k].name);
        if (in->module.s && !strcmp(in->module.s, "borgbackup"))
            pool_add(&instances, in->name);
    }
    pool_add(&tags, "all");
    pool_add(&tags, "new-tag");
    pool_add(&tags, "backup-extra");
    assert_true(instances.n > 0);
    struct seen *sn = calloc(1, sizeof(*sn));
    snprintf(sn->chk, sizeof(sn->chk), "/tmp/test-clan-chk.XXXXXX");
    assert_non_null(mkdtemp(sn->chk));
    bool pend[SNAP_MAX] = {0};
    seen_update(sn, inv, pend, true);
    size_t applied = 0, refused = 0, undos = 0, redos = 0;
    struct diag d = {0};
    bool undone = false;
    for (size_t step = 0; step < steps; step++) {
        size_t k = rnd(10);
        if (undone && rnd(2))
            k = 1; /* redo what was just undone, often */
        int n = snprintf(where, sizeof(where), "%s (RELOAD_SEED=%lu) step %zu: ", fixture, seed,
                         step);
        if (k == 0 && inventory_undo_depth(inv)) {
            snprintf(where + n, sizeof(where) - (size_t)n, "undo %s", inventory_undo_label(inv));
            assert_int_equal(inventory_undo(inv, &d), 0);
            undos++;
            undone = true;
        } else if (k == 1 && inventory_redo_depth(inv)) {
            snprintf(where + n, sizeof(where) - (size_t)n, "redo %s", inventory_redo_label(inv));
            assert_int_equal(inventory_redo(inv, &d), 0);
            redos++;
            undone = false;
        } else {
            undone = false;
            struct pool tmp = {0};
            struct inv_op op = series_op(inv, &machines, &tags, &instances, &tmp);
            char *desc = inv_op_describe(&op);
            snprintf(where + n, sizeof(where) - (size_t)n, "%s", desc);
            free(desc);
            if (series_edit(inv, &op))
                applied++;
            else
                refused++;
            pool_free(&tmp);
        }
        if (verbose()) {
            struct inv_pending pv[SNAP_MAX];
            size_t np = inventory_pending(inv, pv, SNAP_MAX);
            fprintf(stderr, "%s -> %s\n", where, np ? pv[0].path : "(nothing)");
        }
        /* which files the save is to write */
        struct inv_pending pv[SNAP_MAX];
        size_t np = inventory_pending(inv, pv, SNAP_MAX);
        memset(pend, 0, sizeof(pend));
        for (size_t i = 0; i < np && i < SNAP_MAX; i++)
            if (pv[i].file < SNAP_MAX)
                pend[pv[i].file] = true;
        assert_reload_equal(inv);
        seen_update(sn, inv, pend, false);
    }
    where[0] = 0;
    size_t local, full;
    inventory_update_counts(inv, &local, &full);
    printf("  %s: %zu steps: %zu edits applied, %zu refused, %zu undo, %zu redo (%zu updates "
           "in place, %zu full); %zu texts checked\n",
           fixture, steps, applied, refused, undos, redos, local, full, sn->nchk);
    seen_check(sn, fixture);
    free(sn);
    pool_free(&machines);
    pool_free(&tags);
    pool_free(&instances);
    inventory_free(inv);
    leave(dir);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every fixture with a borgbackup instance, and the two directory samples. RELOAD_SEED and
 * RELOAD_STEPS (a multiplier) make longer soak runs by hand; RELOAD_ONLY=NAME runs one. */
static void test_random_series(void **state)
{
    (void)state;
    const char *seed_s = getenv("RELOAD_SEED"), *mult = getenv("RELOAD_STEPS");
    const char *only = getenv("RELOAD_ONLY");
    unsigned long seed = seed_s ? strtoul(seed_s, NULL, 10) : 20260301;
    size_t k = mult ? strtoul(mult, NULL, 10) : 1;
#if defined(__SANITIZE_ADDRESS__)
    size_t steps = 20;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    size_t steps = 20;
#else
    size_t steps = 60;
#endif
#else
    size_t steps = 60;
#endif
    char *names[64];
    size_t n = 0;
    char cmd[8192];
    snprintf(cmd, sizeof(cmd),
             "cd %s && for d in tests/clans/*/; do grep -rqs --exclude='*EXPECTED' borgbackup \"$d\" "
             "&& echo \"${d%%/}\"; done",
             TOP_SRCDIR);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    while (n < 62 && fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = 0;
        names[n++] = strdup(line);
    }
    assert_int_equal(pclose(p), 0);
    assert_true(n >= 9);
    qsort(names, n, sizeof(names[0]), cmp_str);
    names[n++] = strdup("samples/flake-parts");
    names[n++] = strdup("samples/clan-dir");
    /* three seeds: a diagnostic said once, dropped by an edit and due again after an undo
     * or redo hid from the first seed alone */
    for (unsigned long s = seed; s < seed + 3; s++)
        for (size_t i = 0; i < n; i++) {
            if (!only || strstr(names[i], only)) {
                /* each fixture its own stream: a longer series of one leaves the others alone */
                rnd_state = s * 1000003ul + hash_bytes(names[i], strlen(names[i]));
                series_one(names[i], s, steps * (k ? k : 1));
            }
        }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
}

/* ---- write faults on a save of several files ---- */

/* Every file and directory under the working directory: name, type, mode, size, content. */
static char *tree_state(void)
{
    FILE *p = popen("find . -printf '%P %y %m %s\\n' | LC_ALL=C sort; "
                    "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum",
                    "r");
    if (!p)
        return NULL;
    struct buf b = {0};
    char line[4096];
    while (fgets(line, sizeof(line), p))
        buf_puts(&b, line);
    if (pclose(p) != 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* Apply op, which must go to the file `want`: 0, or -1 said on stderr (no cmocka assertion:
 * the disk-full test runs it in a child process). */
static int apply(struct inventory *inv, struct inv_op op, const char *want)
{
    struct diag_list dl = {0};
    char *t = NULL;
    size_t l = 0;
    unsigned fi = 99;
    int r = inventory_edit_preview_file(inv, &op, &fi, &t, &l, NULL, &dl);
    free(t);
    if (r == 0)
        r = inventory_edit(inv, &op, NULL, &dl);
    char *desc = inv_op_describe(&op);
    if (r < 0)
        fprintf(stderr, "%s: refused: %s\n", desc, dl.n ? dl.v[0].msg : "?");
    else if (strcmp(kind_file(inv, fi), want))
        fprintf(stderr, "%s: went to %s, not %s\n", desc, kind_file(inv, fi), want), r = -1;
    free(desc);
    diag_list_free(&dl);
    return r < 0 ? -1 : 0;
}

/* classic with a second clan module in a directory of its own, extra/more.nix (imported by
 * flake.nix, it gives delta its tags), and one edit in each of clan.nix, inventory.json and
 * extra/more.nix: a save writes three files. tag is gamma's new tag (in inventory.json).
 * Returns the inventory, or NULL (said on stderr). */
static struct inventory *three_files_pending(const char *tag)
{
    if (system("mkdir extra && printf '%s\\n' '{' '  inventory.machines.delta.tags = [ \"spare\" ];' "
               "'}' >extra/more.nix && sed -i 's|imports = \\[ ./clan.nix \\];|imports = [ "
               "./clan.nix ./extra/more.nix ];|' flake.nix && grep -q extra/more.nix flake.nix"))
        return NULL;
    struct inventory *inv = open_quiet();
    if (!inv)
        return NULL;
    struct inv_scope sc = {.instance = "borgbackup", .role = "client", .level = INV_LEVEL_ROLE};
    struct inv_pending pv[4];
    if (apply(inv, (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc, .key = "startAt",
                                   .value = "*-*-* 05:00:00"},
              "clan.nix") < 0 ||
        apply(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "gamma", .tag = tag},
              "inventory.json") < 0 ||
        apply(inv, (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = "delta", .tag = "extra"},
              "extra/more.nix") < 0 ||
        inventory_pending(inv, pv, 4) != 3) {
        fprintf(stderr, "three_files_pending: the edits did not give three files to write\n");
        inventory_free(inv);
        return NULL;
    }
    return inv;
}

/* A save that must fail: refused with a message naming `name` (and containing `says`, when
 * given), every file and directory as it was (no temporary or backup file left), the model
 * and the pending texts unchanged (the edits are not lost). NULL, or what went wrong. */
static const char *save_fault(struct inventory *inv, const char *name, const char *says)
{
    static char err[1200];
    const char *ret = NULL;
    char *t0 = tree_state();
    struct snap s;
    snap_take(inv, &s);
    struct diag d = {0};
    int r = inventory_save(inv, &d);
    const char *msg = d.msg ? d.msg : "";
    char *t1 = tree_state();
    if (r >= 0)
        ret = "the save succeeded";
    else if (!((d.file && strstr(d.file, name)) || strstr(msg, name)))
        snprintf(err, sizeof(err), "the message does not name %s: %s: %s", name,
                 d.file ? d.file : "", msg), ret = err;
    else if (says && !strstr(msg, says))
        snprintf(err, sizeof(err), "the message does not say \"%s\": %s", says, msg), ret = err;
    else if (!t0 || !t1 || strcmp(t0, t1)) {
        fprintf(stderr, "before:\n%s\nafter:\n%s\n", t0 ? t0 : "?", t1 ? t1 : "?");
        ret = "a failed save changed the files on disk";
    }
    const char *e = snap_diff(inv, &s, "a failed save");
    if (!ret && e)
        ret = e;
    if (!ret && !inventory_dirty(inv))
        ret = "the clan is not dirty after a failed save";
    if (!ret)
        printf("  refused as it should be: %s%s%s\n", d.file ? d.file : "", d.file ? ": " : "",
               msg);
    diag_clear(&d);
    free(t0);
    free(t1);
    return ret;
}
static void assert_save_fault(struct inventory *inv, const char *name, const char *says)
{
    const char *e = save_fault(inv, name, says);
    if (e)
        fail_msg("%s", e);
}

/* (a) A file changed on disk since it was read, the second and then the third of the three
 * the save writes: refused as a whole; put back, the save goes through. */
static void test_fault_stale(void **state)
{
    (void)state;
    char *dir = enter_copy("classic");
    struct inventory *inv = three_files_pending("backup");
    assert_non_null(inv);
    struct inv_pending pv[4];
    assert_int_equal(inventory_pending(inv, pv, 4), 3);
    char *path[3], *orig[3];
    for (size_t i = 0; i < 3; i++) {
        path[i] = strdup(pv[i].path);
        orig[i] = slurp(path[i]);
        assert_non_null(orig[i]);
    }
    for (size_t v = 1; v < 3; v++) {
        FILE *f = fopen(path[v], "a");
        assert_non_null(f);
        fputs(" ", f);
        assert_int_equal(fclose(f), 0);
        assert_save_fault(inv, path[v], NULL);
        write_text(path[v], orig[v]);
    }
    struct snap s;
    snap_take(inv, &s);
    assert_reload_equal(inv);
    /* each file holds what was pending */
    for (size_t i = 0; i < s.n; i++) {
        char *t = slurp(kind_file(inv, s.file[i]));
        assert_non_null(t);
        assert_string_equal(t, s.text[i]);
        free(t);
    }
    snap_free(&s);
    for (size_t i = 0; i < 3; i++) {
        free(path[i]);
        free(orig[i]);
    }
    inventory_free(inv);
    leave(dir);
}

/* (b) inventory.json immutable (chattr +i, as root), then the directory of extra/more.nix
 * (chattr +i as root, mode 0555 otherwise): refused as a whole, the files already replaced
 * put back; writable again, the save goes through. Skipped where chattr does not work. */
static void test_fault_readonly(void **state)
{
    (void)state;
    char *dir = enter_copy("classic");
    struct inventory *inv = three_files_pending("backup");
    assert_non_null(inv);
    bool root = geteuid() == 0;
    if (root && system("chattr +i inventory.json 2>/dev/null") != 0) {
        inventory_free(inv);
        leave(dir);
        skip();
    }
    if (root) {
        assert_save_fault(inv, "inventory.json", NULL);
        assert_int_equal(system("chattr -i inventory.json"), 0);
        assert_int_equal(system("chattr +i extra"), 0);
    } else {
        assert_int_equal(chmod("extra", 0555), 0);
    }
    assert_save_fault(inv, "extra/more.nix", NULL);
    assert_int_equal(root ? system("chattr -i extra") : chmod("extra", 0755), 0);
    assert_reload_equal(inv);
    inventory_free(inv);
    leave(dir);
}

/* (c), in the child: the three-file clan on a 200 KiB tmpfs, gamma's new tag bigger than
 * the room left. 0, 1 failed, 77 skipped. */
static int disk_full_child(void)
{
    if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
        printf("  skipped: no private mount namespace here (%s)\n", strerror(errno));
        return 77;
    }
    char mnt[] = "/tmp/test-clan-full.XXXXXX";
    if (!mkdtemp(mnt))
        return 1;
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=200k,mode=755") < 0) {
        printf("  skipped: cannot mount a tmpfs (%s)\n", strerror(errno));
        rmdir(mnt);
        return 77;
    }
    int rc = 1;
    char cmd[8192];
    snprintf(cmd, sizeof(cmd), "cp -a %s/tests/clans/classic/. %s/", TOP_SRCDIR, mnt);
    char *huge = malloc(256 * 1024);
    memset(huge, 'x', 256 * 1024 - 1);
    huge[256 * 1024 - 1] = 0;
    struct inventory *inv = NULL;
    const char *e = NULL;
    if (system(cmd) != 0 || chdir(mnt) < 0 || !(inv = three_files_pending(huge)))
        e = "setting up the clan on the tmpfs failed";
    if (!e)
        e = save_fault(inv, "inventory.json", "No space left on device");
    /* room again: the same edits are saved */
    if (!e && mount(NULL, mnt, NULL, MS_REMOUNT, "size=4m,mode=755") < 0)
        e = "cannot grow the tmpfs";
    if (!e)
        e = reload_check(inv);
    if (e)
        fprintf(stderr, "disk full: %s\n", e);
    else
        rc = 0;
    inventory_free(inv);
    free(huge);
    if (chdir("/") < 0 || umount(mnt) < 0 || rmdir(mnt) < 0)
        rc = 1;
    return rc;
}

/* (c) A full file system: the save is refused naming inventory.json, nothing changes, no
 * temporary file is left; with room again it goes through. Needs a private mount namespace
 * (root): skipped otherwise. */
static void test_fault_disk_full(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int rc = disk_full_child();
        fflush(NULL);
        exit(rc);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        skip();
    assert_int_equal(WEXITSTATUS(st), 0);
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
        cmocka_unit_test(test_fault_stale),
        cmocka_unit_test(test_fault_readonly),
        cmocka_unit_test(test_fault_disk_full),
        cmocka_unit_test(test_random_series),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
