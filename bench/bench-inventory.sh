#!/bin/bash
# core/inventory on generated fleets of 1000 and 10,000 machines (BENCH_INVENTORY_SIZES="1000
# 10000 30000" for others): load (parse + model + plan) and one edit
# with re-resolution -- medians of repeated runs, wall-clock and CPU time (CPU time is what
# the code costs when other processes share the machine); peak RSS of a load; the parser
# alone; nix-instantiate --parse on the same file (wall and user+sys CPU, start-up
# included) for comparison. Targets: load < 30 ms, RSS < 30 MB, edit + re-resolution < 2 ms
# (measured for six kinds of edit, each with its undo; machine-add is an edit in place too:
# the new machine's binding is parsed alone and added to the set, nothing is read whole).
set -eu
: "${top_builddir:?run through make bench}" "${top_srcdir:?}"
B="$top_builddir/bench/bench-inventory"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-inventory.XXXXXX")
trap 'rm -rf "$T"' EXIT
# median of column $1
median() { awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
runs=${BENCH_RUNS_N:-21}
kinds="tag-add tag-join schedule exclude role-add machine-add"
# fleet sizes: the 1000-machine fleet (targets below), then larger ones for the edits alone
# (an edit must not grow with the fleet: the same target, < 2 ms, at 10,000 machines)
sizes=${BENCH_INVENTORY_SIZES:-1000 10000}
for n in $sizes; do
"$top_srcdir/samples/gen-fleet" "$n" > "$T/fleet.nix"
echo "fleet: $(wc -c < "$T/fleet.nix") bytes, $n machines, $runs runs each, load average $(cut -d' ' -f1 /proc/loadavg)"
"$B" "$T/fleet.nix" load "$runs" > "$T/load"
"$B" "$T/fleet.nix" parse "$runs" > "$T/parse"
for k in $kinds; do
    "$B" "$T/fleet.nix" edit "$runs" "$k" > "$T/edit-$k" 2> "$T/edit-$k.err" ||
        { cat "$T/edit-$k.err" >&2; exit 1; }
done
rss=$("$B" "$T/fleet.nix" rss)
echo "load (parse+model+plan): median $(median 1 < "$T/load") ms wall, $(median 2 < "$T/load") ms CPU (target < 30 ms at 1000 machines)"
echo "  of which core/nix parse: median $(median 1 < "$T/parse") ms wall, $(median 2 < "$T/parse") ms CPU"
echo "edit + re-resolution (target < 2 ms), and its undo; medians:"
for k in $kinds; do
    printf '  %-12s edit %s ms wall, %s ms CPU; undo %s ms wall, %s ms CPU (%s)\n' "$k" \
        "$(median 1 < "$T/edit-$k")" "$(median 2 < "$T/edit-$k")" \
        "$(median 3 < "$T/edit-$k")" "$(median 4 < "$T/edit-$k")" \
        "$(sed 's/^[^:]*: //' "$T/edit-$k.err")"
done
echo "peak RSS of one load+plan: $rss KiB = $(echo "scale=1; $rss * 1024 / 1000000" | bc) MB (target < 30 MB at 1000 machines)"
if command -v nix-instantiate >/dev/null 2>&1; then
    for i in $(seq "$runs"); do
        TIMEFORMAT='%R %U %S'
        { time nix-instantiate --parse --store dummy:// "$T/fleet.nix" >/dev/null; } 2>&1 |
            awk '{ printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000 }'
    done > "$T/ni"
    niw=$(median 1 < "$T/ni"); nic=$(median 2 < "$T/ni")
    echo "reference nix-instantiate --parse (whole process): median $niw ms wall, $nic ms CPU"
    echo "ratio load / nix-instantiate --parse: $(echo "scale=3; $(median 1 < "$T/load") / $niw" | bc) wall, $(echo "scale=3; $(median 2 < "$T/load") / $nic" | bc) CPU"
fi
done
