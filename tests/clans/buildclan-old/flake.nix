{
  description = "A clan written for the deprecated lib.buildClan";

  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, clan-core, ... }:
    let
      clan = clan-core.lib.buildClan {
        # Should usually point to the directory of flake.nix
        directory = self;

        meta.name = "oldclan";

        inventory = {
          machines = {
            hub = {
              deploy.targetHost = "root@192.0.2.50";
            };
            leaf.tags = [ "backup" ];
          };
          instances = {
            borgbackup = {
              module = {
                name = "borgbackup";
                input = "clan-core";
              };
              roles.server.machines.hub = { };
              roles.client.tags.backup = { };
            };
          };
        };

        machines = {
          hub = {
            imports = [ ./modules/shared.nix ];
            nixpkgs.hostPlatform = "x86_64-linux";
          };
          leaf = {
            imports = [
              ./modules/shared.nix
            ];
            nixpkgs.hostPlatform = "x86_64-linux";
          };
        };
      };
    in
    {
      # all machines managed by Clan
      inherit (clan) nixosConfigurations clanInternals;
    };
}
