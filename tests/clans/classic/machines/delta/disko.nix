{
  disko.devices.disk.main = {
    device = "/dev/disk/by-id/example-disk";
    type = "disk";
    content.type = "gpt";
  };
}
