/* libFuzzer target: key scripts of `clan-tui screen` driving the real UI (headless) on a
 * sample: any script gives screens or a positioned error, never a crash or a leak.
 * Bad steps are reported on stderr: run with -close_fd_mask=2. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 2048) /* every key redraws: keep runs short */
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    setenv("TERM", "xterm-256color", 1);
    unsetenv("XDG_CONFIG_HOME");
    /* read-only: random keys must never write the bundled samples, units or keys */
    struct app_options opt = {
        .file = SAMPLES_DIR "/two-machines.nix", .mouse = 1, .ncolors = -1, .readonly = true};
    struct harness *h = NULL;
    struct diag d = {0};
    FILE *out = fopen("/dev/null", "w"); /* run with -close_fd_mask=2: bad steps print */
    if (out && harness_open(&opt, 80, 24, NULL, &h, &d) == 0) {
        harness_run_script(h, "fuzz.keys", text, out);
        harness_close(h);
    }
    diag_clear(&d);
    if (out)
        fclose(out);
    free(text);
    return 0;
}
