# clan-tui journal -f: entries appended while following are seen (each within a generous
# bound; the measured latency is logged, the precise figure is bench/bench-journal),
# through a rotation and a vacuum of the journal directory.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"

D=$T/journal
mkdir -p "$D"
rt=1764118800000000
journal_entry $rt borgbackup-job-a.service "before following" | journal_write "$D/system.journal"

mkfifo "$T/out"
"$CLAN_TUI" journal --directory "$D" -f -n 1 -o short-iso > "$T/out" 2> "$T/err" &
follower=$!
cleanup_follower() { kill "$follower" 2>/dev/null || true; wait "$follower" 2>/dev/null || true; }
trap 'cleanup_follower; rm -rf $cleanup_dirs' EXIT
exec 3< "$T/out"

# append_seen N TEXT [UNIT]: append an entry, the follower must show it; logs the latency
append_seen() {
    local t0 t1
    rt=$((rt + 1000000))
    t0=$EPOCHREALTIME
    journal_entry $rt "${3:-borgbackup-job-a.service}" "$2" | journal_write "$D/system.journal"
    if expect_line "$2"; then
        t1=$EPOCHREALTIME
        ok "$1 (seen $(( (${t1/./} - ${t0/./}) / 1000 )) ms after the write began)"
    else
        fail "$1"
    fi
}

check "the last entry first" expect_line "before following"
for i in 1 2 3 4 5; do
    append_seen "appended entry $i" "follow $i"
done

# an entry of another unit is not shown: the next line is the job's
rt=$((rt + 1000000))
journal_entry $rt sshd.service "not a job" | journal_write "$D/system.journal"
append_seen "other units are not shown" "after the other unit"

# rotation: the active file is archived (renamed), a new one is started
mv "$D/system.journal" "$D/system@00000000000000000000000000000001-0000000000000001-0006446a10000000.journal"
append_seen "after rotation" "after rotation"
append_seen "after rotation, again" "rotated 2"

# vacuum: the archived file is deleted
rm -f "$D"/system@*.journal
append_seen "after vacuum" "after vacuum"

# a burst: every entry arrives, in order
for i in $(seq 1 50); do
    rt=$((rt + 1000))
    journal_entry $rt borgbackup-job-a.service "burst $i"
done | journal_write "$D/system.journal"
n=0
for i in $(seq 1 50); do expect_line "burst $i" >/dev/null && n=$((n + 1)); done
check "a burst of 50 entries, all in order ($n)" test "$n" -eq 50

check "still running" kill -0 "$follower"
cleanup_follower
check "no errors" test ! -s "$T/err"
finish
