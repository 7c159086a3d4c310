/* clan-tui vars get [DIR|FILE] MACHINE GENERATOR/FILE [--secrets DIR]: print a var the way
 * `clan vars get` does (core/keys): the public value from the clan directory's
 * vars/per-machine, or a secret from clan-tui's secrets directory. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "core/keys.h"
#include "tui/cli.h"

static void vars_help(void)
{
    fputs("Usage: clan-tui vars get [DIR|FILE] MACHINE GENERATOR/FILE [--secrets DIR]\n"
          "\n"
          "Print the value of a var of MACHINE, byte for byte, like `clan vars get`: e.g.\n"
          "  clan-tui vars get postgres-server borgbackup/borgbackup.ssh.pub\n"
          "prints the public key to upload to a storage box. Public values are read from\n"
          "vars/per-machine/MACHINE/GENERATOR/FILE/value in the clan directory; secrets (such\n"
          "as borgbackup/borgbackup.repokey) from the secrets directory `clan-tui keygen`\n"
          "wrote them to. Secrets that Clan encrypted with sops are not decrypted: use\n"
          "`clan vars get`.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -s, --secrets DIR  the secrets directory of this clan (default\n"
          "                     $XDG_DATA_HOME/clan-tui/secrets/<meta.name>)\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 printed, 1 not generated yet or unreadable, 2 usage error.\n", stdout);
}

static int vars_get(const char *file, const char *machine, const char *var_id,
                    const char *secrets_opt)
{
    struct diag_list diags = {0};
    struct inventory *inv = NULL;
    cli_open_clan("vars", file, &inv, &diags); /* printed below when they are errors */
    if (!inv) {
        diag_list_free(&diags);
        return 1;
    }
    const char *main_file = inventory_name(inv);
    char *anchor = NULL;
    int status = 1;
    struct keys_store *store = NULL;
    char *secrets = NULL;
    char *value = NULL;
    size_t len = 0;
    bool secret = false;
    struct diag d = {0};
    const struct inv_model *m = inventory_model(inv);
    if (diag_list_count(&diags, DIAG_ERROR))
        cli_print_diags(stderr, &diags);
    if (inventory_machine_index(inv, machine) < 0) {
        fprintf(stderr, "%s: error: no machine '%s' in the inventory; expected one of:",
                main_file, machine);
        for (size_t i = 0; i < m->nmachines; i++)
            fprintf(stderr, " %s", m->machines[i].name);
        fputc('\n', stderr);
        goto done;
    }
    const char *name = m->meta.name.s && !m->meta.name.opaque ? m->meta.name.s : NULL;
    if (secrets_opt)
        secrets = strdup(secrets_opt);
    else if (name)
        keys_default_secrets_dir(getenv("XDG_DATA_HOME"), getenv("HOME"), name, &secrets, &d);
    /* without a secrets directory, public values can still be read */
    diag_clear(&d);
    anchor = cli_clan_anchor(inv);
    if (!anchor || keys_store_open(anchor, secrets, &store, &d) < 0 ||
        keys_var_get(store, machine, var_id, &value, &len, &secret, &d) < 0) {
        if (d.file)
            cli_print_diag(stderr, &d);
        else
            fprintf(stderr, "%s: error: %s\n", main_file, d.msg ? d.msg : "out of memory");
        goto done;
    }
    status = cli_write_stdout(value, len);
done:
    if (value && secret)
        explicit_bzero(value, len);
    free(value);
    diag_clear(&d);
    keys_store_free(store);
    free(secrets);
    free(anchor);
    inventory_free(inv);
    diag_list_free(&diags);
    return status;
}

int cmd_vars(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"secrets", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *secrets = NULL;
    int c;
    optind = 1;
    opterr = 0;
    /* options may come anywhere: `vars get [F] M V --secrets DIR` */
    while ((c = getopt_long(argc, argv, ":s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': secrets = optarg; break;
        case 'h': vars_help(); return 0;
        case ':': return cli_usage_error("vars", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("vars", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("vars", "missing subcommand; expected 'get'");
    if (strcmp(argv[optind], "get"))
        return cli_usage_error("vars", "unknown subcommand '%s'; expected 'get'", argv[optind]);
    int n = argc - optind - 1; /* the words after get: [DIR|FILE] MACHINE GENERATOR/FILE */
    const char *var = argv[optind + n];
    /* two words without GENERATOR/FILE: `get FILE MACHINE`, the var left out */
    if (n < 2 || (n == 2 && !strchr(var, '/')))
        return cli_usage_error("vars", "get needs [DIR|FILE] MACHINE GENERATOR/FILE");
    if (n > 3)
        return cli_usage_error("vars", "unexpected argument '%s'", argv[optind + 4]);
    if (secrets && !*secrets)
        return cli_usage_error("vars", "--secrets needs a directory");
    return vars_get(n == 3 ? argv[optind + 1] : NULL, argv[optind + n - 1], var, secrets);
}
