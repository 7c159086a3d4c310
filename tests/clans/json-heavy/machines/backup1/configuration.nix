{ ... }:
{
  fileSystems."/srv/borgbackup".device = "/dev/disk/by-label/borg";
}
