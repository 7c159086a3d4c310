#!/bin/sh
# Every sample (and a generated fleet) is valid Nix according to nix-instantiate --parse.
. "$top_srcdir/tests/lib.sh"
if ! have nix-instantiate; then
    echo "SKIP: nix-instantiate not installed (Debian package nix-bin)"
    exit 77
fi
for f in "$top_srcdir"/samples/*.nix; do
    check "nix-instantiate --parse accepts $(basename "$f")" \
        sh -c 'nix-instantiate --parse --store dummy:// "$1" >/dev/null' _ "$f"
done
"$top_srcdir/samples/gen-fleet" 1000 > "$T/fleet.nix"
check "gen-fleet 1000 is about 1 MB" sh -c '[ $(wc -c <"$1") -gt 800000 ]' _ "$T/fleet.nix"
check "gen-fleet output parses" sh -c 'nix-instantiate --parse --store dummy:// "$1" >/dev/null' _ "$T/fleet.nix"
"$top_srcdir/samples/gen-fleet" 1000 > "$T/fleet2.nix"
check "gen-fleet is deterministic" cmp -s "$T/fleet.nix" "$T/fleet2.nix"
expect_status 2 "gen-fleet rejects a bad N" "$top_srcdir/samples/gen-fleet" abc
finish
