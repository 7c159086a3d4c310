#!/bin/sh
# The binary's entry point: --help, --version, usage errors.
. "$top_srcdir/tests/lib.sh"

check "--help exits 0 and names the program" sh -c '"$CLAN_TUI" --help | grep -q "^Usage: clan-tui"'
check "-h is --help" sh -c '"$CLAN_TUI" -h | grep -q "^Commands:"'
check "--version" sh -c '"$CLAN_TUI" --version | grep -Eq "^clan-tui [0-9]+\.[0-9]+\.[0-9]+$"'
expect_status 2 "unknown command exits 2" "$CLAN_TUI" frobnicate
"$CLAN_TUI" frobnicate 2>"$T/err" || true
check "unknown command: one line plus hint" sh -c '[ $(wc -l <"$T/err") -eq 1 ] && grep -q "unknown command" "$T/err" && grep -q -- "--help" "$T/err"'
expect_status 2 "unknown option exits 2" "$CLAN_TUI" --frobnicate
"$CLAN_TUI" --frobnicate 2>"$T/err" || true
check "unknown option: one line" sh -c '[ $(wc -l <"$T/err") -eq 1 ]'
# every listed command answers --help with status 0
for c in $("$CLAN_TUI" --help | awk '/^Commands:/{on=1;next} /^$/{on=0} on{print $1}'); do
    check "$c --help" sh -c "\"\$CLAN_TUI\" $c --help >/dev/null"
done
finish
