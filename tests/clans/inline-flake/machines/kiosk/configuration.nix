{ lib, ... }:
{
  clan.core.networking.targetHost = lib.mkForce "root@192.0.2.40";

  services.cage.enable = true;

  clan.core.state.kiosk-profile.folders = [ "/var/lib/kiosk" ];
}
