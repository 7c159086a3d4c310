/* The diff viewer: +/- lines and hunk headers in the theme's diff colours. */
#include "tui/widget-diff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int diffview_set(struct diffview *dv, const char *text)
{
    diffview_free(dv);
    size_t cap = 0;
    for (const char *p = text; *p;) {
        size_t l = strcspn(p, "\n");
        if (dv->n == cap) {
            cap = cap ? cap * 2 : 64;
            char **v = realloc(dv->lines, cap * sizeof(*v));
            if (!v)
                return -ENOMEM;
            dv->lines = v;
        }
        char *s = strndup(p, l);
        if (!s)
            return -ENOMEM;
        dv->lines[dv->n++] = s;
        if (s[0] == '+' && strncmp(s, "+++", 3))
            dv->added++;
        else if (s[0] == '-' && strncmp(s, "---", 3))
            dv->removed++;
        p += l + (p[l] == '\n');
    }
    return 0;
}

void diffview_draw(struct diffview *dv, struct ui *ui, int y, int x, int h, int w)
{
    if (dv->n && dv->top >= dv->n)
        dv->top = dv->n - 1;
    for (int r = 0; r < h && dv->top + (size_t)r < dv->n; r++) {
        const char *s = dv->lines[dv->top + (size_t)r];
        enum theme_role role = THEME_DIALOG_NORMAL;
        if (!strncmp(s, "@@", 2))
            role = THEME_DIFF_HUNK;
        else if (!strncmp(s, "+++", 3) || !strncmp(s, "---", 3))
            role = THEME_DETAILS_KEY;
        else if (s[0] == '+')
            role = THEME_DIFF_ADD;
        else if (s[0] == '-')
            role = THEME_DIFF_DEL;
        ui_text(ui, y + r, x, w, role, s);
    }
}

bool diffview_key(struct diffview *dv, uint32_t key, int page)
{
    size_t last = dv->n ? dv->n - 1 : 0;
    size_t pg = page > 1 ? (size_t)page - 1 : 1;
    switch (key) {
    case 'j': case KEYSYM_DOWN: dv->top = dv->top < last ? dv->top + 1 : last; return true;
    case 'k': case KEYSYM_UP: dv->top = dv->top ? dv->top - 1 : 0; return true;
    case KEYSYM_PGDN: case KEYSYM_SPACE: dv->top = dv->top + pg < last ? dv->top + pg : last; return true;
    case KEYSYM_PGUP: dv->top = dv->top > pg ? dv->top - pg : 0; return true;
    case 'g': case KEYSYM_HOME: dv->top = 0; return true;
    case 'G': case KEYSYM_END: dv->top = last; return true;
    default: return false;
    }
}

void diffview_free(struct diffview *dv)
{
    for (size_t i = 0; i < dv->n; i++)
        free(dv->lines[i]);
    free(dv->lines);
    *dv = (struct diffview){0};
}
