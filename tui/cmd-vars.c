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
#include "tui/lazylib.h"

static void vars_help(void)
{
    fputs("Usage: clan-tui vars get [DIR|FILE] MACHINE GENERATOR/FILE [--secrets DIR]\n"
          "       clan-tui vars list|check|fix [DIR|FILE] MACHINE [--group G]...\n"
          "       clan-tui vars upload-key [DIR|FILE] MACHINE DEST [--accept-new-host-key]\n"
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
          "upload-key sends MACHINE's borgbackup.ssh.pub to the host of its external\n"
          "destination DEST (settings.destinations.DEST: user, host and port from repo and\n"
          "rsh, as borg uses them), over SSH as you (the agent, your default keys, or\n"
          "--identity): a Hetzner storage box (*.your-storagebox.de) gets it through\n"
          "install-ssh-key, any other SSH server appended to ~/.ssh/authorized_keys; a key\n"
          "already there is left as it is. The host key is checked against known_hosts; a\n"
          "host not in it is refused with its fingerprint unless --accept-new-host-key.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -s, --secrets DIR  get: a plain secrets directory instead of sops\n"
          "  -g, --group G      list/check/fix: a default group of the machine (repeatable)\n"
          "      --accept-new-host-key  upload-key: trust a host not in known_hosts (its\n"
          "                     fingerprint is printed) and add it there\n"
          "  -i, --identity KEY upload-key: log in with this private key (default: the agent,\n"
          "                     ~/.ssh/id_*)\n"
          "      --known-hosts F  upload-key: the known_hosts file (default ~/.ssh/known_hosts)\n"
          "      --method M     upload-key: install-ssh-key or authorized-keys (default: by\n"
          "                     the host's name)\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 printed (check: nothing to fix; upload-key: the key is there), 1 not\n"
          "generated yet, unreadable, (check) secrets to fix or (upload-key) not uploaded,\n"
          "2 usage error.\n", stdout);
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

/* The clan, its errors printed (they do not stop a listing); NULL when it cannot be read. */
static struct inventory *vars_open(const char *file, struct diag_list *diags)
{
    struct inventory *inv = NULL;
    cli_open_clan("vars", file, &inv, diags);
    if (!inv) {
        diag_list_free(diags);
        return NULL;
    }
    if (diag_list_count(diags, DIAG_ERROR))
        cli_print_diags(stderr, diags);
    return inv;
}

static int vars_scan(const struct keys_env *env, const char *file, const char *machine,
                     enum vars_mode mode, const char *const *groups, size_t ngroups)
{
    struct diag_list diags = {0};
    struct inventory *inv = vars_open(file, &diags);
    if (!inv)
        return 1;
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

struct upload_args {
    bool accept_new;
    const char *identity, *known_hosts;
    enum keys_upload_method method;
};

/* upload-key: MACHINE's borgbackup.ssh.pub to the host of its destination DEST. */
static int vars_upload_key(const char *file, const char *machine, const char *dest,
                           const struct upload_args *ua)
{
    struct diag_list diags = {0};
    struct inventory *inv = vars_open(file, &diags);
    if (!inv)
        return 1;
    const char *main_file = inventory_name(inv);
    struct plan *plan = NULL;
    struct keys_store *store = NULL;
    struct keys_upload *up = NULL;
    struct keys_upload_target t = {0};
    char *anchor = cli_clan_anchor(inv), *pubpath = NULL, *pub = NULL;
    size_t plen = 0;
    struct diag d = {0};
    int status = 1;
    diag_list_free(&diags);
    if (inventory_plan(inv, &plan, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        goto done;
    }
    const struct plan_machine *pm = plan_find_machine(plan, machine);
    const struct plan_job *job = NULL;
    for (size_t i = 0; pm && i < pm->njobs && !job; i++)
        if (!strcmp(pm->jobs[i].destination, dest))
            job = &pm->jobs[i];
    if (!job) {
        fprintf(stderr, "%s: error: %s has no backup job to a destination '%s'; expected one of:",
                main_file, machine, dest);
        for (size_t i = 0; pm && i < pm->njobs; i++)
            fprintf(stderr, " %s", pm->jobs[i].destination);
        fputs(pm && pm->njobs ? "\n" : " (none)\n", stderr);
        goto done;
    }
    if (!job->explicit_dest)
        fprintf(stderr, "%s: note: %s is a backup server of the clan: keygen and units "
                "authorize the key there already; uploading it anyway\n", main_file, dest);
    if (keys_upload_target_parse(job->repo, job->rsh, &t, &d) < 0)
        goto fail;
    if (!anchor || keys_store_open(anchor, NULL, &store, &d) < 0)
        goto fail;
    pubpath = keys_public_path(store, machine, keys_gen_borgbackup.name, keys_gen_borgbackup.public_file);
    if (!pubpath || file_read(pubpath, &pub, &plen, NULL, &d) < 0) {
        fprintf(stderr, "%s: error: %s has no %s yet (%s); generate it first: clan-tui keygen "
                "--machine %s\n", main_file, machine, keys_gen_borgbackup.public_file,
                pubpath ? pubpath : "?", machine);
        goto done;
    }
    struct keys_upload_options o = {pub, plen, ua->identity, ua->known_hosts, ua->accept_new,
                                    NULL, ua->method, 0};
    if (keys_upload_new(&t, &o, &up, &d) < 0)
        goto fail;
    int r = keys_upload_run(up, &d);
    char *notice = keys_upload_take_notice(up);
    if (notice)
        fprintf(stderr, "%s: %s\n", keys_upload_target_name(up), notice);
    free(notice);
    if (r < 0) {
        if (keys_upload_host_unknown(up))
            fprintf(stderr, "%s: error: %s is not in known_hosts; it offers the host key %s. "
                    "Check that fingerprint with the destination's provider, then run again with "
                    "--accept-new-host-key\n", main_file, keys_upload_target_name(up),
                    keys_upload_fingerprint(up) ? keys_upload_fingerprint(up) : "?");
        else
            fprintf(stderr, "%s: error: %s\n", main_file, d.msg ? d.msg : "upload failed");
        goto done;
    }
    printf("%s: %s's %s %s %s\n", keys_upload_target_name(up), machine,
           keys_gen_borgbackup.public_file,
           keys_upload_outcome(up) == KEYS_UPLOAD_PRESENT ? "is there already:" : "added:",
           o.method == KEYS_UPLOAD_INSTALL_SSH_KEY || (o.method == KEYS_UPLOAD_AUTO && t.storage_box)
               ? "install-ssh-key" : "~/.ssh/authorized_keys");
    status = 0;
    goto done;
fail:
    fprintf(stderr, "%s: error: %s\n", main_file, d.msg ? d.msg : "out of memory");
done:
    keys_upload_free(up);
    keys_upload_target_clear(&t);
    keys_store_free(store);
    plan_free(plan);
    free(anchor);
    free(pubpath);
    free(pub);
    diag_clear(&d);
    diag_list_free(&diags);
    inventory_free(inv);
    return status;
}

int cmd_vars(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"secrets", required_argument, NULL, 's'},
        {"group", required_argument, NULL, 'g'},
        {"accept-new-host-key", no_argument, NULL, 'A'},
        {"identity", required_argument, NULL, 'i'},
        {"known-hosts", required_argument, NULL, 'K'},
        {"method", required_argument, NULL, 'M'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *secrets = NULL;
    const char *groups[64];
    size_t ngroups = 0;
    struct upload_args ua = {0};
    bool upload_opt = false;
    int c;
    const struct keys_env env = {getenv("SOPS_AGE_KEY"), getenv("SOPS_AGE_KEY_FILE"),
                                 getenv("XDG_CONFIG_HOME"), getenv("HOME")};
    optind = 1;
    opterr = 0;
    /* options may come anywhere: `vars get [F] M V --secrets DIR` */
    while ((c = getopt_long(argc, argv, ":s:g:i:h", longopts, NULL)) != -1) {
        upload_opt |= c == 'A' || c == 'i' || c == 'K' || c == 'M';
        switch (c) {
        case 's': secrets = optarg; break;
        case 'A': ua.accept_new = true; break;
        case 'i': ua.identity = optarg; break;
        case 'K': ua.known_hosts = optarg; break;
        case 'M':
            if (!strcmp(optarg, "install-ssh-key"))
                ua.method = KEYS_UPLOAD_INSTALL_SSH_KEY;
            else if (!strcmp(optarg, "authorized-keys"))
                ua.method = KEYS_UPLOAD_AUTHORIZED_KEYS;
            else
                return cli_usage_error("vars", "--method is install-ssh-key or authorized-keys, "
                                       "not '%s'", optarg);
            break;
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
        return cli_usage_error("vars", "missing subcommand; expected get, list, check, fix or "
                               "upload-key");
    const char *sub = argv[optind];
    if (!strcmp(sub, "upload-key")) {
        int k = argc - optind - 1;
        if (k < 2 || k > 3)
            return cli_usage_error("vars", "upload-key needs [DIR|FILE] MACHINE DEST");
        if (secrets || ngroups)
            return cli_usage_error("vars", "--secrets and --group are not for upload-key");
        return vars_upload_key(k == 3 ? argv[optind + 1] : NULL, argv[optind + k - 1],
                               argv[optind + k], &ua);
    }
    if (upload_opt)
        return cli_usage_error("vars", "--accept-new-host-key, --identity, --known-hosts and "
                               "--method are for upload-key");
    if (!strcmp(sub, "list") || !strcmp(sub, "check") || !strcmp(sub, "fix")) {
        int k = argc - optind - 1;
        if (k < 1 || k > 2)
            return cli_usage_error("vars", "%s needs [DIR|FILE] MACHINE", sub);
        if (secrets)
            return cli_usage_error("vars", "--secrets is for get");
        /* fix rewrites sops files: libcrypto is loaded before the first one */
        char err[512];
        if (lazylib_require(LAZYLIB_BIT(LAZYLIB_CRYPTO), err, sizeof err) < 0) {
            fprintf(stderr, "clan-tui: vars: %s\n", err);
            return 1;
        }
        return vars_scan(&env, k == 2 ? argv[optind + 1] : NULL, argv[optind + k], 
                         sub[0] == 'l' ? VARS_LIST : sub[0] == 'c' ? VARS_CHECK : VARS_FIX,
                         groups, ngroups);
    }
    if (strcmp(sub, "get"))
        return cli_usage_error("vars", "unknown subcommand '%s'; expected get, list, check, "
                               "fix or upload-key", sub);
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
