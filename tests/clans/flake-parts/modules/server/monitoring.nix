{ config, ... }:
{
  services.prometheus.enable = true;

  clan.core.state.prometheus = {
    folders = [ "/var/lib/${config.services.prometheus.stateDir}" ];
  };
}
