/* libFuzzer target for core/keys' parsers: public key lines (fingerprint, key-only form,
 * which must agree with each other), OpenSSH private key files (whose derived public line
 * must parse again to the same key), path-component names, and an external destination's
 * repo and rsh (first line, the rest) as upload-key reads them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libssh 0.10.6 itself leaks 12 bytes when ssh_pki_import_privkey_base64 rejects some
 * malformed OpenSSH keys (reproduced with a bare libssh call); not ours to fix here. */
const char *__lsan_default_suppressions(void)
{
    return "leak:libssh.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    const char *s = (const char *)data;
    struct diag d = {0};
    char *fp = NULL, *only = NULL, *fp2 = NULL, *pub = NULL;
    if (keys_public_fingerprint(s, size, &fp, &d) == 0) {
        /* whatever gives a fingerprint has a key-only form with the same fingerprint */
        if (keys_public_key_only(s, size, &only, &d) != 0)
            abort();
        if (keys_public_fingerprint(only, strlen(only), &fp2, &d) != 0 || strcmp(fp, fp2))
            abort();
    }
    if (keys_private_to_public(s, size, &pub, &d) == 0) {
        char *fp3 = NULL;
        if (keys_public_fingerprint(pub, strlen(pub), &fp3, &d) != 0)
            abort();
        free(fp3);
    }
    char *name = strndup(s, size);
    if (name && keys_check_name("name", name, &d) == 0 &&
        (strchr(name, '/') || !strcmp(name, "..") || name[0] == '.'))
        abort();
    free(name);
    /* repo NEWLINE rsh: a parsed target has a host without shell metacharacters */
    char *repo = strndup(s, size);
    if (repo) {
        char *nl = strchr(repo, '\n');
        char *rsh = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        struct keys_upload_target t = {0};
        if (keys_upload_target_parse(repo, rsh, &t, &d) == 0) {
            if (!t.host || !t.host[0] || strpbrk(t.host, " /'\"\\@") || t.port > 65535)
                abort();
            char *text = keys_upload_target_text(&t);
            free(text);
            keys_upload_target_clear(&t);
        }
        diag_clear(&d);
        free(repo);
    }
    char *cmd = NULL;
    if (keys_upload_command(s, size, &cmd, &d) == 0 && !strstr(cmd, "clan-tui: added"))
        abort();
    free(cmd);
    diag_clear(&d);
    free(fp);
    free(fp2);
    free(only);
    free(pub);
    diag_clear(&d);
    return 0;
}
