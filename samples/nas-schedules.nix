# clan.nix
{
  inventory.machines = {
    laptop = {
      deploy.targetHost = "root@192.168.1.10";
      tags = [ "workstation" ];
    };
    desktop = {
      deploy.targetHost = "root@192.168.1.11";
      tags = [ "workstation" ];
    };
    work-pc = {
      deploy.targetHost = "root@192.168.1.12";
      tags = [ "workstation" ];
    };
    nas = {
      deploy.targetHost = "root@192.168.1.50";
    };
  };

  inventory.instances = {
    borgbackup = {
      roles.client.machines = {
        "laptop" = {
          settings.startAt = "*-*-* 02:00:00";
        }; # 2 AM
        "desktop" = {
          settings.startAt = "*-*-* 03:00:00";
        }; # 3 AM
        "work-pc" = {
          settings.startAt = "*-*-* 04:00:00";
        }; # 4 AM
      };
      roles.server.machines."nas" = {
        settings.address = "192.168.1.50";
        settings.directory = "/data/backups";
      };
    };
  };

  # Completed for clan-tui: the document's example declares no clan.core.state, and Clan
  # creates backup jobs only for machines that have state. One folder per workstation.
  machines = {
    laptop = {
      clan.core.state."home".folders = [ "/home" ];
    };
    desktop = {
      clan.core.state."home".folders = [ "/home" ];
    };
    work-pc = {
      clan.core.state."home".folders = [ "/home" ];
    };
  };
}
