/* core/secrets: age and sops round trips, the age spec's fixed encodings, and every kind of
 * bad input refused with its reason (truncated, tampered tag/MAC/stanza, wrong recipient). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/secrets.h"
#include "core/secrets/crypto.h"
#include "core/util.h"

static void gen(struct age_identity *id, char *rcpt)
{
    struct diag d = {0};
    assert_int_equal(age_identity_generate(id, &d), 0);
    age_recipient_format(id->public, rcpt);
}

static struct age_identities ids_of(const struct age_identity *id)
{
    struct age_identities ids;
    ids.v = malloc(sizeof(*id));
    memcpy(ids.v, id, sizeof(*id));
    ids.n = 1;
    return ids;
}

/* Two new identities and their public keys, in order. */
static void gen_two(struct age_identity *a, struct age_identity *b, unsigned char pubs[2][32])
{
    char r[AGE_RECIPIENT_LEN + 1];
    gen(a, r);
    gen(b, r);
    memcpy(pubs[0], a->public, 32);
    memcpy(pubs[1], b->public, 32);
}

/* Keys print and parse back; the bech32 forms have the lengths and prefixes age uses. */
static void test_key_formats(void **state)
{
    (void)state;
    struct age_identity id, back;
    char rcpt[AGE_RECIPIENT_LEN + 1], sk[AGE_IDENTITY_LEN + 1];
    gen(&id, rcpt);
    age_identity_format(&id, sk);
    assert_int_equal(strlen(rcpt), AGE_RECIPIENT_LEN);
    assert_int_equal(strlen(sk), AGE_IDENTITY_LEN);
    assert_memory_equal(rcpt, "age1", 4);
    assert_memory_equal(sk, "AGE-SECRET-KEY-1", 16);
    struct diag d = {0};
    assert_int_equal(age_identity_parse(sk, strlen(sk), &back, &d), 0);
    assert_memory_equal(back.public, id.public, 32);
    unsigned char pub[32];
    assert_int_equal(age_recipient_parse(rcpt, strlen(rcpt), pub, &d), 0);
    assert_memory_equal(pub, id.public, 32);
    /* one flipped character: the checksum refuses it */
    rcpt[10] = rcpt[10] == 'q' ? 'p' : 'q';
    assert_int_equal(age_recipient_parse(rcpt, strlen(rcpt), pub, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "checksum"));
    diag_clear(&d);
    /* an ssh key is no age recipient */
    const char *ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB";
    assert_int_equal(age_recipient_parse(ssh, strlen(ssh), pub, &d), -EINVAL);
    diag_clear(&d);
    sk[5] = 'x'; /* mixed case */
    assert_int_equal(age_identity_parse(sk, strlen(sk), &back, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "mixes"));
    diag_clear(&d);
}

/* An identity file: comments, blank lines, CRLF; a bad line is reported at its position. */
static void test_identity_file(void **state)
{
    (void)state;
    struct age_identity id;
    char rcpt[AGE_RECIPIENT_LEN + 1], sk[AGE_IDENTITY_LEN + 1];
    gen(&id, rcpt);
    age_identity_format(&id, sk);
    char *text = NULL;
    assert_true(asprintf(&text, "# created: now\r\n# public key: %s\r\n\r\n%s\r\n", rcpt, sk) > 0);
    struct age_identities ids;
    struct diag d = {0};
    assert_int_equal(age_identities_parse("keys.txt", text, strlen(text), &ids, &d), 0);
    assert_int_equal(ids.n, 1);
    assert_memory_equal(ids.v[0].public, id.public, 32);
    age_identities_free(&ids);
    free(text);
    const char *bad = "# ok\n  age1notakey\n";
    assert_int_equal(age_identities_parse("keys.txt", bad, strlen(bad), &ids, &d), -EINVAL);
    assert_string_equal(d.file, "keys.txt");
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 3);
    diag_clear(&d);
    assert_int_equal(age_identities_parse("keys.txt", "# only\n", 7, &ids, &d), -EINVAL);
    assert_non_null(strstr(d.msg, "no age identity"));
    diag_clear(&d);
}

/* Round trips at the chunk boundaries, binary and armored, several recipients. */
static void test_age_roundtrip(void **state)
{
    (void)state;
    struct age_identity a, b;
    unsigned char pubs[2][32];
    gen_two(&a, &b, pubs);
    static const size_t sizes[] = {0, 1, 32, 65535, 65536, 65537, 131072, 200000};
    for (size_t si = 0; si < sizeof(sizes) / sizeof(*sizes); si++)
        for (int armor = 0; armor < 2; armor++) {
            size_t n = sizes[si];
            unsigned char *pt = malloc(n + 1);
            for (size_t i = 0; i < n; i++)
                pt[i] = (unsigned char)(i * 7 + 3);
            char *ct = NULL;
            size_t ctlen = 0;
            struct diag d = {0};
            assert_int_equal(age_encrypt((const unsigned char(*)[32])pubs, 2, pt, n, armor, &ct,
                                         &ctlen, &d), 0);
            for (int who = 0; who < 2; who++) {
                struct age_identities ids = ids_of(who ? &b : &a);
                unsigned char *out = NULL;
                size_t outlen = 0, m = 9;
                assert_int_equal(age_decrypt(&ids, "x", ct, ctlen, &out, &outlen, &m, &d), 0);
                assert_int_equal(outlen, n);
                assert_int_equal(m, 0);
                if (n)
                    assert_memory_equal(out, pt, n);
                secret_free(out, outlen);
                age_identities_free(&ids);
            }
            free(ct);
            free(pt);
        }
}

typedef int decrypt_fn(const struct age_identities *ids, const char *name, const char *text,
                       size_t len, unsigned char **out, size_t *outlen, struct diag *d);

static int age_dec(const struct age_identities *ids, const char *name, const char *text,
                   size_t len, unsigned char **out, size_t *outlen, struct diag *d)
{
    return age_decrypt(ids, name, text, len, out, outlen, NULL, d);
}

/* fn must refuse text for id, naming the file and saying want. */
static void refused(decrypt_fn *fn, const char *file, const struct age_identity *id,
                    const char *text, size_t len, const char *want)
{
    struct age_identities ids = ids_of(id);
    unsigned char *out = NULL;
    size_t outlen = 0;
    struct diag d = {0};
    int r = fn(&ids, file, text, len, &out, &outlen, &d);
    age_identities_free(&ids);
    if (r == 0) {
        secret_free(out, outlen);
        fail_msg("decrypted bad input; expected: %s", want);
    }
    assert_non_null(d.msg);
    assert_string_equal(d.file, file);
    if (!strstr(d.msg, want))
        fail_msg("message '%s' lacks '%s'", d.msg, want);
    diag_clear(&d);
}

static void decrypt_err(const struct age_identity *id, const char *ct, size_t len,
                        const char *want)
{
    refused(age_dec, "f.age", id, ct, len, want);
}

/* Every byte of a small file flipped, every truncation: refused, never accepted. */
static void test_age_tampered(void **state)
{
    (void)state;
    struct age_identity a, other;
    char ra[AGE_RECIPIENT_LEN + 1], ro[AGE_RECIPIENT_LEN + 1];
    gen(&a, ra);
    gen(&other, ro);
    const char *msg = "the borg passphrase\n";
    char *ct = NULL;
    size_t ctlen = 0;
    struct diag d = {0};
    assert_int_equal(age_encrypt((const unsigned char(*)[32])a.public, 1, msg, strlen(msg), false,
                                 &ct, &ctlen, &d), 0);
    decrypt_err(&other, ct, ctlen, "no identity matches");
    const char *mac = strstr(ct, "\n--- ");
    assert_non_null(mac);
    size_t hdr_end = (size_t)(strchr(mac + 1, '\n') - ct) + 1;
    for (size_t i = 0; i < ctlen; i++) {
        char *t = malloc(ctlen);
        memcpy(t, ct, ctlen);
        t[i] ^= 0x01;
        decrypt_err(&a, t, ctlen, i >= hdr_end ? "payload" : "");
        free(t);
    }
    for (size_t n = 0; n < ctlen; n++)
        decrypt_err(&a, ct, n, "");
    /* specific reasons */
    char *t = malloc(ctlen);
    memcpy(t, ct, ctlen);
    t[(size_t)(mac - ct) + 6] ^= 0x02; /* a bit of the MAC itself */
    decrypt_err(&a, t, ctlen, "");
    memcpy(t, ct, ctlen);
    t[ctlen - 1] ^= 0x80; /* the last chunk's tag */
    decrypt_err(&a, t, ctlen, "does not authenticate");
    free(t);
    decrypt_err(&a, "hello", 5, "not an age file");
    free(ct);
}

/* A header whose stanza body was changed (re-encoded canonically) fails the header MAC. */
static void test_age_header_mac(void **state)
{
    (void)state;
    struct age_identity a, b;
    unsigned char pubs[2][32];
    gen_two(&a, &b, pubs);
    char *ct = NULL;
    size_t ctlen = 0;
    struct diag d = {0};
    assert_int_equal(age_encrypt((const unsigned char(*)[32])pubs, 2, "x", 1, false, &ct, &ctlen,
                                 &d), 0);
    /* swap the second stanza's share for a fresh valid point: a's stanza still opens, the
     * header MAC no longer matches */
    char *second = strstr(strstr(ct, "-> X25519 ") + 1, "-> X25519 ");
    assert_non_null(second);
    char share[48];
    struct age_identity c;
    char rc[AGE_RECIPIENT_LEN + 1];
    gen(&c, rc);
    b64_encode(c.public, 32, false, share);
    memcpy(second + 10, share, 43);
    decrypt_err(&a, ct, ctlen, "header MAC mismatch");
    free(ct);
}

static char *sops_file(const char *const *rcpts, size_t n, const char *pt, size_t *len)
{
    char *out = NULL;
    struct diag d = {0};
    assert_int_equal(sops_encrypt(rcpts, n, pt, strlen(pt), 1700000000, &out, len, &d), 0);
    return out;
}

static void sops_err(const struct age_identity *id, const char *text, size_t len,
                     const char *want)
{
    refused(sops_decrypt, "secret", id, text, len, want);
}

static void test_sops_roundtrip(void **state)
{
    (void)state;
    struct age_identity a, b, c;
    char ra[AGE_RECIPIENT_LEN + 1], rb[AGE_RECIPIENT_LEN + 1], rc[AGE_RECIPIENT_LEN + 1];
    gen(&a, ra);
    gen(&b, rb);
    gen(&c, rc);
    const char *rcpts[] = {ra, rb};
    size_t len = 0;
    char *text = sops_file(rcpts, 2, "secret value\n", &len);
    assert_non_null(strstr(text, "\"lastmodified\": \"2023-11-14T22:13:20Z\""));
    assert_non_null(strstr(text, "\t\"data\": \"ENC[AES256_GCM,data:"));
    struct sops_file f;
    struct diag d = {0};
    assert_int_equal(sops_parse("secret", text, len, &f, &d), 0);
    assert_int_equal(f.nage, 2);
    assert_string_equal(f.age[0].recipient, ra);
    assert_string_equal(f.age[1].recipient, rb);
    sops_file_free(&f);
    for (int who = 0; who < 2; who++) {
        struct age_identities ids = ids_of(who ? &b : &a);
        unsigned char *out = NULL;
        size_t outlen = 0;
        assert_int_equal(sops_decrypt(&ids, "secret", text, len, &out, &outlen, &d), 0);
        assert_int_equal(outlen, 13);
        assert_memory_equal(out, "secret value\n", 13);
        secret_free(out, outlen);
        age_identities_free(&ids);
    }
    sops_err(&c, text, len, "no matching identity");
    /* updatekeys: c added, b removed; same data, MAC and lastmodified */
    const char *now[] = {ra, rc};
    struct age_identities ids = ids_of(&a);
    char *up = NULL;
    size_t uplen = 0;
    assert_int_equal(sops_updatekeys(&ids, "secret", text, len, now, 2, &up, &uplen, &d), 0);
    age_identities_free(&ids);
    ids = ids_of(&c);
    unsigned char *out = NULL;
    size_t outlen = 0;
    assert_int_equal(sops_decrypt(&ids, "secret", up, uplen, &out, &outlen, &d), 0);
    assert_memory_equal(out, "secret value\n", 13);
    secret_free(out, outlen);
    age_identities_free(&ids);
    sops_err(&b, up, uplen, "no matching identity");
    assert_int_equal(sops_parse("secret", up, uplen, &f, &d), 0);
    assert_non_null(strstr(text, f.mac));
    assert_non_null(strstr(text, f.data));
    sops_file_free(&f);
    free(up);
    /* empty secret */
    char *empty = sops_file(rcpts, 1, "", &len);
    assert_non_null(strstr(empty, "\"data\": \"\""));
    ids = ids_of(&a);
    assert_int_equal(sops_decrypt(&ids, "secret", empty, len, &out, &outlen, &d), 0);
    assert_int_equal(outlen, 0);
    secret_free(out, outlen + 1);
    age_identities_free(&ids);
    free(empty);
    free(text);
}

static char *replace(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    assert_non_null(p);
    char *out = NULL;
    assert_true(asprintf(&out, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from)) > 0);
    return out;
}

static void test_sops_bad(void **state)
{
    (void)state;
    struct age_identity a;
    char ra[AGE_RECIPIENT_LEN + 1];
    gen(&a, ra);
    const char *rcpts[] = {ra};
    size_t len = 0;
    char *text = sops_file(rcpts, 1, "p4ssw0rd", &len);
    sops_err(&a, text, len / 2, "");
    sops_err(&a, "", 0, "unexpected end of input");
    sops_err(&a, "[]", 2, "not a sops file");
    {
        const char *k = "{\"a\": 1, \"sops\": {}}";
        sops_err(&a, k, strlen(k), "unexpected key \"a\"");
    }
    {
        const char *k = "{\"data\": \"x\", \"data\": \"y\"}";
        sops_err(&a, k, strlen(k), "duplicate key");
    }
    /* the data's tag, the MAC value, the lastmodified it is bound to */
    const char *tag = strstr(text, ",tag:") + 5;
    char *t = strdup(text);
    t[tag - text] = t[tag - text] == 'A' ? 'B' : 'A';
    sops_err(&a, t, len, "does not authenticate");
    free(t);
    char *lm = replace(text, "2023-11-14T22:13:20Z", "2023-11-14T22:13:21Z");
    sops_err(&a, lm, strlen(lm), "the MAC does not authenticate");
    free(lm);
    /* the MAC of other data under the same key: a MAC mismatch */
    struct sops_file f;
    struct diag d = {0};
    assert_int_equal(sops_parse("s", text, len, &f, &d), 0);
    char *other = NULL;
    size_t olen = 0;
    char *t2 = sops_file(rcpts, 1, "other", &olen);
    struct sops_file g;
    assert_int_equal(sops_parse("s", t2, olen, &g, &d), 0);
    /* g's data under g's key with f's MAC under f's key: the MAC does not authenticate */
    other = replace(t2, g.mac, f.mac);
    sops_err(&a, other, strlen(other), "MAC does not authenticate");
    free(other);
    sops_file_free(&f);
    sops_file_free(&g);
    free(t2);
    /* an enc stanza changed */
    char *e = strstr(text, "-----BEGIN AGE ENCRYPTED FILE-----\\n") + 40;
    t = strdup(text);
    t[e - text] = t[e - text] == 'A' ? 'B' : 'A';
    sops_err(&a, t, len, "age entry for");
    free(t);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_formats),    cmocka_unit_test(test_identity_file),
        cmocka_unit_test(test_age_roundtrip),  cmocka_unit_test(test_age_tampered),
        cmocka_unit_test(test_age_header_mac), cmocka_unit_test(test_sops_roundtrip),
        cmocka_unit_test(test_sops_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
