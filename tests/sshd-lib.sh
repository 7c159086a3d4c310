# sshd_start DIR: start a real OpenSSH server on 127.0.0.1 for a test (sourced by
# script tests). Sets SSHD_PORT, SSHD_PID, SSHD_HOSTKEY (public key file); clients
# authorize by appending to DIR/authorized_keys. The server stops with sshd_stop
# (tests/lib.sh's EXIT trap calls it when SSHD_PID is set).
# SSHD_EXTRA_CONFIG: lines appended to its sshd_config (SetEnv HOME=..., ForceCommand ...).
# Needs openssh-server; returns 77 (skip) when sshd is not installed.
sshd_start() {
    dir=$1
    sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
    [ -x "$sshd_bin" ] || return 77
    mkdir -p "$dir" && chmod 700 "$dir"
    [ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
    [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C "" -f "$dir/host_ed25519"
    SSHD_HOSTKEY="$dir/host_ed25519.pub"
    : >> "$dir/authorized_keys"
    chmod 600 "$dir/authorized_keys"
    # a free port: let the kernel pick one, then hand it to sshd (retry on a race)
    for attempt in 1 2 3 4 5; do
        SSHD_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
            echo $((20000 + $$ % 20000 + attempt * 7)))
        cat > "$dir/sshd_config" <<EOC
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
LogLevel VERBOSE
Subsystem sftp internal-sftp
${SSHD_EXTRA_CONFIG:-}
EOC
        "$sshd_bin" -D -e -f "$dir/sshd_config" 2>>"$dir/sshd.log" &
        SSHD_PID=$!
        # wait until it listens (or dies), without a fixed sleep: probe the port
        i=0
        while [ $i -lt 100 ]; do
            if ! kill -0 "$SSHD_PID" 2>/dev/null; then break; fi
            if (exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null; then
                export SSHD_PORT SSHD_PID SSHD_HOSTKEY
                return 0
            fi
            i=$((i + 1))
            sleep 0.05
        done
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
    done
    echo "sshd did not start; its log:" >&2
    cat "$dir/sshd.log" >&2
    return 1
}

sshd_stop() {
    if [ -n "${SSHD_PID:-}" ]; then
        kill "$SSHD_PID" 2>/dev/null || true
        wait "$SSHD_PID" 2>/dev/null || true
        SSHD_PID=
    fi
}
