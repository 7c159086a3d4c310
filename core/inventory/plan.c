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
    struct inventory *inv; /* checking: the diagnostics go to inv with owner */
    struct inv_owner owner;
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
    if (str_vprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    /* a position in another file of the clan is reported under that file's name */
    const char *file = rp->inv && loc.file ? inventory_file_name(rp->inv, loc.file) : rp->file;
    diag_list_add(rp->l, sev, file, loc.line, loc.col, "%s", msg ? msg : "out of memory");
    free(msg);
    if (rp->inv)
        inv_owners_sync(rp->inv, rp->owner);
}

/* ---- the plan's memory ----
 * A plan from inventory_plan lives in one arena: thousands of jobs cost a few large
 * allocations, and jobs of one machine share their paths, excludes and hooks. A plan built
 * by hand (tests) has no arena and is freed piece by piece. */

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
    free_strv(j->machine_paths, j->nmachine_paths);
    free_strv(j->conditional, j->nconditional);
    free_strv(j->exclude, j->nexclude);
    for (size_t i = 0; i < j->nexclude; i++)
        free(j->exclude_origin[i].level), free(j->exclude_origin[i].file);
    free(j->exclude_origin);
    free(j->start_at);
    free(j->start_at_origin.level);
    free(j->start_at_origin.file);
    free_hooks(j->pre_backup, j->npre);
    free_hooks(j->post_backup, j->npost);
    free_hooks(j->pre_restore, j->npre_restore);
    free_hooks(j->post_restore, j->npost_restore);
}

void plan_free(struct plan *p)
{
    if (!p)
        return;
    if (p->arena.head) {
        arena_free(&p->arena);
        free(p);
        return;
    }
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
        for (size_t j = 0; j < m->nstates; j++) {
            free(m->states[j].name);
            free_strv(m->states[j].folders, m->states[j].nfolders);
        }
        free(m->states);
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

static char *origin_level(struct plan *p, const struct inv_def *d)
{
    if (!d || d->level == INV_LEVEL_DEFAULT)
        return arena_strdup(&p->arena, "default");
    if (d->level == INV_LEVEL_TAG)
        return arena_cat(&p->arena, "tag:", d->tag ? d->tag : "", (char *)NULL);
    return arena_strdup(&p->arena, inv_level_name(d->level));
}

static char *default_rsh(struct plan *p, const struct plan_options *opt, const char *machine,
                         bool explicit_dest)
{
    const char *root = opt && opt->secrets_root ? opt->secrets_root : DEFAULT_SECRETS_ROOT;
    struct buf b = {0};
    for (const char *c = root; *c; c++) {
        if (c[0] == '%' && c[1] == 'm') {
            buf_puts(&b, machine);
            c++;
        } else {
            buf_putc(&b, *c);
        }
    }
    /* borg splits BORG_RSH like a shell does: the key path must be one word */
    buf_puts(&b, "/borgbackup/borgbackup.ssh");
    struct buf key = {0};
    buf_put_shell_word(&key, b.p);
    char *s = arena_printf(&p->arena,
                       "ssh -i %s -o StrictHostKeyChecking=accept-new "
                       "-o IdentitiesOnly=Yes%s",
                       key.p ? key.p : "", explicit_dest ? " -o PasswordAuthentication=no" : "");
    buf_free(&key);
    buf_free(&b);
    return s;
}

/* Text of a list item for the plan: a string's value, else its source text. */
static char *item_string(struct plan *p, const struct inventory *inv, const struct nix_value *v)
{
    if (v->kind == NIX_STRING)
        return arena_strdup(&p->arena, v->str ? v->str : "");
    char *t = inv_value_text(inv, v);
    char *r = arena_strdup(&p->arena, t ? t : "");
    free(t);
    return r;
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

/* Member indexes of one role of one instance (servers: with where each is written, found
 * once instead of once per client). */
struct idxv {
    size_t *v;
    size_t n, cap;
    struct inv_loc *loc;
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
    for (size_t i = 0; i < md->ninstances; i++) {
        struct idxv *l = &(*srv)[i];
        if (!l->n)
            continue;
        if (!(l->loc = malloc(l->n * sizeof(*l->loc))))
            return -ENOMEM;
        for (size_t k = 0; k < l->n; k++)
            l->loc[k] = member_loc(md, &md->members[l->v[k]]);
    }
    return 0;
}

static void free_role_lists(const struct inv_model *md, struct idxv *srv, struct idxv *cli)
{
    for (size_t i = 0; i < md->ninstances; i++) {
        if (srv)
            free(srv[i].v), free(srv[i].loc);
        if (cli)
            free(cli[i].v);
    }
    free(srv);
    free(cli);
}

struct dest {
    const char *name;
    char *repo, *rsh, *unit, *plan_name; /* plan_name: the name as a plan string (shared) */
    const char *server;
    bool explicit_dest;
    struct inv_loc loc;
};

/* What every job of one machine shares (the jobs point at the same arrays). */
struct shared {
    const char **dests; /* destination names so far (model strings): unit names are unique */
    size_t ndests, capdests;
    size_t jobcap; /* upper bound of the machine's jobs: pm->jobs is allocated once */
    char *srv_repo, *srv_unit; /* as a backup server: its repo and unit, shared by clients */
    bool built;
    char **paths;
    size_t npaths;
    char **mpaths, **cond;
    size_t nmpaths, ncond;
    struct plan_hook *hooks[INV_NHOOKS];
    size_t nhooks[INV_NHOOKS];
};

static int build_shared(struct plan *p, const struct inv_machine *m, struct shared *sh)
{
    size_t total = 0;
    for (size_t s = 0; s < m->nstates; s++)
        total += m->states[s].nfolders;
    sh->paths = arena_alloc(&p->arena, (total ? total : 1) * sizeof(*sh->paths));
    if (!sh->paths)
        return -ENOMEM;
    sh->mpaths = arena_alloc(&p->arena, (total + m->nstates + 1) * sizeof(*sh->mpaths));
    sh->cond = arena_alloc(&p->arena, (m->nstates + 1) * sizeof(*sh->cond));
    if (!sh->mpaths || !sh->cond)
        return -ENOMEM;
    for (size_t s = 0; s < m->nstates; s++) {
        const struct inv_state *st = &m->states[s];
        if (st->condition.s)
            sh->cond[sh->ncond++] = arena_printf(&p->arena, "%s: %s", st->name, st->condition.s);
        if (st->folders_opaque && st->folders_text.s)
            sh->mpaths[sh->nmpaths++] =
                arena_printf(&p->arena, "%s: %s", st->name, st->folders_text.s);
    }
    for (size_t s = 0; s < m->nstates; s++)
        for (size_t f = 0; f < m->states[s].nfolders; f++) {
            const char *fs = m->states[s].folders[f].s;
            if (fs && m->states[s].folders[f].opaque) {
                sh->mpaths[sh->nmpaths++] =
                    arena_printf(&p->arena, "%s: %s", m->states[s].name, fs);
                continue;
            }
            if (!fs)
                continue;
            bool dup = false;
            for (size_t k = 0; k < sh->npaths && !dup; k++)
                dup = !strcmp(sh->paths[k], fs);
            if (!dup)
                sh->paths[sh->npaths++] = arena_strdup(&p->arena, fs);
        }
    for (int h = 0; h < INV_NHOOKS; h++) {
        size_t n = 0;
        for (size_t s = 0; s < m->nstates; s++)
            n += m->states[s].hooks[h].s != NULL;
        if (!n)
            continue;
        sh->hooks[h] = arena_alloc(&p->arena, n * sizeof(*sh->hooks[h]));
        if (!sh->hooks[h])
            return -ENOMEM;
        for (size_t s = 0; s < m->nstates; s++) {
            if (!m->states[s].hooks[h].s)
                continue;
            struct plan_hook *hk = &sh->hooks[h][sh->nhooks[h]++];
            hk->state = arena_strdup(&p->arena, m->states[s].name);
            hk->script = arena_strdup(&p->arena, m->states[s].hooks[h].s);
            hk->on_machine = m->states[s].hooks[h].opaque;
        }
    }
    sh->built = true;
    return 0;
}

/* The machine's states with their literal folders and restore hooks (for restores). */
static int build_states(struct plan *p, const struct inv_machine *m, struct plan_machine *pm)
{
    pm->states = arena_alloc(&p->arena, (m->nstates ? m->nstates : 1) * sizeof(*pm->states));
    if (!pm->states)
        return -ENOMEM;
    for (size_t s = 0; s < m->nstates; s++) {
        const struct inv_state *st = &m->states[s];
        struct plan_state *ps = &pm->states[pm->nstates++];
        memset(ps, 0, sizeof(*ps));
        ps->name = arena_strdup(&p->arena, st->name);
        ps->folders = arena_alloc(&p->arena, (st->nfolders ? st->nfolders : 1) * sizeof(char *));
        if (!ps->name || !ps->folders)
            return -ENOMEM;
        ps->folders_on_machine = st->folders_opaque;
        for (size_t f = 0; f < st->nfolders; f++) {
            if (!st->folders[f].s || st->folders[f].opaque) {
                ps->folders_on_machine = true;
                continue;
            }
            if (!(ps->folders[ps->nfolders++] = arena_strdup(&p->arena, st->folders[f].s)))
                return -ENOMEM;
        }
        ps->has_pre_restore = st->hooks[INV_HOOK_PRE_RESTORE].s != NULL;
        ps->has_post_restore = st->hooks[INV_HOOK_POST_RESTORE].s != NULL;
    }
    return 0;
}

/* startAt expressions already parsed, and what the parser said (a fleet has a handful of
 * distinct schedules for a thousand clients). */
struct cal_result {
    const char *expr; /* borrowed: a model string, alive while the plan is built */
    char *msg;        /* NULL: valid */
    unsigned col;
};
struct cal_seen {
    struct cal_result *v;
    size_t n, cap;
};

static void cal_seen_free(struct cal_seen *cs)
{
    for (size_t i = 0; i < cs->n; i++)
        free(cs->v[i].msg);
    free(cs->v);
}

/* Parse expr once per plan; NULL when it is valid, else the result with the error. */
static const struct cal_result *cal_check(struct cal_seen *seen, struct calendar_ctx *cal,
                                          const char *expr)
{
    for (size_t i = 0; i < seen->n; i++)
        if (!strcmp(seen->v[i].expr, expr))
            return seen->v[i].msg ? &seen->v[i] : NULL;
    struct calendar_spec *spec = NULL;
    struct diag cd = {0};
    struct cal_result res = {expr, NULL, 0};
    if (calendar_parse(cal, expr, &spec, &cd) < 0) {
        res.msg = strdup(cd.msg ? cd.msg : "invalid");
        res.col = cd.col;
    }
    diag_clear(&cd);
    calendar_spec_free(spec);
    if (inv_grow(&seen->v, &seen->cap, seen->n, sizeof(*seen->v)) == 0) {
        seen->v[seen->n++] = res;
        return res.msg ? &seen->v[seen->n - 1] : NULL;
    }
    free(res.msg);
    return NULL;
}

static int build_client(const struct inventory *inv, const struct plan_options *opt,
                        struct plan *p, const struct inv_member *mb, const struct idxv *servers,
                        struct shared *all, struct calendar_ctx *cal, struct cal_seen *seen,
                        struct reporter *rp, bool full)
{
    const struct inv_model *md = &inv->model;
    const struct inv_instance *in = &md->instances[mb->instance];
    const struct inv_machine *m = &md->machines[mb->machine];
    struct plan_machine *pm = &p->machines[mb->machine];
    struct shared *shared = &all[mb->machine];
    pm->is_client = true;
    struct inv_loc mloc = member_loc(md, mb);

    /* destinations: one per server of the instance, then the explicit ones */
    const struct inv_eff *dests = inv_eff_get(&mb->settings, "destinations");
    size_t maxd = servers->n + (dests ? dests->nchildren : 0);
    struct dest *dv = calloc(maxd ? maxd : 1, sizeof(*dv));
    if (!dv)
        return -ENOMEM;
    size_t nd = 0;
    char *server_rsh = NULL;
    for (size_t si = 0; si < servers->n; si++) {
        const struct inv_member *s = &md->members[servers->v[si]];
        const char *sname = md->machines[s->machine].name;
        struct dest *d = &dv[nd++];
        d->name = sname;
        d->server = sname;
        d->loc = servers->loc ? servers->loc[si] : member_loc(md, s);
        if (!full)
            continue;
        struct shared *ss = &all[s->machine];
        if (!ss->srv_repo) {
            const char *addr = p->machines[s->machine].address;
            ss->srv_repo = arena_cat(&p->arena, "borg@", addr ? addr : sname, ":.", (char *)NULL);
            ss->srv_unit = arena_cat(&p->arena, "borgbackup-job-", sname, (char *)NULL);
        }
        d->repo = ss->srv_repo;
        d->unit = ss->srv_unit;
        d->plan_name = p->machines[s->machine].name;
        if (!server_rsh)
            server_rsh = default_rsh(p, opt, m->name, false);
        d->rsh = server_rsh;
    }
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
                break;
            }
        if (slot == nd)
            nd++;
        struct dest *d = &dv[slot];
        memset(d, 0, sizeof(*d));
        d->name = de->name;
        d->explicit_dest = true;
        d->loc = dloc;
        if (!full)
            continue;
        d->repo = arena_strdup(&p->arena, rs ? rs : (repo && repo->winner ? repo->winner->text : ""));
        const char *rshs = inv_eff_string(rsh);
        d->rsh = rshs ? arena_strdup(&p->arena, rshs) : default_rsh(p, opt, m->name, true);
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
    if (sa && !start && sdef && !sa->conflict) {
        start = sdef->text; /* not a literal: keep the source text for display */
        if (cal)
            report(rp, DIAG_ERROR, sdef->loc,
                   "startAt for machine %s is not a literal string (%s): clan-tui cannot "
                   "evaluate it, so no timer can be written; expected a calendar expression "
                   "in quotes",
                   m->name, start);
    }
    if (!start)
        start = DEFAULT_START_AT;
    if (cal && sa && sdef && sdef->level != INV_LEVEL_DEFAULT && inv_eff_string(sa)) {
        const struct cal_result *bad = cal_check(seen, cal, start);
        if (bad)
            report(rp, DIAG_ERROR, sdef->loc,
                   "startAt \"%s\" (for machine %s) is not a valid systemd calendar "
                   "expression: %s (at column %u of the expression)",
                   start, m->name, bad->msg ? bad->msg : "invalid", bad->col);
    }

    if (!m->nstates) {
        if (!pm->no_jobs_reason)
            pm->no_jobs_reason =
                arena_strdup(&p->arena, m->config_opaque
                                ? "machines.<name> is not a literal module: its "
                                  "clan.core.state cannot be read"
                                : "no clan.core.state: Clan creates backup jobs only for "
                                  "machines that declare state");
        free(dv);
        return 0;
    }
    pm->no_jobs_reason = NULL;
    if (full && !shared->built && (build_shared(p, m, shared) < 0 || build_states(p, m, pm) < 0))
        goto oom;

    /* excludes and the schedule origin: shared by this membership's jobs */
    const struct inv_eff *ex = inv_eff_get(&mb->settings, "exclude");
    char **exv = NULL;
    struct plan_origin *exo = NULL;
    size_t nex = 0;
    char *start_copy = NULL, *start_level = NULL;
    if (full) {
        if (ex && ex->nitems) {
            exv = arena_alloc(&p->arena, ex->nitems * sizeof(*exv));
            exo = arena_alloc(&p->arena, ex->nitems * sizeof(*exo));
            if (!exv || !exo)
                goto oom;
            for (size_t k = 0; k < ex->nitems; k++) {
                const struct inv_def *od = &ex->defs[ex->item_def[k]];
                exv[k] = item_string(p, inv, ex->items[k]);
                exo[k].level = origin_level(p, od);
                struct inv_loc il = inv_loc_value(inv, ex->items[k]);
                exo[k].line = il.line;
                exo[k].col = il.col;
                if (il.file)
                    exo[k].file = arena_strdup(&p->arena, inventory_file_name(inv, il.file));
            }
            nex = ex->nitems;
        }
        start_copy = arena_strdup(&p->arena, start);
        start_level = origin_level(p, sdef);
    }
    for (size_t d = 0; d < nd; d++) {
        for (size_t j = 0; j < shared->ndests; j++)
            if (!strcmp(shared->dests[j], dv[d].name))
                report(rp, DIAG_ERROR, dv[d].loc,
                       "machine %s gets two jobs named borgbackup-job-%s (from two "
                       "instances or destinations with the same name); systemd units must be "
                       "unique",
                       m->name, dv[d].name);
        if (inv_grow(&shared->dests, &shared->capdests, shared->ndests,
                     sizeof(*shared->dests)) < 0)
            goto oom;
        shared->dests[shared->ndests++] = dv[d].name;
        if (!full)
            continue; /* diagnostics only: no job contents */
        if (!pm->jobs) {
            pm->jobs = arena_alloc(&p->arena, (shared->jobcap ? shared->jobcap : 1) * sizeof(*pm->jobs));
            if (!pm->jobs)
                goto oom;
        }
        if (pm->njobs >= shared->jobcap)
            goto oom; /* cannot happen: jobcap counts every destination */
        struct plan_job *j = &pm->jobs[pm->njobs++];
        memset(j, 0, sizeof(*j));
        j->destination = dv[d].plan_name ? dv[d].plan_name : arena_strdup(&p->arena, dv[d].name);
        j->explicit_dest = dv[d].explicit_dest;
        j->repo = dv[d].repo;
        j->rsh = dv[d].rsh;
        j->server = dv[d].server ? dv[d].plan_name : NULL;
        j->unit = dv[d].unit ? dv[d].unit : arena_cat(&p->arena, "borgbackup-job-", j->destination, (char *)NULL);
        j->paths = shared->paths;
        j->npaths = shared->npaths;
        j->machine_paths = shared->mpaths;
        j->nmachine_paths = shared->nmpaths;
        j->conditional = shared->cond;
        j->nconditional = shared->ncond;
        j->exclude = exv;
        j->exclude_origin = exo;
        j->nexclude = nex;
        j->start_at = start_copy;
        j->start_at_origin.level = start_level;
        if (sdef && sdef->level != INV_LEVEL_DEFAULT) {
            j->start_at_origin.line = sdef->loc.line;
            j->start_at_origin.col = sdef->loc.col;
            if (sdef->loc.file)
                j->start_at_origin.file =
                    arena_strdup(&p->arena, inventory_file_name(inv, sdef->loc.file));
        }
        j->pre_backup = shared->hooks[INV_HOOK_PRE_BACKUP];
        j->npre = shared->nhooks[INV_HOOK_PRE_BACKUP];
        j->post_backup = shared->hooks[INV_HOOK_POST_BACKUP];
        j->npost = shared->nhooks[INV_HOOK_POST_BACKUP];
        j->pre_restore = shared->hooks[INV_HOOK_PRE_RESTORE];
        j->npre_restore = shared->nhooks[INV_HOOK_PRE_RESTORE];
        j->post_restore = shared->hooks[INV_HOOK_POST_RESTORE];
        j->npost_restore = shared->nhooks[INV_HOOK_POST_RESTORE];
    }
    free(dv);
    return 0;
oom:
    free(dv);
    return -ENOMEM;
}

static int build_server(const struct inventory *inv, struct plan *p,
                        const struct inv_member *mb, const struct idxv *clients, size_t *seen,
                        size_t *stamp, bool full)
{
    const struct inv_model *md = &inv->model;
    struct plan_machine *pm = &p->machines[mb->machine];
    pm->is_server = true;
    if (!pm->address) {
        const char *a = inv_eff_string(inv_eff_get(&mb->settings, "address"));
        pm->address = arena_strdup(&p->arena, a ? a : pm->name);
        const char *d = inv_eff_string(inv_eff_get(&mb->settings, "directory"));
        pm->directory = arena_strdup(&p->arena, d ? d : "/var/lib/borgbackup");
    }
    if (!full)
        return 0;
    /* a client of this server in an earlier instance is listed once: seen[m] == *stamp
     * marks the clients listed so far (a new stamp per call instead of clearing) */
    size_t mark = ++*stamp;
    for (size_t i = 0; i < pm->nclients; i++) {
        long mi = inventory_machine_index(inv, pm->clients[i].client);
        if (mi >= 0)
            seen[mi] = mark;
    }
    size_t cap = pm->nclients;
    struct plan_server_client *nc = arena_alloc(&p->arena, (pm->nclients + clients->n + 1) * sizeof(*nc));
    if (!nc)
        return -ENOMEM;
    if (pm->nclients)
        memcpy(nc, pm->clients, pm->nclients * sizeof(*nc));
    pm->clients = nc;
    (void)cap;
    for (size_t ci = 0; ci < clients->n; ci++) {
        const struct inv_member *c = &md->members[clients->v[ci]];
        const char *cname = md->machines[c->machine].name;
        if (seen[c->machine] == mark)
            continue;
        seen[c->machine] = mark;
        nc[pm->nclients].client = arena_strdup(&p->arena, cname);
        nc[pm->nclients].directory = arena_cat(&p->arena, pm->directory, "/", cname, (char *)NULL);
        pm->nclients++;
    }
    return 0;
}

/* which (may be NULL: all): the machines whose client jobs are built (checks only). */
static int build_plan(const struct inventory *inv, const struct plan_options *opt,
                      struct plan **out, struct reporter *rp, bool full, const char *which)
{
    const struct inv_model *md = &inv->model;
    struct plan *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    int r = 0;
    struct idxv *srv = NULL, *cli = NULL;
    struct shared *shared = NULL;
    size_t *seen = NULL, stamp = 0;
    struct cal_seen cs = {0};
    struct calendar_ctx *cal = NULL;
    /* the first allocation creates the arena, so plan_free frees it all from here on */
    p->machines = arena_alloc(&p->arena, (md->nmachines ? md->nmachines : 1) * sizeof(*p->machines));
    if (!p->machines) {
        free(p);
        return -ENOMEM;
    }
    if (md->meta.name.s && !md->meta.name.opaque)
        p->meta_name = arena_strdup(&p->arena, md->meta.name.s);
    if (md->meta.domain.s && !md->meta.domain.opaque)
        p->meta_domain = arena_strdup(&p->arena, md->meta.domain.s);
    p->nmachines = md->nmachines;
    for (size_t i = 0; i < md->nmachines; i++) {
        const struct inv_machine *m = &md->machines[i];
        struct plan_machine *pm = &p->machines[i];
        pm->name = arena_strdup(&p->arena, m->name);
        pm->target_host = arena_strdup(&p->arena, m->target_host.s);
        if (!full)
            continue;
        pm->tags = arena_alloc(&p->arena, (m->ntags ? m->ntags : 1) * sizeof(*pm->tags));
        if (!pm->tags)
            goto oom;
        for (size_t t = 0; t < m->ntags; t++)
            if (m->tags[t].s && !m->tags[t].opaque)
                pm->tags[pm->ntags++] = arena_strdup(&p->arena, m->tags[t].s);
    }
    shared = calloc(md->nmachines ? md->nmachines : 1, sizeof(*shared));
    seen = calloc(md->nmachines ? md->nmachines : 1, sizeof(*seen));
    if (!shared || !seen || role_lists(md, &srv, &cli) < 0)
        goto oom;
    cal = rp->l ? calendar_ctx_new_tz(NULL) : NULL;
    /* servers first, so their address and directory are known */
    for (size_t i = 0; i < md->ninstances && r >= 0; i++)
        for (size_t k = 0; k < srv[i].n && r >= 0; k++)
            r = build_server(inv, p, &md->members[srv[i].v[k]], &cli[i], seen, &stamp, full);
    /* an upper bound of each machine's jobs, so its job array is allocated once */
    for (size_t i = 0; i < md->ninstances; i++)
        for (size_t k = 0; k < cli[i].n; k++) {
            const struct inv_member *mb = &md->members[cli[i].v[k]];
            const struct inv_eff *de = inv_eff_get(&mb->settings, "destinations");
            shared[mb->machine].jobcap += srv[i].n + (de ? de->nchildren : 0);
        }
    /* clients in member order (instance, role, machine) */
    for (size_t i = 0; i < md->ninstances && r >= 0; i++)
        for (size_t k = 0; k < cli[i].n && r >= 0; k++) {
            const struct inv_member *mb = &md->members[cli[i].v[k]];
            if (which && !which[mb->machine])
                continue;
            rp->owner = (struct inv_owner){INV_OWN_PLAN, (uint32_t)mb->machine, 0};
            r = build_client(inv, opt, p, mb, &srv[i], shared, cal, &cs, rp, full);
        }
    if (r < 0)
        goto oom;
    calendar_ctx_free(cal);
    free_role_lists(md, srv, cli);
    for (size_t i = 0; i < md->nmachines; i++)
        free(shared[i].dests);
    free(shared);
    free(seen);
    cal_seen_free(&cs);
    *out = p;
    return 0;
oom:
    calendar_ctx_free(cal);
    free_role_lists(md, srv, cli);
    for (size_t i = 0; shared && i < md->nmachines; i++)
        free(shared[i].dests);
    free(shared);
    free(seen);
    cal_seen_free(&cs);
    plan_free(p);
    return -ENOMEM;
}

int inventory_plan_with(const struct inventory *inv, const struct plan_options *opt,
                        struct plan **out, struct diag_list *diags)
{
    struct reporter rp = {NULL, inv->name, NULL, {0}};
    int r = build_plan(inv, opt, out, &rp, true, NULL);
    if (r < 0)
        diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory building the plan");
    return r;
}

int inventory_plan(const struct inventory *inv, struct plan **out, struct diag_list *diags)
{
    return inventory_plan_with(inv, NULL, out, diags);
}

void inv_check_plan_for(struct inventory *inv, const char *which)
{
    struct reporter rp = {&inv->diags, inv->name, inv, {0}};
    struct plan *p = NULL;
    if (build_plan(inv, NULL, &p, &rp, false, which) == 0)
        plan_free(p);
}

void inv_check_plan(struct inventory *inv)
{
    inv_check_plan_for(inv, NULL);
}

/* ---- install order ----
 * A client that has a job to a backup server needs the server's host key: edge server ->
 * client. Strongly connected components (Tarjan) are the cycles; the components are
 * ordered providers first, ties broken by inventory order. */

struct graph {
    size_t n;
    size_t **out; /* adjacency lists */
    size_t *nout, *capout;
    /* Tarjan */
    long *index, *low;
    char *on_stack;
    size_t *stack, nstack;
    long counter;
    size_t *comp; /* component of each node */
    size_t ncomp;
};

static void strongconnect(struct graph *g, size_t v)
{
    g->index[v] = g->low[v] = g->counter++;
    g->stack[g->nstack++] = v;
    g->on_stack[v] = 1;
    for (size_t k = 0; k < g->nout[v]; k++) {
        size_t w = g->out[v][k];
        if (g->index[w] < 0) {
            strongconnect(g, w);
            if (g->low[w] < g->low[v])
                g->low[v] = g->low[w];
        } else if (g->on_stack[w] && g->index[w] < g->low[v]) {
            g->low[v] = g->index[w];
        }
    }
    if (g->low[v] == g->index[v]) {
        size_t w;
        do {
            w = g->stack[--g->nstack];
            g->on_stack[w] = 0;
            g->comp[w] = g->ncomp;
        } while (w != v);
        g->ncomp++;
    }
}

static void graph_free(struct graph *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->out[i]);
    free(g->out);
    free(g->nout);
    free(g->capout);
    free(g->index);
    free(g->low);
    free(g->on_stack);
    free(g->stack);
    free(g->comp);
}

/* Ready components, smallest first machine first: a binary min-heap of component numbers
 * keyed by cmin (the order Kahn's algorithm picks them in, in O(c log c)). */
struct comp_heap {
    size_t *v, n;
    const size_t *key;
};

static void heap_push(struct comp_heap *h, size_t c)
{
    size_t i = h->n++;
    while (i && h->key[h->v[(i - 1) / 2]] > h->key[c]) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = c;
}

static size_t heap_pop(struct comp_heap *h)
{
    size_t top = h->v[0], last = h->v[--h->n], i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= h->n)
            break;
        if (l + 1 < h->n && h->key[h->v[l + 1]] < h->key[h->v[l]])
            m = l + 1;
        if (h->key[h->v[m]] >= h->key[last])
            break;
        h->v[i] = h->v[m];
        i = m;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

int inventory_install_order(const struct inventory *inv, size_t **order, size_t *n,
                            struct diag_list *diags)
{
    const struct inv_model *md = &inv->model;
    size_t nm = md->nmachines;
    struct graph g = {.n = nm};
    struct plan *p = NULL;
    struct reporter rp = {NULL, inv->name, NULL, {0}};
    size_t *res = NULL, *cindeg = NULL, *cmin = NULL, *last = NULL, *cstart = NULL,
           *members = NULL;
    struct comp_heap heap = {0};
    size_t alloc = nm ? nm : 1;
    g.out = calloc(alloc, sizeof(*g.out));
    g.nout = calloc(alloc, sizeof(*g.nout));
    g.capout = calloc(alloc, sizeof(*g.capout));
    g.index = malloc(alloc * sizeof(*g.index));
    g.low = malloc(alloc * sizeof(*g.low));
    g.on_stack = calloc(alloc, 1);
    g.stack = malloc(alloc * sizeof(*g.stack));
    g.comp = malloc(alloc * sizeof(*g.comp));
    res = malloc(alloc * sizeof(*res));
    last = malloc(alloc * sizeof(*last)); /* the client whose edges a server got last */
    if (!g.out || !g.nout || !g.capout || !g.index || !g.low || !g.on_stack || !g.stack ||
        !g.comp || !res || !last || build_plan(inv, NULL, &p, &rp, true, NULL) < 0)
        goto oom;
    for (size_t i = 0; i < nm; i++)
        last[i] = SIZE_MAX;
    for (size_t c = 0; c < nm; c++) {
        const struct plan_machine *pm = &p->machines[c];
        for (size_t j = 0; j < pm->njobs; j++) {
            long s = pm->jobs[j].server ? inventory_machine_index(inv, pm->jobs[j].server) : -1;
            if (s < 0 || (size_t)s == c || last[s] == c)
                continue; /* no server, itself, or an edge s -> c already made */
            last[s] = c;
            if (inv_grow(&g.out[s], &g.capout[s], g.nout[s], sizeof(**g.out)) < 0)
                goto oom;
            g.out[s][g.nout[s]++] = c;
        }
    }
    for (size_t i = 0; i < nm; i++)
        g.index[i] = -1;
    for (size_t i = 0; i < nm; i++)
        if (g.index[i] < 0)
            strongconnect(&g, i);
    /* order the components: Kahn on the condensation, smallest machine index first */
    size_t nc = g.ncomp ? g.ncomp : 1;
    cindeg = calloc(nc, sizeof(*cindeg));
    cmin = malloc(nc * sizeof(*cmin));
    cstart = calloc(nc + 1, sizeof(*cstart));
    members = malloc(alloc * sizeof(*members));
    heap.v = malloc(nc * sizeof(*heap.v));
    heap.key = cmin;
    if (!cindeg || !cmin || !cstart || !members || !heap.v)
        goto oom;
    for (size_t c = 0; c < g.ncomp; c++)
        cmin[c] = nm;
    for (size_t v = 0; v < nm; v++) {
        if (v < cmin[g.comp[v]])
            cmin[g.comp[v]] = v;
        cstart[g.comp[v] + 1]++;
        for (size_t k = 0; k < g.nout[v]; k++)
            if (g.comp[g.out[v][k]] != g.comp[v])
                cindeg[g.comp[g.out[v][k]]]++;
    }
    /* each component's machines, in machine order (a counting sort) */
    for (size_t c = 0; c < g.ncomp; c++)
        cstart[c + 1] += cstart[c];
    for (size_t v = 0; v < nm; v++)
        members[cstart[g.comp[v]]++] = v;
    for (size_t c = g.ncomp; c > 0; c--)
        cstart[c] = cstart[c - 1];
    cstart[0] = 0;
    for (size_t c = 0; c < g.ncomp; c++)
        if (!cindeg[c])
            heap_push(&heap, c);
    size_t k = 0;
    while (heap.n) {
        size_t pick = heap_pop(&heap);
        size_t nmem = cstart[pick + 1] - cstart[pick];
        struct buf names = {0};
        for (size_t i = cstart[pick]; i < cstart[pick + 1]; i++) {
            size_t v = members[i];
            res[k++] = v;
            if (i - cstart[pick] < 10)
                buf_printf(&names, "%s%s", i > cstart[pick] ? ", " : "", md->machines[v].name);
            for (size_t e = 0; e < g.nout[v]; e++) {
                size_t w = g.comp[g.out[v][e]];
                if (w != pick && --cindeg[w] == 0)
                    heap_push(&heap, w);
            }
        }
        if (nmem > 1) {
            if (nmem > 10)
                buf_printf(&names, " and %zu more", nmem - 10);
            diag_list_add(diags, DIAG_ERROR, inv->name, md->machines[cmin[pick]].loc.line,
                          md->machines[cmin[pick]].loc.col,
                          "install order: %s need each other's host keys (each is, directly "
                          "or through others, a backup server of another that has jobs to "
                          "it); install one, then re-generate the vars of the others",
                          names.p ? names.p : "");
        }
        buf_free(&names);
    }
    graph_free(&g);
    plan_free(p);
    free(cindeg);
    free(cmin);
    free(cstart);
    free(members);
    free(heap.v);
    free(last);
    *order = res;
    *n = nm;
    return 0;
oom:
    graph_free(&g);
    plan_free(p);
    free(res);
    free(cindeg);
    free(cmin);
    free(cstart);
    free(members);
    free(heap.v);
    free(last);
    return -ENOMEM;
}
