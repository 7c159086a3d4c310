{ lib, ... }:
{
  boot.loader.systemd-boot.enable = true;

  clan.core.state.firmware.folders = lib.mkDefault [ "/var/lib/fwupd" ];
}
