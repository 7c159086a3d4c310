{ ... }:
{
  clan.core.state.shares.folders = [ "/tank/shares" ];
}
