#!/bin/bash
# Fleet scale (issue 18): whole processes on gen-fleet clans of 1,000 and 10,000 machines
# (and 30,000 with BENCH_SCALE_SIZES="1000 10000 30000"), each beside nix-instantiate
# --parse of the same file in the same run. Medians of BENCH_RUNS_N runs (default 5) of:
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
first=""
for n in $sizes; do
    f="$T/fleet-$n.nix"
    "$top_srcdir/samples/gen-fleet" "$n" > "$f"
    have_ni=false
    command -v nix-instantiate > /dev/null 2>&1 && have_ni=true
    $have_ni && measure "ni-$n" nix-instantiate --parse --store dummy:// "$f"
    measure "parse-$n" "$CLAN_TUI" nix parse "$f"
    measure "check-$n" "$CLAN_TUI" check "$f"
    measure "plan-$n" "$CLAN_TUI" plan --json "$f"
    measure "frame-$n" "$CLAN_TUI" screen --size 120x35 "$f"
    measure "dump-$n" "$CLAN_TUI" dump "$f"
    echo "== $n machines ($(wc -c < "$f") bytes)"
    $have_ni && echo "  nix-instantiate --parse  $(med "ni-$n" wall) ms wall, $(med "ni-$n" cpu) ms CPU, $(med "ni-$n" rss) KiB"
    for w in parse check plan frame dump; do
        line=$(printf '  %-24s %s ms wall, %s ms CPU, %s KiB, %s faults' "$w" "$(med "$w-$n" wall)" "$(med "$w-$n" cpu)" "$(med "$w-$n" rss)" "$(med "$w-$n" flt)")
        if $have_ni; then
            line="$line, $(echo "scale=2; $(med "$w-$n" wall) / $(med "ni-$n" wall)" | bc)x nix-instantiate"
        fi
        echo "$line"
    done
    if [ -z "$first" ]; then
        first=$n
    else
        printf '  growth from %s machines (wall):' "$first"
        for w in check plan frame dump; do
            printf ' %s %sx' "$w" "$(echo "scale=1; $(med "$w-$n" wall) / $(med "$w-$first" wall)" | bc)"
        done
        $have_ni && printf ' (nix-instantiate %sx)' "$(echo "scale=1; $(med "ni-$n" wall) / $(med "ni-$first" wall)" | bc)"
        echo
    fi
done
