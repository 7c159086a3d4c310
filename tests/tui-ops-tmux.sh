#!/bin/bash
# The operating views end to end, black box: the real binary in tmux (its own poll loop).
#  1. Units: open samples/multi-destination.nix, select postgres-server, U, w, y: the units
#     land in a temporary directory and `systemd-analyze verify` accepts them.
#  2. Journal follow: J on a journal directory; entries appended by systemd-journal-remote
#     while the view is open appear; f pauses (the count still grows), f follows again.
#  3. Remote journal: J on a machine whose deploy.targetHost is an sshd started here on
#     127.0.0.1; the status line shows the connection, entries arrive and are followed.
# Every step waits for a visible state (polling the pane), never a fixed time; the tmux
# server and sshd are stopped on exit.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
. "$top_srcdir/tests/tui-tmux-lib.sh"
trap 'cleanup_tmux; sshd_stop; rm -rf $cleanup_dirs' EXIT
export CLAN_TUI_NOW="2026-11-26 12:00:00 UTC"
# tmux may mark a pane dead without ever recording its exit status, so start() runs a
# shell around the real binary that writes the status to a file; quits waits for it (and
# shows the pane, e.g. a sanitizer report, when it is not 0).
REAL_CLAN_TUI=$CLAN_TUI
CLAN_TUI=$T/clan-tui-status
printf '#!/bin/sh\nrm -f "%s/status"\n"%s" "$@"\necho $? > "%s/status"\n' "$T" "$REAL_CLAN_TUI" "$T" > "$CLAN_TUI"
chmod +x "$CLAN_TUI"
quits() {
    local i=0
    while [ ! -s "$T/status" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done # up to 60 s
    [ "$(cat "$T/status" 2>/dev/null)" = 0 ] && return 0
    echo "exit status '$(cat "$T/status" 2>/dev/null)'"
    tm capture-pane -p -t t -S -60 | grep -v '^$'
    return 1
}

# ---- 1. units ----
if have systemd-analyze; then
    mkdir -p "$T/u"
    cp "$top_srcdir/samples/multi-destination.nix" "$T/u/clan.nix"
    SD=$T/inst/scripts
    cd "$T/u"
    start -- --units-dir "$T/u/out" --script-dir "$SD" clan.nix
    check "units: starts" wait_for 'MY-BACKUP-CLAN'
    tm send-keys -t t / postgres-server Enter
    check "units: postgres-server selected" wait_for '┌ postgres-server'
    tm send-keys -t t U
    check "units: the view lists the files" wait_for '19 files: 19 new, 0 changed, 0 unchanged'
    check "units: the summary lists the service" \
        wait_for 'new        0644  /etc/systemd/system/borgbackup-job-backup-server.service'
    tm send-keys -t t j j Enter
    check "units: Enter on its row shows the service" \
        wait_for '── /etc/systemd/system/borgbackup-job-backup-server.service  0644  new'
    tm send-keys -t t w
    check "units: w asks" wait_for 'Write 19 new and 0 changed files of postgres-server'
    tm send-keys -t t y
    check "units: y writes" wait_for 'wrote 19 files to .*/out/postgres-server/'
    tm send-keys -t t Escape
    wait_for "┌ Inventory" > /dev/null
    tm send-keys -t t q
    check "units: quits" quits
    m=$T/u/out/postgres-server
    units=("$m"/etc/systemd/system/*.service "$m"/etc/systemd/system/*.timer)
    check "units: 2 services and 2 timers written" test "${#units[@]}" -eq 4
    mkdir -p "$T/inst" && cp -a "$m$SD" "$SD"
    set +e
    systemd-analyze verify "${units[@]}" > "$T/verify.log" 2>&1
    rc=$?
    set -e
    check "units: systemd-analyze verify accepts them" test "$rc" -eq 0
    check "units: ... without a warning" test ! -s "$T/verify.log"
    cat "$T/verify.log"
    cd "$T"
else
    echo "skip: systemd-analyze not installed (units part)"
fi

# ---- 2. journal follow ----
JD=$T/jd
mkdir -p "$JD"
rt=1764118800000000
journal_entry $rt borgbackup-job-backup-server.service "before following" | journal_write "$JD/system.journal"
append() { # append MESSAGE
    rt=$((rt + 1000000))
    journal_entry $rt borgbackup-job-backup-server.service "$1" | journal_write "$JD/system.journal"
}
cp "$top_srcdir/samples/two-machines.nix" "$T/clan.nix"
cd "$T"
start -- --journal-dir "$JD" clan.nix
check "journal: starts" wait_for 'MY-BACKUP-CLAN'
tm send-keys -t t / alice-laptop Enter
check "journal: alice-laptop selected" wait_for '┌ alice-laptop'
tm send-keys -t t J
check "journal: the entry that was there" wait_for 'alice-laptop borgbackup-job-backup-server.service: before following'
check "journal: following, 1 entry" wait_for '\[follow\]  1 entry'
for i in 1 2 3; do
    append "appended while open $i"
    check "journal: appended entry $i appears" wait_for "appended while open $i"
done
tm send-keys -t t f
check "journal: f pauses" wait_for '\[paused\]  4 entries'
append "appended while paused"
check "journal: paused, the entry is still collected" wait_for '\[paused\]  5 entries'
tm send-keys -t t f
check "journal: f follows again and shows it" wait_for 'appended while paused'
tm send-keys -t t Escape
wait_for "┌ Inventory" > /dev/null
tm send-keys -t t q
check "journal: quits" quits

# the local journal when the machine is this host (its jobs' units, even before a first run)
h=$(hostname -s)
# each lone file in a directory of its own: beside clan.nix it would be read as part of that clan
mkdir -p "$T/local"
sed "s/alice-laptop/$h/g" "$top_srcdir/samples/two-machines.nix" > "$T/local/local.nix"
start -- local/local.nix
check "local: starts" wait_for 'MY-BACKUP-CLAN'
tm send-keys -t t / "$h" Enter
check "local: this host selected" wait_for "┌ $h "
tm send-keys -t t J
check "local: the local journal" wait_for "Journal · $h · local journal"
check "local: its state in the status line" wait_for "local journal.*\\[follow\\]"
tm send-keys -t t Escape
wait_for "┌ Inventory" > /dev/null
tm send-keys -t t q
check "local: quits" quits

# ---- 3. remote journal over ssh ----
if have ssh-keygen && sshd_start "$T/sshd"; then
    ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/id"
    RD=$T/remote-journal
    mkdir -p "$RD" "$T/bin"
    rt=1764300000000000
    journal_entry $rt borgbackup-job-backup-server.service "remote entry 0" | journal_write "$RD/system.journal"
    cat > "$T/bin/journalctl" <<EOS
#!/bin/sh
exec "$(command -v journalctl)" --directory="$RD" "\$@"
EOS
    chmod +x "$T/bin/journalctl"
    cat > "$T/forced" <<EOS
#!/bin/bash
PATH="$T/bin:\$PATH" exec bash -c "\$SSH_ORIGINAL_COMMAND"
EOS
    chmod +x "$T/forced"
    echo "command=\"$T/forced\",no-pty $(cat "$T/id.pub")" >> "$T/sshd/authorized_keys"
    mkdir -p "$T/remote"
    sed "s|root@192.168.56.101|root@127.0.0.1:$SSHD_PORT|" "$top_srcdir/samples/two-machines.nix" > "$T/remote/remote.nix"
    start -- --identity "$T/id" --known-hosts "$T/known_hosts" remote/remote.nix
    check "remote: starts" wait_for 'MY-BACKUP-CLAN'
    tm send-keys -t t / alice-laptop Enter
    check "remote: alice-laptop selected" wait_for '┌ alice-laptop'
    tm send-keys -t t J
    check "remote: the title names the target" wait_for "Journal · alice-laptop · root@127.0.0.1:$SSHD_PORT"
    check "remote: the entry arrives over ssh" wait_for 'remote entry 0'
    check "remote: connected, in the status line" wait_for "ssh root@127.0.0.1:$SSHD_PORT.*connected|ssh root@127.0.0.1:$SSHD_PORT.*following"
    rt=$((rt + 1000000))
    journal_entry $rt borgbackup-job-backup-server.service "remote entry 1" | journal_write "$RD/system.journal"
    check "remote: an entry appended on the remote side is followed" wait_for 'remote entry 1'
    check "remote: the host key was recorded" grep -q 127.0.0.1 "$T/known_hosts"
    tm send-keys -t t Escape
    wait_for "┌ Inventory" > /dev/null
    tm send-keys -t t q
    check "remote: quits" quits
else
    echo "skip: sshd or ssh-keygen missing (remote part)"
fi
finish
