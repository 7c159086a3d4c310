/* clan-tui names KIND [DIR|FILE]: the names a command line takes, one a line -- machines,
 * instances and tags of a clan, the themes, the journal's output modes. Scripts and the shell
 * completions (completions/) call it, so the completions never keep a list of their own. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "core/journal.h"
#include "core/theme.h"
#include "tui/cli.h"

static void names_help(void)
{
    fputs("Usage: clan-tui names machines|instances|tags [DIR|FILE]\n"
          "       clan-tui names themes|outputs\n"
          "\n"
          "Print names, one a line, sorted, for scripts and shell completion:\n"
          "  machines   the clan's machines\n"
          "  instances  its service instances\n"
          "  tags       the tags its machines have\n"
          "  themes     the colour themes --theme takes: the built-in ones and\n"
          "             $XDG_CONFIG_HOME/clan-tui/themes/NAME.yaml\n"
          "  outputs    the output modes of 'journal --output'\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -h, --help   show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 the clan cannot be read (nothing printed), 2 usage error.\n",
          stdout);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort, drop repeats, print. The strings are borrowed. */
static int print_sorted(const char **v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]))
            printf("%s\n", v[i]);
    return fflush(stdout) ? 1 : 0;
}

/* The built-in themes and the user's theme files (NAME.yaml in the config directory). */
static int print_themes(void)
{
    size_t nbuiltin = 0, n = 0, cap;
    while (theme_builtin_names[nbuiltin])
        nbuiltin++;
    cap = nbuiltin + 16;
    const char **v = malloc(cap * sizeof(*v));
    char **files = NULL; /* owned: the user's theme names */
    size_t nfiles = 0;
    bool oom = false;
    if (!v) {
        fputs("clan-tui: names: out of memory\n", stderr);
        return 1;
    }
    for (; n < nbuiltin; n++)
        v[n] = theme_builtin_names[n];
    char *dir = ui_config_dir(), *tdir = NULL;
    DIR *d = dir && asprintf(&tdir, "%s/themes", dir) >= 0 ? opendir(tdir) : NULL;
    free(dir);
    free(tdir);
    for (struct dirent *e; d && (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".yaml"))
            continue;
        if (n == cap) {
            const char **nv = realloc(v, (cap *= 2) * sizeof(*v));
            if (!(oom = !nv))
                v = nv;
            else
                break;
        }
        char **nf = realloc(files, (nfiles + 1) * sizeof(*files));
        if ((oom = !nf || !(nf[nfiles] = strndup(e->d_name, len - 5)))) {
            files = nf ? nf : files;
            break;
        }
        files = nf;
        v[n++] = files[nfiles++];
    }
    if (d)
        closedir(d);
    int r = oom ? 1 : print_sorted(v, n);
    if (oom)
        fputs("clan-tui: names: out of memory\n", stderr);
    for (size_t i = 0; i < nfiles; i++)
        free(files[i]);
    free(files);
    free(v);
    return r;
}

static int print_clan_names(const char *kind, const char *file)
{
    struct inventory *inv = NULL;
    struct diag_list diags = {0};
    cli_open_clan("names", file, &inv, &diags); /* a clan with errors still has names */
    diag_list_free(&diags);
    if (!inv)
        return 1;
    const struct inv_model *m = inventory_model(inv);
    size_t n = 0;
    if (!strcmp(kind, "machines"))
        n = m->nmachines;
    else if (!strcmp(kind, "instances"))
        n = m->ninstances;
    else
        for (size_t i = 0; i < m->nmachines; i++)
            n += m->machines[i].ntags;
    const char **v = calloc(n + 1, sizeof(*v));
    if (!v) {
        inventory_free(inv);
        fputs("clan-tui: names: out of memory\n", stderr);
        return 1;
    }
    size_t k = 0;
    if (!strcmp(kind, "machines"))
        for (size_t i = 0; i < m->nmachines; i++)
            v[k++] = m->machines[i].name;
    else if (!strcmp(kind, "instances"))
        for (size_t i = 0; i < m->ninstances; i++)
            v[k++] = m->instances[i].name;
    else
        for (size_t i = 0; i < m->nmachines; i++)
            for (size_t t = 0; t < m->machines[i].ntags; t++)
                if (m->machines[i].tags[t].s)
                    v[k++] = m->machines[i].tags[t].s;
    int r = print_sorted(v, k);
    free(v);
    inventory_free(inv);
    return r;
}

int cmd_names(int argc, char **argv)
{
    const char *kind = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            names_help();
            return 0;
        }
        if (a[0] == '-' && a[1])
            return cli_usage_error("names", "unknown option '%s'", a);
        if (!kind)
            kind = a;
        else if (!file)
            file = a;
        else
            return cli_usage_error("names", "unexpected argument '%s'", a);
    }
    if (!kind)
        return cli_usage_error("names", "missing KIND; expected machines, instances, tags, "
                                        "themes or outputs");
    if (!strcmp(kind, "themes") || !strcmp(kind, "outputs")) {
        if (file)
            return cli_usage_error("names", "%s takes no DIR|FILE", kind);
        if (!strcmp(kind, "themes"))
            return print_themes();
        for (size_t i = 0; journal_output_names[i]; i++)
            printf("%s\n", journal_output_names[i]);
        return fflush(stdout) ? 1 : 0;
    }
    if (strcmp(kind, "machines") && strcmp(kind, "instances") && strcmp(kind, "tags"))
        return cli_usage_error("names", "unknown KIND '%s'; expected machines, instances, tags, "
                                        "themes or outputs", kind);
    return print_clan_names(kind, file);
}
