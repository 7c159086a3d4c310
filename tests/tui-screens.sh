#!/bin/bash
# Screen tests of the UI (tig-style): the real UI loop runs headless through
# `clan-tui screen`, keys come from tests/screens/NAME.keys, and every `dump` step must
# equal tests/screens/NAME.screen. A script's `# args:` line gives the options and FILE
# (relative to the source tree), `# env:` extra environment (TERM, NO_COLOR, LC_ALL...).
# UPDATE_SCREENS=1 rewrites the expected screens (then review them with git diff).
. "$top_srcdir/tests/lib.sh"
unset XDG_CONFIG_HOME NO_COLOR ESCDELAY
screens="$top_srcdir/tests/screens"

run_screen() { # run_screen NAME KEYS OUT ARGS...
    name=$1 keys=$2 out=$3; shift 3
    envs=$(sed -n 's/^# env: //p' "$keys")
    (cd "$top_srcdir" && env TERM=xterm-256color $envs "$CLAN_TUI" screen --keys "$keys" "$@") >"$out" 2>&1
}

compare() { # compare NAME OUT
    want="$screens/$1.screen"
    if [ "${UPDATE_SCREENS:-}" = 1 ]; then cp "$2" "$want"; fi
    if diff -u "$want" "$2" >"$T/$1.diff" 2>&1; then ok "screen $1"; else fail "screen $1"; head -60 "$T/$1.diff"; fi
}

for keys in "$screens"/*.keys; do
    name=$(basename "$keys" .keys)
    [ "$name" = everything ] && continue
    args=$(sed -n 's/^# args: //p' "$keys")
    # shellcheck disable=SC2086
    run_screen "$name" "$keys" "$T/$name.out" $args
    compare "$name" "$T/$name.out"
done

# Every sample, fully expanded on a tall terminal; and every machine, tag, instance, role,
# setting and state the model reads (clan-tui dump --json) is on that screen.
have_dump=no
if "$CLAN_TUI" --help | grep -q '^  dump ' && have jq; then have_dump=yes; fi
for f in "$top_srcdir"/samples/*.nix; do
    s=$(basename "$f" .nix)
    run_screen "everything-$s" "$screens/everything.keys" "$T/everything-$s.out" --size 200x112 "samples/$s.nix"
    compare "everything-$s" "$T/everything-$s.out"
    check "everything-$s: the whole tree fits the screen" \
        grep -Eq 'tree 1/([0-9]|[0-9][0-9]|10[0-7]) *$' "$T/everything-$s.out"
    [ $have_dump = yes ] || continue
    "$CLAN_TUI" dump --json "$f" | jq -r '
        .machines[].name, .machines[].tags[].value, .machines[].states[].name,
        .instances[].name, .instances[].roles[].name, .instances[].roles[].tags[].name,
        (.instances[].roles[] | (.settings, .machines[].settings, .tags[].settings)
            | select(. != null) | paths | map(select(type == "string")) | .[-1] // empty)' \
        | sort -u > "$T/names-$s"
    missing=$(while read -r n; do grep -qF -- "$n" "$T/everything-$s.out" || echo "$n"; done < "$T/names-$s")
    check "everything-$s shows every name of the model ($(wc -l < "$T/names-$s") names)" test -z "$missing"
    [ -z "$missing" ] || echo "missing: $missing"
done
[ $have_dump = yes ] || echo "note: 'clan-tui dump' or jq missing: names not cross-checked"

# The README's capture of the UI is what the UI shows (alice-laptop selected and expanded,
# 120x30); to refresh it, paste the output of this command into README.md, indented.
printf 'key j j j j l\n' > "$T/readme.keys"
(cd "$top_srcdir" && TERM=xterm-256color "$CLAN_TUI" screen --size 120x30 --keys "$T/readme.keys" \
    samples/two-machines.nix) | sed 's/^/    /; s/^    $//' > "$T/readme-capture"
check "the README's capture matches the UI" sh -c 'tr "\n" "\001" < "$1" > "$3.a"; tr "\n" "\001" < "$2" > "$3.b"; grep -qF -f "$3.b" "$3.a"' \
    _ "$top_srcdir/README.md" "$T/readme-capture" "$T/cap"

# The help lists every action with its keys (on a terminal tall enough for all of it); the
# README and the man page document every action.
printf 'key ?\ndump help\n' > "$T/help.keys"
(cd "$top_srcdir" && TERM=xterm-256color "$CLAN_TUI" screen --size 160x200 --keys "$T/help.keys" \
    samples/two-machines.nix) > "$T/help-tall.out" 2>&1
for a in $(sed -n 's/^ *X([A-Z_]*, "\([a-z-]*\)".*/\1/p' "$top_srcdir/tui/actions.h"); do
    check "help lists $a" grep -Eq "│  [^ │][^│]* $a +[A-Z]" "$T/help-tall.out"
    check "README documents $a" grep -q "\`$a\`" "$top_srcdir/README.md"
    check "the man page documents $a" grep -q -- "$(echo "$a" | sed 's/-/\\\\-/g')" "$top_srcdir/man/clan-tui.1"
done

finish
