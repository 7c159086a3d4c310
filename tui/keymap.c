/* Key bindings and the mapping between curses key codes and abstract keys. */
#include "tui/keymap.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>

const struct action_info action_table[ACT_COUNT] = {
    [ACT_NONE] = {NULL, NULL, NULL, NULL},
#define ACTION_INFO(id, name, keys, hint, help) [ACT_##id] = {name, keys, hint, help},
#define ACTION_NOGROUP(title)
    ACTIONS(ACTION_INFO, ACTION_NOGROUP)
#undef ACTION_INFO
#undef ACTION_NOGROUP
};

const char *const action_names[ACT_COUNT - 1] = {
#define ACTION_NAME(id, name, keys, hint, help) name,
#define ACTION_NOGROUP(title)
    ACTIONS(ACTION_NAME, ACTION_NOGROUP)
#undef ACTION_NAME
#undef ACTION_NOGROUP
};

const struct action_row action_rows[] = {
#define ACTION_ROW(id, name, keys, hint, help) {NULL, ACT_##id},
#define ACTION_ROW_GROUP(title) {title, ACT_NONE},
    ACTIONS(ACTION_ROW, ACTION_ROW_GROUP)
#undef ACTION_ROW
#undef ACTION_ROW_GROUP
};
const size_t action_nrows = sizeof(action_rows) / sizeof(action_rows[0]);

enum action action_lookup(const char *name)
{
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++)
        if (!strcmp(action_table[a].name, name))
            return (enum action)a;
    return ACT_NONE;
}

static int bind(struct bindings *b, uint32_t key, enum action act)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].key == key) {
            b->v[i].act = act;
            return 0;
        }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct binding *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n++] = (struct binding){key, act};
    return 0;
}

int bindings_init(struct bindings *b)
{
    *b = (struct bindings){0};
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
        char keys[64];
        snprintf(keys, sizeof(keys), "%s", action_table[a].keys);
        char *save = NULL;
        for (char *w = strtok_r(keys, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            uint32_t k;
            if (keyname_parse(w, &k) < 0 || bind(b, k, (enum action)a) < 0) {
                bindings_free(b);
                return -ENOMEM; /* a bad default is caught by the tests */
            }
        }
    }
    return 0;
}

void bindings_free(struct bindings *b)
{
    free(b->v);
    *b = (struct bindings){0};
}

int bindings_apply(struct bindings *b, const struct keymap *k)
{
    for (size_t i = 0; k && i < k->n; i++) {
        enum action a = action_lookup(k->v[i].action);
        if (a == ACT_NONE)
            continue; /* the keymap loader checked the names */
        size_t w = 0;
        for (size_t j = 0; j < b->n; j++) /* drop the action's old keys */
            if (b->v[j].act != a)
                b->v[w++] = b->v[j];
        b->n = w;
        for (size_t j = 0; j < k->v[i].nkeys; j++)
            if (bind(b, k->v[i].keys[j], a) < 0)
                return -ENOMEM;
    }
    return 0;
}

enum action bindings_lookup(const struct bindings *b, uint32_t key)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].key == key)
            return b->v[i].act;
    return ACT_NONE;
}

size_t bindings_keys(const struct bindings *b, enum action a, uint32_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].act == a) {
            if (n < max)
                out[n] = b->v[i].key;
            n++;
        }
    return n < max ? n : max;
}

void bindings_describe(const struct bindings *b, enum action a, char *buf, size_t n)
{
    uint32_t keys[16];
    size_t nk = bindings_keys(b, a, keys, 16), len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < nk && len + 1 < n; i++) {
        char name[16];
        keyname_format(keys[i], name, sizeof(name));
        int w = snprintf(buf + len, n - len, "%s%s", i ? ", " : "", name);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    if (nk == 0)
        snprintf(buf, n, "unbound");
}

uint32_t key_from_curses(int status, uint32_t v)
{
    if (status == KEY_CODE_YES) {
        switch (v) {
        case KEY_DOWN: return KEYSYM_DOWN;
        case KEY_UP: return KEYSYM_UP;
        case KEY_LEFT: return KEYSYM_LEFT;
        case KEY_RIGHT: return KEYSYM_RIGHT;
        case KEY_NPAGE: return KEYSYM_PGDN;
        case KEY_PPAGE: return KEYSYM_PGUP;
        case KEY_HOME: return KEYSYM_HOME;
        case KEY_END: return KEYSYM_END;
        case KEY_BTAB: return KEYSYM_BACKTAB;
        case KEY_BACKSPACE: return KEYSYM_BACKSPACE;
        case KEY_DC: return KEYSYM_DELETE;
        case KEY_IC: return KEYSYM_INSERT;
        case KEY_ENTER: return KEYSYM_ENTER;
        default:
            if (v >= (uint32_t)KEY_F(1) && v <= (uint32_t)KEY_F(12))
                return KEYSYM_F1 + (v - (uint32_t)KEY_F(1));
            return 0;
        }
    }
    switch (v) {
    case '\r':
    case '\n': return KEYSYM_ENTER;
    case 27: return KEYSYM_ESC;
    case '\t': return KEYSYM_TAB;
    case ' ': return KEYSYM_SPACE;
    case 127:
    case 8: return KEYSYM_BACKSPACE;
    default: return v;
    }
}

size_t key_to_bytes(uint32_t key, char *out, size_t n)
{
    static const struct {
        uint32_t key;
        const char *cap;
    } caps[] = {
        {KEYSYM_UP, "kcuu1"},   {KEYSYM_DOWN, "kcud1"}, {KEYSYM_LEFT, "kcub1"},
        {KEYSYM_RIGHT, "kcuf1"}, {KEYSYM_PGUP, "kpp"},  {KEYSYM_PGDN, "knp"},
        {KEYSYM_HOME, "khome"}, {KEYSYM_END, "kend"},   {KEYSYM_BACKTAB, "kcbt"},
        {KEYSYM_DELETE, "kdch1"}, {KEYSYM_INSERT, "kich1"}, {KEYSYM_BACKSPACE, "kbs"},
    };
    const char *s = NULL;
    char tmp[8];
    switch (key) {
    case KEYSYM_ENTER: s = "\r"; break;
    case KEYSYM_ESC: s = "\033"; break;
    case KEYSYM_TAB: s = "\t"; break;
    case KEYSYM_SPACE: s = " "; break;
    default:
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
            if (caps[i].key == key)
                s = tigetstr(caps[i].cap);
        if (key >= KEYSYM_F1 && key <= KEYSYM_LAST) {
            char cap[8];
            snprintf(cap, sizeof(cap), "kf%u", key - KEYSYM_F1 + 1);
            s = tigetstr(cap);
        }
        if (key < KEYSYM_BASE) {
            keyname_format(key, tmp, sizeof(tmp));
            if (key < 0x20) {
                tmp[0] = (char)key;
                tmp[1] = 0;
            }
            s = tmp;
        }
    }
    if (!s || s == (char *)-1)
        return 0;
    size_t len = strlen(s);
    if (len >= n)
        return 0;
    memcpy(out, s, len + 1);
    return len;
}
