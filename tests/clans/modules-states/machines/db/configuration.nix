{ ... }:
{
  imports = [
    ../../modules/common
    ../../modules/postgres.nix
  ];
}
