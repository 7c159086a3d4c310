{ lib, ... }:
{
  boot.initrd.availableKernelModules = [ "ahci" "nvme" ];
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}
