/* Themes, the UI config file and keymap files (YAML, read with libyaml).
 *
 * Data only: a theme gives every role (a screen element such as "tree.selected") a
 * foreground, a background and attributes as values; the TUI maps them to curses.
 * A theme file is laid over the built-in default, so a partial file works. Colours step
 * down #rrggbb -> 256 -> 16 -> 8 for the terminal at hand (theme_color_downgrade). */
#ifndef CLAN_CORE_THEME_H
#define CLAN_CORE_THEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"

/* Every role, grouped by screen area: X(ID, "area.name", "what it colours").
 * In a theme file the area is a mapping (`tree: { selected: ... }`) or a dotted key. */
#define THEME_ROLES(X)                                                                   \
    X(UI_NORMAL, "ui.normal", "text everywhere; its colours are inherited by other roles") \
    X(UI_HEADER, "ui.header", "the top line: program, clan name, file")                  \
    X(UI_HEADER_ACCENT, "ui.header-accent", "the clan name in the top line")             \
    X(UI_BORDER, "ui.border", "pane borders")                                            \
    X(UI_BORDER_FOCUS, "ui.border-focus", "the border of the focused pane")              \
    X(UI_TITLE, "ui.title", "pane titles")                                               \
    X(UI_TITLE_FOCUS, "ui.title-focus", "the title of the focused pane")                 \
    X(UI_DIM, "ui.dim", "secondary text")                                                \
    X(STATUS_NORMAL, "status.normal", "the status line")                                 \
    X(STATUS_MODIFIED, "status.modified", "the unsaved-changes marker")                  \
    X(STATUS_READONLY, "status.readonly", "the read-only marker")                        \
    X(STATUS_INFO, "status.info", "informational messages")                              \
    X(STATUS_ERROR, "status.error", "error messages")                                    \
    X(HINT_KEY, "hint.key", "keys in the key-hint bar")                                  \
    X(HINT_TEXT, "hint.text", "labels in the key-hint bar")                              \
    X(TREE_NORMAL, "tree.normal", "tree rows")                                           \
    X(TREE_SELECTED, "tree.selected", "the selected row of the focused tree")            \
    X(TREE_SELECTED_INACTIVE, "tree.selected-inactive", "the selected row, tree unfocused") \
    X(TREE_GUIDE, "tree.guide", "expand markers and indentation guides")                 \
    X(TREE_SECTION, "tree.section", "top-level sections (machines, instances, ...)")     \
    X(TREE_MACHINE, "tree.machine", "machine names")                                     \
    X(TREE_TAG, "tree.tag", "tag names")                                                 \
    X(TREE_INSTANCE, "tree.instance", "service instances")                               \
    X(TREE_ROLE, "tree.role", "roles of an instance")                                    \
    X(TREE_SETTING, "tree.setting", "setting names")                                     \
    X(TREE_VALUE, "tree.value", "values shown beside names")                             \
    X(TREE_STATE, "tree.state", "clan.core.state entries")                               \
    X(TREE_HOOK, "tree.hook", "backup and restore hooks")                                \
    X(TREE_JOB, "tree.job", "borgbackup jobs")                                           \
    X(TREE_COUNT, "tree.count", "child counts")                                          \
    X(TREE_MATCH, "tree.match", "search matches")                                        \
    X(DETAILS_KEY, "details.key", "field names in the details pane")                     \
    X(DETAILS_VALUE, "details.value", "field values")                                    \
    X(DETAILS_ORIGIN, "details.origin", "where a value comes from (file:line:col)")       \
    X(DETAILS_DEFAULT, "details.default", "built-in default values")                     \
    X(DETAILS_SECTION, "details.section", "section headings")                            \
    X(DETAILS_SCRIPT, "details.script", "hook scripts")                                  \
    X(DETAILS_SOURCE, "details.source", "source excerpts")                               \
    X(DIAG_ERROR, "diag.error", "errors")                                                \
    X(DIAG_WARNING, "diag.warning", "warnings")                                          \
    X(DIAG_NOTE, "diag.note", "notes")                                                   \
    X(DIALOG_NORMAL, "dialog.normal", "dialogs and the help overlay")                    \
    X(DIALOG_BORDER, "dialog.border", "dialog borders")                                  \
    X(DIALOG_TITLE, "dialog.title", "dialog titles")                                     \
    X(DIALOG_KEY, "dialog.key", "keys listed in help")                                   \
    X(DIALOG_SELECTED, "dialog.selected", "the selected item of a dialog")               \
    X(INPUT_PROMPT, "input.prompt", "prompts of the search and command lines")           \
    X(INPUT_TEXT, "input.text", "text being typed")                                      \
    X(INPUT_ERROR, "input.error", "an invalid input and its caret")                      \
    X(DIFF_ADD, "diff.add", "added lines")                                               \
    X(DIFF_DEL, "diff.del", "removed lines")                                             \
    X(DIFF_HUNK, "diff.hunk", "hunk headers")                                            \
    X(CALENDAR_HEADER, "calendar.header", "month and weekday headers")                   \
    X(CALENDAR_DAY, "calendar.day", "days")                                              \
    X(CALENDAR_RUN, "calendar.run", "days with a run")                                   \
    X(CALENDAR_TODAY, "calendar.today", "today")                                         \
    X(JOURNAL_TIME, "journal.time", "timestamps")                                        \
    X(JOURNAL_HOST, "journal.host", "host names")                                        \
    X(JOURNAL_UNIT, "journal.unit", "unit names")                                        \
    X(JOURNAL_PRIORITY_EMERG, "journal.priority.emerg", "priority 0")                    \
    X(JOURNAL_PRIORITY_ALERT, "journal.priority.alert", "priority 1")                    \
    X(JOURNAL_PRIORITY_CRIT, "journal.priority.crit", "priority 2")                      \
    X(JOURNAL_PRIORITY_ERR, "journal.priority.err", "priority 3")                        \
    X(JOURNAL_PRIORITY_WARNING, "journal.priority.warning", "priority 4")                \
    X(JOURNAL_PRIORITY_NOTICE, "journal.priority.notice", "priority 5")                  \
    X(JOURNAL_PRIORITY_INFO, "journal.priority.info", "priority 6")                      \
    X(JOURNAL_PRIORITY_DEBUG, "journal.priority.debug", "priority 7")                    \
    X(MAP_EMPTY, "map.empty", "empty cells of the schedule map")                         \
    X(MAP_BUSY, "map.busy", "cells with a job")                                          \
    X(MAP_COLLISION, "map.collision", "cells where jobs of one server collide")

enum theme_role {
#define THEME_ROLE_ENUM(id, name, help) THEME_##id,
    THEME_ROLES(THEME_ROLE_ENUM)
#undef THEME_ROLE_ENUM
        THEME_NROLES
};

const char *theme_role_name(enum theme_role r);
const char *theme_role_help(enum theme_role r);
/* Role by its dotted name, or -1. */
int theme_role_lookup(const char *name);

/* A colour value. */
#define THEME_COLOR_INHERIT (-2) /* not given: take ui.normal's (the terminal's for ui.normal) */
#define THEME_COLOR_DEFAULT (-1) /* the terminal's own colour */
#define THEME_COLOR_RGB_FLAG 0x1000000 /* | 0xRRGGBB; 0..255 are palette indexes */
#define THEME_COLOR_IS_RGB(c) ((c) >= 0 && ((c) & THEME_COLOR_RGB_FLAG))

enum theme_attr {
    THEME_ATTR_BOLD = 1 << 0,
    THEME_ATTR_DIM = 1 << 1,
    THEME_ATTR_UNDERLINE = 1 << 2,
    THEME_ATTR_REVERSE = 1 << 3,
    THEME_ATTR_ITALIC = 1 << 4,
    THEME_ATTR_BLINK = 1 << 5,
    THEME_ATTR_STANDOUT = 1 << 6,
};

struct theme_style {
    int32_t fg, bg;  /* THEME_COLOR_* or 0..255 or RGB */
    unsigned attrs;  /* THEME_ATTR_* */
    bool has_attrs;  /* attrs were given (an overlay replaces the base's attrs) */
};

struct theme {
    char *name;
    struct theme_style roles[THEME_NROLES];
};

/* The built-in themes, compiled from themes/NAME.yaml: default, light, solarized-dark,
 * high-contrast, mono. */
extern const char *const theme_builtin_names[];
/* The YAML text of a built-in theme, or NULL. */
const char *theme_builtin_text(const char *name);

/* The built-in default theme (never fails short of memory: NULL then). */
struct theme *theme_new_default(void);
/* A copy of base with the YAML theme text laid over it. `file` names the text in
 * diagnostics. On error (*out untouched) d says FILE:LINE:COL and what was expected. */
int theme_parse(const struct theme *base, const char *file, const char *text, size_t len,
                struct theme **out, struct diag *d);
/* Resolve NAME|FILE: a value containing '/' or ending in ".yaml" is a file; otherwise
 * $XDG_CONFIG_HOME/clan-tui/themes/NAME.yaml (config_dir given by the caller, may be
 * NULL), then a built-in theme. The result is laid over the built-in default. */
int theme_load(const char *name_or_file, const char *config_dir, struct theme **out,
               struct diag *d);
struct theme *theme_dup(const struct theme *t);
void theme_free(struct theme *t);

/* The effective style of a role: colours not given are ui.normal's. */
struct theme_style theme_get(const struct theme *t, enum theme_role r);

/* Parse one colour word: a name (black, red, ..., bright-white, grey), colorN/colourN,
 * #rrggbb, #rgb or "default". Returns 0 or -EINVAL. */
int theme_color_parse(const char *s, int32_t *out);
/* Format a colour as the parser reads it (buf >= 16 bytes). */
void theme_color_format(int32_t c, char *buf, size_t n);
/* The colour to use on a terminal with `ncolors` colours (>= 256, 16, 8; < 8 means
 * none): a palette index, THEME_COLOR_DEFAULT, or -1 when none fits. #rrggbb and indexes
 * above the terminal's range go to the nearest colour it has. */
int theme_color_downgrade(int32_t c, int ncolors);
/* The RGB value of palette index 0..255 (xterm's palette). */
uint32_t theme_palette_rgb(int index);

/* ---- UTF-8 (key names here, text in the UI) ---- */
/* Decode one code point from s[0..len): its length in bytes, or 0 when the bytes there are
 * not valid UTF-8 (truncated, overlong, a surrogate, above U+10FFFF) or len is 0. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Encode cp (at most U+10FFFF) into out (4 bytes of room); returns the length. */
size_t utf8_encode(uint32_t cp, char *out);

/* ---- keys (abstract: the TUI maps them to curses key codes) ---- */
/* A key is a Unicode code point (control characters included: C-a is 1) or one of: */
#define KEYSYM_BASE 0x110000u
enum keysym {
    KEYSYM_ENTER = KEYSYM_BASE, KEYSYM_ESC, KEYSYM_TAB, KEYSYM_BACKTAB, KEYSYM_UP,
    KEYSYM_DOWN, KEYSYM_LEFT, KEYSYM_RIGHT, KEYSYM_PGUP, KEYSYM_PGDN, KEYSYM_HOME,
    KEYSYM_END, KEYSYM_BACKSPACE, KEYSYM_DELETE, KEYSYM_INSERT, KEYSYM_SPACE,
    KEYSYM_F1, /* ... F12 = KEYSYM_F1 + 11 */
    KEYSYM_LAST = KEYSYM_F1 + 11,
};
/* "j", "G", "?", "Enter", "Esc", "Tab", "S-Tab", "Up", "PgDn", "C-l", "^L", "F1", "Space".
 * Returns 0 or -EINVAL. */
int keyname_parse(const char *s, uint32_t *key);
/* The canonical name of a key (buf >= 16 bytes). */
void keyname_format(uint32_t key, char *buf, size_t n);

/* ---- keymap files ----
 * YAML mapping of action name to one key or a list of keys:
 *   move-down: [j, Down]
 *   quit: q
 *   help: []        # unbound
 * Action names are checked against `actions` (the TUI's list). */
struct keymap_entry {
    char *action;
    uint32_t *keys;
    size_t nkeys;
    unsigned line, col;
};
struct keymap {
    char *file;
    struct keymap_entry *v;
    size_t n;
};
int keymap_parse(const char *file, const char *text, size_t len, const char *const *actions,
                 size_t nactions, struct keymap **out, struct diag *d);
int keymap_load(const char *path, const char *const *actions, size_t nactions,
                struct keymap **out, struct diag *d);
void keymap_free(struct keymap *k);

/* ---- the UI config file: $XDG_CONFIG_HOME/clan-tui/config.yaml ----
 *   theme: solarized-dark        # a name or a file
 *   keymap: keys.yaml            # a file (relative to the config's directory), or a
 *                                # mapping as in a keymap file
 *   mouse: true
 *   line-drawing: auto | utf8 | ascii */
enum line_drawing { LINE_DRAWING_AUTO, LINE_DRAWING_UTF8, LINE_DRAWING_ASCII };
struct ui_config {
    char *file;
    char *theme;  /* NULL: default */
    unsigned theme_line, theme_col;
    struct keymap *keymap; /* NULL: none */
    int mouse;    /* -1 not set, 0, 1 */
    enum line_drawing line_drawing;
    long status_every; /* status-every: seconds between fleet status refreshes; -1 not set, 0 off */
};
/* The config file's path: $XDG_CONFIG_HOME/clan-tui/config.yaml, else
 * $HOME/.config/clan-tui/config.yaml (caller frees; NULL when neither is set). */
char *ui_config_path(void);
/* The directory of the config file (caller frees), or NULL. */
char *ui_config_dir(void);
struct ui_config *ui_config_new(void);
int ui_config_parse(const char *file, const char *text, size_t len, const char *const *actions,
                    size_t nactions, struct ui_config **out, struct diag *d);
/* A missing file gives an empty config (0); an unreadable or bad one an error. */
int ui_config_load(const char *path, const char *const *actions, size_t nactions,
                   struct ui_config **out, struct diag *d);
void ui_config_free(struct ui_config *c);

#endif
