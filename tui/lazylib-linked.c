/* tui/lazylib.h for the programs that link tui/ code and the libraries themselves (the UI's
 * tests, benchmark and fuzzer): the libraries are there, and curses' variable accessors
 * (tui/lazycurses.h) return the linked variables. clan-tui has tui/lazylib.c instead. */
#define LAZYCURSES_NO_MACROS
#include "tui/lazycurses.h"
#include "tui/lazylib.h"

int lazylib_require(unsigned mask, char *err, size_t errlen)
{
    (void)mask;
    (void)err;
    (void)errlen;
    return 0;
}

#define LAZY_FN(lib, ret, name, params, args)
#define LAZY_VOID(lib, name, params, args)
#define LAZY_VAR(lib, type, name)                                                                  \
    type *lazylib_var_##name(void)                                                                 \
    {                                                                                              \
        return &name;                                                                              \
    }
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR
