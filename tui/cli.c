#include "tui/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clan.h"
#include "core/inventory.h"
#include "core/keys.h"
#include "tui/heap.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("clan-tui: ", stderr);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, " (try 'clan-tui %s --help')\n", cmd);
    else
        fputs(" (try 'clan-tui --help')\n", stderr);
    return 2;
}

void cli_print_diag(FILE *f, const struct diag *d)
{
    char *s = diag_format(d);
    if (s) {
        fprintf(f, "%s\n", s);
        free(s);
    }
}

void cli_print_diags(FILE *f, const struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cli_print_diag(f, &l->v[i]);
}

int cli_write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "clan-tui: cannot write to standard output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

static int stdout_write(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    return fwrite(p, 1, n, stdout) == n ? 0 : -(errno ? errno : EIO);
}

void cli_stdout_stream(struct buf *b, struct buf_sink *s)
{
    *s = (struct buf_sink){.write = stdout_write, .chunk = (size_t)64 << 10};
    *b = (struct buf){.sink = s};
}

int cli_stdout_finish(struct buf *b)
{
    int r = buf_drain(b);
    buf_free(b);
    if (r < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "clan-tui: cannot write to standard output: %s\n",
                strerror(r < 0 ? -r : errno));
        return 1;
    }
    return 0;
}

/* ---- the clan a command reads ---- */

int cli_open_clan(const char *cmd, const char *arg, struct inventory **inv,
                  struct diag_list *diags)
{
    struct diag_list own = {0};
    struct diag_list *dl = diags ? diags : &own;
    size_t before = dl->n;
    *inv = NULL;
    heap_expect_clan(arg);
    int r = inventory_open(arg, inv, dl);
    if (r < 0) {
        /* nothing to report later: say why now, whoever collects the rest */
        for (size_t i = before; i < dl->n; i++)
            cli_print_diag(stderr, &dl->v[i]);
        if (dl->n == before)
            fprintf(stderr, "clan-tui: %s: cannot open the clan %s: %s\n", cmd,
                    arg ? arg : "of the working directory", strerror(-r));
        if (diags)
            while (diags->n > before)
                diag_clear(&diags->v[--diags->n]);
        diag_list_free(&own);
        *inv = NULL;
        return 1;
    }
    size_t ne = 0;
    for (size_t i = before; i < dl->n; i++)
        ne += dl->v[i].severity == DIAG_ERROR;
    if (!diags)
        cli_print_diags(stderr, &own);
    diag_list_free(&own);
    return ne ? 1 : 0;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

bool cli_is_clan_arg(const char *word)
{
    if (!word || !*word)
        return false;
    if (strchr(word, '/') || ends_with(word, ".nix") || ends_with(word, ".json") ||
        !strcmp(word, ".") || !strcmp(word, ".."))
        return true;
    struct stat st;
    return stat(word, &st) == 0 && S_ISDIR(st.st_mode) && clan_is_dir(word);
}

const char *cli_clan_label(const char *arg, const struct inventory *inv)
{
    if (arg)
        return arg;
    const char *dir = inv ? inventory_dir(inv) : NULL;
    return dir ? dir : inv ? inventory_name(inv) : ".";
}

char *cli_clan_dir(const struct inventory *inv)
{
    const char *dir = inventory_dir(inv);
    if (dir)
        return strdup(dir);
    const char *name = inventory_name(inv);
    const char *sl = strrchr(name, '/');
    if (!sl)
        return strdup(".");
    return sl == name ? strdup("/") : strndup(name, (size_t)(sl - name));
}

char *cli_clan_anchor(const struct inventory *inv)
{
    const char *dir = inventory_dir(inv);
    if (!dir)
        return strdup(inventory_name(inv));
    /* the markers clan_locate looks for; a directory of nothing but machines/ has that */
    static const char *const names[] = {"flake.nix", "clan.nix", "inventory.json", "machines"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, names[i]) < 0)
            return NULL;
        if (access(p, F_OK) == 0)
            return p;
        free(p);
    }
    return strdup(inventory_name(inv));
}

int cli_diff_pending(const struct inventory *inv, const char *old0, size_t old0_len, bool ab,
                     struct buf *out, struct buf *names)
{
    size_t n = inventory_pending(inv, NULL, 0);
    struct inv_pending *pv = calloc(n ? n : 1, sizeof(*pv));
    if (!pv)
        return -ENOMEM;
    inventory_pending(inv, pv, n);
    int r = 0;
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct inv_pending *p = &pv[i];
        char *disk = NULL, *la = NULL, *lb = NULL;
        size_t dl = 0;
        struct diag d = {0};
        if (out && (p->file != 0 || !old0)) { /* unsaved: the disk holds the text as read */
            if (file_read(p->path, &disk, &dl, NULL, &d) < 0)
                dl = 0;
            diag_clear(&d);
        }
        const char *rel = p->path[0] == '/' ? p->path + 1 : p->path;
        if (ab && (asprintf(&la, "a/%s", rel) < 0 || asprintf(&lb, "b/%s", rel) < 0))
            r = -ENOMEM;
        if (r == 0 && out)
            r = diff_unified(p->file == 0 && old0 ? old0 : disk ? disk : "",
                             p->file == 0 && old0 ? old0_len : dl, p->text, p->len,
                             la ? la : p->path, lb ? lb : p->path, 3, out);
        if (names)
            buf_printf(names, "%s%s", i ? ", " : "", p->path);
        free(disk);
        free(la);
        free(lb);
    }
    free(pv);
    return r;
}

const char *cli_where(const struct inventory *inv, unsigned file, unsigned line, unsigned col,
                      char *buf, size_t n)
{
    if (!line)
        return NULL;
    const char *name = inv ? inventory_file_name(inv, file) : "";
    const char *slash = name ? strrchr(name, '/') : NULL;
    snprintf(buf, n, "%s:%u:%u", slash ? slash + 1 : name ? name : "", line, col);
    return buf;
}

int cli_keys_use_sops(struct keys_store *store, const char *meta_name,
                      const char *const *groups, size_t ngroups, const char *backup,
                      struct diag *d)
{
    struct keys_env env = {getenv("SOPS_AGE_KEY"), getenv("SOPS_AGE_KEY_FILE"),
                           getenv("XDG_CONFIG_HOME"), getenv("HOME")};
    struct keys_admin *admin = NULL;
    int r = keys_admin_find(store->clan_dir, &env, &admin, d);
    char *root = backup ? strdup(backup) : NULL;
    if (r == 0 && !root && meta_name) {
        struct diag tmp = {0};
        keys_default_backup_root(getenv("XDG_DATA_HOME"), getenv("HOME"), meta_name, &root,
                                 &tmp);
        diag_clear(&tmp);
    }
    if (r == 0)
        r = keys_store_use_sops(store, admin, groups, ngroups, root, d);
    free(root);
    return r;
}
