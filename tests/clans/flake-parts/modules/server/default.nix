{ ... }:
{
  imports = [ ./monitoring.nix ];

  clan.core.state.srv.folders = [ "/srv" ];
}
