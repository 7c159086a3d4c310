/* The UI loop through the headless harness: fd watches and timers (the hooks the journal
 * view uses), commands, --readonly, resize. */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tui/harness.h"
#include "tui/view-tree.h"

static struct harness *open_sample(bool readonly)
{
    struct app_options opt = {.file = SAMPLES_DIR "/two-machines.nix", .mouse = -1,
                              .ncolors = -1, .readonly = readonly};
    struct harness *h = NULL;
    struct diag d = {0};
    setenv("TERM", "xterm-256color", 1);
    unsetenv("XDG_CONFIG_HOME");
    if (harness_open(&opt, 100, 30, NULL, &h, &d) < 0)
        fail_msg("harness_open: %s", d.msg);
    return h;
}

static int fd_calls, timer_calls;

static void on_fd(struct app *a, int fd, short revents, void *data)
{
    (void)a;
    assert_true(revents & POLLIN);
    assert_ptr_equal(data, &fd_calls);
    char c;
    assert_int_equal(read(fd, &c, 1), 1);
    fd_calls++;
}

static void on_timer(struct app *a, void *data)
{
    (void)a;
    timer_calls += *(int *)data;
}

static void test_watch_and_timers(void **state)
{
    (void)state;
    struct harness *h = open_sample(false);
    struct app *a = harness_app(h);
    int p[2];
    assert_int_equal(pipe(p), 0);
    fd_calls = timer_calls = 0;
    assert_int_equal(app_watch_fd(a, p[0], POLLIN, on_fd, &fd_calls), 0);
    app_pump(a);
    assert_int_equal(fd_calls, 0); /* nothing to read yet */
    assert_int_equal(write(p[1], "xy", 2), 2);
    app_pump(a);
    app_pump(a);
    assert_int_equal(fd_calls, 2);
    app_unwatch_fd(a, p[0]);
    assert_int_equal(write(p[1], "z", 1), 1);
    app_pump(a);
    assert_int_equal(fd_calls, 2);

    int one = 1, hundred = 100;
    assert_true(app_timer_add(a, 0, on_timer, &one) > 0);
    int late = app_timer_add(a, 60000, on_timer, &hundred);
    assert_true(late > 0);
    app_pump(a);
    assert_int_equal(timer_calls, 1); /* due: fired once */
    app_pump(a);
    assert_int_equal(timer_calls, 1); /* one-shot */
    app_timer_cancel(a, late);
    assert_int_equal(a->ntimers, 0);
    close(p[0]);
    close(p[1]);
    harness_close(h);
}

static void test_commands(void **state)
{
    (void)state;
    struct harness *h = open_sample(false);
    struct app *a = harness_app(h);
    app_command(a, "goto backup-server");
    assert_string_equal(view_tree_selected(a->tree)->label, "backup-server");
    app_command(a, "theme light");
    assert_string_equal(a->theme->name, "light");
    app_command(a, "theme nosuch");
    assert_true(a->message_error);
    assert_non_null(strstr(a->message, "unknown theme 'nosuch'"));
    assert_string_equal(a->theme->name, "light"); /* kept */
    app_command(a, "move-first");
    assert_string_equal(view_tree_selected(a->tree)->label, "meta");
    app_command(a, "8");
    assert_string_equal(view_tree_selected(a->tree)->label, "targetHost");
    app_command(a, "help");
    assert_true(a->help_open);
    app_command(a, "help");
    assert_false(a->help_open);
    app_command(a, "bogus");
    assert_non_null(strstr(a->message, "unknown command 'bogus'"));
    assert_true(app_may_write(a, "saving"));
    assert_false(a->quit);
    app_command(a, "quit");
    assert_true(a->quit);
    harness_close(h);
}

static void test_readonly(void **state)
{
    (void)state;
    struct harness *h = open_sample(true);
    struct app *a = harness_app(h);
    assert_false(app_may_write(a, "saving"));
    assert_non_null(strstr(a->message, "read-only (--readonly): saving is disabled"));
    harness_close(h);
}

static void test_resize_and_keys(void **state)
{
    (void)state;
    struct harness *h = open_sample(false);
    struct app *a = harness_app(h);
    uint64_t frames = a->frames;
    harness_resize(h, 20, 5);
    assert_true(a->too_small);
    assert_true(harness_key(h, 'j')); /* ignored while too small */
    harness_resize(h, 100, 30);
    assert_false(a->too_small);
    assert_string_equal(view_tree_selected(a->tree)->label, "meta");
    assert_true(harness_key(h, KEYSYM_DOWN));
    assert_string_equal(view_tree_selected(a->tree)->label, "name");
    assert_true(harness_key(h, KEYSYM_ESC)); /* a lone Esc arrives as Esc */
    assert_true(harness_key(h, 'G'));
    assert_true(a->frames > frames);
    assert_true(harness_key(h, 'q'));
    assert_true(a->quit);
    harness_close(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watch_and_timers),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_readonly),
        cmocka_unit_test(test_resize_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
