# clan-tui journal --host: journalctl -o export over SSH to a real sshd on 127.0.0.1. The
# test key's authorized_keys entry forces a wrapper, so the "remote" journalctl reads this
# test's journal directory. Follow, kill the connection, see the reconnect (no entry lost
# or repeated); a changed host key is refused; the output equals the local one.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
have ssh-keygen || { echo "skip: ssh-keygen missing"; exit 77; }

sshd_start "$T/sshd" || exit $?
ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/id"
D=$T/journal
mkdir -p "$D" "$T/bin"
journal_export "$top_srcdir/tests/journal-sample.export.in" "$T/sample.export"
journal_write "$D/system.journal" < "$T/sample.export"

# the forced command: journalctl on this machine, on the test's journal directory; it
# records the command line and its pid (so the test can end the session)
cat > "$T/bin/journalctl" <<EOS
#!/bin/sh
echo "\$\$" > "$T/remote.pid"
exec "$(command -v journalctl)" --directory="\$(cat "$T/journal-dir")" "\$@"
EOS
chmod +x "$T/bin/journalctl"
echo "$D" > "$T/journal-dir"
cat > "$T/forced" <<EOS
#!/bin/bash
echo "\$SSH_ORIGINAL_COMMAND" >> "$T/remote-commands"
PATH="$T/bin:\$PATH" exec bash -c "\$SSH_ORIGINAL_COMMAND"
EOS
chmod +x "$T/forced"
echo "command=\"$T/forced\",no-pty $(cat "$T/id.pub")" >> "$T/sshd/authorized_keys"

H=root@127.0.0.1:$SSHD_PORT
KH=$T/known_hosts
ssh_opts=(--host "$H" -i "$T/id" --known-hosts "$KH")

# not following: the same bytes as journalctl on the same files
set +e
"$CLAN_TUI" journal "${ssh_opts[@]}" -o short-iso > "$T/remote.out" 2> "$T/remote.err"
st=$?
set -e
check "remote run succeeded" test "$st" -eq 0
cat "$T/remote.err"
journalctl --directory="$D" -u 'borgbackup-job-*' -o short-iso > "$T/local.out"
check "remote output equals journalctl's" cmp "$T/remote.out" "$T/local.out"
diff "$T/local.out" "$T/remote.out" | head -5 || true
check "new host key accepted and recorded" grep -q "127.0.0.1" "$KH"
check "the host key is noted" grep -q "new host key" "$T/remote.err"
check "the remote journalctl got -o export" grep -q -- "-o export" "$T/remote-commands"

"$CLAN_TUI" journal "${ssh_opts[@]}" -p err -n 3 -o short-iso > "$T/remote.out"
journalctl --directory="$D" -u 'borgbackup-job-*' -p err -n 3 -o short-iso > "$T/local.out"
check "remote with -p err -n 3" cmp "$T/remote.out" "$T/local.out"

"$CLAN_TUI" journal "${ssh_opts[@]}" --status > "$T/status"
check "remote --status" grep -q -F 'result    failed (exit-code), status=2/INVALIDARGUMENT' "$T/status"

# FILE --machine: the machine's deploy.targetHost from clan.nix
cat > "$T/clan.nix" <<EON
{
  meta.name = "JOURNAL-TEST";
  inventory.machines = {
    alice-laptop = { deploy.targetHost = "$H"; tags = [ ]; };
    no-host = { tags = [ ]; };
  };
}
EON
"$CLAN_TUI" journal "$T/clan.nix" --machine alice-laptop -i "$T/id" --known-hosts "$KH" \
    -n 3 -o short-iso > "$T/inv.out"
journalctl --directory="$D" -u 'borgbackup-job-*' -n 3 -o short-iso > "$T/local.out"
check "FILE --machine uses deploy.targetHost" cmp "$T/inv.out" "$T/local.out"
expect_status 1 "FILE --machine without targetHost" \
    "$CLAN_TUI" journal "$T/clan.nix" --machine no-host -i "$T/id" --known-hosts "$KH"
expect_status 1 "FILE --machine unknown machine" \
    "$CLAN_TUI" journal "$T/clan.nix" --machine nobody -i "$T/id" --known-hosts "$KH"
expect_status 2 "FILE without --machine" "$CLAN_TUI" journal "$T/clan.nix"

# keys from the agent (no -i)
if have ssh-agent && have ssh-add; then
    eval "$(ssh-agent -a "$T/agent.sock" -s)" > /dev/null
    ssh-add -q "$T/id" 2> /dev/null
    "$CLAN_TUI" journal --host "$H" --known-hosts "$KH" -n 3 -o short-iso > "$T/agent.out"
    check "key from the ssh agent" cmp "$T/agent.out" "$T/local.out"
    kill "$SSH_AGENT_PID"
    unset SSH_AUTH_SOCK SSH_AGENT_PID
fi

# the remote journalctl fails: its exit status and message are reported
set +e
"$CLAN_TUI" journal "${ssh_opts[@]}" -u 'no-such-unit-*' > "$T/fail.out" 2> "$T/fail.err"
st=$?
set -e
check "remote journalctl failure: exit 1" test "$st" -eq 1
check "remote journalctl failure: says why" \
    grep -q "journalctl exited with status 1: Failed to add filter for units" "$T/fail.err"

# known host now: no notice the second time
"$CLAN_TUI" journal "${ssh_opts[@]}" -n 1 > /dev/null 2> "$T/remote.err"
check "known host: quiet" test ! -s "$T/remote.err"

# following, with a connection that is killed. (A fresh journal of one boot: journalctl 252
# -f does not show entries appended to the multi-boot sample files, remote or not.)
F=$T/follow-journal
mkdir -p "$F"
echo "$F" > "$T/journal-dir"
rt=1764300000000000
journal_entry $rt borgbackup-job-a.service "remote follow 0" | journal_write "$F/system.journal"
mkfifo "$T/out"
"$CLAN_TUI" journal "${ssh_opts[@]}" -f -n 2 -o short-iso > "$T/out" 2> "$T/follow.err" &
follower=$!
stop_follower() { kill "$follower" 2>/dev/null || true; wait "$follower" 2>/dev/null || true; }
trap 'stop_follower; sshd_stop; rm -rf $cleanup_dirs' EXIT
exec 3< "$T/out"
check "follow: the last entry" expect_line "remote follow 0"
rt=$((rt + 1000000))
journal_entry $rt borgbackup-job-a.service "remote follow 1" | journal_write "$F/system.journal"
check "follow: a new entry arrives over ssh" expect_line "remote follow 1"

# kill the session: the connection's sshd process (a child of the test's sshd)
for p in $(pgrep -P "$SSHD_PID"); do kill "$p"; done
# while disconnected an entry is written; after the reconnect it must arrive, once
rt=$((rt + 1000000))
journal_entry $rt borgbackup-job-a.service "written while disconnected" | journal_write "$F/system.journal"
check "after the reconnect: the entry written meanwhile" expect_line "written while disconnected"
rt=$((rt + 1000000))
journal_entry $rt borgbackup-job-a.service "remote follow 2" | journal_write "$F/system.journal"
check "after the reconnect: new entries" expect_line "remote follow 2"
check "the reconnect was announced" grep -q "reconnecting in" "$T/follow.err"
check "and reported" grep -q "reconnected" "$T/follow.err"
check "resumed after the last cursor" grep -q -- "--after-cursor=" "$T/remote-commands"
stop_follower
cat "$T/follow.err"

# a changed host key is refused, with a clear message, and nothing is shown
sshd_stop
rm -f "$T/sshd/host_ed25519" "$T/sshd/host_ed25519.pub"
cp "$KH" "$T/known_hosts.before"
sshd_start "$T/sshd" || exit $?
# the new sshd may listen on another port: record the old key under the new port too
sed "s/\]:[0-9]*/]:$SSHD_PORT/" "$T/known_hosts.before" > "$KH"
H=root@127.0.0.1:$SSHD_PORT
set +e
"$CLAN_TUI" journal --host "$H" -i "$T/id" --known-hosts "$KH" > "$T/changed.out" 2> "$T/changed.err"
st=$?
set -e
check "changed host key: exit 1" test "$st" -eq 1
check "changed host key: nothing shown" test ! -s "$T/changed.out"
check "changed host key: clear message" grep -q "host key of .* has CHANGED" "$T/changed.err"
check "known_hosts left as it was" cmp "$KH" <(sed "s/\]:[0-9]*/]:$SSHD_PORT/" "$T/known_hosts.before")
cat "$T/changed.err"

# strict policy: an unknown host is refused
set +e
"$CLAN_TUI" journal --host "$H" -i "$T/id" --known-hosts "$T/empty_known_hosts" --strict-host-keys \
    > /dev/null 2> "$T/strict.err"
st=$?
set -e
check "strict: unknown host refused" test "$st" -eq 1
check "strict: says so" grep -q "unknown host key" "$T/strict.err"

# a wrong key is refused without retrying
ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/other"
set +e
"$CLAN_TUI" journal --host "$H" -i "$T/other" --known-hosts "$T/kh2" > /dev/null 2> "$T/auth.err"
st=$?
set -e
check "unauthorized key: exit 1" test "$st" -eq 1
check "unauthorized key: says so" grep -q "authentication refused" "$T/auth.err"
finish
