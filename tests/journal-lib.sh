# Helpers for the journal tests (sourced after tests/lib.sh): real journal files made by
# systemd-journal-remote from export text.

JOURNAL_REMOTE=
for p in /lib/systemd/systemd-journal-remote /usr/lib/systemd/systemd-journal-remote; do
    if [ -x "$p" ]; then JOURNAL_REMOTE=$p; break; fi
done
if [ -z "$JOURNAL_REMOTE" ] || ! have journalctl; then
    echo "skip: systemd-journal-remote or journalctl missing (Debian: systemd-journal-remote)"
    exit 77
fi

# journal_export IN OUT: comments dropped, "NAME:b:VALUE" lines written as binary fields
# (VALUE decoded like printf %b), @LONG@ replaced by a 320-character text, @AN@ by N a's.
journal_export() {
    local in=$1 out=$2 line name val tmp long
    long=$(printf 'L%.0s' $(seq 1 320))
    tmp=$(mktemp "$T/bin.XXXXXX")
    : > "$out"
    while IFS= read -r line || [ -n "$line" ]; do
        case $line in
        \#*) continue ;;
        esac
        line=${line//@LONG@/$long}
        while [[ $line =~ @A([0-9]+)@ ]]; do
            line=${line/"${BASH_REMATCH[0]}"/$(printf '%*s' "${BASH_REMATCH[1]}" '' | tr ' ' a)}
        done
        if [[ $line =~ ^([A-Z0-9_]+):b:(.*)$ ]]; then
            name=${BASH_REMATCH[1]}
            val=${BASH_REMATCH[2]}
            printf '%b' "$val" > "$tmp"
            local n; n=$(stat -c %s "$tmp")
            printf '%s\n' "$name" >> "$out"
            local i b=""
            for i in 0 1 2 3 4 5 6 7; do
                b+=$(printf '\\x%02x' $(( (n >> (8 * i)) & 255 )))
            done
            printf "$b" >> "$out"
            cat "$tmp" >> "$out"
            printf '\n' >> "$out"
        else
            printf '%s\n' "$line" >> "$out"
        fi
    done < "$in"
    rm -f "$tmp"
}

# journal_write FILE < export: append the entries to the journal file FILE.
journal_write() {
    "$JOURNAL_REMOTE" -o "$1" - 2>"$T/journal-remote.log" ||
        { cat "$T/journal-remote.log" >&2; return 1; }
}

# journal_entry REALTIME UNIT MESSAGE [BOOT]: one export entry on stdout.
journal_entry() {
    printf '__REALTIME_TIMESTAMP=%s\n__MONOTONIC_TIMESTAMP=%s\n_BOOT_ID=%s\n' \
        "$1" "$(( $1 % 100000000000 ))" "${4:-44444444444444444444444444444444}"
    printf '_HOSTNAME=alice-laptop\n_PID=77\n_UID=0\n_COMM=borg\nSYSLOG_IDENTIFIER=borg\n'
    printf '_SYSTEMD_UNIT=%s\nPRIORITY=6\nMESSAGE=%s\n\n' "$2" "$3"
}

# expect_line TEXT: the next line on fd 3 must contain TEXT (waits up to 30 s, never sleeps)
expect_line() {
    local line
    if IFS= read -r -t 30 line <&3 && [[ $line == *"$1"* ]]; then
        return 0
    fi
    echo "expected '$1', got '${line:-<nothing>}'"
    return 1
}

# journal_same OUT TZ ARG...: `clan-tui journal ARG...` and `journalctl ARG...` in zone TZ
# give the same exit status and output (-o json: the same objects, compared with sorted
# keys, since journalctl's field order is its hash table's). OUT.ours/OUT.theirs keep both.
journal_same() {
    local out=$1 tz=$2 a b; shift 2
    set +e
    TZ=$tz "$CLAN_TUI" journal "$@" > "$out.ours" 2> "$out.ours.err"; a=$?
    TZ=$tz journalctl "$@" > "$out.theirs" 2> "$out.theirs.err"; b=$?
    set -e
    [ "$a" -eq "$b" ] || return 1
    cmp -s "$out.ours" "$out.theirs" && return 0
    case " $* " in
    *" json "*)
        jq -S -c . < "$out.ours" > "$out.ours.s" 2>/dev/null &&
            jq -S -c . < "$out.theirs" > "$out.theirs.s" 2>/dev/null &&
            cmp -s "$out.ours.s" "$out.theirs.s" ;;
    *) return 1 ;;
    esac
}
