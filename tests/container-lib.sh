# A real Debian 12 machine for tests (sourced): a debootstrap root with systemd,
# openssh-server, borgbackup and jq, cached outside the clone, booted with
# `systemd-nspawn --boot --register=no --keep-unit --volatile=overlay` (the cached root is
# never written: a tmpfs holds the container's changes). Its sshd listens on a loopback port
# of the host (the container shares the host's network); root logs in with a key of the
# test.
#
# ct_root: sets CT_ROOT, building the cache once (debootstrap, ~3 min, needs the Debian mirror
#   of apt's configuration). Returns 77 with CT_SKIP set when it cannot (not root, no
#   debootstrap or systemd-nspawn, no mirror).
# ct_boot DIR: boots it; sets CT_PORT, CT_PID, CT_KEY (private key), CT_KNOWN_HOSTS; returns
#   77 with CT_SKIP set (and the boot log) when the container does not come up.
# ct_ssh CMD...: runs a command in it as root over ssh. ct_stop: shuts it down.

CT_VERSION=debian12-bookworm-systemd-ssh-borg-jq-1
CT_CACHE=${CLAN_TUI_TEST_CACHE:-/var/cache/clan-tui-tests}

ct_mirror() {
    # the Debian mirror apt uses here (deb822 or one-line sources)
    m=$(sed -n 's/^URIs: *\([^ ]*debian\/\?\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
    [ -n "$m" ] || m=$(sed -n 's/^deb \(\[[^]]*\] \)\?\(http[^ ]*\) bookworm .*/\2/p' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n 1)
    echo "${m:-http://deb.debian.org/debian}"
}

ct_root() {
    CT_SKIP=
    if [ "$(id -u)" != 0 ]; then CT_SKIP="not root: systemd-nspawn --boot needs root"; return 77; fi
    for t in debootstrap systemd-nspawn; do
        command -v "$t" >/dev/null 2>&1 || [ -x "/usr/sbin/$t" ] || { CT_SKIP="$t is not installed (quickstart's test_pkgs has it)"; return 77; }
    done
    CT_ROOT=$CT_CACHE/$CT_VERSION/root
    [ -x "$CT_ROOT/usr/bin/borg" ] && [ -f "$CT_CACHE/$CT_VERSION/complete" ] && return 0
    mkdir -p "$CT_CACHE" || { CT_SKIP="cannot create $CT_CACHE"; return 77; }
    (
        flock 9
        [ -f "$CT_CACHE/$CT_VERSION/complete" ] && exit 0
        tmp=$CT_CACHE/$CT_VERSION.tmp
        rm -rf "$tmp"
        mkdir -p "$tmp"
        echo "building the test machine's root (debootstrap bookworm, once; cached in $CT_CACHE)" >&2
        start=$(date +%s)
        if ! PATH=$PATH:/usr/sbin debootstrap --variant=minbase \
                --include=systemd,systemd-sysv,dbus,openssh-server,borgbackup,jq \
                bookworm "$tmp/root" "$(ct_mirror)" > "$tmp/debootstrap.log" 2>&1; then
            tail -n 5 "$tmp/debootstrap.log" >&2
            exit 1
        fi
        # nothing but what the tests start: no getty on the console, no apt timers
        rm -f "$tmp/root/etc/systemd/system/getty.target.wants/"* \
              "$tmp/root/etc/systemd/system/timers.target.wants/"*
        ln -sf /dev/null "$tmp/root/etc/systemd/system/console-getty.service"
        echo clan-test > "$tmp/root/etc/hostname"
        echo "$(( $(date +%s) - start )) s" > "$tmp/build-time"
        touch "$tmp/complete"
        rm -rf "$CT_CACHE/$CT_VERSION"
        mv "$tmp" "$CT_CACHE/$CT_VERSION"
    ) 9> "$CT_CACHE/.lock" || { CT_SKIP="debootstrap failed (no Debian mirror reachable?)"; return 77; }
    return 0
}

ct_boot() {
    dir=$1
    mkdir -p "$dir/ct"
    ssh-keygen -q -t ed25519 -N "" -C "" -f "$dir/ct/key"
    CT_KEY=$dir/ct/key
    CT_KNOWN_HOSTS=$dir/ct/known_hosts
    : > "$CT_KNOWN_HOSTS"
    cp "$CT_KEY.pub" "$dir/ct/authorized_keys"
    CT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    cat > "$dir/ct/sshd.conf" <<EOC
Port $CT_PORT
ListenAddress 127.0.0.1
PermitRootLogin prohibit-password
PasswordAuthentication no
EOC
    CT_NAME=clantui$$
    # setsid: the container's init must not get the test's terminal signals
    setsid systemd-nspawn --boot --register=no --keep-unit --volatile=overlay \
        --console=passive --machine="$CT_NAME" -D "$CT_ROOT" \
        --bind-ro="$dir/ct/sshd.conf:/etc/ssh/sshd_config.d/clan-tui-test.conf" \
        --bind-ro="$dir/ct/authorized_keys:/root/.ssh/authorized_keys" \
        > "$dir/ct/boot.log" 2>&1 < /dev/null &
    CT_PID=$!
    i=0
    while [ $i -lt 1200 ]; do
        if ! kill -0 "$CT_PID" 2>/dev/null; then
            CT_SKIP="systemd-nspawn --boot failed: $(grep -v '^$' "$dir/ct/boot.log" | tail -n 3 | tr '\n' ' ')"
            CT_PID=
            return 77
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$CT_PORT") 2>/dev/null &&
           ssh-keyscan -p "$CT_PORT" -t ed25519 127.0.0.1 > "$CT_KNOWN_HOSTS" 2>/dev/null &&
           [ -s "$CT_KNOWN_HOSTS" ]; then
            export CT_PORT CT_PID CT_KEY CT_KNOWN_HOSTS
            return 0
        fi
        i=$((i + 1))
        sleep 0.1
    done
    CT_SKIP="the container's sshd did not answer on port $CT_PORT"
    ct_stop
    return 77
}

ct_ssh() {
    ssh -q -o BatchMode=yes -o UserKnownHostsFile="$CT_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        -i "$CT_KEY" -p "$CT_PORT" root@127.0.0.1 "$@"
}

ct_stop() {
    if [ -n "${CT_PID:-}" ]; then
        # SIGTERM asks nspawn for an orderly shutdown of the container; then it is killed
        kill -TERM "$CT_PID" 2>/dev/null || true
        i=0
        while kill -0 "$CT_PID" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$CT_PID" 2>/dev/null || true
        wait "$CT_PID" 2>/dev/null || true
        CT_PID=
    fi
}
