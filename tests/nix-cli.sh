#!/bin/bash
# clan-tui nix: parse/get/set/del/append/remove from the command line; the round trip on
# every .nix file of this machine, the samples and a generated fleet.
. "$top_srcdir/tests/lib.sh"
N() { "$CLAN_TUI" nix "$@"; }

# round trip on every .nix file we can find, the samples and a large generated file
"$top_srcdir/samples/gen-fleet" 1000 > "$T/fleet.nix"
find / -xdev -name '*.nix' -type f -readable -not -path '/proc/*' 2>/dev/null | head -n 5000 > "$T/all" || true
ls "$top_srcdir"/samples/*.nix >> "$T/all"
echo "$T/fleet.nix" >> "$T/all"
rt_bad=0 rt_n=0
while read -r f; do
    # a snapshot first: other programs' temporary files come and go meanwhile
    cp "$f" "$T/src.nix" 2>/dev/null || continue
    rt_n=$((rt_n + 1))
    N parse --roundtrip "$T/src.nix" > "$T/rt" 2>/dev/null || true
    cmp -s "$T/src.nix" "$T/rt" || { rt_bad=$((rt_bad + 1)); echo "round trip differs: $f"; }
done < "$T/all"
check "round trip byte-identical on $rt_n .nix files" test "$rt_bad" -eq 0
for f in "$top_srcdir"/samples/*.nix "$T/fleet.nix"; do
    check "parse accepts $(basename "$f")" N parse "$f"
done

# parse: diagnostics and exit status
printf '{\n  a = 1\n}\n' > "$T/bad.nix"
expect_status 1 "parse rejects a syntax error" N parse "$T/bad.nix"
N parse "$T/bad.nix" 2> "$T/err" || true
check "FILE:LINE:COL: error: ... expected" grep -q "bad.nix:3:1: error: syntax error: unexpected '}', expected ';'" "$T/err"
N parse --roundtrip "$T/bad.nix" > "$T/rt" 2>/dev/null || true
check "--roundtrip reprints invalid input too" cmp -s "$T/bad.nix" "$T/rt"
N parse --tree "$T/bad.nix" > "$T/tree" 2>/dev/null || true
check "--tree lists nodes and tokens" sh -c 'grep -q "^ROOT 1:1-" "$1" && grep -q "BINDING 2:3-" "$1" && grep -q "ID 2:3 \"a\"" "$1"' _ "$T/tree"
printf '{ a = 1; a = 2; }' > "$T/dup.nix"
N parse "$T/dup.nix" 2> "$T/err" || true
check "duplicate attribute reported as Nix does" grep -q "dup.nix:1:10: error: attribute 'a' already defined at .*dup.nix:1:3" "$T/err"
expect_status 1 "missing file" N parse "$T/nope.nix"
expect_status 2 "usage error" N parse
expect_status 2 "unknown subcommand" N frob x
expect_status 0 "--help" N --help

# get
cp "$top_srcdir/samples/two-machines.nix" "$T/c.nix"
check "get a string" sh -c '[ "$("$CLAN_TUI" nix get "$1" meta.name)" = "\"MY-BACKUP-CLAN\"" ]' _ "$T/c.nix"
check "get through nested and dotted keys" sh -c '[ "$("$CLAN_TUI" nix get "$1" inventory.instances.borgbackup.roles.server.machines.backup-server.settings.address)" = "\"192.168.56.104\"" ]' _ "$T/c.nix"
check "get a quoted key" sh -c '[ "$("$CLAN_TUI" nix get "$1" "inventory.instances.sshd.roles.server.settings.authorizedKeys.\"admin-machine-1\"" | cut -c1-12)" = "\"ssh-ed25519" ]' _ "$T/c.nix"
check "get through a module function" sh -c '[ "$("$CLAN_TUI" nix get "$1" machines.postgres-server.services.postgresql.enable)" = true ]' _ "$T/c.nix"
printf '{\n  a.b = 1;\n  a = { c = 2; };\n}\n' > "$T/m.nix"
check "get a set written as dotted keys and a literal" sh -c '[ "$("$CLAN_TUI" nix get "$1" a)" = "{ b = 1; c = 2; }" ]' _ "$T/m.nix"
expect_status 1 "get a missing attribute" N get "$T/c.nix" meta.nope
expect_status 2 "get a malformed path" N get "$T/c.nix" 'meta..name'

# set / del / append / remove, --dry-run leaves the file alone
cp "$T/c.nix" "$T/orig.nix"
N set "$T/c.nix" meta.name '"NEW"' --dry-run > "$T/diff"
check "--dry-run does not write" cmp -s "$T/c.nix" "$T/orig.nix"
check "--dry-run prints a unified diff" sh -c 'grep -q "^-  meta.name = \"MY-BACKUP-CLAN\";" "$1" && grep -q "^+  meta.name = \"NEW\";" "$1" && grep -q "^@@ " "$1"' _ "$T/diff"
check "set writes" N set "$T/c.nix" meta.name '"NEW"'
check "set: only the value changed" sh -c '[ "$(diff "$1" "$2" | grep -c "^[<>]")" = 2 ]' _ "$T/orig.nix" "$T/c.nix"
check "set inserts a new path" N set "$T/c.nix" inventory.machines.alice-laptop.deploy.buildHost '"root@b"'
check "the inserted value reads back" sh -c '[ "$("$CLAN_TUI" nix get "$1" inventory.machines.alice-laptop.deploy.buildHost)" = "\"root@b\"" ]' _ "$T/c.nix"
check "append to a list" N append "$T/c.nix" inventory.machines.backup-server.tags '"servers"'
check "append result" grep -q 'tags = \[ "servers" \];' "$T/c.nix"
check "remove from a list" N remove "$T/c.nix" inventory.machines.backup-server.tags '"servers"'
check "del" N del "$T/c.nix" inventory.instances.user-root
expect_status 1 "del of a missing path is refused" N del "$T/c.nix" inventory.instances.user-root
check "result still parses" N parse "$T/c.nix"
cp "$T/c.nix" "$T/before.nix"
expect_status 1 "an invalid EXPR is refused" N set "$T/c.nix" meta.name '"unterminated'
expect_status 1 "setting below a string is refused" N set "$T/c.nix" meta.name.x 1
expect_status 1 "appending to a non-list is refused" N append "$T/c.nix" meta.name 1
check "refused edits leave the file as it was" cmp -s "$T/c.nix" "$T/before.nix"
expect_status 1 "editing a file with syntax errors is refused" N set "$T/bad.nix" a 2
if have nix-instantiate; then
    export NIX_STATE_DIR=$T/nix-state NIX_CONF_DIR=$T/nix-conf
    check "nix-instantiate accepts the edited file" sh -c 'nix-instantiate --parse --store dummy:// "$1" >/dev/null' _ "$T/c.nix"
fi
finish
