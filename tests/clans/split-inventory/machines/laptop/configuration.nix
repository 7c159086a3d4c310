{ ... }:
{
  clan.core.networking.targetHost = "root@laptop.example.com";

  networking.networkmanager.enable = true;
}
