# Helpers for black-box tests of clan-tui in tmux (sourced after tests/lib.sh):
#   start [VAR=VALUE...] -- ARGS...   a fresh tmux server running clan-tui ARGS on a 120x35
#                                     pane named t (remain-on-exit on)
#   tm ARGS...                        tmux on that server
#   screen                            the pane's text
#   wait_for PATTERN [SECONDS]        until the pane shows the (grep -E) pattern
#   wait_gone PATTERN                 until it no longer does
#   wait_exit STATUS                  until clan-tui exited, then: was the status STATUS?
# Every wait polls the pane: a visible state, never a fixed time. tmux 3.3 sometimes marks
# a pane dead without recording the exit status (#{pane_dead_status} stays empty although
# the program exited 0, seen under load), so start runs clan-tui under a shell that writes
# its status to a file, and wait_exit reads that file.
if ! have tmux; then
    echo "SKIP: tmux not installed (Debian package tmux)"
    exit 77
fi
nsock=0
sock="$T/tmux.0.sock"
tm() { tmux -S "$sock" -f /dev/null "$@"; }
cleanup_tmux() { tm kill-server >/dev/null 2>&1 || true; }
trap 'cleanup_tmux; rm -rf $cleanup_dirs' EXIT

screen() { tm capture-pane -p -t t; }
# wait_for PATTERN [TIMEOUT_S]: until the pane shows the (grep -E) pattern
wait_for() {
    local pat=$1 limit=${2:-20} i=0
    while [ $i -lt $((limit * 20)) ]; do
        if screen | grep -Eq -- "$pat"; then return 0; fi
        sleep 0.05
        i=$((i + 1))
    done
    echo "--- timed out waiting for: $pat"; screen
    return 1
}
wait_gone() {
    local pat=$1 i=0
    while [ $i -lt 400 ]; do
        if ! screen | grep -Eq -- "$pat"; then return 0; fi
        sleep 0.05
        i=$((i + 1))
    done
    echo "--- still showing: $pat"; screen
    return 1
}
pane_dead() { [ "$(tm display -p -t t '#{pane_dead}')" = 1 ]; }
status_file() { echo "$T/status.$nsock"; }
wait_exit() { # wait_exit STATUS
    local i=0 f
    f=$(status_file)
    while [ $i -lt 1200 ]; do # up to 60 s (a sanitizer build on a busy machine)
        if [ -s "$f" ]; then
            [ "$(cat "$f")" = "$1" ] && return
            echo "--- exit status $(cat "$f"), expected $1"; screen
            return 1
        fi
        sleep 0.05
        i=$((i + 1))
    done
    echo "--- clan-tui did not exit"; screen
    return 1
}
# start ENV... -- ARGS...: a fresh session running clan-tui in the source tree
start() {
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    cleanup_tmux
    nsock=$((nsock + 1))
    sock="$T/tmux.$nsock.sock" # a fresh server: a dying one cannot take the session
    # the shell traps C-c (SIGINT goes to the whole foreground group; clan-tui handles it)
    # so that it lives on to write the status; written to a temporary name, then renamed
    tm new-session -d -s t -x 120 -y 35 \
        sh -c 'trap : INT TERM; "$@"; echo $? > "$0.tmp" && mv "$0.tmp" "$0"' "$(status_file)" \
        env -u XDG_CONFIG_HOME HOME="$HOME" TZ=UTC LC_ALL=C.UTF-8 "${envs[@]}" "$CLAN_TUI" "$@"
    tm set-option -t t remain-on-exit on
    tm set-option -t t window-size manual >/dev/null 2>&1 || true
}
