clan_tui_SOURCES += tui/main.c tui/cli.c tui/cli.h tui/commands.def
