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
# the directory samples and the directory form of gen-fleet: every .nix parses, every
# inventory.json is JSON, and clan-tui opens them without an error
for d in "$top_srcdir"/samples/*/; do
    for f in $(find "$d" -name '*.nix'); do
        check "nix-instantiate --parse accepts ${f#"$top_srcdir"/}" \
            sh -c 'nix-instantiate --parse --store dummy:// "$1" >/dev/null' _ "$f"
    done
done
"$top_srcdir/samples/gen-fleet" --dir "$T/fleetdir" 60
"$top_srcdir/samples/gen-fleet" --dir "$T/fleetdir2" 60
check "gen-fleet --dir is deterministic" diff -r "$T/fleetdir" "$T/fleetdir2"
check "gen-fleet --dir: 60 machine directories" sh -c '[ $(ls "$1/machines" | wc -l) -eq 60 ]' _ "$T/fleetdir"
check "gen-fleet --dir: every .nix parses" sh -c 'find "$1" -name "*.nix" -print0 | xargs -0 nix-instantiate --parse --store dummy:// >/dev/null' _ "$T/fleetdir"
if have jq; then
    for j in "$T/fleetdir/inventory.json" "$top_srcdir"/samples/*/inventory.json; do
        check "jq reads ${j##*/samples/}" jq -e . "$j"
    done
fi
check "clan-tui check: the fleet directory has no error" "$CLAN_TUI" check "$T/fleetdir"
check "clan-tui plan: every machine of the fleet directory" sh -c '[ $("$1" plan --json "$2" | jq ".machines | length") -eq 60 ]' _ "$CLAN_TUI" "$T/fleetdir"
finish
