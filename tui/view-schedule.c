/* The schedule editor (s): startAt of a borgbackup client, with a live preview on every
 * key (valid or the error at its column, the normalized form, the next runs in local
 * time and UTC, two month grids), presets, +/- to shift the hour, a choice of level
 * (machine, one of its tags, the role) and, when Clan would see a conflict there, the
 * edits that do not conflict. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"
#include "tui/edit.h"
#include "tui/schedule-preview.h"
#include "tui/widget-dialog.h"

#define SCHED_DEFAULT "*-*-* 01:00:00"
/* A month grid: seven cells of a day number, a run marker and a blank column. */
#define SCHED_CELL_W 4
#define SCHED_GRID_W (7 * SCHED_CELL_W - 1)
/* The next runs' column: a blank and "Mon 2026-11-30 04:00:00 CET  Mon 03:00:00 UTC", or
 * only the local time "Mon 2026-11-30 04:00:00 CET" and a blank. */
#define SCHED_RUNS_W 46
#define SCHED_LOCAL_W 29

struct sched {
    char *machine, *instance;
    char *current, *origin; /* effective startAt and where it comes from */
    struct input in;
    bool keys_mode;         /* Tab: keys act as presets/paging instead of typing */
    struct calendar_ctx *ctx;
    uint64_t now;
    int year, month;        /* first grid month */
    int today_y, today_m, today_d;
    struct sched_preview pv, last_valid;
    bool have_valid;
    struct edit_level *levels;
    size_t nlevels, level;
    char conflict[512];
    struct inv_alternatives alts;
    /* a picker (schedule_editor_pick): Enter hands the expression over, nothing is edited */
    void (*pick)(struct app *a, const char *expr, void *ctx);
    void *pick_ctx;
};

static void sched_free(struct overlay *o)
{
    struct sched *s = o->data;
    free(s->machine);
    free(s->instance);
    free(s->current);
    free(s->origin);
    calendar_ctx_free(s->ctx);
    edit_levels_free(s->levels, s->nlevels);
    inv_alternatives_free(&s->alts);
    free(s);
}

static void recompute(struct sched *s)
{
    if (sched_preview_compute(s->ctx, s->in.buf, s->now, s->year, s->month, &s->pv) < 0) {
        s->pv.valid = false;
        snprintf(s->pv.err, sizeof(s->pv.err), "out of memory");
    }
    if (s->pv.valid) {
        s->last_valid = s->pv;
        s->have_valid = true;
    } else if (s->have_valid) {
        /* keep the last valid runs, but the grids follow the paging */
        struct sched_preview p;
        if (sched_preview_compute(s->ctx, s->last_valid.normalized, s->now, s->year, s->month, &p) == 0 && p.valid)
            s->last_valid = p;
    }
}

static void clear_conflict(struct sched *s)
{
    s->conflict[0] = 0;
    inv_alternatives_free(&s->alts);
    memset(&s->alts, 0, sizeof(s->alts));
}

static struct inv_op make_op(const struct sched *s, const char *value)
{
    const struct edit_level *l = &s->levels[s->level];
    struct inv_op op = {.kind = INV_OP_SETTING_SET, .key = "startAt", .value = value};
    op.scope = (struct inv_scope){s->instance, "client", l->level, l->name};
    return op;
}

/* Would setting the value at the chosen level conflict? Fills s->conflict and s->alts. */
static void check_conflict(struct sched *s, struct app *a)
{
    clear_conflict(s);
    if (!s->pv.valid || s->pick)
        return;
    struct inv_op op = make_op(s, s->in.buf);
    struct diag_list dl = {0};
    char *text = NULL;
    size_t len;
    if (inventory_edit_preview(a->inv, &op, &text, &len, &s->alts, &dl) < 0)
        snprintf(s->conflict, sizeof(s->conflict), "%s", dl.n && dl.v[0].msg ? dl.v[0].msg : "refused");
    free(text);
    diag_list_free(&dl);
}

/* ---- presets and shifting ---- */

/* The "HH:MM:SS" word of a normalized expression, if its hour is one number. */
static int time_word(const char *norm, char *words[], int *nw, int *ti, int *hour)
{
    *nw = 0;
    *ti = -1;
    char *save = NULL;
    for (char *w = strtok_r((char *)norm, " ", &save); w && *nw < 8; w = strtok_r(NULL, " ", &save)) {
        words[(*nw)++] = w;
        if (w[0] >= '0' && w[0] <= '9' && w[1] >= '0' && w[1] <= '9' && w[2] == ':')
            *ti = *nw - 1;
    }
    if (*ti < 0)
        return -1;
    *hour = (words[*ti][0] - '0') * 10 + (words[*ti][1] - '0');
    return 0;
}

static void set_text(struct sched *s, const char *t)
{
    input_set(&s->in, t);
    recompute(s);
    clear_conflict(s);
}

static void shift_hour(struct sched *s, struct app *a, int delta)
{
    if (!s->pv.valid) {
        app_message(a, true, "the expression is not valid: fix it before shifting the time");
        return;
    }
    char norm[512], *words[8], out[600];
    snprintf(norm, sizeof(norm), "%s", s->pv.normalized);
    int nw, ti, hour;
    if (time_word(norm, words, &nw, &ti, &hour) < 0) {
        app_message(a, true, "the hour is not a single number here: type the time instead");
        return;
    }
    hour = (hour + delta + 24) % 24;
    size_t o = 0;
    for (int i = 0; i < nw; i++) {
        if (i == ti)
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%02d%s", i ? " " : "", hour, words[i] + 2);
        else
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", words[i]);
    }
    set_text(s, out);
}

static void preset(struct sched *s, char which)
{
    char norm[512], *words[8], tm[64] = "01:00:00", out[600];
    snprintf(norm, sizeof(norm), "%s", s->pv.valid ? s->pv.normalized : "");
    int nw = 0, ti = -1, hour;
    if (s->pv.valid && time_word(norm, words, &nw, &ti, &hour) == 0)
        snprintf(tm, sizeof(tm), "%s", words[ti]);
    static const char *const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    switch (which) {
    case 'h':
        snprintf(out, sizeof(out), "*-*-* *:00:00");
        break;
    case 'd':
        snprintf(out, sizeof(out), "*-*-* %s", tm);
        break;
    case 'w': {
        int d = 0;
        for (int k = 0; k < 7 && nw > 0; k++)
            if (!strcmp(words[0], days[k]))
                d = (k + 1) % 7;
        snprintf(out, sizeof(out), "%s *-*-* %s", days[d], tm);
        break;
    }
    default:
        snprintf(out, sizeof(out), "*-*-01 %s", tm);
        break;
    }
    set_text(s, out);
}

static void page_months(struct sched *s, int delta)
{
    s->month += delta;
    while (s->month > 12) {
        s->month -= 12;
        s->year++;
    }
    while (s->month < 1) {
        s->month += 12;
        s->year--;
    }
    recompute(s);
}

/* ---- apply ---- */

static bool apply_op(struct sched *s, struct app *a, const struct inv_op *op)
{
    char *why = NULL;
    struct inv_alternatives old = s->alts; /* op may point into it */
    memset(&s->alts, 0, sizeof(s->alts));
    int r = edit_apply(a, op, &s->alts, &why);
    inv_alternatives_free(&old);
    if (r == 0) {
        free(why);
        return false; /* done: close */
    }
    snprintf(s->conflict, sizeof(s->conflict), "%s", why ? why : "refused");
    free(why);
    s->keys_mode = s->alts.n > 0; /* digits now choose */
    return true;
}

static bool sched_key(struct overlay *o, struct app *a, uint32_t key)
{
    struct sched *s = o->data;
    if (key == KEYSYM_ESC) {
        app_message(a, false, "schedule unchanged");
        return false;
    }
    if (key == KEYSYM_ENTER) {
        if (!s->pv.valid) {
            app_message(a, true, "not applied: the expression is invalid at column %u", s->pv.err_col);
            return true;
        }
        if (s->pick) {
            s->pick(a, s->in.buf, s->pick_ctx);
            return false;
        }
        struct inv_op op = make_op(s, s->in.buf);
        return apply_op(s, a, &op);
    }
    if (s->alts.n && s->keys_mode && key >= '1' && key <= '9' && (size_t)(key - '1') < s->alts.n) {
        struct inv_op op = s->alts.v[key - '1'].op;
        return apply_op(s, a, &op);
    }
    if (key == KEYSYM_TAB || key == KEYSYM_BACKTAB) {
        s->keys_mode = !s->keys_mode;
        return true;
    }
    if (key == KEYSYM_PGDN || key == KEYSYM_DOWN) {
        page_months(s, 1);
        return true;
    }
    if (key == KEYSYM_PGUP || key == KEYSYM_UP) {
        page_months(s, -1);
        return true;
    }
    if (s->keys_mode) {
        switch (key) {
        case KEYSYM_RIGHT: page_months(s, 1); return true;
        case KEYSYM_LEFT: page_months(s, -1); return true;
        case 'h': case 'd': case 'w': case 'm': preset(s, (char)key); return true;
        case '+': case '=': shift_hour(s, a, 1); return true;
        case '-': shift_hour(s, a, -1); return true;
        case 'L': case 'v':
            s->level = (s->level + 1) % s->nlevels;
            check_conflict(s, a);
            return true;
        case 21: set_text(s, ""); s->keys_mode = false; return true;
        case 'i': case 'a': s->keys_mode = false; return true;
        default:
            app_message(a, true, "keys mode: h d w m presets, +/- shift, L level, ←/→ months, Tab back to typing");
            return true;
        }
    }
    if (key == KEYSYM_BACKSPACE && s->in.len == 0)
        return true; /* an empty field stays open */
    enum input_result r = input_key(&s->in, key);
    if (r == INPUT_CHANGED) {
        recompute(s);
        clear_conflict(s);
    }
    return true;
}

/* ---- drawing ---- */

static void draw_month(struct sched *s, struct app *a, const struct calendar_month *m, int y, int x,
                       bool grey)
{
    struct ui *ui = &a->ui;
    static const char *const names[] = {"January", "February", "March", "April", "May", "June", "July",
                                        "August", "September", "October", "November", "December"};
    char t[40];
    snprintf(t, sizeof(t), "%s %d", names[(m->month + 11) % 12], m->year);
    ui_text(ui, y, x + (SCHED_GRID_W - ui_width(ui, t)) / 2, SCHED_GRID_W, THEME_CALENDAR_HEADER, t);
    ui_text(ui, y + 1, x, SCHED_GRID_W, THEME_CALENDAR_HEADER, "Mo  Tu  We  Th  Fr  Sa  Su");
    int col = m->first_wday, row = 0;
    for (int d = 1; d <= m->days; d++) {
        char cell[8];
        bool run = m->day_count[d - 1] > 0 && !grey;
        /* a day is its number and a run marker; the cell's fourth column stays blank, so a
         * marker never touches the next day's number (in every theme, with or without colour) */
        snprintf(cell, sizeof(cell), "%2d%s", d, m->day_count[d - 1] ? "*" : "");
        enum theme_role role = grey ? THEME_UI_DIM
                               : (m->year == s->today_y && m->month == s->today_m && d == s->today_d) ? THEME_CALENDAR_TODAY
                               : run ? THEME_CALENDAR_RUN : THEME_CALENDAR_DAY;
        ui_text(ui, y + 2 + row, x + col * SCHED_CELL_W, SCHED_CELL_W - 1, role, cell);
        if (++col == 7) {
            col = 0;
            row++;
        }
    }
}

static void sched_draw(struct overlay *o, struct app *a, int H, int W)
{
    struct sched *s = o->data;
    struct ui *ui = &a->ui;
    char title[256];
    if (s->pick)
        snprintf(title, sizeof(title), "Schedule %s %s", ui->g->dot, s->machine);
    else
        snprintf(title, sizeof(title), "Schedule %s %s %s %s client", ui->g->dot, s->machine, ui->g->dot, s->instance);
    struct rect r = dialog_frame(ui, H, W, 27, 110, title);
    int y = r.y;
    char lv[80];
    edit_level_label(&s->levels[s->level], lv, sizeof(lv));
    /* the field */
    char lvl[120];
    snprintf(lvl, sizeof(lvl), "level: %s", lv);
    int lw = ui_width(ui, lvl);
    int fw = r.w - lw - 2;
    input_draw(ui, y, r.x, fw, s->keys_mode ? THEME_UI_DIM : THEME_INPUT_PROMPT, "startAt > ", &s->in);
    int cy, cx;
    getyx(ui->win, cy, cx);
    ui_text(ui, y, r.x + r.w - lw, lw, THEME_DIALOG_KEY, lvl);
    y++;
    if (s->pv.valid) {
        int c = ui_text(ui, y, r.x, r.w, THEME_DIFF_ADD, ui->utf8 ? "✓ " : "ok ");
        c += ui_text(ui, y, r.x + c, r.w - c, THEME_DIALOG_NORMAL, "normalized: ");
        ui_text(ui, y, r.x + c, r.w - c, THEME_DIALOG_SELECTED, s->pv.normalized);
    } else {
        int caret = 10 + (int)s->pv.err_col - 1; /* under the column in "startAt > " */
        if (caret >= r.w)
            caret = r.w - 1;
        ui_text(ui, y, r.x + caret, 1, THEME_INPUT_ERROR, "^");
        y++;
        char msg[300];
        snprintf(msg, sizeof(msg), "%s column %u: %s", ui->utf8 ? "✗" : "error:", s->pv.err_col, s->pv.err);
        ui_text(ui, y, r.x, r.w, THEME_INPUT_ERROR, msg);
    }
    y = r.y + 3;
    char now[300];
    snprintf(now, sizeof(now), "now: %s  (%s)", s->current, s->origin);
    ui_text(ui, y++, r.x, r.w, THEME_DETAILS_ORIGIN, now);
    y++;
    const struct sched_preview *p = s->pv.valid ? &s->pv : s->have_valid ? &s->last_valid : NULL;
    bool grey = !s->pv.valid;
    /* gx: the column between the next runs and the month grids (three columns apart, one
     * from the frame). Two grids when the runs keep their local and UTC times, else one
     * grid beside the local times, else none. */
    int ngrids = 2;
    while (ngrids > 0 && r.w - ngrids * (SCHED_GRID_W + 3) + 1 < (ngrids == 2 ? SCHED_RUNS_W : SCHED_LOCAL_W))
        ngrids--;
    int gx = r.x + r.w - (ngrids ? ngrids * (SCHED_GRID_W + 3) - 1 : 0);
    bool utc = calendar_ctx_local_is_utc(s->ctx);
    bool show_utc = !utc && gx - r.x >= SCHED_RUNS_W;
    ui_text(ui, y, r.x, gx - r.x - 1, grey ? THEME_UI_DIM : THEME_DETAILS_SECTION,
            utc ? "next runs (local time is UTC)" : show_utc ? "next runs (local time, UTC)" : "next runs (local time)");
    /* 10 runs when there is room (the grids need 8 rows), fewer on a small terminal */
    int maxruns = r.h - 14 < SCHED_RUNS ? r.h - 14 : SCHED_RUNS;
    if (maxruns < 7)
        maxruns = 7;
    for (int i = 0; p && i < p->nruns && i < maxruns; i++) {
        char line[120];
        if (!show_utc)
            snprintf(line, sizeof(line), "%s", p->local[i]);
        else
            snprintf(line, sizeof(line), "%s  %s", p->local[i], p->utc[i]);
        ui_text(ui, y + 1 + i, r.x + 1, gx - r.x - 1, grey ? THEME_UI_DIM : THEME_DIALOG_NORMAL, line);
    }
    if (p && p->nruns < maxruns && p->runs_error)
        ui_text(ui, y + 1 + p->nruns, r.x + 1, gx - r.x - 1, THEME_UI_DIM,
                p->runs_error == -ENOENT ? "(no more runs)" : "(search stopped)");
    for (int k = 0; p && k < ngrids; k++)
        draw_month(s, a, &p->months[k], y, gx + 1 + k * (SCHED_GRID_W + 3), grey);
    y = r.y + 7 + maxruns; /* below the runs */
    if (s->conflict[0]) {
        size_t len = strlen(s->conflict), cut = len;
        if ((int)len > r.w) { /* two lines, broken at a space */
            cut = (size_t)r.w;
            while (cut > 0 && s->conflict[cut] != ' ')
                cut--;
            if (!cut)
                cut = (size_t)r.w;
        }
        ui_textn(ui, y, r.x, r.w, THEME_STATUS_ERROR, s->conflict, cut);
        if (cut < len)
            ui_text(ui, ++y, r.x, r.w, THEME_STATUS_ERROR, s->conflict + cut + (s->conflict[cut] == ' '));
        for (size_t i = 0; i < s->alts.n && i < 3 && y + 1 + (int)i < r.y + r.h - 2; i++) {
            char alt[300];
            snprintf(alt, sizeof(alt), "%zu %s", i + 1, s->alts.v[i].label);
            ui_text(ui, y + 1 + (int)i, r.x + 2, r.w - 2, THEME_DIALOG_KEY, alt);
        }
    }
    y = r.y + r.h - 2;
    if (s->keys_mode) {
        static const char *const keys[] = {"h", "hourly", "d", "daily at", "w", "weekly on", "m", "monthly",
                                           "+/-", "shift 1h", "L", "level", "Left/Right", "months",
                                           "Tab", "type", NULL};
        dialog_hints(ui, y, r.x, r.w, keys);
    } else {
        static const char *const keys[] = {"Tab", "presets h d w m, +/- shift, L level", "PgUp/PgDn", "months",
                                           "C-u", "clear", NULL};
        dialog_hints(ui, y, r.x, r.w, keys);
    }
    static const char *const keys2[] = {"Enter", "apply", "Esc", "cancel", NULL};
    static const char *const keys_pick[] = {"Enter", "use it", "Esc", "cancel", NULL};
    int c = dialog_hints(ui, y + 1, r.x, r.w, s->pick ? keys_pick : keys2);
    if (s->alts.n)
        dialog_text(ui, y + 1, r.x + c, r.w - c, THEME_DIALOG_NORMAL, "1-9 choose an edit that does not conflict");
    if (!s->keys_mode) {
        wmove(ui->win, cy, cx);
        curs_set(1);
    }
}

static const struct overlay_ops sched_ops = {"schedule", sched_draw, sched_key, sched_free};
static void sched_start(struct app *a, struct sched *s);

bool schedule_editor_open(struct app *a)
{
    const char *m = NULL;
    const struct inv_member *mb = edit_selected_client(a, "s edits a borgbackup client's schedule", &m);
    if (!mb)
        return false;
    const struct inv_model *model = inventory_model(a->inv);
    struct sched *s = calloc(1, sizeof(*s));
    if (!s)
        return false;
    s->machine = strdup(m);
    s->instance = strdup(model->instances[mb->instance].name);
    s->ctx = calendar_ctx_new();
    if (!s->machine || !s->instance || !s->ctx || edit_levels(mb, m, &s->levels, &s->nlevels) < 0) {
        struct overlay tmp = {&sched_ops, s, NULL};
        sched_free(&tmp);
        app_message(a, true, "out of memory");
        return false;
    }
    /* the effective value and its origin */
    const struct inv_eff *e = inv_eff_lookup(&mb->settings, "startAt");
    const char *cur = inv_eff_string(e);
    if (cur && e->winner && e->winner->level != INV_LEVEL_DEFAULT) {
        s->current = strdup(cur);
        const struct inv_def *w = e->winner;
        const char *file = inventory_file_name(a->inv, w->loc.file);
        if (w->level == INV_LEVEL_TAG)
            (void)!asprintf(&s->origin, "tag %s, %s:%u:%u", w->tag, file, w->loc.line, w->loc.col);
        else
            (void)!asprintf(&s->origin, "%s level, %s:%u:%u", inv_level_name(w->level), file,
                            w->loc.line, w->loc.col);
    } else if (e && e->conflict) {
        s->current = strdup(SCHED_DEFAULT);
        s->origin = strdup("conflicting definitions: Clan would refuse this; set one level");
    } else {
        s->current = strdup(SCHED_DEFAULT);
        s->origin = strdup("the default of clan's borgbackup module");
    }
    sched_start(a, s);
    return true;
}

/* Today, the field, the preview; then the editor is on top. */
static void sched_start(struct app *a, struct sched *s)
{
    s->now = edit_now();
    time_t secs = (time_t)(s->now / CALENDAR_USEC_PER_SEC);
    struct tm tm;
    localtime_r(&secs, &tm);
    s->year = s->today_y = tm.tm_year + 1900;
    s->month = s->today_m = tm.tm_mon + 1;
    s->today_d = tm.tm_mday;
    input_set(&s->in, s->current ? s->current : SCHED_DEFAULT);
    recompute(s);
    edit_push(a, &sched_ops, s);
}

bool schedule_editor_pick(struct app *a, const char *what, const char *initial,
                          void (*done)(struct app *a, const char *expr, void *ctx), void *ctx)
{
    struct sched *s = calloc(1, sizeof(*s));
    if (!s)
        return false;
    s->pick = done;
    s->pick_ctx = ctx;
    s->machine = strdup(what);
    s->instance = strdup("new");
    s->ctx = calendar_ctx_new();
    s->levels = calloc(1, sizeof(*s->levels));
    s->nlevels = 1;
    if (s->levels)
        s->levels[0].level = INV_LEVEL_ROLE;
    s->current = strdup(initial ? initial : SCHED_DEFAULT);
    s->origin = strdup(initial ? "chosen in this setup" : "the default of clan's borgbackup module");
    if (!s->machine || !s->instance || !s->ctx || !s->levels || !s->current || !s->origin) {
        struct overlay tmp = {&sched_ops, s, NULL};
        sched_free(&tmp);
        app_message(a, true, "out of memory");
        return false;
    }
    sched_start(a, s);
    return true;
}
