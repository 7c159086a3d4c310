{ ... }:
{
  services.coturn.enable = true;

  clan.core.state.relay.folders = [ "/var/lib/coturn" ];
}
