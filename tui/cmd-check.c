/* clan-tui check [DIR|FILE]: every diagnostic of the clan (syntax, model, roles and tags,
 * settings conflicts, the backup plan, install order, vars generated out of order). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "core/keys.h"
#include "tui/cli.h"

static void check_help(void)
{
    fputs("Usage: clan-tui check [DIR|FILE] [--secrets DIR]\n"
          "\n"
          "Read the clan and report every problem clan-tui finds, as\n"
          "FILE:LINE:COL: severity: message -- syntax errors, values that are not literals,\n"
          "roles naming unknown machines, tags that select nothing, conflicting settings\n"
          "(Clan's evaluation would fail), borgbackup clients without a destination,\n"
          "destination names clan rejects, invalid startAt expressions, duplicate unit\n"
          "names, install-order cycles, and clients whose vars (in the clan directory's\n"
          "vars/per-machine/) were generated before their backup server's host key.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -s, --secrets DIR  the clan's secrets directory, for the vars check (default:\n"
          "                     $XDG_DATA_HOME/clan-tui/secrets/<meta.name>, as keygen)\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 no errors (warnings may be printed), 1 errors found, 2 usage error.\n",
          stdout);
}

int cmd_check(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"secrets", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL, *secrets_opt = NULL;
    int c;
    optind = 1;
    opterr = 0;
    while (optind < argc) {
        if ((c = getopt_long(argc, argv, "+s:h", longopts, NULL)) == -1) {
            if (file)
                return cli_usage_error("check", "unexpected argument '%s'", argv[optind]);
            file = argv[optind++];
            continue;
        }
        switch (c) {
        case 's': secrets_opt = optarg; break;
        case 'h': check_help(); return 0;
        case ':': return cli_usage_error("check", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("check", "unknown option '%s'", argv[optind - 1]);
        }
    }
    struct diag_list all = {0};
    struct inventory *inv = NULL;
    cli_open_clan("check", file, &inv, &all); /* the errors are counted with the rest */
    if (!inv) {
        diag_list_free(&all);
        return 1;
    }
    size_t *order = NULL, norder = 0;
    if (inventory_install_order(inv, &order, &norder, &all) == 0)
        free(order);
    /* vars generated out of order: the public values in the clan directory */
    struct plan *plan = NULL;
    struct keys_store *ks = NULL;
    struct diag d = {0};
    char *secrets = NULL;
    if (inventory_plan(inv, &plan, &all) == 0) {
        if (secrets_opt)
            secrets = strdup(secrets_opt);
        else if (plan->meta_name)
            keys_default_secrets_dir(getenv("XDG_DATA_HOME"), getenv("HOME"), plan->meta_name,
                                     &secrets, &d);
        diag_clear(&d);
    }
    /* without a secrets directory (no meta.name) the vars cannot be inspected: no check */
    char *anchor = cli_clan_anchor(inv);
    if (plan && secrets && anchor && keys_store_open(anchor, secrets, &ks, &d) == 0) {
        struct keys_order_issue *issues = NULL;
        size_t nissues = 0;
        if (keys_order_check(ks, plan, &issues, &nissues, &d) == 0) {
            for (size_t i = 0; i < nissues; i++) {
                long mi = inventory_machine_index(inv, issues[i].client);
                const struct inv_model *md = inventory_model(inv);
                struct inv_loc at = mi >= 0 ? md->machines[mi].loc : (struct inv_loc){0};
                diag_list_add(&all, DIAG_WARNING, inventory_file_name(inv, at.file), at.line,
                              at.col, "%s", issues[i].message);
            }
            keys_order_issues_free(issues, nissues);
        }
    }
    diag_clear(&d);
    free(anchor);
    free(secrets);
    keys_store_free(ks);
    plan_free(plan);
    cli_print_diags(stderr, &all);
    size_t ne = diag_list_count(&all, DIAG_ERROR), nw = diag_list_count(&all, DIAG_WARNING);
    printf("%s: %zu error%s, %zu warning%s\n", cli_clan_label(file, inv), ne,
           ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
    diag_list_free(&all);
    inventory_free(inv);
    return ne ? 1 : 0;
}
