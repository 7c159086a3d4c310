/* fuzz-calendar-diff: differential libFuzzer target, core/calendar against systemd's own
 * calendar code (libsystemd-shared-252.so, loaded with dlopen as bench/bench-calendar.c
 * does). For each input, in several local zones: accepted or rejected (same error code),
 * the normalized form, and a few chained next elapses from two base times. Any difference
 * aborts with both answers printed.
 *
 * Built with --enable-fuzzing as fuzz/fuzz-calendar-diff (with a structured mutator:
 * fields, lists, ranges, repetitions, `~`, weekdays, zones); built in every configuration
 * as fuzz/calendar-diff-replay (fuzz/replay-main.c), which replays the kept inputs
 * (fuzz/calendar-diff-corpus/) in `make check`.
 *
 * The harness sets TZ and calls tzset() before each call into systemd: systemd's code
 * reads the process's local zone. core/calendar gets the same zone through its ctx. */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"

#define SD_LIB "/usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so"
#define MAX_INPUT 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

typedef int (*sd_from_string_t)(const char *p, void **spec);
typedef int (*sd_to_string_t)(const void *spec, char **p);
typedef int (*sd_next_t)(const void *spec, uint64_t usec, uint64_t *next);
typedef void *(*sd_free_t)(void *spec);

static const char *const zones[] = {"UTC", "Europe/Berlin", "America/New_York",
                                    "Australia/Lord_Howe", "Europe/Dublin"};
#define NZONES (sizeof zones / sizeof *zones)

/* seconds since the epoch: DST changes of the zones above, leap day, year ends, far
 * future up to systemd's formattable maximum */
static const uint64_t bases[] = {
    1774744200ULL,   /* 2026-03-29 00:30 UTC */
    1792888200ULL,   /* 2026-10-25 00:30 UTC */
    1772951400ULL,   /* 2026-03-08 06:30 UTC */
    1793511000ULL,   /* 2026-11-01 05:30 UTC */
    1775313000ULL,   /* 2026-04-04 14:30 UTC */
    1791041400ULL,   /* 2026-10-03 15:30 UTC */
    1835391600ULL,   /* 2028-02-28 23:00 UTC */
    1798761599ULL,   /* 2026-12-31 23:59:59 UTC */
    2145913200ULL,   /* 2037-12-31 23:00 UTC */
    4102443000ULL,   /* 2099-12-31 23:30 UTC */
    7258116600ULL,   /* 2199-12-31 23:30 UTC */
    253402293600ULL, /* 9999-12-31 22:00 UTC */
    1806195599ULL,   /* 2027-03-28 00:59:59 UTC */
    0ULL,
};
#define NBASES (sizeof bases / sizeof *bases)
#define STEPS 4

static struct harness {
    void *h;
    sd_from_string_t from_string;
    sd_to_string_t to_string;
    sd_next_t next;
    sd_free_t free;
    struct calendar_ctx *ctx[NZONES];
} H; /* fuzzer harness only: loaded once for the run */

static void set_zone(size_t z)
{
    setenv("TZ", zones[z], 1);
    tzset();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    H.h = dlopen(SD_LIB, RTLD_NOW | RTLD_LOCAL);
    if (!H.h) {
        fprintf(stderr, "fuzz-calendar-diff: cannot load %s: %s\n", SD_LIB, dlerror());
        exit(77);
    }
    H.from_string = (sd_from_string_t)dlsym(H.h, "calendar_spec_from_string");
    H.to_string = (sd_to_string_t)dlsym(H.h, "calendar_spec_to_string");
    H.next = (sd_next_t)dlsym(H.h, "calendar_spec_next_usec");
    H.free = (sd_free_t)dlsym(H.h, "calendar_spec_free");
    if (!H.from_string || !H.to_string || !H.next || !H.free) {
        fprintf(stderr, "fuzz-calendar-diff: %s lacks the calendar functions\n", SD_LIB);
        exit(77);
    }
    for (size_t z = 0; z < NZONES; z++) {
        H.ctx[z] = calendar_ctx_new_tz(zones[z]);
        if (!H.ctx[z])
            exit(1);
    }
    return 0;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ULL;
    return h;
}

static void differ(const char *what, const char *expr, size_t z, const char *detail)
{
    fprintf(stderr, "DIFFERENCE (%s) for '%s' with TZ=%s: %s\n", what, expr, zones[z], detail);
    abort();
}

static void compare_next(const char *expr, size_t z, const struct calendar_spec *ours,
                         const void *theirs, uint64_t base)
{
    uint64_t a = base, b = base;
    for (int i = 0; i < STEPS; i++) {
        uint64_t na = 0, nb = 0;
        int ra = calendar_next(H.ctx[z], ours, a, &na);
        int rb = H.next(theirs, b, &nb);
        if (ra != rb || (ra == 0 && na != nb)) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "next elapse %d after %llu: clan-tui %d/%llu, systemd %d/%llu", i,
                     (unsigned long long)a, ra, (unsigned long long)na, rb,
                     (unsigned long long)nb);
            differ("next elapse", expr, z, msg);
        }
        if (ra < 0)
            return;
        a = na;
        b = nb;
    }
}

/* one zone: parse on both sides, compare verdicts and normalized forms; next elapses
 * when with_next (returns whether the spec carries a named zone) */
static bool compare_in_zone(const char *expr, size_t z, bool with_next, uint64_t h)
{
    set_zone(z);
    struct calendar_spec *ours = NULL;
    struct diag d = {0};
    void *theirs = NULL;
    int ra = calendar_parse(H.ctx[z], expr, &ours, &d);
    int rb = H.from_string(expr, &theirs);
    diag_clear(&d);
    if (ra != rb) {
        char msg[128];
        snprintf(msg, sizeof msg, "clan-tui returns %d, systemd %d", ra, rb);
        if (ours)
            calendar_spec_free(ours);
        if (theirs)
            H.free(theirs);
        differ("accept/reject", expr, z, msg);
    }
    bool named = false;
    if (ra == 0) {
        struct buf na = {0};
        char *nb = NULL;
        if (calendar_format(ours, &na) < 0 || H.to_string(theirs, &nb) < 0)
            abort();
        if (strcmp(na.p, nb)) {
            char msg[1024];
            snprintf(msg, sizeof msg, "normalized '%s' vs systemd '%s'", na.p, nb);
            differ("normalized form", expr, z, msg);
        }
        buf_free(&na);
        free(nb);
        named = calendar_spec_timezone(ours) != NULL;
        if (with_next) {
            compare_next(expr, z, ours, theirs, bases[h % NBASES] * CALENDAR_USEC_PER_SEC);
            /* a second base anywhere up to the year 9999, to the microsecond */
            compare_next(expr, z, ours, theirs,
                         (h >> 8) % (CALENDAR_USEC_FORMATTABLE_MAX + 1));
        }
        calendar_spec_free(ours);
        H.free(theirs);
    }
    return named;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > MAX_INPUT || memchr(data, 0, size))
        return 0;
    char expr[MAX_INPUT + 1];
    memcpy(expr, data, size);
    expr[size] = 0;
    uint64_t h = hash(expr);
    /* systemd computes a named zone's elapses in a forked child (about a millisecond):
     * those are compared in one local zone only, parsing still in all */
    bool named = compare_in_zone(expr, 0, true, h);
    for (size_t z = 1; z < NZONES; z++)
        compare_in_zone(expr, z, !named, h + z);
    return 0;
}

#ifdef CALENDAR_DIFF_REPLAY
/* ---- replay: every line of every file is one input --------------------------------
 * '#' lines and empty lines are skipped; a line starting with "%b " is unescaped as
 * printf %b does (\t, \n, \r, \\, \xHH, \0NNN), as tests/calendar-exprs.txt writes them. */
static size_t unescape(const char *in, char *out)
{
    size_t n = 0;
    for (const char *p = in; *p;) {
        if (*p != '\\' || !p[1]) {
            out[n++] = *p++;
            continue;
        }
        p++;
        char c = *p++;
        switch (c) {
        case 't': out[n++] = '\t'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 'v': out[n++] = '\v'; break;
        case 'f': out[n++] = '\f'; break;
        case 'x': case '0': {
            int v = 0, k = 0, base = c == 'x' ? 16 : 8;
            while (k < (c == 'x' ? 2 : 3) && *p) {
                int d = *p >= '0' && *p <= '9' ? *p - '0'
                        : (*p | 0x20) >= 'a' && (*p | 0x20) <= 'f' ? (*p | 0x20) - 'a' + 10 : 99;
                if (d >= base)
                    break;
                v = v * base + d, p++, k++;
            }
            out[n++] = (char)v;
            break;
        }
        default: out[n++] = c; break;
        }
    }
    return n;
}

int main(int argc, char **argv)
{
    LLVMFuzzerInitialize(&argc, &argv);
    unsigned long count = 0;
    for (int i = 1; i < argc; i++) {
        FILE *f = fopen(argv[i], "r");
        if (!f) {
            perror(argv[i]);
            return 1;
        }
        char line[4096], dec[4096];
        while (fgets(line, sizeof line, f)) {
            line[strcspn(line, "\n")] = 0;
            if (!line[0] || line[0] == '#')
                continue;
            size_t n = strncmp(line, "%b ", 3) ? (strcpy(dec, line), strlen(line))
                                               : unescape(line + 3, dec);
            LLVMFuzzerTestOneInput((const uint8_t *)dec, n);
            count++;
        }
        fclose(f);
    }
    for (size_t z = 0; z < NZONES; z++)
        calendar_ctx_free(H.ctx[z]);
    dlclose(H.h);
    printf("calendar-diff-replay: %lu inputs, no difference from systemd\n", count);
    return 0;
}
#else
/* ---- the structured mutator ---------------------------------------------------- */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed);

static unsigned rnd(unsigned *s, unsigned n)
{
    *s = *s * 1103515245u + 12345u;
    return n ? (*s >> 8) % n : 0;
}

#define PICK(s, arr) (arr[rnd(s, sizeof arr / sizeof *arr)])

static const char *const numbers[] = {
    "0",  "00", "1",  "01", "2",  "3",  "4",  "5",  "6",  "7",    "8",    "9",    "10",
    "11", "12", "13", "15", "23", "24", "25", "28", "29", "30",   "31",   "32",   "59",
    "60", "61", "99", "100", "1969", "1970", "2000", "2026", "2027", "2028", "2038", "2099",
    "2100", "2199", "2200", "9999", "10000", "4294967296", "007", "0.5", "1.000001",
    "59.999999", "05.25", "0.0000001"};
static const char *const weekdays[] = {
    "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "tuesday", "WEDNESDAY", "thu",
    "Mo", "Mon..Fri", "Sat,Sun", "Fri..Mon", "Mon,Wed..Fri", "Sun..Sat", "Mon-Fri",
    "Mon..Mon", "Tue,Tue", "Fri,,Sat", "Mon.."};
static const char *const tzs[] = {
    "UTC", "utc", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
    "Europe/Dublin", "Asia/Kolkata", "Pacific/Chatham", "America/Santiago", "Etc/GMT+5",
    "CET", "CEST", "EST", "EDT", "IST", "GMT", "Europe/Nowhere", "Z", "+01:00",
    "posix/Europe/Berlin", "Africa/Casablanca", "Antarctica/Troll"};
static const char *const fragments[] = {
    ",", "..", "/", "~", "-", ":", " ", "*", ".", "/2", "..5", ",3", "~1", "~07", "*/15",
    "/0", "..*", "~*", "-*", ":*", "*:*:*", "*-*-*", " *", "  ", "\t", ",*", "0/1", "/60"};
static const char *const shorthands[] = {
    "minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly",
    "semiannually", "semi-annually", "biannually", "bi-annually", "now", "today"};
static const char *const separators = "-~:,./ *";

static void put(char *out, size_t *n, size_t max, const char *s)
{
    for (; *s && *n < max; s++)
        out[(*n)++] = *s;
}

/* one component: a list of items (value, range, repetition, star) */
static void gen_component(unsigned *s, char *out, size_t *n, size_t max, int lo, int hi)
{
    int items = 1 + (rnd(s, 4) == 0 ? (int)rnd(s, 3) + 1 : 0);
    for (int i = 0; i < items; i++) {
        char b[64];
        int a = lo + (int)rnd(s, (unsigned)(hi - lo + 2)), c = a + (int)rnd(s, 10) - 2;
        switch (rnd(s, 7)) {
        case 0: snprintf(b, sizeof b, "*"); break;
        case 1: snprintf(b, sizeof b, "%02d..%02d", a, c); break;
        case 2: snprintf(b, sizeof b, "%d/%d", a, (int)rnd(s, 13)); break;
        case 3: snprintf(b, sizeof b, "%d..%d/%d", a, c, (int)rnd(s, 7)); break;
        case 4: snprintf(b, sizeof b, "*/%d", (int)rnd(s, 20)); break;
        case 5: snprintf(b, sizeof b, "%s", PICK(s, numbers)); break;
        default: snprintf(b, sizeof b, "%02d", a); break;
        }
        if (i)
            put(out, n, max, ",");
        put(out, n, max, b);
    }
}

/* a whole expression from its parts */
static size_t generate(unsigned *s, char *out, size_t max)
{
    size_t n = 0;
    if (rnd(s, 8) == 0) {
        put(out, &n, max, PICK(s, shorthands));
    } else {
        if (rnd(s, 3) == 0) {
            put(out, &n, max, PICK(s, weekdays));
            put(out, &n, max, " ");
        }
        if (rnd(s, 3)) {
            if (rnd(s, 2))
                gen_component(s, out, &n, max, 1970, 2200), put(out, &n, max, "-");
            gen_component(s, out, &n, max, 1, 12);
            put(out, &n, max, rnd(s, 3) == 0 ? "~" : "-");
            gen_component(s, out, &n, max, 1, 31);
            put(out, &n, max, " ");
        }
        gen_component(s, out, &n, max, 0, 23);
        put(out, &n, max, ":");
        gen_component(s, out, &n, max, 0, 59);
        if (rnd(s, 2))
            put(out, &n, max, ":"), gen_component(s, out, &n, max, 0, 59);
    }
    if (rnd(s, 3) == 0)
        put(out, &n, max, " "), put(out, &n, max, PICK(s, tzs));
    return n;
}

/* replace data[at, at+len) with s */
static size_t splice_in(uint8_t *data, size_t size, size_t max, size_t at, size_t len,
                        const char *s)
{
    size_t sl = strlen(s);
    if (size - len + sl > max)
        return size;
    memmove(data + at + sl, data + at + len, size - at - len);
    memcpy(data + at, s, sl);
    return size - len + sl;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    unsigned s = seed;
    if (max_size > MAX_INPUT)
        max_size = MAX_INPUT;
    if (size > max_size)
        size = max_size;
    size_t at = size ? rnd(&s, (unsigned)size + 1) : 0;
    switch (rnd(&s, 10)) {
    case 0: /* a fresh structured expression */
        return generate(&s, (char *)data, max_size);
    case 1: { /* replace a number with an interesting one */
        size_t i = at;
        while (i < size && !(data[i] >= '0' && data[i] <= '9'))
            i++;
        if (i >= size)
            break;
        size_t j = i;
        while (j < size && data[j] >= '0' && data[j] <= '9')
            j++;
        return splice_in(data, size, max_size, i, j - i, PICK(&s, numbers));
    }
    case 2: /* insert a fragment */
        return splice_in(data, size, max_size, at, 0, PICK(&s, fragments));
    case 3: { /* swap one separator for another */
        for (size_t k = 0; k < size; k++) {
            size_t i = (at + k) % size;
            if (strchr(separators, data[i]) && data[i]) {
                data[i] = (uint8_t)separators[rnd(&s, (unsigned)strlen(separators))];
                return size;
            }
        }
        break;
    }
    case 4: { /* new zone suffix (replacing the last word when it has letters) */
        size_t i = size;
        while (i > 0 && data[i - 1] != ' ')
            i--;
        bool letters = false;
        for (size_t k = i; k < size; k++)
            letters |= (data[k] | 0x20) >= 'a' && (data[k] | 0x20) <= 'z';
        char z[64];
        snprintf(z, sizeof z, "%s%s", i > 0 && letters ? "" : " ", PICK(&s, tzs));
        if (rnd(&s, 4) == 0)
            z[0] = 0; /* drop the zone */
        return splice_in(data, size, max_size, letters ? i : size, letters ? size - i : 0, z);
    }
    case 5: { /* new weekday prefix (replacing the first word when it has letters) */
        size_t j = 0;
        while (j < size && data[j] != ' ')
            j++;
        bool letters = j < size && j > 0 && ((data[0] | 0x20) >= 'a' && (data[0] | 0x20) <= 'z');
        char w[64];
        snprintf(w, sizeof w, "%s%s", PICK(&s, weekdays), letters ? "" : " ");
        return splice_in(data, size, max_size, 0, letters ? j : 0, w);
    }
    case 6: { /* add a list item, range or repetition after a number */
        static const char *const tails[] = {",", "..", "/", ",1..3", "/5", "..31", "~"};
        size_t i = at;
        while (i < size && data[i] >= '0' && data[i] <= '9')
            i++;
        char b[64];
        snprintf(b, sizeof b, "%s%s", PICK(&s, tails), PICK(&s, numbers));
        return splice_in(data, size, max_size, i, 0, b);
    }
    case 7: { /* delete a short stretch */
        if (!size)
            break;
        size_t len = 1 + rnd(&s, 4);
        if (at + len > size)
            len = size - at;
        return splice_in(data, size, max_size, at, len, "");
    }
    default:
        break;
    }
    return LLVMFuzzerMutate(data, size, max_size);
}
#endif
