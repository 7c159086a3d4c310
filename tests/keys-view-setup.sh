#!/bin/bash
# Fixture clans for the keys view screens (tests/screens/ops/keys-*.keys, `# setup:` line),
# written in the working directory beside clan.nix (samples/two-machines.nix) in the layout
# `clan vars generate` and `clan secrets` write: sops/users/<u>/key.json as a list,
# sops/groups/<g>/users/<u> links, and the vars made by clan-tui keygen (Clan's sops layout).
# Admin identities: alice.txt (the runner's), bob.txt, carol.txt, beside clan.nix; dave.txt is
# the key of nobody in sops/users.
#   keys-view-setup.sh sops     every machine generated; then carol joins the default group
#                               admins (postgres-server's secrets lack her: Clan would add her),
#                               alice-laptop gets a root-password generator whose secret is
#                               encrypted to the machine and bob only (alice cannot read it),
#                               and backup-server's public host key is removed
#   keys-view-setup.sh users    only the users (nothing generated yet)
set -eu
: "${CLAN_TUI:?}" "${top_builddir:?}"
tool="$top_builddir/tests/secrets-tool"
scenario=$1
user_key() { # user_key NAME: identity NAME.txt and sops/users/NAME/key.json, as clan writes it
    "$tool" keygen >"$1.txt"
    mkdir -p "sops/users/$1"
    printf '[\n  {\n    "publickey": "%s",\n    "type": "age"\n  }\n]' \
        "$(sed -n 's/^# public key: //p' "$1.txt")" >"sops/users/$1/key.json"
}
pub_of() { sed -n 's/^# public key: //p' "$1.txt"; }
user_key alice
user_key bob
"$tool" keygen >dave.txt
mkdir -p sops/groups/admins/users
ln -s ../../../users/bob sops/groups/admins/users/bob
[ "$scenario" = users ] && exit 0

export SOPS_AGE_KEY_FILE=$PWD/alice.txt XDG_DATA_HOME=$PWD.data
"$CLAN_TUI" keygen clan.nix --machine backup-server >/dev/null 2>&1
"$CLAN_TUI" keygen clan.nix --machine alice-laptop >/dev/null 2>&1
"$CLAN_TUI" keygen clan.nix --machine postgres-server --group admins >/dev/null 2>&1
# a new admin in the default group: postgres-server's secrets were encrypted before
user_key carol
ln -s ../../../users/carol sops/groups/admins/users/carol
# another generator, as clan writes one: a public value, a secret for the machine and bob
g=vars/per-machine/alice-laptop/root-password
mkdir -p "$g/password-hash" "$g/password/machines" "$g/password/users"
printf '$y$j9T$fixture$hash' >"$g/password-hash/value"
machine=$(sed -n 's/.*"publickey": "\(age1[a-z0-9]*\)".*/\1/p' sops/machines/alice-laptop/key.json)
printf 'not-a-real-password' | "$tool" sops-encrypt "$machine" "$(pub_of bob)" >"$g/password/secret"
ln -s ../../../../../../sops/machines/alice-laptop "$g/password/machines/alice-laptop"
ln -s ../../../../../../sops/users/bob "$g/password/users/bob"
# a missing public file
rm vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub/value
rmdir vars/per-machine/backup-server/openssh/ssh.id_ed25519.pub
