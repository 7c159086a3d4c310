{ ... }:
{
  clan.core.state.home.folders = [ "/home" ];
}
