{
  # meta, most machines and the service instances live in inventory.json,
  # written by the clan CLI.
  inventory.machines.web1.tags = [ "web" ];
}
