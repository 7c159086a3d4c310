# make bench: `backups status` of a fleet of 100 machines in one poll loop (bench/bench-backups):
# 100 OpenSSH servers on loopback ports, each running, for the bench only, a stand-in
# systemctl (a script on the session's PATH through sshd's SetEnv) that answers `systemctl
# show` with the output of a real systemd 252 (tests/backups-show/failed.txt: one job ok,
# one failed). Wall time and CPU per refresh, medians of 7.
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
for p in $ports; do
    "$sshd_bin" -D -e -f "$W/sshd_config" -o "Port=$p" -o "PidFile=$W/sshd.$p.pid" 2>>"$W/sshd.log" &
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
