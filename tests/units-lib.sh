# Helpers for the units script tests (sourced after tests/lib.sh).
#
# The units are read by systemd itself: `systemd --test --system` (run as nobody, since
# systemd refuses test mode as root) loads the unit files from SYSTEMD_UNIT_PATH and dumps
# every setting as parsed -- Environment= unquoted and unescaped, specifiers expanded,
# Exec*= command lines -- so the tests run exactly what systemd would.

systemd_bin=/lib/systemd/systemd
[ -x "$systemd_bin" ] || systemd_bin=/usr/lib/systemd/systemd

# unit_dump UNITDIR UNIT: systemd's parsed view of UNIT (the "-> Unit UNIT:" section).
unit_dump() {
    SYSTEMD_UNIT_PATH="$1:" SYSTEMD_LOG_LEVEL=err \
        setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$systemd_bin" --test --system --unit="$2" --no-pager 2>/dev/null |
        awk -v u="$2" '$0 == "\t-> Unit " u ":" { on = 1; next } /^\t-> Unit / { on = 0 } on'
}

# unit_env DUMPFILE: the unit's Environment= assignments, one per NUL-terminated record
# (values may contain newlines: a line that does not start with a tab continues one).
unit_env() {
    awk 'BEGIN { ORS = "" }
        /^\t\tEnvironment: / { if (have) printf "%s%c", v, 0; v = substr($0, 16); have = 1; next }
        /^\t/ { if (have) printf "%s%c", v, 0; have = 0; next }
        { if (have) v = v "\n" $0 }
        END { if (have) printf "%s%c", v, 0 }' "$1"
}

# unit_env_value DUMPFILE NAME: one variable's value as systemd parsed it.
unit_env_value() {
    unit_env "$1" | while IFS= read -r -d '' kv; do
        case $kv in "$2="*) printf '%s' "${kv#*=}"; break ;; esac
    done
}

# unit_exec DUMPFILE KIND: the command line of ExecStartPre/ExecStart/ExecStopPost as
# systemd shows it (shell-style quoting).
unit_exec() {
    awk -v k="$2" '$0 == "\t\t-> " k ":" { on = 1; next }
        on && /^\t\t\tCommand Line: / { print substr($0, 18); exit }
        /^\t\t[^\t]/ { on = 0 }' "$1"
}

# run_unit UNITDIR UNIT [ENV...]: run the service as systemd runs it: ExecStartPre (its
# failure skips ExecStart), ExecStart, then ExecStopPost always, with the unit's
# Environment= plus the given ENV (e.g. HOME, PATH). Output goes to $T/run.log.
# Returns 0 when the start succeeded (pre and main) and the post command too.
run_unit() {
    udir=$1 unit=$2; shift 2
    unit_dump "$udir" "$unit" > "$T/dump.txt"
    [ -s "$T/dump.txt" ] || { echo "systemd did not load $unit" >&2; return 99; }
    envs=()
    while IFS= read -r -d '' kv; do envs+=("$kv"); done < <(unit_env "$T/dump.txt")
    envs+=("$@")
    result=success code=exited status=0
    eval "set -- $(unit_exec "$T/dump.txt" ExecStartPre)"
    if env -i "${envs[@]}" "$@" >>"$T/run.log" 2>&1; then
        eval "set -- $(unit_exec "$T/dump.txt" ExecStart)"
        env -i "${envs[@]}" "$@" >>"$T/run.log" 2>&1 || { status=$?; result=exit-code; }
    else
        status=$?; result=exit-code
    fi
    eval "set -- $(unit_exec "$T/dump.txt" ExecStopPost)"
    env -i "${envs[@]}" SERVICE_RESULT=$result EXIT_CODE=$code EXIT_STATUS=$status "$@" \
        >>"$T/run.log" 2>&1 || return $?
    return "$status"
}
