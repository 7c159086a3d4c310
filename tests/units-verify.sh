#!/bin/bash
# Every sample's units, as `clan-tui units` writes them, are accepted by systemd itself:
# `systemd-analyze verify` (with the scripts installed where ExecStart= points, so it can
# check they exist and are executable) must pass and print nothing; the servers'
# tmpfiles.d lines are applied by systemd-tmpfiles under a scratch root.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/units-lib.sh"
have systemd-analyze || { echo "SKIP: systemd-analyze not installed"; exit 77; }

SD="$T/inst/scripts" # the script directory the units point at; each machine's is installed there
for f in "$top_srcdir"/samples/*.nix; do
    s=$(basename "$f" .nix)
    out="$T/out/$s"
    check "$s: units renders" "$CLAN_TUI" units "$f" --out "$out" --script-dir "$SD"
    for mdir in "$out"/*/; do
        m=$(basename "$mdir")
        udir="$mdir/etc/systemd/system"
        if [ -d "$udir" ]; then
            units=("$udir"/*.service "$udir"/*.timer)
            rm -rf "$SD" && mkdir -p "$T/inst" && cp -a "$mdir${SD#/}" "$SD"
            set +e
            systemd-analyze verify "${units[@]}" > "$T/verify.log" 2>&1
            rc=$?
            set -e
            check "$s/$m: systemd-analyze verify accepts ${#units[@]} units" test "$rc" -eq 0
            check "$s/$m: ... without a single warning" test ! -s "$T/verify.log"
            [ -s "$T/verify.log" ] && cat "$T/verify.log"
            for t in "$udir"/*.timer; do
                cal=$(sed -n 's/^OnCalendar=//p' "$t")
                check "$s/$m: $(basename "$t") OnCalendar '$cal' is a calendar systemd accepts" \
                    sh -c 'systemd-analyze calendar "$1" >/dev/null' _ "$cal"
            done
            for sh in "$mdir${SD#/}"/borgbackup-job-* "$mdir${SD#/}"/pre-backup "$mdir${SD#/}"/post-backup; do
                case $sh in *.exclude) continue ;; esac
                check "$s/$m: $(basename "$sh") is valid bash" bash -n "$sh"
            done
        fi
        conf="$mdir/etc/tmpfiles.d/clan-borgbackup-repos.conf"
        if [ -f "$conf" ]; then
            root="$T/root-$s-$m"
            mkdir -p "$root/etc"
            echo 'borg:x:990:990::/var/lib/borg:/bin/sh' > "$root/etc/passwd"
            echo 'borg:x:990:' > "$root/etc/group"
            check "$s/$m: systemd-tmpfiles creates the repository directories" \
                systemd-tmpfiles --create --root="$root" "$conf"
            while read -r _ dir _; do
                dir=${dir//\"/}
                check "$s/$m: $dir exists, mode 700, owned by borg" \
                    test "$(stat -c '%a %u' "$root$dir")" = "700 990"
            done < <(grep '^d ' "$conf")
        fi
    done
done
finish
