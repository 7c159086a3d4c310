/* libFuzzer target for core/secrets' sops reader: any input parsed as a sops binary-store
 * file and decrypted with a fixed identity; a genuine file with the input spliced in (the
 * first byte picks where) reaches the data, MAC and age-entry checks. Nothing may be
 * accepted that the fixed identity did not encrypt unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void try(const struct age_identities *ids, const char *text, size_t len)
{
    struct diag d = {0};
    struct sops_file f;
    if (sops_parse("fuzz", text, len, &f, &d) == 0)
        sops_file_free(&f);
    diag_clear(&d);
    unsigned char *out = NULL;
    size_t outlen = 0;
    if (sops_decrypt(ids, "fuzz", text, len, &out, &outlen, &d) == 0)
        secret_free(out, outlen + 1);
    diag_clear(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 100000)
        return 0;
    struct age_identity id;
    memset(&id, 0x17, sizeof(id));
    char sk[AGE_IDENTITY_LEN + 1], rcpt[AGE_RECIPIENT_LEN + 1];
    struct diag d = {0};
    age_identity_format(&id, sk);
    if (age_identity_parse(sk, strlen(sk), &id, &d) != 0)
        abort();
    age_recipient_format(id.public, rcpt);
    struct age_identities ids = {&id, 1};
    try(&ids, (const char *)data, size);
    if (size > 1) {
        const char *r[] = {rcpt};
        char *text = NULL;
        size_t len = 0;
        if (sops_encrypt(r, 1, "secret", 6, 1700000000, &text, &len, &d) != 0)
            abort();
        size_t at = (size_t)data[0] * len / 256;
        size_t n = size - 1 < len - at ? size - 1 : len - at;
        memcpy(text + at, data + 1, n);
        try(&ids, text, len);
        free(text);
    }
    return 0;
}
