/* The UI's tables and widgets without a terminal: the actions list, default bindings,
 * keymaps laid over them, curses key codes, the text field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <curses.h>

#include "tui/actions.h"
#include "tui/keymap.h"
#include "tui/widget-input.h"

static void test_actions_complete(void **state)
{
    (void)state;
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
        const struct action_info *i = &action_table[a];
        assert_non_null(i->name);
        assert_non_null(i->help);
        assert_true(strlen(i->help) > 5);
        assert_string_equal(action_names[a - 1], i->name);
        assert_int_equal(action_lookup(i->name), a);
        for (int b = a + 1; b < ACT_COUNT; b++)
            assert_string_not_equal(i->name, action_table[b].name);
    }
    assert_int_equal(action_lookup("no-such-action"), ACT_NONE);
    /* every action appears exactly once in the help rows, under a group */
    int seen[ACT_COUNT] = {0};
    assert_non_null(action_rows[0].group);
    for (size_t r = 0; r < action_nrows; r++)
        if (!action_rows[r].group)
            seen[action_rows[r].act]++;
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++)
        assert_int_equal(seen[a], 1);
}

/* The bindings the issue asks for, and no key bound twice by the defaults. */
static void test_default_bindings(void **state)
{
    (void)state;
    struct bindings b;
    assert_int_equal(bindings_init(&b), 0);
    struct {
        const char *key;
        enum action act;
    } want[] = {
        {"j", ACT_MOVE_DOWN},   {"Down", ACT_MOVE_DOWN}, {"k", ACT_MOVE_UP},     {"Up", ACT_MOVE_UP},
        {"g", ACT_MOVE_FIRST},  {"G", ACT_MOVE_LAST},    {"PgUp", ACT_PAGE_UP},  {"PgDn", ACT_PAGE_DOWN},
        {"h", ACT_COLLAPSE},    {"l", ACT_EXPAND},       {"Enter", ACT_ENTER},   {"Tab", ACT_NEXT_PANE},
        {"S-Tab", ACT_PREV_PANE}, {"/", ACT_SEARCH},     {"n", ACT_SEARCH_NEXT}, {"N", ACT_SEARCH_PREV},
        {"?", ACT_HELP},        {":", ACT_COMMAND},      {"Esc", ACT_BACK},      {"q", ACT_QUIT},
        {"C-l", ACT_REDRAW},    {"-", ACT_COLLAPSE},     {"+", ACT_EXPAND},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        uint32_t k;
        assert_int_equal(keyname_parse(want[i].key, &k), 0);
        if (bindings_lookup(&b, k) != want[i].act)
            fail_msg("%s is bound to %d, want %s", want[i].key, bindings_lookup(&b, k),
                     action_table[want[i].act].name);
    }
    /* the defaults bind each key once: count keys in the table against bindings */
    size_t listed = 0;
    for (int a = ACT_NONE + 1; a < ACT_COUNT; a++) {
        char keys[64];
        snprintf(keys, sizeof(keys), "%s", action_table[a].keys);
        for (char *w = strtok(keys, " "); w; w = strtok(NULL, " "))
            listed++;
    }
    assert_int_equal(b.n, listed);
    char desc[64];
    bindings_describe(&b, ACT_MOVE_DOWN, desc, sizeof(desc));
    assert_string_equal(desc, "j, Down, C-n");
    bindings_free(&b);
}

static void test_keymap_overlay(void **state)
{
    (void)state;
    const char *text = "quit: [x, C-q]\nhelp: []\nmove-down: j\n";
    struct keymap *k = NULL;
    struct diag d = {0};
    assert_int_equal(keymap_parse("k.yaml", text, strlen(text), action_names, ACT_COUNT - 1, &k, &d), 0);
    struct bindings b;
    assert_int_equal(bindings_init(&b), 0);
    assert_int_equal(bindings_apply(&b, k), 0);
    assert_int_equal(bindings_lookup(&b, 'x'), ACT_QUIT);
    assert_int_equal(bindings_lookup(&b, 17), ACT_QUIT);
    assert_int_equal(bindings_lookup(&b, 'q'), ACT_NONE);   /* replaced */
    assert_int_equal(bindings_lookup(&b, '?'), ACT_NONE);   /* unbound */
    assert_int_equal(bindings_lookup(&b, KEYSYM_F1), ACT_NONE);
    assert_int_equal(bindings_lookup(&b, KEYSYM_DOWN), ACT_NONE); /* only j now */
    assert_int_equal(bindings_lookup(&b, 'j'), ACT_MOVE_DOWN);
    assert_int_equal(bindings_lookup(&b, 'k'), ACT_MOVE_UP);      /* untouched */
    char desc[64];
    bindings_describe(&b, ACT_HELP, desc, sizeof(desc));
    assert_string_equal(desc, "unbound");
    /* a key taken by another action moves */
    const char *steal = "search: n\n";
    keymap_free(k);
    assert_int_equal(keymap_parse("k.yaml", steal, strlen(steal), action_names, ACT_COUNT - 1, &k, &d), 0);
    assert_int_equal(bindings_apply(&b, k), 0);
    assert_int_equal(bindings_lookup(&b, 'n'), ACT_SEARCH);
    assert_int_equal(bindings_lookup(&b, '/'), ACT_NONE);
    keymap_free(k);
    bindings_free(&b);
}

static void test_curses_keys(void **state)
{
    (void)state;
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_DOWN), KEYSYM_DOWN);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_NPAGE), KEYSYM_PGDN);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_BTAB), KEYSYM_BACKTAB);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_F(1)), KEYSYM_F1);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_F(12)), KEYSYM_F1 + 11);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_ENTER), KEYSYM_ENTER);
    assert_int_equal(key_from_curses(KEY_CODE_YES, KEY_SLEFT), 0);
    assert_int_equal(key_from_curses(OK, '\r'), KEYSYM_ENTER);
    assert_int_equal(key_from_curses(OK, '\n'), KEYSYM_ENTER);
    assert_int_equal(key_from_curses(OK, 27), KEYSYM_ESC);
    assert_int_equal(key_from_curses(OK, '\t'), KEYSYM_TAB);
    assert_int_equal(key_from_curses(OK, 127), KEYSYM_BACKSPACE);
    assert_int_equal(key_from_curses(OK, 'j'), 'j');
    assert_int_equal(key_from_curses(OK, 12), 12);
    assert_int_equal(key_from_curses(OK, 0xe4), 0xe4);
}

static void test_input(void **state)
{
    (void)state;
    struct input in;
    input_set(&in, "");
    const char *typed = "alice";
    for (const char *p = typed; *p; p++)
        assert_int_equal(input_key(&in, (uint32_t)*p), INPUT_CHANGED);
    assert_string_equal(in.buf, "alice");
    assert_int_equal(input_key(&in, KEYSYM_LEFT), INPUT_MOVED);
    assert_int_equal(input_key(&in, KEYSYM_BACKSPACE), INPUT_CHANGED);
    assert_string_equal(in.buf, "alie");
    assert_int_equal(input_key(&in, 0xe4), INPUT_CHANGED); /* ä, two bytes */
    assert_string_equal(in.buf, "ali\xc3\xa4" "e");
    assert_int_equal(input_key(&in, KEYSYM_LEFT), INPUT_MOVED);
    assert_int_equal(in.cursor, 3);
    assert_int_equal(input_key(&in, KEYSYM_DELETE), INPUT_CHANGED);
    assert_string_equal(in.buf, "alie");
    assert_int_equal(input_key(&in, KEYSYM_SPACE), INPUT_CHANGED);
    assert_string_equal(in.buf, "ali e");
    assert_int_equal(input_key(&in, KEYSYM_END), INPUT_MOVED);
    assert_int_equal(input_key(&in, 23), INPUT_CHANGED); /* C-w */
    assert_string_equal(in.buf, "ali ");
    assert_int_equal(input_key(&in, 21), INPUT_CHANGED); /* C-u */
    assert_string_equal(in.buf, "");
    assert_int_equal(input_key(&in, KEYSYM_BACKSPACE), INPUT_CANCEL); /* on empty */
    assert_int_equal(input_key(&in, KEYSYM_ENTER), INPUT_ENTER);
    assert_int_equal(input_key(&in, KEYSYM_ESC), INPUT_CANCEL);
    assert_int_equal(input_key(&in, KEYSYM_UP), INPUT_NONE);
    assert_int_equal(input_key(&in, 3), INPUT_NONE);
    /* the field never overflows */
    input_set(&in, "");
    for (int i = 0; i < INPUT_MAX * 2; i++)
        input_key(&in, 'x');
    assert_int_equal(in.len, INPUT_MAX - 1);
    assert_int_equal(strlen(in.buf), INPUT_MAX - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions_complete),
        cmocka_unit_test(test_default_bindings),
        cmocka_unit_test(test_keymap_overlay),
        cmocka_unit_test(test_curses_keys),
        cmocka_unit_test(test_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
