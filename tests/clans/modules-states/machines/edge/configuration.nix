{ inputs, ... }:
let
  hw = ./hw;
in
{
  imports = [
    hw
    ../../modules/media.nix
    "${inputs.private}/edge.nix"
  ];

  clan.core.networking.targetHost = "root@192.0.2.61";

  my.media.enable = true;
}
