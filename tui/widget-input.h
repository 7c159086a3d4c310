/* A one-line text field (search and command prompts; the editors use it too). */
#ifndef CLAN_TUI_WIDGET_INPUT_H
#define CLAN_TUI_WIDGET_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "tui/widget-draw.h"

#define INPUT_MAX 512

struct input {
    char buf[INPUT_MAX]; /* UTF-8, NUL-terminated */
    size_t len, cursor;  /* bytes */
};

enum input_result { INPUT_NONE, INPUT_CHANGED, INPUT_ENTER, INPUT_CANCEL, INPUT_MOVED };

void input_set(struct input *in, const char *text);
/* Edit with one abstract key: characters insert; Backspace, Delete, Left, Right, Home/C-a,
 * End/C-e, C-u (clear), C-w (delete a word); Enter; Esc (and Backspace on an empty field)
 * cancels. */
enum input_result input_key(struct input *in, uint32_t key);
/* Draw "PROMPT text" in w columns (scrolled to keep the cursor visible); leaves the
 * terminal cursor on the field's cursor. */
void input_draw(struct ui *ui, int y, int x, int w, enum theme_role prompt_role,
                const char *prompt, const struct input *in);

#endif
