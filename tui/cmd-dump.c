/* clan-tui dump [DIR|FILE] --json: the inventory model as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "tui/cli.h"

static void dump_help(void)
{
    fputs("Usage: clan-tui dump [DIR|FILE] --json\n"
          "\n"
          "Print the inventory model of the clan as JSON: the files read (\"files\": path,\n"
          "kind, why they are read), the imports that cannot be followed without\n"
          "evaluating Nix (\"unfollowed\"), meta, machines (targetHost, tags,\n"
          "clan.core.state entries with folders, hook scripts and lib.mkIf conditions, the\n"
          "states clan.core.postgresql creates, and every role the machine has with its\n"
          "merged settings, each value with all of its definitions and their priorities),\n"
          "instances with their roles, and the diagnostics. Every value carries its line and\n"
          "column, and \"file\" (an index into \"files\") when it is not in the main clan\n"
          "module; values that are not literals appear as {\"opaque\": \"source text\"}.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -j, --json   JSON output (the only format)\n"
          "  -h, --help   show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 the clan has errors (the model of everything readable is\n"
          "still printed) or cannot be read, 2 usage error.\n",
          stdout);
}

int cmd_dump(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+jh", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': break;
        case 'h': dump_help(); return 0;
        default: return cli_usage_error("dump", "unknown option '%s'", argv[optind - 1]);
        }
    }
    /* options may also follow FILE */
    const char *file = NULL;
    for (int i = optind; i < argc; i++) {
        if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
            continue;
        if (file)
            return cli_usage_error("dump", "unexpected argument '%s'", argv[i]);
        file = argv[i];
    }
    struct inventory *inv = NULL;
    int st = cli_open_clan("dump", file, &inv, NULL);
    if (!inv)
        return st;
    struct buf b;
    struct buf_sink sink;
    cli_stdout_stream(&b, &sink);
    int dr = inventory_dump_json(inv, &b);
    int wst = cli_stdout_finish(&b);
    if (dr < 0 && !wst) {
        fprintf(stderr, "clan-tui: dump: out of memory\n");
        wst = 1;
    }
    inventory_free(inv);
    return wst ? wst : st;
}
