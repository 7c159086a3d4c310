{
  # Ensure this is unique among all clans you want to use.
  meta.name = "home-office";
  meta.domain = "office.example";

  inventory.machines = {
    nas.deploy.targetHost = "root@192.0.2.20";
  };

  inventory.instances = {
    borgbackup = {
      roles.server.machines.nas.settings.directory = "/tank/borg";
      roles.client.tags.backup = { };
    };
    sshd.roles.server.tags.all = { };
  };

  # Additional NixOS configuration; machines/<name>/configuration.nix is imported too.
  machines = {
    web.imports = [ ./modules/webapp.nix ];
  };
}
