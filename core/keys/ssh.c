/* ed25519 keys with libssh, in the exact formats ssh-keygen writes. */
#include "core/keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libssh/libssh.h>

#include "core/util.h"

/* ssh-keygen wraps the base64 body of an OpenSSH private key at 70 columns. */
#define OPENSSH_WRAP 70

static void wipe_free(char *p, size_t len)
{
    if (p) {
        explicit_bzero(p, len);
        free(p);
    }
}

void keys_keypair_free(struct keys_keypair *k)
{
    if (!k)
        return;
    wipe_free(k->private_key, k->private_len);
    free(k->public_line);
    free(k->fingerprint);
    free(k);
}

static char *fingerprint_of(ssh_key key)
{
    unsigned char *hash = NULL;
    size_t hlen = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) != SSH_OK)
        return NULL;
    char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
    ssh_clean_pubkey_hash(&hash);
    if (!fp)
        return NULL;
    /* libssh's memory goes back through its own free; hand out a malloc'd copy */
    char *copy = strdup(fp);
    ssh_string_free_char(fp);
    return copy;
}

/* "TYPE BASE64 \n": the public line with an empty comment, as ssh-keygen -C "" writes it
 * (the separator before the empty comment stays). */
static char *public_line_of(ssh_key key)
{
    char *b64 = NULL;
    if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
        return NULL;
    const char *type = ssh_key_type_to_char(ssh_key_type(key));
    char *line = NULL;
    if (!type || asprintf(&line, "%s %s \n", type, b64) < 0)
        line = NULL;
    ssh_string_free_char(b64);
    return line;
}

/* Re-wrap libssh's one-line OpenSSH body the way ssh-keygen writes it. */
static int rewrap_openssh(const char *in, char **out, size_t *outlen)
{
    static const char begin[] = "-----BEGIN OPENSSH PRIVATE KEY-----";
    static const char end[] = "-----END OPENSSH PRIVATE KEY-----";
    const char *b = strstr(in, begin);
    const char *e = b ? strstr(b, end) : NULL;
    if (!b || !e)
        return -EPROTO;
    struct buf body = {0}, res = {0};
    int r = 0;
    for (const char *p = b + sizeof(begin) - 1; p < e; p++)
        if (*p != '\n' && *p != '\r' && *p != ' ')
            r |= buf_putc(&body, *p);
    r |= buf_puts(&res, begin);
    r |= buf_putc(&res, '\n');
    for (size_t i = 0; i < body.len; i += OPENSSH_WRAP) {
        size_t n = body.len - i < OPENSSH_WRAP ? body.len - i : OPENSSH_WRAP;
        r |= buf_append(&res, body.p + i, n);
        r |= buf_putc(&res, '\n');
    }
    r |= buf_puts(&res, end);
    r |= buf_putc(&res, '\n');
    if (body.p)
        explicit_bzero(body.p, body.len);
    buf_free(&body);
    if (r < 0) {
        if (res.p)
            explicit_bzero(res.p, res.len);
        buf_free(&res);
        return -ENOMEM;
    }
    *outlen = res.len;
    *out = buf_steal(&res);
    return 0;
}

int keys_keypair_generate(struct keys_keypair **out, struct diag *d)
{
    ssh_key key = NULL;
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
        return diag_errno(d, EIO, NULL, "libssh could not generate an ed25519 key");
    char *b64 = NULL;
    struct keys_keypair *k = calloc(1, sizeof(*k));
    int r = 0;
    if (!k) {
        r = diag_errno(d, ENOMEM, NULL, "out of memory");
        goto done;
    }
    if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &b64) != SSH_OK || !b64) {
        r = diag_errno(d, EIO, NULL, "libssh could not export the private key");
        goto done;
    }
    r = rewrap_openssh(b64, &k->private_key, &k->private_len);
    if (r < 0) {
        r = diag_errno(d, r, NULL, "libssh did not export an OpenSSH private key");
        goto done;
    }
    k->public_line = public_line_of(key);
    k->fingerprint = fingerprint_of(key);
    if (!k->public_line || !k->fingerprint) {
        r = diag_errno(d, EIO, NULL, "libssh could not export the public key");
        goto done;
    }
    /* Read our own file back: what we store must load as the same key. */
    char *again = NULL;
    struct diag tmp = {0};
    r = keys_private_to_public(k->private_key, k->private_len, &again, &tmp);
    if (r < 0 || strcmp(again, k->public_line) != 0) {
        diag_clear(&tmp);
        r = diag_errno(d, EPROTO, NULL, "the exported private key does not load back as itself");
    }
    free(again);
done:
    if (b64) {
        explicit_bzero(b64, strlen(b64));
        ssh_string_free_char(b64);
    }
    ssh_key_free(key);
    if (r < 0) {
        keys_keypair_free(k);
        return r;
    }
    *out = k;
    return 0;
}

/* Split "TYPE BASE64 [COMMENT]" and import the key. */
static int import_public(const char *line, size_t len, ssh_key *key, struct diag *d)
{
    char *copy = strndup(line, len);
    if (!copy)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    char *save = NULL;
    char *type = strtok_r(copy, " \t\r\n", &save);
    char *b64 = type ? strtok_r(NULL, " \t\r\n", &save) : NULL;
    int r = 0;
    enum ssh_keytypes_e t = type ? ssh_key_type_from_name(type) : SSH_KEYTYPE_UNKNOWN;
    if (!type || !b64)
        r = diag_errno(d, EINVAL, NULL, "not a public key line: expected 'TYPE BASE64 [COMMENT]'");
    else if (t == SSH_KEYTYPE_UNKNOWN)
        r = diag_errno(d, EINVAL, NULL, "unknown public key type '%s'", type);
    else if (ssh_pki_import_pubkey_base64(b64, t, key) != SSH_OK)
        r = diag_errno(d, EINVAL, NULL, "the %s public key does not decode", type);
    free(copy);
    return r;
}

int keys_public_fingerprint(const char *line, size_t len, char **fingerprint, struct diag *d)
{
    ssh_key key = NULL;
    int r = import_public(line, len, &key, d);
    if (r < 0)
        return r;
    char *fp = fingerprint_of(key);
    ssh_key_free(key);
    if (!fp)
        return diag_errno(d, ENOMEM, NULL, "cannot compute the fingerprint");
    *fingerprint = fp;
    return 0;
}

int keys_public_key_only(const char *line, size_t len, char **out, struct diag *d)
{
    ssh_key key = NULL;
    int r = import_public(line, len, &key, d);
    if (r < 0)
        return r;
    char *full = public_line_of(key);
    ssh_key_free(key);
    if (!full)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    /* drop the " \n" of the empty comment */
    size_t n = strlen(full);
    while (n > 0 && (full[n - 1] == '\n' || full[n - 1] == ' '))
        full[--n] = '\0';
    *out = full;
    return 0;
}

int keys_private_to_public(const char *priv, size_t len, char **public_line, struct diag *d)
{
    char *copy = strndup(priv, len);
    if (!copy)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    ssh_key key = NULL;
    int rc = ssh_pki_import_privkey_base64(copy, NULL, NULL, NULL, &key);
    explicit_bzero(copy, strlen(copy));
    free(copy);
    if (rc != SSH_OK)
        return diag_errno(d, EINVAL, NULL, "not an unencrypted private key libssh can read");
    ssh_key pub = NULL;
    char *line = NULL;
    if (ssh_pki_export_privkey_to_pubkey(key, &pub) == SSH_OK)
        line = public_line_of(pub);
    ssh_key_free(pub);
    ssh_key_free(key);
    if (!line)
        return diag_errno(d, EIO, NULL, "cannot derive the public key");
    *public_line = line;
    return 0;
}
