{ ... }:
{
  clan.core.networking.targetHost = "root@web.office.example";
}
