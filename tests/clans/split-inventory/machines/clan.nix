# Clan configuration, as a function of the flake.
# (A file in machines/ is not a machine; only directories are.)
self:
let
  inherit (self.inputs) clan-core nixpkgs;
in
clan-core.lib.clan {
  inherit self;
  meta.name = "split";

  inventory = import ../inventory { inherit (nixpkgs) lib; };

  machines.relay = {
    imports = [ ../modules/relay.nix ];
  };
}
