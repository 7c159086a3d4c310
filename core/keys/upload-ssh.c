/* Uploading a client's public key to an external destination's SSH server over one libssh
 * connection (core/sshc.h), poll-driven: an ordinary server runs keys_upload_command (the
 * key appended to ~/.ssh/authorized_keys unless it is there); a Hetzner storage box is asked
 * for .ssh/authorized_keys first and, when the key is not in it, runs install-ssh-key with
 * the key on its standard input. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/keys.h"
#include "core/sshc.h"
#include "core/util.h"

enum step { S_CHECK, S_INSTALL, S_DONE, S_FAILED };

struct keys_upload {
    struct sshc *c;
    char *target, *pub;
    size_t pub_len;
    char *command;          /* the ordinary server's command */
    bool storage_box;
    enum step step;
    bool started;           /* the step's command runs */
    bool stdin_sent;
    struct buf out, err;
    enum keys_upload_outcome outcome;
    char *fingerprint;      /* the host key the server offered (unknown host) */
    bool host_unknown;
    char *notice;
    unsigned timeout_s;
    uint64_t deadline;      /* a running command must end by then (CLOCK_MONOTONIC ms) */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void keys_upload_free(struct keys_upload *u)
{
    if (!u)
        return;
    sshc_free(u->c);
    free(u->target);
    free(u->pub);
    free(u->command);
    buf_free(&u->out);
    buf_free(&u->err);
    free(u->fingerprint);
    free(u->notice);
    free(u);
}

int keys_upload_new(const struct keys_upload_target *t, const struct keys_upload_options *o,
                    struct keys_upload **out, struct diag *d)
{
    struct keys_upload *u = calloc(1, sizeof(*u));
    if (!u)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "out of memory"), -ENOMEM;
    u->storage_box = o->method == KEYS_UPLOAD_INSTALL_SSH_KEY ||
                     (o->method == KEYS_UPLOAD_AUTO && t->storage_box);
    u->target = keys_upload_target_text(t);
    u->pub = strndup(o->pub_line, o->pub_len);
    u->pub_len = o->pub_len;
    u->timeout_s = o->timeout_s ? o->timeout_s : 10;
    int r = !u->target || !u->pub ? -ENOMEM : 0;
    if (r == 0 && !u->storage_box)
        r = keys_upload_command(o->pub_line, o->pub_len, &u->command, d);
    else if (r == 0) {
        char *only = NULL; /* the key must be one a storage box takes */
        r = keys_public_key_only(o->pub_line, o->pub_len, &only, d);
        free(only);
    }
    struct sshc_options so = {.target = u->target, .identity = o->identity,
                              .known_hosts = o->known_hosts,
                              .policy = o->accept_new_host_key ? SSHC_HOSTKEY_ACCEPT_NEW
                                                               : SSHC_HOSTKEY_STRICT,
                              .trusted_fingerprint = o->trusted_fingerprint,
                              .connect_timeout_s = o->timeout_s};
    if (r == 0)
        r = sshc_new(&so, &u->c, d);
    if (r == 0)
        r = sshc_exec(u->c, u->storage_box ? "cat .ssh/authorized_keys" : u->command);
    if (r < 0) {
        if (r == -ENOMEM && !d->msg)
            diag_set(d, DIAG_ERROR, NULL, 0, 0, "out of memory");
        keys_upload_free(u);
        return r;
    }
    *out = u;
    return 0;
}

static int failed(struct keys_upload *u, struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int failed(struct keys_upload *u, struct diag *d, const char *fmt, ...)
{
    char *m = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    u->step = S_FAILED;
    diag_set(d, DIAG_ERROR, NULL, 0, 0, "%s: %s", u->target, m ? m : "failed");
    free(m);
    return -EIO;
}

/* The last line of the command's stderr (or stdout), terminal-safe, for a message. */
static const char *said(struct keys_upload *u)
{
    struct buf *b = u->err.len ? &u->err : &u->out;
    if (!b->len)
        return "no output";
    while (b->len && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == '\r'))
        b->p[--b->len] = 0;
    char *s = strrchr(b->p, '\n');
    s = s ? s + 1 : b->p;
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return s;
}

/* The step's command ended with status: go on, or finish. */
static int step_ended(struct keys_upload *u, int status, struct diag *d)
{
    sshc_close_channel(u->c);
    u->started = false;
    if (!u->storage_box) {
        if (status == 0 && strstr(u->out.p ? u->out.p : "", "clan-tui: present"))
            u->outcome = KEYS_UPLOAD_PRESENT;
        else if (status == 0 && strstr(u->out.p ? u->out.p : "", "clan-tui: added"))
            u->outcome = KEYS_UPLOAD_ADDED;
        else
            return failed(u, d, "appending to ~/.ssh/authorized_keys failed (exit status %d: %s)",
                          status, said(u));
        u->step = S_DONE;
        return 1;
    }
    if (u->step == S_CHECK) {
        /* a storage box without the file answers with an error: then nothing is there */
        if (status == 0 && keys_upload_line_present(u->out.p ? u->out.p : "", u->out.len, u->pub,
                                                    u->pub_len)) {
            u->outcome = KEYS_UPLOAD_PRESENT;
            u->step = S_DONE;
            return 1;
        }
        buf_reset(&u->out);
        buf_reset(&u->err);
        u->step = S_INSTALL;
        u->stdin_sent = false;
        if (sshc_exec(u->c, "install-ssh-key") < 0)
            return failed(u, d, "out of memory");
        return 0;
    }
    if (status != 0)
        return failed(u, d, "install-ssh-key failed (exit status %d: %s)", status, said(u));
    u->outcome = KEYS_UPLOAD_ADDED;
    u->step = S_DONE;
    return 1;
}

int keys_upload_process(struct keys_upload *u, struct diag *d)
{
    if (u->step == S_DONE)
        return 1;
    if (u->step == S_FAILED)
        return -EIO;
    for (;;) {
        if (!u->started) {
            int r = sshc_process(u->c, d);
            char *n = sshc_take_notice(u->c);
            if (n) {
                free(u->notice);
                u->notice = n;
            }
            if (r < 0) {
                u->host_unknown = sshc_host_unknown(u->c);
                const char *fp = sshc_offered_fingerprint(u->c);
                free(u->fingerprint);
                u->fingerprint = fp ? strdup(fp) : NULL;
                u->step = S_FAILED;
                char *m = d->msg ? strdup(d->msg) : NULL;
                diag_clear(d);
                diag_set(d, DIAG_ERROR, NULL, 0, 0, "%s: %s", u->target, m ? m : "failed");
                free(m);
                return r;
            }
            if (r == 0)
                return 0;
            u->started = true;
            u->deadline = now_ms() + 3000ull * u->timeout_s;
        }
        if (u->step == S_INSTALL && !u->stdin_sent) {
            ssh_channel ch = sshc_channel(u->c);
            char line[4096];
            size_t l = u->pub_len;
            while (l && (u->pub[l - 1] == '\n' || u->pub[l - 1] == '\r'))
                l--;
            if (l + 1 > sizeof(line))
                return failed(u, d, "the public key is too long");
            memcpy(line, u->pub, l);
            line[l++] = '\n';
            if (!ch || ssh_channel_write(ch, line, (uint32_t)l) != (int)l ||
                ssh_channel_send_eof(ch) == SSH_ERROR)
                return failed(u, d, "cannot send the key to install-ssh-key");
            u->stdin_sent = true;
        }
        char buf[4096];
        bool is_err;
        int n;
        while ((n = sshc_read(u->c, buf, sizeof buf, &is_err)) > 0) {
            struct buf *b = is_err ? &u->err : &u->out;
            if (b->len < 1 << 20)
                buf_append(b, buf, (size_t)n);
        }
        if (n < 0)
            return failed(u, d, "the connection broke while the command ran");
        int status;
        if (!sshc_command_ended(u->c, &status)) {
            if (now_ms() >= u->deadline)
                return failed(u, d, "the command did not end within %u s", 3 * u->timeout_s);
            return 0;
        }
        if (status < 0)
            return failed(u, d, "the connection closed before the command ended");
        int r = step_ended(u, status, d);
        if (r != 0)
            return r;
    }
}

int keys_upload_fd(const struct keys_upload *u)
{
    return u->step >= S_DONE ? -1 : sshc_fd(u->c);
}

short keys_upload_events(const struct keys_upload *u)
{
    return sshc_events(u->c);
}

int keys_upload_timeout_ms(const struct keys_upload *u)
{
    if (u->step >= S_DONE)
        return -1;
    if (!u->started)
        return sshc_timeout_ms(u->c);
    uint64_t now = now_ms();
    return u->deadline <= now ? 0 : (int)(u->deadline - now);
}

enum keys_upload_outcome keys_upload_outcome(const struct keys_upload *u)
{
    return u->outcome;
}

bool keys_upload_host_unknown(const struct keys_upload *u)
{
    return u->host_unknown;
}

const char *keys_upload_fingerprint(const struct keys_upload *u)
{
    return u->fingerprint;
}

const char *keys_upload_target_name(const struct keys_upload *u)
{
    return u->target;
}

char *keys_upload_take_notice(struct keys_upload *u)
{
    char *n = u->notice;
    u->notice = NULL;
    return n;
}

int keys_upload_run(struct keys_upload *u, struct diag *d)
{
    for (;;) {
        int r = keys_upload_process(u, d);
        if (r != 0)
            return r < 0 ? r : 0;
        struct pollfd p = {keys_upload_fd(u), keys_upload_events(u), 0};
        int t = keys_upload_timeout_ms(u);
        if (p.fd < 0 && t < 0)
            t = 0;
        if (poll(&p, p.fd >= 0 ? 1 : 0, t) < 0 && errno != EINTR)
            return diag_set(d, DIAG_ERROR, NULL, 0, 0, "poll: %s", strerror(errno)), -errno;
    }
}
