# The schedule editor's month grids keep one blank column between days -- a run marker
# never touches the next day's number ("9*10*") -- in every built-in theme, with NO_COLOR,
# in ASCII mode and on 80x24. (The screens themselves: tests/screens/edit/schedule-grid-*.)
. "$top_srcdir/tests/lib.sh"
cp "$top_srcdir/samples/schedule.nix" "$T/clan.nix"
printf 'key / \ntype alice-laptop\nkey Enter s\ndump\nkey C-u\ntype *-*-1..31/2 03:00\ndump\nkey Esc\n' > "$T/k"
for theme in $("$CLAN_TUI" names themes); do
    for mode in "" "NO_COLOR=1" "--ascii" "--size 80x24"; do
        case $mode in NO_COLOR=1) env="NO_COLOR=1" opt="" ;; *) env="" opt=$mode ;; esac
        # shellcheck disable=SC2086
        (cd "$T" && env TERM=xterm-256color $env "$CLAN_TUI" screen --theme "$theme" $opt --keys "$T/k" clan.nix) > "$T/out" 2>&1
        marked=$(grep -cE '(^| )[ 1-3][0-9]\* ' "$T/out" || true)
        if grep -qE '[0-9]\*[0-9]' "$T/out" || [ "$marked" -lt 4 ]; then
            fail "grid in theme $theme ${mode:-(colour, UTF-8, 120x35)}: glued or missing markers"
            grep -E '[0-9]\*' "$T/out" | head -5
        else
            ok "grid in theme $theme ${mode:-(colour, UTF-8, 120x35)}: $marked rows with markers, none glued"
        fi
    done
done
finish
