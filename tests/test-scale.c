/* The work that must grow with the fleet, not faster: open, resolve, check, plan, install
 * order and the JSON of the model and the plan, on gen-fleet clans of 1000 and 3000 machines
 * (the single file and the directory form). Not timed: the test counts the calls to
 * malloc/calloc/realloc and to strcmp that the core makes (the linker routes them here with
 * --wrap), the two operations every quadratic step found so far was made of (a scan of
 * every machine by name, an array cleared or grown per member). Three times the machines
 * may cost at most 3.6 times the calls. Both sizes have sites of about 250 machines with
 * about ten backup servers each (gen-fleet's shape from 1000 machines on), so the work per
 * machine is the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"
#include "core/util.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

/* Counted calls (only while counting is on: cmocka's own allocations are not counted). */
static unsigned long n_alloc, n_cmp;
static int counting;

void *__real_malloc(size_t n);
void *__real_calloc(size_t k, size_t n);
void *__real_realloc(void *p, size_t n);
int __real_strcmp(const char *a, const char *b);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t k, size_t n);
void *__wrap_realloc(void *p, size_t n);
int __wrap_strcmp(const char *a, const char *b);

void *__wrap_malloc(size_t n)
{
    n_alloc += counting;
    return __real_malloc(n);
}

void *__wrap_calloc(size_t k, size_t n)
{
    n_alloc += counting;
    return __real_calloc(k, n);
}

void *__wrap_realloc(void *p, size_t n)
{
    n_alloc += counting;
    return __real_realloc(p, n);
}

int __wrap_strcmp(const char *a, const char *b)
{
    n_cmp += counting;
    return __real_strcmp(a, b);
}

struct counts {
    unsigned long alloc, cmp;
};

static void run(const char *cmd, const char *what)
{
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("%s failed (%d): %s", what, rc, cmd);
}

/* Everything a command of clan-tui does with a clan, counted. */
static struct counts work(const char *path)
{
    n_alloc = n_cmp = 0;
    counting = 1;
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    assert_int_equal(inventory_open(path, &inv, &dl), 0);
    struct plan *p = NULL;
    assert_int_equal(inventory_plan(inv, &p, &dl), 0);
    size_t *order = NULL, n = 0;
    assert_int_equal(inventory_install_order(inv, &order, &n, &dl), 0);
    struct buf model = {0}, plan = {0};
    assert_int_equal(inventory_dump_json(inv, &model), 0);
    assert_int_equal(plan_to_json(p, NULL, &plan), 0);
    counting = 0;
    assert_true(model.len > 0 && plan.len > 0);
    assert_int_equal(n, inventory_model(inv)->nmachines);
    buf_free(&model);
    buf_free(&plan);
    free(order);
    plan_free(p);
    inventory_free(inv);
    diag_list_free(&dl);
    return (struct counts){n_alloc, n_cmp};
}

static void check_growth(const char *form, struct counts small, struct counts big)
{
    double ra = (double)big.alloc / (double)small.alloc, rc = (double)big.cmp / (double)small.cmp;
    print_message("  %s: 1000 -> 3000 machines: allocations %lu -> %lu (%.2fx), strcmp %lu -> %lu "
                  "(%.2fx)\n",
                  form, small.alloc, big.alloc, ra, small.cmp, big.cmp, rc);
    assert_true(small.alloc > 0 && small.cmp > 0);
    assert_true(ra <= 3.6);
    assert_true(rc <= 3.6);
}

/* gen (gen-fleet or gen-fleet-dir) at 1000 and 3000 machines, counted and compared. */
static void scale_pair(const char *form, bool dir_form)
{
    char dir[] = "/tmp/test-scale.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[600], a[300], b[300];
    for (int k = 0; k < 2; k++) {
        char *path = k ? b : a;
        int n = k ? 3000 : 1000;
        snprintf(path, 300, "%s/fleet%d%s", dir, n, dir_form ? "" : ".nix");
        if (dir_form)
            snprintf(cmd, sizeof cmd, "sh %s/samples/gen-fleet-dir %d %s >/dev/null", TOP_SRCDIR, n, path);
        else
            snprintf(cmd, sizeof cmd, "sh %s/samples/gen-fleet %d > %s", TOP_SRCDIR, n, path);
        run(cmd, form);
    }
    struct counts s = work(a), l = work(b);
    check_growth(form, s, l);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    run(cmd, "cleanup");
}

static void test_single_file(void **state)
{
    (void)state;
    scale_pair("single file", false);
}

static void test_directory(void **state)
{
    (void)state;
    scale_pair("directory", true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_file),
        cmocka_unit_test(test_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
