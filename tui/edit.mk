# The editing layer of the UI (issue 10): editors, dialogs, diff viewer, undo/redo, write.
# It is part of the UI, so it joins TUI_UI_SOURCES (the binary, the UI benchmark).
TUI_EDIT_SOURCES = tui/edit.c tui/edit.h tui/view-schedule.c tui/view-tags.c tui/view-roles.c \
	tui/view-exclude.c tui/view-destinations.c tui/widget-dialog.c tui/widget-dialog.h \
	tui/widget-diff.c tui/widget-diff.h tui/schedule-preview.c tui/schedule-preview.h
TUI_UI_SOURCES += $(TUI_EDIT_SOURCES)
clan_tui_SOURCES += tui/cmd-exclude-test.c

# Tests: editor screens (tests/screens/edit-*), script tests, the real binary in tmux.
TESTS += tests/tui-edit.sh tests/tui-edit-tmux.sh
EXTRA_DIST += tests/tui-edit.sh tests/tui-edit-tmux.sh

# make bench: the schedule editor's preview per keystroke.
EXTRA_PROGRAMS += bench/bench-schedule
bench_bench_schedule_SOURCES = bench/bench-schedule.c tui/schedule-preview.c tui/schedule-preview.h
bench_bench_schedule_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-schedule
BENCH_RUNS += bench/bench-schedule.sh
EXTRA_DIST += bench/bench-schedule.sh
