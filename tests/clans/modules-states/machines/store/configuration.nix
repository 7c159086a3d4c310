{ config, lib, ... }:
{
  # The inventory's deploy.targetHost (clan.nix) takes precedence over this.
  clan.core.networking.targetHost = "root@store.example.com";

  services.samba.enable = true;

  clan.core.state = lib.mkMerge [
    { zfs-meta.folders = [ "/etc/zfs" ]; }
    (lib.mkIf config.services.samba.enable {
      samba.folders = [ "/var/lib/samba" ];
    })
  ];
}
