#!/bin/bash
# Finding the clan: every command that reads one takes its directory, a file in it, or
# nothing (the working directory, then each parent, as git finds its repository); a
# directory that is no clan is refused with one clear line; the UI lists the files it read
# and the imports it could not follow; a lone clan.nix reads and renders as before.
. "$top_srcdir/tests/lib.sh"
have jq || { echo "SKIP: jq not installed"; exit 77; }
unset XDG_CONFIG_HOME NO_COLOR ESCDELAY
export TERM=xterm-256color

C=$T/classic # a copy: keygen writes vars into the clan directory
cp -r "$top_srcdir/tests/clans/classic" "$C"
chmod -R u+w "$C"
SEC=$T/secrets

# Each command that reads a clan: NAME|STATUS|PATTERN|ARGS after the clan. PATTERN must be in
# its output (stdout and stderr). Every one runs on the directory, on files in it, and with
# no clan named from the directory and from a subdirectory of it.
commands=(
    "check|0|: 0 errors, 0 warnings|--secrets $SEC" # keygen below writes plain secrets there
    "dump|0|\"name\":\"vault\"|--json"
    "plan|0|borgbackup-job-vault|"
    "install-order|0|^vault$|"
    "schedule-map|3|vault: 2 jobs, 7 collisions|--week 2026-01-05"
    "units|0|^==> alpha/etc/systemd/system/borgbackup-job-vault.service|--machine alpha"
    "exclude-test|3|^excluded /srv/photos/a.tmp by \*.tmp (role, .*clan.nix:28:21)$|alpha /srv/photos/a.tmp"
    "edit|0|^+      tags = \[ \"backup\" \"extra\" \];$|tag add alpha extra --dry-run"
    "keygen|0|^secrets directory: |--secrets $SEC"
    "vars get|0|^ssh-ed25519 |alpha borgbackup/borgbackup.ssh.pub"
    "screen|0|files (9)|--size 120x35"
)

# run WHERE CLAN SPEC: the command of SPEC in directory WHERE, the clan named by CLAN
# ("" for none); checks its status and output.
run() {
    where=$1
    clan=$2
    IFS='|' read -r cmd want pattern args <<<"$3"
    # shellcheck disable=SC2086
    set +e; (cd "$where" && $CLAN_TUI $cmd $clan $args) >"$T/out" 2>&1; got=$?; set -e
    name="$cmd ${clan:-(none)} from ${where#"$T"/}"
    if [ "$got" -ne "$want" ]; then
        fail "$name: exit $got, expected $want"; head -5 "$T/out"
    elif ! grep -q -- "$pattern" "$T/out"; then
        fail "$name: no '$pattern'"; head -5 "$T/out"
    else
        ok "$name"
    fi
}

mkdir -p "$T/elsewhere"
for spec in "${commands[@]}"; do
    run "$T/elsewhere" "$C" "$spec"                          # the directory
    run "$T/elsewhere" "$C/flake.nix" "$spec"                # a file in it: its entry point,
    run "$T/elsewhere" "$C/clan.nix" "$spec"                 # the clan module
    run "$T/elsewhere" "$C/inventory.json" "$spec"           # or the inventory
    run "$C" "" "$spec"                                      # none: the working directory
    run "$C/machines/alpha" "" "$spec"                       # none: found upward
done
# a relative directory, and "." inside it
run "$T" "classic" "${commands[0]}"
run "$C" "." "${commands[2]}"
# exclude-test and edit: a first word that is no path is the machine / the operation
run "$C" "" "exclude-test|0|^kept /srv/notes/a.txt$|alpha /srv/notes/a.txt"
run "$C" "" "edit|2|unknown operation 'tga'|tga add alpha extra"

# an edit goes to the file that defines what it changes: gamma is a machine of inventory.json
run "$C" "" "edit|0|^+++ b/inventory.json$|tag add gamma extra --dry-run"
run "$C/machines" "" "edit|0|^\.\./inventory.json: add tag extra to gamma$|tag add gamma extra"
check "the edit is in inventory.json" sh -c 'jq -e ".machines.gamma.tags == [\"extra\"]" "$0" >/dev/null' "$C/inventory.json"

# journal reads a clan only when one is named (without, the local journal): the clan's
# machines are what --machine is looked up in
for clan in "$C" "$C/flake.nix" "classic"; do
    run "$T" "$clan" "journal|1|no machine 'nope' in the inventory|--machine nope"
done

# ---- not a clan ----
E=$T/empty
mkdir -p "$E/sub"
for spec in "${commands[@]}" "journal|1||--machine alpha"; do
    IFS='|' read -r cmd _ _ args <<<"$spec"
    set +e
    # shellcheck disable=SC2086
    (cd "$T/elsewhere" && $CLAN_TUI $cmd "$E" $args) >"$T/out" 2>"$T/err"; got=$?
    set -e
    if [ "$got" -eq 1 ] && head -1 "$T/err" | grep -q "^$E: error: not a clan directory: expected a flake.nix"; then
        ok "$cmd: a directory that is no clan: exit 1, says so"
    else
        fail "$cmd: a directory that is no clan (exit $got)"; cat "$T/err"
    fi
done
expect_status 1 "the UI: a directory that is no clan" sh -c '"$0" "$1" </dev/null >/dev/null 2>"$2"' "$CLAN_TUI" "$E" "$T/err"
check "the UI: says why" grep -q "^$E: error: not a clan directory" "$T/err"
set +e; (cd "$E/sub" && "$CLAN_TUI" plan) >"$T/out" 2>"$T/err"; got=$?; set -e
check "no clan here or above: exit 1" test "$got" -eq 1
check "no clan here or above: says where it looked" grep -q "^$E/sub: error: no clan here or in any parent directory" "$T/err"
expect_status 1 "a path that does not exist" sh -c '"$0" check "$1" 2>/dev/null' "$CLAN_TUI" "$T/nope"

# ---- the UI lists the files ----
cat >"$T/files.keys" <<'KEYS'
dump first frame
key j j j l j
dump files
key j j j
dump a NixOS module
KEYS
"$CLAN_TUI" screen --size 140x40 --keys "$T/files.keys" "$C" >"$T/screen" 2>&1
sed -n '/^=== first frame/,/^=== files/p' "$T/screen" >"$T/s1"
sed -n '/^=== files/,/^=== a NixOS/p' "$T/screen" >"$T/s2"
sed -n '/^=== a NixOS/,$p' "$T/screen" >"$T/s3"
check "screen: the files node, folded, after meta" grep -q "^│ ▸ files (9) " "$T/s1"
check "screen: the header names the clan directory" grep -q "^ clan-tui  classic  $C" "$T/s1"
check "screen: a file with its kind" grep -q "│     machines/alpha/configuration.nix  NixOS mod" "$T/s2"
check "screen: inventory.json" grep -q "│     inventory.json .*inventory.json" "$T/s2"
check "screen: clan.nix is where edits go" grep -q "edits       of values defined here are written here" "$T/s2"
check "screen: a file's details say why it is read" grep -q "read as     the configuration of machine alpha" "$T/s3"
check "screen: a file's details: what it defines" grep -q "state       photos of alpha" "$T/s3"

M=$top_srcdir/tests/clans/modules-states
cat >"$T/unf.keys" <<'KEYS'
key j j j j l G
key /
type private
key Enter
dump not followed
KEYS
"$CLAN_TUI" screen --size 140x40 --keys "$T/unf.keys" "$M" >"$T/screen" 2>&1
check "screen: imports not followed, counted on the files node" grep -q "files (12) *2 imports not followed" "$T/screen"
check "screen: an import not followed, with its machine" grep -q '"${inputs.private}/edge.nix"  machine edge' "$T/screen"
check "screen: its position names its own file" grep -q "import      \"\${inputs.private}/edge.nix\" *configuration.nix:9:5" "$T/screen"
check "screen: its source excerpt is from that file" grep -q "source: machines/edge/configuration.nix" "$T/screen"
cat >"$T/cond.keys" <<'KEYS'
key /
type nginx-logs
key Enter
dump conditional state
KEYS
"$CLAN_TUI" screen --size 160x40 --keys "$T/cond.keys" "$M" >"$T/screen" 2>&1
check "screen: a state under lib.mkIf is marked" grep -q "nginx-logs  *1 folder, conditional" "$T/screen"
check "screen: its condition, evaluated on the machine" grep -q "only when   config.services.nginx.enable (evaluated on the machine) *journal.nix:8:15" "$T/screen"

# the UI's write shows and writes the file an edit went to (gamma is in inventory.json)
C2=$T/classic2
cp -r "$top_srcdir/tests/clans/classic" "$C2"
chmod -R u+w "$C2"
cat >"$T/write.keys" <<'KEYS'
key :
type goto gamma
key Enter
key t Space Esc w
dump write
key y
dump written
KEYS
(cd "$C2" && "$CLAN_TUI" screen --size 120x35 --keys "$T/write.keys") >"$T/screen" 2>&1
check "screen: w shows the diff of inventory.json" grep -q "Write inventory.json? +4 -1 lines" "$T/screen"
check "screen: y writes it" grep -q "^ wrote inventory.json " "$T/screen"
check "screen: the tag is in inventory.json" sh -c 'jq -e ".machines.gamma.tags == [\"backup\"]" "$0" >/dev/null' "$C2/inventory.json"
check "screen: clan.nix untouched" cmp -s "$C2/clan.nix" "$top_srcdir/tests/clans/classic/clan.nix"

# plan diagnostics name the file the setting is written in (a schedule and a destination
# of an instance that lives only in inventory.json)
C3=$T/plandiag
cp -r "$top_srcdir/samples/clan-dir" "$C3"
chmod -R u+w "$C3"
jq '.instances = {extra: {module: {name: "borgbackup"}, roles: {client: {machines: {web: {settings: {startAt: "not a calendar", destinations: {"bad name!": {repo: "u1@x:/./b"}}}}}}}}}' \
    "$C3/inventory.json" >"$T/inv.json" && cp "$T/inv.json" "$C3/inventory.json"
(cd "$C3" && "$CLAN_TUI" check) >"$T/check" 2>&1 || true
check "plan diagnostic of a schedule in inventory.json names inventory.json" grep -q '^inventory.json:[0-9]*:[0-9]*: error: startAt "not a calendar"' "$T/check"
check "plan diagnostic of a destination in inventory.json names inventory.json" grep -q "^inventory.json:[0-9]*:[0-9]*: error: destination name 'bad name!'" "$T/check"
check "no plan diagnostic points into clan.nix for them" sh -c '! grep -q "^clan.nix:.*\(not a calendar\|bad name\)" "$0"' "$T/check"

# ---- a lone clan.nix: as before ----
# The first frame equals the one tests/screens/navigation.screen holds (made before a clan
# could be a directory): same header, no files node, positions in the one file.
sed -n '/^=== first frame/,/^=== /p' "$top_srcdir/tests/screens/navigation.screen" | sed '1d;$d' >"$T/want"
(cd "$top_srcdir" && "$CLAN_TUI" screen --size 120x35 samples/two-machines.nix) >"$T/got" 2>&1
if diff -u "$T/want" "$T/got" >"$T/diff"; then ok "a lone clan.nix renders as before"; else fail "a lone clan.nix renders as before"; head -40 "$T/diff"; fi
"$CLAN_TUI" dump "$top_srcdir/samples/two-machines.nix" >"$T/lone.json"
check "a lone file: no clan directory" sh -c 'jq -e ".dir == null and (.machines | length) == 3" "$0" >/dev/null' "$T/lone.json"
finish
