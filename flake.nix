{
  description = "clan-tui: a keyboard-driven terminal UI for the backup side of a Clan fleet";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "i686-linux"
        "armv7l-linux"
        "riscv64-linux"
      ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
    in
    {
      # `nixpkgs.overlays = [ clan-tui.overlays.default ]` gives pkgs.clan-tui
      overlays.default = final: prev: { clan-tui = final.callPackage ./package.nix { }; };

      packages = forAllSystems (
        system: pkgs: {
          clan-tui = pkgs.callPackage ./package.nix { };
          default = self.packages.${system}.clan-tui;
        }
      );

      # nix run github:OWNER/clan-tui -- [DIR|FILE]
      apps = forAllSystems (
        system: pkgs: {
          default = {
            type = "app";
            program = nixpkgs.lib.getExe self.packages.${system}.clan-tui;
          };
        }
      );

      # Every build and test dependency: the package's inputs and the tools the script tests
      # run (quickstart's test_pkgs).
      devShells = forAllSystems (
        system: pkgs: {
          default = pkgs.mkShell {
            inputsFrom = [ self.packages.${system}.clan-tui ];
            packages = with pkgs; [
              nix
              systemd
              openssh
              borgbackup
              tmux
              jq
              clang
              diffutils
              patch
              procps
              ncurses
              bc
              e2fsprogs
              util-linux
              zsh
              fish
            ];
          };
        }
      );

      checks = forAllSystems (system: pkgs: { clan-tui = self.packages.${system}.clan-tui; });
    };
}
