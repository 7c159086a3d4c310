/* The vars store: public values beside clan.nix, secrets outside the clan directory, and
 * all-or-nothing generation of a generator's files. */
#include "core/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/keys/internal.h"
#include "core/util.h"

const struct keys_generator keys_gen_borgbackup = {
    "borgbackup", "borgbackup.ssh", "borgbackup.ssh.pub", "borgbackup.repokey",
    "borgbackup SSH key"};
const struct keys_generator keys_gen_openssh = {
    "openssh", "ssh.id_ed25519", "ssh.id_ed25519.pub", NULL, "SSH host key"};

#define SECRET_DIR_MODE 0700
#define SECRET_FILE_MODE 0600
#define PUBLIC_DIR_MODE 0755
#define PUBLIC_FILE_MODE 0644

int keys_check_name(const char *what, const char *name, struct diag *d)
{
    if (!name || !*name)
        return diag_errno(d, EINVAL, NULL, "empty %s; expected letters, digits, '.', '_', '-'",
                          what);
    size_t n = strlen(name);
    if (n > 255)
        return diag_errno(d, EINVAL, NULL, "%s '%.40s...' is longer than 255 bytes", what, name);
    if (name[0] == '.')
        return diag_errno(d, EINVAL, NULL, "%s '%s' starts with '.'; expected a name that can be "
                          "a directory name", what, name);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return diag_errno(d, EINVAL, NULL,
                              "%s '%s' contains '%c'; expected letters, digits, '.', '_', '-'",
                              what, name, c >= 0x20 && c < 0x7f ? c : '?');
    }
    return 0;
}

/* ---- paths ---- */

static bool path_is_inside(const char *child, const char *parent)
{
    size_t n = strlen(parent);
    if (n == 1 && parent[0] == '/')
        return true;
    return strncmp(child, parent, n) == 0 && (child[n] == '\0' || child[n] == '/');
}

/* Absolute form of path with symlinks resolved as far as the path exists; the part that does
 * not exist yet is appended as written ('.' dropped, '..' refused: it cannot be resolved). */
static int resolve_partial(const char *path, char **out, struct diag *d)
{
    struct buf abs = {0};
    if (path[0] != '/') {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return diag_errno(d, errno, path, "cannot resolve: %s", strerror(errno));
        buf_puts(&abs, cwd);
        buf_putc(&abs, '/');
    }
    if (buf_puts(&abs, path) < 0) {
        buf_free(&abs);
        return diag_errno(d, ENOMEM, path, "out of memory");
    }
    /* find the longest existing prefix */
    char *p = abs.p;
    size_t cut = strlen(p);
    char *real = NULL;
    for (;;) {
        char save = p[cut];
        p[cut] = '\0';
        real = realpath(cut ? p : "/", NULL);
        p[cut] = save;
        if (real)
            break;
        if (errno != ENOENT && errno != ENOTDIR) {
            int e = errno;
            buf_free(&abs);
            return diag_errno(d, e, path, "cannot resolve: %s", strerror(e));
        }
        while (cut > 0 && p[cut - 1] == '/')
            cut--;
        while (cut > 0 && p[cut - 1] != '/')
            cut--;
    }
    struct buf res = {0};
    buf_puts(&res, real);
    free(real);
    char *rest = p + cut;
    char *save = NULL;
    int r = 0;
    for (char *c = strtok_r(rest, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        if (!strcmp(c, "."))
            continue;
        if (!strcmp(c, "..")) {
            r = diag_errno(d, EINVAL, path, "'..' after a directory that does not exist yet; "
                           "expected a path that can be resolved");
            break;
        }
        if (res.len == 0 || res.p[res.len - 1] != '/')
            buf_putc(&res, '/');
        buf_puts(&res, c);
    }
    buf_free(&abs);
    if (r < 0 || !res.p) {
        buf_free(&res);
        return r < 0 ? r : diag_errno(d, ENOMEM, path, "out of memory");
    }
    *out = buf_steal(&res);
    return 0;
}

int keys_default_secrets_dir(const char *xdg_data_home, const char *home, const char *clan_name,
                             char **out, struct diag *d)
{
    int r = keys_check_name("clan name (meta.name)", clan_name, d);
    if (r < 0)
        return r;
    char *s = NULL;
    if (xdg_data_home && xdg_data_home[0] == '/')
        r = asprintf(&s, "%s/clan-tui/secrets/%s", xdg_data_home, clan_name);
    else if (home && home[0] == '/')
        r = asprintf(&s, "%s/.local/share/clan-tui/secrets/%s", home, clan_name);
    else
        return diag_errno(d, ENOENT, NULL, "neither XDG_DATA_HOME nor HOME is an absolute path; "
                          "expected one of them, or an explicit secrets directory");
    if (r < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    *out = s;
    return 0;
}

void keys_store_free(struct keys_store *s)
{
    if (!s)
        return;
    free(s->clan_dir);
    free(s->secrets_dir);
    keys_admin_free(s->admin);
    for (size_t i = 0; i < s->ngroups; i++)
        free(s->groups[i]);
    free(s->groups);
    free(s->backup_root);
    keys_names_free(s->names);
    free(s);
}

int keys_store_open(const char *clan_file, const char *secrets_dir, struct keys_store **out,
                    struct diag *d)
{
    char *file = realpath(clan_file, NULL);
    if (!file)
        return diag_errno(d, errno, clan_file, "cannot open: %s", strerror(errno));
    struct keys_store *s = calloc(1, sizeof(*s));
    if (!s) {
        free(file);
        return diag_errno(d, ENOMEM, clan_file, "out of memory");
    }
    s->clan_dir = strdup(dirname(file));
    free(file);
    int r = s->clan_dir ? 0 : diag_errno(d, ENOMEM, clan_file, "out of memory");
    if (r == 0 && secrets_dir)
        r = resolve_partial(secrets_dir, &s->secrets_dir, d);
    else if (r == 0)
        return *out = s, 0; /* public values only */
    if (r == 0 && path_is_inside(s->secrets_dir, s->clan_dir))
        r = diag_errno(d, EPERM, secrets_dir,
                       "secrets directory is inside the clan directory %s; private keys must "
                       "never be stored in plaintext there: expected a directory outside it",
                       s->clan_dir);
    if (r < 0) {
        keys_store_free(s);
        return r;
    }
    *out = s;
    return 0;
}

char *keys_public_path(const struct keys_store *s, const char *machine, const char *generator,
                       const char *file)
{
    char *p = NULL;
    if (asprintf(&p, "%s/vars/per-machine/%s/%s/%s/value", s->clan_dir, machine, generator,
                 file) < 0)
        return NULL;
    return p;
}

char *keys_secret_path(const struct keys_store *s, const char *machine, const char *generator,
                       const char *file)
{
    char *p = NULL;
    if (!s->secrets_dir)
        return NULL;
    if (asprintf(&p, "%s/%s/%s/%s", s->secrets_dir, machine, generator, file) < 0)
        return NULL;
    return p;
}

/* ---- small file helpers ---- */

void dir_list_free(struct dir_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Remove the directories we created, deepest first (only if empty). */
void dir_list_remove(struct dir_list *l)
{
    for (size_t i = l->n; i-- > 0;)
        rmdir(l->v[i]);
}

int fsync_path(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fsync(fd) < 0 && errno != EINVAL ? -errno : 0;
    close(fd);
    return r;
}

/* mkdir -p, recording every directory created (each gets exactly `mode`). */
int make_dirs(const char *path, mode_t mode, struct dir_list *created, struct diag *d)
{
    char *p = strdup(path);
    if (!p)
        return diag_errno(d, ENOMEM, path, "out of memory");
    int r = 0;
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        if (mkdir(p, mode) == 0) {
            char **nv = realloc(created->v, (created->n + 1) * sizeof(*nv));
            char *copy = strdup(p);
            if (!nv || !copy) {
                free(copy);
                if (nv)
                    created->v = nv;
                rmdir(p);
                r = diag_errno(d, ENOMEM, path, "out of memory");
                break;
            }
            created->v = nv;
            created->v[created->n++] = copy;
            /* the umask must not widen or narrow what we promise */
            if (chmod(p, mode) < 0) {
                r = diag_errno(d, errno, p, "cannot set mode %o: %s", (unsigned)mode,
                               strerror(errno));
                break;
            }
        } else if (errno != EEXIST) {
            r = diag_errno(d, errno, p, "cannot create directory: %s", strerror(errno));
            break;
        } else {
            struct stat st;
            if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode)) {
                r = diag_errno(d, ENOTDIR, p, "exists and is not a directory");
                break;
            }
        }
        if (end)
            break;
        *s = '/';
    }
    free(p);
    return r;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Set the exact mode, write, fsync, close: 0 or -errno (the fd is closed either way). */
static int fill_and_close(int fd, const char *data, size_t len, mode_t mode)
{
    int r = fchmod(fd, mode) < 0 ? -errno : 0;
    if (r == 0)
        r = write_all(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (close(fd) < 0 && r == 0)
        r = -errno;
    return r;
}

/* A new file with O_EXCL (never an existing one), exactly `mode`, written and fsync'ed. On
 * failure the file is gone again. */
int write_new_file(const char *path, const char *data, size_t len, mode_t mode,
                          struct diag *d)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);
    if (fd < 0)
        return diag_errno(d, errno, path, "cannot create: %s", strerror(errno));
    int r = fill_and_close(fd, data, len, mode);
    if (r < 0) {
        unlink(path);
        return diag_errno(d, r, path, "cannot write: %s", strerror(-r));
    }
    return 0;
}

/* A temporary file beside final: DIR/.BASE.tmp-XXXXXX (O_EXCL by mkostemp). */
static int write_temp(const char *final, const char *data, size_t len, mode_t mode, char **tmp,
                      struct diag *d)
{
    const char *slash = strrchr(final, '/');
    char *t = NULL;
    if (asprintf(&t, "%.*s/.%s.tmp-XXXXXX", (int)(slash - final), final, slash + 1) < 0)
        return diag_errno(d, ENOMEM, final, "out of memory");
    int fd = mkostemp(t, O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(t);
        return diag_errno(d, e, final, "cannot create a temporary file beside it: %s",
                          strerror(e));
    }
    int r = fill_and_close(fd, data, len, mode);
    if (r < 0) {
        unlink(t);
        free(t);
        return diag_errno(d, r, final, "cannot write: %s", strerror(-r));
    }
    *tmp = t;
    return 0;
}

/* Move tmp to final only if final does not exist (atomic where the file system can). */
static int place_new(const char *tmp, const char *final)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return -errno;
    /* no RENAME_NOREPLACE here: link() refuses an existing name just the same */
    if (link(tmp, final) < 0)
        return -errno;
    unlink(tmp);
    return 0;
}

static int read_small(const char *path, char **out, size_t *len, struct diag *d)
{
    return file_read(path, out, len, NULL, d);
}

static void wipe(char *p, size_t len)
{
    if (p) {
        explicit_bzero(p, len);
        free(p);
    }
}

/* ---- status ---- */

void keys_status_clear(struct keys_status *st)
{
    if (!st)
        return;
    free(st->missing);
    free(st->fingerprint);
    memset(st, 0, sizeof(*st));
}

struct gen_files {
    char *path[3];   /* private (secret), passphrase (secret, may be NULL), public */
    const char *name[3];
    bool secret[3];
    size_t n;
};

static void gen_files_free(struct gen_files *f)
{
    for (size_t i = 0; i < 3; i++)
        free(f->path[i]);
    memset(f, 0, sizeof(*f));
}

/* Secrets first, public value last: the order files are placed in, so that a public value
 * never exists without its private key. */
static int gen_files_init(const struct keys_store *s, const char *machine,
                          const struct keys_generator *g, struct gen_files *f, struct diag *d)
{
    memset(f, 0, sizeof(*f));
    if (!s->secrets_dir && !s->admin)
        return diag_errno(d, EINVAL, NULL, "no secrets directory; expected one outside the "
                          "clan directory");
    char *(*secret_path)(const struct keys_store *, const char *, const char *, const char *) =
        s->admin ? keys_sops_path : keys_secret_path;
    f->name[f->n] = g->private_file;
    f->secret[f->n] = true;
    f->path[f->n++] = secret_path(s, machine, g->name, g->private_file);
    if (g->passphrase_file) {
        f->name[f->n] = g->passphrase_file;
        f->secret[f->n] = true;
        f->path[f->n++] = secret_path(s, machine, g->name, g->passphrase_file);
    }
    f->name[f->n] = g->public_file;
    f->secret[f->n] = false;
    f->path[f->n++] = keys_public_path(s, machine, g->name, g->public_file);
    for (size_t i = 0; i < f->n; i++)
        if (!f->path[i]) {
            gen_files_free(f);
            return diag_errno(d, ENOMEM, NULL, "out of memory");
        }
    return 0;
}

static int key_only(const char *line, size_t len, char **out)
{
    struct diag tmp = {0};
    int r = keys_public_key_only(line, len, out, &tmp);
    diag_clear(&tmp);
    return r;
}

/* A private key file: plain in the secrets directory, or a sops file decrypted with the
 * admin's identities. */
static int read_private(const struct keys_store *s, const char *path, char **out, size_t *len,
                        struct diag *d)
{
    if (!s->admin)
        return read_small(path, out, len, d);
    char *text = NULL;
    size_t tlen = 0;
    unsigned char *pt = NULL;
    int r = read_small(path, &text, &tlen, d);
    if (r == 0)
        r = sops_decrypt(&s->admin->ids, path, text, tlen, &pt, len, d);
    free(text);
    if (r == 0)
        *out = (char *)pt;
    return r;
}

int keys_status_get(const struct keys_store *s, const char *machine,
                    const struct keys_generator *g, struct keys_status *out, struct diag *d)
{
    int r = keys_check_name("machine name", machine, d);
    if (r < 0)
        return r;
    struct gen_files f;
    r = gen_files_init(s, machine, g, &f, d);
    if (r < 0)
        return r;
    struct keys_status st = {0};
    bool exists[3] = {false, false, false};
    size_t nexist = 0;
    struct buf missing = {0};
    struct stat sb;
    for (size_t i = 0; i < f.n && r == 0; i++) {
        if (stat(f.path[i], &sb) == 0) {
            if (!S_ISREG(sb.st_mode)) {
                r = diag_errno(d, EINVAL, f.path[i], "exists and is not a regular file");
                break;
            }
            exists[i] = true;
            nexist++;
            if (f.secret[i])
                st.secrets_present++;
            else
                st.public_present = true;
            if (!f.secret[i])
                st.public_mtime_ns =
                    (int64_t)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec;
        } else if ((errno == ENOENT || errno == ENOTDIR) && lstat(f.path[i], &sb) == 0) {
            /* never write through, or over, a link someone planted there */
            r = diag_errno(d, EEXIST, f.path[i], "is a symbolic link to nothing; expected a "
                           "regular file or no file at all: left alone");
        } else if (errno == ENOENT || errno == ENOTDIR) {
            buf_printf(&missing, "%s%s", missing.len ? ", " : "", f.path[i]);
        } else {
            r = diag_errno(d, errno, f.path[i], "cannot stat: %s", strerror(errno));
        }
    }
    size_t pub = f.n - 1;
    if (r == 0 && exists[pub]) {
        char *text = NULL;
        size_t len = 0;
        r = read_small(f.path[pub], &text, &len, d);
        if (r == 0) {
            struct diag tmp = {0};
            r = keys_public_fingerprint(text, len, &st.fingerprint, &tmp);
            if (r < 0) {
                r = diag_errno(d, r, f.path[pub], "%s", tmp.msg);
                diag_clear(&tmp);
            }
        }
        if (r == 0 && exists[0]) {
            /* does the stored private key belong to this public value? */
            char *priv = NULL, *derived = NULL, *a = NULL, *b = NULL;
            size_t plen = 0;
            struct diag tmp = {0};
            if (read_private(s, f.path[0], &priv, &plen, &tmp) == 0 &&
                keys_private_to_public(priv, plen, &derived, &tmp) == 0 &&
                key_only(derived, strlen(derived), &a) == 0 && key_only(text, len, &b) == 0)
                st.mismatch = strcmp(a, b) != 0;
            else
                st.mismatch = true;
            diag_clear(&tmp);
            wipe(priv, plen);
            free(derived);
            free(a);
            free(b);
        }
        free(text);
    }
    if (r == 0) {
        st.state = nexist == 0 ? KEYS_ABSENT : nexist == f.n ? KEYS_PRESENT : KEYS_INCOMPLETE;
        if (st.state == KEYS_INCOMPLETE)
            st.missing = buf_steal(&missing);
        *out = st;
    } else {
        keys_status_clear(&st);
    }
    buf_free(&missing);
    gen_files_free(&f);
    return r;
}

/* ---- results ---- */

const char *keys_outcome_name(enum keys_outcome o)
{
    switch (o) {
    case KEYS_GENERATED: return "generated";
    case KEYS_EXISTS: return "exists";
    case KEYS_REGENERATED: return "regenerated";
    case KEYS_UPDATED: return "updated";
    case KEYS_UNCHANGED: return "unchanged";
    case KEYS_FAILED: return "failed";
    }
    return "?";
}

void keys_result_clear(struct keys_result *r)
{
    if (!r)
        return;
    free(r->fingerprint);
    free(r->old_fingerprint);
    free(r->public_path);
    for (size_t i = 0; i < 2; i++)
        free(r->secret_paths[i]);
    free(r->backup_dir);
    memset(r, 0, sizeof(*r));
}

static void result_paths(struct keys_result *res, struct gen_files *f)
{
    /* hand the paths over: secrets, then the public value */
    for (size_t i = 0; i < f->n; i++) {
        if (f->secret[i])
            res->secret_paths[res->nsecrets++] = f->path[i];
        else
            res->public_path = f->path[i];
        f->path[i] = NULL;
    }
}

/* ---- generation ---- */

struct pending {
    char *tmp;
    bool existed;
    bool placed;
    char *backup; /* regenerate: copy of the old file */
};

/* A fresh, dated backup directory inside secdir (never reuses one). */
static int make_backup_dir(const char *secdir, int64_t now, char **out, struct diag *d)
{
    time_t t = (time_t)now;
    struct tm tm;
    char stamp[32];
    if (!gmtime_r(&t, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
        snprintf(stamp, sizeof(stamp), "%lld", (long long)now);
    for (int i = 0; i < 1000; i++) {
        char *p = NULL;
        int r = i ? asprintf(&p, "%s/backup-%s.%d", secdir, stamp, i)
                  : asprintf(&p, "%s/backup-%s", secdir, stamp);
        if (r < 0)
            return diag_errno(d, ENOMEM, secdir, "out of memory");
        if (mkdir(p, SECRET_DIR_MODE) == 0) {
            if (chmod(p, SECRET_DIR_MODE) < 0) {
                int e = errno;
                rmdir(p);
                free(p);
                return diag_errno(d, e, secdir, "cannot set the backup's mode: %s",
                                  strerror(e));
            }
            *out = p;
            return 0;
        }
        int e = errno;
        free(p);
        if (e != EEXIST)
            return diag_errno(d, e, secdir, "cannot create a backup directory: %s",
                              strerror(e));
    }
    return diag_errno(d, EEXIST, secdir, "too many backups with the same date");
}

/* The secrets directory of one machine's generator must be ours and private, and must not
 * lead back into the clan directory through a symlink. */
static int check_secret_dir(const struct keys_store *s, const char *secdir, struct diag *d)
{
    struct stat st;
    if (stat(secdir, &st) < 0)
        return diag_errno(d, errno, secdir, "cannot stat: %s", strerror(errno));
    if (st.st_uid != geteuid())
        return diag_errno(d, EPERM, secdir, "secrets directory belongs to uid %u, not to us; "
                          "expected our own directory", (unsigned)st.st_uid);
    if (st.st_mode & 077)
        return diag_errno(d, EPERM, secdir, "secrets directory has mode %04o, so others can "
                          "reach the keys in it; expected 0700 (chmod 700 it)",
                          (unsigned)(st.st_mode & 07777));
    char *real = realpath(secdir, NULL);
    if (!real)
        return diag_errno(d, errno, secdir, "cannot resolve: %s", strerror(errno));
    bool inside = path_is_inside(real, s->clan_dir);
    free(real);
    if (inside)
        return diag_errno(d, EPERM, secdir, "secrets directory leads into the clan directory %s;"
                          " expected a directory outside it", s->clan_dir);
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strndup(path, (size_t)(slash - path));
}

int keys_generate(const struct keys_store *s, const char *machine, const struct keys_generator *g,
                  unsigned flags, int64_t now, struct keys_result *out, struct diag *d)
{
    if (s->admin)
        return keys_generate_sops(s, machine, g, flags, now, out, d);
    struct keys_status st;
    int r = keys_status_get(s, machine, g, &st, d);
    if (r < 0)
        return r;
    bool regen = flags & KEYS_REGENERATE;
    struct gen_files f;
    r = gen_files_init(s, machine, g, &f, d);
    if (r < 0) {
        keys_status_clear(&st);
        return r;
    }
    struct keys_result res = {0};
    if (st.state == KEYS_PRESENT && !regen) {
        res.outcome = KEYS_EXISTS;
        res.fingerprint = st.fingerprint;
        st.fingerprint = NULL;
        res.mismatch = st.mismatch;
        result_paths(&res, &f);
        keys_status_clear(&st);
        *out = res;
        return 0;
    }
    if (st.state == KEYS_INCOMPLETE && !regen) {
        char *sops = NULL;
        struct stat sb;
        if (asprintf(&sops, "%s/vars/per-machine/%s/%s/%s/secret", s->clan_dir, machine,
                     g->name, g->private_file) < 0)
            sops = NULL;
        if (st.public_present && !st.secrets_present && sops && stat(sops, &sb) == 0)
            r = diag_errno(d, EEXIST, NULL, "%s's %s was generated by clan (its secret is "
                           "sops-encrypted in %s); left alone", machine, g->what, sops);
        else if (st.public_present && !st.secrets_present)
            r = diag_errno(d, EEXIST, NULL, "%s's %s exists, but its secret is not in the secrets "
                           "directory %s (another secrets directory? then give that one); "
                           "left alone, or regenerate it (the public value is kept as a backup)",
                           machine, g->what, s->secrets_dir);
        else
            r = diag_errno(d, EEXIST, NULL, "%s's %s is incomplete (missing: %s); refusing to "
                           "touch the files that exist: regenerate it (they are kept as a "
                           "backup)", machine, g->what, st.missing);
        free(sops);
        keys_status_clear(&st);
        gen_files_free(&f);
        return r;
    }

    struct keys_keypair *kp = NULL;
    char *pass = NULL;
    char *secdir = NULL, *pubdir = NULL, *backup_dir = NULL;
    struct dir_list created = {0};
    bool restore_failed = false;
    struct pending pend[3];
    memset(pend, 0, sizeof(pend));
    const char *data[3];
    size_t len[3];

    r = keys_keypair_generate(&kp, d);
    if (r == 0 && g->passphrase_file)
        r = keys_passphrase_generate(&pass, d);
    if (r < 0)
        goto fail;
    /* the pass file ends with a newline, like `xkcdpass > file`; borg strips it */
    char passline[KEYS_PASSPHRASE_LEN + 2];
    if (pass)
        snprintf(passline, sizeof(passline), "%s\n", pass);
    for (size_t i = 0; i < f.n; i++) {
        const char *name = f.name[i];
        if (name == g->private_file) {
            data[i] = kp->private_key;
            len[i] = kp->private_len;
        } else if (name == g->public_file) {
            data[i] = kp->public_line;
            len[i] = strlen(kp->public_line);
        } else {
            data[i] = passline;
            len[i] = strlen(passline);
        }
    }

    secdir = dir_of(f.path[0]);
    pubdir = dir_of(f.path[f.n - 1]);
    if (!secdir || !pubdir) {
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
        goto fail;
    }
    r = make_dirs(secdir, SECRET_DIR_MODE, &created, d);
    if (r == 0)
        r = check_secret_dir(s, secdir, d);
    if (r == 0)
        r = make_dirs(pubdir, PUBLIC_DIR_MODE, &created, d);
    for (size_t i = 0; i < f.n && r == 0; i++) {
        struct stat sb;
        pend[i].existed = stat(f.path[i], &sb) == 0;
        if (pend[i].existed && !regen) {
            r = diag_errno(d, EEXIST, f.path[i], "appeared while generating; left alone");
            break;
        }
        r = write_temp(f.path[i], data[i], len[i],
                       f.secret[i] ? SECRET_FILE_MODE : PUBLIC_FILE_MODE, &pend[i].tmp, d);
    }
    if (r < 0)
        goto fail;

    /* regenerate: keep every old file before anything is replaced */
    bool any_old = false;
    for (size_t i = 0; i < f.n; i++)
        any_old |= pend[i].existed;
    if (any_old) {
        r = make_backup_dir(secdir, now, &backup_dir, d);
        for (size_t i = 0; i < f.n && r == 0; i++) {
            if (!pend[i].existed)
                continue;
            char *old = NULL;
            size_t olen = 0;
            r = read_small(f.path[i], &old, &olen, d);
            if (r == 0 && asprintf(&pend[i].backup, "%s/%s", backup_dir, f.name[i]) < 0) {
                pend[i].backup = NULL;
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            }
            if (r == 0)
                r = write_new_file(pend[i].backup, old, olen, SECRET_FILE_MODE, d);
            if (r < 0) {
                free(pend[i].backup);
                pend[i].backup = NULL;
            }
            wipe(old, olen);
        }
        if (r == 0 && fsync_path(backup_dir) < 0)
            r = diag_errno(d, EIO, backup_dir, "cannot sync the backup directory");
        if (r < 0)
            goto fail;
    }

    /* place: secrets first, the public value last */
    for (size_t i = 0; i < f.n; i++) {
        int e = pend[i].existed ? (rename(pend[i].tmp, f.path[i]) == 0 ? 0 : -errno)
                                : place_new(pend[i].tmp, f.path[i]);
        if (e < 0) {
            r = e == -EEXIST
                    ? diag_errno(d, e, f.path[i], "appeared while generating; left alone")
                    : diag_errno(d, e, f.path[i], "cannot put in place: %s", strerror(-e));
            goto fail;
        }
        pend[i].placed = true;
        free(pend[i].tmp);
        pend[i].tmp = NULL;
    }
    fsync_path(secdir);
    fsync_path(pubdir);
    for (size_t i = 0; i < created.n; i++) {
        char *parent = dir_of(created.v[i]);
        if (parent) {
            fsync_path(parent);
            free(parent);
        }
    }

    res.outcome = any_old ? KEYS_REGENERATED : KEYS_GENERATED;
    res.fingerprint = strdup(kp->fingerprint);
    res.old_fingerprint = st.fingerprint;
    st.fingerprint = NULL;
    res.backup_dir = backup_dir;
    backup_dir = NULL;
    result_paths(&res, &f);
    if (!res.fingerprint) {
        keys_result_clear(&res);
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
        goto cleanup; /* the files are in place: nothing to undo */
    }
    *out = res;
    r = 0;
    goto cleanup;

fail:
    /* undo in reverse: new files go, replaced ones come back from the backup */
    for (size_t i = f.n; i-- > 0;) {
        if (pend[i].placed) {
            if (!pend[i].existed) {
                unlink(f.path[i]);
            } else if (pend[i].backup) {
                char *old = NULL, *tmp = NULL;
                size_t olen = 0;
                struct diag ignore = {0};
                if (read_small(pend[i].backup, &old, &olen, &ignore) == 0 &&
                    write_temp(f.path[i], old, olen,
                               f.secret[i] ? SECRET_FILE_MODE : PUBLIC_FILE_MODE, &tmp,
                               &ignore) == 0 &&
                    rename(tmp, f.path[i]) == 0) {
                    unlink(pend[i].backup);
                } else {
                    restore_failed = true;
                    if (tmp)
                        unlink(tmp);
                }
                free(tmp);
                wipe(old, olen);
                diag_clear(&ignore);
            }
        } else if (pend[i].backup) {
            unlink(pend[i].backup);
        }
        if (pend[i].tmp)
            unlink(pend[i].tmp);
    }
    if (backup_dir && restore_failed && d->msg) {
        /* nothing is lost: say where the old files are */
        struct diag moved = {0};
        diag_move(&moved, d);
        diag_errno(d, r, moved.file, "%s; the old files could not all be put back, they are "
                   "in %s", moved.msg, backup_dir);
        diag_clear(&moved);
    } else if (backup_dir) {
        rmdir(backup_dir);
    }
    dir_list_remove(&created);
cleanup:
    for (size_t i = 0; i < 3; i++) {
        free(pend[i].tmp);
        free(pend[i].backup);
    }
    if (pass) {
        explicit_bzero(pass, strlen(pass));
        free(pass);
        explicit_bzero(passline, sizeof(passline));
    }
    keys_keypair_free(kp);
    free(secdir);
    free(pubdir);
    free(backup_dir);
    dir_list_free(&created);
    keys_status_clear(&st);
    gen_files_free(&f);
    return r;
}

/* ---- vars get ---- */

int keys_var_get(const struct keys_store *s, const char *machine, const char *var_id,
                 char **value, size_t *len, bool *secret, struct diag *d)
{
    int r = keys_check_name("machine name", machine, d);
    if (r < 0)
        return r;
    const char *slash = strchr(var_id, '/');
    if (!slash || strchr(slash + 1, '/'))
        return diag_errno(d, EINVAL, NULL, "var id '%s': expected GENERATOR/FILE, e.g. "
                          "borgbackup/borgbackup.ssh.pub", var_id);
    char *gen = strndup(var_id, (size_t)(slash - var_id));
    const char *file = slash + 1;
    if (!gen)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    r = keys_check_name("generator name", gen, d);
    if (r == 0)
        r = keys_check_name("file name", file, d);
    char *pub = NULL, *sec = NULL, *sops = NULL;
    if (r == 0) {
        pub = keys_public_path(s, machine, gen, file);
        sec = keys_secret_path(s, machine, gen, file);
        if (asprintf(&sops, "%s/vars/per-machine/%s/%s/%s/secret", s->clan_dir, machine, gen,
                     file) < 0)
            sops = NULL;
        if (!pub || (!sec && s->secrets_dir) || !sops)
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    struct stat st;
    if (r == 0) {
        if (stat(pub, &st) == 0) {
            r = file_read(pub, value, len, NULL, d);
            if (r == 0)
                *secret = false;
        } else if (sec && stat(sec, &st) == 0) {
            r = file_read(sec, value, len, NULL, d);
            if (r == 0)
                *secret = true;
        } else if (stat(sops, &st) == 0 && s->admin) {
            char *text = NULL;
            size_t tlen = 0;
            unsigned char *pt = NULL;
            r = file_read(sops, &text, &tlen, NULL, d);
            if (r == 0)
                r = sops_decrypt(&s->admin->ids, sops, text, tlen, &pt, len, d);
            free(text);
            if (r == 0) {
                *value = (char *)pt;
                *secret = true;
            }
        } else if (stat(sops, &st) == 0) {
            r = diag_errno(d, ENOKEY, sops, "Var %s is a sops-encrypted secret and no admin age "
                           "key was given to decrypt it", var_id);
        } else {
            r = diag_errno(d, ENOENT, NULL, "Var %s has not been generated yet for %s "
                           "(looked for %s%s%s)", var_id, machine, pub, sec ? " and " : "",
                           sec ? sec : "");
        }
    }
    free(gen);
    free(pub);
    free(sec);
    free(sops);
    return r;
}

/* ---- known_hosts value ---- */

int keys_known_hosts_write(const struct keys_store *s, const char *machine, const char *text,
                           struct keys_result *out, struct diag *d)
{
    int r = keys_check_name("machine name", machine, d);
    if (r < 0)
        return r;
    char *path = keys_public_path(s, machine, KEYS_KNOWN_HOSTS_GENERATOR, KEYS_KNOWN_HOSTS_FILE);
    if (!path)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct keys_result res = {0};
    size_t tlen = strlen(text);
    char *old = NULL;
    size_t olen = 0;
    struct file_stamp stamp;
    struct diag tmp = {0};
    bool existed = file_read(path, &old, &olen, &stamp, &tmp) == 0;
    diag_clear(&tmp);
    if (existed && olen == tlen && memcmp(old, text, tlen) == 0) {
        res.outcome = KEYS_UNCHANGED;
    } else {
        struct dir_list created = {0};
        char *dir = dir_of(path);
        r = dir ? 0 : diag_errno(d, ENOMEM, NULL, "out of memory");
        if (r == 0 && !existed) {
            r = make_dirs(dir, PUBLIC_DIR_MODE, &created, d);
            if (r == 0)
                r = write_new_file(path, text, tlen, PUBLIC_FILE_MODE, d);
        } else if (r == 0) {
            r = file_write_atomic(path, text, tlen, PUBLIC_FILE_MODE, &stamp, d);
        }
        if (r == 0)
            fsync_path(dir);
        else
            dir_list_remove(&created);
        dir_list_free(&created);
        free(dir);
        res.outcome = existed ? KEYS_UPDATED : KEYS_GENERATED;
    }
    free(old);
    if (r < 0) {
        free(path);
        return r;
    }
    res.public_path = path;
    *out = res;
    return 0;
}
