/* core/backups: job status parsed from `systemctl show` output saved from a real Debian 12
 * machine (tests/backups-show/, see its README), borgbackup-list's JSON, and the restore
 * command lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/backups.h"
#include "core/util.h"

static char *units[] = {"borgbackup-job-local", "borgbackup-job-second"};

/* 2026-12-07 18:28:19 UTC etc. as µs since the epoch */
#define T(h, m, s) ((uint64_t)(1796601600 + (h) * 3600 + (m) * 60 + (s)) * 1000000)
#define NEXT_1AM ((uint64_t)(1796601600 + 86400 + 3600) * 1000000)

static void parse_capture(const char *name, struct backups_job_status jobs[2])
{
    char *path = NULL, *text = NULL;
    size_t len = 0;
    const char *top = getenv("top_srcdir");
    assert_true(asprintf(&path, "%s/tests/backups-show/%s", top ? top : TOP_SRCDIR, name) > 0);
    struct diag d = {0};
    assert_int_equal(file_read(path, &text, &len, NULL, &d), 0);
    for (int i = 0; i < 2; i++) {
        backups_job_status_clear(&jobs[i]);
        jobs[i].unit = strdup(units[i]);
    }
    int r = backups_status_parse(name, text, len, units, 2, jobs, &d);
    if (r < 0)
        fail_msg("%s: %s", name, d.msg);
    free(text);
    free(path);
}

static void clear2(struct backups_job_status jobs[2])
{
    backups_job_status_clear(&jobs[0]);
    backups_job_status_clear(&jobs[1]);
}

static void test_never_started(void **state)
{
    (void)state;
    struct backups_job_status j[2] = {0};
    parse_capture("never-started.txt", j);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(j[i].state, BACKUPS_JOB_NEVER);
        assert_int_equal(j[i].last_start, 0);
        assert_int_equal(j[i].last_end, 0);
        assert_int_equal(j[i].timer_next, 0); /* the timer is not enabled yet */
        assert_true(j[i].timer_loaded);
        assert_string_equal(j[i].result, "success");
    }
    assert_string_equal(backups_job_state_name(j[0].state), "never ran");
    clear2(j);
}

static void test_succeeded_and_failed(void **state)
{
    (void)state;
    struct backups_job_status j[2] = {0};
    parse_capture("succeeded.txt", j);
    assert_int_equal(j[0].state, BACKUPS_JOB_OK);
    assert_int_equal(j[0].last_start, T(18, 28, 19));
    assert_int_equal(j[0].last_end, T(18, 28, 25));
    assert_int_equal(j[0].timer_next, NEXT_1AM);
    assert_int_equal(j[0].exit_status, 0);
    assert_int_equal(j[1].state, BACKUPS_JOB_NEVER);
    clear2(j);

    parse_capture("failed.txt", j);
    assert_int_equal(j[0].state, BACKUPS_JOB_OK);
    assert_int_equal(j[1].state, BACKUPS_JOB_FAILED);
    assert_string_equal(j[1].result, "exit-code");
    assert_string_equal(j[1].active_state, "failed");
    assert_int_equal(j[1].exit_status, 2);
    assert_int_equal(j[1].last_start, T(18, 28, 32));
    assert_int_equal(j[1].last_end, T(18, 28, 34));
    clear2(j);
}

static void test_running(void **state)
{
    (void)state;
    struct backups_job_status j[2] = {0};
    /* the pre-backup hook runs: activating, no ExecMain start yet */
    parse_capture("running.txt", j);
    assert_int_equal(j[0].state, BACKUPS_JOB_RUNNING);
    assert_string_equal(j[0].sub_state, "start-pre");
    assert_int_equal(j[1].state, BACKUPS_JOB_FAILED); /* still its last result */
    clear2(j);
    /* the post-backup hook runs after borg ended: still running */
    parse_capture("deactivating.txt", j);
    assert_int_equal(j[1].state, BACKUPS_JOB_RUNNING);
    assert_string_equal(j[1].active_state, "deactivating");
    assert_int_equal(j[1].last_end, T(18, 28, 58));
    clear2(j);
}

static void test_timer_elapsed(void **state)
{
    (void)state;
    struct backups_job_status j[2] = {0};
    parse_capture("timer-elapsed.txt", j);
    assert_int_equal(j[1].state, BACKUPS_JOB_OK);
    assert_int_equal(j[1].timer_last, T(18, 28, 51));
    assert_int_equal(j[1].last_start, T(18, 28, 51));
    assert_int_equal(j[1].timer_next, NEXT_1AM);
    assert_int_equal(j[0].timer_last, 0); /* started by hand, never by its timer */
    clear2(j);
}

static void test_not_found(void **state)
{
    (void)state;
    char *gone[] = {"borgbackup-job-gone"};
    struct backups_job_status j = {0};
    backups_job_status_clear(&j);
    char *path = NULL, *text = NULL;
    size_t len;
    const char *top = getenv("top_srcdir");
    assert_true(asprintf(&path, "%s/tests/backups-show/not-found.txt", top ? top : TOP_SRCDIR) > 0);
    struct diag d = {0};
    assert_int_equal(file_read(path, &text, &len, NULL, &d), 0);
    assert_int_equal(backups_status_parse("nf", text, len, gone, 1, &j, &d), 0);
    assert_int_equal(j.state, BACKUPS_JOB_MISSING);
    assert_false(j.timer_loaded);
    backups_job_status_clear(&j);
    /* units systemctl did not print stay unknown */
    assert_int_equal(backups_status_parse("nf", text, len, units, 1, &j, &d), 0);
    assert_int_equal(j.state, BACKUPS_JOB_UNKNOWN);
    backups_job_status_clear(&j);
    free(text);
    free(path);
}

static void test_status_errors(void **state)
{
    (void)state;
    struct backups_job_status j = {0};
    backups_job_status_clear(&j);
    struct diag d = {0};
    const char *bad = "Id=borgbackup-job-local.service\nnonsense\n";
    assert_true(backups_status_parse("x", bad, strlen(bad), units, 1, &j, &d) < 0);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "PROPERTY=VALUE"));
    const char *stamp = "Id=borgbackup-job-local.service\nExecMainStartTimestamp=Mon 2026-12-07 18:28:19 CET\n";
    assert_true(backups_status_parse("x", stamp, strlen(stamp), units, 1, &j, &d) < 0);
    assert_int_equal(d.line, 2);
    assert_non_null(strstr(d.msg, "UTC"));
    const char *noid = "LoadState=loaded\n\n";
    assert_true(backups_status_parse("x", noid, strlen(noid), units, 1, &j, &d) < 0);
    assert_non_null(strstr(d.msg, "Id="));
    diag_clear(&d);
    backups_job_status_clear(&j);
}

static void test_status_command(void **state)
{
    (void)state;
    struct buf b = {0};
    char *odd[] = {"borgbackup-job-a b"};
    assert_int_equal(backups_status_command(odd, 1, &b), 0);
    buf_putc(&b, '\0');
    assert_non_null(strstr(b.p, "TZ=UTC systemctl show -p Id,"));
    assert_non_null(strstr(b.p, " -- 'borgbackup-job-a b.service' 'borgbackup-job-a b.timer'"));
    buf_free(&b);
}

static void test_list_parse(void **state)
{
    (void)state;
    /* jq's output as borgbackup-list prints it, one archive with "::" inside its name */
    const char *json = "[\n  {\n    \"name\": \"local::/var/lib/borg-local::clan-test-local-2026\"\n"
                       "  },\n  {\n    \"name\": \"second::borg@h:.::a::b \\\"q\\\" \\u00e9\\n\"\n  }\n]\n";
    struct backups_archive *a = NULL;
    size_t n = 0;
    struct diag d = {0};
    assert_int_equal(backups_list_parse("l", json, strlen(json), &a, &n, &d), 0);
    assert_int_equal(n, 2);
    assert_string_equal(a[0].destination, "local");
    assert_string_equal(a[0].repo, "/var/lib/borg-local");
    assert_string_equal(a[0].archive, "clan-test-local-2026");
    assert_string_equal(a[1].name, "second::borg@h:.::a::b \"q\" \xc3\xa9\n");
    assert_string_equal(a[1].repo, "borg@h:.");
    assert_string_equal(a[1].archive, "a::b \"q\" \xc3\xa9\n");
    backups_archives_free(a, n);
    assert_int_equal(backups_list_parse("l", "[]", 2, &a, &n, &d), 0);
    assert_int_equal(n, 0);
    free(a);
    static const char *const bad[] = {"", "{}", "[{\"x\": 1}]", "[{\"name\": 3}]", "[\"a\"]",
                                      "[{\"name\": \"a\\u0000\"}]", "[{\"name\": \"a\"}] x",
                                      "[{\"name\": \"\\ud800\"}]", "[{\"name\": \"a\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_true(backups_list_parse("l", bad[i], strlen(bad[i]), &a, &n, &d) < 0);
        assert_non_null(strstr(d.msg, "borgbackup-list"));
        assert_string_equal(d.file, "l");
    }
    diag_clear(&d);
}

/* borg info --json of a repository (info-local.json: Debian 12's borg 1.2.4, two archives,
 * one named with a space, quotes and $()) fills time and sizes of that destination's
 * archives only; an archive it does not name and another destination's keep -1 and NULL */
static void test_info_parse(void **state)
{
    (void)state;
    const char *list = "[{\"name\": \"local::/var/lib/borg-local::clan-test-local-2026-12-07T21:50:01\"},"
                       " {\"name\": \"local::/var/lib/borg-local::a b 'q' $(x)\"},"
                       " {\"name\": \"local::/var/lib/borg-local::gone\"},"
                       " {\"name\": \"second::/srv/b::a b 'q' $(x)\"}]";
    struct backups_archive *a = NULL;
    size_t n = 0;
    struct diag d = {0};
    assert_int_equal(backups_list_parse("l", list, strlen(list), &a, &n, &d), 0);
    assert_int_equal(n, 4);
    assert_null(a[0].time);
    assert_int_equal(a[0].original_size, -1);
    char *path = NULL, *text = NULL;
    size_t len = 0;
    const char *top = getenv("top_srcdir");
    assert_true(asprintf(&path, "%s/tests/backups-show/info-local.json", top ? top : TOP_SRCDIR) > 0);
    assert_int_equal(file_read(path, &text, &len, NULL, &d), 0);
    assert_int_equal(backups_info_parse("i", text, len, "local", a, n, &d), 0);
    assert_string_equal(a[0].time, "2026-12-07T21:48:21.000000");
    assert_int_equal(a[0].original_size, 108897);
    assert_int_equal(a[0].compressed_size, 89086);
    assert_int_equal(a[0].deduplicated_size, 89822);
    assert_int_equal(a[0].nfiles, 2);
    assert_string_equal(a[1].time, "2026-12-07T21:48:22.000000");
    assert_int_equal(a[1].original_size, 108902);
    assert_null(a[2].time);
    assert_int_equal(a[2].original_size, -1);
    assert_null(a[3].time);
    assert_int_equal(a[3].nfiles, -1);
    char t[32], sz[32];
    backups_format_time(a[0].time, t, sizeof t);
    assert_string_equal(t, "2026-12-07 21:48:21");
    backups_format_time(a[2].time, t, sizeof t);
    assert_string_equal(t, "-");
    backups_format_time("2026-12-07 21", t, sizeof t);
    assert_string_equal(t, "-");
    backups_format_size(a[0].original_size, sz, sizeof sz);
    assert_string_equal(sz, "106 KiB");
    static const struct { int64_t b; const char *s; } sizes[] = {
        {-1, "-"}, {0, "0 B"}, {1023, "1023 B"}, {1024, "1.00 KiB"}, {10 * 1024, "10.0 KiB"},
        {1023 * 1024, "1.00 MiB"}, {1000 * 1024, "0.98 MiB"}, {(int64_t)5 << 40, "5.00 TiB"}, {INT64_MAX, "8.00 EiB"}};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        backups_format_size(sizes[i].b, sz, sizeof sz);
        assert_string_equal(sz, sizes[i].s);
    }
    /* the remote command: the destination one quoted word */
    struct buf b = {0};
    assert_int_equal(backups_info_command("a'b $(x)", &b), 0);
    buf_putc(&b, '\0');
    assert_string_equal(b.p, "echo y | borg-job-'a'\\''b $(x)' info --json --glob-archives '*'");
    buf_free(&b);
    static const char *const bad[] = {"", "[]", "{}", "{\"archives\": {}}",
                                      "{\"archives\": [{\"start\": \"x\"}]}",
                                      "{\"archives\": [3]}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_true(backups_info_parse("i", bad[i], strlen(bad[i]), "local", a, n, &d) < 0);
        assert_non_null(strstr(d.msg, "borg info"));
    }
    /* members of other types are ignored, not trusted */
    const char *odd = "{\"archives\": [{\"name\": \"gone\", \"start\": 5, \"stats\": "
                      "{\"original_size\": -4, \"nfiles\": \"2\"}}]}";
    assert_int_equal(backups_info_parse("i", odd, strlen(odd), "local", a, n, &d), 0);
    assert_null(a[2].time);
    assert_int_equal(a[2].original_size, -1);
    assert_int_equal(a[2].nfiles, -1);
    diag_clear(&d);
    free(text);
    free(path);
    backups_archives_free(a, n);
}

static void test_restore_command(void **state)
{
    (void)state;
    char *folders[] = {"/srv/a b", "/srv/'q'$(x)\nnl"};
    struct backups_state st = {.name = "s", .folders = folders, .nfolders = 2};
    struct buf b = {0};
    struct diag d = {0};
    assert_int_equal(backups_restore_command("pre-restore-s", "d::r::$(reboot) 'x'", &st, &b, &d), 0);
    buf_putc(&b, '\0');
    assert_string_equal(b.p, "NAME='d::r::$(reboot) '\\''x'\\''' "
                             "FOLDERS='/srv/a b:/srv/'\\''q'\\''$(x)\nnl' exec pre-restore-s");
    buf_free(&b);
    char *colon[] = {"/srv/a:b"};
    st.folders = colon;
    st.nfolders = 1;
    assert_true(backups_restore_command("x", "n", &st, &b, &d) < 0);
    assert_non_null(strstr(d.msg, "':'"));
    buf_free(&b);
    diag_clear(&d);
}

/* a restore whose second machine's second state has a folder with ':' is refused by
 * backups_op_start, before any connection, and what was copied for the machines so far is
 * freed (the sanitizer pass checks the leak) */
static void test_restore_refused_early(void **state)
{
    (void)state;
    char *ok[] = {"/srv/ok"};
    char *colon[] = {"/srv/ok", "/srv/a:b"};
    char *job[] = {"borgbackup-job-d"};
    struct backups_state sts[] = {
        {.name = "fine", .folders = ok, .nfolders = 1, .pre_restore = "pre"},
        {.name = "bad", .folders = colon, .nfolders = 2, .post_restore = "post"},
    };
    struct backups_target t[] = {
        {.machine = "a", .target = "127.0.0.1", .units = job, .nunits = 1,
         .states = sts, .nstates = 1},
        {.machine = "b", .target = "127.0.0.1", .units = job, .nunits = 1,
         .states = sts, .nstates = 2},
    };
    struct backups_options o = {.archive = "arch"};
    struct backups_op *op = NULL;
    struct diag d = {0};
    assert_true(backups_op_start(BACKUPS_RESTORE, &o, t, 2, &op, &d) < 0);
    assert_null(op);
    assert_non_null(strstr(d.msg, "state bad: folder '/srv/a:b' holds ':'"));
    diag_clear(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_never_started),
        cmocka_unit_test(test_succeeded_and_failed),
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_timer_elapsed),
        cmocka_unit_test(test_not_found),
        cmocka_unit_test(test_status_errors),
        cmocka_unit_test(test_status_command),
        cmocka_unit_test(test_list_parse),
        cmocka_unit_test(test_info_parse),
        cmocka_unit_test(test_restore_command),
        cmocka_unit_test(test_restore_refused_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
