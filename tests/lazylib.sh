# clan-tui binds ncursesw (and tinfo), libyaml, libssh, libsystemd and libcrypto lazily
# (tui/lazylib.c): the binary links none of them, a command maps only the ones it calls
# (--version none; check, plan, dump never libssh, libsystemd or libcrypto; the UI curses and
# libyaml), the commands that need them load them by the configured path, and a library that
# cannot be loaded ends the command with a message naming it and the loader's reason, exit
# status 1 and no file written. (tests/test-lazylib checks that every bound function resolves
# in the real libraries.) Nothing here is timed.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
lazy='libncursesw|libtinfo|libyaml|libssh|libsystemd|libcrypto'
remote='libssh|libsystemd|libcrypto'

# The dynamic section and the loader's whole closure.
check "clan-tui links none of them (NEEDED)" \
    sh -c "! objdump -p '$CLAN_TUI' | awk '\$1 == \"NEEDED\"' | grep -Eq '$lazy'"
check "ldd clan-tui lists none of them" sh -c "ldd '$CLAN_TUI' > '$T/ldd' && ! grep -Eq '$lazy' '$T/ldd'"

# loaded NAME CMD...: the shared objects the command maps, from the loader's own trace.
loaded() {
    LD_DEBUG=files "$@" 2> "$T/ld.trace" > /dev/null || true
    sed -n 's/.*file=\([^ ]*\) .*/\1/p' "$T/ld.trace" | sort -u
}
C=$T/clan; mkdir -p "$C"; cp "$top_srcdir/samples/two-machines.nix" "$C/clan.nix"
for args in --version --help; do
    loaded "$CLAN_TUI" $args > "$T/libs"
    check "clan-tui $args maps none of them ($(echo $(cat "$T/libs")))" \
        sh -c "grep -q libc.so '$T/libs' && ! grep -Eq '$lazy' '$T/libs'"
done
for args in "check $C/clan.nix" "plan $C/clan.nix" "plan --json $C/clan.nix" "dump $C/clan.nix" \
    "units $C/clan.nix --out $T/units" "screen --size 100x30 $C/clan.nix"; do
    # shellcheck disable=SC2086
    loaded "$CLAN_TUI" $args > "$T/libs"
    check "clan-tui $args maps none of libssh, libsystemd, libcrypto ($(grep -c . "$T/libs") objects)" \
        sh -c "grep -q libc.so '$T/libs' && ! grep -Eq '$remote' '$T/libs'"
done
check "the UI (screen) loads curses and libyaml by their configured paths" \
    sh -c "grep -q '^/.*/libncursesw\.so' '$T/libs' && grep -q '^/.*/libyaml' '$T/libs'"

# The commands that need them load them, by the configured absolute path.
S=$T/secrets
loaded "$CLAN_TUI" keygen "$C/clan.nix" --machine backup-server --secrets "$S" > "$T/libs"
check "keygen loads libssh" grep -q '^/.*/libssh\.so' "$T/libs"
check "keygen generated the host key through it" \
    test -s "$C/vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub/value"
ssh_path=$(grep -m1 '/libssh\.so' "$T/libs")
journal_export "$top_srcdir/tests/journal-sample.export.in" "$T/sample.export"
journal_write "$T/sample.journal" < "$T/sample.export"
loaded "$CLAN_TUI" journal --file "$T/sample.journal" -u '*' > "$T/libs"
check "journal --file loads libsystemd, not libssh" \
    sh -c "grep -q '^/.*/libsystemd\.so' '$T/libs' && ! grep -q libssh '$T/libs'"
systemd_path=$(grep -m1 '/libsystemd\.so' "$T/libs")

# A dependency of libssh that cannot be loaded (a zero-length libz.so.1 found first on
# LD_LIBRARY_PATH), for keygen in Clan's sops layout, which encrypts with libcrypto before it
# generates with libssh: both are loaded first, so it stops before writing anything.
mkdir -p "$T/broken" "$T/clan2"; : > "$T/broken/libz.so.1"
cp "$top_srcdir/samples/two-machines.nix" "$T/clan2/clan.nix"
(cd "$T/clan2" && bash "$top_srcdir/tests/keys-view-setup.sh" users)
(cd "$T/clan2" && find . | sort) > "$T/before"
set +e
SOPS_AGE_KEY_FILE=$T/clan2/alice.txt LD_LIBRARY_PATH=$T/broken "$CLAN_TUI" keygen \
    "$T/clan2/clan.nix" --machine backup-server > "$T/out" 2> "$T/err"; st=$?
set -e
cat "$T/err"
check "broken libssh dependency: keygen exits 1 (not a crash: $st)" test "$st" -eq 1
check "broken libssh dependency: the message names libssh, its path and the reason" \
    grep -q "^clan-tui: keygen: cannot load libssh ($ssh_path): .*libz\.so\.1: file too short" "$T/err"
check "broken libssh dependency: no file written, not even a temporary one" \
    sh -c "cd '$T/clan2' && find . | sort | cmp -s - '$T/before'"
SOPS_AGE_KEY_FILE=$T/clan2/alice.txt "$CLAN_TUI" keygen "$T/clan2/clan.nix" --machine backup-server \
    > "$T/out" 2>&1
check "without LD_LIBRARY_PATH the same keygen writes the sops files" \
    test -s "$T/clan2/sops/machines/backup-server/key.json"

# The library itself unloadable: /dev/null bound over its file in a mount namespace of our
# own (unshare -rm: a user namespace, so no root is needed). A command's first call stops
# it with the reason; the UI says so on its status line and goes on.
unbound() { # unbound FILE CMD...: CMD with FILE unloadable
    unshare -rm sh -c 'mount --bind /dev/null "$(realpath "$1")" && shift && exec "$@"' sh "$@"
}
if unshare -rm true 2>/dev/null; then
    set +e
    unbound "$systemd_path" "$CLAN_TUI" journal --file "$T/sample.journal" -u '*' > "$T/out" 2> "$T/err"; st=$?
    set -e
    cat "$T/err"
    check "libsystemd unloadable: journal exits 1 (not a crash: $st)" test "$st" -eq 1
    check "libsystemd unloadable: the message names libsystemd, its path and the reason" \
        grep -q "^clan-tui: cannot load libsystemd, which this command needs ($systemd_path): .*" "$T/err"
    check "libsystemd unloadable: nothing on stdout" test ! -s "$T/out"
    printf 'key J\ndump after J\nkey j\ndump after j\n' > "$T/j.keys"
    set +e
    unbound "$systemd_path" "$CLAN_TUI" screen --size 140x30 --keys "$T/j.keys" \
        --journal-file "$T/sample.journal" "$C/clan.nix" > "$T/screen" 2> "$T/err"; st=$?
    set -e
    check "libsystemd unloadable: J in the UI says so on the status line" \
        grep -q "^ cannot load libsystemd ($systemd_path): " "$T/screen"
    check "and the UI goes on (exit $st, the tree moves)" \
        sh -c "[ $st -eq 0 ] && grep -q 'tree 2/' '$T/screen'"
else
    echo "skip - libraries unloadable: unshare -rm is not permitted here (no user namespaces)"
fi
finish
