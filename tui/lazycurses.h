/* <curses.h> for clan-tui, which dlopens libncursesw on first use (tui/lazylib.c): curses'
 * variables are read in the library through the address lazylib resolves, as its functions
 * are called (the binary, not linking the library, can hold no copy of them). Include this
 * instead of <curses.h>. The test and benchmark programs that link ncursesw define the same
 * accessors in tui/lazycurses-linked.c. */
#ifndef CLAN_TUI_LAZYCURSES_H
#define CLAN_TUI_LAZYCURSES_H

#include <curses.h>

#if NCURSES_REENTRANT
#error "a reentrant ncurses keeps its variables behind _nc_ functions: bind those in tui/lazylib.def"
#endif

#define LAZY_FN(lib, ret, name, params, args)
#define LAZY_VOID(lib, name, params, args)
#define LAZY_VAR(lib, type, name) type *lazylib_var_##name(void);
#include "tui/lazylib.def"
#undef LAZY_FN
#undef LAZY_VOID
#undef LAZY_VAR

#ifndef LAZYCURSES_NO_MACROS
#undef COLOR_PAIRS
#define COLOR_PAIRS (*lazylib_var_COLOR_PAIRS())
#undef COLORS
#define COLORS (*lazylib_var_COLORS())
#undef COLS
#define COLS (*lazylib_var_COLS())
#undef curscr
#define curscr (*lazylib_var_curscr())
#undef LINES
#define LINES (*lazylib_var_LINES())
#undef stdscr
#define stdscr (*lazylib_var_stdscr())
#endif

#endif
