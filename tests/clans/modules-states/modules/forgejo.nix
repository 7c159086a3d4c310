{ config, lib, ... }:
{
  options.my.forgejo.domain = lib.mkOption {
    type = lib.types.str;
    default = "git.example.com";
  };

  config = {
    services.forgejo.enable = true;
    services.forgejo.settings.server.DOMAIN = config.my.forgejo.domain;

    clan.core.state.forgejo = {
      folders = [ config.services.forgejo.stateDir ];
      preBackupScript = ''
        systemctl stop forgejo.service
      '';
      postBackupScript = ''
        systemctl start forgejo.service
      '';
    };
  };
}
