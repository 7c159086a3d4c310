#!/bin/bash
# Differential test: clan-tui calendar against systemd-analyze calendar (systemd 252)
# over hand-picked (calendar-exprs.txt) and generated (calendar-gen.sh) expressions,
# several zones and base times around DST changes. Output must be identical except
# for the "From now:" lines (they depend on the real clock).
# Usage outside make: CLAN_TUI=... top_srcdir=... bash tests/calendar-diff.sh [-v]
. "$top_srcdir/tests/lib.sh"
have systemd-analyze || { echo "systemd-analyze not installed: skip"; exit 77; }
systemd-analyze --help 2>/dev/null | grep -q -- --base-time || { echo "no --base-time: skip"; exit 77; }
unset COLUMNS LINES SYSTEMD_COLORS
export SYSTEMD_LOG_COLOR=0 SYSTEMD_PAGER=cat

exprs=()
while IFS= read -r line; do
    case $line in '#'*|'') continue ;; '%b '*) line=$(printf '%b' "${line#%b }") ;; esac
    exprs+=("$line")
done < <(cat "$top_srcdir/tests/calendar-exprs.txt" "$top_srcdir/tests/calendar-diff-regress.txt")
while IFS= read -r line; do exprs+=("$line"); done < <(bash "$top_srcdir/tests/calendar-gen.sh" 400)
echo "# ${#exprs[@]} expressions"

strip() { grep -v '^ *From now: ' "$1" > "$1.s" || true; }

# run_case TZ BASE ITER: both tools on all expressions in one invocation each
run_case() {
    local tz=$1 base=$2 iter=$3 name="TZ=$1 base='$2' iterations=$3"
    local a=$T/a b=$T/b sa sb
    set +e
    TZ=$tz systemd-analyze calendar --iterations="$iter" --base-time="$base" -- "${exprs[@]}" >$a.out 2>$a.err; sa=$?
    TZ=$tz "$CLAN_TUI" calendar --iterations="$iter" --base-time="$base" -- "${exprs[@]}" >$b.out 2>$b.err; sb=$?
    set -e
    strip $a.out; strip $b.out
    if [ $sa -eq $sb ] && cmp -s $a.out.s $b.out.s && cmp -s $a.err $b.err; then
        ok "$name"
        return
    fi
    fail "$name (exit $sa vs $sb)"
    # find the expressions that differ
    local n=0
    for e in "${exprs[@]}"; do
        set +e
        TZ=$tz systemd-analyze calendar --iterations="$iter" --base-time="$base" -- "$e" >$a.1 2>&1; sa=$?
        TZ=$tz "$CLAN_TUI" calendar --iterations="$iter" --base-time="$base" -- "$e" >$b.1 2>&1; sb=$?
        set -e
        strip $a.1; strip $b.1
        if [ $sa -ne $sb ] || ! cmp -s $a.1.s $b.1.s; then
            echo "  differs: '$e' (exit $sa vs $sb)"
            diff $a.1.s $b.1.s | sed 's/^/    /' | head -20
            n=$((n + 1))
            [ $n -ge 15 ] && { echo "  ..."; break; }
        fi
    done
}

for tz in UTC Europe/Berlin America/New_York Australia/Lord_Howe Asia/Kolkata; do
    run_case $tz '2026-03-28 12:00:00 UTC' 3
done
run_case Europe/Berlin '2026-10-24 23:30:00 UTC' 4
run_case America/New_York '2026-11-01 04:59:59 UTC' 4
run_case Australia/Lord_Howe '2026-04-04 13:00:00 UTC' 3
run_case America/Santiago '2026-09-05 00:00:00 UTC' 2
run_case UTC '2026-01-01 00:00:00 UTC' 5
run_case Europe/Berlin '@1800000000' 2
# base time given in local time, and by the other timestamp forms
run_case Europe/Berlin '2026-10-25 02:30' 3
run_case America/New_York '2026-03-08 01:59:59.5' 2
run_case Asia/Kolkata 'Sun 2026-11-29 10:00' 2
finish
