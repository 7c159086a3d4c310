/* Keys across the borgbackup plan: which machine needs what, known_hosts for clients, and
 * the install-order check (servers' host keys before their clients' vars). */
#include "core/keys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/util.h"

static const struct plan_machine *find_machine(const struct plan *p, const char *name)
{
    for (size_t i = 0; i < p->nmachines; i++)
        if (p->machines[i].name && !strcmp(p->machines[i].name, name))
            return &p->machines[i];
    return NULL;
}

/* The public host key line of a server, or NULL when it has none (or it is unreadable). */
static char *host_key_of(const struct keys_store *s, const char *server)
{
    char *path = keys_public_path(s, server, keys_gen_openssh.name, keys_gen_openssh.public_file);
    if (!path)
        return NULL;
    char *text = NULL, *key = NULL;
    size_t len = 0;
    struct diag tmp = {0};
    if (file_read(path, &text, &len, NULL, &tmp) == 0)
        keys_public_key_only(text, len, &key, &tmp);
    diag_clear(&tmp);
    free(text);
    free(path);
    return key;
}

/* Was this server already handled for this client (several jobs, one server)? */
static bool server_seen(const struct plan_machine *client, size_t upto, const char *server)
{
    for (size_t j = 0; j < upto; j++)
        if (client->jobs[j].server && !strcmp(client->jobs[j].server, server))
            return true;
    return false;
}

/* A host name or an IP address as known_hosts can name it (no placeholders, no patterns). */
static bool host_name_ok(const char *a)
{
    if (!*a || strlen(a) > 253)
        return false;
    for (const char *c = a; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '-' || *c == ':' || *c == '_'))
            return false;
    return true;
}

int keys_known_hosts_text(const struct keys_store *s, const struct plan *p,
                          const struct plan_machine *client, char **text,
                          struct diag_list *notes)
{
    struct buf b = {0};
    buf_puts(&b, "");
    for (size_t j = 0; j < client->njobs; j++) {
        const struct plan_job *job = &client->jobs[j];
        if (!job->server) {
            diag_list_add(notes, DIAG_NOTE, NULL, 0, 0,
                          "%s: destination %s is not a machine of this clan: its host key is "
                          "accepted on first connection (StrictHostKeyChecking=accept-new)",
                          client->name, job->destination);
            continue;
        }
        if (server_seen(client, j, job->server))
            continue;
        const struct plan_machine *srv = find_machine(p, job->server);
        const char *addr = srv && srv->address ? srv->address : job->server;
        if (!host_name_ok(addr)) {
            diag_list_add(notes, DIAG_WARNING, NULL, 0, 0,
                          "%s: backup server %s has the address '%s', which is not a host name "
                          "or IP address (a placeholder to replace?); known_hosts leaves it out",
                          client->name, job->server, addr);
            continue;
        }
        char *key = host_key_of(s, job->server);
        if (!key) {
            diag_list_add(notes, DIAG_WARNING, NULL, 0, 0,
                          "%s: backup server %s has no host key yet, so known_hosts cannot "
                          "name it", client->name, job->server);
            continue;
        }
        buf_printf(&b, "%s %s\n", addr, key);
        free(key);
    }
    if (!b.p) {
        buf_free(&b);
        return -ENOMEM;
    }
    *text = buf_steal(&b);
    return 0;
}

/* ---- install order ---- */

void keys_order_issues_free(struct keys_order_issue *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].client);
        free(v[i].server);
        free(v[i].message);
    }
    free(v);
}

static int add_issue(struct keys_order_issue **v, size_t *n, enum keys_order_kind kind,
                     const char *client, const char *server, char *message)
{
    struct keys_order_issue *nv = realloc(*v, (*n + 1) * sizeof(*nv));
    if (!nv) {
        free(message);
        return -ENOMEM;
    }
    *v = nv;
    struct keys_order_issue *it = &nv[(*n)++];
    it->kind = kind;
    it->clan_managed = false;
    it->client = strdup(client);
    it->server = strdup(server);
    it->message = message;
    return it->client && it->server && it->message ? 0 : -ENOMEM;
}

/* The client's known_hosts value (NULL: it has none), read once per client. */
struct known_hosts {
    bool read;
    char *text;
};

/* Does the client's known_hosts value hold this server key? */
static bool known_hosts_has(const struct keys_store *s, const char *client,
                            struct known_hosts *kh, const char *addr, const char *key)
{
    if (!kh->read) {
        char *path = keys_public_path(s, client, KEYS_KNOWN_HOSTS_GENERATOR,
                                      KEYS_KNOWN_HOSTS_FILE);
        size_t len = 0;
        struct diag tmp = {0};
        kh->read = true;
        if (path && file_read(path, &kh->text, &len, NULL, &tmp) < 0)
            kh->text = NULL;
        diag_clear(&tmp);
        free(path);
    }
    char *want = NULL;
    bool found = false;
    if (kh->text && asprintf(&want, "%s %s\n", addr, key) >= 0) {
        for (const char *line = kh->text; line && *line;) {
            const char *nl = strchr(line, '\n');
            size_t n = nl ? (size_t)(nl - line + 1) : strlen(line);
            if (n == strlen(want) && !memcmp(line, want, n))
                found = true;
            line = nl ? nl + 1 : NULL;
        }
    }
    free(want);
    return found;
}

/* What the public value of a generator's key says: does it exist, when was it written, its
 * fingerprint. Secrets are not needed: this works on vars Clan generated, too. */
struct public_key_state {
    bool present;
    int64_t mtime_ns;
    char *fingerprint;
};

static void public_key_state(const struct keys_store *s, const char *machine,
                             const struct keys_generator *g, struct public_key_state *out)
{
    memset(out, 0, sizeof(*out));
    char *path = keys_public_path(s, machine, g->name, g->public_file);
    char *text = NULL;
    size_t len = 0;
    struct stat st;
    struct diag tmp = {0};
    if (path && stat(path, &st) == 0 && file_read(path, &text, &len, NULL, &tmp) == 0 &&
        keys_public_fingerprint(text, len, &out->fingerprint, &tmp) == 0) {
        out->present = true;
        out->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
    }
    diag_clear(&tmp);
    free(text);
    free(path);
}

/* Clan made this machine's vars of g: its secret is sops-encrypted beside the public value. */
static bool clan_managed(const struct keys_store *s, const char *machine,
                         const struct keys_generator *g)
{
    char *p = NULL;
    struct stat st;
    bool yes = asprintf(&p, "%s/vars/per-machine/%s/%s/%s/secret", s->clan_dir, machine, g->name,
                        g->private_file) >= 0 &&
               stat(p, &st) == 0;
    free(p);
    return yes;
}

/* A server's host key as the order check needs it, read once per server. */
struct server_key {
    bool read;
    struct public_key_state st;
    char *key; /* "TYPE BASE64" or NULL */
};

static struct server_key *server_key(const struct keys_store *s, const struct plan *p,
                                     struct server_key *cache, const char *server)
{
    const struct plan_machine *m = find_machine(p, server);
    /* a server that is no machine of the plan: the last slot, read again each time */
    struct server_key *k = &cache[m ? (size_t)(m - p->machines) : p->nmachines];
    if (!m) {
        free(k->key);
        free(k->st.fingerprint);
        memset(k, 0, sizeof(*k));
    }
    if (!k->read) {
        k->read = true;
        public_key_state(s, server, &keys_gen_openssh, &k->st);
        if (k->st.present)
            k->key = host_key_of(s, server);
    }
    return k;
}

int keys_order_check(const struct keys_store *s, const struct plan *p,
                     struct keys_order_issue **out, size_t *n, struct diag *d)
{
    struct keys_order_issue *v = NULL;
    size_t nv = 0;
    int r = 0;
    struct server_key *cache = calloc(p->nmachines + 1, sizeof(*cache));
    if (!cache)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    for (size_t i = 0; i < p->nmachines && r == 0; i++) {
        const struct plan_machine *c = &p->machines[i];
        if (!c->is_client || keys_check_name("machine name", c->name, NULL) < 0)
            continue;
        struct known_hosts kh = {0};
        struct public_key_state cs;
        public_key_state(s, c->name, &keys_gen_borgbackup, &cs);
        bool by_clan = cs.present && clan_managed(s, c->name, &keys_gen_borgbackup);
        const char *how = by_clan ? " (they were made by clan: clan vars generate)" : "";
        for (size_t j = 0; cs.present && j < c->njobs && r == 0; j++) {
            const char *server = c->jobs[j].server;
            if (!server || server_seen(c, j, server) ||
                keys_check_name("machine name", server, NULL) < 0)
                continue;
            const struct server_key *sk = server_key(s, p, cache, server);
            const struct public_key_state ss = sk->st;
            const struct plan_machine *srv = find_machine(p, server);
            const char *addr = srv && srv->address ? srv->address : server;
            char *msg = NULL;
            const char *key = NULL;
            enum keys_order_kind kind = KEYS_ORDER_NO_HOST_KEY;
            if (!ss.present) {
                if (asprintf(&msg, "%s has borgbackup keys but its backup server %s has no "
                             "host key yet: the server's vars must be generated first, then "
                             "the client's again%s", c->name, server, how) < 0)
                    r = -ENOMEM;
            } else if (cs.mtime_ns < ss.mtime_ns) {
                kind = KEYS_ORDER_PREDATES;
                if (asprintf(&msg, "%s's borgbackup keys predate the host key of its backup "
                             "server %s: re-generate the client's vars%s", c->name, server,
                             how) < 0)
                    r = -ENOMEM;
            } else if (host_name_ok(addr) && (key = sk->key) &&
                       !known_hosts_has(s, c->name, &kh, addr, key) && kh.text) {
                kind = KEYS_ORDER_KNOWN_HOSTS;
                if (asprintf(&msg, "%s's known_hosts does not hold the current host key of %s "
                             "(%s %s)", c->name, server, addr, ss.fingerprint) < 0)
                    r = -ENOMEM;
            }
            if (msg) {
                r = add_issue(&v, &nv, kind, c->name, server, msg);
                if (r == 0)
                    v[nv - 1].clan_managed = by_clan;
            }
        }
        free(kh.text);
        free(cs.fingerprint);
    }
    for (size_t i = 0; i <= p->nmachines; i++) {
        free(cache[i].st.fingerprint);
        free(cache[i].key);
    }
    free(cache);
    if (r < 0) {
        keys_order_issues_free(v, nv);
        return diag_errno(d, r, NULL, "out of memory");
    }
    *out = v;
    *n = nv;
    return 0;
}

/* ---- a whole run ---- */

void keys_report_free(struct keys_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->nevents; i++) {
        free(r->events[i].machine);
        keys_result_clear(&r->events[i].result);
        diag_clear(&r->events[i].diag);
    }
    free(r->events);
    diag_list_free(&r->notes);
    keys_order_issues_free(r->issues, r->nissues);
    memset(r, 0, sizeof(*r));
}

size_t keys_report_failures(const struct keys_report *r)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nevents; i++)
        n += r->events[i].result.outcome == KEYS_FAILED;
    return n;
}

static struct keys_event *new_event(struct keys_report *rep, const char *machine,
                                    const char *generator)
{
    struct keys_event *nv = realloc(rep->events, (rep->nevents + 1) * sizeof(*nv));
    if (!nv)
        return NULL;
    rep->events = nv;
    struct keys_event *e = &nv[rep->nevents];
    memset(e, 0, sizeof(*e));
    e->machine = strdup(machine);
    if (!e->machine)
        return NULL;
    e->generator = generator;
    rep->nevents++;
    return e;
}

static int run_generator(const struct keys_store *s, const char *machine,
                         const struct keys_generator *g, unsigned flags, int64_t now,
                         struct keys_report *rep)
{
    struct keys_event *e = new_event(rep, machine, g->name);
    if (!e)
        return -ENOMEM;
    if (keys_generate(s, machine, g, flags, now, &e->result, &e->diag) < 0)
        e->result.outcome = KEYS_FAILED;
    return 0;
}

/* One generator for every selected server (servers) or client, at once (sops store). */
static int run_many(const struct keys_store *s, const struct plan *p, const bool *sel,
                    bool servers, const struct keys_generator *g, unsigned flags, int64_t now,
                    struct keys_report *rep)
{
    const char **names = calloc(p->nmachines ? p->nmachines : 1, sizeof(*names));
    if (!names)
        return -ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < p->nmachines; i++)
        if (sel[i] && (servers ? p->machines[i].is_server : p->machines[i].is_client))
            names[n++] = p->machines[i].name;
    struct keys_result *res = calloc(n ? n : 1, sizeof(*res));
    struct diag *diags = calloc(n ? n : 1, sizeof(*diags));
    int r = res && diags ? keys_generate_sops_many(s, names, n, g, flags, now, res, diags)
                         : -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        struct keys_event *e = r == 0 ? new_event(rep, names[i], g->name) : NULL;
        if (!e) {
            r = -ENOMEM;
            keys_result_clear(&res[i]);
            diag_clear(&diags[i]);
            continue;
        }
        e->result = res[i];
        e->diag = diags[i];
    }
    free(res);
    free(diags);
    free(names);
    return r;
}

static int run_known_hosts(const struct keys_store *s, const struct plan *p,
                           const struct plan_machine *m, struct keys_report *rep)
{
    bool any_server = false;
    for (size_t j = 0; j < m->njobs; j++)
        any_server |= m->jobs[j].server != NULL;
    char *text = NULL;
    if (keys_known_hosts_text(s, p, m, &text, &rep->notes) < 0)
        return -ENOMEM;
    int r = 0;
    /* an empty known_hosts is only written over an older one, which would be stale */
    char *path = keys_public_path(s, m->name, KEYS_KNOWN_HOSTS_GENERATOR, KEYS_KNOWN_HOSTS_FILE);
    struct stat st;
    bool had = path && stat(path, &st) == 0;
    free(path);
    if (any_server && (*text || had)) {
        struct keys_event *e = new_event(rep, m->name, KEYS_KNOWN_HOSTS_GENERATOR);
        if (!e)
            r = -ENOMEM;
        else if (keys_known_hosts_write(s, m->name, text, &e->result, &e->diag) < 0)
            e->result.outcome = KEYS_FAILED;
    }
    free(text);
    return r;
}

int keys_run(const struct keys_store *s, const struct plan *p, const char *const *machines,
             size_t nmachines, unsigned flags, int64_t now, struct keys_report *rep,
             struct diag *d)
{
    memset(rep, 0, sizeof(*rep));
    bool *sel = calloc(p->nmachines ? p->nmachines : 1, sizeof(*sel));
    if (!sel)
        return diag_errno(d, ENOMEM, NULL, "out of memory");
    int r = 0;
    /* validate everything before the first write */
    if (machines && nmachines) {
        for (size_t i = 0; i < nmachines && r == 0; i++) {
            const struct plan_machine *m = find_machine(p, machines[i]);
            if (!m)
                r = diag_errno(d, ENOENT, NULL, "no machine '%s' in the inventory", machines[i]);
            else if (!m->is_client && !m->is_server)
                r = diag_errno(d, EINVAL, NULL, "%s has no borgbackup role; expected a client "
                               "or server of a borgbackup instance", machines[i]);
            else
                sel[m - p->machines] = true;
        }
    } else {
        for (size_t i = 0; i < p->nmachines; i++)
            sel[i] = p->machines[i].is_client || p->machines[i].is_server;
    }
    for (size_t i = 0; i < p->nmachines && r == 0; i++)
        if (sel[i])
            r = keys_check_name("machine name", p->machines[i].name, d);
    /* servers first: their host keys are what the clients consume */
    if (s->admin) {
        /* sops: each generator all or nothing, the whole run made durable at once */
        if (r == 0)
            r = run_many(s, p, sel, true, &keys_gen_openssh, flags, now, rep);
        size_t first = rep->nevents;
        if (r == 0)
            r = run_many(s, p, sel, false, &keys_gen_borgbackup, flags, now, rep);
        size_t last = rep->nevents; /* known_hosts events are appended behind */
        for (size_t e = first; e < last && r == 0; e++) {
            if (rep->events[e].result.outcome == KEYS_FAILED)
                continue;
            for (size_t i = 0; i < p->nmachines; i++)
                if (!strcmp(p->machines[i].name, rep->events[e].machine)) {
                    r = run_known_hosts(s, p, &p->machines[i], rep);
                    break;
                }
        }
    }
    for (size_t i = 0; i < p->nmachines && r == 0 && !s->admin; i++)
        if (sel[i] && p->machines[i].is_server)
            r = run_generator(s, p->machines[i].name, &keys_gen_openssh, flags, now, rep);
    for (size_t i = 0; i < p->nmachines && r == 0 && !s->admin; i++) {
        const struct plan_machine *m = &p->machines[i];
        if (!sel[i] || !m->is_client)
            continue;
        r = run_generator(s, m->name, &keys_gen_borgbackup, flags, now, rep);
        if (r == 0 && rep->events[rep->nevents - 1].result.outcome != KEYS_FAILED)
            r = run_known_hosts(s, p, m, rep);
    }
    if (r == -ENOMEM)
        diag_errno(d, r, NULL, "out of memory");
    if (r == 0)
        r = keys_order_check(s, p, &rep->issues, &rep->nissues, d);
    free(sel);
    if (r < 0)
        keys_report_free(rep);
    return r;
}
