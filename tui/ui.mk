# The interactive UI (issue 9): views, widgets, keymap, the headless harness.
TUI_UI_SOURCES = tui/app.c tui/app.h tui/actions.h tui/keymap.c tui/keymap.h \
	tui/view-tree.c tui/view-tree.h tui/view-details.c tui/view-help.c \
	tui/widget-draw.c tui/widget-draw.h tui/widget-input.c tui/widget-input.h \
	tui/harness.c tui/harness.h
clan_tui_SOURCES += $(TUI_UI_SOURCES)
TUI_LIBS = $(CORE_LIBS) $(NCURSES_LIBS)
