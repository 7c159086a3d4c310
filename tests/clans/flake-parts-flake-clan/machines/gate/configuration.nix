{ ... }:
{
  services.nginx.enable = true;

  clan.core.state.acme.folders = [ "/var/lib/acme" ];
}
