# A flake-parts module: the clan is `clan = { ... }` (an alias of flake.clan).
{ inputs, self, ... }:
{
  imports = [ inputs.clan-core.flakeModules.default ];

  clan = {
    inherit self;
    meta.name = "parts-backup";
    meta.domain = "parts.example";

    inventory.machines = {
      backup-server = {
        deploy.targetHost = "root@192.0.2.104";
        tags = [ ];
      };
      alice-laptop = {
        deploy.targetHost = "root@192.0.2.101";
        tags = [ "employees" ];
      };
      postgres-server.deploy.targetHost = "root@192.0.2.102";
    };

    inventory.instances = {
      borgbackup = {
        roles.server.machines.backup-server.settings.directory = "/var/lib/borgbackup";
        roles.client.tags.employees = { };
        roles.client.machines.postgres-server = { };
        roles.client.settings = {
          startAt = "*-*-* 02:30:00";
          exclude = [ "*.tmp" "*/.cache" ];
        };
      };
      sshd.roles.server.tags.all = { };
    };
  };
}
