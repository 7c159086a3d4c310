{ config, lib, ... }:
let
  cfg = config.my.media;
in
{
  options.my.media = {
    enable = lib.mkEnableOption "media server";
    dir = lib.mkOption {
      type = lib.types.str;
      default = "/srv/media";
    };
  };

  config = lib.mkIf cfg.enable {
    services.jellyfin.enable = true;

    clan.core.state.media = {
      folders = [
        cfg.dir
        "/var/lib/jellyfin"
      ];
    };
  };
}
