{
  meta.name = "modstates";
  meta.domain = "example.com";

  inventory.machines = {
    forge.tags = [ "backup" ];
    db.tags = [ "backup" ];
    edge = { };
    store.deploy.targetHost = "root@192.0.2.60";
  };

  inventory.instances.backups = {
    module.name = "borgbackup";
    module.input = "clan-core";
    roles.server.machines.store = { };
    roles.client.tags = [ "backup" ];
    roles.client.machines.edge = { };
  };
}
