/* libFuzzer target for core/borgpattern: the input is "PATTERN\nPATH"; whatever parses is
 * matched (with and without a leading slash, which must not change the answer), and the
 * prepared form must be normalized (no "//" outside the pattern's own text for pp:/pf:). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/borgpattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 2);
    if (!s)
        return 0;
    memcpy(s + 1, data, size);
    s[0] = '/';
    s[size + 1] = 0;
    char *pat = s + 1;
    char *nl = memchr(pat, '\n', size);
    const char *path = "";
    if (nl) {
        *nl = 0;
        path = nl + 1;
    }
    struct borg_pattern *p = NULL;
    struct diag d = {0};
    if (borg_pattern_parse(pat, &p, &d) == 0) {
        bool m1 = borg_pattern_match(p, path);
        char *abs = malloc(strlen(path) + 2);
        if (abs) {
            abs[0] = '/';
            strcpy(abs + 1, path);
            if (borg_pattern_match(p, abs) != m1)
                abort();
            free(abs);
        }
        enum borg_pattern_style st = borg_pattern_style(p);
        const char *prep = borg_pattern_prepared(p);
        if ((st == BORG_PATTERN_PP || st == BORG_PATTERN_PF) && (prep[0] == '/' || strstr(prep, "//")))
            abort();
        /* a pf: pattern matches its own prepared text */
        if (st == BORG_PATTERN_PF && !borg_pattern_match(p, prep))
            abort();
        borg_pattern_free(p);
    } else if (!d.msg || d.col == 0) {
        abort(); /* every refusal says where */
    }
    diag_clear(&d);
    char *n = borg_normpath(pat);
    free(n);
    free(s);
    return 0;
}
