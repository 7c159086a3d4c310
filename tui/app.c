/* Placeholder until the interactive UI lands (issue 9): refuses clearly. */
#include <stdio.h>
#include <string.h>

#include "tui/app.h"
#include "tui/cli.h"

int tui_main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && strcmp(argv[i], "-"))
            return cli_usage_error(NULL, "unknown option '%s'", argv[i]);
    fputs("clan-tui: the interactive UI is not built yet; see 'clan-tui --help'\n", stderr);
    return 1;
}
