/* The borgbackup plan: per client, one job per destination; per server, its clients.
 * Also the checks that need the plan, and the install order. */
#include "core/inventory/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

#define DEFAULT_SECRETS_ROOT "/run/secrets/vars"
#define DEFAULT_START_AT "*-*-* 01:00:00"

/* Where plan problems go: a diag list and the file name (NULL list: not reported). */
struct reporter {
    struct diag_list *l;
    const char *file;
};

static void report(struct reporter *rp, enum diag_severity sev, struct inv_loc loc,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void report(struct reporter *rp, enum diag_severity sev, struct inv_loc loc,
                   const char *fmt, ...)
{
    if (!rp->l)
        return;
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    diag_list_add(rp->l, sev, rp->file, loc.line, loc.col, "%s", msg ? msg : "out of memory");
    free(msg);
}

/* ---- freeing ---- */

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void free_hooks(struct plan_hook *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(h[i].state);
        free(h[i].script);
    }
    free(h);
}

static void free_job(struct plan_job *j)
{
    free(j->destination);
    free(j->unit);
    free(j->repo);
    free(j->rsh);
    free(j->server);
    free_strv(j->paths, j->npaths);
    free_strv(j->exclude, j->nexclude);
    for (size_t i = 0; i < j->nexclude; i++)
        free(j->exclude_origin[i].level);
    free(j->exclude_origin);
    free(j->start_at);
    free(j->start_at_origin.level);
    free_hooks(j->pre_backup, j->npre);
    free_hooks(j->post_backup, j->npost);
    free_hooks(j->pre_restore, j->npre_restore);
    free_hooks(j->post_restore, j->npost_restore);
}

void plan_free(struct plan *p)
{
    if (!p)
        return;
    free(p->meta_name);
    free(p->meta_domain);
    for (size_t i = 0; i < p->nmachines; i++) {
        struct plan_machine *m = &p->machines[i];
        free(m->name);
        free(m->target_host);
        free_strv(m->tags, m->ntags);
        free(m->no_jobs_reason);
        for (size_t j = 0; j < m->njobs; j++)
            free_job(&m->jobs[j]);
        free(m->jobs);
        free(m->address);
        free(m->directory);
        for (size_t j = 0; j < m->nclients; j++) {
            free(m->clients[j].client);
            free(m->clients[j].directory);
        }
        free(m->clients);
    }
    free(p->machines);
    free(p);
}

const struct plan_machine *plan_find_machine(const struct plan *p, const char *name)
{
    if (!p || !name)
        return NULL;
    for (size_t i = 0; i < p->nmachines; i++)
        if (!strcmp(p->machines[i].name, name))
            return &p->machines[i];
    return NULL;
}

/* ---- building ---- */

static char *origin_level(const struct inv_def *d)
{
    if (!d || d->level == INV_LEVEL_DEFAULT)
        return inv_strdup("default");
    if (d->level == INV_LEVEL_TAG)
        return inv_asprintf("tag:%s", d->tag ? d->tag : "");
    return inv_strdup(inv_level_name(d->level));
}

static int push_str(char ***v, size_t *n, const char *s)
{
    char **nv = realloc(*v, (*n + 1) * sizeof(**v));
    if (!nv)
        return -ENOMEM;
    *v = nv;
    nv[*n] = inv_strdup(s);
    if (!nv[*n])
        return -ENOMEM;
    (*n)++;
    return 0;
}

static bool has_str(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return true;
    return false;
}

static char *expand_root(const char *root, const char *machine)
{
    struct buf b = {0};
    for (const char *p = root; *p; p++) {
        if (p[0] == '%' && p[1] == 'm') {
            buf_puts(&b, machine);
            p++;
        } else {
            buf_putc(&b, *p);
        }
    }
    return buf_steal(&b);
}

static char *default_rsh(const struct plan_options *opt, const char *machine, bool explicit_dest)
{
    char *root = expand_root(opt && opt->secrets_root ? opt->secrets_root
                                                      : DEFAULT_SECRETS_ROOT, machine);
    if (!root)
        return NULL;
    char *s = inv_asprintf("ssh -i %s/borgbackup/borgbackup.ssh -o StrictHostKeyChecking=accept-new "
                           "-o IdentitiesOnly=Yes%s",
                           root, explicit_dest ? " -o PasswordAuthentication=no" : "");
    free(root);
    return s;
}

/* Text of a list item for the plan: a string's value, else its source text. */
static char *item_string(const struct inventory *inv, const struct nix_value *v)
{
    if (v->kind == NIX_STRING)
        return inv_strdup(v->str ? v->str : "");
    return inv_value_text(inv, v);
}

static bool dest_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Where a membership is written (the machine entry, else the first tag that selects it). */
static struct inv_loc member_loc(const struct inv_model *md, const struct inv_member *mb)
{
    const struct inv_role *r = &md->instances[mb->instance].roles[mb->role];
    const char *name = md->machines[mb->machine].name;
    if (mb->direct)
        for (size_t i = 0; i < r->nmachines; i++)
            if (!strcmp(r->machines[i].name, name))
                return r->machines[i].loc;
    for (size_t t = 0; t < mb->nvia_tags; t++)
        for (size_t i = 0; i < r->ntags; i++)
            if (!strcmp(r->tags[i].name, mb->via_tags[t]))
                return r->tags[i].loc;
    return r->loc;
}

/* Member indexes of one role of one instance. */
struct idxv {
    size_t *v;
    size_t n, cap;
};

/* For each instance of module borgbackup: its server and client members. */
static int role_lists(const struct inv_model *md, struct idxv **srv, struct idxv **cli)
{
    size_t ni = md->ninstances ? md->ninstances : 1;
    *srv = calloc(ni, sizeof(**srv));
    *cli = calloc(ni, sizeof(**cli));
    if (!*srv || !*cli)
        return -ENOMEM;
    for (size_t k = 0; k < md->nmembers; k++) {
        const struct inv_member *mb = &md->members[k];
        if (!inv_is_borgbackup(&md->instances[mb->instance]))
            continue;
        const char *rn = md->instances[mb->instance].roles[mb->role].name;
        struct idxv *l = !strcmp(rn, "server") ? &(*srv)[mb->instance]
                         : !strcmp(rn, "client") ? &(*cli)[mb->instance] : NULL;
        if (!l)
            continue;
        if (inv_grow(&l->v, &l->cap, l->n, sizeof(*l->v)) < 0)
            return -ENOMEM;
        l->v[l->n++] = k;
    }
    return 0;
}

static void free_role_lists(const struct inv_model *md, struct idxv *srv, struct idxv *cli)
{
    for (size_t i = 0; i < md->ninstances; i++) {
        if (srv)
            free(srv[i].v);
        if (cli)
            free(cli[i].v);
    }
    free(srv);
    free(cli);
}

struct dest {
    char *name, *repo, *rsh, *server;
    bool explicit_dest;
    struct inv_loc loc;
};

static void free_dests(struct dest *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(d[i].name);
        free(d[i].repo);
        free(d[i].rsh);
        free(d[i].server);
    }
    free(d);
}

static int add_hooks(const struct inv_machine *m, enum inv_hook h, struct plan_hook **out,
                     size_t *n)
{
    for (size_t i = 0; i < m->nstates; i++) {
        if (!m->states[i].hooks[h].s)
            continue;
        struct plan_hook *nh = realloc(*out, (*n + 1) * sizeof(**out));
        if (!nh)
            return -ENOMEM;
        *out = nh;
        nh[*n].state = inv_strdup(m->states[i].name);
        nh[*n].script = inv_strdup(m->states[i].hooks[h].s);
        (*n)++;
    }
    return 0;
}

static int build_client(const struct inventory *inv, const struct plan_options *opt,
                        struct plan *p, const struct inv_member *mb, const struct idxv *servers,
                        struct calendar_ctx *cal, struct reporter *rp, bool full)
{
    const struct inv_model *md = &inv->model;
    const struct inv_instance *in = &md->instances[mb->instance];
    const struct inv_machine *m = &md->machines[mb->machine];
    struct plan_machine *pm = &p->machines[mb->machine];
    pm->is_client = true;
    struct inv_loc mloc = member_loc(md, mb);

    /* destinations: one per server of the instance, then the explicit ones */
    struct dest *dv = NULL;
    size_t nd = 0;
    for (size_t si = 0; si < servers->n; si++) {
        const struct inv_member *s = &md->members[servers->v[si]];
        const char *sname = md->machines[s->machine].name;
        const char *addr = inv_eff_string(inv_eff_get(&s->settings, "address"));
        struct dest *ndv = realloc(dv, (nd + 1) * sizeof(*dv));
        if (!ndv)
            goto oom;
        dv = ndv;
        memset(&dv[nd], 0, sizeof(*dv));
        dv[nd].name = inv_strdup(sname);
        dv[nd].repo = inv_asprintf("borg@%s:.", addr ? addr : sname);
        dv[nd].rsh = default_rsh(opt, m->name, false);
        dv[nd].server = inv_strdup(sname);
        dv[nd].loc = member_loc(md, s);
        nd++;
    }
    const struct inv_eff *dests = inv_eff_get(&mb->settings, "destinations");
    for (size_t k = 0; dests && k < dests->nchildren; k++) {
        const struct inv_eff *de = &dests->children[k];
        const struct inv_eff *repo = inv_eff_get(de, "repo");
        const struct inv_eff *rsh = inv_eff_get(de, "rsh");
        struct inv_loc dloc = repo && repo->winner ? repo->winner->loc : mloc;
        if (!dest_name_ok(de->name))
            report(rp, DIAG_ERROR, dloc,
                   "destination name '%s' of machine %s is rejected by clan: it must match "
                   "^[a-zA-Z0-9._-]+$",
                   de->name, m->name);
        const char *rs = inv_eff_string(repo);
        if (!rs)
            report(rp, DIAG_ERROR, dloc,
                   "destination '%s' of machine %s has no literal `repo` (a string)",
                   de->name, m->name);
        size_t slot = nd;
        for (size_t i = 0; i < nd; i++)
            if (!strcmp(dv[i].name, de->name)) {
                slot = i;
                report(rp, DIAG_WARNING, dloc,
                       "destination '%s' of machine %s replaces the destination of backup "
                       "server %s (same name)",
                       de->name, m->name, dv[i].name);
                free(dv[i].name);
                free(dv[i].repo);
                free(dv[i].rsh);
                free(dv[i].server);
                break;
            }
        if (slot == nd) {
            struct dest *ndv = realloc(dv, (nd + 1) * sizeof(*dv));
            if (!ndv)
                goto oom;
            dv = ndv;
            nd++;
        }
        memset(&dv[slot], 0, sizeof(*dv));
        dv[slot].name = inv_strdup(de->name);
        dv[slot].repo = inv_strdup(rs ? rs : (repo && repo->winner ? repo->winner->text : ""));
        const char *rshs = inv_eff_string(rsh);
        dv[slot].rsh = rshs ? inv_strdup(rshs) : default_rsh(opt, m->name, true);
        dv[slot].explicit_dest = true;
        dv[slot].loc = dloc;
    }
    if (!nd)
        report(rp, DIAG_WARNING, mloc,
               "machine %s is a borgbackup client of %s but has no destination (the "
               "instance has no server and the machine no settings.destinations)",
               m->name, in->name);

    /* schedule */
    const struct inv_eff *sa = inv_eff_get(&mb->settings, "startAt");
    const char *start = inv_eff_string(sa);
    const struct inv_def *sdef = sa ? sa->winner : NULL;
    if (sa && !start && sdef && !sa->conflict)
        start = sdef->text; /* not a literal: keep the source text */
    if (!start)
        start = DEFAULT_START_AT;
    if (cal && sa && sdef && sdef->level != INV_LEVEL_DEFAULT && inv_eff_string(sa)) {
        struct calendar_spec *spec = NULL;
        struct diag cd = {0};
        if (calendar_parse(cal, start, &spec, &cd) < 0) {
            report(rp, DIAG_ERROR, sdef->loc,
                   "startAt \"%s\" of machine %s is not a valid systemd calendar "
                   "expression: %s (at column %u of the expression)",
                   start, m->name, cd.msg ? cd.msg : "invalid", cd.col);
        }
        diag_clear(&cd);
        calendar_spec_free(spec);
    }

    if (!m->nstates) {
        if (!pm->no_jobs_reason)
            pm->no_jobs_reason =
                inv_strdup(m->config_opaque
                               ? "machines.<name> is not a literal module: its "
                                 "clan.core.state cannot be read"
                               : "no clan.core.state: Clan creates backup jobs only for "
                                 "machines that declare state");
        free_dests(dv, nd);
        return 0;
    }
    free(pm->no_jobs_reason);
    pm->no_jobs_reason = NULL;

    const struct inv_eff *ex = inv_eff_get(&mb->settings, "exclude");
    for (size_t d = 0; d < nd; d++) {
        for (size_t j = 0; j < pm->njobs; j++)
            if (!strcmp(pm->jobs[j].destination, dv[d].name))
                report(rp, DIAG_ERROR, dv[d].loc,
                       "machine %s gets two jobs named borgbackup-job-%s (from two "
                       "instances or destinations with the same name); systemd units must be "
                       "unique",
                       m->name, dv[d].name);
        struct plan_job *nj = realloc(pm->jobs, (pm->njobs + 1) * sizeof(*nj));
        if (!nj)
            goto oom;
        pm->jobs = nj;
        struct plan_job *j = &pm->jobs[pm->njobs++];
        memset(j, 0, sizeof(*j));
        j->destination = dv[d].name;
        j->repo = dv[d].repo;
        j->rsh = dv[d].rsh;
        j->server = dv[d].server;
        dv[d].name = dv[d].repo = dv[d].rsh = dv[d].server = NULL;
        j->unit = inv_asprintf("borgbackup-job-%s", j->destination);
        j->explicit_dest = dv[d].explicit_dest;
        if (!full)
            continue; /* diagnostics only: the destination is all the checks need */
        for (size_t s = 0; s < m->nstates; s++)
            for (size_t f = 0; f < m->states[s].nfolders; f++) {
                const char *fs = m->states[s].folders[f].s;
                if (fs && !m->states[s].folders[f].opaque && !has_str(j->paths, j->npaths, fs))
                    push_str(&j->paths, &j->npaths, fs);
            }
        if (ex && ex->nitems) {
            j->exclude = calloc(ex->nitems, sizeof(*j->exclude));
            j->exclude_origin = calloc(ex->nitems, sizeof(*j->exclude_origin));
            if (!j->exclude || !j->exclude_origin)
                goto oom;
            for (size_t k = 0; k < ex->nitems; k++) {
                const struct inv_def *od = &ex->defs[ex->item_def[k]];
                j->exclude[k] = item_string(inv, ex->items[k]);
                j->exclude_origin[k].level = origin_level(od);
                struct inv_loc il = inv_loc_value(inv, ex->items[k]);
                j->exclude_origin[k].line = il.line;
                j->exclude_origin[k].col = il.col;
            }
            j->nexclude = ex->nitems;
        }
        j->start_at = inv_strdup(start);
        j->start_at_origin.level = origin_level(sdef);
        if (sdef && sdef->level != INV_LEVEL_DEFAULT) {
            j->start_at_origin.line = sdef->loc.line;
            j->start_at_origin.col = sdef->loc.col;
        }
        if (add_hooks(m, INV_HOOK_PRE_BACKUP, &j->pre_backup, &j->npre) < 0 ||
            add_hooks(m, INV_HOOK_POST_BACKUP, &j->post_backup, &j->npost) < 0 ||
            add_hooks(m, INV_HOOK_PRE_RESTORE, &j->pre_restore, &j->npre_restore) < 0 ||
            add_hooks(m, INV_HOOK_POST_RESTORE, &j->post_restore, &j->npost_restore) < 0)
            goto oom;
    }
    free_dests(dv, nd);
    return 0;
oom:
    free_dests(dv, nd);
    return -ENOMEM;
}

static int build_server(const struct inventory *inv, struct plan *p,
                        const struct inv_member *mb, const struct idxv *clients)
{
    const struct inv_model *md = &inv->model;
    struct plan_machine *pm = &p->machines[mb->machine];
    pm->is_server = true;
    if (!pm->address) {
        const char *a = inv_eff_string(inv_eff_get(&mb->settings, "address"));
        pm->address = inv_strdup(a ? a : pm->name);
        const char *d = inv_eff_string(inv_eff_get(&mb->settings, "directory"));
        pm->directory = inv_strdup(d ? d : "/var/lib/borgbackup");
    }
    /* a client of this server in an earlier instance is listed once */
    char *seen = calloc(md->nmachines ? md->nmachines : 1, 1);
    if (!seen)
        return -ENOMEM;
    for (size_t i = 0; i < pm->nclients; i++) {
        long mi = inventory_machine_index(inv, pm->clients[i].client);
        if (mi >= 0)
            seen[mi] = 1;
    }
    for (size_t ci = 0; ci < clients->n; ci++) {
        const struct inv_member *c = &md->members[clients->v[ci]];
        const char *cname = md->machines[c->machine].name;
        if (seen[c->machine])
            continue;
        seen[c->machine] = 1;
        struct plan_server_client *nc =
            realloc(pm->clients, (pm->nclients + 1) * sizeof(*nc));
        if (!nc) {
            free(seen);
            return -ENOMEM;
        }
        pm->clients = nc;
        nc[pm->nclients].client = inv_strdup(cname);
        nc[pm->nclients].directory = inv_asprintf("%s/%s", pm->directory, cname);
        pm->nclients++;
    }
    free(seen);
    return 0;
}

static int build_plan(const struct inventory *inv, const struct plan_options *opt,
                      struct plan **out, struct reporter *rp, bool full)
{
    const struct inv_model *md = &inv->model;
    struct plan *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    if (md->meta.name.s && !md->meta.name.opaque)
        p->meta_name = inv_strdup(md->meta.name.s);
    if (md->meta.domain.s && !md->meta.domain.opaque)
        p->meta_domain = inv_strdup(md->meta.domain.s);
    p->machines = calloc(md->nmachines ? md->nmachines : 1, sizeof(*p->machines));
    if (!p->machines) {
        plan_free(p);
        return -ENOMEM;
    }
    p->nmachines = md->nmachines;
    for (size_t i = 0; i < md->nmachines; i++) {
        const struct inv_machine *m = &md->machines[i];
        struct plan_machine *pm = &p->machines[i];
        pm->name = inv_strdup(m->name);
        pm->target_host = inv_strdup(m->target_host.s);
        for (size_t t = 0; t < m->ntags; t++)
            if (m->tags[t].s && !m->tags[t].opaque)
                push_str(&pm->tags, &pm->ntags, m->tags[t].s);
    }
    struct idxv *srv = NULL, *cli = NULL;
    int r = role_lists(md, &srv, &cli);
    struct calendar_ctx *cal = rp->l ? calendar_ctx_new_tz(NULL) : NULL;
    /* servers first, so their address and directory are known */
    for (size_t i = 0; i < md->ninstances && r >= 0; i++)
        for (size_t k = 0; k < srv[i].n && r >= 0; k++)
            r = build_server(inv, p, &md->members[srv[i].v[k]], &cli[i]);
    /* clients in member order (instance, role, machine) */
    for (size_t i = 0; i < md->ninstances && r >= 0; i++)
        for (size_t k = 0; k < cli[i].n && r >= 0; k++)
            r = build_client(inv, opt, p, &md->members[cli[i].v[k]], &srv[i], cal, rp, full);
    calendar_ctx_free(cal);
    free_role_lists(md, srv, cli);
    if (r < 0) {
        plan_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int inventory_plan_with(const struct inventory *inv, const struct plan_options *opt,
                        struct plan **out, struct diag_list *diags)
{
    struct reporter rp = {NULL, inv->name};
    int r = build_plan(inv, opt, out, &rp, true);
    if (r < 0)
        diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory building the plan");
    return r;
}

int inventory_plan(const struct inventory *inv, struct plan **out, struct diag_list *diags)
{
    return inventory_plan_with(inv, NULL, out, diags);
}

void inv_check_plan(struct inventory *inv)
{
    struct reporter rp = {&inv->diags, inv->name};
    struct plan *p = NULL;
    if (build_plan(inv, NULL, &p, &rp, false) == 0)
        plan_free(p);
}

/* ---- install order ---- */

int inventory_install_order(const struct inventory *inv, size_t **order, size_t *n,
                            struct diag_list *diags)
{
    const struct inv_model *md = &inv->model;
    size_t nm = md->nmachines;
    size_t *indeg = calloc(nm ? nm : 1, sizeof(*indeg));
    size_t *res = calloc(nm ? nm : 1, sizeof(*res));
    char *done = calloc(nm ? nm : 1, 1);
    /* edges server -> client, as pairs */
    size_t *ea = NULL, *eb = NULL, ne = 0, cap = 0, capb = 0;
    if (!indeg || !res || !done)
        goto oom;
    struct idxv *srv = NULL, *cli = NULL;
    if (role_lists(md, &srv, &cli) < 0) {
        free_role_lists(md, srv, cli);
        goto oom;
    }
    for (size_t i = 0; i < md->ninstances; i++) {
        for (size_t a = 0; a < srv[i].n; a++) {
            size_t sm = md->members[srv[i].v[a]].machine;
            for (size_t b = 0; b < cli[i].n; b++) {
                size_t cm = md->members[cli[i].v[b]].machine;
                if (cm == sm)
                    continue;
                bool dup = false;
                for (size_t e = 0; e < ne && !dup; e++)
                    dup = ea[e] == sm && eb[e] == cm;
                if (dup)
                    continue;
                if (inv_grow(&ea, &cap, ne, sizeof(*ea)) < 0 ||
                    inv_grow(&eb, &capb, ne, sizeof(*eb)) < 0) {
                    free_role_lists(md, srv, cli);
                    goto oom;
                }
                ea[ne] = sm;
                eb[ne] = cm;
                ne++;
                indeg[cm]++;
            }
        }
    }
    free_role_lists(md, srv, cli);
    size_t k = 0;
    while (k < nm) {
        size_t pick = nm;
        for (size_t i = 0; i < nm; i++)
            if (!done[i] && !indeg[i]) {
                pick = i;
                break;
            }
        if (pick == nm)
            break;
        done[pick] = 1;
        res[k++] = pick;
        for (size_t e = 0; e < ne; e++)
            if (ea[e] == pick)
                indeg[eb[e]]--;
    }
    if (k < nm) {
        struct buf b = {0};
        for (size_t i = 0; i < nm; i++)
            if (!done[i])
                buf_printf(&b, "%s%s", b.len ? ", " : "", md->machines[i].name);
        diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0,
                      "install order: %s provide keys to each other (each is a backup server "
                      "of another); install one, then re-generate the vars of the others",
                      b.p ? b.p : "");
        buf_free(&b);
        for (size_t i = 0; i < nm; i++)
            if (!done[i])
                res[k++] = i;
    }
    free(indeg);
    free(done);
    free(ea);
    free(eb);
    *order = res;
    *n = nm;
    return 0;
oom:
    free(indeg);
    free(res);
    free(done);
    free(ea);
    free(eb);
    return -ENOMEM;
}
