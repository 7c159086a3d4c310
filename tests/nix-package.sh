# The Nix packaging (package.nix, flake.nix) evaluated with nix-instantiate and stand-in
# arguments: no Nix store or daemon is needed, and nothing is built (the stand-in
# stdenv.mkDerivation returns its arguments). pname, version (= configure.ac's AC_INIT),
# inputs, the check list, meta.mainProgram; the flake's packages, apps, devShells, overlay.
. "$top_srcdir/tests/lib.sh"
if ! have nix-instantiate; then
    echo "SKIP: nix-instantiate not installed (apt-get install nix-bin)"
    exit 77
fi
export NIX_REMOTE= NIX_CONF_DIR="$T" NIX_STATE_DIR="$T/state" NIX_LOG_DIR="$T/log"
: > "$T/nix.conf"
src=$(cd "$top_srcdir" && pwd)

check "nix-instantiate --parse package.nix" sh -c "nix-instantiate --parse '$src/package.nix' >/dev/null"
check "nix-instantiate --parse flake.nix" sh -c "nix-instantiate --parse '$src/flake.nix' >/dev/null"

# Stand-ins for the parts of nixpkgs the files use.
cat > "$T/stubs.nix" <<'EOF'
let
  lib = rec {
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    hasPrefix = p: s: builtins.substring 0 (builtins.stringLength p) s == p;
    removePrefix = p: s:
      if hasPrefix p s then builtins.substring (builtins.stringLength p) (builtins.stringLength s) s else s;
    splitString = sep: s: builtins.filter builtins.isString (builtins.split sep s);
    concatStringsSep = builtins.concatStringsSep;
    cleanSource = src: src;
    cleanSourceWith = { src, filter }: { inherit src filter; };
    getExe = d: "${d.outPath}/bin/${d.meta.mainProgram}";
    licenses.mit = "mit";
    platforms.linux = [ "x86_64-linux" "aarch64-linux" ];
  };
  dep = name: { inherit name; outPath = "/stub/${name}"; };
  pkgs = system: rec {
    inherit lib system;
    stdenv.mkDerivation = a: a // { outPath = "/stub/${a.pname}-${a.version}"; };
    callPackage = path: over:
      let f = import path; in f (builtins.intersectAttrs (builtins.functionArgs f) pkgsAll // over);
    pkgsAll = pkgs system // builtins.listToAttrs (map (n: { name = n; value = dep n; }) names);
    mkShell = a: a // { shell = true; };
  } // builtins.listToAttrs (map (n: { name = n; value = dep n; }) names);
  names = [ "autoreconfHook" "pkg-config" "ncurses" "libyaml" "libssh" "openssl" "systemdLibs" "cmocka"
            "nix" "systemd" "openssh" "borgbackup" "tmux" "jq" "clang" "diffutils" "patch"
            "procps" "bc" "e2fsprogs" "util-linux" "zsh" "fish" ];
in { inherit lib pkgs; }
EOF
ev() { nix-instantiate --eval --strict --json -E "$1" 2>"$T/err" || { cat "$T/err" >&2; echo null; }; }
pkg="let s = import $T/stubs.nix; p = s.pkgs \"x86_64-linux\"; in p.callPackage $src/package.nix { }"

want_version=$(sed -n 's/^AC_INIT(\[clan-tui\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
check "package.nix: pname" test "$(ev "($pkg).pname")" = '"clan-tui"'
check "package.nix: version = configure.ac's ($want_version)" test "$(ev "($pkg).version")" = "\"$want_version\""
check "package.nix: version = clan-tui --version" test "$($CLAN_TUI --version)" = "clan-tui $want_version"
check "package.nix: meta.mainProgram" test "$(ev "($pkg).meta.mainProgram")" = '"clan-tui"'
check "package.nix: meta.license, platforms, description" \
    test "$(ev "with ($pkg).meta; [ license (builtins.length platforms) (builtins.stringLength description > 20) ]")" = '["mit",2,true]'
check "package.nix: nativeBuildInputs autoreconfHook, pkg-config" \
    test "$(ev "map (d: d.name) ($pkg).nativeBuildInputs")" = '["autoreconfHook","pkg-config"]'
check "package.nix: the six libraries" \
    test "$(ev "map (d: d.name) ($pkg).buildInputs")" = '["ncurses","libyaml","libssh","openssl","systemdLibs","cmocka"]'
check "package.nix: doCheck" test "$(ev "($pkg).doCheck")" = true
# every suite doCheck runs is a cmocka program the Makefile builds and runs
suites=$(ev "($pkg).checkPhase" | grep -oE 'tests/test-[a-z-]+' | sort -u)
check "package.nix: doCheck runs cmocka suites" test -n "$suites"
for t in $suites; do
    check "package.nix: $t is in make check" grep -qE "TESTS \\+=.*$t( |$)" \
        $(find "$src" -name '*.mk' -not -path '*/build*')
done
check "package.nix: the source filter drops build directories only" \
    test "$(ev "let f = ($pkg).src.filter; in map (p: f \"$src/\${p}\" \"directory\") [ \"build\" \"build-san\" \"build-aux\" \"core\" \"result\" \"tests\" ]")" = \
    '[false,false,true,true,false,true]'
check "package.nix: the install check names what make install puts in place" \
    sh -c "nix-instantiate --eval --strict -E '($pkg).installCheckPhase' 2>/dev/null |
           grep -q 'bash-completion/completions/clan-tui.*site-functions/_clan-tui.*vendor_completions.d'"
check "package.nix: the install check finds the dlopened libraries' store paths in the binary" \
    sh -c "nix-instantiate --eval --strict -E '($pkg).installCheckPhase' 2>/dev/null |
           grep -q 'for l in libssh libsystemd libcrypto.*/nix/store/.*clan-tui'"

# The flake with stand-in inputs: self is the flake's own outputs.
flake="let s = import $T/stubs.nix; f = import $src/flake.nix;
  nixpkgs = { lib = s.lib; legacyPackages = s.lib.genAttrs [ \"x86_64-linux\" \"aarch64-linux\" \"i686-linux\" \"armv7l-linux\" \"riscv64-linux\" ] s.pkgs; };
  out = f.outputs { self = out; inherit nixpkgs; }; in out"
check "flake: packages for the Linux systems" \
    test "$(ev "builtins.attrNames ($flake).packages")" = '["aarch64-linux","armv7l-linux","i686-linux","riscv64-linux","x86_64-linux"]'
check "flake: packages.default is clan-tui" \
    test "$(ev "with ($flake).packages.aarch64-linux; [ default.pname clan-tui.version ]")" = "[\"clan-tui\",\"$want_version\"]"
check "flake: apps.default runs bin/clan-tui" \
    test "$(ev "($flake).apps.x86_64-linux.default")" = "{\"program\":\"/stub/clan-tui-$want_version/bin/clan-tui\",\"type\":\"app\"}"
check "flake: devShells.default has the package's inputs and the test tools" \
    test "$(ev "let d = ($flake).devShells.x86_64-linux.default; in [ (builtins.head d.inputsFrom).pname (builtins.length d.packages) ]")" = '["clan-tui",16]'
check "flake: overlays.default adds clan-tui" \
    test "$(ev "let s = import $T/stubs.nix; final = s.pkgs \"x86_64-linux\"; in (($flake).overlays.default final { }).clan-tui.pname")" = '"clan-tui"'
check "flake: checks" test "$(ev "($flake).checks.riscv64-linux.clan-tui.pname")" = '"clan-tui"'
# the devShell's test tools cover quickstart's test_pkgs by name where nixpkgs has one
for p in jq tmux borgbackup zsh fish bc patch; do
    check "flake: devShell has $p (quickstart's test_pkgs)" \
        sh -c "grep -q '$p' '$src/quickstart' && test \"\$(nix-instantiate --eval --strict -E 'builtins.any (d: d.name == \"$p\") (($flake).devShells.x86_64-linux.default.packages)' 2>/dev/null)\" = true"
done
finish
