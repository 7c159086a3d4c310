/* clan-tui entry point: dispatch to a subcommand, or start the interactive UI. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tui/app.h"
#include "tui/cli.h"
#include "tui/heap.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
#define CMD(name, fn, summary) {name, fn, summary},
#include "tui/commands.def"
#undef CMD
    {NULL, NULL, NULL},
};

static void usage(FILE *f)
{
    fputs("Usage: clan-tui [OPTION]... [DIR|FILE]\n"
          "       clan-tui COMMAND [ARG]...\n"
          "\n"
          "A terminal UI for the backup side of a Clan fleet. Without a command, opens the\n"
          "clan in the interactive UI.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Commands:\n", f);
    for (const struct command *c = commands; c->name; c++)
        fprintf(f, "  %-15s %s\n", c->name, c->summary);
    fputs("\n"
          "Options of the UI:\n", f);
    app_usage_options(f);
    fputs("\n"
          "Options:\n"
          "  -h, --help         show this help and exit\n"
          "  -V, --version      show the version and exit\n"
          "\n"
          "Run 'clan-tui COMMAND --help' for a command's options; 'man clan-tui' for all.\n", f);
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        const char *a = argv[1];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("clan-tui %s\n", CLAN_TUI_VERSION);
            return 0;
        }
        heap_prefer_huge_pages(HEAP_BASE_RESERVE);
        for (const struct command *c = commands; c->name; c++)
            if (!strcmp(a, c->name))
                return c->run(argc - 1, argv + 1);
        /* A word that is neither a command nor an existing file is a mistyped command. */
        struct stat st;
        if (a[0] != '-' && !strchr(a, '/') && !strstr(a, ".nix") && stat(a, &st) != 0)
            return cli_usage_error(NULL, "unknown command or file '%s'", a);
    }
    if (argc < 2)
        heap_prefer_huge_pages(HEAP_BASE_RESERVE);
    return tui_main(argc, argv);
}
