/* core/util: diagnostics, buffers, atomic writes, unified diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
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

/* the escaping of json_put_stringn, byte by byte as RFC 8259 asks (the reference the
 * word-at-a-time scan must equal) */
static void json_reference(struct buf *b, const unsigned char *s, size_t n)
{
    buf_append(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        const char *e = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
                      : c == '\r' ? "\\r" : c == '\t' ? "\\t" : c == '\b' ? "\\b"
                      : c == '\f' ? "\\f" : NULL;
        if (e)
            buf_puts(b, e);
        else if (c < 0x20 || c == 0x7f)
            buf_printf(b, "\\u%04x", c);
        else
            buf_append(b, &c, 1);
    }
    buf_append(b, "\"", 1);
}

static void test_json_escape_random(void **state)
{
    (void)state;
    /* strings of every length up to 40 from an alphabet rich in the bytes that matter,
     * each written into buffers of every fill level (the fast path and the growth) */
    static const unsigned char alpha[] = {'a', 'Z', '0', ' ', '"', '\\', 0x1f, 0x20, 0x7f,
                                          0x80, 0xff, '\n', 0x01, 0x21, 0x5b, 0x5d, 0xc3};
    unsigned seed = 12345;
    unsigned char s[48];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = (size_t)(iter % 41);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = (seed >> 16) % 4 ? (unsigned char)('a' + (seed >> 20) % 26)
                                    : alpha[(seed >> 20) % sizeof alpha];
        }
        struct buf got = {0}, want = {0};
        size_t pre = (size_t)(iter % 70);
        for (size_t i = 0; i < pre; i++)
            buf_putc(&got, 'x'), buf_putc(&want, 'x');
        json_put_stringn(&got, (const char *)s, n);
        json_reference(&want, s, n);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);
        assert_int_equal(got.p[got.len], 0);
        buf_free(&got);
        buf_free(&want);
    }
    /* strings that end where a readable page ends: nothing past them may be read */
    long pg = sysconf(_SC_PAGESIZE);
    char *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(map != MAP_FAILED);
    assert_int_equal(mprotect(map + pg, (size_t)pg, PROT_NONE), 0);
    for (size_t n = 0; n <= 40; n++) {
        char *at = map + pg - n;
        memset(at, n % 3 ? 'q' : '"', n);
        struct buf got = {0}, want = {0};
        json_put_stringn(&got, at, n);
        json_reference(&want, (const unsigned char *)at, n);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);
        buf_free(&got);
        buf_free(&want);
    }
    munmap(map, (size_t)pg * 2);
    struct buf b = {0};
    buf_put_uint(&b, 0);
    buf_putc(&b, ' ');
    buf_put_uint(&b, 18446744073709551615ull);
    assert_string_equal(b.p, "0 18446744073709551615");
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

/* A directory the writer may not change: chmod 0555, or for root (which ignores
 * permissions) an immutable directory (chattr +i; skipped where the file system has none). */
static bool make_unwritable(const char *dir)
{
    char cmd[600];
    if (geteuid() != 0)
        return chmod(dir, 0555) == 0;
    snprintf(cmd, sizeof cmd, "chattr +i '%s' 2>/dev/null", dir);
    return system(cmd) == 0;
}

static void make_writable(const char *dir)
{
    char cmd[600];
    if (geteuid() != 0) {
        assert_int_equal(chmod(dir, 0755), 0);
        return;
    }
    snprintf(cmd, sizeof cmd, "chattr -i '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_atomic_write_readonly_dir(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char path[256];
    snprintf(path, sizeof path, "%s/clan.nix", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(path, "old\n", 4, 0644, NULL, &d), 0);
    if (!make_unwritable(dir)) {
        rm_rf(dir);
        free(dir);
        skip();
    }
    assert_true(file_write_atomic(path, "new\n", 4, 0644, NULL, &d) < 0);
    assert_non_null(strstr(d.msg, "temporary file"));
    assert_string_equal(d.file, path);
    make_writable(dir);
    char *text = NULL;
    assert_int_equal(file_read(path, &text, NULL, NULL, &d), 0);
    assert_string_equal(text, "old\n");
    free(text);
    assert_int_equal(count_entries(dir), 1);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

static void put(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    assert_int_equal(fclose(f), 0);
}

static void assert_content(const char *path, const char *want)
{
    char *t = slurp(path);
    assert_non_null(t);
    assert_string_equal(t, want);
    free(t);
}

static void assert_link_to(const char *link, const char *want)
{
    char buf[512];
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static ino_t inode_of(const char *path)
{
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return st.st_ino;
}

/* Writing through a symbolic link: the link stays, its target gets the content, the mode,
 * chains of links and relative links, stamps taken through the link. */
static void test_symlink_write(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char real[256], sub[256], link[256], chain1[256], chain2[256];
    snprintf(sub, sizeof sub, "%s/real", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    snprintf(real, sizeof real, "%s/real/clan.nix", dir);
    snprintf(link, sizeof link, "%s/clan.nix", dir);
    snprintf(chain1, sizeof chain1, "%s/one", dir);
    snprintf(chain2, sizeof chain2, "%s/real/two", dir);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(real, "old\n", 4, 0640, NULL, &d), 0);
    assert_int_equal(symlink("real/clan.nix", link), 0); /* relative to the link's directory */
    ino_t link_ino = inode_of(link);

    char *t = NULL;
    struct file_stamp st;
    assert_int_equal(file_read(link, &t, NULL, &st, &d), 0);
    free(t);
    assert_int_equal(file_stamp_check(link, &st, &d), 1);
    assert_int_equal(file_write_atomic(link, "new\n", 4, 0600, &st, &d), 0);
    assert_link_to(link, "real/clan.nix");
    assert_int_equal(inode_of(link), link_ino);
    assert_content(real, "new\n");
    struct stat sb;
    assert_int_equal(stat(real, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(count_entries(dir), 2); /* the link and real/, nothing left over */
    assert_int_equal(count_entries(sub), 1);

    /* a chain: one -> real/two (relative, in another directory) -> ../clan.nix -> file */
    assert_int_equal(symlink("real/two", chain1), 0);
    assert_int_equal(symlink("../clan.nix", chain2), 0);
    assert_int_equal(file_read(chain1, &t, NULL, &st, &d), 0);
    assert_string_equal(t, "new\n");
    free(t);
    assert_int_equal(file_write_atomic(chain1, "chained\n", 8, 0644, &st, &d), 0);
    assert_content(real, "chained\n");
    assert_link_to(chain1, "real/two");
    assert_link_to(chain2, "../clan.nix");
    assert_link_to(link, "real/clan.nix");
    assert_int_equal(stat(real, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0640);
    assert_int_equal(count_entries(sub), 2);

    /* the target replaced by another program with the same content: still unchanged */
    assert_int_equal(file_read(link, &t, NULL, &st, &d), 0);
    free(t);
    char other[300];
    snprintf(other, sizeof other, "%s/real/other", dir);
    put(other, "chained\n");
    assert_int_equal(rename(other, real), 0);
    assert_int_equal(file_stamp_check(link, &st, &d), 1);

    /* the link retargeted since the read, even to the same content: changed */
    put(other, "chained\n");
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("real/other", link), 0);
    assert_int_equal(file_stamp_check(link, &st, &d), 0);
    assert_int_equal(file_write_atomic(link, "mine\n", 5, 0644, &st, &d), -ESTALE);
    assert_string_equal(d.file, link);
    assert_non_null(strstr(d.msg, "changed on disk"));
    assert_content(other, "chained\n");
    assert_content(real, "chained\n");
    assert_int_equal(count_entries(sub), 3);

    /* a loop */
    char loop[300];
    snprintf(loop, sizeof loop, "%s/loop", dir);
    assert_int_equal(symlink("loop", loop), 0);
    assert_int_equal(file_write_atomic(loop, "x", 1, 0644, NULL, &d), -ELOOP);
    assert_non_null(strstr(d.msg, "symbolic links"));

    /* a link to a directory: not a regular file */
    char dl[300];
    snprintf(dl, sizeof dl, "%s/dirlink", dir);
    assert_int_equal(symlink("real", dl), 0);
    assert_int_equal(file_write_atomic(dl, "x", 1, 0644, NULL, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "not a regular file"));
    assert_true(S_ISLNK((lstat(dl, &sb), sb.st_mode)));
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

/* A dangling link: refused unless the caller's stamp says there was no file; then the
 * target is created and the link stays. */
static void test_symlink_dangling(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char link[256], target[256];
    snprintf(link, sizeof link, "%s/clan.nix", dir);
    snprintf(target, sizeof target, "%s/missing.nix", dir);
    assert_int_equal(symlink("missing.nix", link), 0);
    struct diag d = {0};
    assert_int_equal(file_write_atomic(link, "x\n", 2, 0644, NULL, &d), -ENOENT);
    assert_string_equal(d.file, link);
    assert_non_null(strstr(d.msg, "does not exist; refusing"));
    struct file_batch *fb = NULL;
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, link, "x\n", 2, 0644, NULL, &d), -ENOENT);
    file_batch_free(fb);
    assert_int_equal(count_entries(dir), 1);

    /* read: nothing there; write with that stamp: created behind the link */
    char *t = NULL;
    assert_true(file_read(link, &t, NULL, NULL, &d) < 0);
    struct file_stamp none = {.exists = false};
    assert_int_equal(file_stamp_check(link, &none, &d), 1);
    assert_int_equal(file_write_atomic(link, "made\n", 5, 0604, &none, &d), 0);
    assert_link_to(link, "missing.nix");
    assert_content(target, "made\n");
    struct stat sb;
    assert_int_equal(stat(target, &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0604);
    /* and now that it exists, a stamp of nothing is stale */
    assert_int_equal(file_write_atomic(link, "again\n", 6, 0644, &none, &d), -ESTALE);
    assert_content(target, "made\n");
    assert_int_equal(count_entries(dir), 2);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

/* file_batch through links: the targets are replaced, the links stay. */
static void test_symlink_batch(void **state)
{
    (void)state;
    char *dir = make_tmpdir();
    char a[256], la[256], b[256], lb[256];
    snprintf(a, sizeof a, "%s/a.service", dir);
    snprintf(la, sizeof la, "%s/link-a.service", dir);
    snprintf(b, sizeof b, "%s/b.timer", dir);
    snprintf(lb, sizeof lb, "%s/link-b.timer", dir);
    struct diag d = {0};
    put(a, "old a\n");
    put(b, "old b\n");
    assert_int_equal(symlink(a, la), 0); /* absolute */
    assert_int_equal(symlink("b.timer", lb), 0);
    char *t = NULL;
    struct file_stamp sb;
    assert_int_equal(file_read(lb, &t, NULL, &sb, &d), 0);
    free(t);
    struct file_batch *fb = NULL;
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, la, "new a\n", 6, 0600, NULL, &d), 0);
    assert_int_equal(file_batch_add(fb, lb, "new b\n", 6, 0640, &sb, &d), 0);
    assert_int_equal(count_entries(dir), 6);
    assert_int_equal(file_batch_commit(fb, &d), 0);
    file_batch_free(fb);
    assert_int_equal(count_entries(dir), 4);
    assert_link_to(la, a);
    assert_link_to(lb, "b.timer");
    assert_content(a, "new a\n");
    assert_content(b, "new b\n");
    struct stat st;
    assert_int_equal(stat(b, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);

    /* retargeted between add and commit: the whole batch is refused */
    assert_int_equal(file_read(lb, &t, NULL, &sb, &d), 0);
    free(t);
    assert_int_equal(file_batch_new(&fb), 0);
    assert_int_equal(file_batch_add(fb, la, "newer a\n", 8, 0600, NULL, &d), 0);
    assert_int_equal(file_batch_add(fb, lb, "newer b\n", 8, 0640, &sb, &d), 0);
    assert_int_equal(unlink(lb), 0);
    assert_int_equal(symlink("a.service", lb), 0);
    assert_int_equal(file_batch_commit(fb, &d), -ESTALE);
    assert_string_equal(d.file, lb);
    file_batch_free(fb);
    assert_content(a, "new a\n");
    assert_content(b, "new b\n");
    assert_int_equal(count_entries(dir), 4);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

/* The new file keeps the old one's owner (root only: nobody else may give files away). */
static void test_symlink_owner(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip();
    char *dir = make_tmpdir();
    char real[256], link[256];
    snprintf(real, sizeof real, "%s/real", dir);
    snprintf(link, sizeof link, "%s/link", dir);
    put(real, "old\n");
    assert_int_equal(chown(real, 1234, 2345), 0);
    assert_int_equal(chmod(real, 02640), 0); /* setgid too: kept although chown clears it */
    assert_int_equal(symlink("real", link), 0);
    struct diag d = {0};
    char *t = NULL;
    struct file_stamp st;
    assert_int_equal(file_read(link, &t, NULL, &st, &d), 0);
    free(t);
    assert_int_equal(file_write_atomic(link, "new\n", 4, 0644, &st, &d), 0);
    struct stat sb;
    assert_int_equal(stat(real, &sb), 0);
    assert_int_equal(sb.st_uid, 1234);
    assert_int_equal(sb.st_gid, 2345);
    assert_int_equal(sb.st_mode & 07777, 02640);
    assert_content(real, "new\n");
    /* the same in a set of files */
    struct file_txn *x = NULL;
    assert_int_equal(file_txn_new(&x), 0);
    assert_int_equal(file_txn_add(x, link, "txn\n", 4, 0644, NULL, &d), 0);
    assert_int_equal(file_txn_commit(x, NULL, &d), 0);
    file_txn_free(x);
    assert_int_equal(stat(real, &sb), 0);
    assert_int_equal(sb.st_uid, 1234);
    assert_int_equal(sb.st_gid, 2345);
    assert_int_equal(sb.st_mode & 07777, 02640);
    assert_content(real, "txn\n");
    assert_int_equal(count_entries(dir), 2);
    diag_clear(&d);
    rm_rf(dir);
    free(dir);
}

/* chattr +i on a file: it cannot be replaced (root only, where the file system has it). */
static bool make_immutable(const char *path, bool on)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chattr %ci '%s' 2>/dev/null", on ? '+' : '-', path);
    return geteuid() == 0 && system(cmd) == 0;
}

struct three {
    char *dir;
    char d[3][256], f[3][256];
    struct file_stamp st[3];
    struct diag diag;
};

/* Group fixtures: three directories d0..d2 with a file fI holding "old I\n" each (f2 only
 * for three_abc), read with their stamps. */
static int three_make(void **state, bool with_c)
{
    struct three *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    s->dir = make_tmpdir();
    for (int i = 0; i < 3; i++) {
        snprintf(s->d[i], sizeof s->d[i], "%s/d%d", s->dir, i);
        assert_int_equal(mkdir(s->d[i], 0755), 0);
        snprintf(s->f[i], sizeof s->f[i], "%s/d%d/f%d", s->dir, i, i);
        if (i == 2 && !with_c)
            continue;
        char content[32];
        snprintf(content, sizeof content, "old %d\n", i);
        put(s->f[i], content);
        char *t = NULL;
        assert_int_equal(file_read(s->f[i], &t, NULL, &s->st[i], &s->diag), 0);
        free(t);
    }
    *state = s;
    return 0;
}

static int three_ab(void **state)
{
    return three_make(state, false);
}

static int three_abc(void **state)
{
    return three_make(state, true);
}

static int three_free(void **state)
{
    struct three *s = *state;
    diag_clear(&s->diag);
    if (access(s->f[2], F_OK) == 0)
        make_immutable(s->f[2], false); /* after a failed test_txn_rollback */
    rm_rf(s->dir);
    free(s->dir);
    free(s);
    return 0;
}

/* Stage "new I\n" for every fI, each with its stamp (f2 expected missing for three_ab). */
static void three_add(struct three *s, struct file_txn *x)
{
    for (int i = 0; i < 3; i++) {
        char content[32];
        snprintf(content, sizeof content, "new %d\n", i);
        assert_int_equal(
            file_txn_add(x, s->f[i], content, strlen(content), 0604, &s->st[i], &s->diag), 0);
    }
}

/* Every fI holds "old I\n" (or is missing: f2 of three_ab), alone in its directory. */
static void three_unchanged(struct three *s, bool with_c)
{
    for (int i = 0; i < 3; i++) {
        if (i == 2 && !with_c) {
            assert_null(slurp(s->f[i]));
            assert_int_equal(count_entries(s->d[i]), 0);
            continue;
        }
        char want[32];
        snprintf(want, sizeof want, "old %d\n", i);
        assert_content(s->f[i], want);
        assert_int_equal(count_entries(s->d[i]), 1);
        assert_int_equal(file_stamp_check(s->f[i], &s->st[i], &s->diag), 1);
    }
}

/* A set of files: all replaced, modes kept (new ones get mode_if_new), the stamps returned
 * match the files and serve the next set. */
static void test_txn_commit(void **state)
{
    struct three *s = *state;
    struct diag *d = &s->diag;
    assert_int_equal(chmod(s->f[1], 0600), 0);
    struct file_txn *x = NULL;
    assert_int_equal(file_txn_new(&x), 0);
    three_add(s, x);
    assert_int_equal(file_txn_count(x), 3);
    assert_content(s->f[0], "old 0\n"); /* staged only */
    assert_int_equal(count_entries(s->d[2]), 1); /* the temporary file */
    struct file_stamp now[3];
    assert_int_equal(file_txn_commit(x, now, d), 0);
    assert_int_equal(file_txn_commit(x, now, d), -EINVAL); /* once */
    assert_int_equal(file_txn_add(x, s->f[0], "x", 1, 0644, NULL, d), -EINVAL);
    file_txn_free(x);
    for (int i = 0; i < 3; i++) {
        char want[32];
        snprintf(want, sizeof want, "new %d\n", i);
        assert_content(s->f[i], want);
        assert_int_equal(count_entries(s->d[i]), 1);
        assert_int_equal(file_stamp_check(s->f[i], &now[i], d), 1);
        struct file_stamp again;
        char *t = NULL;
        assert_int_equal(file_read(s->f[i], &t, NULL, &again, d), 0);
        free(t);
        assert_true(again.dev == now[i].dev && again.ino == now[i].ino);
        assert_true(again.size == now[i].size && again.mtime_ns == now[i].mtime_ns);
        assert_true(again.hash == now[i].hash && again.target_hash == now[i].target_hash);
    }
    struct stat sb;
    assert_int_equal(stat(s->f[1], &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0600);
    assert_int_equal(stat(s->f[2], &sb), 0);
    assert_int_equal(sb.st_mode & 07777, 0604);

    /* the next set compares against the returned stamps */
    assert_int_equal(file_txn_new(&x), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(file_txn_add(x, s->f[i], "third\n", 6, 0644, &now[i], d), 0);
    assert_int_equal(file_txn_commit(x, NULL, d), 0);
    file_txn_free(x);
    assert_content(s->f[2], "third\n");

    /* one file twice (once through a link): refused */
    char link[300];
    snprintf(link, sizeof link, "%s/link", s->dir);
    assert_int_equal(symlink("d0/f0", link), 0);
    assert_int_equal(file_txn_new(&x), 0);
    assert_int_equal(file_txn_add(x, s->f[0], "x", 1, 0644, NULL, d), 0);
    assert_int_equal(file_txn_add(x, link, "y", 1, 0644, NULL, d), -EINVAL);
    assert_string_equal(d->file, link);
    assert_non_null(strstr(d->msg, "twice"));
    assert_int_equal(file_txn_count(x), 1);
    file_txn_free(x); /* not committed: nothing changes, nothing stays */
    assert_content(s->f[0], "third\n");
    assert_int_equal(count_entries(s->d[0]), 1);
}

/* Changed on disk between read and add, between add and commit, a new file that
 * appeared: the whole set is refused, naming the file, and nothing changes. */
static void test_txn_stale(void **state)
{
    struct three *s = *state;
    struct diag *d = &s->diag;
    struct file_txn *x = NULL;

    /* before the add */
    put(s->f[1], "theirs\n");
    assert_int_equal(file_txn_new(&x), 0);
    assert_int_equal(file_txn_add(x, s->f[0], "new 0\n", 6, 0644, &s->st[0], d), 0);
    assert_int_equal(file_txn_add(x, s->f[1], "new 1\n", 6, 0644, &s->st[1], d), -ESTALE);
    assert_string_equal(d->file, s->f[1]);
    file_txn_free(x);
    assert_content(s->f[0], "old 0\n");
    assert_content(s->f[1], "theirs\n");
    put(s->f[1], "old 1\n");
    char *t = NULL;
    assert_int_equal(file_read(s->f[1], &t, NULL, &s->st[1], d), 0);
    free(t);

    /* after the temporary files are written (same size: the content is compared) */
    assert_int_equal(file_txn_new(&x), 0);
    three_add(s, x);
    put(s->f[1], "OLD 1\n");
    assert_int_equal(file_txn_commit(x, NULL, d), -ESTALE);
    assert_string_equal(d->file, s->f[1]);
    assert_non_null(strstr(d->msg, "changed on disk"));
    file_txn_free(x);
    assert_content(s->f[1], "OLD 1\n");
    put(s->f[1], "old 1\n");
    assert_int_equal(file_read(s->f[1], &t, NULL, &s->st[1], d), 0);
    free(t);
    three_unchanged(s, false);

    /* a file that was not there when read appears before the commit */
    assert_int_equal(file_txn_new(&x), 0);
    three_add(s, x);
    put(s->f[2], "theirs\n");
    assert_int_equal(file_txn_commit(x, NULL, d), -ESTALE);
    assert_string_equal(d->file, s->f[2]);
    file_txn_free(x);
    assert_content(s->f[2], "theirs\n");
    assert_int_equal(unlink(s->f[2]), 0);
    three_unchanged(s, false);
}

/* A directory the writer may not change (see make_unwritable): the add of its file fails,
 * naming it; the set, freed, leaves nothing behind. */
static void test_txn_unwritable_dir(void **state)
{
    struct three *s = *state;
    struct diag *d = &s->diag;
    if (!make_unwritable(s->d[1]))
        skip();
    struct file_txn *x = NULL;
    assert_int_equal(file_txn_new(&x), 0);
    assert_int_equal(file_txn_add(x, s->f[0], "new 0\n", 6, 0644, &s->st[0], d), 0);
    int r = file_txn_add(x, s->f[1], "new 1\n", 6, 0644, &s->st[1], d);
    make_writable(s->d[1]);
    assert_true(r == -EACCES || r == -EPERM);
    assert_string_equal(d->file, s->f[1]);
    assert_non_null(strstr(d->msg, "temporary file"));
    assert_int_equal(file_txn_count(x), 1);
    file_txn_free(x);
    three_unchanged(s, true);
}

/* Rename k fails (file k is immutable): files 0..k-1 are put back -- the same inodes --, a
 * new file among them is removed again, and no temporary or backup file remains. */
static void test_txn_rollback(void **state)
{
    struct three *s = *state;
    struct diag *d = &s->diag;
    if (!make_immutable(s->f[2], true))
        skip();
    ino_t ino0 = inode_of(s->f[0]), ino1 = inode_of(s->f[1]);
    struct file_txn *x = NULL;
    assert_int_equal(file_txn_new(&x), 0);
    three_add(s, x);
    int r = file_txn_commit(x, NULL, d);
    file_txn_free(x);
    assert_int_equal(r, -EPERM);
    assert_string_equal(d->file, s->f[2]);
    assert_non_null(strstr(d->msg, "the 2 files written before it were put back"));
    three_unchanged(s, true);
    assert_int_equal(inode_of(s->f[0]), ino0);
    assert_int_equal(inode_of(s->f[1]), ino1);

    /* a new file first: removed again */
    char n[300];
    snprintf(n, sizeof n, "%s/new", s->d[0]);
    struct file_stamp none = {.exists = false};
    assert_int_equal(file_txn_new(&x), 0);
    assert_int_equal(file_txn_add(x, n, "n\n", 2, 0644, &none, d), 0);
    assert_int_equal(file_txn_add(x, s->f[1], "n\n", 2, 0644, &s->st[1], d), 0);
    assert_int_equal(file_txn_add(x, s->f[2], "n\n", 2, 0644, &s->st[2], d), 0);
    r = file_txn_commit(x, NULL, d);
    file_txn_free(x);
    assert_true(make_immutable(s->f[2], false));
    assert_int_equal(r, -EPERM);
    assert_string_equal(d->file, s->f[2]);
    assert_null(slurp(n));
    three_unchanged(s, true);
    assert_int_equal(inode_of(s->f[1]), ino1);
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


/* The fast formatter gives printf's bytes: every supported conversion at its limits, and
 * truncation at every capacity; other formats take the vsnprintf path through the same
 * entry points. */
static void check_fmt(const char *want, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check_fmt(const char *want, const char *fmt, ...)
{
    size_t wl = strlen(want);
    for (size_t cap = 0; cap <= wl + 2; cap++) {
        char out[512], ref[512];
        memset(out, 'X', sizeof out);
        memset(ref, 'X', sizeof ref);
        va_list ap;
        va_start(ap, fmt);
        assert_true(fmt_fast_ok(fmt));
        size_t n = fmt_fast(out, cap, fmt, ap);
        va_end(ap);
        va_start(ap, fmt);
        int rn = vsnprintf(ref, cap, fmt, ap);
        va_end(ap);
        assert_int_equal(n, (size_t)rn);
        assert_int_equal(n, wl);
        assert_memory_equal(out, ref, cap + 1); /* the bytes written, and none beyond */
    }
}

static void test_fmt_fast(void **state)
{
    (void)state;
    const char *volatile nul = NULL; /* hidden from -Wformat */
    check_fmt("", "%s", "");
    check_fmt("plain text", "plain text");
    check_fmt("100%", "100%%");
    check_fmt("a-b-c", "%s-%s-%s", "a", "b", "c");
    check_fmt("(null)", "%s", nul);
    check_fmt("abc|", "%.*s|", 3, "abcdef");
    check_fmt("ab|", "%.*s|", 5, "ab");
    check_fmt("x=A", "x=%c", 'A');
    check_fmt("-2147483648 2147483647 0", "%d %d %d", INT_MIN, INT_MAX, 0);
    check_fmt("4294967295", "%u", UINT_MAX);
    check_fmt("-9223372036854775808 9223372036854775807", "%ld %ld", LONG_MIN, LONG_MAX);
    check_fmt("18446744073709551615", "%lu", ULONG_MAX);
    check_fmt("-9223372036854775808", "%lld", LLONG_MIN);
    check_fmt("18446744073709551615", "%llu", ULLONG_MAX);
    check_fmt("18446744073709551615 -5", "%zu %zd", SIZE_MAX, (ssize_t)-5);
    check_fmt("machine web-01: 3 jobs, 1 client", "machine %s: %zu job%s, %u client%s", "web-01",
              (size_t)3, "s", 1u, "");
    assert_false(fmt_fast_ok("%5s"));
    assert_false(fmt_fast_ok("%-3d"));
    assert_false(fmt_fast_ok("%x"));
    assert_false(fmt_fast_ok("%g"));
    assert_false(fmt_fast_ok("%04u"));
    assert_false(fmt_fast_ok("trailing %"));
    /* the public wrappers: fast and slow formats, short and long results */
    char *s = NULL;
    assert_int_equal(str_printf(&s, "%s/%s", "a", "b"), 3);
    assert_string_equal(s, "a/b");
    free(s);
    assert_int_equal(str_printf(&s, "%04x|%g", 255u, 1.5), 8);
    assert_string_equal(s, "00ff|1.5");
    free(s);
    char big[700];
    memset(big, 'q', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(str_printf(&s, "<%s>", big), (int)sizeof big + 1);
    assert_int_equal(strlen(s), sizeof big + 1);
    assert_int_equal(s[0], '<');
    assert_int_equal(s[sizeof big], '>');
    free(s);
    char small[8];
    assert_int_equal(str_snprintf(small, sizeof small, "%s=%d", "abcdef", 42), 9);
    assert_string_equal(small, "abcdef=");
    struct buf b = {0};
    for (int i = 0; i < 200; i++)
        assert_int_equal(buf_printf(&b, "%d,%s;", i, i % 2 ? "odd" : "even"), 0);
    struct buf r = {0};
    for (int i = 0; i < 200; i++) {
        char t[32];
        int k = snprintf(t, sizeof t, "%d,%s;", i, i % 2 ? "odd" : "even");
        buf_append(&r, t, (size_t)k);
    }
    assert_int_equal(b.len, r.len);
    assert_string_equal(b.p, r.p);
    assert_int_equal(buf_printf(&b, "[%8.3f]", 2.5), 0);
    assert_string_equal(b.p + r.len, "[   2.500]");
    buf_free(&b);
    buf_free(&r);
    struct arena a = {0};
    assert_string_equal(arena_printf(&a, "%s:%u:%u", "clan.nix", 12u, 7u), "clan.nix:12:7");
    assert_string_equal(arena_printf(&a, "%3s|", "x"), "  x|");
    char *long_one = arena_printf(&a, "%s%s", big, big);
    assert_int_equal(strlen(long_one), 2 * (sizeof big - 1));
    arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diag_format),
        cmocka_unit_test(test_buf),
        cmocka_unit_test(test_fmt_fast),
        cmocka_unit_test(test_atomic_write_roundtrip),
        cmocka_unit_test(test_atomic_write_refuses_changed_file),
        cmocka_unit_test(test_atomic_write_readonly_dir),
        cmocka_unit_test(test_file_batch),
        cmocka_unit_test(test_symlink_write),
        cmocka_unit_test(test_symlink_dangling),
        cmocka_unit_test(test_symlink_batch),
        cmocka_unit_test(test_symlink_owner),
        cmocka_unit_test_setup_teardown(test_txn_commit, three_ab, three_free),
        cmocka_unit_test_setup_teardown(test_txn_stale, three_ab, three_free),
        cmocka_unit_test_setup_teardown(test_txn_unwritable_dir, three_abc, three_free),
        cmocka_unit_test_setup_teardown(test_txn_rollback, three_abc, three_free),
        cmocka_unit_test(test_mkdir_parents),
        cmocka_unit_test(test_json_escape_random),
        cmocka_unit_test(test_diff_basic),
        cmocka_unit_test(test_diff_against_gnu_diff),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
