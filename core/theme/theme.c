/* Theme files: roles, colours, the palette, layering over the built-in default. */
#include "core/theme.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/theme/builtin.h"
#include "core/theme/ytree.h"
#include "core/util.h"

static const char *const role_names[THEME_NROLES] = {
#define X(id, name, help) name,
    THEME_ROLES(X)
#undef X
};
static const char *const role_helps[THEME_NROLES] = {
#define X(id, name, help) help,
    THEME_ROLES(X)
#undef X
};

const char *theme_role_name(enum theme_role r)
{
    return (unsigned)r < THEME_NROLES ? role_names[r] : NULL;
}

const char *theme_role_help(enum theme_role r)
{
    return (unsigned)r < THEME_NROLES ? role_helps[r] : NULL;
}

int theme_role_lookup(const char *name)
{
    for (int i = 0; i < THEME_NROLES; i++)
        if (!strcmp(role_names[i], name))
            return i;
    return -1;
}

/* Is `prefix` an area (a proper prefix of some role followed by a dot)? */
static bool is_area(const char *prefix)
{
    size_t n = strlen(prefix);
    for (int i = 0; i < THEME_NROLES; i++)
        if (!strncmp(role_names[i], prefix, n) && role_names[i][n] == '.')
            return true;
    return false;
}

/* ---- colours ---- */

static const char *const color_names[16] = {
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright-black", "bright-red", "bright-green", "bright-yellow",
    "bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

static const uint32_t xterm16[16] = {
    0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd, 0x00cdcd, 0xe5e5e5,
    0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00, 0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff,
};
static const int cube_levels[6] = {0, 95, 135, 175, 215, 255};

uint32_t theme_palette_rgb(int i)
{
    if (i < 0 || i > 255)
        return 0;
    if (i < 16)
        return xterm16[i];
    if (i < 232) {
        int c = i - 16;
        return (uint32_t)(cube_levels[c / 36] << 16 | cube_levels[(c / 6) % 6] << 8 |
                          cube_levels[c % 6]);
    }
    int g = 8 + (i - 232) * 10;
    return (uint32_t)(g << 16 | g << 8 | g);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

int theme_color_parse(const char *s, int32_t *out)
{
    if (!s || !*s)
        return -EINVAL;
    if (!strcasecmp(s, "default")) {
        *out = THEME_COLOR_DEFAULT;
        return 0;
    }
    if (s[0] == '#') {
        size_t n = strlen(s + 1);
        if (n != 6 && n != 3)
            return -EINVAL;
        uint32_t v = 0;
        for (size_t i = 0; i < n; i++) {
            int h = hexval((unsigned char)s[1 + i]);
            if (h < 0)
                return -EINVAL;
            v = v << (n == 6 ? 4 : 8) | (uint32_t)(n == 6 ? h : h * 17);
        }
        *out = (int32_t)(THEME_COLOR_RGB_FLAG | v);
        return 0;
    }
    if (!strncasecmp(s, "color", 5) || !strncasecmp(s, "colour", 6)) {
        const char *p = s + (tolower((unsigned char)s[4]) == 'u' ? 6 : 5);
        if (!isdigit((unsigned char)*p) || strlen(p) > 3)
            return -EINVAL;
        char *end;
        long v = strtol(p, &end, 10);
        if (*end || v < 0 || v > 255)
            return -EINVAL;
        *out = (int32_t)v;
        return 0;
    }
    if (!strcasecmp(s, "grey") || !strcasecmp(s, "gray")) {
        *out = 8;
        return 0;
    }
    const char *base = s;
    int bright = 0;
    if (!strncasecmp(s, "bright", 6)) {
        bright = 8;
        base = s + 6;
        if (*base == '-' || *base == '_')
            base++;
    }
    for (int i = 0; i < 8; i++)
        if (!strcasecmp(base, color_names[i])) {
            *out = i + bright;
            return 0;
        }
    return -EINVAL;
}

void theme_color_format(int32_t c, char *buf, size_t n)
{
    if (c == THEME_COLOR_INHERIT)
        snprintf(buf, n, "inherit");
    else if (c == THEME_COLOR_DEFAULT)
        snprintf(buf, n, "default");
    else if (THEME_COLOR_IS_RGB(c))
        snprintf(buf, n, "#%06x", (unsigned)(c & 0xffffff));
    else if (c < 16)
        snprintf(buf, n, "%s", color_names[c]);
    else
        snprintf(buf, n, "color%d", (int)c);
}

static long rgb_dist(uint32_t a, uint32_t b)
{
    long dr = (long)((a >> 16) & 0xff) - (long)((b >> 16) & 0xff);
    long dg = (long)((a >> 8) & 0xff) - (long)((b >> 8) & 0xff);
    long db = (long)(a & 0xff) - (long)(b & 0xff);
    /* weights approximate how much each channel matters to the eye */
    return 2 * dr * dr + 4 * dg * dg + 3 * db * db;
}

static int nearest_in(uint32_t rgb, int from, int to)
{
    int best = from;
    long bd = LONG_MAX;
    for (int i = from; i < to; i++) {
        long dd = rgb_dist(rgb, theme_palette_rgb(i));
        if (dd < bd) {
            bd = dd;
            best = i;
        }
    }
    return best;
}

static int cube_index(int v)
{
    if (v < 48)
        return 0;
    if (v < 115)
        return 1;
    return (v - 35) / 40;
}

/* Nearest of the 240 colours above 15: the 6x6x6 cube or the grey ramp (like tmux). */
static int nearest_256(uint32_t rgb)
{
    int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
    int qr = cube_index(r), qg = cube_index(g), qb = cube_index(b);
    int cube = 16 + 36 * qr + 6 * qg + qb;
    int avg = (r + g + b) / 3;
    int gi = avg > 238 ? 23 : (avg < 3 ? 0 : (avg - 3) / 10);
    int grey = 232 + gi;
    return rgb_dist(rgb, theme_palette_rgb(grey)) < rgb_dist(rgb, theme_palette_rgb(cube)) ? grey
                                                                                           : cube;
}

int theme_color_downgrade(int32_t c, int ncolors)
{
    if (c < 0 || ncolors < 8)
        return THEME_COLOR_DEFAULT;
    uint32_t rgb;
    if (THEME_COLOR_IS_RGB(c)) {
        rgb = (uint32_t)c & 0xffffff;
        if (ncolors >= 256)
            return nearest_256(rgb);
    } else {
        if (c < ncolors)
            return c;
        rgb = theme_palette_rgb(c);
    }
    return nearest_in(rgb, 0, ncolors >= 16 ? 16 : 8);
}

/* ---- attributes ---- */

static const struct {
    const char *name;
    unsigned attr;
} attr_names[] = {
    {"bold", THEME_ATTR_BOLD},         {"dim", THEME_ATTR_DIM},
    {"underline", THEME_ATTR_UNDERLINE}, {"reverse", THEME_ATTR_REVERSE},
    {"italic", THEME_ATTR_ITALIC},     {"blink", THEME_ATTR_BLINK},
    {"standout", THEME_ATTR_STANDOUT}, {"normal", 0},
};

static int attr_parse(const char *s, unsigned *out)
{
    for (size_t i = 0; i < sizeof(attr_names) / sizeof(attr_names[0]); i++)
        if (!strcasecmp(s, attr_names[i].name)) {
            *out = attr_names[i].attr;
            return 0;
        }
    return -EINVAL;
}

/* ---- theme files ---- */

struct tparse {
    struct ydoc *doc;
    const struct ynode *palette; /* MAP or NULL */
    struct theme *t;
    struct diag *d;
};

static int color_word(struct tparse *p, const struct ynode *at, const char *w, int32_t *out)
{
    if (p->palette)
        for (size_t i = 0; i < p->palette->n; i++)
            if (!strcmp(p->palette->keys[i]->str, w)) {
                const struct ynode *v = p->palette->vals[i];
                if (theme_color_parse(v->str, out) == 0)
                    return 0;
                return ydoc_error(p->doc, v, p->d,
                                  "palette entry '%s' is not a colour: '%s'; expected a colour "
                                  "name, #rrggbb, colorN or default", w, v->str);
            }
    if (theme_color_parse(w, out) == 0)
        return 0;
    return ydoc_error(p->doc, at, p->d,
                      "unknown colour '%s'; expected a colour name (black, red, green, yellow, "
                      "blue, magenta, cyan, white, bright-...), #rrggbb, color0..color255, "
                      "default or a palette name", w);
}

static int attrs_words(struct tparse *p, const struct ynode *at, const char *s, unsigned *attrs)
{
    char *copy = strdup(s), *save = NULL;
    if (!copy)
        return diag_errno(p->d, -ENOMEM, p->doc->file, "out of memory");
    int r = 0;
    for (char *w = strtok_r(copy, " \t,", &save); w && r == 0; w = strtok_r(NULL, " \t,", &save)) {
        unsigned a;
        if (attr_parse(w, &a) < 0)
            r = ydoc_error(p->doc, at, p->d,
                           "unknown attribute '%s'; expected bold, dim, underline, reverse, "
                           "italic, blink, standout or normal", w);
        else
            *attrs |= a;
    }
    free(copy);
    return r;
}

/* "FG [on BG] [ATTR...]" in any order of attributes. */
static int style_scalar(struct tparse *p, const struct ynode *n, struct theme_style *st)
{
    struct theme_style s = {THEME_COLOR_INHERIT, THEME_COLOR_INHERIT, 0, true};
    char *copy = strdup(n->str), *save = NULL;
    if (!copy)
        return diag_errno(p->d, -ENOMEM, p->doc->file, "out of memory");
    int r = 0;
    bool have_fg = false, want_bg = false, have_bg = false;
    for (char *w = strtok_r(copy, " \t", &save); w && r == 0; w = strtok_r(NULL, " \t", &save)) {
        unsigned a;
        if (want_bg) {
            r = color_word(p, n, w, &s.bg);
            want_bg = false;
            have_bg = true;
        } else if (!strcasecmp(w, "on")) {
            if (have_bg)
                r = ydoc_error(p->doc, n, p->d, "two background colours in '%s'", n->str);
            want_bg = true;
        } else if (attr_parse(w, &a) == 0) {
            s.attrs |= a;
        } else if (!have_fg && !have_bg && s.attrs == 0) {
            r = color_word(p, n, w, &s.fg);
            have_fg = true;
        } else {
            r = ydoc_error(p->doc, n, p->d,
                           "unexpected '%s' in '%s'; expected FG [on BG] [bold|dim|underline|"
                           "reverse|italic|blink|standout...]", w, n->str);
        }
    }
    if (r == 0 && want_bg)
        r = ydoc_error(p->doc, n, p->d, "'on' without a colour in '%s'; expected 'on COLOUR'",
                       n->str);
    free(copy);
    if (r == 0)
        *st = s;
    return r;
}

static int style_node(struct tparse *p, const struct ynode *n, struct theme_style *st)
{
    if (n->type == YNODE_SCALAR)
        return style_scalar(p, n, st);
    if (n->type != YNODE_MAP)
        return ydoc_error(p->doc, n, p->d,
                          "a style is 'FG on BG ATTRS' or a mapping with fg, bg, attrs; not %s",
                          ynode_type_name(n->type));
    struct theme_style s = *st; /* a mapping changes only the fields it gives */
    for (size_t i = 0; i < n->n; i++) {
        const char *k = n->keys[i]->str;
        const struct ynode *v = n->vals[i];
        int r;
        if (!strcmp(k, "fg") || !strcmp(k, "bg")) {
            if (v->type != YNODE_SCALAR)
                return ydoc_error(p->doc, v, p->d, "'%s' must be a colour, not %s", k,
                                  ynode_type_name(v->type));
            r = color_word(p, v, v->str, !strcmp(k, "fg") ? &s.fg : &s.bg);
        } else if (!strcmp(k, "attrs")) {
            s.attrs = 0;
            s.has_attrs = true;
            if (v->type == YNODE_SCALAR) {
                r = attrs_words(p, v, v->str, &s.attrs);
            } else if (v->type == YNODE_SEQ) {
                r = 0;
                for (size_t j = 0; j < v->n && r == 0; j++) {
                    if (v->vals[j]->type != YNODE_SCALAR)
                        return ydoc_error(p->doc, v->vals[j], p->d, "an attribute must be a word");
                    r = attrs_words(p, v->vals[j], v->vals[j]->str, &s.attrs);
                }
            } else {
                return ydoc_error(p->doc, v, p->d, "'attrs' must be a word or a list of words");
            }
        } else {
            return ydoc_error(p->doc, n->keys[i], p->d,
                              "unknown style key '%s'; expected fg, bg or attrs", k);
        }
        if (r < 0)
            return r;
    }
    *st = s;
    return 0;
}

static int walk_roles(struct tparse *p, const struct ynode *map, const char *prefix)
{
    for (size_t i = 0; i < map->n; i++) {
        const struct ynode *k = map->keys[i], *v = map->vals[i];
        char path[256];
        if (prefix)
            snprintf(path, sizeof(path), "%s.%s", prefix, k->str);
        else
            snprintf(path, sizeof(path), "%s", k->str);
        if (!prefix && (!strcmp(path, "palette") || !strcmp(path, "name") ||
                        !strcmp(path, "description") || !strcmp(path, "base")))
            continue;
        int role = theme_role_lookup(path);
        if (role >= 0) {
            int r = style_node(p, v, &p->t->roles[role]);
            if (r < 0)
                return r;
        } else if (is_area(path)) {
            if (v->type != YNODE_MAP)
                return ydoc_error(p->doc, v, p->d,
                                  "'%s' is a group of roles; expected a mapping of role names", path);
            int r = walk_roles(p, v, path);
            if (r < 0)
                return r;
        } else {
            struct buf b = {0};
            size_t plen = prefix ? strlen(prefix) : 0;
            int shown = 0;
            for (int j = 0; j < THEME_NROLES; j++) {
                const char *rn = role_names[j];
                if (prefix && (strncmp(rn, prefix, plen) || rn[plen] != '.'))
                    continue;
                const char *tail = prefix ? rn + plen + 1 : rn;
                size_t seg = strcspn(tail, ".");
                if (!prefix) { /* list areas once */
                    bool seen = false;
                    for (int q = 0; q < j && !seen; q++)
                        seen = !strncmp(role_names[q], rn, seg) && role_names[q][seg] == '.';
                    if (seen)
                        continue;
                }
                buf_printf(&b, "%s%.*s", shown++ ? ", " : "", (int)seg, tail);
            }
            int r = ydoc_error(p->doc, k, p->d, "unknown %s '%s'; expected %s%s",
                               prefix ? "role" : "area", path,
                               prefix ? "one of: " : "palette, name, base or an area: ",
                               b.p ? b.p : "");
            buf_free(&b);
            return r;
        }
    }
    return 0;
}

static struct theme *theme_blank(void)
{
    struct theme *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    for (int i = 0; i < THEME_NROLES; i++)
        t->roles[i] = (struct theme_style){THEME_COLOR_INHERIT, THEME_COLOR_INHERIT, 0, false};
    return t;
}

struct theme *theme_dup(const struct theme *t)
{
    struct theme *c = malloc(sizeof(*c));
    if (!c)
        return NULL;
    *c = *t;
    c->name = t->name ? strdup(t->name) : NULL;
    if (t->name && !c->name) {
        free(c);
        return NULL;
    }
    return c;
}

void theme_free(struct theme *t)
{
    if (!t)
        return;
    free(t->name);
    free(t);
}

static int parse_over(const struct theme *base, const char *file, const char *text, size_t len,
                      int base_depth, struct theme **out, struct diag *d);

int theme_parse(const struct theme *base, const char *file, const char *text, size_t len,
                struct theme **out, struct diag *d)
{
    return parse_over(base, file, text, len, 0, out, d);
}

static int parse_over(const struct theme *base, const char *file, const char *text, size_t len,
                      int base_depth, struct theme **out, struct diag *d)
{
    struct ydoc *doc = NULL;
    int r = ydoc_parse(file, text, len, &doc, d);
    if (r < 0)
        return r;
    struct tparse p = {.doc = doc, .d = d};
    const struct ynode *root = doc->root;
    struct theme *own_base = NULL;
    if (root && root->type == YNODE_SCALAR && root->plain && (!*root->str || !strcmp(root->str, "~")))
        root = NULL; /* an empty file: the base unchanged */
    if (root && root->type != YNODE_MAP) {
        r = ydoc_error(doc, root, d, "a theme is a mapping (palette, then areas such as ui, "
                                     "tree, status), not %s", ynode_type_name(root->type));
        goto out;
    }
    for (size_t i = 0; root && i < root->n; i++) {
        const char *k = root->keys[i]->str;
        const struct ynode *v = root->vals[i];
        if (!strcmp(k, "palette")) {
            if (v->type != YNODE_MAP) {
                r = ydoc_error(doc, v, d, "'palette' must be a mapping of name: colour");
                goto out;
            }
            for (size_t j = 0; j < v->n; j++) {
                int32_t c;
                if (v->vals[j]->type != YNODE_SCALAR || theme_color_parse(v->vals[j]->str, &c) < 0) {
                    r = ydoc_error(doc, v->vals[j], d,
                                   "palette entry '%s' is not a colour; expected a colour name, "
                                   "#rrggbb, colorN or default", v->keys[j]->str);
                    goto out;
                }
            }
            p.palette = v;
        } else if (!strcmp(k, "name") || !strcmp(k, "description")) {
            if (v->type != YNODE_SCALAR) {
                r = ydoc_error(doc, v, d, "'%s' must be text", k);
                goto out;
            }
        } else if (!strcmp(k, "base")) {
            const char *bt = v->type == YNODE_SCALAR ? theme_builtin_text(v->str) : NULL;
            if (!bt) {
                r = ydoc_error(doc, v, d, "unknown base theme; expected a built-in theme name");
                goto out;
            }
            if (base_depth > 2) {
                r = ydoc_error(doc, v, d, "built-in themes based on each other too deeply");
                goto out;
            }
            struct theme *def = theme_new_default();
            if (!def) {
                r = diag_errno(d, -ENOMEM, file, "out of memory");
                goto out;
            }
            char bfile[64];
            snprintf(bfile, sizeof(bfile), "themes/%s.yaml", v->str);
            r = parse_over(def, bfile, bt, strlen(bt), base_depth + 1, &own_base, d);
            theme_free(def);
            if (r < 0)
                goto out;
            base = own_base;
        }
    }
    p.t = base ? theme_dup(base) : theme_blank();
    if (!p.t) {
        r = diag_errno(d, -ENOMEM, file, "out of memory");
        goto out;
    }
    if (root)
        r = walk_roles(&p, root, NULL);
    if (r == 0) { /* the theme's own name, not its base's */
        const struct ynode *nm = NULL;
        for (size_t i = 0; root && i < root->n; i++)
            if (!strcmp(root->keys[i]->str, "name"))
                nm = root->vals[i];
        free(p.t->name);
        p.t->name = nm ? strdup(nm->str) : NULL;
    }
out:
    theme_free(own_base);
    ydoc_free(doc);
    if (r < 0) {
        theme_free(p.t);
        return r;
    }
    *out = p.t;
    return 0;
}

struct theme *theme_new_default(void)
{
    const char *text = theme_builtin_text("default");
    struct theme *base = theme_blank(), *t = NULL;
    struct diag d = {0};
    if (base && text)
        parse_over(base, "themes/default.yaml", text, strlen(text), 1, &t, &d);
    theme_free(base);
    diag_clear(&d);
    return t;
}

const char *theme_builtin_text(const char *name)
{
    for (size_t i = 0; theme_builtins[i].name; i++)
        if (!strcmp(theme_builtins[i].name, name))
            return theme_builtins[i].text;
    return NULL;
}

static bool theme_name_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
            return false;
    return true;
}

int theme_load(const char *spec, const char *config_dir, struct theme **out, struct diag *d)
{
    size_t n = strlen(spec);
    bool is_file = strchr(spec, '/') || (n > 5 && !strcmp(spec + n - 5, ".yaml")) ||
                   (n > 4 && !strcmp(spec + n - 4, ".yml"));
    char *path = NULL;
    if (!is_file && !theme_name_ok(spec))
        return diag_set(d, DIAG_ERROR, NULL, 0, 0,
                        "invalid theme name '%s'; expected a name such as solarized-dark or a "
                        "file ending in .yaml", spec);
    if (is_file) {
        path = strdup(spec);
    } else if (config_dir) {
        if (asprintf(&path, "%s/themes/%s.yaml", config_dir, spec) < 0)
            path = NULL;
        else if (access(path, F_OK) != 0) {
            free(path);
            path = NULL;
        }
    }
    struct theme *def = theme_new_default();
    if (!def) {
        free(path);
        return diag_errno(d, -ENOMEM, spec, "out of memory");
    }
    int r;
    if (path) {
        char *text = NULL;
        size_t len = 0;
        r = file_read(path, &text, &len, NULL, d);
        if (r == 0)
            r = theme_parse(def, path, text, len, out, d);
        if (r == 0 && !(*out)->name) {
            const char *slash = strrchr(spec, '/');
            (*out)->name = strdup(slash ? slash + 1 : spec);
        }
        free(text);
    } else {
        const char *text = theme_builtin_text(spec);
        if (!text) {
            struct buf b = {0};
            for (size_t i = 0; theme_builtin_names[i]; i++)
                buf_printf(&b, "%s%s", i ? ", " : "", theme_builtin_names[i]);
            r = diag_set(d, DIAG_ERROR, NULL, 0, 0,
                         "unknown theme '%s'; expected a file or one of: %s", spec,
                         b.p ? b.p : "");
            buf_free(&b);
        } else {
            char file[80];
            snprintf(file, sizeof(file), "themes/%s.yaml", spec);
            r = theme_parse(def, file, text, strlen(text), out, d);
        }
    }
    free(path);
    theme_free(def);
    return r;
}

struct theme_style theme_get(const struct theme *t, enum theme_role r)
{
    struct theme_style s = t->roles[r], base = t->roles[THEME_UI_NORMAL];
    if (s.fg == THEME_COLOR_INHERIT)
        s.fg = base.fg == THEME_COLOR_INHERIT ? THEME_COLOR_DEFAULT : base.fg;
    if (s.bg == THEME_COLOR_INHERIT)
        s.bg = base.bg == THEME_COLOR_INHERIT ? THEME_COLOR_DEFAULT : base.bg;
    return s;
}
