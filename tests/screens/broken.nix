{
  # A clan.nix with mistakes, for the diagnostics screen test.
  meta.name = "BROKEN-CLAN";

  inventory.machines = {
    alice-laptop = {
      deploy.targetHost = "root@192.168.56.101";
      tags = [ "employees" ];
    };
    backup-server = {
      deploy.targetHost = "root@192.168.56.104";
    };
  };

  inventory.instances = {
    borgbackup = {
      roles.client.tags = [ "employees" "contractors" ];
      roles.client.machines."ghost-machine" = { };
      roles.client.settings.startAt = "every full moon";
      roles.server.machines."backup-server" = {
        settings.directory = "/var/lib/borgbackup";
      };
    };
  };

  machines = {
    alice-laptop = { ... }: {
      clan.core.state."documents" = {
        folders = [ "/home/alice/documents" ];
      };
    };
    backup-server = { ... }: {
      services.foo.enable = true
    };
  };
}
