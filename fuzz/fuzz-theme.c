/* libFuzzer target: theme files, keymaps and the UI config (core/theme). Any input must
 * give a theme or a positioned error, never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/theme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const actions[] = {"move-down", "quit", "help"};
    const char *text = (const char *)data;
    struct diag d = {0};
    static struct theme *base; /* the built-in default, parsed once (freed at exit) */
    struct theme *t = NULL;
    if (!base)
        base = theme_new_default();
    if (base && theme_parse(base, "f.yaml", text, size, &t, &d) == 0) {
        for (int r = 0; r < THEME_NROLES; r++)
            (void)theme_color_downgrade(theme_get(t, r).fg, 16);
        theme_free(t);
    } else if (!d.msg) {
        __builtin_trap(); /* an error must say what went wrong */
    }
    diag_clear(&d);
    struct keymap *k = NULL;
    if (keymap_parse("k.yaml", text, size, actions, 3, &k, &d) == 0)
        keymap_free(k);
    diag_clear(&d);
    struct ui_config *c = NULL;
    if (ui_config_parse("c.yaml", text, size, actions, 3, &c, &d) == 0)
        ui_config_free(c);
    diag_clear(&d);
    if (size < 64) {
        char s[64];
        memcpy(s, data, size);
        s[size] = 0;
        uint32_t key;
        int32_t col;
        if (keyname_parse(s, &key) == 0) {
            char buf[16];
            keyname_format(key, buf, sizeof(buf));
        }
        (void)theme_color_parse(s, &col);
    }
    return 0;
}
