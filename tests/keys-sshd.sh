#!/bin/bash
# The generated keys work for real: an sshd on 127.0.0.1 runs with the backup server's
# generated host key, authorizes the client's generated key the way Clan's borgbackup server
# does (forced `borg serve`), and the client connects with its generated known_hosts and key
# (StrictHostKeyChecking=yes) and backs up with borg using its generated passphrase.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
. "$top_srcdir/tests/keys-lib.sh"
have ssh || { echo "ssh not installed (openssh-client)"; exit 77; }

C=$T/clan
S=$T/secrets
keys_clan "$C" two-machines.nix
"$CLAN_TUI" keygen "$C/clan.nix" --secrets "$S" >"$T/gen" 2>"$T/gen.err" || { cat "$T/gen.err"; exit 1; }
SEC=$(realpath "$S")
VARS=$C/vars/per-machine

# the backup server's sshd runs with the host key keygen made
mkdir -p "$T/sshd" && chmod 700 "$T/sshd"
install -m 600 "$SEC/backup-server/openssh/ssh.id_ed25519" "$T/sshd/host_ed25519"
cp "$VARS/backup-server/openssh/ssh.id_ed25519.pub/value" "$T/sshd/host_ed25519.pub"
sshd_start "$T/sshd" || { st=$?; [ $st -eq 77 ] && echo "sshd not installed (openssh-server)"; exit $st; }
check "sshd serves the generated host key" [ "$(ssh-keygen -l -f "$SSHD_HOSTKEY" | cut -d" " -f2)" = "$(fp_in "$T/gen" backup-server openssh)" ]

priv=$SEC/alice-laptop/borgbackup/borgbackup.ssh
pub=$VARS/alice-laptop/borgbackup/borgbackup.ssh.pub/value
kh=$VARS/alice-laptop/borgbackup-known-hosts/known_hosts/value
# strict host key checking against the generated known_hosts; the alias is the server's
# address from clan.nix, the name the known_hosts line carries
ssh_opts=(-F /dev/null -p "$SSHD_PORT" -i "$priv" -o IdentitiesOnly=yes -o BatchMode=yes
    -o PasswordAuthentication=no -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh"
    -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=192.168.56.104 -o ConnectTimeout=10)

expect_status 255 "before authorizing: the key is refused" ssh "${ssh_opts[@]}" root@127.0.0.1 true
cat "$pub" >>"$T/sshd/authorized_keys"
check "the generated key authenticates" sh -c 'out=$(ssh "$@" root@127.0.0.1 echo authenticated) && [ "$out" = authenticated ]' ssh "${ssh_opts[@]}"
check "sshd logged the key by our fingerprint" grep -q "Accepted publickey for root from 127.0.0.1 .* ED25519 $(fp_in "$T/gen" alice-laptop borgbackup)" "$T/sshd/sshd.log"

# another client's key is not the same key
pg_priv=$SEC/postgres-server/borgbackup/borgbackup.ssh
pg_opts=("${ssh_opts[@]}")
pg_opts[5]=$pg_priv
expect_status 255 "postgres-server's key is not authorized" ssh "${pg_opts[@]}" root@127.0.0.1 true

# a wrong host key is rejected: the known_hosts line is really checked
wrong=$T/wrong_known_hosts
printf '192.168.56.104 %s\n' "$(cut -d' ' -f1,2 "$pub")" >"$wrong"
bad_opts=("${ssh_opts[@]}")
for i in "${!bad_opts[@]}"; do
    [ "${bad_opts[$i]}" = "UserKnownHostsFile=$kh" ] && bad_opts[$i]="UserKnownHostsFile=$wrong"
done
expect_status 255 "a different host key is refused (strict checking)" ssh "${bad_opts[@]}" root@127.0.0.1 true

# borg, as Clan's server role authorizes a client: forced command into the client's repo
if have borg; then
    repo_dir=$T/borgbackup/alice-laptop
    mkdir -p "$repo_dir"
    printf 'command="cd %s && borg serve --restrict-to-repository .",restrict %s' "$repo_dir" "$(cat "$pub")" >"$T/sshd/authorized_keys"
    mkdir -p "$T/data" && echo "alice's documents" >"$T/data/doc.txt"
    export BORG_RSH="ssh ${ssh_opts[*]}"
    export BORG_PASSCOMMAND="cat $SEC/alice-laptop/borgbackup/borgbackup.repokey"
    export BORG_BASE_DIR=$T/borg-base BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
    check "borg init --encryption repokey over the generated key" borg init --encryption repokey root@127.0.0.1:.
    check "borg create" borg create root@127.0.0.1:.::alice-laptop-backup-server-1 "$T/data"
    check "borg list shows the archive" sh -c 'borg list root@127.0.0.1:. | grep -q "^alice-laptop-backup-server-1 "'
    BORG_PASSCOMMAND="echo wrong-passphrase" borg list root@127.0.0.1:. >/dev/null 2>&1 && st=0 || st=$?
    check "the repository really is encrypted with the generated passphrase" [ "$st" -ne 0 ]
    check "the forced command kept borg in the client's directory" test -f "$repo_dir/config"
else
    echo "borg not installed: borg round trip skipped"
fi
check "no plaintext secret under the clan directory" no_plaintext_secrets "$C" "$S"
finish
