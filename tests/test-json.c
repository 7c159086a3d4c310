/* core/nix/json.c: JSON documents as nix_files -- positions, decoding, rejections, the Nix
 * functions on them, edits in Clan's layout (checked against Python's json.dumps and jq
 * when they are installed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/nix.h"

/* Parse s, which must be valid; the tree prints back byte for byte. */
static struct nix_file *parse(const char *s)
{
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    int r = nix_file_from_json("t.json", s, strlen(s), &f, &dl);
    if (r < 0)
        fprintf(stderr, "unexpected: %u:%u: %s\n", dl.n ? dl.v[0].line : 0,
                dl.n ? dl.v[0].col : 0, dl.n ? dl.v[0].msg : "?");
    assert_int_equal(r, 0);
    assert_int_equal(dl.n, 0);
    assert_true(nix_file_is_json(f));
    assert_false(nix_file_has_errors(f));
    assert_false(nix_file_has_diags(f));
    struct buf b = {0};
    assert_int_equal(nix_file_print(f, &b), 0);
    assert_int_equal(b.len, strlen(s));
    assert_memory_equal(b.p ? b.p : "", s, b.len);
    buf_free(&b);
    diag_list_free(&dl);
    return f;
}

/* The diagnostic of an invalid s as "LINE:COL: msg". */
static char *reject(const char *s, size_t len)
{
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    int r = nix_file_from_json("t.json", s, len, &f, &dl);
    if (r == 0)
        fprintf(stderr, "accepted: %.*s\n", (int)len, s);
    assert_true(r < 0);
    assert_null(f);
    assert_int_equal(dl.n, 1);
    assert_int_equal(dl.v[0].severity, DIAG_ERROR);
    assert_string_equal(dl.v[0].file, "t.json");
    char *m;
    assert_true(asprintf(&m, "%u:%u: %s", dl.v[0].line, dl.v[0].col, dl.v[0].msg) > 0);
    diag_list_free(&dl);
    return m;
}

/* The source text of [a, b) of f. */
static char *slice(struct nix_file *f, size_t a, size_t b)
{
    const char *t = nix_file_text(f, NULL);
    return strndup(t + a, b - a);
}

/* [start, end) of f holds text, begins at line:col, and was recorded there (rl:rc). */
static void check_range(struct nix_file *f, size_t start, size_t end, const char *text,
                        unsigned rl, unsigned rc, unsigned line, unsigned col)
{
    char *s = slice(f, start, end);
    assert_string_equal(s, text);
    free(s);
    unsigned l, c;
    nix_file_linecol(f, start, &l, &c);
    assert_int_equal(l, line);
    assert_int_equal(c, col);
    assert_int_equal(rl, line);
    assert_int_equal(rc, col);
}

static void check_key(struct nix_file *f, const struct nix_value *v, const char *text,
                      unsigned line, unsigned col)
{
    check_range(f, nix_key_start(v), nix_key_end(v), text, nix_key_line(v), nix_key_col(v), line,
                col);
}

static void check_val(struct nix_file *f, const struct nix_value *v, enum nix_kind kind,
                      const char *text, unsigned line, unsigned col)
{
    assert_int_equal(v->kind, kind);
    assert_int_equal(nix_wrap_start(v), nix_val_start(v));
    check_range(f, nix_val_start(v), nix_val_end(v), text, nix_val_line(v), nix_val_col(v), line,
                col);
}

static void test_positions(void **state)
{
    (void)state;
    const char *s = "{\n"
                    "  \"meta\": {\n"
                    "    \"name\": \"clan\",\n"
                    "    \"n\": -12,\n"
                    "    \"pi\": 3.140,\n"
                    "    \"on\": true,\n"
                    "    \"off\": false,\n"
                    "    \"none\": null\n"
                    "  },\n"
                    "  \"tags\": [\n"
                    "    \"a\",\n"
                    "    [],\n"
                    "    {}\n"
                    "  ],\n"
                    "  \"\": \"empty key\"\n"
                    "}";
    struct nix_file *f = parse(s);
    assert_string_equal(nix_file_name(f), "t.json");
    size_t len;
    assert_string_equal(nix_file_text(f, &len), s);
    assert_int_equal(len, strlen(s));
    const struct nix_value *root = nix_file_root(f);
    check_val(f, root, NIX_ATTRS, s, 1, 1);
    assert_null(root->name);
    assert_null(root->parent);
    assert_int_equal(nix_key_start(root), 0);
    assert_int_equal(nix_key_end(root), 0);
    assert_int_equal(root->nchildren, 3);

    const struct nix_value *meta = nix_value_get(root, "meta");
    assert_ptr_equal(meta, root->children[0]);
    assert_ptr_equal(meta->parent, root);
    check_key(f, meta, "\"meta\"", 2, 3);
    assert_int_equal(nix_val_line(meta), 2);
    assert_int_equal(nix_val_col(meta), 11);
    assert_int_equal(meta->nchildren, 6);
    const char *p1[] = {"meta", "name"};
    const struct nix_value *v = nix_value_lookup(root, p1, 2);
    check_key(f, v, "\"name\"", 3, 5);
    check_val(f, v, NIX_STRING, "\"clan\"", 3, 13);
    assert_string_equal(v->str, "clan");
    v = nix_value_get(meta, "n");
    check_val(f, v, NIX_INT, "-12", 4, 10);
    assert_int_equal(v->ival, -12);
    v = nix_value_get(meta, "pi");
    check_val(f, v, NIX_FLOAT, "3.140", 5, 11);
    assert_true(v->fval == 3.14);
    assert_string_equal(v->str, "3.140");
    v = nix_value_get(meta, "on");
    check_val(f, v, NIX_BOOL, "true", 6, 11);
    assert_true(v->bval);
    v = nix_value_get(meta, "off");
    check_val(f, v, NIX_BOOL, "false", 7, 12);
    assert_false(v->bval);
    v = nix_value_get(meta, "none");
    check_val(f, v, NIX_NULL, "null", 8, 13);
    assert_string_equal(v->name, "none");

    const struct nix_value *tags = nix_value_get(root, "tags");
    check_val(f, tags, NIX_LIST, "[\n    \"a\",\n    [],\n    {}\n  ]", 10, 11);
    assert_int_equal(tags->nchildren, 3);
    check_val(f, tags->children[0], NIX_STRING, "\"a\"", 11, 5);
    assert_null(tags->children[0]->name);
    assert_int_equal(nix_key_start(tags->children[0]), 0);
    assert_ptr_equal(tags->children[0]->parent, tags);
    check_val(f, tags->children[1], NIX_LIST, "[]", 12, 5);
    check_val(f, tags->children[2], NIX_ATTRS, "{}", 13, 5);
    v = nix_value_get(root, "");
    check_key(f, v, "\"\"", 15, 3);
    check_val(f, v, NIX_STRING, "\"empty key\"", 15, 7);

    /* the CST: one root over the tokens; the listing works */
    struct buf b = {0};
    assert_int_equal(nix_file_dump_tree(f, &b), 0);
    assert_non_null(strstr(b.p, "ROOT 1:1-16:2"));
    assert_non_null(strstr(b.p, "STR 3:14 \"clan\""));
    buf_free(&b);
    nix_file_free(f);

    /* scalars at the top, CRLF lines, tabs */
    f = parse(" \"x\" ");
    check_val(f, nix_file_root(f), NIX_STRING, "\"x\"", 1, 2);
    nix_file_free(f);
    f = parse("\r\n\t[\r\n\t1,\t2\r\n]\r\n");
    const struct nix_value *l = nix_file_root(f);
    check_val(f, l, NIX_LIST, "[\r\n\t1,\t2\r\n]", 2, 2);
    check_val(f, l->children[1], NIX_INT, "2", 3, 5);
    nix_file_free(f);
}

/* A large object is indexed: every member is found by name; a duplicate is refused. */
static void test_large_object(void **state)
{
    (void)state;
    struct buf b = {0};
    buf_puts(&b, "{");
    for (int i = 0; i < 500; i++)
        buf_printf(&b, "%s\"m%d\": %d", i ? ", " : "", i, i);
    buf_puts(&b, "}");
    struct nix_file *f = parse(b.p);
    const struct nix_value *root = nix_file_root(f);
    for (int i = 0; i < 500; i++) {
        char k[16];
        snprintf(k, sizeof k, "m%d", i);
        const struct nix_value *v = nix_value_get(root, k);
        assert_non_null(v);
        assert_int_equal(v->ival, i);
    }
    assert_null(nix_value_get(root, "m500"));
    nix_file_free(f);
    b.len--;
    buf_puts(&b, ", \"m250\": 1}");
    char *m = reject(b.p, b.len);
    assert_non_null(strstr(m, "1:"));
    assert_non_null(strstr(m, "duplicate key \"m250\" (first at 1:"));
    free(m);
    buf_free(&b);
}

static void test_escapes(void **state)
{
    (void)state;
    struct nix_file *f = parse("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"caf\\u00e9 \\u20AC\", "
                               "\"\\ud83d\\ude00|\\uD83D\\uDE00\", \"raw \xc3\xa9 \xf0\x9f\x98\x80\", "
                               "\"\", \"\\u0001\\u007f\\u0020\"]");
    static const char *const decoded[] = {"\"\\/\b\f\n\r\t", "caf\xc3\xa9 \xe2\x82\xac",
                                          "\xf0\x9f\x98\x80|\xf0\x9f\x98\x80",
                                          "raw \xc3\xa9 \xf0\x9f\x98\x80", "", "\x01\x7f "};
    for (size_t i = 0; i < sizeof decoded / sizeof *decoded; i++)
        assert_string_equal(nix_file_root(f)->children[i]->str, decoded[i]);
    nix_file_free(f);
    /* keys are decoded too */
    f = parse("{\"a\\u0062\\n\": 1, \"\\u00e9\": 2}");
    assert_int_equal(nix_value_get(nix_file_root(f), "ab\n")->ival, 1);
    assert_int_equal(nix_value_get(nix_file_root(f), "\xc3\xa9")->ival, 2);
    nix_file_free(f);
}

static void test_numbers(void **state)
{
    (void)state;
    struct nix_file *f = parse("[0, -0, 123, 9223372036854775807, -9223372036854775808, "
                               "9223372036854775808, -9223372036854775809, 1.5, 1e3, -2.50E-3, "
                               "1E+2, 0.0, 1e999]");
    const struct nix_value *l = nix_file_root(f);
    assert_int_equal(l->nchildren, 13);
    static const enum nix_kind kinds[] = {NIX_INT, NIX_INT, NIX_INT, NIX_INT, NIX_INT,
                                          NIX_FLOAT, NIX_FLOAT, NIX_FLOAT, NIX_FLOAT,
                                          NIX_FLOAT, NIX_FLOAT, NIX_FLOAT, NIX_FLOAT};
    for (size_t i = 0; i < 13; i++)
        assert_int_equal(l->children[i]->kind, kinds[i]);
    assert_int_equal(l->children[1]->ival, 0);
    assert_int_equal(l->children[2]->ival, 123);
    assert_true(l->children[3]->ival == INT64_MAX);
    assert_true(l->children[4]->ival == INT64_MIN);
    assert_string_equal(l->children[5]->str, "9223372036854775808");
    assert_true(l->children[5]->fval == 9223372036854775808.0);
    assert_string_equal(l->children[6]->str, "-9223372036854775809");
    assert_true(l->children[7]->fval == 1.5);
    assert_true(l->children[8]->fval == 1000);
    assert_string_equal(l->children[9]->str, "-2.50E-3");
    assert_true(l->children[9]->fval == -0.0025);
    assert_true(l->children[10]->fval == 100);
    assert_true(isinf(l->children[12]->fval));
    nix_file_free(f);
}

struct bad {
    const char *text;
    const char *want; /* "LINE:COL: " and the start of the message */
};

static void test_rejections(void **state)
{
    (void)state;
    static const struct bad cases[] = {
        /* single quotes, unquoted keys and text */
        {"{'a': 1}", "1:2: single-quoted key; expected a key in double quotes"},
        {"{\"a\": 'b'}", "1:7: single-quoted string; expected a string in double quotes"},
        {"{a: 1}", "1:2: unquoted key 'a'; expected a key in double quotes"},
        {"{\"a\": yes}", "1:7: unquoted text 'yes'; expected a value (a string in double quotes"},
        {"[True]", "1:2: unquoted text 'True'; expected a value"},
        {"[NaN]", "1:2: unquoted text 'NaN'"},
        {"[Infinity]", "1:2: unquoted text 'Infinity'"},
        {"[truex]", "1:2: unquoted text 'truex'"},
        {"[nul]", "1:2: unquoted text 'nul'"},
        /* comments */
        {"{\n  // c\n  \"a\": 1\n}", "2:3: comment; expected a key in double quotes (JSON has no comments)"},
        {"[1 /* c */]", "1:4: comment; expected ',' or ']' (JSON has no comments)"},
        {"# c\n{}", "1:1: comment; expected a value"},
        {"{} // end", "1:4: comment after the document; expected the end of the file"},
        /* trailing and missing commas */
        {"{\"a\": 1,}", "1:8: trailing comma before '}'; expected another member"},
        {"[1,\n 2,\n]", "2:3: trailing comma before ']'; expected another element"},
        {"[1 2]", "1:4: unexpected '2'; expected ',' or ']'"},
        {"[,1]", "1:2: unexpected ','; expected a value"},
        {"{,}", "1:2: unexpected ','; expected a key in double quotes"},
        {"{\"a\" 1}", "1:6: unexpected '1'; expected ':' after the key"},
        {"{\"a\": }", "1:7: unexpected '}'; expected a value"},
        {"[1}", "1:3: unexpected '}'; expected ',' or ']'"},
        /* numbers JSON does not write */
        {"[01]", "1:2: invalid number '01'; expected a number as JSON writes it"},
        {"[+1]", "1:2: invalid number '+1'"},
        {"[.5]", "1:2: invalid number '.5'"},
        {"[1.]", "1:2: invalid number '1.'"},
        {"[1e]", "1:2: invalid number '1e'"},
        {"[0x10]", "1:2: invalid number '0x10'"},
        {"[-]", "1:2: '-' without digits"},
        {"[-Infinity]", "1:2: invalid number '-Infinity'"},
        /* YAML */
        {"&a {}", "1:1: unexpected '&'; expected a value"},
        {"[*a]", "1:2: unexpected '*'; expected a value"},
        {"!!str \"a\"", "1:1: unexpected '!'; expected a value"},
        {"a: 1\nb: 2\n", "1:1: unquoted text 'a'; expected a value"},
        {"- a\n- b\n", "1:1: '-' without digits"},
        {"---\n{}", "1:1: invalid number '---'"},
        {"{\"a\": |\n  x\n}", "1:7: unexpected '|'; expected a value"},
        {"[\"a\": 1]", "1:5: unexpected ':'; expected ',' or ']'"},
        {"{\"a\"}", "1:5: unexpected '}'; expected ':' after the key"},
        {"{? \"a\": 1}", "1:2: unexpected '?'; expected a key in double quotes"},
        /* duplicate keys, several documents */
        {"{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", "3:2: duplicate key \"a\" (first at 1:2); expected each key once"},
        {"{\"a\": 1, \"\\u0061\": 2}", "1:10: duplicate key \"\\u0061\" (first at 1:2)"},
        {"{} {}", "1:4: unexpected '{' after the document; expected the end of the file"},
        {"{}\n---\n{}", "2:1: unexpected '-' after the document"},
        {"1 2", "1:3: unexpected '2' after the document"},
        /* encoding */
        {"\xef\xbb\xbf{}", "1:1: byte order mark (U+FEFF); expected the document without one"},
        {"[\"a\xff\"]", "1:4: byte 0xff is not UTF-8; expected UTF-8 text"},
        {"[\"\xc0\xaf\"]", "1:3: byte 0xc0 is not UTF-8"},
        {"[\"\xed\xa0\x80\"]", "1:3: byte 0xed is not UTF-8"},
        {"[\xe9]", "1:2: byte 0xe9 is not UTF-8"},
        {"[\xc3\xa9]", "1:2: unexpected '\xc3\xa9'; expected a value"},
        /* strings */
        {"[\"a\nb\"]", "1:4: line break inside a string; expected \\n"},
        {"[\"a\tb\"]", "1:4: control character U+0009 inside a string; expected it escaped as \\u0009"},
        {"[\"\\x41\"]", "1:3: invalid escape '\\' followed by 'x'; expected one of"},
        {"[\"\\u12G4\"]", "1:3: invalid escape '\\u12G'; expected four hex digits after \\u"},
        {"[\"\\u12", "1:3: invalid escape '\\u12'; expected four hex digits"},
        {"[\"\\ud83d\"]", "1:3: lone high surrogate '\\ud83d'; expected a low surrogate"},
        {"[\"\\ud83d\\u0041\"]", "1:3: lone high surrogate '\\ud83d'"},
        {"[\"\\ude00\"]", "1:3: lone low surrogate '\\ude00'; expected a high surrogate"},
        {"[\"a\\u0000\"]", "1:4: '\\u0000' (NUL) in a string; expected text without NUL"},
        {"[\"abc", "1:6: unterminated string (opened at 1:2); expected a closing '\"'"},
        {"{\"a\": 1", "1:8: unexpected end of file; expected ',' or '}' (the object opened at 1:1 is not closed)"},
        {"[", "1:2: unexpected end of file; expected a value"},
        {"{", "1:2: unexpected end of file; expected a key in double quotes"},
        {"", "1:1: empty document; expected a value"},
        {" \n ", "2:2: empty document"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *want = cases[i].want;
        char *m = reject(cases[i].text, strlen(cases[i].text));
        if (strncmp(m, want, strlen(want)))
            fail_msg("%s\n  gave: %s\n  want: %s", cases[i].text, m, want);
        free(m);
    }
    /* a NUL byte is a character no rule accepts */
    char *m = reject("[1,\0]", 5);
    assert_string_equal(m, "1:4: unexpected byte 0x00; expected a value (a string in double "
                           "quotes, a number, an object, an array, true, false or null)");
    free(m);
    /* the whole diagnostic as printed */
    struct diag_list dl = {0};
    struct nix_file *f = NULL;
    assert_true(nix_file_from_json("inventory.json", "{\n  \"a\": 1,\n}", 13, &f, &dl) < 0);
    char *line = diag_format(&dl.v[0]);
    assert_string_equal(line, "inventory.json:2:9: error: trailing comma before '}'; expected "
                              "another member (a key in double quotes)");
    free(line);
    diag_list_free(&dl);
}

static void test_depth(void **state)
{
    (void)state;
    struct buf b = {0};
    for (int i = 0; i < 1000; i++)
        buf_putc(&b, i % 2 ? '[' : '{'), buf_puts(&b, i % 2 ? "" : "\"k\":");
    buf_puts(&b, "1");
    for (int i = 999; i >= 0; i--)
        buf_putc(&b, i % 2 ? ']' : '}');
    struct nix_file *f = parse(b.p);
    nix_file_free(f);
    /* one level more is refused, as is a very deep input (no recursion) */
    buf_reset(&b);
    for (int i = 0; i < 1001; i++)
        buf_putc(&b, '[');
    for (int i = 0; i < 1001; i++)
        buf_putc(&b, ']');
    char *m = reject(b.p, b.len);
    assert_string_equal(m, "1:1001: nesting deeper than 1000 levels; expected at most 1000 "
                           "nested objects and arrays");
    free(m);
    buf_reset(&b);
    for (int i = 0; i < 200000; i++)
        buf_putc(&b, '[');
    m = reject(b.p, b.len);
    free(m);
    buf_free(&b);
}

/* The Nix-only functions are safe on a JSON file; the JSON edits refuse a Nix file. */
static void test_nix_functions(void **state)
{
    (void)state;
    struct nix_file *f = parse("{\"a\": [1], \"b\": {}}");
    const char *pa[] = {"a"}, *pb[] = {"b", "c"};
    struct nix_edit e = {0};
    struct diag d = {0};
    assert_true(nix_edit_set(f, pa, 1, "2", &e, &d) < 0);
    assert_non_null(strstr(d.msg, "JSON document"));
    assert_true(nix_edit_set(f, pb, 2, "2", &e, &d) < 0);
    assert_true(nix_edit_delete(f, pa, 1, &e, &d) < 0);
    assert_true(nix_edit_list_append(f, pa, 1, "2", &e, &d) < 0);
    assert_true(nix_edit_list_insert(f, pa, 1, 0, "2", &e, &d) < 0);
    assert_true(nix_edit_list_remove(f, pa, 1, "1", &e, &d) < 0);
    assert_true(nix_edit_list_replace(f, pa, 1, 0, "2", &e, &d) < 0);
    assert_non_null(strstr(d.msg, "JSON document"));
    assert_null(e.v);
    /* in place only inside an object's or array's brackets (test-nix-splice compares) */
    struct nix_patch p = {0, 0, (char *)" "};
    struct nix_change ch;
    assert_int_equal(nix_file_patch_local(f, &p, 1, &ch), 0);
    p.start = p.end = 1;
    assert_int_equal(nix_file_patch_local(f, &p, 1, &ch), 1);
    size_t tl;
    const char *t = nix_file_text(f, &tl);
    assert_string_equal(t, "{ \"a\": [1], \"b\": {}}");
    nix_file_free(f);

    struct diag_list dl = {0};
    struct nix_file *g = NULL;
    assert_int_equal(nix_parse("t.nix", "{ a = [ 1 ]; }", 14, &g, &dl), 0);
    assert_false(nix_file_is_json(g));
    assert_true(json_edit_set(g, pa, 1, "2", &e, &d) < 0);
    assert_non_null(strstr(d.msg, "not a JSON document"));
    assert_true(json_edit_list_append(g, pa, 1, "2", &e, &d) < 0);
    assert_true(json_edit_delete(g, pa, 1, &e, &d) < 0);
    nix_file_free(g);
    diag_list_free(&dl);
    diag_clear(&d);
}

static void test_quote(void **state)
{
    (void)state;
    static const char *const in[] = {"plain", "q\"b\\s/", "\n\r\t\b\f\x01\x1f\x7f",
                                     "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", ""};
    static const char *const out[] = {"\"plain\"", "\"q\\\"b\\\\s/\"",
                                      "\"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\"",
                                      "\"caf\\u00e9\"", "\"\\u20ac\"", "\"\\ud83d\\ude00\"", "\"\""};
    for (size_t i = 0; i < sizeof in / sizeof *in; i++) {
        char *q = json_quote_string(in[i]);
        assert_string_equal(q, out[i]);
        struct nix_file *f = parse(q);
        assert_string_equal(nix_file_root(f)->str, in[i]);
        nix_file_free(f);
        free(q);
    }
    assert_null(json_quote_string("\xff"));
    assert_null(json_quote_string("a\xc3"));
    assert_null(json_quote_string("\xed\xa0\x80"));
}

/* ---- edits ---- */

static bool have(const char *prog)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

/* Run `cmd FILE` on text in a temporary file: its exit status. */
static int run_on(const char *cmd, const char *text)
{
    char path[] = "/tmp/test-json-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    char *full;
    assert_true(asprintf(&full, "%s %s", cmd, path) > 0);
    int r = system(full);
    free(full);
    unlink(path);
    return r;
}

static bool clan_layout(const char *text);

/* Text exactly as Python's json.dumps(json.loads(text), indent=2) writes it? */
static void check_clan_layout(const char *text)
{
    if (!clan_layout(text))
        fail_msg("not in Clan's layout:\n%s", text);
}

/* Apply an accepted edit: the result is valid JSON (ours and jq's), its parse is the edit's
 * result, and it is exactly `want`. */
static struct nix_file *applied(struct nix_file *f, struct nix_edit *e, const char *want)
{
    char *out;
    size_t len;
    assert_int_equal(nix_edit_apply(f, e, &out, &len), 0);
    if (strcmp(out, want))
        fail_msg("edit gave:\n%s\nwant:\n%s", out, want);
    assert_non_null(e->result);
    assert_false(e->local);
    assert_string_equal(nix_file_text(e->result, NULL), out);
    if (have("jq") && run_on("jq empty >/dev/null 2>&1 <", out) != 0)
        fail_msg("jq rejects:\n%s", out);
    struct nix_file *g = nix_edit_take_result(e);
    nix_edit_free(e);
    free(out);
    return g;
}

static const char CLAN[] = "{\n"
                           "  \"meta\": {\n"
                           "    \"name\": \"clan\"\n"
                           "  },\n"
                           "  \"machines\": {\n"
                           "    \"alpha\": {\n"
                           "      \"tags\": [\n"
                           "        \"backup\",\n"
                           "        \"web\"\n"
                           "      ],\n"
                           "      \"deploy\": {\n"
                           "        \"targetHost\": \"root@192.0.2.1\"\n"
                           "      },\n"
                           "      \"installedAt\": 1767225600\n"
                           "    },\n"
                           "    \"beta\": {\n"
                           "      \"tags\": []\n"
                           "    }\n"
                           "  },\n"
                           "  \"instances\": {}\n"
                           "}";

/* CLAN with `from` replaced by `to` (once). */
static char *clan_with(const char *from, const char *to)
{
    const char *at = strstr(CLAN, from);
    assert_non_null(at);
    char *r;
    assert_true(asprintf(&r, "%.*s%s%s", (int)(at - CLAN), CLAN, to, at + strlen(from)) > 0);
    return r;
}

#define P(...) ((const char *const[]){__VA_ARGS__}), sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)

/* One edit of CLAN that must give CLAN with `from` replaced by `to`, in Clan's layout. */
static void clan_edit(int (*op)(struct nix_file *, struct nix_edit *, struct diag *),
                      const char *from, const char *to)
{
    struct nix_file *f = parse(CLAN);
    struct nix_edit e = {0};
    struct diag d = {0};
    int r = op(f, &e, &d);
    if (r < 0)
        fail_msg("refused: %s", d.msg);
    char *want = clan_with(from, to);
    struct nix_file *g = applied(f, &e, want);
    check_clan_layout(want);
    free(want);
    nix_file_free(g);
    nix_file_free(f);
}

static int set_name(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("meta", "name"), "\"new \\u00e9\"", e, d);
}
static int set_name_object(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("meta", "name"), "{\"a\":[1,{}],\"b\":{\"c\":null}}", e, d);
}
static int add_domain(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("meta", "domain"), "\"example.com\"", e, d);
}
static int add_instance(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("instances", "borg"), "{\"module\": {\"name\": \"borgbackup\"}}",
                         e, d);
}
static int add_nested(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("machines", "gamma", "deploy", "targetHost"), "\"root@h\"", e, d);
}
static int add_top(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_set(f, P("services", "x"), "[]", e, d);
}
static int del_meta(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_delete(f, P("meta"), e, d);
}
static int del_alpha_deploy(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_delete(f, P("machines", "alpha", "deploy"), e, d);
}
static int del_instances(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_delete(f, P("instances"), e, d);
}
static int del_only(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_delete(f, P("meta", "name"), e, d);
}
static int append_tag(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_append(f, P("machines", "alpha", "tags"), "\"db\"", e, d);
}
static int append_empty(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_append(f, P("machines", "beta", "tags"), "\"db\"", e, d);
}
static int append_missing(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_append(f, P("machines", "alpha", "deploy", "extra"), "{\"x\": 1}", e, d);
}
static int remove_first(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_remove(f, P("machines", "alpha", "tags"), "\"\\u0062ackup\"", e, d);
}
static int remove_last(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_remove(f, P("machines", "alpha", "tags"), "\"web\"", e, d);
}
static int replace_tag(struct nix_file *f, struct nix_edit *e, struct diag *d)
{
    return json_edit_list_replace(f, P("machines", "alpha", "tags"), 1, "[\"x\", 2]", e, d);
}

static void test_edit_clan_layout(void **state)
{
    (void)state;
    clan_edit(set_name, "\"clan\"", "\"new \\u00e9\"");
    clan_edit(set_name_object, "\"clan\"",
              "{\n      \"a\": [\n        1,\n        {}\n      ],\n      \"b\": {\n"
              "        \"c\": null\n      }\n    }");
    clan_edit(add_domain, "\"clan\"\n", "\"clan\",\n    \"domain\": \"example.com\"\n");
    clan_edit(add_instance, "\"instances\": {}",
              "\"instances\": {\n    \"borg\": {\n      \"module\": {\n        \"name\": "
              "\"borgbackup\"\n      }\n    }\n  }");
    clan_edit(add_nested, "      \"tags\": []\n    }\n",
              "      \"tags\": []\n    },\n    \"gamma\": {\n      \"deploy\": {\n"
              "        \"targetHost\": \"root@h\"\n      }\n    }\n");
    clan_edit(add_top, "\"instances\": {}\n", "\"instances\": {},\n  \"services\": {\n"
                                              "    \"x\": []\n  }\n");
    clan_edit(del_meta, "  \"meta\": {\n    \"name\": \"clan\"\n  },\n", "");
    clan_edit(del_alpha_deploy,
              "      \"deploy\": {\n        \"targetHost\": \"root@192.0.2.1\"\n      },\n", "");
    clan_edit(del_instances, "},\n  \"instances\": {}\n", "}\n");
    clan_edit(del_only, "{\n    \"name\": \"clan\"\n  }", "{}");
    clan_edit(append_tag, "\"web\"\n", "\"web\",\n        \"db\"\n");
    clan_edit(append_empty, "\"tags\": []", "\"tags\": [\n        \"db\"\n      ]");
    clan_edit(append_missing, "\"root@192.0.2.1\"\n",
              "\"root@192.0.2.1\",\n        \"extra\": [\n          {\n            \"x\": 1\n"
              "          }\n        ]\n");
    clan_edit(remove_first, "        \"backup\",\n", "");
    clan_edit(remove_last, "\"backup\",\n        \"web\"\n", "\"backup\"\n");
    clan_edit(replace_tag, "\"web\"", "[\n          \"x\",\n          2\n        ]");
}

/* A series of edits, each on the result of the one before. */
static void test_edit_chain(void **state)
{
    (void)state;
    struct nix_file *f = parse("{}");
    struct nix_edit e = {0};
    struct diag d = {0};
    assert_int_equal(json_edit_set(f, P("meta", "name"), "\"c\"", &e, &d), 0);
    struct nix_file *g = applied(f, &e, "{\n  \"meta\": {\n    \"name\": \"c\"\n  }\n}");
    nix_file_free(f);
    f = g;
    assert_int_equal(json_edit_list_append(f, P("tags"), "\"a\"", &e, &d), 0);
    g = applied(f, &e, "{\n  \"meta\": {\n    \"name\": \"c\"\n  },\n  \"tags\": [\n    \"a\"\n  ]\n}");
    nix_file_free(f);
    f = g;
    assert_int_equal(json_edit_list_remove(f, P("tags"), "\"a\"", &e, &d), 0);
    g = applied(f, &e, "{\n  \"meta\": {\n    \"name\": \"c\"\n  },\n  \"tags\": []\n}");
    check_clan_layout(nix_file_text(g, NULL));
    nix_file_free(f);
    f = g;
    assert_int_equal(json_edit_delete(f, P("tags"), &e, &d), 0);
    g = applied(f, &e, "{\n  \"meta\": {\n    \"name\": \"c\"\n  }\n}");
    nix_file_free(f);
    f = g;
    assert_int_equal(json_edit_delete(f, P("meta"), &e, &d), 0);
    g = applied(f, &e, "{}");
    nix_file_free(f);
    nix_file_free(g);
    diag_clear(&d);
}

/* Other layouts: one-line objects and arrays stay on one line; a 4-space or tab indentation,
 * CRLF line ends and a trailing newline are kept; the root array. */
static void test_edit_other_layouts(void **state)
{
    (void)state;
    struct nix_edit e = {0};
    struct diag d = {0};
    struct nix_file *f = parse("{\"a\": [1, 2], \"b\": {\"c\": 1}, \"e\": {}}\n");
    assert_int_equal(json_edit_list_append(f, P("a"), "{\"x\":[true]}", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [1, 2, {\"x\": [true]}], \"b\": {\"c\": 1}, \"e\": {}}\n"));
    assert_int_equal(json_edit_set(f, P("b", "d", "e"), "2", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [1, 2], \"b\": {\"c\": 1, \"d\": {\"e\": 2}}, \"e\": {}}\n"));
    assert_int_equal(json_edit_set(f, P("e", "k"), "[1]", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [1, 2], \"b\": {\"c\": 1}, \"e\": {\"k\": [1]}}\n"));
    assert_int_equal(json_edit_delete(f, P("a"), &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"b\": {\"c\": 1}, \"e\": {}}\n"));
    assert_int_equal(json_edit_delete(f, P("b"), &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [1, 2], \"e\": {}}\n"));
    assert_int_equal(json_edit_delete(f, P("e"), &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [1, 2], \"b\": {\"c\": 1}}\n"));
    assert_int_equal(json_edit_list_remove(f, P("a"), "1.0", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [2], \"b\": {\"c\": 1}, \"e\": {}}\n"));
    assert_int_equal(json_edit_list_replace(f, P("a"), 0, "\"z\"", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\"a\": [\"z\", 2], \"b\": {\"c\": 1}, \"e\": {}}\n"));
    nix_file_free(f);

    f = parse("{\r\n    \"a\": {\r\n        \"b\": 1\r\n    }\r\n}\r\n");
    assert_int_equal(json_edit_set(f, P("a", "c", "d"), "[1]", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\r\n    \"a\": {\r\n        \"b\": 1,\r\n        \"c\": {\r\n"
                                 "            \"d\": [\r\n                1\r\n            ]\r\n"
                                 "        }\r\n    }\r\n}\r\n"));
    nix_file_free(f);
    f = parse("{\n\t\"a\": {}\n}");
    assert_int_equal(json_edit_set(f, P("a", "b"), "1", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\n\t\"a\": {\n\t\t\"b\": 1\n\t}\n}"));
    nix_file_free(f);

    f = parse("[\n  1,\n  2\n]");
    assert_int_equal(json_edit_list_append(f, NULL, 0, "3", &e, &d), 0);
    nix_file_free(applied(f, &e, "[\n  1,\n  2,\n  3\n]"));
    assert_int_equal(json_edit_list_remove(f, NULL, 0, "1", &e, &d), 0);
    nix_file_free(applied(f, &e, "[\n  2\n]"));
    assert_int_equal(json_edit_set(f, NULL, 0, "{\"a\": 1}", &e, &d), 0);
    nix_file_free(applied(f, &e, "{\n  \"a\": 1\n}"));
    nix_file_free(f);
    f = parse("[]");
    assert_int_equal(json_edit_list_append(f, NULL, 0, "\"x\"", &e, &d), 0);
    nix_file_free(applied(f, &e, "[\n  \"x\"\n]"));
    nix_file_free(f);
    diag_clear(&d);
}

static void refused(int r, struct diag *d, const char *want)
{
    assert_true(r < 0);
    if (!strstr(d->msg, want))
        fail_msg("diag: %s\nwant: %s", d->msg, want);
}

static void test_edit_refusals(void **state)
{
    (void)state;
    struct nix_file *f = parse(CLAN);
    struct nix_edit e = {0};
    struct diag d = {0};
    refused(json_edit_set(f, P("meta", "name", "x"), "1", &e, &d), &d,
            "'meta.name' is a string; expected an object to hold the member 'x'");
    assert_int_equal(d.line, 3);
    assert_int_equal(d.col, 13);
    refused(json_edit_set(f, P("meta", "name"), "{'a': 1}", &e, &d), &d,
            "'{'a': 1}' is not valid JSON (1:2: single-quoted key");
    refused(json_edit_set(f, P("meta", "name"), "1 2", &e, &d), &d, "is not valid JSON");
    refused(json_edit_set(f, P("meta", "na\xffme"), "1", &e, &d), &d, "not valid UTF-8");
    refused(json_edit_delete(f, P("meta", "nope"), &e, &d), &d,
            "'meta.nope' does not exist; expected a member to delete");
    refused(json_edit_delete(f, NULL, 0, &e, &d), &d, "cannot be deleted");
    refused(json_edit_list_append(f, P("meta"), "1", &e, &d), &d,
            "'meta' is an object; expected an array");
    refused(json_edit_list_append(f, P("meta", "name", "x"), "1", &e, &d), &d,
            "'meta.name' is a string; expected an object to hold the array 'x'");
    refused(json_edit_list_remove(f, P("machines", "alpha", "tags"), "\"db\"", &e, &d), &d,
            "'machines.alpha.tags' has no element \"db\"; expected one to remove");
    refused(json_edit_list_remove(f, P("machines", "x", "tags"), "\"db\"", &e, &d), &d,
            "'machines.x.tags' does not exist; expected an array");
    refused(json_edit_list_replace(f, P("machines", "alpha", "tags"), 2, "1", &e, &d), &d,
            "has 2 elements; expected an index below that, not 2");
    refused(json_edit_set(f, P("a.b", "c d"), "[", &e, &d), &d, "is not valid JSON");
    assert_null(e.v);
    diag_clear(&d);
    nix_file_free(f);
}

/* Python's layout? (true when python3 is missing) */
static bool clan_layout(const char *text)
{
    return !have("python3") ||
           !run_on("python3 -c 'import json,sys; s=open(sys.argv[1],encoding=\"utf-8\").read(); "
                   "sys.exit(0 if json.dumps(json.loads(s), indent=2) == s else 1)'", text);
}

/* The inventory.json files of tests/clans (when the checkout has them): a member added to
 * one in Clan's layout keeps it in that layout. */
static void test_clan_fixtures(void **state)
{
    (void)state;
    const char *top = getenv("top_srcdir");
    char *cmd;
    assert_true(asprintf(&cmd, "ls %s/tests/clans/*/inventory.json %s/tests/clans/*/*/inventory.json "
                               "2>/dev/null", top ? top : ".", top ? top : ".") > 0);
    FILE *ls = popen(cmd, "r");
    free(cmd);
    assert_non_null(ls);
    char path[4096];
    while (fgets(path, sizeof path, ls)) {
        path[strcspn(path, "\n")] = 0;
        char *text;
        size_t len;
        struct diag d = {0};
        struct diag_list dl = {0};
        struct nix_file *f = NULL;
        if (file_read(path, &text, &len, NULL, &d) < 0) {
            diag_clear(&d);
            continue;
        }
        /* only the valid ones, in Clan's layout, are of interest here */
        if (nix_file_from_json(path, text, len, &f, &dl) == 0 && clan_layout(text)) {
            struct nix_edit e = {0};
            assert_int_equal(json_edit_set(f, P("machines", "zz-new", "tags"), "[\"x\"]", &e, &d), 0);
            char *out;
            assert_int_equal(nix_edit_apply(f, &e, &out, &len), 0);
            check_clan_layout(out);
            free(out);
            nix_edit_free(&e);
        }
        nix_file_free(f);
        diag_list_free(&dl);
        free(text);
    }
    pclose(ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_positions),
        cmocka_unit_test(test_large_object),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_nix_functions),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_edit_clan_layout),
        cmocka_unit_test(test_edit_chain),
        cmocka_unit_test(test_edit_other_layouts),
        cmocka_unit_test(test_edit_refusals),
        cmocka_unit_test(test_clan_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
