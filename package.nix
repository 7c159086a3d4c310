# clan-tui for nixpkgs' callPackage: `pkgs.callPackage ./package.nix { }`.
{
  lib,
  stdenv,
  autoreconfHook,
  pkg-config,
  ncurses,
  libyaml,
  libssh,
  openssl,
  systemdLibs,
  cmocka,
}:

stdenv.mkDerivation {
  pname = "clan-tui";
  # One version: the one configure.ac's AC_INIT gives the program (clan-tui --version).
  version =
    let
      lines = builtins.filter builtins.isString (builtins.split "\n" (builtins.readFile ./configure.ac));
      acInit = map (builtins.match "AC_INIT[(][[]clan-tui[]], [[]([0-9A-Za-z.+~-]+)[]].*") lines;
    in
    builtins.head (builtins.head (builtins.filter (m: m != null) acInit));

  # the checkout without its build directories (build/, build-san/, ...) and result links;
  # autoreconfHook makes configure, so a clean tree or a configured one give the same build
  src = lib.cleanSourceWith {
    src = lib.cleanSource ./.;
    filter =
      path: type:
      let
        top = builtins.head (lib.splitString "/" (lib.removePrefix (toString ./. + "/") (toString path)));
      in
      !(lib.hasPrefix "build" top && top != "build-aux") && !(lib.hasPrefix "result" top);
  };

  nativeBuildInputs = [
    autoreconfHook
    pkg-config
  ];
  # the six libraries configure.ac requires (cmocka only for the tests); libssh, openssl's
  # libcrypto and systemdLibs are dlopened by the store path configure finds (see below)
  buildInputs = [
    ncurses
    libyaml
    libssh
    openssl
    systemdLibs
    cmocka
  ];

  enableParallelBuilding = true;

  # The cmocka suites that need nothing outside the build sandbox: no sshd, borg, journald,
  # tmux or nix-instantiate (the script tests use those and run in the project's CI).
  doCheck = true;
  checkPhase = ''
    runHook preCheck
    make -j$NIX_BUILD_CORES check TESTS="${
      lib.concatStringsSep " " [
        "tests/test-util"
        "tests/test-json"
        "tests/test-nix"
        "tests/test-nix-splice"
        "tests/test-calendar"
        "tests/test-borgpattern"
        "tests/test-theme"
        "tests/test-inventory"
        "tests/test-inventory-edits"
        "tests/test-schedmap"
        "tests/test-units"
      ]
    }"
    runHook postCheck
  '';

  # make install puts the man page, share/clan-tui/themes and the bash, zsh
  # (share/zsh/site-functions) and fish completions in place.
  doInstallCheck = true;
  installCheckPhase = ''
    runHook preInstallCheck
    $out/bin/clan-tui --version | grep -qx "clan-tui $version"
    test -f $out/share/man/man1/clan-tui.1
    test -f $out/share/clan-tui/themes/default.yaml
    test -f $out/share/bash-completion/completions/clan-tui
    test -f $out/share/zsh/site-functions/_clan-tui
    test -f $out/share/fish/vendor_completions.d/clan-tui.fish
    # libssh, libsystemd and libcrypto are not linked but dlopened by absolute path on first
    # use (tui/lazylib.c): configure takes the paths from these buildInputs' pkg-config libdir,
    # and as strings in the binary they stay in its runtime closure. Each must be there.
    for l in libssh libsystemd libcrypto; do
      p=$(grep -aoE "/nix/store/[^/]+/lib/$l\.so\.[0-9]+" $out/bin/clan-tui | head -1)
      test -n "$p" && test -e "$p"
    done
    $out/bin/clan-tui --help | grep -q '^Usage: clan-tui'
    runHook postInstallCheck
  '';

  meta = {
    description = "Keyboard-driven terminal UI for the backup side of a Clan fleet";
    longDescription = ''
      clan-tui opens a Clan's inventory (clan.nix, flake.nix, inventory.json, machines/),
      lets an operator assign machines and tags to borgbackup roles, edit excludes,
      destinations and startAt schedules, and writes the change back losslessly. It also
      renders the borgbackup systemd units, generates the SSH keys and tails the job
      journals, locally or over SSH. Every capability is a subcommand too.
    '';
    homepage = "https://clan.lol";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "clan-tui";
  };
}
