/* The UI on a generated fleet, through the headless harness (the real loop, real curses
 * rendering to /dev/null):
 *   bench-tui FILE start N   time to the first frame in-process (load + plan + tree +
 *                            draw), one line per run: wall ms, CPU ms
 *   bench-tui FILE keys N    key-to-frame for N keys moving through the tree (j, k, PgDn,
 *                            l, h), one line per key: wall ms, CPU ms
 *   bench-tui FILE rss       peak RSS (KiB) after start and 2000 keys
 *   bench-tui FILE phases    CPU ms of load, plan, and the whole start
 *   bench-tui FILE change N  one edit (a tag added to the first machine), then N changes
 *                            of the model alternating undo (u) and redo (C-r), each as a
 *                            key through the loop (model, plan, tree rebuilt, frame drawn),
 *                            one line per change: wall ms, CPU ms
 *   bench-tui FILE refresh N the backups view (B) while r asks every machine of FILE (real
 *                            sshd; $BENCH_IDENTITY, $BENCH_KNOWN_HOSTS) for its status, N
 *                            times: a second thread types j/k at random moments (2-8 ms
 *                            apart) while the loop runs; key-to-frame is the time from a
 *                            key's write to the frame drawn after the loop read it, so a
 *                            key that arrives while the loop works for the refresh waits.
 *                            One line per key: wall ms; then one per refresh: wall s */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tui/edit.h"
#include "tui/harness.h"
#include "tui/view-tree.h"

static double clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wall time, and the CPU time of this process: on a busy machine the wall time includes
 * waiting for a core, the CPU time does not. */
static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static double cpu_ms(void)
{
    return clock_ms(CLOCK_PROCESS_CPUTIME_ID);
}

static struct harness *open_fleet(const char *file)
{
    struct app_options opt = {.file = file, .mouse = -1, .ncolors = -1};
    struct harness *h = NULL;
    struct diag d = {0};
    if (harness_open(&opt, 120, 35, "xterm-256color", &h, &d) < 0) {
        fprintf(stderr, "bench-tui: %s\n", d.msg ? d.msg : "cannot start");
        diag_clear(&d);
        exit(1);
    }
    return h;
}

/* A walk that keeps the selection moving through an expanding tree. */
static const uint32_t walk[] = {'j', 'j', 'j', 'l', 'j', 'j', 'l', 'j', 'j', KEYSYM_PGDN, 'k',
                                'j', 'h', 'j', 'j', 'l', 'j', KEYSYM_PGDN, 'j', 'k', 'j', 'j'};

/* ---- refresh: keys typed from another thread while the status of the fleet comes in ---- */

struct typist {
    struct harness *h;
    atomic_bool stop;
    atomic_ullong sent_ns;  /* CLOCK_MONOTONIC of the key not yet answered, 0 when none */
    atomic_ulong nsent;
};

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *typist_run(void *arg)
{
    struct typist *t = arg;
    unsigned seed = 1;
    while (!atomic_load(&t->stop)) {
        struct timespec d = {0, (long)(2 + rand_r(&seed) % 7) * 1000000L};
        nanosleep(&d, NULL);
        if (atomic_load(&t->sent_ns))
            continue; /* the last key has not been drawn yet */
        unsigned long k = atomic_load(&t->nsent);
        atomic_store(&t->sent_ns, mono_ns());
        harness_send_key(t->h, k % 2 ? 'k' : 'j');
        atomic_store(&t->nsent, k + 1);
    }
    return NULL;
}

/* Type keys from another thread while the refresh runs (idle_ms 0), or for idle_ms with
 * nothing else to do; print "refresh MS" or "idle MS" per key. Returns the keys sent. */
static unsigned long type_keys(struct harness *h, struct app *a, double idle_ms)
{
    struct typist t = {.h = h};
    pthread_t th;
    uint64_t last = a->input_frame_ns;
    double end = now_ms() + idle_ms;
    pthread_create(&th, NULL, typist_run, &t);
    while (idle_ms ? now_ms() < end : backups_status_busy(a)) {
        app_wait(a, 50);
        uint64_t sent = atomic_load(&t.sent_ns);
        if (sent && a->input_frame_ns != last && a->input_frame_ns > sent) {
            printf("%s %.4f\n", idle_ms ? "idle" : "refresh", (double)(a->input_frame_ns - sent) / 1e6);
            last = a->input_frame_ns;
            atomic_store(&t.sent_ns, 0);
        }
    }
    atomic_store(&t.stop, true);
    pthread_join(th, NULL);
    app_pump(a); /* the key sent last, if any */
    return (unsigned long)atomic_load(&t.nsent);
}

static int refresh_bench(const char *file, int n)
{
    struct app_options opt = {.file = file, .mouse = -1, .ncolors = -1,
                              .ops = {.identity = getenv("BENCH_IDENTITY"),
                                      .known_hosts = getenv("BENCH_KNOWN_HOSTS"),
                                      .ssh_timeout = 600}};
    struct harness *h = NULL;
    struct diag d = {0};
    if (harness_open(&opt, 120, 35, "xterm-256color", &h, &d) < 0) {
        fprintf(stderr, "bench-tui: %s\n", d.msg ? d.msg : "cannot start");
        return 1;
    }
    struct app *a = harness_app(h);
    harness_key(h, 'B');
    int ret = 0;
    for (int r = 0; r < n; r++) {
        harness_key(h, 'r');
        if (!backups_status_busy(a)) {
            fprintf(stderr, "bench-tui: r started no refresh: %s\n", a->message);
            ret = 1;
            break;
        }
        double w0 = now_ms();
        unsigned long keys = type_keys(h, a, 0);
        fprintf(stderr, "refresh %d: wall %.3f s, %lu keys\n", r + 1, (now_ms() - w0) / 1e3, keys);
        /* the same keys with the loop idle for as long: what the host's scheduler adds */
        type_keys(h, a, now_ms() - w0);
    }
    printf("# %s\n", a->message);
    harness_close(h);
    return ret;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench-tui FILE start|keys|rss|phases|change|refresh [N]\n");
        return 2;
    }
    const char *file = argv[1], *what = argv[2];
    int n = argc > 3 ? atoi(argv[3]) : 1;
    setenv("TERM", "xterm-256color", 1);
    unsetenv("XDG_CONFIG_HOME");
    if (!strcmp(what, "start")) {
        for (int i = 0; i < n; i++) {
            double t0 = now_ms(), c0 = cpu_ms();
            struct harness *h = open_fleet(file);
            printf("%.3f %.3f\n", now_ms() - t0, cpu_ms() - c0);
            harness_close(h);
        }
    } else if (!strcmp(what, "keys") || !strcmp(what, "rss")) {
        struct harness *h = open_fleet(file);
        struct app *a = harness_app(h);
        int keys = !strcmp(what, "rss") ? 2000 : n;
        size_t nw = sizeof(walk) / sizeof(walk[0]);
        uint64_t frames0 = a->frames;
        for (int i = 0; i < keys; i++) {
            double t0 = now_ms(), c0 = cpu_ms();
            harness_key(h, walk[(size_t)i % nw]);
            double dt = now_ms() - t0, dc = cpu_ms() - c0;
            if (what[0] == 'k')
                printf("%.4f %.4f\n", dt, dc);
        }
        if (a->frames - frames0 < (uint64_t)keys / 2)
            fprintf(stderr, "bench-tui: only %llu frames for %d keys\n",
                    (unsigned long long)(a->frames - frames0), keys);
        if (what[0] == 'r') {
            struct rusage ru;
            getrusage(RUSAGE_SELF, &ru);
            printf("%ld\n", ru.ru_maxrss);
        }
        harness_close(h);
    } else if (!strcmp(what, "phases")) {
        double t0 = cpu_ms();
        struct inventory *inv = NULL;
        struct diag_list dl = {0};
        if (inventory_load(file, &inv, &dl) < 0)
            return 1;
        double t1 = cpu_ms();
        struct plan *p = NULL;
        struct diag_list pd = {0};
        inventory_plan(inv, &p, &pd);
        double t2 = cpu_ms();
        plan_free(p);
        inventory_free(inv);
        diag_list_free(&dl);
        diag_list_free(&pd);
        double t3 = cpu_ms();
        struct harness *h = open_fleet(file);
        double t4 = cpu_ms();
        printf("CPU: core load %.2f ms, plan %.2f ms; the whole start (load, plan, tree, "
               "first frame) %.2f ms, so the UI's own part %.2f ms\n",
               t1 - t0, t2 - t1, t4 - t3, (t4 - t3) - (t2 - t0));
        harness_close(h);
    } else if (!strcmp(what, "change")) {
        struct harness *h = open_fleet(file);
        struct app *a = harness_app(h);
        for (size_t i = 0; i < 12; i++) /* some of the tree open, as in use */
            harness_key(h, walk[i]);
        const struct inv_model *m = inventory_model(a->inv);
        struct inv_op op = {.kind = INV_OP_TAG_ADD, .machine = m->nmachines ? m->machines[0].name : "none",
                            .tag = "bench-change"};
        char *why = NULL;
        if (edit_apply(a, &op, NULL, &why) < 0) {
            fprintf(stderr, "bench-tui: the edit was refused: %s\n", why ? why : "?");
            free(why);
            return 1;
        }
        for (int i = 0; i < n; i++) {
            double t0 = now_ms(), c0 = cpu_ms();
            harness_key(h, i % 2 ? 'r' & 0x1f : 'u');
            printf("%.3f %.3f\n", now_ms() - t0, cpu_ms() - c0);
        }
        if (inventory_undo_depth(a->inv) + inventory_redo_depth(a->inv) != 1)
            fprintf(stderr, "bench-tui: undo/redo did not run\n");
        harness_close(h);
    } else if (!strcmp(what, "refresh")) {
        return refresh_bench(file, n);
    } else {
        fprintf(stderr, "bench-tui: unknown mode '%s'\n", what);
        return 2;
    }
    return 0;
}
