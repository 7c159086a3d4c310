#!/bin/bash
# Black-box tests of the real binary in a real terminal emulator: tmux runs clan-tui on a
# 120x35 pane, send-keys types, capture-pane -p reads the screen. Every step waits for a
# visible state (polling the pane), never for a fixed time.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/tui-tmux-lib.sh"
cd "$top_srcdir"

# ---- the main screen, moving, search, help, redraw, quit ----
start -- samples/two-machines.nix
check "starts and shows the inventory" wait_for 'MY-BACKUP-CLAN.*two-machines.nix'
check "the tree lists the machines" wait_for 'alice-laptop +employees'
check "the key-hint bar" wait_for 'j/k move +Enter open +t tags'
tm send-keys -t t j j j j
check "j moves (position 5/17)" wait_for 'tree 5/17'
tm send-keys -t t l
check "l expands alice-laptop" wait_for 'targetHost +root@192.168.56.101 +│'
tm send-keys -t t Down Up Up
check "arrow keys move" wait_for 'tree 4/'
tm send-keys -t t G
check "G goes to the last row" wait_for 'tree 22/22'
tm send-keys -t t g
check "g goes to the first row" wait_for 'tree 1/22'
tm send-keys -t t / p o s t g r e s Enter
check "/ search jumps to the match" wait_for '┌ postgres-server ─'
tm send-keys -t t n
check "n finds the next match" wait_for 'tree 1[0-9]/|tree 2[0-9]/'
tm send-keys -t t Tab
check "Tab focuses the details" wait_for ' details [0-9]+/[0-9]+'
tm send-keys -t t BTab
check "S-Tab focuses the tree" wait_for ' tree [0-9]+/[0-9]+'
tm send-keys -t t '?'
check "? opens the help" wait_for 'Help: keys and actions'
check "help lists keys and actions" wait_for 'j, Down, C-n +move-down'
tm send-keys -t t Escape
check "Esc closes the help at once" wait_gone 'Help: keys and actions'
tm send-keys -t t : g o t o Space s s h d Enter
check ": goto" wait_for '┌ sshd ─'
tm send-keys -t t C-l
check "C-l redraws" wait_for '┌ sshd ─'
tm send-keys -t t F9
check "an unbound key is reported" wait_for "F9 is not bound to anything"

# ---- resize: a storm, a small terminal, a too-small one ----
for size in 80x24 40x12 200x50 31x9 100x30 60x15 150x40 45x13 120x35 33x10 90x28; do
    tm resize-window -t t -x "${size%x*}" -y "${size#*x}"
done
tm resize-window -t t -x 40 -y 12
check "after a resize storm, 40x12 renders" wait_for '^ j/k move  Enter open  \? help  q quit *$'
check "the process survived the storm" test "$(tm display -p -t t '#{pane_dead}')" = 0
tm resize-window -t t -x 20 -y 6
check "too small: a message, not garbage" wait_for 'Terminal too small'
tm resize-window -t t -x 120 -y 35
check "back to 120x35" wait_for 'j/k move  Enter open  t tags  r roles'
tm send-keys -t t q
check "q quits with status 0" wait_exit 0

# ---- NO_COLOR, TERM=vt100, LANG=C, --readonly, --theme, a bad theme ----
start NO_COLOR=1 -- samples/two-machines.nix
wait_for 'MY-BACKUP-CLAN' >/dev/null
tm send-keys -t t j
wait_for 'tree 2/' >/dev/null
tm capture-pane -e -p -t t > "$T/nocolor.esc"
# 39 and 49 are "the default colour", which tmux writes anyway
check "NO_COLOR: no colour escapes" sh -c '! grep -Eq "\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7]|10[0-7])(;[0-9]+)*m" "$1"' _ "$T/nocolor.esc"
check "NO_COLOR: the selection is reverse video" grep -q $'\e\[7m' "$T/nocolor.esc"
tm send-keys -t t q
check "NO_COLOR: quits" wait_exit 0

start -- samples/two-machines.nix
wait_for 'MY-BACKUP-CLAN' >/dev/null
tm capture-pane -e -p -t t > "$T/color.esc"
check "colours by default" grep -Eq $'\e\\[[0-9;]*(3[0-9]|38;5;[0-9]+)[;m]' "$T/color.esc"
tm send-keys -t t q
check "colours: quits with status 0" wait_exit 0

start TERM=xterm -- --theme solarized-dark samples/two-machines.nix
wait_for 'MY-BACKUP-CLAN' >/dev/null
tm capture-pane -e -p -t t > "$T/color8.esc"
check "8 colours: #rrggbb stepped down to the 8 ANSI colours" grep -Eq $'\e\\[[0-9;]*(3[0-7]|4[0-7])[;m]' "$T/color8.esc"
check "8 colours: no 256-colour escapes" sh -c '! grep -q "38;5;" "$1"' _ "$T/color8.esc"
tm send-keys -t t q
check "8 colours: quits with status 0" wait_exit 0

start -- --theme solarized-dark samples/two-machines.nix
wait_for 'MY-BACKUP-CLAN' >/dev/null
tm capture-pane -e -p -t t > "$T/color256.esc"
check "256 colours: #rrggbb as palette colours" grep -q "38;5;" "$T/color256.esc"
tm send-keys -t t q
check "256 colours: quits with status 0" wait_exit 0

start TERM=vt100 -- samples/two-machines.nix
check "TERM=vt100 renders" wait_for 'alice-laptop +employees'
tm send-keys -t t Down Down
check "TERM=vt100: arrow keys" wait_for 'tree 3/'
tm send-keys -t t q
check "TERM=vt100: quits" wait_exit 0

start LC_ALL=C -- samples/two-machines.nix
check "LANG=C: ASCII borders" wait_for '^\+ Inventory -+\+\+ meta -+\+$'
check "LANG=C: ASCII tree markers" wait_for '^\| v machines \(3\)'
tm send-keys -t t q
check "LANG=C: quits with status 0" wait_exit 0

start -- --readonly --theme solarized-dark samples/two-machines.nix
check "--readonly is shown" wait_for '\[RO\]'
tm send-keys -t t q
check "--readonly: quits with status 0" wait_exit 0

printf 'tree:\n  tag: no-such-colour\n' > "$T/bad.yaml"
start -- --theme "$T/bad.yaml" samples/two-machines.nix
check "a bad theme: file:line:col, and the UI runs" wait_for 'bad.yaml:2:8: error: unknown colour'
check "a bad theme: the tree is there" wait_for 'alice-laptop +employees'
tm send-keys -t t q
check "a bad theme: quits with status 0" wait_exit 0

start -- --mouse samples/two-machines.nix
wait_for 'alice-laptop' >/dev/null
# a click on column 9, row 6 (alice-laptop) as the terminal reports it: tmux's terminfo
# entry (the pane's TERM) has X10 mouse reports, ESC [ M then button, column, row + 32
click=$(printf '\033[M %s%s\033[M#%s%s' '*' "'" '*' "'")
tm send-keys -t t -l "$click"
check "--mouse: a click selects" wait_for 'tree 5/17'
tm send-keys -t t q
check "--mouse: quits with status 0" wait_exit 0

start -- samples/two-machines.nix
wait_for 'alice-laptop' >/dev/null
tm send-keys -t t C-c
check "C-c quits like q (status 0, no unsaved edits)" wait_exit 0

# ---- a file with errors ----
start -- tests/screens/broken.nix
check "errors are listed first" wait_for 'diagnostics \(4\)'
check "and everything that could be read" wait_for 'alice-laptop +employees'
tm send-keys -t t ']'
check "] goes to a node with a diagnostic" wait_for ' !|\?'
tm send-keys -t t q
check "a file with errors: quits with status 0" wait_exit 0

# ---- errors before the UI starts ----
tm kill-server >/dev/null 2>&1 || true
expect_status 2 "unknown option: exit 2" "$CLAN_TUI" --frobnicate samples/two-machines.nix
"$CLAN_TUI" --frobnicate samples/two-machines.nix 2>"$T/err" || true
check "unknown option: one line" test "$(wc -l < "$T/err")" -eq 1
expect_status 2 "two files: exit 2" "$CLAN_TUI" samples/two-machines.nix samples/postgres.nix
expect_status 1 "a missing file: exit 1" sh -c '"$1" /nonexistent/clan.nix </dev/null >/dev/null 2>"$2/err3"' _ "$CLAN_TUI" "$T"
check "a missing file: says which and why" grep -q "/nonexistent/clan.nix.*No such file" "$T/err3"
expect_status 1 "not a terminal: exit 1 with a hint" sh -c '"$1" samples/two-machines.nix </dev/null >/dev/null 2>"$2/err2"' _ "$CLAN_TUI" "$T"
check "not a terminal: the hint names the screen command" grep -q "clan-tui screen" "$T/err2"
check "the UI's own --help" sh -c '"$1" --readonly --help | grep -q -- "--theme NAME|FILE"' _ "$CLAN_TUI"
finish
