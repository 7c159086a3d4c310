/* clan-tui keygen [DIR|FILE] [--machine M | --all] [--group G] [--secrets DIR] [--regenerate]:
 * the borgbackup vars of the fleet (core/keys): backup servers' host keys first, then every
 * client's SSH key, repository passphrase and known_hosts; then the install-order check.
 * Secrets are sops files in the clan, as Clan writes them (the default), or plain files in a
 * directory outside it (--secrets). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/inventory.h"
#include "core/keys.h"
#include "tui/cli.h"
#include "tui/lazylib.h"

static void keygen_help(void)
{
    fputs("Usage: clan-tui keygen [DIR|FILE] [--machine M]... [--all] [--group G]...\n"
          "                      [--secrets DIR] [--backup DIR] [--regenerate] [--verbose]\n"
          "\n"
          "Generate the vars Clan's borgbackup service needs, with libssh, in Clan's layout\n"
          "in the clan directory: an SSH host key for every backup server (generator openssh), and for\n"
          "every client an ed25519 SSH key and a repository passphrase (generator borgbackup)\n"
          "plus a known_hosts line for each of its backup servers. Servers come first: their\n"
          "host keys are what the clients need (the install order of the Clan guide).\n"
          "\n"
          "Public values go to vars/per-machine/<machine>/<generator>/<file>/value in the\n"
          "clan directory (the directory of a lone FILE). Secrets (private keys, the\n"
          "passphrase) go beside them as sops files, .../<file>/secret, exactly as\n"
          "`clan vars generate` writes them: encrypted to the machine's age key, to you (the\n"
          "admin) and to the members of each --group, with the links machines/<m>,\n"
          "users/<you>, groups/<g> back into sops/. A machine without an age key gets one\n"
          "(sops/machines/<m>/key.json, its private key as sops/secrets/<m>-age.key/secret).\n"
          "Your age identity is read from SOPS_AGE_KEY, else the file SOPS_AGE_KEY_FILE, else\n"
          "$XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/...), and must be the key of a user\n"
          "in sops/users/. Plaintext secrets exist only in memory. Existing keys are left\n"
          "alone; a generator's files are written all or nothing.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -m, --machine M   only machine M (repeatable); default: every machine with a\n"
          "                    borgbackup role\n"
          "  -a, --all         every machine with a borgbackup role\n"
          "  -g, --group G     also encrypt to the members of sops/groups/G (repeatable):\n"
          "                    the machine's sops.defaultGroups in Clan\n"
          "  -s, --secrets DIR no sops: write the secrets as plain files to DIR, outside\n"
          "                    the clan directory (refused inside it), DIR/<machine>/\n"
          "                    <generator>/<file> (directories 0700, files 0600); Clan does\n"
          "                    not deploy these\n"
          "  -b, --backup DIR  where --regenerate keeps the old files (default\n"
          "                    $XDG_DATA_HOME/clan-tui/backups/<meta.name>/<UTC time>; with\n"
          "                    --secrets: a backup-<UTC time> directory in it)\n"
          "  -r, --regenerate  replace existing keys atomically, keeping the old files (needs\n"
          "                    --machine or --all); says which public keys to upload again\n"
          "  -v, --verbose     print every note and install-order warning (else the\n"
          "                    first 8 of each and a count)\n"
          "  -h, --help        show this help and exit\n"
          "\n"
          "Afterwards it reports clients whose keys exist while their server's host key does\n"
          "not, or predate it, with the command that fixes it.\n"
          "\n"
          "Exit status: 0 done (nothing failed), 1 errors in the clan, no admin key, or a key\n"
          "be written (that key's files are left as they were), 2 usage error.\n", stdout);
}

/* A word of a command we suggest, quoted for the shell when it needs it. */
static void put_shell_word(struct buf *b, const char *s)
{
    bool plain = *s != '\0';
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+=:,@%",
                    *p))
            plain = false;
    if (plain) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '\'');
    for (const char *p = s; *p; p++)
        if (*p == '\'')
            buf_puts(b, "'\\''");
        else
            buf_putc(b, *p);
    buf_putc(b, '\'');
}

/* Paths in the clan directory are shown relative to it, the way Clan users read them. */
static const char *clan_relative(const struct keys_store *s, const char *path)
{
    size_t n = strlen(s->clan_dir);
    if (!strncmp(path, s->clan_dir, n) && path[n] == '/')
        return path + n + 1;
    return path;
}

struct keygen_opts {
    const char *secrets, *backup;
    const char **groups;
    size_t ngroups;
};

static void fix_command(struct buf *b, const char *file, const struct keygen_opts *o,
                        const char *machine, bool regenerate)
{
    const char *secrets_opt = o->secrets;
    buf_puts(b, "clan-tui keygen");
    if (file) { /* without: found from the working directory again */
        buf_putc(b, ' ');
        put_shell_word(b, file);
    }
    buf_puts(b, " --machine ");
    put_shell_word(b, machine);
    if (secrets_opt) {
        buf_puts(b, " --secrets ");
        put_shell_word(b, secrets_opt);
    }
    for (size_t i = 0; i < o->ngroups; i++) {
        buf_puts(b, " --group ");
        put_shell_word(b, o->groups[i]);
    }
    if (regenerate)
        buf_puts(b, " --regenerate");
}

static void print_event(struct buf *out, const struct keys_store *s, const struct keys_event *e)
{
    const struct keys_result *r = &e->result;
    bool kh = !strcmp(e->generator, KEYS_KNOWN_HOSTS_GENERATOR);
    const char *what = r->outcome == KEYS_EXISTS ? "exists, left alone"
                                                 : keys_outcome_name(r->outcome);
    buf_printf(out, "%s: %s: %s", e->machine, kh ? "known_hosts" : e->generator, what);
    if (r->fingerprint)
        buf_printf(out, " %s", r->fingerprint);
    if (r->outcome == KEYS_REGENERATED && r->old_fingerprint)
        buf_printf(out, " (was %s)", r->old_fingerprint);
    buf_putc(out, '\n');
    if (r->public_path)
        buf_printf(out, "  public %s\n", clan_relative(s, r->public_path));
    for (size_t i = 0; i < r->nsecrets; i++)
        buf_printf(out, "  secret %s\n", clan_relative(s, r->secret_paths[i]));
    if (r->backup_dir)
        buf_printf(out, "  backup %s (the old files)\n", r->backup_dir);
    if (r->outcome == KEYS_REGENERATED && !strcmp(e->generator, keys_gen_borgbackup.name))
        buf_printf(out, "  upload again: the new public key replaces the old one on every "
                   "backup storage of %s (clan-tui vars get %s borgbackup/%s)\n", e->machine,
                   e->machine, keys_gen_borgbackup.public_file);
    if (r->outcome == KEYS_REGENERATED && !strcmp(e->generator, keys_gen_openssh.name))
        buf_printf(out, "  host key changed: its clients' known_hosts must be written again "
                   "(clan-tui keygen --machine CLIENT)\n");
}

#define KEYGEN_QUIET_MAX 8 /* notes and warnings shown without --verbose */

static int keygen_run(const char *file, const char *const *machines, size_t nmachines,
                      const struct keygen_opts *o, unsigned flags, bool verbose)
{
    const char *secrets_opt = o->secrets;
    struct inventory *inv = NULL;
    int status = cli_open_clan("keygen", file, &inv, NULL);
    if (!inv)
        return status;
    const char *label = cli_clan_label(file, inv), *main_file = inventory_name(inv);
    struct diag_list diags = {0};
    char *anchor = NULL;
    struct plan *plan = NULL;
    struct keys_store *store = NULL;
    char *secrets = NULL;
    struct keys_report rep = {0};
    struct diag d = {0};
    struct buf out = {0}, err = {0};

    if (status) {
        fprintf(stderr, "clan-tui: keygen: %s has errors; no keys generated\n", label);
        goto done;
    }
    if (inventory_plan(inv, &plan, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        fprintf(stderr, "clan-tui: keygen: no backup plan for %s; no keys generated\n", label);
        status = 1;
        goto done;
    }
    /* plan problems (a schedule, a destination) do not change which keys are needed */
    cli_print_diags(stderr, &diags);

    if (secrets_opt)
        secrets = strdup(secrets_opt);
    anchor = cli_clan_anchor(inv);
    if ((secrets_opt && !secrets) || !anchor || keys_store_open(anchor, secrets, &store, &d) < 0 ||
        (!secrets_opt && cli_keys_use_sops(store, plan->meta_name, o->groups, o->ngroups,
                                           o->backup, &d) < 0)) {
        if (!d.msg)
            diag_errno(&d, ENOMEM, NULL, "out of memory");
        if (d.file)
            cli_print_diag(stderr, &d);
        else
            fprintf(stderr, "%s: error: %s\n", main_file, d.msg);
        fputs("clan-tui: keygen: no keys generated\n", stderr);
        status = 1;
        goto done;
    }
    /* both libraries loaded before the first file is written, so a missing one stops here */
    char why[512];
    if (lazylib_require(LAZYLIB_BIT(LAZYLIB_SSH) | LAZYLIB_BIT(LAZYLIB_CRYPTO), why,
                        sizeof why) < 0) {
        fprintf(stderr, "clan-tui: keygen: %s\nclan-tui: keygen: no keys generated\n", why);
        status = 1;
        goto done;
    }
    if (keys_run(store, plan, machines, nmachines, flags, (int64_t)time(NULL), &rep, &d) < 0) {
        if (!d.file)
            fprintf(stderr, "%s: error: %s\n", main_file, d.msg);
        else
            cli_print_diag(stderr, &d);
        fputs("clan-tui: keygen: no keys generated\n", stderr);
        status = 1;
        goto done;
    }

    if (store->admin)
        buf_printf(&out, "secrets: sops files in %s, encrypted for admin %s (key from %s)\n",
                   store->clan_dir, store->admin->user, store->admin->source);
    else
        buf_printf(&out, "secrets directory: %s (outside the clan directory %s)\n",
                   store->secrets_dir, store->clan_dir);
    size_t counts[KEYS_FAILED + 1] = {0};
    for (size_t i = 0; i < rep.nevents; i++) {
        const struct keys_event *e = &rep.events[i];
        counts[e->result.outcome]++;
        if (e->result.outcome == KEYS_FAILED) {
            char *msg = diag_format(&e->diag);
            buf_printf(&err, "%s: %s: failed, nothing written: %s\n", e->machine, e->generator,
                       msg ? msg : "?");
            free(msg);
            if (e->diag.msg && strstr(e->diag.msg, "regenerate it")) {
                buf_puts(&err, "  fix: ");
                fix_command(&err, file, o, e->machine, true);
                buf_putc(&err, '\n');
            }
            continue;
        }
        print_event(&out, store, e);
        if (e->result.mismatch)
            buf_printf(&err, "%s: %s: warning: the private key in the secrets directory does "
                       "not belong to the public value; fix: regenerate it\n", e->machine,
                       e->generator);
    }
    size_t shown = 0;
    for (size_t i = 0; i < rep.notes.n; i++) {
        if (!verbose && shown == KEYGEN_QUIET_MAX) {
            buf_printf(&err, "... and %zu more notes (--verbose prints them all)\n",
                       rep.notes.n - i);
            break;
        }
        char *msg = diag_format(&rep.notes.v[i]);
        buf_printf(&err, "%s\n", msg ? msg : "?");
        free(msg);
        shown++;
    }
    for (size_t i = 0; i < rep.nissues; i++) {
        if (!verbose && i == KEYGEN_QUIET_MAX) {
            buf_printf(&err, "... and %zu more install-order warnings (--verbose prints them "
                       "all)\n", rep.nissues - i);
            break;
        }
        const struct keys_order_issue *is = &rep.issues[i];
        buf_printf(&err, "warning: install order: %s\n  fix: ", is->message);
        if (is->clan_managed && !store->admin) {
            /* Clan's own vars: Clan regenerates them (its sops store is not ours to write) */
            if (is->kind == KEYS_ORDER_NO_HOST_KEY) {
                buf_puts(&err, "clan vars generate ");
                put_shell_word(&err, is->server);
                buf_puts(&err, " --generator openssh && ");
            }
            buf_puts(&err, "clan vars generate ");
            put_shell_word(&err, is->client);
            buf_puts(&err, " --generator borgbackup --regenerate\n");
            continue;
        }
        if (is->kind == KEYS_ORDER_NO_HOST_KEY) {
            fix_command(&err, file, o, is->server, false);
            buf_puts(&err, " && ");
        }
        fix_command(&err, file, o, is->client, is->kind != KEYS_ORDER_KNOWN_HOSTS);
        buf_putc(&err, '\n');
    }
    /* the steps, then what went wrong and the warnings, then the summary last */
    if (cli_write_stdout(out.p, out.len))
        status = 1;
    if (err.len) {
        fputs(err.p, stderr);
        fflush(stderr);
    }
    buf_reset(&out);
    buf_printf(&out, "%zu generated, %zu regenerated, %zu left alone, %zu updated, "
               "%zu unchanged, %zu failed\n",
               counts[KEYS_GENERATED], counts[KEYS_REGENERATED], counts[KEYS_EXISTS],
               counts[KEYS_UPDATED], counts[KEYS_UNCHANGED], counts[KEYS_FAILED]);
    if (cli_write_stdout(out.p, out.len))
        status = 1;
    if (counts[KEYS_FAILED])
        status = 1;

done:
    buf_free(&out);
    buf_free(&err);
    diag_clear(&d);
    keys_report_free(&rep);
    keys_store_free(store);
    free(secrets);
    free(anchor);
    plan_free(plan);
    inventory_free(inv);
    diag_list_free(&diags);
    return status;
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"machine", required_argument, NULL, 'm'},
        {"all", no_argument, NULL, 'a'},
        {"secrets", required_argument, NULL, 's'},
        {"group", required_argument, NULL, 'g'},
        {"backup", required_argument, NULL, 'b'},
        {"regenerate", no_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **machines = calloc((size_t)argc + 1, sizeof(*machines));
    const char **groups = calloc((size_t)argc + 1, sizeof(*groups));
    struct keygen_opts o = {NULL, NULL, groups, 0};
    if (!machines || !groups) {
        free(machines);
        free(groups);
        fputs("clan-tui: keygen: out of memory\n", stderr);
        return 1;
    }
    size_t nmachines = 0;
    bool all = false, verbose = false;
    unsigned flags = 0;
    int c, r = -1;
    optind = 1;
    opterr = 0;
    while (r < 0 && (c = getopt_long(argc, argv, ":m:as:g:b:rvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': machines[nmachines++] = optarg; break;
        case 'a': all = true; break;
        case 's': o.secrets = optarg; break;
        case 'g': groups[o.ngroups++] = optarg; break;
        case 'b': o.backup = optarg; break;
        case 'r': flags |= KEYS_REGENERATE; break;
        case 'v': verbose = true; break;
        case 'h': keygen_help(); r = 0; break;
        case ':':
            r = cli_usage_error("keygen", "option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            r = cli_usage_error("keygen", "unknown option '%s'", argv[optind - 1]);
            break;
        }
    }
    if (r < 0) {
        if (optind + 1 < argc)
            r = cli_usage_error("keygen", "unexpected argument '%s'", argv[optind + 1]);
        else if (all && nmachines)
            r = cli_usage_error("keygen", "--all and --machine exclude each other");
        else if ((flags & KEYS_REGENERATE) && !all && !nmachines)
            r = cli_usage_error("keygen", "--regenerate replaces keys: name them with "
                                "--machine M or --all");
        else if (o.secrets && !*o.secrets)
            r = cli_usage_error("keygen", "--secrets needs a directory");
        else if (o.secrets && o.ngroups)
            r = cli_usage_error("keygen", "--group is for sops secrets; --secrets writes plain "
                                "files");
    }
    if (r < 0)
        r = keygen_run(optind < argc ? argv[optind] : NULL, machines, nmachines, &o, flags,
                       verbose);
    free(machines);
    free(groups);
    return r;
}
