/* Edit operations as text patches through core/nix, refused when Clan would reject the
 * result; the undo/redo stack; saving. */
#include "core/inventory/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"

#define MAXSEG 48

/* An attribute path under construction; segments are borrowed or owned. */
struct path {
    const char *seg[MAXSEG];
    size_t n;
    char **owned;
    size_t nowned;
};

static void path_push(struct path *p, const char *s)
{
    if (p->n < MAXSEG)
        p->seg[p->n++] = s;
}

static void path_free(struct path *p)
{
    for (size_t i = 0; i < p->nowned; i++)
        free(p->owned[i]);
    free(p->owned);
    p->owned = NULL;
    p->nowned = 0;
}

/* Append the segments of a dotted key ("destinations.\"my box\".repo"). */
static int path_push_dotted(struct path *p, const char *dotted, struct diag_list *diags,
                            const char *file)
{
    char **segs;
    size_t n;
    struct diag d = {0};
    if (nix_attrpath_split(dotted, &segs, &n, &d) < 0) {
        diag_list_add(diags, DIAG_ERROR, file, 0, 0, "bad settings key '%s': %s", dotted,
                      d.msg ? d.msg : "not an attribute path");
        diag_clear(&d);
        return -EINVAL;
    }
    char **no = realloc(p->owned, (p->nowned + n) * sizeof(*no));
    if (!no) {
        for (size_t i = 0; i < n; i++)
            free(segs[i]);
        free(segs);
        return -ENOMEM;
    }
    p->owned = no;
    for (size_t i = 0; i < n; i++) {
        p->owned[p->nowned++] = segs[i];
        path_push(p, segs[i]);
    }
    free(segs);
    return 0;
}

static char *path_text(const struct path *p)
{
    struct buf b = {0};
    for (size_t i = 0; i < p->n; i++) {
        char *k = nix_quote_key(p->seg[i]);
        buf_printf(&b, "%s%s", i ? "." : "", k ? k : p->seg[i]);
        free(k);
    }
    return buf_steal(&b);
}

static int refuse(struct diag_list *diags, const struct inventory *inv, struct inv_loc loc,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int refuse(struct diag_list *diags, const struct inventory *inv, struct inv_loc loc,
                  const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    diag_list_add(diags, DIAG_ERROR, inventory_file_name(inv, loc.file), loc.line, loc.col, "%s",
                  msg ? msg : "edit refused");
    free(msg);
    return -EINVAL;
}

static int from_nix_diag(struct diag_list *diags, struct diag *d, int r)
{
    if (d->msg)
        diag_list_push(diags, d);
    else
        diag_list_add(diags, DIAG_ERROR, NULL, 0, 0, "edit failed (%s)", strerror(-r));
    diag_clear(d);
    return r < 0 ? r : -EINVAL;
}

/* ---- describing operations ---- */

static const char *scope_level_text(const struct inv_scope *s, char *buf, size_t n)
{
    switch (s->level) {
    case INV_LEVEL_TAG:
        snprintf(buf, n, "tag %s", s->name ? s->name : "?");
        break;
    case INV_LEVEL_MACHINE:
        snprintf(buf, n, "machine %s", s->name ? s->name : "?");
        break;
    default:
        snprintf(buf, n, "role-wide");
        break;
    }
    return buf;
}

static char *op_value_text(const struct inv_op *op)
{
    if (op->expr)
        return inv_strdup(op->expr);
    return op->value ? nix_quote_string(op->value) : inv_strdup("");
}

char *inv_op_describe(const struct inv_op *op)
{
    char lv[300];
    char *v = op_value_text(op);
    const char *prio = op->priority == INV_PRIO_FORCE     ? " with lib.mkForce"
                       : op->priority == INV_PRIO_DEFAULT ? " with lib.mkDefault"
                                                          : "";
    char *s = NULL;
    switch (op->kind) {
    case INV_OP_TAG_ADD: s = inv_asprintf("add tag %s to %s", op->tag, op->machine); break;
    case INV_OP_TAG_REMOVE:
        s = inv_asprintf("remove tag %s from %s", op->tag, op->machine);
        break;
    case INV_OP_MACHINE_ADD: s = inv_asprintf("add machine %s", op->machine); break;
    case INV_OP_ROLE_MACHINE_ADD:
        s = inv_asprintf("add machine %s to %s.%s", op->machine,
                         op->instance ? op->instance : "borgbackup",
                         op->role ? op->role : "client");
        break;
    case INV_OP_ROLE_MACHINE_REMOVE:
        s = inv_asprintf("remove machine %s from %s.%s", op->machine,
                         op->instance ? op->instance : "borgbackup",
                         op->role ? op->role : "client");
        break;
    case INV_OP_ROLE_TAG_ADD:
        s = inv_asprintf("add tag %s to %s.%s", op->tag,
                         op->instance ? op->instance : "borgbackup",
                         op->role ? op->role : "client");
        break;
    case INV_OP_ROLE_TAG_REMOVE:
        s = inv_asprintf("remove tag %s from %s.%s", op->tag,
                         op->instance ? op->instance : "borgbackup",
                         op->role ? op->role : "client");
        break;
    case INV_OP_SETTING_SET:
        s = inv_asprintf("set %s = %s at %s%s", op->key, v,
                         scope_level_text(&op->scope, lv, sizeof(lv)), prio);
        break;
    case INV_OP_SETTING_CLEAR:
        s = inv_asprintf("clear %s at %s", op->key, scope_level_text(&op->scope, lv, sizeof(lv)));
        break;
    case INV_OP_LIST_ADD:
        s = inv_asprintf("add %s to %s at %s", v, op->key,
                         scope_level_text(&op->scope, lv, sizeof(lv)));
        break;
    case INV_OP_LIST_REMOVE:
        s = inv_asprintf("remove %s from %s at %s", v, op->key,
                         scope_level_text(&op->scope, lv, sizeof(lv)));
        break;
    case INV_OP_LIST_REPLACE:
        s = inv_asprintf("replace element %zu of %s at %s with %s", op->index, op->key,
                         scope_level_text(&op->scope, lv, sizeof(lv)), v);
        break;
    case INV_OP_LIST_MOVE:
        s = inv_asprintf("move element %zu of %s at %s to position %zu", op->index, op->key,
                         scope_level_text(&op->scope, lv, sizeof(lv)), op->to);
        break;
    case INV_OP_INSTANCE_ADD:
        s = op->module && op->instance && strcmp(op->module, op->instance)
                ? inv_asprintf("add instance %s of module %s", op->instance, op->module)
                : inv_asprintf("add instance %s", op->instance);
        break;
    case INV_OP_INSTANCE_REMOVE: s = inv_asprintf("remove instance %s", op->instance); break;
    }
    free(v);
    return s;
}

/* ---- scopes ---- */

static const struct inv_role *find_role(const struct inv_instance *in, const char *role)
{
    for (size_t j = 0; j < in->nroles; j++)
        if (!strcmp(in->roles[j].name, role))
            return &in->roles[j];
    return NULL;
}

static const struct inv_role_entry *find_entry(const struct inv_role_entry *e, size_t n,
                                               const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].name, name))
            return &e[i];
    return NULL;
}

static bool is_server_key(const char *key)
{
    return key && (!strcmp(key, "address") || !strcmp(key, "directory"));
}

/* Fill in the instance and role of a scope; NULL instance picks the borgbackup instance
 * that fits. Returns the instance or NULL (refused, diag). */
static const struct inv_instance *resolve_scope(const struct inventory *inv,
                                                const char *instance, const char **role,
                                                enum inv_level level, const char *name,
                                                const char *key, struct diag_list *diags)
{
    const struct inv_model *md = &inv->model;
    struct inv_loc none = {0};
    if (!*role)
        *role = is_server_key(key) ? "server" : "client";
    if (instance) {
        long i = inv_index_get(&inv->instance_ix, instance);
        if (i < 0) {
            refuse(diags, inv, none,
                   "there is no instance '%s' in inventory.instances; add it first "
                   "(instance add %s)",
                   instance, instance);
            return NULL;
        }
        return &md->instances[i];
    }
    const struct inv_instance *pick = NULL;
    size_t nfit = 0, nborg = 0;
    const struct inv_instance *only = NULL;
    for (size_t i = 0; i < md->ninstances; i++) {
        const struct inv_instance *in = &md->instances[i];
        if (!inv_is_borgbackup(in))
            continue;
        nborg++;
        only = in;
        const struct inv_role *r = find_role(in, *role);
        bool fits = false;
        if (r && level == INV_LEVEL_MACHINE && name) {
            long mi = inv_index_get(&inv->machine_ix, name);
            for (size_t k = 0; k < md->nmembers && !fits; k++)
                fits = md->members[k].instance == i && md->members[k].machine == (size_t)mi &&
                       &in->roles[md->members[k].role] == r;
        } else if (r && level == INV_LEVEL_TAG && name) {
            fits = find_entry(r->tags, r->ntags, name) != NULL;
        }
        if (fits) {
            pick = in;
            nfit++;
        }
    }
    if (nfit == 1)
        return pick;
    if (nfit == 0 && nborg == 1)
        return only;
    if (nborg == 0) {
        refuse(diags, inv, none,
               "there is no borgbackup instance in inventory.instances; add one first "
               "(instance add borgbackup) or name one with --instance");
        return NULL;
    }
    refuse(diags, inv, none,
           "%zu borgbackup instances fit; say which one with --instance", nfit ? nfit : nborg);
    return NULL;
}

static void path_role(struct path *p, const struct inv_instance *in, const char *role)
{
    path_push(p, "inventory");
    path_push(p, "instances");
    path_push(p, in->name);
    path_push(p, "roles");
    path_push(p, role);
}

/* ---- applying patches ---- */

static int cmp_patch(const void *a, const void *b)
{
    const struct nix_patch *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static char *apply_patches(const char *text, size_t len, const struct inv_patch *p, size_t n,
                           size_t *outlen)
{
    struct buf b = {0};
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].start < at || p[i].end > len || p[i].start > p[i].end) {
            buf_free(&b);
            return NULL;
        }
        buf_append(&b, text + at, p[i].start - at);
        buf_append(&b, p[i].text ? p[i].text : "", p[i].text ? p[i].len : 0);
        at = p[i].end;
    }
    buf_append(&b, text + at, len - at);
    if (!b.p)
        buf_puts(&b, "");
    *outlen = b.len;
    return buf_steal(&b);
}

/* The patches of a core/nix edit as inventory patches (texts copied). */
static struct inv_patch *copy_patches(const struct nix_edit *e)
{
    struct inv_patch *v = calloc(e->n ? e->n : 1, sizeof(*v));
    if (!v)
        return NULL;
    for (size_t i = 0; i < e->n; i++) {
        const char *t = e->v[i].text ? e->v[i].text : "";
        v[i] = (struct inv_patch){e->v[i].start, e->v[i].end, inv_strdup(t), strlen(t)};
    }
    return v;
}

/* Add the patches of e to acc (sorted later). */
static int take_patches(struct nix_edit *acc, struct nix_edit *e)
{
    struct nix_patch *np = realloc(acc->v, (acc->n + e->n) * sizeof(*np));
    if (!np && acc->n + e->n)
        return -ENOMEM;
    acc->v = np;
    nix_file_free(acc->result); /* the parse of part of the patches only */
    acc->result = NULL;
    acc->local = false;
    for (size_t i = 0; i < e->n; i++)
        acc->v[acc->n++] = e->v[i];
    free(e->v);
    e->v = NULL;
    e->n = 0;
    return 0;
}

/* ---- building the edit of one operation ---- */

static bool machine_has_tag_text(const struct inv_machine *m, const char *tag)
{
    for (size_t i = 0; i < m->ntags; i++)
        if (m->tags[i].s && !m->tags[i].opaque && !strcmp(m->tags[i].s, tag))
            return true;
    return false;
}

/* Indentation of the line holding offset `at`. */
static char *line_indent(const struct inventory *inv, size_t at)
{
    size_t len;
    const char *t = nix_file_text(inv->nix, &len);
    size_t s = at;
    while (s > 0 && t[s - 1] != '\n')
        s--;
    size_t e = s;
    while (e < len && (t[e] == ' ' || t[e] == '\t'))
        e++;
    return inv_strndup(t + s, e - s);
}

static char *machine_expr(const struct inventory *inv, const struct inv_op *op)
{
    const struct inv_model *md = &inv->model;
    char *th = op->target_host ? nix_quote_string(op->target_host) : NULL;
    char *tg = op->tag ? nix_quote_string(op->tag) : NULL;
    char *ind = NULL;
    for (size_t i = 0; i < md->nmachines && !ind; i++)
        if (md->machines[i].node)
            ind = line_indent(inv, md->machines[i].loc.start);
    struct buf b = {0};
    if (!th && !tg) {
        buf_puts(&b, "{ }");
    } else if (!ind) {
        buf_puts(&b, "{");
        if (th)
            buf_printf(&b, " deploy.targetHost = %s;", th);
        if (tg)
            buf_printf(&b, " tags = [ %s ];", tg);
        buf_puts(&b, " }");
    } else {
        buf_puts(&b, "{\n");
        if (th)
            buf_printf(&b, "%s  deploy.targetHost = %s;\n", ind, th);
        if (tg)
            buf_printf(&b, "%s  tags = [ %s ];\n", ind, tg);
        buf_printf(&b, "%s}", ind);
    }
    free(th);
    free(tg);
    free(ind);
    return buf_steal(&b);
}

static char *wrap_priority(const char *expr, int prio)
{
    const char *fn = prio == INV_PRIO_FORCE ? "lib.mkForce" : prio == INV_PRIO_DEFAULT ? "lib.mkDefault" : NULL;
    if (!fn)
        return inv_strdup(expr);
    bool simple = expr[0] == '"' || expr[0] == '[' || expr[0] == '{' || expr[0] == '(';
    return simple ? inv_asprintf("%s %s", fn, expr) : inv_asprintf("%s (%s)", fn, expr);
}

static int check_value(const struct inventory *inv, const struct inv_op *op,
                       struct diag_list *diags)
{
    struct inv_loc none = {0};
    if (op->kind == INV_OP_SETTING_SET && op->key && !strcmp(op->key, "startAt") && op->value) {
        struct calendar_ctx *cal = calendar_ctx_new_tz(NULL);
        struct calendar_spec *spec = NULL;
        struct diag cd = {0};
        int r = cal ? calendar_parse(cal, op->value, &spec, &cd) : 0;
        calendar_spec_free(spec);
        calendar_ctx_free(cal);
        if (r < 0) {
            refuse(diags, inv, none,
                   "\"%s\" is not a valid systemd calendar expression: %s (column %u); "
                   "expected e.g. \"*-*-* 04:00:00\" or \"Mon *-*-* 03:00:00\"",
                   op->value, cd.msg ? cd.msg : "invalid", cd.col);
            diag_clear(&cd);
            return -EINVAL;
        }
        diag_clear(&cd);
    }
    if (op->key && !strncmp(op->key, "destinations.", 13)) {
        struct path p = {0};
        if (path_push_dotted(&p, op->key, diags, inv->name) < 0)
            return -EINVAL;
        const char *nm = p.n > 1 ? p.seg[1] : "";
        bool ok = *nm != 0;
        for (const char *c = nm; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '.' || *c == '_' || *c == '-'))
                ok = false;
        int r = 0;
        if (!ok)
            r = refuse(diags, inv, none,
                       "destination name '%s' is rejected by clan: expected letters, "
                       "digits, '.', '_' and '-' only",
                       nm);
        path_free(&p);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The text of the list literal's element i (for moves). */
static char *list_item_text(const struct inventory *inv, const struct nix_value *l, size_t i)
{
    return inv_value_text(inv, l->children[i]);
}

/* ---- which file an edit writes ----
 * A value is changed where it is defined; a new one goes next to its siblings: into the
 * file that defines the machine or instance (inventory.json when it is defined only there).
 * File 0 is the main clan module (inv->nix); others are edited in the tree of their clan
 * module (a whole file or the expression inside it, same offsets as the file) or, for
 * inventory.json, as JSON whose root is the inventory. */
struct target {
    unsigned file;
    struct nix_file *f;
    bool json;
};

static int choose_target(struct inventory *inv, unsigned file, struct target *tg,
                         struct diag_list *diags)
{
    tg->file = 0;
    tg->f = inv->nix;
    tg->json = false;
    if (!file)
        return 0;
    struct diag d = {0};
    struct nix_file *f = NULL;
    bool json = false;
    if (inv_edit_file(inv, file, &f, &json, &d) < 0) {
        diag_list_push(diags, &d);
        diag_clear(&d);
        return -EINVAL;
    }
    tg->file = file;
    tg->f = f;
    tg->json = json;
    return 0;
}

/* A Nix value (literal data only) as JSON text; NULL (d set) when it is not plain data. */
static int put_json(struct buf *b, const struct nix_value *v)
{
    switch (v->kind) {
    case NIX_ATTRS:
        buf_putc(b, '{');
        for (size_t i = 0; i < v->nchildren; i++) {
            char *k = json_quote_string(v->children[i]->name);
            if (!k)
                return -EINVAL;
            buf_printf(b, "%s%s: ", i ? ", " : "", k);
            free(k);
            if (put_json(b, v->children[i]) < 0)
                return -EINVAL;
        }
        buf_putc(b, '}');
        return 0;
    case NIX_LIST:
        buf_putc(b, '[');
        for (size_t i = 0; i < v->nchildren; i++) {
            if (i)
                buf_puts(b, ", ");
            if (put_json(b, v->children[i]) < 0)
                return -EINVAL;
        }
        buf_putc(b, ']');
        return 0;
    case NIX_STRING: {
        char *q = json_quote_string(v->str ? v->str : "");
        if (!q)
            return -EINVAL;
        buf_puts(b, q);
        free(q);
        return 0;
    }
    case NIX_INT:
        buf_printf(b, "%lld", (long long)v->ival);
        return 0;
    case NIX_FLOAT:
        buf_printf(b, "%.17g", v->fval);
        return 0;
    case NIX_BOOL:
        buf_puts(b, v->bval ? "true" : "false");
        return 0;
    case NIX_NULL:
        buf_puts(b, "null");
        return 0;
    default:
        return -EINVAL;
    }
}

static char *expr_to_json(const char *expr, struct diag *d, const char *file)
{
    char *src = inv_asprintf("{ v = %s\n; }", expr);
    struct diag_list dl = {0};
    struct nix_file *nf = NULL;
    char *out = NULL;
    if (src && nix_parse("<value>", src, strlen(src), &nf, &dl) == 0 && !nix_file_has_errors(nf)) {
        const struct nix_value *v = nix_value_get(nix_file_root(nf), "v");
        struct buf b = {0};
        if (v && put_json(&b, v) == 0 && b.p)
            out = buf_steal(&b);
        buf_free(&b);
    }
    if (!out)
        diag_set(d, DIAG_ERROR, file, 0, 0,
                 "%s cannot be written into inventory.json: it is not plain data (JSON holds "
                 "strings, numbers, lists and sets, not Nix expressions such as lib.mkForce)",
                 expr);
    nix_file_free(nf);
    diag_list_free(&dl);
    free(src);
    return out;
}

/* The path inside inventory.json: the inventory is its root. */
static int json_path(const struct target *t, const struct path *p, size_t pn,
                     const char *const **seg, size_t *n, struct diag *d)
{
    if (!pn || strcmp(p->seg[0], "inventory"))
        return diag_set(d, DIAG_ERROR, nix_file_name(t->f), 0, 0,
                        "only inventory values can be written into inventory.json");
    *seg = (const char *const *)p->seg + 1;
    *n = pn - 1;
    return 0;
}

static int t_set(struct target *t, const struct path *p, size_t n, const char *expr,
                 struct nix_edit *e, struct diag *d)
{
    if (!t->json)
        return nix_edit_set(t->f, (const char *const *)p->seg, n, expr, e, d);
    const char *const *seg;
    size_t sn;
    if (json_path(t, p, n, &seg, &sn, d) < 0)
        return -EINVAL;
    char *j = expr_to_json(expr, d, nix_file_name(t->f));
    if (!j)
        return -EINVAL;
    int r = json_edit_set(t->f, seg, sn, j, e, d);
    free(j);
    return r;
}

static int t_delete(struct target *t, const struct path *p, size_t n, struct nix_edit *e,
                    struct diag *d)
{
    if (!t->json)
        return nix_edit_delete(t->f, (const char *const *)p->seg, n, e, d);
    const char *const *seg;
    size_t sn;
    if (json_path(t, p, n, &seg, &sn, d) < 0)
        return -EINVAL;
    return json_edit_delete(t->f, seg, sn, e, d);
}

enum t_list { T_APPEND, T_REMOVE, T_REPLACE };
static int t_list(struct target *t, enum t_list k, const struct path *p, size_t index,
                  const char *expr, struct nix_edit *e, struct diag *d)
{
    const char *const *seg = (const char *const *)p->seg;
    if (!t->json) {
        switch (k) {
        case T_APPEND: return nix_edit_list_append(t->f, seg, p->n, expr, e, d);
        case T_REMOVE: return nix_edit_list_remove(t->f, seg, p->n, expr, e, d);
        default: return nix_edit_list_replace(t->f, seg, p->n, index, expr, e, d);
        }
    }
    size_t sn;
    if (json_path(t, p, p->n, &seg, &sn, d) < 0)
        return -EINVAL;
    char *j = expr_to_json(expr, d, nix_file_name(t->f));
    if (!j)
        return -EINVAL;
    int r;
    switch (k) {
    case T_APPEND: r = json_edit_list_append(t->f, seg, sn, j, e, d); break;
    case T_REMOVE: r = json_edit_list_remove(t->f, seg, sn, j, e, d); break;
    default: r = json_edit_list_replace(t->f, seg, sn, index, j, e, d); break;
    }
    free(j);
    return r;
}

static const struct nix_value *t_lookup(const struct target *t, const struct path *p)
{
    const char *const *seg = (const char *const *)p->seg;
    size_t n = p->n;
    if (t->json) {
        if (!n || strcmp(seg[0], "inventory"))
            return NULL;
        seg++;
        n--;
    }
    return nix_value_lookup(nix_file_root(t->f), seg, n);
}

/* The file of a machine's inventory entry (where its tags and address go). */
static unsigned machine_file(const struct inventory *inv, const struct inv_machine *m)
{
    unsigned fi = 0;
    if (m->node)
        (void)inv_value_file(inv, m->node, &fi);
    return fi;
}

/* Where a new instance goes: beside the other instances, else beside the machines, else
 * into the main clan module -- the first of these that clan-tui edits. */
static unsigned new_instance_file(const struct inventory *inv)
{
    const struct inv_model *md = &inv->model;
    for (size_t i = 0; i <= md->ninstances + md->nmachines; i++) {
        unsigned f = 0;
        if (i < md->ninstances)
            f = md->instances[i].loc.file;
        else if (i < md->ninstances + md->nmachines && md->machines[i - md->ninstances].node)
            f = machine_file(inv, &md->machines[i - md->ninstances]);
        else if (i < md->ninstances + md->nmachines)
            continue;
        struct nix_file *nf;
        bool json;
        struct diag d = {0};
        int r = f ? inv_edit_file(inv, f, &nf, &json, &d) : 0;
        diag_clear(&d);
        if (r == 0)
            return f;
    }
    return 0;
}

/* The indentation of the first instance written in the target file, or NULL (none there,
 * or it shares its line with others). */
static char *instance_indent(const struct inventory *inv, const struct target *tg)
{
    const struct inv_model *md = &inv->model;
    size_t len;
    const char *t = nix_file_text(tg->f, &len);
    for (size_t i = 0; i < md->ninstances; i++) {
        const struct inv_loc *l = &md->instances[i].loc;
        if (l->file != tg->file || l->start > len)
            continue;
        size_t s = l->start;
        while (s > 0 && t[s - 1] != '\n')
            s--;
        size_t e = s;
        while (e < len && (t[e] == ' ' || t[e] == '\t'))
            e++;
        if (e != l->start)
            return NULL;
        return inv_strndup(t + s, e - s);
    }
    return NULL;
}

static int build_edit(const struct inventory *cinv, const struct inv_op *op,
                      struct nix_edit *out, unsigned *out_file, struct diag_list *diags)
{
    struct inventory *inv = (struct inventory *)cinv;
    const struct inv_model *md = &inv->model;
    struct target tg = {0, inv->nix, false};
    struct nix_file *f = inv->nix;
    struct path p = {0};
    struct nix_edit e = {0};
    struct diag d = {0};
    struct inv_loc none = {0};
    char *expr = NULL;
    int r = 0;

    if (nix_file_has_errors(f))
        return refuse(diags, inv, none,
                      "the file has syntax errors; fix them before editing (see `clan-tui "
                      "check`)");
    switch (op->kind) {
    case INV_OP_TAG_ADD:
    case INV_OP_TAG_REMOVE: {
        if (!op->machine || !op->tag || !*op->tag)
            return refuse(diags, inv, none, "a tag edit needs a machine and a tag name");
        long mi = inv_index_get(&inv->machine_ix, op->machine);
        if (mi < 0)
            return refuse(diags, inv, none, "there is no machine '%s' in the inventory",
                          op->machine);
        const struct inv_machine *m = &md->machines[mi];
        bool has = machine_has_tag_text(m, op->tag);
        if (op->kind == INV_OP_TAG_ADD && has)
            return refuse(diags, inv, m->tags_loc, "machine %s already has tag %s",
                          op->machine, op->tag);
        if (op->kind == INV_OP_TAG_REMOVE && !has)
            return refuse(diags, inv, m->loc, "machine %s has no tag %s", op->machine,
                          op->tag);
        if (!strcmp(op->tag, "all") || !strcmp(op->tag, "nixos") || !strcmp(op->tag, "darwin"))
            if (op->kind == INV_OP_TAG_ADD)
                return refuse(diags, inv, m->loc,
                              "'%s' is a built-in tag every machine of its class has; it "
                              "cannot be added",
                              op->tag);
        /* a tag is removed where it is written, added where the machine is defined */
        unsigned tf = machine_file(inv, m);
        if (op->kind == INV_OP_TAG_REMOVE)
            for (size_t k = 0; k < m->ntags; k++)
                if (m->tags[k].s && !strcmp(m->tags[k].s, op->tag)) {
                    tf = m->tags[k].loc.file;
                    break;
                }
        if (choose_target(inv, tf, &tg, diags) < 0)
            return -EINVAL;
        path_push(&p, "inventory");
        path_push(&p, "machines");
        path_push(&p, op->machine);
        path_push(&p, "tags");
        expr = nix_quote_string(op->tag);
        r = t_list(&tg, op->kind == INV_OP_TAG_ADD ? T_APPEND : T_REMOVE, &p, 0, expr, &e, &d);
        break;
    }
    case INV_OP_MACHINE_ADD: {
        if (!op->machine || !*op->machine)
            return refuse(diags, inv, none, "machine add needs a name");
        if (inv_index_get(&inv->machine_ix, op->machine) >= 0)
            return refuse(diags, inv,
                          md->machines[inv_index_get(&inv->machine_ix, op->machine)].loc,
                          "machine %s already exists", op->machine);
        path_push(&p, "inventory");
        path_push(&p, "machines");
        path_push(&p, op->machine);
        expr = machine_expr(inv, op);
        r = t_set(&tg, &p, p.n, expr, &e, &d);
        break;
    }
    case INV_OP_INSTANCE_ADD:
    case INV_OP_INSTANCE_REMOVE: {
        if (!op->instance || !*op->instance)
            return refuse(diags, inv, none, "an instance edit needs the instance's name");
        long ii = inv_index_get(&inv->instance_ix, op->instance);
        if (op->kind == INV_OP_INSTANCE_ADD) {
            if (ii >= 0)
                return refuse(diags, inv, md->instances[ii].loc, "instance %s already exists",
                              op->instance);
            if (op->module && !*op->module)
                return refuse(diags, inv, none, "the module name is empty");
            if (choose_target(inv, new_instance_file(inv), &tg, diags) < 0)
                return -EINVAL;
            /* a set of its own lines (as its sibling instances are written), so what goes
             * into it later is written a binding a line */
            char *ind = tg.json ? NULL : instance_indent(inv, &tg);
            char *q = op->module && strcmp(op->module, op->instance)
                          ? nix_quote_string(op->module) : NULL;
            if (ind && q)
                expr = inv_asprintf("{\n%s  module.name = %s;\n%s}", ind, q, ind);
            else if (q)
                expr = inv_asprintf("{ module.name = %s; }", q);
            else if (ind)
                expr = inv_asprintf("{\n%s}", ind);
            else
                expr = inv_strdup("{ }");
            free(ind);
            free(q);
            if (!expr)
                return -ENOMEM;
        } else {
            if (ii < 0)
                return refuse(diags, inv, none, "there is no instance '%s' in inventory.instances",
                              op->instance);
            const struct inv_instance *in = &md->instances[ii];
            if (in->merged)
                return refuse(diags, inv, in->loc,
                              "instance %s is written in several files of the clan; remove "
                              "each part by hand",
                              op->instance);
            if (choose_target(inv, in->loc.file, &tg, diags) < 0)
                return -EINVAL;
        }
        path_push(&p, "inventory");
        path_push(&p, "instances");
        path_push(&p, op->instance);
        r = op->kind == INV_OP_INSTANCE_ADD ? t_set(&tg, &p, p.n, expr, &e, &d)
                                            : t_delete(&tg, &p, p.n, &e, &d);
        break;
    }
    case INV_OP_ROLE_MACHINE_ADD:
    case INV_OP_ROLE_MACHINE_REMOVE:
    case INV_OP_ROLE_TAG_ADD:
    case INV_OP_ROLE_TAG_REMOVE: {
        bool is_machine = op->kind == INV_OP_ROLE_MACHINE_ADD || op->kind == INV_OP_ROLE_MACHINE_REMOVE;
        bool add = op->kind == INV_OP_ROLE_MACHINE_ADD || op->kind == INV_OP_ROLE_TAG_ADD;
        const char *what = is_machine ? op->machine : op->tag;
        if (!what || !*what)
            return refuse(diags, inv, none, "a role edit needs a %s name",
                          is_machine ? "machine" : "tag");
        const char *role = op->role;
        const struct inv_instance *in =
            resolve_scope(inv, op->instance, &role, is_machine ? INV_LEVEL_MACHINE : INV_LEVEL_TAG,
                          add ? NULL : what, NULL, diags);
        if (!in)
            return -EINVAL;
        const struct inv_role *rl = find_role(in, role);
        const struct inv_role_entry *have =
            rl ? (is_machine ? find_entry(rl->machines, rl->nmachines, what)
                             : find_entry(rl->tags, rl->ntags, what))
               : NULL;
        if (add && have)
            return refuse(diags, inv, have->loc, "%s %s is already in %s.roles.%s",
                          is_machine ? "machine" : "tag", what, in->name, role);
        if (!add && !have)
            return refuse(diags, inv, rl ? rl->loc : in->loc, "%s %s is not listed in %s.roles.%s",
                          is_machine ? "machine" : "tag", what, in->name, role);
        if (is_machine && add && inv_index_get(&inv->machine_ix, what) < 0)
            return refuse(diags, inv, none,
                          "there is no machine '%s' in the inventory; add it first (machine add)",
                          what);
        if (choose_target(inv, have ? have->loc.file : in->loc.file, &tg, diags) < 0)
            return -EINVAL;
        path_role(&p, in, role);
        if (is_machine) {
            path_push(&p, "machines");
            path_push(&p, what);
            if (add) {
                expr = inv_strdup("{ }");
                r = t_set(&tg, &p, p.n, expr, &e, &d);
            } else {
                r = t_delete(&tg, &p, p.n, &e, &d);
            }
        } else if (rl && rl->ntags && !rl->tags_is_list) {
            path_push(&p, "tags");
            path_push(&p, what);
            if (add) {
                expr = inv_strdup("{ }");
                r = t_set(&tg, &p, p.n, expr, &e, &d);
            } else {
                r = t_delete(&tg, &p, p.n, &e, &d);
            }
        } else {
            path_push(&p, "tags");
            expr = nix_quote_string(what);
            r = t_list(&tg, add ? T_APPEND : T_REMOVE, &p, 0, expr, &e, &d);
        }
        break;
    }
    case INV_OP_SETTING_SET:
    case INV_OP_SETTING_CLEAR:
    case INV_OP_LIST_ADD:
    case INV_OP_LIST_REMOVE:
    case INV_OP_LIST_REPLACE:
    case INV_OP_LIST_MOVE: {
        const struct inv_scope *s = &op->scope;
        if (!op->key || !*op->key)
            return refuse(diags, inv, none, "a settings edit needs a key (e.g. startAt)");
        if ((s->level == INV_LEVEL_TAG || s->level == INV_LEVEL_MACHINE) && !s->name)
            return refuse(diags, inv, none, "a %s-level setting needs the %s's name",
                          inv_level_name(s->level), inv_level_name(s->level));
        if (s->level == INV_LEVEL_DEFAULT)
            return refuse(diags, inv, none, "built-in defaults cannot be edited");
        bool needs_value = op->kind == INV_OP_SETTING_SET || op->kind == INV_OP_LIST_ADD ||
                           op->kind == INV_OP_LIST_REMOVE || op->kind == INV_OP_LIST_REPLACE;
        if (needs_value && !op->value && !op->expr)
            return refuse(diags, inv, none, "this edit needs a value");
        if (check_value(inv, op, diags) < 0)
            return -EINVAL;
        const char *role = s->role;
        const struct inv_instance *in =
            resolve_scope(inv, s->instance, &role, s->level, s->name, op->key, diags);
        if (!in)
            return -EINVAL;
        const struct inv_role *rl = find_role(in, role);
        if (!rl)
            return refuse(diags, inv, in->loc, "instance %s has no role '%s'", in->name, role);
        if (choose_target(inv, in->loc.file, &tg, diags) < 0)
            return -EINVAL;
        f = tg.f;
        if (op->priority == INV_PRIO_FORCE || op->priority == INV_PRIO_DEFAULT)
            if (tg.file == 0 && !inv_lib_in_scope(inv))
                return refuse(diags, inv, none,
                              "lib.%s needs `lib` in scope, but the file does not bind it "
                              "(start it with `{ lib, ... }:`)",
                              op->priority == INV_PRIO_FORCE ? "mkForce" : "mkDefault");
        path_role(&p, in, role);
        bool tag_list_convert = false;
        if (s->level == INV_LEVEL_TAG) {
            if (!find_entry(rl->tags, rl->ntags, s->name))
                return refuse(diags, inv, rl->loc,
                              "tag %s is not in %s.roles.%s; add it first (role add-tag)",
                              s->name, in->name, role);
            if (rl->tags_is_list)
                tag_list_convert = true;
            path_push(&p, "tags");
            if (!tag_list_convert)
                path_push(&p, s->name);
        } else if (s->level == INV_LEVEL_MACHINE) {
            long mi = inv_index_get(&inv->machine_ix, s->name);
            bool member = false;
            for (size_t k = 0; mi >= 0 && k < md->nmembers && !member; k++)
                member = md->members[k].machine == (size_t)mi &&
                         &md->instances[md->members[k].instance] == in &&
                         &in->roles[md->members[k].role] == rl;
            if (!member)
                return refuse(diags, inv, rl->loc,
                              "machine %s is not in %s.roles.%s; add it first (role "
                              "add-machine)",
                              s->name, in->name, role);
            path_push(&p, "machines");
            path_push(&p, s->name);
        }
        if (tag_list_convert) {
            /* roles.<r>.tags = [ ... ] has no room for settings: rewrite it as an attrset */
            if (op->kind != INV_OP_SETTING_SET && op->kind != INV_OP_LIST_ADD)
                return refuse(diags, inv, rl->tags[0].loc,
                              "%s.roles.%s.tags is a list, so tag %s has no settings",
                              in->name, role, s->name);
            struct path kp = {0};
            if (path_push_dotted(&kp, op->key, diags, inv->name) < 0)
                return -EINVAL;
            char *kt = path_text(&kp);
            path_free(&kp);
            char *v = op_value_text(op);
            char *vv = op->kind == INV_OP_LIST_ADD ? inv_asprintf("[ %s ]", v) : wrap_priority(v, op->priority);
            free(v);
            struct buf b = {0};
            buf_puts(&b, "{");
            for (size_t k = 0; k < rl->ntags; k++) {
                char *qk = nix_quote_key(rl->tags[k].name);
                if (!strcmp(rl->tags[k].name, s->name))
                    buf_printf(&b, " %s.settings.%s = %s;", qk, kt, vv);
                else
                    buf_printf(&b, " %s = { };", qk);
                free(qk);
            }
            buf_puts(&b, " }");
            free(kt);
            free(vv);
            expr = buf_steal(&b);
            r = t_set(&tg, &p, p.n, expr, &e, &d);
            break;
        }
        size_t anchor_n = p.n; /* the role, tag or machine entry: it must survive */
        path_push(&p, "settings");
        if (path_push_dotted(&p, op->key, diags, inv->name) < 0) {
            path_free(&p);
            return -EINVAL;
        }
        const struct nix_value *cur = t_lookup(&tg, &p);
        char *pt = path_text(&p);
        switch (op->kind) {
        case INV_OP_SETTING_SET: {
            char *v = op_value_text(op);
            expr = wrap_priority(v, op->priority);
            if (cur && !op->priority && cur->kind == NIX_OPAQUE) {
                /* keep the priority the value already has (lib.mkDefault "..." stays one) */
                int cp;
                size_t inner;
                (void)inv_unwrap_priority(inv, cur, &cp, &inner);
                size_t tl;
                const char *src = nix_file_text(f, &tl);
                if (cp != INV_PRIO_PLAIN && inner > nix_val_start(cur) && inner <= tl &&
                    src[nix_val_start(cur)] != '(') {
                    free(expr);
                    expr = inv_asprintf("%.*s%s", (int)(inner - nix_val_start(cur)),
                                        src + nix_val_start(cur), v);
                }
            }
            free(v);
            r = t_set(&tg, &p, p.n, expr, &e, &d);
            break;
        }
        case INV_OP_SETTING_CLEAR:
            if (!cur) {
                r = refuse(diags, inv, none, "%s is not defined, so there is nothing to clear",
                           pt);
                break;
            }
            {
                /* `tags.t.settings.startAt = x;` is also what makes tag t part of the role:
                 * when deleting the binding would take the entry with it, leave `t = { };` */
                const struct nix_value *node = cur;
                size_t depth = p.n;
                while (depth > anchor_n && node->parent && node->parent->implicit &&
                       node->parent->nchildren == 1) {
                    node = node->parent;
                    depth--;
                }
                if (depth == anchor_n && anchor_n > 0)
                    r = t_set(&tg, &p, anchor_n, "{ }", &e, &d);
                else
                    r = t_delete(&tg, &p, p.n, &e, &d);
            }
            break;
        case INV_OP_LIST_ADD:
            expr = op_value_text(op);
            r = t_list(&tg, T_APPEND, &p, 0, expr, &e, &d);
            break;
        case INV_OP_LIST_REMOVE:
            expr = op_value_text(op);
            r = t_list(&tg, T_REMOVE, &p, 0, expr, &e, &d);
            break;
        case INV_OP_LIST_REPLACE:
            expr = op_value_text(op);
            r = t_list(&tg, T_REPLACE, &p, op->index, expr, &e, &d);
            break;
        case INV_OP_LIST_MOVE: {
            if (!cur || cur->kind != NIX_LIST) {
                r = refuse(diags, inv, none, "%s is not a list literal", pt);
                break;
            }
            size_t n = cur->nchildren;
            if (op->index >= n || op->to >= n) {
                r = refuse(diags, inv, inv_loc_value(inv, cur),
                           "%s has %zu elements; positions are 0..%zu", pt, n, n ? n - 1 : 0);
                break;
            }
            /* rotate the elements between the two positions, element by element */
            size_t *order = calloc(n, sizeof(*order));
            if (!order) {
                r = -ENOMEM;
                break;
            }
            for (size_t i = 0, k = 0; i < n; i++) {
                if (i == op->to)
                    order[i] = op->index;
                else {
                    if (k == op->index)
                        k++;
                    order[i] = k++;
                }
            }
            for (size_t i = 0; i < n && r >= 0; i++) {
                if (order[i] == i)
                    continue;
                char *t = list_item_text(inv, cur, order[i]);
                struct nix_edit one = {0};
                if (tg.json) {
                    /* JSON: the element's own text is JSON already */
                    const char *const *seg;
                    size_t sn;
                    r = json_path(&tg, &p, p.n, &seg, &sn, &d);
                    if (r >= 0)
                        r = json_edit_list_replace(tg.f, seg, sn, i, t, &one, &d);
                } else {
                    r = nix_edit_list_replace(f, p.seg, p.n, i, t, &one, &d);
                }
                free(t);
                if (r >= 0)
                    r = take_patches(&e, &one);
                nix_edit_free(&one);
            }
            free(order);
            break;
        }
        default:
            break;
        }
        free(pt);
        break;
    }
    }
    free(expr);
    path_free(&p);
    if (r < 0) {
        nix_edit_free(&e);
        if (d.msg || r != -EINVAL)
            return from_nix_diag(diags, &d, r);
        return r;
    }
    diag_clear(&d);
    if (e.n > 1)
        qsort(e.v, e.n, sizeof(*e.v), cmp_patch);
    *out = e;
    *out_file = tg.file;
    (void)f;
    return 0;
}

/* ---- conflicts ---- */

/* Every conflicting setting of inv's members, one key a line (inv_member_conflicts). */
static void conflicts_of(const struct inventory *inv, struct buf *out)
{
    for (size_t k = 0; k < inv->model.nmembers; k++)
        inv_member_conflicts(inv, &inv->model.members[k], out);
}

/* Find the effective node of a conflict key in inv. */
static const struct inv_eff *eff_of_key(const struct inventory *inv, const char *key,
                                        const struct inv_member **mbo)
{
    char *k = inv_strdup(key);
    if (!k)
        return NULL;
    char *inst = k, *role = strchr(inst, '\x1f');
    if (!role) {
        free(k);
        return NULL;
    }
    *role++ = 0;
    char *mach = strchr(role, '\x1f');
    if (!mach) {
        free(k);
        return NULL;
    }
    *mach++ = 0;
    char *rest = strchr(mach, '\x1f');
    if (!rest) {
        free(k);
        return NULL;
    }
    *rest++ = 0;
    const struct inv_member *mb = inventory_member(inv, inst, role, mach);
    const struct inv_eff *e = mb ? &mb->settings : NULL;
    /* rest = "settings.a.b" */
    char *dot = strchr(rest, '.');
    while (e && dot) {
        char *seg = dot + 1;
        char *nd = strchr(seg, '.');
        if (nd)
            *nd = 0;
        e = inv_eff_get(e, seg);
        dot = nd;
    }
    free(k);
    *mbo = mb;
    return e;
}

static void add_alternative(struct inv_alternatives *alts, const char *label,
                            const struct inv_op *op)
{
    struct inv_alternative *nv = realloc(alts->v, (alts->n + 1) * sizeof(*nv));
    if (!nv)
        return;
    alts->v = nv;
    struct inv_alternative *a = &alts->v[alts->n++];
    a->label = inv_strdup(label);
    a->op = *op;
    /* copy the strings the op points to */
    const char **fields[] = {&a->op.machine, &a->op.tag, &a->op.target_host, &a->op.instance,
                             &a->op.role, &a->op.module, &a->op.scope.instance, &a->op.scope.role,
                             &a->op.scope.name, &a->op.key, &a->op.value, &a->op.expr};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (!*fields[i])
            continue;
        char **ns = realloc(alts->strings, (alts->nstrings + 1) * sizeof(*ns));
        if (!ns)
            continue;
        alts->strings = ns;
        ns[alts->nstrings] = inv_strdup(*fields[i]);
        *fields[i] = ns[alts->nstrings++];
    }
}

void inv_alternatives_free(struct inv_alternatives *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].label);
    free(a->v);
    for (size_t i = 0; i < a->nstrings; i++)
        free(a->strings[i]);
    free(a->strings);
    memset(a, 0, sizeof(*a));
}

static int preview_text(const struct inventory *inv, const struct inv_op *op, unsigned *file,
                        char **text, size_t *len, struct nix_edit *edit,
                        struct inventory **built, struct inv_alternatives *alts,
                        struct diag_list *diags);

/* Explain a refused conflict and offer the edits that do not conflict. */
static void explain_conflict(const struct inventory *inv, const struct inventory *ninv,
                             const char *key_path, const struct inv_op *op,
                             struct inv_alternatives *alts, struct diag_list *diags)
{
    const struct inv_member *mb = NULL;
    const struct inv_eff *e = eff_of_key(ninv, key_path, &mb);
    char *desc = inv_op_describe(op);
    const struct inv_model *md = &ninv->model;
    const char *mach = mb ? md->machines[mb->machine].name : "?";
    /* the existing definitions: active ones that are not the one being written */
    struct buf b = {0};
    const struct inv_def *existing = NULL;
    for (size_t i = 0; e && i < e->ndefs; i++) {
        const struct inv_def *d = &e->defs[i];
        if (!d->active)
            continue;
        bool mine = d->level == op->scope.level &&
                    (d->level != INV_LEVEL_TAG || (d->tag && op->scope.name &&
                                                   !strcmp(d->tag, op->scope.name)));
        if (mine)
            continue;
        /* positions in the current (old) file: the definition exists there already */
        existing = d;
        buf_printf(&b, "%s%s%s%s %s at %s:%u:%u", b.len ? "; " : "", inv_level_name(d->level),
                   d->tag ? " " : "", d->tag ? d->tag : "", d->text ? d->text : "?",
                   inv->name, d->loc.line, d->loc.col);
    }
    diag_list_add(diags, DIAG_ERROR, inv->name, existing ? existing->loc.line : 0,
                  existing ? existing->loc.col : 0,
                  "refused: %s would give machine %s two different definitions of %s at the "
                  "same priority (the existing one: %s); Clan's evaluation would fail with "
                  "\"conflicting definition values\"",
                  desc ? desc : "this edit", mach, strrchr(key_path, '\x1f') + 1,
                  b.p ? b.p : "?");
    buf_free(&b);
    free(desc);
    if (alts && e && mb && op->kind != INV_OP_SETTING_SET) {
        /* an edit that brings a definition in (a tag, a role member): removing one of the
         * definitions that would disagree lets it through */
        const char *key = strrchr(key_path, '\x1f') + 1;
        key = strncmp(key, "settings.", 9) ? NULL : key + 9;
        const struct inv_instance *in = &md->instances[mb->instance];
        char where[300];
        for (size_t i = 0; key && i < e->ndefs; i++) {
            const struct inv_def *d = &e->defs[i];
            if (!d->active || d->level == INV_LEVEL_DEFAULT)
                continue;
            struct inv_op c = {.kind = INV_OP_SETTING_CLEAR, .key = key};
            c.scope.instance = in->name;
            c.scope.role = in->roles[mb->role].name;
            c.scope.level = d->level;
            c.scope.name = d->level == INV_LEVEL_TAG ? d->tag
                           : d->level == INV_LEVEL_MACHINE ? mach : NULL;
            char *label = inv_asprintf("remove the definition of %s at %s (line %u) first",
                                       key, scope_level_text(&c.scope, where, sizeof(where)),
                                       d->loc.line);
            struct diag_list scratch = {0};
            char *t = NULL;
            size_t tl;
            if (label && preview_text(inv, &c, NULL, &t, &tl, NULL, NULL, NULL, &scratch) == 0) {
                add_alternative(alts, label, &c);
                diag_list_add(diags, DIAG_NOTE, inv->name, 0, 0, "alternative: %s", label);
            }
            free(t);
            diag_list_free(&scratch);
            free(label);
        }
    }
    if (!alts || !existing || op->kind != INV_OP_SETTING_SET)
        return;
    /* candidate edits; each is offered only when it goes through without a conflict */
    struct inv_op cand[4];
    char *labels[4] = {0};
    size_t nc = 0;
    char where[300];
    struct inv_scope es = op->scope;
    es.level = existing->level;
    es.name = existing->level == INV_LEVEL_TAG ? existing->tag
              : existing->level == INV_LEVEL_MACHINE ? mach : NULL;
    if (existing->level != INV_LEVEL_DEFAULT) {
        cand[nc] = *op;
        cand[nc].scope = es;
        labels[nc] = inv_asprintf("change the existing definition at %s (line %u) instead",
                                  scope_level_text(&es, where, sizeof(where)),
                                  existing->loc.line);
        nc++;
        cand[nc] = (struct inv_op){.kind = INV_OP_SETTING_CLEAR, .scope = es, .key = op->key};
        labels[nc] = inv_asprintf("remove the existing definition at %s (line %u), then set "
                                  "the value again",
                                  scope_level_text(&es, where, sizeof(where)),
                                  existing->loc.line);
        nc++;
    }
    if (inv_lib_in_scope(inv)) {
        cand[nc] = *op;
        cand[nc].priority = INV_PRIO_FORCE;
        labels[nc] = inv_asprintf("set it with lib.mkForce at %s, overriding the existing "
                                  "definition",
                                  scope_level_text(&op->scope, where, sizeof(where)));
        nc++;
        cand[nc] = *op;
        cand[nc].priority = INV_PRIO_DEFAULT;
        labels[nc] = inv_asprintf("set it with lib.mkDefault at %s (the existing definition "
                                  "keeps winning for %s)",
                                  scope_level_text(&op->scope, where, sizeof(where)), mach);
        nc++;
    }
    for (size_t i = 0; i < nc; i++) {
        struct diag_list scratch = {0};
        char *t = NULL;
        size_t tl;
        if (preview_text(inv, &cand[i], NULL, &t, &tl, NULL, NULL, NULL, &scratch) == 0) {
            add_alternative(alts, labels[i], &cand[i]);
            diag_list_add(diags, DIAG_NOTE, inv->name, 0, 0, "alternative: %s", labels[i]);
        }
        free(t);
        diag_list_free(&scratch);
        free(labels[i]);
    }
}

static int preview_built(const struct inventory *inv, const struct inv_op *op, struct nix_edit e,
                         unsigned file, char **text, size_t *len, struct nix_edit *edit,
                         struct inventory **built, struct inv_alternatives *alts,
                         struct diag_list *diags);

/* Build the edit, the new text (of the file it writes: *file) and its model; refuse on new
 * conflicts. */
static int preview_text(const struct inventory *inv, const struct inv_op *op, unsigned *file,
                        char **text, size_t *len, struct nix_edit *edit,
                        struct inventory **built, struct inv_alternatives *alts,
                        struct diag_list *diags)
{
    struct nix_edit e = {0};
    unsigned fi = 0;
    int r = build_edit(inv, op, &e, &fi, diags);
    if (r < 0)
        return r;
    if (file)
        *file = fi;
    return preview_built(inv, op, e, fi, text, len, edit, built, alts, diags);
}

/* preview_text with the edit already built (e is taken over). */
static int preview_built(const struct inventory *inv, const struct inv_op *op, struct nix_edit e,
                         unsigned file, char **text, size_t *len, struct nix_edit *edit,
                         struct inventory **built, struct inv_alternatives *alts,
                         struct diag_list *diags)
{
    int r;
    size_t olen;
    const char *old = file ? inv_file_text(inv, file, &olen) : nix_file_text(inv->nix, &olen);
    size_t nlen;
    struct inv_patch *ip = copy_patches(&e);
    char *nt = ip ? apply_patches(old, olen, ip, e.n, &nlen) : NULL;
    for (size_t i = 0; ip && i < e.n; i++)
        free(ip[i].text);
    free(ip);
    if (!nt) {
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0,
                             "internal error: the edit's patches overlap"),
               -EINVAL;
    }
    /* the edit's own check parsed the new text already: use that parse when it is of
     * exactly this text (one core/nix edit; combined edits parse again) */
    struct nix_file *pre = nix_edit_take_result(&e);
    size_t plen = 0;
    const char *ptext = pre ? nix_file_text(pre, &plen) : NULL;
    if (pre && (file || plen != nlen || memcmp(ptext, nt, nlen) ||
                strcmp(nix_file_name(pre), inv->name))) {
        nix_file_free(pre);
        pre = NULL;
    }
    struct inventory *ninv = NULL;
    if (file) {
        /* another file of the clan: read the clan again with that file's new text */
        struct diag_list dl = {0};
        r = inv_clan_rebuild(inv, inv_file_real(inv, file), nt, nlen, &ninv, &dl);
        diag_list_free(&dl);
    } else {
        r = pre ? inv_build_parsed(pre, inv->clan, &ninv, NULL)
                : inv_build_clan(inv->name, nt, nlen, inv->clan, &ninv, NULL);
    }
    if (r < 0) {
        free(nt);
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0,
                             "cannot read the edited text back (%s)", strerror(-r)),
               r;
    }
    if (!file && nix_file_has_errors(ninv->nix)) {
        for (size_t i = 0; i < ninv->diags.n; i++)
            if (ninv->diags.v[i].severity == DIAG_ERROR) {
                diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0,
                              "refused: the edited text would not parse: line %u:%u: %s",
                              ninv->diags.v[i].line, ninv->diags.v[i].col,
                              ninv->diags.v[i].msg ? ninv->diags.v[i].msg : "");
                break;
            }
        r = -EINVAL;
    }
    if (r == 0) {
        struct buf a = {0}, b = {0};
        conflicts_of(inv, &a);
        conflicts_of(ninv, &b);
        size_t kl;
        const char *k = inv_conflict_first_new(&a, &b, &kl);
        if (k) {
            char *key = inv_strndup(k, kl);
            if (key)
                explain_conflict(inv, ninv, key, op, alts, diags);
            free(key);
            r = -EEXIST;
        }
        buf_free(&a);
        buf_free(&b);
    }
    if (r < 0) {
        inventory_free(ninv);
        free(nt);
        nix_edit_free(&e);
        return r;
    }
    *text = nt;
    *len = nlen;
    if (edit)
        *edit = e;
    else
        nix_edit_free(&e);
    if (built)
        *built = ninv;
    else
        inventory_free(ninv);
    return 0;
}

int inventory_edit_preview_file(const struct inventory *inv, const struct inv_op *op,
                                unsigned *file, char **text, size_t *len,
                                struct inv_alternatives *alts, struct diag_list *diags)
{
    unsigned fi = 0;
    int r = preview_text(inv, op, &fi, text, len, NULL, NULL, alts, diags);
    if (r < 0)
        return r;
    if (!fi && inv->real) {
        /* the main module is a view: give the whole file's text */
        size_t rl;
        char *rt = inv_real_of(inv, *text, *len, &rl);
        if (!rt) {
            free(*text);
            return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
        }
        free(*text);
        *text = rt;
        *len = rl;
    }
    if (file)
        *file = fi;
    return 0;
}

int inventory_edit_preview_model(const struct inventory *inv, const struct inv_op *op,
                                 struct inventory **out, struct inv_alternatives *alts,
                                 struct diag_list *diags)
{
    char *text = NULL;
    size_t len;
    int r = preview_text(inv, op, NULL, &text, &len, NULL, out, alts, diags);
    free(text);
    return r;
}

int inventory_edit_preview(const struct inventory *inv, const struct inv_op *op, char **text,
                           size_t *len, struct inv_alternatives *alts, struct diag_list *diags)
{
    return inventory_edit_preview_file(inv, op, NULL, text, len, alts, diags);
}

/* Take over the model of n (built from the new text); n is freed. */
static void adopt(struct inventory *inv, struct inventory *n)
{
    inv_release(inv);
    inv->nix = n->nix;
    inv->snippets = n->snippets;
    inv->nsnippets = n->nsnippets;
    inv->snippet_roots = n->snippet_roots;
    inv->snippet_delta = n->snippet_delta;
    inv->snippet_file = n->snippet_file;
    inv->snippet_hidx = n->snippet_hidx;
    inv->snippet_hcap = n->snippet_hcap;
    inv->no_local = n->no_local;
    inv->dseen = n->dseen;
    inv->fused = n->fused;
    inv->nfused = n->nfused;
    inv->flist = n->flist;
    inv->nflist = n->nflist;
    inv->ndseen = n->ndseen;
    inv->capdseen = n->capdseen;
    inv->unf = n->unf;
    inv->nunf = n->nunf;
    inv->capunf = n->capunf;
    inv->unwrap = n->unwrap;
    inv->borg_defaults = n->borg_defaults;
    inv->model = n->model;
    inv->machine_ix = n->machine_ix;
    inv->instance_ix = n->instance_ix;
    inv->diags = n->diags;
    inv->owners = n->owners;
    inv->capowners = n->capowners;
    inv->nowned = n->nowned;
    inv->local_bytes = 0;
    free(n->real);
    if (n->clan != inv->clan) {
        /* a rebuilt clan (another file was edited): its files and views replace ours */
        inv_clan_unref(inv->clan);
        inv->clan = n->clan;
        free(inv->real);
        inv->real = NULL;
    } else {
        inv_clan_unref(n->clan);
    }
    free(n->visit);
    free(inv->visit);
    inv->visit = NULL;
    inv->nvisit = 0;
    free(n->name);
    free(n);
    inv_sync_real(inv);
}

/* The patches that turn the new text back into the old one. */
static int invert(const char *old, const struct nix_edit *e, struct inv_undo *u)
{
    u->fwd = copy_patches(e);
    u->back = calloc(e->n ? e->n : 1, sizeof(*u->back));
    if (!u->fwd || !u->back)
        return -ENOMEM;
    u->nfwd = e->n;
    long delta = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct inv_patch *p = &u->fwd[i];
        size_t ns = (size_t)((long)p->start + delta);
        size_t ol = p->end - p->start;
        u->back[i] = (struct inv_patch){ns, ns + p->len, inv_strndup(old + p->start, ol), ol};
        delta += (long)p->len - (long)ol;
    }
    u->nback = e->n;
    return 0;
}

/* The undo record's patches as core/nix takes them (texts borrowed): 1, 0 when a text holds
 * a NUL byte (only a full parse reads it), <0 ENOMEM. */
static int nix_patches(const struct inv_patch *p, size_t np, struct nix_patch **out)
{
    struct nix_patch *v = calloc(np ? np : 1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < np; i++) {
        const char *t = p[i].text ? p[i].text : "";
        if (memchr(t, 0, p[i].len)) {
            free(v);
            return 0;
        }
        v[i] = (struct nix_patch){p[i].start, p[i].end, (char *)t};
    }
    *out = v;
    return 1;
}

/* Apply patches to the tree in place and update the model (core/nix local edits): 1 done,
 * 0 not local (nothing changed), <0 ENOMEM (the model was read again). */
static int patch_local(struct inventory *inv, const struct inv_patch *p, size_t np,
                       bool *new_conflict)
{
    *new_conflict = false;
    /* in a clan of several files, only edits of the main file get here; what they touch
     * that other files also define is read again whole (inv_update) */
    if (inv->no_local || nix_file_has_diags(inv->nix) || !np)
        return 0;
    struct nix_patch *v = NULL;
    int r = nix_patches(p, np, &v);
    struct nix_change ch = {0};
    if (r == 1)
        r = nix_file_patch_local(inv->nix, v, np, &ch);
    free(v);
    if (r <= 0)
        return r;
    inv_sync_real(inv); /* a view of the main module: the whole file's text follows */
    /* what the tree re-parsed in place; the parts it replaced stay allocated until the
     * next full parse (see compact) */
    size_t span = ch.new_end - ch.start;
    if (ch.changed && !ch.attrs_only && nix_val_end(ch.changed) > nix_wrap_start(ch.changed))
        span += nix_val_end(ch.changed) - nix_wrap_start(ch.changed);
    inv->local_bytes += span;
    int u = inv_update(inv, &ch, new_conflict);
    return u < 0 ? u : 1;
}

/* The same for file `file` (> 0) of a clan: inventory.json, patched in place when nothing
 * else shares its parse (a preview's clan, an undo's) and what local edits left in its
 * memory is less than the file; then the model follows (inv_update_file). 1 done, 0 not
 * local (nothing changed), <0 ENOMEM (the model was read again). */
static int patch_local_file(struct inventory *inv, unsigned file, const struct inv_patch *p,
                            size_t np, bool *new_conflict)
{
    *new_conflict = false;
    struct inv_clan *c = inv->clan;
    if (!c || c->refs != 1 || (long)file != c->json || file >= c->nfiles || !np)
        return 0;
    struct inv_srcfile *sf = &c->files[file];
    size_t flen = 0;
    if (!sf->nix || !sf->parse || sf->parse->refs != 1 || sf->parse->diags.n ||
        (nix_file_text(sf->nix, &flen), sf->parse->local_bytes > flen))
        return 0;
    struct nix_patch *v = NULL;
    int r = nix_patches(p, np, &v);
    struct nix_change ch = {0};
    if (r == 1)
        r = nix_file_patch_local(sf->nix, v, np, &ch);
    free(v);
    if (r <= 0)
        return r;
    sf->edited = true;
    sf->parse->local_bytes +=
        (ch.new_end - ch.start) + (nix_val_end(ch.changed) - nix_val_start(ch.changed));
    int u = inv_update_file(inv, file, &ch, new_conflict);
    return u < 0 ? u : 1;
}

/* Local edits leave what they replaced in the tree's memory. Once they have re-parsed as
 * much text as the file holds, parse it whole again (what one more full parse costs,
 * spread over all those edits), so a long session's memory stays bounded. */
static void compact(struct inventory *inv)
{
    size_t len;
    const char *t = nix_file_text(inv->nix, &len);
    if (inv->local_bytes <= len)
        return;
    struct inventory *n = NULL;
    if (inv_build_clan(inv->name, t, len, inv->clan, &n, NULL) < 0)
        return; /* no memory for it now: try after the next edit */
    adopt(inv, n);
}

/* Apply patches to the current text and take over the re-read model. */
static int replace_text(struct inventory *inv, const struct inv_patch *p, size_t np,
                        struct diag *d)
{
    bool nc;
    int r = patch_local(inv, p, np, &nc);
    if (r == 1) {
        compact(inv);
        return 0;
    }
    if (r < 0)
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0, "out of memory"), r;
    size_t olen;
    const char *old = nix_file_text(inv->nix, &olen);
    size_t nlen;
    char *nt = apply_patches(old, olen, p, np, &nlen);
    if (!nt)
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0, "undo record does not fit the text");
    struct inventory *n = NULL;
    r = inv_build_clan(inv->name, nt, nlen, inv->clan, &n, NULL);
    free(nt);
    if (r < 0)
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0, "cannot re-read the text"), r;
    adopt(inv, n);
    inv->nupdates_full++;
    return 0;
}

void inventory_update_counts(const struct inventory *inv, size_t *local, size_t *full)
{
    *local = inv->nupdates_local;
    *full = inv->nupdates_full;
}

/* Record an applied edit on the undo stack (redo is cleared). */
static void push_undo(struct inventory *inv, struct inv_undo *u, const struct inv_op *op)
{
    u->label = inv_op_describe(op);
    u->id = ++inv->next_id;
    inv->undo[inv->nundo++] = *u;
    for (size_t i = 0; i < inv->nredo; i++)
        inv_undo_free(&inv->redo[i]);
    inv->nredo = 0;
}

static int replace_other(struct inventory *inv, const char *real, const struct inv_patch *p,
                         size_t np, struct diag *d);

/* An edit of another file of the clan: inventory.json patched in place when it can be,
 * else the clan is read again with the file's new text. */
static int edit_other(struct inventory *inv, const struct inv_op *op, struct nix_edit e,
                      unsigned file, struct inv_alternatives *alts, struct diag_list *diags)
{
    struct inv_undo u = {0};
    size_t olen;
    const char *old = inv_file_text(inv, file, &olen);
    struct inv_undo *nu = realloc(inv->undo, (inv->nundo + 1) * sizeof(*nu));
    if (nu)
        inv->undo = nu;
    u.file = inv_strdup(inv_file_real(inv, file));
    if (!nu || !old || !u.file || invert(old, &e, &u) < 0) {
        inv_undo_free(&u);
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
    }
    /* a small edit of inventory.json: patched in place, the model updated */
    bool nc = false;
    int r = patch_local_file(inv, file, u.fwd, u.nfwd, &nc);
    if (r == 1 && !nc) {
        nix_edit_free(&e);
        push_undo(inv, &u, op);
        return 0;
    }
    if (r == 1 && patch_local_file(inv, file, u.back, u.nback, &nc) != 1) {
        /* a new conflict, and the text could not be put back in place: read it again */
        struct diag d = {0};
        r = replace_other(inv, u.file, u.back, u.nback, &d);
        if (r < 0) {
            diag_list_push(diags, &d);
            diag_clear(&d);
            inv_undo_free(&u);
            nix_edit_free(&e);
            return r;
        }
    }
    if (r < 0) {
        inv_undo_free(&u);
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
    }
    /* not local, or a new conflict that the full check explains and refuses */
    char *text;
    size_t len;
    struct inventory *n = NULL;
    r = preview_built(inv, op, e, file, &text, &len, NULL, &n, alts, diags);
    if (r < 0) {
        inv_undo_free(&u);
        return r;
    }
    free(text);
    adopt(inv, n);
    inv->nupdates_full++;
    push_undo(inv, &u, op);
    return 0;
}

/* Undo or redo a record of another file: its patches on that file's current text. */
static int replace_other(struct inventory *inv, const char *real, const struct inv_patch *p,
                         size_t np, struct diag *d)
{
    long k = inv_file_by_real(inv, real);
    bool nc;
    int lr = k > 0 ? patch_local_file(inv, (unsigned)k, p, np, &nc) : 0;
    if (lr == 1)
        return 0;
    if (lr < 0)
        return diag_set(d, DIAG_ERROR, real, 0, 0, "out of memory"), lr;
    size_t olen;
    const char *old = k > 0 ? inv_file_text(inv, (unsigned)k, &olen) : NULL;
    if (!old)
        return diag_set(d, DIAG_ERROR, real, 0, 0, "the file of this edit is no longer part of the clan");
    size_t nlen;
    char *nt = apply_patches(old, olen, p, np, &nlen);
    if (!nt)
        return diag_set(d, DIAG_ERROR, real, 0, 0, "undo record does not fit the text");
    struct inventory *n = NULL;
    struct diag_list dl = {0};
    int r = inv_clan_rebuild(inv, real, nt, nlen, &n, &dl);
    free(nt);
    diag_list_free(&dl);
    if (r < 0)
        return diag_set(d, DIAG_ERROR, real, 0, 0, "cannot re-read the clan"), r;
    adopt(inv, n);
    inv->nupdates_full++;
    return 0;
}

int inventory_edit(struct inventory *inv, const struct inv_op *op,
                   struct inv_alternatives *alts, struct diag_list *diags)
{
    struct nix_edit e = {0};
    unsigned file = 0;
    int r = build_edit(inv, op, &e, &file, diags);
    if (r < 0)
        return r;
    if (file)
        return edit_other(inv, op, e, file, alts, diags);
    struct inv_undo u = {0};
    size_t olen;
    const char *old = nix_file_text(inv->nix, &olen);
    struct inv_undo *nu = realloc(inv->undo, (inv->nundo + 1) * sizeof(*nu));
    if (nu)
        inv->undo = nu;
    if (!nu || invert(old, &e, &u) < 0) {
        inv_undo_free(&u);
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
    }
    /* a small edit: patch the tree in place and update only what it touches */
    bool nc = false;
    r = patch_local(inv, u.fwd, u.nfwd, &nc);
    if (r == 1 && !nc) {
        nix_edit_free(&e);
        push_undo(inv, &u, op);
        compact(inv);
        return 0;
    }
    if (r == 1) {
        /* a new conflict: put the text back, then let the full check explain it */
        struct diag d = {0};
        if (replace_text(inv, u.back, u.nback, &d) < 0) {
            diag_list_push(diags, &d);
            diag_clear(&d);
            inv_undo_free(&u);
            nix_edit_free(&e);
            return -ENOMEM;
        }
        nix_edit_free(&e);
        inv_undo_free(&u);
        char *text = NULL;
        size_t len;
        r = preview_text(inv, op, NULL, &text, &len, NULL, NULL, alts, diags);
        free(text);
        if (r == 0) {
            diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0,
                          "refused: the edit would bring a conflicting definition");
            r = -EEXIST;
        }
        return r;
    }
    if (r < 0) {
        inv_undo_free(&u);
        nix_edit_free(&e);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
    }
    /* not local: read the whole new text */
    char *text;
    size_t len;
    struct nix_edit e2 = {0};
    struct inventory *n = NULL;
    r = preview_built(inv, op, e, 0, &text, &len, &e2, &n, alts, diags);
    if (r < 0) {
        inv_undo_free(&u);
        return r;
    }
    free(text);
    nix_edit_free(&e2);
    adopt(inv, n);
    inv->nupdates_full++;
    push_undo(inv, &u, op);
    return 0;
}

static int move_top(struct inv_undo **from, size_t *nfrom, struct inv_undo **to, size_t *nto)
{
    struct inv_undo *nv = realloc(*to, (*nto + 1) * sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    *to = nv;
    nv[(*nto)++] = (*from)[--(*nfrom)];
    return 0;
}

static int undo_one(struct inventory *inv, struct diag *d)
{
    struct inv_undo *u = &inv->undo[inv->nundo - 1];
    int r = u->file ? replace_other(inv, u->file, u->back, u->nback, d)
                    : replace_text(inv, u->back, u->nback, d);
    if (r < 0)
        return r;
    if (move_top(&inv->undo, &inv->nundo, &inv->redo, &inv->nredo) < 0) {
        /* keep the stacks consistent: drop the record */
        inv_undo_free(&inv->undo[--inv->nundo]);
    }
    return 0;
}

static int redo_one(struct inventory *inv, struct diag *d)
{
    struct inv_undo *u = &inv->redo[inv->nredo - 1];
    int r = u->file ? replace_other(inv, u->file, u->fwd, u->nfwd, d)
                    : replace_text(inv, u->fwd, u->nfwd, d);
    if (r < 0)
        return r;
    if (move_top(&inv->redo, &inv->nredo, &inv->undo, &inv->nundo) < 0)
        inv_undo_free(&inv->redo[--inv->nredo]);
    return 0;
}

/* A group's records are undone and redone together (inventory_edit_group). */
static int step(struct inventory *inv, bool redo, struct diag *d)
{
    struct inv_undo *v = redo ? inv->redo : inv->undo;
    size_t *n = redo ? &inv->nredo : &inv->nundo;
    if (!*n)
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0, redo ? "nothing to redo" : "nothing to undo"),
               -ENOENT;
    unsigned long g = v[*n - 1].group;
    int r;
    do {
        r = redo ? redo_one(inv, d) : undo_one(inv, d);
        v = redo ? inv->redo : inv->undo;
    } while (r == 0 && g && *n && v[*n - 1].group == g);
    return r;
}

int inventory_undo(struct inventory *inv, struct diag *d)
{
    return step(inv, false, d);
}

int inventory_redo(struct inventory *inv, struct diag *d)
{
    return step(inv, true, d);
}

int inventory_edit_group(struct inventory *inv, const struct inv_op *ops, size_t n,
                         const char *label, struct diag_list *diags)
{
    size_t base = inv->nundo;
    for (size_t i = 0; i < n; i++) {
        int r = inventory_edit(inv, &ops[i], NULL, diags);
        if (r < 0) {
            /* put back what the group applied; its records leave no redo behind */
            struct diag d = {0};
            while (inv->nundo > base) {
                size_t nredo = inv->nredo;
                if (undo_one(inv, &d) < 0)
                    break;
                if (inv->nredo > nredo) /* (without memory the record was dropped already) */
                    inv_undo_free(&inv->redo[--inv->nredo]);
            }
            if (d.msg)
                diag_list_push(diags, &d);
            diag_clear(&d);
            char *desc = inv_op_describe(&ops[i]);
            diag_list_add(diags, DIAG_NOTE, inv->name, 0, 0,
                          "step %zu of %zu (%s) was refused, so none of them is applied", i + 1,
                          n, desc ? desc : "an edit");
            free(desc);
            return r;
        }
    }
    if (inv->nundo == base)
        return 0;
    unsigned long g = inv->undo[base].id;
    char *first = inv_strdup(label ? label : inv->undo[base].label);
    for (size_t i = base; i < inv->nundo; i++) {
        inv->undo[i].group = g;
        if (first && i + 1 < inv->nundo) {
            char *c = inv_strdup(first);
            if (c) {
                free(inv->undo[i].label);
                inv->undo[i].label = c;
            }
        }
    }
    if (first) {
        free(inv->undo[inv->nundo - 1].label);
        inv->undo[inv->nundo - 1].label = first;
    }
    return 0;
}

int inventory_edit_group_preview(const struct inventory *inv, const struct inv_op *ops, size_t n,
                                 struct inventory **out, struct diag_list *diags)
{
    if (!n)
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "no edit to preview"), -EINVAL;
    struct inventory *p = NULL;
    int r = inventory_edit_preview_model(inv, &ops[0], &p, NULL, diags);
    for (size_t i = 1; r == 0 && i < n; i++)
        r = inventory_edit(p, &ops[i], NULL, diags);
    if (r < 0) {
        inventory_free(p);
        return r;
    }
    *out = p;
    return 0;
}

int inventory_diff(const struct inventory *before, const struct inventory *after,
                   struct buf *out)
{
    size_t al, bl;
    const char *at = inventory_text(before, &al), *bt = inventory_text(after, &bl);
    int r = 0;
    const char *name = inventory_file_name(after, 0);
    if (al != bl || memcmp(at, bt, al)) {
        char *la = inv_asprintf("a/%s", name[0] == '/' ? name + 1 : name);
        char *lb = inv_asprintf("b/%s", name[0] == '/' ? name + 1 : name);
        r = la && lb ? diff_unified(at, al, bt, bl, la, lb, 3, out) : -ENOMEM;
        free(la);
        free(lb);
    }
    for (size_t i = 1; r == 0 && after->clan && i < after->clan->nfiles; i++) {
        const struct inv_srcfile *f = &after->clan->files[i];
        if (!f->edited || !f->nix)
            continue;
        long k = inv_file_by_real(before, f->real);
        size_t ol = 0, nl;
        const char *ot = k > 0 ? inv_file_text(before, (unsigned)k, &ol) : NULL;
        const char *nt = nix_file_text(f->nix, &nl);
        if (ot && ol == nl && !memcmp(ot, nt, nl))
            continue;
        char *la = inv_asprintf("a/%s", f->path[0] == '/' ? f->path + 1 : f->path);
        char *lb = inv_asprintf("b/%s", f->path[0] == '/' ? f->path + 1 : f->path);
        r = la && lb ? diff_unified(ot ? ot : "", ot ? ol : 0, nt, nl, la, lb, 3, out) : -ENOMEM;
        free(la);
        free(lb);
    }
    return r;
}

size_t inventory_undo_depth(const struct inventory *inv)
{
    return inv->nundo;
}

size_t inventory_redo_depth(const struct inventory *inv)
{
    return inv->nredo;
}

const char *inventory_undo_label(const struct inventory *inv)
{
    return inv->nundo ? inv->undo[inv->nundo - 1].label : NULL;
}

const char *inventory_redo_label(const struct inventory *inv)
{
    return inv->nredo ? inv->redo[inv->nredo - 1].label : NULL;
}

bool inventory_dirty(const struct inventory *inv)
{
    /* the text is identified by the edit that produced it: no hashing per call */
    unsigned long cur = inv->nundo ? inv->undo[inv->nundo - 1].id : 0;
    return cur != inv->saved_id;
}

int inventory_save(struct inventory *inv, struct diag *d)
{
    if (!inv->has_file)
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0,
                        "this inventory was not read from a file, so it cannot be saved"),
               -EINVAL;
    if (inv->clan)
        return inv_save_clan(inv, d);
    size_t len;
    const char *t = nix_file_text(inv->nix, &len);
    int r = file_write_atomic(inv->name, t, len, 0644, &inv->stamp, d);
    if (r < 0)
        return r;
    char *back;
    size_t bl;
    struct file_stamp st;
    r = file_read(inv->name, &back, &bl, &st, d);
    if (r < 0)
        return r;
    free(back);
    inv->stamp = st;
    inv->saved_id = inv->nundo ? inv->undo[inv->nundo - 1].id : 0;
    return 0;
}
