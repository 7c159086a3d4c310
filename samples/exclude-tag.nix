# The document's first exclude example: every machine tagged "employees" excludes *.bak.
{
  meta.name = "MY-BACKUP-CLAN";
  meta.domain = "mybackupclan.lol";

  inventory.machines = {
    alice-laptop = {
      deploy.targetHost = "root@192.168.56.101";
      tags = [ "employees" ];
    };
    bob-laptop = {
      deploy.targetHost = "root@192.168.56.103";
      tags = [ "employees" ];
    };
    backup-server = {
      deploy.targetHost = "root@192.168.56.104";
      tags = [ ];
    };
  };

  inventory.instances = {
    borgbackup = {
      roles.client.tags.employees.settings = {
        exclude = [ "*.bak" ]; 
      };
      roles.server.machines."backup-server" = {
        settings.address = "192.168.56.104";
      };
    };
  };

  machines = {
    alice-laptop = {
      clan.core.state."my-documents".folders = [ "/home/alice/documents" ];
    };
    bob-laptop = {
      clan.core.state."my-documents".folders = [ "/home/bob/documents" ];
    };
  };
}
