# Helpers for the keygen/vars script tests (sourced after tests/lib.sh).

# keys_clan DIR SAMPLE: a clan directory holding a copy of samples/SAMPLE as clan.nix.
keys_clan() {
    mkdir -p "$1"
    cp "$top_srcdir/samples/$2" "$1/clan.nix"
}

# tree_state DIR: every entry's path, mode, size, inode, mtime and content hash, so that
# two states compare equal only when nothing at all was written.
tree_state() {
    find "$1" -printf '%p %m %s %i %T@\n' | LC_ALL=C sort
    find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}

# tree_files DIR: the same for files; directories only by name and mode (a failed run that
# created and removed a directory changes its parent's mtime, nothing else).
tree_files() {
    find "$1" \( -type d -printf '%p %m dir\n' \) -o -printf '%p %m %s %i %T@\n' | LC_ALL=C sort
    find "$1" -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
}

# no_plaintext_secrets CLANDIR SECRETSDIR: no file below the clan directory holds a private
# key, or any passphrase stored in the secrets directory.
no_plaintext_secrets() {
    if grep -rlI -e "PRIVATE KEY" "$1" >&2; then
        echo "plaintext private key under $1" >&2
        return 1
    fi
    if [ -d "$2" ]; then
        for rk in $(find "$2" -name borgbackup.repokey -type f); do
            if grep -rlF -e "$(cat "$rk")" "$1" >&2; then
                echo "plaintext passphrase under $1" >&2
                return 1
            fi
        done
    fi
    return 0
}

# fp_in OUTFILE MACHINE GENERATOR: the fingerprint keygen printed for it.
fp_in() {
    awk -v m="$2:" -v g="$3:" '$1 == m && $2 == g { for (i = 3; i <= NF; i++) if ($i ~ /^SHA256:/) { print $i; exit } }' "$1"
}

# pub_line_of PRIVATEKEY: the .pub content ssh-keygen itself would write for it with -C "".
pub_line_of() {
    printf '%s \n' "$(ssh-keygen -y -f "$1")"
}
