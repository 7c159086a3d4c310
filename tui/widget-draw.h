/* Drawing primitives shared by every view: themed attributes, UTF-8 text clipped to a
 * width, boxes, and the line-drawing table (UTF-8 or ASCII). */
#ifndef CLAN_TUI_WIDGET_DRAW_H
#define CLAN_TUI_WIDGET_DRAW_H

#include "tui/lazycurses.h"
#include <stdbool.h>
#include <stddef.h>

#include "core/theme.h"

struct glyphs {
    const char *h, *v, *tl, *tr, *bl, *br; /* box */
    const char *open, *closed, *leaf;      /* tree markers, one column each */
    const char *ellipsis, *arrow, *dot, *bullet;
    bool ascii;
};
extern const struct glyphs glyphs_utf8, glyphs_ascii;

struct ui {
    WINDOW *win;
    const struct glyphs *g;
    bool utf8;          /* the locale can show UTF-8 */
    int ncolors;        /* colours in use: 0 (attributes only), 8, 16 or 256 */
    attr_t attr[THEME_NROLES];
};

/* Map the theme to curses attributes and colour pairs for `ncolors` colours (0: none). */
void ui_set_theme(struct ui *ui, const struct theme *t, int ncolors);
/* Display width of UTF-8 text as ui_text would draw it. */
int ui_width(const struct ui *ui, const char *s);
int ui_widthn(const struct ui *ui, const char *s, size_t len);
/* Draw at most w columns of s at (y, x); text that does not fit ends in the ellipsis.
 * Control characters and (in ASCII mode) non-ASCII show as '?'. Returns columns used. */
int ui_text(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s);
int ui_textn(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s, size_t len);
/* Blank w columns. */
void ui_fill(struct ui *ui, int y, int x, int w, enum theme_role role);
/* A box with a title in its top border. */
void ui_box(struct ui *ui, int y, int x, int h, int w, enum theme_role border,
            enum theme_role title_role, const char *title);
/* Add extra attributes (e.g. the selection) to a drawn span. */
void ui_overlay_attr(struct ui *ui, int y, int x, int w, enum theme_role role);

/* The first row to show of n rows in h so that row sel is on screen: the least scrolling
 * when the selection moves; for a search match (jump) off screen, the match on the top row
 * with the rows after it, as less places a match (at the end, the screen stays full). */
size_t ui_scroll_top(size_t top, size_t sel, size_t n, int h, bool jump);

#endif
