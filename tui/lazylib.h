/* Lazy binding of ncursesw (and tinfo), libyaml, libssh, libsystemd and libcrypto
 * (tui/lazylib.def lists the functions). clan-tui does not link these libraries: its
 * definitions of their functions dlopen the library by absolute path (configure's
 * LIBSSH_SONAME_PATH, ...) on the first call and forward to it, so a command maps only the
 * libraries it calls: --version none, check and plan libyaml, the UI curses and libyaml,
 * keygen libssh and libcrypto, journal libsystemd. A library that cannot be loaded, or lacks a function, ends the process with
 * a message naming the library and dlerror()'s reason, and exit status LAZYLIB_EXIT.
 * Only the clan-tui binary has this layer; libclancore.a and its tests link the libraries,
 * and the programs that link tui/ code with them get lazylib_require from tui/lazylib-linked.c. */
#ifndef CLAN_TUI_LAZYLIB_H
#define CLAN_TUI_LAZYLIB_H

#include <stddef.h>

#define LAZYLIB_EXIT 1

enum lazylib {
    LAZYLIB_NCURSESW,
    LAZYLIB_TINFO,
    LAZYLIB_YAML,
    LAZYLIB_SSH,
    LAZYLIB_SYSTEMD,
    LAZYLIB_CRYPTO,
    LAZYLIB_COUNT,
};

#define LAZYLIB_BIT(lib) (1u << (lib))

/* Loads the libraries of MASK (LAZYLIB_BITs) now, so that an operation that needs them fails
 * before it starts, not in its middle: 0, or -1 with ERR (ERRLEN bytes) naming the first one
 * that cannot be loaded, its path and dlerror()'s reason. The UI's views and the commands
 * that write files call it first; any other first call loads its library itself. */
int lazylib_require(unsigned mask, char *err, size_t errlen);

/* The library's name ("libssh") and the file dlopen()ed for it. */
const char *lazylib_name(enum lazylib lib);
const char *lazylib_path(enum lazylib lib);

/* The lazily bound functions and variables: their number, and the name and library of the
 * I-th. */
size_t lazylib_symbol_count(void);
const char *lazylib_symbol_name(size_t i);
enum lazylib lazylib_symbol_lib(size_t i);

/* The address of the I-th function or variable in its library, loading the library on first use
 * (tests/test-lazylib.c resolves every one). */
void *lazylib_symbol(size_t i);

#endif
