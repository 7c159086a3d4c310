/* The keys view (K): the vars of every machine as Clan keeps them (core/keys), read from the
 * clan directory: for each machine its generators' files (borgbackup on clients, openssh on
 * servers, and any other generator under vars/per-machine/<m>/), public or secret, whether
 * each secret is readable with the admin's age identity, its recipients by name (sops/machines,
 * sops/users), and what is missing: a file the generator makes, a recipient Clan would add now.
 * Readability comes from the recipients each sops file lists (no decryption: a fleet of 1000
 * machines opens at once); v decrypts the selected machine's secrets (data and MAC checked,
 * the plaintext wiped at once). c generates what the machine under the cursor lacks, A what
 * every machine lacks, after y -- Clan's sops layout as `clan-tui keygen` writes it. With
 * --secrets DIR the plain secrets directory of `keygen --secrets` instead. Private keys and
 * passphrases are never shown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/keys.h"
#include "core/util.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/ops.h"

struct keys_machine {
    const char *name; /* the plan's */
    bool client, server;
    struct keys_var_info *v;
    size_t n;
    char *error;      /* why its vars could not be read */
};

struct keys_view {
    struct keys_store *store;
    char *secrets;      /* --secrets: the plain secrets directory, or NULL (sops) */
    char *admin_error;  /* sops: why keygen would refuse (no admin key, or no user) */
    struct keys_machine *m;
    size_t nm;
    char *title;
    struct olines lines;
    char **line_machine; /* per line: the machine it belongs to (not owned), or NULL */
    size_t nline_machine;
    char status[256];
    bool status_error;
    int page;
    struct ops_search search;
};

static bool exists(const char *path)
{
    struct stat sb;
    return path && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static const char *mark(struct app *a, bool yes)
{
    return yes ? (a->ui.utf8 ? "✓" : "yes") : (a->ui.utf8 ? "✗" : "no");
}

/* One generator: its public value and fingerprint, and which secrets the store holds. */
static void add_generator(struct keys_view *k, struct app *a, const char *machine,
                          const struct keys_generator *g, const char *label, bool needed)
{
    struct keys_status st = {0};
    struct diag d = {0};
    if (keys_status_get(k->store, machine, g, &st, &d) < 0) {
        olines_add(&k->lines, THEME_DIAG_ERROR, "  %-16s error: %s", label, d.msg ? d.msg : "");
        diag_clear(&d);
        return;
    }
    char *priv = k->secrets ? keys_secret_path(k->store, machine, g->name, g->private_file) : NULL;
    bool have_priv = exists(priv);
    enum theme_role role = st.state == KEYS_PRESENT && !st.mismatch ? THEME_DETAILS_VALUE
                           : needed ? THEME_DIAG_WARNING : THEME_UI_DIM;
    olines_add(&k->lines, role, "  %-16s public %s  private %s  %s%s", label,
               mark(a, st.public_present), k->secrets ? mark(a, have_priv) : "?",
               st.fingerprint ? st.fingerprint : st.public_present ? "" : needed ? "missing" : "not needed",
               st.mismatch ? "  (the private key does not belong to the public value!)" : "");
    if (g->passphrase_file) {
        char *pp = k->secrets ? keys_secret_path(k->store, machine, g->name, g->passphrase_file) : NULL;
        bool have = exists(pp);
        olines_add(&k->lines, have ? THEME_DETAILS_VALUE : needed ? THEME_DIAG_WARNING : THEME_UI_DIM,
                   "  %-16s %s  %s", "passphrase", k->secrets ? mark(a, have) : "?",
                   have ? "(in the secrets store; never shown)" : k->secrets ? "missing" : "no secrets directory");
        free(pp);
    }
    free(priv);
    keys_status_clear(&st);
}

static void remember_machine(struct keys_view *k, const char *m)
{
    while (k->nline_machine < k->lines.n) {
        char **v = realloc(k->line_machine, (k->nline_machine + 1) * sizeof(*v));
        if (!v)
            return;
        k->line_machine = v;
        v[k->nline_machine++] = (char *)m;
    }
}

/* ---- Clan's sops vars ---- */

static void machine_clear(struct keys_machine *m)
{
    keys_vars_free(m->v, m->n);
    m->v = NULL;
    m->n = 0;
    free(m->error);
    m->error = NULL;
}

static void machine_load(struct keys_view *k, struct keys_machine *m, unsigned flags)
{
    struct diag d = {0};
    machine_clear(m);
    if (keys_machine_vars(k->store, m->name, m->client, m->server, flags, &m->v, &m->n, &d) < 0)
        m->error = diag_format(&d);
    diag_clear(&d);
}

/* Every machine's vars, read without decrypting (the recipients each file lists). */
static void load_all(struct keys_view *k, struct app *a)
{
    struct diag d = {0};
    keys_store_load_names(k->store, &d); /* else each secret reads its members' key.json */
    diag_clear(&d);
    for (size_t i = 0; i < k->nm; i++)
        machine_clear(&k->m[i]);
    free(k->m);
    k->nm = 0;
    k->m = calloc(a->plan->nmachines ? a->plan->nmachines : 1, sizeof(*k->m));
    if (!k->m)
        return;
    for (size_t i = 0; i < a->plan->nmachines; i++) {
        const struct plan_machine *pm = &a->plan->machines[i];
        struct keys_machine *m = &k->m[k->nm++];
        m->name = pm->name;
        m->client = pm->is_client;
        m->server = pm->is_server;
        machine_load(k, m, 0);
    }
}

/* A message as the view shows it: paths in the clan relative to it, the home directory as ~. */
static char *shown(const struct keys_view *k, const char *msg)
{
    const char *home = getenv("HOME");
    struct buf b = {0};
    size_t cn = strlen(k->store->clan_dir), hn = home && home[0] == '/' ? strlen(home) : 0;
    buf_puts(&b, "");
    for (const char *p = msg; *p;) {
        if (!strncmp(p, k->store->clan_dir, cn) && p[cn] == '/') {
            p += cn + 1;
        } else if (hn > 1 && !strncmp(p, home, hn) && p[hn] == '/') {
            buf_putc(&b, '~');
            p += hn;
        } else {
            buf_putc(&b, *p++);
        }
    }
    return buf_steal(&b);
}

/* The reason of an error, without the file it names (the row says which). */
static const char *reason(const char *msg)
{
    const char *e = strstr(msg, "error: ");
    return e ? e + strlen("error: ") : msg;
}

struct sops_counts {
    size_t absent, lacking, unreadable;
};

/* The fingerprint of a public key value ("" when it is no key). */
static char *public_summary(struct keys_view *k, const char *machine,
                            const struct keys_var_info *x)
{
    char *path = keys_public_path(k->store, machine, x->generator, x->file), *text = NULL;
    char *fp = NULL, *out = NULL;
    size_t len = 0;
    struct diag d = {0};
    if (path && file_read(path, &text, &len, NULL, &d) == 0 &&
        keys_public_fingerprint(text, len, &fp, &d) < 0 &&
        asprintf(&out, "%zu byte%s", len, len == 1 ? "" : "s") < 0)
        out = NULL;
    diag_clear(&d);
    free(text);
    free(path);
    return fp ? fp : out;
}

static void add_machine_vars(struct keys_view *k, struct app *a, const struct keys_machine *m,
                             struct sops_counts *c)
{
    char *kj = NULL;
    struct stat st;
    bool has_key = asprintf(&kj, "%s/sops/machines/%s/key.json", k->store->clan_dir,
                            m->name) >= 0 && stat(kj, &st) == 0;
    free(kj);
    bool secrets = false;
    for (size_t i = 0; i < m->n; i++)
        secrets |= m->v[i].secret && !m->v[i].absent;
    olines_add(&k->lines, THEME_TREE_MACHINE, "%s%s%s%s", m->name, m->client ? "  (client)" : "",
               m->server ? "  (server)" : "",
               has_key ? "" : secrets ? "  no age key (sops/machines/<m>/key.json)" : "");
    if (m->error) {
        char *e = shown(k, m->error);
        olines_add(&k->lines, THEME_DIAG_ERROR, "  error: %s", e ? reason(e) : "");
        free(e);
    }
    if (!m->n && !m->error)
        olines_add(&k->lines, THEME_UI_DIM, "  no vars");
    const char *gen = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const struct keys_var_info *x = &m->v[i];
        if (!gen || strcmp(gen, x->generator))
            olines_add(&k->lines, THEME_DETAILS_SECTION, "  %s", x->generator);
        gen = x->generator;
        if (x->absent) {
            c->absent++;
            olines_add(&k->lines, THEME_DIAG_WARNING, "    %-24s %-6s %s missing", x->file,
                       x->secret ? "secret" : "public", mark(a, false));
            continue;
        }
        if (!x->secret) {
            char *sum = public_summary(k, m->name, x);
            olines_add(&k->lines, THEME_DETAILS_VALUE, "    %-24s public %s", x->file,
                       sum ? sum : "");
            free(sum);
            continue;
        }
        const char *state = !k->store->admin ? "not checked"
                            : x->readable    ? (x->verified ? "verified" : "readable")
                                             : "NOT readable";
        bool bad = k->store->admin && !x->readable;
        c->unreadable += bad;
        c->lacking += x->missing != NULL;
        olines_add(&k->lines, bad || x->missing ? THEME_DIAG_WARNING : THEME_DETAILS_VALUE,
                   "    %-24s secret %s %-12s %s", x->file,
                   mark(a, k->store->admin && x->readable), state,
                   x->recipients ? x->recipients : "");
        if (x->missing)
            olines_add(&k->lines, THEME_DIAG_WARNING,
                       "      missing recipient: %s (clan-tui vars fix %s)", x->missing, m->name);
        if (x->error && (bad || x->verified || !x->readable)) {
            char *e = shown(k, x->error);
            olines_add(&k->lines, bad ? THEME_DIAG_ERROR : THEME_UI_DIM, "      %s",
                       e ? reason(e) : "");
            free(e);
        }
    }
}

static void add_order(struct keys_view *k, struct app *a, size_t *niss)
{
    struct keys_order_issue *iss = NULL;
    struct diag d = {0};
    *niss = 0;
    if (keys_order_check(k->store, a->plan, &iss, niss, &d) == 0 && *niss) {
        olines_add(&k->lines, THEME_DETAILS_SECTION, "install order");
        for (size_t i = 0; i < *niss; i++)
            olines_add(&k->lines, THEME_DIAG_WARNING, "  warning: %s", iss[i].message);
    } else if (d.msg) {
        olines_add(&k->lines, THEME_DIAG_ERROR, "install order: %s", d.msg);
    }
    remember_machine(k, NULL);
    keys_order_issues_free(iss, *niss);
    diag_clear(&d);
}

static void fill(struct keys_view *k, struct app *a)
{
    size_t sel = k->lines.sel, top = k->lines.top;
    olines_clear(&k->lines);
    free(k->line_machine);
    k->line_machine = NULL;
    k->nline_machine = 0;
    size_t n = 0, missing = 0, niss = 0;
    if (!k->secrets) {
        struct sops_counts c = {0};
        for (size_t i = 0; i < k->nm; i++) {
            add_machine_vars(k, a, &k->m[i], &c);
            remember_machine(k, k->m[i].name);
        }
        add_order(k, a, &niss);
        snprintf(k->status, sizeof(k->status), "%zu machine%s: %zu file%s missing, %zu "
                 "lack a recipient, %zu unreadable, %zu order warning%s", k->nm,
                 k->nm == 1 ? "" : "s", c.absent, c.absent == 1 ? "" : "s", c.lacking,
                 c.unreadable, niss, niss == 1 ? "" : "s");
        k->status_error = false;
        k->lines.sel = sel;
        k->lines.top = top;
        return;
    }
    for (size_t i = 0; i < a->plan->nmachines; i++) {
        const struct plan_machine *m = &a->plan->machines[i];
        if (!m->is_client && !m->is_server)
            continue;
        n++;
        olines_add(&k->lines, THEME_TREE_MACHINE, "%s%s%s", m->name, m->is_client ? "  (client)" : "",
                   m->is_server ? "  (server)" : "");
        size_t before = k->lines.n;
        if (m->is_client)
            add_generator(k, a, m->name, &keys_gen_borgbackup, "borgbackup key", true);
        add_generator(k, a, m->name, &keys_gen_openssh, "host key", m->is_server);
        for (size_t l = before; l < k->lines.n; l++)
            missing += k->lines.v[l].role == THEME_DIAG_WARNING;
        remember_machine(k, m->name);
    }
    add_order(k, a, &niss);
    snprintf(k->status, sizeof(k->status), "%zu machine%s, %zu missing, %zu install-order warning%s",
             n, n == 1 ? "" : "s", missing, niss, niss == 1 ? "" : "s");
    k->status_error = false;
    k->lines.sel = sel;
    k->lines.top = top;
}

static void keys_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct keys_view *k = o->data;
    struct orect r = ops_frame(a, H, W, k->title ? k->title : "Keys");
    k->page = r.h;
    olines_draw(&k->lines, a, r.y, r.x, r.h, r.w, true);
    static const char *const hints[] = {"j/k", "move", "c", "generate for this machine", "A",
                                        "generate for all", "/", "search", "Esc", "close", NULL};
    static const char *const sops_hints[] = {"j/k", "move", "v", "decrypt to verify", "c",
                                             "generate for this machine", "A", "generate for all",
                                             "/", "search", "Esc", "close", NULL};
    ops_bottom(a, H, W, k->status, k->status_error, k->secrets ? hints : sops_hints);
    ops_search_draw(a, &k->search, H, W);
}

struct gen_req {
    struct keys_view *k;
    char *machine; /* NULL: every machine */
};

static void gen_req_free(void *p)
{
    struct gen_req *g = p;
    if (g)
        free(g->machine);
    free(g);
}

static void do_generate(struct app *a, void *data)
{
    struct gen_req *g = data;
    struct keys_view *k = g->k;
    struct keys_report rep = {0};
    struct diag d = {0};
    const char *one[1] = {g->machine};
    if (keys_run(k->store, a->plan, g->machine ? one : NULL, g->machine ? 1 : 0, 0,
                 (int64_t)time(NULL), &rep, &d) < 0) {
        app_message(a, true, "nothing generated: %s", d.msg ? d.msg : "failed");
    } else {
        size_t made = 0;
        for (size_t i = 0; i < rep.nevents; i++)
            made += rep.events[i].result.outcome == KEYS_GENERATED ||
                    rep.events[i].result.outcome == KEYS_UPDATED;
        size_t fail = keys_report_failures(&rep);
        const struct diag *first = NULL;
        for (size_t i = 0; i < rep.nevents && !first; i++)
            if (rep.events[i].result.outcome == KEYS_FAILED)
                first = &rep.events[i].diag;
        if (fail)
            app_message(a, true, "%zu generated, %zu failed: %s", made, fail,
                        first && first->msg ? first->msg : "");
        else
            app_message(a, false, "%zu generated or updated; existing keys were left alone", made);
    }
    keys_report_free(&rep);
    diag_clear(&d);
    if (!k->secrets)
        load_all(k, a);
    fill(k, a);
}

/* v: decrypt the selected machine's secrets (data and MAC checked). */
static void verify_machine(struct keys_view *k, struct app *a, const char *name)
{
    for (size_t i = 0; i < k->nm; i++) {
        if (strcmp(k->m[i].name, name))
            continue;
        machine_load(k, &k->m[i], KEYS_VARS_VERIFY);
        size_t n = 0, ok = 0;
        for (size_t j = 0; j < k->m[i].n; j++)
            if (k->m[i].v[j].secret && !k->m[i].v[j].absent) {
                n++;
                ok += k->m[i].v[j].readable;
            }
        fill(k, a);
        if (!k->store->admin)
            app_message(a, true, "no admin age identity to decrypt with: %s", k->admin_error);
        else
            app_message(a, ok < n, "%zu/%zu decrypted, MAC ok", ok, n);
        return;
    }
}

static bool keys_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct keys_view *k = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &k->search, key, olines_find, &k->lines))
        return true;
    const char *m = k->lines.sel < k->nline_machine ? k->line_machine[k->lines.sel] : NULL;
    if (key == 'v' && !k->secrets) {
        if (!m)
            app_message(a, true, "move to a machine first");
        else
            verify_machine(k, a, m);
        return true;
    }
    if (key == 'c' || key == 'A') {
        if (!app_may_write(a, "generating keys"))
            return true;
        if (!k->secrets && k->admin_error) {
            char *e = shown(k, k->admin_error);
            if (e)
                ops_info(a, "Cannot generate keys", e);
            free(e);
            app_message(a, true, "nothing generated: no admin key of this clan");
            return true;
        }
        if (key == 'c' && !m) {
            app_message(a, true, "move to a machine first (A generates for every machine)");
            return true;
        }
        if (key == 'A')
            m = NULL;
        struct gen_req *g = calloc(1, sizeof(*g));
        char *text = NULL;
        int r = !g || (m && !(g->machine = strdup(m))) ? -1 : 0;
        if (r == 0 && k->secrets)
            r = asprintf(&text, "Generate what %s lacks?\nPublic values go %s %s%s,\nsecrets "
                         "into %s.\nExisting keys are left alone.", m ? m : "every machine",
                         inventory_dir(a->inv) ? "into" : "beside",
                         inventory_dir(a->inv) ? inventory_dir(a->inv) : app_edit_file(a),
                         inventory_dir(a->inv) ? "/vars" : "", k->secrets);
        else if (r == 0)
            r = asprintf(&text, "Generate what %s lacks?\nVars go to vars/per-machine/ in %s,\n"
                         "secrets sops-encrypted to the machine and admin %s.\n"
                         "Existing keys are left alone.", m ? m : "every machine",
                         k->store->clan_dir, k->store->admin->user);
        if (r < 0) {
            gen_req_free(g);
            return true;
        }
        g->k = k;
        ops_confirm(a, "Generate keys", text, do_generate, g, gen_req_free);
        free(text);
        return true;
    }
    if (key == 'q' || key == KEYSYM_ESC)
        return false;
    olines_key(&k->lines, a, key, k->page);
    return true;
}

static void keys_free(struct overlay *o)
{
    struct keys_view *k = o->data;
    for (size_t i = 0; i < k->nm; i++)
        machine_clear(&k->m[i]);
    free(k->m);
    keys_store_free(k->store);
    free(k->secrets);
    free(k->admin_error);
    free(k->title);
    olines_clear(&k->lines);
    free(k->line_machine);
    free(k);
}

static const struct overlay_ops keys_ops = {"keys", keys_draw, keys_key, keys_free};

/* Clan's sops layout: the admin matched to a user (as keygen), else the identities alone
 * (what they open is still shown; generating is refused with the fix). */
static void open_sops(struct keys_view *k, struct app *a)
{
    struct diag d = {0};
    if (cli_keys_use_sops(k->store, a->plan->meta_name, NULL, 0, NULL, &d) == 0)
        return;
    k->admin_error = diag_format(&d);
    diag_clear(&d);
    struct keys_env env = {getenv("SOPS_AGE_KEY"), getenv("SOPS_AGE_KEY_FILE"),
                           getenv("XDG_CONFIG_HOME"), getenv("HOME")};
    struct keys_admin *ids = NULL;
    if (keys_admin_identities(&env, &ids, &d) == 0)
        keys_store_use_sops(k->store, ids, NULL, 0, NULL, &d);
    diag_clear(&d);
}

bool keys_view_open(struct app *a)
{
    struct keys_view *k = calloc(1, sizeof(*k));
    if (!k)
        return false;
    struct diag d = {0};
    if (a->opt.ops.secrets_dir)
        k->secrets = strdup(a->opt.ops.secrets_dir);
    char *anchor = cli_clan_anchor(a->inv);
    int r = anchor ? keys_store_open(anchor, k->secrets, &k->store, &d) : -ENOMEM;
    free(anchor);
    if (r < 0) {
        app_message(a, true, "keys: %s", d.msg ? d.msg : "cannot open the store");
        diag_clear(&d);
        free(k->secrets);
        free(k);
        return false;
    }
    if (!k->secrets) {
        open_sops(k, a);
        load_all(k, a);
    }
    const struct keys_admin *ad = k->store->admin;
    char *src = ad ? shown(k, ad->source) : NULL;
    if (k->secrets)
        r = asprintf(&k->title, "Keys · plain secrets in %s", k->secrets);
    else if (ad && ad->user)
        r = asprintf(&k->title, "Keys · sops vars · admin %s (key from %s)", ad->user,
                     src ? src : "");
    else if (ad)
        r = asprintf(&k->title, "Keys · sops vars · key from %s is no user of this clan",
                     src ? src : "");
    else
        r = asprintf(&k->title, "Keys · sops vars · no admin age key: secrets not checked");
    free(src);
    if (r < 0)
        k->title = NULL;
    fill(k, a);
    edit_push(a, &keys_ops, k);
    return true;
}
