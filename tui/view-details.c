/* The details pane: for the selected node, where it is defined, the effective values and
 * where each comes from, hook scripts, jobs, diagnostics and a source excerpt. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/app.h"
#include "tui/view-tree.h"

struct dline {
    enum theme_role krole, vrole;
    size_t key, value, origin; /* offsets into pool, +1; 0: none */
    unsigned indent;
};

struct details {
    struct buf pool;
    struct dline *v;
    size_t n, cap;
    size_t sel, top;
    bool jump; /* the selection is a search match: place it as less does */
    char title[160];
    const struct tnode *node;
    int width; /* content width the lines were built for (long messages wrap) */
};

static size_t pool_add(struct details *d, const char *s)
{
    if (!s)
        return 0;
    size_t off = d->pool.len;
    if (buf_append(&d->pool, s, strlen(s) + 1) < 0)
        return 0;
    return off + 1;
}

static const char *pool_get(const struct details *d, size_t off)
{
    return off ? d->pool.p + off - 1 : NULL;
}

static void line(struct details *d, unsigned indent, enum theme_role krole, const char *key,
                 enum theme_role vrole, const char *value, const char *origin)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        struct dline *v = realloc(d->v, cap * sizeof(*v));
        if (!v)
            return;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = (struct dline){krole, vrole, pool_add(d, key), pool_add(d, value),
                                  pool_add(d, origin), indent};
}

static void kv(struct details *d, unsigned indent, const char *key, const char *value,
               const char *origin)
{
    line(d, indent, THEME_DETAILS_KEY, key, THEME_DETAILS_VALUE, value, origin);
}

static void kvf(struct details *d, unsigned indent, const char *key, const char *origin,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void kvf(struct details *d, unsigned indent, const char *key, const char *origin,
                const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    kv(d, indent, key, s, origin);
    free(s);
}

static void section(struct details *d, const char *title)
{
    if (d->n)
        line(d, 0, THEME_DETAILS_VALUE, NULL, THEME_DETAILS_VALUE, "", NULL);
    line(d, 0, THEME_DETAILS_SECTION, title, THEME_DETAILS_VALUE, NULL, NULL);
}

/* "clan.nix:8:27" for a position in a file of the clan. */
static const char *where(struct app *a, char *buf, size_t n, unsigned file, unsigned l, unsigned c)
{
    return app_where(a, file, l, c, buf, n);
}

static const char *where_loc(struct app *a, char *buf, size_t n, const struct inv_loc *l)
{
    return app_where(a, l->file, l->line, l->col, buf, n);
}

/* Every line of a text block, each as its own row. */
static void block(struct details *d, unsigned indent, enum theme_role role, const char *text)
{
    const char *p = text;
    while (p && *p) {
        size_t l = strcspn(p, "\n");
        char *s = strndup(p, l);
        line(d, indent, role, NULL, role, s ? s : "", NULL);
        free(s);
        p += l;
        if (*p == '\n')
            p++;
    }
}

/* key + text, the text wrapped at spaces to the pane's width (diagnostic messages). */
static void wrapped(struct details *d, struct app *a, const char *key, enum theme_role krole,
                    enum theme_role vrole, const char *text)
{
    int keyw = d->width >= 60 ? 12 : 10;
    int room = d->width - keyw - 3;
    if (room < 20)
        room = 20;
    const char *p = text ? text : "";
    bool first = true;
    do {
        size_t len = strlen(p), cut = len;
        if (ui_width(&a->ui, p) > room) {
            cut = 0;
            for (size_t i = 0; p[i] && ui_widthn(&a->ui, p, i + 1) <= room; i++)
                if (p[i] == ' ')
                    cut = i;
            if (cut == 0) /* one long word: cut it where it must be */
                for (cut = 1; p[cut] && ui_widthn(&a->ui, p, cut + 1) <= room; cut++)
                    ;
        }
        char *part = strndup(p, cut);
        line(d, 0, krole, first ? key : "", vrole, part ? part : "", NULL);
        free(part);
        first = false;
        p += cut;
        while (*p == ' ')
            p++;
    } while (*p);
}

static void source_excerpt(struct details *d, struct app *a, unsigned file, unsigned l, unsigned c)
{
    size_t len;
    if (!l || !a->inv || !app_source_line(a, file, l, &len))
        return; /* no text for it (the file cannot be read any more) */
    if (file) {
        char *title = NULL;
        if (asprintf(&title, "source: %s", app_clan_path(a, inventory_file_name(a->inv, file))) < 0)
            title = NULL;
        section(d, title ? title : "source");
        free(title);
    } else {
        section(d, "source");
    }
    for (unsigned i = l > 1 ? l - 1 : l; i <= l + 2; i++) {
        const char *s = app_source_line(a, file, i, &len);
        if (!s)
            break;
        char num[16];
        snprintf(num, sizeof(num), "%c%5u", i == l ? '>' : ' ', i);
        char *text = strndup(s, len);
        line(d, 0, i == l ? THEME_DETAILS_KEY : THEME_DETAILS_ORIGIN, num, THEME_DETAILS_SOURCE,
             text ? text : "", NULL);
        free(text);
        if (i == l && c) {
            char caret[256];
            size_t pos = 0;
            for (unsigned k = 1; k < c && pos + 2 < sizeof(caret); k++)
                caret[pos++] = k - 1 < len && s[k - 1] == '\t' ? '\t' : ' ';
            caret[pos++] = '^';
            caret[pos] = 0;
            line(d, 0, THEME_DETAILS_ORIGIN, "", THEME_DIAG_NOTE, caret, NULL);
        }
    }
}

static void diags_on(struct details *d, struct app *a, unsigned file, unsigned l)
{
    if (!l)
        return;
    bool any = false;
    for (size_t i = 0; i < app_ndiags(a); i++) {
        const struct diag *g = app_diag(a, i);
        if (g->line != l || app_diag_file(a, g) != (long)file)
            continue;
        if (!any)
            section(d, "diagnostics");
        any = true;
        wrapped(d, a, diag_severity_name(g->severity),
                g->severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING, THEME_DETAILS_VALUE, g->msg);
    }
}

static const char *level_text(struct app *a, char *buf, size_t n, const struct plan_origin *o)
{
    char w[96];
    if (!o || !o->level)
        return "default";
    /* a plan origin names no file: its position is certain only in a one-file clan */
    if (o->line && !app_many_files(a))
        snprintf(buf, n, "%s, %s", o->level, where(a, w, sizeof(w), 0, o->line, o->col));
    else
        snprintf(buf, n, "%s", o->level);
    return buf;
}

static void job_lines(struct details *d, struct app *a, const struct plan_job *j, unsigned ind)
{
    char b[160];
    kv(d, ind, "unit", j->unit, NULL);
    kvf(d, ind, "destination", NULL, "%s (%s)", j->destination,
        j->explicit_dest ? "settings.destinations" : "server of the instance");
    kv(d, ind, "repo", j->repo, NULL);
    if (j->rsh)
        kv(d, ind, "rsh", j->rsh, NULL);
    line(d, ind, THEME_DETAILS_KEY, "schedule", j->start_at_origin.line ? THEME_DETAILS_VALUE : THEME_DETAILS_DEFAULT,
         j->start_at, level_text(a, b, sizeof(b), &j->start_at_origin));
    for (size_t i = 0; i < j->npaths; i++)
        kv(d, ind, i ? "" : "paths", j->paths[i], NULL);
    if (!j->npaths)
        line(d, ind, THEME_DETAILS_KEY, "paths", THEME_DETAILS_DEFAULT, "(none)", NULL);
    for (size_t i = 0; i < j->nexclude; i++)
        kv(d, ind, i ? "" : "exclude", j->exclude[i],
           j->exclude_origin ? level_text(a, b, sizeof(b), &j->exclude_origin[i]) : NULL);
    const struct {
        const char *name;
        const struct plan_hook *v;
        size_t n;
    } hooks[] = {{"preBackup", j->pre_backup, j->npre}, {"postBackup", j->post_backup, j->npost},
                 {"preRestore", j->pre_restore, j->npre_restore},
                 {"postRestore", j->post_restore, j->npost_restore}};
    for (size_t h = 0; h < 4; h++)
        for (size_t i = 0; i < hooks[h].n; i++) {
            kvf(d, ind, i ? "" : hooks[h].name, NULL, "state %s", hooks[h].v[i].state);
            block(d, ind + 1, THEME_DETAILS_SCRIPT, hooks[h].v[i].script);
        }
}

/* The effective settings of a role member, each with where it comes from. */
static void eff_lines(struct details *d, struct app *a, const struct inv_eff *e, const char *prefix)
{
    char b[160], w[96], path[256];
    for (size_t i = 0; i < e->nchildren; i++) {
        const struct inv_eff *c = &e->children[i];
        snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", c->name);
        if (c->kind == NIX_ATTRS && c->nchildren) {
            eff_lines(d, a, c, path);
            continue;
        }
        if (c->kind == NIX_LIST) {
            if (!c->nitems)
                line(d, 0, THEME_DETAILS_KEY, path, THEME_DETAILS_DEFAULT, "[ ]", NULL);
            for (size_t k = 0; k < c->nitems; k++) {
                const struct nix_value *it = c->items[k];
                const struct inv_def *df = &c->defs[c->item_def[k]];
                snprintf(b, sizeof(b), "%s%s%s", inv_level_name(df->level), df->tag ? " " : "",
                         df->tag ? df->tag : "");
                char o[200];
                snprintf(o, sizeof(o), "%s%s%s", b, df->loc.line ? ", " : "",
                         df->loc.line ? where_loc(a, w, sizeof(w), &df->loc) : "");
                kv(d, 0, k ? "" : path, it->kind == NIX_STRING ? it->str : "(expression)", o);
            }
            continue;
        }
        if (c->conflict) {
            line(d, 0, THEME_DETAILS_KEY, path, THEME_DIAG_ERROR, "conflict: different values at the same priority", NULL);
        } else if (c->winner) {
            const struct inv_def *df = c->winner;
            snprintf(b, sizeof(b), "%s%s%s", inv_level_name(df->level), df->tag ? " " : "", df->tag ? df->tag : "");
            char o[200];
            snprintf(o, sizeof(o), "%s%s%s", b, df->loc.line ? ", " : "",
                     df->loc.line ? where_loc(a, w, sizeof(w), &df->loc) : "");
            const char *val = c->value && c->value->kind == NIX_STRING ? c->value->str : df->text;
            line(d, 0, THEME_DETAILS_KEY, path, df->level == INV_LEVEL_DEFAULT ? THEME_DETAILS_DEFAULT : THEME_DETAILS_VALUE,
                 val, o);
        }
        for (size_t k = 0; k < c->ndefs; k++) { /* the definitions that lost */
            const struct inv_def *df = &c->defs[k];
            if (df == c->winner || (df->active && !c->conflict))
                continue;
            snprintf(b, sizeof(b), "%s %s%s%s", df->active ? "also" : "overridden:", inv_level_name(df->level),
                     df->tag ? " " : "", df->tag ? df->tag : "");
            kv(d, 1, "", df->text, where_loc(a, w, sizeof(w), &df->loc));
            d->v[d->n - 1].vrole = c->conflict ? THEME_DIAG_ERROR : THEME_DETAILS_DEFAULT;
            d->v[d->n - 1].key = pool_add(d, b);
        }
    }
}

/* The values of v (from file `file` of the clan), each with its source text. */
static void settings_lines(struct details *d, struct app *a, const struct nix_value *v,
                           unsigned file, const char *prefix)
{
    char w[96], path[256];
    for (size_t i = 0; v && i < v->nchildren; i++) {
        const struct nix_value *c = v->children[i];
        if (c->name)
            snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", c->name);
        else
            snprintf(path, sizeof(path), "%s[%zu]", prefix, i);
        if (c->kind == NIX_ATTRS) {
            settings_lines(d, a, c, file, path);
            continue;
        }
        size_t len = 0;
        const char *text = app_file_text(a, file, &len);
        char *src = c->kind == NIX_STRING && c->str ? strdup(c->str)
                    : text && nix_val_end(c) > nix_val_start(c) && nix_val_end(c) <= len
                        ? strndup(text + nix_val_start(c), nix_val_end(c) - nix_val_start(c))
                        : strdup(c->kind == NIX_OPAQUE || c->kind == NIX_LIST ? "(expression)" : "");
        if (src && strchr(src, '\n')) {
            kv(d, 0, path, NULL, where(a, w, sizeof(w), file, nix_val_line(c), nix_val_col(c)));
            block(d, 1, THEME_DETAILS_SOURCE, src);
        } else {
            kv(d, 0, path, src, where(a, w, sizeof(w), file, nix_val_line(c), nix_val_col(c)));
        }
        free(src);
    }
}

static void machine_lines(struct details *d, struct app *a, size_t mi)
{
    const struct inv_model *m = inventory_model(a->inv);
    const struct inv_machine *mc = &m->machines[mi];
    char w[96];
    kv(d, 0, "machine", mc->name, where_loc(a, w, sizeof(w), &mc->loc));
    if (mc->target_host.s)
        kv(d, 0, "targetHost", mc->target_host.s,
           where_loc(a, w, sizeof(w), &mc->target_host.loc));
    for (size_t i = 0; i < mc->ntags; i++)
        kv(d, 0, i ? "" : "tags", mc->tags[i].s, where_loc(a, w, sizeof(w), &mc->tags[i].loc));
    if (!mc->ntags)
        line(d, 0, THEME_DETAILS_KEY, "tags", THEME_DETAILS_DEFAULT, "(none)", NULL);
    bool first = true;
    for (size_t i = 0; i < m->nmembers; i++) {
        const struct inv_member *mb = &m->members[i];
        if (mb->machine != mi)
            continue;
        const struct inv_instance *in = &m->instances[mb->instance];
        struct buf via = {0};
        if (mb->direct)
            buf_puts(&via, "direct");
        for (size_t k = 0; k < mb->nvia_tags; k++)
            buf_printf(&via, "%s%s%s", via.len ? ", " : "", k ? "" : "via tag ", mb->via_tags[k]);
        kvf(d, 0, first ? "roles" : "", NULL, "%s.%s (%s)", in->name, in->roles[mb->role].name,
            via.p ? via.p : "");
        buf_free(&via);
        first = false;
    }
    for (size_t s = 0; s < mc->nstates; s++) {
        const struct inv_state *st = &mc->states[s];
        struct buf f = {0};
        for (size_t k = 0; k < st->nfolders; k++)
            buf_printf(&f, "%s%s", k ? ", " : "", st->folders[k].s ? st->folders[k].s : "");
        kvf(d, 0, s ? "" : "states", where_loc(a, w, sizeof(w), &st->loc), "%s: %s%s",
            st->name, f.p ? f.p : "(no folders)", st->condition.s ? " (conditional)" : "");
        buf_free(&f);
    }
    const struct plan_machine *pm = a->plan ? plan_find_machine(a->plan, mc->name) : NULL;
    if (pm && pm->is_client && !pm->njobs)
        kvf(d, 0, "jobs", NULL, "none: %s", pm->no_jobs_reason ? pm->no_jobs_reason : "no destination");
    for (size_t j = 0; pm && j < pm->njobs; j++) {
        section(d, pm->jobs[j].unit);
        job_lines(d, a, &pm->jobs[j], 0);
    }
    if (pm && pm->is_server) {
        section(d, "backup server");
        kv(d, 0, "address", pm->address, NULL);
        kv(d, 0, "directory", pm->directory, NULL);
        for (size_t c = 0; c < pm->nclients; c++)
            kvf(d, 0, c ? "" : "clients", NULL, "%s %s %s", pm->clients[c].client, a->ui.g->arrow,
                pm->clients[c].directory);
    }
    diags_on(d, a, mc->loc.file, mc->loc.line);
    source_excerpt(d, a, mc->loc.file, mc->loc.line, mc->loc.col);
}

/* "LINE:COL" of a diagnostic; "FILE:LINE:COL" (the base name) in a clan of several files. */
static void diag_at(struct app *a, const struct diag *g, char *buf, size_t n)
{
    const char *f = g->file && app_many_files(a) ? strrchr(g->file, '/') : NULL;
    f = f ? f + 1 : g->file;
    if (f && app_many_files(a))
        snprintf(buf, n, "%s:%u:%u", f, g->line, g->col);
    else
        snprintf(buf, n, "%u:%u", g->line, g->col);
}

/* The files section: where the clan is and how its files were found. */
static void files_lines(struct details *d, struct app *a)
{
    char w[96];
    size_t n = inventory_nlisted(a->inv), nu = inventory_nunfollowed(a->inv);
    kv(d, 0, "clan", inventory_dir(a->inv), NULL);
    kvf(d, 0, "files", NULL, "%zu read", n);
    for (size_t i = 0; i < n; i++) {
        const struct inv_file_info *fi = inventory_file(a->inv, inventory_listed(a->inv, i));
        if (fi)
            kv(d, 1, app_clan_path(a, fi->path), app_file_kind(fi->kind), NULL);
    }
    if (nu)
        kvf(d, 0, "not followed", NULL, "%zu import%s", nu, nu == 1 ? "" : "s");
    for (size_t i = 0; i < nu; i++) {
        const struct inv_unfollowed *u = inventory_unfollowed(a->inv, i);
        kv(d, 1, u->text, u->machine, where_loc(a, w, sizeof(w), &u->loc));
    }
}

/* One file of the clan: what it is, why it is read, and what it holds. */
static void file_lines(struct details *d, struct app *a, unsigned file)
{
    char w[96];
    const struct inv_file_info *fi = inventory_file(a->inv, file);
    const struct inv_model *m = inventory_model(a->inv);
    if (!fi)
        return;
    kv(d, 0, "file", fi->path, NULL);
    kv(d, 0, "kind", app_file_kind(fi->kind), NULL);
    wrapped(d, a, "read as", THEME_DETAILS_KEY, THEME_DETAILS_VALUE, fi->why);
    bool writable = fi->editable || fi->kind == INV_FILE_CLAN || fi->kind == INV_FILE_JSON;
    kv(d, 0, "edits", writable ? "of values defined here are written here"
                               : "never written here (read-only)", NULL);
    size_t np = inventory_pending(a->inv, NULL, 0);
    struct inv_pending *pv = np ? calloc(np, sizeof(*pv)) : NULL;
    if (pv && inventory_pending(a->inv, pv, np))
        for (size_t i = 0; i < np; i++)
            if (pv[i].file == file)
                kv(d, 0, "unsaved", "changed by the edits (w shows the diff and writes it)", NULL);
    free(pv);
    section(d, "defines");
    size_t before = d->n;
    for (size_t i = 0; i < m->nmachines; i++) {
        const struct inv_machine *mc = &m->machines[i];
        if (mc->loc.line && mc->loc.file == file)
            kv(d, 0, "machine", mc->name, where_loc(a, w, sizeof(w), &mc->loc));
        for (size_t s = 0; s < mc->nstates; s++)
            if (mc->states[s].loc.line && mc->states[s].loc.file == file)
                kvf(d, 0, "state", where_loc(a, w, sizeof(w), &mc->states[s].loc), "%s of %s%s",
                    mc->states[s].name, mc->name, mc->states[s].condition.s ? " (conditional)" : "");
    }
    for (size_t i = 0; i < m->ninstances; i++)
        if (m->instances[i].loc.line && m->instances[i].loc.file == file)
            kv(d, 0, "instance", m->instances[i].name, where_loc(a, w, sizeof(w), &m->instances[i].loc));
    for (size_t i = 0; i < inventory_nunfollowed(a->inv); i++) {
        const struct inv_unfollowed *u = inventory_unfollowed(a->inv, i);
        if (u->loc.file == file)
            kv(d, 0, "not followed", u->text, where_loc(a, w, sizeof(w), &u->loc));
    }
    if (d->n == before)
        line(d, 0, THEME_DETAILS_DEFAULT, NULL, THEME_DETAILS_DEFAULT,
             "no machine, state or instance (imports, NixOS settings)", NULL);
    bool any = false;
    for (size_t i = 0; i < app_ndiags(a); i++) {
        const struct diag *g = app_diag(a, i);
        if (app_diag_file(a, g) != (long)file)
            continue;
        if (!any)
            section(d, "diagnostics");
        any = true;
        char at[96];
        diag_at(a, g, at, sizeof(at));
        wrapped(d, a, g->line ? at : "", THEME_DETAILS_ORIGIN,
                g->severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING, g->msg);
    }
}

static void build(struct details *d, struct app *a, const struct tnode *n)
{
    char w[96];
    const struct inv_model *m = a->inv ? inventory_model(a->inv) : NULL;
    snprintf(d->title, sizeof(d->title), "%s", n ? n->label : "Details");
    if (!n)
        return;
    switch (n->kind) {
    case TK_SECTION:
        if (n->a == SEC_DIAGS) {
            for (size_t i = 0; i < app_ndiags(a); i++) {
                const struct diag *g = app_diag(a, i);
                char at[96];
                diag_at(a, g, at, sizeof(at));
                wrapped(d, a, g->line ? at : "", THEME_DETAILS_ORIGIN,
                        g->severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING, g->msg);
            }
        } else if (n->a == SEC_META && m) {
            if (inventory_dir(a->inv)) {
                kv(d, 0, "clan", inventory_dir(a->inv), NULL);
                kvf(d, 0, "files", NULL, "%zu (the files node lists them)", inventory_nlisted(a->inv));
            }
            kv(d, 0, "file", inventory_name(a->inv), NULL);
            kv(d, 0, "name", m->meta.name.s ? m->meta.name.s : "(not set)",
               where_loc(a, w, sizeof(w), &m->meta.name.loc));
            kv(d, 0, "domain", m->meta.domain.s ? m->meta.domain.s : "(not set)",
               where_loc(a, w, sizeof(w), &m->meta.domain.loc));
            kvf(d, 0, "machines", NULL, "%zu", m->nmachines);
            kvf(d, 0, "instances", NULL, "%zu", m->ninstances);
            kvf(d, 0, "diagnostics", NULL, "%zu", app_ndiags(a));
        } else if (n->a == SEC_FILES) {
            files_lines(d, a);
        } else {
            kvf(d, 0, "entries", NULL, "%u", n->nchildren);
            for (const struct tnode *c = n->child; c && d->n < 2000; c = c->next)
                kv(d, 1, c->label, c->extra, where(a, w, sizeof(w), c->file, c->line, c->col));
        }
        break;
    case TK_FIELD:
    case TK_GROUP:
        if (n->extra)
            kv(d, 0, n->label, n->extra, where(a, w, sizeof(w), n->file, n->line, n->col));
        for (const struct tnode *c = n->child; c && d->n < 2000; c = c->next)
            kv(d, 1, c->label, c->extra, where(a, w, sizeof(w), c->file, c->line, c->col));
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    case TK_MACHINE:
    case TK_TAG_MACHINE:
        machine_lines(d, a, (size_t)n->a);
        break;
    case TK_MACHINE_TAG:
    case TK_TAG: {
        const char *tag = n->label;
        kv(d, 0, "tag", tag, where(a, w, sizeof(w), n->file, n->line, n->col));
        bool first = true;
        for (size_t i = 0; m && i < m->nmachines; i++)
            for (size_t k = 0; k < m->machines[i].ntags; k++)
                if (m->machines[i].tags[k].s && !strcmp(m->machines[i].tags[k].s, tag)) {
                    kv(d, 0, first ? "machines" : "", m->machines[i].name,
                       where_loc(a, w, sizeof(w), &m->machines[i].tags[k].loc));
                    first = false;
                }
        if (!strcmp(tag, "all") || !strcmp(tag, "nixos"))
            kv(d, 0, "built-in", "selects every machine", NULL);
        first = true;
        for (size_t i = 0; m && i < m->ninstances; i++)
            for (size_t r = 0; r < m->instances[i].nroles; r++)
                for (size_t e = 0; e < m->instances[i].roles[r].ntags; e++)
                    if (!strcmp(m->instances[i].roles[r].tags[e].name, tag)) {
                        kvf(d, 0, first ? "used by" : "", where_loc(a, w, sizeof(w), &m->instances[i].roles[r].tags[e].loc),
                            "%s.%s", m->instances[i].name, m->instances[i].roles[r].name);
                        first = false;
                    }
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    }
    case TK_MEMBERSHIP:
    case TK_MEMBER: {
        const struct inv_member *mb = &m->members[n->a];
        const struct inv_instance *in = &m->instances[mb->instance];
        kv(d, 0, "machine", m->machines[mb->machine].name, NULL);
        kvf(d, 0, "role", NULL, "%s.%s (module %s)", in->name, in->roles[mb->role].name,
            in->module.s ? in->module.s : in->name);
        kv(d, 0, "selected", n->extra, NULL);
        section(d, "effective settings");
        if (!mb->settings.nchildren)
            line(d, 0, THEME_DETAILS_DEFAULT, NULL, THEME_DETAILS_DEFAULT, "(none set)", NULL);
        eff_lines(d, a, &mb->settings, "");
        break;
    }
    case TK_STATE:
    case TK_FOLDER:
    case TK_HOOK: {
        const struct inv_state *st = &m->machines[n->a].states[n->b];
        kv(d, 0, "state", st->name, where_loc(a, w, sizeof(w), &st->loc));
        kv(d, 0, "machine", m->machines[n->a].name, NULL);
        if (st->database)
            kvf(d, 0, "database", NULL, "%s (clan.core.postgresql)", st->database);
        if (st->condition.s)
            kvf(d, 0, "only when", where_loc(a, w, sizeof(w), &st->condition.loc), "%s (%s)",
                st->condition.s, EVALUATED_ON_MACHINE);
        for (size_t f = 0; f < st->nfolders; f++) {
            if (st->folders[f].opaque)
                kvf(d, 0, f ? "" : "folders", where_loc(a, w, sizeof(w), &st->folders[f].loc),
                    "%s (%s)", st->folders[f].s, EVALUATED_ON_MACHINE);
            else
                kv(d, 0, f ? "" : "folders", st->folders[f].s,
                   where_loc(a, w, sizeof(w), &st->folders[f].loc));
        }
        if (!st->nfolders && !st->folders_opaque)
            line(d, 0, THEME_DETAILS_KEY, "folders", THEME_DETAILS_DEFAULT, "[ ]", NULL);
        if (st->folders_opaque)
            kv(d, 0, "folders", st->folders_text.s,
               "not a list literal: " EVALUATED_ON_MACHINE ", read-only");
        for (int h = 0; h < INV_NHOOKS; h++) {
            if (!st->hooks[h].s)
                continue;
            section(d, inv_hook_name((enum inv_hook)h));
            if (st->hooks[h].loc.line)
                kv(d, 0, "defined", NULL, where_loc(a, w, sizeof(w), &st->hooks[h].loc));
            if (st->hooks[h].opaque)
                kv(d, 0, "note", "not a literal string: shown as written, read-only", NULL);
            block(d, 1, THEME_DETAILS_SCRIPT, st->hooks[h].s);
        }
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    }
    case TK_INSTANCE: {
        const struct inv_instance *in = &m->instances[n->a];
        kv(d, 0, "instance", in->name, where_loc(a, w, sizeof(w), &in->loc));
        kv(d, 0, "module", in->module.s ? in->module.s : in->name,
           in->module.loc.line ? where_loc(a, w, sizeof(w), &in->module.loc) : "default: the instance name");
        for (size_t r = 0; r < in->nroles; r++) {
            size_t nm = 0;
            for (size_t i = 0; i < m->nmembers; i++)
                nm += m->members[i].instance == (size_t)n->a && m->members[i].role == r;
            kvf(d, 0, r ? "" : "roles", where_loc(a, w, sizeof(w), &in->roles[r].loc),
                "%s: %zu machine%s", in->roles[r].name, nm, nm == 1 ? "" : "s");
        }
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    }
    case TK_ROLE: {
        const struct inv_instance *in = &m->instances[n->a];
        const struct inv_role *r = &in->roles[n->b];
        kvf(d, 0, "role", where_loc(a, w, sizeof(w), &r->loc), "%s.%s", in->name, r->name);
        for (size_t e = 0; e < r->nmachines; e++)
            kv(d, 0, e ? "" : "machines", r->machines[e].name,
               where_loc(a, w, sizeof(w), &r->machines[e].loc));
        for (size_t e = 0; e < r->ntags; e++)
            kvf(d, 0, e ? "" : "tags", where_loc(a, w, sizeof(w), &r->tags[e].loc),
                "%s (selects %zu)", r->tags[e].name, r->tags[e].nselected);
        if (r->settings) {
            section(d, "role-wide settings");
            settings_lines(d, a, r->settings, r->settings_loc.file, "");
        }
        section(d, "members");
        for (size_t i = 0; i < m->nmembers; i++) {
            const struct inv_member *mb = &m->members[i];
            if (mb->instance == (size_t)n->a && mb->role == (size_t)n->b)
                kv(d, 0, m->machines[mb->machine].name, mb->direct ? "direct" : "via tags", NULL);
        }
        diags_on(d, a, n->file, n->line);
        break;
    }
    case TK_ROLE_MACHINE:
    case TK_ROLE_TAG: {
        const struct inv_role *r = &m->instances[n->a].roles[n->b];
        const struct inv_role_entry *re = n->kind == TK_ROLE_MACHINE ? &r->machines[n->c] : &r->tags[n->c];
        kv(d, 0, n->kind == TK_ROLE_MACHINE ? "machine" : "tag", re->name,
           where_loc(a, w, sizeof(w), &re->loc));
        kvf(d, 0, "role", NULL, "%s.%s", m->instances[n->a].name, r->name);
        if (n->kind == TK_ROLE_TAG)
            kvf(d, 0, "selects", NULL, "%zu machine%s", re->nselected, re->nselected == 1 ? "" : "s");
        if (re->settings) {
            section(d, "settings");
            settings_lines(d, a, re->settings, re->loc.file, "");
        }
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    }
    case TK_SETTING: {
        const struct nix_value *v = n->ptr;
        kv(d, 0, "setting", n->label, where(a, w, sizeof(w), n->file, n->line, n->col));
        if (v->kind == NIX_ATTRS || v->kind == NIX_LIST) {
            settings_lines(d, a, v, n->file, n->label);
        } else {
            struct nix_value wrap = {.kind = NIX_ATTRS};
            const struct nix_value *one[1] = {v};
            wrap.children = (struct nix_value **)one;
            wrap.nchildren = 1;
            settings_lines(d, a, &wrap, n->file, "");
        }
        if (v->kind == NIX_OPAQUE)
            kv(d, 0, "note", "not a literal: shown as written, read-only", NULL);
        diags_on(d, a, n->file, n->line);
        source_excerpt(d, a, n->file, n->line, n->col);
        break;
    }
    case TK_PLAN_MACHINE:
    case TK_SERVER_CLIENT: {
        long mi = m ? inventory_machine_index(a->inv, a->plan->machines[n->a].name) : -1;
        if (mi >= 0)
            machine_lines(d, a, (size_t)mi);
        break;
    }
    case TK_JOB: {
        const struct plan_machine *pm = &a->plan->machines[n->a];
        kv(d, 0, "machine", pm->name, NULL);
        job_lines(d, a, &pm->jobs[n->b], 0);
        diags_on(d, a, n->file, n->line);
        break;
    }
    case TK_FILE:
        file_lines(d, a, (unsigned)n->a);
        break;
    case TK_UNFOLLOWED: {
        const struct inv_unfollowed *u = inventory_unfollowed(a->inv, (size_t)n->a);
        if (!u)
            break;
        kv(d, 0, "import", u->text, where_loc(a, w, sizeof(w), &u->loc));
        if (u->machine)
            kv(d, 0, "machine", u->machine, NULL);
        wrapped(d, a, "not read", THEME_DETAILS_KEY, THEME_DETAILS_DEFAULT,
                "following it needs Nix's evaluation (a flake input's module, a path built "
                "from an expression): what it declares (states, settings) is not shown");
        diags_on(d, a, u->loc.file, u->loc.line);
        source_excerpt(d, a, u->loc.file, u->loc.line, u->loc.col);
        break;
    }
    case TK_DIAG: {
        const struct diag *g = app_diag(a, (size_t)n->a);
        long gf = app_diag_file(a, g);
        wrapped(d, a, diag_severity_name(g->severity), THEME_DETAILS_KEY,
                g->severity == DIAG_ERROR ? THEME_DIAG_ERROR : THEME_DIAG_WARNING, g->msg);
        if (g->line)
            kv(d, 0, "at", gf >= 0 ? where(a, w, sizeof(w), (unsigned)gf, g->line, g->col)
                                   : (snprintf(w, sizeof(w), "%s:%u:%u", g->file, g->line, g->col), w),
               NULL);
        kv(d, 0, "", "Enter: go to the node defined there", NULL);
        if (gf >= 0)
            source_excerpt(d, a, (unsigned)gf, g->line, g->col);
        break;
    }
    }
}

void view_details_update(struct view *v, struct app *a, const struct tnode *n)
{
    struct details *d = v->data;
    buf_reset(&d->pool);
    d->n = 0;
    d->sel = d->top = 0;
    d->node = n;
    build(d, a, n);
}

static void details_draw(struct view *v, struct app *a, int y, int x, int h, int w, bool focused)
{
    struct details *d = v->data;
    struct ui *ui = &a->ui;
    v->height = h;
    if (w != d->width) { /* wrapped text depends on the width */
        size_t sel = d->sel, top = d->top;
        d->width = w;
        view_details_update(v, a, d->node);
        d->sel = sel < d->n ? sel : (d->n ? d->n - 1 : 0);
        d->top = top;
    }
    d->top = ui_scroll_top(d->top, d->sel, d->n, h, d->jump);
    d->jump = false;
    int keyw = w >= 60 ? 12 : 10;
    for (int r = 0; r < h; r++) {
        size_t i = d->top + (size_t)r;
        ui_fill(ui, y + r, x, w, THEME_DETAILS_VALUE);
        if (i >= d->n)
            continue;
        const struct dline *l = &d->v[i];
        const char *key = pool_get(d, l->key), *val = pool_get(d, l->value), *org = pool_get(d, l->origin);
        int col = x + 1 + 2 * (int)l->indent, right = x + w - 1;
        if (key && !val && !org) {
            ui_text(ui, y + r, col, right - col, l->krole, key);
        } else {
            if (key) {
                int kw = ui_text(ui, y + r, col, right - col, l->krole, key);
                col += kw < keyw ? keyw : kw + 1;
            }
            int ow = org ? ui_width(ui, org) : 0;
            int room = right - col;
            int vw = val ? ui_width(ui, val) : 0;
            bool show_origin = org && (vw + ow + 2 <= room || room - ow - 2 >= 12);
            int vroom = show_origin ? room - ow - 2 : room;
            if (val && col < right)
                ui_text(ui, y + r, col, vroom, l->vrole, val);
            if (show_origin)
                ui_text(ui, y + r, right - ow, ow, THEME_DETAILS_ORIGIN, org);
        }
        if (focused && i == d->sel)
            ui_overlay_attr(ui, y + r, x, w, THEME_TREE_SELECTED);
    }
}

static bool details_action(struct view *v, struct app *a, enum action act)
{
    struct details *d = v->data;
    size_t page = v->height > 1 ? (size_t)v->height - 1 : 1;
    size_t last = d->n ? d->n - 1 : 0;
    switch (act) {
    case ACT_MOVE_DOWN: d->sel = d->sel < last ? d->sel + 1 : last; break;
    case ACT_MOVE_UP: d->sel = d->sel ? d->sel - 1 : 0; break;
    case ACT_MOVE_FIRST: d->sel = 0; break;
    case ACT_MOVE_LAST: d->sel = last; break;
    case ACT_PAGE_DOWN: d->sel = d->sel + page < last ? d->sel + page : last; break;
    case ACT_PAGE_UP: d->sel = d->sel > page ? d->sel - page : 0; break;
    case ACT_COLLAPSE:
    case ACT_BACK:
        a->focus = 0;
        break;
    default:
        return false;
    }
    app_set_dirty(a);
    return true;
}

static bool details_search(struct view *v, struct app *a, const char *q, int dir, bool skip)
{
    struct details *d = v->data;
    if (!d->n || !*q)
        return false;
    for (size_t k = skip ? 1 : 0; k <= d->n; k++) {
        size_t i = dir > 0 ? (d->sel + k) % d->n : (d->sel + d->n - k % d->n) % d->n;
        const char *key = pool_get(d, d->v[i].key), *val = pool_get(d, d->v[i].value);
        if ((key && strcasestr(key, q)) || (val && strcasestr(val, q))) {
            d->sel = i;
            d->jump = true;
            app_set_dirty(a);
            return true;
        }
    }
    return false;
}

static const char *details_title(struct view *v, struct app *a)
{
    (void)a;
    return ((struct details *)v->data)->title;
}

static void details_position(struct view *v, char *buf, size_t n)
{
    struct details *d = v->data;
    snprintf(buf, n, "%zu/%zu", d->n ? d->sel + 1 : 0, d->n);
}

static void details_mouse(struct view *v, struct app *a, int row, int wheel)
{
    struct details *d = v->data;
    if (wheel)
        details_action(v, a, wheel > 0 ? ACT_MOVE_DOWN : ACT_MOVE_UP);
    else if (row >= 0 && d->top + (size_t)row < d->n)
        d->sel = d->top + (size_t)row;
    app_set_dirty(a);
}

static void details_free(struct view *v)
{
    struct details *d = v->data;
    if (!d)
        return;
    buf_free(&d->pool);
    free(d->v);
    free(d);
}

static const struct view_ops details_ops = {
    .name = "details",
    .draw = details_draw,
    .action = details_action,
    .search = details_search,
    .title = details_title,
    .position = details_position,
    .mouse = details_mouse,
    .free = details_free,
};

struct view *view_details_new(struct app *a)
{
    (void)a;
    struct view *v = calloc(1, sizeof(*v));
    struct details *d = calloc(1, sizeof(*d));
    if (!v || !d) {
        free(v);
        free(d);
        return NULL;
    }
    snprintf(d->title, sizeof(d->title), "Details");
    v->ops = &details_ops;
    v->data = d;
    return v;
}
