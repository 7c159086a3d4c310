/* libFuzzer target for core/secrets' age reader: any input as an age file (binary or armored)
 * decrypted with a fixed identity -- which must fail cleanly unless the input is a real file
 * for it -- then an identity file, a recipient and an identity string. A file the fixed
 * identity encrypted is appended to the corpus's reach: the first input byte selects whether
 * the rest is mixed into a genuine header, so the MAC and payload checks are exercised too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 200000)
        return 0;
    struct age_identities ids;
    struct age_identity id;
    memset(&id, 0x42, sizeof(id));
    struct diag d = {0};
    char sk[AGE_IDENTITY_LEN + 1];
    /* a fixed identity: secret 0x42..., public derived */
    age_identity_format(&id, sk);
    if (age_identity_parse(sk, strlen(sk), &id, &d) != 0)
        abort();
    ids.v = &id;
    ids.n = 1;
    unsigned char *out = NULL;
    size_t outlen = 0;
    if (age_decrypt(&ids, "fuzz", data, size, &out, &outlen, NULL, &d) == 0)
        secret_free(out, outlen);
    diag_clear(&d);
    /* a genuine file with the input spliced in at a position the first byte picks */
    if (size > 1) {
        char *ct = NULL;
        size_t ctlen = 0;
        if (age_encrypt((const unsigned char(*)[AGE_KEY_BYTES])id.public, 1, "x", 1, data[0] & 1,
                        &ct, &ctlen, &d) != 0)
            abort();
        size_t at = (size_t)data[0] * ctlen / 256;
        size_t n = size - 1 < ctlen - at ? size - 1 : ctlen - at;
        memcpy(ct + at, data + 1, n);
        if (age_decrypt(&ids, "fuzz", ct, ctlen, &out, &outlen, NULL, &d) == 0)
            secret_free(out, outlen);
        diag_clear(&d);
        free(ct);
    }
    struct age_identities parsed;
    if (age_identities_parse("keys.txt", (const char *)data, size, &parsed, &d) == 0)
        age_identities_free(&parsed);
    diag_clear(&d);
    unsigned char pub[AGE_KEY_BYTES];
    if (age_recipient_parse((const char *)data, size, pub, &d) == 0) {
        char back[AGE_RECIPIENT_LEN + 1];
        age_recipient_format(pub, back);
        if (strlen(back) != AGE_RECIPIENT_LEN)
            abort();
    }
    diag_clear(&d);
    return 0;
}
