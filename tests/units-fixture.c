/* Test helper: build a one-client (and optionally one-server) plan from the command line,
 * with any bytes in any value, and render it with core/units into --out DIR.
 * Lets the script tests feed hostile values without going through a clan.nix.
 *
 *   units-fixture --out DIR [--script-dir S] [--secrets-root R] [--clan-dir C]
 *       --client NAME [--start-at X] [--path P]... [--exclude PAT]...
 *       [--dest NAME REPO RSH]...  [--hook STATE pre|post FILE]...
 *       [--server NAME SERVER-DIR]
 *
 * Hook text is read from FILE (verbatim). Prints the render's notes to stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/units.h"

#define MAXN 32

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    struct buf b = {0};
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    return b.p ? buf_steal(&b) : strdup("");
}

static int hook_cmp(const void *a, const void *b)
{
    return strcmp(((const struct plan_hook *)a)->state, ((const struct plan_hook *)b)->state);
}

static void need(int i, int k, int argc, const char *opt)
{
    if (i + k >= argc) {
        fprintf(stderr, "units-fixture: %s needs %d argument(s)\n", opt, k);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    struct units_options o = {.source = "units-fixture"};
    const char *out = NULL, *client = NULL, *start_at = "*-*-* 01:00:00";
    const char *server = NULL, *server_dir = NULL;
    char *paths[MAXN], *excl[MAXN];
    size_t npaths = 0, nexcl = 0, ndest = 0, npre = 0, npost = 0;
    struct plan_job jobs[MAXN];
    struct plan_hook pre[MAXN], post[MAXN];
    memset(jobs, 0, sizeof jobs);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define OPT1(name, var) else if (!strcmp(a, name)) { need(i, 1, argc, a); var = argv[++i]; }
        if (0) {
        }
        OPT1("--out", out)
        OPT1("--script-dir", o.script_dir)
        OPT1("--secrets-root", o.secrets_root)
        OPT1("--clan-dir", o.clan_dir)
        OPT1("--client", client)
        OPT1("--start-at", start_at)
        else if (!strcmp(a, "--path") && npaths < MAXN) {
            need(i, 1, argc, a);
            paths[npaths++] = argv[++i];
        } else if (!strcmp(a, "--exclude") && nexcl < MAXN) {
            need(i, 1, argc, a);
            excl[nexcl++] = argv[++i];
        } else if (!strcmp(a, "--dest") && ndest < MAXN) {
            need(i, 3, argc, a);
            struct plan_job *j = &jobs[ndest++];
            j->destination = argv[i + 1];
            char *unit = malloc(strlen(argv[i + 1]) + 20);
            sprintf(unit, "borgbackup-job-%s", argv[i + 1]);
            j->unit = unit;
            j->repo = argv[i + 2];
            j->rsh = *argv[i + 3] ? argv[i + 3] : NULL;
            i += 3;
        } else if (!strcmp(a, "--hook") && npre < MAXN && npost < MAXN) {
            need(i, 3, argc, a);
            struct plan_hook h = {.state = argv[i + 1], .script = slurp(argv[i + 3])};
            if (!strcmp(argv[i + 2], "pre"))
                pre[npre++] = h;
            else
                post[npost++] = h;
            i += 3;
        } else if (!strcmp(a, "--server")) {
            need(i, 2, argc, a);
            server = argv[i + 1];
            server_dir = argv[i + 2];
            i += 2;
        } else {
            fprintf(stderr, "units-fixture: unknown argument '%s'\n", a);
            return 2;
        }
    }
    /* the plan keeps hooks in state-name order */
    qsort(pre, npre, sizeof *pre, hook_cmp);
    qsort(post, npost, sizeof *post, hook_cmp);
    if (!out || !client) {
        fprintf(stderr, "units-fixture: --out and --client are required\n");
        return 2;
    }
    for (size_t k = 0; k < ndest; k++) {
        jobs[k].paths = paths;
        jobs[k].npaths = npaths;
        jobs[k].exclude = excl;
        jobs[k].nexclude = nexcl;
        jobs[k].start_at = (char *)start_at;
        jobs[k].pre_backup = pre;
        jobs[k].npre = npre;
        jobs[k].post_backup = post;
        jobs[k].npost = npost;
    }
    struct plan_server_client sc = {.client = (char *)client};
    struct plan_machine m[2] = {
        {.name = (char *)client, .is_client = true, .jobs = jobs, .njobs = ndest},
        {.name = (char *)server, .is_server = true, .clients = &sc, .nclients = 1},
    };
    if (server_dir) {
        sc.directory = malloc(strlen(server_dir) + strlen(client) + 2);
        sprintf(sc.directory, "%s/%s", server_dir, client);
        m[1].directory = (char *)server_dir;
    }
    struct plan p = {.machines = m, .nmachines = server ? 2 : 1};
    int status = 0;
    for (size_t k = 0; k < p.nmachines; k++) {
        struct units_machine *um = NULL;
        struct diag d = {0};
        if (units_render_machine(&p, &m[k], &o, &um, &d) < 0 ||
            units_write(um, out, false, NULL, NULL, &d) < 0) {
            char *s = diag_format(&d);
            fprintf(stderr, "%s\n", s ? s : "error");
            free(s);
            diag_clear(&d);
            status = 1;
        }
        if (um)
            for (size_t n = 0; n < um->notes.n; n++) {
                char *s = diag_format(&um->notes.v[n]);
                fprintf(stderr, "%s\n", s ? s : "note");
                free(s);
            }
        units_machine_free(um);
    }
    for (size_t k = 0; k < ndest; k++)
        free(jobs[k].unit);
    for (size_t k = 0; k < npre; k++)
        free(pre[k].script);
    for (size_t k = 0; k < npost; k++)
        free(post[k].script);
    free(sc.directory);
    return status;
}
