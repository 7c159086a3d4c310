/* The keys view (K): per machine with a borgbackup role, whether its borgbackup SSH key,
 * repository passphrase and host key exist (public value beside clan.nix, secrets in the
 * store outside it), the public fingerprints, the install-order warnings; c generates what
 * the machine under the cursor lacks, A what every machine lacks, after y. Private keys and
 * passphrases are never read for display: only their existence is shown. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/keys.h"
#include "tui/app.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/ops.h"

struct keys_view {
    struct keys_store *store;
    char *secrets;      /* the secrets directory, or NULL (public values only) */
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

static void fill(struct keys_view *k, struct app *a)
{
    size_t sel = k->lines.sel, top = k->lines.top;
    olines_clear(&k->lines);
    free(k->line_machine);
    k->line_machine = NULL;
    k->nline_machine = 0;
    size_t n = 0, missing = 0;
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
    struct keys_order_issue *iss = NULL;
    size_t niss = 0;
    struct diag d = {0};
    if (keys_order_check(k->store, a->plan, &iss, &niss, &d) == 0 && niss) {
        olines_add(&k->lines, THEME_DETAILS_SECTION, "install order");
        for (size_t i = 0; i < niss; i++)
            olines_add(&k->lines, THEME_DIAG_WARNING, "  warning: %s", iss[i].message);
    } else if (d.msg) {
        olines_add(&k->lines, THEME_DIAG_ERROR, "install order: %s", d.msg);
    }
    remember_machine(k, NULL);
    keys_order_issues_free(iss, niss);
    diag_clear(&d);
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
    ops_bottom(a, H, W, k->status, k->status_error, hints);
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
    fill(k, a);
}

static bool keys_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct keys_view *k = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &k->search, key, olines_find, &k->lines))
        return true;
    if (key == 'c' || key == 'A') {
        if (!app_may_write(a, "generating keys"))
            return true;
        if (!k->secrets) {
            app_message(a, true, "no secrets directory: give --secrets DIR (or set meta.name)");
            return true;
        }
        const char *m = key == 'c' && k->lines.sel < k->nline_machine ? k->line_machine[k->lines.sel] : NULL;
        if (key == 'c' && !m) {
            app_message(a, true, "move to a machine first (A generates for every machine)");
            return true;
        }
        struct gen_req *g = calloc(1, sizeof(*g));
        char *text = NULL;
        if (!g || (m && !(g->machine = strdup(m))) ||
            asprintf(&text, "Generate what %s lacks?\nPublic values go %s %s%s,\nsecrets into %s.\n"
                            "Existing keys are left alone.", m ? m : "every machine",
                     inventory_dir(a->inv) ? "into" : "beside",
                     inventory_dir(a->inv) ? inventory_dir(a->inv) : app_edit_file(a),
                     inventory_dir(a->inv) ? "/vars" : "", k->secrets) < 0) {
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
    keys_store_free(k->store);
    free(k->secrets);
    free(k->title);
    olines_clear(&k->lines);
    free(k->line_machine);
    free(k);
}

static const struct overlay_ops keys_ops = {"keys", keys_draw, keys_key, keys_free};

bool keys_view_open(struct app *a)
{
    struct keys_view *k = calloc(1, sizeof(*k));
    if (!k)
        return false;
    struct diag d = {0};
    if (a->opt.ops.secrets_dir)
        k->secrets = strdup(a->opt.ops.secrets_dir);
    else if (a->plan->meta_name)
        keys_default_secrets_dir(getenv("XDG_DATA_HOME"), getenv("HOME"), a->plan->meta_name,
                                 &k->secrets, &d);
    diag_clear(&d);
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
    if (asprintf(&k->title, "Keys · secrets in %s", k->secrets ? k->secrets
                 : "(none: give --secrets DIR, or set meta.name)") < 0)
        k->title = NULL;
    fill(k, a);
    edit_push(a, &keys_ops, k);
    return true;
}
