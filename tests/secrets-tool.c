/* Test driver for core/secrets, so shell tests can set it beside the reference tools (age,
 * age-keygen, node's sops-age):
 *   secrets-tool keygen                       identity file text on stdout (as age-keygen)
 *   secrets-tool age-encrypt [-a] RCPT... < in > out
 *   secrets-tool age-decrypt IDFILE < in > out
 *   secrets-tool sops-encrypt RCPT... < in > out
 *   secrets-tool sops-decrypt IDFILE FILE > out
 *   secrets-tool sops-updatekeys IDFILE FILE RCPT... > out
 * Errors: the diag on stderr, exit 1; usage: exit 2. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/secrets.h"
#include "core/util.h"

static int read_stdin(char **out, size_t *len)
{
    struct buf b = {0};
    char tmp[65536];
    ssize_t n;
    buf_puts(&b, "");
    while ((n = read(0, tmp, sizeof(tmp))) > 0)
        if (buf_append(&b, tmp, (size_t)n) < 0)
            return -1;
    if (n < 0 || !b.p)
        return -1;
    *len = b.len;
    *out = buf_steal(&b);
    return 0;
}

static int fail(struct diag *d)
{
    char *m = diag_format(d);
    fprintf(stderr, "%s\n", m ? m : "error");
    free(m);
    diag_clear(d);
    return 1;
}

static int load_ids(const char *path, struct age_identities *ids, struct diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int r = file_read(path, &text, &len, NULL, d);
    if (r == 0)
        r = age_identities_parse(path, text, len, ids, d);
    secret_free(text, len);
    return r;
}

static int write_out(const void *p, size_t len)
{
    return fwrite(p, 1, len, stdout) == len && fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct diag d = {0};
    if (argc < 2)
        return 2;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "keygen")) {
        struct age_identity id;
        char s[AGE_IDENTITY_LEN + 1], p[AGE_RECIPIENT_LEN + 1];
        if (age_identity_generate(&id, &d) < 0)
            return fail(&d);
        age_identity_format(&id, s);
        age_recipient_format(id.public, p);
        printf("# public key: %s\n%s\n", p, s);
        return 0;
    }
    if (!strcmp(cmd, "age-encrypt")) {
        int i = 2;
        bool armor = argc > 2 && !strcmp(argv[2], "-a");
        i += armor;
        size_t n = (size_t)(argc - i);
        unsigned char(*pubs)[AGE_KEY_BYTES] = calloc(n ? n : 1, AGE_KEY_BYTES);
        for (size_t k = 0; k < n; k++)
            if (age_recipient_parse(argv[i + (int)k], strlen(argv[i + (int)k]), pubs[k], &d) < 0)
                return free(pubs), fail(&d);
        char *in = NULL, *out = NULL;
        size_t len = 0, outlen = 0;
        if (read_stdin(&in, &len) < 0)
            return free(pubs), 1;
        int r = age_encrypt((const unsigned char(*)[AGE_KEY_BYTES])pubs, n, in, len, armor, &out,
                            &outlen, &d);
        free(pubs);
        free(in);
        if (r < 0)
            return fail(&d);
        r = write_out(out, outlen);
        free(out);
        return r;
    }
    if (!strcmp(cmd, "age-decrypt") && argc == 3) {
        struct age_identities ids;
        if (load_ids(argv[2], &ids, &d) < 0)
            return fail(&d);
        char *in = NULL;
        size_t len = 0, outlen = 0;
        unsigned char *out = NULL;
        if (read_stdin(&in, &len) < 0)
            return 1;
        int r = age_decrypt(&ids, "<stdin>", in, len, &out, &outlen, NULL, &d);
        age_identities_free(&ids);
        free(in);
        if (r < 0)
            return fail(&d);
        r = write_out(out, outlen);
        secret_free(out, outlen);
        return r;
    }
    if (!strcmp(cmd, "sops-encrypt")) {
        char *in = NULL, *out = NULL;
        size_t len = 0, outlen = 0;
        if (read_stdin(&in, &len) < 0)
            return 1;
        int r = sops_encrypt((const char *const *)argv + 2, (size_t)(argc - 2), in, len,
                             (int64_t)time(NULL), &out, &outlen, &d);
        secret_free(in, len);
        if (r < 0)
            return fail(&d);
        r = write_out(out, outlen);
        free(out);
        return r;
    }
    if ((!strcmp(cmd, "sops-decrypt") && argc == 4) ||
        (!strcmp(cmd, "sops-updatekeys") && argc >= 4)) {
        struct age_identities ids;
        if (load_ids(argv[2], &ids, &d) < 0)
            return fail(&d);
        char *text = NULL;
        size_t len = 0;
        int r = file_read(argv[3], &text, &len, NULL, &d);
        if (r == 0 && cmd[5] == 'd') {
            unsigned char *out = NULL;
            size_t outlen = 0;
            r = sops_decrypt(&ids, argv[3], text, len, &out, &outlen, &d);
            if (r == 0) {
                r = write_out(out, outlen) ? -EIO : 0;
                secret_free(out, outlen);
            }
        } else if (r == 0) {
            char *out = NULL;
            size_t outlen = 0;
            r = sops_updatekeys(&ids, argv[3], text, len, (const char *const *)argv + 4,
                                (size_t)(argc - 4), &out, &outlen, &d);
            if (r == 0) {
                r = write_out(out, outlen) ? -EIO : 0;
                free(out);
            }
        }
        age_identities_free(&ids);
        free(text);
        return r < 0 ? (d.msg ? fail(&d) : 1) : 0;
    }
    fprintf(stderr, "secrets-tool: unknown command or arguments\n");
    return 2;
}
