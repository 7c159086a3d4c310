#!/bin/bash
# make bench: keygen of a 1000-machine fleet (samples/gen-fleet 1000) in Clan's sops layout,
# every secret encrypted to its machine's new age key and three admins (the runner, and two
# through the default group admins); median of 3 runs, each on a fresh copy. Beside it,
# Debian's age encrypting the same number of 32-byte data keys to one recipient each (the
# enc entries of those files), one process per entry as sops would run it without a library.
# Then the keys view (K) on that clan: the first frame alone, and with K open (every
# machine's vars read, readability from the recipients), user+system CPU, median of 3.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
: "${CLAN_TUI:?}" "${top_srcdir:?}"
command -v age-keygen >/dev/null || { echo "skip: age not installed"; exit 0; }
N=${BENCH_KEYS_MACHINES:-1000}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-keys.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/clan0/sops/groups/admins/users"
"$top_srcdir/samples/gen-fleet" "$N" >"$W/clan0/clan.nix"
for u in alice bob carol; do
    age-keygen -o "$W/$u.txt" 2>/dev/null
    mkdir -p "$W/clan0/sops/users/$u"
    printf '{"publickey": "%s", "type": "age"}' "$(age-keygen -y "$W/$u.txt")" >"$W/clan0/sops/users/$u/key.json"
done
ln -s ../../../users/bob "$W/clan0/sops/groups/admins/users/bob"
ln -s ../../../users/carol "$W/clan0/sops/groups/admins/users/carol"
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for run in 1 2 3; do
    rm -rf "$W/clan" && cp -a "$W/clan0" "$W/clan"
    t0=$EPOCHREALTIME
    SOPS_AGE_KEY_FILE=$W/alice.txt XDG_DATA_HOME=$W/data "$CLAN_TUI" keygen "$W/clan/clan.nix" \
        --group admins >"$W/out" 2>"$W/err"
    t1=$EPOCHREALTIME
    echo "$(( (${t1/./} - ${t0/./}) / 1000 ))"
done >"$W/times"
secrets=$(find "$W/clan" -name secret | wc -l)
entries=$(find "$W/clan" -name secret -exec jq -r '.sops.age | length' {} + | paste -sd+ | bc)
echo "keygen, $N machines, sops to machine + 3 admins: $(tail -1 "$W/out")"
echo "  $secrets sops files, $entries age entries; median $(median <"$W/times") ms of 3 runs (target well under 30000 ms)"
rcpt=$(age-keygen -y "$W/bob.txt")
head -c 32 /dev/urandom >"$W/dk"
t0=$EPOCHREALTIME
for ((i = 0; i < entries; i++)); do age -e -a -r "$rcpt" -o /dev/null "$W/dk"; done
t1=$EPOCHREALTIME
echo "  age -e -a of the same $entries data keys, one process each: $(( (${t1/./} - ${t0/./}) / 1000 )) ms"
cpu() { # cpu KEYSFILE: user+system ms of clan-tui screen on the clan
    TIMEFORMAT='%3U %3S'
    { time SOPS_AGE_KEY_FILE=$W/alice.txt TERM=xterm-256color "$CLAN_TUI" screen --keys "$1" \
        --size 130x40 "$W/clan/clan.nix" >/dev/null 2>&1; } 2>&1 | awk '{ printf "%d\n", ($1 + $2) * 1000 }'
}
printf 'dump a\n' >"$W/frame.keys"
printf 'key K\ndump a\n' >"$W/k.keys"
f=$(for run in 1 2 3; do cpu "$W/frame.keys"; done | median)
k=$(for run in 1 2 3; do cpu "$W/k.keys"; done | median)
echo "keys view (K), $N machines, $secrets sops files: $((k - f)) ms CPU beyond the first frame ($f ms), median of 3"
