# A machine that exists only as a clan `machines.<name>` module, declared from
# another flake-parts module. `clan` is the older name of `flake.clan`.
{ ... }:
{
  clan.machines.cache-vm =
    { config, ... }:
    {
      services.nix-serve.enable = true;

      clan.core.networking.targetHost = "root@192.0.2.31";

      clan.core.state.cache-keys = {
        folders = [ "/var/lib/nix-serve" ];
      };
    };
}
