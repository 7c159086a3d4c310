#!/bin/bash
# clan-tui backups against a real machine: a Debian 12 root booted with systemd-nspawn
# (tests/container-lib.sh), holding the units and commands `clan-tui units` wrote for the
# client of a sample clan, reached over its sshd on a loopback port. End to end: back up now
# (real systemctl start, the job's journal followed live), status from real systemctl show,
# archives listed (borgbackup-list's names, with time and sizes from borg info), files deleted and altered, one
# archive restored (the same bytes back, the restore hooks around the extract, in order), a
# failing pre-restore hook stopping its state with its folders untouched; hostile archive,
# state and folder names reaching borg literally; a fleet where one host refuses, one never
# answers, one shows another host key, and a restore whose connection is killed midway.
# Skips (saying why) where the container cannot start; never answers for it.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/container-lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
# run CMD...: runs it without stopping the test; its exit status in $rc
run() { set +e; "$@"; rc=$?; set -e; }
trap 'ct_stop; rm -rf $cleanup_dirs' EXIT
ct_root || skip "$CT_SKIP"
ct_boot "$T" || skip "$CT_SKIP"

# the hostile names: quotes, $(), spaces, newlines, "::" (never '/' in an archive name:
# borg refuses it)
HSTATE="h'o \"s\" \$(touch /pwned-state)"
HFOLDER=$'/srv/h o\'s "q" $(touch /pwned-folder)\nnl'
HARCHIVE="ar'c \"q\" \$(touch pwned-archive) :: x"

mkdir -p "$T/clan"
cat > "$T/clan/clan.nix" <<EOF
{
  meta.name = "backups-test";
  inventory.machines.clan-test.deploy.targetHost = "root@127.0.0.1:$CT_PORT";
  inventory.instances.borgbackup = {
    roles.client.machines.clan-test.settings.destinations = {
      local = { repo = "/var/lib/borg-local"; rsh = "ssh"; };
      second = { repo = "/var/lib/borg-second"; rsh = "ssh"; };
    };
  };
  machines.clan-test = {
    clan.core.state.data = {
      folders = [ "/srv/data" ];
      preRestoreScript = ''
        echo "pre-restore data: b=\$(cat /srv/data/b)" >> /var/lib/marks
        # a connection killed midway: the sshd child serving this session dies
        if [ -e /run/drop-ssh ]; then
          rm /run/drop-ssh
          echo "killing \$(cat /proc/\$PPID/comm) \$PPID" >> /var/lib/marks
          kill -KILL "\$PPID"
          sleep 5
        fi
      '';
      postRestoreScript = ''
        echo "post-restore data: b=\$(cat /srv/data/b)" >> /var/lib/marks
      '';
    };
    clan.core.state.broken = {
      folders = [ "/srv/broken" ];
      preRestoreScript = ''
        echo "pre-restore broken" >> /var/lib/marks
        echo "the broken state's pre-restore hook fails" >&2
        exit 3
      '';
      postRestoreScript = ''
        echo "post-restore broken" >> /var/lib/marks
      '';
    };
    clan.core.state."h'o \"s\" \$(touch /pwned-state)" = {
      folders = [ "/srv/h o's \"q\" \$(touch /pwned-folder)\nnl" ];
      preRestoreScript = ''
        echo "pre-restore hostile" >> /var/lib/marks
      '';
      postRestoreScript = ''
        echo "post-restore hostile" >> /var/lib/marks
      '';
    };
  };
}
EOF
C=$T/clan/clan.nix
cp "$C" "$T/clan-orig.nix" # the UI part below runs on the clan as written here
O=(-i "$CT_KEY" --known-hosts "$CT_KNOWN_HOSTS")

# ---- install what clan-tui units writes, as a deployment would ----
check "units writes the client's files" "$CLAN_TUI" units "$C" --out "$T/units"
U=$T/units/clan-test
for f in borgbackup-create borgbackup-list borgbackup-restore borg-job-local borg-job-second \
         pre-restore-data post-restore-data pre-restore-broken; do
    check "units writes usr/local/bin/$f" test -x "$U/usr/local/bin/$f"
done
tar -C "$U" -cf - . | ct_ssh 'tar -C / --no-same-owner -xf -'
# the secrets a deployment brings, the local repositories' disks, the state's data
ct_ssh 'set -e
    systemctl daemon-reload
    systemctl enable --now -q borgbackup-job-local.timer borgbackup-job-second.timer
    mkdir -p /run/secrets/vars/borgbackup /var/lib/borg-local /var/lib/borg-second
    echo correct-horse-battery-staple > /run/secrets/vars/borgbackup/borgbackup.repokey
    mkdir -p /srv/data/sub /srv/broken
    head -c 100000 /dev/urandom > /srv/data/a
    echo two > /srv/data/b
    printf "three\n\0binary" > /srv/data/sub/c
    echo keep > /srv/broken/x'
printf '%s' "$HFOLDER" | ct_ssh 'f=$(cat); mkdir -p "$f"; echo hostile > "$f/file"'
sums() { ct_ssh 'cd /srv && find data -type f | sort | xargs sha256sum'; }
sums > "$T/sums.before"

# ---- status before anything ran ----
run "$CLAN_TUI" backups status "$C" "${O[@]}" --json > "$T/st0.json" 2> "$T/st0.err"
check "status answers (exit 0)" test "$rc" -eq 0
check "status: local never ran" \
    test "$(jq -r '.machines[0].jobs[0].state' "$T/st0.json")" = "never ran"
check "status: the timer's next elapse" \
    test "$(jq -r '.machines[0].jobs[0].timer_next' "$T/st0.json")" != null

# ---- back up now: one job, its journal live ----
run "$CLAN_TUI" backups create "$C" clan-test --job local "${O[@]}" > "$T/create1.out" 2> "$T/create1.err"
check "create --job local succeeds" test "$rc" -eq 0
check "create: the job's journal followed live (borg create)" \
    grep -q 'borgbackup-job-local\[[0-9]*\]: + borg create' "$T/create1.out"
check "create: ... and systemd's end of the job" \
    grep -q 'Finished borgbackup-job-local.service' "$T/create1.out"
check "create: then the result" grep -q '^clan-test *local *ok ' "$T/create1.out"
check "create: the journal comes before the result" \
    test "$(grep -n 'borg create' "$T/create1.out" | head -n 1 | cut -d: -f1)" -lt \
         "$(grep -n '^clan-test *local' "$T/create1.out" | cut -d: -f1)"

# a second archive (its name is taken when the job starts, seconds after the first one's)
check "create (every job: borgbackup-create)" "$CLAN_TUI" backups create "$C" clan-test "${O[@]}"

"$CLAN_TUI" backups status "$C" clan-test "${O[@]}" --json > "$T/st1.json"
check "status from systemctl show: local ok" \
    test "$(jq -r '.machines[0].jobs[0].state' "$T/st1.json")" = ok
check "status: second ok" test "$(jq -r '.machines[0].jobs[1].state' "$T/st1.json")" = ok
check "status: start and end times" \
    test "$(jq -r '.machines[0].jobs[0] | (.last_start != null and .last_end >= .last_start)' "$T/st1.json")" = true

# ---- the archives ----
"$CLAN_TUI" backups list "$C" clan-test "${O[@]}" --json > "$T/list.json"
ct_ssh borgbackup-list > "$T/list.remote"
check "list --json: borgbackup-list's archives, names and order" \
    cmp <(jq '[.[] | {name}]' "$T/list.json") <(jq '[.[] | {name}]' "$T/list.remote")
check "list --json: every archive has its time and sizes (borg info through borg-job-DEST)" \
    test "$(jq '[.[] | select(.time != null and .original_size > 0 and .compressed_size > 0 and .deduplicated_size >= 0 and .nfiles > 0)] | length' "$T/list.json")" -eq 3
ct_ssh 'echo y | borg-job-local list --json' > "$T/borglist.json"
check "list --json: the times are borg's own for each archive" \
    test "$(jq -r '[.[] | select(.name | startswith("local::")) | (.name | sub("^local::[^:]*::"; "")) + " " + .time] | sort | join(",")' "$T/list.json")" = \
         "$(jq -r '[.archives[] | .name + " " + .time] | sort | join(",")' "$T/borglist.json")"
"$CLAN_TUI" backups list "$C" clan-test "${O[@]}" > "$T/list.txt"
check "list: TIME SIZE NAME lines" \
    test "$(grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} +[0-9.]+ (B|KiB|MiB|GiB)  (local|second)::' "$T/list.txt")" -eq 3
check "two archives of local" test "$(jq '[.[] | select(.name | startswith("local::/var/lib/borg-local::"))] | length' "$T/list.json")" -eq 2
check "one archive of second" test "$(jq '[.[] | select(.name | startswith("second::"))] | length' "$T/list.json")" -eq 1
FIRST=$(jq -r '.[0].name' "$T/list.json")

# ---- damage, then restore one state of the first archive ----
ct_ssh 'rm /srv/data/a; echo altered > /srv/data/b; rm -r /srv/data/sub; : > /var/lib/marks'
run "$CLAN_TUI" backups restore "$C" clan-test borgbackup "$FIRST" --service data "${O[@]}" \
    > "$T/restore1.out" 2> "$T/restore1.err"
check "restore --service data succeeds" test "$rc" -eq 0
sums > "$T/sums.after"
check "the same bytes came back" cmp "$T/sums.before" "$T/sums.after"
ct_ssh cat /var/lib/marks > "$T/marks1"
printf 'pre-restore data: b=altered\npost-restore data: b=two\n' > "$T/marks1.want"
check "pre and post restore hooks ran around the extract, in order" cmp "$T/marks1.want" "$T/marks1"
check "restore shows its steps" grep -q 'state data: borgbackup-restore done' "$T/restore1.out"

# ---- every state: the failing pre-restore hook stops its state alone ----
ct_ssh 'echo altered > /srv/broken/x; echo altered > /srv/data/b; : > /var/lib/marks'
run "$CLAN_TUI" backups restore "$C" clan-test borgbackup "$FIRST" "${O[@]}" > "$T/restore2.out" 2> "$T/restore2.err"
check "a failing state: the restore fails" test "$rc" -eq 1
check "... naming the state and its step" grep -q 'state broken: preRestoreCommand failed (exit status 3)' "$T/restore2.err"
check "... with the hook's output" grep -q "the broken state's pre-restore hook fails" "$T/restore2.out" "$T/restore2.err"
check "its folders are untouched" test "$(ct_ssh cat /srv/broken/x)" = altered
ct_ssh cat /var/lib/marks > "$T/marks2"
check "its post-restore hook did not run" sh -c "! grep -q 'post-restore broken' '$T/marks2'"
check "the other states were restored" test "$(ct_ssh cat /srv/data/b)" = two

# ---- the restore flow in the UI (X on the machine), in tmux ----
if have tmux; then
    . "$top_srcdir/tests/tui-tmux-lib.sh"
    trap 'cleanup_tmux; ct_stop; rm -rf $cleanup_dirs' EXIT
    ct_ssh 'rm /srv/data/a; echo altered > /srv/data/b; echo altered > /srv/broken/x; : > /var/lib/marks'
    start -- --identity "$CT_KEY" --known-hosts "$CT_KNOWN_HOSTS" "$C"
    check "ui: starts" wait_for 'backups-test'
    tm send-keys -t t / clan-test Enter
    check "ui: clan-test selected" wait_for '┌ clan-test'
    tm send-keys -t t X
    check "ui: X lists the archives with time and size" \
        wait_for '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +[0-9.]+ (B|KiB|MiB)  local::/var/lib/borg-local::clan-test-local-' 30
    check "ui: ... every one of them" wait_for '3 archives on clan-test'
    tm send-keys -t t Enter
    check "ui: Enter picks the first; its states, all chosen" wait_for '\[x\] data  /srv/data  \(preRestoreCommand\)  \(postRestoreCommand\)'
    tm send-keys -t t a j Space
    shows() { screen | grep -Eq -- "$1"; }
    check "ui: a chooses none, Space data alone" wait_for '\[x\] data  /srv/data'
    check "ui: ... broken not chosen" shows '\[ \] broken'
    tm send-keys -t t Enter
    check "ui: the confirmation names the host" wait_for "on clan-test, over SSH to root@127.0.0.1:$CT_PORT"
    check "ui: ... the folders overwritten" wait_for 'state data: overwrites /srv/data'
    # the command lines as sent (values shell-quoted where needed; wrapped at a space to the
    # frame's width)
    check "ui: ... the pre-restore hook's command line" \
        shows "1\\. preRestoreCommand: NAME=local::/var/lib/borg-local::clan-test-local-[0-9T:-]* FOLDERS=/srv/data( exec)? +│"
    check "ui: ... its command" shows '^│ +(exec )?pre-restore-data +│'
    check "ui: ... borgbackup-restore" shows "2\\. borgbackup-restore: NAME=local::/var/lib/borg-local::clan-test-local-[0-9T:-]* FOLDERS=/srv/data"
    check "ui: ... the post-restore hook" shows "3\\. postRestoreCommand: NAME=local::/var/lib/borg-local::"
    check "ui: ... its command" shows '^│ +(exec )?post-restore-data +│'
    check "ui: ... and no other state" sh -c '! tmux -S "$1" -f /dev/null capture-pane -p -t t | grep -q "state broken"' sh "$sock"
    check "ui: nothing ran before y" test -z "$(ct_ssh cat /var/lib/marks)"
    tm send-keys -t t y
    check "ui: y restores, its steps shown live" wait_for 'every chosen state was restored' 60
    check "ui: ... each step done" wait_for 'state data: postRestoreCommand done'
    sums > "$T/sums.ui"
    check "ui: the same bytes came back" cmp "$T/sums.before" "$T/sums.ui"
    ct_ssh cat /var/lib/marks > "$T/marks.ui"
    check "ui: the hooks ran around the extract, in order" cmp "$T/marks1.want" "$T/marks.ui"
    check "ui: the unchosen state was left alone" test "$(ct_ssh cat /srv/broken/x)" = altered
    tm send-keys -t t Escape
    check "ui: Esc closes the flow" wait_gone 'Restore · clan-test'
    # every state: the failing pre-restore hook stops its state, with its output
    ct_ssh 'echo altered > /srv/data/b; : > /var/lib/marks'
    tm send-keys -t t X
    check "ui: X again" wait_for '3 archives on clan-test' 30
    tm send-keys -t t Enter Enter
    check "ui: every state in the confirmation" wait_for 'state broken: overwrites /srv/broken'
    tm send-keys -t t y
    check "ui: the failing hook: its state stops" wait_for 'state broken: preRestoreCommand FAILED \(exit status 3\)' 60
    check "ui: ... with the hook's output" wait_for "the broken state's pre-restore hook fails"
    check "ui: ... and the restore ends failed, naming how many states" wait_for '1 of 3 states were not restored' 60
    check "ui: its folders are untouched" test "$(ct_ssh cat /srv/broken/x)" = altered
    check "ui: the other states were restored" test "$(ct_ssh cat /srv/data/b)" = two
    tm send-keys -t t Escape q
    check "ui: quits" wait_exit 0
else
    echo "note: tmux not installed: the restore flow's screens are skipped"
fi

# ---- hostile names reach borg literally ----
printf '%s' "$HARCHIVE" | ct_ssh 'n=$(cat); cd /; borg-job-local create "::$n" /srv' 2> "$T/hcreate.err"
"$CLAN_TUI" backups list "$C" clan-test "${O[@]}" --json > "$T/hlist.json"
HNAME="local::/var/lib/borg-local::$HARCHIVE"
check "a hostile archive name is listed as borg has it" \
    test "$(jq -r --arg n "$HNAME" '[.[] | select(.name == $n)] | length' "$T/hlist.json")" -eq 1
printf '%s' "$HFOLDER" | ct_ssh 'f=$(cat); echo damaged > "$f/file"; : > /var/lib/marks'
run "$CLAN_TUI" backups restore "$C" clan-test borgbackup "$HNAME" --service "$HSTATE" "${O[@]}" \
    > "$T/hrestore.out" 2> "$T/hrestore.err"
check "restore of a hostile archive, state and folder succeeds" test "$rc" -eq 0
check "the hostile folder's file came back" \
    test "$(printf '%s' "$HFOLDER" | ct_ssh 'f=$(cat); cat "$f/file"')" = hostile
check "the hostile state's hooks ran" \
    test "$(ct_ssh cat /var/lib/marks)" = "$(printf 'pre-restore hostile\npost-restore hostile')"
check "no \$() in any name ran" ct_ssh '! ls /pwned-state /pwned-folder /pwned-archive /root/pwned-archive 2>/dev/null'
sed 's|"/srv/broken"|"/srv/bro:ken"|' "$C" > "$T/clan/clan.nix.tmp" && mv "$T/clan/clan.nix.tmp" "$C"
run "$CLAN_TUI" backups restore "$C" clan-test borgbackup "$FIRST" --service broken "${O[@]}" 2> "$T/colon.err"
check "a folder with ':': refused" test "$rc" -eq 1
check "a folder with ':' is refused before any host is contacted" grep -q "holds ':'" "$T/colon.err"
sed 's|"/srv/bro:ken"|"/srv/broken"|' "$C" > "$T/clan/clan.nix.tmp" && mv "$T/clan/clan.nix.tmp" "$C"

# ---- faults: a fleet where three hosts fail, each alone ----
REFUSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# a host that accepts the connection and never says a word
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
' > "$T/silent.port" &
SILENT_PID=$!
while [ ! -s "$T/silent.port" ]; do sleep 0.05; done
SILENT=$(cat "$T/silent.port")
# the container again, under a name whose known key is another host's
ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/otherhost"
echo "[localhost]:$CT_PORT $(cut -d' ' -f1,2 "$T/otherhost.pub")" >> "$CT_KNOWN_HOSTS"
python3 - "$C" "$REFUSED" "$SILENT" "$CT_PORT" <<'PY'
import sys
path, refused, silent, port = sys.argv[1:]
s = open(path).read()
extra = ""
for name, target in (("refused", "root@127.0.0.1:" + refused), ("silent", "root@127.0.0.1:" + silent),
                     ("changed", "root@localhost:" + port)):
    extra += '  inventory.machines.%s.deploy.targetHost = "%s";\n' % (name, target)
    extra += '  inventory.instances.borgbackup.roles.client.machines.%s.settings.destinations.local = { repo = "/var/lib/borg-local"; rsh = "ssh"; };\n' % name
    extra += '  machines.%s.clan.core.state.data.folders = [ "/srv/data" ];\n' % name
s = s.replace('  meta.name = "backups-test";\n', '  meta.name = "backups-test";\n' + extra)
open(path, "w").write(s)
PY
run "$CLAN_TUI" backups status "$C" "${O[@]}" --timeout 3 > "$T/fleet.out" 2> "$T/fleet.err"
check "a fleet with failing hosts: status fails" test "$rc" -eq 1
check "the working machine answers" grep -q '^clan-test *local *ok ' "$T/fleet.out"
check "a refusing host: connection refused" grep -q "refused: root@127.0.0.1:$REFUSED: cannot connect: .*refused" "$T/fleet.err"
check "a host that never answers: timed out" grep -q "silent: root@127.0.0.1:$SILENT: timed out after 3 s" "$T/fleet.err"
check "a changed host key: refused, with the fix" grep -q "changed: .*host key of \[localhost\]:$CT_PORT has CHANGED.*ssh-keygen -R" "$T/fleet.err"
kill "$SILENT_PID" 2>/dev/null || true
wait "$SILENT_PID" 2>/dev/null || true

# ---- a restore whose connection is killed midway ----
ct_ssh 'touch /run/drop-ssh; echo altered > /srv/data/b; : > /var/lib/marks'
run "$CLAN_TUI" backups restore "$C" clan-test borgbackup "$FIRST" --service data "${O[@]}" \
    > "$T/drop.out" 2> "$T/drop.err"
check "a dropped connection: the restore fails" test "$rc" -eq 1
check "... saying it is incomplete" grep -q "restore is incomplete" "$T/drop.err"
check "... and never reports success" sh -c "! grep -q 'borgbackup-restore done' '$T/drop.out'"
check "the extract did not run" test "$(ct_ssh cat /srv/data/b)" = altered

# ---- back up now from the UI (B, then b on clan-test's local job, y): real systemctl start,
# the job's journal followed in the lower half, the result on the row, then its status ----
cat > "$T/ui.keys" <<'EOK'
key B
key /
type clan-test
key Enter
key b
key y
wait local done
dump during
key Esc
wait status of
dump after
EOK
mkdir -p "$T/uiclan" && cp "$T/clan-orig.nix" "$T/uiclan/clan.nix"
nlocal() { "$CLAN_TUI" backups list "$T/uiclan/clan.nix" clan-test "${O[@]}" --json | jq '[.[] | select(.name | startswith("local::/var/lib/borg-local::"))] | length'; }
before=$(nlocal)
t0=$(date +%H:%M:%S)
run env TERM=xterm-256color "$CLAN_TUI" screen --keys "$T/ui.keys" --size 150x40 --identity "$CT_KEY" \
    --known-hosts "$CT_KNOWN_HOSTS" "$T/uiclan/clan.nix" > "$T/ui.out" 2> "$T/ui.err"
check "UI back up now: the screen run ends (exit 0)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -50 "$T/ui.err"; cat "$T/ui.out"; }
check "UI: the job's journal beside the view, from the start of this run" \
    sh -c 'sed -n "/^=== during/,/^=== after/p" "$1" | grep -q "Journal .* clan-test .* borgbackup-job-local" &&
           sed -n "/^=== during/,/^=== after/p" "$1" | grep "Starting borgbackup-job-local.service" |
           awk -v t0="$2" "\$3 >= t0 { found = 1 } END { exit !found }"' _ "$T/ui.out" "$t0"
check "UI: the result on the row" grep -q "clan-test .*local .*local done" "$T/ui.out"
check "UI: then the job's status: ok" sh -c 'sed -n "/^=== after/,\$p" "$1" | grep -q "clan-test .*local .*ok "' _ "$T/ui.out"
check "UI: one more archive of local" test "$(nlocal)" -eq $((before + 1))
finish
