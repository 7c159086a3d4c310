{ ... }:
{
  clan.core.state.borg-config.folders = [ "/etc/borg" ];
}
