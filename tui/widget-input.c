/* One-line text field. */
#include "tui/widget-input.h"

#include <string.h>

#include "core/theme.h"

void input_set(struct input *in, const char *text)
{
    size_t n = text ? strlen(text) : 0;
    if (n >= INPUT_MAX)
        n = INPUT_MAX - 1;
    memcpy(in->buf, text ? text : "", n);
    in->buf[n] = 0;
    in->len = in->cursor = n;
}

static size_t prev_char(const struct input *in, size_t i)
{
    while (i > 0 && ((unsigned char)in->buf[--i] & 0xc0) == 0x80)
        ;
    return i;
}

static size_t next_char(const struct input *in, size_t i)
{
    if (i < in->len)
        i++;
    while (i < in->len && ((unsigned char)in->buf[i] & 0xc0) == 0x80)
        i++;
    return i;
}

static void delete_range(struct input *in, size_t from, size_t to)
{
    memmove(in->buf + from, in->buf + to, in->len - to + 1);
    in->len -= to - from;
    in->cursor = from;
}

enum input_result input_key(struct input *in, uint32_t key)
{
    switch (key) {
    case KEYSYM_ENTER:
        return INPUT_ENTER;
    case KEYSYM_ESC:
        return INPUT_CANCEL;
    case KEYSYM_BACKSPACE:
        if (in->len == 0)
            return INPUT_CANCEL;
        if (in->cursor == 0)
            return INPUT_NONE;
        delete_range(in, prev_char(in, in->cursor), in->cursor);
        return INPUT_CHANGED;
    case KEYSYM_DELETE:
        if (in->cursor == in->len)
            return INPUT_NONE;
        delete_range(in, in->cursor, next_char(in, in->cursor));
        return INPUT_CHANGED;
    case KEYSYM_LEFT:
        in->cursor = prev_char(in, in->cursor);
        return INPUT_MOVED;
    case KEYSYM_RIGHT:
        in->cursor = next_char(in, in->cursor);
        return INPUT_MOVED;
    case KEYSYM_HOME:
    case 1: /* C-a */
        in->cursor = 0;
        return INPUT_MOVED;
    case KEYSYM_END:
    case 5: /* C-e */
        in->cursor = in->len;
        return INPUT_MOVED;
    case 21: /* C-u */
        in->len = in->cursor = 0;
        in->buf[0] = 0;
        return INPUT_CHANGED;
    case 23: { /* C-w */
        size_t i = in->cursor;
        while (i > 0 && in->buf[i - 1] == ' ')
            i--;
        while (i > 0 && in->buf[i - 1] != ' ')
            i--;
        delete_range(in, i, in->cursor);
        return INPUT_CHANGED;
    }
    case KEYSYM_SPACE:
        key = ' ';
        break;
    default:
        break;
    }
    if (key < 0x20 || key == 0x7f || key >= KEYSYM_BASE)
        return INPUT_NONE;
    char enc[4];
    size_t n = utf8_encode(key, enc);
    if (in->len + n >= INPUT_MAX)
        return INPUT_NONE;
    memmove(in->buf + in->cursor + n, in->buf + in->cursor, in->len - in->cursor + 1);
    memcpy(in->buf + in->cursor, enc, n);
    in->len += n;
    in->cursor += n;
    return INPUT_CHANGED;
}

void input_draw(struct ui *ui, int y, int x, int w, enum theme_role prompt_role,
                const char *prompt, const struct input *in)
{
    ui_fill(ui, y, x, w, THEME_STATUS_NORMAL);
    int pw = ui_text(ui, y, x, w, prompt_role, prompt);
    int room = w - pw - 1;
    if (room <= 0)
        return;
    /* scroll so that the cursor stays visible */
    size_t start = 0;
    while (ui_widthn(ui, in->buf + start, in->cursor - start) > room - 1 && start < in->cursor)
        start++;
    while (start < in->len && ((unsigned char)in->buf[start] & 0xc0) == 0x80)
        start++;
    ui_textn(ui, y, x + pw, room, THEME_INPUT_TEXT, in->buf + start, in->len - start);
    int cx = x + pw + ui_widthn(ui, in->buf + start, in->cursor > start ? in->cursor - start : 0);
    wmove(ui->win, y, cx);
}
