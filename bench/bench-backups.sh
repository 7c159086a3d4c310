# make bench: `backups status` of a fleet of 100 machines in one poll loop (bench/bench-backups):
# 100 OpenSSH servers on loopback ports, each running, for the bench only, a stand-in
# systemctl (a script on the session's PATH through sshd's SetEnv) that answers `systemctl
# show` with the output of a real systemd 252 (tests/backups-show/failed.txt: one job ok,
# one failed). Wall time and CPU per refresh, medians of 7. Then the UI on a clan of those
# machines: the backups view while r asks all of them, keys typed from another thread at
# random moments, key-to-frame p50/p99/max (bench-tui refresh; target p99 < 2 ms). The
# servers stand in for remote machines, whose CPU the UI never competes with: SCHED_IDLE,
# on a CPU of their own where there are two or more (BENCH_BACKUPS_SHARED=1: not pinned).
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
N=${BENCH_BACKUPS_MACHINES:-100}
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
if [ ! -x "$sshd_bin" ]; then echo "skip: sshd missing"; exit 0; fi
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-backups.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
mkdir -p /run/sshd 2>/dev/null || true
ssh-keygen -q -t ed25519 -N "" -C "" -f "$W/host"
ssh-keygen -q -t ed25519 -N "" -C "" -f "$W/id"
cp "$W/id.pub" "$W/authorized_keys"
chmod 600 "$W/authorized_keys"
mkdir -p "$W/bin" "$W/home"
cp "$top_srcdir/tests/backups-show/failed.txt" "$W/show.txt"
cat > "$W/bin/systemctl" <<EOS
#!/bin/sh
# the bench's stand-in: what systemd 252 printed for these units
exec cat "$W/show.txt"
EOS
chmod +x "$W/bin/systemctl"
cat > "$W/sshd_config" <<EOC
ListenAddress 127.0.0.1
HostKey $W/host
AuthorizedKeysFile $W/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
# HOME: the session shell must not read the invoking user's ~/.bashrc (it may be slow)
SetEnv PATH=$W/bin:/usr/bin:/bin HOME=$W/home
MaxStartups 200
LogLevel ERROR
EOC
ports=$(python3 -c "
import socket
ss = [socket.socket() for _ in range($N)]
for s in ss: s.bind(('127.0.0.1', 0))
print(' '.join(str(s.getsockname()[1]) for s in ss))")
targets=()
# The servers stand in for other machines, whose CPU is not ours: SCHED_IDLE (their sessions
# inherit it) and, with 2 or more CPUs, their own last CPU while the UI gets the others
# (BENCH_BACKUPS_SHARED=1: no pinning, the fleet on the UI's cores as well)
idle=""
ui_cpus=""
command -v chrt > /dev/null 2>&1 && chrt --idle 0 true 2> /dev/null && idle="chrt --idle 0"
ncpu=$(nproc)
if [ "${BENCH_BACKUPS_SHARED:-0}" != 1 ] && [ "$ncpu" -ge 2 ] && command -v taskset > /dev/null 2>&1; then
    idle="taskset -c $((ncpu - 1)) $idle"
    ui_cpus="taskset -c 0-$((ncpu - 2))"
fi
for p in $ports; do
    $idle "$sshd_bin" -D -e -f "$W/sshd_config" -o "Port=$p" -o "PidFile=$W/sshd.$p.pid" 2>>"$W/sshd.log" &
    pids+=($!)
    targets+=("$(id -un)@127.0.0.1:$p")
done
for p in $ports; do
    i=0
    until (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "sshd on $p did not start"; cat "$W/sshd.log"; exit 1; }
        sleep 0.05
    done
done
: > "$W/known_hosts"
${BENCH_WRAP:-} "$top_builddir/bench/bench-backups" -i "$W/id" -k "$W/known_hosts" -n 7 "${targets[@]}"

# ---- the UI while the status of the fleet comes in ----
if [ -x "$top_builddir/bench/bench-tui" ]; then
    {
        echo '{'
        echo '  meta.name = "bench-backups";'
        echo '  inventory.instances.borgbackup.roles.client.tags.all.settings.destinations = {'
        echo '    local = { repo = "/var/lib/borg-local"; rsh = "ssh"; };'
        echo '    second = { repo = "/var/lib/borg-second"; rsh = "ssh"; };'
        echo '  };'
        i=0
        for tg in "${targets[@]}"; do
            echo "  inventory.machines.m$i.deploy.targetHost = \"$tg\";"
            echo "  machines.m$i.clan.core.state.data.folders = [ \"/srv/data\" ];"
            i=$((i + 1))
        done
        echo '}'
    } > "$W/clan.nix"
    R=${BENCH_BACKUPS_UI_REFRESHES:-3}
    if [ -n "$ui_cpus" ]; then
        echo "the stand-in fleet on CPU $((ncpu - 1)) (SCHED_IDLE), the UI on CPUs 0-$((ncpu - 2)), as a remote fleet's CPU is not the UI's"
    else
        echo "the stand-in fleet (SCHED_IDLE where chrt can) shares the UI's CPUs"
    fi
    BENCH_IDENTITY="$W/id" BENCH_KNOWN_HOSTS="$W/known_hosts" \
        $ui_cpus ${BENCH_WRAP:-} "$top_builddir/bench/bench-tui" "$W/clan.nix" refresh "$R" > "$W/k2f" 2> "$W/k2f.err" ||
        { cat "$W/k2f.err"; exit 1; }
    cat "$W/k2f.err"
    grep '^#' "$W/k2f" || true
    for what in refresh idle; do
        grep "^$what " "$W/k2f" | cut -d' ' -f2 | sort -g | awk -v n="$N" -v r="$R" -v what="$what" '{ v[NR] = $1 } END {
            if (NR == 0) { print "no keys were drawn"; exit 1 }
            p50 = v[int((NR - 1) * 0.50) + 1]; p99 = v[int((NR - 1) * 0.99) + 1]
            if (what == "refresh")
                printf "UI key-to-frame while %d refreshes of %d machines ran: %d keys, p50 %.3f ms, p99 %.3f ms, max %.3f ms (target p99 < 2 ms)\n", r, n, NR, p50, p99, v[NR]
            else
                printf "the same with the loop idle (what the host adds): %d keys, p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", NR, p50, p99, v[NR] }'
    done
fi
