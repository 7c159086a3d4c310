/* nix-gen: Nix inputs for the differential fuzzer (fuzz/nix-diff-fuzz.sh).
 *
 *   nix-gen SEED COUNT OUTDIR [SEEDFILE...]
 *
 * writes OUTDIR/000000.nix ... : 60% from a grammar-aware generator (every
 * expression form, operators, strings with escapes and interpolation, indented strings,
 * paths, URIs, comments, odd white space), 40% mutations of the seed files (token
 * insertions, deletions, duplications, swaps, splices of two seeds). Deterministic for a
 * given SEED and seed list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define MAX_OUT 8192

struct gen {
    uint64_t s;
    struct buf out;
};

static unsigned rnd(struct gen *g, unsigned n)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return n ? (unsigned)(g->s % n) : 0;
}

#define PICK(g, arr) (arr[rnd(g, sizeof arr / sizeof *arr)])

static void put(struct gen *g, const char *s)
{
    if (g->out.len < MAX_OUT)
        buf_puts(&g->out, s);
}

static const char *const idents[] = {
    "a", "b", "x", "foo", "a-b", "a'", "_x", "or", "x1", "__curPos", "true", "null", "A_b-c'",
    "inputs", "self", "lib", "builtins", "__findFile"};
static const char *const attrnames[] = {
    "a", "b", "meta", "name", "or", "\"str\"", "\"\"", "\"a.b\"", "${x}", "${\"k\"}",
    "\"${x}y\"", "if", "let", "rec", "in", "inherit", "a-b", "_", "'q", "1", "true"};
static const char *const numbers[] = {
    "0", "1", "42", "007", "1.5", ".5", "5.", "1e3", "1.5e-3", "1.5E+10", "0.0e0",
    "9223372036854775807", "9223372036854775808", "1_0", "0x1", "1.e5", "00.5", "1.0e400"};
static const char *const strings[] = {
    "\"\"", "\"a\"", "\"a\\nb\"", "\"\\\"\"", "\"\\\\\"", "\"$\"", "\"$$\"", "\"$${x}\"",
    "\"\\${x}\"", "\"a${x}b\"", "\"${\"nested ${x}\"}\"", "\"\\t\\r\\q\"", "\"\na\n\"",
    "\"é\"", "\"${x}${x}\"", "\"$\\{\"", "\"{$\"",
    "''''", "''a''", "''\n  a\n  b\n''", "''''$ '''  ''\\n''", "''${x}''", "''$${x}''",
    "''\n\ta\n''", "''\n  a\n\n b''", "'''''", "''a'''b''", "''$''", "'' ''\\'' ''",
    "''\n  ${x}\n    y\n  ''", "''a''\\''"};
static const char *const paths[] = {
    "./a", "../a/b", "/abs/p", "~/x", "a/b", "./a.nix", "./a${x}", "./a/${x}/c", "<nixpkgs>",
    "<nixpkgs/lib>", "./.", "a/b/", "./a//b", "/", "~/", "./-", "a+b/c", "<a b>",
    "http://x.org/a?b=c", "https:x", "mailto:a@b", "a:b", "x:y:z", "./a$b", "./${x}"};
static const char *const binops[] = {"+", "-", "*", "/", "++", "//", "==", "!=", "<", "<=",
                                     ">", ">=", "&&", "||", "->", "?", "|>", "<|", ".", ""};
static const char *const spaces[] = {" ", " ", " ", "  ", "\n", "\t", "\r\n", " # c\n",
                                     " /* c */ ", "/**/", "\n  ", "#\n", " /* * */ "};

static void ws(struct gen *g)
{
    put(g, rnd(g, 4) ? " " : PICK(g, spaces));
}

static void expr(struct gen *g, int depth);

static void attrpath(struct gen *g)
{
    int n = 1 + (rnd(g, 3) == 0 ? (int)rnd(g, 3) : 0);
    for (int i = 0; i < n; i++) {
        if (i)
            put(g, ".");
        put(g, PICK(g, attrnames));
    }
}

static void binding(struct gen *g, int depth)
{
    switch (rnd(g, 6)) {
    case 0:
        put(g, "inherit");
        if (rnd(g, 2)) {
            put(g, " (");
            expr(g, depth);
            put(g, ")");
        }
        for (int k = (int)rnd(g, 3); k >= 0; k--) {
            put(g, " ");
            put(g, rnd(g, 4) ? PICK(g, idents) : PICK(g, attrnames));
        }
        put(g, ";");
        break;
    default:
        attrpath(g);
        ws(g);
        put(g, "=");
        ws(g);
        expr(g, depth);
        put(g, ";");
    }
}

static void formals(struct gen *g, int depth)
{
    if (rnd(g, 3) == 0) {
        put(g, PICK(g, idents));
        put(g, "@");
    }
    put(g, "{");
    int n = (int)rnd(g, 4);
    for (int i = 0; i < n; i++) {
        if (i)
            put(g, ",");
        ws(g);
        put(g, PICK(g, idents));
        if (rnd(g, 3) == 0) {
            put(g, " ? ");
            expr(g, depth);
        }
    }
    if (rnd(g, 2))
        put(g, n ? ", ..." : "...");
    if (rnd(g, 6) == 0)
        put(g, ",");
    put(g, " }");
    if (rnd(g, 4) == 0) {
        put(g, "@");
        put(g, PICK(g, idents));
    }
}

static void expr(struct gen *g, int depth)
{
    depth--;
    unsigned k = depth <= 0 ? rnd(g, 5) : rnd(g, 22);
    switch (k) {
    case 0: put(g, PICK(g, idents)); break;
    case 1: put(g, PICK(g, numbers)); break;
    case 2: put(g, PICK(g, strings)); break;
    case 3: put(g, PICK(g, paths)); break;
    case 4: put(g, rnd(g, 2) ? "[ ]" : "{ }"); break;
    case 5:
        put(g, "[");
        for (int n = (int)rnd(g, 4); n > 0; n--)
            ws(g), expr(g, depth);
        ws(g);
        put(g, "]");
        break;
    case 6:
    case 7:
        if (rnd(g, 4) == 0)
            put(g, "rec ");
        put(g, "{");
        for (int n = (int)rnd(g, 4); n > 0; n--)
            ws(g), binding(g, depth);
        ws(g);
        put(g, "}");
        break;
    case 8:
        put(g, "let");
        for (int n = (int)rnd(g, 3); n >= 0; n--)
            ws(g), binding(g, depth);
        ws(g);
        put(g, "in");
        ws(g);
        expr(g, depth);
        break;
    case 9:
        if (rnd(g, 2))
            put(g, PICK(g, idents));
        else
            formals(g, depth);
        put(g, ":");
        ws(g);
        expr(g, depth);
        break;
    case 10:
        put(g, "if ");
        expr(g, depth);
        put(g, " then ");
        expr(g, depth);
        put(g, " else ");
        expr(g, depth);
        break;
    case 11:
        put(g, rnd(g, 2) ? "assert " : "with ");
        expr(g, depth);
        put(g, ";");
        ws(g);
        expr(g, depth);
        break;
    case 12:
    case 13:
    case 14:
        expr(g, depth);
        ws(g);
        put(g, PICK(g, binops));
        ws(g);
        expr(g, depth);
        break;
    case 15:
        put(g, rnd(g, 2) ? "!" : "-");
        expr(g, depth);
        break;
    case 16:
        expr(g, depth);
        put(g, ".");
        attrpath(g);
        if (rnd(g, 2)) {
            put(g, " or ");
            expr(g, depth);
        }
        break;
    case 17:
        expr(g, depth);
        put(g, " ? ");
        attrpath(g);
        break;
    case 18:
        put(g, "(");
        expr(g, depth);
        put(g, ")");
        break;
    case 19:
    case 20:
        expr(g, depth);
        put(g, " ");
        expr(g, depth);
        break;
    default:
        put(g, "let { ");
        binding(g, depth);
        put(g, " body = ");
        expr(g, depth);
        put(g, "; }");
        break;
    }
}

/* ---- mutations of seed files ---------------------------------------------------- */
static const char *const tokens[] = {
    "{", "}", "[", "]", "(", ")", ";", ":", "=", ",", ".", "...", "@", "?", "\"", "''", "${",
    "$", "\\", "#", "/*", "*/", "//", "++", "->", "!", "-", "or", "in", "let", "rec",
    "inherit", "with", "assert", "if", "then", "else", " ", "\n", "\t", "\r", "x", "1",
    "1.5", "./p", "<p>", "a.b", "''$", "'''", "\"\\", "\xc3", "\xff", "~/", "__curPos"};

struct seeds {
    char **text;
    size_t *len;
    size_t n;
};

static void mutate(struct gen *g, const struct seeds *sd)
{
    size_t i = rnd(g, (unsigned)sd->n);
    struct buf *b = &g->out;
    buf_append(b, sd->text[i], sd->len[i]);
    for (int m = 1 + (int)rnd(g, 3); m > 0 && b->len < MAX_OUT; m--) {
        size_t at = b->len ? rnd(g, (unsigned)b->len + 1) : 0;
        size_t len = 1 + rnd(g, 8);
        if (at + len > b->len)
            len = b->len - at;
        struct buf t = {0};
        buf_append(&t, b->p, at);
        switch (rnd(g, 6)) {
        case 0: /* delete */
            buf_append(&t, b->p + at + len, b->len - at - len);
            break;
        case 1: /* duplicate */
            buf_append(&t, b->p + at, b->len - at);
            buf_append(&t, b->p + at, len);
            break;
        case 2: { /* splice the tail of another seed */
            size_t j = rnd(g, (unsigned)sd->n);
            size_t from = sd->len[j] ? rnd(g, (unsigned)sd->len[j]) : 0;
            buf_append(&t, sd->text[j] + from, sd->len[j] - from);
            break;
        }
        case 3: { /* a generated expression in place of a stretch */
            struct gen sub = {.s = g->s ^ 0x9e3779b97f4a7c15ULL};
            expr(&sub, 3);
            g->s = sub.s;
            buf_append(&t, sub.out.p, sub.out.len);
            buf_free(&sub.out);
            buf_append(&t, b->p + at + len, b->len - at - len);
            break;
        }
        default: /* insert a token */
            buf_puts(&t, PICK(g, tokens));
            buf_append(&t, b->p + at, b->len - at);
            break;
        }
        buf_free(b);
        *b = t;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: nix-gen SEED COUNT OUTDIR [SEEDFILE...]\n");
        return 2;
    }
    struct gen g = {.s = strtoull(argv[1], NULL, 10) * 2654435761ULL + 88172645463325252ULL};
    long count = strtol(argv[2], NULL, 10);
    const char *outdir = argv[3];
    struct seeds sd = {0};
    sd.text = calloc((size_t)argc, sizeof *sd.text);
    sd.len = calloc((size_t)argc, sizeof *sd.len);
    if (!sd.text || !sd.len)
        return 1;
    for (int i = 4; i < argc; i++) {
        struct diag d = {0};
        if (file_read(argv[i], &sd.text[sd.n], &sd.len[sd.n], NULL, &d) == 0)
            sd.n++;
        diag_clear(&d);
    }
    for (long i = 0; i < count; i++) {
        g.out.len = 0;
        if (sd.n && rnd(&g, 10) < 4)
            mutate(&g, &sd);
        else {
            if (rnd(&g, 5))
                put(&g, "with {}; ");
            expr(&g, 2 + (int)rnd(&g, 4));
            if (rnd(&g, 4) == 0)
                put(&g, "\n");
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%06ld.nix", outdir, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(g.out.p ? g.out.p : "", 1, g.out.len, f) != g.out.len ||
            fclose(f)) {
            perror(path);
            return 1;
        }
    }
    buf_free(&g.out);
    for (size_t i = 0; i < sd.n; i++)
        free(sd.text[i]);
    free(sd.text);
    free(sd.len);
    return 0;
}
