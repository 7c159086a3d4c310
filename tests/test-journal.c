/* core/journal: export parser (any chunking, binary fields, errors), ring bounds, formatting,
 * sanitizing, selection parsing, per-job status. The end-to-end comparisons with journalctl
 * are in tests/journal-*.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

struct collected {
    struct journal_entry *v[64];
    size_t n;
};

static int collect(void *ctx, struct journal_entry *e)
{
    struct collected *c = ctx;
    if (c->n < 64)
        c->v[c->n++] = e;
    else
        journal_entry_free(e);
    return 0;
}

static void collected_free(struct collected *c)
{
    for (size_t i = 0; i < c->n; i++)
        journal_entry_free(c->v[i]);
    c->n = 0;
}

/* an export stream with a binary field whose data holds "\n\n" and NUL */
static size_t sample(char *out)
{
    size_t n = 0;
    const char *a = "__CURSOR=s=abc;i=1\n__REALTIME_TIMESTAMP=1764118800000000\n"
                    "__MONOTONIC_TIMESTAMP=42\n__SEQNUM=7\n_BOOT_ID=0123456789abcdef0123456789abcdef\n"
                    "_SYSTEMD_UNIT=borgbackup-job-x.service\nMESSAGE\n";
    memcpy(out + n, a, strlen(a));
    n += strlen(a);
    const char bin[] = "two\n\nlines\0nul";
    uint64_t len = sizeof bin - 1;
    for (int i = 0; i < 8; i++)
        out[n++] = (char)((len >> (8 * i)) & 0xff);
    memcpy(out + n, bin, len);
    n += len;
    const char *b = "\nPRIORITY=3\n\n__REALTIME_TIMESTAMP=1764118801000000\nMESSAGE=second\n\n";
    memcpy(out + n, b, strlen(b));
    n += strlen(b);
    return n;
}

static void check_sample(struct collected *c)
{
    assert_int_equal(c->n, 2);
    struct journal_entry *e = c->v[0];
    assert_string_equal(e->cursor, "s=abc;i=1");
    assert_true(e->realtime == 1764118800000000ULL);
    assert_true(e->monotonic == 42);
    assert_string_equal(e->boot_id, "0123456789abcdef0123456789abcdef");
    size_t len;
    const char *m = journal_entry_get(e, "MESSAGE", &len);
    assert_non_null(m);
    assert_int_equal(len, 14);
    assert_memory_equal(m, "two\n\nlines\0nul", 14);
    assert_string_equal(journal_entry_get(e, "PRIORITY", NULL), "3");
    assert_null(journal_entry_get(e, "__SEQNUM", NULL));
    assert_string_equal(journal_entry_get(c->v[1], "MESSAGE", NULL), "second");
}

static void test_export_any_chunking(void **state)
{
    (void)state;
    char s[1024];
    size_t n = sample(s);
    for (size_t chunk = 1; chunk <= n; chunk++) {
        struct journal_export_parser *p = journal_export_parser_new("test");
        struct collected c = {0};
        struct diag_list dl = {0};
        for (size_t off = 0; off < n; off += chunk)
            assert_int_equal(journal_export_feed(p, s + off, off + chunk > n ? n - off : chunk,
                                                 collect, &c, &dl), 0);
        assert_int_equal(journal_export_finish(p, collect, &c, &dl), 0);
        assert_int_equal(dl.n, 0);
        check_sample(&c);
        collected_free(&c);
        diag_list_free(&dl);
        journal_export_parser_free(p);
    }
}

static void test_export_errors_resync(void **state)
{
    (void)state;
    const char *s = "MESSAGE=ok1\n\n"
                    "lower=bad name\nMESSAGE=dropped\n\n"
                    "__REALTIME_TIMESTAMP=12x\nMESSAGE=dropped too\n\n"
                    "MESSAGE=ok2\n\n"
                    "-- Boot 1234 --\n\n"
                    "MESSAGE=ok3\nTRUNC\n\x05\x00";
    struct journal_export_parser *p = journal_export_parser_new("remote");
    struct collected c = {0};
    struct diag_list dl = {0};
    assert_int_equal(journal_export_feed(p, s, strlen(s) + 2, collect, &c, &dl), 0);
    assert_int_equal(journal_export_finish(p, collect, &c, &dl), 0);
    assert_int_equal(c.n, 2);
    assert_string_equal(journal_entry_get(c.v[0], "MESSAGE", NULL), "ok1");
    assert_string_equal(journal_entry_get(c.v[1], "MESSAGE", NULL), "ok2");
    assert_int_equal(dl.n, 4);
    char *m = diag_format(&dl.v[0]);
    assert_non_null(strstr(m, "remote:3:1: error: invalid field name"));
    free(m);
    m = diag_format(&dl.v[3]);
    assert_non_null(strstr(m, "binary field"));
    free(m);
    collected_free(&c);
    diag_list_free(&dl);
    journal_export_parser_free(p);
}

static struct journal_entry *mk(const char *msg, uint64_t rt)
{
    struct journal_entry_builder b = {0};
    b.realtime = rt;
    assert_int_equal(journal_entry_builder_add(&b, "MESSAGE", 7, msg, strlen(msg)), 0);
    struct journal_entry *e = journal_entry_builder_finish(&b);
    journal_entry_builder_free(&b);
    assert_non_null(e);
    return e;
}

static void test_ring_bounds(void **state)
{
    (void)state;
    struct journal_ring *r = journal_ring_new(3, 0);
    for (int i = 0; i < 10; i++)
        journal_ring_push(r, mk("x", (uint64_t)i));
    assert_int_equal(journal_ring_count(r), 3);
    assert_true(journal_ring_first(r) == 7);
    assert_true(journal_ring_end(r) == 10);
    assert_true(journal_ring_get(r, 7)->realtime == 7);
    assert_null(journal_ring_get(r, 6));
    assert_true(journal_ring_dropped(r) == 7);
    journal_ring_free(r);

    /* a byte bound: only as many as fit, but always the newest */
    struct journal_entry *probe = mk("0123456789", 0);
    size_t one = probe->size;
    journal_entry_free(probe);
    r = journal_ring_new(1000, one * 4);
    for (int i = 0; i < 100; i++)
        journal_ring_push(r, mk("0123456789", (uint64_t)i));
    assert_int_equal(journal_ring_count(r), 4);
    assert_true(journal_ring_bytes(r) <= one * 4);
    assert_true(journal_ring_get(r, 99)->realtime == 99);
    journal_ring_free(r);
}

static char *fmt(struct journal_entry *e, enum journal_output m)
{
    struct buf b = {0};
    journal_format(e, m, true, &b);
    return buf_steal(&b);
}

static void test_format_short(void **state)
{
    (void)state;
    setenv("TZ", "UTC", 1);
    struct journal_entry_builder b = {0};
    b.realtime = 1764118800000000ULL;
    journal_entry_builder_add(&b, "_HOSTNAME", 9, "alice", 5);
    journal_entry_builder_add(&b, "SYSLOG_IDENTIFIER", 17, "borg", 4);
    journal_entry_builder_add(&b, "_PID", 4, "42", 2);
    journal_entry_builder_add(&b, "MESSAGE", 7, "a\tb\n\nc", 6);
    struct journal_entry *e = journal_entry_builder_finish(&b);
    /* continuation lines are indented by the prefix's length, as journalctl does */
    char *s = fmt(e, JOURNAL_OUTPUT_SHORT_ISO);
    char want[256];
    snprintf(want, sizeof want, "%s%*s\n%*sc\n",
             "2025-11-26T01:00:00+0000 alice borg[42]: a        b\n", 41, "", 41, "");
    assert_string_equal(s, want);
    free(s);
    s = fmt(e, JOURNAL_OUTPUT_SHORT);
    snprintf(want, sizeof want, "%s%*s\n%*sc\n", "Nov 26 01:00:00 alice borg[42]: a        b\n",
             32, "", 32, "");
    assert_string_equal(s, want);
    free(s);
    journal_entry_free(e);

    /* escape sequences: colours stripped, others make the message a blob */
    const char *msgs[] = {"\x1b[31mred\x1b[0m", "\x1b]0;title\a!", "\x1b[2Jclear", "bell\a",
                          "bad \xff utf-8", "c1 \xc2\x9b", ""};
    const char *wants[] = {"red", "!", "[9B blob data]", "[5B blob data]", "[11B blob data]",
                          "[5B blob data]", ""};
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        e = mk(msgs[i], 1764118800000000ULL);
        s = fmt(e, JOURNAL_OUTPUT_SHORT_ISO);
        char w[128];
        snprintf(w, sizeof w, "2025-11-26T01:00:00+0000 unknown: %s\n", wants[i]);
        assert_string_equal(s, w);
        free(s);
        journal_entry_free(e);
    }
    char big[3000];
    memset(big, 'x', sizeof big);
    big[sizeof big - 1] = 0;
    big[5] = '\x01';
    e = mk(big, 0);
    s = fmt(e, JOURNAL_OUTPUT_SHORT_ISO);
    assert_non_null(strstr(s, "[2.9K blob data]"));
    free(s);
    journal_entry_free(e);

    /* no MESSAGE: skipped like journalctl */
    struct journal_entry_builder b2 = {0};
    journal_entry_builder_add(&b2, "FOO", 3, "bar", 3);
    e = journal_entry_builder_finish(&b2);
    struct buf out = {0};
    assert_int_equal(journal_format(e, JOURNAL_OUTPUT_SHORT, true, &out), 0);
    assert_int_equal(out.len, 0);
    journal_entry_free(e);
    journal_entry_builder_free(&b);
    journal_entry_builder_free(&b2);
}

static void test_format_bytes(void **state)
{
    (void)state;
    char b[32];
    journal_format_bytes(8, b, sizeof b);
    assert_string_equal(b, "8B");
    journal_format_bytes(2001, b, sizeof b);
    assert_string_equal(b, "1.9K");
    journal_format_bytes(5u << 20, b, sizeof b);
    assert_string_equal(b, "5.0M");
}

static void test_json(void **state)
{
    (void)state;
    struct journal_entry_builder b = {0};
    journal_entry_builder_add(&b, "MESSAGE", 7, "q\"\x1b", 3);
    journal_entry_builder_add(&b, "TAG", 3, "a", 1);
    journal_entry_builder_add(&b, "TAG", 3, "b", 1);
    journal_entry_builder_add(&b, "BIN", 3, "\0\xff", 2);
    journal_entry_builder_set_cursor(&b, "c", 1);
    b.realtime = 5;
    struct journal_entry *e = journal_entry_builder_finish(&b);
    char *s = fmt(e, JOURNAL_OUTPUT_JSON);
    assert_string_equal(s, "{\"__CURSOR\":\"c\",\"__REALTIME_TIMESTAMP\":\"5\","
                           "\"__MONOTONIC_TIMESTAMP\":\"0\",\"MESSAGE\":[113,34,27],"
                           "\"TAG\":[\"a\",\"b\"],\"BIN\":[0,255]}\n");
    free(s);
    journal_entry_free(e);
    journal_entry_builder_free(&b);
}

static void test_sanitize(void **state)
{
    (void)state;
    struct buf b = {0};
    const char in[] = "a\x1b[31mb\tc\nd\r\xff\xe2\x80\xae" "e\xc2\x9b" "f\x7f";
    journal_sanitize(in, sizeof in - 1, false, &b);
    assert_string_equal(b.p, "a\\x1b[31mb      c\xe2\x8f\x8e" "d\\x0d\\xff\\u{202e}e\\u{9b}f\\x7f");
    for (size_t i = 0; i < b.len; i++)
        assert_true((unsigned char)b.p[i] >= 0x20 || b.p[i] == '\n');
    buf_free(&b);
}

static void test_select_parsing(void **state)
{
    (void)state;
    int lo, hi;
    struct diag d = {0};
    assert_int_equal(journal_parse_priority("err", &lo, &hi, &d), 0);
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 3);
    assert_int_equal(journal_parse_priority("warning..err", &lo, &hi, &d), 0);
    assert_int_equal(lo, 3);
    assert_int_equal(hi, 4);
    assert_true(journal_parse_priority("loud", &lo, &hi, &d) < 0);
    assert_non_null(strstr(d.msg, "invalid priority 'loud'"));
    diag_clear(&d);

    setenv("TZ", "UTC", 1);
    uint64_t now = 1764118800000000ULL, t;
    assert_int_equal(journal_parse_time("2025-11-26 01:00:00", now, &t, &d), 0);
    assert_true(t == 1764118800000000ULL);
    assert_int_equal(journal_parse_time("2025-11-26", now, &t, &d), 0);
    assert_true(t == 1764115200000000ULL);
    assert_int_equal(journal_parse_time("-1h", now, &t, &d), 0);
    assert_true(t == now - 3600000000ULL);
    assert_int_equal(journal_parse_time("2d ago", now, &t, &d), 0);
    assert_true(t == now - 2 * 86400000000ULL);
    assert_int_equal(journal_parse_time("@1764118800", now, &t, &d), 0);
    assert_true(t == now);
    assert_int_equal(journal_parse_time("yesterday", now, &t, &d), 0);
    assert_true(t == 1764028800000000ULL);
    assert_true(journal_parse_time("2025-13-01", now, &t, &d) < 0);
    diag_clear(&d);

    char *u = journal_unit_mangle("borgbackup-job-x");
    assert_string_equal(u, "borgbackup-job-x.service");
    free(u);
    u = journal_unit_mangle("borgbackup-job-*");
    assert_string_equal(u, "borgbackup-job-*");
    free(u);
    u = journal_unit_mangle("borgbackup-job-x.timer");
    assert_string_equal(u, "borgbackup-job-x.timer");
    free(u);
    u = journal_unit_mangle("a b");
    assert_string_equal(u, "a\\x20b.service");
    free(u);

    struct journal_select sel = {.prio_max = -1, .lines = -1};
    assert_int_equal(journal_select_add_destination(&sel, "backup-server", &d), 0);
    assert_string_equal(sel.units[0], "borgbackup-job-backup-server.service");
    assert_true(journal_select_add_destination(&sel, "x/y", &d) < 0);
    diag_clear(&d);
    journal_select_free(&sel);
}

static struct journal_entry *ent(uint64_t rt, const char *kv[])
{
    struct journal_entry_builder b = {0};
    b.realtime = rt;
    for (size_t i = 0; kv[i]; i += 2)
        journal_entry_builder_add(&b, kv[i], strlen(kv[i]), kv[i + 1], strlen(kv[i + 1]));
    struct journal_entry *e = journal_entry_builder_finish(&b);
    journal_entry_builder_free(&b);
    return e;
}

static void test_status(void **state)
{
    (void)state;
    const char *start[] = {"UNIT", "borgbackup-job-d.service", "MESSAGE_ID",
                           "7d4958e842da4a758f6c1cdc7b36dcc5", "MESSAGE", "Starting x...", NULL};
    const char *line1[] = {"_SYSTEMD_UNIT", "borgbackup-job-d.service", "MESSAGE",
                           "Archive name: host-d-2025\x1b[31m", NULL};
    const char *line2[] = {"_SYSTEMD_UNIT", "borgbackup-job-d.service", "MESSAGE",
                           "Number of files: 12\nunrelated\nDuration: 3 s", NULL};
    const char *done[] = {"UNIT", "borgbackup-job-d.service", "MESSAGE_ID",
                          "39f53479d3a045ac8e11786248231fbf", "JOB_RESULT", "done", "MESSAGE",
                          "Finished x.", NULL};
    const char *other[] = {"_SYSTEMD_UNIT", "sshd.service", "MESSAGE", "Archive name: no", NULL};
    struct journal_status st = {0};
    const char **seq[] = {start, line1, line2, other, done};
    for (int i = 0; i < 5; i++) {
        struct journal_entry *e = ent(1000 + (uint64_t)i, seq[i]);
        assert_int_equal(journal_status_feed(&st, e), 0);
        journal_entry_free(e);
    }
    assert_int_equal(st.njobs, 1);
    const struct journal_job_status *j = journal_status_find(&st, "borgbackup-job-d.service");
    assert_non_null(j);
    assert_true(j->last_start == 1000);
    assert_true(j->last_end == 1004);
    assert_string_equal(j->result, "success");
    assert_string_equal(j->archive, "host-d-2025\\x1b[31m");
    assert_int_equal(j->nstats, 3);
    assert_string_equal(j->stats[2], "Duration: 3 s");
    journal_status_free(&st);

    /* unit names that are prefixes of each other, and one with a NUL (ignored) */
    struct journal_status st2 = {0};
    const char *names[] = {"borgbackup-job-a.service", "borgbackup-job-a.service-b.service",
                           "borgbackup-job-a.service"};
    for (int i = 0; i < 3; i++) {
        const char *kv[] = {"_SYSTEMD_UNIT", names[i], "MESSAGE", "Duration: 1 s", NULL};
        struct journal_entry *e = ent(1, kv);
        assert_int_equal(journal_status_feed(&st2, e), 0);
        journal_entry_free(e);
    }
    struct journal_entry_builder b = {0};
    journal_entry_builder_add(&b, "_SYSTEMD_UNIT", 13, "borgbackup-job-a.service\0x.service", 34);
    journal_entry_builder_add(&b, "MESSAGE", 7, "Duration: 2 s", 13);
    struct journal_entry *e = journal_entry_builder_finish(&b);
    assert_int_equal(journal_status_feed(&st2, e), 0);
    journal_entry_free(e);
    journal_entry_builder_free(&b);
    assert_int_equal(st2.njobs, 2);
    assert_int_equal(journal_status_find(&st2, "borgbackup-job-a.service")->nstats, 2);
    journal_status_free(&st2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_export_any_chunking),
        cmocka_unit_test(test_export_errors_resync),
        cmocka_unit_test(test_ring_bounds),
        cmocka_unit_test(test_format_short),
        cmocka_unit_test(test_format_bytes),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_select_parsing),
        cmocka_unit_test(test_status),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
