/* core/keys: libssh keys, passphrases, the vars store, all-or-nothing generation, keys over
 * a plan (known_hosts, install order). Real files in a temp directory; file-system faults
 * are produced for real (chattr +i) and skipped with a message where that is impossible. */
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
#include <time.h>
#include <unistd.h>

#include "core/keys.h"
#include "core/util.h"

/* ---- helpers ---- */

struct fixture {
    char *root;      /* temp dir */
    char *clan_dir;  /* root/clan */
    char *clan_file; /* root/clan/clan.nix */
    char *secrets;   /* root/secrets/MY-CLAN */
    struct keys_store *store;
};

static char *cat2(const char *a, const char *b)
{
    char *s = NULL;
    assert_true(asprintf(&s, "%s%s", a, b) >= 0);
    return s;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *slurp(const char *path)
{
    char *s = NULL;
    size_t n = 0;
    struct diag d = {0};
    if (file_read(path, &s, &n, NULL, &d) < 0) {
        diag_clear(&d);
        return NULL;
    }
    return s;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    f->root = strdup("/tmp/test-keys.XXXXXX");
    assert_non_null(mkdtemp(f->root));
    f->clan_dir = cat2(f->root, "/clan");
    assert_int_equal(mkdir(f->clan_dir, 0755), 0);
    f->clan_file = cat2(f->clan_dir, "/clan.nix");
    write_file(f->clan_file, "{ meta.name = \"MY-CLAN\"; }\n");
    f->secrets = cat2(f->root, "/secrets/MY-CLAN");
    struct diag d = {0};
    assert_int_equal(keys_store_open(f->clan_file, f->secrets, &f->store, &d), 0);
    *state = f;
    return 0;
}

static void rm_rf(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "chattr -R -i '%s' 2>/dev/null; chmod -R u+w '%s' 2>/dev/null; "
             "rm -rf '%s'", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rm_rf(f->root);
    keys_store_free(f->store);
    free(f->root);
    free(f->clan_dir);
    free(f->clan_file);
    free(f->secrets);
    free(f);
    return 0;
}

/* Everything about a tree that a write would change: names, modes, sizes, inodes, mtimes,
 * content hashes. */
static void snapshot_walk(const char *dir, struct buf *out, bool identity)
{
    DIR *dd = opendir(dir);
    if (!dd)
        return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(dd);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char *t = names[i];
                names[i] = names[j];
                names[j] = t;
            }
    for (size_t i = 0; i < n; i++) {
        char *p = NULL;
        assert_true(asprintf(&p, "%s/%s", dir, names[i]) >= 0);
        struct stat st;
        assert_int_equal(lstat(p, &st), 0);
        buf_printf(out, "%s %o %lld", p, (unsigned)st.st_mode, (long long)st.st_size);
        if (identity && !S_ISDIR(st.st_mode))
            buf_printf(out, " %llu %lld.%09ld", (unsigned long long)st.st_ino,
                       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISREG(st.st_mode)) {
            char *c = slurp(p);
            buf_printf(out, " %llx", (unsigned long long)hash_bytes(c, strlen(c)));
            free(c);
        }
        buf_putc(out, '\n');
        if (S_ISDIR(st.st_mode))
            snapshot_walk(p, out, identity);
        free(p);
        free(names[i]);
    }
    free(names);
}

static char *snapshot(const char *dir)
{
    struct buf b = {0};
    buf_puts(&b, "");
    snapshot_walk(dir, &b, true);
    return buf_steal(&b);
}

/* Names, modes, sizes and contents only (a restored file is a new inode). */
static char *snapshot_content(const char *dir)
{
    struct buf b = {0};
    buf_puts(&b, "");
    snapshot_walk(dir, &b, false);
    return buf_steal(&b);
}

/* No file below dir holds a private key or the given secret text. */
static void assert_no_secret_below(const char *dir, const char *secret)
{
    char *snap = snapshot(dir);
    for (char *line = strtok(snap, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        *sp = '\0';
        struct stat st;
        if (lstat(line, &st) == 0 && S_ISREG(st.st_mode)) {
            char *c = slurp(line);
            assert_non_null(c);
            if (strstr(c, "PRIVATE KEY") || (secret && strstr(c, secret)))
                fail_msg("plaintext secret in the clan directory: %s", line);
            free(c);
        }
    }
    free(snap);
}

static size_t count_files_below(const char *dir)
{
    char *snap = snapshot(dir);
    size_t n = 0;
    for (char *line = strtok(snap, "\n"); line; line = strtok(NULL, "\n")) {
        char *sp = strchr(line, ' ');
        *sp = '\0';
        struct stat st;
        if (lstat(line, &st) == 0 && !S_ISDIR(st.st_mode))
            n++;
    }
    free(snap);
    return n;
}

/* ---- passphrase ---- */

static void check_passphrase_shape(const char *p)
{
    assert_int_equal(strlen(p), KEYS_PASSPHRASE_LEN);
    for (int i = 0; i < KEYS_PASSPHRASE_LEN; i++) {
        if (i % 8 == 7) {
            assert_int_equal(p[i], '-');
            continue;
        }
        const char *set = (i % 8) % 2 == 0 ? "bdfghjklmnprstvz" : "aiou";
        assert_non_null(strchr(set, p[i]));
    }
}

static void test_passphrase_encode(void **state)
{
    (void)state;
    unsigned char rnd[KEYS_PASSPHRASE_BYTES];
    char out[KEYS_PASSPHRASE_LEN + 1];
    memset(rnd, 0, sizeof rnd);
    keys_passphrase_encode(rnd, out);
    assert_string_equal(out, "bababab-bababab-bababab-bababab-bababab-bababab");
    memset(rnd, 0xff, sizeof rnd);
    keys_passphrase_encode(rnd, out);
    assert_string_equal(out, "zuzuzuz-zuzuzuz-zuzuzuz-zuzuzuz-zuzuzuz-zuzuzuz");
    /* first 22 bits: 0001 00 0010 00 0011 00 0100 -> d a f a g a h */
    memset(rnd, 0, sizeof rnd);
    rnd[0] = 0x10;
    rnd[1] = 0x83;
    rnd[2] = 0x10;
    keys_passphrase_encode(rnd, out);
    assert_memory_equal(out, "dafagah-", 8);
    /* each of the first 132 bits changes the passphrase; the last 4 input bits are unused */
    char base[KEYS_PASSPHRASE_LEN + 1];
    memset(rnd, 0x5a, sizeof rnd);
    keys_passphrase_encode(rnd, base);
    check_passphrase_shape(base);
    for (unsigned bit = 0; bit < KEYS_PASSPHRASE_BYTES * 8; bit++) {
        rnd[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
        keys_passphrase_encode(rnd, out);
        rnd[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
        if (bit < KEYS_PASSPHRASE_BITS)
            assert_string_not_equal(out, base);
        else
            assert_string_equal(out, base);
    }
}

static void test_passphrase_generate(void **state)
{
    (void)state;
    struct diag d = {0};
    char *a = NULL, *b = NULL;
    assert_int_equal(keys_passphrase_generate(&a, &d), 0);
    assert_int_equal(keys_passphrase_generate(&b, &d), 0);
    check_passphrase_shape(a);
    check_passphrase_shape(b);
    assert_string_not_equal(a, b);
    free(a);
    free(b);
}

/* ---- keys ---- */

static void test_keypair(void **state)
{
    (void)state;
    struct diag d = {0};
    struct keys_keypair *k = NULL;
    assert_int_equal(keys_keypair_generate(&k, &d), 0);
    /* exactly the shape ssh-keygen -t ed25519 -C "" writes: 82 bytes, trailing " \n" */
    assert_int_equal(strlen(k->public_line), 82);
    assert_memory_equal(k->public_line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI", 37);
    assert_string_equal(k->public_line + 80, " \n");
    assert_memory_equal(k->fingerprint, "SHA256:", 7);
    assert_int_equal(strlen(k->fingerprint), 7 + 43);
    assert_memory_equal(k->private_key, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36);
    assert_int_equal(k->private_len, strlen(k->private_key));
    for (const char *l = k->private_key; *l;) {
        const char *nl = strchr(l, '\n');
        assert_non_null(nl);
        assert_true(nl - l <= 70 || !strncmp(l, "-----", 5));
        l = nl + 1;
    }
    char *pub = NULL, *fp = NULL, *only = NULL;
    assert_int_equal(keys_private_to_public(k->private_key, k->private_len, &pub, &d), 0);
    assert_string_equal(pub, k->public_line);
    assert_int_equal(keys_public_fingerprint(pub, strlen(pub), &fp, &d), 0);
    assert_string_equal(fp, k->fingerprint);
    assert_int_equal(keys_public_key_only(pub, strlen(pub), &only, &d), 0);
    assert_int_equal(strlen(only), 80);
    assert_memory_equal(only, pub, 80);
    free(pub);
    free(fp);
    free(only);
    /* a comment does not change the fingerprint */
    char *withc = NULL;
    assert_true(asprintf(&withc, "%.80s alice@laptop\n", k->public_line) > 0);
    assert_int_equal(keys_public_fingerprint(withc, strlen(withc), &fp, &d), 0);
    assert_string_equal(fp, k->fingerprint);
    free(fp);
    free(withc);
    /* two keys differ */
    struct keys_keypair *k2 = NULL;
    assert_int_equal(keys_keypair_generate(&k2, &d), 0);
    assert_string_not_equal(k->public_line, k2->public_line);
    keys_keypair_free(k);
    keys_keypair_free(k2);
    keys_keypair_free(NULL);
}

static void test_public_bad(void **state)
{
    (void)state;
    struct diag d = {0};
    char *fp = NULL;
    assert_int_equal(keys_public_fingerprint("", 0, &fp, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "TYPE BASE64"));
    assert_int_equal(keys_public_fingerprint("ssh-foo AAAA", 12, &fp, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "unknown public key type 'ssh-foo'"));
    assert_int_equal(keys_public_fingerprint("ssh-ed25519 !!!!", 16, &fp, &d), -EINVAL);
    assert_null(fp);
    char *pub = NULL;
    assert_int_equal(keys_private_to_public("garbage", 7, &pub, &d), -EINVAL);
    assert_null(pub);
    diag_clear(&d);
}

static void test_names(void **state)
{
    (void)state;
    struct diag d = {0};
    assert_int_equal(keys_check_name("machine name", "alice-laptop", &d), 0);
    assert_int_equal(keys_check_name("machine name", "db_1.eu", &d), 0);
    assert_int_equal(keys_check_name("machine name", "", &d), -EINVAL);
    assert_int_equal(keys_check_name("machine name", "..", &d), -EINVAL);
    assert_int_equal(keys_check_name("machine name", "a/b", &d), -EINVAL);
    assert_non_null(strstr(d.msg, "contains '/'"));
    assert_int_equal(keys_check_name("machine name", ".hidden", &d), -EINVAL);
    diag_clear(&d);
}

static void test_default_secrets_dir(void **state)
{
    (void)state;
    struct diag d = {0};
    char *s = NULL;
    assert_int_equal(keys_default_secrets_dir("/x/data", "/home/u", "MY-CLAN", &s, &d), 0);
    assert_string_equal(s, "/x/data/clan-tui/secrets/MY-CLAN");
    free(s);
    assert_int_equal(keys_default_secrets_dir("relative", "/home/u", "MY-CLAN", &s, &d), 0);
    assert_string_equal(s, "/home/u/.local/share/clan-tui/secrets/MY-CLAN");
    free(s);
    assert_int_equal(keys_default_secrets_dir(NULL, "/home/u", "c", &s, &d), 0);
    assert_string_equal(s, "/home/u/.local/share/clan-tui/secrets/c");
    free(s);
    s = NULL;
    assert_int_equal(keys_default_secrets_dir(NULL, NULL, "c", &s, &d), -ENOENT);
    assert_int_equal(keys_default_secrets_dir("/x", "/h", "../etc", &s, &d), -EINVAL);
    assert_null(s);
    diag_clear(&d);
}

static void test_store_refuses_inside(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_store *s = NULL;
    char *p = cat2(f->clan_dir, "/secrets");
    assert_int_equal(keys_store_open(f->clan_file, p, &s, &d), -EPERM);
    assert_non_null(strstr(d.msg, "inside the clan directory"));
    free(p);
    assert_int_equal(keys_store_open(f->clan_file, f->clan_dir, &s, &d), -EPERM);
    /* through a symlink that leads into the clan directory */
    char *link = cat2(f->root, "/link");
    assert_int_equal(symlink(f->clan_dir, link), 0);
    p = cat2(link, "/deep/er");
    assert_int_equal(keys_store_open(f->clan_file, p, &s, &d), -EPERM);
    free(p);
    /* '..' that cannot be resolved */
    p = cat2(f->root, "/nope/../clan/x");
    assert_int_equal(keys_store_open(f->clan_file, p, &s, &d), -EINVAL);
    free(p);
    /* '..' through existing directories resolves and is then refused */
    p = cat2(f->root, "/secrets/../clan/x");
    char *sdir = cat2(f->root, "/secrets");
    assert_int_equal(mkdir(sdir, 0700), 0);
    free(sdir);
    assert_int_equal(keys_store_open(f->clan_file, p, &s, &d), -EPERM);
    free(p);
    assert_null(s);
    /* a relative path outside is fine */
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(f->root), 0);
    assert_int_equal(keys_store_open(f->clan_file, "store/x", &s, &d), 0);
    assert_int_equal(chdir(cwd), 0);
    char *real_root = realpath(f->root, NULL);
    char *want2 = cat2(real_root, "/store/x");
    assert_string_equal(s->secrets_dir, want2);
    free(want2);
    free(real_root);
    keys_store_free(s);
    /* no secrets directory: public values only */
    s = NULL;
    assert_int_equal(keys_store_open(f->clan_file, NULL, &s, &d), 0);
    assert_null(s->secrets_dir);
    assert_null(keys_secret_path(s, "m", "g", "f"));
    struct keys_result r = {0};
    assert_int_equal(keys_generate(s, "m", &keys_gen_openssh, 0, 0, &r, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "no secrets directory"));
    char *v = NULL;
    size_t n = 0;
    bool secret = false;
    assert_int_equal(keys_var_get(s, "m", "openssh/ssh.id_ed25519", &v, &n, &secret, &d), -ENOENT);
    keys_store_free(s);
    free(link);
    diag_clear(&d);
}

static void assert_generated_layout(struct fixture *f, const char *m, struct keys_result *r)
{
    char *pub = keys_public_path(f->store, m, "borgbackup", "borgbackup.ssh.pub");
    char *priv = keys_secret_path(f->store, m, "borgbackup", "borgbackup.ssh");
    char *rk = keys_secret_path(f->store, m, "borgbackup", "borgbackup.repokey");
    assert_string_equal(r->public_path, pub);
    assert_int_equal(r->nsecrets, 2);
    assert_string_equal(r->secret_paths[0], priv);
    assert_string_equal(r->secret_paths[1], rk);
    assert_int_equal(mode_of(priv), 0600);
    assert_int_equal(mode_of(rk), 0600);
    assert_int_equal(mode_of(pub), 0644);
    char *dir = cat2(f->secrets, "/");
    char *mdir = NULL;
    assert_true(asprintf(&mdir, "%s/%s", f->secrets, m) > 0);
    char *gdir = cat2(mdir, "/borgbackup");
    assert_int_equal(mode_of(f->secrets), 0700);
    assert_int_equal(mode_of(mdir), 0700);
    assert_int_equal(mode_of(gdir), 0700);
    /* the pair belongs together, the fingerprint is the public value's */
    char *ptext = slurp(pub), *stext = slurp(priv), *derived = NULL, *fp = NULL;
    struct diag d = {0};
    assert_int_equal(keys_private_to_public(stext, strlen(stext), &derived, &d), 0);
    assert_string_equal(derived, ptext);
    assert_int_equal(keys_public_fingerprint(ptext, strlen(ptext), &fp, &d), 0);
    assert_string_equal(fp, r->fingerprint);
    char *pass = slurp(rk);
    assert_int_equal(strlen(pass), KEYS_PASSPHRASE_LEN + 1);
    assert_int_equal(pass[KEYS_PASSPHRASE_LEN], '\n');
    pass[KEYS_PASSPHRASE_LEN] = '\0';
    check_passphrase_shape(pass);
    assert_no_secret_below(f->clan_dir, pass);
    free(pass);
    free(ptext);
    free(stext);
    free(derived);
    free(fp);
    free(dir);
    free(mdir);
    free(gdir);
    free(pub);
    free(priv);
    free(rk);
}

static void test_generate_then_exists(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "alice-laptop", &keys_gen_borgbackup, 0, 0, &r, &d),
                     0);
    assert_int_equal(r.outcome, KEYS_GENERATED);
    assert_null(r.backup_dir);
    assert_generated_layout(f, "alice-laptop", &r);
    char *fp = strdup(r.fingerprint);
    keys_result_clear(&r);
    /* no temporary files left anywhere */
    char *snap = snapshot(f->root);
    assert_null(strstr(snap, ".tmp-"));
    /* the second time changes nothing */
    assert_int_equal(keys_generate(f->store, "alice-laptop", &keys_gen_borgbackup, 0, 0, &r, &d),
                     0);
    assert_int_equal(r.outcome, KEYS_EXISTS);
    assert_string_equal(r.fingerprint, fp);
    assert_false(r.mismatch);
    char *snap2 = snapshot(f->root);
    assert_string_equal(snap, snap2);
    keys_result_clear(&r);
    free(snap);
    free(snap2);
    free(fp);
    struct keys_status st;
    assert_int_equal(keys_status_get(f->store, "alice-laptop", &keys_gen_borgbackup, &st, &d), 0);
    assert_int_equal(st.state, KEYS_PRESENT);
    assert_true(st.public_mtime_ns > 0);
    keys_status_clear(&st);
    assert_int_equal(keys_status_get(f->store, "bob", &keys_gen_borgbackup, &st, &d), 0);
    assert_int_equal(st.state, KEYS_ABSENT);
    keys_status_clear(&st);
}

static void test_openssh_host_key(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "backup-server", &keys_gen_openssh, 0, 0, &r, &d), 0);
    assert_int_equal(r.outcome, KEYS_GENERATED);
    assert_int_equal(r.nsecrets, 1);
    char *want = NULL;
    assert_true(asprintf(&want, "%s/vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub/"
                         "value", f->store->clan_dir) > 0);
    assert_string_equal(r.public_path, want);
    free(want);
    assert_true(asprintf(&want, "%s/backup-server/openssh/ssh.id_ed25519",
                         f->store->secrets_dir) > 0);
    assert_string_equal(r.secret_paths[0], want);
    assert_int_equal(mode_of(want), 0600);
    free(want);
    keys_result_clear(&r);
    assert_no_secret_below(f->clan_dir, NULL);
}

static void test_regenerate_keeps_backup(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "m1", &keys_gen_borgbackup, 0, 0, &r, &d), 0);
    char *old_fp = strdup(r.fingerprint);
    char *old_pub = slurp(r.public_path), *old_priv = slurp(r.secret_paths[0]);
    char *old_pass = slurp(r.secret_paths[1]);
    keys_result_clear(&r);
    int64_t when = 1764187200; /* 2025-11-26T20:00:00Z */
    assert_int_equal(keys_generate(f->store, "m1", &keys_gen_borgbackup, KEYS_REGENERATE, when,
                                   &r, &d), 0);
    assert_int_equal(r.outcome, KEYS_REGENERATED);
    assert_string_equal(r.old_fingerprint, old_fp);
    assert_string_not_equal(r.fingerprint, old_fp);
    char *want = NULL;
    assert_true(asprintf(&want, "%s/m1/borgbackup/backup-20251126T200000Z",
                         f->store->secrets_dir) > 0);
    assert_string_equal(r.backup_dir, want);
    assert_int_equal(mode_of(want), 0700);
    char *b = cat2(want, "/borgbackup.ssh"), *bp = cat2(want, "/borgbackup.ssh.pub"),
         *br = cat2(want, "/borgbackup.repokey");
    char *t1 = slurp(b), *t2 = slurp(bp), *t3 = slurp(br);
    assert_string_equal(t1, old_priv);
    assert_string_equal(t2, old_pub);
    assert_string_equal(t3, old_pass);
    assert_int_equal(mode_of(b), 0600);
    assert_int_equal(mode_of(bp), 0600);
    assert_generated_layout(f, "m1", &r);
    keys_result_clear(&r);
    /* same second again: a second backup directory, never reused */
    assert_int_equal(keys_generate(f->store, "m1", &keys_gen_borgbackup, KEYS_REGENERATE, when,
                                   &r, &d), 0);
    char *want2 = cat2(want, ".1");
    assert_string_equal(r.backup_dir, want2);
    keys_result_clear(&r);
    free(want2);
    free(t1);
    free(t2);
    free(t3);
    free(b);
    free(bp);
    free(br);
    free(want);
    free(old_fp);
    free(old_pub);
    free(old_priv);
    free(old_pass);
}

static void test_incomplete_refused(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "m2", &keys_gen_borgbackup, 0, 0, &r, &d), 0);
    char *rk = strdup(r.secret_paths[1]);
    char *pub_before = slurp(r.public_path);
    keys_result_clear(&r);
    assert_int_equal(unlink(rk), 0);
    char *snap = snapshot(f->root);
    assert_int_equal(keys_generate(f->store, "m2", &keys_gen_borgbackup, 0, 0, &r, &d), -EEXIST);
    assert_non_null(strstr(d.msg, "incomplete"));
    assert_non_null(strstr(d.msg, "borgbackup.repokey"));
    char *snap2 = snapshot(f->root);
    assert_string_equal(snap, snap2);
    free(snap2);
    /* regenerate: the two files that existed go to the backup */
    assert_int_equal(keys_generate(f->store, "m2", &keys_gen_borgbackup, KEYS_REGENERATE, 0, &r,
                                   &d), 0);
    assert_int_equal(r.outcome, KEYS_REGENERATED);
    char *bpub = cat2(r.backup_dir, "/borgbackup.ssh.pub");
    char *brk = cat2(r.backup_dir, "/borgbackup.repokey");
    char *t = slurp(bpub);
    assert_string_equal(t, pub_before);
    assert_false(exists(brk));
    assert_true(exists(rk));
    free(t);
    free(bpub);
    free(brk);
    keys_result_clear(&r);
    free(snap);
    free(rk);
    free(pub_before);
    diag_clear(&d);
}

/* A public value that another tool left there, with no secret: refused, left alone. */
static void test_preexisting_public_left_alone(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    char *pub = keys_public_path(f->store, "m3", "borgbackup", "borgbackup.ssh.pub");
    char *dir = strdup(pub);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_parents(dir, 0755, &d), 0);
    const char *line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG"
                       "0NU3XL freckleface@freckleface--Laptop\n";
    write_file(pub, line);
    char *snap = snapshot(f->root);
    assert_int_equal(keys_generate(f->store, "m3", &keys_gen_borgbackup, 0, 0, &r, &d), -EEXIST);
    char *snap2 = snapshot(f->root);
    assert_string_equal(snap, snap2);
    free(snap);
    free(snap2);
    free(pub);
    free(dir);
    diag_clear(&d);
}

static void test_mismatch_reported(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0}, r2 = {0};
    assert_int_equal(keys_generate(f->store, "a", &keys_gen_openssh, 0, 0, &r, &d), 0);
    assert_int_equal(keys_generate(f->store, "b", &keys_gen_openssh, 0, 0, &r2, &d), 0);
    /* b's public value now belongs to a's private key */
    char *apub = slurp(r.public_path);
    assert_int_equal(unlink(r2.public_path), 0);
    write_file(r2.public_path, apub);
    keys_result_clear(&r2);
    assert_int_equal(keys_generate(f->store, "b", &keys_gen_openssh, 0, 0, &r2, &d), 0);
    assert_int_equal(r2.outcome, KEYS_EXISTS);
    assert_true(r2.mismatch);
    keys_result_clear(&r2);
    keys_result_clear(&r);
    free(apub);
}

static void test_secret_dir_mode_refused(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    char *gdir = cat2(f->secrets, "/m4/borgbackup");
    assert_int_equal(mkdir_parents(gdir, 0755, &d), 0);
    assert_int_equal(chmod(gdir, 0755), 0);
    assert_int_equal(keys_generate(f->store, "m4", &keys_gen_borgbackup, 0, 0, &r, &d), -EPERM);
    assert_non_null(strstr(d.msg, "0755"));
    assert_int_equal(count_files_below(f->root), 1); /* only clan.nix */
    char *vars = cat2(f->clan_dir, "/vars");
    assert_false(exists(vars));
    free(vars);
    free(gdir);
    diag_clear(&d);
}

/* A public directory that cannot be written (immutable): the secrets that were already
 * written are removed again, and so are the directories created for them. */
static void test_readonly_clan_dir_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    char *vars = cat2(f->clan_dir, "/vars");
    assert_int_equal(mkdir(vars, 0755), 0);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "chattr +i '%s' 2>/dev/null", vars);
    if (geteuid() != 0 || system(cmd) != 0) {
        free(vars);
        skip(); /* needs root and a file system with immutable flags */
    }
    int rc = keys_generate(f->store, "m5", &keys_gen_borgbackup, 0, 0, &r, &d);
    snprintf(cmd, sizeof cmd, "chattr -i '%s'", vars);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rc, -EPERM);
    assert_non_null(strstr(d.msg, "cannot create directory"));
    assert_int_equal(count_files_below(f->root), 1);
    assert_false(exists(f->secrets)); /* created for this run, removed again */
    free(vars);
    diag_clear(&d);
}

/* Regenerate with an immutable public value: old files stay exactly as they were. */
static void test_regenerate_failure_restores(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "m6", &keys_gen_borgbackup, 0, 0, &r, &d), 0);
    char *pubdir = strdup(r.public_path);
    *strrchr(pubdir, '/') = '\0';
    keys_result_clear(&r);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "chattr +i '%s' 2>/dev/null", pubdir);
    if (geteuid() != 0 || system(cmd) != 0) {
        free(pubdir);
        skip();
    }
    char *snap = snapshot(f->root);
    int rc = keys_generate(f->store, "m6", &keys_gen_borgbackup, KEYS_REGENERATE, 0, &r, &d);
    snprintf(cmd, sizeof cmd, "chattr -i '%s'", pubdir);
    assert_int_equal(system(cmd), 0);
    assert_true(rc < 0);
    char *snap2 = snapshot(f->root);
    assert_string_equal(snap, snap2);
    free(snap);
    free(snap2);
    free(pubdir);
    diag_clear(&d);
}

/* Regenerate where the public value cannot be replaced (immutable file): the secrets were
 * already replaced when that fails, and come back from the backup. */
static void test_regenerate_place_failure_restores(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "m7", &keys_gen_borgbackup, 0, 0, &r, &d), 0);
    char *pub = strdup(r.public_path);
    keys_result_clear(&r);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "chattr +i '%s' 2>/dev/null", pub);
    if (geteuid() != 0 || system(cmd) != 0) {
        free(pub);
        skip();
    }
    char *snap = snapshot_content(f->root);
    int rc = keys_generate(f->store, "m7", &keys_gen_borgbackup, KEYS_REGENERATE, 0, &r, &d);
    snprintf(cmd, sizeof cmd, "chattr -i '%s'", pub);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(rc, -EPERM);
    assert_non_null(strstr(d.msg, "cannot put in place"));
    char *snap2 = snapshot_content(f->root);
    assert_string_equal(snap, snap2);
    free(snap);
    free(snap2);
    free(pub);
    diag_clear(&d);
}

/* Something already sits at the public value's name (a dangling symlink): refused, nothing
 * is written through it or over it, no secret is left behind. */
static void test_preexisting_name_rolls_back(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    char *pub = keys_public_path(f->store, "m8", "openssh", "ssh.id_ed25519.pub");
    char *dir = strdup(pub);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_parents(dir, 0755, &d), 0);
    assert_int_equal(symlink("/nonexistent/target", pub), 0);
    assert_int_equal(keys_generate(f->store, "m8", &keys_gen_openssh, 0, 0, &r, &d), -EEXIST);
    assert_non_null(strstr(d.msg, "symbolic link to nothing"));
    char target[64] = {0};
    assert_true(readlink(pub, target, sizeof target - 1) > 0);
    assert_string_equal(target, "/nonexistent/target");
    char *sec = keys_secret_path(f->store, "m8", "openssh", "ssh.id_ed25519");
    assert_false(exists(sec));
    assert_false(exists(f->secrets));
    char *snap = snapshot(f->root);
    assert_null(strstr(snap, ".tmp-"));
    free(snap);
    free(sec);
    free(pub);
    free(dir);
    diag_clear(&d);
}

/* ---- vars get ---- */

static void test_var_get(void **state)
{
    struct fixture *f = *state;
    struct diag d = {0};
    struct keys_result r = {0};
    assert_int_equal(keys_generate(f->store, "pg", &keys_gen_borgbackup, 0, 0, &r, &d), 0);
    char *want = slurp(r.public_path);
    char *v = NULL;
    size_t n = 0;
    bool secret = true;
    assert_int_equal(keys_var_get(f->store, "pg", "borgbackup/borgbackup.ssh.pub", &v, &n,
                                  &secret, &d), 0);
    assert_false(secret);
    assert_int_equal(n, strlen(want));
    assert_string_equal(v, want);
    free(v);
    free(want);
    want = slurp(r.secret_paths[1]);
    assert_int_equal(keys_var_get(f->store, "pg", "borgbackup/borgbackup.repokey", &v, &n,
                                  &secret, &d), 0);
    assert_true(secret);
    assert_string_equal(v, want);
    free(v);
    free(want);
    keys_result_clear(&r);
    v = NULL;
    assert_int_equal(keys_var_get(f->store, "other", "borgbackup/borgbackup.ssh.pub", &v, &n,
                                  &secret, &d), -ENOENT);
    assert_non_null(strstr(d.msg, "Var borgbackup/borgbackup.ssh.pub has not been generated yet"));
    assert_int_equal(keys_var_get(f->store, "pg", "borgbackup", &v, &n, &secret, &d), -EINVAL);
    assert_int_equal(keys_var_get(f->store, "pg", "a/b/c", &v, &n, &secret, &d), -EINVAL);
    assert_int_equal(keys_var_get(f->store, "pg", "../x", &v, &n, &secret, &d), -EINVAL);
    assert_int_equal(keys_var_get(f->store, "../pg", "a/b", &v, &n, &secret, &d), -EINVAL);
    /* a sops secret, and no admin identity in the store: named, not decrypted */
    char *sops = cat2(f->clan_dir, "/vars/per-machine/pg/user-password/pw");
    assert_int_equal(mkdir_parents(sops, 0755, &d), 0);
    char *sf = cat2(sops, "/secret");
    write_file(sf, "{\"data\": \"ENC[...]\"}\n");
    assert_int_equal(keys_var_get(f->store, "pg", "user-password/pw", &v, &n, &secret, &d),
                     -ENOKEY);
    assert_non_null(strstr(d.msg, "sops"));
    assert_null(v);
    free(sops);
    free(sf);
    diag_clear(&d);
}

/* ---- over a plan ---- */

struct test_plan {
    struct plan p;
    struct plan_machine m[5];
    struct plan_job alice_jobs[2];
    struct plan_job pg_jobs[1];
};

/* backup-server (server, 192.168.56.104), alice-laptop (client: backup-server + an external
 * storagebox), postgres-server (client), web (no role), nas (server without clients). */
static void make_plan(struct test_plan *t)
{
    memset(t, 0, sizeof(*t));
    t->p.meta_name = (char *)"MY-CLAN";
    t->p.machines = t->m;
    t->p.nmachines = 5;
    t->m[0].name = (char *)"alice-laptop";
    t->m[0].is_client = true;
    t->m[0].jobs = t->alice_jobs;
    t->m[0].njobs = 2;
    t->alice_jobs[0].destination = (char *)"backup-server";
    t->alice_jobs[0].server = (char *)"backup-server";
    t->alice_jobs[1].destination = (char *)"storagebox";
    t->alice_jobs[1].explicit_dest = true;
    t->m[1].name = (char *)"backup-server";
    t->m[1].is_server = true;
    t->m[1].address = (char *)"192.168.56.104";
    t->m[2].name = (char *)"postgres-server";
    t->m[2].is_client = true;
    t->m[2].jobs = t->pg_jobs;
    t->m[2].njobs = 1;
    t->pg_jobs[0].destination = (char *)"backup-server";
    t->pg_jobs[0].server = (char *)"backup-server";
    t->m[3].name = (char *)"web";
    t->m[4].name = (char *)"nas";
    t->m[4].is_server = true;
}

static void test_run_all(void **state)
{
    struct fixture *f = *state;
    struct test_plan t;
    make_plan(&t);
    struct diag d = {0};
    struct keys_report rep;
    assert_int_equal(keys_run(f->store, &t.p, NULL, 0, 0, 1000, &rep, &d), 0);
    /* servers first, then clients with their known_hosts */
    const char *want[][2] = {{"backup-server", "openssh"},
                             {"nas", "openssh"},
                             {"alice-laptop", "borgbackup"},
                             {"alice-laptop", KEYS_KNOWN_HOSTS_GENERATOR},
                             {"postgres-server", "borgbackup"},
                             {"postgres-server", KEYS_KNOWN_HOSTS_GENERATOR}};
    assert_int_equal(rep.nevents, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(rep.events[i].machine, want[i][0]);
        assert_string_equal(rep.events[i].generator, want[i][1]);
        assert_int_equal(rep.events[i].result.outcome, KEYS_GENERATED);
    }
    assert_int_equal(keys_report_failures(&rep), 0);
    assert_int_equal(rep.nissues, 0);
    /* the storagebox is named in a note */
    bool noted = false;
    for (size_t i = 0; i < rep.notes.n; i++)
        noted |= strstr(rep.notes.v[i].msg, "storagebox") != NULL;
    assert_true(noted);
    /* known_hosts: the server's address and its host key, nothing else */
    char *kh = slurp(rep.events[3].result.public_path);
    char *hk = slurp(rep.events[0].result.public_path);
    char *line = NULL;
    assert_true(asprintf(&line, "192.168.56.104 %.80s\n", hk) > 0);
    assert_string_equal(kh, line);
    free(kh);
    free(hk);
    free(line);
    keys_report_free(&rep);

    /* a placeholder address (the guide's "<IP-ADDRESS>") is left out of known_hosts */
    t.m[1].address = (char *)"<IP-ADDRESS>";
    char *text = NULL;
    struct diag_list notes = {0};
    assert_int_equal(keys_known_hosts_text(f->store, &t.p, &t.m[0], &text, &notes), 0);
    assert_string_equal(text, "");
    bool placeholder = false;
    for (size_t i = 0; i < notes.n; i++)
        placeholder |= strstr(notes.v[i].msg, "'<IP-ADDRESS>', which is not a host name") != NULL;
    assert_true(placeholder);
    free(text);
    diag_list_free(&notes);
    t.m[1].address = (char *)"192.168.56.104";

    /* the second run changes nothing */
    char *snap = snapshot(f->root);
    assert_int_equal(keys_run(f->store, &t.p, NULL, 0, 0, 2000, &rep, &d), 0);
    assert_int_equal(rep.nevents, 6);
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(rep.events[i].result.outcome,
                         i == 3 || i == 5 ? KEYS_UNCHANGED : KEYS_EXISTS);
    char *snap2 = snapshot(f->root);
    assert_string_equal(snap, snap2);
    free(snap);
    free(snap2);
    keys_report_free(&rep);
    assert_no_secret_below(f->clan_dir, NULL);

    /* bad selections are refused before anything is written */
    const char *web[] = {"web"};
    assert_int_equal(keys_run(f->store, &t.p, web, 1, 0, 0, &rep, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "no borgbackup role"));
    const char *nope[] = {"alice-laptop", "nope"};
    assert_int_equal(keys_run(f->store, &t.p, nope, 2, 0, 0, &rep, &d), -ENOENT);
    assert_non_null(strstr(d.msg, "no machine 'nope'"));
    assert_int_equal(rep.nevents, 0);
    diag_clear(&d);
}

static void set_mtime(const char *path, time_t sec)
{
    struct timespec ts[2] = {{sec, 0}, {sec, 0}};
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static bool has_issue(const struct keys_report *rep, enum keys_order_kind k, const char *client)
{
    for (size_t i = 0; i < rep->nissues; i++)
        if (rep->issues[i].kind == k && !strcmp(rep->issues[i].client, client))
            return true;
    return false;
}

/* The user's document: a client installed before its server must have its vars
 * re-generated. */
static void test_install_order(void **state)
{
    struct fixture *f = *state;
    struct test_plan t;
    make_plan(&t);
    struct diag d = {0};
    struct keys_report rep;
    const char *alice[] = {"alice-laptop"};
    const char *server[] = {"backup-server"};
    assert_int_equal(keys_run(f->store, &t.p, alice, 1, 0, 0, &rep, &d), 0);
    assert_int_equal(rep.nevents, 1); /* no known_hosts: no host key yet */
    assert_int_equal(rep.nissues, 1);
    assert_true(has_issue(&rep, KEYS_ORDER_NO_HOST_KEY, "alice-laptop"));
    assert_string_equal(rep.issues[0].server, "backup-server");
    bool warned = false;
    for (size_t i = 0; i < rep.notes.n; i++)
        warned |= rep.notes.v[i].severity == DIAG_WARNING &&
                  strstr(rep.notes.v[i].msg, "no host key yet") != NULL;
    assert_true(warned);
    char *apub = strdup(rep.events[0].result.public_path);
    keys_report_free(&rep);
    set_mtime(apub, 1000000000); /* long before the server's key */

    assert_int_equal(keys_run(f->store, &t.p, server, 1, 0, 0, &rep, &d), 0);
    assert_true(has_issue(&rep, KEYS_ORDER_PREDATES, "alice-laptop"));
    assert_non_null(strstr(rep.issues[0].message, "re-generate"));
    keys_report_free(&rep);

    /* the fix: re-generate the client's vars */
    assert_int_equal(keys_run(f->store, &t.p, alice, 1, KEYS_REGENERATE, 0, &rep, &d), 0);
    assert_int_equal(rep.events[0].result.outcome, KEYS_REGENERATED);
    assert_int_equal(rep.events[1].result.outcome, KEYS_GENERATED); /* known_hosts */
    assert_int_equal(rep.nissues, 0);
    keys_report_free(&rep);

    /* a known_hosts edited by hand no longer holds the host key */
    char *kh = keys_public_path(f->store, "alice-laptop", KEYS_KNOWN_HOSTS_GENERATOR,
                                KEYS_KNOWN_HOSTS_FILE);
    write_file(kh, "192.168.56.104 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4"
                   "tRYW+gqBIfdWbG0NU3XL\n");
    struct keys_order_issue *iss = NULL;
    size_t n = 0;
    assert_int_equal(keys_order_check(f->store, &t.p, &iss, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(iss[0].kind, KEYS_ORDER_KNOWN_HOSTS);
    keys_order_issues_free(iss, n);
    /* running keygen for the client refreshes it */
    assert_int_equal(keys_run(f->store, &t.p, alice, 1, 0, 0, &rep, &d), 0);
    assert_int_equal(rep.events[0].result.outcome, KEYS_EXISTS);
    assert_int_equal(rep.events[1].result.outcome, KEYS_UPDATED);
    assert_int_equal(rep.nissues, 0);
    keys_report_free(&rep);
    free(kh);
    free(apub);
}

/* Vars that Clan generated (public values, sops secrets in the repository, nothing in our
 * secrets directory) are judged from the public values, and named as Clan's. */
static void test_install_order_clan_vars(void **state)
{
    struct fixture *f = *state;
    struct test_plan t;
    make_plan(&t);
    struct diag d = {0};
    struct keys_keypair *k = NULL;
    assert_int_equal(keys_keypair_generate(&k, &d), 0);
    char *pub = keys_public_path(f->store, "postgres-server", "borgbackup", "borgbackup.ssh.pub");
    char *dir = strdup(pub);
    *strrchr(dir, '/') = '\0';
    assert_int_equal(mkdir_parents(dir, 0755, &d), 0);
    write_file(pub, k->public_line);
    char *sops = cat2(f->clan_dir, "/vars/per-machine/postgres-server/borgbackup/borgbackup.ssh");
    assert_int_equal(mkdir_parents(sops, 0755, &d), 0);
    char *sf = cat2(sops, "/secret");
    write_file(sf, "{\"data\": \"ENC[AES256_GCM,...]\"}\n");
    /* a store without a secrets directory is enough */
    struct keys_store *pub_only = NULL;
    assert_int_equal(keys_store_open(f->clan_file, NULL, &pub_only, &d), 0);
    struct keys_order_issue *iss = NULL;
    size_t n = 0;
    assert_int_equal(keys_order_check(pub_only, &t.p, &iss, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(iss[0].kind, KEYS_ORDER_NO_HOST_KEY);
    assert_string_equal(iss[0].client, "postgres-server");
    assert_true(iss[0].clan_managed);
    assert_non_null(strstr(iss[0].message, "made by clan"));
    keys_order_issues_free(iss, n);
    /* the server's host key, written later by clan too */
    char *hk = keys_public_path(f->store, "backup-server", "openssh", "ssh.id_ed25519.pub");
    char *hdir = strdup(hk);
    *strrchr(hdir, '/') = '\0';
    assert_int_equal(mkdir_parents(hdir, 0755, &d), 0);
    write_file(hk, k->public_line);
    set_mtime(pub, 1000000000);
    assert_int_equal(keys_order_check(pub_only, &t.p, &iss, &n, &d), 0);
    assert_int_equal(n, 1);
    assert_int_equal(iss[0].kind, KEYS_ORDER_PREDATES);
    keys_order_issues_free(iss, n);
    /* generated in the right order: nothing to report, and no known_hosts is demanded */
    set_mtime(pub, 2000000000);
    assert_int_equal(keys_order_check(pub_only, &t.p, &iss, &n, &d), 0);
    assert_int_equal(n, 0);
    free(iss);
    keys_store_free(pub_only);
    keys_keypair_free(k);
    free(pub);
    free(dir);
    free(sops);
    free(sf);
    free(hk);
    free(hdir);
}

/* keys_upload_target_parse: repo and rsh as borg hands them to ssh. */
static void check_target(const char *repo, const char *rsh, const char *want, bool box)
{
    struct keys_upload_target t = {0};
    struct diag d = {0};
    if (keys_upload_target_parse(repo, rsh, &t, &d) < 0)
        fail_msg("%s / %s: %s", repo, rsh ? rsh : "-", d.msg);
    char *text = keys_upload_target_text(&t);
    if (strcmp(text, want))
        fail_msg("%s / %s: got %s, expected %s", repo, rsh ? rsh : "-", text, want);
    assert_int_equal(t.storage_box, box);
    free(text);
    keys_upload_target_clear(&t);
}

static void refuse_target(const char *repo, const char *rsh, const char *msg)
{
    struct keys_upload_target t = {0};
    struct diag d = {0};
    assert_true(keys_upload_target_parse(repo, rsh, &t, &d) < 0);
    if (!d.msg || !strstr(d.msg, msg))
        fail_msg("%s / %s: message '%s' lacks '%s'", repo, rsh ? rsh : "-", d.msg, msg);
    diag_clear(&d);
}

static void test_upload_target(void **state)
{
    (void)state;
    check_target("u1@u1.your-storagebox.de:/./borgbackup",
                 "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh",
                 "u1@u1.your-storagebox.de:23", true);
    check_target("borg@192.168.56.104:.", NULL, "borg@192.168.56.104", false);
    check_target("ssh://borg@host.example:2222/./repo", "ssh -p 23", "borg@host.example:2222", false);
    check_target("ssh://[2001:db8::1]:23/r", NULL, "[2001:db8::1]:23", false);
    check_target("borg@[2001:db8::2]:repo", "ssh -o Port=2200", "borg@[2001:db8::2]:2200", false);
    check_target("host:repo", "ssh -oPort=24 -l backup", "backup@host:24", false);
    check_target("me@host:repo", "ssh -l other -p24", "me@host:24", false);
    check_target("me@host:repo", "'ssh' -o 'Port 25' -i \"/k ey\"", "me@host:25", false);
    check_target("U@U.YOUR-STORAGEBOX.DE:x", "", "U@U.YOUR-STORAGEBOX.DE", true);
    refuse_target("/var/lib/borg", NULL, "not reached over SSH");
    refuse_target("file:///x", NULL, "not reached over SSH");
    refuse_target("", NULL, "is empty");
    refuse_target("nohost", NULL, "has no host");
    refuse_target("u@h:r", "ssh -p", "without its value");
    refuse_target("u@h:r", "ssh -p 70000", "no port");
    refuse_target("u@h:r", "ssh -i 'unclosed", "unclosed quote");
    refuse_target("ssh://h:0/r", NULL, "no number");
    refuse_target("@h:r", NULL, "no usable user@host");
}

/* The remote command carries the key as single shell words, and the presence check sees
 * the key with any comment or options. */
static void test_upload_command(void **state)
{
    (void)state;
    static const char pub[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XL it's $(me)\n";
    char *cmd = NULL;
    struct diag d = {0};
    assert_int_equal(keys_upload_command(pub, strlen(pub), &cmd, &d), 0);
    assert_non_null(strstr(cmd, "k='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XL'"));
    assert_non_null(strstr(cmd, "'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XL it'\\''s $(me)'"));
    free(cmd);
    assert_true(keys_upload_command("not a key", 9, &cmd, &d) < 0);
    diag_clear(&d);
    const char *ak = "from=\"10.0.0.1\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XL other\n";
    assert_true(keys_upload_line_present(ak, strlen(ak), pub, strlen(pub)));
    const char *longer = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZGMNlooljzJfmzQKaVcmj4tRYW+gqBIfdWbG0NU3XLx\n";
    assert_false(keys_upload_line_present(longer, strlen(longer), pub, strlen(pub)));
    assert_false(keys_upload_line_present("", 0, pub, strlen(pub)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upload_target),
        cmocka_unit_test(test_upload_command),
        cmocka_unit_test(test_passphrase_encode),
        cmocka_unit_test(test_passphrase_generate),
        cmocka_unit_test(test_keypair),
        cmocka_unit_test(test_public_bad),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_default_secrets_dir),
        cmocka_unit_test_setup_teardown(test_store_refuses_inside, setup, teardown),
        cmocka_unit_test_setup_teardown(test_generate_then_exists, setup, teardown),
        cmocka_unit_test_setup_teardown(test_openssh_host_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regenerate_keeps_backup, setup, teardown),
        cmocka_unit_test_setup_teardown(test_incomplete_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preexisting_public_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mismatch_reported, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secret_dir_mode_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_clan_dir_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regenerate_failure_restores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regenerate_place_failure_restores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_preexisting_name_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_var_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_run_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_install_order_clan_vars, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
