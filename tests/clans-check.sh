#!/bin/sh
# The fixture clans of tests/clans/*: clan-tui dump of each directory against its EXPECTED
# (machines, states with their file and line, conditions, deploy addresses, borgbackup
# clients and servers, imports not followed), and `check` reports no error on any of them.
top=$(cd "${top_srcdir:-$(dirname "$0")/..}" && pwd)
bin=${CLAN_TUI:-./clan-tui}
case $bin in /*) ;; *) bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin") ;; esac
command -v jq >/dev/null || { echo "jq missing"; exit 77; }
fail=0
# the fixtures, and the bundled directory samples (their EXPECTED in tests/clans/samples)
for d in "$top"/tests/clans/*/ "$top"/samples/*/; do
    name=$(basename "$d")
    exp="$d/EXPECTED"
    case $d in "$top"/samples/*) exp="$top/tests/clans/samples/$name.EXPECTED" ;; esac
    [ -f "$exp" ] || continue
    out=$(mktemp)
    (cd "$d" && "$bin" dump . 2>/dev/null) > "$out.json" || true
    jq -r '
      .files as $f | (reduce .instances[] as $i ({}; .[$i.name] = $i.module.value)) as $mods |
      def fname($l): if $l.file then $f[$l.file].path else .file end;
      def rel($p): $p | sub("^\\./"; "");
      (.file) as $main |
      def fileof($l): rel(if ($l.file // 0) == 0 then $main else $f[$l.file].path end);
      (.machines[] | "machine \(.name)"),
      (.machines[] | . as $m | .states[] | "state \($m.name) \(.name) \(fileof(.)):\(.line)"),
      (.machines[] | . as $m | .states[] | select(.condition) | "conditional \($m.name) \(.name)"),
      (.machines[] | . as $m | .states[] | select((.folders | type) == "array" and any(.folders[]; .opaque)) | "opaque \($m.name) \(.name)"),
      (.machines[] | select(.targetHost) | "target \(.name) \(.targetHost.value) \(fileof(.targetHost))"),
      (.machines[] | . as $m | .roles[]? | select($mods[.instance] == "borgbackup") | "\(.role) \($m.name) \(.instance)"),
      (.unfollowed[]? | "unfollowed \(fileof(.)):\(.line)")
    ' "$out.json" 2>/dev/null | grep -E '^(machine|state|conditional|opaque|target|client|server|unfollowed) ' | sort -u > "$out.got"
    grep -v '^#' "$exp" | sed 's/[[:space:]]*#.*$//' | grep -v '^[[:space:]]*$' | sort -u > "$out.want"
    if ! diff -u "$out.want" "$out.got" > "$out.diff"; then
        echo "FAIL: $name (- expected, + clan-tui)"; sed -n '3,$p' "$out.diff" | grep '^[-+]'
        fail=1
    else
        echo "ok: $name"
    fi
    errs=$(cd "$d" && "$bin" check . 2>&1 | grep ': error:' || true)
    if [ -n "$errs" ]; then
        echo "FAIL: $name: check reports errors Clan would not:"; echo "$errs"
        fail=1
    fi
    # plan and units: every client with literal state folders gets its jobs, its job script
    # backs up those folders (states read from imported modules included), and
    # systemd-analyze verify accepts the units (scripts installed where they point)
    units=$(mktemp -d)
    (cd "$d" && "$bin" units . --out "$units/out" --script-dir "$units/scripts" \
        --secrets-root "$units/secrets" >/dev/null 2>&1) || { echo "FAIL: $name: units"; fail=1; }
    grep '^client ' "$out.want" | while read -r _ m inst; do
        folders=$(jq -r --arg m "$m" '.machines[] | select(.name == $m) | .states[] |
            select((.folders | type) == "array") | .folders[] | select(.opaque | not) | .value' "$out.json")
        [ -n "$folders" ] || continue
        svc=$(ls "$units/out/$m/etc/systemd/system/"borgbackup-job-*.service 2>/dev/null | head -1)
        if [ -z "$svc" ]; then
            echo "FAIL: $name: client $m has states but no borgbackup-job unit"; echo x >> "$units/failed"
            continue
        fi
        script=$(find "$units/out/$m" -name 'borgbackup-job-*' -type f ! -name '*.service' ! -name '*.timer' | head -1)
        for f in $folders; do
            grep -qF -- "$f" $(find "$units/out/$m" -type f) || {
                echo "FAIL: $name: $m's units do not back up $f"; echo x >> "$units/failed"; }
        done
        : "$script"
    done
    [ -f "$units/failed" ] && fail=1
    if command -v systemd-analyze >/dev/null && ls "$units"/out/*/etc/systemd/system/*.service >/dev/null 2>&1; then
        for m in "$units"/out/*/; do
            [ -d "$m/etc/systemd/system" ] || continue
            mkdir -p "$units/scripts"
            [ -d "$m/$units/scripts" ] && cp -a "$m/$units/scripts/." "$units/scripts/"
            if systemd-analyze verify "$m"/etc/systemd/system/*.service "$m"/etc/systemd/system/*.timer 2>&1 | grep -q .; then
                echo "FAIL: $name: systemd-analyze verify rejects the units of $(basename "$m")"
                systemd-analyze verify "$m"/etc/systemd/system/*.service 2>&1 | head -5
                fail=1
            fi
        done
    fi
    rm -rf "$units"
    rm -f "$out" "$out.json" "$out.got" "$out.want" "$out.diff"
done
# clan.core.postgresql.databases.<db>.restore.stopOnRestore: the services stop around the
# restore of that database (as Clan's postgresql module does), and start again on exit
post=$(cd "$top/tests/clans/modules-states" && "$bin" dump . 2>/dev/null |
    jq -r '.machines[] | select(.name == "db") | .states[] | select(.name == "app") | .postRestoreScript.value')
case $post in
*"systemctl stop app-server"*"trap 'systemctl start app-server' EXIT"*pg_restore*) echo "ok: stopOnRestore" ;;
*) echo "FAIL: stopOnRestore: db's app restore script is:"; echo "$post"; fail=1 ;;
esac
exit $fail
