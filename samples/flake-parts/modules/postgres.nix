{ config, ... }:
{
  clan.core.postgresql.enable = true;
  clan.core.postgresql.databases.app = { };

  clan.core.state.postgres-config = {
    folders = [ "/etc/postgresql" ];
    preBackupScript = ''
      systemctl is-active --quiet postgresql || exit 0
    '';
  };
}
