#!/bin/bash
# make bench: core/nix parse throughput in-process, and the wall time of
# `clan-tui nix parse` against `nix-instantiate --parse` on the same ~4 MB file, same run.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs (wall times grow with it; CPU times much less)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
f=$tmp/fleet.nix
"$top_srcdir/samples/gen-fleet" 4500 > "$f"
nice -n 10 "$top_builddir/bench/bench-nix" "$f" 21
runs=11
# median wall time in ms of a command (output discarded), $runs runs
median_ms() {
    local i t0 t1
    for i in $(seq "$runs"); do
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1 || { echo "bench-nix: command failed: $*" >&2; return 1; }
        t1=$(date +%s%N)
        echo $(( (t1 - t0) / 1000 ))
    done | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}
ours=$(nice -n 10 bash -c "$(declare -f median_ms); runs=$runs; median_ms \"\$CLAN_TUI\" nix parse \"$f\"")
echo "clan-tui nix parse:          $(wc -c < "$f") bytes, median of $runs runs: $ours ms"
if command -v nix-instantiate >/dev/null 2>&1; then
    export NIX_STATE_DIR=$tmp/nix-state NIX_CONF_DIR=$tmp/nix-conf HOME=$tmp
    mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR"
    theirs=$(nice -n 10 bash -c "$(declare -f median_ms); runs=$runs; median_ms nix-instantiate --parse --store dummy:// \"$f\"")
    echo "nix-instantiate --parse:     median of $runs runs: $theirs ms"
    awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "ratio: clan-tui nix parse is %.1fx faster (target >= 8x)\n", b / a }'
else
    echo "nix-instantiate not installed: no comparison"
fi
