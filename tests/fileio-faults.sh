#!/bin/bash
# A set of files replaced all or nothing (file_txn, through tests/fileio-tool) against real
# faults: an immutable directory (no temporary file can be made there), an immutable file
# (its rename fails after the files before it were replaced: they are put back), a file
# with too many hard links (the backup is a copy), files changed on disk after the read and
# after staging; and the owner and mode of a file written through a link. After every fault
# every file is byte-identical (same inode, mode, owner, mtime) and no temporary or backup
# file remains; the message names the failing file. Root ignores permissions, so the faults
# are chattr +i: this test needs root and a file system with it, else it is skipped (77).
. "$top_srcdir/tests/lib.sh"
TOOL="$top_builddir/tests/fileio-tool"

if [ "$(id -u)" != 0 ]; then
    echo "SKIP: needs root (chattr +i, chown)"
    exit 77
fi
touch "$T/probe"
if ! chattr +i "$T/probe" 2>/dev/null; then
    echo "SKIP: chattr +i not supported on the file system of $T"
    exit 77
fi
chattr -i "$T/probe"
immutable=""
trap 'for f in $immutable; do chattr -i "$f" 2>/dev/null || true; done; rm -rf $cleanup_dirs' EXIT
imm() { chattr "$1"i "$2"; if [ "$1" = + ]; then immutable="$immutable $2"; fi; }

W=$T/w
mkdir -p "$W/d0" "$W/d1" "$W/d2"
for i in 0 1 2; do
    printf 'old %s\n' $i >"$W/d$i/f$i"
    printf 'new content %s\n' $i >"$T/n$i"
done
chmod 600 "$W/d1/f1"
chown 1234:2345 "$W/d2/f2"
touch -d '2020-01-02 03:04:05' "$W/d0/f0"
SET=("$W/d0/f0" "$T/n0" "$W/d1/f1" "$T/n1" "$W/d2/f2" "$T/n2")

# every entry's path, mode, owner, size, inode, mtime; every file's hash: equal states mean
# nothing at all was written, and nothing left behind (directories by name and mode only)
state() {
    find "$W" \( -type d -printf '%p %m dir\n' \) -o -printf '%p %m %U:%G %s %i %T@\n' | LC_ALL=C sort
    find "$W" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}
# run NAME ARGS...: the tool's exit status in $st, its stderr in $T/e
run() { "$TOOL" "$@" 2>"$T/e" && st=0 || st=$?; cat "$T/e"; }
s0=$(state)

# ---- an immutable directory: the temporary file for d1/f1 cannot be made ----
imm + "$W/d1"
run txn "${SET[@]}"
imm - "$W/d1"
check "immutable directory: refused (exit 1)" [ "$st" = 1 ]
check "immutable directory: the message names the file and the fault" \
    grep -q "^fileio-tool: $W/d1/f1: error: cannot create a temporary file beside it: Operation not permitted" "$T/e"
check "immutable directory: every file as it was, nothing left" [ "$(state)" = "$s0" ]

# ---- an immutable file: renames 0 and 1 done, 2 fails, 0 and 1 are put back ----
imm + "$W/d2/f2"
run txn "${SET[@]}"
check "immutable file: refused (exit 1)" [ "$st" = 1 ]
check "immutable file: the message names it and says the others were put back" \
    grep -q "^fileio-tool: $W/d2/f2: error: write failed: Operation not permitted; the 2 files written before it were put back" "$T/e"
check "immutable file: every file as it was (same inodes), nothing left" [ "$(state)" = "$s0" ]

# ---- the same with a new file among them: removed again ----
run txn "$W/d0/new" "$T/n0" "${SET[@]:2}"
check "a new file, then an immutable one: refused" [ "$st" = 1 ]
check "a new file, then an immutable one: the new file is gone, everything as it was" \
    sh -c '[ ! -e "$0" ] && [ "$1" = "$2" ]' "$W/d0/new" "$(state)" "$s0"

# ---- a file with as many hard links as the file system allows: no hard-link backup, a copy
# (with its mode, owner and times) is put back ----
mkdir "$T/links"
lim=$(perl -e 'for my $i (1 .. 70000) { link($ARGV[0], "$ARGV[1]/$i") or do { print $!{EMLINK} ? "EMLINK" : "error: $!"; exit } } print "none"' "$W/d1/f1" "$T/links")
if [ "$lim" = EMLINK ]; then
    noino() { state | awk '$1 ~ /^\// && NF == 6 { $5 = "-" } { print }'; }
    n0=$(noino) ino=$(stat -c %i "$W/d1/f1")
    run txn "${SET[@]}"
    check "too many links: refused (exit 1), naming the immutable file" \
        sh -c '[ "$0" = 1 ] && grep -q "$1: error: write failed: Operation not permitted; the 2 files" "$2"' "$st" "$W/d2/f2" "$T/e"
    check "too many links: put back from a copy: content, mode, owner, mtime as before, nothing left" \
        [ "$(noino)" = "$n0" ]
    check "too many links: the file put back is the copy (another inode)" [ "$(stat -c %i "$W/d1/f1")" != "$ino" ]
    s0=$(state)
else
    echo "skip - too many links (the file system has no link limit within 70000: $lim)"
fi
rm -rf "$T/links"
imm - "$W/d2/f2"

# ---- changed on disk (in place, same size) after the read, after staging ----
without() { grep -v -F "$1"; }
changed() { # changed WHEN HOOK FILE: another program writes FILE at HOOK
    local when=$1 hook=$2 f=$3 old s0
    old=$(cat "$f") s0=$(state)
    run txn "$hook" "echo '$old' | tr a-z A-Z >'$f'" "${SET[@]}"
    check "changed $when: refused (exit 1), naming it" \
        sh -c '[ "$0" = 1 ] && grep -q "^fileio-tool: $1: error: changed on disk since it was read" "$2"' "$st" "$f" "$T/e"
    check "changed $when: the other program's content stays" [ "$(cat "$f")" = "${old^^}" ]
    check "changed $when: nothing else written, nothing left" \
        [ "$(state | without "$f")" = "$(echo "$s0" | without "$f")" ]
    echo "$old" >"$f"
}
changed "after the read" --after-read "$W/d1/f1"
changed "after staging" --before-commit "$W/d2/f2"

# ---- all written: modes and owners kept ----
run txn "${SET[@]}"
check "no fault: written" [ "$st" = 0 ]
check "no fault: contents" sh -c '[ "$(cat "$0/d0/f0" "$0/d1/f1" "$0/d2/f2")" = "$(printf "new content 0\nnew content 1\nnew content 2")" ]' "$W"
check "no fault: mode and owner kept" \
    [ "$(stat -c '%a %U:%G' "$W/d1/f1") $(stat -c '%u:%g' "$W/d2/f2")" = "600 root:root 1234:2345" ]
check "no fault: nothing left" [ "$(find "$W" -type f | wc -l)" = 3 ]

# ---- clan-tui nix set through a link to a file of another owner ----
mkdir -p "$T/owned"
cp "$top_srcdir/samples/two-machines.nix" "$T/owned/clan.nix"
chown 1234:2345 "$T/owned/clan.nix"
chmod 0604 "$T/owned/clan.nix"
ln -s owned/clan.nix "$T/link.nix"
check "nix set through a link, as root, on another user's file" "$CLAN_TUI" nix set "$T/link.nix" meta.name '"owned"'
check "another user's file: owner, group and mode kept, the link stays" \
    sh -c '[ "$(stat -c "%u:%g %a" "$0")" = "1234:2345 604" ] && [ -L "$1" ] && grep -q "\"owned\"" "$0"' "$T/owned/clan.nix" "$T/link.nix"
imm + "$T/owned"
run write "$T/link.nix" "$T/n0"
imm - "$T/owned"
check "nix file behind a link in an immutable directory: refused, naming the link and its target" \
    grep -q "^fileio-tool: $T/link.nix: error: cannot create a temporary file beside its target $T/owned/clan.nix: Operation not permitted" "$T/e"
check "no temporary file anywhere" sh -c '[ "$(find "$0" -name ".*.??????*" | wc -l)" = 0 ]' "$T"
finish
