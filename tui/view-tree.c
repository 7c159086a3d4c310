/* The inventory tree view: meta; machines with their tags, roles, states (folders, hooks)
 * and jobs; tags; instances -> roles -> machines and tags -> settings; the borgbackup
 * plan; diagnostics. Nodes live in an arena, rebuilt when the model changes; expansion and
 * selection survive a rebuild (matched by the path of labels). The labels are copies in the
 * arena: a rebuild reads the old nodes after the model and plan they came from were freed
 * (an edit, undo, redo or reload replaces them before app_model_changed). */
#include "tui/view-tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"

/* ---- the tree ---- */

struct tree {
    struct arena ar;
    struct tnode root;
    struct tnode **all; /* preorder */
    size_t nall;
    struct tnode **vis; /* visible rows */
    size_t nvis, cap_vis;
    size_t sel, top;
    bool jump; /* the selection is a search match: place it as less does */
    bool oom;
    struct app *app;
    /* the members of each machine (counting sort by machine), for building machines */
    size_t *by_machine, *machine_first;
};

/* A copy of s in the arena ("" when out of memory: the tree says so once). */
static const char *tree_strdup(struct tree *t, const char *s)
{
    const char *p = arena_strdup(&t->ar, s);
    if (!p) {
        t->oom = true;
        return "";
    }
    return p;
}

static struct tnode *add(struct tree *t, struct tnode *parent, enum tkind kind,
                         enum theme_role role, const char *label, const char *extra)
{
    label = tree_strdup(t, label ? label : ""); /* the key that outlives the model */
    struct tnode *n = arena_alloc(&t->ar, sizeof(*n));
    if (!n) {
        t->oom = true;
        return &t->root; /* keeps building harmlessly; reported once */
    }
    *n = (struct tnode){.kind = (uint8_t)kind, .role = (uint8_t)role, .label = label,
                        .extra = extra, .parent = parent,
                        .depth = (uint16_t)(parent == &t->root ? 0 : parent->depth + 1),
                        .diag = -1, .a = -1, .b = -1, .c = -1};
    if (parent->last)
        parent->last->next = n;
    else
        parent->child = n;
    parent->last = n;
    parent->nchildren++;
    return n;
}

static void at(struct tnode *n, unsigned file, unsigned line, unsigned col)
{
    n->file = (uint16_t)(file > UINT16_MAX ? UINT16_MAX : file);
    n->line = line;
    n->col = col;
}

static void at_loc(struct tnode *n, const struct inv_loc *l)
{
    at(n, l->file, l->line, l->col);
}

/* A plan origin names no file: its position is only certain when the clan is one file. */
static void at_origin(struct app *a, struct tnode *n, const struct plan_origin *o)
{
    if (!app_many_files(a))
        at(n, 0, o->line, o->col);
}

static const char *count_label(struct tree *t, const char *what, size_t n)
{
    return arena_printf(&t->ar, "%s (%zu)", what, n);
}

/* A setting value as one line of text. */
static const char *value_text(struct tree *t, struct app *a, const struct nix_value *v,
                              unsigned file)
{
    switch (v->kind) {
    case NIX_STRING:
        return arena_printf(&t->ar, "\"%s\"", v->str ? v->str : "");
    case NIX_INT:
        return arena_printf(&t->ar, "%lld", (long long)v->ival);
    case NIX_FLOAT:
        return arena_printf(&t->ar, "%g", v->fval);
    case NIX_BOOL:
        return v->bval ? "true" : "false";
    case NIX_NULL:
        return "null";
    case NIX_PATH:
        return v->str;
    case NIX_LIST:
        return arena_printf(&t->ar, "[%zu item%s]", v->nchildren, v->nchildren == 1 ? "" : "s");
    case NIX_ATTRS:
        return NULL;
    case NIX_OPAQUE: {
        size_t len = 0;
        const char *text = app_file_text(a, file, &len);
        size_t s = nix_val_start(v), e = nix_val_end(v) < len ? nix_val_end(v) : len;
        if (!text || s >= e)
            return "(expression)";
        size_t n = e - s > 80 ? 80 : e - s;
        char *p = arena_alloc(&t->ar, n + 1);
        if (!p)
            return "";
        for (size_t i = 0; i < n; i++)
            p[i] = text[s + i] == '\n' || text[s + i] == '\t' ? ' ' : text[s + i];
        p[n] = 0;
        return p;
    }
    }
    return NULL;
}

/* The values of v, from file `file` of the clan. */
static void add_settings(struct tree *t, struct app *a, struct tnode *parent,
                         const struct nix_value *v, unsigned file)
{
    for (size_t i = 0; i < v->nchildren; i++) {
        const struct nix_value *c = v->children[i];
        const char *label = c->name ? c->name : arena_printf(&t->ar, "[%zu]", i);
        struct tnode *n = add(t, parent, TK_SETTING, THEME_TREE_SETTING, label,
                              value_text(t, a, c, file));
        n->ptr = c;
        if (nix_key_line(c))
            at(n, file, nix_key_line(c), nix_key_col(c));
        else
            at(n, file, nix_val_line(c), nix_val_col(c));
        if (c->kind == NIX_ATTRS || c->kind == NIX_LIST)
            add_settings(t, a, n, c, file);
    }
}

static const char *join_tags(struct tree *t, const struct inv_text *tags, size_t n)
{
    if (n == 0)
        return NULL;
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(tags[i].s ? tags[i].s : "") + 2;
    char *p = arena_alloc(&t->ar, len);
    if (!p)
        return NULL;
    p[0] = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = tags[i].s ? tags[i].s : "";
        size_t l = strlen(s);
        if (i) {
            memcpy(p + o, ", ", 2);
            o += 2;
        }
        memcpy(p + o, s, l);
        o += l;
    }
    p[o] = 0;
    return p;
}

static const char *member_via(struct tree *t, const struct inv_member *mb)
{
    if (mb->direct && mb->nvia_tags == 0)
        return "direct";
    /* "direct, via tags a, b": measured, then written once into the arena */
    const char *head = mb->direct ? "direct, " : "", *via = mb->nvia_tags > 1 ? "via tags " : "via tag ";
    size_t len = strlen(head) + strlen(via) + 1;
    for (size_t i = 0; i < mb->nvia_tags; i++)
        len += strlen(mb->via_tags[i]) + (i ? 2 : 0);
    char *r = arena_alloc(&t->ar, len);
    if (!r)
        return NULL;
    char *o = stpcpy(stpcpy(r, head), via);
    for (size_t i = 0; i < mb->nvia_tags; i++)
        o = stpcpy(i ? stpcpy(o, ", ") : o, mb->via_tags[i]);
    return r;
}

static const struct plan_machine *plan_of(struct app *a, size_t mi, const char *name)
{
    /* the plan lists every machine in inventory order */
    if (a->plan && mi < a->plan->nmachines && !strcmp(a->plan->machines[mi].name, name))
        return &a->plan->machines[mi];
    return a->plan ? plan_find_machine(a->plan, name) : NULL;
}

/* A machine's node; its children (most of the tree on a big fleet) wait for the first
 * expand. */
static void add_machine(struct tree *t, struct app *a, struct tnode *sec, size_t mi)
{
    const struct inv_model *m = inventory_model(a->inv);
    const struct inv_machine *mc = &m->machines[mi];
    struct tnode *n = add(t, sec, TK_MACHINE, THEME_TREE_MACHINE, mc->name,
                          join_tags(t, mc->tags, mc->ntags));
    n->a = (long)mi;
    at_loc(n, &mc->loc);
    const struct plan_machine *pm = plan_of(a, mi, mc->name);
    n->lazy = mc->target_host.s || mc->ntags || mc->nstates || (pm && pm->njobs) ||
              (t->machine_first && t->machine_first[mi + 1] > t->machine_first[mi]);
}

static void build_machine(struct tree *t, struct app *a, struct tnode *n)
{
    const struct inv_model *m = inventory_model(a->inv);
    size_t mi = (size_t)n->a;
    const struct inv_machine *mc = &m->machines[mi];
    if (mc->target_host.s) {
        struct tnode *f = add(t, n, TK_FIELD, THEME_TREE_SETTING, "targetHost", mc->target_host.s);
        at_loc(f, &mc->target_host.loc);
        f->a = (long)mi;
    }
    if (mc->ntags) {
        struct tnode *g = add(t, n, TK_GROUP, THEME_TREE_SECTION, count_label(t, "tags", mc->ntags), NULL);
        at_loc(g, &mc->tags_loc);
        for (size_t i = 0; i < mc->ntags; i++) {
            struct tnode *tg = add(t, g, TK_MACHINE_TAG, THEME_TREE_TAG, mc->tags[i].s, NULL);
            tg->a = (long)mi;
            tg->b = (long)i;
            at_loc(tg, &mc->tags[i].loc);
        }
    }
    size_t first = t->machine_first ? t->machine_first[mi] : 0;
    size_t nroles = t->machine_first ? t->machine_first[mi + 1] - first : 0;
    if (nroles) {
        struct tnode *g = add(t, n, TK_GROUP, THEME_TREE_SECTION, count_label(t, "roles", nroles), NULL);
        for (size_t k = first; k < first + nroles; k++) {
            size_t i = t->by_machine[k];
            const struct inv_member *mb = &m->members[i];
            const struct inv_instance *in = &m->instances[mb->instance];
            struct tnode *r = add(t, g, TK_MEMBERSHIP, THEME_TREE_ROLE,
                                  arena_printf(&t->ar, "%s.%s", in->name, in->roles[mb->role].name),
                                  member_via(t, mb));
            r->a = (long)i;
        }
    }
    if (mc->nstates) {
        struct tnode *g = add(t, n, TK_GROUP, THEME_TREE_SECTION, count_label(t, "states", mc->nstates), NULL);
        for (size_t s = 0; s < mc->nstates; s++) {
            const struct inv_state *st = &mc->states[s];
            unsigned nh = 0;
            for (int h = 0; h < INV_NHOOKS; h++)
                nh += st->hooks[h].s != NULL;
            struct tnode *sn = add(t, g, TK_STATE, THEME_TREE_STATE, st->name,
                                   arena_printf(&t->ar, "%zu folder%s%s%s%s", st->nfolders,
                                                st->nfolders == 1 ? "" : "s",
                                                nh ? arena_printf(&t->ar, ", %u hook%s", nh, nh == 1 ? "" : "s") : "",
                                                st->database ? arena_printf(&t->ar, ", database %s", st->database) : "",
                                                st->condition.s ? ", conditional" : ""));
            sn->a = (long)mi;
            sn->b = (long)s;
            at_loc(sn, &st->loc);
            for (size_t f = 0; f < st->nfolders; f++) {
                struct tnode *fn = add(t, sn, TK_FOLDER, THEME_TREE_VALUE, st->folders[f].s,
                                       st->folders[f].opaque ? EVALUATED_ON_MACHINE : NULL);
                fn->a = (long)mi;
                fn->b = (long)s;
                fn->c = (long)f;
                at_loc(fn, &st->folders[f].loc);
            }
            if (st->folders_opaque) {
                struct tnode *fn = add(t, sn, TK_FIELD, THEME_TREE_SETTING, "folders",
                                       arena_printf(&t->ar, "%s  (%s)", st->folders_text.s ? st->folders_text.s : "",
                                                    EVALUATED_ON_MACHINE));
                at_loc(fn, &st->folders_text.loc);
            }
            for (int h = 0; h < INV_NHOOKS; h++) {
                if (!st->hooks[h].s)
                    continue;
                const char *script = st->hooks[h].s;
                while (*script == '\n' || *script == ' ')
                    script++;
                size_t l = strcspn(script, "\n");
                struct tnode *hn = add(t, sn, TK_HOOK, THEME_TREE_HOOK, inv_hook_name((enum inv_hook)h),
                                       arena_printf(&t->ar, "%.*s%s", (int)(l > 60 ? 60 : l), script,
                                                    script[l] && script[l + 1] ? " ..." : ""));
                hn->a = (long)mi;
                hn->b = (long)s;
                hn->c = h;
                at_loc(hn, &st->hooks[h].loc);
            }
        }
    }
    const struct plan_machine *pm = plan_of(a, mi, mc->name);
    if (pm && pm->njobs) {
        struct tnode *g = add(t, n, TK_GROUP, THEME_TREE_SECTION, count_label(t, "jobs", pm->njobs), NULL);
        for (size_t j = 0; j < pm->njobs; j++) {
            struct tnode *jn = add(t, g, TK_JOB, THEME_TREE_JOB, pm->jobs[j].unit,
                                   arena_printf(&t->ar, "%s", pm->jobs[j].start_at ? pm->jobs[j].start_at : ""));
            jn->a = (long)(pm - a->plan->machines);
            jn->b = (long)j;
            at_origin(a, jn, &pm->jobs[j].start_at_origin);
        }
    }
}

/* The tag nodes by name (open addressing; cap a power of two above twice the tags). */
struct tag_ix {
    struct tnode **v;
    size_t cap;
};

static struct tnode **tag_slot(const struct tag_ix *x, const char *name)
{
    size_t j = hash_bytes(name, strlen(name)) & (x->cap - 1);
    while (x->v[j] && strcmp(x->v[j]->label, name))
        j = (j + 1) & (x->cap - 1);
    return &x->v[j];
}

/* Every distinct tag, in first-seen order: machines' tags, then tags used by roles. */
static void build_tags(struct tree *t, struct app *a, struct tnode *sec)
{
    const struct inv_model *m = inventory_model(a->inv);
    size_t ntags = 0, most = 1;
    for (size_t i = 0; i < m->nmachines; i++)
        most += m->machines[i].ntags;
    for (size_t i = 0; i < m->ninstances; i++)
        for (size_t r = 0; r < m->instances[i].nroles; r++)
            most += m->instances[i].roles[r].ntags;
    struct tag_ix ix = {NULL, 16};
    while (ix.cap < most * 2)
        ix.cap *= 2;
    if (!(ix.v = calloc(ix.cap, sizeof(*ix.v)))) {
        t->oom = true;
        return;
    }
    for (size_t i = 0; i < m->nmachines; i++)
        for (size_t j = 0; j < m->machines[i].ntags; j++) {
            const char *tag = m->machines[i].tags[j].s;
            if (!tag)
                continue;
            struct tnode **slot = tag_slot(&ix, tag);
            if (!*slot) {
                *slot = add(t, sec, TK_TAG, THEME_TREE_TAG, tag, NULL);
                at_loc(*slot, &m->machines[i].tags[j].loc);
                ntags++;
            }
            struct tnode *mn = add(t, *slot, TK_TAG_MACHINE, THEME_TREE_MACHINE, m->machines[i].name, NULL);
            mn->a = (long)i;
            at_loc(mn, &m->machines[i].tags[j].loc);
        }
    for (size_t i = 0; i < m->ninstances; i++)
        for (size_t r = 0; r < m->instances[i].nroles; r++)
            for (size_t e = 0; e < m->instances[i].roles[r].ntags; e++) {
                const struct inv_role_entry *re = &m->instances[i].roles[r].tags[e];
                struct tnode **slot = tag_slot(&ix, re->name);
                if (!*slot) {
                    *slot = add(t, sec, TK_TAG, THEME_TREE_TAG, re->name, NULL);
                    at_loc(*slot, &re->loc);
                    ntags++;
                }
            }
    free(ix.v);
    for (struct tnode *c = sec->child; c; c = c->next)
        c->extra = c->nchildren ? arena_printf(&t->ar, "%u machine%s", c->nchildren, c->nchildren == 1 ? "" : "s")
                                : (!strcmp(c->label, "all") || !strcmp(c->label, "nixos") ? "built-in: every machine" : "no machine");
    sec->label = count_label(t, "tags", ntags);
}

/* The machines (kind TK_ROLE_MACHINE) or tags (TK_ROLE_TAG) listed in a role, each with
 * its settings. rn->a and rn->b are the instance and the role. */
static void add_role_entries(struct tree *t, struct app *a, struct tnode *rn, enum tkind kind,
                             const struct inv_role_entry *v, size_t n)
{
    if (!n)
        return;
    bool tags = kind == TK_ROLE_TAG;
    struct tnode *g = add(t, rn, TK_GROUP, THEME_TREE_SECTION,
                          count_label(t, tags ? "tags" : "machines", n), NULL);
    for (size_t e = 0; e < n; e++) {
        const struct inv_role_entry *re = &v[e];
        struct tnode *en = add(t, g, kind, tags ? THEME_TREE_TAG : THEME_TREE_MACHINE, re->name,
                               tags ? arena_printf(&t->ar, "selects %zu machine%s", re->nselected,
                                                   re->nselected == 1 ? "" : "s")
                                    : NULL);
        en->a = rn->a;
        en->b = rn->b;
        en->c = (int32_t)e;
        at_loc(en, &re->loc);
        if (re->settings) {
            struct tnode *s = add(t, en, TK_GROUP, THEME_TREE_SECTION, "settings", NULL);
            at(s, re->loc.file, nix_key_line(re->settings), nix_key_col(re->settings));
            add_settings(t, a, s, re->settings, re->loc.file);
        }
    }
}

static void build_role(struct tree *t, struct app *a, struct tnode *in_node, size_t ii, size_t ri)
{
    const struct inv_model *m = inventory_model(a->inv);
    const struct inv_role *r = &m->instances[ii].roles[ri];
    struct buf sum = {0};
    if (r->ntags) {
        buf_puts(&sum, "tags: ");
        for (size_t i = 0; i < r->ntags; i++)
            buf_printf(&sum, "%s%s", i ? ", " : "", r->tags[i].name);
    }
    if (r->nmachines) {
        buf_printf(&sum, "%s", r->ntags ? "; " : "");
        for (size_t i = 0; i < r->nmachines; i++)
            buf_printf(&sum, "%s%s", i ? ", " : "", r->machines[i].name);
    }
    struct tnode *rn = add(t, in_node, TK_ROLE, THEME_TREE_ROLE, r->name,
                           sum.p ? arena_printf(&t->ar, "%s", sum.p) : NULL);
    buf_free(&sum);
    rn->a = (long)ii;
    rn->b = (long)ri;
    at_loc(rn, &r->loc);
    add_role_entries(t, a, rn, TK_ROLE_MACHINE, r->machines, r->nmachines);
    add_role_entries(t, a, rn, TK_ROLE_TAG, r->tags, r->ntags);
    if (r->settings) {
        struct tnode *s = add(t, rn, TK_GROUP, THEME_TREE_SECTION, "settings", NULL);
        at_loc(s, &r->settings_loc);
        add_settings(t, a, s, r->settings, r->settings_loc.file);
    }
    size_t first, nm = inv_model_role_members(m, ii, ri, &first);
    struct tnode *g = add(t, rn, TK_GROUP, THEME_TREE_SECTION, count_label(t, "members", nm), NULL);
    for (size_t i = first; i < first + nm; i++) {
        const struct inv_member *mb = &m->members[i];
        struct tnode *mn = add(t, g, TK_MEMBER, THEME_TREE_MACHINE, m->machines[mb->machine].name,
                               member_via(t, mb));
        mn->a = (long)i;
    }
}

static void build_plan(struct tree *t, struct app *a, struct tnode *sec)
{
    size_t njobs = 0;
    for (size_t i = 0; a->plan && i < a->plan->nmachines; i++) {
        const struct plan_machine *pm = &a->plan->machines[i];
        if (!pm->is_client && !pm->is_server)
            continue;
        const char *extra;
        if (pm->is_client && pm->njobs == 1)
            extra = arena_printf(&t->ar, "%s %s", a->ui.g->arrow, pm->jobs[0].destination);
        else if (pm->is_client && pm->njobs)
            extra = arena_printf(&t->ar, "%zu jobs", pm->njobs);
        else if (pm->is_client)
            extra = pm->no_jobs_reason ? arena_printf(&t->ar, "no jobs: %s", pm->no_jobs_reason) : "no jobs";
        else
            extra = arena_printf(&t->ar, "server, %zu client%s", pm->nclients, pm->nclients == 1 ? "" : "s");
        struct tnode *n = add(t, sec, TK_PLAN_MACHINE, THEME_TREE_MACHINE, pm->name, extra);
        n->a = (long)i;
        /* its jobs and clients (a server of a big fleet has thousands) wait for an expand */
        n->lazy = pm->njobs || (pm->is_server && pm->nclients);
        njobs += pm->njobs;
    }
    sec->extra = arena_printf(&t->ar, "%zu job%s", njobs, njobs == 1 ? "" : "s");
    const struct inv_model *md = inventory_model(a->inv);
    bool borg = false;
    for (size_t i = 0; i < md->ninstances && !borg; i++)
        borg = md->instances[i].module.s && !strcmp(md->instances[i].module.s, "borgbackup");
    if (!borg) /* where the seed's walk-through starts: say how to begin */
        sec->extra = "none yet: I sets up";
}

/* A plan machine's children: its jobs, and a server's clients. */
static void build_plan_machine(struct tree *t, struct app *a, struct tnode *n)
{
    size_t i = (size_t)n->a;
    if (!a->plan || i >= a->plan->nmachines)
        return;
    const struct plan_machine *pm = &a->plan->machines[i];
    for (size_t j = 0; j < pm->njobs; j++) {
        const struct plan_job *jb = &pm->jobs[j];
        struct tnode *jn = add(t, n, TK_JOB, THEME_TREE_JOB, jb->unit, jb->start_at);
        jn->a = (long)i;
        jn->b = (long)j;
        at_origin(a, jn, &jb->start_at_origin);
    }
    if (pm->is_server && pm->nclients) {
        for (size_t c = 0; c < pm->nclients; c++) {
            struct tnode *cn = add(t, n, TK_SERVER_CLIENT, THEME_TREE_MACHINE,
                                   arena_printf(&t->ar, "%s %s", a->ui.g->arrow, pm->clients[c].client),
                                   pm->clients[c].directory);
            cn->a = (long)i;
            cn->b = (long)c;
        }
    }
}

/* The files of a clan directory (a lone file has only itself: no section) and, under
 * them, the imports that cannot be followed without evaluating Nix. */
static void build_files(struct tree *t, struct app *a)
{
    size_t n = inventory_nlisted(a->inv), nu = inventory_nunfollowed(a->inv);
    if (!inventory_dir(a->inv))
        return;
    struct tnode *sec = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, count_label(t, "files", n),
                            nu ? arena_printf(&t->ar, "%zu import%s not followed", nu, nu == 1 ? "" : "s") : NULL);
    sec->a = SEC_FILES;
    for (size_t i = 0; i < n; i++) { /* the files the model reads now, main module first */
        unsigned file = inventory_listed(a->inv, i);
        const struct inv_file_info *fi = inventory_file(a->inv, file);
        if (!fi || !fi->path)
            continue;
        struct tnode *f = add(t, sec, TK_FILE, THEME_TREE_NORMAL, app_clan_path(a, fi->path),
                              app_file_kind(fi->kind));
        f->a = (int32_t)file;
    }
    if (!nu)
        return;
    struct tnode *g = add(t, sec, TK_GROUP, THEME_TREE_SECTION, count_label(t, "not followed", nu), NULL);
    for (size_t i = 0; i < nu; i++) {
        const struct inv_unfollowed *u = inventory_unfollowed(a->inv, i);
        struct tnode *un = add(t, g, TK_UNFOLLOWED, THEME_TREE_VALUE, u->text,
                               u->machine ? arena_printf(&t->ar, "machine %s", u->machine) : NULL);
        un->a = (int32_t)i;
        at_loc(un, &u->loc);
    }
}

static void build(struct tree *t, struct app *a)
{
    const struct inv_model *m = a->inv ? inventory_model(a->inv) : NULL;
    size_t nd = app_ndiags(a);
    bool errors = false;
    for (size_t i = 0; i < nd; i++)
        errors |= app_diag(a, i)->severity == DIAG_ERROR;
    if (nd) {
        struct tnode *sec = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, count_label(t, "diagnostics", nd), NULL);
        sec->a = SEC_DIAGS;
        sec->expanded = errors;
        for (size_t i = 0; i < nd; i++) {
            const struct diag *d = app_diag(a, i);
            enum theme_role role = d->severity == DIAG_ERROR ? THEME_DIAG_ERROR
                                   : d->severity == DIAG_WARNING ? THEME_DIAG_WARNING : THEME_DIAG_NOTE;
            const char *base = d->file && app_many_files(a) ? strrchr(d->file, '/') : NULL;
            base = base ? base + 1 : d->file && app_many_files(a) ? d->file : NULL;
            struct tnode *dn = add(t, sec, TK_DIAG, role, d->msg,
                                   d->line ? arena_printf(&t->ar, "%s %s%s%u:%u", diag_severity_name(d->severity),
                                                          base ? base : "", base ? ":" : "", d->line, d->col)
                                           : diag_severity_name(d->severity));
            dn->a = (long)i;
        }
    }
    if (!m)
        return;
    struct tnode *meta = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, "meta", m->meta.name.s);
    meta->a = SEC_META;
    meta->expanded = true;
    if (m->meta.name.s) {
        struct tnode *f = add(t, meta, TK_FIELD, THEME_TREE_SETTING, "name", m->meta.name.s);
        at_loc(f, &m->meta.name.loc);
    }
    if (m->meta.domain.s) {
        struct tnode *f = add(t, meta, TK_FIELD, THEME_TREE_SETTING, "domain", m->meta.domain.s);
        at_loc(f, &m->meta.domain.loc);
    }
    build_files(t, a);
    struct tnode *ms = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, count_label(t, "machines", m->nmachines), NULL);
    ms->a = SEC_MACHINES;
    ms->expanded = true;
    /* members grouped by machine, in member order, so each machine finds its roles at once */
    if (inv_model_members_by_machine(m, &t->machine_first, &t->by_machine) < 0)
        t->oom = true;
    for (size_t i = 0; i < m->nmachines; i++)
        add_machine(t, a, ms, i);
    struct tnode *ts = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, "tags", NULL);
    ts->a = SEC_TAGS;
    build_tags(t, a, ts);
    struct tnode *is = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, count_label(t, "instances", m->ninstances), NULL);
    is->a = SEC_INSTANCES;
    is->expanded = true;
    for (size_t i = 0; i < m->ninstances; i++) {
        const struct inv_instance *in = &m->instances[i];
        const char *mod = in->module.s && strcmp(in->module.s, in->name) ? arena_printf(&t->ar, "module %s", in->module.s) : NULL;
        struct tnode *n = add(t, is, TK_INSTANCE, THEME_TREE_INSTANCE, in->name, mod);
        n->a = (long)i;
        at_loc(n, &in->loc);
        for (size_t r = 0; r < in->nroles; r++)
            build_role(t, a, n, i, r);
    }
    struct tnode *bs = add(t, &t->root, TK_SECTION, THEME_TREE_SECTION, "backups", NULL);
    bs->a = SEC_BACKUPS;
    bs->expanded = true;
    build_plan(t, a, bs);
}

static void number(struct tree *t)
{
    size_t n = 0, cap = 1024;
    struct tnode **all = malloc(cap * sizeof(*all));
    struct tnode *c = t->root.child;
    while (c && all) {
        if (n == cap) {
            struct tnode **v = realloc(all, (cap *= 2) * sizeof(*v));
            if (!v) {
                free(all);
                all = NULL;
                break;
            }
            all = v;
        }
        c->pre = n;
        all[n++] = c;
        if (c->child) {
            c = c->child;
        } else {
            while (c && !c->next)
                c = c->parent == &t->root ? NULL : c->parent;
            if (c)
                c = c->next;
        }
    }
    free(t->all);
    t->all = all;
    t->nall = all ? n : 0;
    if (!all)
        t->oom = true;
}

/* Visible rows: walk the expanded part of the tree. */
static void flatten(struct tree *t)
{
    t->nvis = 0;
    struct tnode *c = t->root.child;
    while (c) {
        if (t->nvis == t->cap_vis) {
            size_t cap = t->cap_vis ? t->cap_vis * 2 : 256;
            struct tnode **v = realloc(t->vis, cap * sizeof(*v));
            if (!v) {
                t->oom = true;
                return;
            }
            t->vis = v;
            t->cap_vis = cap;
        }
        t->vis[t->nvis++] = c;
        if (c->child && c->expanded) {
            c = c->child;
        } else {
            while (c && !c->next)
                c = c->parent == &t->root ? NULL : c->parent;
            if (c)
                c = c->next;
        }
    }
    if (t->sel >= t->nvis)
        t->sel = t->nvis ? t->nvis - 1 : 0;
}

static size_t vis_index(const struct tree *t, const struct tnode *n)
{
    for (size_t i = 0; i < t->nvis; i++)
        if (t->vis[i] == n)
            return i;
    return (size_t)-1;
}

/* By position: file, then line; preorder breaks ties. */
static int cmp_line(const void *x, const void *y)
{
    const struct tnode *p = *(struct tnode *const *)x, *q = *(struct tnode *const *)y;
    if (p->file != q->file)
        return p->file < q->file ? -1 : 1;
    if (p->line != q->line)
        return p->line < q->line ? -1 : 1;
    return p->pre < q->pre ? -1 : p->pre > q->pre;
}

/* The node of by[0..n) (sorted by cmp_line) that a position in file:line belongs to: the
 * first one on that line, else the last one before it in that file; NULL when none. */
static struct tnode *node_at(struct tnode **by, size_t n, unsigned file, unsigned line)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first node at or after (file, line) */
        size_t mid = (lo + hi) / 2;
        if (by[mid]->file < file || (by[mid]->file == file && by[mid]->line < line))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && by[lo]->file == file && by[lo]->line == line)
        return by[lo];
    return lo > 0 && by[lo - 1]->file == file ? by[lo - 1] : NULL;
}

/* The index k steps from start in direction dir, wrapping around n. */
static size_t step(size_t start, size_t n, int dir, size_t k)
{
    k %= n;
    return dir > 0 ? (start + k) % n : (start + n - k) % n;
}

static void mark_diags(struct tree *t, struct app *a)
{
    size_t nd = app_ndiags(a);
    if (!nd || !t->nall)
        return;
    /* nodes with a position, by line (preorder breaks ties) */
    struct tnode **by = malloc(t->nall * sizeof(*by));
    if (!by)
        return;
    size_t n = 0;
    for (size_t i = 0; i < t->nall; i++)
        if (t->all[i]->line && t->all[i]->kind != TK_DIAG)
            by[n++] = t->all[i];
    qsort(by, n, sizeof(*by), cmp_line);
    for (size_t i = 0; i < nd; i++) {
        const struct diag *d = app_diag(a, i);
        long file = app_diag_file(a, d);
        if (!d->line || file < 0)
            continue;
        struct tnode *best = node_at(by, n, (unsigned)file, d->line);
        if (best && (best->diag < 0 || (int)d->severity < best->diag))
            best->diag = (int8_t)d->severity;
    }
    free(by);
}

/* Build a lazy node's children (the caller renumbers). */
static bool materialize(struct tree *t, struct tnode *n)
{
    if (!n->lazy)
        return false;
    n->lazy = false;
    if (n->kind == TK_MACHINE)
        build_machine(t, t->app, n);
    else if (n->kind == TK_PLAN_MACHINE)
        build_plan_machine(t, t->app, n);
    return true;
}

/* Preorder numbers and diagnostic marks after nodes were added. */
static void renumber(struct tree *t)
{
    number(t);
    for (size_t i = 0; i < t->nall; i++)
        t->all[i]->diag = -1;
    mark_diags(t, t->app);
}

/* Everything built (search, diagnostics, goto): once, then the tree is complete. */
static void materialize_all(struct tree *t)
{
    bool any = false;
    for (size_t i = 0; i < t->nall; i++)
        any |= materialize(t, t->all[i]);
    if (any) {
        renumber(t);
        flatten(t);
    }
}

static bool has_kids(const struct tnode *n)
{
    return n->child || n->lazy;
}

/* How much of a label names the node: a section's or group's count ("machines (3)",
 * "tags (2)") changes with the edit that adds a machine or a tag, the name does not. */
static size_t key_len(const struct tnode *n)
{
    size_t l = strlen(n->label);
    if ((n->kind != TK_SECTION && n->kind != TK_GROUP) || l < 4 || n->label[l - 1] != ')')
        return l;
    size_t i = l - 1;
    while (i > 0 && n->label[i - 1] >= '0' && n->label[i - 1] <= '9')
        i--;
    return i >= 2 && i < l - 1 && n->label[i - 1] == '(' && n->label[i - 2] == ' ' ? i - 2 : l;
}

/* A node's identity across rebuilds: its path of names from the root
 * ("instances/borgbackup/client/machines/alice-laptop"), hashed. */
static uint64_t node_hash(const struct tnode *n)
{
    uint64_t h = 1469598103934665603ull;
    for (; n && n->parent; n = n->parent)
        h = (h ^ hash_bytes(n->label, key_len(n))) * 1099511628211ull + n->depth;
    return h;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t p = *(const uint64_t *)x, q = *(const uint64_t *)y;
    return p < q ? -1 : p > q;
}

static void tree_clear(struct tree *t)
{
    free(t->machine_first);
    free(t->by_machine);
    t->machine_first = NULL;
    t->by_machine = NULL;
    arena_free(&t->ar);
    free(t->all);
    t->all = NULL;
    t->nall = 0;
    t->nvis = 0;
    t->root = (struct tnode){.depth = 0, .expanded = true};
}

static struct tnode *selected(const struct tree *t)
{
    return t->nvis ? t->vis[t->sel] : NULL;
}

static void selection_changed(struct view *v, struct app *a)
{
    struct tree *t = v->data;
    if (a->details)
        view_details_update(a->details, a, selected(t));
    app_set_dirty(a);
}

void view_tree_rebuild(struct view *v, struct app *a)
{
    struct tree *t = v->data;
    /* remember what was open and selected: the old nodes' paths of labels (their own
     * copies; extra and ptr may point into a model that is gone by now) */
    uint64_t *open = NULL, sel_h = 0;
    size_t nopen = 0;
    bool had = t->nall > 0;
    if (had) {
        open = malloc(t->nall * sizeof(*open));
        for (size_t i = 0; open && i < t->nall; i++)
            if (t->all[i]->expanded)
                open[nopen++] = node_hash(t->all[i]);
        if (open)
            qsort(open, nopen, sizeof(*open), cmp_u64);
        if (selected(t))
            sel_h = node_hash(selected(t));
    }
    size_t old_sel = t->sel;
    tree_clear(t);
    t->app = a;
    build(t, a);
    number(t);
    if (app_ndiags(a)) /* so that every diagnostic sits on its own node */
        materialize_all(t);
    else
        mark_diags(t, a);
    if (had && open) {
        bool again = true;
        while (again) { /* opening a lazy node adds nodes that may be open too */
            again = false;
            for (size_t i = 0; i < t->nall && !again; i++) {
                uint64_t h = node_hash(t->all[i]);
                bool on = bsearch(&h, open, nopen, sizeof(h), cmp_u64) != NULL;
                t->all[i]->expanded = on;
                if (on && materialize(t, t->all[i])) {
                    renumber(t);
                    again = true;
                }
            }
        }
    }
    flatten(t);
    t->sel = 0;
    if (had) {
        t->sel = old_sel < t->nvis ? old_sel : (t->nvis ? t->nvis - 1 : 0);
        for (size_t i = 0; i < t->nvis; i++)
            if (node_hash(t->vis[i]) == sel_h) {
                t->sel = i;
                break;
            }
    }
    free(open);
    if (t->oom)
        app_message(a, true, "out of memory: the tree is incomplete");
    selection_changed(v, a);
}

/* ---- navigation ---- */

static void select_node(struct view *v, struct app *a, struct tnode *n)
{
    struct tree *t = v->data;
    bool changed = false;
    for (struct tnode *p = n->parent; p && p != &t->root; p = p->parent)
        if (!p->expanded) {
            p->expanded = true;
            changed = true;
        }
    if (changed)
        flatten(t);
    size_t i = vis_index(t, n);
    if (i != (size_t)-1)
        t->sel = i;
    selection_changed(v, a);
}

static void move_to(struct view *v, struct app *a, long target)
{
    struct tree *t = v->data;
    if (!t->nvis)
        return;
    if (target < 0)
        target = 0;
    if ((size_t)target >= t->nvis)
        target = (long)t->nvis - 1;
    if ((size_t)target != t->sel) {
        t->sel = (size_t)target;
        selection_changed(v, a);
    }
}

static void set_expanded(struct tree *t, struct tnode *n, bool on)
{
    n->expanded = on;
    if (on && materialize(t, n))
        renumber(t);
    flatten(t);
}

static bool expand_all_below(struct tree *t, struct tnode *n)
{
    bool built = materialize(t, n);
    n->expanded = true;
    for (struct tnode *c = n->child; c; c = c->next)
        built |= expand_all_below(t, c);
    return built;
}

static bool tree_action(struct view *v, struct app *a, enum action act)
{
    struct tree *t = v->data;
    struct tnode *n = selected(t);
    long page = v->height > 1 ? v->height - 1 : 1;
    switch (act) {
    case ACT_MOVE_DOWN: move_to(v, a, (long)t->sel + 1); return true;
    case ACT_MOVE_UP: move_to(v, a, (long)t->sel - 1); return true;
    case ACT_MOVE_FIRST: move_to(v, a, 0); return true;
    case ACT_MOVE_LAST: move_to(v, a, (long)t->nvis - 1); return true;
    case ACT_PAGE_DOWN: move_to(v, a, (long)t->sel + page); return true;
    case ACT_PAGE_UP: move_to(v, a, (long)t->sel - page); return true;
    case ACT_MOVE_PARENT:
        if (n && n->parent != &t->root)
            select_node(v, a, n->parent);
        return true;
    case ACT_COLLAPSE:
        if (!n)
            return true;
        if (has_kids(n) && n->expanded) {
            set_expanded(t, n, false);
            app_set_dirty(a);
        } else if (n->parent != &t->root) {
            select_node(v, a, n->parent);
        }
        return true;
    case ACT_EXPAND:
        if (n && has_kids(n)) {
            if (!n->expanded) {
                set_expanded(t, n, true);
                app_set_dirty(a);
            } else {
                move_to(v, a, (long)t->sel + 1);
            }
        }
        return true;
    case ACT_ENTER:
        if (!n)
            return true;
        if (n->kind == TK_DIAG) {
            const struct diag *d = app_diag(a, (size_t)n->a);
            long file = d ? app_diag_file(a, d) : -1;
            if (d && d->line && (file < 0 || !app_goto_line(a, (unsigned)file, d->line)))
                app_message(a, false, "no node at line %u; the details show the source", d->line);
            else if (d && !d->line)
                app_message(a, false, "this diagnostic has no source position");
        } else if (has_kids(n)) {
            set_expanded(t, n, !n->expanded);
            app_set_dirty(a);
        } else {
            a->focus = 1; /* a leaf: read its details */
            app_set_dirty(a);
        }
        return true;
    case ACT_EXPAND_ALL:
        if (n) {
            if (expand_all_below(t, n))
                renumber(t);
            flatten(t);
            app_set_dirty(a);
        }
        return true;
    case ACT_COLLAPSE_ALL: {
        struct tnode *top = n;
        while (top && top->parent != &t->root)
            top = top->parent;
        for (size_t i = 0; i < t->nall; i++)
            t->all[i]->expanded = false;
        flatten(t);
        t->sel = top ? vis_index(t, top) : 0;
        if (t->sel == (size_t)-1)
            t->sel = 0;
        selection_changed(v, a);
        return true;
    }
    case ACT_NEXT_DIAG:
    case ACT_PREV_DIAG: {
        int dir = act == ACT_NEXT_DIAG ? 1 : -1;
        size_t start = n ? n->pre : 0;
        for (size_t k = 1; k <= t->nall; k++) {
            size_t i = step(start, t->nall, dir, k);
            if (t->all[i]->diag >= 0) {
                select_node(v, a, t->all[i]);
                return true;
            }
        }
        app_message(a, false, "no diagnostics on any node");
        return true;
    }
    default:
        return false;
    }
}

static bool tree_search(struct view *v, struct app *a, const char *q, int dir, bool skip)
{
    struct tree *t = v->data;
    if (!t->nall || !*q)
        return false;
    materialize_all(t);
    struct tnode *n = selected(t);
    size_t start = n ? n->pre : 0;
    for (size_t k = skip ? 1 : 0; k <= t->nall; k++) {
        size_t i = step(start, t->nall, dir, k);
        if (strcasestr(t->all[i]->label, q)) {
            select_node(v, a, t->all[i]);
            t->jump = true;
            return true;
        }
    }
    return false;
}

static void tree_draw(struct view *v, struct app *a, int y, int x, int h, int w, bool focused)
{
    struct tree *t = v->data;
    struct ui *ui = &a->ui;
    v->height = h;
    t->top = ui_scroll_top(t->top, t->sel, t->nvis, h, t->jump);
    t->jump = false;
    if (t->top + (size_t)h > t->nvis)
        t->top = t->nvis > (size_t)h ? t->nvis - (size_t)h : 0;
    /* extras line up in one column: after the longest label on screen, within reason */
    int extra_col = 0;
    for (int r = 0; r < h && t->top + (size_t)r < t->nvis; r++) {
        const struct tnode *n = t->vis[t->top + (size_t)r];
        if (!n->extra)
            continue;
        int c = 1 + 2 * (int)n->depth + 2 + ui_width(ui, n->label) + (n->diag >= 0 ? 2 : 0) + 2;
        if (c > extra_col)
            extra_col = c;
    }
    if (extra_col > w / 2)
        extra_col = w / 2;
    for (int r = 0; r < h; r++) {
        size_t i = t->top + (size_t)r;
        ui_fill(ui, y + r, x, w, THEME_TREE_NORMAL);
        if (i >= t->nvis)
            continue;
        const struct tnode *n = t->vis[i];
        int col = x + 1 + 2 * (int)n->depth;
        int right = x + w;
        if (col >= right - 2)
            col = right - 2;
        const char *marker = has_kids(n) ? (n->expanded ? ui->g->open : ui->g->closed) : ui->g->leaf;
        col += ui_text(ui, y + r, col, right - col, THEME_TREE_GUIDE, marker);
        col += ui_text(ui, y + r, col, right - col, THEME_TREE_NORMAL, " ");
        int label_x = col;
        col += ui_text(ui, y + r, col, right - col - 1, n->role, n->label);
        int hx = 0, hw = 0;
        const char *q = a->last_search, *hit = q && *q ? strcasestr(n->label, q) : NULL;
        if (hit) { /* the search term, highlighted where it shows in full */
            hx = label_x + ui_widthn(ui, n->label, (size_t)(hit - n->label));
            hw = ui_widthn(ui, hit, strlen(q));
            if (hx + hw > col)
                hw = 0;
        }
        if (n->diag >= 0)
            col += ui_text(ui, y + r, col, right - col, n->diag == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING,
                           n->diag == DIAG_ERROR ? " !" : " ?");
        char mark[320];
        enum theme_role mrole;
        /* the last backup result (issue 17); a job's shows in place of its schedule */
        bool marked = a->backups && backups_tree_mark(a, n, mark, sizeof(mark), &mrole);
        if (n->extra && *n->extra && right - col > 4 && !(marked && n->kind == TK_JOB)) {
            int ec = col + 2;
            if (x + extra_col > ec)
                ec = x + extra_col;
            col = ec + ui_text(ui, y + r, ec, right - ec - 1, n->kind == TK_MACHINE ? THEME_TREE_TAG
                                                   : n->kind == TK_SECTION || n->kind == TK_GROUP ? THEME_TREE_COUNT
                                                   : THEME_TREE_VALUE, n->extra);
        }
        if (marked && right - col > 6)
            ui_text(ui, y + r, col + 2, right - col - 3, mrole, mark);
        if (i == t->sel)
            ui_overlay_attr(ui, y + r, x, w, focused ? THEME_TREE_SELECTED : THEME_TREE_SELECTED_INACTIVE);
        if (hw > 0)
            ui_overlay_attr(ui, y + r, hx, hw, THEME_TREE_MATCH);
    }
}

static const char *tree_title(struct view *v, struct app *a)
{
    (void)v;
    (void)a;
    return "Inventory";
}

static void tree_position(struct view *v, char *buf, size_t n)
{
    struct tree *t = v->data;
    snprintf(buf, n, "%zu/%zu", t->nvis ? t->sel + 1 : 0, t->nvis);
}

static void tree_mouse(struct view *v, struct app *a, int row, int wheel)
{
    struct tree *t = v->data;
    if (wheel) {
        move_to(v, a, (long)t->sel + 3 * wheel);
        return;
    }
    if (row >= 0 && t->top + (size_t)row < t->nvis) {
        if (t->top + (size_t)row == t->sel && has_kids(selected(t))) {
            set_expanded(t, selected(t), !selected(t)->expanded);
            app_set_dirty(a);
        } else {
            move_to(v, a, (long)(t->top + (size_t)row));
        }
    }
}

static void tree_free(struct view *v)
{
    struct tree *t = v->data;
    if (!t)
        return;
    tree_clear(t);
    free(t->vis);
    free(t);
}

static const struct view_ops tree_ops = {
    .name = "tree",
    .draw = tree_draw,
    .action = tree_action,
    .search = tree_search,
    .title = tree_title,
    .position = tree_position,
    .mouse = tree_mouse,
    .free = tree_free,
};

struct view *view_tree_new(struct app *a)
{
    struct view *v = calloc(1, sizeof(*v));
    struct tree *t = calloc(1, sizeof(*t));
    if (!v || !t) {
        free(v);
        free(t);
        return NULL;
    }
    t->root.expanded = true;
    t->app = a;
    v->ops = &tree_ops;
    v->data = t;
    return v;
}

const struct tnode *view_tree_selected(struct view *v)
{
    return selected(v->data);
}

bool view_tree_select_line(struct view *v, struct app *a, unsigned file, unsigned line)
{
    struct tree *t = v->data;
    materialize_all(t);
    struct tnode *best = NULL;
    for (size_t i = 0; i < t->nall; i++) {
        struct tnode *n = t->all[i];
        if (n->kind == TK_DIAG || !n->line || n->file != file || n->line > line)
            continue;
        if (!best || n->line > best->line)
            best = n;
    }
    if (!best)
        return false;
    select_node(v, a, best);
    return true;
}

bool view_tree_goto_label(struct view *v, struct app *a, const char *label)
{
    struct tree *t = v->data;
    materialize_all(t);
    for (size_t i = 0; i < t->nall; i++)
        if (!strcmp(t->all[i]->label, label) && t->all[i]->kind != TK_DIAG) {
            select_node(v, a, t->all[i]);
            return true;
        }
    return false;
}
