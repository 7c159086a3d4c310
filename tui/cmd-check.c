/* clan-tui check [DIR|FILE]: every diagnostic of the clan (syntax, model, roles and tags,
 * settings conflicts, the backup plan, install order, Clan's sops vars: missing, lacking a
 * recipient, generated out of order). */
#include <getopt.h>
#include <stdarg.h>
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
          "names, install-order cycles, and the vars in the clan directory as Clan keeps\n"
          "them (vars/per-machine/<machine>/<generator>/<file>/{value,secret}, sops):\n"
          "  - a client without borgbackup vars, a server without openssh vars (a note:\n"
          "    keygen or `clan vars generate` makes them)\n"
          "  - a generator with some files missing (a warning: Clan would generate it all\n"
          "    again, with new keys)\n"
          "  - a secret lacking a recipient Clan would encrypt it to now (a new admin, a\n"
          "    new member of its groups: clan-tui vars fix), a sops file or recipient link\n"
          "    that cannot be read (a warning)\n"
          "  - clients whose vars were generated before their backup server's host key.\n"
          "No age identity is needed: recipients are read from the files, nothing is\n"
          "decrypted.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -s, --secrets DIR  check the plain secrets directory of `keygen --secrets DIR`\n"
          "                     instead of sops secrets in the clan\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 no errors (warnings and notes may be printed), 1 errors found,\n"
          "2 usage error.\n",
          stdout);
}

/* A diagnostic at machine m's definition in the inventory. */
static void at_machine(const struct inventory *inv, struct diag_list *all,
                       enum diag_severity sev, const char *m, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void at_machine(const struct inventory *inv, struct diag_list *all,
                       enum diag_severity sev, const char *m, const char *fmt, ...)
{
    long mi = inventory_machine_index(inv, m);
    const struct inv_model *md = inventory_model(inv);
    struct inv_loc at = mi >= 0 ? md->machines[mi].loc : (struct inv_loc){0};
    va_list ap;
    va_start(ap, fmt);
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) >= 0)
        diag_list_add(all, sev, inventory_file_name(inv, at.file), at.line, at.col, "%s", msg);
    va_end(ap);
    free(msg);
}

/* The plain secrets directory of keygen --secrets: each generator complete or absent. */
static void check_plain(const struct inventory *inv, const struct keys_store *ks,
                        const struct plan_machine *m, const struct keys_generator *g,
                        struct diag_list *all)
{
    struct keys_status st = {0};
    struct diag d = {0};
    if (keys_status_get(ks, m->name, g, &st, &d) < 0) {
        diag_clear(&d);
        return;
    }
    if (st.state == KEYS_ABSENT)
        at_machine(inv, all, DIAG_NOTE, m->name, "%s has no %s vars yet (clan-tui keygen "
                   "--machine %s --secrets %s)", m->name, g->name, m->name, ks->secrets_dir);
    else if (st.state == KEYS_INCOMPLETE)
        at_machine(inv, all, DIAG_WARNING, m->name, "%s's %s vars are incomplete: missing %s",
                   m->name, g->name, st.missing);
    else if (st.mismatch)
        at_machine(inv, all, DIAG_WARNING, m->name, "%s's %s private key does not belong to its "
                   "public value", m->name, g->name);
    keys_status_clear(&st);
}

static void check_var(const struct inventory *inv, const struct plan_machine *m,
                      const struct keys_var_info *x, struct diag_list *all)
{
    if (x->absent)
        at_machine(inv, all, DIAG_WARNING, m->name, "%s's %s vars are incomplete: "
                   "vars/per-machine/%s/%s/%s/%s is missing (Clan would generate them all "
                   "again, with new keys)", m->name, x->generator, m->name, x->generator,
                   x->file, x->secret ? "secret" : "value");
    if (x->missing)
        at_machine(inv, all, DIAG_WARNING, m->name, "vars/per-machine/%s/%s/%s/secret lacks "
                   "%s, whom Clan would encrypt it to now (clan-tui vars fix %s)", m->name,
                   x->generator, x->file, x->missing, m->name);
    const char *why = x->error ? strstr(x->error, "error: ") : NULL;
    if (x->error)
        at_machine(inv, all, DIAG_WARNING, m->name, "vars/per-machine/%s/%s/%s cannot be read: "
                   "%s", m->name, x->generator, x->file, why ? why + 7 : x->error);
}

/* Clan's sops vars of machine m: the generators it needs (borgbackup on a client, openssh
 * on a server) complete, every secret encrypted to whoever Clan would encrypt it to now. */
static void check_sops(const struct inventory *inv, const struct keys_store *ks,
                       const struct plan_machine *m, struct diag_list *all)
{
    struct keys_var_info *v = NULL;
    size_t n = 0;
    struct diag d = {0};
    if (keys_machine_vars(ks, m->name, m->is_client, m->is_server, 0, &v, &n, &d) < 0) {
        diag_clear(&d);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j = i, absent = 0;
        while (j < n && !strcmp(v[j].generator, v[i].generator))
            absent += v[j++].absent;
        if (absent == j - i) { /* the generator's first file: none of them there */
            at_machine(inv, all, DIAG_NOTE, m->name, "%s has no %s vars yet (clan-tui keygen "
                       "--machine %s, or clan vars generate %s)", m->name, v[i].generator,
                       m->name, m->name);
            i = j - 1;
            continue;
        }
        for (; i < j; i++)
            check_var(inv, m, &v[i], all);
        i = j - 1;
    }
    keys_vars_free(v, n);
}


/* The vars of every machine with a borgbackup role, and the install order between them. */
static void check_vars(const struct inventory *inv, const struct plan *plan,
                       struct keys_store *ks, struct diag_list *all)
{
    struct diag d = {0};
    if (!ks->secrets_dir)
        keys_store_load_names(ks, &d); /* key.json files read once */
    diag_clear(&d);
    for (size_t i = 0; i < plan->nmachines; i++) {
        const struct plan_machine *m = &plan->machines[i];
        if (!m->is_client && !m->is_server)
            continue;
        if (!ks->secrets_dir) {
            check_sops(inv, ks, m, all);
            continue;
        }
        if (m->is_client)
            check_plain(inv, ks, m, &keys_gen_borgbackup, all);
        if (m->is_server)
            check_plain(inv, ks, m, &keys_gen_openssh, all);
    }
    /* vars generated out of order: the public values in the clan directory */
    struct keys_order_issue *issues = NULL;
    size_t nissues = 0;
    if (keys_order_check(ks, plan, &issues, &nissues, &d) == 0) {
        for (size_t i = 0; i < nissues; i++)
            at_machine(inv, all, DIAG_WARNING, issues[i].client, "%s", issues[i].message);
        keys_order_issues_free(issues, nissues);
    }
    diag_clear(&d);
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
    struct plan *plan = NULL;
    struct keys_store *ks = NULL;
    struct diag d = {0};
    char *anchor = cli_clan_anchor(inv);
    if (inventory_plan(inv, &plan, &all) == 0 && anchor &&
        keys_store_open(anchor, secrets_opt, &ks, &d) == 0)
        check_vars(inv, plan, ks, &all);
    diag_clear(&d);
    free(anchor);
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
