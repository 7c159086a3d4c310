#!/bin/bash
# clan-tui schedule-map: a generated fleet whose clients of one server share a start time
# shows the collision; applying the proposal removes it, as `clan-tui plan --json` shows.
. "$top_srcdir/tests/lib.sh"
export CLAN_TUI_NOW="2026-11-26 12:00:00 UTC"

"$top_srcdir/samples/gen-fleet" 30 > "$T/fleet.nix"
cp "$T/fleet.nix" "$T/orig.nix"
expect_status 3 "collisions found: exit 3" "$CLAN_TUI" schedule-map "$T/fleet.nix"
"$CLAN_TUI" schedule-map "$T/fleet.nix" > "$T/map.txt" || true
check "a collision is flagged at 01:00" grep -q '^  collision Thu 2026-11-26 01:00:00 UTC: ' "$T/map.txt"
check "the grid marks it" grep -q '^Thu 2026-11-26   . ![0-9+]' "$T/map.txt"
# two clients of backup-00 share 01:00 in the plan itself
"$CLAN_TUI" plan --json "$T/fleet.nix" > "$T/plan-before.json" || true
python3 - "$T/plan-before.json" > "$T/shared-before" <<'PY'
import json, sys, collections
p = json.load(open(sys.argv[1]))["machines"]
c = collections.Counter()
for m, v in p.items():
    for j in v.get("jobs", []):
        if j.get("destination", "").startswith("backup-"):
            c[(j["destination"], j["startAt"])] += 1
print(sum(1 for k, n in c.items() if n > 1))
PY
check "the plan has shared start times before ($(cat "$T/shared-before"))" test "$(cat "$T/shared-before")" -gt 0

"$CLAN_TUI" schedule-map --apply --dry-run "$T/fleet.nix" > "$T/dry.txt" || true
check "dry run shows a diff" grep -q '^+ .*settings.startAt = "\*-\*-\* 02:30:00";' "$T/dry.txt"
check "dry run changes nothing" cmp -s "$T/fleet.nix" "$T/orig.nix"
expect_status 0 "apply writes the file" "$CLAN_TUI" schedule-map --apply "$T/fleet.nix"
expect_status 0 "no collision after applying" "$CLAN_TUI" schedule-map "$T/fleet.nix"
"$CLAN_TUI" plan --json "$T/fleet.nix" > "$T/plan-after.json"
python3 - "$T/plan-after.json" > "$T/shared-after" <<'PY'
import json, sys, collections
p = json.load(open(sys.argv[1]))["machines"]
c = collections.Counter()
for m, v in p.items():
    for j in v.get("jobs", []):
        if j.get("destination", "").startswith("backup-"):
            c[(j["destination"], j["startAt"])] += 1
print(sum(1 for k, n in c.items() if n > 1))
PY
check "plan --json: no two jobs of one server share a startAt" test "$(cat "$T/shared-after")" = 0
if have nix-instantiate; then
    check "the written file parses" nix-instantiate --parse --store dummy:// "$T/fleet.nix"
fi
"$CLAN_TUI" schedule-map --json --propose "$top_srcdir/samples/two-machines.nix" > "$T/p.json" || true
check "json proposal moves postgres-server" grep -q '"proposal": \[{"client": "postgres-server", "from": "\*-\*-\* 01:00:00", "to": "\*-\*-\* 01:30:00"}\]' "$T/p.json"
expect_status 2 "usage: --dry-run alone" "$CLAN_TUI" schedule-map --dry-run "$T/fleet.nix"
expect_status 2 "usage: bad step" "$CLAN_TUI" schedule-map --step 0 "$T/fleet.nix"
expect_status 1 "a missing file" "$CLAN_TUI" schedule-map "$T/nope.nix"
finish
