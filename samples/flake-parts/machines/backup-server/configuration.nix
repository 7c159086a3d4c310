{ ... }:
{
  networking.hostName = "backup-server";
}
