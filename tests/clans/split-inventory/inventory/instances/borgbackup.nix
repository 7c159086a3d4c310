{
  borgbackup-files = {
    module.name = "borgbackup";
    module.input = "clan-core";
    roles.server.machines.files = { };
    roles.server.settings = {
      directory = "/tank/borg";
    };
    roles.client.tags.backup = { };
    # The clients' states are declared here
    roles.client.extraModules = [ ../../modules/backup-state.nix ];
  };
}
