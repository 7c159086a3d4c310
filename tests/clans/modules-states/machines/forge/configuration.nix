{ inputs, lib, ... }:
let
  mods = ../../modules;
in
{
  imports = [
    inputs.foo.nixosModules.bar
    (mods + "/forgejo.nix")
    ../../modules/common
  ];

  clan.core.networking.targetHost = "root@forge.example.com";
}
