{ ... }:
{
  imports = [ ./journal.nix ];

  clan.core.state.etc-secrets.folders = [ "/etc/secrets" ];
}
