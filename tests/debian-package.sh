# The Debian package: debian/ builds a .deb with `dpkg-buildpackage -us -uc -b` in a temporary
# copy of the source, which unpacks (dpkg-deb -x) into a scratch root whose clan-tui runs
# (--version, a screen dump, names, the completions), depends on exactly the libraries the
# binary links or dlopens, and passes lintian without errors. Skipped when the packaging tools are
# missing, and in the sanitizer build (the package is built with Debian's flags, not the
# sanitizers': the plain pass of CI runs it).
. "$top_srcdir/tests/lib.sh"
for t in dpkg-buildpackage dh lintian; do
    if ! have "$t"; then
        echo "SKIP: $t not installed (apt-get install dpkg-dev debhelper lintian)"
        exit 77
    fi
done
if grep -q '^SAN_CFLAGS = .*-fsanitize' "$top_builddir/Makefile"; then
    echo "SKIP: a sanitizer build; the package is built and tested by the plain build's make check"
    exit 77
fi
src=$(cd "$top_srcdir" && pwd)
version=$(sed -n 's/^AC_INIT(\[clan-tui\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")

# The source as a fresh checkout has it: no build directories, nothing configured.
mkdir "$T/src" "$T/src/clan-tui" "$T/root"
(cd "$src" && tar -c --exclude='./build*' --exclude=./autom4te.cache --exclude=./.git \
    --exclude=./configure --exclude='./configure~' --exclude=./aclocal.m4 --exclude='*/Makefile.in' \
    --exclude=./Makefile.in .) | tar -x -C "$T/src/clan-tui"
check "changelog version = configure.ac's ($version)" \
    sh -c "cd '$T/src/clan-tui' && test \"\$(dpkg-parsechangelog -S Version)\" = '$version'"
if (cd "$T/src/clan-tui" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$(nproc)" \
        dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    tail -40 "$T/build.log"
    fail "dpkg-buildpackage -us -uc -b"
    finish
fi
deb="$T/src/clan-tui_${version}_$(dpkg --print-architecture).deb"
check "the .deb is there" test -f "$deb"
dpkg-deb -x "$deb" "$T/root"
root="$T/root"
for f in usr/bin/clan-tui usr/share/man/man1/clan-tui.1.gz usr/share/clan-tui/themes/default.yaml \
    usr/share/clan-tui/themes/solarized-dark.yaml usr/share/bash-completion/completions/clan-tui \
    usr/share/zsh/vendor-completions/_clan-tui usr/share/fish/vendor_completions.d/clan-tui.fish \
    usr/share/doc/clan-tui/copyright; do
    check "installs /$f" test -s "$root/$f"
done
check "clan-tui --version from the package" test "$("$root/usr/bin/clan-tui" --version)" = "clan-tui $version"
"$root/usr/bin/clan-tui" screen --size 100x30 "$src/samples/two-machines.nix" > "$T/screen.txt" 2>&1 || true
check "a screen dump from the package: the tree and the details" \
    sh -c "grep -q 'MY-BACKUP-CLAN' '$T/screen.txt' && grep -q 'alice-laptop' '$T/screen.txt' && grep -q 'j/k move' '$T/screen.txt'"
check "a screen dump with a packaged theme file" \
    sh -c "'$root/usr/bin/clan-tui' screen --size 100x30 --theme '$root/usr/share/clan-tui/themes/light.yaml' '$src/samples/two-machines.nix' | grep -q alice-laptop"
check "the packaged bash completion completes commands" \
    sh -c "PATH='$root/usr/bin':\$PATH bash -c '. $root/usr/share/bash-completion/completions/clan-tui; COMP_WORDS=(clan-tui sched); COMP_CWORD=1; _clan_tui; test \"\${COMPREPLY[*]}\" = schedule-map'"
check "man page readable" sh -c "zcat '$root/usr/share/man/man1/clan-tui.1.gz' | grep -q '^.SH COMMANDS'"

# Depends: the packages of exactly the libraries the binary links, and of those it dlopens
# by absolute path on first use (libssh, libsystemd, libcrypto: tui/lazylib.c), and no other.
needed=$(objdump -p "$root/usr/bin/clan-tui" | awk '$1 == "NEEDED" { print $2 }')
dlopened=$(strings "$root/usr/bin/clan-tui" | grep -E '^/[^ ]*/lib[a-z0-9_-]*\.so\.[0-9]+$' | sort -u)
check "the binary dlopens libssh, libsystemd and libcrypto, among others ($(echo $dlopened))" \
    sh -c "echo '$dlopened' | grep -q /libssh && echo '$dlopened' | grep -q /libsystemd && echo '$dlopened' | grep -q /libcrypto"
check "and links none of them" sh -c "! echo '$needed' | grep -Eq 'libssh|libsystemd|libcrypto'"
depends=$(dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
want=$(for l in $needed $dlopened; do dpkg -S "*/${l##*/}" 2>/dev/null | head -1 | cut -d: -f1; done | sort -u)
check "Depends = the packages of the linked and dlopened libraries ($(echo $want))" test "$depends" = "$want"
check "no test library in Depends (cmocka)" sh -c "! echo '$depends' | grep -q cmocka"

st=0
lintian --fail-on error "$deb" > "$T/lintian.txt" 2>&1 || st=$?
cat "$T/lintian.txt"
check "lintian: no errors (exit $st)" test "$st" -eq 0
check "lintian: no E: lines" sh -c "! grep -q '^E:' '$T/lintian.txt'"
finish
