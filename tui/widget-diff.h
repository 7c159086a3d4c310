/* A scrollable unified diff (the write confirmation). */
#ifndef CLAN_TUI_WIDGET_DIFF_H
#define CLAN_TUI_WIDGET_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tui/widget-draw.h"

struct diffview {
    char **lines;
    size_t n;
    size_t top;
    size_t added, removed;
};

/* Take the lines of a unified diff (a copy); 0 or -ENOMEM. */
int diffview_set(struct diffview *dv, const char *text);
void diffview_draw(struct diffview *dv, struct ui *ui, int y, int x, int h, int w);
/* j/k, arrows, PgUp/PgDn, g/G scroll (page = rows shown); false for other keys. */
bool diffview_key(struct diffview *dv, uint32_t key, int page);
void diffview_free(struct diffview *dv);

#endif
