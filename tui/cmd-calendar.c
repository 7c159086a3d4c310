/* clan-tui calendar: systemd-analyze calendar, byte for byte (core/calendar). */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/calendar.h"
#include "tui/cli.h"

static void usage(FILE *f)
{
    fputs("Usage: clan-tui calendar [OPTION]... [--] EXPR...\n"
          "\n"
          "Parse systemd calendar expressions (OnCalendar=, startAt) and print the\n"
          "normalized form and the next elapses, exactly as 'systemd-analyze calendar'.\n"
          "Exit status 1 if any expression is invalid.\n"
          "\n"
          "Options:\n"
          "      --iterations=N         show N elapses (default 1)\n"
          "      --base-time=TIMESTAMP  compute elapses after TIMESTAMP instead of now\n"
          "      --month=YYYY-MM        also show which days of that month fire\n"
          "      --diagnose             on errors, print FILE:LINE:COL diagnostics with a\n"
          "                             caret instead of systemd's message\n"
          "  -h, --help                 show this help and exit\n", f);
}

/* systemd's logger: at most 2047 bytes, CR/LF split lines, empty lines dropped. */
static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_line(const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *p = buf;
    while (p) {
        p += strspn(p, "\n\r");
        if (!*p)
            break;
        char *e = strpbrk(p, "\n\r");
        if (e)
            *e++ = 0;
        fprintf(stderr, "%s\n", p);
        p = e;
    }
}

static const char *errno_text(int r)
{
    return strerror(-r);
}

/* One table: labels right-aligned to the widest label, values trimmed like format-table. */
struct row {
    char *label, *value;
};
struct table {
    struct row *v;
    size_t n;
};

static int table_add(struct table *t, const char *label, const char *value)
{
    struct row *v = realloc(t->v, (t->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    t->v = v;
    v[t->n].label = strdup(label);
    v[t->n].value = strdup(value);
    if (!v[t->n].label || !v[t->n].value) {
        free(v[t->n].label);
        free(v[t->n].value);
        return -ENOMEM;
    }
    t->n++;
    return 0;
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].label);
        free(t->v[i].value);
    }
    free(t->v);
}

static void table_print(const struct table *t, struct buf *out)
{
    size_t lw = 0, vw = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (strlen(t->v[i].label) > lw)
            lw = strlen(t->v[i].label);
        if (strlen(t->v[i].value) > vw)
            vw = strlen(t->v[i].value);
    }
    for (size_t i = 0; i < t->n; i++) {
        size_t n = strlen(t->v[i].value);
        if (n < vw)
            while (n > 0 && strchr(" \t\n\r", t->v[i].value[n - 1]))
                n--;
        buf_printf(out, "%*s %.*s\n", (int)lw, t->v[i].label, (int)n, t->v[i].value);
    }
}

static uint64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

static void print_month(struct calendar_ctx *ctx, const struct calendar_spec *spec, int y, int m,
                        struct buf *out)
{
    struct calendar_month cm;
    if (calendar_month(ctx, spec, y, m, &cm) < 0)
        return;
    buf_printf(out, "%16s %04d-%02d\n", "Month:", y, m);
    buf_printf(out, "%16s Mo Tu We Th Fr Sa Su\n", "");
    int col = cm.first_wday;
    buf_printf(out, "%16s ", "");
    for (int i = 0; i < col; i++)
        buf_puts(out, "   ");
    for (int d = 1; d <= cm.days; d++) {
        if (cm.day_count[d - 1])
            buf_printf(out, "%2d*", d);
        else
            buf_printf(out, "%2d ", d);
        if (++col == 7 || d == cm.days) {
            while (out->len && out->p[out->len - 1] == ' ') /* no trailing blanks */
                out->p[--out->len] = 0;
            buf_puts(out, "\n");
            if (d < cm.days)
                buf_printf(out, "%16s ", "");
            col = 0;
        }
    }
    buf_printf(out, "%16s %u%s\n", "Elapses:", cm.total, cm.truncated ? "+" : "");
}

static int one(struct calendar_ctx *ctx, uint64_t n, const char *p, unsigned iterations,
               bool diagnose, int month_y, int month_m, struct buf *out)
{
    struct calendar_spec *spec = NULL;
    struct diag d = {0};
    int r = calendar_parse(ctx, p, &spec, &d);
    if (r < 0) {
        if (diagnose) {
            fprintf(stderr, "%s:%u:%u: error: %s\n", "<expr>", d.line, d.col, d.msg);
            fprintf(stderr, "  %s\n  %*s^\n", p, (int)(d.col > 0 ? d.col - 1 : 0), "");
        } else {
            log_line("Failed to parse calendar specification '%s': %s", p, errno_text(r));
            uint64_t u;
            if (calendar_parse_timestamp(ctx, p, now_usec(), &u) >= 0)
                log_line("Hint: this expression is a valid timestamp. "
                         "Use 'systemd-analyze timestamp \"%s\"' instead?", p);
            if (calendar_parse_timespan(p, &u) >= 0)
                log_line("Hint: this expression is a valid timespan. "
                         "Use 'systemd-analyze timespan \"%s\"' instead?", p);
        }
        diag_clear(&d);
        return r;
    }
    struct buf norm = {0}, ts = {0};
    struct table t = {0};
    r = calendar_format(spec, &norm);
    if (r >= 0 && strcmp(norm.p, p))
        r = table_add(&t, "Original form:", p);
    if (r >= 0)
        r = table_add(&t, "Normalized form:", norm.p);
    bool local_utc = calendar_ctx_local_is_utc(ctx);
    uint64_t now = now_usec();
    for (unsigned i = 0; r >= 0 && i < iterations; i++) {
        uint64_t next;
        r = calendar_next(ctx, spec, n, &next);
        if (r == -ENOENT) {
            r = i == 0 ? table_add(&t, "Next elapse:", "never") : 0;
            break;
        }
        if (r < 0) {
            /* systemd warns from inside the search; for a named zone that runs in a
             * forked child whose log output goes nowhere */
            if (r == -EDEADLK && !calendar_spec_timezone(spec))
                log_line("Infinite loop in calendar calculation: %s", norm.p);
            log_line("Failed to determine next elapse for '%s': %s", p, errno_text(r));
            goto done;
        }
        char label[32];
        if (i == 0)
            snprintf(label, sizeof label, "Next elapse:");
        else
            snprintf(label, sizeof label, "Iter. #%u:", i + 1);
        buf_reset(&ts);
        calendar_format_timestamp(ctx, next, false, &ts);
        r = table_add(&t, label, ts.p);
        if (r >= 0 && !local_utc) {
            buf_reset(&ts);
            calendar_format_timestamp(ctx, next, true, &ts);
            r = table_add(&t, "(in UTC):", ts.p);
        }
        if (r >= 0) {
            buf_reset(&ts);
            calendar_format_relative(next, now, &ts);
            r = table_add(&t, "From now:", ts.p);
        }
        n = next;
    }
    if (r >= 0) {
        table_print(&t, out);
        if (month_y)
            print_month(ctx, spec, month_y, month_m, out);
    }
done:
    table_free(&t);
    buf_free(&norm);
    buf_free(&ts);
    calendar_spec_free(spec);
    return r;
}

int cmd_calendar(int argc, char **argv)
{
    enum { OPT_ITER = 256, OPT_BASE, OPT_MONTH, OPT_DIAG };
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"iterations", required_argument, NULL, OPT_ITER},
        {"base-time", required_argument, NULL, OPT_BASE},
        {"month", required_argument, NULL, OPT_MONTH},
        {"diagnose", no_argument, NULL, OPT_DIAG},
        {NULL, 0, NULL, 0},
    };
    unsigned iterations = 1;
    const char *base_arg = NULL;
    bool diagnose = false;
    int month_y = 0, month_m = 0, c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            return 0;
        case OPT_ITER: {
            /* systemd's safe_atou(): base 0, no sign, whole string */
            const char *s = optarg + strspn(optarg, " \t\n\r");
            char *e;
            errno = 0;
            unsigned long v = s[0] == '-' ? 0 : strtoul(s, &e, 0);
            if (s[0] == '-' || errno || e == s || *e || v > UINT_MAX) {
                log_line("Failed to parse iterations: %s", optarg);
                return 1;
            }
            iterations = (unsigned)v;
            break;
        }
        case OPT_BASE:
            base_arg = optarg;
            break;
        case OPT_MONTH:
            if (sscanf(optarg, "%d-%d", &month_y, &month_m) != 2 || month_m < 1 ||
                month_m > 12 || month_y < 1970 || month_y > 2199)
                return cli_usage_error("calendar", "--month wants YYYY-MM (1970..2199), got '%s'",
                                       optarg);
            break;
        case OPT_DIAG:
            diagnose = true;
            break;
        default:
            if (optopt && optopt < 256)
                return cli_usage_error("calendar", "unknown option '-%c'", optopt);
            return cli_usage_error("calendar", "unknown or incomplete option '%s'",
                                   argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cli_usage_error("calendar", "expected at least one calendar expression");
    struct calendar_ctx *ctx = calendar_ctx_new();
    if (!ctx) {
        fprintf(stderr, "clan-tui: calendar: out of memory\n");
        return 1;
    }
    uint64_t base = now_usec();
    if (base_arg && calendar_parse_timestamp(ctx, base_arg, base, &base) < 0) {
        log_line("Failed to parse --base-time= parameter: %s", base_arg);
        calendar_ctx_free(ctx);
        return 1;
    }
    int status = 0;
    struct buf out = {0};
    for (int i = optind; i < argc; i++) {
        if (one(ctx, base, argv[i], iterations, diagnose, month_y, month_m, &out) < 0)
            status = 1;
        if (i + 1 < argc)
            buf_putc(&out, '\n');
        /* keep stdout and stderr in the order systemd-analyze writes them */
        if (out.len && cli_write_stdout(out.p, out.len))
            status = 1;
        buf_reset(&out);
    }
    buf_free(&out);
    calendar_ctx_free(ctx);
    return status;
}
