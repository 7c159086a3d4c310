#!/bin/bash
# clan-tui keygen / vars get on the user's examples, checked with the real ssh-keygen.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/keys-lib.sh"
have ssh-keygen || { echo "ssh-keygen not installed (openssh-client)"; exit 77; }

C=$T/clan
S=$T/secrets
keys_clan "$C" two-machines.nix
VARS=$C/vars/per-machine

# ---- usage ----
check "keygen --help" sh -c '"$CLAN_TUI" keygen --help | grep -q "^Usage: clan-tui keygen \[DIR|FILE\]"'
check "vars --help" sh -c '"$CLAN_TUI" vars --help | grep -q "^Usage: clan-tui vars get \[DIR|FILE\]"'
# usage_error MESSAGE CMD...: exit 2 and that message, one line plus the hint
usage_error() {
    want=$1; shift
    set +e; "$@" >/dev/null 2>"$T/usage.err"; got=$?; set -e
    [ "$got" -eq 2 ] && grep -q -- "$want" "$T/usage.err" && [ "$(wc -l <"$T/usage.err")" -eq 1 ]
}
mkdir -p "$T/noclan"
check "keygen without DIR|FILE outside any clan: exit 1, says so" sh -c 'cd "$0" && { "$1" keygen --secrets "$2" >/dev/null 2>"$0/err"; [ $? -eq 1 ]; } && grep -q "no clan here or in any parent directory" "$0/err"' "$T/noclan" "$CLAN_TUI" "$S"
check "keygen --all with --machine" usage_error "exclude each other" "$CLAN_TUI" keygen "$C/clan.nix" --all --machine alice-laptop
check "keygen --regenerate needs a selection" usage_error "name them with --machine M or --all" "$CLAN_TUI" keygen "$C/clan.nix" --regenerate
check "keygen --secrets without value" usage_error "needs a value" "$CLAN_TUI" keygen "$C/clan.nix" --secrets
check "keygen unknown option" usage_error "unknown option '--frob'" "$CLAN_TUI" keygen "$C/clan.nix" --frob
check "keygen two files" usage_error "unexpected argument" "$CLAN_TUI" keygen "$C/clan.nix" other.nix
check "vars without subcommand" usage_error "missing subcommand" "$CLAN_TUI" vars
check "vars unknown subcommand" usage_error "unknown subcommand 'put'" "$CLAN_TUI" vars put "$C/clan.nix" a b/c
check "vars get with too few arguments" usage_error "get needs .DIR|FILE. MACHINE GENERATOR/FILE" "$CLAN_TUI" vars get "$C/clan.nix" alice-laptop
check "vars get with too many arguments" usage_error "unexpected argument" "$CLAN_TUI" vars get "$C/clan.nix" alice-laptop a/b c
check "nothing written by usage errors" sh -c '[ ! -e "$0/vars" ] && [ ! -e "$1" ]' "$C" "$S"

# ---- refusals before anything is written ----
"$CLAN_TUI" keygen "$C/clan.nix" --secrets "$C/secrets" >"$T/out" 2>"$T/err" && st=0 || st=$?
check "secrets inside the clan directory: refused" sh -c '[ '$st' -eq 1 ] && grep -q "inside the clan directory" "$0"' "$T/err"
ln -s "$C" "$T/clan-link"
"$CLAN_TUI" keygen "$C/clan.nix" --secrets "$T/clan-link/x" >"$T/out" 2>"$T/err" && st=0 || st=$?
check "secrets reaching the clan directory through a symlink: refused" sh -c '[ '$st' -eq 1 ] && grep -q "inside the clan directory" "$0"' "$T/err"
expect_status 1 "unknown machine" "$CLAN_TUI" keygen "$C/clan.nix" --secrets "$S" --machine nope
check "refusals wrote nothing" sh -c '[ ! -e "$0/vars" ] && [ ! -e "$1" ] && [ ! -e "$0/secrets" ]' "$C" "$S"

# ---- generate ----
"$CLAN_TUI" keygen "$C/clan.nix" --all --secrets "$S" >"$T/gen1" 2>"$T/gen1.err"
cat "$T/gen1" "$T/gen1.err"
check "keygen says where the secrets went" grep -qF "secrets directory: $(realpath "$S")" "$T/gen1"
check "server host key first" sh -c 'head -2 "$0" | tail -1 | grep -q "^backup-server: openssh: generated SHA256:"' "$T/gen1"
for m in alice-laptop postgres-server; do
    check "$m: borgbackup generated" grep -q "^$m: borgbackup: generated SHA256:" "$T/gen1"
    check "$m: known_hosts generated" grep -q "^$m: known_hosts: generated" "$T/gen1"
done
check "no install-order warning" sh -c '! grep -q "install order" "$0"' "$T/gen1.err"

SEC=$(realpath "$S")
for m in alice-laptop postgres-server; do
    pub=$VARS/$m/borgbackup/borgbackup.ssh.pub/value
    priv=$SEC/$m/borgbackup/borgbackup.ssh
    rk=$SEC/$m/borgbackup/borgbackup.repokey
    check "$m: public value in Clan's layout" test -f "$pub"
    check "$m: secret key and repokey in the secrets directory" test -f "$priv" -a -f "$rk"
    check "$m: ssh-keygen -y reproduces the public value byte for byte" sh -c 'pub_line_of() { printf "%s \n" "$(ssh-keygen -y -f "$1")"; }; pub_line_of "$0" | cmp -s - "$1"' "$priv" "$pub"
    fp=$(fp_in "$T/gen1" "$m" borgbackup)
    check "$m: ssh-keygen -l on the private key gives our fingerprint" sh -c '[ "$(ssh-keygen -l -f "$0" | cut -d" " -f2)" = "$1" ]' "$priv" "$fp"
    check "$m: ssh-keygen -l on the public value gives our fingerprint" sh -c '[ "$(ssh-keygen -l -f "$0" | cut -d" " -f2)" = "$1" ]' "$pub" "$fp"
    check "$m: ssh-keygen -l sees an empty comment" sh -c 'ssh-keygen -l -f "$0" | grep -q "no comment (ED25519)$"' "$pub"
    check "$m: files 0600, directories 0700" sh -c '[ "$(stat -c %a "$0" "$1" "$2" "$3" "$4" | tr "\n" " ")" = "600 600 700 700 700 " ]' "$priv" "$rk" "$SEC/$m/borgbackup" "$SEC/$m" "$SEC"
    check "$m: public value 0644" sh -c '[ "$(stat -c %a "$0")" = 644 ]' "$pub"
    check "$m: repokey is six words, 7 letters each" grep -Eqx '([bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz]-){5}[bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz][aiou][bdfghjklmnprstvz]' "$rk"
done
check "the two clients got different keys" sh -c '! cmp -s "$0" "$1"' "$VARS/alice-laptop/borgbackup/borgbackup.ssh.pub/value" "$VARS/postgres-server/borgbackup/borgbackup.ssh.pub/value"
hk=$VARS/backup-server/openssh/ssh.id_ed25519.pub/value
check "server host key: ssh-keygen -y reproduces it" sh -c 'printf "%s \n" "$(ssh-keygen -y -f "$0")" | cmp -s - "$1"' "$SEC/backup-server/openssh/ssh.id_ed25519" "$hk"
check "server host key fingerprint" sh -c '[ "$(ssh-keygen -l -f "$0" | cut -d" " -f2)" = "$1" ]' "$hk" "$(fp_in "$T/gen1" backup-server openssh)"
kh=$VARS/alice-laptop/borgbackup-known-hosts/known_hosts/value
check "known_hosts: ssh-keygen -F finds the server's address" sh -c 'ssh-keygen -F 192.168.56.104 -f "$0" | grep -q "^192.168.56.104 ssh-ed25519 "' "$kh"
check "known_hosts: one line, the server's host key" sh -c '[ "$(cat "$0")" = "192.168.56.104 $(cut -d" " -f1,2 "$1")" ]' "$kh" "$hk"
check "no temporary files left" sh -c '! find "$0" "$1" -name "*.tmp-*" | grep -q .' "$C" "$S"
check "no plaintext secret under the clan directory" no_plaintext_secrets "$C" "$S"

# ---- twice: nothing changes ----
{ tree_state "$C"; tree_state "$S"; } >"$T/state1"
"$CLAN_TUI" keygen "$C/clan.nix" --secrets "$S" >"$T/gen2" 2>"$T/gen2.err"
{ tree_state "$C"; tree_state "$S"; } >"$T/state2"
check "second run: every file exactly as it was (inode, mtime, content)" cmp -s "$T/state1" "$T/state2"
check "second run: keys left alone" sh -c '[ $(grep -c "exists, left alone" "$0") -eq 3 ] && [ $(grep -c "known_hosts: unchanged" "$0") -eq 2 ]' "$T/gen2"
check "second run: same fingerprints" sh -c '[ "$(fp_in "$0" alice-laptop borgbackup)" = "$(fp_in "$1" alice-laptop borgbackup)" ]' "$T/gen1" "$T/gen2"
check "second run: summary" grep -q "^0 generated, 0 regenerated, 3 left alone, 0 updated, 2 unchanged, 0 failed$" "$T/gen2"

# ---- vars get, as in the user's document ----
"$CLAN_TUI" vars get "$C/clan.nix" postgres-server borgbackup/borgbackup.ssh.pub >"$T/pub" 2>"$T/err"
check "vars get prints the public value byte for byte" cmp -s "$T/pub" "$VARS/postgres-server/borgbackup/borgbackup.ssh.pub/value"
check "vars get works with --secrets anywhere" sh -c '"$CLAN_TUI" vars get --secrets "$1" "$0/clan.nix" postgres-server borgbackup/borgbackup.repokey | cmp -s - "$2"' "$C" "$S" "$SEC/postgres-server/borgbackup/borgbackup.repokey"
check "vars get: the host key" sh -c '"$CLAN_TUI" vars get "$0/clan.nix" backup-server openssh/ssh.id_ed25519.pub | cmp -s - "$1"' "$C" "$hk"
"$CLAN_TUI" vars get "$C/clan.nix" backup-server borgbackup/borgbackup.ssh.pub >"$T/out" 2>"$T/err" && st=0 || st=$?
check "vars get: not generated" sh -c '[ '$st' -eq 1 ] && grep -q "Var borgbackup/borgbackup.ssh.pub has not been generated yet" "$0" && [ ! -s "$1" ]' "$T/err" "$T/out"
"$CLAN_TUI" vars get "$C/clan.nix" nope borgbackup/borgbackup.ssh.pub >"$T/out" 2>"$T/err" && st=0 || st=$?
check "vars get: unknown machine names the machines" sh -c '[ '$st' -eq 1 ] && grep -q "no machine .nope.*alice-laptop" "$0"' "$T/err"
expect_status 1 "vars get: bad var id" "$CLAN_TUI" vars get "$C/clan.nix" alice-laptop borgbackup
expect_status 1 "vars get: path escape refused" "$CLAN_TUI" vars get "$C/clan.nix" alice-laptop ../../x

# ---- --regenerate keeps a dated backup ----
old_pub=$(cat "$VARS/alice-laptop/borgbackup/borgbackup.ssh.pub/value")
old_fp=$(fp_in "$T/gen1" alice-laptop borgbackup)
"$CLAN_TUI" keygen "$C/clan.nix" --secrets "$S" --machine alice-laptop --regenerate >"$T/regen" 2>&1
cat "$T/regen"
check "regenerate: says so, with the old fingerprint" grep -q "^alice-laptop: borgbackup: regenerated SHA256:.* (was $old_fp)" "$T/regen"
bdir=$(awk '/^  backup /{print $2; exit}' "$T/regen")
check "regenerate: dated backup directory in the secrets directory" sh -c 'case "$0" in "$1"/alice-laptop/borgbackup/backup-20[0-9][0-9][01][0-9][0-3][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z) [ -d "$0" ];; *) false;; esac' "$bdir" "$SEC"
check "regenerate: the old pair is in the backup" sh -c '[ "$(cat "$0/borgbackup.ssh.pub")" = "$1" ] && printf "%s \n" "$(ssh-keygen -y -f "$0/borgbackup.ssh")" | cmp -s - "$0/borgbackup.ssh.pub" && [ -s "$0/borgbackup.repokey" ]' "$bdir" "$old_pub"
check "regenerate: backup files 0600, directory 0700" sh -c '[ "$(stat -c %a "$0" "$0"/* | sort -u | tr "\n" " ")" = "600 700 " ]' "$bdir"
check "regenerate: a new key" sh -c '[ "$(cat "$0")" != "$1" ]' "$VARS/alice-laptop/borgbackup/borgbackup.ssh.pub/value" "$old_pub"
check "regenerate: other machines untouched" [ "$(fp_in "$T/gen1" postgres-server borgbackup)" = "$(ssh-keygen -l -f "$VARS/postgres-server/borgbackup/borgbackup.ssh.pub/value" | cut -d" " -f2)" ]
check "no plaintext secret under the clan directory" no_plaintext_secrets "$C" "$S"

# ---- install order (the user's document: install the backup server first) ----
C2=$T/order
S2=$T/secrets2
keys_clan "$C2" two-machines.nix
"$CLAN_TUI" keygen "$C2/clan.nix" --secrets "$S2" --machine alice-laptop >"$T/o1" 2>"$T/o1.err"
cat "$T/o1.err"
check "client first: generated anyway" grep -q "^alice-laptop: borgbackup: generated" "$T/o1"
check "client first: install-order warning" grep -q "warning: install order: alice-laptop has borgbackup keys but its backup server backup-server has no host key yet" "$T/o1.err"
check "client first: the fix generates the server, then the client again" grep -qF "fix: clan-tui keygen $C2/clan.nix --machine backup-server --secrets $S2 && clan-tui keygen $C2/clan.nix --machine alice-laptop --secrets $S2 --regenerate" "$T/o1.err"
# the client's key is older than the server's (real installs are minutes apart)
touch -d "2026-01-01 00:00:00" "$C2/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub/value"
"$CLAN_TUI" keygen "$C2/clan.nix" --secrets "$S2" --machine backup-server >"$T/o2" 2>"$T/o2.err"
cat "$T/o2.err"
check "server later: the client's keys predate its host key" grep -q "warning: install order: alice-laptop's borgbackup keys predate the host key of its backup server backup-server" "$T/o2.err"
fix=$(sed -n 's/^  fix: //p' "$T/o2.err" | head -1)
check "the fix re-generates the client's vars" sh -c '[ "$0" = "clan-tui keygen $1/clan.nix --machine alice-laptop --secrets $2 --regenerate" ]' "$fix" "$C2" "$S2"
eval "\"\$CLAN_TUI\" ${fix#clan-tui }" >"$T/o3" 2>"$T/o3.err"
check "after the fix: regenerated, known_hosts written" sh -c 'grep -q "^alice-laptop: borgbackup: regenerated" "$0" && grep -q "^alice-laptop: known_hosts: generated" "$0"' "$T/o3"
"$CLAN_TUI" keygen "$C2/clan.nix" --secrets "$S2" >"$T/o4" 2>"$T/o4.err"
check "then --all: no install-order warning left" sh -c '! grep -q "install order" "$0"' "$T/o4.err"

# ---- plain secrets only behind --secrets; without it, sops needs an admin key ----
C3=$T/xdg-clan
keys_clan "$C3" docker-hooks.nix
env -u SOPS_AGE_KEY -u SOPS_AGE_KEY_FILE XDG_CONFIG_HOME=$T/nocfg XDG_DATA_HOME=$T/xdg "$CLAN_TUI" keygen "$C3/clan.nix" >"$T/x0" 2>"$T/x0.err" && st=0 || st=$?
check "no --secrets and no admin age key: refused with the fix, nothing written" sh -c '[ '$st' -eq 1 ] && grep -q "no admin age key: SOPS_AGE_KEY is unset and .*/nocfg/sops/age/keys.txt does not exist; fix: age-keygen -o" "$0" && [ ! -e "$1/vars" ] && [ ! -e "$1/sops" ] && [ ! -e "$2" ]' "$T/x0.err" "$C3" "$T/xdg"
"$CLAN_TUI" keygen "$C3/clan.nix" --secrets "$T/xdg/clan-tui/secrets/DOCKER-CLAN" >"$T/x1" 2>&1
check "--secrets DIR: the plain secrets there" test -f "$T/xdg/clan-tui/secrets/DOCKER-CLAN/docker-host/borgbackup/borgbackup.ssh"
check "the directory is named in the output" grep -qF "secrets directory: $(realpath "$T")/xdg/clan-tui/secrets/DOCKER-CLAN" "$T/x1"
"$CLAN_TUI" keygen "$C3/clan.nix" --secrets "$T/elsewhere" >"$T/x2" 2>"$T/x2.err" && st=0 || st=$?
check "keys whose secrets are in another secrets directory: left alone, said so" sh -c '[ '$st' -eq 1 ] && grep -q "docker-host.s borgbackup SSH key exists, but its secret is not in the secrets directory .*another secrets directory" "$0" && [ -z "$(find "$1" -type f 2>/dev/null)" ]' "$T/x2.err" "$T/elsewhere"
C5=$T/home-clan
keys_clan "$C5" docker-hooks.nix
C6=$T/sops-clan
keys_clan "$C6" docker-hooks.nix
mkdir -p "$C6/vars/per-machine/docker-host/borgbackup/borgbackup.ssh" "$C6/vars/per-machine/docker-host/borgbackup/borgbackup.ssh.pub"
echo '{"data": "ENC[AES256_GCM,data:...]"}' >"$C6/vars/per-machine/docker-host/borgbackup/borgbackup.ssh/secret"
cp "$C3/vars/per-machine/docker-host/borgbackup/borgbackup.ssh.pub/value" "$C6/vars/per-machine/docker-host/borgbackup/borgbackup.ssh.pub/value"
"$CLAN_TUI" keygen "$C6/clan.nix" --secrets "$T/s6" --machine docker-host >"$T/x4" 2>"$T/x4.err" && st=0 || st=$?
check "vars clan generated (sops): left alone, said so" sh -c '[ '$st' -eq 1 ] && grep -q "docker-host.s borgbackup SSH key was generated by clan (its secret is sops-encrypted in" "$0"' "$T/x4.err"
check "vars clan generated, server without host key: clan's own commands fix it" grep -qx "  fix: clan vars generate backup-server --generator openssh && clan vars generate docker-host --generator borgbackup --regenerate" "$T/x4.err"
env -u SOPS_AGE_KEY -u SOPS_AGE_KEY_FILE XDG_CONFIG_HOME=$T/nocfg "$CLAN_TUI" vars get "$C6/clan.nix" docker-host borgbackup/borgbackup.ssh >"$T/x5" 2>"$T/x5.err" && st=0 || st=$?
check "vars get without an admin key names the sops secret instead of printing it" sh -c '[ '$st' -eq 1 ] && [ ! -s "$0" ] && grep -q "is a sops-encrypted secret and no admin age key was given to decrypt it" "$1"' "$T/x5" "$T/x5.err"
C4=$T/noname
keys_clan "$C4" nas-schedules.nix
"$CLAN_TUI" keygen "$C4/clan.nix" --secrets "$T/nas-secrets" >"$T/n2" 2>&1
check "no meta.name with --secrets: nas and three workstations" sh -c '[ $(grep -c ": generated SHA256:" "$0") -eq 4 ]' "$T/n2"

# a machine without a borgbackup role
cat >"$T/norole.nix" <<'EON'
{
  meta.name = "NOROLE";
  inventory.machines = { web = { }; nas = { }; laptop = { }; };
  inventory.instances.borgbackup = {
    roles.client.machines.laptop = { };
    roles.server.machines.nas = { };
  };
}
EON
mkdir -p "$T/norole" && mv "$T/norole.nix" "$T/norole/clan.nix"
"$CLAN_TUI" keygen "$T/norole/clan.nix" --secrets "$T/s5" --machine web >"$T/r1" 2>"$T/r1.err" && st=0 || st=$?
check "machine without a borgbackup role: refused" sh -c '[ '$st' -eq 1 ] && grep -q "web has no borgbackup role" "$0" && [ ! -e "$1" ]' "$T/r1.err" "$T/s5"

# the modes do not depend on the umask
C7=$T/umask-clan
keys_clan "$C7" docker-hooks.nix
(umask 000; "$CLAN_TUI" keygen "$C7/clan.nix" --secrets "$T/s7" >/dev/null 2>&1)
check "umask 000: secrets still 0600 in 0700 directories" sh -c '[ "$(find "$0" -type f -printf "%m\n" | sort -u)" = 600 ] && [ "$(find "$0" -type d -printf "%m\n" | sort -u)" = 700 ]' "$T/s7"
check "umask 000: public values 0644 in 0755 directories" sh -c '[ "$(find "$0/vars" -type f -printf "%m\n" | sort -u)" = 644 ] && [ "$(find "$0/vars" -type d -printf "%m\n" | sort -u)" = 755 ]' "$C7"
rm -rf "$C7" "$T/s7"
keys_clan "$C7" docker-hooks.nix
(umask 077; "$CLAN_TUI" keygen "$C7/clan.nix" --secrets "$T/s7" >/dev/null 2>&1)
check "umask 077: public values still readable (0644)" sh -c '[ "$(find "$0/vars" -type f -printf "%m\n" | sort -u)" = 644 ]' "$C7"

for d in "$C" "$C2" "$C3" "$C4" "$C5" "$C6" "$C7" "$T/norole"; do
    check "no plaintext secret under $(basename "$d")" no_plaintext_secrets "$d" "$T"
done
finish
