# make bench: core/journal against journalctl in the same run.
# 1. The last 100 entries of borgbackup-job-* from a journal of 300,000 entries (a job entry
#    every 10th): `clan-tui journal -n 100` vs `journalctl -u 'borgbackup-job-*' -n 100`,
#    both -o short-iso to /dev/null; medians of 9 alternating runs; the outputs must match.
# 2. Follow latency (bench/bench-journal): core/journal's follower vs journalctl -f.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
: "${CLAN_TUI:?}" "${top_builddir:?}"
JR=
for p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
    [ -x "$p" ] && JR=$p && break
done
if [ -z "$JR" ]; then echo "skip: systemd-journal-remote missing"; exit 0; fi
N=${BENCH_JOURNAL_ENTRIES:-300000}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-journal.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/journal"

t0=$EPOCHREALTIME
awk -v n="$N" 'BEGIN {
    for (i = 0; i < n; i++) {
        job = (i % 10 == 0)
        printf "__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n", 1764118800000000 + i * 1000, 1000000 + i * 1000
        printf "_BOOT_ID=66666666666666666666666666666666\n_HOSTNAME=bench-host\n_UID=0\nPRIORITY=%d\n", i % 8
        if (job) printf "_PID=%d\nSYSLOG_IDENTIFIER=borg\n_SYSTEMD_UNIT=borgbackup-job-dest%d.service\n", 1000 + i % 97, i % 3
        else printf "_PID=%d\nSYSLOG_IDENTIFIER=app\n_SYSTEMD_UNIT=app%d.service\n", 2000 + i % 89, i % 20
        printf "MESSAGE=entry %d of the benchmark journal, some text to make it realistic\n\n", i
    }
}' | "$JR" -o "$W/journal/system.journal" - 2>/dev/null
echo "journal of $N entries built in $(( (${EPOCHREALTIME/./} - ${t0/./}) / 1000000 )) s ($(du -sh "$W/journal" | cut -f1))"

"$CLAN_TUI" journal --directory "$W/journal" -n 100 -o short-iso > "$W/ours"
journalctl --directory "$W/journal" -u 'borgbackup-job-*' -n 100 -o short-iso > "$W/theirs"
if cmp -s "$W/ours" "$W/theirs"; then echo "outputs identical ($(wc -l < "$W/ours") lines)"
else echo "OUTPUTS DIFFER"; diff "$W/theirs" "$W/ours" | head -5; exit 1; fi

ours=() theirs=()
for i in 1 2 3 4 5 6 7 8 9; do
    a=$EPOCHREALTIME
    "$CLAN_TUI" journal --directory "$W/journal" -n 100 -o short-iso > /dev/null
    b=$EPOCHREALTIME
    journalctl --directory "$W/journal" -u 'borgbackup-job-*' -n 100 -o short-iso > /dev/null
    c=$EPOCHREALTIME
    ours+=($(( ${b/./} - ${a/./} )))
    theirs+=($(( ${c/./} - ${b/./} )))
done
med() { printf '%s\n' "$@" | sort -n | sed -n 5p; }
mo=$(med "${ours[@]}") mt=$(med "${theirs[@]}")
printf 'last 100 of borgbackup-job-* from %d entries, median of 9:\n' "$N"
awk -v o="$mo" -v t="$mt" 'BEGIN {
    printf "  clan-tui journal -n 100   %8.2f ms\n", o / 1000
    printf "  journalctl -n 100         %8.2f ms\n", t / 1000
    printf "  ratio clan-tui/journalctl %8.2f (target: <= 1)\n", o / t }'

"$top_builddir/bench/bench-journal" "$JR" "$W" 21
