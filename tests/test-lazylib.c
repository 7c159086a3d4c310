/* test-lazylib: every function (and variable) clan-tui binds lazily (tui/lazylib.def) resolves, by the
 * layer's own dlopen of the configured path and dlsym, to the very function this program
 * got from linking the real library, in the file configure chose. The program links the
 * libraries and only the layer's table and resolver (LAZYLIB_TABLE_ONLY), not its wrappers;
 * it uses no cmocka so that dpkg-shlibdeps can read the libraries' Depends off it. */
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curses.h>
#include <libssh/libssh.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <systemd/sd-id128.h>
#include <systemd/sd-journal.h>
#include <term.h>
#include <yaml.h>

#include "tui/lazylib.h"

/* A variable's linked address is this program's copy of it (a copy relocation), not the
 * library's: only its file is compared. */
static const struct {
    const char *name;
    void *linked;
} linked[] = {
#define LAZY_FN(lib, ret, name, params, args) {#name, (void *)name},
#define LAZY_VOID(lib, name, params, args) {#name, (void *)name},
#define LAZY_VAR(lib, type, name) {#name, NULL},
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR
};

static int fails, passes;

static void check(int ok, const char *what, const char *name)
{
    if (ok)
        passes++;
    else {
        fails++;
        printf("FAIL - %s: %s\n", name, what);
    }
}

int main(void)
{
    size_t n = lazylib_symbol_count();
    check(n == sizeof linked / sizeof linked[0], "the table has every entry of lazylib.def",
          "count");
    char want[LAZYLIB_COUNT][PATH_MAX];
    for (int l = 0; l < LAZYLIB_COUNT; l++) {
        const char *path = lazylib_path(l);
        check(path[0] == '/', "the path is absolute", lazylib_name(l));
        check(realpath(path, want[l]) != NULL, "the path exists", lazylib_name(l));
    }
    for (size_t i = 0; i < n && i < sizeof linked / sizeof linked[0]; i++) {
        const char *name = lazylib_symbol_name(i);
        check(!strcmp(name, linked[i].name), "the table's order is lazylib.def's", name);
        void *f = lazylib_symbol(i);
        check(f && (!linked[i].linked || f == linked[i].linked),
              "resolves to the linked library's function", name);
        Dl_info info;
        char got[PATH_MAX];
        int in_file = dladdr(f, &info) && info.dli_fname && realpath(info.dli_fname, got) &&
                      !strcmp(got, want[lazylib_symbol_lib(i)]);
        check(in_file, "is defined in the configured file of its library", name);
    }
    printf("%zu functions and variables of %d libraries: %d checks passed, %d failed\n", n, LAZYLIB_COUNT,
           passes, fails);
    return fails ? 1 : 0;
}
