/* The editing layer through the headless harness where a step needs more than a key
 * script: the file changes on disk between the read and the write (refused, the file kept
 * as the other writer left it, reload offered and done), quit with unsaved edits (discard,
 * save, and save refused because the file changed), undo back to the saved text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "tui/harness.h"

static char dir[256];

static char *slurp(const char *path)
{
    char *t = NULL;
    size_t len;
    struct diag d = {0};
    if (file_read(path, &t, &len, NULL, &d) < 0) {
        diag_clear(&d);
        return NULL;
    }
    return t;
}

static int setup(void **state)
{
    (void)state;
    const char *src = getenv("top_srcdir");
    char sample[512];
    snprintf(sample, sizeof(sample), "%s/samples/two-machines.nix", src ? src : ".");
    snprintf(dir, sizeof(dir), "%s/clan-tui-edit.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir) || chdir(dir) < 0)
        return -1;
    char *t = slurp(sample);
    if (!t)
        return -1;
    struct diag d = {0};
    int r = file_write_atomic("clan.nix", t, strlen(t), 0644, NULL, &d);
    diag_clear(&d);
    free(t);
    setenv("CLAN_TUI_NOW", "2026-11-26 12:00:00 UTC", 1);
    unsetenv("XDG_CONFIG_HOME");
    return r;
}

static int teardown(void **state)
{
    (void)state;
    unlink("clan.nix");
    if (chdir("/") == 0)
        rmdir(dir);
    return 0;
}

static struct harness *open_ui(void)
{
    struct app_options opt = {.file = "clan.nix", .mouse = -1, .ncolors = -1};
    struct harness *h = NULL;
    struct diag d = {0};
    if (harness_open(&opt, 120, 35, "xterm-256color", &h, &d) < 0)
        fail_msg("harness: %s", d.msg);
    return h;
}

static void keys(struct harness *h, const char *names)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", names);
    char *save = NULL;
    for (char *k = strtok_r(buf, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
        uint32_t key;
        assert_int_equal(keyname_parse(k, &key), 0);
        assert_true(harness_key(h, key));
    }
}

static void type(struct harness *h, const char *s)
{
    for (; *s; s++)
        assert_true(harness_key(h, *s == ' ' ? KEYSYM_SPACE : (uint32_t)(unsigned char)*s));
}

static char *screen(struct harness *h)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    assert_non_null(f);
    harness_dump(h, f, false);
    fclose(f);
    return p;
}

static void assert_screen_has(struct harness *h, const char *want)
{
    char *s = screen(h);
    if (!strstr(s, want))
        fail_msg("the screen does not show '%s':\n%s", want, s);
    free(s);
}

static void assert_screen_lacks(struct harness *h, const char *want)
{
    char *s = screen(h);
    if (strstr(s, want))
        fail_msg("the screen still shows '%s':\n%s", want, s);
    free(s);
}

/* Another writer changes the file: append a comment (a real write, new inode). */
static char *change_on_disk(void)
{
    char *t = slurp("clan.nix");
    assert_non_null(t);
    size_t len = strlen(t);
    char *n = malloc(len + 64);
    assert_non_null(n);
    memcpy(n, t, len);
    strcpy(n + len, "# changed by someone else\n");
    struct diag d = {0};
    assert_int_equal(file_write_atomic("clan.nix", n, strlen(n), 0644, NULL, &d), 0);
    free(t);
    return n;
}

/* An edit: drop alice-laptop's tag in the tag editor. */
static void make_edit(struct harness *h)
{
    keys(h, "/");
    type(h, "alice-laptop");
    keys(h, "Enter t Space Esc");
    assert_screen_has(h, "[+] 1 unsaved");
}

static void t_file_changed_on_disk(void **state)
{
    (void)state;
    struct harness *h = open_ui();
    make_edit(h);
    char *theirs = change_on_disk();
    keys(h, "w");
    assert_screen_has(h, "Write clan.nix? +1 -1 lines");
    keys(h, "y");
    assert_screen_has(h, "File changed on disk");
    assert_screen_has(h, "clan.nix changed on disk since it was read: NOT written.");
    assert_screen_has(h, "r reload from disk");
    char *now = slurp("clan.nix");
    assert_string_equal(now, theirs); /* the other writer's text is intact */
    free(now);
    keys(h, "Esc");
    assert_screen_has(h, "[+] 1 unsaved"); /* the edits are kept */
    /* w again, refused again; this time reload */
    keys(h, "w y r");
    assert_screen_has(h, "reloaded clan.nix from disk");
    assert_screen_lacks(h, "unsaved");
    size_t len;
    const char *text = inventory_text(harness_app(h)->inv, &len);
    assert_int_equal(len, strlen(theirs));
    assert_memory_equal(text, theirs, len);
    /* the reloaded file can be edited and written */
    make_edit(h);
    keys(h, "w y");
    assert_screen_has(h, "wrote clan.nix");
    now = slurp("clan.nix");
    assert_non_null(strstr(now, "# changed by someone else"));
    assert_null(strstr(now, "tags = [ \"employees\" ];\n    };\n    backup-server"));
    free(now);
    free(theirs);
    harness_close(h);
}

static void t_quit_discard(void **state)
{
    (void)state;
    char *before = slurp("clan.nix");
    struct harness *h = open_ui();
    make_edit(h);
    keys(h, "q");
    assert_screen_has(h, "Unsaved changes");
    assert_screen_has(h, "clan.nix has 1 unsaved edit.");
    assert_false(harness_app(h)->quit);
    keys(h, "Esc");
    assert_false(harness_app(h)->quit);
    assert_screen_has(h, "not quitting");
    keys(h, "q d");
    assert_true(harness_app(h)->quit);
    harness_close(h);
    char *after = slurp("clan.nix");
    assert_string_equal(before, after);
    free(before);
    free(after);
}

static void t_quit_save(void **state)
{
    (void)state;
    char *before = slurp("clan.nix");
    struct harness *h = open_ui();
    make_edit(h);
    keys(h, "q s");
    assert_true(harness_app(h)->quit);
    harness_close(h);
    char *after = slurp("clan.nix");
    assert_string_not_equal(before, after);
    assert_non_null(strstr(after, "tags = [ ];")); /* alice-laptop lost its only tag */
    free(before);
    free(after);
}

static void t_quit_save_refused(void **state)
{
    (void)state;
    struct harness *h = open_ui();
    make_edit(h);
    char *theirs = change_on_disk();
    keys(h, "q s");
    assert_false(harness_app(h)->quit); /* not quitting with the edits unsaved */
    assert_screen_has(h, "NOT written");
    char *now = slurp("clan.nix");
    assert_string_equal(now, theirs);
    free(now);
    free(theirs);
    harness_close(h);
}

static void t_undo_to_saved(void **state)
{
    (void)state;
    struct harness *h = open_ui();
    make_edit(h);
    keys(h, "u");
    assert_screen_lacks(h, "unsaved");
    assert_screen_has(h, "undid: remove tag employees from alice-laptop");
    keys(h, "u");
    assert_screen_has(h, "nothing to undo");
    keys(h, "C-r");
    assert_screen_has(h, "[+] 1 unsaved");
    keys(h, "C-r");
    assert_screen_has(h, "nothing to redo");
    harness_close(h);
}

/* R reads the file again: at once without edits, after a question with them. */
static void t_reload(void **state)
{
    (void)state;
    struct harness *h = open_ui();
    char *theirs = change_on_disk();
    keys(h, "R");
    assert_screen_has(h, "reloaded clan.nix from disk");
    size_t len;
    const char *text = inventory_text(harness_app(h)->inv, &len);
    assert_int_equal(len, strlen(theirs));
    assert_memory_equal(text, theirs, len);
    free(theirs);
    make_edit(h);
    keys(h, "R");
    assert_screen_has(h, "Reading clan.nix again drops 1 unsaved edit.");
    keys(h, "Esc");
    assert_screen_has(h, "[+] 1 unsaved");
    keys(h, "R r");
    assert_screen_has(h, "reloaded clan.nix from disk");
    assert_screen_lacks(h, "unsaved");
    harness_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(t_file_changed_on_disk, setup, teardown),
        cmocka_unit_test_setup_teardown(t_quit_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(t_quit_save, setup, teardown),
        cmocka_unit_test_setup_teardown(t_quit_save_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(t_undo_to_saved, setup, teardown),
        cmocka_unit_test_setup_teardown(t_reload, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
