/* `clan-tui screen`: the UI headless, driven by a key script, screens printed as text. */
#include "tui/harness.h"

#include "tui/lazycurses.h"
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "core/util.h"
#include "tui/cli.h"

struct harness {
    struct app *app;
    SCREEN *scr;
    FILE *in, *out;
    int wfd;
};

int harness_open(const struct app_options *opt, int cols, int rows, const char *term,
                 struct harness **out, struct diag *d)
{
    struct harness *h = calloc(1, sizeof(*h));
    if (!h)
        return diag_errno(d, -ENOMEM, NULL, "out of memory");
    int r = app_new(opt, &h->app, d);
    if (r < 0) {
        free(h);
        return r;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        r = diag_errno(d, errno, NULL, "pipe: %s", strerror(errno));
        app_free(h->app);
        free(h);
        return r;
    }
    h->wfd = p[1];
    h->in = fdopen(p[0], "r");
    h->out = fopen("/dev/null", "w");
    char num[16];
    snprintf(num, sizeof(num), "%d", rows);
    setenv("LINES", num, 1);
    snprintf(num, sizeof(num), "%d", cols);
    setenv("COLUMNS", num, 1);
    if (!term)
        term = getenv("TERM") && *getenv("TERM") ? getenv("TERM") : "xterm-256color";
    if (!getenv("ESCDELAY"))
        set_escdelay(25);
    h->scr = h->in && h->out ? newterm(term, h->out, h->in) : NULL;
    if (!h->scr) {
        r = diag_set(d, DIAG_ERROR, NULL, 0, 0, "cannot start curses for terminal type '%s'", term);
        harness_close(h);
        return r;
    }
    app_attach(h->app, p[0]);
    app_draw(h->app, true);
    *out = h;
    return 0;
}

struct app *harness_app(struct harness *h)
{
    return h->app;
}

static bool send_bytes(struct harness *h, const char *bytes, size_t n)
{
    for (size_t off = 0; off < n;) {
        ssize_t w = write(h->wfd, bytes + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        off += (size_t)w;
    }
    return true;
}

bool harness_send_key(struct harness *h, uint32_t key)
{
    char bytes[32];
    size_t n = key_to_bytes(key, bytes, sizeof(bytes));
    return n && send_bytes(h, bytes, n);
}

bool harness_key(struct harness *h, uint32_t key)
{
    if (!harness_send_key(h, key))
        return false;
    app_pump(h->app);
    return true;
}

bool harness_mouse(struct harness *h, int button, int col, int row)
{
    const char *kmous = tigetstr("kmous");
    if (!kmous || kmous == (char *)-1 || strcmp(kmous, "\033[<"))
        return false; /* only SGR mouse reports (xterm 1006) are produced */
    char seq[64];
    int n = snprintf(seq, sizeof(seq), "\033[<%d;%d;%dM", button, col + 1, row + 1);
    if (button < 64) /* a click: press and release */
        n += snprintf(seq + n, sizeof(seq) - (size_t)n, "\033[<%d;%d;%dm", button, col + 1, row + 1);
    if (!send_bytes(h, seq, (size_t)n))
        return false;
    app_pump(h->app);
    return true;
}

void harness_resize(struct harness *h, int cols, int rows)
{
    resizeterm(rows, cols);
    app_resized(h->app);
    app_pump(h->app);
}

void harness_dump(struct harness *h, FILE *f, bool attrs)
{
    (void)h;
    WINDOW *scr = curscr; /* what curses believes the terminal shows */
    int rows = getmaxy(scr), cols = getmaxx(scr);
    char line[8192];
    for (int y = 0; y < rows; y++) {
        size_t len = 0, keep = 0;
        mbstate_t st;
        memset(&st, 0, sizeof(st));
        for (int x = 0; x < cols && len + 16 < sizeof(line);) {
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1];
            attr_t at;
            short pair;
            if (mvwin_wch(scr, y, x, &cc) == ERR || getcchar(&cc, wch, &at, &pair, NULL) == ERR) {
                wch[0] = ' ';
                wch[1] = 0;
                at = 0;
                pair = 0;
            }
            int w = wch[0] ? wcwidth(wch[0]) : 1;
            if (w < 1)
                w = 1;
            if (attrs) {
                char c = at & A_REVERSE ? 'R' : at & A_BOLD ? 'B' : at & A_UNDERLINE ? 'U'
                         : at & A_DIM ? 'D' : pair > 0 ? 'c' : '.';
                for (int k = 0; k < w; k++)
                    line[len++] = c;
                keep = len;
            } else {
                size_t n = wcrtomb(line + len, wch[0] ? wch[0] : L' ', &st);
                if (n == (size_t)-1) {
                    line[len] = '?';
                    n = 1;
                }
                len += n;
                if (wch[0] != ' ' && wch[0] != 0)
                    keep = len;
            }
            x += w;
        }
        fprintf(f, "%.*s\n", (int)keep, line);
    }
}

void harness_close(struct harness *h)
{
    if (!h)
        return;
    if (h->scr) {
        endwin();
        delscreen(h->scr);
    }
    app_free(h->app);
    if (h->in)
        fclose(h->in);
    if (h->out)
        fclose(h->out);
    if (h->wfd > 0)
        close(h->wfd);
    free(h);
}

/* ---- the subcommand ---- */

static void screen_usage(FILE *f)
{
    fputs("Usage: clan-tui screen [--size COLSxROWS] [--keys SCRIPT] [--term TERM] [OPTION]...\n"
          "                       [DIR|FILE]\n"
          "Run the UI headless on a virtual terminal and print the screen as text.\n"
          "Without --keys, prints the first frame. A key script has one step per line:\n"
          "  key K...        press keys (j, G, Enter, Esc, Tab, S-Tab, Down, PgDn, C-l, F1, ...)\n"
          "  type TEXT       type the rest of the line\n"
          "  resize CxR      resize the terminal\n"
          "  wait TEXT       run the loop until the screen shows TEXT (a remote operation's\n"
          "                  result; an error after 120 s)\n"
          "  click C R       click at column C, row R (0-based; needs --mouse)\n"
          "  wheel-up C R, wheel-down C R   turn the mouse wheel there\n"
          "  dump [TITLE]    print the screen (\"=== TITLE\", then the rows)\n"
          "  dump-attrs [T]  print the attributes: R reverse, B bold, U underline, D dim,\n"
          "                  c colour, . plain\n"
          "  # ...           a comment\n"
          "\n"
          CLI_CLAN_HELP
          "\n"
          "Options:\n"
          "  --size COLSxROWS  terminal size (default 120x35)\n"
          "  --keys SCRIPT     the key script\n"
          "  --term TERM       terminfo entry (default $TERM, else xterm-256color)\n", f);
    app_usage_options(f);
}

static int parse_size(const char *s, int *cols, int *rows)
{
    char *end;
    long c = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *rs = end + 1;
    long r = strtol(rs, &end, 10);
    if (end == rs || *end || c < 1 || r < 1 || c > 1000 || r > 500)
        return -1;
    *cols = (int)c;
    *rows = (int)r;
    return 0;
}

/* Does the screen show text? */
static bool screen_has(struct harness *h, const char *text)
{
    char *p = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&p, &n);
    if (!f)
        return false;
    harness_dump(h, f, false);
    fclose(f);
    bool has = p && strstr(p, text);
    free(p);
    return has;
}

/* Run the loop (input, watched fds, timers: a remote operation) until the screen shows text;
 * false after HARNESS_WAIT_S seconds without it. */
#define HARNESS_WAIT_S 120
static bool wait_for(struct harness *h, const char *text)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!screen_has(h, text)) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (t.tv_sec - t0.tv_sec > HARNESS_WAIT_S || h->app->quit)
            return false;
        app_wait(h->app, 200);
    }
    return true;
}

int harness_run_script(struct harness *h, const char *path, const char *text, FILE *out)
{
    int dumps = 0;
    unsigned lineno = 0;
    for (const char *p = text; *p;) {
        size_t l = strcspn(p, "\n");
        char *ln = strndup(p, l);
        p += l + (p[l] == '\n');
        lineno++;
        if (!ln)
            return 1;
        char *s = ln;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t e = strlen(s);
        while (e && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r'))
            s[--e] = 0;
        char *arg = s + strcspn(s, " \t");
        if (*arg)
            *arg++ = 0;
        while (*arg == ' ' || *arg == '\t')
            arg++;
        int bad = 0;
        if (!*s || *s == '#') {
            /* blank or comment */
        } else if (!strcmp(s, "key")) {
            char *save = NULL;
            int col = (int)(arg - ln) + 1;
            for (char *k = strtok_r(arg, " \t", &save); k && !bad; k = strtok_r(NULL, " \t", &save)) {
                uint32_t key;
                if (keyname_parse(k, &key) < 0) {
                    fprintf(stderr, "%s:%u:%d: error: unknown key '%s'; expected a key name such as "
                                    "j, Enter, Esc, S-Tab, PgDn, C-l or F1\n", path, lineno, col + (int)(k - arg), k);
                    bad = 1;
                } else if (!h->app->quit && !harness_key(h, key)) {
                    fprintf(stderr, "%s:%u:%d: error: the terminal type has no key '%s'\n", path,
                            lineno, col + (int)(k - arg), k);
                    bad = 1;
                }
            }
        } else if (!strcmp(s, "type")) {
            /* the text as typed: every character, spaces included */
            const char *t = arg;
            for (size_t i = 0; t[i] && !h->app->quit;) {
                uint32_t cp = (unsigned char)t[i];
                size_t n = 1;
                if (cp >= 0x80) { /* UTF-8: pass the code point */
                    int len = cp >= 0xf0 ? 4 : cp >= 0xe0 ? 3 : 2;
                    mbstate_t st;
                    wchar_t wc;
                    memset(&st, 0, sizeof(st));
                    size_t got = mbrtowc(&wc, t + i, (size_t)len, &st);
                    if (got == (size_t)-1 || got == (size_t)-2)
                        break;
                    cp = (uint32_t)wc;
                    n = got;
                }
                harness_key(h, cp == ' ' ? KEYSYM_SPACE : cp);
                i += n;
            }
        } else if (!strcmp(s, "click") || !strcmp(s, "wheel-up") || !strcmp(s, "wheel-down")) {
            int c, r;
            char extra;
            if (sscanf(arg, "%d %d %c", &c, &r, &extra) != 2 || c < 0 || r < 0) {
                fprintf(stderr, "%s:%u:%d: error: bad position '%s'; expected COL ROW (0-based)\n",
                        path, lineno, (int)(arg - ln) + 1, arg);
                bad = 1;
            } else if (!harness_mouse(h, s[0] == 'c' ? 0 : s[6] == 'u' ? 64 : 65, c, r)) {
                fprintf(stderr, "%s:%u:1: error: the terminal type reports no mouse events\n", path, lineno);
                bad = 1;
            }
        } else if (!strcmp(s, "resize")) {
            int c, r;
            if (parse_size(arg, &c, &r) < 0) {
                fprintf(stderr, "%s:%u:%d: error: bad size '%s'; expected COLSxROWS such as 80x24\n",
                        path, lineno, (int)(arg - ln) + 1, arg);
                bad = 1;
            } else {
                harness_resize(h, c, r);
            }
        } else if (!strcmp(s, "wait")) {
            if (!*arg) {
                fprintf(stderr, "%s:%u:5: error: wait needs the text to wait for\n", path, lineno);
                bad = 1;
            } else if (!wait_for(h, arg)) {
                fprintf(stderr, "%s:%u:6: error: the screen did not show '%s' within %d s\n", path,
                        lineno, arg, HARNESS_WAIT_S);
                harness_dump(h, stderr, false);
                bad = 1;
            }
        } else if (!strcmp(s, "dump") || !strcmp(s, "dump-attrs")) {
            dumps++;
            if (*arg)
                fprintf(out, "=== %s\n", arg);
            else
                fprintf(out, "=== screen %d\n", dumps);
            harness_dump(h, out, s[4] == '-');
        } else {
            fprintf(stderr, "%s:%u:1: error: unknown step '%s'; expected key, type, resize, click, "
                            "wheel-up, wheel-down, wait, dump or dump-attrs\n", path, lineno, s);
            bad = 1;
        }
        free(ln);
        if (bad)
            return 1;
    }
    if (!dumps)
        harness_dump(h, out, false);
    return 0;
}

int cmd_screen(int argc, char **argv)
{
    struct app_options opt = {.mouse = -1, .ncolors = -1};
    int cols = 120, rows = 35;
    const char *keys = NULL, *term = NULL;
    char **rest = calloc((size_t)argc + 1, sizeof(*rest));
    int nrest = 0, used = 0;
    if (!rest)
        return 1;
    rest[nrest++] = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = NULL;
        static const char *const own[] = {"--size", "--keys", "--term"};
        int which = -1;
        for (int k = 0; k < 3; k++) {
            size_t n = strlen(own[k]);
            if (!strncmp(s, own[k], n) && (s[n] == 0 || s[n] == '=')) {
                which = k;
                v = s[n] == '=' ? s + n + 1 : NULL;
            }
        }
        if (which < 0) {
            rest[nrest++] = argv[i];
            continue;
        }
        if (!v && i + 1 >= argc) {
            free(rest);
            return cli_usage_error("screen", "option '%s' needs a value", s);
        }
        if (!v)
            v = argv[++i];
        if (which == 0 && parse_size(v, &cols, &rows) < 0) {
            free(rest);
            return cli_usage_error("screen", "bad size '%s'; expected COLSxROWS such as 120x35", v);
        }
        if (which == 1)
            keys = v;
        if (which == 2)
            term = v;
    }
    int pr = app_parse_args(nrest, rest, "screen", &opt, &used);
    if (pr == 1) {
        free(rest);
        screen_usage(stdout);
        return 0;
    }
    if (pr == 0 && used < nrest && rest[used][0] == '-' && strcmp(rest[used], "-"))
        pr = cli_usage_error("screen", "unknown option '%s'", rest[used]);
    if (pr == 0 && used < nrest)
        opt.file = rest[used++];
    if (pr == 0 && used < nrest)
        pr = cli_usage_error("screen", "unexpected argument '%s' (one DIR|FILE)", rest[used]);
    free(rest);
    if (pr)
        return pr;
    setlocale(LC_ALL, "");
    char *script = NULL;
    struct diag d = {0};
    if (keys) {
        size_t len;
        if (file_read(keys, &script, &len, NULL, &d) < 0) {
            cli_print_diag(stderr, &d);
            diag_clear(&d);
            return 1;
        }
    }
    struct harness *h = NULL;
    if (harness_open(&opt, cols, rows, term, &h, &d) < 0) {
        cli_print_diag(stderr, &d);
        diag_clear(&d);
        free(script);
        return 1;
    }
    int r = script ? harness_run_script(h, keys, script, stdout) : (harness_dump(h, stdout, false), 0);
    harness_close(h);
    free(script);
    if (fflush(stdout) != 0)
        return 1;
    return r;
}
