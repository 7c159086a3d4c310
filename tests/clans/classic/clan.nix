{
  # Ensure this is unique among all clans you want to use.
  meta.name = "classic";
  meta.domain = "example.com";

  inventory.machines = {
    alpha = {
      deploy.targetHost = "root@192.0.2.10";
      tags = [ "backup" ];
    };
    vault.deploy.targetHost = "root@192.0.2.20";
  };

  inventory.instances = {
    sshd = {
      roles.server.tags.all = { };
    };

    borgbackup = {
      module = {
        name = "borgbackup";
        input = "clan-core";
      };
      roles.server.machines.vault = { };
      roles.client.tags.backup = { };
      roles.client.settings = {
        startAt = "*-*-* 03:00:00";
        exclude = [ "*.tmp" ];
      };
    };
  };

  # Additional NixOS configuration; machines/<name>/configuration.nix is
  # imported automatically as well.
  machines = {
    beta =
      { ... }:
      {
        clan.core.state.notes.folders = [ "/srv/notes" ];
      };
  };
}
