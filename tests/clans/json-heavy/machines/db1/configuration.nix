{ ... }:
{
  services.mysql.enable = true;

  clan.core.state.mysql = {
    folders = [ "/var/backup/mysql" ];
    preBackupScript = ''
      mysqldump --all-databases > /var/backup/mysql/dump.sql
    '';
  };
}
