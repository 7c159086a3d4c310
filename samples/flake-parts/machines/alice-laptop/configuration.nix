{ ... }:
{
  imports = [ ../../modules/home.nix ];

  clan.core.state.documents = {
    folders = [
      "/home/alice/documents"
      "/home/alice/pictures"
    ];
  };
}
