{ ... }:
{
  services.gitea.enable = true;

  clan.core.state.gitea.folders = [ "/var/lib/gitea" ];
}
