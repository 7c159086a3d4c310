#!/bin/bash
# make bench: core/nix parse throughput in-process, and the wall time of
# `clan-tui nix parse` against `nix-instantiate --parse` on the same ~4 MB file, in the
# same run (the two alternate, so both see the same load); medians and their ratio, of the
# wall time and of the CPU time (user + sys, which a loaded machine inflates much less).
set -eu
export TZ=UTC LC_ALL=C.UTF-8
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times grow with it; CPU times much less)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=$tmp/fleet.nix
"$top_srcdir/samples/gen-fleet" 4500 > "$f"
nice -n 10 "$top_builddir/bench/bench-nix" "$f" 21
have_nix=0
if command -v nix-instantiate >/dev/null 2>&1; then
    have_nix=1
    export NIX_STATE_DIR=$tmp/nix-state NIX_CONF_DIR=$tmp/nix-conf HOME=$tmp
    mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR"
fi
renice -n 10 $$ >/dev/null 2>&1 || true
# one run: "WALL CPU" in ms (CPU = user + sys of the command; bash's `time`, no fork)
TIMEFORMAT='%3R %3U %3S'
one() {
    local t
    t=$( { time "$@" >/dev/null 2>&1 || echo "bench-nix: command failed: $*" >&2; } 2>&1 ) || exit 1
    case $t in *failed*) echo "$t" >&2; exit 1 ;; esac
    echo "$t" | awk '{ printf "%.1f %.1f\n", $1 * 1000, ($2 + $3) * 1000 }'
}
runs=21
for i in $(seq "$runs"); do
    one "$CLAN_TUI" nix parse "$f" >> "$tmp/ours"
    [ "$have_nix" = 0 ] || one nix-instantiate --parse --store dummy:// "$f" >> "$tmp/theirs"
done
# median of column $2 of file $1
median() { awk -v c="$2" '{ print $c }' "$1" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] }'; }
ours=$(median "$tmp/ours" 1); oursc=$(median "$tmp/ours" 2)
echo "clan-tui nix parse:          $(wc -c < "$f") bytes, median of $runs runs: $ours ms wall, $oursc ms CPU"
if [ "$have_nix" = 1 ]; then
    theirs=$(median "$tmp/theirs" 1); theirsc=$(median "$tmp/theirs" 2)
    echo "nix-instantiate --parse:     median of $runs runs: $theirs ms wall, $theirsc ms CPU (alternating with the above)"
    awk -v a="$ours" -v b="$theirs" -v c="$oursc" -v d="$theirsc" 'BEGIN { printf "ratio: clan-tui nix parse is %.1fx faster in wall time (target >= 8x), %.1fx in CPU time\n", b / a, d / c }'
else
    echo "nix-instantiate not installed: no comparison"
fi
