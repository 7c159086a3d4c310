/* Dialog frames for the editors and questions: a centred, cleared box with a title, and
 * a row of key hints ("y write  n cancel"). */
#ifndef CLAN_TUI_WIDGET_DIALOG_H
#define CLAN_TUI_WIDGET_DIALOG_H

#include "tui/widget-draw.h"

struct rect {
    int y, x, h, w;
};

/* A box of at most want_h x want_w (the screen minus a margin), centred in H x W,
 * cleared, with title; returns the inside. */
struct rect dialog_frame(struct ui *ui, int H, int W, int want_h, int want_w, const char *title);
/* Key hints from pairs {key, label, key, label, ..., NULL}; returns columns used. */
int dialog_hints(struct ui *ui, int y, int x, int w, const char *const *pairs);
/* Text in the dialog's colours, clipped to w. */
int dialog_text(struct ui *ui, int y, int x, int w, enum theme_role role, const char *s);

#endif
