# The interactive UI (issue 9): views, widgets, keymap, the headless harness.
TUI_UI_SOURCES = tui/app.c tui/app.h tui/actions.h tui/keymap.c tui/keymap.h \
	tui/view-tree.c tui/view-tree.h tui/view-details.c tui/view-help.c \
	tui/widget-draw.c tui/widget-draw.h tui/widget-input.c tui/widget-input.h \
	tui/harness.c tui/harness.h tui/heap.c tui/heap.h
clan_tui_SOURCES += $(TUI_UI_SOURCES)
# the programs other than clan-tui, which link the libraries, add TUI_LAZYLIB_LINKED
TUI_LAZYLIB_LINKED = tui/lazylib-linked.c tui/lazylib.h tui/lazycurses.h
TUI_LIBS = $(CORE_LIBS) $(NCURSES_LIBS)

# Tests: the tables and widgets (cmocka), screens through the headless harness, and the
# real binary in tmux.
check_PROGRAMS += tests/test-tui
tests_test_tui_SOURCES = tests/test-tui.c tui/keymap.c tui/keymap.h tui/widget-input.c \
	tui/widget-input.h tui/widget-draw.c tui/widget-draw.h $(TUI_LAZYLIB_LINKED)
tests_test_tui_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_LDADD = $(TEST_LIBS) $(NCURSES_LIBS)
check_PROGRAMS += tests/test-tui-loop
tests_test_tui_loop_SOURCES = tests/test-tui-loop.c $(TUI_UI_SOURCES) tui/cli.c tui/cli.h \
	$(TUI_LAZYLIB_LINKED)
tests_test_tui_loop_CFLAGS = $(TEST_CFLAGS) -DSAMPLES_DIR='"$(abs_top_srcdir)/samples"'
tests_test_tui_loop_LDADD = $(TEST_LIBS) $(NCURSES_LIBS)
TESTS += tests/test-tui tests/test-tui-loop tests/tui-screens.sh tests/tui-tmux.sh
EXTRA_DIST += tests/tui-screens.sh tests/tui-tmux.sh tests/tui-tmux-lib.sh tests/screens

# make bench: the UI on a 1000-machine fleet (start, key-to-frame, RSS).
EXTRA_PROGRAMS += bench/bench-tui
bench_bench_tui_SOURCES = bench/bench-tui.c $(TUI_UI_SOURCES) tui/cli.c tui/cli.h \
	$(TUI_LAZYLIB_LINKED)
bench_bench_tui_LDADD = $(TUI_LIBS)
BENCH_PROGS += bench/bench-tui
BENCH_RUNS += bench/bench-tui.sh
EXTRA_DIST += bench/bench-tui.sh

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-tui-script
fuzz_fuzz_tui_script_SOURCES = fuzz/fuzz-tui-script.c $(TUI_UI_SOURCES) tui/cli.c tui/cli.h \
	$(TUI_LAZYLIB_LINKED)
fuzz_fuzz_tui_script_CPPFLAGS = $(AM_CPPFLAGS) -DSAMPLES_DIR='"$(abs_top_srcdir)/samples"'
fuzz_fuzz_tui_script_LDADD = $(TUI_LIBS)
fuzz_fuzz_tui_script_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
