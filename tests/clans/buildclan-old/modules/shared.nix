{ config, ... }:
{
  services.openssh.enable = true;

  clan.core.state.root-home = {
    folders = [ "/root" ];
  };
}
