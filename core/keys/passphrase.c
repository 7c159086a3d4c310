/* The borg repository passphrase: six pronounceable words, 132 bits from getrandom(). */
#include "core/keys.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* 16 consonants (4 bits) and 4 vowels (2 bits): every letter takes a whole number of bits,
 * so the words are uniform without rejection sampling. Letters easy to tell apart by ear. */
static const char consonants[16] = "bdfghjklmnprstvz";
static const char vowels[4] = "aiou";

/* Bit reader over the random bytes, most significant bit first. */
static unsigned take_bits(const unsigned char *rnd, unsigned *pos, unsigned n)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++, (*pos)++)
        v = (v << 1) | ((rnd[*pos / 8] >> (7 - *pos % 8)) & 1u);
    return v;
}

void keys_passphrase_encode(const unsigned char rnd[KEYS_PASSPHRASE_BYTES],
                            char out[KEYS_PASSPHRASE_LEN + 1])
{
    unsigned pos = 0;
    char *o = out;
    for (int w = 0; w < KEYS_PASSPHRASE_WORDS; w++) {
        if (w)
            *o++ = '-';
        for (int l = 0; l < 7; l++)
            *o++ = (l % 2 == 0) ? consonants[take_bits(rnd, &pos, 4)]
                                : vowels[take_bits(rnd, &pos, 2)];
    }
    *o = '\0';
}

int keys_passphrase_generate(char **out, struct diag *d)
{
    unsigned char rnd[KEYS_PASSPHRASE_BYTES];
    size_t got = 0;
    while (got < sizeof(rnd)) {
        /* blocking getrandom: waits for the pool to be initialised, never weak bytes */
        ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            explicit_bzero(rnd, sizeof(rnd));
            return diag_errno(d, e, NULL, "getrandom failed: %s", strerror(e));
        }
        got += (size_t)n;
    }
    char *p = malloc(KEYS_PASSPHRASE_LEN + 1);
    if (!p) {
        explicit_bzero(rnd, sizeof(rnd));
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    }
    keys_passphrase_encode(rnd, p);
    explicit_bzero(rnd, sizeof(rnd));
    *out = p;
    return 0;
}
