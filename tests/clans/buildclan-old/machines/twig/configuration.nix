{ ... }:
{
  imports = [ ./services.nix ];
}
