/* clan-tui plan [DIR|FILE] [--machine M] [--json]: the borgbackup jobs Clan would deploy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "tui/cli.h"

static void plan_help(void)
{
    fputs("Usage: clan-tui plan [DIR|FILE] [--machine M] [--json] [--secrets-root DIR]\n"
          "\n"
          "Show the borgbackup plan of the clan: for every client, one job per destination (a\n"
          "server of its instance, or an explicit settings.destinations entry) with its unit\n"
          "name borgbackup-job-<destination>, repo, BORG_RSH, paths (the union of the\n"
          "machine's clan.core.state folders), exclude patterns, schedule (startAt, default\n"
          "*-*-* 01:00:00) and the states whose hooks run around it; for every server, its\n"
          "clients and their repository directories.\n"
          "\n"
          "With --json the output is {\"machines\": {\"<name>\": {\"jobs\": [...], ...}}} where\n"
          "each job has the keys unit, destination, repo, rsh, paths, exclude, startAt,\n"
          "preBackup, postBackup, preRestore, postRestore (state names, in order), and\n"
          "startAtOrigin / excludeOrigin saying where each value was defined.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -m, --machine M        only machine M\n"
          "  -j, --json             JSON output\n"
          "      --secrets-root DIR where the machine's secrets are deployed (default\n"
          "                         /run/secrets/vars; %m is the machine name)\n"
          "  -h, --help             show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 the clan has errors (the plan is still printed) or M is not\n"
          "one of its machines, 2 usage error.\n",
          stdout);
}

static void text_plan(struct buf *b, const struct plan *p, const char *machine)
{
    for (size_t i = 0; i < p->nmachines; i++) {
        const struct plan_machine *m = &p->machines[i];
        if (machine && strcmp(m->name, machine))
            continue;
        if (!m->is_client && !m->is_server && !machine)
            continue;
        buf_printf(b, "%s%s%s\n", m->name, m->is_client ? " (client)" : "",
                   m->is_server ? " (server)" : "");
        if (m->no_jobs_reason)
            buf_printf(b, "  no jobs: %s\n", m->no_jobs_reason);
        for (size_t j = 0; j < m->njobs; j++) {
            const struct plan_job *jb = &m->jobs[j];
            buf_printf(b, "  %s\n", jb->unit);
            buf_printf(b, "    repo      %s\n", jb->repo ? jb->repo : "");
            buf_printf(b, "    rsh       %s\n", jb->rsh ? jb->rsh : "");
            buf_printf(b, "    startAt   %s (%s", jb->start_at, jb->start_at_origin.level);
            if (jb->start_at_origin.line && jb->start_at_origin.file)
                buf_printf(b, ", %s:%u", jb->start_at_origin.file, jb->start_at_origin.line);
            else if (jb->start_at_origin.line)
                buf_printf(b, ", line %u", jb->start_at_origin.line);
            buf_puts(b, ")\n    paths    ");
            for (size_t k = 0; k < jb->npaths; k++)
                buf_printf(b, " %s", jb->paths[k]);
            buf_puts(b, "\n");
            if (jb->nexclude) {
                buf_puts(b, "    exclude  ");
                for (size_t k = 0; k < jb->nexclude; k++)
                    buf_printf(b, " %s", jb->exclude[k]);
                buf_puts(b, "\n");
            }
            /* what only the machine knows: said, not guessed */
            for (size_t k = 0; k < jb->nmachine_paths; k++)
                buf_printf(b, "    evaluated on the machine (not listed above): %s\n",
                           jb->machine_paths[k]);
            for (size_t k = 0; k < jb->nconditional; k++)
                buf_printf(b, "    only when the condition holds: %s\n", jb->conditional[k]);
            if (jb->npre || jb->npost) {
                buf_puts(b, "    hooks    ");
                for (size_t k = 0; k < jb->npre; k++)
                    buf_printf(b, " pre:%s", jb->pre_backup[k].state);
                for (size_t k = 0; k < jb->npost; k++)
                    buf_printf(b, " post:%s", jb->post_backup[k].state);
                buf_puts(b, "\n");
            }
        }
        if (m->is_server) {
            buf_printf(b, "  serves at %s, directory %s\n", m->address, m->directory);
            for (size_t k = 0; k < m->nclients; k++)
                buf_printf(b, "    %s -> %s\n", m->clients[k].client, m->clients[k].directory);
        }
    }
}

int cmd_plan(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"machine", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"secrets-root", required_argument, NULL, 'R'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *machine = NULL, *file = NULL;
    bool json = false;
    struct plan_options po = {0};
    int c;
    optind = 1;
    opterr = 0;
    /* options before and after DIR|FILE */
    while (optind < argc) {
        if ((c = getopt_long(argc, argv, "+m:jh", longopts, NULL)) == -1) {
            if (file)
                return cli_usage_error("plan", "unexpected argument '%s'", argv[optind]);
            file = argv[optind++];
            continue;
        }
        switch (c) {
        case 'm': machine = optarg; break;
        case 'j': json = true; break;
        case 'R': po.secrets_root = optarg; break;
        case 'h': plan_help(); return 0;
        case ':':
            return cli_usage_error("plan", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("plan", "unknown option '%s'", argv[optind - 1]);
        }
    }
    struct inventory *inv = NULL;
    int ne = cli_open_clan("plan", file, &inv, NULL);
    if (!inv)
        return ne;
    struct diag_list diags = {0};
    struct plan *p = NULL;
    int st = 0;
    if (inventory_plan_with(inv, &po, &p, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        st = 1;
        goto out;
    }
    if (machine && !plan_find_machine(p, machine)) {
        fprintf(stderr, "clan-tui: plan: no machine '%s' in %s; expected one of:", machine,
                cli_clan_label(file, inv));
        for (size_t i = 0; i < p->nmachines; i++)
            fprintf(stderr, " %s", p->machines[i].name);
        fputc('\n', stderr);
        st = 1;
        goto out;
    }
    struct buf b;
    struct buf_sink sink;
    cli_stdout_stream(&b, &sink);
    if (json)
        plan_to_json(p, machine, &b);
    else
        text_plan(&b, p, machine);
    st = cli_stdout_finish(&b);
    if (!st && ne)
        st = 1;
out:
    plan_free(p);
    diag_list_free(&diags);
    inventory_free(inv);
    return st;
}
