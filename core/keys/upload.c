/* Where a client's borgbackup key goes for an external destination: the SSH user, host and
 * port borg would use for `repo` and `rsh`, and what runs there to authorize the key
 * (see core/keys.h, keys_upload_*). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"
#include "core/util.h"

void keys_upload_target_clear(struct keys_upload_target *t)
{
    free(t->user);
    free(t->host);
    memset(t, 0, sizeof(*t));
}

static int bad(struct diag *d, const char *what, const char *v, const char *expected)
{
    return diag_set(d, DIAG_ERROR, NULL, 0, 0, "%s '%s' %s", what, v, expected), -EINVAL;
}

static int parse_port(const char *s, size_t n, unsigned *out)
{
    unsigned long v = 0;
    if (!n || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (!v || v > 65535)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* The words of a command line as a POSIX shell splits them (quotes and backslashes; no
 * expansion). NULL-terminated, caller frees each and the array; NULL on an unclosed quote. */
static char **split_words(const char *s, size_t *n)
{
    char **v = NULL;
    size_t nv = 0;
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        struct buf w = {0};
        buf_puts(&w, "");
        while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
            if (*p == '\'') {
                const char *e = strchr(p + 1, '\'');
                if (!e)
                    goto fail_word;
                buf_append(&w, p + 1, (size_t)(e - p - 1));
                p = e + 1;
            } else if (*p == '"') {
                p++;
                while (*p && *p != '"') {
                    if (*p == '\\' && p[1] && strchr("\"\\$`\n", p[1]))
                        p++;
                    buf_putc(&w, *p++);
                }
                if (*p != '"')
                    goto fail_word;
                p++;
            } else if (*p == '\\' && p[1]) {
                buf_putc(&w, p[1]);
                p += 2;
            } else {
                buf_putc(&w, *p++);
            }
        }
        char **nvv = realloc(v, (nv + 2) * sizeof(*v));
        if (!nvv || !w.p) {
            buf_free(&w);
            goto fail;
        }
        v = nvv;
        v[nv++] = buf_steal(&w);
        v[nv] = NULL;
        continue;
    fail_word:
        buf_free(&w);
        goto fail;
    }
    if (!v && !(v = calloc(1, sizeof(*v))))
        return NULL;
    *n = nv;
    return v;
fail:
    for (size_t i = 0; i < nv; i++)
        free(v[i]);
    free(v);
    return NULL;
}

/* -p PORT, -pPORT, -o Port=N, -oPort=N, -o "Port N", -l USER, -lUSER in rsh. */
static int rsh_options(const char *rsh, unsigned *port, char **user, struct diag *d)
{
    size_t n;
    char **w = split_words(rsh, &n);
    if (!w)
        return bad(d, "rsh", rsh, "has an unclosed quote; expected a command line such as "
                                  "\"ssh -p 23 -i /run/secrets/vars/borgbackup/borgbackup.ssh\"");
    int r = 0;
    for (size_t i = 1; i < n && r == 0; i++) {
        const char *a = w[i], *val = NULL;
        char opt = 0;
        if (a[0] == '-' && (a[1] == 'p' || a[1] == 'o' || a[1] == 'l')) {
            opt = a[1];
            val = a[2] ? a + 2 : i + 1 < n ? w[++i] : NULL;
        }
        if (!opt)
            continue;
        if (!val) {
            r = bad(d, "rsh", rsh, "ends in an option without its value");
            break;
        }
        if (opt == 'p' && parse_port(val, strlen(val), port) < 0)
            r = bad(d, "rsh", rsh, "has a -p that is no port (1 to 65535)");
        else if (opt == 'l') {
            free(*user);
            if (!(*user = strdup(val)))
                r = -ENOMEM;
        } else if (opt == 'o' && !strncasecmp(val, "port", 4) && (val[4] == '=' || val[4] == ' ')) {
            const char *pv = val + 5;
            while (*pv == ' ')
                pv++;
            if (parse_port(pv, strlen(pv), port) < 0)
                r = bad(d, "rsh", rsh, "has a Port option that is no port (1 to 65535)");
        }
    }
    for (size_t i = 0; i < n; i++)
        free(w[i]);
    free(w);
    return r;
}

int keys_upload_target_parse(const char *repo, const char *rsh, struct keys_upload_target *out,
                             struct diag *d)
{
    struct keys_upload_target t = {0};
    const char *hp, *end;
    unsigned url_port = 0;
    if (!repo || !*repo)
        return bad(d, "repo", repo ? repo : "", "is empty; expected user@host:path or ssh://user@host:port/path");
    if (!strncmp(repo, "ssh://", 6)) {
        hp = repo + 6;
        end = hp + strcspn(hp, "/");
    } else if (strstr(repo, "://") || repo[0] == '/' || repo[0] == '.' || repo[0] == '~') {
        return bad(d, "repo", repo, "is not reached over SSH, so there is no host to upload a key "
                                    "to; expected user@host:path or ssh://user@host:port/path");
    } else {
        hp = repo;
        end = NULL;
        if (*hp == '[' || (strchr(hp, '@') && strchr(hp, '@')[1] == '[')) {
            const char *close = strchr(hp, ']');
            end = close && close[1] == ':' ? close + 1 : NULL;
        } else {
            const char *at = strchr(hp, '@');
            const char *from = at && at < hp + strcspn(hp, ":") ? at + 1 : hp;
            const char *colon = strchr(from, ':');
            end = colon;
        }
        if (!end)
            return bad(d, "repo", repo, "has no host; expected user@host:path or "
                                        "ssh://user@host:port/path");
    }
    /* [user@]host[:port] in hp..end (the port only in ssh:// URLs) */
    const char *at = memchr(hp, '@', (size_t)(end - hp));
    const char *h = at ? at + 1 : hp;
    if (at && !(t.user = strndup(hp, (size_t)(at - hp))))
        goto oom;
    const char *hend = end;
    if (*h == '[') {
        const char *close = memchr(h, ']', (size_t)(end - h));
        if (!close)
            goto badhost;
        if (!(t.host = strndup(h + 1, (size_t)(close - h - 1))))
            goto oom;
        hend = close + 1;
    } else {
        const char *colon = !strncmp(repo, "ssh://", 6) ? memchr(h, ':', (size_t)(end - h)) : NULL;
        if (colon)
            hend = colon;
        if (!(t.host = strndup(h, (size_t)(hend - h))))
            goto oom;
    }
    if (hend < end && *hend == ':' && !strncmp(repo, "ssh://", 6) &&
        parse_port(hend + 1, (size_t)(end - hend - 1), &url_port) < 0) {
        keys_upload_target_clear(&t);
        return bad(d, "repo", repo, "has a port that is no number from 1 to 65535");
    }
    if (!t.host[0] || (t.user && !t.user[0]) || strpbrk(t.host, " /'\"\\@"))
        goto badhost;
    if (rsh && *rsh) {
        char *ruser = NULL;
        int r = rsh_options(rsh, &t.port, &ruser, d);
        if (r < 0) {
            free(ruser);
            keys_upload_target_clear(&t);
            return r;
        }
        if (!t.user)
            t.user = ruser;
        else
            free(ruser);
    }
    if (url_port) /* borg passes the URL's port after rsh's options: it wins */
        t.port = url_port;
    size_t hl = strlen(t.host);
    static const char box[] = ".your-storagebox.de";
    t.storage_box = hl > sizeof(box) - 1 && !strcasecmp(t.host + hl - (sizeof(box) - 1), box);
    *out = t;
    return 0;
badhost:
    keys_upload_target_clear(&t);
    return bad(d, "repo", repo, "has no usable user@host; expected user@host:path or "
                                "ssh://user@host:port/path");
oom:
    keys_upload_target_clear(&t);
    return diag_set(d, DIAG_ERROR, NULL, 0, 0, "out of memory"), -ENOMEM;
}

char *keys_upload_target_text(const struct keys_upload_target *t)
{
    char *s = NULL;
    bool v6 = strchr(t->host, ':') != NULL;
    if (asprintf(&s, "%s%s%s%s%s%s", t->user ? t->user : "", t->user ? "@" : "", v6 ? "[" : "",
                 t->host, v6 ? "]" : "", "") < 0)
        return NULL;
    if (t->port) {
        char *p = NULL;
        if (asprintf(&p, "%s:%u", s, t->port) < 0)
            p = NULL;
        free(s);
        s = p;
    }
    return s;
}

int keys_upload_command(const char *pub_line, size_t len, char **command, struct diag *d)
{
    char *only = NULL, *line = NULL;
    int r = keys_public_key_only(pub_line, len, &only, d);
    if (r < 0)
        return r;
    /* the line as written (its comment kept), without line breaks */
    size_t l = len;
    while (l && (pub_line[l - 1] == '\n' || pub_line[l - 1] == '\r' || pub_line[l - 1] == ' '))
        l--;
    if (memchr(pub_line, '\n', l) || !(line = strndup(pub_line, l))) {
        free(only);
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "the public key must be one line"), -EINVAL;
    }
    struct buf b = {0};
    /* in the login's home (sshd starts in the passwd home; $HOME is what ~ means), the key
     * compared without its comment, a missing final newline supplied before appending */
    buf_puts(&b, "cd \"$HOME\" && umask 077 && mkdir -p .ssh && f=.ssh/authorized_keys && k=");
    buf_put_shell_word(&b, only);
    buf_puts(&b, " && if [ -f \"$f\" ] && grep -qF -- \"$k\" \"$f\"; then echo 'clan-tui: present'; "
                 "else { [ ! -s \"$f\" ] || [ -z \"$(tail -c 1 \"$f\")\" ] || echo >> \"$f\"; } && "
                 "printf '%s\\n' ");
    buf_put_shell_word(&b, line);
    buf_puts(&b, " >> \"$f\" && echo 'clan-tui: added'; fi");
    free(only);
    free(line);
    if (!b.p)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "out of memory"), -ENOMEM;
    *command = buf_steal(&b);
    return 0;
}

bool keys_upload_line_present(const char *authorized_keys, size_t len, const char *pub_line,
                              size_t plen)
{
    char *only = NULL;
    struct diag d = {0};
    if (keys_public_key_only(pub_line, plen, &only, &d) < 0) {
        diag_clear(&d);
        return false;
    }
    /* "TYPE BASE64" followed by a blank or the end of the line, anywhere on a line (after
     * options) */
    size_t ol = strlen(only);
    bool found = false;
    for (const char *p = authorized_keys; !found && p && p + ol <= authorized_keys + len;) {
        const char *hit = memmem(p, (size_t)(authorized_keys + len - p), only, ol);
        if (!hit)
            break;
        const char *after = hit + ol;
        bool start = hit == authorized_keys || hit[-1] == ' ' || hit[-1] == '\t' || hit[-1] == '\n';
        bool stop = after == authorized_keys + len || *after == ' ' || *after == '\t' ||
                    *after == '\n' || *after == '\r';
        found = start && stop;
        p = hit + 1;
    }
    free(only);
    return found;
}
