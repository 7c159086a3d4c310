/* Key names, keymap files and the UI config file. */
#include "core/theme.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/theme/ytree.h"
#include "core/util.h"

static const struct {
    const char *name;
    uint32_t key;
} key_names[] = {
    {"Enter", KEYSYM_ENTER},   {"Return", KEYSYM_ENTER},  {"Esc", KEYSYM_ESC},
    {"Escape", KEYSYM_ESC},    {"Tab", KEYSYM_TAB},       {"S-Tab", KEYSYM_BACKTAB},
    {"BackTab", KEYSYM_BACKTAB}, {"Up", KEYSYM_UP},       {"Down", KEYSYM_DOWN},
    {"Left", KEYSYM_LEFT},     {"Right", KEYSYM_RIGHT},   {"PgUp", KEYSYM_PGUP},
    {"PageUp", KEYSYM_PGUP},   {"PgDn", KEYSYM_PGDN},     {"PageDown", KEYSYM_PGDN},
    {"Home", KEYSYM_HOME},     {"End", KEYSYM_END},       {"Backspace", KEYSYM_BACKSPACE},
    {"Delete", KEYSYM_DELETE}, {"Del", KEYSYM_DELETE},    {"Insert", KEYSYM_INSERT},
    {"Space", KEYSYM_SPACE},
};

size_t utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;
    uint32_t c;
    if (len == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    } else if ((u[0] & 0xe0) == 0xc0) {
        n = 2;
        c = u[0] & 0x1f;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3;
        c = u[0] & 0x0f;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4;
        c = u[0] & 0x07;
    } else {
        return 0;
    }
    if (n > len)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (u[i] & 0x3f);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

size_t utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    } else if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    } else if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

int keyname_parse(const char *s, uint32_t *key)
{
    if (!s || !*s)
        return -EINVAL;
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (!strcasecmp(s, key_names[i].name)) {
            *key = key_names[i].key;
            return 0;
        }
    if ((s[0] == 'F' || s[0] == 'f') && s[1] >= '1' && s[1] <= '9') {
        char *end;
        long n = strtol(s + 1, &end, 10);
        if (!*end && n >= 1 && n <= 12) {
            *key = KEYSYM_F1 + (uint32_t)(n - 1);
            return 0;
        }
    }
    /* C-x, Ctrl-x, ^X: control characters */
    const char *c = NULL;
    if ((s[0] == 'C' || s[0] == 'c') && s[1] == '-' && s[2] && !s[3])
        c = s + 2;
    else if (!strncasecmp(s, "Ctrl-", 5) && s[5] && !s[6])
        c = s + 5;
    else if (s[0] == '^' && s[1] && !s[2])
        c = s + 1;
    if (c) {
        char ch = *c;
        if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        if (ch >= '@' && ch <= '_') {
            *key = (uint32_t)(ch - '@');
            return 0;
        }
        return -EINVAL;
    }
    uint32_t cp = 0;
    size_t n = utf8_decode(s, strlen(s), &cp);
    if (n == 0 || cp == 0 || s[n] || cp < 0x20 || cp == 0x7f)
        return -EINVAL;
    *key = cp == ' ' ? KEYSYM_SPACE : cp;
    return 0;
}

void keyname_format(uint32_t key, char *buf, size_t n)
{
    static const char *const sym[] = {"Enter", "Esc", "Tab", "S-Tab", "Up", "Down", "Left",
                                      "Right", "PgUp", "PgDn", "Home", "End", "Backspace",
                                      "Delete", "Insert", "Space"};
    if (key >= KEYSYM_F1 && key <= KEYSYM_LAST)
        snprintf(buf, n, "F%u", key - KEYSYM_F1 + 1);
    else if (key >= KEYSYM_BASE && key - KEYSYM_BASE < sizeof(sym) / sizeof(sym[0]))
        snprintf(buf, n, "%s", sym[key - KEYSYM_BASE]);
    else if (key == 27)
        snprintf(buf, n, "Esc");
    else if (key == 9)
        snprintf(buf, n, "Tab");
    else if (key == 13 || key == 10)
        snprintf(buf, n, "Enter");
    else if (key < 0x20)
        snprintf(buf, n, "C-%c", (char)(key + 'a' - 1));
    else if (key == ' ')
        snprintf(buf, n, "Space");
    else if (key < KEYSYM_BASE && n > 4) {
        size_t len = utf8_encode(key, buf);
        buf[len] = 0;
    }
    else
        snprintf(buf, n, "?");
}

/* ---- keymaps ---- */

void keymap_free(struct keymap *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->v[i].action);
        free(k->v[i].keys);
    }
    free(k->v);
    free(k->file);
    free(k);
}

static int key_of_node(struct ydoc *doc, const struct ynode *n, uint32_t *key, struct diag *d)
{
    if (n->type != YNODE_SCALAR)
        return ydoc_error(doc, n, d, "a key must be a name such as j, G, Enter, C-l or PgDn, not %s",
                          ynode_type_name(n->type));
    if (keyname_parse(n->str, key) < 0)
        return ydoc_error(doc, n, d,
                          "unknown key '%s'; expected one character, C-x, F1..F12 or one of "
                          "Enter, Esc, Tab, S-Tab, Up, Down, Left, Right, PgUp, PgDn, Home, End, "
                          "Backspace, Delete, Insert, Space", n->str);
    return 0;
}

static int keymap_from_node(struct ydoc *doc, const struct ynode *map, const char *const *actions,
                            size_t nactions, struct keymap **out, struct diag *d)
{
    struct keymap *k = calloc(1, sizeof(*k));
    if (!k || !(k->file = strdup(doc->file))) {
        free(k);
        return diag_errno(d, -ENOMEM, doc->file, "out of memory");
    }
    int r = 0;
    if (map && map->type != YNODE_MAP) {
        r = ydoc_error(doc, map, d, "a keymap is a mapping of action: key or [keys], not %s",
                       ynode_type_name(map->type));
        goto out;
    }
    if (map && map->n) {
        k->v = calloc(map->n, sizeof(*k->v));
        if (!k->v) {
            r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
            goto out;
        }
    }
    for (size_t i = 0; map && i < map->n; i++) {
        const struct ynode *an = map->keys[i], *v = map->vals[i];
        bool known = false;
        for (size_t j = 0; j < nactions && !known; j++)
            known = !strcmp(actions[j], an->str);
        if (!known) {
            struct buf b = {0};
            for (size_t j = 0; j < nactions; j++)
                buf_printf(&b, "%s%s", j ? ", " : "", actions[j]);
            r = ydoc_error(doc, an, d, "unknown action '%s'; expected one of: %s", an->str,
                           b.p ? b.p : "");
            buf_free(&b);
            goto out;
        }
        struct keymap_entry *e = &k->v[k->n++];
        e->line = an->line;
        e->col = an->col;
        if (!(e->action = strdup(an->str))) {
            r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
            goto out;
        }
        size_t nk = v->type == YNODE_SEQ ? v->n : 1;
        bool none = v->type == YNODE_SCALAR && v->plain &&
                    (!*v->str || !strcmp(v->str, "~") || !strcasecmp(v->str, "none"));
        if (none)
            nk = 0;
        if (v->type == YNODE_MAP) {
            r = ydoc_error(doc, v, d, "'%s' takes a key or a list of keys, not a mapping", an->str);
            goto out;
        }
        if (nk && !(e->keys = calloc(nk, sizeof(*e->keys)))) {
            r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
            goto out;
        }
        for (size_t j = 0; j < nk; j++) {
            r = key_of_node(doc, v->type == YNODE_SEQ ? v->vals[j] : v, &e->keys[j], d);
            if (r < 0)
                goto out;
            e->nkeys++;
        }
    }
out:
    if (r < 0) {
        keymap_free(k);
        return r;
    }
    *out = k;
    return 0;
}

static bool node_is_null(const struct ynode *n)
{
    return !n || (n->type == YNODE_SCALAR && n->plain && (!*n->str || !strcmp(n->str, "~") ||
                                                          !strcmp(n->str, "null")));
}

int keymap_parse(const char *file, const char *text, size_t len, const char *const *actions,
                 size_t nactions, struct keymap **out, struct diag *d)
{
    struct ydoc *doc = NULL;
    int r = ydoc_parse(file, text, len, &doc, d);
    if (r < 0)
        return r;
    r = keymap_from_node(doc, node_is_null(doc->root) ? NULL : doc->root, actions, nactions, out, d);
    ydoc_free(doc);
    return r;
}

int keymap_load(const char *path, const char *const *actions, size_t nactions,
                struct keymap **out, struct diag *d)
{
    char *text = NULL;
    size_t len = 0;
    int r = file_read(path, &text, &len, NULL, d);
    if (r == 0)
        r = keymap_parse(path, text, len, actions, nactions, out, d);
    free(text);
    return r;
}

/* ---- config ---- */

char *ui_config_dir(void)
{
    const char *x = getenv("XDG_CONFIG_HOME");
    char *p = NULL;
    if (x && *x == '/') {
        if (asprintf(&p, "%s/clan-tui", x) < 0)
            return NULL;
        return p;
    }
    const char *h = getenv("HOME");
    if (h && *h) {
        if (asprintf(&p, "%s/.config/clan-tui", h) < 0)
            return NULL;
        return p;
    }
    return NULL;
}

char *ui_config_path(void)
{
    char *dir = ui_config_dir(), *p = NULL;
    if (dir && asprintf(&p, "%s/config.yaml", dir) < 0)
        p = NULL;
    free(dir);
    return p;
}

struct ui_config *ui_config_new(void)
{
    struct ui_config *c = calloc(1, sizeof(*c));
    if (c)
        c->mouse = c->status_every = -1;
    return c;
}

void ui_config_free(struct ui_config *c)
{
    if (!c)
        return;
    free(c->file);
    free(c->theme);
    keymap_free(c->keymap);
    free(c);
}

int ui_config_parse(const char *file, const char *text, size_t len, const char *const *actions,
                    size_t nactions, struct ui_config **out, struct diag *d)
{
    struct ydoc *doc = NULL;
    int r = ydoc_parse(file, text, len, &doc, d);
    if (r < 0)
        return r;
    struct ui_config *c = ui_config_new();
    if (!c || !(c->file = strdup(doc->file))) {
        r = diag_errno(d, -ENOMEM, file, "out of memory");
        goto out;
    }
    const struct ynode *root = node_is_null(doc->root) ? NULL : doc->root;
    if (root && root->type != YNODE_MAP) {
        r = ydoc_error(doc, root, d, "the config is a mapping (theme, keymap, mouse, "
                                     "line-drawing, status-every), not %s",
                       ynode_type_name(root->type));
        goto out;
    }
    for (size_t i = 0; root && i < root->n; i++) {
        const char *k = root->keys[i]->str;
        const struct ynode *v = root->vals[i];
        if (!strcmp(k, "theme")) {
            if (v->type != YNODE_SCALAR || !*v->str) {
                r = ydoc_error(doc, v, d, "'theme' must be a theme name or a file");
                goto out;
            }
            free(c->theme);
            if (!(c->theme = strdup(v->str))) {
                r = diag_errno(d, -ENOMEM, file, "out of memory");
                goto out;
            }
            c->theme_line = v->line;
            c->theme_col = v->col;
        } else if (!strcmp(k, "keymap")) {
            if (v->type == YNODE_SCALAR && !node_is_null(v)) {
                char *path = NULL;
                const char *slash = strrchr(doc->file, '/');
                if (v->str[0] == '/' || !slash)
                    path = strdup(v->str);
                else if (asprintf(&path, "%.*s/%s", (int)(slash - doc->file), doc->file, v->str) < 0)
                    path = NULL;
                if (!path) {
                    r = diag_errno(d, -ENOMEM, file, "out of memory");
                    goto out;
                }
                r = keymap_load(path, actions, nactions, &c->keymap, d);
                if (r < 0 && d->line == 0) { /* cannot read: point at the config entry */
                    char *msg = d->msg ? strdup(d->msg) : NULL;
                    ydoc_error(doc, v, d, "keymap: %s", msg ? msg : "cannot read");
                    free(msg);
                }
                free(path);
                if (r < 0)
                    goto out;
            } else if (v->type == YNODE_MAP || node_is_null(v)) {
                r = keymap_from_node(doc, node_is_null(v) ? NULL : v, actions, nactions,
                                     &c->keymap, d);
                if (r < 0)
                    goto out;
            } else {
                r = ydoc_error(doc, v, d, "'keymap' must be a file name or a mapping of "
                                          "action: keys");
                goto out;
            }
        } else if (!strcmp(k, "mouse")) {
            int b = ynode_bool(v);
            if (b < 0) {
                r = ydoc_error(doc, v, d, "'mouse' must be true or false");
                goto out;
            }
            c->mouse = b;
        } else if (!strcmp(k, "line-drawing")) {
            if (v->type == YNODE_SCALAR && !strcmp(v->str, "auto"))
                c->line_drawing = LINE_DRAWING_AUTO;
            else if (v->type == YNODE_SCALAR && (!strcasecmp(v->str, "utf8") || !strcasecmp(v->str, "utf-8")))
                c->line_drawing = LINE_DRAWING_UTF8;
            else if (v->type == YNODE_SCALAR && !strcasecmp(v->str, "ascii"))
                c->line_drawing = LINE_DRAWING_ASCII;
            else {
                r = ydoc_error(doc, v, d, "'line-drawing' must be auto, utf8 or ascii");
                goto out;
            }
        } else if (!strcmp(k, "status-every")) {
            char *end = NULL;
            long n = v->type == YNODE_SCALAR && *v->str ? strtol(v->str, &end, 10) : -1;
            if (!end || *end || n < 0 || n > 86400) {
                r = ydoc_error(doc, v, d, "'status-every' must be the seconds between fleet "
                                          "status refreshes, 0 (off) to 86400");
                goto out;
            }
            c->status_every = n;
        } else {
            r = ydoc_error(doc, root->keys[i], d,
                           "unknown setting '%s'; expected theme, keymap, mouse, line-drawing "
                           "or status-every", k);
            goto out;
        }
    }
out:
    ydoc_free(doc);
    if (r < 0) {
        ui_config_free(c);
        return r;
    }
    *out = c;
    return 0;
}

int ui_config_load(const char *path, const char *const *actions, size_t nactions,
                   struct ui_config **out, struct diag *d)
{
    char *text = NULL;
    size_t len = 0;
    struct diag rd = {0};
    int r = file_read(path, &text, &len, NULL, &rd);
    if (r == -ENOENT) {
        diag_clear(&rd);
        struct ui_config *c = ui_config_new();
        if (!c)
            return diag_errno(d, -ENOMEM, path, "out of memory");
        *out = c;
        return 0;
    }
    if (r < 0) {
        diag_move(d, &rd);
        return r;
    }
    r = ui_config_parse(path, text, len, actions, nactions, out, d);
    free(text);
    return r;
}
