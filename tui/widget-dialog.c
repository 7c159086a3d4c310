/* Dialog frames and key-hint rows. */
#include "tui/widget-dialog.h"

struct rect dialog_frame(struct ui *ui, int H, int W, int want_h, int want_w, const char *title)
{
    int h = want_h > H - 2 ? H - 2 : want_h, w = want_w > W - 2 ? W - 2 : want_w;
    if (h < 3)
        h = H < 3 ? H : 3;
    if (w < 10)
        w = W < 10 ? W : 10;
    int y = (H - h) / 2, x = (W - w) / 2;
    for (int r = 0; r < h; r++)
        ui_fill(ui, y + r, x, w, THEME_DIALOG_NORMAL);
    ui_box(ui, y, x, h, w, THEME_DIALOG_BORDER, THEME_DIALOG_TITLE, title);
    return (struct rect){y + 1, x + 2, h - 2, w - 4};
}

int dialog_text(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s)
{
    if (w <= 0)
        return 0;
    return ui_text(ui, y, x, w, role, s);
}

int dialog_hints(struct ui *ui, int y, int x, int w, const char *const *pairs)
{
    int c = 0;
    for (; pairs[0] && pairs[1]; pairs += 2) {
        int need = ui_width(ui, pairs[0]) + 1 + ui_width(ui, pairs[1]);
        if (c + need > w)
            break;
        c += ui_text(ui, y, x + c, w - c, THEME_DIALOG_KEY, pairs[0]);
        c += ui_text(ui, y, x + c, w - c, THEME_DIALOG_NORMAL, " ");
        c += ui_text(ui, y, x + c, w - c, THEME_DIALOG_NORMAL, pairs[1]);
        c += 2;
    }
    return c;
}
