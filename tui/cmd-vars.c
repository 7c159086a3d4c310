/* clan-tui vars get|list|check|fix [DIR|FILE] MACHINE ...: vars the way `clan vars` shows
 * them (core/keys): public values from vars/per-machine, sops secrets decrypted with the
 * admin's age identity (or plain ones from a --secrets directory); which secrets lack a
 * recipient Clan would add now, and re-encrypting them to the full set (sops updatekeys). */
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
          "       clan-tui vars list|check|fix [DIR|FILE] MACHINE [--group G]...\n"
          "\n"
          "get prints the value of a var of MACHINE, byte for byte, like `clan vars get`:\n"
          "  clan-tui vars get postgres-server borgbackup/borgbackup.ssh.pub\n"
          "prints the public key to upload to a storage box. Public values are read from\n"
          "vars/per-machine/MACHINE/GENERATOR/FILE/value; sops secrets (.../FILE/secret) are\n"
          "decrypted with your age identity (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or\n"
          "$XDG_CONFIG_HOME/sops/age/keys.txt), data and MAC checked; with --secrets, plain\n"
          "secrets from that directory (`clan-tui keygen --secrets`).\n"
          "\n"
          "list prints every var of MACHINE by generator: public or secret, whether your\n"
          "identity reads it, its recipients, and the recipients Clan would add now (linked\n"
          "beside it, members of its groups and of each --group, the machine's\n"
          "sops.defaultGroups) but that cannot read it yet. check prints only the problems\n"
          "and exits 1 when there are any. fix re-encrypts those secrets to the full\n"
          "recipient set without changing them (sops updatekeys; atomic).\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -s, --secrets DIR  get: a plain secrets directory instead of sops\n"
          "  -g, --group G      list/check/fix: a default group of the machine (repeatable)\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 printed (check: nothing to fix), 1 not generated yet, unreadable or\n"
          "(check) secrets to fix, 2 usage error.\n", stdout);
}

static int vars_get(const struct keys_env *env, const char *file, const char *machine,
                    const char *var_id, const char *secrets_opt)
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
    if (secrets_opt)
        secrets = strdup(secrets_opt);
    anchor = cli_clan_anchor(inv);
    if (anchor && keys_store_open(anchor, secrets, &store, &d) == 0 && !secrets_opt) {
        /* sops: the identities alone (a public value needs none) */
        struct keys_admin *admin = NULL;
        struct diag tmp = {0};
        if (keys_admin_identities(env, &admin, &tmp) == 0)
            keys_store_use_sops(store, admin, NULL, 0, NULL, &tmp);
        diag_clear(&tmp);
    }
    if (!anchor || !store || keys_var_get(store, machine, var_id, &value, &len, &secret, &d) < 0) {
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

enum vars_mode { VARS_LIST, VARS_CHECK, VARS_FIX };

static int vars_scan(const struct keys_env *env, const char *file, const char *machine,
                     enum vars_mode mode, const char *const *groups, size_t ngroups)
{
    struct diag_list diags = {0};
    struct inventory *inv = NULL;
    cli_open_clan("vars", file, &inv, &diags);
    if (!inv) {
        diag_list_free(&diags);
        return 1;
    }
    if (diag_list_count(&diags, DIAG_ERROR))
        cli_print_diags(stderr, &diags);
    const char *main_file = inventory_name(inv);
    char *anchor = cli_clan_anchor(inv);
    struct keys_store *store = NULL;
    struct keys_admin *admin = NULL;
    struct keys_var_info *v = NULL;
    size_t n = 0;
    struct diag d = {0};
    struct buf out = {0};
    int status = 1;
    if (inventory_machine_index(inv, machine) < 0) {
        fprintf(stderr, "%s: error: no machine '%s' in the inventory\n", main_file, machine);
        goto done;
    }
    if (!anchor || keys_store_open(anchor, NULL, &store, &d) < 0)
        goto fail;
    /* list/check read what they can; fix needs the identity that opens the secrets */
    if (keys_admin_identities(env, &admin, mode == VARS_FIX ? &d : NULL) < 0 &&
        mode == VARS_FIX)
        goto fail;
    if (keys_store_use_sops(store, admin, groups, ngroups, NULL, &d) < 0)
        goto fail;
    if (keys_vars_list(store, machine, &v, &n, &d) < 0)
        goto fail;
    size_t problems = 0, fixed = 0;
    const char *gen = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct keys_var_info *x = &v[i];
        bool problem = x->secret && (x->missing || (admin && !x->readable) || x->error);
        problems += problem;
        if (mode == VARS_FIX && x->secret && x->missing && x->readable) {
            bool changed = false;
            if (keys_var_fix(store, machine, x->generator, x->file, &changed, &d) < 0) {
                cli_print_diag(stderr, &d);
                diag_clear(&d);
                continue;
            }
            if (changed) {
                fixed++;
                buf_printf(&out, "%s/%s: re-encrypted, now also for %s\n", x->generator,
                           x->file, x->missing);
            }
            continue;
        }
        if (mode == VARS_FIX)
            continue;
        if (mode == VARS_CHECK && !problem)
            continue;
        if (!gen || strcmp(gen, x->generator))
            buf_printf(&out, "%s\n", x->generator);
        gen = x->generator;
        if (!x->secret) {
            buf_printf(&out, "  %s: public\n", x->file);
            continue;
        }
        buf_printf(&out, "  %s: secret, %s; recipients: %s\n", x->file,
                   x->readable ? "readable" : admin ? "NOT readable" : "not checked (no admin key)",
                   x->recipients ? x->recipients : "?");
        if (x->missing)
            buf_printf(&out, "    missing: %s (fix: clan-tui vars fix %s)\n", x->missing, machine);
        if (x->error)
            buf_printf(&out, "    %s\n", x->error);
    }
    if (mode == VARS_LIST && n == 0)
        buf_printf(&out, "%s has no vars\n", machine);
    if (mode == VARS_FIX)
        buf_printf(&out, "%zu secret%s re-encrypted\n", fixed, fixed == 1 ? "" : "s");
    if (mode == VARS_CHECK && problems == 0)
        buf_printf(&out, "%s: %zu vars, nothing to fix\n", machine, n);
    status = cli_write_stdout(out.p ? out.p : "", out.len);
    if (mode == VARS_CHECK && problems)
        status = 1;
    goto done;
fail:
    if (d.file)
        cli_print_diag(stderr, &d);
    else
        fprintf(stderr, "%s: error: %s\n", main_file, d.msg ? d.msg : "out of memory");
done:
    keys_vars_free(v, n);
    buf_free(&out);
    diag_clear(&d);
    keys_store_free(store);
    free(anchor);
    inventory_free(inv);
    diag_list_free(&diags);
    return status;
}

int cmd_vars(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"secrets", required_argument, NULL, 's'},
        {"group", required_argument, NULL, 'g'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *secrets = NULL;
    const char *groups[64];
    size_t ngroups = 0;
    int c;
    const struct keys_env env = {getenv("SOPS_AGE_KEY"), getenv("SOPS_AGE_KEY_FILE"),
                                 getenv("XDG_CONFIG_HOME"), getenv("HOME")};
    optind = 1;
    opterr = 0;
    /* options may come anywhere: `vars get [F] M V --secrets DIR` */
    while ((c = getopt_long(argc, argv, ":s:g:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': secrets = optarg; break;
        case 'g':
            if (ngroups == 64)
                return cli_usage_error("vars", "at most 64 --group options");
            groups[ngroups++] = optarg;
            break;
        case 'h': vars_help(); return 0;
        case ':': return cli_usage_error("vars", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_usage_error("vars", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("vars", "missing subcommand; expected get, list, check or fix");
    const char *sub = argv[optind];
    if (!strcmp(sub, "list") || !strcmp(sub, "check") || !strcmp(sub, "fix")) {
        int k = argc - optind - 1;
        if (k < 1 || k > 2)
            return cli_usage_error("vars", "%s needs [DIR|FILE] MACHINE", sub);
        if (secrets)
            return cli_usage_error("vars", "--secrets is for get");
        return vars_scan(&env, k == 2 ? argv[optind + 1] : NULL, argv[optind + k], 
                         sub[0] == 'l' ? VARS_LIST : sub[0] == 'c' ? VARS_CHECK : VARS_FIX,
                         groups, ngroups);
    }
    if (strcmp(sub, "get"))
        return cli_usage_error("vars", "unknown subcommand '%s'; expected get, list, check or "
                               "fix", sub);
    int n = argc - optind - 1; /* the words after get: [DIR|FILE] MACHINE GENERATOR/FILE */
    const char *var = argv[optind + n];
    /* two words without GENERATOR/FILE: `get FILE MACHINE`, the var left out */
    if (n < 2 || (n == 2 && !strchr(var, '/')))
        return cli_usage_error("vars", "get needs [DIR|FILE] MACHINE GENERATOR/FILE");
    if (n > 3)
        return cli_usage_error("vars", "unexpected argument '%s'", argv[optind + 4]);
    if (secrets && !*secrets)
        return cli_usage_error("vars", "--secrets needs a directory");
    return vars_get(&env, n == 3 ? argv[optind + 1] : NULL, argv[optind + n - 1], var, secrets);
}
