{
  meta.name = "subdir";

  inventory.machines.north.deploy.targetHost = "root@192.0.2.70";

  inventory.instances.borg = {
    module = {
      name = "borgbackup";
      input = "clan";
    };
    roles.server.machines.north = { };
    roles.client.machines.south = { };
  };
}
