{ inputs, ... }:
{
  flake.clan =
    { self, ... }:
    {
      meta = {
        name = "fclan";
        domain = "example.com";
        description = "Clan declared with flake.clan";
      };

      specialArgs = { inherit inputs; };

      inventory = {
        machines = {
          gate = {
            deploy.targetHost = "root@192.0.2.30";
            tags = [ "edge" ];
          };
          # reached through the gate
          nas.deploy.targetHost = "root@nas.example.com?ProxyJump=root@192.0.2.30";
        };

        instances = {
          borgbackup = {
            module = {
              name = "borgbackup";
              input = "clan-core";
            };
            roles.server.machines.nas.settings = {
              address = "nas.example.com";
              directory = "/srv/borg";
            };
            roles.client.machines = {
              gate = { };
              cache-vm.settings.startAt = "*-*-* 05:00:00";
            };
            roles.client.settings.destinations.offsite = {
              repo = "borg@backup.example.com:/./borgbackup";
              rsh = "ssh -p 23 -i /run/secrets/vars/borgbackup/borgbackup.ssh";
            };
          };
        };
      };
    };
}
