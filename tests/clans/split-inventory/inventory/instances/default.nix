{ lib }:
(import ./sshd.nix) // (import ./borgbackup.nix)
