#!/bin/bash
# journal-diff-fuzz: differential fuzzing of `clan-tui journal` against journalctl.
#
#   fuzz/journal-diff-fuzz.sh [SECONDS] [FOUND_DIR]      (run by `make fuzz-diff`)
#
# In rounds until SECONDS have passed (default 60): fuzz/journal-gen writes a random
# journal export (fields, binary data, multi-line and invalid UTF-8 messages, priorities,
# several boots, clock jumps) and random selections; systemd-journal-remote turns the
# export into a journal file (sometimes two files); each selection (units and globs,
# priorities, --since/--until, -n, -g, -o short-iso|short|json) runs through
# `clan-tui journal --file ...` and `journalctl --file ...` in a random zone, and the
# outputs must be the same (tests/journal-lib.sh journal_same). Each disagreement is kept
# in FOUND_DIR (default fuzz-diff-found/journal): the export(s), the zone and arguments,
# both outputs. A fixed one belongs in tests/journal-diff/ (replayed by
# tests/journal-diff.sh in `make check`).
#   fuzz/journal-diff-fuzz.sh --replay FOUND_CASE_DIR...   checks kept findings again
# Exit status: 0 no disagreement, 1 disagreements found, 77 tools missing.
secs=${1:-60}
: "${top_builddir:=.}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
found=${2:-$top_builddir/fuzz-diff-found/journal}
export CLAN_TUI=${CLAN_TUI:-$top_builddir/clan-tui}
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
have jq || { echo "jq not installed: skip"; exit 77; }
gen=$top_builddir/fuzz/journal-gen
[ -x "$gen" ] || { echo "build fuzz/journal-gen first (make check)"; exit 2; }
if [ "$secs" = --replay ]; then
    shift
    bad=0
    for d in "$@"; do
        mapfile -t a < "$d/args"
        files=()
        for x in a b; do
            [ -e "$d/$x.export" ] || continue
            journal_write "$T/$x.journal" < "$d/$x.export"
            files+=(--file "$T/$x.journal")
        done
        if journal_same "$T/o" "${a[0]#TZ=}" "${files[@]}" "${a[@]:1}"; then
            echo "same: $d"
        else
            echo "DIFFERENT: $d"; bad=1
        fi
        rm -f "$T"/*.journal
    done
    exit $bad
fi
mkdir -p "$found"
zones=(UTC Europe/Berlin America/New_York Australia/Lord_Howe)
start=$SECONDS round=0 total=0 diffs=0
seed0=${JOURNAL_DIFF_SEED:-$(date +%s)}
echo "journal-diff-fuzz: seed $seed0 (JOURNAL_DIFF_SEED), $secs s"
while [ $((SECONDS - start)) -lt "$secs" ]; do
    round=$((round + 1))
    seed=$((seed0 + round))
    rm -rf "$T/r"; mkdir "$T/r"
    "$gen" "$seed" $((1 + seed % 300)) "$T/r/a.export" "$T/r/sel" 40
    journal_write "$T/r/a.journal" < "$T/r/a.export"
    files=(--file "$T/r/a.journal")
    if [ $((seed % 4)) = 0 ]; then
        "$gen" $((seed + 1000000)) 50 "$T/r/b.export" /dev/null 0
        journal_write "$T/r/b.journal" < "$T/r/b.export"
        files+=(--file "$T/r/b.journal")
    fi
    tz=${zones[seed % ${#zones[@]}]}
    args=()
    while IFS= read -r a; do
        if [ "$a" != "--" ]; then args+=("$a"); continue; fi
        total=$((total + 1))
        if ! journal_same "$T/r/o" "$tz" "${files[@]}" "${args[@]}"; then
            diffs=$((diffs + 1))
            d=$found/$seed-$total
            mkdir -p "$d"
            cp "$T"/r/*.export "$T/r/o.ours" "$T/r/o.theirs" "$T/r/o.ours.err" "$T/r/o.theirs.err" "$d/"
            printf '%s\n' "TZ=$tz" "${args[@]}" > "$d/args"
            echo "DIFFERENCE: $d: TZ=$tz ${args[*]}"
            diff -a "$T/r/o.theirs" "$T/r/o.ours" | head -n 6 | cat -A
        fi
        args=()
    done < "$T/r/sel"
done
echo "journal-diff-fuzz: $total selections on $round journals, $diffs disagreements"
[ "$diffs" -eq 0 ]
