#!/bin/bash
# The editors through the headless harness (`clan-tui screen`): every script in
# tests/screens/edit/NAME.keys runs on a fresh copy of the sample named on its `# file:`
# line (as ./clan.nix in a temporary directory), and its screens followed by the change
# to the file (`=== file` and diff -u, empty when the file is unchanged) must equal
# tests/screens/edit/NAME.screen (`# args:` adds UI options; `# setup: edit OP...` changes
# the copy with clan-tui edit first). `# setup: ro-dir` puts the copy on a tmpfs remounted
# read-only (a real EROFS for the write; needs mount rights in a private mount namespace,
# else that script is skipped). Then `clan-tui exclude-test` against the installed borg.
# UPDATE_SCREENS=1 rewrites the expected screens (review them with git diff).
. "$top_srcdir/tests/lib.sh"
unset XDG_CONFIG_HOME NO_COLOR ESCDELAY
export CLAN_TUI_NOW="2026-11-26 12:00:00 UTC"
screens="$top_srcdir/tests/screens/edit"

run_one() { # run_one NAME KEYS OUT
    local name=$1 keys=$2 out=$3 d="$T/$1"
    local file envs setup args
    file=$(sed -n 's/^# file: //p' "$keys")
    args=$(sed -n 's/^# args: //p' "$keys")
    envs=$(sed -n 's/^# env: //p' "$keys")
    setup=$(sed -n 's/^# setup: //p' "$keys")
    mkdir -p "$d"
    local cmd="cp '$top_srcdir/$file' clan.nix && chmod 644 clan.nix"
    case $setup in # `# setup: edit OP...`: the copy is changed by clan-tui edit first
    edit\ *) cmd="$cmd && '$CLAN_TUI' edit clan.nix ${setup#edit } >/dev/null" ;;
    esac
    if [ "$setup" = ro-dir ]; then
        cmd="mount -t tmpfs -o size=1m tmpfs '$d' && cd '$d' && $cmd && mount -o remount,ro '$d'"
        if ! unshare -m true 2>/dev/null; then return 77; fi
    fi
    # shellcheck disable=SC2086
    cmd="cd '$d' && $cmd && env TERM=xterm-256color $envs '$CLAN_TUI' screen --keys '$keys' $args clan.nix; echo '=== file'; diff -u --label before --label after '$top_srcdir/$file' clan.nix; true"
    if [ "$setup" = ro-dir ]; then
        unshare -m bash -c "$cmd" >"$out" 2>&1 || return 77
        grep -q '^=== file' "$out" || return 77
    else
        bash -c "$cmd" >"$out" 2>&1
    fi
}

for keys in "$screens"/*.keys; do
    name=$(basename "$keys" .keys)
    set +e
    run_one "$name" "$keys" "$T/$name.out"
    rc=$?
    set -e
    if [ $rc = 77 ]; then
        echo "skip - screen edit/$name (no private mount namespace with mount rights)"
        continue
    fi
    want="$screens/$name.screen"
    if [ "${UPDATE_SCREENS:-}" = 1 ]; then cp "$T/$name.out" "$want"; fi
    if diff -u "$want" "$T/$name.out" >"$T/$name.diff" 2>&1; then ok "screen edit/$name"; else fail "screen edit/$name"; head -80 "$T/$name.diff"; fi
done

# The file written by the editors parses, and the plan shows the change.
d="$T/schedule-write"
if [ -f "$d/clan.nix" ]; then
    if have nix-instantiate; then
        check "the written file parses (nix-instantiate --parse)" \
            nix-instantiate --parse --store dummy:// "$d/clan.nix" >/dev/null
    fi
    "$CLAN_TUI" plan --json "$d/clan.nix" > "$T/plan.json"
    check "plan shows the new schedule" grep -q '"Mon \*-\*-\* 03:00:00"' "$T/plan.json"
fi

# exclude-test: the file's patterns, with their origin.
ex="$top_srcdir/samples/exclude.nix"
expect_status 3 "exclude-test: a .pyc file is excluded" "$CLAN_TUI" exclude-test "$ex" alice-laptop /home/alice/documents/a.pyc
"$CLAN_TUI" exclude-test "$ex" alice-laptop /home/alice/documents/a.pyc /home/alice/documents/a.py > "$T/et.out" || true
check "exclude-test names the pattern and its origin" grep -q "^excluded /home/alice/documents/a.pyc by \*.pyc (machine, .*exclude.nix:21:11)" "$T/et.out"
check "exclude-test keeps other paths" grep -qx "kept /home/alice/documents/a.py" "$T/et.out"
expect_status 0 "exclude-test: nothing excluded is status 0" "$CLAN_TUI" exclude-test "$ex" alice-laptop /home/alice/a.txt
expect_status 1 "exclude-test: not a client" "$CLAN_TUI" exclude-test "$ex" backup-server /x
expect_status 1 "exclude-test: an unknown style is an error" "$CLAN_TUI" exclude-test -p 'xx:foo' /x
expect_status 2 "exclude-test: usage" "$CLAN_TUI" exclude-test "$ex"
"$CLAN_TUI" exclude-test -p 'xx:foo' /x 2> "$T/et.err" || true
check "exclude-test: the error has the column" grep -q "column 1: error: unknown pattern style 'xx:'" "$T/et.err"

# The same answers as the installed borg's own matcher (borg.patterns), pattern by pattern.
if /usr/bin/python3 -c 'import borg.patterns' 2>/dev/null; then
    pats=('*.pyc' '__pycache__' '.cache' '*/.cache' 'home/*/cache' '/home/alice/documents/' 'sh:**/.cache'
          'sh:home/*/cache' 'sh:home/**/*.pyc' 'sh:home/?' 're:\.pyc$' 're:^home/[^/]+/\.cache' 'pp:/home/alice'
          'pf:/home/alice/x' 'fm:[a-c]*.txt' 'fm:[!a-c]*.txt' 'sh:*.tmp' 'fm:*/docs/*' 're:x{' 're:c{2}' 're:[0-9]' 're:[]a]')
    paths=(/home/alice/x.pyc /home/alice/__pycache__/a.pyc /__pycache__/a /.cache/x /home/alice/.cache/f
           /home/bob/cache/f /home/bob/x/cache /home/alice/documents /home/alice/documents/y /home/c.pyc
           /home/a/b/c.pyc /home/a/x /home/alicex /home/alice/x b.txt d.txt /a.tmp /x/a.tmp /a/docs/b /ax{b /acc /a1)
    mism=0 total=0
    for p in "${pats[@]}"; do
        ours=$("$CLAN_TUI" exclude-test -p "$p" "${paths[@]}" | sed 's/^excluded \([^ ]*\) by .*/1 \1/; s/^kept /0 /')
        theirs=$(/usr/bin/python3 -c '
import sys, borg.patterns as P
m = P.parse_pattern(sys.argv[1])
for x in sys.argv[2:]:
    print("%d %s" % (1 if m.match(x.lstrip("/")) else 0, x))' "$p" "${paths[@]}")
        total=$((total + ${#paths[@]}))
        if [ "$ours" != "$theirs" ]; then
            mism=$((mism + 1))
            echo "pattern $p:"; diff <(echo "$theirs") <(echo "$ours") || true
        fi
    done
    check "exclude-test agrees with borg's matcher on $total pattern/path pairs" test $mism = 0
else
    echo "note: borg's python modules not found: live comparison skipped"
fi

finish
