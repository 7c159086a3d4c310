{
  relay.deploy.targetHost = "root@relay.example.com";
  files = {
    deploy.targetHost = "root@198.51.100.20";
    deploy.buildHost = "root@198.51.100.20";
  };
  laptop.tags = [ "backup" ];
}
