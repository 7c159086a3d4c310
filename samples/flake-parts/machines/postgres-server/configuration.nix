{ config, ... }:
{
  imports = [ ../../modules/postgres.nix ];

  services.postgresql.enable = true;
}
