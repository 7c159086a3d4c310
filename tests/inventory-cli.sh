#!/bin/bash
# The inventory subcommands end to end: check, dump --json, plan --json (the shape the issue
# fixes), install-order, and one edit of every scriptable form on a copy of a sample, each
# result accepted by nix-instantiate --parse; refusals leave the file byte for byte.
. "$top_srcdir/tests/lib.sh"
S="$top_srcdir/samples"
have jq || { echo "SKIP: jq not installed"; exit 77; }
nixok() { if have nix-instantiate; then nix-instantiate --parse --store dummy:// "$1" >/dev/null; fi; }

# ---- check ----
for f in "$S"/*.nix; do
    check "check $(basename "$f") has no errors" "$CLAN_TUI" check "$f"
done
printf '{\n  inventory.machines.a = { tags = [ "x" ];\n}\n' > "$T/broken.nix"
expect_status 1 "check: a syntax error exits 1" "$CLAN_TUI" check "$T/broken.nix"
"$CLAN_TUI" check "$T/broken.nix" 2> "$T/err" || true
check "check: FILE:LINE:COL: error:" grep -q "^$T/broken.nix:[0-9]*:[0-9]*: error: " "$T/err"
cat > "$T/bad.nix" <<'NIX'
{
  inventory.machines.a.tags = [ "t" ];
  inventory.instances.borgbackup.roles.client = {
    machines.ghost = { };
    tags.t.settings.startAt = "*-*-* 03:00:00";
    machines.a.settings.startAt = "*-*-* 04:00:00";
  };
}
NIX
expect_status 1 "check: conflicts and unknown machines exit 1" "$CLAN_TUI" check "$T/bad.nix"
"$CLAN_TUI" check "$T/bad.nix" 2> "$T/err" || true
check "check names the unknown machine" grep -q "bad.nix:4:14: error: .*names machine 'ghost'" "$T/err"
check "check reports the conflict" grep -q "conflicting definitions of settings.startAt for machine a" "$T/err"
expect_status 1 "check: a missing file exits 1" "$CLAN_TUI" check "$T/none.nix"
mkdir -p "$T/noclan"
expect_status 1 "check: no clan in or above the working directory exits 1" sh -c 'cd "$0" && exec "$1" check' "$T/noclan" "$CLAN_TUI"
check "check --help" "$CLAN_TUI" check --help

# vars generated out of order (keys made by keygen): the client's before its server's
V="$T/varsclan"
mkdir -p "$V"
cp "$S/two-machines.nix" "$V/clan.nix"
"$CLAN_TUI" keygen "$V/clan.nix" --machine alice-laptop --secrets "$T/secrets" >/dev/null 2>&1 || true
pub="$V/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub/value"
if [ -f "$pub" ]; then
    touch -d "2026-01-01 00:00:00" "$pub"
    "$CLAN_TUI" keygen "$V/clan.nix" --machine backup-server --secrets "$T/secrets" >/dev/null 2>&1 || true
    "$CLAN_TUI" check "$V/clan.nix" --secrets "$T/secrets" 2> "$T/err" > "$T/out" || true
    check "check: a client's vars older than its server's host key is a warning" \
        grep -q "clan.nix:[0-9]*:[0-9]*: warning: alice-laptop's borgbackup keys predate the host key of its backup server backup-server" "$T/err"
else
    fail "keygen made no key for alice-laptop"
fi

# Clan's sops vars (tests/keys-view-setup.sh): check reads them from the clan directory with
# no age identity; the plain secrets directory only with --secrets
F="$T/freshclan"
mkdir -p "$F" && cp "$S/two-machines.nix" "$F/clan.nix"
"$CLAN_TUI" check "$F/clan.nix" 2> "$T/err" > "$T/out" || true
check "check: a client without borgbackup vars is a note" grep -q "clan.nix:[0-9]*:[0-9]*: note: alice-laptop has no borgbackup vars yet (clan-tui keygen --machine alice-laptop, or clan vars generate alice-laptop)" "$T/err"
check "check: a server without openssh vars is a note" grep -q "clan.nix:[0-9]*:[0-9]*: note: backup-server has no openssh vars yet" "$T/err"
check "check: notes are no warnings" grep -q ": 0 errors, 0 warnings" "$T/out"
O="$T/sopsclan"
mkdir -p "$O" && cp "$S/two-machines.nix" "$O/clan.nix"
(cd "$O" && "$top_srcdir/tests/keys-view-setup.sh" sops)
env -u SOPS_AGE_KEY_FILE "$CLAN_TUI" check "$O/clan.nix" 2> "$T/err" > "$T/out" || true
check "check (sops): the server's public host key missing: incomplete, a warning" grep -q "clan.nix:11:5: warning: backup-server's openssh vars are incomplete: vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub/value is missing" "$T/err"
check "check (sops): a secret lacking the new group member" grep -q "clan.nix:15:5: warning: vars/per-machine/postgres-server/borgbackup/borgbackup.ssh/secret lacks user carol, whom Clan would encrypt it to now (clan-tui vars fix postgres-server)" "$T/err"
check "check (sops): complete machines are not named" sh -c '! grep -q "alice-laptop.*\(no borgbackup\|incomplete\|lacks\)" "$1"' _ "$T/err"
check "check (sops): 0 errors, 5 warnings (3 above, 2 install order)" grep -q ": 0 errors, 5 warnings" "$T/out"
printf 'not json' > "$O/vars/per-machine/alice-laptop/root-password/password/secret"
"$CLAN_TUI" check "$O/clan.nix" 2> "$T/err" > "$T/out" || true
check "check (sops): a secret that is no sops file is named with the reason" grep -q "warning: vars/per-machine/alice-laptop/root-password/password cannot be read: " "$T/err"
mkdir -p "$T/elsewhere/mallory" && cp "$O/sops/users/bob/key.json" "$T/elsewhere/mallory/"
ln -s "$T/elsewhere/mallory" "$O/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh/users/mallory"
"$CLAN_TUI" check "$O/clan.nix" 2> "$T/err" > "$T/out" || true
check "check (sops): a recipient link leading outside sops/ is refused" grep -q "warning: vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh cannot be read: points outside sops/users/" "$T/err"
rm "$O/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh/users/mallory"
SOPS_AGE_KEY_FILE="$O/alice.txt" "$CLAN_TUI" vars fix "$O/clan.nix" postgres-server > /dev/null
"$CLAN_TUI" check "$O/clan.nix" 2> "$T/err" > "$T/out" || true
check "check (sops): after vars fix nothing lacks a recipient" sh -c '! grep -q "lacks" "$1"' _ "$T/err"
rm "$T/secrets/alice-laptop/borgbackup/borgbackup.repokey"
"$CLAN_TUI" check "$V/clan.nix" --secrets "$T/secrets" 2> "$T/err" > "$T/out" || true
check "check --secrets: the plain store, a passphrase missing" grep -q "warning: alice-laptop's borgbackup vars are incomplete: missing .*borgbackup.repokey" "$T/err"
"$CLAN_TUI" check "$V/clan.nix" 2> "$T/err" > "$T/out" || true
check "check without --secrets: sops, plain secrets are not Clan's" grep -q "warning: alice-laptop's borgbackup vars are incomplete: vars/per-machine/alice-laptop/borgbackup/borgbackup.repokey/secret is missing" "$T/err"

# ---- dump ----
"$CLAN_TUI" dump "$S/two-machines.nix" --json > "$T/dump.json"
check "dump is JSON" jq -e . "$T/dump.json"
check "dump: alice-laptop is a borgbackup client via employees" jq -e \
    '.machines[] | select(.name == "alice-laptop") | .roles[] | select(.instance == "borgbackup" and .role == "client" and .direct == false and .viaTags == ["employees"])' "$T/dump.json"
check "dump: postgres states in name order" jq -e \
    '[.machines[] | select(.name == "postgres-server") | .states[].name] == ["mydb", "postgresql"]' "$T/dump.json"
check "dump: targetHost with its position" jq -e \
    '.machines[0].targetHost == {"value": "root@192.168.56.101", "opaque": false, "line": 8, "col": 27}' "$T/dump.json"

# ---- plan ----
"$CLAN_TUI" plan "$S/multi-destination.nix" --json > "$T/plan.json"
check "plan is JSON" jq -e . "$T/plan.json"
check "plan: postgres-server has the two jobs of the document" jq -e \
    '[.machines["postgres-server"].jobs[].unit] == ["borgbackup-job-backup-server", "borgbackup-job-storagebox"]' "$T/plan.json"
check "plan: every job has the required keys" jq -e \
    '[.machines[].jobs[] | has("unit") and has("destination") and has("repo") and has("rsh") and has("paths") and has("exclude") and has("startAt") and has("preBackup") and has("postBackup")] | all' "$T/plan.json"
check "plan: same schedule, postgres hooks on both" jq -e \
    '.machines["postgres-server"].jobs | (.[0].startAt == .[1].startAt) and ([.[].preBackup | index("postgresql")] | all(. != null))' "$T/plan.json"
"$CLAN_TUI" plan "$S/nas-schedules.nix" --machine work-pc --json > "$T/nas.json"
check "plan --machine: only that machine" jq -e '.machines | keys == ["work-pc"]' "$T/nas.json"
check "plan: work-pc at 04:00" jq -e '.machines["work-pc"].jobs[0].startAt == "*-*-* 04:00:00"' "$T/nas.json"
expect_status 1 "plan --machine of an unknown machine" "$CLAN_TUI" plan "$S/nas-schedules.nix" --machine nope --json
check "plan (text)" sh -c '"$1" plan "$2" | grep -q "borgbackup-job-nas"' _ "$CLAN_TUI" "$S/nas-schedules.nix"

# ---- install-order ----
"$CLAN_TUI" install-order "$S/two-machines.nix" > "$T/order"
check "install-order: backup-server first" sh -c '[ "$(head -n1 "$1")" = backup-server ] && [ $(wc -l < "$1") -eq 3 ]' _ "$T/order"
check "install-order --commands" sh -c '"$1" install-order "$2" --commands | head -n1 | grep -qx "clan machines install backup-server --target-host root@192.168.56.104"' _ "$CLAN_TUI" "$S/two-machines.nix"

# ---- edit: every scriptable form ----
F="$T/clan.nix"
cp "$S/two-machines.nix" "$F"
edit_ok() { # NAME ARGS...: the edit succeeds and the result parses
    local name=$1; shift
    if "$CLAN_TUI" edit "$F" "$@" > "$T/out" 2> "$T/err" && nixok "$F"; then ok "edit $name"
    else fail "edit $name: $(cat "$T/err")"; fi
}
cp "$F" "$T/before"
"$CLAN_TUI" edit "$F" tag add postgres-server employees --dry-run > "$T/diff"
check "edit --dry-run prints a diff" grep -q '^+      tags = \[ "employees" \];' "$T/diff"
check "edit --dry-run writes nothing" cmp -s "$F" "$T/before"
edit_ok "tag add" tag add postgres-server employees
check "tag add: postgres-server is now a client via employees" sh -c \
    '"$1" dump "$2" --json | jq -e ".machines[] | select(.name == \"postgres-server\") | .tags[].value" | grep -q employees' _ "$CLAN_TUI" "$F"
edit_ok "tag remove" tag remove postgres-server employees
edit_ok "machine add" machine add carol-laptop --target-host root@192.168.56.105 --tag employees
check "machine add: carol-laptop gets a job through her tag" sh -c \
    '"$1" plan "$2" --machine carol-laptop --json | jq -e ".machines[\"carol-laptop\"].client == true"' _ "$CLAN_TUI" "$F"
edit_ok "role add-machine" role add-machine borgbackup client backup-server
edit_ok "role remove-machine" role remove-machine borgbackup client backup-server
edit_ok "role add-tag" role add-tag borgbackup client laptops
edit_ok "role remove-tag" role remove-tag borgbackup client laptops
edit_ok "schedule set (the issue's example)" schedule set alice-laptop "*-*-* 04:00:00"
check "schedule set: alice-laptop at 04:00" sh -c \
    '"$1" plan "$2" --machine alice-laptop --json | jq -e ".machines[\"alice-laptop\"].jobs[0].startAt == \"*-*-* 04:00:00\""' _ "$CLAN_TUI" "$F"
edit_ok "schedule clear" schedule clear alice-laptop
edit_ok "schedule set at a tag" schedule set tag:employees "Mon *-*-* 03:00:00"
edit_ok "schedule clear at a tag" schedule clear tag:employees
edit_ok "exclude add" exclude add alice-laptop '*.pyc'
edit_ok "exclude add (second)" exclude add alice-laptop '*.tmp'
edit_ok "exclude move" exclude move alice-laptop 1 0
edit_ok "exclude replace" exclude replace alice-laptop 0 '*.temp'
edit_ok "exclude remove" exclude remove alice-laptop '*.pyc'
check "exclude: the list is what was asked" sh -c \
    '"$1" plan "$2" --machine alice-laptop --json | jq -e ".machines[\"alice-laptop\"].jobs[0].exclude == [\"*.temp\"]"' _ "$CLAN_TUI" "$F"
edit_ok "destination set repo" destination set postgres-server storagebox repo 'u@u.your-storagebox.de:/./borgbackup'
edit_ok "destination set rsh" destination set postgres-server storagebox rsh 'ssh -p 23'
check "destination: a second job" sh -c \
    '"$1" plan "$2" --machine postgres-server --json | jq -e "[.machines[\"postgres-server\"].jobs[].unit] == [\"borgbackup-job-backup-server\", \"borgbackup-job-storagebox\"]"' _ "$CLAN_TUI" "$F"
edit_ok "destination clear rsh" destination clear postgres-server storagebox rsh
edit_ok "destination clear" destination clear postgres-server storagebox
edit_ok "server set address" server set backup-server address 10.0.0.4
check "server address: the repo follows" sh -c \
    '"$1" plan "$2" --machine alice-laptop --json | jq -e ".machines[\"alice-laptop\"].jobs[0].repo == \"borg@10.0.0.4:.\""' _ "$CLAN_TUI" "$F"
edit_ok "server set directory" server set backup-server directory /srv/borg
edit_ok "server clear" server clear backup-server directory
edit_ok "setting set (generic)" setting set alice-laptop startAt "*-*-* 06:00:00"
edit_ok "setting clear (generic)" setting clear alice-laptop startAt
check "check is clean after all edits" "$CLAN_TUI" check "$F"

# ---- refusals leave the file as it was ----
cp "$F" "$T/before"
"$CLAN_TUI" edit "$F" schedule set alice-laptop "*-*-* 05:00:00" >/dev/null
cp "$F" "$T/before"
expect_status 1 "a conflicting edit is refused" "$CLAN_TUI" edit "$F" schedule set tag:employees "*-*-* 07:00:00"
"$CLAN_TUI" edit "$F" schedule set tag:employees "*-*-* 07:00:00" 2> "$T/err" || true
check "the refusal names the existing definition" grep -q "the existing one: machine \"\\*-\\*-\\* 05:00:00\" at $F:[0-9]*:[0-9]*" "$T/err"
check "the refusal offers the edits that do not conflict" grep -q "try: clan-tui edit .* schedule set alice-laptop '\\*-\\*-\\* 07:00:00'" "$T/err"
check "refused: file unchanged" cmp -s "$F" "$T/before"
expect_status 1 "an invalid schedule is refused" "$CLAN_TUI" edit "$F" schedule set alice-laptop "25:99"
expect_status 1 "a bad destination name is refused" "$CLAN_TUI" edit "$F" destination set alice-laptop "bad name" repo x
expect_status 1 "removing a tag the machine lacks is refused" "$CLAN_TUI" edit "$F" tag remove alice-laptop nope
check "refused: file still unchanged" cmp -s "$F" "$T/before"
expect_status 2 "unknown operation" "$CLAN_TUI" edit "$F" frobnicate
expect_status 2 "missing arguments" "$CLAN_TUI" edit "$F" tag add alice-laptop
expect_status 2 "bad target" "$CLAN_TUI" edit "$F" schedule set x:y "*-*-* 01:00:00"
check "edit --help" "$CLAN_TUI" edit --help
# plan --json and dump stream their output (64 KiB at a time): the bytes are those of the
# whole document, and a full disk is an error, not a short file
"$top_srcdir/samples/gen-fleet" 300 > "$T/fleet.nix"
"$CLAN_TUI" plan --json "$T/fleet.nix" > "$T/plan.json" 2> /dev/null || true
check "a streamed plan --json is one JSON document" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["machines"]) >= 300' "$T/plan.json"
"$CLAN_TUI" dump "$T/fleet.nix" > "$T/dump.json" 2> /dev/null || true
check "a streamed dump is one JSON document" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/dump.json"
for c in "plan --json" dump; do
    # shellcheck disable=SC2086
    expect_status 1 "$c to a full disk fails" sh -c '"$0" $1 "$2" > /dev/full 2> /dev/null' \
        "$CLAN_TUI" "$c" "$T/fleet.nix"
    # shellcheck disable=SC2086
    "$CLAN_TUI" $c "$T/fleet.nix" > /dev/full 2> "$T/err" || true
    check "$c to a full disk says so" grep -q "cannot write to standard output: No space left on device" "$T/err"
done
finish
