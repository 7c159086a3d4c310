# Helpers for tests/nix-edit-diff.sh: evaluate a clan.nix into plain data (functions are
# called with stand-in arguments, lib.mk* become marker sets, paths become strings).
rec {
  fake = {
    lib = {
      mkDefault = x: { __mkDefault = x; };
      mkForce = x: { __mkForce = x; };
      mkIf = c: x: { __mkIf = x; };
    };
    config = { };
    pkgs = { };
    inputs = { };
    self = { };
  };
  call = f: f (builtins.intersectAttrs (builtins.functionArgs f) fake);
  san = v:
    let t = builtins.typeOf v; in
    if t == "lambda" then san (call v)
    else if t == "set" then builtins.mapAttrs (n: san) v
    else if t == "list" then map san v
    else if t == "path" then "path:" + toString v
    else v;
  load = file: san (import file);
  get = s: p: if p == [ ] then s else get s.${builtins.head p} (builtins.tail p);
  setp = s: p: v:
    if p == [ ] then v
    else s // { ${builtins.head p} = setp (s.${builtins.head p} or { }) (builtins.tail p) v; };
  delp = s: p:
    if builtins.length p == 1 then builtins.removeAttrs s p
    else s // { ${builtins.head p} = delp s.${builtins.head p} (builtins.tail p); };
  keywords = [ "if" "then" "else" "assert" "with" "let" "in" "rec" "inherit" "or" ];
  quote = n:
    if builtins.match "[a-zA-Z_][a-zA-Z0-9_'-]*" n != null && !(builtins.elem n keywords)
    then n else "\"" + n + "\"";
  # "TYPE<TAB>a.b.\"c-d\"<TAB>[ \"a\" \"b\" \"c-d\" ]" for every attribute, depth first
  walk = v: pre:
    builtins.concatLists (map (n:
      let
        x = v.${n};
        p = pre ++ [ n ];
        t = builtins.typeOf x;
        kind = if t == "set" then "set" else if t == "list" then "list" else "leaf";
        line = kind + "\t" + builtins.concatStringsSep "." (map quote p) + "\t[ "
          + builtins.concatStringsSep " " (map builtins.toJSON p) + " ]";
        plain = builtins.match "[a-zA-Z0-9_' .-]*" n != null && builtins.match "__mk.*" n == null;
      in if !plain then [ ] else [ line ] ++ (if t == "set" then walk x p else [ ]))
      (builtins.attrNames v));
  paths = file: builtins.concatStringsSep "\n" (walk (load file) [ ]);
  # Is new exactly old with the one intended change?
  check = { old, new, op, path, value ? null }:
    let
      o = load old;
      n = load new;
      v = san value;
      expected =
        if op == "set" then setp o path v
        else if op == "del" then delp o path
        else setp o path (get o path ++ [ v ]);
    in if expected == n then true else { inherit expected; got = n; };
}
