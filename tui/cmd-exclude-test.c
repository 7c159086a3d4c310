/* clan-tui exclude-test: would borg leave a path out of a client's backup, and by which
 * pattern? The exclude editor's path tester as a command. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/borgpattern.h"
#include "core/inventory.h"
#include "tui/cli.h"

static void et_help(void)
{
    fputs("Usage: clan-tui exclude-test [DIR|FILE] MACHINE PATH...\n"
          "       clan-tui exclude-test -p PATTERN [-p PATTERN]... PATH...\n"
          "\n"
          "Say for each PATH whether borg would exclude it from MACHINE's backups, and by\n"
          "which pattern: MACHINE's settings.exclude in the borgbackup client role of the\n"
          "clan, merged as Clan merges it (role, then tags, then the machine). With -p, test\n"
          "the given patterns instead of a clan. Patterns use borg's styles: fm: (the\n"
          "default), sh:, re:, pp:, pf:. One line per path:\n"
          "  excluded PATH by PATTERN (ORIGIN)\n"
          "  kept PATH\n"
          "\n"
          CLI_CLAN_HELP
          "The first word is DIR|FILE when it is a path (it has a '/' or ends in .nix or\n"
          ".json) or a clan directory; else it is MACHINE.\n"
          "\n"
          "Options:\n"
          "  -p, --pattern P   a pattern to test (repeatable; no DIR|FILE then)\n"
          "  -h, --help        show this help and exit\n"
          "\n"
          "Exit status: 0 every path kept, 3 at least one excluded, 1 an error (an invalid\n"
          "pattern, MACHINE not a client), 2 usage error.\n",
          stdout);
}

struct et_pat {
    const char *text;
    char origin[256];
    struct borg_pattern *bp;
};

int cmd_exclude_test(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"pattern", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **cli_pats = calloc((size_t)argc + 1, sizeof(*cli_pats));
    const char **pos = calloc((size_t)argc + 1, sizeof(*pos));
    size_t ncli = 0, npos = 0;
    if (!cli_pats || !pos) {
        free(cli_pats);
        free(pos);
        return 1;
    }
    int c, ret = 0;
    optind = 1;
    opterr = 0;
    while (optind < argc) {
        if ((c = getopt_long(argc, argv, "+p:h", longopts, NULL)) == -1) {
            pos[npos++] = argv[optind++];
            continue;
        }
        switch (c) {
        case 'p': cli_pats[ncli++] = optarg; break;
        case 'h': et_help(); free(cli_pats); free(pos); return 0;
        default:
            ret = cli_usage_error("exclude-test", optopt == 'p' ? "option '%s' needs a PATTERN" : "unknown option '%s'",
                                  argv[optind - 1]);
            free(cli_pats);
            free(pos);
            return ret;
        }
    }
    /* [DIR|FILE] MACHINE PATH...: a machine name is never a path, so a first word that
     * looks like one is the clan */
    const char *clan = !ncli && npos && cli_is_clan_arg(pos[0]) ? pos[0] : NULL;
    size_t first = clan ? 1 : 0; /* MACHINE */
    size_t first_path = ncli ? 0 : first + 1;
    if (npos <= first_path) {
        free(cli_pats);
        free(pos);
        return cli_usage_error("exclude-test", ncli || npos > first ? "missing PATH"
                                               : "missing MACHINE and PATH");
    }
    struct et_pat *pats = NULL;
    size_t np = 0;
    struct inventory *inv = NULL;
    if (ncli) {
        pats = calloc(ncli, sizeof(*pats));
        for (size_t i = 0; pats && i < ncli; i++) {
            pats[np].text = cli_pats[i];
            snprintf(pats[np].origin, sizeof(pats[np].origin), "-p %zu", i + 1);
            np++;
        }
    } else {
        struct diag_list dl = {0};
        cli_open_clan("exclude-test", clan, &inv, &dl); /* only the patterns matter */
        diag_list_free(&dl);
        if (!inv) {
            free(cli_pats);
            free(pos);
            return 1;
        }
        const struct inv_model *m = inventory_model(inv);
        const char *machine = pos[first];
        long mi = inventory_machine_index(inv, machine);
        const struct inv_member *mb = NULL;
        for (size_t i = 0; mi >= 0 && i < m->nmembers && !mb; i++) {
            const struct inv_instance *in = &m->instances[m->members[i].instance];
            if (m->members[i].machine == (size_t)mi && in->module.s && !strcmp(in->module.s, "borgbackup") &&
                !strcmp(in->roles[m->members[i].role].name, "client"))
                mb = &m->members[i];
        }
        if (!mb) {
            fprintf(stderr, "clan-tui: %s: %s\n", machine,
                    mi < 0 ? "no such machine in the inventory" : "not a client of a borgbackup instance");
            inventory_free(inv);
            free(cli_pats);
            free(pos);
            return 1;
        }
        const struct inv_eff *ex = inv_eff_lookup(&mb->settings, "exclude");
        size_t n = ex ? ex->nitems : 0;
        pats = calloc(n + 1, sizeof(*pats));
        for (size_t i = 0; pats && i < n; i++) {
            const struct nix_value *v = ex->items[i];
            const struct inv_def *d = &ex->defs[ex->item_def[i]];
            if (v->kind != NIX_STRING || !v->str)
                continue;
            pats[np].text = v->str;
            /* the pattern's own position, in the file of the definition that holds it */
            const char *fname = inventory_file_name(inv, d->loc.file);
            if (d->level == INV_LEVEL_TAG)
                snprintf(pats[np].origin, sizeof(pats[np].origin), "tag %s, %s:%u:%u", d->tag, fname,
                         nix_val_line(v), nix_val_col(v));
            else
                snprintf(pats[np].origin, sizeof(pats[np].origin), "%s, %s:%u:%u", inv_level_name(d->level),
                         fname, nix_val_line(v), nix_val_col(v));
            np++;
        }
    }
    for (size_t i = 0; pats && i < np; i++) {
        struct diag d = {0};
        if (borg_pattern_parse(pats[i].text, &pats[i].bp, &d) < 0) {
            fprintf(stderr, "clan-tui: pattern '%s' (%s): column %u: error: %s\n", pats[i].text, pats[i].origin, d.col,
                    d.msg);
            ret = 1;
        }
        diag_clear(&d);
    }
    if (!pats)
        ret = 1;
    for (size_t k = first_path; ret != 1 && k < npos; k++) {
        const struct et_pat *hit = NULL;
        for (size_t i = 0; i < np && !hit; i++)
            if (borg_pattern_match(pats[i].bp, pos[k]))
                hit = &pats[i];
        if (hit) {
            printf("excluded %s by %s (%s)\n", pos[k], hit->text, hit->origin);
            ret = 3;
        } else {
            printf("kept %s\n", pos[k]);
        }
    }
    for (size_t i = 0; pats && i < np; i++)
        borg_pattern_free(pats[i].bp);
    free(pats);
    inventory_free(inv);
    free(cli_pats);
    free(pos);
    if (fflush(stdout) != 0)
        return 1;
    return ret;
}
