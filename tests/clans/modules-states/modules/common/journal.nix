{ config, lib, ... }:
{
  config = lib.mkMerge [
    {
      services.journald.extraConfig = "SystemMaxUse=1G";
      clan.core.state.journal.folders = [ "/var/log/journal" ];
    }
    (lib.mkIf config.services.nginx.enable {
      clan.core.state.nginx-logs.folders = [ "/var/log/nginx" ];
    })
  ];
}
