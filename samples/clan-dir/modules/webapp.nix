{ config, ... }:
{
  services.nginx.enable = true;

  clan.core.state.webapp = {
    folders = [
      "/var/lib/webapp"
      config.services.nginx.stateDir
    ];
    preBackupScript = ''
      systemctl stop webapp.service
    '';
    postBackupScript = ''
      systemctl start webapp.service
    '';
  };
}
