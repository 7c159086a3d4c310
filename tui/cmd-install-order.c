/* clan-tui install-order [DIR|FILE]: machines in the order to install them (backup servers,
 * whose host keys clients need, before their clients). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "tui/cli.h"

static void io_help(void)
{
    fputs("Usage: clan-tui install-order [DIR|FILE] [--commands]\n"
          "\n"
          "Print the machines of the clan, one per line, in the order to install them (or to\n"
          "generate their vars): a machine that provides a key -- a backup server, whose\n"
          "SSH host key its clients need -- comes before the machines that use it; otherwise\n"
          "inventory order. A cycle is reported as an error.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  -c, --commands   print `clan machines install M --target-host H` lines\n"
          "  -h, --help       show this help and exit\n"
          "\n"
          "Exit status: 0 done, 1 the clan has errors or a cycle, 2 usage error.\n",
          stdout);
}

int cmd_install_order(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"commands", no_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    bool commands = false;
    int c;
    optind = 1;
    opterr = 0;
    while (optind < argc) {
        if ((c = getopt_long(argc, argv, "+ch", longopts, NULL)) == -1) {
            if (file)
                return cli_usage_error("install-order", "unexpected argument '%s'",
                                       argv[optind]);
            file = argv[optind++];
            continue;
        }
        switch (c) {
        case 'c': commands = true; break;
        case 'h': io_help(); return 0;
        default:
            return cli_usage_error("install-order", "unknown option '%s'", argv[optind - 1]);
        }
    }
    struct inventory *inv = NULL;
    size_t ne = (size_t)cli_open_clan("install-order", file, &inv, NULL);
    if (!inv)
        return 1;
    struct diag_list diags = {0};
    size_t *order = NULL, n = 0;
    int st = 0;
    if (inventory_install_order(inv, &order, &n, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        st = 1;
    } else {
        cli_print_diags(stderr, &diags);
        ne += diag_list_count(&diags, DIAG_ERROR);
        const struct inv_model *md = inventory_model(inv);
        struct buf b = {0};
        for (size_t i = 0; i < n; i++) {
            const struct inv_machine *m = &md->machines[order[i]];
            if (!commands)
                buf_printf(&b, "%s\n", m->name);
            else if (m->target_host.s && !m->target_host.opaque)
                buf_printf(&b, "clan machines install %s --target-host %s\n", m->name,
                           m->target_host.s);
            else
                buf_printf(&b, "clan machines install %s\n", m->name);
        }
        st = cli_write_stdout(b.p ? b.p : "", b.len);
        buf_free(&b);
    }
    free(order);
    diag_list_free(&diags);
    inventory_free(inv);
    return st ? st : (ne ? 1 : 0);
}
