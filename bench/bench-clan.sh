#!/bin/bash
# A clan directory of 1000 machines (samples/gen-fleet-dir: flake.nix, a flake-parts clan.nix
# with half of the machines, inventory.json with the other half, machines/<m>/
# configuration.nix importing shared modules): open (find, read every file, merge, resolve,
# plan), one edit with re-resolution in clan.nix and in inventory.json (each with its
# undo), the first frame of the UI (whole process); medians of repeated runs, wall and CPU;
# nix-instantiate --parse of the same .nix files (one process) for comparison.
# Targets (issue 15): open < 60 ms, first frame < 100 ms, edit < 2 ms.
set -eu
: "${top_builddir:?run through make bench}" "${top_srcdir:?}"
B="$top_builddir/bench/bench-clan"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-clan.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$top_srcdir/samples/gen-fleet-dir" 1000 "$T/clan"
median() { awk -v c="$1" '{ print $c }' | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
runs=${BENCH_RUNS_N:-11}
nfiles=$(find "$T/clan" -name '*.nix' | wc -l)
echo "clan directory: 1000 machines, $nfiles .nix files + inventory.json ($(du -sk "$T/clan" | cut -f1) KiB), $runs runs each, load average $(cut -d' ' -f1 /proc/loadavg)"
"$B" "$T/clan" open "$runs" > "$T/open"
for k in nix json; do
    "$B" "$T/clan" edit "$runs" "$k" > "$T/edit-$k" 2> "$T/edit-$k.err" || { cat "$T/edit-$k.err" >&2; exit 1; }
done
rss=$("$B" "$T/clan" rss)
echo "open (find + read + merge + resolve + plan): median $(median 1 < "$T/open") ms wall, $(median 2 < "$T/open") ms CPU (target < 60 ms)"
for k in nix json; do
    printf '  edit of a machine in %-5s edit %s ms wall, %s ms CPU; undo %s ms wall, %s ms CPU (target < 2 ms; %s)\n' \
        "$k:" "$(median 1 < "$T/edit-$k")" "$(median 2 < "$T/edit-$k")" \
        "$(median 3 < "$T/edit-$k")" "$(median 4 < "$T/edit-$k")" "$(cat "$T/edit-$k.err")"
done
echo "peak RSS of one open + plan: $rss KiB"
if [ -x "${CLAN_TUI:-}" ]; then
    for i in $(seq "$runs"); do
        TIMEFORMAT='%R %U %S'
        { time "$CLAN_TUI" screen --size 120x35 "$T/clan" >/dev/null; } 2>&1 |
            awk '{ printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000 }'
    done > "$T/frame"
    echo "first frame, whole process (clan-tui screen DIR): median $(median 1 < "$T/frame") ms wall, $(median 2 < "$T/frame") ms CPU (target < 100 ms)"
    for i in $(seq "$runs"); do
        TIMEFORMAT='%R %U %S'
        { time "$CLAN_TUI" plan --json "$T/clan" >/dev/null; } 2>&1 |
            awk '{ printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000 }'
    done > "$T/plan"
    echo "open + plan, whole process (clan-tui plan --json DIR): median $(median 1 < "$T/plan") ms wall, $(median 2 < "$T/plan") ms CPU"
fi
if command -v nix-instantiate >/dev/null 2>&1; then
    find "$T/clan" -name '*.nix' > "$T/files"
    for i in $(seq "$runs"); do
        TIMEFORMAT='%R %U %S'
        { time xargs nix-instantiate --parse --store dummy:// < "$T/files" >/dev/null 2>&1; } 2>&1 |
            awk '{ printf "%.3f %.3f\n", $1 * 1000, ($2 + $3) * 1000 }'
    done > "$T/ni"
    niw=$(median 1 < "$T/ni"); nic=$(median 2 < "$T/ni")
    echo "reference nix-instantiate --parse of the $nfiles .nix files (whole process): median $niw ms wall, $nic ms CPU"
    echo "ratio open / nix-instantiate --parse: $(echo "scale=3; $(median 1 < "$T/open") / $niw" | bc) wall, $(echo "scale=3; $(median 2 < "$T/open") / $nic" | bc) CPU"
fi
