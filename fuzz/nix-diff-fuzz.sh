#!/bin/bash
# nix-diff-fuzz: differential fuzzing of core/nix's parser against `nix-instantiate --parse`.
#
#   fuzz/nix-diff-fuzz.sh [SECONDS] [FOUND_DIR]      (run by `make fuzz-diff`)
#
# In batches until SECONDS have passed (default 60): fuzz/nix-gen writes inputs (a
# grammar-aware generator, and mutations of the samples, the test clans and the
# differential corpus); tests/test-nix-batch judges them all in one process (accept or
# reject, and the printed tree must equal the input byte for byte); nix-instantiate judges
# them in batches (one run over many files; a failing run names the file it stopped at,
# and the run resumes after it). Every disagreement is copied to FOUND_DIR (default
# fuzz-diff-found/nix) with nix's and our messages; a fixed one belongs in
# tests/nix-corpus/regress/, which tests/nix-diff.sh replays in `make check`.
#
# Nix resolves variables after parsing: "undefined variable" means the syntax was
# accepted (core/nix is a parser, it does not resolve scopes). Nesting deeper than 1000
# levels is refused by clan-tui on purpose (README; Nix's parser stops near 10,000): such
# inputs are counted apart, not as disagreements.
# Exit status: 0 no disagreement, 1 disagreements found, 77 nix-instantiate missing.
set -eu
secs=${1:-60}
: "${top_builddir:=.}"
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
found=${2:-$top_builddir/fuzz-diff-found/nix}
command -v nix-instantiate >/dev/null || { echo "nix-instantiate not installed: skip"; exit 77; }
gen=$top_builddir/fuzz/nix-gen batchprog=$top_builddir/tests/test-nix-batch
[ -x "$gen" ] && [ -x "$batchprog" ] || { echo "build fuzz/nix-gen and tests/test-nix-batch first (make check)"; exit 2; }
W=$(mktemp -d "${TMPDIR:-/tmp}/nix-diff-fuzz.XXXXXX")
trap 'rm -rf "$W"' EXIT
export NIX_STATE_DIR=$W/nix-state NIX_CONF_DIR=$W/nix-conf
mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR" "$found"

# seeds: the differential corpus (kept disagreements included), the samples, the test
# clans and the edit tests' inputs
"$top_srcdir/tests/nix-corpus/gen.sh" "$W/seeds" >/dev/null
find "$top_srcdir/samples" "$top_srcdir/tests/clans" "$top_srcdir/tests/nix-edit" -name '*.nix' -size -16k -exec cp --backup=numbered -t "$W/seeds" {} + 2>/dev/null || true
seeds=("$W"/seeds/*)

# judge LIST OUT: "VERDICT FILE" per file of LIST by nix-instantiate (0 accepted)
judge() {
    local -a files
    mapfile -t files < "$1"
    : > "$2"
    local i=0 n=${#files[@]} j stop err=$2.err
    while [ "$i" -lt "$n" ]; do
        if nix-instantiate --parse --store dummy:// "${files[@]:i}" >/dev/null 2>"$err"; then
            for ((j = i; j < n; j++)); do echo "0 ${files[j]}"; done >> "$2"
            return
        fi
        stop=$(grep -o "$W/b/[0-9]*\.nix" "$err" | head -n 1 || true)
        if [ -z "$stop" ]; then # no position: judge the next file alone
            stop=${files[i]}
            nix-instantiate --parse --store dummy:// "$stop" >/dev/null 2>"$err" && { echo "0 $stop" >> "$2"; i=$((i + 1)); continue; }
        fi
        while [ "$i" -lt "$n" ] && [ "${files[i]}" != "$stop" ]; do
            echo "0 ${files[i]}" >> "$2"; i=$((i + 1))
        done
        [ "$i" -lt "$n" ] || { echo "nix-diff-fuzz: nix-instantiate stopped at $stop, not in the batch" >&2; exit 2; }
        if grep -q '^error: undefined variable' "$err"; then echo "0 $stop"; else echo "1 $stop"; fi >> "$2"
        cp "$err" "$stop.nixerr"
        i=$((i + 1))
    done
}

start=$SECONDS round=0 total=0 accepted=0 diffs=0 known=0
seed0=${NIX_DIFF_SEED:-$(date +%s)}
echo "nix-diff-fuzz: seed $seed0 (NIX_DIFF_SEED), $secs s"
while [ $((SECONDS - start)) -lt "$secs" ]; do
    round=$((round + 1))
    rm -rf "$W/b"; mkdir "$W/b"
    "$gen" $((seed0 + round)) 200 "$W/b" "${seeds[@]}"
    ls "$W"/b/*.nix > "$W/list"
    "$batchprog" < "$W/list" > "$W/ours"
    # two judges at once (nix-instantiate spends most of its time starting)
    split -n l/2 "$W/list" "$W/part."
    judge "$W/part.aa" "$W/theirs.aa" & judge "$W/part.ab" "$W/theirs.ab"; wait
    cat "$W/theirs.aa" "$W/theirs.ab" > "$W/theirs"
    while read -r got rt f && read -r want f2 <&3; do
        [ "$f" = "$f2" ] || { echo "nix-diff-fuzz: batch lists out of step ($f, $f2)" >&2; exit 2; }
        total=$((total + 1))
        [ "$want" = 0 ] && accepted=$((accepted + 1))
        if [ "$got" = 1 ] && [ "$want" = 0 ] &&
            "$top_builddir/clan-tui" nix parse "$f" 2>&1 | grep -q 'nested too deeply'; then
            known=$((known + 1)) # README: deeper than 1000 levels is refused (Nix: ~10,000)
        elif [ "$got" != "$want" ] || { [ "$got" = 0 ] && [ "$rt" != 0 ]; }; then
            diffs=$((diffs + 1))
            name=$(sha1sum < "$f" | cut -c1-16)
            cp "$f" "$found/$name.nix"
            {
                echo "nix-instantiate: $([ "$want" = 0 ] && echo accepts || echo rejects); clan-tui: $([ "$got" = 0 ] && echo accepts || echo rejects)$([ "$rt" != 0 ] && [ "$got" = 0 ] && echo ', round trip differs')"
                [ -e "$f.nixerr" ] && head -n 4 "$f.nixerr"
                "$top_builddir/clan-tui" nix parse "$f" 2>&1 | head -n 3
            } > "$found/$name.txt" 2>&1 || true
            echo "DIFFERENCE: $found/$name.nix: $(head -n 1 "$found/$name.txt")"
        fi
    done < "$W/ours" 3< "$W/theirs"
done
echo "nix-diff-fuzz: $total inputs in $round batches ($accepted accepted by nix-instantiate), $diffs disagreements, $known beyond clan-tui's documented nesting limit"
[ "$diffs" -eq 0 ]
