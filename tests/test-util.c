/* core/util: diagnostics, buffers, atomic writes, unified diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/util.h"

static char *make_tmpdir(void)
{
    char *t = strdup("/tmp/test-util.XXXXXX");
    assert_non_null(mkdtemp(t));
    return t;
}

static void rm_rf(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "chmod -R u+w '%s' 2>/dev/null; rm -rf '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_diag_format(void **state)
{
    (void)state;
    struct diag d = {0};
    assert_int_equal(diag_set(&d, DIAG_ERROR, "clan.nix", 3, 7, "expected %s", "';'"), -EINVAL);
    char *s = diag_format(&d);
    assert_string_equal(s, "clan.nix:3:7: error: expected ';'");
    free(s);
    diag_set(&d, DIAG_WARNING, NULL, 0, 0, "plain");
    s = diag_format(&d);
    assert_string_equal(s, "warning: plain");
    free(s);
    diag_clear(&d);

    struct diag_list l = {0};
    for (int i = 0; i < 20; i++)
        diag_list_add(&l, i % 2 ? DIAG_WARNING : DIAG_ERROR, "f", (unsigned)i + 1, 1, "n%d", i);
    assert_int_equal(l.n, 20);
    assert_int_equal(diag_list_count(&l, DIAG_ERROR), 10);
    assert_string_equal(l.v[19].msg, "n19");
    diag_list_free(&l);
}

static void test_buf(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_printf(&b, "%d,", i);
    assert_int_equal(b.len, strlen(b.p));
    assert_memory_equal(b.p, "0,1,2,", 6);
    buf_reset(&b);
    json_put_string(&b, "a\"b\\c\n\x01");
    assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\u0001\"");
    buf_free(&b);
}

static void test_atomic_write_roundtrip(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/clan.nix", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(path, "one\n", 4, 0640, NULL, &d), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);

    char *text = NULL;
    size_t len = 0;
    struct file_stamp stamp;
    assert_int_equal(file_read(path, &text, &len, &stamp, &d), 0);
    assert_int_equal(len, 4);
    assert_string_equal(text, "one\n");
    free(text);
    assert_int_equal(file_stamp_check(path, &stamp, &d), 1);

    /* an unchanged file can be replaced; the mode is kept */
    assert_int_equal(file_write_atomic(path, "two\n", 4, 0600, &stamp, &d), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(count_entries(dir), 1);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static void test_atomic_write_refuses_changed_file(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/clan.nix", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(path, "aaaa\n", 5, 0644, NULL, &d), 0);
    char *text = NULL;
    struct file_stamp stamp;
    assert_int_equal(file_read(path, &text, NULL, &stamp, &d), 0);
    free(text);
    /* someone else edits it: same size, different content */
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("bbbb\n", f);
    fclose(f);
    assert_int_equal(file_stamp_check(path, &stamp, &d), 0);
    assert_int_equal(file_write_atomic(path, "mine\n", 5, 0644, &stamp, &d), -ESTALE);
    assert_non_null(strstr(d.msg, "changed on disk"));
    assert_int_equal(file_read(path, &text, NULL, NULL, &d), 0);
    assert_string_equal(text, "bbbb\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);

    /* removed since read: also refused, and nothing is created */
    unlink(path);
    assert_int_equal(file_write_atomic(path, "mine\n", 5, 0644, &stamp, &d), -ESTALE);
    assert_int_equal(count_entries(dir), 0);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static char *slurp(const char *path)
{
    char *t = NULL;
    struct diag d = {0};
    if (file_read(path, &t, NULL, NULL, &d) < 0) {
        diag_clear(&d);
        return NULL;
    }
    return t;
}

/* A batch replaces all its files at commit, with the modes given; before the commit nothing
 * is in place; a stale file refuses the whole batch; an uncommitted batch leaves no trace. */
static void test_file_batch(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char a[256], b[256], c[256];
    snprintf(a, sizeof a, "%s/a.service", dir);
    snprintf(b, sizeof b, "%s/b.timer", dir);
    snprintf(c, sizeof c, "%s/c", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(a, "old a\n", 6, 0600, NULL, &d), 0);
    struct file_batch *fb = NULL;
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, a, "new a\n", 6, 0644, NULL, &d), 0);
    assert_int_equal(file_batch_add(fb, b, "new b\n", 6, 0640, NULL, &d), 0);
    assert_int_equal(file_batch_count(fb), 2);
    char *t = slurp(a);
    assert_string_equal(t, "old a\n"); /* staged only */
    free(t);
    assert_null(slurp(b));
    assert_int_equal(count_entries(dir), 3); /* a and two temporary files */
    assert_int_equal(file_batch_commit(fb, &d), 0);
    file_batch_free(fb);
    assert_int_equal(count_entries(dir), 2);
    t = slurp(a);
    assert_string_equal(t, "new a\n");
    free(t);
    t = slurp(b);
    assert_string_equal(t, "new b\n");
    free(t);
    struct stat st;
    assert_int_equal(stat(a, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(stat(b, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    /* a file changed on disk after it was read: the whole batch is refused */
    struct file_stamp sa;
    assert_int_equal(file_read(a, &t, NULL, &sa, &d), 0);
    free(t);
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, c, "new c\n", 6, 0644, NULL, &d), 0);
    assert_int_equal(file_batch_add(fb, a, "mine\n", 5, 0644, &sa, &d), 0);
    FILE *f = fopen(a, "w");
    assert_non_null(f);
    fputs("theirs\n", f);
    fclose(f);
    assert_int_equal(file_batch_commit(fb, &d), -ESTALE);
    assert_non_null(strstr(d.msg, "changed on disk"));
    file_batch_free(fb);
    t = slurp(a);
    assert_string_equal(t, "theirs\n");
    free(t);
    assert_null(slurp(c)); /* not written either */
    assert_int_equal(count_entries(dir), 2);

    /* staged and dropped: nothing changes, no temporary file stays */
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, c, "new c\n", 6, 0644, NULL, &d), 0);
    file_batch_free(fb);
    assert_int_equal(count_entries(dir), 2);
    assert_null(slurp(c));

    /* a directory in the way: refused when staged */
    assert_int_equal(mkdir(c, 0755), 0);
    assert_int_equal(file_batch_new(&fb), 0);
    assert_true(file_batch_add(fb, c, "x", 1, 0644, NULL, &d) < 0);
    assert_int_equal(file_batch_count(fb), 0);
    file_batch_free(fb);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static void test_atomic_write_readonly_dir(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        /* root ignores directory permissions; a read-only bind is not available here,
         * so use a path whose directory does not exist instead. */
        struct diag d = {0};
        assert_true(file_write_atomic("/nonexistent-dir/x/clan.nix", "x", 1, 0644, NULL, &d) < 0);
        assert_non_null(strstr(d.msg, "temporary file"));
        diag_clear(&d);
        return;
    }
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/clan.nix", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(path, "old\n", 4, 0644, NULL, &d), 0);
    chmod(dir, 0555);
    assert_true(file_write_atomic(path, "new\n", 4, 0644, NULL, &d) < 0);
    char *text = NULL;
    assert_int_equal(file_read(path, &text, NULL, NULL, &d), 0);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static void test_mkdir_parents(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/a/b/c/", dir);
    struct diag d = {0};
    assert_int_equal(mkdir_parents(path, 0700, &d), 0);
    struct stat st;
    snprintf(path, sizeof path, "%s/a/b", dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    /* a file in the way is an error */
    snprintf(path, sizeof path, "%s/file", dir);
    assert_int_equal(file_write_atomic(path, "x", 1, 0644, NULL, &d), 0);
    snprintf(path, sizeof path, "%s/file/sub", dir);
    assert_true(mkdir_parents(path, 0700, &d) < 0);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static char *udiff(const char *a, const char *b)
{
    struct buf out = {0};
    assert_int_equal(diff_unified(a, strlen(a), b, strlen(b), "a", "b", 3, &out), 0);
    return buf_steal(&out);
}

static void test_diff_basic(void **state)
{
    (void)state;
    char *s = udiff("a\nb\nc\n", "a\nb\nc\n");
    assert_string_equal(s, "");
    free(s);
    s = udiff("a\nb\nc\n", "a\nB\nc\n");
    assert_string_equal(s, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    free(s);
    s = udiff("", "x\n");
    assert_string_equal(s, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
    free(s);
    s = udiff("x", "x\n");
    assert_string_equal(s, "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n");
    free(s);
}

/* The diff must agree with GNU diff -u on real-looking inputs. */
static void test_diff_against_gnu_diff(void **state)
{
    (void)state;
    if (access("/usr/bin/diff", X_OK) != 0)
        skip();
    char *dir = make_tmpdir();
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        struct buf a = {0}, b = {0};
        int n = (int)(rand_r(&seed) % 60);
        for (int i = 0; i < n; i++) {
            int v = (int)(rand_r(&seed) % 8);
            buf_printf(&a, "line %d\n", v);
            int op = (int)(rand_r(&seed) % 10);
            if (op == 0)
                continue; /* delete */
            if (op == 1)
                buf_printf(&b, "new %d\n", (int)(rand_r(&seed) % 5));
            buf_printf(&b, "line %d\n", op == 2 ? v + 1 : v);
        }
        if (round % 7 == 0)
            buf_puts(&b, "tail without newline");
        char pa[300], pb[300], cmd[1000];
        snprintf(pa, sizeof pa, "%s/a", dir);
        snprintf(pb, sizeof pb, "%s/b", dir);
        struct diag d = {0};
        assert_int_equal(file_write_atomic(pa, a.p ? a.p : "", a.len, 0644, NULL, &d), 0);
        assert_int_equal(file_write_atomic(pb, b.p ? b.p : "", b.len, 0644, NULL, &d), 0);
        snprintf(cmd, sizeof cmd, "diff -u --label a --label b %s %s > %s/gnu", pa, pb, dir);
        int st = system(cmd);
        (void)st;
        char *gnu = NULL;
        char pg[300];
        snprintf(pg, sizeof pg, "%s/gnu", dir);
        assert_int_equal(file_read(pg, &gnu, NULL, NULL, &d), 0);
        struct buf out = {0};
        assert_int_equal(diff_unified(a.p ? a.p : "", a.len, b.p ? b.p : "", b.len, "a", "b", 3,
                                      &out), 0);
        /* Both are minimal diffs; with ties they may pick different lines, so compare
         * the counts of removed and added lines, and that patch(1) accepts ours. */
        int ga = 0, gr = 0, oa = 0, orr = 0;
        for (char *p = gnu; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
            if (p[0] == '+' && p[1] != '+') ga++;
            if (p[0] == '-' && p[1] != '-') gr++;
        }
        for (char *p = out.p; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
            if (p[0] == '+' && p[1] != '+') oa++;
            if (p[0] == '-' && p[1] != '-') orr++;
        }
        assert_int_equal(ga, oa);
        assert_int_equal(gr, orr);
        char pp[300];
        snprintf(pp, sizeof pp, "%s/ours.patch", dir);
        assert_int_equal(file_write_atomic(pp, out.p, out.len, 0644, NULL, &d), 0);
        snprintf(cmd, sizeof cmd,
                 "cp %s %s/c && patch -s %s/c < %s && cmp -s %s/c %s", pa, dir, dir, pp, dir, pb);
        if (out.len)
            assert_int_equal(system(cmd), 0);
        free(gnu);
        buf_free(&out);
        buf_free(&a);
        buf_free(&b);
    }
    rm_rf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_atomic_write_roundtrip),
        cmocka_unit_test(test_atomic_write_refuses_changed_file),
        cmocka_unit_test(test_atomic_write_readonly_dir),
        cmocka_unit_test(test_file_batch),
        cmocka_unit_test(test_mkdir_parents),
        cmocka_unit_test(test_diff_basic),
        cmocka_unit_test(test_diff_against_gnu_diff),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
