/* Drawing primitives: themed text, clipping, boxes. */
#include "tui/widget-draw.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

const struct glyphs glyphs_utf8 = {
    "\u2500", "\u2502", "\u250c", "\u2510", "\u2514", "\u2518",
    "\u25be", "\u25b8", " ", "\u2026", "\u2192", "\u00b7", "\u2022", false,
};
const struct glyphs glyphs_ascii = {
    "-", "|", "+", "+", "+", "+", "v", ">", " ", "~", ">", ".", "*", true,
};

static attr_t attrs_of(unsigned a)
{
    attr_t r = A_NORMAL;
    if (a & THEME_ATTR_BOLD)
        r |= A_BOLD;
    if (a & THEME_ATTR_DIM)
        r |= A_DIM;
    if (a & THEME_ATTR_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & THEME_ATTR_REVERSE)
        r |= A_REVERSE;
    if (a & THEME_ATTR_ITALIC)
        r |= A_ITALIC;
    if (a & THEME_ATTR_BLINK)
        r |= A_BLINK;
    if (a & THEME_ATTR_STANDOUT)
        r |= A_STANDOUT;
    return r;
}

void ui_set_theme(struct ui *ui, const struct theme *t, int ncolors)
{
    ui->ncolors = ncolors;
    for (int r = 0; r < THEME_NROLES; r++) {
        struct theme_style s = theme_get(t, (enum theme_role)r);
        ui->attr[r] = attrs_of(s.attrs);
        if (ncolors >= 8 && r + 1 < COLOR_PAIRS) {
            int fg = theme_color_downgrade(s.fg, ncolors);
            int bg = theme_color_downgrade(s.bg, ncolors);
            init_pair((short)(r + 1), (short)fg, (short)bg);
            ui->attr[r] |= COLOR_PAIR(r + 1);
        }
    }
}

/* Next code point of s[0..len); returns bytes consumed (>= 1); invalid bytes give '?'. */
static size_t next_cp(const char *s, size_t len, wchar_t *out)
{
    uint32_t cp;
    size_t n = utf8_decode(s, len, &cp);
    *out = n ? (wchar_t)cp : '?';
    return n ? n : 1;
}

/* The character and width actually drawn for c. */
static wchar_t shown(const struct ui *ui, wchar_t c, int *w)
{
    if (c == '\t')
        c = ' ';
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || (ui->g->ascii && c >= 0x80)) {
        *w = 1;
        return '?';
    }
    int cw = c < 0x80 ? 1 : wcwidth(c);
    if (cw < 0) {
        *w = 1;
        return '?';
    }
    *w = cw;
    return c;
}

int ui_widthn(const struct ui *ui, const char *s, size_t len)
{
    int total = 0;
    for (size_t i = 0; i < len && s[i];) {
        wchar_t c;
        int w;
        i += next_cp(s + i, len - i, &c);
        shown(ui, c, &w);
        total += w;
    }
    return total;
}

int ui_width(const struct ui *ui, const char *s)
{
    return s ? ui_widthn(ui, s, strlen(s)) : 0;
}

int ui_textn(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s, size_t len)
{
    if (w <= 0 || !s)
        return 0;
    int total = ui_widthn(ui, s, len);
    int ell = ui_width(ui, ui->g->ellipsis);
    int limit = total <= w ? w : w - ell; /* room for the text when it must be cut */
    wchar_t buf[256];
    int nb = 0, used = 0;
    wattrset(ui->win, ui->attr[role]);
    wmove(ui->win, y, x);
    for (size_t i = 0; i < len && s[i];) {
        wchar_t c;
        int cw;
        i += next_cp(s + i, len - i, &c);
        c = shown(ui, c, &cw);
        if (cw == 0)
            continue; /* combining marks: dropped rather than mis-measured */
        if (used + cw > limit)
            break;
        buf[nb++] = c;
        used += cw;
        if (nb == (int)(sizeof(buf) / sizeof(buf[0]))) {
            waddnwstr(ui->win, buf, nb);
            nb = 0;
        }
    }
    if (nb)
        waddnwstr(ui->win, buf, nb);
    if (total > w && used + ell <= w) {
        waddstr(ui->win, ui->g->ellipsis);
        used += ell;
    }
    return used;
}

int ui_text(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s)
{
    return s ? ui_textn(ui, y, x, w, role, s, strlen(s)) : 0;
}

void ui_fill(struct ui *ui, int y, int x, int w, enum theme_role role)
{
    if (w <= 0)
        return;
    wattrset(ui->win, ui->attr[role]);
    mvwhline(ui->win, y, x, ' ', w);
}

void ui_overlay_attr(struct ui *ui, int y, int x, int w, enum theme_role role)
{
    if (w <= 0)
        return;
    attr_t a = ui->attr[role];
    short pair = (short)PAIR_NUMBER(a);
    mvwchgat(ui->win, y, x, w, a & ~A_COLOR, pair, NULL);
}

void ui_box(struct ui *ui, int y, int x, int h, int w, enum theme_role border,
            enum theme_role title_role, const char *title)
{
    if (h < 2 || w < 2)
        return;
    const struct glyphs *g = ui->g;
    wattrset(ui->win, ui->attr[border]);
    mvwaddstr(ui->win, y, x, g->tl);
    for (int i = 1; i < w - 1; i++)
        waddstr(ui->win, g->h);
    waddstr(ui->win, g->tr);
    for (int r = 1; r < h - 1; r++) {
        mvwaddstr(ui->win, y + r, x, g->v);
        mvwaddstr(ui->win, y + r, x + w - 1, g->v);
    }
    mvwaddstr(ui->win, y + h - 1, x, g->bl);
    for (int i = 1; i < w - 1; i++)
        waddstr(ui->win, g->h);
    waddstr(ui->win, g->br);
    if (title && *title && w > 6) {
        ui_text(ui, y, x + 1, 1, border, " ");
        int used = ui_text(ui, y, x + 2, w - 5, title_role, title);
        ui_text(ui, y, x + 2 + used, 1, border, " ");
    }
}

size_t ui_scroll_top(size_t top, size_t sel, size_t n, int h, bool jump)
{
    if (h <= 0)
        return top;
    size_t rows = (size_t)h;
    if (jump && (sel < top || sel >= top + rows))
        return n <= rows ? 0 : sel < n - rows ? sel : n - rows;
    if (sel < top)
        top = sel;
    if (sel >= top + rows)
        top = sel - rows + 1;
    return top;
}
