# Shared helpers for the script tests (sourced). Pins the environment.
set -eu
export TZ=UTC LC_ALL=C.UTF-8 HOME="${TMPDIR:-/tmp}/clan-tui-test-home.$$"
mkdir -p "$HOME"
: "${CLAN_TUI:?run through make check (CLAN_TUI unset)}"
: "${top_srcdir:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/clan-tui-test.XXXXXX"); export T
cleanup_dirs="$T $HOME"
trap 'if command -v sshd_stop >/dev/null 2>&1; then sshd_stop; fi; rm -rf $cleanup_dirs' EXIT
fails=0
passes=0
ok() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { fails=$((fails + 1)); echo "FAIL - $*"; }
# check NAME CMD...: the command must succeed
check() { name=$1; shift; if "$@"; then ok "$name"; else fail "$name"; fi; }
# expect_status N NAME CMD...: the command must exit with status N
expect_status() {
    want=$1 name=$2; shift 2
    set +e; "$@"; got=$?; set -e
    if [ "$got" -eq "$want" ]; then ok "$name"; else fail "$name (exit $got, expected $want)"; fi
}
finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
have() { command -v "$1" >/dev/null 2>&1; }
