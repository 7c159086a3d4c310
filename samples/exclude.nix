# The document's second exclude example: several patterns on one machine.
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
        settings.exclude = [
          "*.pyc"
          "*.tmp"
          "__pycache__"
          ".cache"
        ];
      };
      roles.server.machines."backup-server" = {};
    };
  };

  machines = {
    alice-laptop = {
      clan.core.state."my-documents" = {
        folders = [
          "/home/alice/documents"
          "/home/alice/pictures"
        ];
      };
    };
  };
}
