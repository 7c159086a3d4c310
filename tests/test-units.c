/* core/units: quoting, rendering of constructed plans, writing. The script tests
 * (units-*.sh) prove the output with systemd, sshd and borg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/units.h"

static char *make_tmpdir(void)
{
    char *t = strdup("/tmp/test-units.XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Run `sh -c 'printf %s WORD'` with the quoted word; return what the shell printed. */
static char *shell_echo(const char *quoted)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        char *script = malloc(strlen(quoted) + 16);
        sprintf(script, "printf %%s %s", quoted);
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    struct buf b = {0};
    char chunk[256];
    ssize_t n;
    while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
        buf_append(&b, chunk, (size_t)n);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    return b.p ? buf_steal(&b) : strdup("");
}

static void test_shell_quote_round_trip(void **state)
{
    (void)state;
    static const char *const words[] = {
        "plain", "/var/lib/x", "with space", "it's", "$(touch /tmp/pwned)", "`id`",
        "a\nb", "back\\slash", "\"dq\"", "*.bak", "100%", "tab\there", "ünïcödé ✓", "-n",
        "", "=x", "~", "a;b|c&d", "'", "''",
    };
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        struct buf b = {0};
        assert_int_equal(units_shell_quote(&b, words[i]), 0);
        char *got = shell_echo(b.p);
        assert_string_equal(got, words[i]);
        free(got);
        buf_free(&b);
    }
    struct buf b = {0};
    units_shell_quote(&b, "/safe/path-1.2_x");
    assert_string_equal(b.p, "/safe/path-1.2_x"); /* bare when nothing needs quoting */
    buf_free(&b);
}

static void test_systemd_quote(void **state)
{
    (void)state;
    struct buf b = {0};
    assert_int_equal(units_systemd_quote(&b, "a b\"c%d$e\\f\ng\x01"), 0);
    assert_string_equal(b.p, "\"a b\\\"c%%d$e\\\\f\\ng\\x01\"");
    buf_reset(&b);
    assert_int_equal(units_systemd_quote(&b, "/x/$y%z"), 0);
    assert_string_equal(b.p, "\"/x/$y%%z\""); /* no $VAR expansion where we use it */
    buf_reset(&b);
    assert_int_equal(units_systemd_quote(&b, "ünï"), 0);
    assert_string_equal(b.p, "\"ünï\"");
    assert_int_equal(units_systemd_quote(&b, "bad\xff"), -EILSEQ);
    assert_int_equal(units_systemd_quote(&b, "\xed\xa0\x80"), -EILSEQ); /* surrogate */
    buf_free(&b);
}

static void test_file_component(void **state)
{
    (void)state;
    static const char *const in[] = {"postgresql", "my-documents", "a/b", ".", "..", "",
                                     "x y", ".hidden", "a.b", "100%"};
    static const char *const want[] = {"postgresql", "my-documents", "a%2fb", "%2e", "%2e.",
                                       "%", "x%20y", "%2ehidden", "a.b", "100%25"};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        struct buf b = {0};
        assert_int_equal(units_file_component(&b, in[i]), 0);
        assert_string_equal(b.p, want[i]);
        buf_free(&b);
    }
    assert_true(units_unit_name_ok("borgbackup-job-backup-server"));
    assert_true(units_unit_name_ok("borgbackup-job-a.b_c:d"));
    assert_false(units_unit_name_ok("borgbackup-job-a\\x2db")); /* '\' in ExecStart= */
    assert_false(units_unit_name_ok("borgbackup-job-a b"));
    assert_false(units_unit_name_ok("borgbackup-job-a/b"));
    assert_false(units_unit_name_ok(""));
}

/* ---- a constructed plan: postgres-server with two destinations ---- */

static char *paths[] = {"/var/backup/postgres/mydatabase", "/srv/data"};
static char *excludes[] = {"*.bak", "#not-a-comment", " lead", "multi\nline", "pp:/srv/x",
                           "*.\xc3\xbcn\xc3\xaf", "nbsp\xc2\xa0"};
static struct plan_hook pre[] = {{"containers", "docker pause $(docker ps -q)\n", false},
                                 {"postgresql", "systemctl stop postgresql\n", false}};
static struct plan_hook post[] = {{"postgresql", "systemctl start postgresql", false}};

static void make_plan(struct plan *p, struct plan_machine *m, struct plan_job *jobs,
                      struct plan_server_client *sc)
{
    memset(jobs, 0, 2 * sizeof *jobs);
    for (int i = 0; i < 2; i++) {
        jobs[i].paths = paths;
        jobs[i].npaths = 2;
        jobs[i].exclude = excludes;
        jobs[i].nexclude = 7;
        jobs[i].start_at = "*-*-* 01:00:00";
        jobs[i].pre_backup = pre;
        jobs[i].npre = 2;
        jobs[i].post_backup = post;
        jobs[i].npost = 1;
    }
    jobs[0].destination = "backup-server";
    jobs[0].unit = "borgbackup-job-backup-server";
    jobs[0].repo = "borg@192.168.56.104:.";
    jobs[0].rsh = "ssh -i /run/secrets/vars/borgbackup/borgbackup.ssh -o "
                  "StrictHostKeyChecking=accept-new -o IdentitiesOnly=Yes";
    jobs[0].server = "backup-server";
    jobs[1].destination = "storagebox";
    jobs[1].unit = "borgbackup-job-storagebox";
    jobs[1].repo = "u1@u1.your-storagebox.de:/./borgbackup";
    jobs[1].rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i "
                  "/run/secrets/vars/borgbackup/borgbackup.ssh";
    jobs[1].explicit_dest = true;
    memset(m, 0, 2 * sizeof *m);
    m[0].name = "postgres-server";
    m[0].is_client = true;
    m[0].jobs = jobs;
    m[0].njobs = 2;
    *sc = (struct plan_server_client){"postgres-server", "/var/lib/borgbackup/postgres-server"};
    m[1].name = "backup-server";
    m[1].is_server = true;
    m[1].address = "192.168.56.104";
    m[1].directory = "/var/lib/borgbackup";
    m[1].clients = sc;
    m[1].nclients = 1;
    *p = (struct plan){.machines = m, .nmachines = 2};
}

static const char *file(const struct units_machine *um, const char *path)
{
    const struct units_file *f = units_find_file(um, path);
    if (!f)
        fail_msg("no file %s", path);
    return f->content;
}

static void test_render_multi_destination(void **state)
{
    (void)state;
    struct plan p;
    struct plan_machine m[2];
    struct plan_job jobs[2];
    struct plan_server_client sc;
    make_plan(&p, m, jobs, &sc);
    struct units_options o = {.script_dir = "/opt/clan"};
    struct units_machine *um = NULL;
    struct diag d = {0};
    assert_int_equal(units_render_machine(&p, &m[0], &o, &um, &d), 0);
    size_t nunits = 0;
    for (size_t i = 0; i < um->nfiles; i++)
        if (!strncmp(um->files[i].path, "etc/systemd/system/", 19))
            nunits++;
    assert_int_equal(nunits, 4);
    const char *names[] = {"backup-server", "storagebox"};
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "etc/systemd/system/borgbackup-job-%s.service", names[i]);
        const char *svc = file(um, path);
        assert_non_null(strstr(svc, "ExecStartPre=+\"/opt/clan/pre-backup\"\n"));
        assert_non_null(strstr(svc, "ExecStopPost=+\"/opt/clan/post-backup\"\n"));
        snprintf(path, sizeof path, "ExecStart=\"/opt/clan/borgbackup-job-%s\"\n", names[i]);
        assert_non_null(strstr(svc, path));
        assert_non_null(strstr(svc, "Environment=\"BORG_PASSCOMMAND=cat "
                                    "/run/secrets/vars/borgbackup/borgbackup.repokey\"\n"));
        assert_non_null(strstr(svc, "Environment=\"BORG_RELOCATED_REPO_ACCESS_IS_OK=yes\"\n"));
        assert_non_null(strstr(svc, "TimeoutStartSec=infinity\nTimeoutStopSec=infinity\n"));
        assert_null(strstr(svc, "[Install]"));
        snprintf(path, sizeof path, "etc/systemd/system/borgbackup-job-%s.timer", names[i]);
        const char *tmr = file(um, path);
        assert_non_null(strstr(tmr, "OnCalendar=*-*-* 01:00:00\nPersistent=true\n"));
        assert_non_null(strstr(tmr, "WantedBy=timers.target\n"));
        snprintf(path, sizeof path, "opt/clan/borgbackup-job-%s", names[i]);
        const char *job = file(um, path);
        snprintf(path, sizeof path, "--glob-archives 'postgres-server-%s-*'", names[i]);
        assert_non_null(strstr(job, path));
        assert_non_null(strstr(job, "--exclude '#not-a-comment'"));
        assert_non_null(strstr(job, "--exclude ' lead'"));
        assert_non_null(strstr(job, "--exclude 'multi\nline'"));
        assert_non_null(strstr(job, "--exclude '*.\xc3\xbcn\xc3\xaf'")); /* not ASCII */
        assert_non_null(strstr(job, "--exclude 'nbsp\xc2\xa0'")); /* Python strips U+00A0 */
        assert_null(strstr(job, "--exclude '*.bak'"));
        assert_non_null(strstr(job, "-- \\\n    /var/backup/postgres/mydatabase \\\n"
                                    "    /srv/data\n"));
        snprintf(path, sizeof path, "opt/clan/borgbackup-job-%s.exclude", names[i]);
        assert_string_equal(file(um, path), "*.bak\npp:/srv/x\n");
    }
    /* hooks: verbatim, in their own files; the runners call them in state-name order */
    const char *h = file(um, "opt/clan/hooks/containers.pre-backup");
    assert_non_null(strstr(h, "\nset -eu -o pipefail\ndocker pause $(docker ps -q)\n"));
    h = file(um, "opt/clan/hooks/postgresql.post-backup");
    assert_non_null(strstr(h, "\nsystemctl start postgresql\n")); /* newline added */
    const char *runner = file(um, "opt/clan/pre-backup");
    const char *a = strstr(runner, "/opt/clan/hooks/containers.pre-backup");
    const char *b = strstr(runner, "/opt/clan/hooks/postgresql.pre-backup");
    assert_true(a && b && a < b);
    assert_null(strstr(runner, "docker pause")); /* never spliced */
    /* the sandboxed job may write only existing ReadWritePaths=: the runner creates them */
    assert_non_null(strstr(runner, "\ninstall -d -m 0700 \"${HOME:-/root}/.config/borg\" "
                                   "\"${HOME:-/root}/.cache/borg\"\n"));
    assert_non_null(strstr(file(um, "etc/systemd/system/borgbackup-job-storagebox.service"),
                           "\nUser=root\n"));
    assert_null(strstr(file(um, "opt/clan/post-backup"), "install -d"));
    assert_non_null(strstr(file(um, "opt/clan/post-backup"), "hooks/postgresql.post-backup"));
    assert_int_equal(units_find_file(um, "opt/clan/pre-backup")->mode, 0755);
    units_machine_free(um);

    /* the server: a missing key is a note and a comment, never a broken line */
    char *dir = make_tmpdir();
    o.clan_dir = dir;
    assert_int_equal(units_render_machine(&p, &m[1], &o, &um, &d), 0);
    assert_int_equal(um->notes.n, 1);
    assert_non_null(strstr(um->notes.v[0].msg, "no public key for client postgres-server"));
    assert_null(strstr(file(um, "etc/ssh/authorized_keys.d/borg"), "command="));
    assert_non_null(strstr(file(um, "etc/tmpfiles.d/clan-borgbackup-repos.conf"),
                           "\nd \"/var/lib/borgbackup/postgres-server\" 0700 borg borg - -\n"));
    units_machine_free(um);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "mkdir -p %s/vars/per-machine/postgres-server/borgbackup/borgbackup.ssh.pub && "
             "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XL'"
             " > %s/vars/per-machine/postgres-server/borgbackup/borgbackup.ssh.pub/value",
             dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(units_render_machine(&p, &m[1], &o, &um, &d), 0);
    assert_int_equal(um->notes.n, 0);
    assert_non_null(strstr(file(um, "etc/ssh/authorized_keys.d/borg"),
                           "\ncommand=\"cd /var/lib/borgbackup/postgres-server && borg serve "
                           "--restrict-to-repository .\",restrict ssh-ed25519 AAAAC3Nza"));
    units_machine_free(um);
    /* a hostile directory: shell-quoted, and its '"' escaped for sshd */
    sc.directory = "/srv/it's \"x\"";
    assert_int_equal(units_render_machine(&p, &m[1], &o, &um, &d), 0);
    assert_non_null(strstr(file(um, "etc/ssh/authorized_keys.d/borg"),
                           "command=\"cd '/srv/it'\\''s \\\"x\\\"' && borg serve"));
    units_machine_free(um);
    sc.directory = "/srv/new\nline";
    um = NULL;
    assert_true(units_render_machine(&p, &m[1], &o, &um, &d) < 0);
    assert_null(um);
    assert_non_null(strstr(d.msg, "one line"));
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static void test_render_refusals(void **state)
{
    (void)state;
    struct plan p;
    struct plan_machine m[2];
    struct plan_job jobs[2];
    struct plan_server_client sc;
    make_plan(&p, m, jobs, &sc);
    struct units_machine *um = NULL;
    struct diag d = {0};
    jobs[1].unit = "borgbackup-job-my box";
    assert_true(units_render_machine(&p, &m[0], NULL, &um, &d) < 0);
    assert_null(um);
    assert_non_null(strstr(d.msg, "borgbackup-job-my box"));
    diag_clear(&d);
    jobs[1].unit = "borgbackup-job-backup-server";
    assert_true(units_render_machine(&p, &m[0], NULL, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "two destinations"));
    diag_clear(&d);
    jobs[1].unit = "borgbackup-job-storagebox";
    jobs[1].start_at = "daily\nExecStart=/bin/evil";
    assert_true(units_render_machine(&p, &m[0], NULL, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "startAt"));
    diag_clear(&d);
    jobs[1].start_at = "daily";
    struct units_options o = {.script_dir = "relative/dir"};
    assert_true(units_render_machine(&p, &m[0], &o, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "script directory"));
    diag_clear(&d);
    o.script_dir = "/a/../b";
    assert_true(units_render_machine(&p, &m[0], &o, &um, &d) < 0);
    diag_clear(&d);
    o.script_dir = "/opt/it's";
    assert_true(units_render_machine(&p, &m[0], &o, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "quotes"));
    diag_clear(&d);
    jobs[0].repo = "/srv/repo\xff";
    assert_true(units_render_machine(&p, &m[0], NULL, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "UTF-8"));
    diag_clear(&d);
    /* a local repository must be listed in ReadWritePaths=, which has no \n escape */
    jobs[0].repo = "/srv/re\"po\nz";
    assert_true(units_render_machine(&p, &m[0], NULL, &um, &d) < 0);
    assert_non_null(strstr(d.msg, "ReadWritePaths="));
    diag_clear(&d);
    /* a remote one with a newline is only an environment value: written literally */
    jobs[0].repo = "u@h:/re\"po %n $(x)\nz";
    assert_int_equal(units_render_machine(&p, &m[0], NULL, &um, &d), 0);
    assert_non_null(strstr(file(um, "etc/systemd/system/borgbackup-job-backup-server.service"),
                           "Environment=\"BORG_REPO=u@h:/re\\\"po %%n $(x)\\nz\"\n"));
    units_machine_free(um);
    /* hostile values that can be written are written literally */
    jobs[0].repo = "/srv/re\"po %n $(x) \\z";
    o.script_dir = "/opt/my scripts";
    o.secrets_root = "/run/sec rets/%m";
    assert_int_equal(units_render_machine(&p, &m[0], &o, &um, &d), 0);
    const char *svc = file(um, "etc/systemd/system/borgbackup-job-backup-server.service");
    assert_non_null(strstr(svc, "Environment=\"BORG_REPO=/srv/re\\\"po %%n $(x) \\\\z\"\n"));
    assert_non_null(strstr(svc, "RequiresMountsFor=\"/srv/re\\\"po %%n $(x) \\\\z\"\n"));
    assert_non_null(strstr(svc, " \"/srv/re\\\"po %%n $(x) \\\\z\"\nPrivateTmp=true\n"));
    assert_non_null(strstr(svc, "ExecStart=\"/opt/my scripts/borgbackup-job-backup-server\""));
    assert_non_null(strstr(svc, "BORG_PASSCOMMAND=cat '/run/sec rets/postgres-server/"
                                "borgbackup/borgbackup.repokey'"));
    assert_non_null(units_find_file(um, "opt/my scripts/pre-backup"));
    units_machine_free(um);
    /* a client without jobs and a machine without a role get nothing */
    m[0].njobs = 0;
    m[0].no_jobs_reason = "no clan.core.state";
    assert_int_equal(units_render_machine(&p, &m[0], NULL, &um, &d), 0);
    assert_int_equal(um->nfiles, 0);
    assert_non_null(strstr(um->notes.v[0].msg, "no clan.core.state"));
    units_machine_free(um);
}

static void test_write_unchanged_and_diff(void **state)
{
    (void)state;
    struct plan p;
    struct plan_machine m[2];
    struct plan_job jobs[2];
    struct plan_server_client sc;
    make_plan(&p, m, jobs, &sc);
    struct units_machine *um = NULL;
    struct diag d = {0};
    assert_int_equal(units_render_machine(&p, &m[0], NULL, &um, &d), 0);
    char *dir = make_tmpdir();
    struct units_write_stats st = {0};
    struct buf diff = {0};
    /* dry run into an empty directory: everything would be new, nothing written */
    assert_int_equal(units_write(um, dir, true, &diff, &st, &d), 0);
    assert_int_equal(st.written, um->nfiles);
    assert_non_null(strstr(diff.p, "--- /dev/null\n+++ b/postgres-server/etc/systemd/system/"));
    char path[512];
    snprintf(path, sizeof path, "%s/postgres-server", dir);
    struct stat sb;
    assert_int_equal(stat(path, &sb), -1);
    /* real write, then again: all unchanged, mtimes kept */
    memset(&st, 0, sizeof st);
    assert_int_equal(units_write(um, dir, false, NULL, &st, &d), 0);
    assert_int_equal(st.written, um->nfiles);
    snprintf(path, sizeof path, "%s/postgres-server/%s/pre-backup", dir,
             UNITS_DEFAULT_SCRIPT_DIR + 1);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0755);
    struct timespec old = sb.st_mtim;
    memset(&st, 0, sizeof st);
    assert_int_equal(units_write(um, dir, false, NULL, &st, &d), 0);
    assert_int_equal(st.written, 0);
    assert_int_equal(st.unchanged, um->nfiles);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_mtim.tv_sec == old.tv_sec && sb.st_mtim.tv_nsec == old.tv_nsec);
    units_machine_free(um);
    /* change the schedule: the diff names exactly the timer lines */
    jobs[1].start_at = "*-*-* 04:00:00";
    assert_int_equal(units_render_machine(&p, &m[0], NULL, &um, &d), 0);
    buf_reset(&diff);
    memset(&st, 0, sizeof st);
    assert_int_equal(units_write(um, dir, true, &diff, &st, &d), 0);
    assert_int_equal(st.written, 1);
    assert_non_null(strstr(diff.p, "-OnCalendar=*-*-* 01:00:00\n+OnCalendar=*-*-* 04:00:00\n"));
    assert_non_null(strstr(diff.p, "+++ b/postgres-server/etc/systemd/system/"
                                   "borgbackup-job-storagebox.timer"));
    /* a mode change alone is reported and repaired */
    assert_int_equal(chmod(path, 0700), 0);
    buf_reset(&diff);
    memset(&st, 0, sizeof st);
    assert_int_equal(units_write(um, dir, true, &diff, &st, &d), 0);
    assert_int_equal(st.written, 2);
    assert_non_null(strstr(diff.p, "pre-backup: 0755\n"));
    assert_int_equal(units_write(um, dir, false, NULL, NULL, &d), 0);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0755);
    units_machine_free(um);
    buf_free(&diff);
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shell_quote_round_trip),
        cmocka_unit_test(test_systemd_quote),
        cmocka_unit_test(test_file_component),
        cmocka_unit_test(test_render_multi_destination),
        cmocka_unit_test(test_render_refusals),
        cmocka_unit_test(test_write_unchanged_and_diff),
    };
    return cmocka_run_group_tests(tests, 0, 0);
}
