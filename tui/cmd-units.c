/* clan-tui units [DIR|FILE] [--out DIR] [--machine M] [--diff]: the borgbackup systemd units,
 * scripts and server files of every machine (core/units), written, diffed or printed. */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "core/units.h"
#include "tui/cli.h"

/* A fleet can have hundreds of clients without keys yet: a screenful is enough. */
#define MAX_NOTES 8

static void units_help(void)
{
    printf("Usage: clan-tui units [DIR|FILE] [--out DIR] [--machine M] [--diff] [OPTION]...\n"
          "\n"
          "Render the files Clan's borgbackup service deploys, per machine: the\n"
          "borgbackup-job-D .service and .timer for each destination D of a client, its job\n"
          "script, exclude file, hook runners and hook scripts, the commands a Clan client\n"
          "has on its PATH (borgbackup-create, borgbackup-list, borgbackup-restore,\n"
          "borg-job-D, pre-restore-<state> and post-restore-<state>), and for a backup\n"
          "server the authorized_keys lines and repository directories. Paths under\n"
          "DIR/<machine>/ mirror the machine's file system (etc/systemd/system/..., the\n"
          "script directory, ...).\n"
          "\n"
          "Without --out the files are printed to standard output.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -o, --out DIR          write DIR/<machine>/... atomically; unchanged files are\n"
          "                         not touched\n"
          "  -m, --machine M        only machine M\n"
          "  -d, --diff             with --out: show what would change, write nothing\n"
          "      --script-dir DIR   where the scripts live on the machine\n"
          "                         (default " UNITS_DEFAULT_SCRIPT_DIR ")\n"
          "      --bin-dir DIR      where the client commands go, a directory on the PATH\n"
          "                         (default " UNITS_DEFAULT_BIN_DIR ")\n"
          "      --secrets-root DIR where the machine's secrets are deployed; the key and\n"
          "                         repokey are DIR/borgbackup/... (default "
          UNITS_DEFAULT_SECRETS_ROOT ";\n"
          "                         %%m is the machine name)\n"
          "  -v, --verbose          print every warning and note (else the first %d and a\n"
          "                         count)\n"
          "  -h, --help             show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 errors in the clan or a value that cannot be written\n"
          "(nothing is written then), 2 usage error.\n", MAX_NOTES);
}

static bool has_errors(const struct diag_list *l)
{
    return diag_list_count(l, DIAG_ERROR) > 0;
}

int cmd_units(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"machine", required_argument, NULL, 'm'},
        {"diff", no_argument, NULL, 'd'},
        {"script-dir", required_argument, NULL, 'S'},
        {"secrets-root", required_argument, NULL, 'R'},
        {"bin-dir", required_argument, NULL, 'B'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *out = NULL, *machine = NULL;
    bool diff = false, verbose = false;
    struct units_options uo = {0};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:m:dvh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'm': machine = optarg; break;
        case 'd': diff = true; break;
        case 'v': verbose = true; break;
        case 'S': uo.script_dir = optarg; break;
        case 'R': uo.secrets_root = optarg; break;
        case 'B': uo.bin_dir = optarg; break;
        case 'h': units_help(); return 0;
        case ':':
            return cli_usage_error("units", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("units", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 < argc)
        return cli_usage_error("units", "unexpected argument '%s'", argv[optind + 1]);
    if (diff && !out)
        return cli_usage_error("units", "--diff compares with --out DIR; give --out");
    const char *arg = optind < argc ? argv[optind] : NULL;

    struct inventory *inv = NULL;
    int status = cli_open_clan("units", arg, &inv, NULL);
    if (!inv)
        return status;
    /* positions without a file of their own are in the main clan module */
    const char *file = inventory_name(inv), *label = cli_clan_label(arg, inv);
    struct diag_list diags = {0};
    struct plan *plan = NULL;
    struct units_machine **rendered = NULL;
    size_t nrendered = 0;
    char *last_error = NULL;
    size_t nnotes = 0;
    char *dircopy = cli_clan_dir(inv), *basecopy = strdup(file);
    uo.clan_dir = dircopy ? dircopy : ".";
    /* the header names the file, not where it was read from, so output does not depend on
     * the working directory */
    uo.source = basecopy ? basename(basecopy) : file;

    if (status) {
        fprintf(stderr, "clan-tui: units: %s has errors; no units written\n", label);
        goto done;
    }
    struct plan_options po = {.secrets_root = uo.secrets_root};
    if (inventory_plan_with(inv, &po, &plan, &diags) < 0 || has_errors(&diags)) {
        cli_print_diags(stderr, &diags);
        fprintf(stderr, "clan-tui: units: the backup plan of %s has errors; no units written\n",
                label);
        status = 1;
        goto done;
    }
    cli_print_diags(stderr, &diags);
    if (machine && !plan_find_machine(plan, machine)) {
        fprintf(stderr, "clan-tui: units: no machine '%s' in %s; expected one of:", machine,
                label);
        for (size_t i = 0; i < plan->nmachines; i++)
            fprintf(stderr, " %s", plan->machines[i].name);
        fputc('\n', stderr);
        status = 1;
        goto done;
    }
    /* Render everything first: a value that cannot be written stops the command before any
     * file is touched. */
    rendered = calloc(plan->nmachines ? plan->nmachines : 1, sizeof(*rendered));
    if (!rendered) {
        fputs("clan-tui: units: out of memory\n", stderr);
        status = 1;
        goto done;
    }
    for (size_t i = 0; i < plan->nmachines; i++) {
        const struct plan_machine *m = &plan->machines[i];
        if (machine && strcmp(m->name, machine))
            continue;
        struct diag d = {0};
        struct units_machine *um = NULL;
        if (units_render_machine(plan, m, &uo, &um, &d) < 0) {
            d.file = d.file ? d.file : strdup(file);
            /* an option error is the same for every machine: say it once */
            if (!last_error || strcmp(last_error, d.msg ? d.msg : ""))
                cli_print_diag(stderr, &d);
            free(last_error);
            last_error = strdup(d.msg ? d.msg : "");
            diag_clear(&d);
            status = 1;
            continue;
        }
        for (size_t k = 0; k < um->notes.n; k++, nnotes++) {
            if (!verbose && nnotes >= MAX_NOTES)
                continue;
            if (!um->notes.v[k].file)
                um->notes.v[k].file = strdup(file);
            cli_print_diag(stderr, &um->notes.v[k]);
        }
        rendered[nrendered++] = um;
    }
    if (nnotes > MAX_NOTES && !verbose)
        fprintf(stderr, "clan-tui: units: %zu more warnings and notes (--verbose shows them)\n",
                nnotes - MAX_NOTES);
    if (status) {
        fprintf(stderr, "clan-tui: units: no files written\n");
        goto done;
    }

    if (!out) {
        struct buf b = {0};
        for (size_t i = 0; i < nrendered; i++)
            for (size_t k = 0; k < rendered[i]->nfiles; k++) {
                const struct units_file *f = &rendered[i]->files[k];
                buf_printf(&b, "==> %s/%s (mode %04o) <==\n", rendered[i]->machine, f->path,
                           (unsigned)f->mode);
                buf_append(&b, f->content, f->len);
                buf_putc(&b, '\n');
            }
        status = cli_write_stdout(b.p ? b.p : "", b.len);
        buf_free(&b);
        goto done;
    }

    struct units_write_stats st = {0};
    struct buf db = {0};
    /* all machines' files in one batch: one sync for the lot, not two per file */
    struct file_batch *batch = NULL;
    if (!diff && file_batch_new(&batch) < 0) {
        fprintf(stderr, "clan-tui: units: out of memory\n");
        status = 1;
    }
    for (size_t i = 0; i < nrendered && !status; i++) {
        struct diag d = {0};
        int r = diff ? units_write(rendered[i], out, true, &db, &st, &d)
                     : units_stage(rendered[i], out, batch, &st, &d);
        if (r < 0) {
            cli_print_diag(stderr, &d);
            diag_clear(&d);
            status = 1;
        }
    }
    if (batch && !status) {
        struct diag d = {0};
        if (file_batch_commit(batch, &d) < 0) {
            cli_print_diag(stderr, &d);
            diag_clear(&d);
            status = 1;
        }
    }
    file_batch_free(batch);
    if (diff && db.len)
        status = cli_write_stdout(db.p, db.len) ? 1 : status;
    /* files an earlier run wrote for something that is gone: never deleted, but said */
    for (size_t i = 0; i < nrendered && !status; i++) {
        char **stale = NULL;
        size_t nstale = 0;
        struct diag d = {0};
        if (units_stale(rendered[i], out, &stale, &nstale, &d) < 0) {
            cli_print_diag(stderr, &d);
            diag_clear(&d);
            status = 1;
            break;
        }
        for (size_t k = 0; k < nstale; k++)
            fprintf(stderr, "%s: warning: %s/%s/%s is not generated any more (a destination or "
                            "state was removed?); delete it before deploying\n",
                    file, out, rendered[i]->machine, stale[k]);
        units_paths_free(stale, nstale);
    }
    buf_free(&db);
    if (!status)
        fprintf(stderr, "clan-tui: units: %zu file(s) %s, %zu unchanged in %s\n", st.written,
                diff ? "would change" : "written", st.unchanged, out);

done:
    for (size_t i = 0; i < nrendered; i++)
        units_machine_free(rendered[i]);
    free(rendered);
    free(dircopy);
    free(basecopy);
    free(last_error);
    plan_free(plan);
    inventory_free(inv);
    diag_list_free(&diags);
    return status;
}
