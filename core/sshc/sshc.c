/* One SSH connection running commands one after another (see core/sshc.h). */
#include "core/sshc.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/util.h"

struct sshc {
    char *target_text;
    struct sshc_target t;
    char *identity, *known_hosts;
    enum sshc_host_key_policy policy;
    char *trusted;      /* trusted_fingerprint */
    char *offered;      /* the host key offered at the last connection */
    bool unknown;       /* the last connection failed on an unknown host */
    unsigned timeout_s;
    ssh_key key;
    ssh_session ssh;
    ssh_channel ch;
    enum sshc_phase phase;
    bool permanent;
    bool connected;     /* TCP and key exchange done, host key accepted (authenticating) */
    bool opened;        /* the channel's session is open (exec not yet sent) */
    char *command;      /* the command to start */
    char *notice;
    uint64_t deadline;  /* CLOCK_MONOTONIC ms */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int sshc_target_parse(const char *t, struct sshc_target *out, struct diag *d)
{
    struct sshc_target r = {0};
    const char *at = strrchr(t, '@');
    const char *h = at ? at + 1 : t;
    const char *portp = NULL;
    if (at && !(r.user = strndup(t, (size_t)(at - t))))
        goto oom;
    if (at && !r.user[0])
        goto bad;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close)
            goto bad;
        if (!(r.host = strndup(h + 1, (size_t)(close - h - 1))))
            goto oom;
        if (close[1] == ':')
            portp = close + 2;
        else if (close[1])
            goto bad;
    } else {
        const char *colon = strchr(h, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        if (!(r.host = colon ? strndup(h, (size_t)(colon - h)) : strdup(h)))
            goto oom;
        if (colon)
            portp = colon + 1;
    }
    if (!r.host[0])
        goto bad;
    if (portp) {
        char *end;
        unsigned long p = strtoul(portp, &end, 10);
        if (*portp == 0 || *end || p == 0 || p > 65535)
            goto bad;
        r.port = (unsigned)p;
    }
    *out = r;
    return 0;
oom:
    sshc_target_clear(&r);
    return -ENOMEM;
bad:
    sshc_target_clear(&r);
    return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                    "invalid target host '%s': expected [user@]host[:port]", t);
}

void sshc_target_clear(struct sshc_target *t)
{
    free(t->user);
    free(t->host);
    *t = (struct sshc_target){0};
}

int sshc_new(const struct sshc_options *o, struct sshc **out, struct diag *d)
{
    if (!o->target)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "no target host given");
    struct sshc *c = calloc(1, sizeof *c);
    if (!c)
        return -ENOMEM;
    int r = sshc_target_parse(o->target, &c->t, d);
    if (r < 0) {
        free(c);
        return r;
    }
    c->target_text = strdup(o->target);
    c->identity = o->identity ? strdup(o->identity) : NULL;
    c->known_hosts = o->known_hosts ? strdup(o->known_hosts) : NULL;
    c->policy = o->policy;
    c->trusted = o->trusted_fingerprint ? strdup(o->trusted_fingerprint) : NULL;
    c->timeout_s = o->connect_timeout_s ? o->connect_timeout_s : 10;
    if (!c->target_text || (o->identity && !c->identity) || (o->known_hosts && !c->known_hosts) ||
        (o->trusted_fingerprint && !c->trusted)) {
        sshc_free(c);
        return -ENOMEM;
    }
    if (c->identity &&
        ssh_pki_import_privkey_file(c->identity, NULL, NULL, NULL, &c->key) != SSH_OK) {
        r = diag_set(d, DIAG_ERROR, c->identity, 0, 0,
                     "cannot read the private key (a key without passphrase is expected)");
        sshc_free(c);
        return r;
    }
    *out = c;
    return 0;
}

void sshc_disconnect(struct sshc *c)
{
    if (c->ch) {
        ssh_channel_free(c->ch);
        c->ch = NULL;
    }
    if (c->ssh) {
        ssh_disconnect(c->ssh);
        ssh_free(c->ssh);
        c->ssh = NULL;
    }
    c->opened = false;
    c->connected = false;
    c->phase = SSHC_IDLE;
}

void sshc_free(struct sshc *c)
{
    if (!c)
        return;
    sshc_disconnect(c);
    ssh_key_free(c->key);
    sshc_target_clear(&c->t);
    free(c->target_text);
    free(c->identity);
    free(c->known_hosts);
    free(c->trusted);
    free(c->offered);
    free(c->command);
    free(c->notice);
    free(c);
}

/* The connection failed: closed, and d says why (terminal-safe: libssh may quote the
 * server). */
static int fail(struct sshc *c, struct diag *d, bool permanent, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct sshc *c, struct diag *d, bool permanent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    va_end(ap);
    for (char *p = m; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    sshc_disconnect(c);
    c->phase = SSHC_FAILED;
    c->permanent = permanent;
    int r = diag_errno(d, permanent ? -EPERM : -EIO, NULL, "%s", m ? m : "out of memory");
    free(m);
    return r;
}

static int start_connect(struct sshc *c, struct diag *d)
{
    c->ssh = ssh_new();
    if (!c->ssh)
        return fail(c, d, true, "cannot create an ssh session");
    ssh_options_set(c->ssh, SSH_OPTIONS_HOST, c->t.host);
    ssh_options_parse_config(c->ssh, NULL);
    if (c->t.user)
        ssh_options_set(c->ssh, SSH_OPTIONS_USER, c->t.user);
    if (c->t.port)
        ssh_options_set(c->ssh, SSH_OPTIONS_PORT, &c->t.port);
    if (c->known_hosts)
        ssh_options_set(c->ssh, SSH_OPTIONS_KNOWNHOSTS, c->known_hosts);
    ssh_set_blocking(c->ssh, 0);
    c->phase = SSHC_CONNECTING;
    c->deadline = now_ms() + (uint64_t)c->timeout_s * 1000;
    return 0;
}

static char *fingerprint(ssh_session ssh)
{
    ssh_key k = NULL;
    unsigned char *hash = NULL;
    size_t hlen = 0;
    char *out = NULL;
    if (ssh_get_server_publickey(ssh, &k) == SSH_OK &&
        ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash, &hlen) == 0) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
        if (fp && asprintf(&out, "%s %s", ssh_key_type_to_char(ssh_key_type(k)), fp) < 0)
            out = NULL;
        ssh_string_free_char(fp);
        ssh_clean_pubkey_hash(&hash);
    }
    ssh_key_free(k);
    return out;
}

static int check_host_key(struct sshc *c, struct diag *d)
{
    enum ssh_known_hosts_e st = ssh_session_is_known_server(c->ssh);
    char *kh = NULL;
    ssh_options_get(c->ssh, SSH_OPTIONS_KNOWNHOSTS, &kh);
    char *fp = fingerprint(c->ssh);
    const char *khs = kh ? kh : "known_hosts";
    free(c->offered);
    c->offered = fp ? strdup(fp) : NULL;
    c->unknown = false;
    int ret = 0;
    switch (st) {
    case SSH_KNOWN_HOSTS_OK:
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        char spec[300];
        if (c->t.port && c->t.port != 22)
            snprintf(spec, sizeof spec, "[%s]:%u", c->t.host, c->t.port);
        else
            snprintf(spec, sizeof spec, "%s", c->t.host);
        ret = fail(c, d, true,
                   "the host key of %s has CHANGED (server offers %s) and does not match %s: "
                   "refusing to connect, someone could be intercepting the connection. If the "
                   "new key is expected, remove the old one with ssh-keygen -R '%s' -f %s",
                   spec, fp ? fp : "an unknown key", khs, spec, kh ? kh : "~/.ssh/known_hosts");
        break;
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (c->policy == SSHC_HOSTKEY_STRICT && !(c->trusted && fp && !strcmp(c->trusted, fp))) {
            c->unknown = true;
            ret = fail(c, d, true, "unknown host key (%s) and strict host key checking: add it "
                       "to %s first", fp ? fp : "?", khs);
            break;
        }
        if (ssh_session_update_known_hosts(c->ssh) != SSH_OK) {
            ret = fail(c, d, true, "cannot add the host key to %s: %s", khs,
                       ssh_get_error(c->ssh));
            break;
        }
        free(c->notice);
        if (asprintf(&c->notice, "new host key %s added to %s", fp ? fp : "", khs) < 0)
            c->notice = NULL;
        break;
    default:
        ret = fail(c, d, true, "cannot check the host key against %s: %s", khs,
                   ssh_get_error(c->ssh));
    }
    ssh_string_free_char(kh);
    free(fp);
    return ret;
}

/* A peer that vanishes without closing (cable pulled, host down) is noticed within about a
 * minute while a command is quiet: TCP keepalive probes. */
static void set_keepalive(int fd)
{
    int on = 1, idle = 30, intvl = 10, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

int sshc_exec(struct sshc *c, const char *command)
{
    char *cmd = strdup(command);
    if (!cmd)
        return -ENOMEM;
    free(c->command);
    c->command = cmd;
    if (c->phase == SSHC_READY) {
        c->phase = SSHC_STARTING;
        c->deadline = now_ms() + (uint64_t)c->timeout_s * 1000;
    }
    else if (c->phase == SSHC_FAILED)
        c->phase = SSHC_IDLE;
    return 0;
}

int sshc_process(struct sshc *c, struct diag *d)
{
    int rc;
    if (c->phase == SSHC_IDLE) {
        if (!c->command)
            return 0;
        if ((rc = start_connect(c, d)) < 0)
            return rc;
    }
    if ((c->phase == SSHC_CONNECTING || c->phase == SSHC_STARTING) && now_ms() >= c->deadline)
        return fail(c, d, false, "timed out after %u s", c->timeout_s);
    switch (c->phase) {
    case SSHC_CONNECTING:
        if (!c->connected) {
            rc = ssh_connect(c->ssh);
            if (rc == SSH_AGAIN)
                return 0;
            if (rc != SSH_OK)
                return fail(c, d, false, "cannot connect: %s", ssh_get_error(c->ssh));
            if ((rc = check_host_key(c, d)) < 0)
                return rc;
            c->connected = true;
        }
        rc = c->key ? ssh_userauth_publickey(c->ssh, NULL, c->key)
                    : ssh_userauth_publickey_auto(c->ssh, NULL, NULL);
        if (rc == SSH_AUTH_AGAIN)
            return 0;
        if (rc == SSH_AUTH_ERROR)
            return fail(c, d, false, "authentication failed: %s", ssh_get_error(c->ssh));
        if (rc != SSH_AUTH_SUCCESS)
            return fail(c, d, true, "public key authentication refused (%s%s)",
                        c->identity ? "key " : "tried the ssh agent and the default keys",
                        c->identity ? c->identity : "");
        set_keepalive(ssh_get_fd(c->ssh));
        c->phase = SSHC_STARTING;
        /* fall through */
    case SSHC_STARTING:
        if (!c->command) {
            c->phase = SSHC_READY;
            return 0;
        }
        if (!c->ch && !(c->ch = ssh_channel_new(c->ssh)))
            return fail(c, d, false, "cannot create a channel: %s", ssh_get_error(c->ssh));
        if (!c->opened) {
            rc = ssh_channel_open_session(c->ch);
            if (rc == SSH_AGAIN)
                return 0;
            if (rc != SSH_OK)
                return fail(c, d, false, "cannot open a session channel: %s",
                            ssh_get_error(c->ssh));
            c->opened = true;
        }
        rc = ssh_channel_request_exec(c->ch, c->command);
        if (rc == SSH_AGAIN)
            return 0;
        if (rc != SSH_OK)
            return fail(c, d, false, "cannot run the command: %s", ssh_get_error(c->ssh));
        c->opened = false;
        free(c->command);
        c->command = NULL;
        c->phase = SSHC_RUNNING;
        return 1;
    default:
        return 0;
    }
}

bool sshc_failed_permanently(const struct sshc *c)
{
    return c->phase == SSHC_FAILED && c->permanent;
}

int sshc_read(struct sshc *c, char *buf, size_t len, bool *is_stderr)
{
    if (!c->ch)
        return 0;
    for (int stream = 0; stream < 2; stream++) {
        int n = ssh_channel_read_nonblocking(c->ch, buf, (uint32_t)len, stream);
        if (n > 0) {
            *is_stderr = stream == 1;
            return n;
        }
        if (n == SSH_ERROR)
            return -EIO;
    }
    /* reading stderr may have pulled stdout data into libssh's buffer */
    for (int stream = 0; stream < 2; stream++)
        if (ssh_channel_poll(c->ch, stream) > 0) {
            int n = ssh_channel_read_nonblocking(c->ch, buf, (uint32_t)len, stream);
            if (n > 0) {
                *is_stderr = stream == 1;
                return n;
            }
        }
    return 0;
}

bool sshc_connection_lost(struct sshc *c)
{
    return !c->ssh || (ssh_get_status(c->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) ||
           !ssh_is_connected(c->ssh);
}

bool sshc_command_ended(struct sshc *c, int *status)
{
    *status = -1;
    if (!c->ch)
        return true;
    if (ssh_channel_poll(c->ch, 0) > 0 || ssh_channel_poll(c->ch, 1) > 0)
        return false; /* output is still to be read */
    /* OpenSSH sends EOF, then the exit status, then CLOSE: with EOF seen and no status yet,
     * wait for the next socket event instead of guessing */
    if (ssh_channel_is_eof(c->ch) || ssh_channel_is_closed(c->ch)) {
        *status = ssh_channel_get_exit_status(c->ch);
        if (*status >= 0 || ssh_channel_is_closed(c->ch) || sshc_connection_lost(c))
            return true;
        return false;
    }
    return sshc_connection_lost(c);
}

void sshc_close_channel(struct sshc *c)
{
    if (c->ch) {
        ssh_channel_free(c->ch);
        c->ch = NULL;
    }
    c->opened = false;
    if (c->phase == SSHC_RUNNING || c->phase == SSHC_STARTING)
        c->phase = c->command ? SSHC_STARTING : SSHC_READY;
    if (c->phase == SSHC_STARTING)
        c->deadline = now_ms() + (uint64_t)c->timeout_s * 1000;
}

int sshc_fd(const struct sshc *c)
{
    if (!c->ssh || c->phase == SSHC_IDLE || c->phase == SSHC_FAILED)
        return -1;
    return (int)ssh_get_fd(c->ssh);
}

short sshc_events(const struct sshc *c)
{
    if (!c->ssh)
        return 0;
    int f = ssh_get_poll_flags(c->ssh);
    return (short)(POLLIN | ((f & SSH_WRITE_PENDING) ? POLLOUT : 0));
}

int sshc_timeout_ms(const struct sshc *c)
{
    if (c->phase == SSHC_IDLE)
        return c->command ? 0 : -1;
    if (c->phase != SSHC_CONNECTING && c->phase != SSHC_STARTING)
        return -1;
    if (ssh_get_fd(c->ssh) == SSH_INVALID_SOCKET)
        return 0; /* the connection is not started yet: process at once */
    if (c->phase == SSHC_STARTING && !c->ch)
        return 0; /* a command is queued: nothing is sent yet, so the socket stays quiet */
    uint64_t now = now_ms();
    return c->deadline <= now ? 0 : (int)(c->deadline - now);
}

enum sshc_phase sshc_phase(const struct sshc *c)
{
    return c->phase;
}

const char *sshc_offered_fingerprint(const struct sshc *c)
{
    return c->offered;
}

bool sshc_host_unknown(const struct sshc *c)
{
    return c->unknown;
}

const char *sshc_target(const struct sshc *c)
{
    return c->target_text;
}

char *sshc_take_notice(struct sshc *c)
{
    char *n = c->notice;
    c->notice = NULL;
    return n;
}

ssh_channel sshc_channel(struct sshc *c)
{
    return c->ch;
}

ssh_session sshc_session(struct sshc *c)
{
    return c->ssh;
}
