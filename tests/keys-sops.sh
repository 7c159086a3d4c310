#!/bin/bash
# keygen in Clan's sops layout, end to end, with reference tools as oracles: the seed's
# multi-destination sample, three admins (one the runner, two through a default group);
# Debian's age opens every enc entry with the machine's and each admin's identity; npm's
# sops-age (MAC checked, tests/sops-oracle.mjs) decrypts every secret; the machine keys are
# decrypted the way sops-nix gets them (populate: sops/secrets/<m>-age.key, then the vars
# with the machine's own key); the server's sshd runs with its decrypted host key, the
# client logs in (strict known_hosts) and runs borg through `borg serve`. Then: left alone
# on a second run, --regenerate atomic with the old files kept, vars list/check/fix with a
# new group member, and bad inputs refused with their reasons.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
. "$top_srcdir/tests/keys-lib.sh"
for t in age age-keygen node npm jq ssh ssh-keygen; do
    have "$t" || { echo "missing $t: run ./quickstart test (installs the test packages)"; exit 1; }
done
npm_dir="$top_builddir/tests/npm-oracles"
if [ ! -d "$npm_dir/node_modules/sops-age" ]; then
    mkdir -p "$npm_dir"
    npm install --silent --no-audit --no-fund --prefix "$npm_dir" sops-age@4.0.2 \
        age-encryption@0.2.4 >/dev/null
fi
cp "$top_srcdir/tests/sops-oracle.mjs" "$npm_dir/sops-oracle.mjs"
oracle() { node "$npm_dir/sops-oracle.mjs" decrypt "$1" "$2"; } # FILE IDENTITYFILE
unset SOPS_AGE_KEY SOPS_AGE_KEY_FILE
export XDG_CONFIG_HOME=$T/config XDG_DATA_HOME=$T/data

C=$T/clan
keys_clan "$C" multi-destination.nix
# addresses instead of the sample's placeholders (the client needs one for known_hosts)
sed -i 's/root@<IP-ADDRESS>"; # REPLACE WITH POSTGRES/root@192.0.2.20"; # REPLACE WITH POSTGRES/; s/"<IP-ADDRESS>"/"192.0.2.10"/; s/root@<IP-ADDRESS>/root@192.0.2.10/' "$C/clan.nix"
A=$T/admins
mkdir -p "$A" "$C/sops/users/alice" "$C/sops/users/bob" "$C/sops/users/carol" "$C/sops/groups/admins/users"
for u in alice bob carol dave; do age-keygen -o "$A/$u.txt" 2>/dev/null; done
# alice as `clan secrets users add` writes it (a list), bob and carol in the older form
printf '[\n  {\n    "publickey": "%s",\n    "type": "age"\n  }\n]' "$(age-keygen -y "$A/alice.txt")" >"$C/sops/users/alice/key.json"
for u in bob carol; do
    printf '{"publickey": "%s", "type": "age"}' "$(age-keygen -y "$A/$u.txt")" >"$C/sops/users/$u/key.json"
    ln -s "../../../users/$u" "$C/sops/groups/admins/users/$u"
done

# ---- no admin key, or one that is no user: refused with the fix, nothing written ----
"$CLAN_TUI" keygen "$C/clan.nix" --group admins >"$T/o" 2>"$T/e" && st=0 || st=$?
check "no admin key: exit 1, where it looked and the fix" sh -c '[ '$st' -eq 1 ] && grep -q "no admin age key.*config/sops/age/keys.txt does not exist; fix: age-keygen -o" "$0" && [ ! -e "$1/vars" ]' "$T/e" "$C"
SOPS_AGE_KEY_FILE=$A/dave.txt "$CLAN_TUI" keygen "$C/clan.nix" >"$T/o" 2>"$T/e" && st=0 || st=$?
check "an admin key of no user: exit 1 with the command that adds it" sh -c '[ '$st' -eq 1 ] && grep -q "is no user of this clan.*sops/users/\$USER/key.json" "$0" && [ ! -e "$1/vars" ] && [ ! -e "$1/sops/machines" ]' "$T/e" "$C"

# ---- generate: alice runs it (keys.txt in XDG_CONFIG_HOME), admins is a default group ----
mkdir -p "$XDG_CONFIG_HOME/sops/age" && cp "$A/alice.txt" "$XDG_CONFIG_HOME/sops/age/keys.txt"
"$CLAN_TUI" keygen "$C/clan.nix" --group admins >"$T/gen" 2>"$T/gen.err" || { cat "$T/gen.err"; exit 1; }
check "keygen says where the secrets went and for whom" grep -q "^secrets: sops files in .*, encrypted for admin alice" "$T/gen"
V=$C/vars/per-machine
for m in postgres-server backup-server; do
    check "$m: machine key.json, as clan writes it" sh -c 'jq -e ".[0].type == \"age\"" "$0" >/dev/null && [ "$(tail -c1 "$0" | od -An -c | tr -d " ")" = "]" ]' "$C/sops/machines/$m/key.json"
    oracle "$C/sops/secrets/$m-age.key/secret" "$A/bob.txt" >"$T/$m.age" 2>"$T/e" || cat "$T/e"
    check "$m: its age key decrypts (bob, through the group) to the key in key.json" \
        test "$(age-keygen -y "$T/$m.age")" = "$(jq -r '.[0].publickey' "$C/sops/machines/$m/key.json")"
    check "$m: age key secret links to the admin" test "$(readlink "$C/sops/secrets/$m-age.key/users/alice")" = ../../../sops/users/alice
done
secrets="postgres-server/borgbackup/borgbackup.ssh postgres-server/borgbackup/borgbackup.repokey backup-server/openssh/ssh.id_ed25519"
for s in $secrets; do
    m=${s%%/*}
    f=$V/$s/secret
    want=$( (jq -r '.[].publickey' "$C/sops/machines/$m/key.json"; for u in alice bob carol; do age-keygen -y "$A/$u.txt"; done) | sort | tr '\n' ' ')
    check "$s: recipients are the machine and the three admins, sorted" test "$(jq -r '.sops.age[].recipient' "$f" | tr '\n' ' ')" = "$want"
    n=0
    for id in "$T/$m.age" "$A/alice.txt" "$A/bob.txt" "$A/carol.txt"; do
        jq -r ".sops.age[$n].enc" "$f" >"$T/enc"
        age -d -i "$T/$m.age" -i "$A/alice.txt" -i "$A/bob.txt" -i "$A/carol.txt" -o "$T/dk" "$T/enc" 2>/dev/null
        check "$s: age opens enc entry $n (32-byte data key)" test "$(stat -c %s "$T/dk")" -eq 32
        oracle "$f" "$id" >"$T/pt.$n" 2>"$T/e" || cat "$T/e"
        n=$((n + 1))
    done
    check "$s: sops-age decrypts it, MAC checked, the same for all four identities" sh -c 'test -s "$0" && cmp -s "$0" "$1" && cmp -s "$0" "$2" && cmp -s "$0" "$3"' "$T/pt.0" "$T/pt.1" "$T/pt.2" "$T/pt.3"
    check "$s: links machines/$m, users/alice, groups/admins into sops/" sh -c '[ "$(readlink "$0/machines/$1")" = "../../../../../../sops/machines/$1" ] && [ "$(readlink "$0/users/alice")" = ../../../../../../sops/users/alice ] && [ "$(readlink "$0/groups/admins")" = ../../../../../../sops/groups/admins ]' "$V/$s" "$m"
done
# sops-nix's way: the machine's own age key (from sops/secrets/<m>-age.key) opens its vars
oracle "$V/postgres-server/borgbackup/borgbackup.ssh/secret" "$T/postgres-server.age" >"$T/client_key"
oracle "$V/postgres-server/borgbackup/borgbackup.repokey/secret" "$T/postgres-server.age" >"$T/repokey"
oracle "$V/backup-server/openssh/ssh.id_ed25519/secret" "$T/backup-server.age" >"$T/host_key"
chmod 600 "$T/client_key" "$T/host_key"
check "ssh-keygen -y on the decrypted borgbackup.ssh gives the public value" sh -c 'printf "%s \n" "$(ssh-keygen -y -f "$0")" | cmp -s - "$1"' "$T/client_key" "$V/postgres-server/borgbackup/borgbackup.ssh.pub/value"
check "ssh-keygen -y on the decrypted host key gives the openssh public value" sh -c 'printf "%s \n" "$(ssh-keygen -y -f "$0")" | cmp -s - "$1"' "$T/host_key" "$V/backup-server/openssh/ssh.id_ed25519.pub/value"
kh=$V/postgres-server/borgbackup-known-hosts/known_hosts/value
check "the client's known_hosts holds the server's openssh public key" grep -qxF "192.0.2.10 $(cut -d' ' -f1,2 "$V/backup-server/openssh/ssh.id_ed25519.pub/value")" "$kh"
check "vars get decrypts as clan vars get (bob's key in SOPS_AGE_KEY)" sh -c 'SOPS_AGE_KEY="$(cat "$0")" "$CLAN_TUI" vars get "$1/clan.nix" postgres-server borgbackup/borgbackup.repokey | cmp -s - "$2"' "$A/bob.txt" "$C" "$T/repokey"
check "no plaintext secret under the clan directory" sh -c '! grep -rqF -e "PRIVATE KEY" -e "$(cat "$1")" -e AGE-SECRET-KEY "$0"' "$C" "$T/repokey"

# ---- the keys work: sshd with the decrypted host key, borg serve with the client's key ----
mkdir -p "$T/sshd" && chmod 700 "$T/sshd"
install -m 600 "$T/host_key" "$T/sshd/host_ed25519"
cp "$V/backup-server/openssh/ssh.id_ed25519.pub/value" "$T/sshd/host_ed25519.pub"
sshd_start "$T/sshd" || exit $?
repo_dir=$T/borgbackup/postgres-server
mkdir -p "$repo_dir"
printf 'command="cd %s && borg serve --restrict-to-repository .",restrict %s' "$repo_dir" "$(cat "$V/postgres-server/borgbackup/borgbackup.ssh.pub/value")" >"$T/sshd/authorized_keys"
ssh_opts=(-F /dev/null -p "$SSHD_PORT" -i "$T/client_key" -o IdentitiesOnly=yes -o BatchMode=yes
    -o PasswordAuthentication=no -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$kh"
    -o GlobalKnownHostsFile=/dev/null -o HostKeyAlias=192.0.2.10 -o ConnectTimeout=10)
export BORG_RSH="ssh ${ssh_opts[*]}" BORG_PASSCOMMAND="cat $T/repokey"
export BORG_BASE_DIR=$T/borg-base BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
mkdir -p "$T/data" && echo "the database dump" >"$T/data/dump.sql"
check "borg init over ssh (strict known_hosts) with the decrypted key and passphrase" borg init --encryption repokey root@127.0.0.1:.
check "borg create" borg create root@127.0.0.1:.::postgres-server-1 "$T/data"
check "borg list shows it" sh -c 'borg list root@127.0.0.1:. | grep -q "^postgres-server-1 "'
sshd_stop

# ---- a second run leaves everything alone ----
tree_files "$C" >"$T/before"
"$CLAN_TUI" keygen "$C/clan.nix" --group admins >"$T/gen2" 2>&1
tree_files "$C" >"$T/after"
check "second run: nothing written" cmp -s "$T/before" "$T/after"
check "second run: says left alone" grep -q "^postgres-server: borgbackup: exists, left alone" "$T/gen2"

# ---- --regenerate: replaced together, old files kept outside the clan, upload named ----
old_pub=$(cat "$V/postgres-server/borgbackup/borgbackup.ssh.pub/value")
old_secret=$(sha256sum <"$V/postgres-server/borgbackup/borgbackup.ssh/secret")
"$CLAN_TUI" keygen "$C/clan.nix" --group admins --machine postgres-server --regenerate >"$T/regen" 2>&1
check "regenerate: a new public key" sh -c '[ "$(cat "$0")" != "$1" ]' "$V/postgres-server/borgbackup/borgbackup.ssh.pub/value" "$old_pub"
check "regenerate: says which public key to upload again" grep -q "upload again: .*postgres-server (clan-tui vars get postgres-server borgbackup/borgbackup.ssh.pub)" "$T/regen"
bdir=$(sed -n 's/^  backup \(.*\) (the old files)$/\1/p' "$T/regen" | head -1)
check "regenerate: the old files are kept, outside the clan" sh -c '[ -n "$0" ] && case "$0" in "$1"*) false;; esac && [ "$(cat "$0/postgres-server/borgbackup/borgbackup.ssh.pub/value")" = "$2" ] && [ "$(sha256sum <"$0/postgres-server/borgbackup/borgbackup.ssh/secret")" = "$3" ]' "$bdir" "$C" "$old_pub" "$old_secret"
oracle "$V/postgres-server/borgbackup/borgbackup.ssh/secret" "$T/postgres-server.age" >"$T/k2"
chmod 600 "$T/k2"
check "regenerate: the new secret matches the new public value" sh -c 'printf "%s \n" "$(ssh-keygen -y -f "$0")" | cmp -s - "$1"' "$T/k2" "$V/postgres-server/borgbackup/borgbackup.ssh.pub/value"

# ---- vars list / check / fix: dave joins the admins group ----
export SOPS_AGE_KEY_FILE=$A/alice.txt
check "vars check: nothing to fix" "$CLAN_TUI" vars check "$C/clan.nix" postgres-server
mkdir -p "$C/sops/users/dave"
printf '{"publickey": "%s", "type": "age"}' "$(age-keygen -y "$A/dave.txt")" >"$C/sops/users/dave/key.json"
ln -s ../../../users/dave "$C/sops/groups/admins/users/dave"
"$CLAN_TUI" vars check "$C/clan.nix" postgres-server >"$T/chk" 2>&1 && st=0 || st=$?
check "vars check: exit 1, dave missing on both secrets" sh -c '[ '$st' -eq 1 ] && [ $(grep -c "missing: user dave" "$0") -eq 2 ]' "$T/chk"
"$CLAN_TUI" vars list "$C/clan.nix" postgres-server >"$T/list" 2>&1
check "vars list: public and secret files by generator, readable, recipients" sh -c 'grep -qx "borgbackup" "$0" && grep -q "^  borgbackup.ssh.pub: public" "$0" && grep "^  borgbackup.repokey: secret, readable; recipients: " "$0" | grep "machine postgres-server" | grep -q "user alice" && grep -q "^  known_hosts: public" "$0"' "$T/list"
before=$(oracle "$V/postgres-server/borgbackup/borgbackup.repokey/secret" "$A/alice.txt" | sha256sum)
"$CLAN_TUI" vars fix "$C/clan.nix" postgres-server >"$T/fix" 2>&1
check "vars fix: two secrets re-encrypted" grep -q "^2 secrets re-encrypted" "$T/fix"
check "vars fix: dave now decrypts, the plaintext unchanged" sh -c '[ "$(node "$2" decrypt "$0" "$1" | sha256sum)" = "$3" ]' "$V/postgres-server/borgbackup/borgbackup.repokey/secret" "$A/dave.txt" "$npm_dir/sops-oracle.mjs" "$before"
check "vars check after the fix: nothing to fix" "$CLAN_TUI" vars check "$C/clan.nix" postgres-server

# ---- bad inputs ----
ln -s "$T" "$V/postgres-server/borgbackup/borgbackup.repokey/users/evil"
"$CLAN_TUI" vars check "$C/clan.nix" postgres-server >"$T/bad" 2>&1 && st=0 || st=$?
check "a recipient link pointing outside sops/: refused with the reason" sh -c '[ '$st' -eq 1 ] && grep -q "users/evil: error: points outside sops/users/" "$0"' "$T/bad"
rm "$V/postgres-server/borgbackup/borgbackup.repokey/users/evil"
printf '{"publickey": "ssh-ed25519 AAAAC3Nza", "type": "age"}' >"$C/sops/users/carol/key.json"
"$CLAN_TUI" vars check "$C/clan.nix" postgres-server >"$T/bad" 2>&1 && st=0 || st=$?
check "a key.json that is not an age key: refused, file and position named" sh -c '[ '$st' -eq 1 ] && grep -q "sops/users/carol/key.json:1:15: error: publickey not an age recipient" "$0"' "$T/bad"
printf '{"publickey": "%s", "type": "age"}' "$(age-keygen -y "$A/carol.txt")" >"$C/sops/users/carol/key.json"
f=$V/postgres-server/borgbackup/borgbackup.repokey/secret
cp "$f" "$T/good"
jq --tab '.sops.lastmodified |= sub("Z$"; ".5Z")' "$T/good" >"$f" # the MAC is bound to it
SOPS_AGE_KEY_FILE=$A/alice.txt "$CLAN_TUI" vars get "$C/clan.nix" postgres-server borgbackup/borgbackup.repokey >"$T/o" 2>"$T/e" && st=0 || st=$?
check "tampered MAC (its lastmodified): vars get refuses, naming the file" sh -c '[ '$st' -eq 1 ] && [ ! -s "$0" ] && grep -q "borgbackup.repokey/secret: error: the MAC does not authenticate" "$1"' "$T/o" "$T/e"
head -c 300 "$T/good" >"$f"
"$CLAN_TUI" vars get "$C/clan.nix" postgres-server borgbackup/borgbackup.repokey >"$T/o" 2>"$T/e" && st=0 || st=$?
check "truncated sops file: refused with its position" sh -c '[ '$st' -eq 1 ] && grep -q "borgbackup.repokey/secret:[0-9]*:[0-9]*: error: .*truncated" "$0"' "$T/e"
cp "$T/good" "$f"
SOPS_AGE_KEY_FILE=$A/dave.txt "$CLAN_TUI" vars get "$C/clan.nix" backup-server openssh/ssh.id_ed25519 >"$T/o" 2>"$T/e" && st=0 || st=$?
check "wrong recipient (dave was never given the host key): no matching identity" sh -c '[ '$st' -eq 1 ] && grep -q "no matching identity" "$0"' "$T/e"
finish
