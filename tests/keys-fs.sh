#!/bin/bash
# keygen against real file-system faults: a pre-existing file, a symlink planted at a
# secret's name, read-only directories (read-only bind mounts), a full secrets directory
# (a small tmpfs). Every refused or failed run leaves every file as it was and no plaintext
# secret in the clan directory. Faults that need privileges are skipped with a message.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/keys-lib.sh"

mounts=""
umount_all() { for m in $mounts; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done; mounts=""; }
trap 'umount_all; if command -v sshd_stop >/dev/null 2>&1; then sshd_stop; fi; rm -rf $cleanup_dirs' EXIT

C=$T/clan
S=$T/secrets
keys_clan "$C" two-machines.nix
KEYGEN=("$CLAN_TUI" keygen "$C/clan.nix" --secrets "$S")

# state of everything keygen may touch
state() {
    tree_files "$C"
    if [ -e "$S" ]; then tree_files "$S"; fi
}

# ---- a pre-existing secret file (e.g. from an earlier tool): left alone, refused ----
mkdir -p "$S/alice-laptop/borgbackup" && chmod -R 700 "$S"
echo "an older key, not ours" >"$S/alice-laptop/borgbackup/borgbackup.ssh"
chmod 600 "$S/alice-laptop/borgbackup/borgbackup.ssh"
before=$(sha256sum "$S/alice-laptop/borgbackup/borgbackup.ssh")
"${KEYGEN[@]}" --machine alice-laptop >"$T/o" 2>"$T/e" && st=0 || st=$?
cat "$T/e"
check "pre-existing file: refused with exit 1" [ "$st" -eq 1 ]
check "pre-existing file: says incomplete and how to fix" sh -c 'grep -q "incomplete" "$0" && grep -q -- "fix: clan-tui keygen .* --machine alice-laptop .*--regenerate" "$0"' "$T/e"
check "pre-existing file: untouched" sh -c '[ "$(sha256sum "$0")" = "$1" ]' "$S/alice-laptop/borgbackup/borgbackup.ssh" "$before"
check "pre-existing file: no public value written" test ! -e "$C/vars/per-machine/alice-laptop/borgbackup"
"${KEYGEN[@]}" --machine alice-laptop --regenerate >"$T/o" 2>"$T/e"
bdir=$(awk '/^  backup /{print $2; exit}' "$T/o")
check "pre-existing file: --regenerate keeps it in the backup" [ "$(cat "$bdir/borgbackup.ssh" 2>/dev/null)" = "an older key, not ours" ]
rm -rf "$S" "$C/vars"

# ---- a symlink planted at a secret's name: nothing is written through it ----
mkdir -p "$S/postgres-server/borgbackup" && chmod -R 700 "$S"
ln -s "$T/victim" "$S/postgres-server/borgbackup/borgbackup.ssh"
"${KEYGEN[@]}" --machine postgres-server >"$T/o" 2>"$T/e" && st=0 || st=$?
cat "$T/e"
check "symlink at the secret's name: refused, said so" sh -c '[ '$st' -eq 1 ] && grep -q "borgbackup.ssh: error: is a symbolic link to nothing" "$0"' "$T/e"
check "symlink at the secret's name: its target was not created" test ! -e "$T/victim"
check "symlink at the secret's name: no other file left" sh -c '[ -z "$(find "$0" -type f)" ] && [ ! -e "$1/vars" ]' "$S" "$C"
rm -rf "$S"

# ---- a secrets directory others can read: refused ----
mkdir -p "$S/alice-laptop/borgbackup" && chmod 755 "$S/alice-laptop/borgbackup"
"${KEYGEN[@]}" --machine alice-laptop >"$T/o" 2>"$T/e" && st=0 || st=$?
check "secrets directory with mode 0755: refused" sh -c '[ '$st' -eq 1 ] && grep -q "mode 0755" "$0" && [ -z "$(find "$1" -type f)" ]' "$T/e" "$S"
rm -rf "$S"

# ---- read-only directories (root ignores permissions: read-only bind mounts) ----
ro_bind() { # ro_bind DIR: DIR becomes read-only in place
    mount --bind "$1" "$1" 2>/dev/null || return 1
    mounts="$1 $mounts"
    mount -o remount,bind,ro "$1" 2>/dev/null || { umount "$1"; mounts=${mounts#"$1 "}; return 1; }
}
mkdir -p "$C/vars"
if ro_bind "$C/vars"; then
    s0=$(state)
    "${KEYGEN[@]}" >"$T/o" 2>"$T/e" && st=0 || st=$?
    cat "$T/e"
    check "read-only clan vars directory: exit 1" [ "$st" -eq 1 ]
    check "read-only clan vars directory: the error names it" grep -q "Read-only file system" "$T/e"
    check "read-only clan vars directory: no secret left behind either" sh -c '[ -z "$(find "$0" -type f 2>/dev/null)" ]' "$S"
    check "read-only clan vars directory: everything as it was" [ "$(state)" = "$s0" ]
    umount_all
else
    echo "SKIP: cannot make a read-only bind mount here (needs CAP_SYS_ADMIN)"
fi
rm -rf "$S" "$C/vars"
mkdir -p "$S" && chmod 700 "$S"
if ro_bind "$S"; then
    s0=$(state)
    "${KEYGEN[@]}" >"$T/o" 2>"$T/e" && st=0 || st=$?
    check "read-only secrets directory: exit 1" [ "$st" -eq 1 ]
    check "read-only secrets directory: no public value without its secret" sh -c '[ ! -e "$0/vars/per-machine/alice-laptop/borgbackup" ] && [ ! -e "$0/vars/per-machine/backup-server/openssh" ]' "$C"
    check "read-only secrets directory: everything as it was" [ "$(state)" = "$s0" ]
    umount_all
else
    echo "SKIP: cannot make a read-only bind mount here (needs CAP_SYS_ADMIN)"
fi
rm -rf "$S" "$C/vars"

# ---- a full secrets directory (tmpfs of 8 KiB) ----
mkdir -p "$S"
if mount -t tmpfs -o size=8k,mode=700 tmpfs "$S" 2>/dev/null; then
    mounts="$S $mounts"
    # completely full
    dd if=/dev/zero of="$S/filler" bs=1k count=64 2>/dev/null || true
    s0=$(state)
    "${KEYGEN[@]}" --machine backup-server >"$T/o" 2>"$T/e" && st=0 || st=$?
    cat "$T/e"
    check "full secrets directory: exit 1" [ "$st" -eq 1 ]
    check "full secrets directory: the error says so" grep -q "No space left on device" "$T/e"
    check "full secrets directory: everything as it was" [ "$(state)" = "$s0" ]
    # room for one file only: the host key fits, alice's key does, her passphrase does not;
    # the half-way state is rolled back
    rm -f "$S/filler"
    dd if=/dev/zero of="$S/filler" bs=4k count=1 2>/dev/null
    s0=$(state)
    "${KEYGEN[@]}" --machine alice-laptop >"$T/o" 2>"$T/e" && st=0 || st=$?
    cat "$T/e"
    check "half-way (the passphrase does not fit): exit 1" [ "$st" -eq 1 ]
    check "half-way: no key, no temporary file, no public value" [ "$(state)" = "$s0" ]
    check "half-way: nothing but the filler in the secrets directory" sh -c '[ "$(find "$0" -type f)" = "$0/filler" ]' "$S"
    rm -f "$S/filler"
    "${KEYGEN[@]}" --machine alice-laptop >"$T/o" 2>"$T/e" && st=0 || st=$?
    check "with room again: generated" sh -c '[ '$st' -eq 0 ] && grep -q "^alice-laptop: borgbackup: generated" "$0"' "$T/o"
    umount_all
else
    echo "SKIP: cannot mount a tmpfs here (needs CAP_SYS_ADMIN)"
fi

check "no plaintext secret under the clan directory" no_plaintext_secrets "$C" "$S"
check "no temporary file anywhere" sh -c '[ -z "$(find "$0" -name "*.tmp-*")" ]' "$T"
finish
