{ ... }:
{
  fileSystems."/srv".device = "tank/srv";
}
