#!/bin/bash
# Differential test: core/nix accepts exactly what nix-instantiate --parse accepts, over
# the generated corpus (tests/nix-corpus), and reprints every input byte for byte.
# Our side runs in one process (tests/test-nix-batch); `clan-tui nix parse` itself is
# checked on a sample of the corpus.
. "$top_srcdir/tests/lib.sh"
corpus=$T/corpus
n=$("$top_srcdir/tests/nix-corpus/gen.sh" "$corpus")
check "the corpus has at least 500 inputs ($n)" test "$n" -ge 500
ls "$corpus"/*.nix > "$T/list"
"$top_builddir/tests/test-nix-batch" < "$T/list" > "$T/ours"
check "every input was parsed" test "$(wc -l < "$T/ours")" -eq "$n"
bad_rt=$(awk '$2 != 0' "$T/ours" | wc -l)
awk '$2 != 0 { print "round trip differs: " $3 }' "$T/ours"
check "round trip is byte-identical on all $n inputs" test "$bad_rt" -eq 0
# the command line agrees with the library (every 20th input)
cli_bad=0
while read -r verdict rt f; do
    if "$CLAN_TUI" nix parse --roundtrip "$f" > "$T/rt" 2>/dev/null; then got=0; else got=1; fi
    [ "$got" = "$verdict" ] && cmp -s "$f" "$T/rt" || { cli_bad=$((cli_bad + 1)); echo "clan-tui nix parse differs on $f"; }
done < <(awk 'NR % 20 == 1' "$T/ours")
check "clan-tui nix parse gives the same verdict and text" test "$cli_bad" -eq 0
if ! have nix-instantiate; then
    echo "note: nix-instantiate not installed (Debian package nix-bin): accept/reject not compared"
    finish
    exit $?
fi
export NIX_STATE_DIR=$T/nix-state NIX_CONF_DIR=$T/nix-conf
mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR"
theirs() {
    if nix-instantiate --parse --store dummy:// "$1" >/dev/null 2>"$1.nixerr"; then echo 0; else echo 1; fi >"$1.vnix"
}
export -f theirs
xargs -P 2 -n 1 bash -c 'theirs "$1"' _ < "$T/list"
mismatch=0 accepted=0
while read -r got rt f; do
    want=$(cat "$f.vnix")
    [ "$want" = 0 ] && accepted=$((accepted + 1))
    if [ "$got" != "$want" ]; then
        mismatch=$((mismatch + 1))
        echo "MISMATCH $(basename "$f"): nix-instantiate $( [ "$want" = 0 ] && echo accepts || echo rejects), clan-tui $( [ "$got" = 0 ] && echo accepts || echo rejects):"
        sed 's/^/    | /' "$f" | cat -v; echo
        head -n 3 "$f.nixerr" | sed 's/^/    nix: /'
        "$CLAN_TUI" nix parse "$f" 2>&1 | head -n 3 | sed 's/^/    ours: /'
    fi
done < "$T/ours"
# the one documented difference (README): nesting deeper than 1000 levels is refused
# cleanly, where Nix's own parser goes on to about 10,000
printf '%.0s(' $(seq 1500) > "$T/deep.nix"; printf 1 >> "$T/deep.nix"; printf '%.0s)' $(seq 1500) >> "$T/deep.nix"
check "nix-instantiate accepts 1500 nested parentheses" nix-instantiate --parse --store dummy:// "$T/deep.nix"
set +e; "$CLAN_TUI" nix parse "$T/deep.nix" > /dev/null 2> "$T/deep.err"; rc=$?; set -e
check "clan-tui refuses them: nested too deeply (exit $rc)" grep -q "nested too deeply" "$T/deep.err"
echo "corpus: $n inputs, $accepted accepted by nix-instantiate, $mismatch disagreements"
check "accept/reject agrees with nix-instantiate on all $n inputs" test "$mismatch" -eq 0
finish
