#!/bin/bash
# vars upload-key against a real sshd on 127.0.0.1 (tests/sshd-lib.sh) whose logins get a
# throwaway home (SetEnv HOME): the client's borgbackup.ssh.pub appended to that home's
# ~/.ssh/authorized_keys once, a second run leaves it (no duplicate, also when the key is
# there with other options and comment), a file without a final newline gets one first; an
# unknown host is refused with its fingerprint unless --accept-new-host-key; a changed host
# key and a refused login are clear errors that write nothing. A storage box stand-in (an
# sshd whose sessions start in the home, as a storage box's do, with an install-ssh-key
# command on its PATH that appends its standard input) gets the key through install-ssh-key,
# once. Only 127.0.0.1 is contacted.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
have ssh-keygen || { echo "SKIP: ssh-keygen not installed (openssh-client)"; exit 77; }

H=$T/home
mkdir -p "$H" "$T/bin"
ssh-keygen -q -t ed25519 -N "" -C admin -f "$T/admin"
ssh-keygen -q -t ed25519 -N "" -C other -f "$T/other"
SSHD_EXTRA_CONFIG="SetEnv HOME=$H"
sshd_start "$T/sshd" || { st=$?; [ $st -eq 77 ] && echo "SKIP: sshd not installed (openssh-server)"; exit $st; }
cat "$T/admin.pub" >> "$T/sshd/authorized_keys"

# a clan whose postgres-server backs up to that server as an external destination
C=$T/clan
mkdir -p "$C"
cat > "$C/clan.nix" <<NIX
{
  meta.name = "upload-test";
  inventory.machines.postgres-server = { };
  inventory.instances.borgbackup = {
    roles.client.machines."postgres-server" = {
      settings.destinations."box" = {
        repo = "root@127.0.0.1:/./borgbackup";
        rsh = "ssh -p $SSHD_PORT -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";
      };
    };
  };
  machines.postgres-server.clan.core.state.data.folders = [ "/var/lib/data" ];
}
NIX
"$CLAN_TUI" keygen "$C/clan.nix" --machine postgres-server --secrets "$T/secrets" > /dev/null
pub=$C/vars/per-machine/postgres-server/borgbackup/borgbackup.ssh.pub/value
check "keygen made the client's public key" test -s "$pub"
key=$(cut -d' ' -f1,2 "$pub")
fp=$(ssh-keygen -l -E sha256 -f "$SSHD_HOSTKEY" | cut -d' ' -f2)
KH=$T/known_hosts
up() { "$CLAN_TUI" vars upload-key "$C" postgres-server box --identity "$T/admin" --known-hosts "$KH" "$@"; }
count() { grep -cF -- "$key" "$1" 2>/dev/null || true; }
run() { local out=$1; shift; up "$@" > "$T/$out.out" 2> "$T/$out.err"; } # run NAME ARGS: up, output kept

# ---- a host not in known_hosts ----
expect_status 1 "unknown host: refused" up 2> "$T/err"
check "unknown host: the fingerprint is printed ($fp)" grep -q "offers the host key ssh-ed25519 $fp" "$T/err"
check "unknown host: nothing was written on the server" test ! -e "$H/.ssh"
check "unknown host: known_hosts stays empty" test ! -s "$KH"

# ---- accepted: the key goes in once ----
check "--accept-new-host-key: uploaded" run run1 --accept-new-host-key
check "...says it added the key" grep -q "postgres-server's borgbackup.ssh.pub added: ~/.ssh/authorized_keys" "$T/run1.out"
check "...printed the new host key's fingerprint" grep -q "$fp" "$T/run1.err"
check "...the key is in the home's authorized_keys once" test "$(count "$H/.ssh/authorized_keys")" = 1
check "...the file is the public line" test "$(cat "$H/.ssh/authorized_keys")" = "$key"
check "...~/.ssh is 0700, authorized_keys 0600" test "$(stat -c %a "$H/.ssh") $(stat -c %a "$H/.ssh/authorized_keys")" = "700 600"
check "...known_hosts now holds the host" test -s "$KH"

# ---- again: idempotent, no --accept-new-host-key needed ----
check "a second upload succeeds" run run2
check "...and says the key is there already" grep -q "is there already" "$T/run2.out"
check "...the key is still there once" test "$(count "$H/.ssh/authorized_keys")" = 1

# the key with options and another comment, in a file without a final newline
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEl7cA8H5I8bqGx5yN8x0bT3vB4m2zQe2oB7M9v3z7aA someone\nrestrict,command="borg serve" %s old-comment' "$key" > "$H/.ssh/authorized_keys"
run run3 || true
check "the key with options and another comment counts as there" grep -q "is there already" "$T/run3.out"
check "...nothing appended" test "$(wc -l < "$H/.ssh/authorized_keys")" = 1
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEl7cA8H5I8bqGx5yN8x0bT3vB4m2zQe2oB7M9v3z7aA someone' > "$H/.ssh/authorized_keys"
check "a file without a final newline: uploaded" up
check "...the other key's line stays whole, ours on its own line" sh -c 'head -1 "$1" | grep -qx "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEl7cA8H5I8bqGx5yN8x0bT3vB4m2zQe2oB7M9v3z7aA someone" && tail -1 "$1" | grep -qF -- "$2"' sh "$H/.ssh/authorized_keys" "$key"

# ---- a changed host key: refused, nothing written ----
cp "$H/.ssh/authorized_keys" "$T/ak.before"
cp "$KH" "$T/kh.good"
other_key=$(cut -d' ' -f1,2 "$T/other.pub")
printf '[127.0.0.1]:%s %s\n' "$SSHD_PORT" "$other_key" > "$KH"
expect_status 1 "changed host key: refused" up --accept-new-host-key 2> "$T/err"
check "...the message says it CHANGED and what the server offers" grep -q "has CHANGED (server offers ssh-ed25519 $fp)" "$T/err"
check "...authorized_keys untouched" cmp -s "$H/.ssh/authorized_keys" "$T/ak.before"
cp "$T/kh.good" "$KH"

# ---- a login the server refuses ----
expect_status 1 "a key the server does not take: refused" "$CLAN_TUI" vars upload-key "$C" postgres-server box --identity "$T/other" --known-hosts "$KH" 2> "$T/err"
check "...the message says the login was refused" grep -q "public key authentication refused (key $T/other)" "$T/err"
check "...authorized_keys untouched" cmp -s "$H/.ssh/authorized_keys" "$T/ak.before"

# ---- what is not a destination ----
expect_status 1 "an unknown destination is refused" "$CLAN_TUI" vars upload-key "$C" postgres-server nonesuch 2> "$T/err"
check "...naming the destinations there are" grep -q "has no backup job to a destination 'nonesuch'; expected one of: box" "$T/err"
expect_status 2 "upload-key without MACHINE DEST is a usage error" "$CLAN_TUI" vars upload-key postgres-server
expect_status 2 "--method takes two values" "$CLAN_TUI" vars upload-key "$C" postgres-server box --method scp

# ---- the UI: K in the destinations editor, through its poll loop; it asks before it
# trusts the host ----
if have tmux; then
    . "$top_srcdir/tests/tui-tmux-lib.sh"
    trap 'cleanup_tmux; sshd_stop; rm -rf $cleanup_dirs' EXIT
    rm -rf "$H/.ssh"
    KH2=$T/known_hosts.ui
    cd "$C"
    start -- --identity "$T/admin" --known-hosts "$KH2" clan.nix
    check "ui: starts" wait_for 'upload-test'
    tm send-keys -t t / postgres-server Enter
    check "ui: postgres-server selected" wait_for '┌ postgres-server'
    tm send-keys -t t d
    check "ui: the destinations editor lists box" wait_for 'box +borgbackup-job-box'
    tm send-keys -t t K
    check "ui: an unknown host: the question" wait_for "not in known_hosts; it offers ssh-ed25519"
    fpre=$(printf '%s' "$fp" | sed 's/[][+.*?^$(){}|\\]/\\&/g')
    check "ui: ... with its fingerprint" wait_for "$fpre\\. Trust it and upload\\? y/N"
    check "ui: nothing sent before the answer" test ! -e "$H/.ssh"
    tm send-keys -t t y
    check "ui: y trusts that key and uploads" wait_for 'the key of postgres-server was added'
    check "ui: the key is in authorized_keys once" test "$(count "$H/.ssh/authorized_keys")" = 1
    check "ui: known_hosts has the host" test -s "$KH2"
    tm send-keys -t t K
    check "ui: again: there already, no question" wait_for 'the key of postgres-server was there already'
    check "ui: still once" test "$(count "$H/.ssh/authorized_keys")" = 1
    tm send-keys -t t Escape q
    check "ui: quits" wait_exit 0
    cd "$T"
else
    echo "note: tmux not installed: the UI part is skipped"
fi

# ---- a storage box stand-in: sessions start in the home; install-ssh-key on the PATH ----
sshd_stop
H2=$T/boxhome
mkdir -p "$H2"
cat > "$T/bin/install-ssh-key" <<'SH'
#!/bin/sh
# stand-in for the storage box's command: the key from standard input into the home
mkdir -p .ssh && cat >> .ssh/authorized_keys
SH
chmod +x "$T/bin/install-ssh-key"
SSHD_EXTRA_CONFIG="SetEnv HOME=$H2 PATH=$T/bin:/usr/bin:/bin
ForceCommand cd \"\$HOME\" && eval \"\$SSH_ORIGINAL_COMMAND\""
sshd_start "$T/sshd2" || exit 1
cat "$T/admin.pub" >> "$T/sshd2/authorized_keys"
sed -i "s/-p [0-9]*/-p $SSHD_PORT/" "$C/clan.nix"
box() { "$CLAN_TUI" vars upload-key "$C" postgres-server box --identity "$T/admin" --known-hosts "$KH" --method install-ssh-key --accept-new-host-key "$@"; }
box > "$T/box1.out" 2>&1 || true
check "storage box: uploaded through install-ssh-key" grep -q "added: install-ssh-key" "$T/box1.out"
check "...the key is in the box's authorized_keys once" test "$(count "$H2/.ssh/authorized_keys")" = 1
box > "$T/box2.out" 2>&1 || true
check "storage box, again: there already (read with cat, install-ssh-key not run)" grep -q "is there already: install-ssh-key" "$T/box2.out"
check "...still once" test "$(count "$H2/.ssh/authorized_keys")" = 1
check "only 127.0.0.1 was contacted (sshd logged our logins)" grep -q "Accepted publickey for root from 127.0.0.1" "$T/sshd2/sshd.log"

finish
