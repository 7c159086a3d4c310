/* A remote journal over SSH (libssh, non-blocking): runs `journalctl -o export ...` on the
 * target and parses its output as it arrives. Every step (TCP connect, key exchange, host
 * key check, authentication, channel, exec, reading) is resumed from poll() events on the
 * ssh socket; a lost connection is retried with exponential backoff, resuming after the
 * last cursor seen so nothing is shown twice. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libssh/libssh.h>

#include "core/journal/source.h"
#include "core/sshc.h"

enum phase { P_WAIT, P_CONNECT, P_STREAM, P_DONE, P_FAILED };

struct journal_remote {
    char *journalctl;
    unsigned backoff_min, backoff_max, backoff;
    enum phase phase;
    struct sshc *c;              /* this attempt's connection (NULL between attempts) */
    ssh_channel ch;              /* its channel, while streaming */
    struct journal_export_parser *parser;
    char *last_cursor;
    uint64_t retry_at;           /* CLOCK_MONOTONIC ms */
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
    if (r->c)
        sshc_disconnect(r->c);
    r->ch = NULL;
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
    (void)d;
    char *cmd = remote_command(r);
    int ret = cmd ? sshc_exec(r->c, cmd) : -ENOMEM;
    free(cmd);
    if (ret < 0)
        return ret;
    r->phase = P_CONNECT;
    r->src->state = JOURNAL_STATE_CONNECTING;
    return 0;
}

static int step(struct journal_remote *r, struct diag *d)
{
    struct diag sd = {0};
    int rc = sshc_process(r->c, &sd);
    char *notice = sshc_take_notice(r->c);
    if (notice)
        journal_source_notice(r->src, "%s: %s", label(r), notice);
    free(notice);
    if (rc < 0) {
        if (rc == -ENOMEM)
            return rc;
        bool perm = sshc_failed_permanently(r->c);
        char *m = sd.msg;
        sd.msg = NULL;
        diag_clear(&sd);
        rc = perm ? permanent(r, d, "%s", m ? m : "failed") : transient(r, d, "%s", m ? m : "failed");
        free(m);
        return rc;
    }
    if (rc == 0)
        return 0;
    r->ch = sshc_channel(r->c);
    r->phase = P_STREAM;
    r->src->state = r->src->sel.follow ? JOURNAL_STATE_FOLLOWING : JOURNAL_STATE_READING;
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
    return 0;
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
                     sshc_connection_lost(r->c))) {
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
                !sshc_connection_lost(r->c)) {
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
    struct sshc_options so = {.target = opt->target, .identity = opt->identity,
                                  .known_hosts = opt->known_hosts,
                                  .policy = opt->policy == JOURNAL_HOSTKEY_STRICT
                                                ? SSHC_HOSTKEY_STRICT
                                                : SSHC_HOSTKEY_ACCEPT_NEW,
                                  .connect_timeout_s = opt->connect_timeout_s};
    if ((ret = sshc_new(&so, &r->c, d)) < 0)
        return ret;
    r->journalctl = strdup(opt->journalctl ? opt->journalctl : "journalctl");
    r->backoff_min = opt->backoff_min_ms ? opt->backoff_min_ms : 1000;
    r->backoff_max = opt->backoff_max_ms ? opt->backoff_max_ms : 30000;
    r->backoff = r->backoff_min;
    r->parser = journal_export_parser_new(opt->target);
    if (!r->journalctl || !r->parser)
        return -ENOMEM;
    if (asprintf(&s->label, "ssh %s", opt->target) < 0) {
        s->label = NULL;
        return -ENOMEM;
    }
    if ((ret = start_connect(r, d)) < 0)
        return ret;
    return 0;
}

void journal_remote_free(struct journal_remote *r)
{
    if (!r)
        return;
    sshc_free(r->c);
    journal_export_parser_free(r->parser);
    buf_free(&r->err);
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
    if (r->phase == P_CONNECT)
        ret = step(r, d);
    if (ret >= 0 && r->phase == P_STREAM)
        ret = stream(r, d);
    if (ret == -EAGAIN)
        ret = 0;
    return ret < 0 ? ret : r->delivered;
}

int journal_remote_fd(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    if (r->phase == P_WAIT || r->phase >= P_DONE)
        return -1;
    return sshc_fd(r->c);
}

short journal_remote_events(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    return sshc_events(r->c);
}

int journal_remote_timeout_ms(const struct journal_source *s)
{
    struct journal_remote *r = s->remote;
    uint64_t now = now_ms(), at;
    if (r->phase == P_STREAM && r->more)
        return 0;
    if (r->phase == P_WAIT)
        at = r->retry_at;
    else if (r->phase == P_CONNECT)
        return sshc_timeout_ms(r->c);
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
