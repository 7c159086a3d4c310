# Shared by the laptops: the home directories, only where the option is on.
{ config, lib, ... }:
{
  options.backups.homes = lib.mkEnableOption "backups of /home";

  config = lib.mkIf config.backups.homes {
    clan.core.state.homes.folders = [ "/home" ];
  };
}
