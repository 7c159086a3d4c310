{ ... }:
{
  clan.core.networking.targetHost = "root@leaf.example.com";

  clan.core.state.leaf-data.folders = [ "/var/lib/leaf" ];
}
