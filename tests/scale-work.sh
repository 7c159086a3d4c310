#!/bin/bash
# The work that must stay linear in the fleet (issue 18), counted, never timed: each
# command runs under valgrind's callgrind on gen-fleet clans of 1,000 and 10,000 machines
# (the single file and the directory form; from 1,000 up gen-fleet's plan grows with the
# fleet, below it each site gets more servers as the fleet grows), and the instructions
# each function executes are compared. 10x the machines may cost at most 12x the instructions in all, and no function
# that matters (at least 0.2% of the larger run) may grow more than 20x (n log n of a sort
# is ~13x here; a quadratic step is ~100x). A step that turns quadratic fails this test
# with its name, whatever the machine's speed. Counts are exact and repeatable: callgrind
# counts instructions, not seconds.
# SCALE_WORK_N (default 1000) sets the smaller size. The two sizes run side by side.
. "$top_srcdir/tests/lib.sh"
have valgrind || { echo "SKIP: valgrind not installed (apt-get install valgrind)"; exit 77; }
have callgrind_annotate || { echo "SKIP: callgrind_annotate not installed"; exit 77; }
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile"; then
    echo "SKIP: a sanitizer build (valgrind cannot run it); the plain build's make check runs this"
    exit 77
fi
small=${SCALE_WORK_N:-1000}
large=$((small * 10))
"$top_srcdir/samples/gen-fleet" "$small" > "$T/small.nix"
"$top_srcdir/samples/gen-fleet" "$large" > "$T/large.nix"
"$top_srcdir/samples/gen-fleet-dir" "$small" "$T/small-dir" > /dev/null
"$top_srcdir/samples/gen-fleet-dir" "$large" "$T/large-dir" > /dev/null

# profile NAME ARGS...: T/NAME.fn holds "instructions function" per function, T/NAME.total
profile() {
    local name=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$T/$name.cg" "$CLAN_TUI" "$@" \
        > /dev/null 2> "$T/$name.err" || { cat "$T/$name.err" >&2; return 1; }
    callgrind_annotate --threshold=100 --auto=no "$T/$name.cg" 2> /dev/null |
        awk '/file:function/ { on = 1; getline; next }
             on && /^ *$/ { exit }
             on && /^ *[0-9,]+ / {
                 n = $1; gsub(",", "", n)
                 fn = $0; sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "", fn); sub(/ \[.*$/, "", fn)
                 sub(/^.*:/, "", fn); sub(/'"'"'[0-9]+$/, "", fn)   # recursion levels are one function
                 sum[fn] += n }
             END { for (f in sum) printf "%.0f %s\n", sum[f], f }' > "$T/$name.fn"
    awk '{ s += $1 } END { printf "%.0f\n", s }' "$T/$name.fn" > "$T/$name.total"
}

# compare WHAT: the totals and each function's growth from the small to the large run
compare() {
    local what=$1 s l
    s=$(cat "$T/$what-small.total") l=$(cat "$T/$what-large.total")
    check "$what: callgrind counted instructions at both sizes" test "$s" -gt 0 -a "$l" -gt 0
    local growth
    growth=$(awk -v s="$s" -v l="$l" 'BEGIN { printf "%.2f", l / s }')
    echo "# $what: $s instructions at $small machines, $l at $large: ${growth}x"
    check "$what: 10x the machines cost at most 12x the instructions (${growth}x)" \
        awk -v g="$growth" 'BEGIN { exit !(g <= 12) }'
    # functions of the large run with at least 0.2% of its instructions
    awk -v l="$l" 'NR == FNR { small[$2] = $1; next }
                   $1 >= l * 0.002 { g = ($2 in small && small[$2] > 0) ? $1 / small[$2] : 1e9
                                     printf "%.1f %s %d %d\n", g, $2, ($2 in small) ? small[$2] : 0, $1 }' \
        "$T/$what-small.fn" "$T/$what-large.fn" | sort -rn > "$T/$what.growth"
    echo "# $what: the fastest-growing functions (growth, function, small, large):"
    head -5 "$T/$what.growth" | sed 's/^/#   /'
    local worst
    worst=$(awk '$1 > 20 { printf "%s (%sx) ", $2, $1 }' "$T/$what.growth")
    check "$what: no function that matters grows more than 20x${worst:+: $worst}" test -z "$worst"
}

for run in file:check file:plan file:screen file:dump dir:plan dir:screen; do
    form=${run%%:*} cmd=${run#*:}
    if [ "$form" = file ]; then S="$T/small.nix" L="$T/large.nix"; else S="$T/small-dir" L="$T/large-dir"; fi
    case $cmd in plan) args="plan --json" ;; screen) args="screen --size 120x35" ;; *) args=$cmd ;; esac
    what="$form-$cmd"
    # shellcheck disable=SC2086 # args is words
    { profile "$what-small" $args "$S" & profile "$what-large" $args "$L"; st=$?; wait $! || st=1; }
    if [ "$st" -ne 0 ]; then
        fail "$what: callgrind ran"
        continue
    fi
    compare "$what"
done

# the comparison bites: counts that grow 100x fail both checks, naming the function
printf '1 f\n' > "$T/q-small.fn"; printf '100 f\n' > "$T/q-large.fn"
echo 1 > "$T/q-small.total"; echo 100 > "$T/q-large.total"
out=$(compare q 2>&1 || true) # a subshell: its failures are only read here
case "$out" in
*"FAIL - q: 10x the machines cost at most 12x"*) ok "a 100x growth fails the total check" ;;
*) fail "a 100x growth fails the total check" ;;
esac
case "$out" in
*"FAIL - q: no function that matters grows more than 20x: f (100.0x)"*) ok "and names the function" ;;
*) fail "and names the function" ;;
esac
finish
