clan_tui_SOURCES += tui/main.c tui/cli.c tui/cli.h tui/commands.def
# ncursesw, libyaml, libssh, libsystemd and libcrypto, dlopened on first use (tui/lazylib.h). test-lazylib
# resolves every bound function in the real libraries, which it links (not the layer's
# wrappers); debian/rules gives it to dpkg-shlibdeps for the Depends of those libraries.
clan_tui_SOURCES += tui/lazylib.c tui/lazylib.h tui/lazylib.def tui/lazycurses.h
check_PROGRAMS += tests/test-lazylib
tests_test_lazylib_SOURCES = tests/test-lazylib.c tui/lazylib.c tui/lazylib.h tui/lazylib.def
tests_test_lazylib_CPPFLAGS = $(AM_CPPFLAGS) -DLAZYLIB_TABLE_ONLY
tests_test_lazylib_LDADD = $(NCURSES_LIBS) $(YAML_LIBS) $(LIBSSH_LIBS) $(SYSTEMD_LIBS) $(LIBCRYPTO_LIBS) $(DL_LIBS)
TESTS += tests/test-lazylib tests/lazylib.sh
EXTRA_DIST += tests/lazylib.sh
