#ifndef CLAN_TUI_APP_H
#define CLAN_TUI_APP_H
int tui_main(int argc, char **argv);
#endif
