# The editing layer of the UI (issue 10): editors, dialogs, diff viewer, undo/redo, write.
# It is part of the UI, so it joins TUI_UI_SOURCES (the binary, the UI benchmark).
TUI_EDIT_SOURCES = tui/edit.c tui/edit.h tui/view-schedule.c tui/view-tags.c tui/view-roles.c \
	tui/view-exclude.c tui/view-destinations.c tui/widget-dialog.c tui/widget-dialog.h \
	tui/widget-diff.c tui/widget-diff.h tui/schedule-preview.c tui/schedule-preview.h \
	tui/view-setup.c
TUI_UI_SOURCES += $(TUI_EDIT_SOURCES)
clan_tui_SOURCES += tui/cmd-exclude-test.c

# Tests: editor screens (tests/screens/edit/), the harness driven from C where the file
# must change between keys, the real binary in tmux.
check_PROGRAMS += tests/test-tui-edit
tests_test_tui_edit_SOURCES = tests/test-tui-edit.c $(TUI_UI_SOURCES) tui/cli.c tui/cli.h \
	$(TUI_LAZYLIB_LINKED)
tests_test_tui_edit_CFLAGS = $(TEST_CFLAGS)
tests_test_tui_edit_LDADD = $(TEST_LIBS) $(NCURSES_LIBS)
TESTS += tests/test-tui-edit tests/tui-edit.sh tests/tui-edit-tmux.sh
EXTRA_DIST += tests/tui-edit.sh tests/tui-edit-tmux.sh

# make bench: the schedule editor's preview per keystroke.
EXTRA_PROGRAMS += bench/bench-schedule
bench_bench_schedule_SOURCES = bench/bench-schedule.c tui/schedule-preview.c tui/schedule-preview.h
bench_bench_schedule_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-schedule
BENCH_RUNS += bench/bench-schedule.sh
EXTRA_DIST += bench/bench-schedule.sh
