{ config, ... }:
{
  services.syncthing.enable = true;

  clan.core.state.syncthing.folders = [ config.services.syncthing.dataDir ];
}
