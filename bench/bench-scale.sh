#!/bin/bash
# Fleet scale (issue 18): whole processes on gen-fleet clans of 1,000 and 10,000 machines
# (and 30,000 with BENCH_SCALE_SIZES="1000 10000 30000"), in one file each beside
# nix-instantiate --parse of the same file in the same run, and in the directory form
# (BENCH_SCALE_DIRS, default the same sizes). Medians of BENCH_RUNS_N runs (default 5) of:
#   parse         nix-instantiate --parse (reference) and clan-tui nix parse
#   check, plan   clan-tui check / plan --json (load, resolve, checks, plan, output)
#   first frame   clan-tui screen (exec, load, plan, tree, first frame drawn, printed)
#   dump          clan-tui dump (the model as JSON)
# plus peak RSS of each, `clan-tui --version` beside /bin/true, and the growth from the
# smallest size to each larger one. CPU is user + system time of the process.
# Targets: 1,000: first frame and plan --json < 0.5x nix-instantiate --parse, --version
# < 4 ms; 10,000: first frame < 150 ms, plan --json < 200 ms, peak RSS < 200 MB; growth
# from 1,000 to 10,000 at most 12x for check, plan and first frame.
set -eu
: "${top_srcdir:?run through make bench}" "${CLAN_TUI:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/bench-scale.XXXXXX")
trap 'rm -rf "$T"' EXIT
runs=${BENCH_RUNS_N:-5}
sizes=${BENCH_SCALE_SIZES:-1000 10000}
export TERM=xterm-256color LC_ALL=C.UTF-8
median() { sort -n | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; if (m == int(m)) print m; else printf "%.1f\n", m }'; }
# measure NAME CMD...: runs the command $runs times under bench/runstat (nanosecond wall
# clock, the child's rusage); T/NAME.wall, .cpu (ms), .rss (KiB) and .flt (minor faults)
RUNSTAT=${RUNSTAT:-$top_builddir/bench/runstat}
measure() {
    local name=$1; shift
    local k w c r p
    "$RUNSTAT" "$runs" "$@" > "$T/runs" || true
    for k in wall cpu rss flt; do : > "$T/$name.$k"; done
    while read -r w c r p; do
        echo "$w" >> "$T/$name.wall"; echo "$c" >> "$T/$name.cpu"
        echo "$r" >> "$T/$name.rss"; echo "$p" >> "$T/$name.flt"
    done < "$T/runs"
}
med() { median < "$T/$1.$2"; }
echo "fleet scale: sizes $sizes, $runs runs each, load average $(cut -d' ' -f1 /proc/loadavg)"
measure true /bin/true
measure version "$CLAN_TUI" --version
echo "clan-tui --version: median $(med version wall) ms wall ($(med true wall) ms for /bin/true; target < 4 ms)"
# the directory form (BENCH_SCALE_DIRS, default the same sizes): gen-fleet-dir's clan of
# clan.nix, inventory.json and a machines/ directory per machine. No nix-instantiate
# beside it: there is no one file to parse.
dir_sizes=${BENCH_SCALE_DIRS-$sizes}
have_ni=false
command -v nix-instantiate > /dev/null 2>&1 && have_ni=true
ratio() { echo "scale=2; $(med "$1" wall) / $(med "$2" wall)" | bc; }
for form in file dir; do
    first=""
    [ "$form" = file ] && list=$sizes || list=$dir_sizes
    for n in $list; do
        if [ "$form" = file ]; then
            f="$T/fleet-$n.nix"
            "$top_srcdir/samples/gen-fleet" "$n" > "$f"
            what="$n machines, one file ($(wc -c < "$f") bytes)"
            ni=$have_ni works="parse check plan frame dump"
            $ni && measure "ni-$n" nix-instantiate --parse --store dummy:// "$f"
            measure "file-parse-$n" "$CLAN_TUI" nix parse "$f"
        else
            f="$T/fleet-$n-dir"
            "$top_srcdir/samples/gen-fleet-dir" "$n" "$f" > /dev/null
            what="$n machines, a directory ($(du -sb "$f" | cut -f1) bytes in $(find "$f" -type f | wc -l) files)"
            ni=false works="check plan frame dump"
        fi
        measure "$form-check-$n" "$CLAN_TUI" check "$f"
        measure "$form-plan-$n" "$CLAN_TUI" plan --json "$f"
        measure "$form-frame-$n" "$CLAN_TUI" screen --size 120x35 "$f"
        measure "$form-dump-$n" "$CLAN_TUI" dump "$f"
        echo "== $what"
        $ni && echo "  nix-instantiate --parse  $(med "ni-$n" wall) ms wall, $(med "ni-$n" cpu) ms CPU, $(med "ni-$n" rss) KiB"
        for w in $works; do
            line=$(printf '  %-24s %s ms wall, %s ms CPU, %s KiB, %s faults' "$w" "$(med "$form-$w-$n" wall)" \
                "$(med "$form-$w-$n" cpu)" "$(med "$form-$w-$n" rss)" "$(med "$form-$w-$n" flt)")
            $ni && line="$line, $(ratio "$form-$w-$n" "ni-$n")x nix-instantiate"
            echo "$line"
        done
        if [ -z "$first" ]; then
            first=$n
        else
            printf '  growth from %s machines (wall):' "$first"
            for w in check plan frame dump; do
                printf ' %s %sx' "$w" "$(ratio "$form-$w-$n" "$form-$w-$first")"
            done
            $ni && printf ' (nix-instantiate %sx)' "$(ratio "ni-$n" "ni-$first")"
            echo
        fi
    done
done
