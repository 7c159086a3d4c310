# clan-tui journal against journalctl on real journal files built by systemd-journal-remote:
# the same selection must give byte-identical short-iso / short output.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"

journal_export "$top_srcdir/tests/journal-sample.export.in" "$T/sample.export"
journal_write "$T/sample.journal" < "$T/sample.export"
F=$T/sample.journal

# same_as NAME "OUR ARGS" "JOURNALCTL ARGS": stdout and exit status must be identical
same_as() {
    local name=$1 ours=$2 theirs=$3 a b
    set +e
    eval "\"\$CLAN_TUI\" journal $ours" > "$T/ours.out" 2> "$T/ours.err"; a=$?
    eval "journalctl $theirs" > "$T/theirs.out" 2> "$T/theirs.err"; b=$?
    set -e
    if [ "$a" -eq "$b" ] && cmp -s "$T/ours.out" "$T/theirs.out"; then
        ok "$name"
    else
        fail "$name (exit $a vs journalctl $b)"
        diff -a "$T/theirs.out" "$T/ours.out" | head -20 | cat -A || true
        head -3 "$T/ours.err"
    fi
}

U="-u 'borgbackup-job-*'"
for o in short-iso short; do
    same_as "all job entries, -o $o" "--file '$F' -o $o" "--file '$F' $U -o $o"
done
same_as "glob" "--file '$F' -u 'borgbackup-job-off*' -o short-iso" \
    "--file '$F' -u 'borgbackup-job-off*' -o short-iso"
same_as "plain unit name gets .service" "--file '$F' -u borgbackup-job-offsite -o short-iso" \
    "--file '$F' -u borgbackup-job-offsite -o short-iso"
same_as "destination" "--file '$F' -d backup-server -o short-iso" \
    "--file '$F' -u borgbackup-job-backup-server.service -o short-iso"
same_as "two units" "--file '$F' -u borgbackup-job-offsite -u sshd -o short-iso" \
    "--file '$F' -u borgbackup-job-offsite -u sshd -o short-iso"
same_as "timer unit" "--file '$F' -u borgbackup-job-backup-server.timer -o short-iso" \
    "--file '$F' -u borgbackup-job-backup-server.timer -o short-iso"
same_as "priority err" "--file '$F' -p err -o short-iso" "--file '$F' $U -p err -o short-iso"
same_as "priority range" "--file '$F' -p warning..err -o short-iso" \
    "--file '$F' $U -p warning..err -o short-iso"
same_as "priority 0" "--file '$F' -p 0 -o short-iso" "--file '$F' $U -p 0 -o short-iso"
same_as "-n 3" "--file '$F' -n 3 -o short-iso" "--file '$F' $U -n 3 -o short-iso"
same_as "-n 0" "--file '$F' -n 0 -o short-iso" "--file '$F' $U -n 0 -o short-iso"
same_as "-n 1000" "--file '$F' -n 1000 -o short-iso" "--file '$F' $U -n 1000 -o short-iso"
same_as "since" "--file '$F' --since '2025-11-26 01:00:14' -o short-iso" \
    "--file '$F' $U --since '2025-11-26 01:00:14' -o short-iso"
same_as "since until" "--file '$F' --since '2025-11-26 01:00:01' --until '2025-11-26 01:00:15' -o short-iso" \
    "--file '$F' $U --since '2025-11-26 01:00:01' --until '2025-11-26 01:00:15' -o short-iso"
same_as "since -n" "--file '$F' --since '2025-11-26 01:00:01' -n 2 -o short-iso" \
    "--file '$F' $U --since '2025-11-26 01:00:01' -n 2 -o short-iso"
same_as "until -n" "--file '$F' --until '2025-11-26 01:00:01' -n 2 -o short-iso" \
    "--file '$F' $U --until '2025-11-26 01:00:01' -n 2 -o short-iso"
same_as "grep (smart case)" "--file '$F' -g 'archive|refused' -o short-iso" \
    "--file '$F' $U -g 'archive|refused' -o short-iso"
same_as "grep (capitals)" "--file '$F' -g 'Archive' -o short-iso" \
    "--file '$F' $U -g 'Archive' -o short-iso"
same_as "grep -n" "--file '$F' -g 'job' -n 4 -o short-iso" \
    "--file '$F' $U -g 'job' -n 4 -o short-iso"
same_as "machine" "--file '$F' --machine backup-server -o short-iso" \
    "--file '$F' $U _HOSTNAME=backup-server -o short-iso"
same_as "no such unit" "--file '$F' -u nothing -o short-iso" "--file '$F' -u nothing -o short-iso"
same_as "no unit matches the glob" "--file '$F' -u 'nothing-*'" "--file '$F' -u 'nothing-*'"
check "glob without match: says so" grep -q "no unit in the journal matches 'nothing-\*'" "$T/ours.err"

# the local system journal (whatever it holds here, both must agree)
same_as "local system journal" "-n 5 -o short-iso" "-u 'borgbackup-job-*' -n 5 -o short-iso"

# a rotated set: an archived file and the active one in one directory, and as two --file
mkdir -p "$T/dir"
head -n "$(grep -n '^# ---- boot 2' "$top_srcdir/tests/journal-sample.export.in" | cut -d: -f1)" \
    "$top_srcdir/tests/journal-sample.export.in" > "$T/part1.in"
tail -n "+$(grep -n '^# ---- boot 2' "$top_srcdir/tests/journal-sample.export.in" | cut -d: -f1)" \
    "$top_srcdir/tests/journal-sample.export.in" > "$T/part2.in"
journal_export "$T/part1.in" "$T/part1.export"
journal_export "$T/part2.in" "$T/part2.export"
A=$T/dir/system@00000000000000000000000000000001-0000000000000001-0006446a10000000.journal
journal_write "$A" < "$T/part1.export"
journal_write "$T/dir/system.journal" < "$T/part2.export"
same_as "directory (rotated set)" "--directory '$T/dir' -o short-iso" "--directory '$T/dir' $U -o short-iso"
same_as "directory -n 4" "--directory '$T/dir' -n 4 -o short-iso" "--directory '$T/dir' $U -n 4 -o short-iso"
same_as "two --file" "--file '$A' --file '$T/dir/system.journal' -o short-iso" \
    "--file '$A' --file '$T/dir/system.journal' $U -o short-iso"

# safety: nothing that a terminal would interpret, in any output mode
for o in short short-iso json; do
    "$CLAN_TUI" journal --file "$F" -u '*' -o $o > "$T/all.$o"
    check "no control characters in -o $o" bash -c "! LC_ALL=C grep -q -P '[\x00-\x08\x0b-\x1f\x7f]' '$T/all.$o'"
done
check "spoofed object message (uid 1000) not selected" \
    bash -c "! grep -q spoofed '$T/all.short'.x 2>/dev/null; ! \"\$CLAN_TUI\" journal --file '$F' | grep -q spoofed"

# json: one valid object per line, binary fields as byte arrays
if have jq; then
    "$CLAN_TUI" journal --file "$F" -o json > "$T/j.json"
    check "json parses" jq -e . "$T/j.json" >/dev/null
    check "json: binary field as bytes" bash -c "jq -c 'select(.BORG_DATA) | .BORG_DATA' '$T/j.json' | grep -q '^\[0,1,2,98'"
    check "json: hostile message as bytes" bash -c "jq -c 'select(.PRIORITY==\"4\") | .MESSAGE' '$T/j.json' | grep -q '^\[99,97'"
    n_ours=$(wc -l < "$T/j.json")
    n_theirs=$(journalctl --file "$F" $(eval echo "$U") -o json | wc -l)
    check "json: as many entries as journalctl ($n_theirs)" test "$n_ours" -eq "$n_theirs"
fi

# per-job status
"$CLAN_TUI" journal --file "$F" --status > "$T/status"
check "status: backup-server job succeeded" \
    grep -A1 -F 'borgbackup-job-backup-server.service' "$T/status"
check "status: times" grep -q -F '2025-11-26T01:00:00+0000 .. 2025-11-26T01:00:12+0000' "$T/status"
check "status: success" grep -q -F 'result    success' "$T/status"
check "status: archive" grep -q -F 'archive   alice-laptop-backup-server-2025-11-26T01:00:00.failed' "$T/status"
check "status: stats" grep -q -F '| Duration: 12.34 seconds' "$T/status"
check "status: offsite failed" grep -q -F 'result    failed (exit-code), status=2/INVALIDARGUMENT' "$T/status"

# usage errors
expect_status 2 "bad priority" "$CLAN_TUI" journal --file "$F" -p loud
expect_status 2 "bad output" "$CLAN_TUI" journal --file "$F" -o cat
expect_status 2 "bad time" "$CLAN_TUI" journal --file "$F" --since yesterdayish
expect_status 2 "bad -n" "$CLAN_TUI" journal --file "$F" -n -3
expect_status 2 "two sources" "$CLAN_TUI" journal --file "$F" --directory "$T/dir"
expect_status 2 "bad destination" "$CLAN_TUI" journal --file "$F" -d 'a/b'
expect_status 0 "help" "$CLAN_TUI" journal --help
expect_status 1 "missing file" "$CLAN_TUI" journal --file "$T/nope.journal"
finish
