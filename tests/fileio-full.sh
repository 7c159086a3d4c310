#!/bin/bash
# A full file system under one file of a set (file_txn through tests/fileio-tool) and under
# a clan.nix edited with `clan-tui nix set`: a tmpfs of 64 KiB mounted in a private mount
# namespace (unshare -m as root, unshare -rm otherwise), the new content bigger than it.
# Refused, naming the file, every file byte-identical, no temporary file on either file
# system. Skipped (77) where no mount namespace with a tmpfs can be had.
. "$top_srcdir/tests/lib.sh"
TOOL="$top_builddir/tests/fileio-tool"

if [ "$(id -u)" = 0 ]; then U=-m; else U=-rm; fi
mkdir -p "$T/probe"
if ! unshare $U sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' _ "$T/probe" 2>/dev/null; then
    echo "SKIP: cannot mount a tmpfs in a private mount namespace (unshare $U)"
    exit 77
fi

W=$T/w
mkdir -p "$W/d0" "$W/d1" "$W/d2"
for i in 0 2; do printf 'old %s\n' $i >"$W/d$i/f$i"; done
printf 'new 0\n' >"$T/n0"
printf 'new 2\n' >"$T/n2"
head -c 200000 /dev/zero | tr '\0' x >"$T/big"
cp "$top_srcdir/samples/two-machines.nix" "$T/clan.nix"
# a value that makes the file bigger than the tmpfs
{ printf '"'; head -c 100000 /dev/zero | tr '\0' y; printf '"'; } >"$T/huge-value"

cat >"$T/inner.sh" <<'EOF'
set -u
state() {
    find "$W" \( -type d -printf '%p %m dir\n' \) -o -printf '%p %m %U:%G %s %i %T@\n' | LC_ALL=C sort
    find "$W" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}
mount -t tmpfs -o size=64k,mode=755 tmpfs "$W/d1" || exit 99
printf 'old 1\n' >"$W/d1/f1"
state >"$T/s0"
df --output=used -k "$W/d1" | tail -1 >"$T/used0"
"$TOOL" txn "$W/d0/f0" "$T/n0" "$W/d1/f1" "$T/big" "$W/d2/f2" "$T/n2" 2>"$T/e1"
echo $? >"$T/rc1"
state >"$T/s1"
df --output=used -k "$W/d1" | tail -1 >"$T/used1"
# clan.nix on the full file system
cp "$T/clan.nix" "$W/d1/clan.nix"
sha256sum <"$W/d1/clan.nix" >"$T/h0"
"$CLAN_TUI" nix set "$W/d1/clan.nix" meta.name "$(cat "$T/huge-value")" 2>"$T/e2"
echo $? >"$T/rc2"
sha256sum <"$W/d1/clan.nix" >"$T/h1"
ls -A "$W/d1" >"$T/ls2"
EOF
W=$W T=$T TOOL=$TOOL CLAN_TUI=$CLAN_TUI unshare $U bash "$T/inner.sh" && inner=0 || inner=$?
check "the namespace script ran" [ "$inner" = 0 ]
cat "$T/e1"
check "full file system: refused (exit 1)" [ "$(cat "$T/rc1")" = 1 ]
check "full file system: the message names the file and the fault" \
    grep -q "^fileio-tool: $W/d1/f1: error: write failed: No space left on device" "$T/e1"
check "full file system: every file as it was, nothing left" cmp -s "$T/s0" "$T/s1"
check "full file system: no space kept by a temporary file" cmp -s "$T/used0" "$T/used1"
check "the other file systems: nothing left" sh -c '[ "$(find "$0/d0" "$0/d2" -type f | wc -l)" = 2 ]' "$W"
cat "$T/e2"
check "nix set on a full file system: exit 1" [ "$(cat "$T/rc2")" = 1 ]
check "nix set on a full file system: the message names the file" \
    grep -q "$W/d1/clan.nix: error: write failed: No space left on device" "$T/e2"
check "nix set on a full file system: the file as it was, nothing left" \
    sh -c 'cmp -s "$0" "$1" && [ "$(cat "$2")" = "$(printf "clan.nix\nf1")" ]' "$T/h0" "$T/h1" "$T/ls2"
finish
