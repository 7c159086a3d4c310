/* clan-tui dump FILE --json: the inventory model as JSON. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "tui/cli.h"

static void dump_help(void)
{
    fputs("Usage: clan-tui dump FILE --json\n"
          "\n"
          "Print the inventory model of FILE as JSON: meta, machines (targetHost, tags,\n"
          "clan.core.state entries with folders and hook scripts, the states\n"
          "clan.core.postgresql creates, and every role the machine has with its merged\n"
          "settings, each value with all of its definitions and their priorities),\n"
          "instances with their roles, and the diagnostics. Every value carries its line and\n"
          "column; values that are not literals appear as {\"opaque\": \"source text\"}.\n"
          "\n"
          "Options:\n"
          "  -j, --json   JSON output (the only format)\n"
          "  -h, --help   show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 FILE has errors (the model of everything readable is still\n"
          "printed) or cannot be read, 2 usage error.\n",
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
    if (!file)
        return cli_usage_error("dump", "missing FILE (the clan.nix to read)");
    struct diag_list diags = {0};
    struct inventory *inv = NULL;
    if (inventory_load(file, &inv, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        diag_list_free(&diags);
        return 1;
    }
    cli_print_diags(stderr, &diags);
    size_t ne = diag_list_count(&diags, DIAG_ERROR);
    diag_list_free(&diags);
    struct buf b = {0};
    int st = inventory_dump_json(inv, &b) < 0 ? 1 : cli_write_stdout(b.p, b.len);
    buf_free(&b);
    inventory_free(inv);
    return st ? st : (ne ? 1 : 0);
}
