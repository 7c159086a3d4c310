/* Helper for tests/nix-diff.sh: parse every file named on stdin (one per line) in one
 * process and print "VERDICT ROUNDTRIP FILE": verdict 0 = accepted, 1 = rejected;
 * roundtrip 0 = the printed tree is byte-identical to the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"

int main(void)
{
    char line[4096];
    int rc = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0])
            continue;
        char *text;
        size_t len;
        struct diag d = {0};
        if (file_read(line, &text, &len, NULL, &d) < 0) {
            fprintf(stderr, "%s\n", d.msg);
            diag_clear(&d);
            rc = 1;
            continue;
        }
        struct diag_list dl = {0};
        struct nix_file *f = NULL;
        int verdict = 1, rt = 1;
        if (nix_parse(line, text, len, &f, &dl) == 0) {
            verdict = nix_file_has_errors(f) ? 1 : 0;
            struct buf b = {0};
            if (nix_file_print(f, &b) == 0 && b.len == len && (!len || !memcmp(b.p, text, len)))
                rt = 0;
            buf_free(&b);
        }
        printf("%d %d %s\n", verdict, rt, line);
        nix_file_free(f);
        diag_list_free(&dl);
        free(text);
    }
    return rc;
}
