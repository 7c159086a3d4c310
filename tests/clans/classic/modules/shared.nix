{ lib, ... }:
{
  services.openssh.enable = lib.mkDefault true;

  clan.core.state.ssh-host-keys.folders = [ "/etc/ssh" ];
}
