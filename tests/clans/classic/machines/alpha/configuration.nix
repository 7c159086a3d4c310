{ config, pkgs, ... }:
{
  imports = [ ../../modules/shared.nix ];

  services.postgresql.enable = true;

  clan.core.state.photos = {
    folders = [ "/srv/photos" ];
    preBackupScript = ''
      systemctl stop photos.service
    '';
    postBackupScript = ''
      systemctl start photos.service
    '';
  };

  clan.core.state."mail-archive".folders = [
    "/var/lib/mail-archive"
  ];
}
