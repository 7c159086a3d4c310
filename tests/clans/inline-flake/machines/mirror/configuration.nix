{ ... }:
{
  clan.core.state.mirror = {
    folders = [ "/srv/mirror" ];
    postRestoreScript = ''
      systemctl restart nginx.service
    '';
  };
}
