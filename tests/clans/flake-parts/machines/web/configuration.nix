{ ... }:
{
  clan.core.networking.targetHost = "root@web.example.com";

  services.nginx.enable = true;
}
