/* make bench: core/nix parse throughput (MB/s, median of repeated runs) on a large file,
 * plus the logical tree and a print, for the same file. Usage: bench-nix FILE [RUNS] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/nix.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench-nix FILE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 15;
    if (runs < 1 || runs > 1000)
        runs = 15;
    char *text;
    size_t len;
    struct diag d = {0};
    if (file_read(argv[1], &text, &len, NULL, &d) < 0) {
        fprintf(stderr, "bench-nix: %s\n", d.msg);
        return 1;
    }
    double *tp = calloc((size_t)runs, sizeof *tp), *tt = calloc((size_t)runs, sizeof *tt);
    double *tr = calloc((size_t)runs, sizeof *tr), *tc = calloc((size_t)runs, sizeof *tc);
    if (!tp || !tt || !tr || !tc)
        return 1;
    for (int i = 0; i < runs; i++) {
        struct diag_list dl = {0};
        struct nix_file *f = NULL;
        double c0 = cpu_now(), t0 = now();
        if (nix_parse(argv[1], text, len, &f, &dl) < 0 || nix_file_has_errors(f)) {
            fprintf(stderr, "bench-nix: %s does not parse\n", argv[1]);
            return 1;
        }
        double t1 = now(), c1 = cpu_now();
        const struct nix_value *root = nix_file_root(f);
        double t2 = now();
        struct buf b = {0};
        nix_file_print(f, &b);
        double t3 = now();
        if (!root || b.len != len) {
            fprintf(stderr, "bench-nix: tree or round trip failed\n");
            return 1;
        }
        buf_free(&b);
        nix_file_free(f);
        diag_list_free(&dl);
        tp[i] = t1 - t0;
        tc[i] = c1 - c0;
        tt[i] = t2 - t1;
        tr[i] = t3 - t2;
    }
    double mb = (double)len / 1e6;
    double p = median(tp, runs), t = median(tt, runs), r = median(tr, runs);
    double c = median(tc, runs);
    printf("nix parse (in-process): %.2f MB, median of %d runs: %.1f ms wall = %.0f MB/s "
           "(target >= 150 MB/s); CPU time %.1f ms = %.0f MB/s\n", mb, runs, p * 1e3, mb / p,
           c * 1e3, mb / c);
    printf("nix logical tree:        median %.1f ms; print (round trip): median %.1f ms\n",
           t * 1e3, r * 1e3);
    free(tp);
    free(tt);
    free(tr);
    free(tc);
    free(text);
    return 0;
}
