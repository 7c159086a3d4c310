{ ... }:
{
  services.nginx.enable = true;

  clan.core.state.www.folders = [ "/var/www" ];
}
