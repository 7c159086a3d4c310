#!/bin/bash
# Screen tests of the operating views (units U, keys K, journal J, schedule map S) through
# the headless harness: every tests/screens/ops/NAME.keys runs on a fresh copy of the sample
# on its `# file:` line (as clan.nix in a temporary directory D) with the options of its
# `# args:` line (@D@ is D, @JOURNAL@ a journal file made by systemd-journal-remote from
# tests/journal-sample.export.in); its screens, with D written as <D> and key fingerprints
# as SHA256:<fp>, must equal NAME.screen. UPDATE_SCREENS=1 rewrites them.
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
    cp "$top_srcdir/$file" "$d/clan.nix"
    # shellcheck disable=SC2086
    (cd "$d" && env TERM=xterm-256color "$CLAN_TUI" screen --keys "$keys" --size 110x32 $args clan.nix) \
        > "$d.raw" 2>&1 || true
    sed -e "s|$d|<D>|g" -e "s|$J|<JOURNAL>|g" -e 's|SHA256:[A-Za-z0-9+/]\{43\}|SHA256:<fp>        |g' \
        "$d.raw" > "$d.out"
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

# map: the edit is in memory only (not written)
check "map: clan.nix unchanged without w" cmp -s "$top_srcdir/samples/two-machines.nix" "$T/map/clan.nix"

# usage errors of the new options
expect_status 2 "--journal-dir and --journal-file together" "$CLAN_TUI" screen --journal-dir /x --journal-file /y "$top_srcdir/samples/two-machines.nix"
expect_status 2 "--units-dir needs a value" "$CLAN_TUI" screen --units-dir
finish
