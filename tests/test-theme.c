/* core/theme: theme files, colours and their downgrade, key names, keymaps, config. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/theme.h"
#include "core/util.h"

static const char *const actions[] = {"move-down", "move-up", "quit", "help"};
#define NACTIONS (sizeof(actions) / sizeof(actions[0]))

static struct theme *parse_ok(const char *text)
{
    struct theme *def = theme_new_default(), *t = NULL;
    struct diag d = {0};
    assert_non_null(def);
    int r = theme_parse(def, "t.yaml", text, strlen(text), &t, &d);
    if (r < 0)
        fail_msg("unexpected error: %s", d.msg);
    theme_free(def);
    diag_clear(&d);
    return t;
}

/* Parse must fail at line:col with a message containing `what`. */
static void parse_err(const char *text, unsigned line, unsigned col, const char *what)
{
    struct theme *def = theme_new_default(), *t = (struct theme *)0x1;
    struct diag d = {0};
    int r = theme_parse(def, "t.yaml", text, strlen(text), &t, &d);
    assert_true(r < 0);
    assert_ptr_equal(t, (struct theme *)0x1); /* out untouched */
    assert_string_equal(d.file, "t.yaml");
    if (d.line != line || d.col != col || !strstr(d.msg, what))
        fail_msg("got %u:%u %s; want %u:%u ...%s...", d.line, d.col, d.msg, line, col, what);
    theme_free(def);
    diag_clear(&d);
}

static void test_every_builtin_parses(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; theme_builtin_names[i]; i++, n++) {
        struct theme *t = NULL;
        struct diag d = {0};
        int r = theme_load(theme_builtin_names[i], NULL, &t, &d);
        if (r < 0)
            fail_msg("%s: %s:%u:%u: %s", theme_builtin_names[i], d.file, d.line, d.col, d.msg);
        assert_string_equal(t->name, theme_builtin_names[i]);
        theme_free(t);
    }
    assert_int_equal(n, 5);
    assert_string_equal(theme_builtin_names[0], "default");
}

/* The compiled-in themes are the files installed under $(pkgdatadir)/themes. */
static void test_builtin_matches_file(void **state)
{
    (void)state;
    for (size_t i = 0; theme_builtin_names[i]; i++) {
        char path[512], *text = NULL;
        size_t len;
        struct diag d = {0};
        snprintf(path, sizeof(path), "%s/%s.yaml", THEMES_SRCDIR, theme_builtin_names[i]);
        assert_int_equal(file_read(path, &text, &len, NULL, &d), 0);
        assert_string_equal(text, theme_builtin_text(theme_builtin_names[i]));
        free(text);
    }
}

/* The default theme gives every role something, and the mono theme has no colours. */
static void test_default_and_mono(void **state)
{
    (void)state;
    struct theme *t = theme_new_default();
    assert_non_null(t);
    struct theme_style s = theme_get(t, THEME_TREE_SELECTED);
    assert_int_equal(s.fg, 15);
    assert_int_equal(s.bg, 4);
    assert_true(s.attrs & THEME_ATTR_BOLD);
    /* a role without a background takes ui.normal's (the terminal's) */
    assert_int_equal(theme_get(t, THEME_TREE_TAG).bg, THEME_COLOR_DEFAULT);
    theme_free(t);

    struct diag d = {0};
    assert_int_equal(theme_load("mono", NULL, &t, &d), 0);
    for (int r = 0; r < THEME_NROLES; r++) {
        s = theme_get(t, r);
        if (s.fg != THEME_COLOR_DEFAULT || s.bg != THEME_COLOR_DEFAULT)
            fail_msg("mono role %s has a colour", theme_role_name(r));
    }
    assert_int_equal(theme_get(t, THEME_TREE_SELECTED).attrs, THEME_ATTR_REVERSE);
    assert_int_equal(theme_get(t, THEME_DETAILS_SECTION).attrs,
                     THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
    theme_free(t);
}

/* A partial theme changes only what it names; a mapping only the fields it gives. */
static void test_partial_overlay(void **state)
{
    (void)state;
    struct theme *t = parse_ok("tree:\n  selected: { bg: magenta }\n  tag: green on black\n");
    struct theme_style s = theme_get(t, THEME_TREE_SELECTED);
    assert_int_equal(s.fg, 15);       /* kept from default */
    assert_int_equal(s.bg, 5);        /* changed */
    assert_true(s.attrs & THEME_ATTR_BOLD);
    s = theme_get(t, THEME_TREE_TAG);
    assert_int_equal(s.fg, 2);
    assert_int_equal(s.bg, 0);
    assert_int_equal(theme_get(t, THEME_TREE_MACHINE).attrs, THEME_ATTR_BOLD); /* untouched */
    theme_free(t);
}

static void test_palette_anchors_and_names(void **state)
{
    (void)state;
    struct theme *t = parse_ok("palette:\n"
                               "  sea: &sea \"#268bd2\"\n"
                               "  sun: yellow\n"
                               "ui:\n"
                               "  normal: { fg: *sea, bg: color236 }\n"
                               "status.error: sun on sea bold underline\n"
                               "journal:\n  priority:\n    err: { attrs: [bold, reverse] }\n");
    struct theme_style s = theme_get(t, THEME_UI_NORMAL);
    assert_int_equal(s.fg, THEME_COLOR_RGB_FLAG | 0x268bd2);
    assert_int_equal(s.bg, 236);
    s = theme_get(t, THEME_STATUS_ERROR);
    assert_int_equal(s.fg, 3);
    assert_int_equal(s.bg, THEME_COLOR_RGB_FLAG | 0x268bd2);
    assert_int_equal(s.attrs, THEME_ATTR_BOLD | THEME_ATTR_UNDERLINE);
    s = theme_get(t, THEME_JOURNAL_PRIORITY_ERR);
    assert_int_equal(s.attrs, THEME_ATTR_BOLD | THEME_ATTR_REVERSE);
    /* inherits the new ui.normal background */
    assert_int_equal(theme_get(t, THEME_TREE_TAG).bg, 236);
    theme_free(t);
}

static void test_base_theme(void **state)
{
    (void)state;
    struct theme *t = parse_ok("base: solarized-dark\ntree: { tag: red }\n");
    assert_int_equal(theme_get(t, THEME_UI_NORMAL).bg, THEME_COLOR_RGB_FLAG | 0x002b36);
    assert_int_equal(theme_get(t, THEME_TREE_TAG).fg, 1);
    theme_free(t);
}

static void test_errors_have_positions(void **state)
{
    (void)state;
    parse_err("tree:\n  selectd: red\n", 2, 3, "unknown role 'tree.selectd'");
    parse_err("tree:\n  selected: red\nbogus: { }\n", 3, 1, "unknown area 'bogus'");
    parse_err("tree:\n  tag: purple\n", 2, 8, "unknown colour 'purple'");
    parse_err("tree:\n  tag: { fg: red, attrs: [bold, shiny] }\n", 2, 33, "unknown attribute 'shiny'");
    parse_err("tree:\n  tag: { fgg: red }\n", 2, 10, "unknown style key 'fgg'");
    parse_err("tree:\n  tag: red on\n", 2, 8, "'on' without a colour");
    parse_err("tree:\n  tag: *nope\n", 2, 8, "unknown alias");
    parse_err("tree: [\n", 2, 1, "YAML syntax");
    parse_err("- a\n- b\n", 1, 1, "a theme is a mapping");
    parse_err("tree:\n  tag: red\ntree:\n  tag: blue\n", 3, 1, "duplicate key 'tree'");
    parse_err("palette:\n  x: notacolour\n", 2, 6, "palette entry 'x' is not a colour");
    parse_err("tree:\n  tag: \"#12345g\"\n", 2, 8, "unknown colour");
    parse_err("ui: red\n", 1, 5, "group of roles");
}

static void test_empty_theme_is_base(void **state)
{
    (void)state;
    struct theme *t = parse_ok(""), *def = theme_new_default();
    for (int r = 0; r < THEME_NROLES; r++) {
        assert_int_equal(t->roles[r].fg, def->roles[r].fg);
        assert_int_equal(t->roles[r].bg, def->roles[r].bg);
        assert_int_equal(t->roles[r].attrs, def->roles[r].attrs);
    }
    theme_free(t);
    theme_free(def);
    t = parse_ok("# nothing but a comment\n");
    theme_free(t);
}

static void test_load_by_name_and_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test-theme.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char sub[600], file[700];
    snprintf(sub, sizeof(sub), "%s/themes", dir);
    struct diag d = {0};
    assert_int_equal(mkdir_parents(sub, 0755, &d), 0);
    snprintf(file, sizeof(file), "%s/mine.yaml", sub);
    const char *text = "tree:\n  tag: magenta\n";
    assert_int_equal(file_write_atomic(file, text, strlen(text), 0644, NULL, &d), 0);

    struct theme *t = NULL;
    assert_int_equal(theme_load("mine", dir, &t, &d), 0); /* from the config dir */
    assert_int_equal(theme_get(t, THEME_TREE_TAG).fg, 5);
    assert_string_equal(t->name, "mine");
    theme_free(t);
    assert_int_equal(theme_load(file, NULL, &t, &d), 0); /* a path */
    theme_free(t);
    assert_true(theme_load("nosuch", dir, &t, &d) < 0);
    assert_non_null(strstr(d.msg, "unknown theme 'nosuch'"));
    assert_non_null(strstr(d.msg, "solarized-dark"));
    assert_true(theme_load("bad name!", dir, &t, &d) < 0);
    assert_true(theme_load("/nonexistent/x.yaml", dir, &t, &d) < 0);
    assert_string_equal(d.file, "/nonexistent/x.yaml");
    const char *bad = "tree:\n  tag: nope\n";
    assert_int_equal(file_write_atomic(file, bad, strlen(bad), 0644, NULL, &d), 0);
    assert_true(theme_load("mine", dir, &t, &d) < 0);
    assert_string_equal(d.file, file);
    assert_int_equal(d.line, 2);
    diag_clear(&d);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
}

static void test_color_parse(void **state)
{
    (void)state;
    int32_t c;
    assert_int_equal(theme_color_parse("red", &c), 0);
    assert_int_equal(c, 1);
    assert_int_equal(theme_color_parse("bright-white", &c), 0);
    assert_int_equal(c, 15);
    assert_int_equal(theme_color_parse("brightblue", &c), 0);
    assert_int_equal(c, 12);
    assert_int_equal(theme_color_parse("grey", &c), 0);
    assert_int_equal(c, 8);
    assert_int_equal(theme_color_parse("colour255", &c), 0);
    assert_int_equal(c, 255);
    assert_int_equal(theme_color_parse("#fff", &c), 0);
    assert_int_equal(c, THEME_COLOR_RGB_FLAG | 0xffffff);
    assert_int_equal(theme_color_parse("DEFAULT", &c), 0);
    assert_int_equal(c, THEME_COLOR_DEFAULT);
    const char *bad[] = {"", "color256", "color-1", "#12345", "#1234567", "bright", "reddish", "color"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(theme_color_parse(bad[i], &c), -EINVAL);
    char buf[16];
    theme_color_format(THEME_COLOR_RGB_FLAG | 0x00ff80, buf, sizeof(buf));
    assert_string_equal(buf, "#00ff80");
    theme_color_format(9, buf, sizeof(buf));
    assert_string_equal(buf, "bright-red");
}

/* #rrggbb -> 256 -> 16 -> 8 (tmux-like nearest colours). */
static void test_downgrade(void **state)
{
    (void)state;
    int32_t sol = THEME_COLOR_RGB_FLAG | 0x268bd2; /* solarized blue */
    assert_int_equal(theme_color_downgrade(sol, 256), 32);
    assert_int_equal(theme_color_downgrade(sol, 16), 6); /* nearest by RGB distance: cyan */
    assert_int_equal(theme_color_downgrade(sol, 8), 6);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_RGB_FLAG | 0x1f5fbf, 16), 12);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_RGB_FLAG | 0xff0000, 256), 196);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_RGB_FLAG | 0x808080, 256), 244);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_RGB_FLAG | 0x002b36, 16), 0);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_RGB_FLAG | 0xffffff, 8), 7);
    assert_int_equal(theme_color_downgrade(196, 256), 196);
    assert_int_equal(theme_color_downgrade(196, 16), 9);
    assert_int_equal(theme_color_downgrade(9, 8), 1);
    assert_int_equal(theme_color_downgrade(3, 8), 3);
    assert_int_equal(theme_color_downgrade(THEME_COLOR_DEFAULT, 256), THEME_COLOR_DEFAULT);
    assert_int_equal(theme_color_downgrade(5, 2), THEME_COLOR_DEFAULT);
    /* every index fits its own palette exactly at 256 */
    for (int i = 0; i < 256; i++)
        assert_int_equal(theme_color_downgrade(i, 256), i);
    /* the cube colours round-trip through RGB */
    for (int i = 16; i < 256; i++)
        assert_int_equal(theme_palette_rgb(theme_color_downgrade(
                             (int32_t)(THEME_COLOR_RGB_FLAG | theme_palette_rgb(i)), 256)),
                         theme_palette_rgb(i));
}

static void test_keynames(void **state)
{
    (void)state;
    struct {
        const char *in;
        uint32_t key;
        const char *canon;
    } cases[] = {
        {"j", 'j', "j"},           {"G", 'G', "G"},           {"?", '?', "?"},
        {"Enter", KEYSYM_ENTER, "Enter"}, {"return", KEYSYM_ENTER, "Enter"},
        {"Esc", KEYSYM_ESC, "Esc"}, {"S-Tab", KEYSYM_BACKTAB, "S-Tab"},
        {"PageDown", KEYSYM_PGDN, "PgDn"}, {"C-l", 12, "C-l"}, {"^L", 12, "C-l"},
        {"Ctrl-r", 18, "C-r"},      {"F1", KEYSYM_F1, "F1"},   {"F12", KEYSYM_F1 + 11, "F12"},
        {"Space", KEYSYM_SPACE, "Space"}, {" ", KEYSYM_SPACE, "Space"},
        {"\xc3\xa4", 0xe4, "\xc3\xa4"}, {"-", '-', "-"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t k = 0;
        char buf[16];
        if (keyname_parse(cases[i].in, &k) < 0)
            fail_msg("'%s' rejected", cases[i].in);
        assert_int_equal(k, cases[i].key);
        keyname_format(k, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].canon);
    }
    const char *bad[] = {"", "jj", "F13", "F0", "C-", "C-ab", "\x01", "\xff", "Ctrl-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t k;
        assert_int_equal(keyname_parse(bad[i], &k), -EINVAL);
    }
}

static void test_utf8(void **state)
{
    (void)state;
    const uint32_t cps[] = {0x41, 0xe4, 0x20ac, 0x1f600, 0x10ffff, 0x7f, 0x80, 0x7ff, 0x800, 0xffff};
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        char b[4];
        uint32_t back = 0;
        size_t n = utf8_encode(cps[i], b);
        assert_int_equal(utf8_decode(b, n, &back), n);
        assert_int_equal(back, cps[i]);
        assert_int_equal(utf8_decode(b, n - 1, &back), 0); /* truncated */
    }
    const char *bad[] = {"\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", "\xff", "\xe2\x82"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t cp;
        assert_int_equal(utf8_decode(bad[i], strlen(bad[i]), &cp), 0);
    }
}

static void test_keymap(void **state)
{
    (void)state;
    const char *text = "move-down: [j, Down, C-n]\nquit: Q\nhelp: []\n";
    struct keymap *k = NULL;
    struct diag d = {0};
    assert_int_equal(keymap_parse("k.yaml", text, strlen(text), actions, NACTIONS, &k, &d), 0);
    assert_int_equal(k->n, 3);
    assert_string_equal(k->v[0].action, "move-down");
    assert_int_equal(k->v[0].nkeys, 3);
    assert_int_equal(k->v[0].keys[1], KEYSYM_DOWN);
    assert_int_equal(k->v[0].keys[2], 14);
    assert_int_equal(k->v[1].keys[0], 'Q');
    assert_int_equal(k->v[2].nkeys, 0);
    keymap_free(k);

    k = (struct keymap *)0x1;
    const char *bad = "move-down: j\nfly: x\n";
    assert_true(keymap_parse("k.yaml", bad, strlen(bad), actions, NACTIONS, &k, &d) < 0);
    assert_int_equal(d.line, 2);
    assert_int_equal(d.col, 1);
    assert_non_null(strstr(d.msg, "unknown action 'fly'"));
    assert_non_null(strstr(d.msg, "move-down"));
    const char *badkey = "quit: [q, Shift-Q]\n";
    assert_true(keymap_parse("k.yaml", badkey, strlen(badkey), actions, NACTIONS, &k, &d) < 0);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.col, 11);
    assert_non_null(strstr(d.msg, "unknown key 'Shift-Q'"));
    assert_ptr_equal(k, (struct keymap *)0x1);
    diag_clear(&d);
}

static void test_config(void **state)
{
    (void)state;
    const char *text = "theme: light\nmouse: yes\nline-drawing: ascii\nkeymap:\n  quit: x\n"
                       "status-every: 600\n";
    struct ui_config *c = NULL;
    struct diag d = {0};
    assert_int_equal(ui_config_parse("c.yaml", text, strlen(text), actions, NACTIONS, &c, &d), 0);
    assert_string_equal(c->theme, "light");
    assert_int_equal(c->theme_line, 1);
    assert_int_equal(c->theme_col, 8);
    assert_int_equal(c->mouse, 1);
    assert_int_equal(c->line_drawing, LINE_DRAWING_ASCII);
    assert_non_null(c->keymap);
    assert_int_equal(c->keymap->v[0].keys[0], 'x');
    assert_int_equal(c->status_every, 600);
    ui_config_free(c);
    assert_int_equal(ui_config_parse("c.yaml", "mouse: no\n", 10, actions, NACTIONS, &c, &d), 0);
    assert_int_equal(c->status_every, -1); /* not set: the option (or nothing) decides */
    ui_config_free(c);

    struct {
        const char *text;
        unsigned line, col;
        const char *what;
    } bad[] = {
        {"mouse: maybe\n", 1, 8, "'mouse' must be true or false"},
        {"theme: light\ncolour: red\n", 2, 1, "unknown setting 'colour'"},
        {"line-drawing: fancy\n", 1, 15, "auto, utf8 or ascii"},
        {"keymap:\n  quit: [q, nope]\n", 2, 13, "unknown key 'nope'"},
        {"theme: [a]\n", 1, 8, "'theme' must be"},
        {"theme: a\n  bad indent: x\n", 2, 13, "YAML syntax"},
        {"status-every: soon\n", 1, 15, "'status-every' must be the seconds"},
        {"status-every: -5\n", 1, 15, "0 (off) to 86400"},
        {"status-every: 90000\n", 1, 15, "0 (off) to 86400"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        c = NULL;
        int r = ui_config_parse("c.yaml", bad[i].text, strlen(bad[i].text), actions, NACTIONS, &c, &d);
        assert_true(r < 0);
        assert_null(c);
        if (d.line != bad[i].line || d.col != bad[i].col || !strstr(d.msg, bad[i].what))
            fail_msg("case %zu: got %u:%u %s", i, d.line, d.col, d.msg);
    }
    /* a missing file is an empty config; a keymap file is relative to the config */
    char dir[] = "/tmp/test-config.XXXXXX", path[600], kpath[600];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/config.yaml", dir);
    assert_int_equal(ui_config_load(path, actions, NACTIONS, &c, &d), 0);
    assert_null(c->theme);
    assert_int_equal(c->mouse, -1);
    ui_config_free(c);
    snprintf(kpath, sizeof(kpath), "%s/keys.yaml", dir);
    const char *keys = "help: F1\n", *cfg = "keymap: keys.yaml\n", *cfg2 = "keymap: gone.yaml\n";
    assert_int_equal(file_write_atomic(kpath, keys, strlen(keys), 0644, NULL, &d), 0);
    assert_int_equal(file_write_atomic(path, cfg, strlen(cfg), 0644, NULL, &d), 0);
    assert_int_equal(ui_config_load(path, actions, NACTIONS, &c, &d), 0);
    assert_int_equal(c->keymap->v[0].keys[0], KEYSYM_F1);
    ui_config_free(c);
    assert_int_equal(file_write_atomic(path, cfg2, strlen(cfg2), 0644, NULL, &d), 0);
    assert_true(ui_config_load(path, actions, NACTIONS, &c, &d) < 0);
    assert_string_equal(d.file, path);
    assert_int_equal(d.line, 1);
    assert_int_equal(d.col, 9);
    unlink(path);
    unlink(kpath);
    rmdir(dir);
    diag_clear(&d);
}

static void test_config_path(void **state)
{
    (void)state;
    setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
    char *p = ui_config_path();
    assert_string_equal(p, "/x/cfg/clan-tui/config.yaml");
    free(p);
    setenv("XDG_CONFIG_HOME", "relative", 1); /* not absolute: ignored, as the spec says */
    setenv("HOME", "/home/u", 1);
    p = ui_config_path();
    assert_string_equal(p, "/home/u/.config/clan-tui/config.yaml");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_builtin_parses),
        cmocka_unit_test(test_builtin_matches_file),
        cmocka_unit_test(test_default_and_mono),
        cmocka_unit_test(test_partial_overlay),
        cmocka_unit_test(test_palette_anchors_and_names),
        cmocka_unit_test(test_base_theme),
        cmocka_unit_test(test_errors_have_positions),
        cmocka_unit_test(test_empty_theme_is_base),
        cmocka_unit_test(test_load_by_name_and_file),
        cmocka_unit_test(test_color_parse),
        cmocka_unit_test(test_downgrade),
        cmocka_unit_test(test_keynames),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_keymap),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
