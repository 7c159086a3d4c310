#include "tui/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fputs("clan-tui: ", stderr);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, " (try 'clan-tui %s --help')\n", cmd);
    else
        fputs(" (try 'clan-tui --help')\n", stderr);
    return 2;
}

void cli_print_diag(FILE *f, const struct diag *d)
{
    char *s = diag_format(d);
    if (s) {
        fprintf(f, "%s\n", s);
        free(s);
    }
}

void cli_print_diags(FILE *f, const struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        cli_print_diag(f, &l->v[i]);
}

int cli_write_stdout(const char *data, size_t len)
{
    if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
        fprintf(stderr, "clan-tui: cannot write to standard output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
