#!/bin/bash
# clan-tui units: the multi-destination sample, writing (atomic, unchanged files untouched),
# --diff, --machine, server files with keys from the vars layout, usage errors, and a hostile
# clan.nix run end to end (clan.nix -> inventory -> units -> systemd's parser -> bash -> borg).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/units-lib.sh"
S="$top_srcdir/samples"
SD=/usr/local/lib/clan-borgbackup
units() { "$CLAN_TUI" units "$@"; }
chmod 755 "$T" # systemd --test runs as nobody and must read the units

# ---- usage ----
expect_status 0 "--help" units --help
mkdir -p "$T/noclan"
expect_status 1 "no clan in or above the working directory" sh -c 'cd "$0" && exec "$1" units' "$T/noclan" "$CLAN_TUI"
expect_status 2 "unknown option" units "$S/postgres.nix" --frobnicate
expect_status 2 "--diff needs --out" units "$S/postgres.nix" --diff
units "$S/postgres.nix" --out 2>"$T/err" || true
check "--out without a value says so" grep -q "option '--out' needs a value" "$T/err"
expect_status 1 "a missing file" units "$T/nope.nix" --out "$T/x"
check "nothing written for a missing file" test ! -e "$T/x"
expect_status 1 "an unknown machine" units "$S/postgres.nix" --out "$T/x" --machine nobody
units "$S/postgres.nix" --machine nobody 2>"$T/err" >/dev/null || true
check "the unknown machine error lists the machines" grep -q "postgres-server" "$T/err"
expect_status 1 "a relative --script-dir is refused" units "$S/postgres.nix" --out "$T/x" --script-dir rel
units "$S/postgres.nix" --out "$T/x" --script-dir "/opt/it's" 2>"$T/err" || true
check "a --script-dir with a quote is refused: systemd refuses it in ExecStart=" grep -q "ExecStart=" "$T/err"
check "nothing written after a refusal" test ! -e "$T/x"
printf '{ inventory.machines = { a = { }; ' > "$T/broken.nix"
expect_status 1 "a clan.nix with a syntax error" units "$T/broken.nix" --out "$T/x"
check "nothing written for a broken clan.nix" test ! -e "$T/x"

# ---- the multi-destination sample ----
O="$T/md"
check "units writes the multi-destination sample" units "$S/multi-destination.nix" --out "$O"
U="$O/postgres-server/etc/systemd/system"
check "postgres-server gets exactly the two jobs of the document" \
    test "$(cd "$U" && ls | tr '\n' ' ')" = "borgbackup-job-backup-server.service borgbackup-job-backup-server.timer borgbackup-job-storagebox.service borgbackup-job-storagebox.timer "
check "both timers have the same OnCalendar (the default 01:00)" \
    test "$(grep -h '^OnCalendar=' "$U"/*.timer | sort -u)" = "OnCalendar=*-*-* 01:00:00"
for d in backup-server storagebox; do
    unit_dump "$U" "borgbackup-job-$d.service" > "$T/$d.dump"
    check "$d: systemd reads ExecStartPre = the pre-backup runner" \
        test "$(unit_exec "$T/$d.dump" ExecStartPre)" = "$SD/pre-backup"
    check "$d: systemd reads ExecStopPost = the post-backup runner" \
        test "$(unit_exec "$T/$d.dump" ExecStopPost)" = "$SD/post-backup"
    check "$d: ExecStart = its own job script" \
        test "$(unit_exec "$T/$d.dump" ExecStart)" = "$SD/borgbackup-job-$d"
done
check "storagebox: BORG_REPO is the document's repo" \
    test "$(unit_env_value "$T/storagebox.dump" BORG_REPO)" = "<HETZNER-USER>@<HETZNER-USER>.your-storagebox.de:/./borgbackup"
check "storagebox: BORG_RSH is the document's rsh" \
    test "$(unit_env_value "$T/storagebox.dump" BORG_RSH)" = "ssh -p 23 -oStrictHostKeyChecking=accept-new -i /run/secrets/vars/borgbackup/borgbackup.ssh"
check "backup-server: BORG_REPO is borg@<address>:." \
    test "$(unit_env_value "$T/backup-server.dump" BORG_REPO)" = "borg@<IP-ADDRESS>:."
check "the pre runner calls the postgresql hook" grep -q "hooks/postgresql.pre-backup" "$O/postgres-server$SD/pre-backup"
check "the hook holds the document's text" grep -qx "systemctl stop postgresql" "$O/postgres-server$SD/hooks/postgresql.pre-backup"
check "the post hook holds the document's text" grep -qx "systemctl start postgresql" "$O/postgres-server$SD/hooks/postgresql.post-backup"
check "the backup server gets its files" test -f "$O/backup-server/etc/tmpfiles.d/clan-borgbackup-repos.conf"

# ---- unchanged files are not touched; --diff writes nothing ----
snap() { find "$O" -type f -printf '%p %i %T@ %m\n' | sort; }
snap > "$T/before"
units "$S/multi-destination.nix" --out "$O" 2>"$T/err"
check "a second run reports everything unchanged" grep -q " 0 file(s) written" "$T/err"
snap > "$T/after"
check "a second run touches no file (inode, mtime, mode kept)" cmp -s "$T/before" "$T/after"
mkdir -p "$T/m4" # same file name: the generated headers name it
sed 's|roles.client.machines."postgres-server" = {|roles.client.machines."postgres-server" = {\n        settings.startAt = "*-*-* 04:00:00";|' \
    "$S/multi-destination.nix" > "$T/m4/multi-destination.nix"
units "$T/m4/multi-destination.nix" --out "$O" --diff > "$T/diff" 2>"$T/err"
check "--diff shows the new schedule of both timers" \
    test "$(grep -c '^+OnCalendar=\*-\*-\* 04:00:00$' "$T/diff")" -eq 2
check "--diff shows the old schedule removed" grep -q '^-OnCalendar=\*-\*-\* 01:00:00$' "$T/diff"
check "--diff names the files" grep -q '^+++ b/postgres-server/etc/systemd/system/borgbackup-job-storagebox.timer' "$T/diff"
snap > "$T/after"
check "--diff writes nothing" cmp -s "$T/before" "$T/after"
check "--diff applies with patch" sh -c 'cd "$1" && patch -s -p1 --dry-run < "$2"' _ "$O" "$T/diff"
units "$T/m4/multi-destination.nix" --out "$O" 2>/dev/null
check "after writing, --diff is empty" test -z "$(units "$T/m4/multi-destination.nix" --out "$O" --diff 2>/dev/null)"
check "only the two timers changed" test "$(diff "$T/before" <(snap) | grep -c '^>')" -eq 2

# ---- files of a destination that is gone are reported, never deleted ----
touch "$O/postgres-server/etc/systemd/system/borgbackup-job-old.service"
units "$S/multi-destination.nix" --out "$O" 2>"$T/err"
check "a file no longer generated is reported" \
    grep -q "postgres-server/etc/systemd/system/borgbackup-job-old.service is not generated any more" "$T/err"
check "... and kept" test -f "$O/postgres-server/etc/systemd/system/borgbackup-job-old.service"
units "$S/multi-destination.nix" --out "$O" --diff 2>"$T/err" >/dev/null
check "--diff reports it too" grep -q "borgbackup-job-old.service is not generated any more" "$T/err"
rm "$O/postgres-server/etc/systemd/system/borgbackup-job-old.service"

# ---- --machine ----
check "--machine writes one machine" units "$S/two-machines.nix" --out "$T/one" --machine alice-laptop
check "... only that one" test "$(ls "$T/one")" = "alice-laptop"

# ---- print mode ----
units "$S/postgres.nix" > "$T/print" 2>/dev/null
check "without --out the files are printed with their paths" \
    grep -q '^==> postgres-server/etc/systemd/system/borgbackup-job-backup-server.service (mode 0644) <==$' "$T/print"

# ---- server files with keys from the vars layout beside clan.nix ----
C="$T/clan"
mkdir -p "$C/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub"
cp "$S/two-machines.nix" "$C/clan.nix"
ssh-keygen -q -t ed25519 -N "" -C "" -f "$T/alice"
cp "$T/alice.pub" "$C/vars/per-machine/alice-laptop/borgbackup/borgbackup.ssh.pub/value"
units "$C/clan.nix" --out "$T/srv" --machine backup-server 2>"$T/err"
AK="$T/srv/backup-server/etc/ssh/authorized_keys.d/borg"
check "alice's line: cd into her repository, borg serve restricted to it" \
    grep -qxF "command=\"cd /var/lib/borgbackup/alice-laptop && borg serve --restrict-to-repository .\",restrict $(cut -d' ' -f1,2 "$T/alice.pub")" "$AK"
check "a missing key is said clearly" grep -q "no public key for client postgres-server" "$T/err"
check "ssh-keygen reads the authorized_keys file" sh -c 'ssh-keygen -l -f "$1" | grep -q ED25519' _ "$AK"

# ---- a hostile clan.nix, end to end with real borg on a local repository ----
if have borg && [ "$(id -u)" -eq 0 ]; then
    H="$T/hostile"
    mkdir -p "$H/data/a b/it's \"q\" \$(touch $T/pwned) %n" "$H/secrets/borgbackup" "$H/data/x"
    echo one > "$H/data/a b/it's \"q\" \$(touch $T/pwned) %n/f"
    echo two > "$H/data/x/it's \"q\" %n \$(x).tmp"
    echo three > "$H/data/x/"$'multi\nline'
    echo four > "$H/data/x/keep"
    echo 'sierra-tango-uniform-victor-whiskey-xray' > "$H/secrets/borgbackup/borgbackup.repokey"
    mkdir -p "$H/re\"po %n \$(x)"
    cat > "$H/clan.nix" <<EOF
{
  inventory.machines.host = { };
  inventory.instances.borgbackup = {
    roles.client.machines.host.settings = {
      exclude = [ "*/it's \\"q\\" %n \$(x).tmp" "*/multi\\nline" ];
      destinations."local" = { repo = "$H/re\\"po %n \$(x)/repo"; rsh = "ssh -o 'X=a b'"; };
    };
  };
  machines.host = {
    clan.core.state."we ird's" = {
      folders = [ "$H/data/a b/it's \\"q\\" \$(touch $T/pwned) %n" "$H/data/x" ];
      preBackupScript = ''
        printf '%s\n' "it's ''\${HOSTILE_HOME:-unset} \\"q\\" %n \$(echo sub)" > "$H/hook.out"
      '';
    };
  };
}
EOF
    HSD="$T/inst/hostile %n \$x ünï scripts"
    check "the hostile clan.nix renders" units "$H/clan.nix" --out "$H/out" --script-dir "$HSD" --secrets-root "$H/secrets"
    rm -rf "$HSD" && mkdir -p "$T/inst" && cp -a "$H/out/host$HSD" "$HSD"
    HU="$H/out/host/etc/systemd/system"
    check "systemd-analyze verify accepts the hostile units" \
        sh -c 'systemd-analyze verify "$1"/*.service "$1"/*.timer 2>&1 | grep -q . && exit 1; exit 0' _ "$HU"
    unit_dump "$HU" borgbackup-job-local.service > "$T/h.dump"
    check "BORG_REPO from a Nix string with \\\", %, \$() arrives literally" \
        test "$(unit_env_value "$T/h.dump" BORG_REPO)" = "$H/re\"po %n \$(x)/repo"
    check "BORG_RSH arrives literally" test "$(unit_env_value "$T/h.dump" BORG_RSH)" = "ssh -o 'X=a b'"
    set +e
    run_unit "$HU" borgbackup-job-local.service HOME="$HOME" PATH="$PATH"
    st=$?
    set -e
    check "the hostile job runs" test "$st" -eq 0
    [ "$st" -eq 0 ] || tail -20 "$T/run.log"
    check "the hook ran verbatim (Nix ''\${ is a literal \${)" \
        test "$(cat "$H/hook.out" 2>/dev/null)" = "it's unset \"q\" %n sub"
    envs=()
    while IFS= read -r -d '' kv; do envs+=("$kv"); done < <(unit_env "$T/h.dump")
    a=$(env "${envs[@]}" HOME="$HOME" borg list --short | head -1)
    env "${envs[@]}" HOME="$HOME" borg list --format '{path}{NUL}' "::$a" > "$T/hpaths"
    has() { local p; while IFS= read -r -d '' p; do [ "$p" = "${1#/}" ] && return 0; done < "$T/hpaths"; return 1; }
    check "the hostile folder is backed up" has "$H/data/a b/it's \"q\" \$(touch $T/pwned) %n/f"
    if has "$H/data/x/it's \"q\" %n \$(x).tmp"; then fail "the hostile pattern excluded its file"; else ok "the hostile pattern excluded its file (literal)"; fi
    if has "$H/data/x/"$'multi\nline'; then fail "the newline pattern excluded its file"; else ok "the newline pattern excluded its file"; fi
    check "a file no pattern matches stays" has "$H/data/x/keep"
    check "nothing was executed from a value" test ! -e "$T/pwned"
fi
finish
