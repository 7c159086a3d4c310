/* JSON output: the model (`dump --json`) and the plan (`plan --json`). */
#include "core/inventory/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void put_key(struct buf *b, bool *first, const char *k)
{
    if (!*first)
        buf_putc(b, ',');
    *first = false;
    json_put_string(b, k);
    buf_putc(b, ':');
}

static void put_str_or_null(struct buf *b, const char *s)
{
    if (s)
        json_put_string(b, s);
    else
        buf_puts(b, "null");
}

static void put_loc(const struct inventory *inv, struct buf *b, bool *first,
                    const struct inv_loc *l)
{
    put_key(b, first, "line");
    buf_put_uint(b, l->line);
    put_key(b, first, "col");
    buf_put_uint(b, l->col);
    long k = l->file ? inventory_listing_index(inv, l->file) : 0;
    if (k) { /* index into the top-level "files" (absent: the main file, 0) */
        put_key(b, first, "file");
        buf_printf(b, "%ld", k);
    }
}

/* {"value": "...", "opaque": false, "line": L, "col": C} or null */
static void put_text(const struct inventory *inv, struct buf *b, const struct inv_text *t)
{
    if (!t->s) {
        buf_puts(b, "null");
        return;
    }
    bool f = true;
    buf_putc(b, '{');
    put_key(b, &f, "value");
    json_put_string(b, t->s);
    put_key(b, &f, "opaque");
    buf_puts(b, t->opaque ? "true" : "false");
    put_loc(inv, b, &f, &t->loc);
    buf_putc(b, '}');
}

/* A literal Nix value as JSON; opaque parts as {"opaque": "source"}. */
static void put_value(const struct inventory *inv, struct buf *b, const struct nix_value *v)
{
    if (!v) {
        buf_puts(b, "null");
        return;
    }
    switch (v->kind) {
    case NIX_STRING:
        json_put_string(b, v->str ? v->str : "");
        break;
    case NIX_PATH:
        json_put_string(b, v->str ? v->str : "");
        break;
    case NIX_INT:
        buf_printf(b, "%" PRId64, v->ival);
        break;
    case NIX_FLOAT:
        buf_printf(b, "%.17g", v->fval);
        break;
    case NIX_BOOL:
        buf_puts(b, v->bval ? "true" : "false");
        break;
    case NIX_NULL:
        buf_puts(b, "null");
        break;
    case NIX_LIST:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->nchildren; i++) {
            if (i)
                buf_putc(b, ',');
            put_value(inv, b, v->children[i]);
        }
        buf_putc(b, ']');
        break;
    case NIX_ATTRS: {
        buf_putc(b, '{');
        bool f = true;
        for (size_t i = 0; i < v->nchildren; i++) {
            put_key(b, &f, v->children[i]->name);
            put_value(inv, b, v->children[i]);
        }
        buf_putc(b, '}');
        break;
    }
    case NIX_OPAQUE: {
        char *t = inv_value_text(inv, v);
        buf_puts(b, "{\"opaque\":");
        put_str_or_null(b, t);
        buf_putc(b, '}');
        free(t);
        break;
    }
    }
}

static void put_eff(const struct inventory *inv, struct buf *b, const struct inv_eff *e)
{
    bool f = true;
    buf_putc(b, '{');
    if (e->kind == NIX_ATTRS && (e->nchildren || !e->ndefs)) {
        put_key(b, &f, "attrs");
        buf_putc(b, '{');
        bool g = true;
        for (size_t i = 0; i < e->nchildren; i++) {
            put_key(b, &g, e->children[i].name);
            put_eff(inv, b, &e->children[i]);
        }
        buf_putc(b, '}');
    } else if (e->kind == NIX_LIST) {
        put_key(b, &f, "value");
        buf_putc(b, '[');
        for (size_t i = 0; i < e->nitems; i++) {
            if (i)
                buf_putc(b, ',');
            put_value(inv, b, e->items[i]);
        }
        buf_putc(b, ']');
    } else {
        put_key(b, &f, "value");
        if (e->conflict || !e->winner)
            buf_puts(b, "null");
        else
            put_value(inv, b, e->winner->value);
    }
    if (e->winner) {
        put_key(b, &f, "origin");
        const struct inv_def *w = e->winner;
        if (w->level == INV_LEVEL_TAG) {
            buf_puts(b, "\"tag:");
            struct buf t = {0};
            json_put_string(&t, w->tag ? w->tag : "");
            buf_append(b, t.p + 1, t.len - 1);
            buf_free(&t);
        } else {
            json_put_string(b, inv_level_name(w->level));
        }
    }
    put_key(b, &f, "conflict");
    buf_puts(b, e->conflict ? "true" : "false");
    if (e->ndefs) {
        put_key(b, &f, "definitions");
        buf_putc(b, '[');
        for (size_t i = 0; i < e->ndefs; i++) {
            const struct inv_def *d = &e->defs[i];
            bool g = true;
            buf_puts(b, i ? ",{" : "{");
            put_key(b, &g, "level");
            json_put_string(b, inv_level_name(d->level));
            if (d->tag) {
                put_key(b, &g, "tag");
                json_put_string(b, d->tag);
            }
            put_key(b, &g, "priority");
            buf_printf(b, "%d", d->priority);
            put_key(b, &g, "text");
            put_str_or_null(b, d->text);
            put_key(b, &g, "active");
            buf_puts(b, d->active ? "true" : "false");
            put_loc(inv, b, &g, &d->loc);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
    }
    buf_putc(b, '}');
}

static void put_entries(const struct inventory *inv, struct buf *b,
                        const struct inv_role_entry *e, size_t n, bool tags)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool f = true;
        buf_puts(b, i ? ",{" : "{");
        put_key(b, &f, "name");
        json_put_string(b, e[i].name);
        put_loc(inv, b, &f, &e[i].loc);
        if (tags) {
            put_key(b, &f, "selects");
            buf_put_uint(b, e[i].nselected);
        }
        put_key(b, &f, "settings");
        put_value(inv, b, e[i].settings);
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
}

int inventory_dump_json(const struct inventory *inv, struct buf *out)
{
    const struct inv_model *md = &inv->model;
    struct buf *b = out;
    bool f = true;
    buf_putc(b, '{');
    put_key(b, &f, "file");
    json_put_string(b, inv->name);
    if (inventory_dir(inv)) {
        static const char *const kinds[] = {"clan", "json", "nixos", "flake"};
        put_key(b, &f, "dir");
        json_put_string(b, inventory_dir(inv));
        put_key(b, &f, "files");
        buf_putc(b, '[');
        for (size_t i = 0; i < inventory_nlisted(inv); i++) {
            const struct inv_file_info *fi = inventory_file(inv, inventory_listed(inv, i));
            bool g = true;
            buf_puts(b, i ? ",{" : "{");
            put_key(b, &g, "path");
            json_put_string(b, fi->path);
            put_key(b, &g, "kind");
            json_put_string(b, kinds[fi->kind]);
            put_key(b, &g, "why");
            json_put_string(b, fi->why);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
        put_key(b, &f, "unfollowed");
        buf_putc(b, '[');
        for (size_t i = 0; i < inventory_nunfollowed(inv); i++) {
            const struct inv_unfollowed *u = inventory_unfollowed(inv, i);
            bool g = true;
            buf_puts(b, i ? ",{" : "{");
            put_key(b, &g, "import");
            json_put_string(b, u->text);
            put_key(b, &g, "machine");
            put_str_or_null(b, u->machine);
            put_loc(inv, b, &g, &u->loc);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
    }
    put_key(b, &f, "meta");
    {
        bool g = true;
        buf_putc(b, '{');
        put_key(b, &g, "name");
        put_text(inv, b, &md->meta.name);
        put_key(b, &g, "domain");
        put_text(inv, b, &md->meta.domain);
        buf_putc(b, '}');
    }
    /* each machine's memberships at once, not a scan of every member per machine */
    size_t *mstart, *bym;
    if (inv_model_members_by_machine(md, &mstart, &bym) < 0)
        return -ENOMEM;
    put_key(b, &f, "machines");
    buf_putc(b, '[');
    for (size_t i = 0; i < md->nmachines; i++) {
        const struct inv_machine *m = &md->machines[i];
        bool g = true;
        buf_puts(b, i ? ",{" : "{");
        put_key(b, &g, "name");
        json_put_string(b, m->name);
        put_loc(inv, b, &g, &m->loc);
        put_key(b, &g, "targetHost");
        put_text(inv, b, &m->target_host);
        put_key(b, &g, "tags");
        buf_putc(b, '[');
        for (size_t t = 0; t < m->ntags; t++) {
            if (t)
                buf_putc(b, ',');
            put_text(inv, b, &m->tags[t]);
        }
        buf_putc(b, ']');
        put_key(b, &g, "inventory");
        put_value(inv, b, m->node);
        put_key(b, &g, "configOpaque");
        buf_puts(b, m->config_opaque ? "true" : "false");
        put_key(b, &g, "states");
        buf_putc(b, '[');
        for (size_t s = 0; s < m->nstates; s++) {
            const struct inv_state *st = &m->states[s];
            bool h = true;
            buf_puts(b, s ? ",{" : "{");
            put_key(b, &h, "name");
            json_put_string(b, st->name);
            put_loc(inv, b, &h, &st->loc);
            put_key(b, &h, "database");
            put_str_or_null(b, st->database);
            put_key(b, &h, "folders");
            if (st->folders_opaque) {
                put_text(inv, b, &st->folders_text);
            } else {
                buf_putc(b, '[');
                for (size_t k = 0; k < st->nfolders; k++) {
                    if (k)
                        buf_putc(b, ',');
                    put_text(inv, b, &st->folders[k]);
                }
                buf_putc(b, ']');
            }
            for (int hk = 0; hk < INV_NHOOKS; hk++) {
                put_key(b, &h, inv_hook_name((enum inv_hook)hk));
                put_text(inv, b, &st->hooks[hk]);
            }
            if (st->condition.s) { /* declared under lib.mkIf: evaluated on the machine */
                put_key(b, &h, "condition");
                put_text(inv, b, &st->condition);
            }
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
        /* memberships */
        put_key(b, &g, "roles");
        buf_putc(b, '[');
        bool first_role = true;
        for (size_t x = mstart[i]; x < mstart[i + 1]; x++) {
            const struct inv_member *mb = &md->members[bym[x]];
            bool h = true;
            buf_puts(b, first_role ? "{" : ",{");
            first_role = false;
            put_key(b, &h, "instance");
            json_put_string(b, md->instances[mb->instance].name);
            put_key(b, &h, "role");
            json_put_string(b, md->instances[mb->instance].roles[mb->role].name);
            put_key(b, &h, "direct");
            buf_puts(b, mb->direct ? "true" : "false");
            put_key(b, &h, "viaTags");
            buf_putc(b, '[');
            for (size_t t = 0; t < mb->nvia_tags; t++) {
                if (t)
                    buf_putc(b, ',');
                json_put_string(b, mb->via_tags[t]);
            }
            buf_putc(b, ']');
            put_key(b, &h, "settings");
            put_eff(inv, b, &mb->settings);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
    free(mstart);
    free(bym);
    put_key(b, &f, "instances");
    buf_putc(b, '[');
    for (size_t i = 0; i < md->ninstances; i++) {
        const struct inv_instance *in = &md->instances[i];
        bool g = true;
        buf_puts(b, i ? ",{" : "{");
        put_key(b, &g, "name");
        json_put_string(b, in->name);
        put_loc(inv, b, &g, &in->loc);
        put_key(b, &g, "module");
        put_text(inv, b, &in->module);
        put_key(b, &g, "roles");
        buf_putc(b, '[');
        for (size_t j = 0; j < in->nroles; j++) {
            const struct inv_role *r = &in->roles[j];
            bool h = true;
            buf_puts(b, j ? ",{" : "{");
            put_key(b, &h, "name");
            json_put_string(b, r->name);
            put_loc(inv, b, &h, &r->loc);
            put_key(b, &h, "machines");
            put_entries(inv, b, r->machines, r->nmachines, false);
            put_key(b, &h, "tags");
            put_entries(inv, b, r->tags, r->ntags, true);
            put_key(b, &h, "tagsIsList");
            buf_puts(b, r->tags_is_list ? "true" : "false");
            put_key(b, &h, "settings");
            put_value(inv, b, r->settings);
            put_key(b, &h, "selected");
            buf_putc(b, '[');
            bool fm = true;
            size_t k0, nk = inv_model_role_members(md, i, j, &k0);
            for (size_t k = k0; k < k0 + nk; k++) {
                const struct inv_member *mb = &md->members[k];
                if (!fm)
                    buf_putc(b, ',');
                fm = false;
                json_put_string(b, md->machines[mb->machine].name);
            }
            buf_putc(b, ']');
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
    put_key(b, &f, "diagnostics");
    buf_putc(b, '[');
    for (size_t i = 0; i < inv->diags.n; i++) {
        const struct diag *d = &inv->diags.v[i];
        bool g = true;
        buf_puts(b, i ? ",{" : "{");
        put_key(b, &g, "severity");
        json_put_string(b, diag_severity_name(d->severity));
        put_key(b, &g, "line");
        buf_put_uint(b, d->line);
        put_key(b, &g, "col");
        buf_put_uint(b, d->col);
        put_key(b, &g, "message");
        put_str_or_null(b, d->msg);
        buf_putc(b, '}');
    }
    buf_puts(b, "]}\n");
    return b->p ? 0 : -12;
}

static void put_strv(struct buf *b, char *const *v, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        json_put_string(b, v[i]);
    }
    buf_putc(b, ']');
}

static void put_hook_names(struct buf *b, const struct plan_hook *h, size_t n)
{
    buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_putc(b, ',');
        json_put_string(b, h[i].state);
    }
    buf_putc(b, ']');
}

static void put_origin(struct buf *b, const struct plan_origin *o)
{
    bool f = true;
    buf_putc(b, '{');
    put_key(b, &f, "level");
    put_str_or_null(b, o->level);
    put_key(b, &f, "line");
    buf_put_uint(b, o->line);
    put_key(b, &f, "col");
    buf_put_uint(b, o->col);
    if (o->file) {
        put_key(b, &f, "file");
        json_put_string(b, o->file);
    }
    buf_putc(b, '}');
}

static void put_machine(struct buf *b, const struct plan_machine *m)
{
    bool f = true;
    buf_putc(b, '{');
    put_key(b, &f, "targetHost");
    put_str_or_null(b, m->target_host);
    put_key(b, &f, "tags");
    put_strv(b, m->tags, m->ntags);
    put_key(b, &f, "client");
    buf_puts(b, m->is_client ? "true" : "false");
    put_key(b, &f, "server");
    buf_puts(b, m->is_server ? "true" : "false");
    if (m->no_jobs_reason) {
        put_key(b, &f, "noJobsReason");
        json_put_string(b, m->no_jobs_reason);
    }
    put_key(b, &f, "jobs");
    buf_putc(b, '[');
    for (size_t i = 0; i < m->njobs; i++) {
        const struct plan_job *j = &m->jobs[i];
        bool g = true;
        buf_puts(b, i ? ",{" : "{");
        put_key(b, &g, "unit");
        json_put_string(b, j->unit);
        put_key(b, &g, "destination");
        json_put_string(b, j->destination);
        put_key(b, &g, "explicitDestination");
        buf_puts(b, j->explicit_dest ? "true" : "false");
        put_key(b, &g, "server");
        put_str_or_null(b, j->server);
        put_key(b, &g, "repo");
        put_str_or_null(b, j->repo);
        put_key(b, &g, "rsh");
        put_str_or_null(b, j->rsh);
        put_key(b, &g, "paths");
        put_strv(b, j->paths, j->npaths);
        if (j->nmachine_paths) {
            put_key(b, &g, "pathsEvaluatedOnMachine");
            put_strv(b, j->machine_paths, j->nmachine_paths);
        }
        if (j->nconditional) {
            put_key(b, &g, "conditionalStates");
            put_strv(b, j->conditional, j->nconditional);
        }
        put_key(b, &g, "exclude");
        put_strv(b, j->exclude, j->nexclude);
        put_key(b, &g, "excludeOrigin");
        buf_putc(b, '[');
        for (size_t k = 0; k < j->nexclude; k++) {
            if (k)
                buf_putc(b, ',');
            put_origin(b, &j->exclude_origin[k]);
        }
        buf_putc(b, ']');
        put_key(b, &g, "startAt");
        put_str_or_null(b, j->start_at);
        put_key(b, &g, "startAtOrigin");
        put_origin(b, &j->start_at_origin);
        put_key(b, &g, "preBackup");
        put_hook_names(b, j->pre_backup, j->npre);
        put_key(b, &g, "postBackup");
        put_hook_names(b, j->post_backup, j->npost);
        put_key(b, &g, "preRestore");
        put_hook_names(b, j->pre_restore, j->npre_restore);
        put_key(b, &g, "postRestore");
        put_hook_names(b, j->post_restore, j->npost_restore);
        {
            /* hooks whose text Clan evaluates on the machine: "state.preBackupScript" */
            const struct { const struct plan_hook *h; size_t n; const char *k; } hs[4] = {
                {j->pre_backup, j->npre, "preBackupScript"},
                {j->post_backup, j->npost, "postBackupScript"},
                {j->pre_restore, j->npre_restore, "preRestoreScript"},
                {j->post_restore, j->npost_restore, "postRestoreScript"}};
            bool any = false;
            for (int q = 0; q < 4; q++)
                for (size_t k = 0; k < hs[q].n; k++) {
                    if (!hs[q].h[k].on_machine)
                        continue;
                    if (!any) {
                        put_key(b, &g, "hooksEvaluatedOnMachine");
                        buf_putc(b, '[');
                    } else {
                        buf_putc(b, ',');
                    }
                    any = true;
                    char *nm = NULL;
                    if (str_printf(&nm, "%s.%s", hs[q].h[k].state, hs[q].k) >= 0) {
                        json_put_string(b, nm);
                        free(nm);
                    }
                }
            if (any)
                buf_putc(b, ']');
        }
        buf_putc(b, '}');
    }
    buf_putc(b, ']');
    if (m->is_server) {
        put_key(b, &f, "address");
        put_str_or_null(b, m->address);
        put_key(b, &f, "directory");
        put_str_or_null(b, m->directory);
        put_key(b, &f, "clients");
        buf_putc(b, '[');
        for (size_t i = 0; i < m->nclients; i++) {
            bool g = true;
            buf_puts(b, i ? ",{" : "{");
            put_key(b, &g, "client");
            json_put_string(b, m->clients[i].client);
            put_key(b, &g, "directory");
            json_put_string(b, m->clients[i].directory);
            buf_putc(b, '}');
        }
        buf_putc(b, ']');
    }
    buf_putc(b, '}');
}

int plan_to_json(const struct plan *p, const char *machine, struct buf *out)
{
    bool f = true;
    buf_puts(out, "{\"machines\":{");
    for (size_t i = 0; i < p->nmachines; i++) {
        if (machine && strcmp(p->machines[i].name, machine))
            continue;
        put_key(out, &f, p->machines[i].name);
        put_machine(out, &p->machines[i]);
    }
    buf_puts(out, "}}\n");
    return out->p ? 0 : -12;
}
