{
  inputs.clan-core.url = "https://git.clan.lol/clan/clan-core/archive/main.tar.gz";
  inputs.nixpkgs.follows = "clan-core/nixpkgs";

  outputs =
    { self, clan-core, nixpkgs, ... }@inputs:
    let
      clan = clan-core.lib.clan {
        # this needs to point at the repository root
        inherit self;

        meta.name = "inline";

        specialArgs = inputs;

        inventory.machines = {
          mirror = {
            deploy.targetHost = "root@198.51.100.40";
            tags = [ "servers" ];
          };
          kiosk.tags = [ "kiosks" ];
          archive.deploy = {
            targetHost = "root@archive.example.com";
            buildHost = "root@198.51.100.40";
          };
        };

        inventory.instances = {
          backup-archive = {
            module.name = "borgbackup";
            module.input = "clan-core";
            roles.server.machines.archive = { };
            roles.server.settings.directory = "/srv/borgbackup";
            roles.client.tags = [
              "servers"
              "kiosks"
            ];
            roles.client.machines.mirror.settings = {
              exclude = [
                "/var/cache"
                "*/node_modules/*"
              ];
            };
          };
        };

        machines = {
          archive = { lib, ... }: {
            nixpkgs.hostPlatform = "x86_64-linux";
            clan.core.state.archive-index.folders = [ "/var/lib/archive-index" ];
          };
          mirror = {
            services.nginx.enable = true;
          };
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations nixosModules clanInternals;
      clan = clan.config;
    };
}
