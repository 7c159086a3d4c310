#!/bin/bash
# Writing through symbolic links: `clan-tui nix set` and core/util's writers (through
# tests/fileio-tool) replace the file a link leads to -- a chain of links, relative links,
# a link into another directory -- and the link stays a link; the mode is kept; a link that
# leads elsewhere since the file was read is refused and nothing is written; a dangling link
# is refused unless the file did not exist when read. No temporary file is ever left.
. "$top_srcdir/tests/lib.sh"
TOOL="$top_builddir/tests/fileio-tool"

# no_temps DIR...: no temporary or backup file of the writers (.NAME.XXXXXX[.old])
no_temps() { [ -z "$(find "$@" -name '.*.??????' -o -name '.*.??????.old')" ]; }
# same FILE SHA256: the file's content is unchanged
same() { [ "$(sha256sum <"$1")" = "$2" ]; }

R=$T/real L=$T/links
mkdir -p "$R/sub" "$L"
cp "$top_srcdir/samples/two-machines.nix" "$R/clan.nix"
chmod 640 "$R/clan.nix"

# ---- clan-tui nix set through a relative link into another directory ----
ln -s ../real/clan.nix "$L/clan.nix"
check "nix set through a link: written" "$CLAN_TUI" nix set "$L/clan.nix" meta.name '"through-link"'
check "nix set through a link: the link is still a link, to the same name" \
    sh -c '[ -L "$0" ] && [ "$(readlink "$0")" = ../real/clan.nix ]' "$L/clan.nix"
check "nix set through a link: the target has the change" grep -q '"through-link"' "$R/clan.nix"
check "nix set through a link: the target keeps its mode" [ "$(stat -c %a "$R/clan.nix")" = 640 ]
check "nix set through a link: the value reads back" \
    sh -c '[ "$("$0" nix get "$1" meta.name)" = "\"through-link\"" ]' "$CLAN_TUI" "$L/clan.nix"
check "nix set through a link: no temporary file anywhere" no_temps "$R" "$L"

# ---- a chain: links/a -> b (relative) -> $R/sub/c (absolute) -> ../clan.nix ----
ln -s b "$L/a"
ln -s "$R/sub/c" "$L/b"
ln -s ../clan.nix "$R/sub/c"
check "nix set through a chain of three links" "$CLAN_TUI" nix set "$L/a" meta.name '"chain"'
check "chain: every link unchanged" sh -c '[ "$(readlink "$0/a")" = b ] && [ "$(readlink "$0/b")" = "$1/sub/c" ] && [ "$(readlink "$1/sub/c")" = ../clan.nix ]' "$L" "$R"
check "chain: the file at its end has the change" grep -q '"chain"' "$R/clan.nix"
check "chain: mode kept" [ "$(stat -c %a "$R/clan.nix")" = 640 ]

# ---- a link through a linked directory ----
ln -s real "$T/realdir"
printf 'old\n' >"$R/sub/f"
ln -s f "$R/sub/lf"
printf 'new\n' >"$T/new"
check "write through realdir/sub/lf (a directory link, then a relative link)" \
    "$TOOL" write "$T/realdir/sub/lf" "$T/new"
check "directory link: the file got it, both links stay" \
    sh -c '[ "$(cat "$0/sub/f")" = new ] && [ -L "$0/sub/lf" ] && [ -L "$1" ]' "$R" "$T/realdir"

# ---- a link retargeted between the read and the write: refused, nothing written ----
printf 'one\n' >"$R/one"
printf 'one\n' >"$R/two" # the same content: still another file
ln -s ../real/one "$L/moving"
h1=$(sha256sum <"$R/one") h2=$(sha256sum <"$R/two")
for mode in write batch txn; do
    "$TOOL" $mode --after-read "ln -sfn ../real/two '$L/moving'" "$L/moving" "$T/new" 2>"$T/e" && st=0 || st=$?
    check "$mode: retargeted after the read: refused" [ "$st" = 1 ]
    check "$mode: retargeted after the read: the message names the link" \
        grep -q "^fileio-tool: $L/moving: error: changed on disk since it was read" "$T/e"
    check "$mode: retargeted after the read: its first target unchanged" same "$R/one" "$h1"
    check "$mode: retargeted after the read: its new target unchanged" same "$R/two" "$h2"
    check "$mode: retargeted: the link is as the other program left it" [ "$(readlink "$L/moving")" = ../real/two ]
    ln -sfn ../real/one "$L/moving"
done
for mode in batch txn; do
    "$TOOL" $mode --before-commit "ln -sfn ../real/two '$L/moving'" "$L/moving" "$T/new" 2>"$T/e" && st=0 || st=$?
    check "$mode: retargeted after staging: refused, naming the link" \
        sh -c '[ "$0" = 1 ] && grep -q "$1: error: changed on disk" "$2"' "$st" "$L/moving" "$T/e"
    check "$mode: retargeted after staging: neither file written" same "$R/one" "$h1"
    check "$mode: retargeted after staging: nor the other" same "$R/two" "$h2"
    ln -sfn ../real/one "$L/moving"
done
check "retargeted: no temporary file anywhere" no_temps "$R" "$L"

# ---- a dangling link ----
ln -s ../real/sub/missing "$L/dangling"
"$TOOL" batch "$L/dangling" "$T/new" 2>"$T/e" && st=0 || st=$?
check "dangling link, written blindly: refused" [ "$st" = 1 ]
check "dangling link: the message says so" grep -q "$L/dangling: error: is a symbolic link to $R/sub/missing, which does not exist; refusing to create it" "$T/e"
check "dangling link: nothing created" [ ! -e "$R/sub/missing" ]
# read first (no file there): the target is created, the link stays
check "dangling link, read as missing, then written: created" "$TOOL" txn --mode-if-new 0600 "$L/dangling" "$T/new"
check "dangling link: the target has the content and mode_if_new, the link stays" \
    sh -c '[ "$(cat "$0")" = new ] && [ "$(stat -c %a "$0")" = 600 ] && [ -L "$1" ]' "$R/sub/missing" "$L/dangling"
# ... but not when something was made there meanwhile
ln -s ../real/sub/missing2 "$L/dangling2"
"$TOOL" txn --before-commit "echo theirs >'$R/sub/missing2'" "$L/dangling2" "$T/new" 2>"$T/e" && st=0 || st=$?
check "dangling link filled by another program before the commit: refused" \
    sh -c '[ "$0" = 1 ] && grep -q "dangling2: error: changed on disk" "$1" && [ "$(cat "$2")" = theirs ]' "$st" "$T/e" "$R/sub/missing2"

check "no temporary file anywhere at the end" no_temps "$R" "$L"
finish
