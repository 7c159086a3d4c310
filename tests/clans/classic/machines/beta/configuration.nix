{ ... }:
{
  imports = [ ../../modules/shared.nix ];

  time.timeZone = "UTC";
}
