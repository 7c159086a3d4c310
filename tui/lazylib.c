/* Lazy binding of the libraries tui/lazylib.def lists: see tui/lazylib.h. */
#include "tui/lazylib.h"
#include "tui/lazycurses.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

/* The libraries' headers: each definition below must match their prototype. */
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

static const struct {
    const char *name;
    const char *path;
} libs[LAZYLIB_COUNT] = {
    [LAZYLIB_NCURSESW] = {"libncursesw", LIBNCURSESW_SONAME_PATH},
    [LAZYLIB_TINFO] = {"libtinfo", LIBTINFO_SONAME_PATH},
    [LAZYLIB_YAML] = {"libyaml", LIBYAML_SONAME_PATH},
    [LAZYLIB_SSH] = {"libssh", LIBSSH_SONAME_PATH},
    [LAZYLIB_SYSTEMD] = {"libsystemd", LIBSYSTEMD_SONAME_PATH},
    [LAZYLIB_CRYPTO] = {"libcrypto", LIBCRYPTO_SONAME_PATH},
};

enum {
#define LAZY_FN(lib, ret, name, params, args) LAZYSYM_##name,
#define LAZY_VOID(lib, name, params, args) LAZYSYM_##name,
#define LAZY_VAR(lib, type, name) LAZYSYM_##name,
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR
    LAZYSYM_COUNT
};

static const struct {
    enum lazylib lib;
    const char *name;
} syms[LAZYSYM_COUNT] = {
#define LAZY_FN(lib, ret, name, params, args) {LAZYLIB_##lib, #name},
#define LAZY_VOID(lib, name, params, args) {LAZYLIB_##lib, #name},
#define LAZY_VAR(lib, type, name) {LAZYLIB_##lib, #name},
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR
};

/* The library handles and the resolved addresses. These are not program state: they are
 * what the dynamic loader's own lazy binding keeps in the GOT, a cache filled once with
 * values that never change afterwards. The atomic loads and stores make a first call from
 * two threads at once harmless (both resolve the same address); clan-tui has one thread. */
static void *handles[LAZYLIB_COUNT];
static void *addrs[LAZYSYM_COUNT];

const char *lazylib_name(enum lazylib lib)
{
    return libs[lib].name;
}

const char *lazylib_path(enum lazylib lib)
{
    return libs[lib].path;
}

size_t lazylib_symbol_count(void)
{
    return LAZYSYM_COUNT;
}

const char *lazylib_symbol_name(size_t i)
{
    return syms[i].name;
}

enum lazylib lazylib_symbol_lib(size_t i)
{
    return syms[i].lib;
}

/* A library the command needs is missing or broken: nothing can go on, so say which one and
 * why, leave the terminal as it was if the UI had it, and exit. */
__attribute__((noreturn, cold)) static void lazylib_fail(enum lazylib lib, const char *what)
{
    const char *why = dlerror();
#ifndef LAZYLIB_TABLE_ONLY
    /* curses is loaded only once the UI has started: then give the terminal back first */
    if (lib != LAZYLIB_NCURSESW && lib != LAZYLIB_TINFO &&
        __atomic_load_n(&handles[LAZYLIB_NCURSESW], __ATOMIC_ACQUIRE) && !isendwin())
        endwin();
#endif
    fflush(stdout);
    fprintf(stderr, "clan-tui: cannot %s %s, which this command needs (%s): %s\n", what,
            libs[lib].name, libs[lib].path, why ? why : "unknown error");
    exit(LAZYLIB_EXIT);
}

/* The library's handle, dlopen()ing it the first time; NULL with dlerror() set if it cannot
 * be loaded. RTLD_NOW: a library whose own dependencies are unresolvable fails here, with
 * dlerror()'s reason, not later inside a call. */
static void *lazylib_open(enum lazylib lib)
{
    void *h = __atomic_load_n(&handles[lib], __ATOMIC_ACQUIRE);
    if (!h) {
        h = dlopen(libs[lib].path, RTLD_NOW | RTLD_LOCAL);
        if (h)
            __atomic_store_n(&handles[lib], h, __ATOMIC_RELEASE);
    }
    return h;
}

int lazylib_require(unsigned mask, char *err, size_t errlen)
{
    for (int lib = 0; lib < LAZYLIB_COUNT; lib++) {
        if (!(mask & LAZYLIB_BIT(lib)) || lazylib_open(lib))
            continue;
        const char *why = dlerror();
        snprintf(err, errlen, "cannot load %s (%s): %s", libs[lib].name, libs[lib].path,
                 why ? why : "unknown error");
        return -1;
    }
    return 0;
}

__attribute__((noinline)) static void *lazylib_bind(size_t i)
{
    enum lazylib lib = syms[i].lib;
    void *h = lazylib_open(lib);
    if (!h)
        lazylib_fail(lib, "load");
    dlerror();
    void *f = dlsym(h, syms[i].name);
    if (!f) {
        char what[96];
        snprintf(what, sizeof what, "find %s in", syms[i].name);
        lazylib_fail(lib, what);
    }
    __atomic_store_n(&addrs[i], f, __ATOMIC_RELEASE);
    return f;
}

static inline void *lazylib_addr(size_t i)
{
    void *f = __atomic_load_n(&addrs[i], __ATOMIC_ACQUIRE);
    return f ? f : lazylib_bind(i);
}

void *lazylib_symbol(size_t i)
{
    return lazylib_addr(i);
}

#ifndef LAZYLIB_TABLE_ONLY
/* The functions themselves, each forwarding to its library's; (name) keeps a function-like
 * macro of the same name (curses has some) from expanding. */
#define LAZY_FN(lib, ret, name, params, args)                                                      \
    ret(name) params                                                                                \
    {                                                                                              \
        return ((__typeof__(name) *)lazylib_addr(LAZYSYM_##name))args;                             \
    }
#define LAZY_VOID(lib, name, params, args)                                                         \
    void(name) params                                                                               \
    {                                                                                              \
        ((__typeof__(name) *)lazylib_addr(LAZYSYM_##name))args;                                    \
    }
#define LAZY_VAR(lib, type, name)                                                                  \
    type *lazylib_var_##name(void)                                                                 \
    {                                                                                              \
        return lazylib_addr(LAZYSYM_##name);                                                       \
    }
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR
#endif
