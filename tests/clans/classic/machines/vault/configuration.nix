{ ... }:
{
  # hardware-configuration.nix is auto-imported too; importing it again is harmless
  imports = [ ./hardware-configuration.nix ];

  clan.core.state.acme.folders = [ "/var/lib/acme" ];
}
