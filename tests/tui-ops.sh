#!/bin/bash
# Screen tests of the operating views (units U, keys K, journal J, schedule map S) through
# the headless harness: every tests/screens/ops/NAME.keys runs on a fresh copy of the sample
# on its `# file:` line (as clan.nix in a temporary directory D) with the options of its
# `# args:` line (@D@ is D, @JOURNAL@ a journal file made by systemd-journal-remote from
# tests/journal-sample.export.in); its screens, with D written as <D> and key fingerprints
# as SHA256:<fp>, age keys as age1<key>, must equal NAME.screen. UPDATE_SCREENS=1 rewrites them. A `# setup:` line
# runs a script of the source tree in D first (tests/keys-view-setup.sh: sops vars), an
# `# env:` line sets variables for the UI (@D@ is D).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
unset XDG_CONFIG_HOME NO_COLOR ESCDELAY
export CLAN_TUI_NOW="2026-11-26 12:00:00 UTC" TZ=UTC
screens="$top_srcdir/tests/screens/ops"

J=$T/jfiles/sample.journal
mkdir -p "$T/jfiles"
journal_export "$top_srcdir/tests/journal-sample.export.in" "$T/sample.export"
journal_write "$J" < "$T/sample.export"

for keys in "$screens"/*.keys; do
    name=$(basename "$keys" .keys)
    d=$T/$name
    mkdir -p "$d"
    file=$(sed -n 's/^# file: //p' "$keys")
    args=$(sed -n 's/^# args: //p' "$keys")
    args=${args//@D@/$d}
    args=${args//@JOURNAL@/$J}
    setup=$(sed -n 's/^# setup: //p' "$keys")
    envs=$(sed -n 's/^# env: //p' "$keys")
    envs=${envs//@D@/$d}
    cp "$top_srcdir/$file" "$d/clan.nix"
    # shellcheck disable=SC2086
    [ -z "$setup" ] || (cd "$d" && "$top_srcdir"/$setup) || fail "setup of $name"
    # shellcheck disable=SC2086
    (cd "$d" && env TERM=xterm-256color $envs "$CLAN_TUI" screen --keys "$keys" --size 110x32 $args clan.nix) \
        > "$d.raw" 2>&1 || true
    sed -e "s|$d|<D>|g" -e "s|$J|<JOURNAL>|g" -e 's|SHA256:[A-Za-z0-9+/]\{43\}|SHA256:<fp>        |g' \
        "$d.raw" | perl -pe 's/age1[a-z0-9]{5,}/"age1<key>" . " " x (length($&) - 9)/ge' > "$d.out"
    want="$screens/$name.screen"
    if [ "${UPDATE_SCREENS:-}" = 1 ]; then cp "$d.out" "$want"; fi
    if diff -u "$want" "$d.out" > "$d.diff" 2>&1; then ok "screen ops/$name"; else fail "screen ops/$name"; head -60 "$d.diff"; fi
done

# units: what the view wrote is what `clan-tui units` writes
u=$T/units
"$CLAN_TUI" units "$u/clan.nix" --out "$T/units-cli" --machine postgres-server 2>/dev/null
check "units: the view wrote the files of clan-tui units" diff -r "$T/units-cli/postgres-server" "$u/out/postgres-server"
check "units: scripts are executable" test -x "$u/out/postgres-server/usr/local/lib/clan-borgbackup/borgbackup-job-backup-server"
check "units: clan.nix unchanged" cmp -s "$top_srcdir/samples/multi-destination.nix" "$u/clan.nix"

# keys: generated in Clan's layout, secrets 0600, never on the screen
k=$T/keys
pub=$k/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub/value
check "keys: alice's public key beside clan.nix" test -s "$pub"
check "keys: her private key is 0600" test "$(stat -c %a "$k-secrets/alice-laptop/borgbackup/borgbackup.ssh")" = 600
check "keys: the fingerprint shown is the key's" grep -qF "$(ssh-keygen -lf "$pub" | awk '{print $2}')" "$k.raw"
check "keys: no private key on any screen" sh -c '! grep -q "PRIVATE KEY" "$1"' _ "$k.raw"
pp=$(cat "$k-secrets/alice-laptop/borgbackup/borgbackup.repokey")
check "keys: the passphrase is never shown" sh -c '! grep -qF "$1" "$2"' _ "$pp" "$k.raw"
check "keys: the host key of backup-server" test -s "$k/vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub/value" -o \
    -n "$(ls "$k/vars/per-machine/backup-server/openssh" 2>/dev/null)"

# keys in Clan's sops layout: what the view generated is what keygen writes (the same files
# and links, each secret encrypted to its machine and the admin), readable with the machine's
# key as sops-nix reads it; a refusal writes nothing
g=$T/keys-generate
c=$T/keys-cli
mkdir -p "$c" && cp "$top_srcdir/samples/two-machines.nix" "$c/clan.nix"
(cd "$c" && "$top_srcdir/tests/keys-view-setup.sh" users && SOPS_AGE_KEY_FILE=alice.txt \
    XDG_DATA_HOME=$c.data "$CLAN_TUI" keygen clan.nix >/dev/null 2>&1)
layout() { (cd "$1" && find vars sops -printf '%p %y %l\n' | LC_ALL=C sort); }
layout "$g" >"$T/layout-view"
layout "$c" >"$T/layout-cli"
check "keys: the view wrote keygen's files and links" sh -c '[ -s "$1" ] && cmp -s "$1" "$2"' _ "$T/layout-view" "$T/layout-cli"
check "keys: every secret encrypted to its machine and alice" sh -c 'for f in $(find "$1/vars" -name secret); do
    m=$(echo "$f" | sed "s|.*/per-machine/\([^/]*\)/.*|\1|")
    want=$( (sed -n "s/.*\"publickey\": \"\(age1[a-z0-9]*\)\".*/\1/p" "$1/sops/machines/$m/key.json" "$1/sops/users/alice/key.json") | LC_ALL=C sort | tr "\n" " ")
    got=$(jq -r ".sops.age[].recipient" "$f" | LC_ALL=C sort | tr "\n" " ")
    [ "$got" = "$want" ] || { echo "$f: $got != $want"; exit 1; }
done' _ "$g"
pub=$g/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub/value
(cd "$g" && SOPS_AGE_KEY_FILE=alice.txt "$CLAN_TUI" vars get . alice-laptop borgbackup/borgbackup.ssh >"$T/alice.key" && chmod 600 "$T/alice.key")
check "keys: the private key alice decrypts belongs to the public value" sh -c '[ "$(ssh-keygen -y -f "$1" | cut -d" " -f2)" = "$(cut -d" " -f2 "$2")" ]' _ "$T/alice.key" "$pub"
check "keys: no plaintext secret in the clan" sh -c '! grep -rq "PRIVATE KEY" "$1/vars" "$1/sops"' _ "$g"
check "keys: a refusal (no user) wrote nothing" sh -c '[ ! -e "$1/vars" ] && [ ! -e "$1/sops/machines" ]' _ "$T/keys-nouser"

# map: the edit is in memory only (not written)
check "map: clan.nix unchanged without w" cmp -s "$top_srcdir/samples/two-machines.nix" "$T/map/clan.nix"

# usage errors of the new options
expect_status 2 "--journal-dir and --journal-file together" "$CLAN_TUI" screen --journal-dir /x --journal-file /y "$top_srcdir/samples/two-machines.nix"
expect_status 2 "--units-dir needs a value" "$CLAN_TUI" screen --units-dir
finish
