{
  # clan-core under another input name
  inputs.clan.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan/nixpkgs";

  outputs =
    { self, clan, ... }@inputs:
    let
      fleet = clan.lib.clan {
        inherit self;
        # inventory.json and machines/ are read from here, not from the flake root
        directory = ./infra;
        imports = [ ./infra/clan.nix ];
      };
    in
    {
      inherit (fleet.config) nixosConfigurations clanInternals;
      clan = fleet.config;
    };
}
