/* The interactive UI: options, setup, the one poll() loop, layout, key dispatch, search,
 * the `:` command line, the help overlay, resize and mouse. */
#include "tui/app.h"

#include "tui/lazycurses.h"
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "tui/cli.h"
#include "tui/edit.h"
#include "tui/heap.h"
#include "tui/view-tree.h"

#define APP_MOUSE_EVENTS (BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED)

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    got_signal = sig;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- options ---- */

void app_usage_options(FILE *f)
{
    fputs("  --theme NAME|FILE  colour theme: default, light, solarized-dark, high-contrast,\n"
          "                     mono, a name from ~/.config/clan-tui/themes/, or a file\n"
          "  --config FILE      the UI config file (default $XDG_CONFIG_HOME/clan-tui/config.yaml)\n"
          "  --readonly         disable every writer\n"
          "  --mouse, --no-mouse  turn mouse support on or off (default: off, or the config)\n"
          "  --ascii            ASCII line drawing (default when the locale is not UTF-8)\n", f);
    ops_usage_options(f);
}

static void ui_usage(FILE *f)
{
    fputs("Usage: clan-tui [OPTION]... [DIR|FILE]\n"
          "Open the clan in the terminal UI. Press ? inside for the keys.\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n", f);
    app_usage_options(f);
    fputs("  -h, --help         show this help and exit\n", f);
}

int app_parse_args(int argc, char **argv, const char *cmd, struct app_options *opt, int *consumed)
{
    int i = 1, r;
    for (; i < argc; i++) {
        const char *s = argv[i];
        const char *val = NULL;
        if (!strcmp(s, "--")) {
            i++;
            break;
        }
        if (s[0] != '-' || !strcmp(s, "-"))
            break;
        if (!strncmp(s, "--theme", 7) || !strncmp(s, "--config", 8)) {
            bool is_theme = !strncmp(s, "--theme", 7);
            size_t n = is_theme ? 7 : 8;
            if (s[n] == '=')
                val = s + n + 1;
            else if (s[n] == 0 && i + 1 < argc)
                val = argv[++i];
            else if (s[n] == 0)
                return cli_usage_error(cmd, "option '%s' needs a value", s);
            else
                return cli_usage_error(cmd, "unknown option '%s'", s);
            if (!*val)
                return cli_usage_error(cmd, "option '%.*s' needs a non-empty value", (int)n, s);
            if (is_theme)
                opt->theme = val;
            else
                opt->config = val;
        } else if (!strcmp(s, "--readonly")) {
            opt->readonly = true;
        } else if (!strcmp(s, "--mouse")) {
            opt->mouse = 1;
        } else if (!strcmp(s, "--no-mouse")) {
            opt->mouse = 0;
        } else if (!strcmp(s, "--ascii")) {
            opt->lines = LINE_DRAWING_ASCII;
        } else if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            return 1;
        } else if ((r = ops_parse_option(argc, argv, &i, cmd, &opt->ops)) != 0) {
            if (r == 2)
                return 2;
        } else if (cmd && consumed) {
            break; /* let the caller (a subcommand) handle its own options */
        } else {
            return cli_usage_error(cmd, "unknown option '%s'", s);
        }
    }
    *consumed = i;
    return 0;
}

int tui_main(int argc, char **argv)
{
    struct app_options opt = {.mouse = -1, .ncolors = -1};
    int used = 0;
    int r = app_parse_args(argc, argv, NULL, &opt, &used);
    if (r == 1) {
        ui_usage(stdout);
        return 0;
    }
    if (r)
        return r;
    if (used < argc)
        opt.file = argv[used++];
    if (used < argc)
        return cli_usage_error(NULL, "unexpected argument '%s' (one DIR|FILE at most)",
                               argv[used]);
    setlocale(LC_ALL, "");
    struct app *a = NULL;
    struct diag d = {0};
    if (app_new(&opt, &a, &d) < 0) {
        cli_print_diag(stderr, &d);
        diag_clear(&d);
        return 1;
    }
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "clan-tui: the UI needs a terminal on standard input and output; "
                        "'clan-tui screen%s%s' prints the screen as text\n", opt.file ? " " : "",
                opt.file ? opt.file : "");
        app_free(a);
        return 1;
    }
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fprintf(stderr, "clan-tui: cannot use the terminal '%s' (is TERM right?)\n",
                getenv("TERM") ? getenv("TERM") : "");
        app_free(a);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    app_attach(a, STDIN_FILENO);
    r = app_run(a);
    endwin();
    delscreen(scr);
    app_free(a);
    return r;
}

/* ---- setup ---- */

/* The byte offset of each line of t; NULL when out of memory. */
static size_t *line_table(const char *t, size_t len, size_t *nlines)
{
    size_t n = 1;
    const char *e = t + len;
    for (const char *q = t; (q = memchr(q, '\n', (size_t)(e - q))); q++)
        n++;
    size_t *v = malloc(n * sizeof(size_t));
    *nlines = 0;
    if (!v)
        return NULL;
    v[(*nlines)++] = 0;
    for (const char *q = t; (q = memchr(q, '\n', (size_t)(e - q))); q++)
        v[(*nlines)++] = (size_t)(q - t) + 1;
    return v;
}

static void compute_lines(struct app *a)
{
    free(a->line_starts);
    a->line_starts = NULL;
    a->nlines = 0;
    if (!a->inv)
        return;
    size_t len;
    const char *t = inventory_text(a->inv, &len);
    a->line_starts = line_table(t, len, &a->nlines);
}

/* ---- the clan's other files ---- */

/* A file of the clan other than the main module, as read from disk for display. */
struct app_src {
    char *text;
    size_t len;
    size_t *starts;
    size_t nlines;
    bool tried;
};

static void srcs_free(struct app *a)
{
    for (size_t i = 0; i < a->nsrcs; i++) {
        free(a->srcs[i].text);
        free(a->srcs[i].starts);
    }
    free(a->srcs);
    a->srcs = NULL;
    a->nsrcs = 0;
}

/* The current text of a file other than the main module: its unsaved edits (copied: they
 * live until the next edit), else the file as on disk, which is the text it was read as
 * until R reloads everything. Dropped whenever the model changes. */
static struct app_src *src_of(struct app *a, unsigned file)
{
    size_t n = a->inv ? inventory_nfiles(a->inv) : 0;
    const struct inv_file_info *fi = file && file < n ? inventory_file(a->inv, file) : NULL;
    if (!fi || !fi->path)
        return NULL;
    if (!a->srcs && !(a->srcs = calloc(n, sizeof(*a->srcs))))
        return NULL;
    a->nsrcs = n;
    struct app_src *s = &a->srcs[file];
    if (s->tried)
        return s->text ? s : NULL;
    s->tried = true;
    size_t np = inventory_pending(a->inv, NULL, 0);
    struct inv_pending *pv = np ? calloc(np, sizeof(*pv)) : NULL;
    if (pv)
        inventory_pending(a->inv, pv, np);
    for (size_t i = 0; pv && i < np && !s->text; i++)
        if (pv[i].file == file && (s->text = malloc(pv[i].len + 1))) {
            memcpy(s->text, pv[i].text, pv[i].len);
            s->text[pv[i].len] = 0;
            s->len = pv[i].len;
        }
    free(pv);
    struct diag d = {0};
    if (!s->text && file_read(fi->path, &s->text, &s->len, NULL, &d) < 0)
        s->text = NULL;
    diag_clear(&d);
    if (s->text && !(s->starts = line_table(s->text, s->len, &s->nlines))) {
        free(s->text);
        s->text = NULL;
    }
    return s->text ? s : NULL;
}

const char *app_file_text(struct app *a, unsigned file, size_t *len)
{
    *len = 0;
    if (!a->inv)
        return NULL;
    if (file == 0)
        return inventory_text(a->inv, len);
    struct app_src *s = src_of(a, file);
    if (!s)
        return NULL;
    *len = s->len;
    return s->text;
}

const char *app_source_line(struct app *a, unsigned file, unsigned line, size_t *len)
{
    size_t tl, nlines = file ? 0 : a->nlines;
    const size_t *starts = file ? NULL : a->line_starts;
    const char *t = app_file_text(a, file, &tl);
    if (file && t) {
        nlines = a->srcs[file].nlines;
        starts = a->srcs[file].starts;
    }
    if (!t || !starts || line == 0 || line > nlines)
        return NULL;
    size_t s = starts[line - 1];
    size_t e = line < nlines ? starts[line] - 1 : tl;
    if (s >= tl && line > 1)
        return NULL;
    if (e > s && t[e - 1] == '\r')
        e--;
    *len = e - s;
    return t + s;
}

long app_diag_file(const struct app *a, const struct diag *d)
{
    if (!a->inv || !d->file)
        return 0;
    size_t n = inventory_nfiles(a->inv);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(d->file, inventory_file_name(a->inv, (unsigned)i)))
            return (long)i;
    return n > 1 ? -1 : 0; /* one file: every diagnostic is about it */
}

const char *app_where(const struct app *a, unsigned file, unsigned line, unsigned col, char *buf,
                      size_t n)
{
    return cli_where(a->inv, file, line, col, buf, n);
}

bool app_many_files(const struct app *a)
{
    return a->inv && inventory_nfiles(a->inv) > 1;
}

const char *app_clan_path(const struct app *a, const char *path)
{
    const char *dir = a->inv ? inventory_dir(a->inv) : NULL;
    size_t n = dir ? strlen(dir) : 0;
    if (n && !strncmp(path, dir, n) && path[n] == '/')
        return path + n + 1;
    return path;
}

const char *app_file_kind(enum inv_file_kind k)
{
    switch (k) {
    case INV_FILE_CLAN: return "clan module";
    case INV_FILE_JSON: return "inventory.json";
    case INV_FILE_NIXOS: return "NixOS module";
    case INV_FILE_FLAKE: return "flake";
    }
    return "";
}

const char *app_edit_file(const struct app *a)
{
    return a->inv ? inventory_name(a->inv) : a->opt.file ? a->opt.file : "";
}

/* The header's name of the clan: as given, else where it was found (~ for $HOME). */
static char *clan_label(const struct app_options *opt, const struct inventory *inv)
{
    if (opt->file)
        return strdup(opt->file);
    const char *dir = inventory_dir(inv) ? inventory_dir(inv) : inventory_name(inv);
    char *real = realpath(dir, NULL);
    if (!real)
        return strdup(dir);
    const char *home = getenv("HOME");
    size_t hl = home ? strlen(home) : 0;
    char *t = NULL;
    if (hl > 1 && !strncmp(real, home, hl) && (real[hl] == '/' || !real[hl]) &&
        asprintf(&t, "~%s", real + hl) >= 0) {
        free(real);
        return t;
    }
    return real;
}

size_t app_ndiags(const struct app *a)
{
    const struct diag_list *l = a->inv ? inventory_diags(a->inv) : NULL;
    return (l ? l->n : 0) + a->plan_diags.n + a->load_diags.n;
}

const struct diag *app_diag(const struct app *a, size_t i)
{
    const struct diag_list *l = a->inv ? inventory_diags(a->inv) : NULL;
    size_t n = l ? l->n : 0;
    if (i < n)
        return &l->v[i];
    i -= n;
    if (i < a->plan_diags.n)
        return &a->plan_diags.v[i];
    i -= a->plan_diags.n;
    return i < a->load_diags.n ? &a->load_diags.v[i] : NULL;
}

static bool same_diag(const struct diag *x, const struct diag *y)
{
    return x->line == y->line && x->col == y->col && x->severity == y->severity &&
           !strcmp(x->msg ? x->msg : "", y->msg ? y->msg : "");
}

/* The plan's diagnostics that the inventory does not report already. */
static void rebuild_plan(struct app *a)
{
    plan_free(a->plan);
    a->plan = NULL;
    diag_list_free(&a->plan_diags);
    if (!a->inv)
        return;
    struct diag_list pd = {0};
    if (inventory_plan(a->inv, &a->plan, &pd) < 0)
        a->plan = NULL;
    const struct diag_list *l = inventory_diags(a->inv);
    for (size_t i = 0; i < pd.n; i++) {
        bool dup = false;
        for (size_t k = 0; l && k < l->n && !dup; k++)
            dup = same_diag(&pd.v[i], &l->v[k]);
        if (!dup)
            diag_list_push(&a->plan_diags, &pd.v[i]);
    }
    diag_list_free(&pd);
}

void app_model_changed(struct app *a)
{
    a->modified = a->inv && inventory_dirty(a->inv); /* it hashes the text: once per change */
    compute_lines(a);
    srcs_free(a); /* a reload may have read them anew */
    rebuild_plan(a);
    if (a->tree)
        view_tree_rebuild(a->tree, a);
    app_set_dirty(a);
}

void app_message(struct app *a, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof(a->message), fmt, ap);
    va_end(ap);
    for (char *p = a->message; *p; p++)
        if (*p == '\n')
            *p = ' ';
    a->message_error = error;
    app_set_dirty(a);
}

static void message_diag(struct app *a, const struct diag *d)
{
    char *s = diag_format(d);
    app_message(a, true, "%s", s ? s : "error");
    free(s);
}

void app_set_dirty(struct app *a)
{
    a->dirty = true;
}

static int load_theme(struct app *a, const char *spec, struct diag *d)
{
    struct theme *t = NULL;
    int r = theme_load(spec, a->config_dir, &t, d);
    if (r < 0)
        return r;
    theme_free(a->theme);
    a->theme = t;
    return 0;
}

int app_new(const struct app_options *opt, struct app **out, struct diag *d)
{
    struct app *a = calloc(1, sizeof(*a));
    if (!a)
        return diag_errno(d, -ENOMEM, NULL, "out of memory");
    a->opt = *opt;
    a->input_fd = -1;
    struct diag_list ld = {0};
    heap_expect_clan(opt->file);
    int r = inventory_open(opt->file, &a->inv, &ld);
    if (r < 0) {
        if (ld.n)
            diag_set(d, DIAG_ERROR, ld.v[0].file, ld.v[0].line, ld.v[0].col, "%s", ld.v[0].msg);
        else
            diag_set(d, DIAG_ERROR, opt->file ? opt->file : ".", 0, 0, "cannot open");
        diag_list_free(&ld);
        free(a);
        return r;
    }
    a->clan_label = clan_label(opt, a->inv);
    /* the load diagnostics are the inventory's own (inventory_diags); keep only others */
    const struct diag_list *il = inventory_diags(a->inv);
    for (size_t i = 0; i < ld.n; i++) {
        bool dup = false;
        for (size_t k = 0; il && k < il->n && !dup; k++)
            dup = same_diag(&ld.v[i], &il->v[k]);
        if (!dup)
            diag_list_push(&a->load_diags, &ld.v[i]);
    }
    diag_list_free(&ld);

    if (bindings_init(&a->keys) < 0) {
        app_free(a);
        return diag_errno(d, -ENOMEM, NULL, "out of memory");
    }
    /* config, then theme: errors are shown in the UI, which starts with the defaults */
    a->config_dir = ui_config_dir();
    char *cpath = opt->config ? strdup(opt->config) : ui_config_path();
    struct diag cd = {0};
    const char *startup_error = NULL;
    struct diag first = {0};
    if (cpath && ui_config_load(cpath, action_names, ACT_COUNT - 1, &a->config, &cd) < 0) {
        diag_move(&first, &cd);
        startup_error = "config";
    }
    free(cpath);
    if (!a->config)
        a->config = ui_config_new();
    if (a->config && a->config->keymap)
        bindings_apply(&a->keys, a->config->keymap);
    /* --status-every wins; else the config's (0 there: off) */
    if (!a->opt.ops.status_every && a->config && a->config->status_every > 0)
        a->opt.ops.status_every = (unsigned)a->config->status_every;
    const char *spec = opt->theme ? opt->theme : a->config && a->config->theme ? a->config->theme : "default";
    if (load_theme(a, spec, &cd) < 0) {
        if (!opt->theme && a->config && a->config->theme && cd.line == 0) /* point at the config */
            diag_set(&cd, DIAG_ERROR, a->config->file, a->config->theme_line, a->config->theme_col,
                     "%s", cd.msg);
        if (!startup_error)
            diag_move(&first, &cd);
        startup_error = "theme";
        if (load_theme(a, "default", &cd) < 0) {
            diag_clear(&cd);
            diag_clear(&first);
            app_free(a);
            return diag_errno(d, -ENOMEM, NULL, "cannot load the built-in theme");
        }
    }
    diag_clear(&cd);
    if (startup_error)
        message_diag(a, &first);
    diag_clear(&first);
    a->mouse_on = opt->mouse >= 0 ? opt->mouse == 1 : a->config && a->config->mouse == 1;
    a->search_dir = 1;
    compute_lines(a);
    rebuild_plan(a);
    *out = a;
    return 0;
}

void app_attach(struct app *a, int input_fd)
{
    a->input_fd = input_fd;
    enum line_drawing lines = a->opt.lines != LINE_DRAWING_AUTO ? a->opt.lines
                              : a->config ? a->config->line_drawing : LINE_DRAWING_AUTO;
    const char *cs = nl_langinfo(CODESET);
    bool utf8_locale = cs && (!strcasecmp(cs, "UTF-8") || !strcasecmp(cs, "utf8"));
    a->ui.utf8 = lines == LINE_DRAWING_UTF8 || (lines == LINE_DRAWING_AUTO && utf8_locale);
    a->ui.g = a->ui.utf8 ? &glyphs_utf8 : &glyphs_ascii;
    a->ui.win = stdscr;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    int ncolors = a->opt.ncolors;
    const char *nc = getenv("NO_COLOR");
    if (ncolors < 0) {
        if ((nc && *nc) || !has_colors() || start_color() == ERR)
            ncolors = 0;
        else /* COLORS is known once colours are started */
            ncolors = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
    } else if (ncolors > 0) {
        start_color();
    }
    if (ncolors > 0)
        use_default_colors();
    if (ncolors == 0) { /* no colours: the mono theme's attributes (htop does the same) */
        struct diag d = {0};
        if (load_theme(a, "mono", &d) < 0)
            diag_clear(&d);
    }
    ui_set_theme(&a->ui, a->theme, ncolors);
    mouseinterval(0); /* presses come at once, no waiting to tell clicks apart */
    if (a->mouse_on)
        mousemask(APP_MOUSE_EVENTS, NULL);
    a->tree = view_tree_new(a);
    a->details = view_details_new(a);
    a->help = view_help_new(a);
    if (a->tree && a->details)
        view_tree_rebuild(a->tree, a);
    backups_status_attach(a); /* --status-every (tui/view-backups.c) */
    a->dirty = true;
}

void app_free(struct app *a)
{
    if (!a)
        return;
    view_free(a->tree);
    view_free(a->details);
    view_free(a->help);
    edit_free(a);
    backups_status_free(a);
    inventory_free(a->inv);
    plan_free(a->plan);
    diag_list_free(&a->plan_diags);
    diag_list_free(&a->load_diags);
    free(a->line_starts);
    free(a->clan_label);
    srcs_free(a);
    bindings_free(&a->keys);
    theme_free(a->theme);
    ui_config_free(a->config);
    free(a->config_dir);
    free(a->last_search);
    free(a->watches);
    free(a->timers);
    free(a);
}

/* ---- drawing ---- */

static struct view *focused_view(struct app *a)
{
    if (a->help_open)
        return a->help;
    return a->focus == 1 ? a->details : a->tree;
}

static void draw_header(struct app *a, int w)
{
    struct ui *ui = &a->ui;
    ui_fill(ui, 0, 0, w, THEME_UI_HEADER);
    int col = ui_text(ui, 0, 0, w, THEME_UI_HEADER, " clan-tui  ");
    const struct inv_model *m = a->inv ? inventory_model(a->inv) : NULL;
    if (m && m->meta.name.s) {
        col += ui_text(ui, 0, col, w - col, THEME_UI_HEADER_ACCENT, m->meta.name.s);
        col += ui_text(ui, 0, col, w - col, THEME_UI_HEADER, "  ");
    }
    char right[96] = "";
    size_t undo = a->inv ? inventory_undo_depth(a->inv) : 0;
    bool modified = a->modified;
    if (modified)
        snprintf(right, sizeof(right), "[+] %zu unsaved ", undo ? undo : 1);
    int rw = ui_width(ui, right) + (a->opt.readonly ? 5 : 0);
    ui_text(ui, 0, col, w - col - rw - 1, THEME_UI_HEADER, a->clan_label ? a->clan_label : "");
    int rx = w - rw;
    if (a->opt.readonly && rx >= col)
        rx += ui_text(ui, 0, rx, w - rx, THEME_STATUS_READONLY, "[RO] ");
    if (modified && rx >= col)
        ui_text(ui, 0, rx, w - rx, THEME_STATUS_MODIFIED, right);
}

static void draw_status(struct app *a, int y, int w)
{
    struct ui *ui = &a->ui;
    if (a->prompt != PROMPT_NONE) {
        input_draw(ui, y, 0, w, THEME_INPUT_PROMPT, a->prompt == PROMPT_SEARCH ? "/" : ":", &a->input);
        return;
    }
    ui_fill(ui, y, 0, w, THEME_STATUS_NORMAL);
    struct view *v = focused_view(a);
    char pos[64] = "", right[96];
    if (v && v->ops->position)
        v->ops->position(v, pos, sizeof(pos));
    snprintf(right, sizeof(right), " %s %s ", v ? v->ops->name : "", pos);
    int rw = ui_width(ui, right);
    if (rw > w / 2)
        rw = 0;
    if (rw)
        ui_text(ui, y, w - rw, rw, THEME_STATUS_NORMAL, right);
    if (a->message[0])
        ui_text(ui, y, 1, w - rw - 2, a->message_error ? THEME_STATUS_ERROR : THEME_STATUS_INFO, a->message);
    else if (a->inv) {
        size_t nd = app_ndiags(a), ne = 0;
        for (size_t i = 0; i < nd; i++)
            ne += app_diag(a, i)->severity == DIAG_ERROR;
        if (ne)
            ui_text(ui, y, 1, w - rw - 2, THEME_STATUS_ERROR,
                    ne == 1 ? "1 error in the file: ] goes to it" : "errors in the file: ] goes to the next");
        else if (nd)
            ui_text(ui, y, 1, w - rw - 2, THEME_DIAG_WARNING, "warnings: ] goes to the next");
    }
}

struct hint {
    enum action a1, a2;
    const char *label;
    int prio; /* when the bar is too narrow, the highest numbers go first */
};

static int hint_keys(struct app *a, const struct hint *h, char *keys, size_t size)
{
    uint32_t k1, k2;
    char n1[16], n2[16];
    if (!bindings_keys(&a->keys, h->a1, &k1, 1))
        return -1;
    keyname_format(k1, n1, sizeof(n1));
    if (h->a2 != ACT_NONE && bindings_keys(&a->keys, h->a2, &k2, 1)) {
        keyname_format(k2, n2, sizeof(n2));
        snprintf(keys, size, "%s/%s", n1, n2);
    } else {
        snprintf(keys, size, "%s", n1);
    }
    return 0;
}

static void draw_hints(struct app *a, int y, int w)
{
    /* The main bar names what the product is for (the editors and operating views), as
     * DESIGN.md sketches it; on a narrow terminal the least needed entries drop out while
     * help and quit always stay. */
    static const struct hint main_hints[] = {
        {ACT_MOVE_DOWN, ACT_MOVE_UP, "move", 2},      {ACT_ENTER, ACT_NONE, "open", 3},
        {ACT_SEARCH, ACT_NONE, "search", 9},          {ACT_EDIT_TAGS, ACT_NONE, "tags", 5},
        {ACT_EDIT_ROLES, ACT_NONE, "roles", 6},       {ACT_EDIT_EXCLUDE, ACT_NONE, "exclude", 7},
        {ACT_EDIT_SCHEDULE, ACT_NONE, "schedule", 5}, {ACT_EDIT_DESTINATIONS, ACT_NONE, "dest", 7},
        {ACT_WRITE, ACT_NONE, "write", 9},            {ACT_VIEW_UNITS, ACT_NONE, "units", 8},
        {ACT_VIEW_KEYS, ACT_NONE, "keys", 8},         {ACT_VIEW_JOURNAL, ACT_NONE, "journal", 8},
        {ACT_SCHEDULE_MAP, ACT_NONE, "map", 10},       {ACT_HELP, ACT_NONE, "help", 0},
        {ACT_QUIT, ACT_NONE, "quit", 4},              {ACT_NONE, ACT_NONE, NULL, 0},
    };
    static const struct hint help_hints[] = {
        {ACT_MOVE_DOWN, ACT_MOVE_UP, "scroll", 0}, {ACT_PAGE_DOWN, ACT_PAGE_UP, "page", 0},
        {ACT_SEARCH, ACT_NONE, "search", 0},       {ACT_BACK, ACT_NONE, "close", 0},
        {ACT_NONE, ACT_NONE, NULL, 0},
    };
    struct ui *ui = &a->ui;
    ui_fill(ui, y, 0, w, THEME_HINT_TEXT);
    if (a->prompt != PROMPT_NONE) {
        int c = 1;
        c += ui_text(ui, y, c, w - c, THEME_HINT_KEY, "Enter");
        c += ui_text(ui, y, c, w - c, THEME_HINT_TEXT, a->prompt == PROMPT_SEARCH ? " find  " : " run  ");
        c += ui_text(ui, y, c, w - c, THEME_HINT_KEY, "Esc");
        ui_text(ui, y, c, w - c, THEME_HINT_TEXT, " cancel");
        return;
    }
    const struct hint *hints = a->help_open ? help_hints : main_hints;
    enum { MAX_HINTS = 16 };
    char keys[MAX_HINTS][40];
    int width[MAX_HINTS];
    bool shown[MAX_HINTS];
    int n = 0, total = 1;
    for (; hints[n].label && n < MAX_HINTS; n++) {
        shown[n] = hint_keys(a, &hints[n], keys[n], sizeof(keys[n])) == 0;
        width[n] = shown[n] ? ui_width(ui, keys[n]) + 1 + ui_width(ui, hints[n].label) + 2 : 0;
        total += width[n];
    }
    /* drop the lowest-priority entries (highest prio number, last first) until it fits */
    while (total > w) {
        int worst = -1;
        for (int i = 0; i < n; i++)
            if (shown[i] && (worst < 0 || hints[i].prio >= hints[worst].prio))
                worst = i;
        if (worst < 0)
            break;
        shown[worst] = false;
        total -= width[worst];
    }
    int col = 1;
    for (int i = 0; i < n; i++) {
        if (!shown[i] || col + width[i] > w)
            continue;
        col += ui_text(ui, y, col, w - col, THEME_HINT_KEY, keys[i]);
        col += ui_text(ui, y, col, w - col, THEME_HINT_TEXT, " ");
        col += ui_text(ui, y, col, w - col, THEME_HINT_TEXT, hints[i].label);
        col += 2;
    }
}

static void draw_too_small(struct app *a, int h, int w)
{
    struct ui *ui = &a->ui;
    char l2[64];
    snprintf(l2, sizeof(l2), "%dx%d, need %dx%d", w, h, APP_MIN_COLS, APP_MIN_ROWS);
    const char *lines[] = {"Terminal too small", l2, "q quits"};
    for (int i = 0; i < 3 && i < h; i++) {
        int y = h < 3 ? i : h / 2 - 1 + i;
        int lw = ui_width(ui, lines[i]);
        int x = lw < w ? (w - lw) / 2 : 0;
        ui_text(ui, y, x, w - x, THEME_STATUS_ERROR, lines[i]);
    }
}

/* Pane rectangles for the current size. */
struct pane_geo {
    int y, x, h, w;
};

static void layout(struct app *a, struct pane_geo *tree, struct pane_geo *det)
{
    int H = LINES, W = COLS;
    int ph = H - 3;
    a->single_pane = W < 80;
    if (a->single_pane) {
        *tree = *det = (struct pane_geo){1, 0, ph, W};
        return;
    }
    int tw = W * 3 / 8;
    if (tw < 34)
        tw = 34;
    if (tw > 60)
        tw = 60;
    *tree = (struct pane_geo){1, 0, ph, tw};
    *det = (struct pane_geo){1, tw, ph, W - tw};
}

static void draw_pane(struct app *a, struct view *v, const struct pane_geo *g, bool focused)
{
    const char *title = v->ops->title ? v->ops->title(v, a) : v->ops->name;
    ui_box(&a->ui, g->y, g->x, g->h, g->w, focused ? THEME_UI_BORDER_FOCUS : THEME_UI_BORDER,
           focused ? THEME_UI_TITLE_FOCUS : THEME_UI_TITLE, title);
    v->ops->draw(v, a, g->y + 1, g->x + 1, g->h - 2, g->w - 2, focused);
}

void app_draw(struct app *a, bool update)
{
    int H = LINES, W = COLS;
    struct ui *ui = &a->ui;
    wattrset(stdscr, ui->attr[THEME_UI_NORMAL]);
    wbkgdset(stdscr, ' ' | (ui->attr[THEME_UI_NORMAL] & A_COLOR));
    werase(stdscr);
    a->too_small = W < APP_MIN_COLS || H < APP_MIN_ROWS;
    curs_set(0);
    if (a->too_small) {
        draw_too_small(a, H, W);
    } else if (a->tree && a->details) {
        struct pane_geo tg, dg;
        layout(a, &tg, &dg);
        draw_header(a, W);
        if (a->single_pane) {
            if (a->focus == 1)
                draw_pane(a, a->details, &dg, !a->help_open);
            else
                draw_pane(a, a->tree, &tg, !a->help_open);
        } else {
            draw_pane(a, a->tree, &tg, a->focus == 0 && !a->help_open);
            draw_pane(a, a->details, &dg, a->focus == 1 && !a->help_open);
        }
        if (a->help_open && a->help) {
            int hw = W - 4 > 104 ? 104 : W - 4, hh = H - 4;
            struct pane_geo hg = {2, (W - hw) / 2, hh, hw};
            ui_box(ui, hg.y, hg.x, hg.h, hg.w, THEME_DIALOG_BORDER, THEME_DIALOG_TITLE, "Help: keys and actions");
            a->help->ops->draw(a->help, a, hg.y + 1, hg.x + 1, hg.h - 2, hg.w - 2, true);
        }
        draw_hints(a, H - 1, W);
        draw_status(a, H - 2, W); /* last: it may place the cursor */
        edit_draw(a, H, W);       /* editors and questions over everything */
        if (a->prompt != PROMPT_NONE)
            curs_set(1);
    }
    wnoutrefresh(stdscr);
    if (update)
        doupdate();
    a->dirty = false;
    a->frames++;
}

void app_resized(struct app *a)
{
    app_set_dirty(a);
}

/* ---- actions, search, commands ---- */

static void do_search(struct app *a, const char *q, int dir, bool skip)
{
    struct view *v = focused_view(a);
    if (!q || !*q) {
        app_message(a, true, "no search yet: press / and type");
        return;
    }
    if (!v->ops->search || !v->ops->search(v, a, q, dir, skip))
        app_message(a, true, "not found: %s", q);
    else
        app_message(a, false, "/%s", q);
}

bool app_may_write(struct app *a, const char *what)
{
    if (!a->opt.readonly)
        return true;
    app_message(a, true, "read-only (--readonly): %s is disabled", what);
    return false;
}

bool app_goto_line(struct app *a, unsigned file, unsigned line)
{
    if (!a->tree || !view_tree_select_line(a->tree, a, file, line))
        return false;
    a->focus = 0;
    a->help_open = false;
    return true;
}

static void run_action(struct app *a, enum action act);

void app_command(struct app *a, const char *line)
{
    while (*line == ' ')
        line++;
    char cmd[64] = "";
    const char *arg = line + strcspn(line, " ");
    snprintf(cmd, sizeof(cmd), "%.*s", (int)(arg - line), line);
    while (*arg == ' ')
        arg++;
    if (!*cmd)
        return;
    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
        run_action(a, ACT_QUIT);
    } else if (!strcmp(cmd, "theme")) {
        struct diag d = {0};
        if (!*arg) {
            app_message(a, false, "theme: %s", a->theme && a->theme->name ? a->theme->name : "default");
        } else if (a->ui.ncolors == 0) {
            app_message(a, true, "this terminal shows no colours (or NO_COLOR is set): themes have no effect");
        } else if (load_theme(a, arg, &d) < 0) {
            message_diag(a, &d);
        } else {
            ui_set_theme(&a->ui, a->theme, a->ui.ncolors);
            app_message(a, false, "theme %s", a->theme->name ? a->theme->name : arg);
        }
        diag_clear(&d);
    } else if (!strcmp(cmd, "goto")) {
        if (!a->tree || !view_tree_goto_label(a->tree, a, arg))
            app_message(a, true, "goto: nothing named '%s'", arg);
        else
            a->focus = 0;
    } else if (!strcmp(cmd, "set")) {
        if (!strcmp(arg, "mouse") || !strcmp(arg, "nomouse")) {
            a->mouse_on = arg[0] == 'm';
            mousemask(a->mouse_on ? APP_MOUSE_EVENTS : 0, NULL);
            app_message(a, false, "mouse %s", a->mouse_on ? "on" : "off");
        } else {
            app_message(a, true, "set: unknown option '%s'; expected mouse or nomouse", arg);
        }
    } else if (cmd[0] >= '0' && cmd[0] <= '9') {
        char *end;
        unsigned long l = strtoul(cmd, &end, 10);
        if (*end || !l || l > 0xffffffffu || !app_goto_line(a, 0, (unsigned)l))
            app_message(a, true, "no node at line %s", cmd);
    } else {
        enum action act = action_lookup(cmd);
        if (act == ACT_NONE || act == ACT_COMMAND)
            app_message(a, true, "unknown command '%s'; expected an action name (see ?), theme NAME, "
                                 "goto NAME, set mouse|nomouse, a line number or quit", cmd);
        else
            run_action(a, act);
    }
}

static void run_action(struct app *a, enum action act)
{
    switch (act) {
    case ACT_QUIT:
        if (edit_quit(a)) /* unsaved edits: save, discard or cancel */
            return;
        a->quit = true;
        return;
    case ACT_HELP:
        a->help_open = !a->help_open;
        app_set_dirty(a);
        return;
    case ACT_SEARCH:
    case ACT_COMMAND:
        a->prompt = act == ACT_SEARCH ? PROMPT_SEARCH : PROMPT_COMMAND;
        input_set(&a->input, "");
        a->message[0] = 0;
        app_set_dirty(a);
        return;
    case ACT_SEARCH_NEXT:
    case ACT_SEARCH_PREV:
        do_search(a, a->last_search, act == ACT_SEARCH_NEXT ? a->search_dir : -a->search_dir, true);
        return;
    case ACT_REDRAW:
        clearok(curscr, TRUE);
        app_set_dirty(a);
        return;
    case ACT_NEXT_PANE:
    case ACT_PREV_PANE:
        if (!a->help_open)
            a->focus ^= 1;
        app_set_dirty(a);
        return;
    default:
        break;
    }
    if (edit_action(a, act)) /* editors, undo, redo, write, reload */
        return;
    if (ops_action(a, act)) /* units, keys, journal, schedule map (tui/ops.h) */
        return;
    struct view *v = focused_view(a);
    if (v && v->ops->action && v->ops->action(v, a, act))
        return;
    /* tree actions work from the details pane too (e.g. ] jumps to the next diagnostic) */
    if (!a->help_open && v == a->details && a->tree->ops->action(a->tree, a, act)) {
        a->focus = 0;
        return;
    }
    if (act == ACT_BACK) {
        a->message[0] = 0;
        app_set_dirty(a);
    }
}

static void prompt_key(struct app *a, uint32_t key)
{
    enum input_result r = input_key(&a->input, key);
    if (r == INPUT_CANCEL) {
        a->prompt = PROMPT_NONE;
    } else if (r == INPUT_ENTER) {
        enum prompt_kind kind = a->prompt;
        a->prompt = PROMPT_NONE;
        if (kind == PROMPT_SEARCH) {
            if (a->input.len) {
                free(a->last_search);
                a->last_search = strdup(a->input.buf);
            }
            a->search_dir = 1;
            do_search(a, a->last_search, 1, true);
        } else {
            app_command(a, a->input.buf);
        }
    }
    app_set_dirty(a);
}

void app_key(struct app *a, uint32_t key)
{
    if (!key)
        return;
    if (a->prompt != PROMPT_NONE) {
        prompt_key(a, key);
        return;
    }
    enum action act = bindings_lookup(&a->keys, key);
    if (a->too_small) {
        if (act == ACT_QUIT || act == ACT_REDRAW)
            run_action(a, act);
        return;
    }
    if (edit_key(a, key)) /* an open editor or question takes every key */
        return;
    if (act == ACT_NONE) {
        char name[16];
        keyname_format(key, name, sizeof(name));
        app_message(a, true, "%s is not bound to anything (? shows the keys)", name);
        return;
    }
    if (a->message[0] && act != ACT_SEARCH_NEXT && act != ACT_SEARCH_PREV)
        a->message[0] = 0;
    run_action(a, act);
    app_set_dirty(a);
}

static void mouse_event(struct app *a)
{
    MEVENT ev;
    if (getmouse(&ev) != OK || a->too_small || a->help_open ||
        !(ev.bstate & (BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED)))
        return;
    struct pane_geo tg, dg;
    layout(a, &tg, &dg);
    int wheel = ev.bstate & BUTTON4_PRESSED ? -1 : ev.bstate & BUTTON5_PRESSED ? 1 : 0;
    struct view *v = NULL;
    const struct pane_geo *g = NULL;
    if (a->single_pane) {
        v = a->focus ? a->details : a->tree;
        g = a->focus ? &dg : &tg;
    } else if (ev.x >= dg.x) {
        v = a->details;
        g = &dg;
    } else {
        v = a->tree;
        g = &tg;
    }
    if (ev.y <= g->y || ev.y >= g->y + g->h - 1)
        return;
    if (!a->single_pane && !wheel)
        a->focus = v == a->details;
    if (v->ops->mouse)
        v->ops->mouse(v, a, wheel ? -1 : ev.y - g->y - 1, wheel);
    app_set_dirty(a);
}

/* Read every pending input event. */
static void read_input(struct app *a)
{
    wint_t wc;
    int r;
    while ((r = wget_wch(stdscr, &wc)) != ERR) {
        if (r == KEY_CODE_YES && wc == KEY_RESIZE)
            app_resized(a);
        else if (r == KEY_CODE_YES && wc == KEY_MOUSE)
            mouse_event(a);
        else
            app_key(a, key_from_curses(r, (uint32_t)wc));
        if (a->quit)
            break;
    }
}

/* ---- loop ---- */

int app_watch_fd(struct app *a, int fd, short events, app_fd_cb cb, void *data)
{
    struct app_watch *w = realloc(a->watches, (a->nwatches + 1) * sizeof(*w));
    if (!w)
        return -ENOMEM;
    a->watches = w;
    w[a->nwatches++] = (struct app_watch){fd, events, cb, data};
    return 0;
}

void app_unwatch_fd(struct app *a, int fd)
{
    size_t k = 0;
    for (size_t i = 0; i < a->nwatches; i++)
        if (a->watches[i].fd != fd)
            a->watches[k++] = a->watches[i];
    a->nwatches = k;
}

int app_timer_add(struct app *a, unsigned ms, app_timer_cb cb, void *data)
{
    struct app_timer *t = realloc(a->timers, (a->ntimers + 1) * sizeof(*t));
    if (!t)
        return -ENOMEM;
    a->timers = t;
    int id = ++a->next_timer_id;
    t[a->ntimers++] = (struct app_timer){id, now_ms() + ms, cb, data};
    return id;
}

void app_timer_cancel(struct app *a, int id)
{
    size_t k = 0;
    for (size_t i = 0; i < a->ntimers; i++)
        if (a->timers[i].id != id)
            a->timers[k++] = a->timers[i];
    a->ntimers = k;
}

static void fire_timers(struct app *a)
{
    uint64_t now = now_ms();
    for (size_t i = 0; i < a->ntimers;) {
        if (a->timers[i].due_ms <= now) {
            struct app_timer t = a->timers[i];
            app_timer_cancel(a, t.id); /* one-shot; the callback may add it again */
            t.cb(a, t.data);
            i = 0;
            now = now_ms();
        } else {
            i++;
        }
    }
}

static int poll_timeout(const struct app *a)
{
    if (!a->ntimers)
        return -1;
    uint64_t now = now_ms(), next = UINT64_MAX;
    for (size_t i = 0; i < a->ntimers; i++)
        if (a->timers[i].due_ms < next)
            next = a->timers[i].due_ms;
    return next <= now ? 0 : next - now > 60000 ? 60000 : (int)(next - now);
}

/* One poll() over the terminal, the watched fds and the timers. */
static int turn(struct app *a, int timeout)
{
    if (a->dirty)
        app_draw(a, true);
    size_t n = a->nwatches + 1;
    struct pollfd stackfds[16], *fds = n <= 16 ? stackfds : malloc(n * sizeof(*fds));
    if (!fds)
        return -ENOMEM;
    fds[0] = (struct pollfd){a->input_fd, POLLIN, 0};
    for (size_t i = 0; i < a->nwatches; i++)
        fds[i + 1] = (struct pollfd){a->watches[i].fd, a->watches[i].events, 0};
    int t = poll_timeout(a);
    if (timeout >= 0 && (t < 0 || timeout < t))
        t = timeout;
    int r = poll(fds, (nfds_t)n, t);
    int err = errno;
    if (r < 0 && err != EINTR) {
        if (fds != stackfds)
            free(fds);
        return -err;
    }
    if (got_signal == SIGINT) { /* C-c: as q, which asks when there are unsaved edits */
        got_signal = 0;
        run_action(a, ACT_QUIT);
    } else if (got_signal) {
        a->quit = true;
    } else {
        /* EINTR is how SIGWINCH arrives: ncurses then has a KEY_RESIZE for us */
        if (r < 0 || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            read_input(a);
            if (a->dirty && !a->quit) { /* the keys' frame first, then background work */
                struct timespec ts;
                app_draw(a, true);
                clock_gettime(CLOCK_MONOTONIC, &ts);
                a->input_frame_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
            }
        }
        if (r > 0 && (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL)) && !(fds[0].revents & POLLIN))
            a->quit = true; /* the terminal went away */
        size_t nw = a->nwatches;
        for (size_t i = 0; r > 0 && i < nw && i + 1 < n && !a->quit; i++)
            if (fds[i + 1].revents && i < a->nwatches && a->watches[i].fd == fds[i + 1].fd)
                a->watches[i].cb(a, fds[i + 1].fd, fds[i + 1].revents, a->watches[i].data);
        fire_timers(a);
    }
    if (fds != stackfds)
        free(fds);
    return 0;
}

int app_run(struct app *a)
{
    while (!a->quit) {
        int r = turn(a, -1);
        if (r < 0)
            return 1;
    }
    return 0;
}

void app_wait(struct app *a, int timeout_ms)
{
    turn(a, timeout_ms);
    if (a->dirty)
        app_draw(a, true);
}

void app_pump(struct app *a)
{
    turn(a, 0);
    if (a->dirty)
        app_draw(a, true);
}
