/* Incremental model updates. A local edit (core/nix nix_file_patch_local) rebuilds one
 * logical value of the tree in place; here the model follows: every position after the edit
 * moves, and only the inventory machine or the instance the value lies in is read again,
 * with the memberships, merged settings and checks that depend on it. Anything else (an
 * edit of the top-level shape, of meta, of machines.<m>, a new machine) reads the whole
 * model again. */
#include "core/inventory/internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool touched(const struct nix_value *x, const struct nix_change *c);

/* ---- moving positions ---- */

/* A line/col known to be at or after the change's old end. */
static void move_lc_after(const struct nix_change *c, unsigned *line, unsigned *col)
{
    if (*line == c->old_line) {
        *col = *col - c->old_col + c->new_col;
        *line = c->new_line;
    } else {
        *line = *line - c->old_line + c->new_line;
    }
}

/* A line/col of a diagnostic (no offset): moved when at or after the old end. */
static void move_lc(const struct nix_change *c, unsigned *line, unsigned *col)
{
    if (*line > c->old_line || (*line == c->old_line && *col >= c->old_col))
        move_lc_after(c, line, col);
}

static size_t move_off(const struct nix_change *c, size_t off)
{
    return off >= c->old_end ? off - c->old_end + c->new_end : off;
}

/* The edit: its change, in file `file` of the clan (0: the main file). */
struct moving {
    const struct nix_change *c;
    unsigned file;
};

static void move_loc(const struct moving *mv, struct inv_loc *l)
{
    const struct nix_change *c = mv->c;
    if (l->file != mv->file || (!l->line && !l->start && !l->end))
        return; /* in another file of the clan, or not written in a file */
    if (l->start >= c->old_end)
        move_lc_after(c, &l->line, &l->col);
    l->start = move_off(c, l->start);
    /* an end right at an insertion point belongs to what comes before it */
    if (!(c->start == c->old_end && l->end == c->old_end))
        l->end = move_off(c, l->end);
}

static void move_eff(const struct moving *c, struct inv_eff *e)
{
    for (size_t i = 0; i < e->ndefs; i++)
        move_loc(c, &e->defs[i].loc);
    for (size_t i = 0; i < e->nchildren; i++)
        move_eff(c, &e->children[i]);
}

/* Is the diagnostic about the file the edit changed? */
static bool diag_in(const struct inventory *inv, unsigned file, const struct diag *g)
{
    if (!inv->clan)
        return true;
    if (!g->file)
        return !file;
    return !strcmp(g->file, inventory_file_name(inv, file));
}

static void move_model(struct inventory *inv, unsigned file, const struct nix_change *ch)
{
    const struct moving mv = {ch, file}, *c = &mv;
    struct inv_model *md = &inv->model;
    move_loc(c, &md->meta.name.loc);
    move_loc(c, &md->meta.domain.loc);
    for (size_t i = 0; i < md->nmachines; i++) {
        struct inv_machine *m = &md->machines[i];
        move_loc(c, &m->loc);
        move_loc(c, &m->target_host.loc);
        move_loc(c, &m->tags_loc);
        for (size_t t = 0; t < m->ntags; t++)
            move_loc(c, &m->tags[t].loc);
        for (size_t s = 0; s < m->nstates; s++) {
            struct inv_state *st = &m->states[s];
            move_loc(c, &st->loc);
            move_loc(c, &st->folders_text.loc);
            for (size_t f = 0; f < st->nfolders; f++)
                move_loc(c, &st->folders[f].loc);
            for (int h = 0; h < INV_NHOOKS; h++)
                move_loc(c, &st->hooks[h].loc);
        }
    }
    for (size_t i = 0; i < md->ninstances; i++) {
        struct inv_instance *in = &md->instances[i];
        move_loc(c, &in->loc);
        move_loc(c, &in->module.loc);
        for (size_t j = 0; j < in->nroles; j++) {
            struct inv_role *r = &in->roles[j];
            move_loc(c, &r->loc);
            move_loc(c, &r->settings_loc);
            for (size_t k = 0; k < r->nmachines; k++)
                move_loc(c, &r->machines[k].loc);
            for (size_t k = 0; k < r->ntags; k++)
                move_loc(c, &r->tags[k].loc);
        }
    }
    for (size_t k = 0; k < md->nmembers; k++)
        move_eff(c, &md->members[k].settings);
    for (size_t k = 0; k < inv->diags.n; k++)
        if (diag_in(inv, file, &inv->diags.v[k]))
            move_lc(ch, &inv->diags.v[k].line, &inv->diags.v[k].col);
    /* what lib.mkForce & co. wrap, read before: moved; a value the edit touched (it keeps
     * its address, not its contents) is read again */
    struct inv_unwrap_cache *uc = &inv->unwrap;
    if (inv->clan && uc->v) {
        /* entries of several files, their offsets in each: start again (a cache) */
        memset(uc->v, 0, uc->cap * sizeof(*uc->v));
        uc->n = 0;
    }
    size_t live = 0;
    for (size_t k = 0; k < uc->cap; k++) {
        struct inv_unwrap *e = &uc->v[k];
        if (!e->key)
            continue;
        if (touched(e->key, ch))
            e->key = NULL;
        else
            live++;
        e->inner_start = move_off(ch, e->inner_start);
    }
    if (live != uc->n) {
        /* open addressing: put the survivors back where a lookup finds them */
        struct inv_unwrap *old = uc->v;
        size_t cap = uc->cap;
        uc->v = calloc(cap, sizeof(*uc->v));
        uc->n = 0;
        if (!uc->v) {
            uc->cap = 0;
        } else {
            for (size_t k = 0; k < cap; k++) {
                if (!old[k].key)
                    continue;
                size_t h = inv_unwrap_hash(old[k].key);
                size_t j = h & (cap - 1);
                while (uc->v[j].key)
                    j = (j + 1) & (cap - 1);
                uc->v[j] = old[k];
                uc->n++;
            }
        }
        free(old);
    }
    /* snippets read out of the file sit at delta + 6 ("{ v = "); built-in ones at 0 */
    for (size_t k = 0; k < inv->nsnippets; k++)
        if (inv->snippet_delta[k] > 0 && (inv->snippet_file ? inv->snippet_file[k] : 0) == file)
            inv->snippet_delta[k] =
                (long)move_off(ch, (size_t)inv->snippet_delta[k] + 6) - 6;
}

/* ---- diagnostics ---- */

/* What an update re-checks. */
struct dirty {
    long machine_inv, instance; /* -1: none */
    bool role_machines;      /* every instance's check of the machines its roles name */
    char *conflict_machine;  /* by machine: its members' conflicts */
    char *gone;              /* by machine: removed from the inventory */
    char *plan;              /* by machine: its plan checks */
};

static bool dirty_owner(const struct dirty *d, const struct inv_owner *o)
{
    switch (o->kind) {
    case INV_OWN_MACHINE_INV:
        return (long)o->a == d->machine_inv || d->gone[o->a];
    case INV_OWN_MACHINE_CFG:
        return d->gone[o->a];
    case INV_OWN_INSTANCE:
    case INV_OWN_ROLE_MACHINES:
        return (long)o->a == d->instance ||
               (o->kind == INV_OWN_ROLE_MACHINES && d->role_machines);
    case INV_OWN_TAGSEL:
        return true;
    case INV_OWN_CONFLICT:
        return (long)o->a == d->instance || d->conflict_machine[o->b] || d->gone[o->b];
    case INV_OWN_PLAN:
        return d->plan[o->a] || d->gone[o->a];
    default:
        return false;
    }
}

/* Drop the diagnostics among the first nold (those from before the update) that belong to
 * what was re-checked; the ones the update made are kept. */
static void drop_diags(struct inventory *inv, const struct dirty *d, size_t nold)
{
    size_t w = 0;
    for (size_t k = 0; k < inv->diags.n; k++) {
        if (k < nold && dirty_owner(d, &inv->owners[k])) {
            diag_clear(&inv->diags.v[k]);
            continue;
        }
        inv->diags.v[w] = inv->diags.v[k];
        inv->owners[w] = inv->owners[k];
        w++;
    }
    inv->diags.n = inv->nowned = w;
    inv_diag_reseed(inv);
}

/* ---- conflicts: an edit may not bring a new one ---- */

static void conflict_paths(const struct inv_eff *e, const char *prefix, struct buf *out)
{
    for (size_t i = 0; i < e->nchildren; i++) {
        if (!inv_eff_has_conflict(&e->children[i]))
            continue;
        struct buf sub = {0};
        buf_printf(&sub, "%s.%s", prefix, e->children[i].name);
        conflict_paths(&e->children[i], sub.p ? sub.p : "", out);
        buf_free(&sub);
    }
    if (e->conflict)
        buf_printf(out, "%s\n", prefix);
}

void inv_member_conflicts(const struct inventory *inv, const struct inv_member *mb,
                          struct buf *out)
{
    if (!inv_eff_has_conflict(&mb->settings))
        return;
    const struct inv_model *md = &inv->model;
    struct buf pre = {0};
    buf_printf(&pre, "%s\x1f%s\x1f%s\x1fsettings", md->instances[mb->instance].name,
               md->instances[mb->instance].roles[mb->role].name, md->machines[mb->machine].name);
    struct buf paths = {0};
    conflict_paths(&mb->settings, pre.p ? pre.p : "", &paths);
    if (paths.p)
        buf_puts(out, paths.p);
    buf_free(&paths);
    buf_free(&pre);
}

const char *inv_conflict_first_new(const struct buf *before, const struct buf *now,
                                   size_t *len)
{
    for (const char *p = now->p; p && *p;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        for (const char *q = before->p; q && *q && !found;) {
            const char *qe = strchr(q, '\n');
            size_t qn = qe ? (size_t)(qe - q) : strlen(q);
            found = qn == n && !memcmp(q, p, n);
            q = qe ? qe + 1 : NULL;
        }
        if (!found) {
            *len = n;
            return p;
        }
        p = e ? e + 1 : NULL;
    }
    return NULL;
}

static bool has_new_conflict(const struct buf *before, const struct buf *now)
{
    size_t n;
    return inv_conflict_first_new(before, now, &n) != NULL;
}

/* ---- members ---- */

/* Index of the first member at or after (i, j, m) in the sorted member array. */
static size_t member_lower(const struct inv_model *md, size_t i, size_t j, size_t m)
{
    size_t lo = 0, hi = md->nmembers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct inv_member *x = &md->members[mid];
        bool less = x->instance != i ? x->instance < i
                    : x->role != j  ? x->role < j
                                    : x->machine < m;
        if (less)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Does the member of machine m in role r stay as it is? */
static bool same_membership(const struct inv_member *old, const struct inv_machine *m,
                            const struct inv_role *r)
{
    bool direct = false;
    for (size_t k = 0; k < r->nmachines && !direct; k++)
        direct = !strcmp(r->machines[k].name, m->name);
    if (!old)
        return false;
    if (direct != old->direct)
        return false;
    size_t n = 0;
    for (size_t k = 0; k < r->ntags; k++) {
        if (!inv_machine_has_tag(m, r->tags[k].name))
            continue;
        if (n >= old->nvia_tags || strcmp(old->via_tags[n], r->tags[k].name))
            return false;
        n++;
    }
    return n == old->nvia_tags;
}

static bool is_member_now(const struct inv_machine *m, const struct inv_role *r)
{
    for (size_t k = 0; k < r->nmachines; k++)
        if (!strcmp(r->machines[k].name, m->name))
            return true;
    for (size_t k = 0; k < r->ntags; k++)
        if (inv_machine_has_tag(m, r->tags[k].name))
            return true;
    return false;
}

/* The server role of a borgbackup instance: its members are every client's destinations. */
static bool is_backup_server(const struct inv_instance *in, const struct inv_role *r)
{
    return inv_is_borgbackup(in) && r->name && !strcmp(r->name, "server");
}

static void mark_instance_members(const struct inv_model *md, size_t i, char *plan)
{
    size_t lo = member_lower(md, i, 0, 0), hi = member_lower(md, i + 1, 0, 0);
    for (size_t k = lo; k < hi; k++)
        plan[md->members[k].machine] = 1;
}

/* inventory.machines.<m> changed: its tags may select other roles now. */
static int update_machine_inv(struct inventory *inv, size_t mi, const struct nix_value *node,
                              struct dirty *d, struct buf *cbefore, struct buf *cnow)
{
    struct inv_model *md = &inv->model;
    struct inv_machine *m = &md->machines[mi];
    /* which role tags select it now, before it is read again */
    size_t ntags = 0;
    for (size_t i = 0; i < md->ninstances; i++)
        for (size_t j = 0; j < md->instances[i].nroles; j++)
            ntags += md->instances[i].roles[j].ntags;
    char *had = calloc(ntags ? ntags : 1, 1);
    if (!had)
        return -ENOMEM;
    size_t t = 0;
    for (size_t i = 0; i < md->ninstances; i++)
        for (size_t j = 0; j < md->instances[i].nroles; j++) {
            const struct inv_role *r = &md->instances[i].roles[j];
            for (size_t k = 0; k < r->ntags; k++)
                had[t++] = inv_machine_has_tag(m, r->tags[k].name);
        }
    d->machine_inv = (long)mi;
    d->plan[mi] = 1;
    char *name = m->name; /* the machine index holds this very string */
    m->name = NULL;
    inv_free_machine_inv(m);
    inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_INV, (uint32_t)mi, 0};
    inv_read_machine(inv, m, node);
    free(m->name);
    m->name = name;
    if (inv->clan && !m->target_host.s && m->nixos_target_host.s) {
        /* as the clan's reader does: deploy falls back to clan.core.networking.targetHost */
        m->target_host = m->nixos_target_host;
        m->target_host.s = inv_strdup(m->nixos_target_host.s);
    }

    t = 0;
    int rc = 0;
    for (size_t i = 0; i < md->ninstances && rc >= 0; i++) {
        struct inv_instance *in = &md->instances[i];
        for (size_t j = 0; j < in->nroles && rc >= 0; j++) {
            struct inv_role *r = &in->roles[j];
            for (size_t k = 0; k < r->ntags; k++) {
                bool has = inv_machine_has_tag(m, r->tags[k].name);
                r->tags[k].nselected = r->tags[k].nselected - (size_t)had[t++] + has;
            }
            size_t pos = member_lower(md, i, j, mi);
            struct inv_member *old = pos < md->nmembers && md->members[pos].instance == i &&
                                             md->members[pos].role == j &&
                                             md->members[pos].machine == mi
                                         ? &md->members[pos]
                                         : NULL;
            bool now = is_member_now(m, r);
            if ((!old && !now) || (old && now && same_membership(old, m, r)))
                continue;
            /* the membership changed: a server's change reaches every client */
            if (is_backup_server(in, r))
                mark_instance_members(md, i, d->plan);
            d->plan[mi] = 1;
            d->conflict_machine[mi] = 1;
            if (old) {
                inv_member_conflicts(inv, old, cbefore);
                inv_free_member(old);
                memmove(old, old + 1, (md->nmembers - pos - 1) * sizeof(*old));
                md->nmembers--;
            }
            if (now) {
                struct inv_member *nm = realloc(md->members, (md->nmembers + 1) * sizeof(*nm));
                if (!nm) {
                    rc = -ENOMEM;
                    break;
                }
                md->members = nm;
                memmove(nm + pos + 1, nm + pos, (md->nmembers - pos) * sizeof(*nm));
                md->nmembers++;
                rc = inv_member_make(inv, i, j, mi, &nm[pos]);
                if (rc == 0) { /* cannot happen: is_member_now said so */
                    memmove(nm + pos, nm + pos + 1, (md->nmembers - pos - 1) * sizeof(*nm));
                    md->nmembers--;
                } else if (rc > 0) {
                    if (is_backup_server(in, r))
                        mark_instance_members(md, i, d->plan);
                    inv_member_conflicts(inv, &nm[pos], cnow);
                }
            }
        }
    }
    free(had);
    if (rc < 0)
        return rc;
    if (d->conflict_machine[mi])
        for (size_t k = 0; k < md->nmembers; k++)
            if (md->members[k].machine == mi)
                inv_check_member_conflicts(inv, &md->members[k]);
    return 0;
}

/* Did the edit change x's contents: x is the changed value, one of its parents, or (unless
 * only whole attributes were added or removed, which gives the new ones new addresses)
 * below it? */
static bool touched(const struct nix_value *x, const struct nix_change *c)
{
    if (!x)
        return false;
    if (x == c->changed)
        return true;
    for (const struct nix_value *p = c->changed->parent; p; p = p->parent)
        if (p == x)
            return true;
    if (c->attrs_only)
        return false;
    for (const struct nix_value *p = x->parent; p; p = p->parent)
        if (p == c->changed)
            return true;
    return false;
}

/* The values a member's settings are merged from: role-wide, each selecting tag's, its
 * own entry's. */
struct inputs {
    const struct nix_value *v[66];
    size_t n;
};

static void member_inputs(const struct inv_role *r, const struct inv_role_entry *direct,
                          const char *const *via, size_t nvia, struct inputs *in)
{
    in->n = 0;
    in->v[in->n++] = r->settings;
    for (size_t t = 0; t < nvia && in->n < 65; t++) {
        const struct nix_value *s = NULL;
        for (size_t k = 0; k < r->ntags; k++)
            if (!strcmp(r->tags[k].name, via[t])) {
                s = r->tags[k].settings;
                break;
            }
        in->v[in->n++] = s;
    }
    in->v[in->n++] = direct ? direct->settings : NULL;
}

static const struct inv_role_entry *entry_named(const struct inv_role *r, const char *name)
{
    for (size_t k = 0; k < r->nmachines; k++)
        if (!strcmp(r->machines[k].name, name))
            return &r->machines[k];
    return NULL;
}

/* inventory.instances.<i> changed: its roles are read again; a member keeps its merged
 * settings when it is selected the same way and none of the values they are merged from
 * changed; the others are resolved again. */
static int update_instance(struct inventory *inv, size_t ii, const struct nix_value *node,
                           const struct nix_change *changed, struct dirty *d,
                           struct buf *cbefore, struct buf *cnow)
{
    struct inv_model *md = &inv->model;
    size_t lo = member_lower(md, ii, 0, 0), hi = member_lower(md, ii + 1, 0, 0);
    size_t nold = hi - lo;
    d->instance = (long)ii;
    for (size_t k = lo; k < hi; k++)
        inv_member_conflicts(inv, &md->members[k], cbefore);
    struct inv_member *oldv = malloc((nold ? nold : 1) * sizeof(*oldv));
    char *kept = calloc(nold ? nold : 1, 1);
    const struct inv_role_entry **dentry =
        calloc(md->nmachines ? md->nmachines : 1, sizeof(*dentry));
    if (!oldv || !kept || !dentry) {
        free(oldv);
        free(kept);
        free(dentry);
        return -ENOMEM;
    }
    /* the old members leave the array (oldv owns them now) */
    if (nold) /* (an instance of no member in a model of none: members is NULL) */
        memcpy(oldv, md->members + lo, nold * sizeof(*oldv));
    if (md->nmembers > hi)
        memmove(md->members + lo, md->members + hi, (md->nmembers - hi) * sizeof(*md->members));
    md->nmembers -= nold;

    struct inv_instance old = md->instances[ii];
    struct inv_instance *in = &md->instances[ii];
    memset(in, 0, sizeof(*in));
    inv->cur_owner = (struct inv_owner){INV_OWN_INSTANCE, (uint32_t)ii, 0};
    inv_read_instance(inv, in, node);
    free(in->name);
    in->name = old.name; /* the instance index holds this very string */
    old.name = NULL;
    inv_check_instance_roles(inv, ii);
    bool all = (!in->module.s) != (!old.module.s) || in->module.opaque != old.module.opaque ||
               (in->module.s && strcmp(in->module.s, old.module.s));

    struct inv_member *nv = NULL;
    size_t nn = 0, cap = 0;
    int rc = 0;
    for (size_t j = 0; j < in->nroles && rc >= 0; j++) {
        struct inv_role *r = &in->roles[j];
        const struct inv_role *orole = NULL;
        for (size_t oj = 0; oj < old.nroles && !orole; oj++)
            if (old.roles[oj].name && r->name && !strcmp(old.roles[oj].name, r->name))
                orole = &old.roles[oj];
        memset(dentry, 0, md->nmachines * sizeof(*dentry));
        for (size_t k = 0; k < r->nmachines; k++) {
            long mi = inv_index_get(&inv->machine_ix, r->machines[k].name);
            if (mi >= 0 && !dentry[mi])
                dentry[mi] = &r->machines[k];
        }
        for (size_t k = 0; k < r->ntags; k++)
            r->tags[k].nselected = 0;
        size_t ok = 0; /* old members of the role, walked along in machine order */
        size_t oj = orole ? (size_t)(orole - old.roles) : 0;
        for (size_t mi = 0; mi < md->nmachines && rc >= 0; mi++) {
            const struct inv_machine *m = &md->machines[mi];
            const char *via[64];
            size_t nvia = 0;
            for (size_t k = 0; k < r->ntags; k++)
                if (inv_machine_has_tag(m, r->tags[k].name)) {
                    r->tags[k].nselected++;
                    if (nvia < 64)
                        via[nvia++] = r->tags[k].name;
                }
            if (!dentry[mi] && !nvia)
                continue;
            struct inv_member *om = NULL;
            size_t oi = 0;
            if (orole) {
                while (ok < nold && (oldv[ok].role < oj ||
                                     (oldv[ok].role == oj && oldv[ok].machine < mi)))
                    ok++;
                if (ok < nold && oldv[ok].role == oj && oldv[ok].machine == mi) {
                    om = &oldv[ok];
                    oi = ok;
                }
            }
            bool reuse = om && !all && om->direct == (dentry[mi] != NULL) &&
                         om->nvia_tags == nvia;
            for (size_t t = 0; reuse && t < nvia; t++)
                reuse = !strcmp(om->via_tags[t], via[t]);
            if (reuse) {
                struct inputs a, b;
                member_inputs(orole, entry_named(orole, m->name),
                              (const char *const *)om->via_tags, om->nvia_tags, &a);
                member_inputs(r, dentry[mi], via, nvia, &b);
                reuse = a.n == b.n;
                for (size_t t = 0; t < a.n && reuse; t++)
                    reuse = a.v[t] == b.v[t] && !touched(a.v[t], changed);
            }
            if (inv_grow(&nv, &cap, nn, sizeof(*nv)) < 0) {
                rc = -ENOMEM;
                break;
            }
            if (reuse) {
                nv[nn] = *om;
                nv[nn++].role = j;
                kept[oi] = 1;
                continue;
            }
            rc = inv_member_fill(inv, ii, j, mi, dentry[mi], nvia, &nv[nn]);
            nn++; /* filled or half-filled: freed with the others either way */
            d->plan[mi] = 1;
            if (is_backup_server(in, r))
                all = true;
        }
    }
    /* the old members not kept: gone, or resolved again */
    for (size_t k = 0; k < nold; k++) {
        if (kept[k])
            continue;
        d->plan[oldv[k].machine] = 1;
        if (is_backup_server(&old, &old.roles[oldv[k].role]))
            all = true;
        inv_free_member(&oldv[k]);
    }
    inv_free_instance(&old);
    free(oldv);
    free(kept);
    free(dentry);
    struct inv_member *nm = rc < 0 ? NULL
                                   : realloc(md->members, (md->nmembers + nn + 1) * sizeof(*nm));
    if (!nm) {
        for (size_t k = 0; k < nn; k++)
            inv_free_member(&nv[k]);
        free(nv);
        return -ENOMEM; /* the instance has no members now: the caller reads it all again */
    }
    md->members = nm;
    memmove(nm + lo + nn, nm + lo, (md->nmembers - lo) * sizeof(*nm));
    if (nn)
        memcpy(nm + lo, nv, nn * sizeof(*nv));
    md->nmembers += nn;
    free(nv);
    for (size_t k = lo; k < lo + nn; k++) {
        if (all)
            d->plan[md->members[k].machine] = 1;
        inv_member_conflicts(inv, &md->members[k], cnow);
        inv_check_member_conflicts(inv, &md->members[k]);
    }
    return 0;
}

/* Did inventory.machines only gain machines at its end, or lose its last ones (adding a
 * machine, and undoing that), the others untouched (a change of whole attributes only),
 * none of them in machines.<m>? */
static bool machine_set_fits(const struct inventory *inv, const struct nix_value *set,
                            const struct nix_value *configs)
{
    const struct inv_model *md = &inv->model;
    size_t ninv = 0;
    for (size_t i = 0; i < md->nmachines; i++) {
        if (!md->machines[i].node)
            return false; /* a machine only in machines.<m>: it would move */
        ninv++;
    }
    size_t nc = set->nchildren, common = nc < ninv ? nc : ninv;
    for (size_t i = 0; i < common; i++)
        if (set->children[i] != md->machines[i].node)
            return false;
    for (size_t i = common; i < nc; i++) {
        const char *name = set->children[i]->name;
        if (!name || inventory_machine_index(inv, name) >= 0 ||
            (configs && nix_value_get(configs, name)))
            return false;
    }
    for (size_t i = common; i < ninv; i++)
        if (md->machines[i].config)
            return false; /* it would stay, as a machine of machines.<m> only */
    return true;
}

/* The machines gone or added (machine_set_fits said so). */
static int update_machine_set(struct inventory *inv, const struct nix_value *set,
                              struct dirty *d, struct buf *cbefore, struct buf *cnow)
{
    struct inv_model *md = &inv->model;
    size_t nold = md->nmachines, nc = set->nchildren;
    d->role_machines = true;
    /* machines gone: their members, their tags' selections */
    for (size_t mi = nc; mi < nold; mi++) {
        struct inv_machine *m = &md->machines[mi];
        d->gone[mi] = 1;
        for (size_t i = 0; i < md->ninstances; i++) {
            struct inv_instance *in = &md->instances[i];
            for (size_t j = 0; j < in->nroles; j++) {
                struct inv_role *r = &in->roles[j];
                for (size_t k = 0; k < r->ntags; k++)
                    r->tags[k].nselected -= inv_machine_has_tag(m, r->tags[k].name);
            }
        }
    }
    size_t w = 0;
    for (size_t k = 0; k < md->nmembers; k++) {
        struct inv_member *mb = &md->members[k];
        if (mb->machine < nc) {
            md->members[w++] = *mb;
            continue;
        }
        const struct inv_instance *in = &md->instances[mb->instance];
        if (is_backup_server(in, &in->roles[mb->role]))
            mark_instance_members(md, mb->instance, d->plan);
        inv_member_conflicts(inv, mb, cbefore);
        inv_free_member(mb);
    }
    md->nmembers = w;
    for (size_t mi = nc; mi < nold; mi++) {
        /* the index holds the names of the machines gone */
        inv_index_del(&inv->machine_ix, md->machines[mi].name, mi);
        inv_free_machine_inv(&md->machines[mi]);
    }
    if (nc < nold) {
        md->nmachines = nc;
        return 0;
    }
    /* machines added */
    if (nc > nold) {
        struct inv_machine *nm = realloc(md->machines, nc * sizeof(*nm));
        if (!nm)
            return -ENOMEM;
        md->machines = nm;
    }
    for (size_t mi = nold; mi < nc; mi++) {
        struct inv_machine *m = &md->machines[mi];
        memset(m, 0, sizeof(*m));
        inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_INV, (uint32_t)mi, 0};
        inv_read_machine(inv, m, set->children[mi]);
        md->nmachines = mi + 1;
        if (!m->name || inv_index_put(&inv->machine_ix, m->name, mi) < 0)
            return -ENOMEM;
        d->plan[mi] = 1;
        for (size_t i = 0; i < md->ninstances; i++) {
            struct inv_instance *in = &md->instances[i];
            for (size_t j = 0; j < in->nroles; j++) {
                struct inv_role *r = &in->roles[j];
                for (size_t k = 0; k < r->ntags; k++)
                    r->tags[k].nselected += inv_machine_has_tag(m, r->tags[k].name);
                if (!is_member_now(m, r))
                    continue;
                size_t pos = member_lower(md, i, j, mi);
                struct inv_member *mv = realloc(md->members, (md->nmembers + 1) * sizeof(*mv));
                if (!mv)
                    return -ENOMEM;
                md->members = mv;
                memmove(mv + pos + 1, mv + pos, (md->nmembers - pos) * sizeof(*mv));
                memset(&mv[pos], 0, sizeof(mv[pos]));
                md->nmembers++;
                if (inv_member_make(inv, i, j, mi, &mv[pos]) < 0)
                    return -ENOMEM;
                if (is_backup_server(in, r))
                    mark_instance_members(md, i, d->plan);
                inv_member_conflicts(inv, &mv[pos], cnow);
                inv_check_member_conflicts(inv, &mv[pos]);
            }
        }
    }
    return 0;
}

/* Is the diagnostic's position in the text the edit replaced (old coordinates; sl:sc is
 * where the replaced text starts, the same before and after)? */
static bool in_region(const struct inventory *inv, unsigned file, const struct diag *g,
                      const struct nix_change *ch, unsigned sl, unsigned sc)
{
    if (ch->start >= ch->old_end || !diag_in(inv, file, g))
        return false; /* an insertion: nothing was replaced */
    bool after_start = g->line > sl || (g->line == sl && g->col >= sc);
    bool before_end = g->line < ch->old_line || (g->line == ch->old_line && g->col < ch->old_col);
    return after_start && before_end;
}

/* A diagnostic from before whose position lies in the replaced text has no position in the
 * new one: what made it must run again. The update re-reads the machine or instance the
 * text belongs to (its diagnostics, conflicts, the tag check); plan checks are run again
 * for their machine (a kept member's plan points at a role's entry, which may sit in the
 * re-parsed text). Anything else: read the whole model instead (checked before anything
 * changes). */
static bool region_fits(const struct inventory *inv, const struct nix_file *nix, unsigned file,
                        const struct nix_change *ch, bool instance, size_t idx)
{
    unsigned sl, sc;
    nix_file_linecol(nix, ch->start, &sl, &sc);
    for (size_t k = 0; k < inv->diags.n; k++) {
        if (!in_region(inv, file, &inv->diags.v[k], ch, sl, sc))
            continue;
        const struct inv_owner *o = &inv->owners[k];
        bool ok = o->kind == INV_OWN_PLAN || o->kind == INV_OWN_TAGSEL ||
                  (instance ? (o->kind == INV_OWN_INSTANCE || o->kind == INV_OWN_ROLE_MACHINES ||
                               o->kind == INV_OWN_CONFLICT) && o->a == idx
                            : o->kind == INV_OWN_MACHINE_INV && o->a == idx);
        if (!ok)
            return false;
    }
    return true;
}

static void region_plans(const struct inventory *inv, const struct nix_file *nix, unsigned file,
                         const struct nix_change *ch, struct dirty *d, size_t nold)
{
    unsigned sl, sc;
    nix_file_linecol(nix, ch->start, &sl, &sc);
    for (size_t k = 0; k < nold; k++)
        if (inv->owners[k].kind == INV_OWN_PLAN &&
            in_region(inv, file, &inv->diags.v[k], ch, sl, sc))
            d->plan[inv->owners[k].a] = 1;
}

/* ---- the update ---- */

/* Read everything again; a new conflict is one whose key was not there before. */
static int rebuild(struct inventory *inv, bool *new_conflict)
{
    inv->nupdates_local--;
    inv->nupdates_full++;
    struct buf before = {0}, now = {0};
    const struct inv_model *md = &inv->model;
    for (size_t k = 0; k < md->nmembers; k++)
        inv_member_conflicts(inv, &md->members[k], &before);
    inv_rebuild_model(inv);
    for (size_t k = 0; k < md->nmembers; k++)
        inv_member_conflicts(inv, &md->members[k], &now);
    *new_conflict = has_new_conflict(&before, &now);
    buf_free(&before);
    buf_free(&now);
    return 0;
}

int inv_update(struct inventory *inv, const struct nix_change *ch, bool *new_conflict)
{
    return inv_update_file(inv, 0, ch, new_conflict);
}

int inv_update_file(struct inventory *inv, unsigned file, const struct nix_change *ch,
                    bool *new_conflict)
{
    *new_conflict = false;
    inv->nupdates_local++;
    const struct nix_value *v = ch->changed;
    /* the main file holds `inventory = { ... }`; inventory.json is the inventory itself */
    bool json = file != 0;
    struct nix_file *nix = json ? inv->clan->files[file].nix : inv->nix;
    const struct nix_value *root = nix_file_root(nix);
    if (!v || !root || inv->nowned != inv->diags.n)
        return rebuild(inv, new_conflict);
    /* the path from the root down to the changed value */
    const struct nix_value *chain[64];
    size_t depth = 0;
    for (const struct nix_value *x = v; x && depth < 64; x = x->parent)
        chain[depth++] = x;
    if (depth >= 64 || chain[depth - 1] != root)
        return rebuild(inv, new_conflict);
    /* chain[depth - 1] is the root, chain[depth - 2] its child on the path, ...; counted
     * from the inventory down as if inventory.json's root were `inventory` of a module */
    size_t dd = depth + json;
    bool in_inv = json || !strcmp(dd >= 2 && chain[dd - 2]->name ? chain[dd - 2]->name : "",
                                  "inventory");
#define SEG(k) (dd >= (k) + 2 && chain[dd - 2 - (k)]->name ? chain[dd - 2 - (k)]->name : "")
    enum { NONE, MACHINE_INV, INSTANCE, MACHINE_SET } kind = NONE;
    const struct nix_value *node = NULL;
    long idx = -1;
    if (dd == 3 && ch->attrs_only && in_inv && !json && !strcmp(SEG(1), "machines") &&
        v->kind == NIX_ATTRS) {
        const struct nix_value *configs = nix_value_get(root, "machines");
        if (machine_set_fits(inv, v, configs && configs->kind == NIX_ATTRS ? configs : NULL))
            kind = MACHINE_SET;
    } else if (dd >= 4 && in_inv && !strcmp(SEG(1), "machines")) {
        idx = inventory_machine_index(inv, SEG(2));
        node = chain[dd - 4];
        if (idx >= 0 && inv->model.machines[idx].node == node)
            kind = MACHINE_INV;
    } else if (dd >= 4 && in_inv && !strcmp(SEG(1), "instances")) {
        idx = inventory_instance_index(inv, SEG(2));
        node = chain[dd - 4];
        const struct nix_value *insts = chain[dd - 3];
        /* the model's instance idx was read from the idx-th child */
        if (idx >= 0 && (size_t)idx < insts->nchildren && insts->children[idx] == node)
            kind = INSTANCE;
    }
    /* a clan of several files: only what the main file alone defines is read again here
     * (an entry merged from several files, an instance's module or extra modules, which
     * the clan's reader follows, and the machine set are read whole) */
    bool role_modules = false; /* a role's modules give its members states */
    for (size_t i = 0; inv->clan && i < inv->model.ninstances; i++)
        for (size_t j = 0; j < inv->model.instances[i].nroles; j++)
            role_modules |= inv->model.instances[i].roles[j].extra_modules != NULL;
    if (inv->clan && kind != NONE) {
        if (kind == MACHINE_SET || role_modules)
            kind = NONE;
        else if (kind == MACHINE_INV && inv->model.machines[idx].merged)
            kind = NONE;
        else if (kind == INSTANCE) {
            const struct inv_instance *in = &inv->model.instances[idx];
            bool extra = false;
            for (size_t j = 0; j < in->nroles; j++)
                extra |= in->roles[j].extra_modules != NULL;
            if (in->merged || extra || !strcmp(SEG(3), "module") ||
                (dd >= 7 && !strcmp(SEG(3), "roles") && !strcmp(SEG(5), "extraModules")))
                kind = NONE;
        }
    }
#undef SEG
    if (kind == NONE ||
        (kind != MACHINE_SET && !region_fits(inv, nix, file, ch, kind == INSTANCE, (size_t)idx)))
        return rebuild(inv, new_conflict);

    move_model(inv, file, ch);
    size_t nold = inv->diags.n;
    const struct inv_model *md = &inv->model;
    /* flags by machine, for the machines there are before and after */
    size_t nflags = md->nmachines > v->nchildren || kind != MACHINE_SET ? md->nmachines
                                                                        : v->nchildren;
    nflags = nflags ? nflags : 1;
    struct dirty d = {-1, -1, false, calloc(nflags, 1), calloc(nflags, 1), calloc(nflags, 1)};
    struct buf before = {0}, now = {0};
    int rc = -ENOMEM;
    if (d.conflict_machine && d.plan && d.gone) {
        if (kind == MACHINE_INV)
            rc = update_machine_inv(inv, (size_t)idx, node, &d, &before, &now);
        else if (kind == INSTANCE)
            rc = update_instance(inv, (size_t)idx, node, ch, &d, &before, &now);
        else
            rc = update_machine_set(inv, v, &d, &before, &now);
    }
    if (rc == 0)
        region_plans(inv, nix, file, ch, &d, nold);
    if (rc == 0) {
        /* what depends on more than the part read again: tag selections, plan checks */
        drop_diags(inv, &d, nold);
        if (d.role_machines)
            for (size_t i = 0; i < md->ninstances; i++)
                inv_check_instance_roles(inv, i);
        inv_check_tag_selection(inv);
        inv_check_plan_for(inv, d.plan);
        inv_sort_diags(inv);
        *new_conflict = has_new_conflict(&before, &now);
    }
    free(d.conflict_machine);
    free(d.plan);
    free(d.gone);
    buf_free(&before);
    buf_free(&now);
    if (rc < 0 || inv->nowned != inv->diags.n)
        return rebuild(inv, new_conflict);
    return 0;
}
