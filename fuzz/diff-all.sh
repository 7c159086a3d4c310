#!/bin/bash
# make fuzz-diff [FUZZ_TIME=SECONDS]: the three differential fuzzers at once, each for
# FUZZ_TIME seconds (default 60), niced:
#   calendar  fuzz/fuzz-calendar-diff (libFuzzer; needs ./configure --enable-fuzzing
#             CC=clang) against systemd's calendar code, seeded by fuzz/calendar-seeds.sh
#   nix       fuzz/nix-diff-fuzz.sh against nix-instantiate --parse
#   journal   fuzz/journal-diff-fuzz.sh against journalctl
# Findings and logs go to fuzz-diff-found/ in the build directory. Exit status 0 when no
# fuzzer found a difference.
set -u
secs=${FUZZ_TIME:-60}
: "${top_builddir:=.}" "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_builddir top_srcdir
out=$top_builddir/fuzz-diff-found
mkdir -p "$out/calendar" "$out/calendar-corpus"
pids=()
if [ -x "$top_builddir/fuzz/fuzz-calendar-diff" ]; then
    "$top_srcdir/fuzz/calendar-seeds.sh" "$out/calendar-corpus" >/dev/null
    (cd "$out/calendar" && exec nice -n 10 "$OLDPWD/$top_builddir/fuzz/fuzz-calendar-diff" \
        -max_total_time="$secs" -max_len=256 -print_final_stats=1 -print_coverage=0 \
        -artifact_prefix="$PWD/" "$OLDPWD/$out/calendar-corpus") > "$out/calendar.log" 2>&1 &
    pids+=("calendar:$!")
else
    echo "calendar: fuzz/fuzz-calendar-diff not built (configure --enable-fuzzing CC=clang);" \
        "replaying the kept inputs instead"
    "$top_builddir/fuzz/calendar-diff-replay" "$top_srcdir/tests/calendar-diff-regress.txt" \
        "$top_srcdir/tests/calendar-exprs.txt" > "$out/calendar.log" 2>&1 &
    pids+=("calendar:$!")
fi
nice -n 10 bash "$top_srcdir/fuzz/nix-diff-fuzz.sh" "$secs" "$out/nix" > "$out/nix.log" 2>&1 &
pids+=("nix:$!")
nice -n 10 bash "$top_srcdir/fuzz/journal-diff-fuzz.sh" "$secs" "$out/journal" > "$out/journal.log" 2>&1 &
pids+=("journal:$!")
rc=0
for p in "${pids[@]}"; do
    name=${p%%:*}
    if wait "${p#*:}"; then s=agree; else s=DIFFERENT; rc=1; fi
    echo "$name: $s -- $(grep -E '^(Done|stat::number_of_executed_units|calendar-diff-replay|nix-diff-fuzz|journal-diff-fuzz):' "$out/$name.log" | tr '\n' ' ')(log: $out/$name.log)"
done
exit $rc
