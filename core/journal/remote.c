/* A remote journal over SSH (libssh, non-blocking): runs `journalctl -o export ...` on the
 * target and parses its output as it arrives. Every step (TCP connect, key exchange, host
 * key check, authentication, channel, exec, reading) is resumed from poll() events on the
 * ssh socket; a lost connection is retried with exponential backoff, resuming after the
 * last cursor seen so nothing is shown twice. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libssh/libssh.h>

#include "core/journal/source.h"

enum phase { P_WAIT, P_CONNECT, P_AUTH, P_OPEN, P_EXEC, P_STREAM, P_DONE, P_FAILED };

struct journal_remote {
    char *target, *user, *host;
    unsigned port;
    char *identity, *known_hosts, *journalctl;
    enum journal_host_key_policy policy;
    unsigned backoff_min, backoff_max, backoff;
    unsigned timeout_s;
    enum phase phase;
    ssh_session ssh;
    ssh_channel ch;
    ssh_key key;
    struct journal_export_parser *parser;
    char *last_cursor;
    uint64_t retry_at, deadline; /* CLOCK_MONOTONIC ms */
    uint64_t reconnects;
    bool connected_once;
    bool reconnecting;
    struct buf err;              /* the remote command's stderr (last bytes) */
    char *last_error;
    struct journal_source *src;
    int delivered;
    bool more;                   /* stream(): stopped with data possibly left in libssh */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* user@host[:port], user@[v6addr]:port */
static int parse_target(struct journal_remote *r, const char *t, struct diag *d)
{
    const char *at = strrchr(t, '@');
    const char *h = at ? at + 1 : t;
    if (at && !(r->user = strndup(t, (size_t)(at - t))))
        return -ENOMEM;
    if (at && !r->user[0])
        goto bad;
    const char *portp = NULL;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (!close)
            goto bad;
        r->host = strndup(h + 1, (size_t)(close - h - 1));
        if (close[1] == ':')
            portp = close + 2;
        else if (close[1])
            goto bad;
    } else {
        const char *colon = strchr(h, ':');
        if (colon && strchr(colon + 1, ':'))
            colon = NULL; /* a bare IPv6 address */
        r->host = colon ? strndup(h, (size_t)(colon - h)) : strdup(h);
        if (colon)
            portp = colon + 1;
    }
    if (!r->host)
        return -ENOMEM;
    if (!r->host[0])
        goto bad;
    if (portp) {
        char *end;
        unsigned long p = strtoul(portp, &end, 10);
        if (*portp == 0 || *end || p == 0 || p > 65535)
            goto bad;
        r->port = (unsigned)p;
    }
    return 0;
bad:
    return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                    "invalid target host '%s': expected [user@]host[:port]", t);
}

static char *remote_command(struct journal_remote *r)
{
    const struct journal_select *sel = &r->src->sel;
    struct buf b = {0};
    buf_puts(&b, r->journalctl);
    buf_puts(&b, " -q -o export");
    if (sel->follow)
        buf_puts(&b, " -f");
    if (r->last_cursor) {
        buf_puts(&b, " --after-cursor=");
        buf_put_shell_word(&b, r->last_cursor);
        buf_puts(&b, " -n all");
    } else if (sel->lines >= 0)
        buf_printf(&b, " -n %ld", sel->lines);
    for (size_t i = 0; i < sel->nunits; i++) {
        buf_puts(&b, " -u ");
        buf_put_shell_word(&b, sel->units[i]);
    }
    if (sel->prio_max >= 0)
        buf_printf(&b, " -p %d..%d", sel->prio_min, sel->prio_max);
    if (sel->has_since && !r->last_cursor)
        buf_printf(&b, " --since @%" PRIu64 ".%06" PRIu64, sel->since / 1000000,
                   sel->since % 1000000);
    if (sel->has_until)
        buf_printf(&b, " --until @%" PRIu64 ".%06" PRIu64, sel->until / 1000000,
                   sel->until % 1000000);
    if (sel->grep) {
        buf_puts(&b, sel->grep_case_sensitive ? " --case-sensitive=true -g " : " -g ");
        buf_put_shell_word(&b, sel->grep);
    }
    if (sel->hostname) {
        buf_puts(&b, " ");
        char *m;
        if (asprintf(&m, "_HOSTNAME=%s", sel->hostname) >= 0) {
            buf_put_shell_word(&b, m);
            free(m);
        }
    }
    return b.p ? buf_steal(&b) : NULL;
}

static const char *label(struct journal_remote *r)
{
    return r->src->label ? r->src->label : "ssh";
}

static void close_session(struct journal_remote *r)
{
    if (r->ch) {
        ssh_channel_free(r->ch);
        r->ch = NULL;
    }
    if (r->ssh) {
        ssh_disconnect(r->ssh);
        ssh_free(r->ssh);
        r->ssh = NULL;
    }
}

/* Close the session and keep the formatted reason as the last error. */
static const char *fail_session(struct journal_remote *r, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static const char *fail_session(struct journal_remote *r, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static const char *fail_session(struct journal_remote *r, const char *fmt, va_list ap)
{
    char *m = NULL;
    if (vasprintf(&m, fmt, ap) < 0)
        m = NULL;
    /* libssh's errors may quote the server (a disconnect message): keep it terminal-safe */
    struct buf safe = {0};
    if (m)
        journal_sanitize(m, strlen(m), false, &safe);
    free(m);
    free(r->last_error);
    r->last_error = safe.p ? buf_steal(&safe) : NULL;
    close_session(r);
    return r->last_error ? r->last_error : "failed";
}

/* A failure that may go away: retry later when following, else give up. */
static int transient(struct journal_remote *r, struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int transient(struct journal_remote *r, struct diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *m = fail_session(r, fmt, ap);
    va_end(ap);
    journal_export_reset(r->parser);
    if (!r->src->sel.follow) {
        r->phase = P_FAILED;
        return diag_errno(d, -EIO, NULL, "%s: %s", label(r), m);
    }
    r->phase = P_WAIT;
    r->src->state = JOURNAL_STATE_WAITING;
    r->retry_at = now_ms() + r->backoff;
    journal_source_notice(r->src, "%s: %s; reconnecting in %u s", label(r), m,
                          (r->backoff + 999) / 1000);
    r->backoff = r->backoff * 2 > r->backoff_max ? r->backoff_max : r->backoff * 2;
    if (r->connected_once)
        r->reconnecting = true;
    return -EAGAIN;
}

/* A failure that retrying cannot fix (host key, authentication). */
static int permanent(struct journal_remote *r, struct diag *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int permanent(struct journal_remote *r, struct diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *m = fail_session(r, fmt, ap);
    va_end(ap);
    r->phase = P_FAILED;
    r->src->state = JOURNAL_STATE_FAILED;
    return diag_errno(d, -EPERM, NULL, "%s: %s", label(r), m);
}

static int start_connect(struct journal_remote *r, struct diag *d)
{
    r->ssh = ssh_new();
    if (!r->ssh)
        return permanent(r, d, "cannot create an ssh session");
    ssh_options_set(r->ssh, SSH_OPTIONS_HOST, r->host);
    ssh_options_parse_config(r->ssh, NULL);
    if (r->user)
        ssh_options_set(r->ssh, SSH_OPTIONS_USER, r->user);
    if (r->port)
        ssh_options_set(r->ssh, SSH_OPTIONS_PORT, &r->port);
    if (r->known_hosts)
        ssh_options_set(r->ssh, SSH_OPTIONS_KNOWNHOSTS, r->known_hosts);
    ssh_set_blocking(r->ssh, 0);
    r->phase = P_CONNECT;
    r->deadline = now_ms() + (uint64_t)r->timeout_s * 1000;
    r->src->state = JOURNAL_STATE_CONNECTING;
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

static int check_host_key(struct journal_remote *r, struct diag *d)
{
    enum ssh_known_hosts_e st = ssh_session_is_known_server(r->ssh);
    char *kh = NULL;
    ssh_options_get(r->ssh, SSH_OPTIONS_KNOWNHOSTS, &kh);
    char *fp = fingerprint(r->ssh);
    int ret = 0;
    switch (st) {
    case SSH_KNOWN_HOSTS_OK:
        break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        char spec[300];
        if (r->port && r->port != 22)
            snprintf(spec, sizeof spec, "[%s]:%u", r->host, r->port);
        else
            snprintf(spec, sizeof spec, "%s", r->host);
        ret = permanent(r, d,
                        "the host key of %s has CHANGED (server offers %s) and does not match "
                        "%s: refusing to connect, someone could be intercepting the connection. "
                        "If the new key is expected, remove the old one with "
                        "ssh-keygen -R '%s' -f %s",
                        spec, fp ? fp : "an unknown key", kh ? kh : "known_hosts", spec,
                        kh ? kh : "~/.ssh/known_hosts");
        break;
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (r->policy == JOURNAL_HOSTKEY_STRICT) {
            ret = permanent(r, d, "unknown host key (%s) and strict host key checking: add it "
                            "to %s first", fp ? fp : "?", kh ? kh : "known_hosts");
            break;
        }
        if (ssh_session_update_known_hosts(r->ssh) != SSH_OK) {
            ret = permanent(r, d, "cannot add the host key to %s: %s",
                            kh ? kh : "known_hosts", ssh_get_error(r->ssh));
            break;
        }
        journal_source_notice(r->src, "%s: new host key %s added to %s", label(r),
                              fp ? fp : "", kh ? kh : "known_hosts");
        break;
    default:
        ret = permanent(r, d, "cannot check the host key against %s: %s",
                        kh ? kh : "known_hosts", ssh_get_error(r->ssh));
    }
    ssh_string_free_char(kh);
    free(fp);
    return ret;
}

/* A peer that vanishes without closing (cable pulled, host down) is noticed within about a
 * minute while following: TCP keepalive probes, since the stream itself may be quiet. */
static void set_keepalive(int fd)
{
    int on = 1, idle = 30, intvl = 10, cnt = 3;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof cnt);
}

static int step(struct journal_remote *r, struct diag *d)
{
    int rc;
    switch (r->phase) {
    case P_CONNECT:
        rc = ssh_connect(r->ssh);
        if (rc == SSH_AGAIN)
            return 0;
        if (rc != SSH_OK)
            return transient(r, d, "cannot connect: %s", ssh_get_error(r->ssh));
        if ((rc = check_host_key(r, d)) < 0)
            return rc;
        r->phase = P_AUTH;
        /* fall through */
    case P_AUTH:
        rc = r->key ? ssh_userauth_publickey(r->ssh, NULL, r->key)
                    : ssh_userauth_publickey_auto(r->ssh, NULL, NULL);
        if (rc == SSH_AUTH_AGAIN)
            return 0;
        if (rc == SSH_AUTH_ERROR)
            return transient(r, d, "authentication failed: %s", ssh_get_error(r->ssh));
        if (rc != SSH_AUTH_SUCCESS)
            return permanent(r, d, "public key authentication refused (%s%s)",
                             r->identity ? "key " : "tried the ssh agent and the default keys",
                             r->identity ? r->identity : "");
        r->ch = ssh_channel_new(r->ssh);
        if (!r->ch)
            return transient(r, d, "cannot create a channel: %s", ssh_get_error(r->ssh));
        r->phase = P_OPEN;
        /* fall through */
    case P_OPEN:
        rc = ssh_channel_open_session(r->ch);
        if (rc == SSH_AGAIN)
            return 0;
        if (rc != SSH_OK)
            return transient(r, d, "cannot open a session channel: %s", ssh_get_error(r->ssh));
        r->phase = P_EXEC;
        /* fall through */
    case P_EXEC: {
        char *cmd = remote_command(r);
        if (!cmd)
            return -ENOMEM;
        rc = ssh_channel_request_exec(r->ch, cmd);
        free(cmd);
        if (rc == SSH_AGAIN)
            return 0;
        if (rc != SSH_OK)
            return transient(r, d, "cannot run journalctl: %s", ssh_get_error(r->ssh));
        r->phase = P_STREAM;
        r->src->state = r->src->sel.follow ? JOURNAL_STATE_FOLLOWING : JOURNAL_STATE_READING;
        set_keepalive(ssh_get_fd(r->ssh));
        buf_reset(&r->err);
        if (r->reconnecting) {
            r->reconnects++;
            journal_source_notice(r->src, "%s: reconnected", label(r));
        }
        r->reconnecting = false;
        r->connected_once = true;
        r->backoff = r->backoff_min;
        free(r->last_error);
        r->last_error = NULL;
    }
        /* fall through */
    case P_STREAM:
        return 0;
    default:
        return 0;
    }
}

static int on_entry(void *ctx, struct journal_entry *e)
{
    struct journal_remote *r = ctx;
    if (e->cursor) {
        char *c = strdup(e->cursor);
        if (c) {
            free(r->last_cursor);
            r->last_cursor = c;
        }
    }
    if (journal_source_deliver(r->src, e) > 0)
        r->delivered++;
    return 0;
}

static void parse_diags(struct journal_remote *r, struct diag_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        char *m = diag_format(&l->v[i]);
        if (m)
            journal_source_notice(r->src, "%s", m);
        free(m);
    }
    diag_list_free(l);
}

static int stream(struct journal_remote *r, struct diag *d)
{
    char buf[65536];
    struct diag_list dl = {0};
    int n = 0, rr = 0;
    /* bounded per call so one busy stream cannot starve the rest of the event loop */
    r->more = false;
    for (int rounds = 0;; rounds++) {
        if (rounds == 256) {
            r->more = true; /* come back at once: libssh may hold data the socket won't signal */
            break;
        }
        n = ssh_channel_read_nonblocking(r->ch, buf, sizeof buf, 0);
        if (n > 0) {
            if ((rr = journal_export_feed(r->parser, buf, (size_t)n, on_entry, r, &dl)) < 0)
                break;
            continue;
        }
        if (n == SSH_ERROR)
            break;
        int e = ssh_channel_read_nonblocking(r->ch, buf, sizeof buf, 1);
        if (e > 0) {
            if (r->err.len > 4096)
                buf_reset(&r->err);
            buf_append(&r->err, buf, (size_t)e);
            continue;
        }
        /* reading stderr may have pulled stdout data into libssh's buffer */
        if (ssh_channel_poll(r->ch, 0) > 0)
            continue;
        break;
    }
    parse_diags(r, &dl);
    if (rr < 0)
        return diag_errno(d, rr, NULL, "out of memory");
    if (!r->more && (n == SSH_ERROR || ssh_channel_is_eof(r->ch) ||
                     (ssh_channel_is_closed(r->ch) && ssh_channel_poll(r->ch, 0) <= 0) ||
                     (ssh_get_status(r->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)))) {
        struct diag_list dl2 = {0};
        journal_export_finish(r->parser, on_entry, r, &dl2);
        parse_diags(r, &dl2);
        struct buf why = {0};
        if (r->err.len) {
            journal_sanitize(r->err.p, r->err.len, false, &why);
        }
        if (!r->src->sel.follow && n != SSH_ERROR) {
            /* non-blocking: OpenSSH sends EOF, then the exit status, then CLOSE; when the
             * status has not arrived yet and the channel is still open, wait for the
             * next socket event instead of guessing success. */
            int status = ssh_channel_get_exit_status(r->ch);
            if (status < 0 && !ssh_channel_is_closed(r->ch) &&
                !(ssh_get_status(r->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR))) {
                buf_free(&why);
                return 0;
            }
            close_session(r);
            if (status > 0) {
                r->phase = P_FAILED;
                int ret = diag_errno(d, -EIO, NULL, "%s: journalctl exited with status %d%s%s",
                                     label(r), status, why.len ? ": " : "",
                                     why.len ? why.p : "");
                buf_free(&why);
                return ret;
            }
            r->phase = P_DONE;
            r->src->state = JOURNAL_STATE_DONE;
            if (why.len)
                journal_source_notice(r->src, "%s: journalctl: %s", label(r), why.p);
            buf_free(&why);
            return 0;
        }
        int ret = transient(r, d, "%s%s%s", n == SSH_ERROR ? "connection lost" : "the remote journalctl ended",
                            why.len ? ": " : "", why.len ? why.p : "");
        buf_free(&why);
        return ret;
    }
    return 0;
}

int journal_remote_open(struct journal_source *s, const struct journal_remote_options *opt,
                        struct diag *d)
{
    struct journal_remote *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    s->remote = r;
    r->src = s;
    int ret;
    if (!opt->target)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "no target host given");
    if ((ret = parse_target(r, opt->target, d)) < 0)
        return ret;
    r->target = strdup(opt->target);
    r->identity = opt->identity ? strdup(opt->identity) : NULL;
    r->known_hosts = opt->known_hosts ? strdup(opt->known_hosts) : NULL;
    r->journalctl = strdup(opt->journalctl ? opt->journalctl : "journalctl");
    r->policy = opt->policy;
    r->backoff_min = opt->backoff_min_ms ? opt->backoff_min_ms : 1000;
    r->backoff_max = opt->backoff_max_ms ? opt->backoff_max_ms : 30000;
    r->backoff = r->backoff_min;
    r->timeout_s = opt->connect_timeout_s ? opt->connect_timeout_s : 10;
    r->parser = journal_export_parser_new(opt->target);
    if (!r->target || !r->journalctl || !r->parser || (opt->identity && !r->identity) ||
        (opt->known_hosts && !r->known_hosts))
        return -ENOMEM;
    if (asprintf(&s->label, "ssh %s", opt->target) < 0) {
        s->label = NULL;
        return -ENOMEM;
    }
    if (r->identity && ssh_pki_import_privkey_file(r->identity, NULL, NULL, NULL, &r->key) != SSH_OK)
        return diag_set(d, DIAG_ERROR, r->identity, 0, 0,
                        "cannot read the private key (a key without passphrase is expected)");
    if ((ret = start_connect(r, d)) < 0)
        return ret;
    return 0;
}

void journal_remote_free(struct journal_remote *r)
{
    if (!r)
        return;
    close_session(r);
    ssh_key_free(r->key);
    journal_export_parser_free(r->parser);
    buf_free(&r->err);
    free(r->target);
    free(r->user);
    free(r->host);
    free(r->identity);
    free(r->known_hosts);
    free(r->journalctl);
    free(r->last_cursor);
    free(r->last_error);
    free(r);
}

int journal_remote_process(struct journal_source *s, short revents, struct diag *d)
{
    struct journal_remote *r = s->remote;
    (void)revents;
    r->delivered = 0;
    int ret = 0;
    if (r->phase == P_WAIT) {
        if (now_ms() < r->retry_at)
            return 0;
        if ((ret = start_connect(r, d)) < 0)
            return ret;
    }
    if (r->phase >= P_CONNECT && r->phase <= P_EXEC) {
        if (now_ms() >= r->deadline) {
            ret = transient(r, d, "timed out after %u s", r->timeout_s);
            return ret == -EAGAIN ? 0 : ret;
        }
        ret = step(r, d);
    }
    if (ret >= 0 && r->phase == P_STREAM)
        ret = stream(r, d);
    if (ret == -EAGAIN)
        ret = 0;
    return ret < 0 ? ret : r->delivered;
}

int journal_remote_fd(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    if (!r->ssh || r->phase == P_WAIT || r->phase >= P_DONE)
        return -1;
    return (int)ssh_get_fd(r->ssh);
}

short journal_remote_events(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    if (!r->ssh)
        return 0;
    int f = ssh_get_poll_flags(r->ssh);
    return (short)(POLLIN | ((f & SSH_WRITE_PENDING) ? POLLOUT : 0));
}

int journal_remote_timeout_ms(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    uint64_t now = now_ms(), at;
    if (r->phase == P_STREAM && r->more)
        return 0;
    if (r->phase == P_WAIT)
        at = r->retry_at;
    else if (r->phase >= P_CONNECT && r->phase <= P_EXEC) {
        if (ssh_get_fd(r->ssh) == SSH_INVALID_SOCKET)
            return 0; /* the connection is not started yet: process at once */
        at = r->deadline;
    }
    else
        return -1;
    return at <= now ? 0 : (int)(at - now);
}

const char *journal_remote_describe(struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    free(s->describe);
    s->describe = NULL;
    int n = -1;
    switch (r->phase) {
    case P_WAIT: {
        uint64_t now = now_ms();
        unsigned secs = r->retry_at > now ? (unsigned)((r->retry_at - now + 999) / 1000) : 0;
        n = asprintf(&s->describe, "%s reconnecting in %u s (%s)", label(r), secs,
                     r->last_error ? r->last_error : "disconnected");
        break;
    }
    case P_CONNECT:
    case P_AUTH:
    case P_OPEN:
    case P_EXEC:
        n = asprintf(&s->describe, "%s connecting", label(r));
        break;
    case P_STREAM:
        n = asprintf(&s->describe, "%s connected", label(r));
        break;
    case P_DONE:
        n = asprintf(&s->describe, "%s done", label(r));
        break;
    case P_FAILED:
        n = asprintf(&s->describe, "%s failed: %s", label(r),
                     r->last_error ? r->last_error : "error");
        break;
    }
    if (n < 0)
        s->describe = NULL;
    return s->describe ? s->describe : label(r);
}

uint64_t journal_remote_reconnects(const struct journal_source *s)
{
    return s->remote->reconnects;
}
