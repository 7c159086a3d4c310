/* Role resolution (direct, tags, built-in tags) and the module-system merge of settings. */
#include "core/inventory/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One definition to merge: a value at a level, with the priority inherited from an
 * enclosing lib.mkForce { ... } (0: none). */
struct src {
    const struct nix_value *v;
    enum inv_level level;
    const char *tag;
    int prio;
    const char *default_text; /* built-in default (v then holds its parsed value) */
};

static bool machine_class_is(const struct inv_machine *m, const char *cls)
{
    const struct nix_value *c = m->node ? nix_value_get(m->node, "machineClass") : NULL;
    const char *have = (c && c->kind == NIX_STRING) ? c->str : "nixos";
    return !strcmp(have, cls);
}

bool inv_machine_has_tag(const struct inv_machine *m, const char *tag)
{
    if (!strcmp(tag, "all"))
        return true;
    if (!strcmp(tag, "nixos") || !strcmp(tag, "darwin"))
        return machine_class_is(m, tag);
    for (size_t i = 0; i < m->ntags; i++)
        if (m->tags[i].s && !m->tags[i].opaque && !strcmp(m->tags[i].s, tag))
            return true;
    return false;
}

/* ---- merging ---- */

static bool same_value(const struct nix_value *a, const struct nix_value *b, char *ta, char *tb)
{
    if (!a || !b)
        return ta && tb && !strcmp(ta, tb);
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case NIX_STRING:
    case NIX_PATH:
        return !strcmp(a->str ? a->str : "", b->str ? b->str : "");
    case NIX_INT: return a->ival == b->ival;
    case NIX_FLOAT: return a->fval == b->fval;
    case NIX_BOOL: return a->bval == b->bval;
    case NIX_NULL: return true;
    default: return ta && tb && !strcmp(ta, tb);
    }
}

static int cmp_eff(const void *a, const void *b)
{
    return strcmp(((const struct inv_eff *)a)->name, ((const struct inv_eff *)b)->name);
}

static int add_def(struct inventory *inv, struct inv_eff *e, const struct src *s,
                   const struct nix_value *v, int prio, size_t inner_start)
{
    struct inv_def *nd = realloc(e->defs, (e->ndefs + 1) * sizeof(*nd));
    if (!nd)
        return -ENOMEM;
    e->defs = nd;
    struct inv_def *d = &e->defs[e->ndefs++];
    memset(d, 0, sizeof(*d));
    d->level = s->level;
    d->tag = inv_strdup(s->tag);
    d->priority = prio;
    if (s->default_text) {
        d->value = v;
        d->text = inv_strdup(s->default_text);
        return 0;
    }
    d->value = v;
    d->text = inv_value_text(inv, v);
    d->loc = inv_loc_value(inv, v);
    (void)inner_start;
    return 0;
}

static int merge(struct inventory *inv, struct inv_eff *e, struct src *srcs, size_t n)
{
    /* unwrap priorities first; a few definitions (the usual case: a member's role, tag
     * and machine levels) in arrays on the stack, merged once per member and setting */
    enum { FEW = 8 };
    const struct nix_value *vals_few[FEW];
    int prios_few[FEW];
    size_t inner_few[FEW];
    struct src sub_few[FEW];
    bool few = n <= FEW;
    const struct nix_value **vals = few ? vals_few : calloc(n, sizeof(*vals));
    int *prios = few ? prios_few : calloc(n, sizeof(*prios));
    size_t *inner = few ? inner_few : calloc(n, sizeof(*inner));
    if (!vals || !prios || !inner) {
        if (!few) {
            free(vals);
            free(prios);
            free(inner);
        }
        return -ENOMEM;
    }
    for (size_t i = 0; few && i < n; i++)
        inner[i] = 0;
    bool any_attrs = false, any_list = false;
    for (size_t i = 0; i < n; i++) {
        if (srcs[i].default_text) {
            vals[i] = srcs[i].v;
            prios[i] = INV_PRIO_OPTION_DEFAULT;
        } else {
            int p;
            vals[i] = inv_unwrap_priority(inv, srcs[i].v, &p, &inner[i]);
            prios[i] = (p == INV_PRIO_PLAIN && srcs[i].prio) ? srcs[i].prio : p;
        }
        if (vals[i] && vals[i]->kind == NIX_ATTRS)
            any_attrs = true;
        if (vals[i] && vals[i]->kind == NIX_LIST)
            any_list = true;
    }
    int r = 0;
    if (any_attrs) {
        e->kind = NIX_ATTRS;
        /* attributes: the union of every definition's names (at most the sum of them:
         * exact for the usual single definition, no slack per member) */
        size_t cap = 0;
        for (size_t i = 0; i < n; i++)
            if (vals[i] && vals[i]->kind == NIX_ATTRS)
                cap += vals[i]->nchildren;
        if (cap) {
            e->children = calloc(cap, sizeof(*e->children));
            if (!e->children) {
                r = -ENOMEM;
                goto out;
            }
        }
        for (size_t i = 0; i < n; i++) {
            const struct nix_value *v = vals[i];
            if (!v || v->kind != NIX_ATTRS) {
                if (v)
                    add_def(inv, e, &srcs[i], v, prios[i], inner[i]);
                if (v && v->kind != NIX_OPAQUE && !srcs[i].default_text)
                    e->conflict = true;
                continue;
            }
            for (size_t k = 0; k < v->nchildren; k++) {
                const char *nm = v->children[k]->name;
                size_t j;
                for (j = 0; j < e->nchildren; j++)
                    if (!strcmp(e->children[j].name, nm))
                        break;
                if (j < e->nchildren)
                    continue;
                e->children[e->nchildren].name = inv_strdup(nm);
                e->nchildren++;
            }
        }
        if (e->nchildren > 1)
            qsort(e->children, e->nchildren, sizeof(*e->children), cmp_eff);
        struct src *sub = few ? sub_few : calloc(n, sizeof(*sub));
        if (!sub) {
            r = -ENOMEM;
            goto out;
        }
        for (size_t j = 0; j < e->nchildren; j++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                const struct nix_value *v = vals[i];
                if (!v || v->kind != NIX_ATTRS)
                    continue;
                const struct nix_value *c = nix_value_get(v, e->children[j].name);
                if (!c)
                    continue;
                sub[m] = srcs[i];
                sub[m].v = c;
                sub[m].prio = prios[i] != INV_PRIO_PLAIN ? prios[i] : srcs[i].prio;
                m++;
            }
            if (merge(inv, &e->children[j], sub, m) < 0)
                r = -ENOMEM;
        }
        if (!few)
            free(sub);
        goto out;
    }
    /* a list or a single value: keep every definition; the best priority counts */
    e->kind = any_list ? NIX_LIST : NIX_OPAQUE;
    int best = 1 << 30;
    for (size_t i = 0; i < n; i++) {
        if (add_def(inv, e, &srcs[i], vals[i], prios[i], inner[i]) < 0) {
            r = -ENOMEM;
            goto out;
        }
        if (prios[i] < best)
            best = prios[i];
    }
    for (size_t i = 0; i < e->ndefs; i++)
        e->defs[i].active = e->defs[i].priority == best;
    if (any_list) {
        size_t total = 0;
        for (size_t i = 0; i < e->ndefs; i++) {
            const struct nix_value *v = e->defs[i].value;
            if (!e->defs[i].active || !v)
                continue;
            if (v->kind == NIX_LIST)
                total += v->nchildren;
            else if (v->kind != NIX_OPAQUE)
                e->conflict = true;
        }
        e->items = calloc(total ? total : 1, sizeof(*e->items));
        e->item_def = calloc(total ? total : 1, sizeof(*e->item_def));
        if (!e->items || !e->item_def) {
            r = -ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < e->ndefs; i++) {
            const struct nix_value *v = e->defs[i].value;
            if (!e->defs[i].active || !v || v->kind != NIX_LIST)
                continue;
            for (size_t k = 0; k < v->nchildren; k++) {
                e->items[e->nitems] = v->children[k];
                e->item_def[e->nitems++] = i;
            }
        }
        /* the most specific active definition is shown as the origin */
        for (size_t i = e->ndefs; i-- > 0;)
            if (e->defs[i].active) {
                e->winner = &e->defs[i];
                break;
            }
        goto out;
    }
    const struct inv_def *win = NULL;
    for (size_t i = e->ndefs; i-- > 0;) {
        struct inv_def *d = &e->defs[i];
        if (!d->active)
            continue;
        if (!win) {
            win = d;
            continue;
        }
        if (!same_value(win->value, d->value, win->text, d->text) &&
            !(win->value && win->value->kind == NIX_OPAQUE) &&
            !(d->value && d->value->kind == NIX_OPAQUE))
            e->conflict = true;
    }
    e->winner = win;
    if (win && win->value) {
        e->kind = win->value->kind;
        if (!e->conflict)
            e->value = win->value;
    }
out:
    if (!few) {
        free(vals);
        free(prios);
        free(inner);
    }
    return r;
}

void inv_free_eff(struct inv_eff *e)
{
    free(e->name);
    for (size_t i = 0; i < e->nchildren; i++)
        inv_free_eff(&e->children[i]);
    free(e->children);
    for (size_t i = 0; i < e->ndefs; i++) {
        free(e->defs[i].tag);
        free(e->defs[i].text);
    }
    free(e->defs);
    free(e->items);
    free(e->item_def);
    memset(e, 0, sizeof(*e));
}

const struct inv_eff *inv_eff_get(const struct inv_eff *e, const char *name)
{
    if (!e || e->kind != NIX_ATTRS)
        return NULL;
    size_t lo = 0, hi = e->nchildren;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(e->children[mid].name, name);
        if (!c)
            return &e->children[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct inv_eff *inv_eff_lookup(const struct inv_eff *e, const char *dotted)
{
    char **segs;
    size_t n;
    struct diag d = {0};
    if (nix_attrpath_split(dotted, &segs, &n, &d) < 0) {
        diag_clear(&d);
        return NULL;
    }
    for (size_t i = 0; i < n && e; i++)
        e = inv_eff_get(e, segs[i]);
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
    return e;
}

const char *inv_eff_string(const struct inv_eff *e)
{
    if (!e || e->conflict || !e->value || e->value->kind != NIX_STRING)
        return NULL;
    return e->value->str;
}

/* ---- roles ---- */

/* Built-in option defaults of the borgbackup roles, parsed once per model. */
static const struct nix_value *borg_defaults(struct inventory *inv)
{
    static const char text[] =
        "{ v = { startAt = \"*-*-* 01:00:00\"; directory = \"/var/lib/borgbackup\"; }; }";
    if (inv->borg_defaults)
        return inv->borg_defaults;
    struct nix_file *f = NULL;
    struct diag_list dl = {0};
    if (nix_parse("<defaults>", text, sizeof(text) - 1, &f, &dl) < 0 || !f) {
        diag_list_free(&dl);
        return NULL;
    }
    diag_list_free(&dl);
    if (inv_add_snippet(inv, f) < 0) {
        nix_file_free(f);
        return NULL;
    }
    inv->borg_defaults = nix_value_get(nix_file_root(f), "v");
    return inv->borg_defaults;
}

static int resolve_member(struct inventory *inv, struct inv_member *mb,
                          const struct inv_instance *in, const struct inv_role *r,
                          const struct inv_role_entry *direct)
{
    struct src srcs[64];
    size_t n = 0;
    const struct nix_value *defs = inv_is_borgbackup(in) ? borg_defaults(inv) : NULL;
    if (defs && !strcmp(r->name, "client")) {
        const struct nix_value *v = nix_value_get(defs, "startAt");
        if (v)
            srcs[n++] = (struct src){v, INV_LEVEL_DEFAULT, NULL, 0, "\"*-*-* 01:00:00\""};
    } else if (defs && !strcmp(r->name, "server")) {
        const struct nix_value *v = nix_value_get(defs, "directory");
        if (v)
            srcs[n++] = (struct src){v, INV_LEVEL_DEFAULT, NULL, 0, "\"/var/lib/borgbackup\""};
    }
    /* the built-in defaults are settings.<key>; wrap them into the root below */
    size_t ndefaults = n;
    struct src all[66];
    size_t m = 0;
    if (r->settings)
        all[m++] = (struct src){r->settings, INV_LEVEL_ROLE, NULL, 0, NULL};
    for (size_t t = 0; t < mb->nvia_tags; t++) {
        for (size_t k = 0; k < r->ntags; k++) {
            if (strcmp(r->tags[k].name, mb->via_tags[t]))
                continue;
            if (r->tags[k].settings && m < 64)
                all[m++] = (struct src){r->tags[k].settings, INV_LEVEL_TAG, r->tags[k].name, 0,
                                        NULL};
            break;
        }
    }
    if (direct && direct->settings && m < 65)
        all[m++] = (struct src){direct->settings, INV_LEVEL_MACHINE, NULL, 0, NULL};
    int rc = merge(inv, &mb->settings, all, m);
    mb->settings.kind = NIX_ATTRS;
    /* add the defaults as the first definition of their key */
    for (size_t i = 0; i < ndefaults; i++) {
        const char *key = srcs[i].v->name;
        const struct inv_eff *have = inv_eff_get(&mb->settings, key);
        if (have) {
            /* defined somewhere: the default is kept as an inactive first definition */
            struct inv_eff *e = (struct inv_eff *)have;
            long win = e->winner ? (long)(e->winner - e->defs) : -1;
            struct inv_def *nd = realloc(e->defs, (e->ndefs + 1) * sizeof(*nd));
            if (!nd)
                return -ENOMEM;
            e->defs = nd;
            memmove(e->defs + 1, e->defs, e->ndefs * sizeof(*nd));
            memset(&e->defs[0], 0, sizeof(*nd));
            e->defs[0].level = INV_LEVEL_DEFAULT;
            e->defs[0].priority = INV_PRIO_OPTION_DEFAULT;
            e->defs[0].value = srcs[i].v;
            e->defs[0].text = inv_strdup(srcs[i].default_text);
            e->ndefs++;
            for (size_t j = 0; j < e->nitems; j++)
                e->item_def[j]++;
            e->winner = win >= 0 ? &e->defs[win + 1] : NULL;
            continue;
        }
        /* not defined anywhere: the default is the value */
        struct inv_eff *nc = realloc(mb->settings.children,
                                     (mb->settings.nchildren + 1) * sizeof(*nc));
        if (!nc)
            return -ENOMEM;
        mb->settings.children = nc;
        struct inv_eff *e = &nc[mb->settings.nchildren++];
        memset(e, 0, sizeof(*e));
        e->name = inv_strdup(key);
        merge(inv, e, &srcs[i], 1);
        qsort(mb->settings.children, mb->settings.nchildren, sizeof(*mb->settings.children),
              cmp_eff);
    }
    return rc;
}

int inv_member_fill(struct inventory *inv, size_t i, size_t j, size_t mi,
                    const struct inv_role_entry *direct, size_t nvia, struct inv_member *mb)
{
    struct inv_model *md = &inv->model;
    const struct inv_instance *in = &md->instances[i];
    const struct inv_role *r = &in->roles[j];
    const struct inv_machine *m = &md->machines[mi];
    memset(mb, 0, sizeof(*mb));
    mb->instance = i;
    mb->role = j;
    mb->machine = mi;
    mb->direct = direct != NULL;
    if (nvia) {
        mb->via_tags = calloc(nvia, sizeof(*mb->via_tags));
        if (!mb->via_tags)
            return -ENOMEM;
        for (size_t k = 0; k < r->ntags; k++)
            if (inv_machine_has_tag(m, r->tags[k].name))
                mb->via_tags[mb->nvia_tags++] = inv_strdup(r->tags[k].name);
    }
    return resolve_member(inv, mb, in, r, direct);
}

int inv_member_make(struct inventory *inv, size_t i, size_t j, size_t mi,
                    struct inv_member *mb)
{
    const struct inv_model *md = &inv->model;
    const struct inv_role *r = &md->instances[i].roles[j];
    const struct inv_machine *m = &md->machines[mi];
    const struct inv_role_entry *direct = NULL;
    for (size_t k = 0; k < r->nmachines && !direct; k++)
        if (!strcmp(r->machines[k].name, m->name))
            direct = &r->machines[k];
    size_t nvia = 0;
    for (size_t k = 0; k < r->ntags; k++)
        nvia += inv_machine_has_tag(m, r->tags[k].name);
    if (!direct && !nvia)
        return 0;
    int rc = inv_member_fill(inv, i, j, mi, direct, nvia, mb);
    return rc < 0 ? rc : 1;
}

/* The machines that list each tag, in inventory order: a role's tags give its members
 * without a look at every machine (instances grow with the fleet, so a scan of all
 * machines per role would make resolution quadratic). */
struct tag_lists {
    struct inv_index ix; /* tag -> list */
    struct idxl {
        size_t *v;
        size_t n, cap;
    } *l;
    size_t nl, capl;
};

static void tag_lists_free(struct tag_lists *tl)
{
    for (size_t k = 0; k < tl->nl; k++)
        free(tl->l[k].v);
    free(tl->l);
    inv_index_free(&tl->ix);
}

static int tag_lists_build(const struct inv_model *md, struct tag_lists *tl)
{
    for (size_t mi = 0; mi < md->nmachines; mi++) {
        const struct inv_machine *m = &md->machines[mi];
        for (size_t t = 0; t < m->ntags; t++) {
            const char *name = m->tags[t].s;
            if (!name || m->tags[t].opaque)
                continue;
            long k = inv_index_get(&tl->ix, name);
            if (k < 0) {
                if (inv_grow(&tl->l, &tl->capl, tl->nl, sizeof(*tl->l)) < 0 ||
                    inv_index_put(&tl->ix, name, tl->nl) < 0)
                    return -ENOMEM;
                memset(&tl->l[tl->nl], 0, sizeof(*tl->l));
                k = (long)tl->nl++;
            }
            struct idxl *l = &tl->l[k];
            if (l->n && l->v[l->n - 1] == mi)
                continue; /* the tag twice in one machine */
            if (inv_grow(&l->v, &l->cap, l->n, sizeof(*l->v)) < 0)
                return -ENOMEM;
            l->v[l->n++] = mi;
        }
    }
    return 0;
}

/* Tags that select by something other than a machine's list. */
static bool tag_is_builtin(const char *t)
{
    return !strcmp(t, "all") || !strcmp(t, "nixos") || !strcmp(t, "darwin");
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Machine mi in role j, when it is a member (listed, or selected by a tag). */
static int add_if_member(struct inventory *inv, size_t i, size_t j, size_t mi,
                         const struct inv_role_entry *direct, struct inv_member **v,
                         size_t *cap, size_t *n)
{
    struct inv_role *r = &inv->model.instances[i].roles[j];
    const struct inv_machine *m = &inv->model.machines[mi];
    size_t nvia = 0;
    for (size_t k = 0; k < r->ntags; k++)
        if (inv_machine_has_tag(m, r->tags[k].name)) {
            r->tags[k].nselected++;
            nvia++;
        }
    if (!direct && !nvia)
        return 0;
    if (inv_grow(v, cap, *n, sizeof(**v)) < 0)
        return -ENOMEM;
    if (inv_member_fill(inv, i, j, mi, direct, nvia, &(*v)[(*n)++]) < 0)
        return -ENOMEM;
    return 0;
}

/* tl NULL: every machine is looked at. */
static int resolve_instance(struct inventory *inv, size_t i, const struct tag_lists *tl,
                            struct inv_member **out, size_t *n)
{
    struct inv_model *md = &inv->model;
    struct inv_instance *in = &md->instances[i];
    size_t cap = 0, ncand = 0, capcand = 0, *cand = NULL;
    struct inv_member *v = NULL;
    *n = 0;
    const struct inv_role_entry **dentry =
        calloc(md->nmachines ? md->nmachines : 1, sizeof(*dentry));
    if (!dentry)
        return -ENOMEM;
    for (size_t j = 0; j < in->nroles; j++) {
        struct inv_role *r = &in->roles[j];
        bool scan = !tl;
        ncand = 0;
        for (size_t k = 0; k < r->nmachines; k++) {
            long mi = inv_index_get(&inv->machine_ix, r->machines[k].name);
            if (mi < 0)
                continue;
            dentry[mi] = &r->machines[k];
            if (inv_grow(&cand, &capcand, ncand, sizeof(*cand)) < 0)
                goto oom;
            cand[ncand++] = (size_t)mi;
        }
        for (size_t k = 0; k < r->ntags; k++) {
            r->tags[k].nselected = 0;
            if (scan || tag_is_builtin(r->tags[k].name)) {
                scan = true;
                continue;
            }
            long t = inv_index_get(&tl->ix, r->tags[k].name);
            for (size_t x = 0; t >= 0 && x < tl->l[t].n; x++) {
                if (inv_grow(&cand, &capcand, ncand, sizeof(*cand)) < 0)
                    goto oom;
                cand[ncand++] = tl->l[t].v[x];
            }
        }
        if (scan) {
            for (size_t mi = 0; mi < md->nmachines; mi++)
                if (add_if_member(inv, i, j, mi, dentry[mi], &v, &cap, n) < 0)
                    goto oom;
        } else {
            /* the candidates in inventory order, once each */
            if (ncand > 1)
                qsort(cand, ncand, sizeof(*cand), cmp_size);
            for (size_t c = 0; c < ncand; c++)
                if ((!c || cand[c] != cand[c - 1]) &&
                    add_if_member(inv, i, j, cand[c], dentry[cand[c]], &v, &cap, n) < 0)
                    goto oom;
        }
        for (size_t k = 0; k < r->nmachines; k++) {
            long mi = inv_index_get(&inv->machine_ix, r->machines[k].name);
            if (mi >= 0)
                dentry[mi] = NULL;
        }
    }
    free(dentry);
    free(cand);
    *out = v;
    return 0;
oom:
    free(dentry);
    free(cand);
    for (size_t k = 0; k < *n; k++)
        inv_free_member(&v[k]);
    free(v);
    *n = 0;
    return -ENOMEM;
}

int inv_resolve_instance(struct inventory *inv, size_t i, struct inv_member **out, size_t *n)
{
    return resolve_instance(inv, i, NULL, out, n);
}

int inv_resolve(struct inventory *inv)
{
    struct inv_model *md = &inv->model;
    size_t cap = 0;
    struct tag_lists tl = {0};
    if (tag_lists_build(md, &tl) < 0) {
        tag_lists_free(&tl);
        return -ENOMEM;
    }
    for (size_t i = 0; i < md->ninstances; i++) {
        struct inv_member *v;
        size_t n;
        if (resolve_instance(inv, i, &tl, &v, &n) < 0) {
            tag_lists_free(&tl);
            return -ENOMEM;
        }
        if (n && md->nmembers + n > cap) {
            size_t nc = cap ? cap : 16;
            while (nc < md->nmembers + n)
                nc *= 2;
            struct inv_member *nm = realloc(md->members, nc * sizeof(*nm));
            if (!nm) {
                for (size_t k = 0; k < n; k++)
                    inv_free_member(&v[k]);
                free(v);
                tag_lists_free(&tl);
                return -ENOMEM;
            }
            md->members = nm;
            cap = nc;
        }
        if (n)
            memcpy(md->members + md->nmembers, v, n * sizeof(*v));
        md->nmembers += n;
        free(v);
    }
    tag_lists_free(&tl);
    /* the member array grew by doubling: give the slack back */
    if (md->nmembers && md->nmembers < cap) {
        struct inv_member *nm = realloc(md->members, md->nmembers * sizeof(*nm));
        if (nm)
            md->members = nm;
    }
    return 0;
}

const struct inv_member *inventory_member(const struct inventory *inv, const char *instance,
                                          const char *role, const char *machine)
{
    long ii = inv_index_get(&inv->instance_ix, instance);
    long mi = inv_index_get(&inv->machine_ix, machine);
    if (ii < 0 || mi < 0)
        return NULL;
    const struct inv_model *md = &inv->model;
    for (size_t k = 0; k < md->nmembers; k++) {
        const struct inv_member *mb = &md->members[k];
        if (mb->instance == (size_t)ii && mb->machine == (size_t)mi &&
            !strcmp(md->instances[ii].roles[mb->role].name, role))
            return mb;
    }
    return NULL;
}

/* ---- diagnostics about roles and settings ---- */

bool inv_eff_has_conflict(const struct inv_eff *e)
{
    if (e->conflict)
        return true;
    for (size_t i = 0; i < e->nchildren; i++)
        if (inv_eff_has_conflict(&e->children[i]))
            return true;
    return false;
}

static void report_conflicts(struct inventory *inv, const struct inv_eff *e, const char *path,
                             const struct inv_member *mb)
{
    const struct inv_model *md = &inv->model;
    char sub[512];
    for (size_t i = 0; i < e->nchildren; i++) {
        if (!inv_eff_has_conflict(&e->children[i]))
            continue; /* nothing to report below: no path to spell */
        str_snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", e->children[i].name);
        report_conflicts(inv, &e->children[i], sub, mb);
    }
    if (!e->conflict)
        return;
    const struct inv_instance *in = &md->instances[mb->instance];
    const struct inv_def *first = NULL;
    for (size_t i = 0; i < e->ndefs; i++)
        if (e->defs[i].active) {
            first = &e->defs[i];
            break;
        }
    struct buf b = {0};
    for (size_t i = 0; i < e->ndefs; i++) {
        const struct inv_def *d = &e->defs[i];
        if (!d->active)
            continue;
        buf_printf(&b, "%s%s%s%s %s (line %u)", b.len ? ", " : "", inv_level_name(d->level),
                   d->tag ? " " : "", d->tag ? d->tag : "", d->text ? d->text : "?",
                   d->loc.line);
    }
    struct inv_loc loc = first ? first->loc : in->loc;
    for (size_t i = e->ndefs; i-- > 0;)
        if (e->defs[i].active) {
            loc = e->defs[i].loc;
            break;
        }
    inv_diag(inv, DIAG_ERROR, loc,
             "conflicting definitions of %s for machine %s in %s.%s: %s; Clan's evaluation "
             "would fail (make them equal, or decide with lib.mkForce / lib.mkDefault)",
             path, md->machines[mb->machine].name, in->name, in->roles[mb->role].name,
             b.p ? b.p : "");
    buf_free(&b);
}

void inv_check_instance_roles(struct inventory *inv, size_t i)
{
    const struct inv_instance *in = &inv->model.instances[i];
    inv->cur_owner = (struct inv_owner){INV_OWN_ROLE_MACHINES, (uint32_t)i, 0};
    for (size_t j = 0; j < in->nroles; j++) {
        const struct inv_role *r = &in->roles[j];
        for (size_t k = 0; k < r->nmachines; k++)
            if (inv_index_get(&inv->machine_ix, r->machines[k].name) < 0)
                inv_diag(inv, DIAG_ERROR, r->machines[k].loc,
                         "%s.roles.%s names machine '%s', which is not in "
                         "inventory.machines",
                         in->name, r->name, r->machines[k].name);
    }
}

void inv_check_tag_selection(struct inventory *inv)
{
    const struct inv_model *md = &inv->model;
    inv->cur_owner = (struct inv_owner){INV_OWN_TAGSEL, 0, 0};
    for (size_t i = 0; i < md->ninstances; i++) {
        const struct inv_instance *in = &md->instances[i];
        for (size_t j = 0; j < in->nroles; j++) {
            const struct inv_role *r = &in->roles[j];
            for (size_t k = 0; k < r->ntags; k++)
                if (!r->tags[k].nselected)
                    inv_diag(inv, DIAG_WARNING, r->tags[k].loc,
                             "tag '%s' in %s.roles.%s selects no machine (no machine in "
                             "inventory.machines has it)",
                             r->tags[k].name, in->name, r->name);
        }
    }
}

void inv_check_member_conflicts(struct inventory *inv, const struct inv_member *mb)
{
    inv->cur_owner =
        (struct inv_owner){INV_OWN_CONFLICT, (uint32_t)mb->instance, (uint32_t)mb->machine};
    report_conflicts(inv, &mb->settings, "settings", mb);
}

void inv_check_resolution(struct inventory *inv)
{
    const struct inv_model *md = &inv->model;
    for (size_t i = 0; i < md->ninstances; i++)
        inv_check_instance_roles(inv, i);
    inv_check_tag_selection(inv);
    for (size_t k = 0; k < md->nmembers; k++)
        inv_check_member_conflicts(inv, &md->members[k]);
}
