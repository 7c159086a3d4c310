{
  # Ensure this is unique among all clans you want to use.
  meta.name = "MY-HETZNER-CLAN";
  meta.domain = "myhetznerclan.lol";

  inventory.machines = {
    postgres-server = {
      deploy.targetHost = "root@<IP-ADDRESS>"; # REPLACE WITH postgres-server's IP ADDRESS; keep "root@"
      tags = [ ];
    };
  };

  inventory.instances = {

    borgbackup = {
      roles.client.machines."postgres-server" = {
        settings.destinations."storagebox" = {
          repo = "<BOX-USERID>@<BOX-USERID>.your-storagebox.de:/./borgbackup"; # REPLACE WITH USERNAME FROM STORAGE BOX DETAILS PAGE
          rsh = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh";
        };
      };
    };

    sshd = {
      roles.server.tags.all = { };
      roles.server.settings.authorizedKeys = {
        # Insert the public key that you want to use for SSH access.
        # All keys will have ssh access to all machines ("tags.all" means 'all machines').
        # Alternatively set 'users.users.root.openssh.authorizedKeys.keys' in each machine
        "admin-machine-1" = "PASTE_YOUR_KEY_HERE";
      };
    };

    user-root = {
      module = {
        name = "users";
      };
      roles.default.tags.all = { };
      roles.default.settings = {
        user = "root";
        prompt = true;
      };
    };

  };

  machines = {

    postgres-server =
      { config, ... }:
      {
        services.postgresql = {
          enable = true;
          ensureDatabases = [ "mydatabase" ];
        };

        clan.core.postgresql.enable = true;
        clan.core.postgresql.databases.mydatabase = { };

        clan.core.state."postgresql" = {
          folders = [ ];
          preBackupScript = ''
            systemctl stop postgresql
          '';
          postBackupScript = ''
            systemctl start postgresql
          '';
        };
      };

  };
}
