{ inputs, self, ... }:
let
  modulePath = ./modules;

  common = modulePath + "/common.nix";
  server = modulePath + /server;
in
{
  imports = [
    inputs.clan-core.flakeModules.default
  ];

  clan = {
    inherit self;
    specialArgs = { inherit inputs; };

    meta.name = "parts";
    meta.domain = "example.com";

    inventory = {
      machines = {
        web.tags = [ "server" ];
        store = {
          tags = [ "server" ];
          deploy.targetHost = "root@198.51.100.7";
        };
        desk.tags = [ "desktop" ];
      };

      instances = {
        # NixOS modules attached by tag
        base = {
          module.name = "importer";
          roles.default.tags = [ "all" ];
          roles.default.extraModules = [ common ];
        };

        server = {
          module.name = "importer";
          roles.default.tags = [ "server" ];
          roles.default.extraModules = [ server ];
        };

        # module.name is spelled out; module.input defaults to clan-core
        borgbackup = {
          module.name = "borgbackup";
          roles.server.machines.store.settings.directory = "/srv/borg";
          roles.client.tags = [ "all" ];
          roles.client.machines.desk.settings.startAt = "hourly";
        };
      };
    };
  };
}
