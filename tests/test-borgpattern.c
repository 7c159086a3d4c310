/* core/borgpattern: every style against answers borg 1.2.4's own borg.patterns gave
 * (parse_pattern(PATTERN).match(PATH) and .pattern, recorded once; tests/tui-edit-exclude.sh
 * compares with the installed borg live), normpath, errors with columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/borgpattern.h"

struct borg_case {
    const char *pattern, *path, *prepared;
    bool match;
};

/* pattern, path, borg's prepared pattern, borg's answer */
static const struct borg_case cases[] = {
    {"*.pyc", "home/alice/x.pyc", "*.pyc/*", true},
    {"*.pyc", "home/alice/x.pyc/y", "*.pyc/*", true},
    {"*.pyc", "home/alice/x.py", "*.pyc/*", false},
    {"__pycache__", "home/alice/__pycache__", "__pycache__/*", false},
    {"__pycache__", "__pycache__/a", "__pycache__/*", true},
    {".cache", "home/alice/.cache", ".cache/*", false},
    {".cache", ".cache", ".cache/*", true},
    {"*/.cache", "home/alice/.cache/f", "*/.cache/*", true},
    {"*.tmp", "a.tmp", "*.tmp/*", true},
    {"/home/alice/documents", "home/alice/documents/a/b", "home/alice/documents/*", true},
    {"/home/alice/documents/", "home/alice/documents", "home/alice/documents/*/", false},
    {"/home/alice/documents/", "home/alice/documents/x", "home/alice/documents/*/", true},
    {"home/*/cache", "home/bob/x/cache", "home/*/cache/*", true},
    {"sh:home/*/cache", "home/bob/x/cache", "home/*/cache/**/*", false},
    {"sh:home/*/cache", "home/bob/cache/f", "home/*/cache/**/*", true},
    {"sh:**/.cache", "home/alice/.cache/f", "**/.cache/**/*", true},
    {"sh:**/.cache", ".cache", "**/.cache/**/*", true},
    {"sh:home/**/*.pyc", "home/a/b/c.pyc", "home/**/*.pyc/**/*", true},
    {"sh:home/**/*.pyc", "home/c.pyc", "home/**/*.pyc/**/*", true},
    {"sh:home/?", "home/a/x", "home/?/**/*", true},
    {"sh:home/?", "home//x", "home/?/**/*", false},
    {"sh:/home/alice/", "home/alice", "home/alice/**/*/", false},
    {"sh:/home/alice/", "home/alice/f", "home/alice/**/*/", true},
    {"re:\\.pyc$", "home/x.pyc", "\\.pyc$", true},
    {"re:^home/", "home/x", "^home/", true},
    {"re:^/home/", "home/x", "^/home/", false},
    {"re:cache", "var/cache/x", "cache", true},
    {"pp:/home/alice", "home/alice", "home/alice/", true},
    {"pp:/home/alice", "home/alicex", "home/alice/", false},
    {"pp:/home/alice", "home/alice/x", "home/alice/", true},
    {"pp:home//alice/./", "home/alice/x", "home/alice/", true},
    {"pf:/home/alice", "home/alice", "home/alice", true},
    {"pf:/home/alice", "home/alice/x", "home/alice", false},
    {"pf:home/../etc", "etc", "etc", true},
    {"fm:[abc].txt", "b.txt", "[abc].txt/*", true},
    {"fm:[!abc].txt", "b.txt", "[!abc].txt/*", false},
    {"fm:[!abc].txt", "d.txt", "[!abc].txt/*", true},
    {"fm:[a-c].txt", "b.txt", "[a-c].txt/*", true},
    {"fm:[z-a].txt", "b.txt", "[z-a].txt/*", false},
    {"fm:[].txt", "].txt", "[].txt/*", false},
    {"fm:[!].txt", "x.txt", "[!].txt/*", false},
    {"fm:[", "[", "[/*", true},
    {"fm:a?c", "a/c", "a?c/*", true},
    {"sh:a?c", "a/c", "a?c/**/*", false},
    {"sh:a[/]c", "a/c", "a[/]c/**/*", true},
    {"fm:**", "x/y", "**/*", true},
    {"sh:**", "x/y", "**/**/*", true},
    {"sh:**/", "x/y", "**/**/*/", true},
    {"fm:", "x", "./*", false},
    {"sh:", "x", "./**/*", false},
    {"fm:.", "x", "./*", false},
    {"fm:ä?", "äb", "ä?/*", true},
    {"sh:ä*", "äbc/d", "ä*/**/*", true},
    {"fm:*", "/", "*/*", true},
};

static void t_borg_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct borg_pattern *p = NULL;
        struct diag d = {0};
        int r = borg_pattern_parse(cases[i].pattern, &p, &d);
        if (r < 0)
            fail_msg("'%s': %s", cases[i].pattern, d.msg);
        if (strcmp(borg_pattern_prepared(p), cases[i].prepared))
            fail_msg("'%s': prepared '%s', borg has '%s'", cases[i].pattern,
                     borg_pattern_prepared(p), cases[i].prepared);
        if (borg_pattern_match(p, cases[i].path) != cases[i].match)
            fail_msg("'%s' on '%s': expected %s", cases[i].pattern, cases[i].path,
                     cases[i].match ? "a match" : "no match");
        /* a leading slash on the path changes nothing */
        char abs[256];
        snprintf(abs, sizeof(abs), "/%s", cases[i].path);
        assert_int_equal(borg_pattern_match(p, abs), cases[i].match);
        borg_pattern_free(p);
    }
}

static void t_styles(void **state)
{
    (void)state;
    static const char *const in[] = {"x", "fm:x", "sh:x", "re:x", "pp:x", "pf:x", "a:b", "C:\\x"};
    static const enum borg_pattern_style want[] = {BORG_PATTERN_FM, BORG_PATTERN_FM,
        BORG_PATTERN_SH, BORG_PATTERN_RE, BORG_PATTERN_PP, BORG_PATTERN_PF, BORG_PATTERN_FM,
        BORG_PATTERN_FM};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        struct borg_pattern *p = NULL;
        struct diag d = {0};
        assert_int_equal(borg_pattern_parse(in[i], &p, &d), 0);
        assert_int_equal(borg_pattern_style(p), want[i]);
        borg_pattern_free(p);
    }
    assert_string_equal(borg_pattern_style_name(BORG_PATTERN_PP), "pp");
}

static void t_errors(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned col;
        const char *msg;
    } bad[] = {
        {"xx:foo", 1, "unknown pattern style 'xx:'"},
        {"re:a(b", 4, "invalid regular expression"},
        {"re:\\d+", 4, "'\\d' is Python"},
        {"re:(?i)x", 4, "'(?' groups"},
        {"re:a*?", 6, "lazy quantifiers"},
        {"re:a++", 6, "possessive quantifiers"},
        {"re:a**", 6, "multiple repeat"},
        {"re:a{2}{3}", 8, "multiple repeat"},
        {"re:(a)\\1", 7, "backreferences"},
        {"re:a{1,1000}", 5, "repetition counts above 100"},
        {"re:[[:digit:]]", 5, "POSIX class"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct borg_pattern *p = NULL;
        struct diag d = {0};
        assert_true(borg_pattern_parse(bad[i].text, &p, &d) < 0);
        assert_null(p);
        assert_int_equal(d.col, bad[i].col);
        if (!strstr(d.msg, bad[i].msg))
            fail_msg("'%s': message '%s'", bad[i].text, d.msg);
        diag_clear(&d);
    }
}

static void t_normpath(void **state)
{
    (void)state;
    static const char *const io[][2] = {
        {"", "."}, {"/", "/"}, {"//", "//"}, {"///", "/"}, {"a//b/./c/", "a/b/c"},
        {"a/../b", "b"}, {"../a", "../a"}, {"/../a", "/a"}, {"a/b/../../..", ".."},
        {"./", "."}, {"//a/b", "//a/b"},
    };
    for (size_t i = 0; i < sizeof(io) / sizeof(io[0]); i++) {
        char *n = borg_normpath(io[i][0]);
        assert_non_null(n);
        if (strcmp(n, io[i][1]))
            fail_msg("normpath('%s') = '%s', expected '%s'", io[i][0], n, io[i][1]);
        free(n);
    }
}

/* What Python accepts and POSIX reads the same way still parses. */
static void t_regex_ok(void **state)
{
    (void)state;
    static const char *const ok[] = {"re:a{2,5}", "re:[*+?]+", "re:x{", "re:[a-z]+$", "re:\\.pyc$",
                                     "re:(ab|cd)*e"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct borg_pattern *p = NULL;
        struct diag d = {0};
        if (borg_pattern_parse(ok[i], &p, &d) < 0)
            fail_msg("'%s': %s", ok[i], d.msg);
        borg_pattern_free(p);
    }
}

/* Many stars cannot make a match slow: the automaton is linear per token. */
static void t_no_blowup(void **state)
{
    (void)state;
    char pat[400], path[400];
    memset(pat, 0, sizeof(pat));
    for (int i = 0; i < 100; i++)
        strcat(pat, "*a");
    strcat(pat, "b");
    memset(path, 'a', 300);
    path[300] = 0;
    for (int s = 0; s < 2; s++) {
        char full[420];
        snprintf(full, sizeof(full), "%s%s", s ? "sh:" : "", pat);
        struct borg_pattern *p = NULL;
        struct diag d = {0};
        assert_int_equal(borg_pattern_parse(full, &p, &d), 0);
        assert_false(borg_pattern_match(p, path));
        borg_pattern_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_borg_answers), cmocka_unit_test(t_styles),
        cmocka_unit_test(t_errors),       cmocka_unit_test(t_normpath),
        cmocka_unit_test(t_regex_ok),     cmocka_unit_test(t_no_blowup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
