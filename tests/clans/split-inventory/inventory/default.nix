{ lib }:
{
  machines = import ./machines.nix;
  instances = import ./instances { inherit lib; };
  tags.backup = [ "relay" ];
}
