/* The fleet schedule map (S): for every backup server (and explicit destination host) a
 * week of job starts, one row per day and one cell per hour, collisions marked; below, the
 * collisions and a staggered proposal (core/schedmap) that a applies as undoable edits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/calendar.h"
#include "core/schedmap.h"
#include "tui/app.h"
#include "tui/edit.h"
#include "tui/ops.h"

enum mrow_kind { MR_TEXT, MR_HOURS, MR_DAY };

struct mrow {
    enum mrow_kind kind;
    size_t g;
    int day;
    char *text;
    enum theme_role role;
};

struct mapview {
    struct calendar_ctx *ctx;
    struct schedmap *map;
    struct schedmap_proposal pr;
    struct mrow *rows;
    size_t nrows, cap;
    size_t top;
    int page;
    char status[256];
    struct ops_search search;
};

static void rows_clear(struct mapview *m)
{
    for (size_t i = 0; i < m->nrows; i++)
        free(m->rows[i].text);
    free(m->rows);
    m->rows = NULL;
    m->nrows = m->cap = 0;
}

static void row(struct mapview *m, enum mrow_kind k, size_t g, int day, enum theme_role role,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void row(struct mapview *m, enum mrow_kind k, size_t g, int day, enum theme_role role,
                const char *fmt, ...)
{
    if (m->nrows == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct mrow *v = realloc(m->rows, cap * sizeof(*v));
        if (!v)
            return;
        m->rows = v;
        m->cap = cap;
    }
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s)
        return;
    m->rows[m->nrows++] = (struct mrow){k, g, day, s, role};
}

static void put_time(struct mapview *m, uint64_t t, char *out, size_t n)
{
    struct buf b = {0};
    if (calendar_format_timestamp(m->ctx, t, false, &b) == 0)
        snprintf(out, n, "%s", b.p);
    else
        snprintf(out, n, "?");
    buf_free(&b);
}

static int build(struct mapview *m, struct app *a)
{
    struct diag d = {0};
    schedmap_free(m->map);
    m->map = NULL;
    schedmap_proposal_free(&m->pr);
    rows_clear(m);
    if (schedmap_build(a->plan, m->ctx, edit_now(), &m->map, &d) < 0 ||
        schedmap_propose(m->map, a->plan, m->ctx, 30, &m->pr, &d) < 0) {
        app_message(a, true, "schedule map: %s", d.msg ? d.msg : "failed");
        diag_clear(&d);
        return -1;
    }
    const struct schedmap *s = m->map;
    for (size_t g = 0; g < s->ngroups; g++) {
        const struct schedmap_group *G = &s->groups[g];
        row(m, MR_TEXT, g, 0, G->ncollisions ? THEME_DIAG_WARNING : THEME_DETAILS_SECTION,
            "%s%s · %zu job%s · %zu collision%s", G->name, G->server ? "" : " (explicit destination)",
            G->njobs, G->njobs == 1 ? "" : "s", G->ncollisions, G->ncollisions == 1 ? "" : "s");
        row(m, MR_HOURS, g, 0, THEME_CALENDAR_HEADER, "hours");
        for (int dd = 0; dd < SCHEDMAP_DAYS; dd++) {
            char t[64];
            put_time(m, s->week_start + (uint64_t)dd * 86400ULL * CALENDAR_USEC_PER_SEC, t, sizeof(t));
            row(m, MR_DAY, g, dd, THEME_CALENDAR_DAY, "%.14s", t);
        }
        /* one line per distinct set of clients colliding at the same time of day */
        for (size_t c = 0; c < G->ncollisions; c++) {
            const struct schedmap_collision *C = &G->collisions[c];
            struct buf b = {0};
            for (size_t k = 0; k < C->njobs; k++)
                buf_printf(&b, "%s%s", k ? ", " : "", G->jobs[C->jobs[k]].client);
            char t[64];
            put_time(m, C->when, t, sizeof(t));
            bool dup = false;
            for (size_t p = 0; p < c && !dup; p++) {
                const struct schedmap_collision *P = &G->collisions[p];
                dup = P->njobs == C->njobs && (C->when - P->when) % (86400ULL * CALENDAR_USEC_PER_SEC) == 0;
                for (size_t k = 0; dup && k < C->njobs; k++)
                    dup = P->jobs[k] == C->jobs[k];
            }
            if (!dup)
                row(m, MR_TEXT, g, 0, THEME_DIAG_WARNING, "  ! %s start together at %s (first on %.14s)",
                    b.p ? b.p : "", t + 15, t);
            buf_free(&b);
        }
        for (size_t j = 0; j < G->njobs; j++)
            if (G->jobs[j].error)
                row(m, MR_TEXT, g, 0, THEME_DIAG_ERROR, "  %s: %s", G->jobs[j].client, G->jobs[j].error);
        row(m, MR_TEXT, g, 0, THEME_UI_NORMAL, " ");
    }
    if (!s->ngroups)
        row(m, MR_TEXT, 0, 0, THEME_UI_DIM, "no borgbackup jobs in this inventory");
    if (s->ncollisions || m->pr.nchanges || m->pr.notes.n) {
        row(m, MR_TEXT, 0, 0, THEME_DETAILS_SECTION, "proposal: %zu change%s (a applies them as edits, u undoes one by one)",
            m->pr.nchanges, m->pr.nchanges == 1 ? "" : "s");
        for (size_t i = 0; i < m->pr.nchanges; i++)
            row(m, MR_TEXT, 0, 0, THEME_DETAILS_VALUE, "  %s: startAt %s → %s", m->pr.changes[i].client,
                m->pr.changes[i].old_start_at, m->pr.changes[i].new_start_at);
        for (size_t i = 0; i < m->pr.notes.n; i++)
            row(m, MR_TEXT, 0, 0, THEME_DIAG_NOTE, "  note: %s", m->pr.notes.v[i].msg);
    }
    snprintf(m->status, sizeof(m->status), "%zu server%s, %zu collision%s this week; the week starts at %s midnight",
             s->ngroups, s->ngroups == 1 ? "" : "s", s->ncollisions, s->ncollisions == 1 ? "" : "s",
             "today's");
    return 0;
}

static void map_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct mapview *m = o->data;
    struct orect r = ops_frame(a, H, W, "Fleet schedule map · job starts per hour, one week");
    struct ui *ui = &a->ui;
    m->page = r.h;
    if (m->nrows && m->top >= m->nrows)
        m->top = m->nrows - 1;
    for (int y = 0; y < r.h && m->top + (size_t)y < m->nrows; y++) {
        const struct mrow *w = &m->rows[m->top + (size_t)y];
        int yy = r.y + y;
        if (w->kind == MR_TEXT) {
            ui_text(ui, yy, r.x, r.w, w->role, w->text);
            continue;
        }
        int c = ui_text(ui, yy, r.x, 16, w->kind == MR_DAY ? THEME_CALENDAR_DAY : THEME_CALENDAR_HEADER,
                        w->kind == MR_DAY ? w->text : "");
        c = 16;
        for (int h = 0; h < SCHEDMAP_HOURS && c + 3 <= r.w; h++, c += 3) {
            char cell[4];
            enum theme_role role = THEME_CALENDAR_HEADER;
            if (w->kind == MR_HOURS) {
                cell[0] = (char)('0' + h / 10 % 10); /* h < 24: two digits, no format */
                cell[1] = (char)('0' + h % 10);
                cell[2] = '\0';
            } else {
                const struct schedmap_group *G = &m->map->groups[w->g];
                unsigned n = G->cells[w->day][h];
                bool col = G->collide[w->day][h];
                snprintf(cell, sizeof(cell), "%s%c", col ? "!" : " ", n >= 10 ? '+' : n ? (char)('0' + n) : '.');
                role = col ? THEME_MAP_COLLISION : n ? THEME_MAP_BUSY : THEME_MAP_EMPTY;
            }
            ui_text(ui, yy, r.x + c + 1, 2, role, cell);
        }
    }
    static const char *const hints[] = {"j/k", "scroll", "a", "apply the proposal", "u", "undo",
                                        "/", "search", "Esc", "close", NULL};
    ops_bottom(a, H, W, m->status, false, hints);
    ops_search_draw(a, &m->search, H, W);
}

static bool map_find(void *ctx, const char *q, int dir, bool skip)
{
    struct mapview *m = ctx;
    if (!m->nrows)
        return false;
    size_t i = m->top;
    for (size_t k = 0; k < m->nrows; k++) {
        if (k || skip)
            i = dir > 0 ? (i + 1) % m->nrows : (i + m->nrows - 1) % m->nrows;
        if (m->rows[i].kind == MR_TEXT && strcasestr(m->rows[i].text, q)) {
            m->top = i;
            return true;
        }
    }
    return false;
}

static void do_apply(struct app *a, void *data)
{
    struct mapview *m = data;
    size_t done = 0, n = m->pr.nchanges;
    char *why = NULL;
    for (size_t i = 0; i < n; i++) {
        struct inv_op op;
        struct diag d = {0};
        struct inv_alternatives alts = {0};
        if (schedmap_change_op(a->inv, &m->pr.changes[i], &op, &d) < 0) {
            why = strdup(d.msg ? d.msg : "refused");
            diag_clear(&d);
            break;
        }
        int r = edit_apply(a, &op, &alts, &why);
        if (r < 0 && alts.n) { /* a conflicting definition: the first edit that fits */
            free(why);
            why = NULL;
            r = edit_apply(a, &alts.v[0].op, NULL, &why);
        }
        inv_alternatives_free(&alts);
        if (r < 0)
            break;
        done++;
    }
    build(m, a);
    if (why && done < n)
        app_message(a, true, "applied %zu of %zu changes; then: %s (u undoes)", done, n, why);
    else
        app_message(a, false, "applied %zu startAt change%s: %zu collision%s left (u undoes one by one, w writes)",
                    done, done == 1 ? "" : "s", m->map ? m->map->ncollisions : 0,
                    m->map && m->map->ncollisions == 1 ? "" : "s");
    free(why);
}

static bool map_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct mapview *m = o->data;
    a->message[0] = 0;
    if (ops_search_key(a, &m->search, key, map_find, m))
        return true;
    enum action act = bindings_lookup(&a->keys, key);
    if (key == 'a') {
        if (edit_readonly(a))
            return true;
        if (!m->pr.nchanges) {
            app_message(a, false, "nothing to apply: %s", m->map && m->map->ncollisions ? "no movable collision (see the notes)" : "no collisions");
            return true;
        }
        char *text = NULL;
        if (asprintf(&text, "Apply %zu startAt change%s to %s?\nEach is an edit in memory: u undoes it, w writes the file.",
                     m->pr.nchanges, m->pr.nchanges == 1 ? "" : "s", app_edit_file(a)) >= 0) {
            ops_confirm(a, "Apply the staggered schedule", text, do_apply, m, NULL);
            free(text);
        }
        return true;
    }
    if (act == ACT_UNDO || act == ACT_REDO) {
        edit_undo(a, act == ACT_REDO);
        char msg[sizeof(a->message)];
        snprintf(msg, sizeof(msg), "%s", a->message);
        bool err = a->message_error;
        build(m, a);
        app_message(a, err, "%s", msg);
        return true;
    }
    if (key == 'q' || key == KEYSYM_ESC)
        return false;
    size_t p = m->page > 1 ? (size_t)m->page - 1 : 1;
    switch (act) {
    case ACT_MOVE_DOWN: if (m->top + 1 < m->nrows) m->top++; break;
    case ACT_MOVE_UP: if (m->top) m->top--; break;
    case ACT_PAGE_DOWN: m->top = m->top + p < m->nrows ? m->top + p : m->nrows ? m->nrows - 1 : 0; break;
    case ACT_PAGE_UP: m->top = m->top > p ? m->top - p : 0; break;
    case ACT_MOVE_FIRST: m->top = 0; break;
    case ACT_MOVE_LAST: m->top = m->nrows > (size_t)m->page ? m->nrows - (size_t)m->page : 0; break;
    default: break;
    }
    return true;
}

static void map_free(struct overlay *o)
{
    struct mapview *m = o->data;
    rows_clear(m);
    schedmap_free(m->map);
    schedmap_proposal_free(&m->pr);
    calendar_ctx_free(m->ctx);
    free(m);
}

static const struct overlay_ops map_ops = {"schedule-map", map_draw, map_key, map_free};

bool map_view_open(struct app *a)
{
    struct mapview *m = calloc(1, sizeof(*m));
    if (!m || !(m->ctx = calendar_ctx_new()) || build(m, a) < 0) {
        if (m) {
            struct overlay tmp = {&map_ops, m, NULL};
            map_free(&tmp);
        }
        return false;
    }
    edit_push(a, &map_ops, m);
    return true;
}
