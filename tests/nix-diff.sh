#!/bin/bash
# Differential test: clan-tui nix parse accepts exactly what nix-instantiate --parse
# accepts, over the generated corpus (tests/nix-corpus), and --roundtrip gives every
# input back byte for byte.
. "$top_srcdir/tests/lib.sh"
corpus=$T/corpus
n=$("$top_srcdir/tests/nix-corpus/gen.sh" "$corpus")
check "the corpus has at least 500 inputs ($n)" test "$n" -ge 500
have_nix=0
if have nix-instantiate; then
    have_nix=1
    export NIX_STATE_DIR=$T/nix-state NIX_CONF_DIR=$T/nix-conf
    mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR"
else
    echo "note: nix-instantiate not installed (Debian package nix-bin): accept/reject not compared"
fi
# one worker per input: our verdict, the round trip, and Nix's verdict
worker() {
    f=$1
    if "$CLAN_TUI" nix parse --roundtrip "$f" >"$f.rtout" 2>/dev/null; then echo 0; else echo 1; fi >"$f.vours"
    cmp -s "$f" "$f.rtout" || echo "round trip differs: $f" >"$f.rtbad"
    if [ "$have_nix" = 1 ]; then
        if nix-instantiate --parse --store dummy:// "$f" >/dev/null 2>"$f.nixerr"; then echo 0; else echo 1; fi >"$f.vnix"
    fi
}
export -f worker
export have_nix
ls "$corpus"/*.nix >"$T/list"
xargs -P 2 -n 1 bash -c 'worker "$1"' _ <"$T/list"
cat "$corpus"/*.rtbad 2>/dev/null || true
bad_rt=$(cat "$corpus"/*.rtbad 2>/dev/null | wc -l) || true
check "round trip is byte-identical on all $n inputs" test "$bad_rt" -eq 0
if [ "$have_nix" = 1 ]; then
    mismatch=0 accepted=0
    while read -r f; do
        want=$(cat "$f.vnix") got=$(cat "$f.vours")
        [ "$want" = 0 ] && accepted=$((accepted + 1))
        if [ "$got" != "$want" ]; then
            mismatch=$((mismatch + 1))
            echo "MISMATCH $(basename "$f"): nix-instantiate $( [ "$want" = 0 ] && echo accepts || echo rejects), clan-tui $( [ "$got" = 0 ] && echo accepts || echo rejects):"
            sed 's/^/    | /' "$f" | cat -v; echo
            head -n 3 "$f.nixerr" | sed 's/^/    nix: /'
            "$CLAN_TUI" nix parse "$f" 2>&1 | head -n 3 | sed 's/^/    ours: /'
        fi
    done <"$T/list"
    echo "corpus: $n inputs, $accepted accepted by nix-instantiate, $mismatch disagreements"
    check "accept/reject agrees with nix-instantiate on all $n inputs" test "$mismatch" -eq 0
fi
finish
