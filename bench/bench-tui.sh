#!/bin/bash
# The UI on a generated 1000-machine fleet. Targets: start to first frame < 50 ms, 99th
# percentile key-to-frame < 2 ms moving through the tree, RSS < 40 MB.
#  - start: the real binary, `clan-tui screen` (exec, load, plan, tree, first frame drawn by
#    curses, screen printed, exit), wall time; and in-process to the first frame
#  - keys: in-process, each key sent as terminal bytes through the real loop and drawn
#  - change: in-process, one edit, then undo and redo in turn as keys (each a change of the
#    model: re-read, plan, tree rebuilt, frame drawn)
set -eu
: "${top_builddir:?run through make bench}" "${top_srcdir:?}" "${CLAN_TUI:?}"
B="$top_builddir/bench/bench-tui"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-tui.XXXXXX")
trap 'rm -rf "$T"' EXIT
export TERM=xterm-256color LC_ALL=C.UTF-8
unset XDG_CONFIG_HOME NO_COLOR
n=${BENCH_TUI_N:-1000} # BENCH_TUI_N=10000: the same at fleet scale (issue 18)
"$top_srcdir/samples/gen-fleet" "$n" > "$T/fleet.nix"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
pct() { sort -n | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i] }'; }
runs=${BENCH_RUNS_N:-21}
keys=${BENCH_KEYS_N:-5000}
echo "fleet: $(wc -c < "$T/fleet.nix") bytes, $n machines; $runs runs, $keys keys"

proc=$(for i in $(seq "$runs"); do
    s=$(date +%s%N); "$CLAN_TUI" screen --size 120x35 "$T/fleet.nix" >/dev/null; e=$(date +%s%N)
    echo "scale=3; ($e - $s) / 1000000" | bc
done | median)
if [ -x /usr/bin/time ]; then
    pcpu=$(for i in $(seq "$runs"); do
        /usr/bin/time -f "%U %S" "$CLAN_TUI" screen --size 120x35 "$T/fleet.nix" 2>&1 >/dev/null | tail -1 |
            awk '{ printf "%.1f\n", ($1 + $2) * 1000 }'
    done | median)
fi
"$B" "$T/fleet.nix" start "$runs" > "$T/start"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (wall times include waiting for a core)"
echo "start to first frame, whole process (exec .. exit): median $proc ms wall${pcpu:+, $pcpu ms CPU (user+sys, 10 ms resolution)} (target < 50 ms)"
echo "start to first frame, in-process: median $(cut -d' ' -f1 "$T/start" | median) ms wall, $(cut -d' ' -f2 "$T/start" | median) ms CPU"
echo "  $("$B" "$T/fleet.nix" phases)"
"$B" "$T/fleet.nix" keys "$keys" > "$T/keys"
cut -d' ' -f1 "$T/keys" > "$T/kw"
cut -d' ' -f2 "$T/keys" > "$T/kc"
echo "key-to-frame over $keys keys, wall: median $(median < "$T/kw") ms, p99 $(pct 99 < "$T/kw") ms, max $(pct 100 < "$T/kw") ms (target p99 < 2 ms)"
echo "key-to-frame over $keys keys, CPU:  median $(median < "$T/kc") ms, p99 $(pct 99 < "$T/kc") ms, max $(pct 100 < "$T/kc") ms"
"$B" "$T/fleet.nix" change "$runs" > "$T/change"
echo "a change of the model (undo / redo as keys: model re-read, plan, tree rebuilt keeping what is open, frame): median $(cut -d' ' -f1 "$T/change" | median) ms wall, $(cut -d' ' -f2 "$T/change" | median) ms CPU"
rss=$("$B" "$T/fleet.nix" rss)
echo "peak RSS after start and 2000 keys: $((rss / 1024)) MiB ($rss KiB; target < 40 MB)"
if [ -x /usr/bin/time ]; then
    prss=$(/usr/bin/time -f %M "$CLAN_TUI" screen --size 120x35 "$T/fleet.nix" 2>&1 >/dev/null | tail -1)
    echo "peak RSS of the real binary to its first frame: $((prss / 1024)) MiB ($prss KiB)"
fi
