/* The destinations editor (d): a client's jobs, the explicit destinations
 * (settings.destinations.<name> with repo and rsh) editable, the ones from the
 * instance's servers shown; a form with live validation of the name (clan's pattern),
 * the repo syntax and the resulting unit name; K sends the client's borgbackup key to an
 * external destination's host (vars upload-key) through the UI's poll loop, asking before
 * it trusts a host key it has not seen. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"
#include "core/util.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/lazylib.h"
#include "tui/widget-dialog.h"

enum { F_NAME, F_REPO, F_RSH, NFIELDS };

struct dests {
    char *machine, *instance;
    size_t sel;
    bool form, editing;       /* the form is open; editing an existing one (name fixed) */
    int field;
    struct input in[NFIELDS];
    char *old_rsh;            /* editing: rsh had a value */
    /* K: the key upload under way (or the question before trusting a new host) */
    struct app *app;
    struct keys_upload *up;
    int up_fd, up_timer;
    short up_events;
    char *up_dest;            /* the destination it goes to */
    char *up_fp;              /* asking: the host key the host offered */
    char up_status[600];
    bool up_error;
};

static const struct plan_machine *pm_of(struct app *a, const char *m)
{
    return a->plan ? plan_find_machine(a->plan, m) : NULL;
}

/* Clan's destination name rule: ^[a-zA-Z0-9._-]+$. 0 or the 1-based bad column. */
static unsigned name_error(const char *s)
{
    if (!*s)
        return 1;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '.' || *c == '_' || *c == '-'))
            return (unsigned)(c - s) + 1;
    return 0;
}

/* borg repository syntax: /abs/path, file:///abs, ssh://[user@]host[:port]/path or
 * [user@]host:path. NULL when fine, else what is wrong. */
static const char *repo_error(const char *s)
{
    if (!*s)
        return "empty: expected user@host:path, ssh://user@host[:port]/path or an absolute path";
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c <= ' ')
            return "spaces or control characters: borg would not parse it";
    if (s[0] == '/')
        return NULL;
    if (!strncmp(s, "file://", 7))
        return s[7] == '/' ? NULL : "file:// needs an absolute path (file:///path)";
    if (!strncmp(s, "ssh://", 6)) {
        const char *h = s + 6, *slash = strchr(h, '/');
        if (!slash || slash == h || (h[0] == '@'))
            return "ssh:// needs a host and a path: ssh://user@host[:port]/path";
        return NULL;
    }
    if (strstr(s, "://"))
        return "unknown scheme: expected ssh:// or file://";
    const char *colon = strchr(s, ':');
    if (!colon)
        return "a relative path: expected user@host:path, ssh://... or an absolute path";
    const char *slash = strchr(s, '/');
    if (slash && slash < colon)
        return "a path before ':': expected user@host:path";
    if (colon == s || colon[-1] == '@')
        return "no host before ':': expected user@host:path";
    return NULL;
}

/* ---- K: upload the client's key ---- */

static void up_on_fd(struct app *a, int fd, short revents, void *data);
static void up_on_timer(struct app *a, void *data);

static void up_stop(struct dests *d)
{
    if (d->up_fd >= 0)
        app_unwatch_fd(d->app, d->up_fd);
    if (d->up_timer)
        app_timer_cancel(d->app, d->up_timer);
    d->up_fd = -1;
    d->up_timer = 0;
    keys_upload_free(d->up);
    d->up = NULL;
}

/* Watch what the upload waits for now. */
static void up_rearm(struct dests *d)
{
    int fd = keys_upload_fd(d->up);
    short ev = fd >= 0 ? keys_upload_events(d->up) : 0;
    if (d->up_fd >= 0 && (fd != d->up_fd || ev != d->up_events))
        app_unwatch_fd(d->app, d->up_fd);
    if (fd >= 0 && (fd != d->up_fd || ev != d->up_events))
        app_watch_fd(d->app, fd, ev ? ev : POLLIN, up_on_fd, d);
    d->up_fd = fd;
    d->up_events = ev;
    if (d->up_timer)
        app_timer_cancel(d->app, d->up_timer);
    d->up_timer = 0;
    int t = keys_upload_timeout_ms(d->up);
    if (t >= 0)
        d->up_timer = app_timer_add(d->app, (unsigned)t, up_on_timer, d);
}

static void up_process(struct dests *d)
{
    struct diag dg = {0};
    int r = keys_upload_process(d->up, &dg);
    if (r == 0) {
        up_rearm(d);
        diag_clear(&dg);
        return;
    }
    const char *target = keys_upload_target_name(d->up);
    if (r > 0) {
        snprintf(d->up_status, sizeof(d->up_status), "%s: the key of %s %s", target, d->up_dest,
                 keys_upload_outcome(d->up) == KEYS_UPLOAD_PRESENT ? "was there already" : "was added");
        d->up_error = false;
    } else if (keys_upload_host_unknown(d->up) && keys_upload_fingerprint(d->up)) {
        free(d->up_fp);
        d->up_fp = strdup(keys_upload_fingerprint(d->up));
        snprintf(d->up_status, sizeof(d->up_status),
                 "%s is not in known_hosts; it offers %s. Trust it and upload? y/N", target,
                 d->up_fp ? d->up_fp : "?");
        d->up_error = false;
    } else {
        snprintf(d->up_status, sizeof(d->up_status), "not uploaded: %s", dg.msg ? dg.msg : "failed");
        d->up_error = true;
    }
    diag_clear(&dg);
    up_stop(d);
    app_set_dirty(d->app);
}

static void up_on_fd(struct app *a, int fd, short revents, void *data)
{
    (void)a;
    (void)fd;
    (void)revents;
    up_process(data);
}

static void up_on_timer(struct app *a, void *data)
{
    (void)a;
    struct dests *d = data;
    d->up_timer = 0;
    up_process(d);
}

/* Send the machine's borgbackup.ssh.pub to the host of destination j; trusted: the host key
 * the operator accepted. */
static void up_start(struct dests *d, struct app *a, const struct plan_job *j, const char *trusted)
{
    if (!j->explicit_dest) {
        app_message(a, true, "%s is a backup server of the clan: its authorized_keys come from the units (U)",
                    j->destination);
        return;
    }
    up_stop(d);
    struct diag dg = {0};
    struct keys_upload_target t = {0};
    struct keys_store *store = NULL;
    char *anchor = cli_clan_anchor(a->inv), *path = NULL, *pub = NULL;
    size_t plen = 0;
    d->up_error = true;
    char err[512];
    if (lazylib_require(LAZYLIB_BIT(LAZYLIB_SSH), err, sizeof err) < 0) {
        snprintf(d->up_status, sizeof(d->up_status), "not uploaded: %s", err);
    } else if (keys_upload_target_parse(j->repo, j->rsh, &t, &dg) < 0) {
        snprintf(d->up_status, sizeof(d->up_status), "not uploaded: %s", dg.msg ? dg.msg : "bad repo");
    } else if (!anchor || keys_store_open(anchor, NULL, &store, &dg) < 0 ||
               !(path = keys_public_path(store, d->machine, keys_gen_borgbackup.name,
                                         keys_gen_borgbackup.public_file)) ||
               file_read(path, &pub, &plen, NULL, &dg) < 0) {
        snprintf(d->up_status, sizeof(d->up_status), "%s has no %s yet: K in the tree generates it",
                 d->machine, keys_gen_borgbackup.public_file);
    } else {
        struct keys_upload_options o = {pub, plen, a->opt.ops.identity, a->opt.ops.known_hosts,
                                        false, trusted, KEYS_UPLOAD_AUTO, 0};
        diag_clear(&dg);
        if (keys_upload_new(&t, &o, &d->up, &dg) < 0) {
            snprintf(d->up_status, sizeof(d->up_status), "not uploaded: %s", dg.msg ? dg.msg : "failed");
        } else {
            free(d->up_dest);
            d->up_dest = strdup(d->machine);
            snprintf(d->up_status, sizeof(d->up_status), "sending %s's key to %s ...", d->machine,
                     keys_upload_target_name(d->up));
            d->up_error = false;
            up_process(d); /* starts connecting; then the poll loop carries it */
        }
    }
    diag_clear(&dg);
    keys_upload_target_clear(&t);
    keys_store_free(store);
    free(anchor);
    free(path);
    free(pub);
}

static bool dests_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct dests *d = o->data;
    const struct plan_machine *pm = pm_of(a, d->machine);
    size_t n = pm ? pm->njobs : 0;
    if (d->form) {
        if (key == KEYSYM_ESC) {
            d->form = false;
            return true;
        }
        if (key == KEYSYM_TAB || key == KEYSYM_DOWN) {
            d->field = (d->field + 1) % NFIELDS;
            if (d->editing && d->field == F_NAME)
                d->field = F_REPO;
            return true;
        }
        if (key == KEYSYM_BACKTAB || key == KEYSYM_UP) {
            d->field = (d->field + NFIELDS - 1) % NFIELDS;
            if (d->editing && d->field == F_NAME)
                d->field = F_RSH;
            return true;
        }
        if (key == KEYSYM_ENTER) {
            const char *name = d->in[F_NAME].buf, *repo = d->in[F_REPO].buf, *rsh = d->in[F_RSH].buf;
            unsigned ne = name_error(name);
            const char *re = repo_error(repo);
            if (ne) {
                app_message(a, true, "invalid destination name at column %u: expected letters, digits, '.', '_' and '-' only", ne);
                d->field = F_NAME;
                return true;
            }
            if (re) {
                app_message(a, true, "invalid repo: %s", re);
                d->field = F_REPO;
                return true;
            }
            char key_repo[INPUT_MAX + 32], key_rsh[INPUT_MAX + 32];
            snprintf(key_repo, sizeof(key_repo), "destinations.%s.repo", name);
            snprintf(key_rsh, sizeof(key_rsh), "destinations.%s.rsh", name);
            struct inv_op op = {.kind = INV_OP_SETTING_SET, .key = key_repo, .value = repo};
            op.scope = (struct inv_scope){d->instance, "client", INV_LEVEL_MACHINE, d->machine};
            char *why = NULL;
            int r = edit_apply(a, &op, NULL, &why);
            if (r == 0 && *rsh) {
                op.key = key_rsh;
                op.value = rsh;
                r = edit_apply(a, &op, NULL, &why);
            } else if (r == 0 && d->old_rsh) {
                op.kind = INV_OP_SETTING_CLEAR;
                op.key = key_rsh;
                op.value = NULL;
                r = edit_apply(a, &op, NULL, &why);
            }
            if (r < 0)
                app_message(a, true, "not changed: %s", why ? why : "refused");
            free(why);
            d->form = r < 0;
            return true;
        }
        input_key(&d->in[d->field], key);
        return true;
    }
    const struct plan_job *j = d->sel < n ? &pm->jobs[d->sel] : NULL;
    if (d->up_fp) { /* the question: trust the host key it offers? */
        char *fp = d->up_fp;
        d->up_fp = NULL;
        if ((key == 'y' || key == 'Y') && j)
            up_start(d, a, j, fp);
        else
            snprintf(d->up_status, sizeof(d->up_status), "not uploaded: the host key was not trusted");
        free(fp);
        return true;
    }
    switch (key) {
    case 'K':
        if (j)
            up_start(d, a, j, NULL);
        return true;
    case KEYSYM_ESC: case 'q': return false;
    case 'j': case KEYSYM_DOWN: if (d->sel + 1 < n) d->sel++; return true;
    case 'k': case KEYSYM_UP: if (d->sel) d->sel--; return true;
    case 'a': case 'n':
        d->form = true;
        d->editing = false;
        d->field = F_NAME;
        for (int i = 0; i < NFIELDS; i++)
            input_set(&d->in[i], "");
        free(d->old_rsh);
        d->old_rsh = NULL;
        return true;
    case 'e': case KEYSYM_ENTER:
        if (!j || !j->explicit_dest) {
            app_message(a, true, "this destination comes from a server of the instance: r changes the servers");
            return true;
        }
        d->form = true;
        d->editing = true;
        d->field = F_REPO;
        input_set(&d->in[F_NAME], j->destination);
        input_set(&d->in[F_REPO], j->repo ? j->repo : "");
        {
            const struct inv_member *mb = inventory_member(a->inv, d->instance, "client", d->machine);
            char k[300];
            snprintf(k, sizeof(k), "destinations.%s.rsh", j->destination);
            const char *rsh = mb ? inv_eff_string(inv_eff_lookup(&mb->settings, k)) : NULL;
            input_set(&d->in[F_RSH], rsh ? rsh : "");
            free(d->old_rsh);
            d->old_rsh = rsh ? strdup(rsh) : NULL;
        }
        return true;
    case 'D': case KEYSYM_DELETE:
        if (!j || !j->explicit_dest) {
            app_message(a, true, "only explicit destinations can be removed here");
            return true;
        }
        {
            char k[300];
            snprintf(k, sizeof(k), "destinations.%s", j->destination);
            struct inv_op op = {.kind = INV_OP_SETTING_CLEAR, .key = k};
            op.scope = (struct inv_scope){d->instance, "client", INV_LEVEL_MACHINE, d->machine};
            char *why = NULL;
            if (edit_apply(a, &op, NULL, &why) < 0)
                app_message(a, true, "not removed: %s", why ? why : "refused");
            free(why);
            if (d->sel)
                d->sel--;
        }
        return true;
    case 'u': edit_undo(a, false); return true;
    case 18: edit_undo(a, true); return true;
    default: return true;
    }
}

static void dests_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct dests *d = o->data;
    struct ui *ui = &a->ui;
    const struct plan_machine *pm = pm_of(a, d->machine);
    size_t n = pm ? pm->njobs : 0;
    char title[200];
    snprintf(title, sizeof(title), "Destinations %s %s", ui->g->dot, d->machine);
    struct rect r = dialog_frame(ui, H, W, (int)n * 2 + 14, 104, title);
    int y = r.y;
    for (size_t i = 0; i < n && y < r.y + r.h - 9; i++) {
        const struct plan_job *j = &pm->jobs[i];
        char line[600];
        snprintf(line, sizeof(line), "%-16s %-30s %s", j->destination, j->unit,
                 j->explicit_dest ? "explicit (settings.destinations)" : "from the instance's server");
        bool sel = i == d->sel && !d->form;
        ui_text(ui, y, r.x, r.w, sel ? THEME_DIALOG_SELECTED : j->explicit_dest ? THEME_DIALOG_NORMAL : THEME_UI_DIM, line);
        if (sel)
            ui_overlay_attr(ui, y, r.x, r.w, THEME_DIALOG_SELECTED);
        y++;
        snprintf(line, sizeof(line), "    repo %s   rsh %s", j->repo ? j->repo : "?", j->rsh ? j->rsh : "(default)");
        ui_text(ui, y++, r.x, r.w, THEME_UI_DIM, line);
    }
    if (!n)
        ui_text(ui, y++, r.x, r.w, THEME_UI_DIM, pm && pm->no_jobs_reason ? pm->no_jobs_reason : "no jobs");
    y = r.y + r.h - 8;
    if (d->form) {
        static const char *const labels[] = {"name: ", "repo: ", "rsh:  "};
        int cy = 0, cx = 0;
        for (int f = 0; f < NFIELDS; f++) {
            input_draw(ui, y + f, r.x, r.w, f == d->field ? THEME_INPUT_PROMPT : THEME_UI_DIM, labels[f], &d->in[f]);
            if (f == d->field)
                getyx(ui->win, cy, cx);
        }
        unsigned ne = name_error(d->in[F_NAME].buf);
        const char *re = repo_error(d->in[F_REPO].buf);
        char msg[INPUT_MAX + 128];
        if (ne) {
            snprintf(msg, sizeof(msg), "name: invalid at column %u: clan accepts letters, digits, '.', '_' and '-' only", ne);
            ui_text(ui, y + 3, r.x, r.w, THEME_INPUT_ERROR, msg);
        } else {
            snprintf(msg, sizeof(msg), "unit: borgbackup-job-%s.service / .timer", d->in[F_NAME].buf);
            ui_text(ui, y + 3, r.x, r.w, THEME_DIFF_ADD, msg);
        }
        if (re) {
            snprintf(msg, sizeof(msg), "repo: %s", re);
            ui_text(ui, y + 4, r.x, r.w, THEME_INPUT_ERROR, msg);
        }
        if (!d->editing)
            for (size_t i = 0; i < n; i++)
                if (!strcmp(pm->jobs[i].destination, d->in[F_NAME].buf))
                    ui_text(ui, y + 5, r.x, r.w, THEME_DIAG_WARNING,
                            "a destination of this name exists: its unit name would collide");
        static const char *const keys[] = {"Tab", "next field", "Enter", "apply", "Esc", "cancel", NULL};
        dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
        wmove(ui->win, cy, cx);
        curs_set(1);
    } else {
        if (d->up_status[0]) { /* the upload's state, on two lines when it is long */
            enum theme_role role = d->up_error ? THEME_STATUS_ERROR : d->up_fp ? THEME_DIAG_WARNING : THEME_DIALOG_NORMAL;
            size_t len = strlen(d->up_status), cut = len;
            if ((int)len > r.w) {
                cut = (size_t)r.w;
                while (cut > 0 && d->up_status[cut] != ' ')
                    cut--;
                if (!cut)
                    cut = (size_t)r.w;
            }
            int y2 = r.y + r.h - (cut < len ? 3 : 2);
            ui_textn(ui, y2, r.x, r.w, role, d->up_status, cut);
            if (cut < len)
                ui_text(ui, y2 + 1, r.x, r.w, role, d->up_status + cut + (d->up_status[cut] == ' '));
        }
        static const char *const keys[] = {"a", "add", "e", "edit", "D", "remove", "K", "upload key", "u/C-r", "undo/redo",
                                           "Esc", "close", NULL};
        dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
    }
}

static void dests_free(struct overlay *o)
{
    struct dests *d = o->data;
    up_stop(d);
    free(d->machine);
    free(d->instance);
    free(d->old_rsh);
    free(d->up_dest);
    free(d->up_fp);
    free(d);
}

static const struct overlay_ops dests_ops = {"destinations", dests_draw, dests_key, dests_free};

bool destinations_editor_open(struct app *a)
{
    const char *m = NULL;
    const struct inv_member *mb = edit_selected_client(a, "d edits a borgbackup client's destinations", &m);
    if (!mb)
        return false;
    struct dests *d = calloc(1, sizeof(*d));
    if (!d)
        return false;
    d->app = a;
    d->up_fd = -1;
    d->machine = strdup(m);
    d->instance = strdup(inventory_model(a->inv)->instances[mb->instance].name);
    if (!d->machine || !d->instance) {
        struct overlay tmp = {&dests_ops, d, NULL};
        dests_free(&tmp);
        return false;
    }
    edit_push(a, &dests_ops, d);
    return true;
}
