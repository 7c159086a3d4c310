{ config, lib, ... }:
{
  clan.core.state = {
    networkmanager = lib.mkIf config.networking.networkmanager.enable {
      folders = [ "/etc/NetworkManager" ];
    };
    system.folders = [
      "/home"
      "/var"
      "/root"
    ];
  };
}
