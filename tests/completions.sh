# Shell completions (completions/gen.sh) and `clan-tui names`: bash completion run for real
# (COMP_WORDS/COMP_CWORD -> COMPREPLY) in a clan directory; zsh and fish scripts checked by
# their shells and, with fish, completed for real; every script's commands and options are
# those --help lists.
. "$top_srcdir/tests/lib.sh"
comp="$top_builddir/completions"
bin=$(dirname "$CLAN_TUI")
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
export PATH="$bin:$PATH"

# ---- clan-tui names ----
mkdir -p "$T/clan" "$HOME/.config/clan-tui/themes"
cp "$top_srcdir/samples/two-machines.nix" "$T/clan/clan.nix"
printf 'tree: { tag: red }\n' > "$HOME/.config/clan-tui/themes/my-night.yaml"
cd "$T/clan"
check "names machines: the sample's machines, sorted" \
    test "$(clan-tui names machines | tr '\n' ' ')" = "alice-laptop backup-server postgres-server "
check "names instances" test "$(clan-tui names instances | tr '\n' ' ')" = "borgbackup sshd user-alice user-root "
check "names tags: the machines' tags, once each" test "$(clan-tui names tags | tr '\n' ' ')" = "employees "
check "names machines FILE" test "$(cd / && clan-tui names machines "$T/clan/clan.nix" | wc -l)" = 3
check "names themes: built-in and the user's" \
    test "$(clan-tui names themes | tr '\n' ' ')" = "default high-contrast light mono my-night solarized-dark "
check "names outputs: what journal --output takes" test "$(clan-tui names outputs | tr '\n' ' ')" = "short short-iso json "
for o in $(clan-tui names outputs); do
    expect_status 1 "journal --output $o is accepted (only the file is missing)" \
        sh -c "clan-tui journal --output $o --file /nonexistent 2>/dev/null"
done
expect_status 2 "names without KIND: usage error" sh -c 'clan-tui names 2>/dev/null'
expect_status 2 "names of an unknown KIND: usage error" sh -c 'clan-tui names hosts 2>/dev/null'
expect_status 1 "names machines with no clan around: 1" sh -c 'cd / && clan-tui names machines 2>/dev/null'
check "names --help" sh -c 'clan-tui names --help | grep -q "^Usage: clan-tui names"'

# ---- bash, for real ----
# complete WORD... : COMPREPLY, sorted, one line, for the last word
complete_bash() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _clan_tui
             printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$comp/clan-tui.bash" "$@"
}
has() { # has NAME WANTED... -- WORD...: every WANTED is among the completions of WORD...
    local name=$1 got w; shift
    local -a want=()
    while [ "$1" != -- ]; do want+=("$1"); shift; done; shift
    got=" $(complete_bash "$@")"
    for w in "${want[@]}"; do
        case $got in *" $w "*) ;; *) fail "$name: '$w' not in: $got"; return ;; esac
    done
    ok "$name"
}
hasnt() { # hasnt NAME UNWANTED -- WORD...
    local name=$1 u=$2 got; shift 3
    got=" $(complete_bash "$@")"
    case $got in *" $u "*) fail "$name: '$u' in: $got" ;; *) ok "$name" ;; esac
}
all_cmds=$(clan-tui --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
# shellcheck disable=SC2086
has "bash: every command first" $all_cmds -- clan-tui ""
has "bash: a command's prefix" units -- clan-tui un
hasnt "bash: only that prefix" plan -- clan-tui un
has "bash: the UI's options" --theme --readonly --ascii -- clan-tui --
has "bash: a command's long options" --machine --out --diff --script-dir -- clan-tui units --
has "bash: a command's short options" -m -o -d -- clan-tui units -
hasnt "bash: not another command's options" --apply -- clan-tui units --
has "bash: theme names" default solarized-dark my-night -- clan-tui --theme ""
has "bash: theme names after =" solarized-dark -- clan-tui screen --theme=so
has "bash: machine names of the clan here" alice-laptop backup-server postgres-server -- clan-tui units --machine ""
has "bash: machine names after -m" alice-laptop -- clan-tui plan -m al
has "bash: instance names" borgbackup user-alice -- clan-tui edit --instance ""
has "bash: journal output modes" short short-iso json -- clan-tui journal -o ""
has "bash: edit operations" tag role schedule exclude -- clan-tui edit ""
has "bash: edit op verbs" add remove -- clan-tui edit tag ""
has "bash: edit MACHINE" alice-laptop -- clan-tui edit tag add ""
has "bash: edit TAG" employees -- clan-tui edit tag add alice-laptop ""
has "bash: edit INSTANCE after the clan file" borgbackup -- clan-tui edit clan.nix role add-machine ""
has "bash: nix subcommands" parse get set del append remove -- clan-tui nix ""
has "bash: vars get MACHINE" postgres-server -- clan-tui vars get ""
has "bash: files for DIR|FILE" clan.nix -- clan-tui plan ""
has "bash: files for --config" clan.nix -- clan-tui --config ""
hasnt "bash: a flag takes no value" alice-laptop -- clan-tui units --diff ""

# ---- zsh and fish: syntax, and their lists against --help ----
# The options a command's --help lists (UI: "-"), one "--long" a line, sorted.
help_opts() {
    if [ "$1" = - ]; then clan-tui --help; else clan-tui "$1" --help; fi |
        grep -E '^ {2,11}-' | sed -E 's/^ +//; s/   .*//; s/ [^-][^ ]*$//' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}
if have zsh; then
    check "zsh -n _clan-tui" zsh -n "$comp/_clan-tui"
    zcmds=$(sed -n "/^  commands=(/,/^  )/p" "$comp/_clan-tui" | grep -oE "^    '[a-z-]+" | tr -d "' " | sort)
    check "zsh: the commands of --help" test "$zcmds" = "$(printf '%s\n' $all_cmds | sort)"
    for c in - $all_cmds; do
        got=$(awk -v c="  '$c')" '$0 == c { on = 1; next } on && /\) ;;/ { exit } on' "$comp/_clan-tui" |
            grep -oE -- "^      '--[a-z][a-z0-9-]*|\{-[a-zA-Z0-9],--[a-z][a-z0-9-]*" |
            grep -oE -- "--[a-z][a-z0-9-]*" | sort -u)
        [ "$got" = "$(help_opts "$c")" ] || { fail "zsh: options of '$c' differ from --help"; continue; }
    done
    ok "zsh: every command's options as in --help"
else
    echo "SKIP: zsh not installed (apt-get install zsh)"
fi
if have fish; then
    check "fish --no-execute clan-tui.fish" fish --no-execute "$comp/clan-tui.fish"
    fcmds=$(grep -oE -- "-a '[a-z-]+' -d" "$comp/clan-tui.fish" | awk '{ print $2 }' | tr -d "'" | sort)
    check "fish: the commands of --help" test "$fcmds" = "$(printf '%s\n' $all_cmds | sort)"
    for c in - $all_cmds; do
        if [ "$c" = - ]; then pat='-n "not __fish_seen'; else pat="-n \"__fish_seen_subcommand_from $c\" -l"; fi
        got=$(grep -F -- "$pat" "$comp/clan-tui.fish" | grep -oE -- ' -l [a-z][a-z0-9-]*' | sed 's/ -l /--/' | sort -u)
        [ "$got" = "$(help_opts "$c")" ] || { fail "fish: options of '$c' differ from --help"; continue; }
    done
    ok "fish: every command's options as in --help"
    fc() { fish --no-config -c "source '$comp/clan-tui.fish'; complete -C '$1'" | cut -f1 | tr '\n' ' '; }
    case " $(fc 'clan-tui units --machine ')" in *" alice-laptop "*" postgres-server "*) ok "fish: machine names" ;;
        *) fail "fish: machine names: $(fc 'clan-tui units --machine ')" ;; esac
    case " $(fc 'clan-tui --theme ')" in *" solarized-dark "*) ok "fish: theme names" ;;
        *) fail "fish: theme names: $(fc 'clan-tui --theme ')" ;; esac
    case " $(fc 'clan-tui sch')" in " schedule-map ") ok "fish: a command" ;;
        *) fail "fish: a command: $(fc 'clan-tui sch')" ;; esac
else
    echo "SKIP: fish not installed (apt-get install fish)"
fi
finish
