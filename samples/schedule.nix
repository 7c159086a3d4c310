# The document's schedule example: alice-laptop backs up at 4 AM instead of the default 1 AM.
{
  meta.name = "MY-BACKUP-CLAN";
  meta.domain = "mybackupclan.lol";

  inventory.machines = {
    alice-laptop = {
      deploy.targetHost = "root@192.168.56.101";
      tags = [ "employees" ];
    };
    backup-server = {
      deploy.targetHost = "root@192.168.56.104";
      tags = [ ];
    };
  };

  inventory.instances = {
    borgbackup = {
      roles.client.machines."alice-laptop" = {
        settings.startAt = "*-*-* 04:00:00";   # 4 AM daily
      };
      roles.server.machines."backup-server" = {};
    };
  };

  machines = {
    alice-laptop = {
      clan.core.state."my-documents".folders = [ "/home/alice/documents" ];
    };
  };
}
