#!/bin/bash
# The backups view (B) and the tree's backup marks (issue 17) through the headless harness,
# against real SSH: two OpenSSH servers on 127.0.0.1 (tests/sshd-lib.sh) stand for two
# machines. These hosts run no systemd, so each server's sessions find on their PATH (sshd's
# SetEnv) a stand-in `systemctl` that prints `systemctl show` output SAVED from the real
# systemd 252 of tests/backups-container.sh (tests/backups-show/, see its README): alpha's
# succeeded.txt (local ok, second never ran), beta's failed.txt (second failed, exit 2).
# A third machine's port refuses connections, a fourth is the first server under a name
# whose known host key is another host's, a fifth is a port that accepts and never answers
# (timed out after --ssh-timeout). Every tests/screens/backups/NAME.keys runs with the
# options of its `# args:` line and CLAN_TUI_NOW of its `# now:` line; its screens, with the
# ports written as <PORT>, must equal NAME.screen (UPDATE_SCREENS=1 rewrites them).
# Back up now against real systemd is in tests/backups-container.sh.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
unset XDG_CONFIG_HOME NO_COLOR ESCDELAY
screens="$top_srcdir/tests/screens/backups"
pids=()
trap 'sshd_stop; for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf $cleanup_dirs' EXIT

ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/id"
mkdir -p "$T/home"
# start_machine NAME FIXTURE: an sshd whose sessions' systemctl prints the saved FIXTURE
start_machine() {
    mkdir -p "$T/$1/bin"
    cat > "$T/$1/bin/systemctl" <<EOS
#!/bin/sh
# stand-in: what systemd 252 printed for \`systemctl show\` of these units (saved fixture)
[ "\$1" = show ] || { echo "systemctl stand-in: only show is saved" >&2; exit 1; }
exec cat "$top_srcdir/tests/backups-show/$2"
EOS
    chmod +x "$T/$1/bin/systemctl"
    SSHD_EXTRA_CONFIG="SetEnv PATH=$T/$1/bin:/usr/bin:/bin HOME=$T/home" sshd_start "$T/$1/sshd" || exit $?
    cp "$T/id.pub" "$T/$1/sshd/authorized_keys"
    pids+=("$SSHD_PID")
    SSHD_PID=
}
start_machine alpha succeeded.txt
A_PORT=$SSHD_PORT
start_machine beta failed.txt
B_PORT=$SSHD_PORT
# a port nobody listens on, and one that accepts and never says a word
REFUSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1]); sys.stdout.flush()
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' > "$T/silent.port" &
pids+=($!)
while [ ! -s "$T/silent.port" ]; do sleep 0.05; done
SILENT=$(cat "$T/silent.port")
# known hosts: alpha's key under localhost:A_PORT is another host's
ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/otherhost"
echo "[localhost]:$A_PORT $(cut -d' ' -f1,2 "$T/otherhost.pub")" > "$T/known_hosts"
U=$(id -un)
cat > "$T/clan.nix" <<EON
{
  meta.name = "fleet-status";
  inventory.machines = {
    alpha.deploy.targetHost = "$U@127.0.0.1:$A_PORT";
    beta.deploy.targetHost = "$U@127.0.0.1:$B_PORT";
    changed.deploy.targetHost = "$U@localhost:$A_PORT";
    refused.deploy.targetHost = "$U@127.0.0.1:$REFUSED";
    silent.deploy.targetHost = "$U@127.0.0.1:$SILENT";
  };
  inventory.instances.borgbackup.roles.client.tags.all.settings.destinations = {
    local = { repo = "/var/lib/borg-local"; rsh = "ssh"; };
    second = { repo = "/var/lib/borg-second"; rsh = "ssh"; };
  };
  machines = {
    alpha.clan.core.state.data.folders = [ "/srv/data" ];
    beta.clan.core.state.data.folders = [ "/srv/data" ];
    changed.clan.core.state.data.folders = [ "/srv/data" ];
    refused.clan.core.state.data.folders = [ "/srv/data" ];
    silent.clan.core.state.data.folders = [ "/srv/data" ];
  };
}
EON
cp "$T/clan.nix" "$T/clan.nix.orig"

for keys in "$screens"/*.keys; do
    scr=$(basename "$keys" .keys)
    now=$(sed -n 's/^# now: //p' "$keys")
    args=$(sed -n 's/^# args: //p' "$keys")
    cp "$T/known_hosts" "$T/kh-$scr"
    conns() { cat "$T"/alpha/sshd/sshd.log "$T"/beta/sshd/sshd.log | grep -c "Connection from" || true; }
    before=$(conns)
    # shellcheck disable=SC2086
    (cd "$T" && env TERM=xterm-256color CLAN_TUI_NOW="$now" "$CLAN_TUI" screen --keys "$keys" \
        --size 160x34 --identity "$T/id" --known-hosts "$T/kh-$scr" --ssh-timeout 2 $args clan.nix) \
        > "$T/$scr.raw" 2>&1 || true
    sed -e "s|:$A_PORT\b|:<PORT>|g" -e "s|:$B_PORT\b|:<PORT>|g" -e "s|:$REFUSED\b|:<PORT>|g" \
        -e "s|:$SILENT\b|:<PORT>|g" -e "s|$U@|<USER>@|g" -e 's|SHA256:[A-Za-z0-9+/]*|SHA256:<fp>|g' "$T/$scr.raw" > "$T/$scr.out"
    if [ "$scr" = open ]; then
        check "opening the clan and the view contacted no host (sshd logs)" test "$(conns)" -eq "$before"
        check "every row: not asked" test "$(grep -c "not asked (r)" "$T/$scr.out")" -eq 10
    fi
    want="$screens/$scr.screen"
    if [ "${UPDATE_SCREENS:-}" = 1 ]; then cp "$T/$scr.out" "$want"; fi
    if diff -u "$want" "$T/$scr.out" > "$T/$scr.diff" 2>&1; then ok "screen backups/$scr"; else fail "screen backups/$scr"; head -60 "$T/$scr.diff"; fi
done

v=$T/view.raw
check "r asked both servers" test "$(conns)" -gt 0
check "alpha: local ok, second never ran (succeeded.txt)" grep -q "alpha .*local .*ok 1h 31min ago" "$v"
check "beta: second failed with its status (failed.txt)" grep -q "second .*failed, exit status 2" "$v"
check "refused: its rows say so" grep -q "refused .*unreachable: .*refused" "$v"
check "silent: timed out" grep -q "silent .*unreachable: .*timed out after 2 s" "$v"
check "changed: the host key change is refused" grep -q "changed .*unreachable: .*CHANGED" "$v"
check "the clan file is unchanged" cmp -s "$T/clan.nix" "$T/clan.nix.orig"
check "alpha's known key was not replaced" grep -q "$(cut -d' ' -f2 "$T/otherhost.pub")" "$T/kh-view"

# status-every in the config: the view asks the fleet on its timer, no r pressed
printf 'status-every: 1\n' > "$T/config.yaml"
printf 'key B\nwait ok 1h 31min ago\ndump every\n' > "$T/every.keys"
cp "$T/known_hosts" "$T/kh-every"
(cd "$T" && env TERM=xterm-256color CLAN_TUI_NOW="2026-12-07 20:00:00 UTC" "$CLAN_TUI" screen --keys "$T/every.keys" --size 160x34 \
    --identity "$T/id" --known-hosts "$T/kh-every" --ssh-timeout 2 --config "$T/config.yaml" \
    clan.nix) > "$T/every.raw" 2>&1 || true
check "status-every: 1 in the config: the status came without r" \
    grep -q "local .*ok 1h 31min ago" "$T/every.raw"
finish
