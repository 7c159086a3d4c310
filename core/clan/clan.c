/* Finding a Clan's directory. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clan.h"
#include "core/util.h"

int clan_cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool exists_in(const char *dir, const char *name, bool want_dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
        return false;
    struct stat st;
    if (stat(p, &st) < 0)
        return false;
    return want_dir ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode);
}

/* flake.nix that mentions clan (lib.clan, buildClan, clan-core, flake.clan, clan = ...). */
static bool flake_mentions_clan(const char *dir)
{
    char p[PATH_MAX];
    if (snprintf(p, sizeof(p), "%s/flake.nix", dir) >= (int)sizeof(p))
        return false;
    char *text = NULL;
    size_t len = 0;
    struct diag d = {0};
    if (file_read(p, &text, &len, NULL, &d) < 0) {
        diag_clear(&d);
        return false;
    }
    bool yes = strstr(text, "clan") != NULL;
    free(text);
    return yes;
}

bool clan_is_dir(const char *dir)
{
    return exists_in(dir, "clan.nix", false) || exists_in(dir, "inventory.json", false) ||
           (exists_in(dir, "flake.nix", false) && flake_mentions_clan(dir));
}

void clan_location_free(struct clan_location *l)
{
    free(l->dir);
    free(l->file);
    l->dir = l->file = NULL;
}

char *clan_dir_of(const char *path)
{
    const char *sl = strrchr(path, '/');
    if (!sl)
        return strdup(".");
    if (sl == path)
        return strdup("/");
    return strndup(path, (size_t)(sl - path));
}

int clan_locate(const char *path, struct clan_location *out, struct diag *d)
{
    memset(out, 0, sizeof(*out));
    if (!path) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            return diag_errno(d, -errno, ".", "cannot read the working directory");
        /* upward, as git finds its repository; relative names while below the start */
        char rel[PATH_MAX] = ".";
        char cur[PATH_MAX];
        snprintf(cur, sizeof(cur), "%s", cwd);
        for (unsigned up = 0; up < 256; up++) {
            if (clan_is_dir(cur)) {
                out->dir = strdup(up ? rel : ".");
                return out->dir ? 0 : -ENOMEM;
            }
            if (!strcmp(cur, "/"))
                break;
            char *sl = strrchr(cur, '/');
            if (sl == cur)
                cur[1] = 0;
            else if (sl)
                *sl = 0;
            if (up == 0)
                snprintf(rel, sizeof(rel), "..");
            else if (strlen(rel) + 4 < sizeof(rel))
                strcat(rel, "/..");
        }
        return diag_set(d, DIAG_ERROR, cwd, 0, 0,
                        "no clan here or in any parent directory: looked for a flake.nix "
                        "that mentions clan, a clan.nix or an inventory.json"),
               -ENOENT;
    }
    struct stat st;
    if (stat(path, &st) < 0) {
        int e = errno;
        return diag_errno(d, -e, path, "cannot open: %s", strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        if (!clan_is_dir(path))
            return diag_set(d, DIAG_ERROR, path, 0, 0,
                            "not a clan directory: expected a flake.nix that calls "
                            "clan-core.lib.clan (or a flake-parts `clan = { ... }`), a clan.nix "
                            "or an inventory.json in it"),
                   -ENOENT;
        out->dir = strdup(path);
        return out->dir ? 0 : -ENOMEM;
    }
    out->dir = clan_dir_of(path);
    out->file = strdup(path);
    if (!out->dir || !out->file) {
        clan_location_free(out);
        return -ENOMEM;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    bool nix = bl > 4 && !strcmp(base + bl - 4, ".nix");
    out->given_nix = nix && strcmp(base, "flake.nix");
    bool dir_clan = exists_in(out->dir, "flake.nix", false) ||
                    exists_in(out->dir, "inventory.json", false) ||
                    exists_in(out->dir, "machines", true) ||
                    (exists_in(out->dir, "clan.nix", false) && strcmp(base, "clan.nix"));
    out->lone = !dir_clan && nix;
    if (!nix && !dir_clan && strcmp(base, "inventory.json"))
        out->lone = true; /* any other file read as Nix, as before */
    if (out->lone && nix && !strcmp(base, "configuration.nix")) {
        /* machines/<m>/configuration.nix (or a module below the clan): the clan it belongs
         * to, found upward; the file only says which clan */
        char *cur = strdup(out->dir);
        for (unsigned k = 0; cur && k < 64; k++) {
            /* one level up: lexically while the path has one, then through ".." */
            size_t cl = strlen(cur);
            bool dots = !strcmp(cur, ".") || (cl >= 2 && !strcmp(cur + cl - 2, ".."));
            char *up = NULL;
            if (dots && asprintf(&up, "%s/..", cur) < 0)
                up = NULL;
            if (!dots)
                up = clan_dir_of(cur);
            char real[PATH_MAX];
            bool root = !up || !realpath(up, real) || !strcmp(cur, "/");
            free(cur);
            cur = up;
            if (!up)
                break;
            if (clan_is_dir(up)) {
                free(out->dir);
                out->dir = up;
                out->lone = false;
                out->given_nix = false;
                return 0;
            }
            if (root && strcmp(real, "/") == 0)
                break;
        }
        char *up = cur;
        free(up);
    }
    return 0;
}
