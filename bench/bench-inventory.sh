#!/bin/bash
# core/inventory on a generated 1000-machine fleet: load (parse + model + plan) and one edit
# with re-resolution, medians of repeated runs; peak RSS of a load; the parser alone and
# nix-instantiate --parse on the same file for comparison. Targets: load < 30 ms, RSS < 30 MB,
# edit + re-resolution < 2 ms.
set -eu
: "${top_builddir:?run through make bench}" "${top_srcdir:?}"
B="$top_builddir/bench/bench-inventory"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-inventory.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$top_srcdir/samples/gen-fleet" 1000 > "$T/fleet.nix"
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
runs=${BENCH_RUNS_N:-21}
echo "fleet: $(wc -c < "$T/fleet.nix") bytes, 1000 machines, $runs runs each"
load=$("$B" "$T/fleet.nix" load "$runs" | median)
parse=$("$B" "$T/fleet.nix" parse "$runs" | median)
edit=$("$B" "$T/fleet.nix" edit "$runs" | median)
rss=$("$B" "$T/fleet.nix" rss)
echo "load (parse+model+plan): median $load ms (target < 30 ms)"
echo "  of which core/nix parse: median $parse ms"
echo "edit (tag add) + re-resolution: median $edit ms (target < 2 ms)"
echo "peak RSS of one load+plan: $((rss / 1024)) MiB ($rss KiB; target < 30 MB)"
if command -v nix-instantiate >/dev/null 2>&1; then
    ni=$(for i in $(seq "$runs"); do
        s=$(date +%s%N); nix-instantiate --parse --store dummy:// "$T/fleet.nix" >/dev/null; e=$(date +%s%N)
        echo "scale=3; ($e - $s) / 1000000" | bc
    done | median)
    echo "reference: nix-instantiate --parse (process incl. start-up): median $ni ms"
    echo "ratio load / nix-instantiate --parse: $(echo "scale=3; $load / $ni" | bc)"
fi
