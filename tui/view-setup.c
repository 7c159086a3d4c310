/* The setup flow (I): a borgbackup instance from nothing. On the left the choices -- the
 * instance's name, a server machine (address, directory) or an external destination (name,
 * repo, rsh), the clients by tag and by machine, an optional schedule (the schedule editor
 * as a picker); on the right, recomputed on every change, the backup plan the clan would
 * get, the diff of the files, the install order and the keys that must exist. y applies it
 * as one undoable edit and writes the files; the install order and the keys stay on the
 * screen. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keys.h"
#include "core/util.h"
#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/widget-dialog.h"

enum row_kind {
    ROW_NAME,
    ROW_KIND,
    ROW_SERVER,
    ROW_ADDRESS,
    ROW_DIRECTORY,
    ROW_DEST_NAME,
    ROW_REPO,
    ROW_RSH,
    ROW_TAG,
    ROW_MACHINE,
    ROW_SCHEDULE,
};

struct row {
    enum row_kind kind;
    size_t i; /* tag or machine index */
};

/* The text fields, by row kind. */
enum { F_NAME, F_ADDRESS, F_DIRECTORY, F_DEST_NAME, F_REPO, F_RSH, NFIELDS };

struct setup {
    struct input field[NFIELDS];
    bool external;
    size_t server;          /* machine index */
    char **machines;        /* names, inventory order */
    size_t nmachines;
    bool *client_machine;
    char **tags;            /* every tag a machine has */
    size_t ntags;
    bool *client_tag;
    char *schedule;         /* NULL: Clan's default */
    struct row *rows;       /* 8 + tags + machines */
    size_t nrows, sel;
    int editing;            /* the field being typed into, or -1 */
    /* the preview of what y does */
    struct inv_op *ops;     /* room for every choice: 8 + tags + machines */
    size_t nops, capops;
    char *strings[2];       /* owned strings the ops point to (destination keys) */
    size_t nstrings;
    struct olines out;
    bool valid;             /* the ops apply */
    bool done;              /* written: only the next steps remain */
    char written[300];
};

static const char *fld(const struct setup *s, int f)
{
    return s->field[f].buf;
}

static char *keep(struct setup *s, char *str)
{
    if (!str || s->nstrings == sizeof(s->strings) / sizeof(s->strings[0])) {
        free(str);
        return NULL;
    }
    return s->strings[s->nstrings++] = str;
}

static void clear_ops(struct setup *s)
{
    for (size_t i = 0; i < s->nstrings; i++)
        free(s->strings[i]);
    s->nstrings = 0;
    s->nops = 0;
}

static void push_op(struct setup *s, struct inv_op op)
{
    if (s->nops < s->capops) /* capops counts every op the choices can make */
        s->ops[s->nops++] = op;
}

static void build_rows(struct setup *s)
{
    size_t n = 0;
    s->rows[n++] = (struct row){ROW_NAME, 0};
    s->rows[n++] = (struct row){ROW_KIND, 0};
    if (!s->external) {
        s->rows[n++] = (struct row){ROW_SERVER, 0};
        s->rows[n++] = (struct row){ROW_ADDRESS, 0};
        s->rows[n++] = (struct row){ROW_DIRECTORY, 0};
    } else {
        s->rows[n++] = (struct row){ROW_DEST_NAME, 0};
        s->rows[n++] = (struct row){ROW_REPO, 0};
        s->rows[n++] = (struct row){ROW_RSH, 0};
    }
    for (size_t i = 0; i < s->ntags; i++)
        s->rows[n++] = (struct row){ROW_TAG, i};
    for (size_t i = 0; i < s->nmachines; i++)
        if (s->external || i != s->server)
            s->rows[n++] = (struct row){ROW_MACHINE, i};
    s->rows[n++] = (struct row){ROW_SCHEDULE, 0};
    s->nrows = n;
    if (s->sel >= n)
        s->sel = n - 1;
}

static int row_field(enum row_kind k)
{
    switch (k) {
    case ROW_NAME: return F_NAME;
    case ROW_ADDRESS: return F_ADDRESS;
    case ROW_DIRECTORY: return F_DIRECTORY;
    case ROW_DEST_NAME: return F_DEST_NAME;
    case ROW_REPO: return F_REPO;
    case ROW_RSH: return F_RSH;
    default: return -1;
    }
}

/* The host of a deploy.targetHost: without user@, :port and ?options. */
static void host_of(const char *target, char *out, size_t n)
{
    const char *h = target ? strrchr(target, '@') : NULL;
    h = h ? h + 1 : target ? target : "";
    size_t len = strcspn(h, "?");
    if (h[0] != '[') {
        const char *colon = memchr(h, ':', len);
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - h)))
            len = (size_t)(colon - h);
    }
    snprintf(out, n, "%.*s", (int)len, h);
}

static void server_defaults(struct setup *s, struct app *a)
{
    const struct inv_model *m = inventory_model(a->inv);
    char host[256] = "";
    if (s->server < m->nmachines)
        host_of(m->machines[s->server].target_host.opaque ? NULL : m->machines[s->server].target_host.s,
                host, sizeof(host));
    input_set(&s->field[F_ADDRESS], host);
}

/* The edits of the current choices, in the order a person would write them. */
static void build_ops(struct setup *s)
{
    clear_ops(s);
    const char *name = fld(s, F_NAME);
    push_op(s, (struct inv_op){.kind = INV_OP_INSTANCE_ADD, .instance = name,
                               .module = strcmp(name, "borgbackup") ? "borgbackup" : NULL});
    size_t nclients = 0, lone = 0;
    for (size_t i = 0; i < s->ntags; i++)
        if (s->client_tag[i]) {
            push_op(s, (struct inv_op){.kind = INV_OP_ROLE_TAG_ADD, .instance = name,
                                       .role = "client", .tag = s->tags[i]});
            nclients += 2; /* a tag stands for many */
        }
    for (size_t i = 0; i < s->nmachines; i++)
        if (s->client_machine[i] && (s->external || i != s->server)) {
            push_op(s, (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = name,
                                       .role = "client", .machine = s->machines[i]});
            nclients++;
            lone = i;
        }
    if (!s->external) {
        const char *srv = s->machines[s->server];
        push_op(s, (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = name,
                                   .role = "server", .machine = srv});
        static const int keys[] = {F_ADDRESS, F_DIRECTORY};
        static const char *const names[] = {"address", "directory"};
        for (size_t k = 0; k < 2; k++)
            if (*fld(s, keys[k]))
                push_op(s, (struct inv_op){.kind = INV_OP_SETTING_SET,
                                           .scope = {name, "server", INV_LEVEL_MACHINE, srv},
                                           .key = names[k], .value = fld(s, keys[k])});
    } else {
        /* one client machine: its own destination (as the seed writes it); more: role-wide */
        struct inv_scope sc = {name, "client", INV_LEVEL_ROLE, NULL};
        if (nclients == 1) {
            sc.level = INV_LEVEL_MACHINE;
            sc.name = s->machines[lone];
        }
        char *q = nix_quote_key(fld(s, F_DEST_NAME));
        static const int keys[] = {F_REPO, F_RSH};
        static const char *const names[] = {"repo", "rsh"};
        for (size_t k = 0; k < 2 && q; k++) {
            char *kk = NULL;
            if (asprintf(&kk, "destinations.%s.%s", q, names[k]) < 0)
                kk = NULL;
            char *key = keep(s, kk);
            if (key && *fld(s, keys[k]))
                push_op(s, (struct inv_op){.kind = INV_OP_SETTING_SET, .scope = sc, .key = key,
                                           .value = fld(s, keys[k])});
        }
        free(q);
    }
    if (s->schedule)
        push_op(s, (struct inv_op){.kind = INV_OP_SETTING_SET,
                                   .scope = {name, "client", INV_LEVEL_ROLE, NULL},
                                   .key = "startAt", .value = s->schedule});
}

/* Every line of text as an oline of role. */
static void add_text(struct olines *o, enum theme_role role, const char *prefix, const char *text)
{
    for (const char *p = text; p && *p;) {
        size_t l = strcspn(p, "\n");
        enum theme_role r = role;
        if (role == THEME_DIFF_HUNK)
            r = !strncmp(p, "+++", 3) || !strncmp(p, "---", 3) ? THEME_DETAILS_KEY
                : p[0] == '+' ? THEME_DIFF_ADD : p[0] == '-' ? THEME_DIFF_DEL
                : p[0] == '@' ? THEME_DIFF_HUNK : THEME_DIALOG_NORMAL;
        olines_add(o, r, "%s%.*s", prefix, (int)l, p);
        p += l + (p[l] == '\n');
    }
}

/* The install order and the keys each machine of the new instance needs. */
static void next_steps(struct setup *s, struct app *a, const struct inventory *inv,
                       const struct plan *p)
{
    struct olines *o = &s->out;
    size_t *order = NULL, n = 0;
    struct diag_list dl = {0};
    olines_add(o, THEME_DETAILS_SECTION, "install order");
    if (inventory_install_order(inv, &order, &n, &dl) == 0) {
        struct buf b = {0};
        size_t k = 0;
        const struct inv_model *m = inventory_model(inv);
        for (size_t i = 0; i < n; i++) {
            const struct plan_machine *pm = plan_find_machine(p, m->machines[order[i]].name);
            if (pm && (pm->is_client || pm->is_server)) {
                buf_printf(&b, "%s%zu. %s", k ? "  " : "", k + 1, pm->name);
                k++;
            }
        }
        olines_add(o, THEME_DIALOG_NORMAL, "  %s", b.p ? b.p : "(no backup machine)");
        buf_free(&b);
    } else {
        for (size_t i = 0; i < dl.n; i++)
            olines_add(o, THEME_DIAG_ERROR, "  %s", dl.v[i].msg ? dl.v[i].msg : "");
    }
    free(order);
    diag_list_free(&dl);
    olines_add(o, THEME_DETAILS_SECTION, "keys that must exist");
    char *anchor = cli_clan_anchor(a->inv);
    struct keys_store *ks = NULL;
    struct diag d = {0};
    if (!anchor || keys_store_open(anchor, NULL, &ks, &d) < 0)
        ks = NULL;
    free(anchor);
    diag_clear(&d);
    for (size_t i = 0; p && i < p->nmachines; i++) {
        const struct plan_machine *pm = &p->machines[i];
        const struct keys_generator *gens[2] = {pm->is_client ? &keys_gen_borgbackup : NULL,
                                                pm->is_server ? &keys_gen_openssh : NULL};
        for (size_t g = 0; g < 2; g++) {
            if (!gens[g])
                continue;
            struct keys_status st = {0};
            bool have = ks && keys_status_get(ks, pm->name, gens[g], &st, &d) == 0 && st.public_present;
            diag_clear(&d);
            keys_status_clear(&st);
            olines_add(o, have ? THEME_DIALOG_NORMAL : THEME_DIAG_WARNING, "  %s: %s %s", pm->name,
                       g ? "host key" : "borgbackup key", have ? "present" : "missing (K makes it)");
        }
        for (size_t j = 0; j < pm->njobs && s->external; j++)
            if (pm->jobs[j].explicit_dest)
                olines_add(o, THEME_DIAG_NOTE, "  %s: its borgbackup key goes to %s's host (%s)",
                           pm->name, pm->jobs[j].destination,
                           pm->jobs[j].repo ? pm->jobs[j].repo : "?");
    }
    keys_store_free(ks);
}

/* Recompute the preview: the plan, the diff, the next steps (or why it cannot be). */
static void preview(struct setup *s, struct app *a)
{
    olines_clear(&s->out);
    s->out.top = s->out.sel = 0;
    s->valid = false;
    build_ops(s);
    struct diag_list dl = {0};
    struct inventory *after = NULL;
    const char *why = NULL;
    if (!*fld(s, F_NAME))
        why = "the instance needs a name";
    else if (s->external && (!*fld(s, F_DEST_NAME) || !*fld(s, F_REPO)))
        why = "an external destination needs a name and a repo";
    if (why) {
        olines_add(&s->out, THEME_DIAG_ERROR, "%s", why);
        return;
    }
    if (inventory_edit_group_preview(a->inv, s->ops, s->nops, &after, &dl) < 0) {
        olines_add(&s->out, THEME_DIAG_ERROR, "cannot set this up:");
        for (size_t i = 0; i < dl.n; i++)
            olines_add(&s->out, dl.v[i].severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_NOTE, "  %s",
                       dl.v[i].msg ? dl.v[i].msg : "");
        diag_list_free(&dl);
        return;
    }
    diag_list_free(&dl);
    struct plan *p = NULL;
    struct buf plan = {0}, diff = {0};
    olines_add(&s->out, THEME_DETAILS_SECTION, "the backup plan");
    if (inventory_plan(after, &p, &dl) == 0) {
        edit_plan_lines(p, &plan);
        if (!plan.len)
            buf_puts(&plan, "no job yet: choose clients with state to back up\n");
        add_text(&s->out, THEME_DIALOG_NORMAL, "  ", plan.p);
        for (size_t i = 0; i < p->nmachines; i++)
            if (p->machines[i].is_client && !p->machines[i].njobs && p->machines[i].no_jobs_reason)
                olines_add(&s->out, THEME_DIAG_WARNING, "  %s: no job: %s", p->machines[i].name,
                           p->machines[i].no_jobs_reason);
    }
    diag_list_free(&dl);
    next_steps(s, a, after, p);
    olines_add(&s->out, THEME_DETAILS_SECTION, "the change (y writes it)");
    if (inventory_diff(a->inv, after, &diff) == 0)
        add_text(&s->out, THEME_DIFF_HUNK, "", diff.p);
    s->valid = true;
    plan_free(p);
    buf_free(&plan);
    buf_free(&diff);
    inventory_free(after);
}

static void schedule_picked(struct app *a, const char *expr, void *ctx)
{
    struct setup *s = ctx;
    free(s->schedule);
    s->schedule = strdup(expr);
    preview(s, a);
}

static void write_it(struct setup *s, struct app *a)
{
    if (!s->valid) {
        app_message(a, true, "not written: the setup is not complete (see the right side)");
        return;
    }
    char *why = NULL, *label = NULL;
    if (asprintf(&label, "set up instance %s", fld(s, F_NAME)) < 0)
        label = NULL;
    /* the next steps as the result has them, kept on the screen */
    struct inventory *after = NULL;
    struct diag_list dl = {0};
    struct plan *p = NULL;
    struct olines steps = {0};
    if (inventory_edit_group_preview(a->inv, s->ops, s->nops, &after, &dl) == 0 &&
        inventory_plan(after, &p, &dl) == 0) {
        struct olines keep_out = s->out;
        s->out = steps;
        next_steps(s, a, after, p);
        steps = s->out;
        s->out = keep_out;
    }
    plan_free(p);
    inventory_free(after);
    diag_list_free(&dl);
    if (edit_apply_group(a, s->ops, s->nops, label, &why) < 0) {
        app_message(a, true, "not set up: %s", why ? why : "refused");
        free(why);
        free(label);
        olines_clear(&steps);
        return;
    }
    free(why);
    bool ok = edit_save(a);
    olines_clear(&s->out);
    s->out = steps;
    s->done = true;
    snprintf(s->written, sizeof(s->written), "%s: %s (u undoes)", ok ? "written" : "NOT written",
             label ? label : "set up");
    app_message(a, !ok, "%s", s->written);
    free(label);
}

static bool setup_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct setup *s = o->data;
    if (s->done) {
        if (key == KEYSYM_ESC || key == 'q' || key == KEYSYM_ENTER)
            return false;
        olines_key(&s->out, a, key, 10);
        return true;
    }
    if (s->editing >= 0) {
        enum input_result r = input_key(&s->field[s->editing], key);
        if (r == INPUT_ENTER || r == INPUT_CANCEL) {
            s->editing = -1;
            curs_set(0);
        }
        if (r == INPUT_CHANGED || r == INPUT_ENTER)
            preview(s, a);
        return true;
    }
    const struct row *row = &s->rows[s->sel];
    switch (key) {
    case KEYSYM_ESC: case 'q':
        app_message(a, false, "nothing set up");
        return false;
    case 'j': case KEYSYM_DOWN: if (s->sel + 1 < s->nrows) s->sel++; return true;
    case 'k': case KEYSYM_UP: if (s->sel) s->sel--; return true;
    case KEYSYM_PGDN: case KEYSYM_PGUP: case 'J': case 'K': {
        bool down = key == KEYSYM_PGDN || key == 'J';
        size_t step = key == 'J' || key == 'K' ? 1 : 10;
        s->out.top = down ? (s->out.top + step < s->out.n ? s->out.top + step : s->out.top)
                          : (s->out.top > step ? s->out.top - step : 0);
        s->out.sel = s->out.top;
        return true;
    }
    case 'y': case 'Y': write_it(s, a); return true;
    case KEYSYM_LEFT: case KEYSYM_RIGHT: case 'h': case 'l': case KEYSYM_SPACE: case KEYSYM_ENTER: case 'x':
        break;
    case KEYSYM_DELETE: case KEYSYM_BACKSPACE:
        if (row->kind == ROW_SCHEDULE && s->schedule) {
            free(s->schedule);
            s->schedule = NULL;
            preview(s, a);
        }
        return true;
    default:
        return true;
    }
    bool back = key == KEYSYM_LEFT || key == 'h';
    int f = row_field(row->kind);
    if (f >= 0) {
        if (key == KEYSYM_ENTER || key == KEYSYM_SPACE) {
            s->editing = f;
            s->field[f].cursor = s->field[f].len;
        }
        return true;
    }
    switch (row->kind) {
    case ROW_KIND:
        s->external = !s->external;
        build_rows(s);
        break;
    case ROW_SERVER:
        if (s->nmachines > 1) {
            s->server = (s->server + (back ? s->nmachines - 1 : 1)) % s->nmachines;
            server_defaults(s, a);
            build_rows(s);
        }
        break;
    case ROW_TAG: s->client_tag[row->i] = !s->client_tag[row->i]; break;
    case ROW_MACHINE: s->client_machine[row->i] = !s->client_machine[row->i]; break;
    case ROW_SCHEDULE:
        if (key == KEYSYM_ENTER || key == KEYSYM_SPACE)
            schedule_editor_pick(a, "clients of the new instance (role-wide)", s->schedule,
                                 schedule_picked, s);
        return true;
    default:
        return true;
    }
    preview(s, a);
    return true;
}

static void setup_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct setup *s = o->data;
    struct ui *ui = &a->ui;
    char title[600];
    snprintf(title, sizeof(title), "Set up backups %s %s", ui->g->dot, fld(s, F_NAME));
    struct rect r = dialog_frame(ui, H, W, 40, 150, title);
    if (s->done) {
        ui_text(ui, r.y, r.x, r.w, THEME_DETAILS_SECTION, s->written);
        olines_draw(&s->out, a, r.y + 2, r.x, r.h - 3, r.w, false);
        static const char *const keys[] = {"Esc", "close", "j/k", "scroll", NULL};
        dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
        return;
    }
    int lw = r.w * 2 / 5;
    if (lw < 36)
        lw = r.w < 72 ? r.w / 2 : 36;
    int rx = r.x + lw + 1, rw = r.w - lw - 1;
    const struct inv_model *m = inventory_model(a->inv);
    int cy = -1, cx = -1;
    size_t top = s->sel > (size_t)(r.h - 3) ? s->sel - (size_t)(r.h - 3) : 0;
    for (size_t i = top; i < s->nrows && (int)(i - top) < r.h - 1; i++) {
        const struct row *row = &s->rows[i];
        int y = r.y + (int)(i - top);
        char line[700];
        const char *label = NULL;
        int f = row_field(row->kind);
        switch (row->kind) {
        case ROW_NAME: label = "instance    "; break;
        case ROW_ADDRESS: label = "  address   "; break;
        case ROW_DIRECTORY: label = "  directory "; break;
        case ROW_DEST_NAME: label = "  name      "; break;
        case ROW_REPO: label = "  repo      "; break;
        case ROW_RSH: label = "  rsh       "; break;
        case ROW_KIND:
            snprintf(line, sizeof(line), "backs up to %s", s->external ? "an external destination" : "a server machine");
            break;
        case ROW_SERVER:
            snprintf(line, sizeof(line), "  server    %s %s", s->machines[s->server], ui->g->arrow);
            break;
        case ROW_TAG: {
            size_t nsel = 0;
            for (size_t k = 0; k < m->nmachines; k++)
                for (size_t t = 0; t < m->machines[k].ntags; t++)
                    nsel += m->machines[k].tags[t].s && !strcmp(m->machines[k].tags[t].s, s->tags[row->i]);
            snprintf(line, sizeof(line), "client [%s] tag %s (%zu machine%s)", s->client_tag[row->i] ? "x" : " ",
                     s->tags[row->i], nsel, nsel == 1 ? "" : "s");
            break;
        }
        case ROW_MACHINE:
            snprintf(line, sizeof(line), "client [%s] %s", s->client_machine[row->i] ? "x" : " ", s->machines[row->i]);
            break;
        case ROW_SCHEDULE:
            snprintf(line, sizeof(line), "schedule    %s", s->schedule ? s->schedule : "default (*-*-* 01:00:00)");
            break;
        }
        bool sel = i == s->sel;
        if (f >= 0 && s->editing == f) {
            input_draw(ui, y, r.x, lw, THEME_INPUT_PROMPT, label, &s->field[f]);
            getyx(ui->win, cy, cx);
            continue;
        }
        if (f >= 0)
            snprintf(line, sizeof(line), "%s%s", label, *fld(s, f) ? fld(s, f) : f == F_RSH ? "(empty: Clan's default, port 22)" : "(empty)");
        ui_text(ui, y, r.x, lw, sel ? THEME_DIALOG_SELECTED : THEME_DIALOG_NORMAL, line);
        if (sel)
            ui_overlay_attr(ui, y, r.x, lw, THEME_DIALOG_SELECTED);
    }
    for (int y = r.y; y < r.y + r.h - 1; y++)
        ui_text(ui, y, r.x + lw, 1, THEME_UI_DIM, ui->g->v);
    olines_draw(&s->out, a, r.y, rx, r.h - 1, rw, false);
    static const char *const keys[] = {"Space/Enter", "toggle, type, pick", "y", "write", "J/K PgUp/PgDn", "scroll",
                                       "Esc", "cancel", NULL};
    dialog_hints(ui, r.y + r.h - 1, r.x, r.w, keys);
    if (cy >= 0) {
        wmove(ui->win, cy, cx);
        curs_set(1);
    }
}

static void setup_free(struct overlay *o)
{
    struct setup *s = o->data;
    clear_ops(s);
    olines_clear(&s->out);
    for (size_t i = 0; i < s->nmachines; i++)
        free(s->machines[i]);
    for (size_t i = 0; i < s->ntags; i++)
        free(s->tags[i]);
    free(s->machines);
    free(s->tags);
    free(s->client_machine);
    free(s->client_tag);
    free(s->schedule);
    free(s->rows);
    free(s->ops);
    free(s);
}

static const struct overlay_ops setup_ops = {"setup", setup_draw, setup_key, setup_free};

bool setup_flow_open(struct app *a)
{
    const struct inv_model *m = inventory_model(a->inv);
    if (!m->nmachines) {
        app_message(a, true, "the clan has no machines: add them first (clan-tui edit machine add)");
        return false;
    }
    struct setup *s = calloc(1, sizeof(*s));
    if (!s)
        return false;
    s->editing = -1;
    s->nmachines = m->nmachines;
    s->machines = calloc(m->nmachines, sizeof(*s->machines));
    s->client_machine = calloc(m->nmachines, sizeof(*s->client_machine));
    size_t alltags = 1;
    for (size_t i = 0; i < m->nmachines; i++)
        alltags += m->machines[i].ntags;
    s->tags = calloc(alltags, sizeof(*s->tags));
    bool oom = !s->machines || !s->client_machine || !s->tags;
    for (size_t i = 0; !oom && i < m->nmachines; i++) {
        oom = !(s->machines[i] = strdup(m->machines[i].name));
        for (size_t k = 0; !oom && k < m->machines[i].ntags; k++) {
            const char *t = m->machines[i].tags[k].s;
            bool seen = !t || m->machines[i].tags[k].opaque;
            for (size_t j = 0; j < s->ntags && !seen; j++)
                seen = !strcmp(s->tags[j], t);
            if (!seen)
                oom = !(s->tags[s->ntags++] = strdup(t));
        }
    }
    s->client_tag = calloc(s->ntags ? s->ntags : 1, sizeof(*s->client_tag));
    s->capops = 8 + s->ntags + s->nmachines;
    s->rows = calloc(s->capops, sizeof(*s->rows));
    s->ops = calloc(s->capops, sizeof(*s->ops));
    if (oom || !s->client_tag || !s->rows || !s->ops) {
        struct overlay tmp = {&setup_ops, s, NULL};
        setup_free(&tmp);
        app_message(a, true, "out of memory");
        return false;
    }
    /* a free name: borgbackup, else borgbackup-2, ... */
    char name[64] = "borgbackup";
    for (int k = 2; inventory_instance_index(a->inv, name) >= 0 && k < 1000; k++)
        snprintf(name, sizeof(name), "borgbackup-%d", k);
    input_set(&s->field[F_NAME], name);
    /* the server: a machine called like one, else the last machine */
    s->server = m->nmachines - 1;
    for (size_t i = 0; i < m->nmachines; i++)
        if (strstr(m->machines[i].name, "backup") || strstr(m->machines[i].name, "nas")) {
            s->server = i;
            break;
        }
    server_defaults(s, a);
    input_set(&s->field[F_DIRECTORY], "/var/lib/borgbackup");
    input_set(&s->field[F_DEST_NAME], "storagebox");
    build_rows(s);
    preview(s, a);
    edit_push(a, &setup_ops, s);
    return true;
}
