#!/bin/bash
# make bench: the fleet schedule map and its proposal on a 1000-machine generated fleet.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
f=$(mktemp /tmp/bench-schedmap.XXXXXX.nix)
trap 'rm -f "$f"' EXIT
"$top_srcdir/samples/gen-fleet" 1000 > "$f"
nice -n 10 "$top_builddir/bench/bench-schedmap" "$f"
