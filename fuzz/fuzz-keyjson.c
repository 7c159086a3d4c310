/* libFuzzer target for Clan's key.json reader (sops/machines/<m>/key.json,
 * sops/users/<u>/key.json): sops_key_json_parse on any input. What it accepts must be age
 * recipients that parse and print back to the same string, at least one; written again in
 * the form clan writes (a list of {"publickey", "type": "age"}) they must read back to the
 * same keys in the same order. A refusal must say where (a line and column, or the name). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secrets.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void free_keys(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 100000)
        return 0;
    struct diag d = {0};
    char **keys = NULL;
    size_t n = 0;
    if (sops_key_json_parse("key.json", (const char *)data, size, &keys, &n, &d) != 0) {
        if (!d.msg || !d.file || strcmp(d.file, "key.json"))
            abort(); /* a refusal names the file and says why */
        diag_clear(&d);
        return 0;
    }
    if (n == 0)
        abort();
    struct buf b = {0};
    buf_puts(&b, "[");
    for (size_t i = 0; i < n; i++) {
        unsigned char pub[AGE_KEY_BYTES];
        char again[AGE_RECIPIENT_LEN + 1];
        if (age_recipient_parse(keys[i], strlen(keys[i]), pub, &d) != 0)
            abort();
        age_recipient_format(pub, again);
        if (strcmp(again, keys[i]))
            abort();
        buf_printf(&b, "%s\n  {\n    \"publickey\": \"%s\",\n    \"type\": \"age\"\n  }",
                   i ? "," : "", keys[i]);
    }
    buf_puts(&b, "\n]");
    char **back = NULL;
    size_t nback = 0;
    if (!b.p || sops_key_json_parse("again", b.p, b.len, &back, &nback, &d) != 0 || nback != n)
        abort();
    for (size_t i = 0; i < n; i++)
        if (strcmp(back[i], keys[i]))
            abort();
    free_keys(back, nback);
    free_keys(keys, n);
    buf_free(&b);
    diag_clear(&d);
    return 0;
}
