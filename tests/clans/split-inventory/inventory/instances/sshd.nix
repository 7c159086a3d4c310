{
  sshd = {
    module.name = "sshd";
    roles.server.tags.nixos = { };
    roles.client.tags.nixos = { };
  };
}
