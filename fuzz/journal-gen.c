/* journal-gen: random journals and selections for the differential fuzzer
 * (fuzz/journal-diff-fuzz.sh).
 *
 *   journal-gen SEED ENTRIES EXPORT SELECTIONS NSEL
 *
 * EXPORT gets a journal export stream (systemd-journal-remote turns it into a journal
 * file): units as the service itself, PID 1 (UNIT=), authorized daemons
 * (OBJECT_SYSTEMD_UNIT=) and coredumps write them; text and binary fields, multi-line,
 * empty, long, control-character and invalid UTF-8 messages, all priorities and invalid
 * ones, missing identifiers, source timestamps, fields given twice, values around
 * journalctl's JSON size threshold, several boots and clock jumps.
 * SELECTIONS gets NSEL selections, one argument per line, each selection ended by a line
 * "--": units and globs, priorities and ranges, --since/--until around the entries, -n,
 * -g, -o short-iso|short|json. Deterministic for a given SEED. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t S;

static unsigned rnd(unsigned n)
{
    S ^= S << 13;
    S ^= S >> 7;
    S ^= S << 17;
    return n ? (unsigned)(S % n) : 0;
}

#define PICK(arr) (arr[rnd(sizeof arr / sizeof *arr)])

static const char *const units[] = {
    "borgbackup-job-a.service", "borgbackup-job-b.service", "borgbackup-job-offsite.service",
    "borgbackup-job-offsite.timer", "borgbackup-job-x-y.service", "sshd.service",
    "borgbackup-job-a.timer", "cron.service", "borgbackup-job-A.service"};
static const char *const words[] = {
    "archive", "Archive", "borg", "create", "failed", "refused", "job", "Starting",
    "Finished", "repository", "lock", "error", "ERROR", "done", "x", "prune", "é", "über",
    "Ünïcode", "a.b", "[1]", "(x)", "100%", "$HOME", "a|b", "tab\there"};
static const char *const idents[] = {"borg", "systemd", "sshd", "borgbackup-job-a-pre-start",
                                     "kernel", "a b", "x:y", "é"};
static const char *const hosts[] = {"alice-laptop", "backup-server", "bob", "a.b.example"};

/* a text field, or binary when the value holds a newline (or at random) */
static void field(FILE *f, const char *name, const char *val, size_t len)
{
    if (memchr(val, '\n', len) || memchr(val, 0, len) || rnd(20) == 0) {
        fprintf(f, "%s\n", name);
        uint64_t n = len;
        for (int i = 0; i < 8; i++)
            fputc((int)((n >> (8 * i)) & 255), f);
        fwrite(val, 1, len, f);
        fputc('\n', f);
    } else {
        fprintf(f, "%s=", name);
        fwrite(val, 1, len, f);
        fputc('\n', f);
    }
}

static void sfield(FILE *f, const char *name, const char *val)
{
    field(f, name, val, strlen(val));
}

static size_t message(char *m, size_t max)
{
    size_t n = 0;
    int kind = (int)rnd(14);
    int nw = kind == 0 ? 0 : 1 + (int)rnd(kind == 1 ? 80 : 8);
    for (int i = 0; i < nw && n + 40 < max; i++) {
        if (i)
            m[n++] = ' ';
        const char *w = PICK(words);
        memcpy(m + n, w, strlen(w));
        n += strlen(w);
        if (rnd(25) == 0) { /* something a terminal would interpret, or odd bytes */
            static const char *const odd[] = {"\n", "\n\n", "\r", "\x1b[31m", "\x07", "\xff",
                                              "\xc3", "\xed\xa0\x80", "\x7f", "\t", "\x01",
                                              "\xe2\x80\xae", " \n", "\x00"};
            const char *o = PICK(odd);
            size_t ol = *o ? strlen(o) : 1;
            memcpy(m + n, o, ol);
            n += ol;
        }
    }
    if (kind == 2 && n + 2 < max)
        m[n++] = '\n';
    if (kind == 3 && n + 3 < max)
        m[n++] = ' ', m[n++] = ' ';
    return n;
}

static void fmt_time(char *out, size_t max, uint64_t usec, int form)
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    switch (form) {
    case 0: snprintf(out, max, "@%llu", (unsigned long long)t); break;
    case 1: strftime(out, max, "%Y-%m-%d %H:%M:%S UTC", &tm); break;
    case 2: strftime(out, max, "%Y-%m-%d %H:%M UTC", &tm); break;
    default:
        snprintf(out, max, "@%llu.%06llu", (unsigned long long)t,
                 (unsigned long long)(usec % 1000000));
        break;
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: journal-gen SEED ENTRIES EXPORT SELECTIONS NSEL\n");
        return 2;
    }
    S = strtoull(argv[1], NULL, 10) * 2654435761ULL + 88172645463325252ULL;
    int n = atoi(argv[2]), nsel = atoi(argv[5]);
    FILE *ex = fopen(argv[3], "wb"), *sel = fopen(argv[4], "w");
    if (!ex || !sel) {
        perror("journal-gen");
        return 1;
    }
    uint64_t rt = 1774742400ULL * 1000000 + rnd(86400) * 1000000ULL; /* 2026-03-29 UTC */
    uint64_t mono = 5000000, lo = rt, hi = rt;
    int boot = 1;
    for (int i = 0; i < n; i++) {
        switch (rnd(40)) {
        case 0: rt += (uint64_t)rnd(100) * 3600000000ULL; break; /* forward hours */
        case 1: rt -= (uint64_t)rnd(7200) * 1000000ULL; break;   /* clock set back */
        case 2: boot++, mono = 1000000 + rnd(1000000); break;    /* new boot */
        default: break;
        }
        uint64_t step = rnd(4) ? rnd(5000000) : rnd(1000);
        rt += step;
        mono += step;
        if (rt < lo)
            lo = rt;
        if (rt > hi)
            hi = rt;
        fprintf(ex, "__REALTIME_TIMESTAMP=%llu\n__MONOTONIC_TIMESTAMP=%llu\n_BOOT_ID=%032x\n",
                (unsigned long long)rt, (unsigned long long)mono, boot);
        if (rnd(10))
            sfield(ex, "_HOSTNAME", PICK(hosts));
        const char *u = PICK(units);
        switch (rnd(8)) {
        case 0: /* PID 1 about the unit */
            fprintf(ex, "_PID=1\n_UID=0\n_COMM=systemd\nSYSLOG_IDENTIFIER=systemd\n");
            sfield(ex, "UNIT", u);
            break;
        case 1: /* an authorized (or not) daemon about the unit */
            fprintf(ex, "_PID=%u\n_UID=%s\n_COMM=logger\n", 100 + rnd(900), rnd(2) ? "0" : "1000");
            sfield(ex, "OBJECT_SYSTEMD_UNIT", u);
            break;
        case 2: /* a coredump */
            fprintf(ex, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1\n_UID=%s\n_PID=%u\n",
                    rnd(3) ? "0" : "1000", 200 + rnd(50));
            sfield(ex, "COREDUMP_UNIT", u);
            break;
        default: /* the service itself */
            sfield(ex, "_SYSTEMD_UNIT", u);
            if (rnd(6))
                fprintf(ex, "_PID=%u\n", 1000 + rnd(9000));
            if (rnd(3))
                sfield(ex, "_COMM", PICK(idents));
            if (rnd(5))
                sfield(ex, "SYSLOG_IDENTIFIER", PICK(idents));
            if (rnd(8) == 0)
                fprintf(ex, "SYSLOG_PID=%u\n", rnd(100));
            if (rnd(15) == 0)
                fprintf(ex, "_TRANSPORT=kernel\n");
            break;
        }
        static const char *const prios[] = {"0", "1", "2", "3", "4", "5", "6", "7",
                                            "6", "6", "3", "8", "x", "", "07", "-1"};
        if (rnd(12))
            sfield(ex, "PRIORITY", PICK(prios));
        if (rnd(20) == 0) {
            static const char *const src[] = {"0", "x", "99999999999999999999", "1"};
            if (rnd(2))
                fprintf(ex, "_SOURCE_REALTIME_TIMESTAMP=%llu\n",
                        (unsigned long long)(rt - rnd(10000000)));
            else
                sfield(ex, "_SOURCE_REALTIME_TIMESTAMP", PICK(src));
        }
        if (rnd(8) == 0)
            sfield(ex, "BORG_FIELD", "some value");
        if (rnd(12)) {
            static char m[8192];
            size_t ml = message(m, 4096);
            if (rnd(60) == 0) { /* around journalctl's 4096-byte JSON threshold */
                size_t want = 4090 + rnd(10) + (rnd(2) ? 0 : 1000);
                while (ml < want)
                    m[ml++] = (char)('a' + rnd(26));
            }
            field(ex, "MESSAGE", m, ml);
            if (rnd(40) == 0) /* a field given twice */
                field(ex, "MESSAGE", m, ml / 2);
        }
        if (rnd(30) == 0)
            sfield(ex, "BORG_FIELD", "another value");
        fputc('\n', ex);
    }
    static const char *const globs[] = {
        "borgbackup-job-*", "borgbackup-job-a", "borgbackup-job-a.service", "sshd", "*",
        "borgbackup-job-?.service", "borgbackup-*.timer", "nothing-*", "borgbackup-job-offsite",
        "borgbackup-job-[ab].service", "borgbackup-job-x-y", "*.timer", "cron"};
    static const char *const plevels[] = {"0", "3", "err", "warning", "6", "7", "debug",
                                          "emerg", "2..4", "warning..err", "err..warning",
                                          "0..7", "info..notice", "crit"};
    static const char *const greps[] = {"archive", "Archive", "borg|lock", "^Starting",
                                        "done$", "é", "ü", "error", "a.b", "x", "über",
                                        "\\d+", "e$", "^x", "(?i)DONE", "[\\d]", "b.r",
                                        "\\s\\S", "Ü", "e\\n", "\\x41", "a[^x]b"};
    static const char *const outs[] = {"short-iso", "short", "json"};
    for (int k = 0; k < nsel; k++) {
        for (int u = 1 + (rnd(4) == 0); u > 0; u--)
            fprintf(sel, "-u\n%s\n", PICK(globs));
        if (rnd(3) == 0)
            fprintf(sel, "-p\n%s\n", PICK(plevels));
        char t[64];
        uint64_t span = hi - lo + 1;
        if (rnd(3) == 0) {
            fmt_time(t, sizeof t, lo + (rnd(4) ? rnd((unsigned)(span / 1000000 + 1)) * 1000000ULL : 0), (int)rnd(4));
            fprintf(sel, "--since\n%s\n", t);
        }
        if (rnd(4) == 0) {
            fmt_time(t, sizeof t, lo + rnd((unsigned)(span / 1000000 + 1)) * 1000000ULL, (int)rnd(4));
            fprintf(sel, "--until\n%s\n", t);
        }
        if (rnd(3) == 0)
            fprintf(sel, "-n\n%u\n", rnd(4) ? rnd(20) : rnd(2000));
        if (rnd(5) == 0)
            fprintf(sel, "-g\n%s\n", PICK(greps));
        fprintf(sel, "-o\n%s\n--\n", PICK(outs));
    }
    if (fclose(ex) || fclose(sel)) {
        perror("journal-gen");
        return 1;
    }
    return 0;
}
