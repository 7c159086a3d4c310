#!/bin/bash
# Setting up backups from nothing: `edit instance add|remove` on a clan with machines but no
# borgbackup instance, in every clan shape that keeps instances somewhere clan-tui edits;
# the seed's two-machines example rebuilt with edits alone, and with the UI's setup flow
# (screen test): each result parses with nix-instantiate --parse and plans exactly as
# samples/two-machines.nix does.
. "$top_srcdir/tests/lib.sh"
S="$top_srcdir/samples"
have jq || { echo "SKIP: jq not installed"; exit 77; }
nixok() { if have nix-instantiate; then nix-instantiate --parse --store dummy:// "$1" >/dev/null 2>&1; fi; }

# the seed's two-machines clan without its borgbackup instance
bare() {
    awk '/^    borgbackup = \{$/ { skip = 1 } !skip { print } skip && /^    \};$/ { skip = 0; getline }' \
        "$S/two-machines.nix" > "$1"
}
mkdir -p "$T/c"
bare "$T/c/clan.nix"
check "the bare clan has no borgbackup instance" sh -c '! "$0" names instances "$1" | grep -qx borgbackup' "$CLAN_TUI" "$T/c/clan.nix"
cp "$T/c/clan.nix" "$T/bare.nix"

# the edit that the seed's walk-through starts with is refused, and says what to do
"$CLAN_TUI" edit "$T/c/clan.nix" role add-machine borgbackup server backup-server 2> "$T/err" && fail "role add-machine without an instance" || true
check "no instance: the refusal names instance add" grep -q "there is no instance 'borgbackup' in inventory.instances; add it first (instance add borgbackup)" "$T/err"
check "no instance: the file is unchanged" cmp -s "$T/c/clan.nix" "$T/bare.nix"

# ---- the two-machines example from edits alone ----
e() { "$CLAN_TUI" edit "$T/c/clan.nix" "$@" > /dev/null; }
"$CLAN_TUI" edit "$T/c/clan.nix" instance add borgbackup --dry-run > "$T/dry"
check "instance add --dry-run prints the new instance" grep -q '^+    borgbackup = {$' "$T/dry"
check "instance add --dry-run writes nothing" cmp -s "$T/c/clan.nix" "$T/bare.nix"
check "instance add borgbackup" e instance add borgbackup
check "role add-tag client employees" e role add-tag borgbackup client employees
check "role add-machine client postgres-server" e role add-machine borgbackup client postgres-server
check "role add-machine server backup-server" e role add-machine borgbackup server backup-server
check "server set address" e server set backup-server address 192.168.56.104
check "server set directory" e server set backup-server directory /var/lib/borgbackup
if have nix-instantiate; then
    check "the set-up clan parses (nix-instantiate --parse)" nixok "$T/c/clan.nix"
fi
"$CLAN_TUI" plan --json "$T/c/clan.nix" > "$T/plan.json"
"$CLAN_TUI" plan --json "$S/two-machines.nix" > "$T/want.json"
check "its plan equals the seed's two-machines example" cmp "$T/plan.json" "$T/want.json"
check "check reports no errors" "$CLAN_TUI" check "$T/c/clan.nix"

# ---- refusals leave the file as it was ----
cp "$T/c/clan.nix" "$T/before.nix"
expect_status 1 "instance add of an existing instance is refused" "$CLAN_TUI" edit "$T/c/clan.nix" instance add borgbackup
expect_status 1 "instance remove of a missing instance is refused" "$CLAN_TUI" edit "$T/c/clan.nix" instance remove nothing
expect_status 2 "instance add without a name is a usage error" "$CLAN_TUI" edit "$T/c/clan.nix" instance add
expect_status 2 "--module goes with add only" "$CLAN_TUI" edit "$T/c/clan.nix" instance remove borgbackup --module borgbackup
check "refusals left the file byte for byte" cmp -s "$T/c/clan.nix" "$T/before.nix"

# ---- remove, add with --module ----
check "instance remove borgbackup" e instance remove borgbackup
check "after instance remove no job is planned" sh -c '"$0" plan --json "$1" | jq -e "[.machines[].jobs[]] | length == 0" >/dev/null' "$CLAN_TUI" "$T/c/clan.nix"
check "instance add offsite --module borgbackup" e instance add offsite --module borgbackup
check "--module writes module.name" grep -q 'module.name = "borgbackup";' "$T/c/clan.nix"
check "the module's instance is a borgbackup instance" e role add-machine offsite client postgres-server
"$CLAN_TUI" edit "$T/c/clan.nix" destination set postgres-server storagebox repo 'u1@u1.your-storagebox.de:/./borgbackup' --instance offsite > /dev/null
check "...and plans a job for its destination" sh -c '"$0" plan --json "$1" | jq -e ".machines[\"postgres-server\"].jobs[0].unit == \"borgbackup-job-storagebox\"" >/dev/null' "$CLAN_TUI" "$T/c/clan.nix"
if have nix-instantiate; then
    check "the edited clan parses" nixok "$T/c/clan.nix"
fi

# ---- the UI's setup flow (its screens: tests/screens/edit/setup-*.keys in tui-edit.sh) ----
ui_setup() { # ui_setup KEYS: run the flow on a copy of the bare clan in $T/ui/clan.nix
    rm -rf "$T/ui"; mkdir -p "$T/ui"; cp "$T/bare.nix" "$T/ui/clan.nix"
    (cd "$T/ui" && TERM=xterm-256color CLAN_TUI_NOW="2026-11-26 12:00:00 UTC" \
        "$CLAN_TUI" screen --keys "$top_srcdir/tests/screens/edit/$1.keys" clan.nix > "$T/ui/screens")
}
ui_setup setup-server
check "setup flow: the screens say it was written" grep -q "written: set up instance borgbackup" "$T/ui/screens"
if have nix-instantiate; then
    check "setup flow: the file parses (nix-instantiate --parse)" nixok "$T/ui/clan.nix"
fi
"$CLAN_TUI" plan --json "$T/ui/clan.nix" > "$T/ui/plan.json"
check "setup flow: its plan equals the seed's two-machines example" cmp "$T/ui/plan.json" "$T/want.json"
ui_setup setup-external
if have nix-instantiate; then
    check "setup flow, external: the file parses" nixok "$T/ui/clan.nix"
fi
check "setup flow, external: postgres-server's job to the storage box, at 04:00" sh -c '"$0" plan --json "$1" | jq -e "
    .machines[\"postgres-server\"].jobs == [.machines[\"postgres-server\"].jobs[0]] and
    (.machines[\"postgres-server\"].jobs[0] | .unit == \"borgbackup-job-storagebox\" and
     .repo == \"u1@u1.your-storagebox.de:/./borgbackup\" and .startAt == \"*-*-* 04:00:00\" and
     (.rsh | startswith(\"ssh -p 23 \")))" >/dev/null' "$CLAN_TUI" "$T/ui/clan.nix"
check "setup flow, external: no other machine has a job" sh -c '"$0" plan --json "$1" | jq -e "[.machines[].jobs[]] | length == 1" >/dev/null' "$CLAN_TUI" "$T/ui/clan.nix"

# ---- clan directories: the instance goes where the instances are ----
shape() { # shape FIXTURE FILE-THAT-CHANGES
    rm -rf "$T/s"; cp -r "$top_srcdir/tests/clans/$1" "$T/s"
    cp -r "$T/s" "$T/s.orig"
    if "$CLAN_TUI" edit "$T/s" instance add newbb --module borgbackup > /dev/null &&
        "$CLAN_TUI" edit "$T/s" role add-machine newbb client "$3" > /dev/null; then
        ok "$1: instance add and a client"
    else
        fail "$1: instance add and a client"
    fi
    changed=$(cd "$T" && diff -rq s.orig s | sed 's/^Files s.orig\/\([^ ]*\) and .*/\1/')
    check "$1: only $2 changed (got: $changed)" test "$changed" = "$2"
    case $2 in
    *.json) check "$1: $2 is JSON" jq -e '.instances.newbb.module.name == "borgbackup"' "$T/s/$2" ;;
    *) if have nix-instantiate; then check "$1: $2 parses" nixok "$T/s/$2"; fi ;;
    esac
    check "$1: $3 is a client of the new instance" sh -c '"$0" dump --json "$1" | jq -e ".machines[] | select(.name == \"$2\") | .roles[] | select(.instance == \"newbb\" and .role == \"client\")" >/dev/null' "$CLAN_TUI" "$T/s" "$3"
    check "$1: instance remove" "$CLAN_TUI" edit "$T/s" instance remove newbb
    "$CLAN_TUI" names instances "$T/s" > "$T/names"
    check "$1: the instance is gone" sh -c '! grep -qx newbb "$0"' "$T/names"
    rm -rf "$T/s.orig"
}
shape classic clan.nix alpha
shape json-heavy inventory.json spare
shape flake-parts clan.nix spare
shape inline-flake flake.nix kiosk
shape subdirectory infra/clan.nix south
shape flake-parts-flake-clan parts/clan.nix cache-vm
shape buildclan-old flake.nix leaf

finish
