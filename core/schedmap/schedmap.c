/* The fleet schedule map: starts per server and week, collisions, a staggered proposal. */
#include "core/schedmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USEC_HOUR (3600ULL * CALENDAR_USEC_PER_SEC)
#define USEC_DAY (24ULL * USEC_HOUR)
#define USEC_WEEK (SCHEDMAP_DAYS * USEC_DAY)

static void job_clear(struct schedmap_job *j)
{
    free(j->client);
    free(j->unit);
    free(j->start_at);
    free(j->starts);
    free(j->error);
}

static void group_clear(struct schedmap_group *g)
{
    for (size_t i = 0; i < g->njobs; i++)
        job_clear(&g->jobs[i]);
    free(g->jobs);
    for (size_t i = 0; i < g->ncollisions; i++)
        free(g->collisions[i].jobs);
    free(g->collisions);
    free(g->name);
}

void schedmap_free(struct schedmap *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->ngroups; i++)
        group_clear(&m->groups[i]);
    free(m->groups);
    free(m);
}

/* The host of an explicit repository: "user@host" of "user@host:path" or of
 * "ssh://user@host[:port]/path"; "local" for a path. */
static char *repo_host(const char *repo)
{
    if (!repo || !*repo)
        return strdup("(no repository)");
    if (!strncmp(repo, "ssh://", 6)) {
        const char *h = repo + 6;
        return strndup(h, strcspn(h, "/"));
    }
    if (repo[0] == '/' || repo[0] == '.' || !strchr(repo, ':'))
        return strdup("local");
    return strndup(repo, strcspn(repo, ":"));
}

static struct schedmap_group *group_get(struct schedmap *m, const char *name, bool server)
{
    for (size_t i = 0; i < m->ngroups; i++)
        if (m->groups[i].server == server && !strcmp(m->groups[i].name, name))
            return &m->groups[i];
    struct schedmap_group *v = realloc(m->groups, (m->ngroups + 1) * sizeof(*v));
    if (!v)
        return NULL;
    m->groups = v;
    struct schedmap_group *g = &v[m->ngroups];
    memset(g, 0, sizeof(*g));
    if (!(g->name = strdup(name)))
        return NULL;
    g->server = server;
    m->ngroups++;
    return g;
}

/* The starts of expr in [ws, ws + week); error text (caller frees) when it cannot be read. */
static int starts_of(struct calendar_ctx *ctx, const char *expr, uint64_t ws, uint64_t **out,
                     size_t *n, bool *frequent, char **error)
{
    *out = NULL;
    *n = 0;
    *frequent = false;
    *error = NULL;
    struct calendar_spec *spec = NULL;
    struct diag d = {0};
    if (calendar_parse(ctx, expr ? expr : "", &spec, &d) < 0) {
        if (asprintf(error, "startAt '%s': %s", expr ? expr : "", d.msg ? d.msg : "invalid") < 0)
            *error = NULL;
        diag_clear(&d);
        return *error ? 0 : -ENOMEM;
    }
    size_t cap = 16;
    uint64_t *v = malloc(cap * sizeof(*v)), base = ws - 1, t;
    if (!v) {
        calendar_spec_free(spec);
        return -ENOMEM;
    }
    while (calendar_next(ctx, spec, base, &t) == 0 && t < ws + USEC_WEEK) {
        if (*n == SCHEDMAP_MAX_STARTS) {
            *frequent = true;
            break;
        }
        if (*n == cap) {
            uint64_t *nv = realloc(v, (cap *= 2) * sizeof(*v));
            if (!nv) {
                free(v);
                calendar_spec_free(spec);
                return -ENOMEM;
            }
            v = nv;
        }
        v[(*n)++] = t;
        base = t;
    }
    calendar_spec_free(spec);
    *out = v;
    return 0;
}

struct start_ref {
    uint64_t t;
    size_t job;
};

static int cmp_ref(const void *a, const void *b)
{
    const struct start_ref *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->job < y->job ? -1 : x->job > y->job;
}

/* Cells and collisions of one group from its jobs' starts. */
static int group_analyse(struct schedmap *m, struct schedmap_group *g)
{
    size_t total = 0;
    for (size_t i = 0; i < g->njobs; i++)
        total += g->jobs[i].nstarts;
    struct start_ref *all = malloc((total ? total : 1) * sizeof(*all));
    if (!all)
        return -ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < g->njobs; i++)
        for (size_t s = 0; s < g->jobs[i].nstarts; s++) {
            uint64_t t = g->jobs[i].starts[s];
            all[k++] = (struct start_ref){t, i};
            uint64_t off = t - m->week_start;
            g->cells[off / USEC_DAY][(off % USEC_DAY) / USEC_HOUR]++;
        }
    qsort(all, total, sizeof(*all), cmp_ref);
    for (size_t i = 0; i < total;) {
        size_t e = i + 1;
        while (e < total && all[e].t == all[i].t)
            e++;
        if (e - i >= 2) {
            struct schedmap_collision *v = realloc(g->collisions, (g->ncollisions + 1) * sizeof(*v));
            if (!v) {
                free(all);
                return -ENOMEM;
            }
            g->collisions = v;
            struct schedmap_collision *c = &v[g->ncollisions];
            c->when = all[i].t;
            c->njobs = e - i;
            if (!(c->jobs = malloc(c->njobs * sizeof(size_t)))) {
                free(all);
                return -ENOMEM;
            }
            for (size_t j = i; j < e; j++)
                c->jobs[j - i] = all[j].job;
            g->ncollisions++;
            uint64_t off = all[i].t - m->week_start;
            g->collide[off / USEC_DAY][(off % USEC_DAY) / USEC_HOUR] = true;
        }
        i = e;
    }
    m->ncollisions += g->ncollisions;
    free(all);
    return 0;
}

int schedmap_build(const struct plan *p, struct calendar_ctx *ctx, uint64_t from,
                   struct schedmap **out, struct diag *d)
{
    uint64_t ws;
    if (calendar_parse_timestamp(ctx, "today", from, &ws) < 0)
        return diag_errno(d, -EINVAL, NULL, "cannot find the midnight before the given time");
    struct schedmap *m = calloc(1, sizeof(*m));
    if (!m)
        return diag_errno(d, -ENOMEM, NULL, "out of memory");
    m->week_start = ws;
    int r = 0;
    for (size_t i = 0; i < p->nmachines && r == 0; i++)
        if (p->machines[i].is_server && !group_get(m, p->machines[i].name, true))
            r = -ENOMEM;
    for (size_t i = 0; i < p->nmachines && r == 0; i++) {
        const struct plan_machine *pm = &p->machines[i];
        for (size_t k = 0; k < pm->njobs && r == 0; k++) {
            const struct plan_job *pj = &pm->jobs[k];
            struct schedmap_group *g;
            if (pj->server) {
                g = group_get(m, pj->server, true);
            } else {
                char *h = repo_host(pj->repo);
                g = h ? group_get(m, h, false) : NULL;
                free(h);
            }
            struct schedmap_job *v = g ? realloc(g->jobs, (g->njobs + 1) * sizeof(*v)) : NULL;
            if (!v) {
                r = -ENOMEM;
                break;
            }
            g->jobs = v;
            struct schedmap_job *j = &v[g->njobs++];
            memset(j, 0, sizeof(*j));
            j->client = strdup(pm->name);
            j->unit = strdup(pj->unit);
            j->start_at = strdup(pj->start_at ? pj->start_at : "");
            if (!j->client || !j->unit || !j->start_at) {
                r = -ENOMEM;
                break;
            }
            r = starts_of(ctx, pj->start_at, ws, &j->starts, &j->nstarts, &j->frequent, &j->error);
        }
    }
    for (size_t i = 0; i < m->ngroups && r == 0; i++)
        r = group_analyse(m, &m->groups[i]);
    if (r < 0) {
        schedmap_free(m);
        return diag_errno(d, r, NULL, "out of memory");
    }
    *out = m;
    return 0;
}

/* ---- the proposal ---- */

void schedmap_proposal_free(struct schedmap_proposal *pr)
{
    if (!pr)
        return;
    for (size_t i = 0; i < pr->nchanges; i++) {
        free(pr->changes[i].client);
        free(pr->changes[i].old_start_at);
        free(pr->changes[i].new_start_at);
    }
    free(pr->changes);
    diag_list_free(&pr->notes);
    *pr = (struct schedmap_proposal){0};
}

/* A normalized expression of the form "[WEEKDAYS ]*-*-* HH:MM:SS[ ZONE]": the offset of its
 * time word and the time of day in seconds; false for every other form. */
static bool fixed_time(const char *norm, size_t *time_off, unsigned *secs)
{
    const char *p = strstr(norm, "*-*-* ");
    if (!p || (p != norm && (p[-1] != ' ' || strchr(norm, ' ') != p - 1)))
        return false;
    const char *t = p + 6;
    unsigned h, mi, s;
    int used = 0;
    if (sscanf(t, "%2u:%2u:%2u%n", &h, &mi, &s, &used) != 3 || used != 8 || h > 23 || mi > 59 ||
        s > 59 || (t[8] && t[8] != ' '))
        return false;
    for (int i = 0; i < 8; i++)
        if (i != 2 && i != 5 && (t[i] < '0' || t[i] > '9'))
            return false;
    *time_off = (size_t)(t - norm);
    *secs = h * 3600 + mi * 60 + s;
    return true;
}

/* The working state: every job's current starts (jobs of all groups flattened), and for
 * each job its group and its client's number, so a client's jobs are found without
 * comparing names. */
struct work {
    const struct schedmap *m;
    uint64_t **starts;
    size_t *nstarts;
    size_t *base;      /* index of group g's first job */
    size_t *group;     /* per job: its group */
    size_t *client;    /* per job: its client's number */
    const char **names; /* per job: its client's name, for numbering */
    size_t total;
    size_t *by_client; /* jobs ordered by client */
    size_t *first;     /* per client number: its first entry in by_client (one past the end) */
    struct occ **occ;  /* per group: every start with its client, by time */
    size_t *nocc;
};

struct occ {
    uint64_t t;
    size_t client;
};

static int cmp_occ(const void *a, const void *b)
{
    const struct occ *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

/* The group's starts, sorted, for binary search. */
static int occ_build(struct work *w, size_t g)
{
    const struct schedmap_group *G = &w->m->groups[g];
    size_t n = 0;
    for (size_t j = 0; j < G->njobs; j++)
        n += w->nstarts[w->base[g] + j];
    struct occ *v = malloc((n ? n : 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t k = 0;
    for (size_t j = 0; j < G->njobs; j++) {
        size_t x = w->base[g] + j;
        for (size_t i = 0; i < w->nstarts[x]; i++)
            v[k++] = (struct occ){w->starts[x][i], w->client[x]};
    }
    qsort(v, n, sizeof(*v), cmp_occ);
    free(w->occ[g]);
    w->occ[g] = v;
    w->nocc[g] = n;
    return 0;
}

/* Client c's starts in group g become v (sorted): one merge, no sort. */
static int occ_replace(struct work *w, size_t g, size_t c, const uint64_t *v, size_t n)
{
    size_t old = 0;
    for (size_t i = 0; i < w->nocc[g]; i++)
        old += w->occ[g][i].client == c;
    size_t total = w->nocc[g] - old + n;
    struct occ *out = malloc((total ? total : 1) * sizeof(*out));
    if (!out)
        return -ENOMEM;
    size_t i = 0, k = 0, o = 0;
    while (i < w->nocc[g] || k < n) {
        if (i < w->nocc[g] && w->occ[g][i].client == c) {
            i++;
        } else if (k < n && (i >= w->nocc[g] || v[k] < w->occ[g][i].t)) {
            out[o++] = (struct occ){v[k++], c};
        } else {
            out[o++] = w->occ[g][i++];
        }
    }
    free(w->occ[g]);
    w->occ[g] = out;
    w->nocc[g] = o;
    return 0;
}

/* Does another client than c start at t in group g? */
static bool occ_other(const struct work *w, size_t g, uint64_t t, size_t c)
{
    const struct occ *v = w->occ[g];
    size_t lo = 0, hi = w->nocc[g];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < w->nocc[g] && v[lo].t == t; lo++)
        if (v[lo].client != c)
            return true;
    return false;
}

static size_t widx(const struct work *w, size_t g, size_t j)
{
    return w->base[g] + j;
}

static int cmp_name_ref(const void *a, const void *b)
{
    const char *const *x = *(const char *const *const *)a, *const *y = *(const char *const *const *)b;
    return strcmp(*x, *y);
}

/* Number the clients: jobs of one client get the same number. */
static int number_clients(struct work *w)
{
    const char ***v = malloc((w->total ? w->total : 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < w->total; i++)
        v[i] = &w->names[i];
    qsort(v, w->total, sizeof(*v), cmp_name_ref);
    size_t id = 0;
    for (size_t i = 0; i < w->total; i++) {
        if (i && strcmp(*v[i], *v[i - 1]))
            id++;
        w->client[v[i] - w->names] = id;
    }
    free(v);
    size_t nc = w->total ? id + 1 : 0;
    w->by_client = malloc((w->total ? w->total : 1) * sizeof(size_t));
    w->first = calloc(nc + 2, sizeof(size_t));
    if (!w->by_client || !w->first)
        return -ENOMEM;
    for (size_t x = 0; x < w->total; x++)
        w->first[w->client[x] + 1]++;
    for (size_t c = 0; c < nc; c++)
        w->first[c + 1] += w->first[c];
    size_t *fill = calloc(nc + 1, sizeof(size_t));
    if (!fill)
        return -ENOMEM;
    for (size_t x = 0; x < w->total; x++) {
        size_t c = w->client[x];
        w->by_client[w->first[c] + fill[c]++] = x;
    }
    free(fill);
    return 0;
}

static bool intersect(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, k = 0;
    while (i < na && k < nb) {
        if (a[i] == b[k])
            return true;
        if (a[i] < b[k])
            i++;
        else
            k++;
    }
    return false;
}

/* Do starts v of client c collide with another client's job in a group c is in? */
static bool client_collides(const struct work *w, size_t c, const uint64_t *v, size_t n)
{
    for (size_t k = w->first[c]; k < w->first[c + 1]; k++) {
        size_t g = w->group[w->by_client[k]];
        for (size_t i = 0; i < n; i++)
            if (occ_other(w, g, v[i], c))
                return true;
    }
    return false;
}

static void work_set_client(struct work *w, size_t c, const uint64_t *v, size_t n)
{
    for (size_t k = w->first[c]; k < w->first[c + 1]; k++) {
        size_t x = w->by_client[k];
        uint64_t *copy = malloc((n ? n : 1) * sizeof(*copy));
        if (!copy)
            continue;
        memcpy(copy, v, n * sizeof(*copy));
        free(w->starts[x]);
        w->starts[x] = copy;
        w->nstarts[x] = n;
    }
    for (size_t k = w->first[c]; k < w->first[c + 1]; k++)
        occ_replace(w, w->group[w->by_client[k]], c, v, n);
}

static int add_change(struct schedmap_proposal *pr, const char *client, const char *old,
                      const char *nw)
{
    for (size_t i = 0; i < pr->nchanges; i++) {
        if (!strcmp(pr->changes[i].client, client)) {
            char *c = strdup(nw);
            if (!c)
                return -ENOMEM;
            free(pr->changes[i].new_start_at);
            pr->changes[i].new_start_at = c;
            return 0;
        }
    }
    struct schedmap_change *v = realloc(pr->changes, (pr->nchanges + 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    pr->changes = v;
    v[pr->nchanges] = (struct schedmap_change){strdup(client), strdup(old), strdup(nw)};
    if (!v[pr->nchanges].client || !v[pr->nchanges].old_start_at || !v[pr->nchanges].new_start_at)
        return -ENOMEM;
    pr->nchanges++;
    return 0;
}

/* The client's current expression: the tentative one, else the plan's. */
static const char *client_expr(const struct work *w, const struct schedmap_proposal *pr,
                               const char *client, const char *plan_expr)
{
    (void)w;
    for (size_t i = 0; i < pr->nchanges; i++)
        if (!strcmp(pr->changes[i].client, client))
            return pr->changes[i].new_start_at;
    return plan_expr;
}

/* Move client to a free time of day; 1 moved, 0 not possible (note added), <0 error. */
static int move_client(struct work *w, struct calendar_ctx *ctx, const char *client, size_t cid,
                       const char *expr, unsigned step_min, struct schedmap_proposal *pr)
{
    struct calendar_spec *spec = NULL;
    struct diag d = {0};
    struct buf norm = {0};
    int r = 0;
    if (calendar_parse(ctx, expr, &spec, &d) < 0 || calendar_format(spec, &norm) < 0) {
        diag_list_add(&pr->notes, DIAG_NOTE, NULL, 0, 0,
                      "%s: startAt '%s' cannot be read, so it is not moved", client, expr);
        goto out;
    }
    size_t off;
    unsigned secs;
    if (!fixed_time(norm.p, &off, &secs)) {
        diag_list_add(&pr->notes, DIAG_NOTE, NULL, 0, 0,
                      "%s: startAt '%s' is not a fixed time of day, so it is not moved; "
                      "give it its own time by hand", client, expr);
        goto out;
    }
    /* first the step grid (30 min: 01:30, 02:00, ...), then any free minute */
    unsigned steps = step_min && step_min < 1440 ? 1440 / step_min : 1;
    for (unsigned k = 1; k < steps + 1440 && r == 0; k++) {
        unsigned delta = k < steps ? k * step_min * 60 : (k - steps + 1) * 60;
        if (k >= steps && (delta / 60) % (step_min ? step_min : 1) == 0 && step_min)
            continue; /* tried on the grid already */
        if (delta % 86400 == 0)
            continue;
        unsigned ns = (secs + delta) % 86400;
        char *cand = NULL;
        if (asprintf(&cand, "%.*s%02u:%02u:%02u%s", (int)off, norm.p, ns / 3600, ns / 60 % 60,
                     ns % 60, norm.p + off + 8) < 0)
            return -ENOMEM;
        uint64_t *v = NULL;
        size_t n = 0;
        bool freq;
        char *err = NULL;
        r = starts_of(ctx, cand, w->m->week_start, &v, &n, &freq, &err);
        if (r == 0 && !err && !client_collides(w, cid, v, n)) {
            work_set_client(w, cid, v, n);
            r = add_change(pr, client, expr, cand) < 0 ? -ENOMEM : 1;
        }
        free(err);
        free(v);
        free(cand);
    }
    if (r == 0)
        diag_list_add(&pr->notes, DIAG_NOTE, NULL, 0, 0,
                      "%s: no free time of day left on its servers", client);
out:
    buf_free(&norm);
    diag_clear(&d);
    calendar_spec_free(spec);
    return r;
}

/* The startAt the plan gives the client (its first job's). */
static const char *plan_start_at(const struct plan *p, const char *client)
{
    const struct plan_machine *pm = plan_find_machine(p, client);
    return pm && pm->njobs ? pm->jobs[0].start_at : NULL;
}

int schedmap_propose(const struct schedmap *m, const struct plan *p, struct calendar_ctx *ctx,
                     unsigned step_min, struct schedmap_proposal *out, struct diag *d)
{
    struct schedmap_proposal pr = {0};
    struct work w = {.m = m};
    size_t total = 0;
    w.base = calloc(m->ngroups + 1, sizeof(size_t));
    for (size_t g = 0; w.base && g < m->ngroups; g++) {
        w.base[g] = total;
        total += m->groups[g].njobs;
    }
    w.total = total;
    w.starts = calloc(total + 1, sizeof(*w.starts));
    w.nstarts = calloc(total + 1, sizeof(size_t));
    w.group = calloc(total + 1, sizeof(size_t));
    w.client = calloc(total + 1, sizeof(size_t));
    w.names = calloc(total + 1, sizeof(char *));
    int r = w.base && w.starts && w.nstarts && w.group && w.client && w.names ? 0 : -ENOMEM;
    for (size_t g = 0; g < m->ngroups && r == 0; g++)
        for (size_t j = 0; j < m->groups[g].njobs; j++) {
            w.group[widx(&w, g, j)] = g;
            w.names[widx(&w, g, j)] = m->groups[g].jobs[j].client;
        }
    if (r == 0)
        r = number_clients(&w);
    w.occ = calloc(m->ngroups + 1, sizeof(*w.occ));
    w.nocc = calloc(m->ngroups + 1, sizeof(size_t));
    if (r == 0 && (!w.occ || !w.nocc))
        r = -ENOMEM;
    for (size_t g = 0; g < m->ngroups && r == 0; g++)
        for (size_t j = 0; j < m->groups[g].njobs && r == 0; j++) {
            const struct schedmap_job *J = &m->groups[g].jobs[j];
            size_t x = widx(&w, g, j);
            w.starts[x] = malloc((J->nstarts ? J->nstarts : 1) * sizeof(uint64_t));
            if (!w.starts[x])
                r = -ENOMEM;
            else
                memcpy(w.starts[x], J->starts, J->nstarts * sizeof(uint64_t));
            w.nstarts[x] = J->nstarts;
        }
    for (size_t g = 0; g < m->ngroups && r == 0; g++)
        r = occ_build(&w, g);
    /* In each group, in job (inventory) order: a job whose start meets an earlier job of
     * another client moves its client. */
    for (size_t g = 0; g < m->ngroups && r >= 0; g++) {
        const struct schedmap_group *G = &m->groups[g];
        for (size_t j = 1; j < G->njobs && r >= 0; j++) {
            const char *client = G->jobs[j].client;
            size_t x = widx(&w, g, j);
            bool hit = false;
            for (size_t e = 0; e < j && !hit; e++) {
                size_t y = widx(&w, g, e);
                hit = w.client[y] != w.client[x] &&
                      intersect(w.starts[x], w.nstarts[x], w.starts[y], w.nstarts[y]);
            }
            if (!hit)
                continue;
            const char *pe = plan_start_at(p, client);
            const char *expr = client_expr(&w, &pr, client, pe ? pe : G->jobs[j].start_at);
            r = move_client(&w, ctx, client, w.client[x], expr, step_min, &pr);
        }
    }
    if (w.starts)
        for (size_t i = 0; i < total; i++)
            free(w.starts[i]);
    free(w.starts);
    free(w.nstarts);
    free(w.base);
    free(w.group);
    free(w.client);
    free(w.names);
    free(w.by_client);
    free(w.first);
    for (size_t g = 0; w.occ && g < m->ngroups; g++)
        free(w.occ[g]);
    free(w.occ);
    free(w.nocc);
    if (r < 0) {
        schedmap_proposal_free(&pr);
        return diag_errno(d, r, NULL, "out of memory");
    }
    /* the old expression of a client moved twice is its first one */
    *out = pr;
    return 0;
}

int schedmap_change_op(const struct inventory *inv, const struct schedmap_change *ch,
                       struct inv_op *op, struct diag *d)
{
    const struct inv_model *mo = inventory_model(inv);
    long mi = inventory_machine_index(inv, ch->client);
    for (size_t i = 0; mi >= 0 && i < mo->nmembers; i++) {
        const struct inv_member *mb = &mo->members[i];
        const struct inv_instance *in = &mo->instances[mb->instance];
        if (mb->machine != (size_t)mi || !in->module.s || strcmp(in->module.s, "borgbackup") ||
            strcmp(in->roles[mb->role].name, "client"))
            continue;
        *op = (struct inv_op){.kind = INV_OP_SETTING_SET, .key = "startAt",
                              .value = ch->new_start_at};
        op->scope = (struct inv_scope){in->name, "client", INV_LEVEL_MACHINE, ch->client};
        return 0;
    }
    return diag_errno(d, -ENOENT, NULL, "%s is no borgbackup client", ch->client);
}

/* ---- output ---- */

static void day_label(struct calendar_ctx *ctx, uint64_t t, char out[16])
{
    struct buf b = {0};
    if (calendar_format_timestamp(ctx, t, false, &b) == 0 && b.len >= 14)
        snprintf(out, 16, "%.14s", b.p);
    else
        snprintf(out, 16, "day");
    buf_free(&b);
}

static void put_time(struct buf *out, struct calendar_ctx *ctx, uint64_t t)
{
    struct buf b = {0};
    if (calendar_format_timestamp(ctx, t, false, &b) == 0)
        buf_append(out, b.p, b.len);
    buf_free(&b);
}

int schedmap_format_text(const struct schedmap *m, struct calendar_ctx *ctx, struct buf *out)
{
    for (size_t g = 0; g < m->ngroups; g++) {
        const struct schedmap_group *G = &m->groups[g];
        buf_printf(out, "%s%s: %zu job%s, %zu collision%s\n", G->name, G->server ? "" : " (explicit)",
                   G->njobs, G->njobs == 1 ? "" : "s", G->ncollisions, G->ncollisions == 1 ? "" : "s");
        buf_puts(out, "               ");
        for (int h = 0; h < SCHEDMAP_HOURS; h++)
            buf_printf(out, " %02d", h);
        buf_putc(out, '\n');
        for (int dd = 0; dd < SCHEDMAP_DAYS; dd++) {
            char lab[16];
            day_label(ctx, m->week_start + (uint64_t)dd * USEC_DAY, lab);
            buf_printf(out, "%-15s", lab);
            for (int h = 0; h < SCHEDMAP_HOURS; h++) {
                unsigned c = G->cells[dd][h];
                char cell[4] = "  .";
                if (c >= 10)
                    cell[2] = '+';
                else if (c)
                    cell[2] = (char)('0' + c);
                if (G->collide[dd][h])
                    cell[1] = '!';
                buf_puts(out, cell);
            }
            buf_putc(out, '\n');
        }
        for (size_t c = 0; c < G->ncollisions; c++) {
            buf_puts(out, "  collision ");
            put_time(out, ctx, G->collisions[c].when);
            buf_puts(out, ":");
            for (size_t k = 0; k < G->collisions[c].njobs; k++) {
                const struct schedmap_job *J = &G->jobs[G->collisions[c].jobs[k]];
                buf_printf(out, " %s (%s)", J->client, J->start_at);
            }
            buf_putc(out, '\n');
        }
        for (size_t j = 0; j < G->njobs; j++) {
            if (G->jobs[j].error)
                buf_printf(out, "  %s: %s\n", G->jobs[j].client, G->jobs[j].error);
            else if (G->jobs[j].frequent)
                buf_printf(out, "  %s: starts more than %d times a week; only the first are shown\n",
                           G->jobs[j].client, SCHEDMAP_MAX_STARTS);
        }
        buf_putc(out, '\n');
    }
    buf_printf(out, "%zu collision%s\n", m->ncollisions, m->ncollisions == 1 ? "" : "s");
    return out->p || !out->len ? 0 : -ENOMEM;
}

int schedmap_format_json(const struct schedmap *m, const struct schedmap_proposal *pr,
                         struct calendar_ctx *ctx, struct buf *out)
{
    buf_puts(out, "{\"week_start\": \"");
    put_time(out, ctx, m->week_start);
    buf_printf(out, "\", \"collisions\": %zu, \"groups\": [", m->ncollisions);
    for (size_t g = 0; g < m->ngroups; g++) {
        const struct schedmap_group *G = &m->groups[g];
        buf_puts(out, g ? ", {\"name\": " : "{\"name\": ");
        json_put_string(out, G->name);
        buf_printf(out, ", \"server\": %s, \"jobs\": [", G->server ? "true" : "false");
        for (size_t j = 0; j < G->njobs; j++) {
            const struct schedmap_job *J = &G->jobs[j];
            buf_puts(out, j ? ", {\"client\": " : "{\"client\": ");
            json_put_string(out, J->client);
            buf_puts(out, ", \"unit\": ");
            json_put_string(out, J->unit);
            buf_puts(out, ", \"startAt\": ");
            json_put_string(out, J->start_at);
            buf_printf(out, ", \"starts\": %zu%s", J->nstarts, J->frequent ? ", \"frequent\": true" : "");
            if (J->error) {
                buf_puts(out, ", \"error\": ");
                json_put_string(out, J->error);
            }
            buf_putc(out, '}');
        }
        buf_puts(out, "], \"collisions\": [");
        for (size_t c = 0; c < G->ncollisions; c++) {
            buf_puts(out, c ? ", {\"time\": \"" : "{\"time\": \"");
            put_time(out, ctx, G->collisions[c].when);
            buf_puts(out, "\", \"clients\": [");
            for (size_t k = 0; k < G->collisions[c].njobs; k++) {
                if (k)
                    buf_puts(out, ", ");
                json_put_string(out, G->jobs[G->collisions[c].jobs[k]].client);
            }
            buf_puts(out, "]}");
        }
        buf_puts(out, "]}");
    }
    buf_puts(out, "]");
    if (pr) {
        buf_puts(out, ", \"proposal\": [");
        for (size_t i = 0; i < pr->nchanges; i++) {
            buf_puts(out, i ? ", {\"client\": " : "{\"client\": ");
            json_put_string(out, pr->changes[i].client);
            buf_puts(out, ", \"from\": ");
            json_put_string(out, pr->changes[i].old_start_at);
            buf_puts(out, ", \"to\": ");
            json_put_string(out, pr->changes[i].new_start_at);
            buf_putc(out, '}');
        }
        buf_puts(out, "], \"notes\": [");
        for (size_t i = 0; i < pr->notes.n; i++) {
            if (i)
                buf_puts(out, ", ");
            json_put_string(out, pr->notes.v[i].msg ? pr->notes.v[i].msg : "");
        }
        buf_puts(out, "]");
    }
    buf_puts(out, "}\n");
    return out->p ? 0 : -ENOMEM;
}
