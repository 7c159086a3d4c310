/* clan-tui schedule-map [DIR|FILE] [--json] [--propose] [--apply [--dry-run]]: the fleet's week of
 * backup starts per server, the collisions, and a staggered proposal (core/schedmap). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/inventory.h"
#include "core/schedmap.h"
#include "tui/cli.h"
#include "tui/edit.h"

static void usage(void)
{
    fputs("Usage: clan-tui schedule-map [DIR|FILE] [--json] [--propose] [--apply [--dry-run]]\n"
          "                             [--week DATE] [--step MINUTES]\n"
          "\n"
          "The week of borgbackup job starts of every client, grouped by backup server\n"
          "(explicit destinations by the repository's host): one row per day, one column per\n"
          "hour, each cell the number of jobs starting then ('.' none, '+' ten or more); '!'\n"
          "marks an hour in which two or more jobs of one server start at the same moment (a\n"
          "collision: borg's locks make all but one of them fail or wait).\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -j, --json         the map (and with --propose the proposal) as JSON\n"
          "  -p, --propose      propose new startAt times that remove the collisions: the first\n"
          "                     client keeps its time, the others move to the next free time\n"
          "                     of day in steps of --step minutes (fixed-time expressions\n"
          "                     only; the others are named)\n"
          "  -a, --apply        apply the proposal to the clan (machine-level startAt edits)\n"
          "                     and write it atomically\n"
          "  -n, --dry-run      with --apply: print the diff instead of writing\n"
          "  -w, --week DATE    the week starting at the midnight before DATE (systemd time,\n"
          "                     default now, or $CLAN_TUI_NOW)\n"
          "  -s, --step MINUTES the stagger step (default 30)\n"
          "  -h, --help         show this help and exit\n"
          "\n"
          "Exit status: 0 no collision (or the proposal was applied), 1 error, 2 usage,\n"
          "3 collisions were found (and not applied).\n",
          stdout);
}

int cmd_schedule_map(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},     {"propose", no_argument, NULL, 'p'},
        {"apply", no_argument, NULL, 'a'},    {"dry-run", no_argument, NULL, 'n'},
        {"week", required_argument, NULL, 'w'}, {"step", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0},
    };
    bool json = false, propose = false, apply = false, dry = false;
    const char *week = NULL;
    unsigned step = 30;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":jpanw:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = true; break;
        case 'p': propose = true; break;
        case 'a': apply = true; break;
        case 'n': dry = true; break;
        case 'w': week = optarg; break;
        case 's': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || v < 1 || v > 720)
                return cli_usage_error("schedule-map", "bad step '%s': expected minutes, 1 to 720",
                                       optarg);
            step = (unsigned)v;
            break;
        }
        case 'h': usage(); return 0;
        case ':':
            return cli_usage_error("schedule-map", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("schedule-map", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind + 1 < argc)
        return cli_usage_error("schedule-map", "unexpected argument '%s'", argv[optind + 1]);
    if (dry && !apply)
        return cli_usage_error("schedule-map", "--dry-run goes with --apply");
    if (apply && json)
        return cli_usage_error("schedule-map", "--apply prints what it did as text; drop --json");
    if (apply)
        propose = true;
    const char *arg = optind < argc ? argv[optind] : NULL;

    int status = 1;
    struct diag_list dl = {0};
    struct diag d = {0};
    struct inventory *inv = NULL;
    struct plan *plan = NULL;
    struct schedmap *map = NULL;
    struct schedmap_proposal pr = {0};
    struct buf out = {0};
    struct calendar_ctx *ctx = calendar_ctx_new();
    if (!ctx) {
        fputs("clan-tui: schedule-map: out of memory\n", stderr);
        return 1;
    }
    uint64_t from = edit_now();
    if (week && calendar_parse_timestamp(ctx, week, from, &from) < 0) {
        calendar_ctx_free(ctx);
        return cli_usage_error("schedule-map", "bad --week '%s': expected a time such as "
                               "\"2026-11-30\" or \"monday\"", week);
    }
    cli_open_clan("schedule-map", arg, &inv, &dl); /* the map shows what matters */
    if (!inv)
        goto out;
    diag_list_free(&dl);
    const char *file = inventory_name(inv); /* what --apply edits */
    if (inventory_plan(inv, &plan, &dl) < 0) {
        cli_print_diags(stderr, &dl);
        goto out;
    }
    if (schedmap_build(plan, ctx, from, &map, &d) < 0 ||
        (propose && schedmap_propose(map, plan, ctx, step, &pr, &d) < 0)) {
        cli_print_diag(stderr, &d);
        goto out;
    }
    if (json) {
        schedmap_format_json(map, propose ? &pr : NULL, ctx, &out);
    } else {
        schedmap_format_text(map, ctx, &out);
        if (propose) {
            buf_printf(&out, "proposal: %zu change%s\n", pr.nchanges, pr.nchanges == 1 ? "" : "s");
            for (size_t i = 0; i < pr.nchanges; i++)
                buf_printf(&out, "  %s: startAt %s -> %s\n", pr.changes[i].client,
                           pr.changes[i].old_start_at, pr.changes[i].new_start_at);
            for (size_t i = 0; i < pr.notes.n; i++)
                buf_printf(&out, "  note: %s\n", pr.notes.v[i].msg);
        }
    }
    status = map->ncollisions ? 3 : 0;
    if (apply && pr.nchanges) {
        size_t len0;
        const char *t0 = inventory_text(inv, &len0);
        char *before = strndup(t0, len0);
        for (size_t i = 0; i < pr.nchanges && before; i++) {
            struct inv_op op;
            struct inv_alternatives alts = {0};
            if (schedmap_change_op(inv, &pr.changes[i], &op, &d) < 0) {
                cli_print_diag(stderr, &d);
                status = 1;
                break;
            }
            if (inventory_edit(inv, &op, &alts, &dl) < 0 &&
                (!alts.n || inventory_edit(inv, &alts.v[0].op, NULL, &dl) < 0)) {
                inv_alternatives_free(&alts);
                cli_print_diags(stderr, &dl);
                fprintf(stderr, "clan-tui: schedule-map: %s not changed; nothing written\n", file);
                status = 1;
                break;
            }
            inv_alternatives_free(&alts);
            diag_list_free(&dl);
        }
        struct buf names = {0}; /* the files the changes went to */
        if (status != 1 && before) {
            if (dry) {
                cli_diff_pending(inv, before, len0, false, &out, NULL);
            } else if (cli_diff_pending(inv, NULL, 0, false, NULL, &names) < 0 ||
                       inventory_save(inv, &d) < 0) {
                cli_print_diag(stderr, &d);
                status = 1;
            } else {
                buf_printf(&out, "wrote %s: %zu startAt change%s\n", names.p ? names.p : file,
                           pr.nchanges, pr.nchanges == 1 ? "" : "s");
                status = 0;
            }
        }
        buf_free(&names);
        if (!before)
            status = 1;
        free(before);
    }
    if (cli_write_stdout(out.p ? out.p : "", out.len))
        status = 1;
out:
    buf_free(&out);
    schedmap_proposal_free(&pr);
    schedmap_free(map);
    plan_free(plan);
    inventory_free(inv);
    diag_list_free(&dl);
    diag_clear(&d);
    calendar_ctx_free(ctx);
    return status;
}
