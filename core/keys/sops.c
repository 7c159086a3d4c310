/* Clan's sops store: admin identity, recipients from the symlinks beside each secret, machine
 * age keys, all-or-nothing generation of a generator's sops files, vars list/check/fix. */
#include "core/keys.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/keys/internal.h"
#include "core/util.h"

#define DIR_MODE 0755
#define FILE_MODE 0644

/* ---- string sets ---- */

struct strs {
    char **v;
    char **label; /* parallel: "machine m", "user u" (may be NULL) */
    size_t n;
};

static void strs_free(struct strs *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i]);
        free(s->label[i]);
    }
    free(s->v);
    free(s->label);
    memset(s, 0, sizeof(*s));
}

static bool strs_has(const struct strs *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x))
            return true;
    return false;
}

static int strs_add(struct strs *s, const char *x, const char *label)
{
    if (strs_has(s, x))
        return 0;
    char **nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    s->v = nv;
    char **nl = realloc(s->label, (s->n + 1) * sizeof(*nl));
    if (!nl)
        return -ENOMEM;
    s->label = nl;
    s->v[s->n] = strdup(x);
    s->label[s->n] = label ? strdup(label) : NULL;
    if (!s->v[s->n])
        return -ENOMEM;
    s->n++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* ---- key.json ---- */

static int read_key_json(const char *dir, char ***keys, size_t *n, struct diag *d)
{
    char *path = NULL, *text = NULL;
    size_t len = 0;
    if (asprintf(&path, "%s/key.json", dir) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = file_read(path, &text, &len, NULL, d);
    if (r == 0)
        r = sops_key_json_parse(path, text, len, keys, n, d);
    free(text);
    free(path);
    return r;
}

static void keys_list_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- the clan's keys by member, and their names ---- */

struct name_member {
    char *member; /* "machines/m", "users/u" */
    char *label;  /* "machine m", "user u" */
    char **keys;
    size_t nkeys;
    char **klabels; /* a group: its members' names, parallel to keys */
    dev_t dev;    /* the directory's identity: a link beside a secret leading to it */
    ino_t ino;
    bool real;    /* a directory (not a link) in real sops/ and sops/<kind> directories */
};
struct name_key {
    const char *key;
    const char *label;
};
struct keys_names {
    struct name_member *m; /* sorted by member */
    size_t nm;
    struct name_member **byino; /* the real ones, sorted by (dev, ino) */
    size_t nino;
    struct name_key *k;    /* sorted by key */
    size_t nk;
};

void keys_names_free(struct keys_names *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nm; i++) {
        free(n->m[i].member);
        free(n->m[i].label);
        if (n->m[i].klabels)
            keys_list_free(n->m[i].klabels, n->m[i].nkeys);
        keys_list_free(n->m[i].keys, n->m[i].nkeys);
    }
    free(n->m);
    free(n->k);
    free(n->byino);
    free(n);
}

static int cmp_ino(const void *a, const void *b)
{
    const struct name_member *x = *(struct name_member *const *)a;
    const struct name_member *y = *(struct name_member *const *)b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp(((const struct name_member *)a)->member, ((const struct name_member *)b)->member);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(((const struct name_key *)a)->key, ((const struct name_key *)b)->key);
}

/* Every readable <clan>/sops/<kind>/<name>/key.json into n. */
static int names_add_kind(struct keys_names *n, const char *clan_dir, const char *kind)
{
    char *dir = NULL;
    if (asprintf(&dir, "%s/sops/%s", clan_dir, kind) < 0)
        return -ENOMEM;
    struct dirent **ents = NULL;
    struct stat st;
    /* sops/ and sops/<kind> themselves no links: then a member's path is its real path */
    bool real_dirs = lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    dir[strlen(dir) - strlen(kind) - 1] = 0;
    real_dirs &= lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    dir[strlen(dir)] = '/';
    int ne = scandir(dir, &ents, NULL, NULL), r = 0;
    for (int i = 0; i < ne; i++) {
        const char *name = ents[i]->d_name;
        char *mdir = NULL;
        char **keys = NULL;
        size_t nk = 0;
        struct diag tmp = {0};
        if (r == 0 && name[0] != '.' && asprintf(&mdir, "%s/%s", dir, name) >= 0 &&
            read_key_json(mdir, &keys, &nk, &tmp) == 0) {
            struct name_member *v = realloc(n->m, (n->nm + 1) * sizeof(*v));
            if (!v) {
                r = -ENOMEM;
            } else {
                n->m = v;
                struct name_member *e = &v[n->nm];
                memset(e, 0, sizeof(*e));
                e->keys = keys;
                e->nkeys = nk;
                keys = NULL;
                nk = 0;
                e->real = real_dirs && lstat(mdir, &st) == 0 && S_ISDIR(st.st_mode);
                e->dev = e->real ? st.st_dev : 0;
                e->ino = e->real ? st.st_ino : 0;
                n->nm++;
                if (asprintf(&e->member, "%s/%s", kind, name) < 0 ||
                    asprintf(&e->label, "%s %s", kind[0] == 'm' ? "machine" : "user", name) < 0)
                    r = -ENOMEM;
            }
        }
        keys_list_free(keys, nk);
        diag_clear(&tmp);
        free(mdir);
        free(ents[i]);
    }
    free(ents);
    free(dir);
    return r;
}

/* Members sorted by name, the real ones by (dev, ino); byino holds nm entries. */
static void names_index(struct keys_names *n)
{
    if (n->nm > 1)
        qsort(n->m, n->nm, sizeof(*n->m), cmp_member);
    n->nino = 0;
    for (size_t i = 0; i < n->nm; i++)
        if (n->m[i].real)
            n->byino[n->nino++] = &n->m[i];
    qsort(n->byino, n->nino, sizeof(*n->byino), cmp_ino);
}

static int collect_group(const struct keys_store *s, const char *group, struct strs *out,
                         struct diag *d);

/* Every group whose members all read: its keys and their names, as a member "groups/g". */
static int names_add_groups(struct keys_store *s, struct diag *d)
{
    struct keys_names *n = s->names;
    size_t before = n->nm;
    struct name_member *add = NULL;
    size_t nadd = 0;
    int r = 0;
    char *dir = NULL;
    struct dirent **ents = NULL;
    int ne = r == 0 && asprintf(&dir, "%s/sops/groups", s->clan_dir) >= 0
                 ? scandir(dir, &ents, NULL, NULL) : -1;
    struct stat st;
    bool real_dirs = dir && lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
    for (int i = 0; i < ne; i++) {
        const char *g = ents[i]->d_name;
        struct strs keys = {0};
        struct diag tmp = {0};
        char *gdir = NULL;
        if (r == 0 && g[0] != '.' && asprintf(&gdir, "%s/%s", dir, g) >= 0 &&
            collect_group(s, g, &keys, &tmp) == 0) {
            struct name_member *v = realloc(add, (nadd + 1) * sizeof(*v));
            if (!v) {
                r = -ENOMEM;
            } else {
                add = v;
                struct name_member *e = &add[nadd++];
                memset(e, 0, sizeof(*e));
                e->keys = keys.v;
                e->klabels = keys.label;
                e->nkeys = keys.n;
                memset(&keys, 0, sizeof(keys));
                e->real = real_dirs && lstat(gdir, &st) == 0 && S_ISDIR(st.st_mode);
                e->dev = e->real ? st.st_dev : 0;
                e->ino = e->real ? st.st_ino : 0;
                if (asprintf(&e->member, "groups/%s", g) < 0 ||
                    asprintf(&e->label, "group %s", g) < 0)
                    r = -ENOMEM;
            }
        }
        strs_free(&keys);
        diag_clear(&tmp);
        free(gdir);
        free(ents[i]);
    }
    free(ents);
    free(dir);
    struct name_member *m = r == 0 ? realloc(n->m, (before + nadd + 1) * sizeof(*m)) : NULL;
    struct name_member **bi = m ? realloc(n->byino, (before + nadd + 1) * sizeof(*bi)) : NULL;
    if (m)
        n->m = m;
    if (bi)
        n->byino = bi;
    if (!m || !bi) {
        for (size_t i = 0; i < nadd; i++) {
            free(add[i].member);
            free(add[i].label);
            keys_list_free(add[i].keys, add[i].nkeys);
            keys_list_free(add[i].klabels, add[i].nkeys);
        }
        free(add);
        return r < 0 || nadd ? diag_errno(d, ENOMEM, NULL, "out of memory") : 0;
    }
    if (nadd)
        memcpy(n->m + before, add, nadd * sizeof(*add));
    n->nm = before + nadd;
    free(add);
    names_index(n);
    return 0;
}

int keys_store_load_names(struct keys_store *s, struct diag *d)
{
    struct keys_names *n = calloc(1, sizeof(*n));
    int r = n ? names_add_kind(n, s->clan_dir, "machines") : -ENOMEM;
    if (r == 0)
        r = names_add_kind(n, s->clan_dir, "users");
    size_t total = 0;
    for (size_t i = 0; r == 0 && i < n->nm; i++)
        total += n->m[i].nkeys;
    if (r == 0 && !(n->k = calloc(total ? total : 1, sizeof(*n->k))))
        r = -ENOMEM;
    if (r < 0) {
        keys_names_free(n);
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    for (size_t i = 0; i < n->nm; i++)
        for (size_t k = 0; k < n->m[i].nkeys; k++)
            n->k[n->nk++] = (struct name_key){n->m[i].keys[k], n->m[i].label};
    qsort(n->k, n->nk, sizeof(*n->k), cmp_key);
    if (!(n->byino = calloc(n->nm ? n->nm : 1, sizeof(*n->byino)))) {
        keys_names_free(n);
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    n->byino[0] = NULL;
    names_index(n);
    keys_names_free(s->names);
    s->names = n;
    return names_add_groups(s, d);
}

const char *keys_name_of(const struct keys_store *s, const char *pubkey)
{
    if (!s->names)
        return NULL;
    struct name_key want = {pubkey, NULL};
    const struct name_key *e = bsearch(&want, s->names->k, s->names->nk, sizeof(want), cmp_key);
    return e ? e->label : NULL;
}

/* The member of `kind` a link (a DT_LNK entry) leads to, known by the directory it reaches
 * (one stat instead of realpath's walk), or NULL: then member_target decides. */
static const struct name_member *names_member_at(const struct keys_store *s, const char *link,
                                                 const char *kind)
{
    struct stat st;
    if (!s->names || !s->names->nino || stat(link, &st) < 0 || !S_ISDIR(st.st_mode))
        return NULL;
    struct name_member want = {.dev = st.st_dev, .ino = st.st_ino}, *wp = &want;
    struct name_member **e = bsearch(&wp, s->names->byino, s->names->nino, sizeof(wp), cmp_ino);
    size_t kn = strlen(kind);
    return e && !strncmp((*e)->member, kind, kn) && (*e)->member[kn] == '/' ? *e : NULL;
}

/* The keys of member "machines/m" or "users/u" from the names read once, or NULL. */
static const struct name_member *names_member(const struct keys_store *s, const char *member)
{
    if (!s->names)
        return NULL;
    struct name_member want = {.member = (char *)member};
    return bsearch(&want, s->names->m, s->names->nm, sizeof(want), cmp_member);
}

/* ---- the admin ---- */

void keys_admin_free(struct keys_admin *a)
{
    if (!a)
        return;
    free(a->user);
    free(a->source);
    age_identities_free(&a->ids);
    keys_list_free(a->keys, a->nkeys);
    free(a);
}

int keys_admin_identities(const struct keys_env *env, struct keys_admin **out, struct diag *d)
{
    struct keys_admin *a = calloc(1, sizeof(*a));
    if (!a)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = 0;
    char *text = NULL, *path = NULL;
    size_t len = 0;
    if (env->sops_age_key && *env->sops_age_key) {
        a->source = strdup("SOPS_AGE_KEY");
        r = a->source ? age_identities_parse("SOPS_AGE_KEY", env->sops_age_key,
                                             strlen(env->sops_age_key), &a->ids, d)
                      : diag_errno(d, ENOMEM, NULL, "out of memory");
        goto out;
    }
    if (env->sops_age_key_file && *env->sops_age_key_file)
        path = strdup(env->sops_age_key_file);
    else if (env->xdg_config_home && env->xdg_config_home[0] == '/')
        r = asprintf(&path, "%s/sops/age/keys.txt", env->xdg_config_home) < 0 ? -ENOMEM : 0;
    else if (env->home && env->home[0] == '/')
        r = asprintf(&path, "%s/.config/sops/age/keys.txt", env->home) < 0 ? -ENOMEM : 0;
    if (r < 0 || !path) {
        r = path ? diag_errno(d, ENOMEM, NULL, "out of memory")
                 : diag_errno(d, ENOKEY, NULL, "no admin age key: SOPS_AGE_KEY and "
                              "SOPS_AGE_KEY_FILE are unset and neither XDG_CONFIG_HOME nor HOME "
                              "is an absolute path");
        goto out;
    }
    struct stat st;
    if (stat(path, &st) < 0 && errno == ENOENT) {
        r = diag_errno(d, ENOKEY, NULL, "no admin age key: SOPS_AGE_KEY is unset and %s does "
                       "not exist; fix: age-keygen -o %s (or `clan vars keygen`), then add its "
                       "public key as a user: mkdir -p sops/users/$USER && printf "
                       "'{\"publickey\": \"%%s\", \"type\": \"age\"}' \"$(age-keygen -y %s)\" > "
                       "sops/users/$USER/key.json", path, path, path);
        goto out;
    }
    a->source = strdup(path);
    r = file_read(path, &text, &len, NULL, d);
    if (r == 0)
        r = age_identities_parse(path, text, len, &a->ids, d);
out:
    secret_free(text, len);
    free(path);
    if (r < 0) {
        keys_admin_free(a);
        return r;
    }
    *out = a;
    return 0;
}

int keys_admin_find(const char *clan_dir, const struct keys_env *env, struct keys_admin **out,
                    struct diag *d)
{
    struct keys_admin *a = NULL;
    int r = keys_admin_identities(env, &a, d);
    if (r < 0)
        return r;
    char *users = NULL;
    if (asprintf(&users, "%s/sops/users", clan_dir) < 0) {
        keys_admin_free(a);
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    struct dirent **ents = NULL;
    int ne = scandir(users, &ents, NULL, alphasort);
    for (int i = 0; i < ne; i++) {
        char *dir = NULL;
        char **keys = NULL;
        size_t nk = 0;
        struct diag tmp = {0};
        if (!a->user && ents[i]->d_name[0] != '.' &&
            asprintf(&dir, "%s/%s", users, ents[i]->d_name) >= 0 &&
            read_key_json(dir, &keys, &nk, &tmp) == 0) {
            for (size_t k = 0; k < nk && !a->user; k++)
                for (size_t j = 0; j < a->ids.n && !a->user; j++) {
                    char rc[AGE_RECIPIENT_LEN + 1];
                    age_recipient_format(a->ids.v[j].public, rc);
                    if (!strcmp(rc, keys[k])) {
                        a->user = strdup(ents[i]->d_name);
                        a->keys = keys;
                        a->nkeys = nk;
                        keys = NULL;
                        nk = 0;
                    }
                }
        }
        keys_list_free(keys, nk);
        diag_clear(&tmp);
        free(dir);
        free(ents[i]);
    }
    free(ents);
    if (!a->user) {
        char rc[AGE_RECIPIENT_LEN + 1];
        age_recipient_format(a->ids.v[0].public, rc);
        r = diag_errno(d, ENOKEY, NULL, "the admin age key from %s (%s) is no user of this clan "
                       "(none of %s/*/key.json names it); fix: mkdir -p sops/users/$USER && "
                       "printf '[\\n  {\\n    \"publickey\": \"%s\",\\n    \"type\": \"age\"\\n  }"
                       "\\n]' > sops/users/$USER/key.json (or `clan secrets users add $USER "
                       "--age-key %s`)", a->source, rc, users, rc, rc);
        keys_admin_free(a);
        a = NULL;
    }
    free(users);
    if (r < 0)
        return r;
    *out = a;
    return 0;
}

int keys_store_use_sops(struct keys_store *s, struct keys_admin *admin,
                        const char *const *groups, size_t ngroups, const char *backup_root,
                        struct diag *d)
{
    for (size_t i = 0; i < ngroups; i++)
        if (keys_check_name("group name", groups[i], d) < 0) {
            keys_admin_free(admin);
            return -EINVAL;
        }
    s->admin = admin;
    s->groups = calloc(ngroups ? ngroups : 1, sizeof(char *));
    s->backup_root = backup_root ? strdup(backup_root) : NULL;
    if (!s->groups || (backup_root && !s->backup_root))
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < ngroups; i++)
        if (!(s->groups[s->ngroups++] = strdup(groups[i])))
            return diag_errno(d, ENOMEM, NULL, "out of memory");
    return 0;
}

int keys_default_backup_root(const char *xdg_data_home, const char *home, const char *clan_name,
                             char **out, struct diag *d)
{
    char *secrets = NULL;
    int r = keys_default_secrets_dir(xdg_data_home, home, clan_name, &secrets, d);
    if (r < 0)
        return r;
    /* .../clan-tui/secrets/<name> -> .../clan-tui/backups/<name> */
    char *cut = strstr(secrets, "/clan-tui/secrets/");
    r = asprintf(out, "%.*s/clan-tui/backups/%s", (int)(cut - secrets), secrets, clan_name);
    free(secrets);
    return r < 0 ? diag_errno(d, ENOMEM, NULL, "out of memory") : 0;
}

char *keys_sops_path(const struct keys_store *s, const char *machine, const char *generator,
                     const char *file)
{
    char *p = NULL;
    if (asprintf(&p, "%s/vars/per-machine/%s/%s/%s/secret", s->clan_dir, machine, generator,
                 file) < 0)
        return NULL;
    return p;
}

/* ---- recipients from the symlinks ---- */

/* The member `link` (a symlink in a folder named kind) must lead to <clan>/sops/<kind>/<x>. */
static int member_target(const struct keys_store *s, const char *link, const char *kind,
                         char **target, struct diag *d)
{
    struct stat st;
    if (lstat(link, &st) < 0)
        return diag_errno(d, errno, link, "cannot stat: %s", strerror(errno));
    if (!S_ISLNK(st.st_mode))
        return diag_errno(d, EINVAL, link, "is not a symbolic link; expected a link into "
                          "sops/%s/ (as clan writes it)", kind);
    char *real = realpath(link, NULL);
    if (!real)
        return diag_errno(d, errno, link, "is a dangling link: %s", strerror(errno));
    char *want = NULL;
    if (asprintf(&want, "%s/sops/%s/", s->clan_dir, kind) < 0) {
        free(real);
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    size_t wn = strlen(want);
    bool ok = !strncmp(real, want, wn) && real[wn] && !strchr(real + wn, '/');
    free(want);
    if (!ok) {
        int r = diag_errno(d, EPERM, link, "points outside sops/%s/ (to %s); refused: a "
                           "recipient must be a %s of this clan", kind, real,
                           kind[0] == 'm' ? "machine" : kind[0] == 'u' ? "user" : "group");
        free(real);
        return r;
    }
    *target = real;
    return 0;
}

/* Keys of every member linked in dir/<kind>/ (kind: machines or users). */
static int collect_kind(const struct keys_store *s, const char *dir, const char *kind,
                        struct strs *out, struct diag *d)
{
    char *folder = NULL;
    if (asprintf(&folder, "%s/%s", dir, kind) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct dirent **ents = NULL;
    int ne = scandir(folder, &ents, NULL, alphasort);
    int r = 0;
    for (int i = 0; i < ne; i++) {
        const char *name = ents[i]->d_name;
        char *link = NULL, *target = NULL, *label = NULL;
        char **keys = NULL;
        size_t nk = 0;
        if (r == 0 && name[0] != '.') {
            if (asprintf(&link, "%s/%s", folder, name) < 0)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            const struct name_member *known =
                r == 0 && ents[i]->d_type == DT_LNK ? names_member_at(s, link, kind) : NULL;
            if (r == 0 && !known)
                r = member_target(s, link, kind, &target, d);
            if (r == 0 && !known)
                known = names_member(s, target + strlen(s->clan_dir) + strlen("/sops/"));
            if (r == 0 && !known)
                r = read_key_json(target, &keys, &nk, d);
            if (r == 0 && !(label = known ? strdup(known->label) : NULL) &&
                asprintf(&label, "%s %s", kind[0] == 'm' ? "machine" : "user",
                         strrchr(target, '/') + 1) < 0)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            char **kv = known ? known->keys : keys;
            size_t kn = known ? known->nkeys : nk;
            for (size_t k = 0; r == 0 && k < kn; k++)
                if (strs_add(out, kv[k], label) < 0)
                    r = diag_errno(d, ENOMEM, NULL, "out of memory");
        }
        keys_list_free(keys, nk);
        free(label);
        free(link);
        free(target);
        free(ents[i]);
    }
    free(ents);
    free(folder);
    return r;
}

/* The members of group g (sops/groups/<g>/{machines,users}). */
static int collect_group(const struct keys_store *s, const char *group, struct strs *out,
                         struct diag *d)
{
    char *gdir = NULL;
    if (asprintf(&gdir, "groups/%s", group) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    const struct name_member *known = names_member(s, gdir);
    free(gdir);
    for (size_t k = 0; known && k < known->nkeys; k++)
        if (strs_add(out, known->keys[k], known->klabels[k]) < 0)
            return diag_errno(d, ENOMEM, NULL, "out of memory");
    if (known)
        return 0;
    if (asprintf(&gdir, "%s/sops/groups/%s", s->clan_dir, group) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct stat st;
    int r = stat(gdir, &st) == 0 && S_ISDIR(st.st_mode)
                ? 0
                : diag_errno(d, ENOENT, gdir, "no such group; expected sops/groups/%s with its "
                             "members", group);
    if (r == 0)
        r = collect_kind(s, gdir, "machines", out, d);
    if (r == 0)
        r = collect_kind(s, gdir, "users", out, d);
    free(gdir);
    return r;
}

/* What Clan's collect_keys_for_path gives for a secret's folder, plus the default groups. */
static int collect_wanted(const struct keys_store *s, const char *dir, struct strs *out,
                          struct diag *d)
{
    int r = collect_kind(s, dir, "machines", out, d);
    if (r == 0)
        r = collect_kind(s, dir, "users", out, d);
    char *gfolder = NULL;
    if (r == 0 && asprintf(&gfolder, "%s/groups", dir) < 0)
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
    struct dirent **ents = NULL;
    int ne = r == 0 ? scandir(gfolder, &ents, NULL, alphasort) : -1;
    for (int i = 0; i < ne; i++) {
        char *link = NULL, *target = NULL;
        if (r == 0 && ents[i]->d_name[0] != '.') {
            if (asprintf(&link, "%s/%s", gfolder, ents[i]->d_name) < 0)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            const struct name_member *known =
                r == 0 && ents[i]->d_type == DT_LNK ? names_member_at(s, link, "groups") : NULL;
            for (size_t k = 0; known && r == 0 && k < known->nkeys; k++)
                if (strs_add(out, known->keys[k], known->klabels[k]) < 0)
                    r = diag_errno(d, ENOMEM, NULL, "out of memory");
            if (r == 0 && !known)
                r = member_target(s, link, "groups", &target, d);
            if (r == 0 && !known)
                r = collect_group(s, strrchr(target, '/') + 1, out, d);
        }
        free(link);
        free(target);
        free(ents[i]);
    }
    free(ents);
    free(gfolder);
    for (size_t i = 0; i < s->ngroups && r == 0; i++)
        r = collect_group(s, s->groups[i], out, d);
    return r;
}

/* ---- writing ---- */

/* A link dir/<kind>/<name> -> rel, unless one leading there exists. Records what it made. */
static int ensure_link(const char *dir, const char *kind, const char *name, const char *rel,
                       struct dir_list *dirs, struct strs *links, struct diag *d)
{
    char *folder = NULL, *link = NULL;
    int r = 0;
    if (asprintf(&folder, "%s/%s", dir, kind) < 0 || asprintf(&link, "%s/%s", folder, name) < 0) {
        free(folder);
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    r = make_dirs(folder, DIR_MODE, dirs, d);
    char cur[PATH_MAX];
    ssize_t n = r == 0 ? readlink(link, cur, sizeof(cur) - 1) : -1;
    if (r == 0 && n >= 0) {
        cur[n] = 0;
        if (strcmp(cur, rel))
            r = diag_errno(d, EEXIST, link, "links to %s; expected %s: left alone", cur, rel);
    } else if (r == 0 && errno == EINVAL) {
        r = diag_errno(d, EEXIST, link, "exists and is not a symbolic link; expected a link "
                       "to %s", rel);
    } else if (r == 0) {
        if (symlink(rel, link) < 0)
            r = diag_errno(d, errno, link, "cannot create the link: %s", strerror(errno));
        else if (strs_add(links, link, NULL) < 0)
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    free(folder);
    free(link);
    return r;
}

/* The links Clan puts beside a secret at depth levels below the clan (6 for a var, 3 for
 * sops/secrets/<name>): machines/<m> (if machine), users/<admin>, groups/<g>. */
static int link_recipients(const struct keys_store *s, const char *dir, int depth,
                           const char *machine, struct dir_list *dirs, struct strs *links,
                           struct diag *d)
{
    struct buf up = {0};
    for (int i = 0; i < depth; i++)
        buf_puts(&up, "../");
    char *rel = NULL;
    int r = 0;
    if (machine) {
        r = asprintf(&rel, "%ssops/machines/%s", up.p, machine) < 0 ? -ENOMEM : 0;
        if (r == 0)
            r = ensure_link(dir, "machines", machine, rel, dirs, links, d);
        free(rel);
        rel = NULL;
    }
    if (r == 0) {
        r = asprintf(&rel, "%ssops/users/%s", up.p, s->admin->user) < 0 ? -ENOMEM : 0;
        if (r == 0)
            r = ensure_link(dir, "users", s->admin->user, rel, dirs, links, d);
        free(rel);
        rel = NULL;
    }
    for (size_t i = 0; i < s->ngroups && r == 0; i++) {
        r = asprintf(&rel, "%ssops/groups/%s", up.p, s->groups[i]) < 0 ? -ENOMEM : 0;
        if (r == 0)
            r = ensure_link(dir, "groups", s->groups[i], rel, dirs, links, d);
        free(rel);
        rel = NULL;
    }
    buf_free(&up);
    if (r == -ENOMEM && !d->msg)
        diag_errno(d, r, NULL, "out of memory");
    return r;
}

/* Recipients of a new secret: the machine's keys, the admin's, the default groups' members,
 * and whoever is linked beside it already; sorted as Clan sorts them. */
static int recipients_for(const struct keys_store *s, const char *dir, char **machine_keys,
                          size_t nmk, struct strs *out, struct diag *d)
{
    int r = 0;
    for (size_t i = 0; i < nmk && r == 0; i++)
        r = strs_add(out, machine_keys[i], NULL);
    for (size_t i = 0; i < s->admin->nkeys && r == 0; i++)
        r = strs_add(out, s->admin->keys[i], NULL);
    if (r < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct stat st;
    if (dir && stat(dir, &st) == 0)
        r = collect_wanted(s, dir, out, d);
    else
        for (size_t i = 0; i < s->ngroups && r == 0; i++)
            r = collect_group(s, s->groups[i], out, d);
    if (r == 0) {
        /* sort v, labels are not needed here */
        for (size_t i = 0; i < out->n; i++) {
            free(out->label[i]);
            out->label[i] = NULL;
        }
        qsort(out->v, out->n, sizeof(*out->v), cmp_str);
    }
    return r;
}

struct gen_txn {
    struct file_txn *txn;
    struct dir_list dirs;
    struct strs links;
};

static void gen_txn_undo(struct gen_txn *t)
{
    for (size_t i = t->links.n; i-- > 0;)
        unlink(t->links.v[i]);
    dir_list_remove(&t->dirs);
}

static void gen_txn_free(struct gen_txn *t)
{
    file_txn_free(t->txn);
    dir_list_free(&t->dirs);
    strs_free(&t->links);
}

static char *dir_of(const char *path)
{
    return strndup(path, (size_t)(strrchr(path, '/') - path));
}

/* Stage a new or replaced file (expect: NULL means must be new). */
static int stage(struct gen_txn *t, const char *path, const char *data, size_t len,
                 const struct file_stamp *expect, struct diag *d)
{
    char *dir = dir_of(path);
    if (!dir)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = make_dirs(dir, DIR_MODE, &t->dirs, d);
    free(dir);
    struct file_stamp none = {0};
    none.exists = false;
    if (r == 0)
        r = file_txn_add(t->txn, path, data, len, FILE_MODE, expect ? expect : &none, d);
    return r;
}

static const char key_json_fmt[] = "[\n  {\n    \"publickey\": \"%s\",\n    \"type\": \"age\"\n  }\n]";

/* The machine's age public keys; a new key staged in t when it has none. */
static int machine_keys(const struct keys_store *s, const char *machine, int64_t now,
                        struct gen_txn *t, char ***keys, size_t *nk, bool *created,
                        struct diag *d)
{
    char *mdir = NULL;
    if (asprintf(&mdir, "%s/sops/machines/%s", s->clan_dir, machine) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    char *kj = NULL;
    struct stat st;
    int r = asprintf(&kj, "%s/key.json", mdir) < 0 ? diag_errno(d, ENOMEM, NULL, "out of memory")
                                                   : 0;
    *created = false;
    if (r == 0 && stat(kj, &st) == 0) {
        r = read_key_json(mdir, keys, nk, d);
        goto out;
    }
    if (r < 0)
        goto out;
    /* a new machine key: public in key.json, private as sops/secrets/<m>-age.key/secret */
    struct age_identity id;
    char sk[AGE_IDENTITY_LEN + 1], rc[AGE_RECIPIENT_LEN + 1];
    char *secdir = NULL, *secret = NULL, *json = NULL, *enc = NULL;
    size_t enclen = 0;
    struct strs rcpts = {0};
    r = age_identity_generate(&id, d);
    if (r == 0) {
        age_identity_format(&id, sk);
        age_recipient_format(id.public, rc);
        if (asprintf(&secdir, "%s/sops/secrets/%s-age.key", s->clan_dir, machine) < 0 ||
            asprintf(&secret, "%s/secret", secdir) < 0 || asprintf(&json, key_json_fmt, rc) < 0)
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    if (r == 0 && stat(secret, &st) == 0)
        r = diag_errno(d, EEXIST, secret, "exists while sops/machines/%s/key.json does not; "
                       "left alone: remove it or restore the key.json", machine);
    if (r == 0)
        r = recipients_for(s, NULL, NULL, 0, &rcpts, d);
    if (r == 0)
        r = sops_encrypt((const char *const *)rcpts.v, rcpts.n, sk, strlen(sk), now, &enc,
                         &enclen, d);
    if (r == 0)
        r = stage(t, secret, enc, enclen, NULL, d);
    if (r == 0)
        r = link_recipients(s, secdir, 3, NULL, &t->dirs, &t->links, d);
    if (r == 0)
        r = stage(t, kj, json, strlen(json), NULL, d);
    if (r == 0) {
        *keys = calloc(1, sizeof(char *));
        if (!*keys || !((*keys)[0] = strdup(rc)))
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
        *nk = 1;
        *created = true;
    }
    explicit_bzero(&id, sizeof(id));
    explicit_bzero(sk, sizeof(sk));
    strs_free(&rcpts);
    free(secdir);
    free(secret);
    free(json);
    free(enc);
out:
    free(kj);
    free(mdir);
    return r;
}

/* Copy path (if it exists) to backup/<rel> before it is replaced. */
static int backup_file(const char *path, const char *backup, const char *rel, struct diag *d)
{
    char *text = NULL, *dst = NULL;
    size_t len = 0;
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    struct dir_list dirs = {0};
    int r = file_read(path, &text, &len, NULL, d);
    if (r == 0 && asprintf(&dst, "%s/%s", backup, rel) < 0)
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
    char *dir = r == 0 ? dir_of(dst) : NULL;
    if (r == 0)
        r = make_dirs(dir, 0700, &dirs, d);
    if (r == 0)
        r = write_new_file(dst, text, len, 0600, d);
    dir_list_free(&dirs);
    free(dir);
    free(dst);
    free(text);
    return r;
}

/* Everything but the renames: the result as it will be, and (unless the files exist and are
 * left alone) the staged set in *pt, to commit with sops_commit. */
static int sops_prepare(const struct keys_store *s, const char *machine,
                        const struct keys_generator *g, unsigned flags, int64_t now,
                        bool deferred, struct gen_txn *staged, struct keys_result *out,
                        struct diag *d)
{
    memset(staged, 0, sizeof(*staged));
    int r = keys_check_name("machine name", machine, d);
    if (r < 0)
        return r;
    const char *secret_files[2] = {g->private_file, g->passphrase_file};
    size_t nsec = g->passphrase_file ? 2 : 1;
    char *sec[2] = {NULL, NULL}, *pub = keys_public_path(s, machine, g->name, g->public_file);
    for (size_t i = 0; i < nsec; i++)
        sec[i] = keys_sops_path(s, machine, g->name, secret_files[i]);
    struct keys_result res = {0};
    struct gen_txn t = {0};
    struct keys_keypair *kp = NULL;
    char *pass = NULL, *oldpub = NULL, *backup = NULL;
    char **mkeys = NULL;
    size_t nmk = 0, oldlen = 0;
    struct strs rcpts = {0};
    struct file_stamp stamps[3];
    bool exists[3] = {false, false, false};
    size_t nexist = 0;
    if (!pub || !sec[0] || (nsec == 2 && !sec[1])) {
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i <= nsec; i++) {
        const char *p = i < nsec ? sec[i] : pub;
        struct diag tmp = {0};
        char *text = NULL;
        size_t len = 0;
        memset(&stamps[i], 0, sizeof(stamps[i]));
        if (file_read(p, &text, &len, &stamps[i], &tmp) == 0) {
            exists[i] = true;
            nexist++;
            if (i == nsec) {
                oldpub = text;
                oldlen = len;
                text = NULL;
            }
        }
        free(text);
        diag_clear(&tmp);
    }
    bool regen = flags & KEYS_REGENERATE;
    if (oldpub) {
        struct diag tmp = {0};
        keys_public_fingerprint(oldpub, oldlen, &res.old_fingerprint, &tmp);
        diag_clear(&tmp);
    }
    if (nexist == nsec + 1 && !regen) {
        res.outcome = KEYS_EXISTS;
        res.fingerprint = res.old_fingerprint;
        res.old_fingerprint = NULL;
        goto paths;
    }
    if (nexist && !regen) {
        struct buf miss = {0};
        for (size_t i = 0; i <= nsec; i++)
            if (!exists[i])
                buf_printf(&miss, "%s%s", miss.len ? ", " : "", i < nsec ? sec[i] : pub);
        r = diag_errno(d, EEXIST, NULL, "%s's %s is incomplete (missing: %s); refusing to "
                       "touch the files that exist: regenerate it (they are kept as a backup)",
                       machine, g->what, miss.p ? miss.p : "?");
        buf_free(&miss);
        goto done;
    }
    if ((r = deferred ? file_txn_new_deferred(&t.txn) : file_txn_new(&t.txn)) < 0) {
        r = diag_errno(d, r, NULL, "out of memory");
        goto done;
    }
    bool mk_created = false;
    r = machine_keys(s, machine, now, &t, &mkeys, &nmk, &mk_created, d);
    if (r == 0)
        r = keys_keypair_generate(&kp, d);
    if (r == 0 && g->passphrase_file)
        r = keys_passphrase_generate(&pass, d);
    for (size_t i = 0; i < nsec && r == 0; i++) {
        char *dir = dir_of(sec[i]);
        strs_free(&rcpts);
        r = dir ? recipients_for(s, dir, mkeys, nmk, &rcpts, d)
                : diag_errno(d, ENOMEM, NULL, "out of memory");
        char *passline = NULL, *enc = NULL;
        size_t enclen = 0;
        const char *pt = kp ? kp->private_key : NULL;
        size_t ptlen = kp ? kp->private_len : 0;
        if (r == 0 && i == 1) {
            /* the pass file ends with a newline, like `xkcdpass > file`; borg strips it */
            if (asprintf(&passline, "%s\n", pass) < 0)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            pt = passline;
            ptlen = passline ? strlen(passline) : 0;
        }
        if (r == 0)
            r = sops_encrypt((const char *const *)rcpts.v, rcpts.n, pt, ptlen, now, &enc,
                             &enclen, d);
        if (r == 0)
            r = stage(&t, sec[i], enc, enclen, exists[i] ? &stamps[i] : NULL, d);
        if (r == 0)
            r = link_recipients(s, dir, 6, machine, &t.dirs, &t.links, d);
        if (passline)
            secret_free(passline, strlen(passline));
        free(enc);
        free(dir);
    }
    if (r == 0)
        r = stage(&t, pub, kp->public_line, strlen(kp->public_line),
                  exists[nsec] ? &stamps[nsec] : NULL, d);
    if (r == 0 && nexist) {
        /* keep the old files (encrypted, and the public value) outside the clan */
        time_t tt = (time_t)now;
        struct tm tm;
        char when[32];
        gmtime_r(&tt, &tm);
        strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
        if (!s->backup_root)
            r = diag_errno(d, EINVAL, NULL, "no backup directory for the old files");
        else if (asprintf(&backup, "%s/%s", s->backup_root, when) < 0)
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
        for (size_t i = 0; i <= nsec && r == 0; i++) {
            char *rel = NULL;
            const char *p = i < nsec ? sec[i] : pub;
            if (asprintf(&rel, "%s/%s/%s/%s", machine, g->name,
                         i < nsec ? secret_files[i] : g->public_file,
                         i < nsec ? "secret" : "value") < 0)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
            if (r == 0)
                r = backup_file(p, backup, rel, d);
            free(rel);
        }
    }
    if (r < 0) {
        gen_txn_undo(&t);
        goto done;
    }
    *staged = t; /* committed by sops_commit */
    memset(&t, 0, sizeof(t));
    res.outcome = nexist ? KEYS_REGENERATED : KEYS_GENERATED;
    res.fingerprint = strdup(kp->fingerprint);
    res.backup_dir = backup;
    backup = NULL;
paths:
    res.public_path = pub;
    pub = NULL;
    for (size_t i = 0; i < nsec; i++) {
        res.secret_paths[res.nsecrets++] = sec[i];
        sec[i] = NULL;
    }
    *out = res;
    memset(&res, 0, sizeof(res));
done:
    keys_result_clear(&res);
    gen_txn_free(&t);
    keys_keypair_free(kp);
    if (pass)
        secret_free(pass, strlen(pass));
    keys_list_free(mkeys, nmk);
    strs_free(&rcpts);
    free(oldpub);
    free(backup);
    free(pub);
    free(sec[0]);
    free(sec[1]);
    return r;
}

/* Put a prepared set in place (or take it back: links, directories, the result). */
static int sops_commit(struct gen_txn *t, struct keys_result *res, struct diag *d)
{
    int r = t->txn ? file_txn_commit(t->txn, NULL, d) : 0;
    if (r < 0) {
        gen_txn_undo(t);
        keys_result_clear(res);
        res->outcome = KEYS_FAILED;
    }
    gen_txn_free(t);
    return r;
}

int keys_generate_sops(const struct keys_store *s, const char *machine,
                       const struct keys_generator *g, unsigned flags, int64_t now,
                       struct keys_result *out, struct diag *d)
{
    struct gen_txn t;
    struct keys_result res = {0};
    int r = sops_prepare(s, machine, g, flags, now, false, &t, &res, d);
    if (r == 0)
        r = sops_commit(&t, &res, d);
    if (r == 0)
        *out = res;
    return r;
}

/* syncfs() of the file system holding dir. */
static int sync_fs_of(const char *dir, struct diag *d)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return diag_errno(d, errno, dir, "cannot open: %s", strerror(errno));
    int r = syncfs(fd) < 0 ? -errno : 0;
    close(fd);
    return r < 0 ? diag_errno(d, -r, dir, "cannot sync its file system: %s", strerror(-r)) : 0;
}

int keys_generate_sops_many(const struct keys_store *s, const char *const *machines, size_t n,
                            const struct keys_generator *g, unsigned flags, int64_t now,
                            struct keys_result *results, struct diag *diags)
{
    struct gen_txn *t = calloc(n ? n : 1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        memset(&results[i], 0, sizeof(results[i]));
        if (sops_prepare(s, machines[i], g, flags, now, true, &t[i], &results[i], &diags[i]) < 0)
            results[i].outcome = KEYS_FAILED;
    }
    /* the temporary files durable before any rename, then the renames */
    struct diag sd = {0};
    int r = sync_fs_of(s->clan_dir, &sd);
    for (size_t i = 0; i < n; i++) {
        if (results[i].outcome == KEYS_FAILED) {
            gen_txn_free(&t[i]);
        } else if (r < 0) {
            gen_txn_undo(&t[i]);
            gen_txn_free(&t[i]);
            keys_result_clear(&results[i]);
            results[i].outcome = KEYS_FAILED;
            diag_errno(&diags[i], r, s->clan_dir, "%s", sd.msg);
        } else {
            sops_commit(&t[i], &results[i], &diags[i]);
        }
    }
    if (r == 0)
        sync_fs_of(s->clan_dir, &sd);
    diag_clear(&sd);
    free(t);
    return 0;
}

/* ---- vars list / check / fix ---- */

void keys_vars_free(struct keys_var_info *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].generator);
        free(v[i].file);
        free(v[i].recipients);
        free(v[i].missing);
        free(v[i].error);
    }
    free(v);
}

/* Names first (machines, then users, by name), keys no key.json names last. */
static int cmp_label(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    bool kx = !strncmp(x, "age1", 4), ky = !strncmp(y, "age1", 4);
    return kx != ky ? kx - ky : strcmp(x, y);
}

/* Recipients of the sops file at path, by name where a key.json names them. */
static void inspect_secret(const struct keys_store *s, const char *dir, const char *path,
                           unsigned flags, struct keys_var_info *vi)
{
    char *text = NULL;
    size_t len = 0;
    struct diag d = {0};
    struct sops_file f = {0};
    struct strs wanted = {0};
    struct buf who = {0}, miss = {0};
    if (file_read(path, &text, &len, NULL, &d) < 0 || sops_parse(path, text, len, &f, &d) < 0)
        goto out;
    if (s->admin && !(flags & KEYS_VARS_VERIFY)) {
        /* listed: one of the age entries names a key of the admin's identities */
        for (size_t j = 0; j < s->admin->ids.n && !vi->readable; j++) {
            char rc[AGE_RECIPIENT_LEN + 1];
            age_recipient_format(s->admin->ids.v[j].public, rc);
            for (size_t i = 0; i < f.nage && !vi->readable; i++)
                vi->readable = !strcmp(f.age[i].recipient, rc);
        }
        if (!vi->readable)
            vi->error = strdup(f.nage ? "none of its age recipients is the admin's key"
                                      : "it has no age recipient");
    } else if (s->admin) {
        vi->verified = true;
        unsigned char *pt = NULL;
        size_t ptlen = 0;
        if (sops_decrypt(&s->admin->ids, path, text, len, &pt, &ptlen, &d) == 0) {
            vi->readable = true;
            secret_free(pt, ptlen + 1);
        } else {
            vi->error = diag_format(&d);
            diag_clear(&d);
        }
    }
    struct diag wd = {0};
    bool wanted_ok = collect_wanted(s, dir, &wanted, &wd) == 0;
    const char **labels = calloc(f.nage ? f.nage : 1, sizeof(*labels));
    for (size_t i = 0; labels && i < f.nage; i++) {
        labels[i] = keys_name_of(s, f.age[i].recipient);
        for (size_t k = 0; k < wanted.n && !labels[i]; k++)
            if (!strcmp(wanted.v[k], f.age[i].recipient))
                labels[i] = wanted.label[k];
        if (!labels[i])
            labels[i] = f.age[i].recipient;
    }
    if (labels)
        qsort(labels, f.nage, sizeof(*labels), cmp_label);
    for (size_t i = 0; labels && i < f.nage; i++)
        buf_printf(&who, "%s%s", who.len ? ", " : "", labels[i]);
    free(labels);
    vi->recipients = who.p ? buf_steal(&who) : strdup("(none)");
    if (!wanted_ok) {
        if (!vi->error)
            vi->error = diag_format(&wd);
    } else {
        for (size_t k = 0; k < wanted.n; k++) {
            bool has = false;
            for (size_t i = 0; i < f.nage; i++)
                has |= !strcmp(f.age[i].recipient, wanted.v[k]);
            if (!has)
                buf_printf(&miss, "%s%s", miss.len ? ", " : "",
                           wanted.label[k] ? wanted.label[k] : wanted.v[k]);
        }
        vi->missing = miss.p ? buf_steal(&miss) : NULL;
    }
    diag_clear(&wd);
out:
    if (d.msg && !vi->error)
        vi->error = diag_format(&d);
    diag_clear(&d);
    sops_file_free(&f);
    strs_free(&wanted);
    buf_free(&who);
    buf_free(&miss);
    free(text);
}

int keys_vars_list(const struct keys_store *s, const char *machine, struct keys_var_info **out,
                   size_t *n, struct diag *d)
{
    return keys_vars_scan(s, machine, KEYS_VARS_VERIFY, out, n, d);
}

int keys_vars_scan(const struct keys_store *s, const char *machine, unsigned flags,
                   struct keys_var_info **out, size_t *n, struct diag *d)
{
    int r = keys_check_name("machine name", machine, d);
    if (r < 0)
        return r;
    char *mdir = NULL;
    if (asprintf(&mdir, "%s/vars/per-machine/%s", s->clan_dir, machine) < 0)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    struct keys_var_info *v = NULL;
    size_t nv = 0;
    struct dirent **gens = NULL;
    int ng = scandir(mdir, &gens, NULL, alphasort);
    for (int gi = 0; gi < ng; gi++) {
        char *gdir = NULL;
        struct dirent **files = NULL;
        int nf = -1;
        if (r == 0 && gens[gi]->d_name[0] != '.' &&
            asprintf(&gdir, "%s/%s", mdir, gens[gi]->d_name) >= 0)
            nf = scandir(gdir, &files, NULL, alphasort);
        for (int fi = 0; fi < nf; fi++) {
            char *fdir = NULL, *sp = NULL, *vp = NULL;
            struct stat st;
            if (r == 0 && files[fi]->d_name[0] != '.' &&
                asprintf(&fdir, "%s/%s", gdir, files[fi]->d_name) >= 0 &&
                asprintf(&sp, "%s/secret", fdir) >= 0 && asprintf(&vp, "%s/value", fdir) >= 0) {
                bool secret = lstat(sp, &st) == 0;
                if (secret || lstat(vp, &st) == 0) {
                    struct keys_var_info *nvv = realloc(v, (nv + 1) * sizeof(*nvv));
                    if (!nvv) {
                        r = diag_errno(d, ENOMEM, NULL, "out of memory");
                    } else {
                        v = nvv;
                        struct keys_var_info *vi = &v[nv++];
                        memset(vi, 0, sizeof(*vi));
                        vi->generator = strdup(gens[gi]->d_name);
                        vi->file = strdup(files[fi]->d_name);
                        vi->secret = secret;
                        if (secret)
                            inspect_secret(s, fdir, sp, flags, vi);
                    }
                }
            }
            free(fdir);
            free(sp);
            free(vp);
            free(files[fi]);
        }
        free(files);
        free(gdir);
        free(gens[gi]);
    }
    free(gens);
    free(mdir);
    if (r < 0) {
        keys_vars_free(v, nv);
        return r;
    }
    *out = v;
    *n = nv;
    return 0;
}

static int cmp_var(const void *a, const void *b)
{
    const struct keys_var_info *x = a, *y = b;
    int c = strcmp(x->generator, y->generator);
    return c ? c : strcmp(x->file, y->file);
}

int keys_machine_vars(const struct keys_store *s, const char *machine, bool client, bool server,
                      unsigned flags, struct keys_var_info **out, size_t *n, struct diag *d)
{
    struct keys_var_info *v = NULL;
    size_t nv = 0;
    int r = keys_vars_scan(s, machine, flags, &v, &nv, d);
    if (r < 0)
        return r;
    const struct keys_generator *gens[2] = {client ? &keys_gen_borgbackup : NULL,
                                            server ? &keys_gen_openssh : NULL};
    for (size_t g = 0; g < 2 && r == 0; g++) {
        if (!gens[g])
            continue;
        const char *files[3] = {gens[g]->public_file, gens[g]->private_file,
                                gens[g]->passphrase_file};
        for (size_t f = 0; f < 3 && r == 0; f++) {
            if (!files[f])
                continue;
            bool found = false;
            for (size_t i = 0; i < nv && !found; i++)
                found = !strcmp(v[i].generator, gens[g]->name) && !strcmp(v[i].file, files[f]);
            if (found)
                continue;
            struct keys_var_info *nvv = realloc(v, (nv + 1) * sizeof(*nvv));
            if (!nvv) {
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
                break;
            }
            v = nvv;
            memset(&v[nv], 0, sizeof(v[nv]));
            v[nv].generator = strdup(gens[g]->name);
            v[nv].file = strdup(files[f]);
            v[nv].secret = f > 0;
            v[nv].absent = true;
            if (!v[nv++].file)
                r = diag_errno(d, ENOMEM, NULL, "out of memory");
        }
    }
    for (size_t i = 0; i < nv && r == 0; i++)
        if (!v[i].generator || !v[i].file)
            r = diag_errno(d, ENOMEM, NULL, "out of memory");
    if (r < 0) {
        keys_vars_free(v, nv);
        return r;
    }
    if (nv > 1)
        qsort(v, nv, sizeof(*v), cmp_var);
    *out = v;
    *n = nv;
    return 0;
}

int keys_var_fix(const struct keys_store *s, const char *machine, const char *generator,
                 const char *file, bool *changed, struct diag *d)
{
    *changed = false;
    if (!s->admin)
        return diag_errno(d, ENOKEY, NULL, "no admin identity to re-encrypt with");
    char *path = keys_sops_path(s, machine, generator, file);
    if (!path)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    char *dir = dir_of(path), *text = NULL, *out = NULL;
    size_t len = 0, outlen = 0;
    struct file_stamp stamp;
    struct strs wanted = {0};
    struct sops_file f = {0};
    struct gen_txn t = {0};
    int r = dir ? file_read(path, &text, &len, &stamp, d) : diag_errno(d, ENOMEM, NULL, "oom");
    if (r == 0)
        r = sops_parse(path, text, len, &f, d);
    if (r == 0)
        r = collect_wanted(s, dir, &wanted, d);
    bool missing = false;
    for (size_t k = 0; r == 0 && k < wanted.n; k++) {
        bool has = false;
        for (size_t i = 0; i < f.nage; i++)
            has |= !strcmp(f.age[i].recipient, wanted.v[k]);
        missing |= !has;
    }
    if (r == 0 && missing) {
        qsort(wanted.v, wanted.n, sizeof(*wanted.v), cmp_str); /* labels unused below */
        r = sops_updatekeys(&s->admin->ids, path, text, len, (const char *const *)wanted.v,
                            wanted.n, &out, &outlen, d);
        if (r == 0 && (r = file_txn_new(&t.txn)) < 0)
            r = diag_errno(d, r, NULL, "out of memory");
        if (r == 0)
            r = file_txn_add(t.txn, path, out, outlen, FILE_MODE, &stamp, d);
        if (r == 0)
            r = file_txn_commit(t.txn, NULL, d);
        *changed = r == 0;
    }
    gen_txn_free(&t);
    sops_file_free(&f);
    strs_free(&wanted);
    free(out);
    free(text);
    free(dir);
    free(path);
    return r;
}
