{
  inputs = {
    clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
    nixpkgs.follows = "clan-core/nixpkgs";
    flake-parts.url = "github:hercules-ci/flake-parts";
  };

  outputs =
    inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } (
      { self, ... }:
      {
        systems = [ "x86_64-linux" ];

        flake =
          let
            # The clan is evaluated outside mkFlake
            clan = import ./machines/clan.nix self;
          in
          {
            inherit (clan.config) nixosConfigurations clanInternals;
            clan = clan.config;
          };
      }
    );
}
