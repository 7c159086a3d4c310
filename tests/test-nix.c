/* core/nix: lexer/parser/printer, diagnostics, logical attribute tree, edits, quoting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nix.h"

/* Parse s; the round trip must always hold. Returns the file (caller frees). */
static struct nix_file *parse(const char *s, struct diag_list *dl)
{
    struct nix_file *f = NULL;
    assert_int_equal(nix_parse("t.nix", s, strlen(s), &f, dl), 0);
    struct buf b = {0};
    assert_int_equal(nix_file_print(f, &b), 0);
    assert_int_equal(b.len, strlen(s));
    assert_memory_equal(b.p ? b.p : "", s, b.len);
    buf_free(&b);
    return f;
}

static bool accepts(const char *s)
{
    struct diag_list dl = {0};
    struct nix_file *f = parse(s, &dl);
    bool ok = !nix_file_has_errors(f);
    assert_true(ok == (diag_list_count(&dl, DIAG_ERROR) == 0));
    nix_file_free(f);
    diag_list_free(&dl);
    return ok;
}

/* The first diagnostic of s as "LINE:COL: msg". */
static char *first_error(const char *s)
{
    struct diag_list dl = {0};
    struct nix_file *f = parse(s, &dl);
    assert_true(dl.n > 0);
    char *r;
    assert_true(asprintf(&r, "%u:%u: %s", dl.v[0].line, dl.v[0].col, dl.v[0].msg) > 0);
    nix_file_free(f);
    diag_list_free(&dl);
    return r;
}

static void test_roundtrip_odd_bytes(void **state)
{
    (void)state;
    const char *inputs[] = {
        "", " ", "{ a = 1; }", "{ a = 1; }\r\n", "{\r\n\ta = \"x\r\ny\";\r\n}",
        "\xff\xfe{ a = 1; }", "{ a = 1", "}}}}", "\"unterminated", "''\n  a\n",
        "/* open comment", "{ a = ''\n  x ''${y} '''\n''; }", "./a/${b}c/${d}",
        "# only a comment", "let in 1", "{ a.\"b c\".${d} = 1; }", "\x01\x02\x03",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        struct diag_list dl = {0};
        nix_file_free(parse(inputs[i], &dl));
        diag_list_free(&dl);
    }
}

static void test_accept_reject(void **state)
{
    (void)state;
    const char *good[] = {
        "1", "x: x", "_:null", "x:x", "{ a ? x:x }: a", "a: a.b or c", "a: a.b.or",
        "{ or = 1; }", "with {}; map or [ 1 ]", "with {}; [ a or b ]", "x: -x", "1 - 1",
        "with {}; f -1", "[ (-1) ]", "{ a, b ? 1, ... }@args: a", "args@{ a, b, }: a",
        "let a = 1; inherit (x) b; in a", "{ inherit; inherit (x); }", "rec { a = 1; }",
        "let { body = 1; }", "assert true; x: x", "if true then 1 else x: x",
        "\"$${x}\"", "''$${x}''", "''''${a}''", "a: ./a/${a}", "a: /${a}",
        "<nixpkgs/lib>", "https://x.org/p#frag", "1.5e3", "5.", ".5",
        "{ x.q = 3; x = { y = 3; }; }", "{ a = { b = 1; }; a = { c = 2; }; }",
        "{ ${\"a\"} = 1; b = 2; }", "let ${\"a\"} = 1; in a", "a: a ? b ? c",
        "!true == false", "a: b: a -> b -> a", "[ 1 2 ] ++ [ 3 ] ++ [ ]",
        "9223372036854775807", "a: a.\"b\".${\"c\"}", "__curPos", "x: x.y or x.z or 1",
    };
    const char *bad[] = {
        "", "# only a comment", "{ a = 1 }", "1 == 2 == 3", "1 < 2 < 3", "[ -1 ]",
        "with {}; f x: x", "[ x: x ]", "a + if b then c else d", "{ a = 1; a = 2; }",
        "{ a = 1; \"a\" = 2; }", "{ a.b = 1; a.b.c = 2; }", "{ a.b.c = 1; a = { b.d = 2; }; }",
        "{ meta.name = \"a\"; meta = { name = \"b\"; }; }", "x: let ${x} = 1; in 1",
        "x: { inherit ${x}; }", "{ a, a }: a", "x@{ x }: x", "9223372036854775808",
        "./a/", "~/", "{ $a = 1; }", "a 1\"", "/* x", "{ a, ..., }: a", "{ ..., a }: a",
        "{ , }: 1", "{ a }", "{ a = 1; }@x: 1", "let or = 1; in or", "a: a.b or",
        "a: a ? b.c or d", "inherit x (p) a;", "{ inherit x (p) a; }", "1.5e+",
        "a_b://c", "a: a${a}", "x: <a/${x}>", "/a//b", "\"${\"", "a |> b",
        "{ inherit a; a = 1; }", "{ a = 1; inherit a; }", "''''''''",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        if (!accepts(good[i]))
            fail_msg("rejected: %s", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (accepts(bad[i]))
            fail_msg("accepted: %s", bad[i]);
    }
}

static void test_diagnostics(void **state)
{
    (void)state;
    char *e = first_error("{ a = 1 }");
    assert_string_equal(e, "1:9: syntax error: unexpected '}', expected ';'");
    free(e);
    e = first_error("{\n  a = 1;\n  a = 2;\n}\n");
    assert_non_null(strstr(e, "3:3: attribute 'a' already defined at t.nix:2:3"));
    free(e);
    e = first_error("");
    assert_non_null(strstr(e, "unexpected end of file"));
    free(e);
    e = first_error("{ a = x: y: ; }");
    assert_non_null(strstr(e, "1:13: syntax error: unexpected ';', expected an expression"));
    free(e);
    /* recovery: both errors are reported */
    struct diag_list dl = {0};
    struct nix_file *f = parse("{\n  a = 1;\n  b = ;\n  c = 3\n}\n", &dl);
    assert_int_equal(dl.n, 2);
    assert_int_equal(dl.v[0].line, 3);
    assert_int_equal(dl.v[0].col, 7);
    assert_int_equal(dl.v[1].line, 5);
    assert_int_equal(dl.v[1].col, 1);
    nix_file_free(f);
    diag_list_free(&dl);
}

static void test_deep_nesting(void **state)
{
    (void)state;
    size_t n = 200000;
    char *s = malloc(2 * n + 2);
    memset(s, '(', n);
    s[n] = '1';
    memset(s + n + 1, ')', n);
    s[2 * n + 1] = 0;
    struct diag_list dl = {0};
    struct nix_file *f = parse(s, &dl); /* still a lossless tree */
    assert_true(nix_file_has_errors(f));
    assert_int_equal(dl.n, 1);
    assert_non_null(strstr(dl.v[0].msg, "nested too deeply"));
    nix_file_free(f);
    diag_list_free(&dl);
    for (size_t i = 0; i < n; i++) /* also without the closing half, and as lists */
        s[i] = "([{"[i % 3];
    s[n] = 0;
    f = parse(s, &dl);
    assert_true(nix_file_has_errors(f));
    nix_file_free(f);
    diag_list_free(&dl);
    /* 500 levels are fine */
    memset(s, '[', 500);
    s[500] = ']';
    memset(s + 501, ']', 499);
    s[1000] = 0;
    assert_true(accepts(s));
    free(s);
    /* long flat chains do not recurse */
    struct buf b = {0};
    buf_puts(&b, "[ ] ");
    for (int i = 0; i < 20000; i++)
        buf_puts(&b, "++ [ 1 ] // { } -> 1 + 2 ");
    assert_true(accepts(b.p)); /* operators of every level, 80000 of them */
    buf_reset(&b);
    buf_puts(&b, "[ ]");
    for (int i = 0; i < 20000; i++)
        buf_puts(&b, " ++ [ 1 ]");
    assert_true(accepts(b.p));
    buf_free(&b);
}

static const char *sample =
    "{ inputs, ... }:\n"
    "let\n"
    "  x = 1;\n"
    "in\n"
    "inputs.clan-core.lib.clan {\n"
    "  # the name\n"
    "  meta.name = \"demo\";\n"
    "  meta.domain = \"demo.lol\";\n"
    "  inventory.machines = {\n"
    "    alice = {\n"
    "      tags = [ \"a\" \"b\" ];\n"
    "    };\n"
    "    \"bob-2\".deploy.targetHost = \"root@bob\";\n"
    "  };\n"
    "  inventory = { instances.x.module.name = \"users\"; };\n"
    "  machines.alice = { config, ... }: { services.foo.enable = true; };\n"
    "  n = 42; f = 1.5; p = ./a/b; o = lib.mkForce 3; s = ''\n"
    "    line1\n"
    "      line2\n"
    "  '';\n"
    "  inherit x;\n"
    "}\n";

static const char *const *P(const char *a, const char *b, const char *c, const char *d)
{
    static const char *v[4];
    v[0] = a, v[1] = b, v[2] = c, v[3] = d;
    return v;
}

static void test_tree(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct nix_file *f = parse(sample, &dl);
    assert_int_equal(dl.n, 0);
    const struct nix_value *r = nix_file_root(f);
    assert_non_null(r);
    assert_int_equal(r->kind, NIX_ATTRS);
    const struct nix_value *m = nix_value_get(r, "meta");
    assert_non_null(m);
    assert_true(m->implicit);
    assert_int_equal(m->nchildren, 2);
    const struct nix_value *v = nix_value_lookup(r, P("meta", "name", 0, 0), 2);
    assert_int_equal(v->kind, NIX_STRING);
    assert_string_equal(v->str, "demo");
    assert_int_equal(nix_key_line(v), 7);
    assert_int_equal(nix_key_col(v), 8);
    v = nix_value_lookup(r, P("inventory", "machines", "bob-2", "deploy"), 4);
    assert_non_null(v);
    assert_string_equal(nix_value_get(v, "targetHost")->str, "root@bob");
    v = nix_value_lookup(r, P("inventory", "machines", "alice", "tags"), 4);
    assert_int_equal(v->kind, NIX_LIST);
    assert_int_equal(v->nchildren, 2);
    assert_string_equal(v->children[1]->str, "b");
    v = nix_value_lookup(r, P("inventory", "instances", "x", "module"), 4);
    assert_string_equal(nix_value_get(v, "name")->str, "users");
    v = nix_value_lookup(r, P("machines", "alice", "services", "foo"), 4);
    assert_non_null(v);
    assert_int_equal(nix_value_get(v, "enable")->kind, NIX_BOOL);
    assert_true(nix_value_get(v, "enable")->bval);
    assert_int_equal(nix_value_get(r, "n")->ival, 42);
    assert_true(nix_value_get(r, "f")->fval == 1.5);
    assert_int_equal(nix_value_get(r, "p")->kind, NIX_PATH);
    assert_string_equal(nix_value_get(r, "p")->str, "./a/b");
    v = nix_value_get(r, "o");
    assert_int_equal(v->kind, NIX_OPAQUE);
    size_t len;
    const char *text = nix_file_text(f, &len);
    assert_int_equal(nix_val_end(v) - nix_val_start(v), strlen("lib.mkForce 3"));
    assert_memory_equal(text + nix_val_start(v), "lib.mkForce 3",
                        nix_val_end(v) - nix_val_start(v));
    assert_string_equal(nix_value_get(r, "s")->str, "line1\n  line2\n");
    assert_int_equal(nix_value_get(r, "x")->kind, NIX_OPAQUE);
    nix_file_free(f);
    diag_list_free(&dl);
}

static void test_attrpath_split(void **state)
{
    (void)state;
    char **s;
    size_t n;
    struct diag d = {0};
    assert_int_equal(nix_attrpath_split("a.b.\"c-d\".\"e.f\"", &s, &n, &d), 0);
    assert_int_equal(n, 4);
    assert_string_equal(s[2], "c-d");
    assert_string_equal(s[3], "e.f");
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
    assert_true(nix_attrpath_split("a..b", &s, &n, &d) < 0);
    assert_non_null(strstr(d.msg, "empty name"));
    assert_true(nix_attrpath_split("a.\"b", &s, &n, &d) < 0);
    diag_clear(&d);
}

static void test_quote(void **state)
{
    (void)state;
    char *q = nix_quote_string("a\"b\\c${d}$e\n");
    assert_string_equal(q, "\"a\\\"b\\\\c\\${d}$e\\n\"");
    free(q);
    q = nix_quote_key("web-01");
    assert_string_equal(q, "web-01");
    free(q);
    q = nix_quote_key("or");
    assert_string_equal(q, "\"or\"");
    free(q);
    q = nix_quote_key("1a");
    assert_string_equal(q, "\"1a\"");
    free(q);
    q = nix_quote_key("");
    assert_string_equal(q, "\"\"");
    free(q);
}

/* Apply an edit function's result and compare with the expected text. */
static void expect_text(struct nix_file *f, int r, struct nix_edit *e, struct diag *d,
                        const char *want)
{
    if (r < 0)
        fail_msg("edit refused: %s", d->msg);
    char *out;
    size_t len;
    assert_int_equal(nix_edit_apply(f, e, &out, &len), 0);
    if (strcmp(out, want))
        fail_msg("got:\n%s\nwanted:\n%s", out, want);
    free(out);
    nix_edit_free(e);
}

/* A new attribute is written as its nearest sibling writes its own: names quoted when the
 * sibling quotes a name that needs no quotes, attribute path or nested set, indentation. */
static void test_edit_set_style(void **state)
{
    (void)state;
    static const struct {
        const char *why, *src, *path[3], *expr, *want;
    } cases[] = {
        {"quoted siblings, as an attribute path",
         "{\n  machines.\"postgres-server\".tags = [ ];\n}\n", {"machines", "alice-laptop", "tags"}, "[ ]",
         "{\n  machines.\"postgres-server\".tags = [ ];\n  machines.\"alice-laptop\".tags = [ ];\n}\n"},
        {"bare siblings stay bare", "{\n  machines.web-01.tags = [ ];\n}\n", {"machines", "db", "tags"}, "[ ]",
         "{\n  machines.web-01.tags = [ ];\n  machines.db.tags = [ ];\n}\n"},
        {"a name that needs quotes gets them anyway", "{\n  machines.web-01.tags = [ ];\n}\n",
         {"machines", "a.b", "tags"}, "[ ]",
         "{\n  machines.web-01.tags = [ ];\n  machines.\"a.b\".tags = [ ];\n}\n"},
        {"a sibling quoting a name that needs quotes says nothing", "{\n  m.\"a.b\".x = 1;\n}\n",
         {"m", "c", "x"}, "2", "{\n  m.\"a.b\".x = 1;\n  m.c.x = 2;\n}\n"},
        {"a nested set, indented by the sibling's step (4), quoted like it",
         "{\n  machines = {\n    \"postgres-server\" = {\n        tags = [ \"db\" ];\n    };\n  };\n}\n",
         {"machines", "alice-laptop", "tags"}, "[ ]",
         "{\n  machines = {\n    \"postgres-server\" = {\n        tags = [ \"db\" ];\n    };\n"
         "    \"alice-laptop\" = {\n        tags = [ ];\n    };\n  };\n}\n"},
        {"a one-line sibling set gives a one-line set", "{\n  m = {\n    jon = { tags = [ ]; };\n  };\n}\n",
         {"m", "ann", "tags"}, "[ ]",
         "{\n  m = {\n    jon = { tags = [ ]; };\n    ann = { tags = [ ]; };\n  };\n}\n"},
        {"an empty sibling set shows no preference", "{\n  m = {\n    jon = { };\n  };\n}\n",
         {"m", "ann", "tags"}, "[ ]", "{\n  m = {\n    jon = { };\n    ann.tags = [ ];\n  };\n}\n"},
        {"the sibling sharing the longest prefix decides",
         "{\n  m.a = { x = 1; };\n  m.b.x = 2;\n  n = { y = 1; };\n}\n", {"m", "c", "x"}, "3",
         "{\n  m.a = { x = 1; };\n  m.b.x = 2;\n  m.c.x = 3;\n  n = { y = 1; };\n}\n"},
        {"CRLF inside a new nested set", "{\r\n  a = {\r\n    x = 1;\r\n  };\r\n}\r\n", {"b", "y"}, "2",
         "{\r\n  a = {\r\n    x = 1;\r\n  };\r\n  b = {\r\n    y = 2;\r\n  };\r\n}\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct diag_list dl = {0};
        struct diag d = {0};
        struct nix_edit e = {0};
        struct nix_file *f = parse(cases[i].src, &dl);
        size_t n = cases[i].path[2] ? 3 : 2;
        print_message("%s\n", cases[i].why);
        expect_text(f, nix_edit_set(f, cases[i].path, n, cases[i].expr, &e, &d), &e, &d, cases[i].want);
        nix_file_free(f);
        diag_list_free(&dl);
        diag_clear(&d);
    }
}

static void test_edit_set(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct diag d = {0};
    struct nix_edit e = {0};
    const char *src = "{\n  a = 1; # one\n  b.c = \"x\";\n  d = {\n    e = true;\n  };\n}\n";
    struct nix_file *f = parse(src, &dl);
    expect_text(f, nix_edit_set(f, P("a", 0, 0, 0), 1, "2", &e, &d), &e, &d,
                "{\n  a = 2; # one\n  b.c = \"x\";\n  d = {\n    e = true;\n  };\n}\n");
    expect_text(f, nix_edit_set(f, P("b", "z", 0, 0), 2, "3", &e, &d), &e, &d,
                "{\n  a = 1; # one\n  b.c = \"x\";\n  b.z = 3;\n  d = {\n    e = true;\n  };\n}\n");
    expect_text(f, nix_edit_set(f, P("d", "f", "g", 0), 3, "[ ]", &e, &d), &e, &d,
                "{\n  a = 1; # one\n  b.c = \"x\";\n  d = {\n    e = true;\n    f.g = [ ];\n  };\n}\n");
    /* the nearest sibling, d, holds a set: the new key gets one too */
    expect_text(f, nix_edit_set(f, P("new-key", "or", 0, 0), 2, "null", &e, &d), &e, &d,
                "{\n  a = 1; # one\n  b.c = \"x\";\n  d = {\n    e = true;\n  };\n  new-key = {\n    \"or\" = null;\n  };\n}\n");
    /* refusals */
    assert_true(nix_edit_set(f, P("a", "b", 0, 0), 2, "1", &e, &d) < 0);
    assert_non_null(strstr(d.msg, "'a' is an integer"));
    assert_true(nix_edit_set(f, P("a", 0, 0, 0), 1, "1 +", &e, &d) < 0);
    assert_non_null(strstr(d.msg, "not a valid Nix expression"));
    nix_file_free(f);
    /* one-line sets and CRLF files */
    f = parse("{ a = { }; b = { x = 1; }; }", &dl);
    expect_text(f, nix_edit_set(f, P("a", "y", 0, 0), 2, "2", &e, &d), &e, &d,
                "{ a = { y = 2; }; b = { x = 1; }; }");
    expect_text(f, nix_edit_set(f, P("b", "y", 0, 0), 2, "2", &e, &d), &e, &d,
                "{ a = { }; b = { x = 1; y = 2; }; }");
    nix_file_free(f);
    f = parse("{\r\n  a = 1;\r\n}\r\n", &dl);
    expect_text(f, nix_edit_set(f, P("b", 0, 0, 0), 1, "2", &e, &d), &e, &d,
                "{\r\n  a = 1;\r\n  b = 2;\r\n}\r\n");
    nix_file_free(f);
    /* an attribute defined by several dotted bindings is replaced as a whole */
    f = parse("{\n  m.a = 1;\n  m.b = 2;\n}\n", &dl);
    expect_text(f, nix_edit_set(f, P("m", 0, 0, 0), 1, "{ }", &e, &d), &e, &d,
                "{\n  m = { };\n}\n");
    nix_file_free(f);
    diag_clear(&d);
    diag_list_free(&dl);
}

static void test_edit_delete(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct diag d = {0};
    struct nix_edit e = {0};
    struct nix_file *f = parse("{\n  a = 1; # one\n  b.c = 2; b.d = 3;\n  inherit x y;\n}\n", &dl);
    expect_text(f, nix_edit_delete(f, P("a", 0, 0, 0), 1, &e, &d), &e, &d,
                "{\n  b.c = 2; b.d = 3;\n  inherit x y;\n}\n");
    expect_text(f, nix_edit_delete(f, P("b", "c", 0, 0), 2, &e, &d), &e, &d,
                "{\n  a = 1; # one\n  b.d = 3;\n  inherit x y;\n}\n");
    nix_file_free(f);
    /* the parent made by the only dotted binding stays, empty */
    f = parse("{\n  a.b.c = 1;\n  z = 2;\n}\n", &dl);
    expect_text(f, nix_edit_delete(f, P("a", "b", "c", 0), 3, &e, &d), &e, &d,
                "{\n  a.b = { };\n  z = 2;\n}\n");
    nix_file_free(f);
    f = parse("{\n  a = 1; # one\n  b.c = 2; b.d = 3;\n  inherit x y;\n}\n", &dl);
    expect_text(f, nix_edit_delete(f, P("b", 0, 0, 0), 1, &e, &d), &e, &d,
                "{\n  a = 1; # one\n  inherit x y;\n}\n");
    expect_text(f, nix_edit_delete(f, P("y", 0, 0, 0), 1, &e, &d), &e, &d,
                "{\n  a = 1; # one\n  b.c = 2; b.d = 3;\n  inherit x;\n}\n");
    assert_true(nix_edit_delete(f, P("zz", 0, 0, 0), 1, &e, &d) < 0);
    nix_file_free(f);
    diag_clear(&d);
    diag_list_free(&dl);
}

static void test_edit_lists(void **state)
{
    (void)state;
    struct diag_list dl = {0};
    struct diag d = {0};
    struct nix_edit e = {0};
    struct nix_file *f = parse("{\n  a = [ \"x\" ];\n  b = [\n    1\n    2\n  ];\n  c = [ ];\n}\n", &dl);
    expect_text(f, nix_edit_list_append(f, P("a", 0, 0, 0), 1, "\"y\"", &e, &d), &e, &d,
                "{\n  a = [ \"x\" \"y\" ];\n  b = [\n    1\n    2\n  ];\n  c = [ ];\n}\n");
    expect_text(f, nix_edit_list_append(f, P("b", 0, 0, 0), 1, "-3", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    1\n    2\n    (-3)\n  ];\n  c = [ ];\n}\n");
    expect_text(f, nix_edit_list_append(f, P("c", 0, 0, 0), 1, "f x", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    1\n    2\n  ];\n  c = [ (f x) ];\n}\n");
    expect_text(f, nix_edit_list_append(f, P("z", 0, 0, 0), 1, "1", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    1\n    2\n  ];\n  c = [ ];\n  z = [ 1 ];\n}\n");
    expect_text(f, nix_edit_list_remove(f, P("a", 0, 0, 0), 1, "''x''", &e, &d), &e, &d,
                "{\n  a = [ ];\n  b = [\n    1\n    2\n  ];\n  c = [ ];\n}\n");
    expect_text(f, nix_edit_list_remove(f, P("b", 0, 0, 0), 1, "1", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    2\n  ];\n  c = [ ];\n}\n");
    expect_text(f, nix_edit_list_insert(f, P("b", 0, 0, 0), 1, 1, "7", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    1\n    7\n    2\n  ];\n  c = [ ];\n}\n");
    expect_text(f, nix_edit_list_replace(f, P("b", 0, 0, 0), 1, 0, "8", &e, &d), &e, &d,
                "{\n  a = [ \"x\" ];\n  b = [\n    8\n    2\n  ];\n  c = [ ];\n}\n");
    assert_true(nix_edit_list_remove(f, P("b", 0, 0, 0), 1, "9", &e, &d) < 0);
    assert_true(nix_edit_list_append(f, P("b", "q", 0, 0), 2, "9", &e, &d) < 0);
    nix_file_free(f);
    /* a list behind `with pkgs;` */
    f = parse("{ pkgs, ... }: {\n  environment.systemPackages = with pkgs; [\n    hello\n  ];\n}\n", &dl);
    expect_text(f, nix_edit_list_append(f, P("environment", "systemPackages", 0, 0), 2, "git", &e, &d),
                &e, &d, "{ pkgs, ... }: {\n  environment.systemPackages = with pkgs; [\n    hello\n    git\n  ];\n}\n");
    expect_text(f, nix_edit_list_remove(f, P("environment", "systemPackages", 0, 0), 2, "hello", &e, &d),
                &e, &d, "{ pkgs, ... }: {\n  environment.systemPackages = with pkgs; [\n  ];\n}\n");
    nix_file_free(f);
    diag_clear(&d);
    diag_list_free(&dl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_odd_bytes),
        cmocka_unit_test(test_accept_reject),
        cmocka_unit_test(test_diagnostics),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_attrpath_split),
        cmocka_unit_test(test_quote),
        cmocka_unit_test(test_edit_set),
        cmocka_unit_test(test_edit_set_style),
        cmocka_unit_test(test_edit_delete),
        cmocka_unit_test(test_edit_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
