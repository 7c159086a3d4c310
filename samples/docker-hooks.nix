# The document's Docker example, completed into a whole clan.nix: docker-host is a
# borgbackup client of backup-server, and its containers are paused around each backup.
{
  meta.name = "DOCKER-CLAN";
  meta.domain = "dockerclan.lol";

  inventory.machines = {
    docker-host = {
      deploy.targetHost = "root@192.168.56.110";
      tags = [ ];
    };
    backup-server = {
      deploy.targetHost = "root@192.168.56.104";
      tags = [ ];
    };
  };

  inventory.instances = {
    borgbackup = {
      roles.client.machines."docker-host" = { };
      roles.server.machines."backup-server" = {
        settings.address = "192.168.56.104";
        settings.directory = "/var/lib/borgbackup";
      };
    };
  };

  machines = {

    docker-host = { config, ... }: {
      clan.core.state."containers" = {
        folders = [ "/var/lib/docker/volumes" ];
        preBackupScript = ''
          docker pause $(docker ps -q)
        '';
        postBackupScript = ''
          docker unpause $(docker ps -q)
        '';
      };
    };

  };
}
