#!/bin/bash
# gen.sh bash|zsh|fish CLAN_TUI: print the completion script for that shell, made from the
# records spec.sh reads out of CLAN_TUI's --help. Names that depend on the clan in the working
# directory (machines, instances, tags) and the themes are asked of `clan-tui names` when
# completing.
set -euo pipefail
shell=$1 prog=$2
spec=$(bash "$(dirname "$0")/spec.sh" "$prog")

records() { printf '%s\n' "$spec" | awk -F'\t' -v t="$1" '$1 == t'; }
# Single-quote for any of the three shells (fish also reads \' inside '...': avoid it).
q() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
cmds=$(records cmd | cut -f2 | tr '\n' ' ')

gen_bash() {
    cat <<'EOF'
# bash completion for clan-tui (generated from its --help by completions/gen.sh)
EOF
    printf '_clan_tui_commands=%s\n' "$(q "${cmds% }")"
    echo 'declare -gA _clan_tui_opts=('
    # per command: "--long:KIND -s:KIND ..."
    records opt | awk -F'\t' '
        { o[$2] = o[$2] " --" $3 ":" $5; if ($4 != "-") o[$2] = o[$2] " -" $4 ":" $5 }
        END { for (c in o) printf "  [%s]=\"%s\"\n", c, substr(o[c], 2) }' | sort
    echo ')'
    echo '_clan_tui_syn=('
    records syn | cut -f2- | tr '\t' ' ' | while read -r line; do printf '  %s\n' "$(q "$line")"; done
    echo ')'
    cat <<'EOF'

# Complete the value of KIND into COMPREPLY.
_clan_tui_values() {
    local kind=$1 cur=$2 clan=$3
    case $kind in
    machines|instances|tags)
        COMPREPLY+=($(compgen -W "$(clan-tui names "$kind" $clan 2>/dev/null)" -- "$cur")) ;;
    themes|outputs)
        COMPREPLY+=($(compgen -W "$(clan-tui names "$kind" 2>/dev/null)" -- "$cur"))
        [[ $kind == themes ]] && COMPREPLY+=($(compgen -f -- "$cur")) ;;
    dir) COMPREPLY+=($(compgen -d -- "$cur")) ;;
    file) COMPREPLY+=($(compgen -f -- "$cur")) ;;
    esac
}

# The kind of a synopsis placeholder.
_clan_tui_placeholder() {
    case $1 in
    MACHINE|TARGET|SERVER) echo machines ;;
    INSTANCE) echo instances ;;
    TAG) echo tags ;;
    FILE) echo file ;;
    *) echo text ;;
    esac
}

_clan_tui() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    local cmd=- i w kind opts clan=
    COMPREPLY=()
    # the command: the first word that is no option (nor an option's value)
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w != -* && " $_clan_tui_commands " == *" $w "* ]]; then cmd=$w; break; fi
        [[ $w == -* ]] && [[ " ${_clan_tui_opts[-]} " == *" $w:"* ]] &&
            [[ " ${_clan_tui_opts[-]} " != *" $w:none "* ]] && ((i++))
        [[ $w != -* ]] && break
    done
    opts=${_clan_tui_opts[$cmd]}
    # an option's value: --opt=VALUE or --opt VALUE
    if [[ $cur == --*=* ]]; then
        kind=" $opts "; kind=${kind#*" ${cur%%=*}:"}; kind=${kind%% *}
        [[ " $opts " == *" ${cur%%=*}:"* ]] || return 0
        _clan_tui_values "$kind" "${cur#*=}" ""
        return 0
    fi
    if [[ $prev == -* && " $opts " == *" $prev:"* ]]; then
        kind=" $opts "; kind=${kind#*" $prev:"}; kind=${kind%% *}
        if [[ $kind != none ]]; then
            _clan_tui_values "$kind" "$cur" ""
            return 0
        fi
    fi
    if [[ $cur == -* ]]; then
        local o words=
        for o in $opts; do words+=" ${o%:*}"; done
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
        return 0
    fi
    if [[ $cmd == - ]]; then
        COMPREPLY=($(compgen -W "$_clan_tui_commands" -- "$cur") $(compgen -f -- "$cur"))
        return 0
    fi
    # the words after the command, without options and their values; a first word that is
    # a path names the clan (as clan-tui reads it) and is left out of the synopsis
    local -a pos=()
    for ((i = i + 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == -* ]]; then
            [[ $w != *=* && " $opts " == *" $w:"* && " $opts " != *" $w:none "* ]] && ((i++))
            continue
        fi
        if [[ ${#pos[@]} -eq 0 && -z $clan && ($w == */* || $w == *.nix || $w == *.json || -d $w) ]]; then
            clan=$w
            continue
        fi
        pos+=("$w")
    done
    local syn n=${#pos[@]} found=
    for syn in "${_clan_tui_syn[@]}"; do
        local -a t=($syn)
        [[ ${t[0]} == "$cmd" ]] || continue
        t=("${t[@]:1}")
        ((n < ${#t[@]})) || continue
        local ok=1 j
        for ((j = 0; j < n; j++)); do
            if [[ ${t[j]} =~ ^[a-z] && "|${t[j]}|" != *"|${pos[j]}|"* ]]; then ok=; break; fi
        done
        [[ $ok ]] || continue
        found=1
        if [[ ${t[n]} =~ ^[a-z] ]]; then
            COMPREPLY+=($(compgen -W "${t[n]//|/ }" -- "$cur"))
        else
            _clan_tui_values "$(_clan_tui_placeholder "${t[n]}")" "$cur" "$clan"
        fi
    done
    # no synopsis: the command takes DIR|FILE
    if [[ -z $found && $n -eq 0 && -z $clan ]]; then
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    # a synopsis word may still be preceded by the clan
    if [[ $found && $n -eq 0 && -z $clan ]]; then
        COMPREPLY+=($(compgen -f -- "$cur"))
    fi
    COMPREPLY=($(printf '%s\n' "${COMPREPLY[@]}" | awk 'NF && !seen[$0]++'))
}
complete -o filenames -F _clan_tui clan-tui
EOF
}

# zsh: _arguments for the options of each command (with descriptions), the synopsis words and
# names for the rest.
gen_zsh() {
    echo '#compdef clan-tui'
    echo '# zsh completion for clan-tui (generated from its --help by completions/gen.sh)'
    echo
    echo '_clan_tui_names() { local -a n; n=(${(f)"$(clan-tui names $1 2>/dev/null)"}); compadd -a n; }'
    echo
    echo '_clan_tui_args() {'
    echo '  case $1 in'
    local c
    for c in - $cmds; do
        printf '  %s)\n    args=(\n' "$(q "$c")"
        records opt | awk -F'\t' -v c="$c" '$2 == c' | while IFS=$'\t' read -r _ _ long short kind desc; do
            local action='' spec desc2=${desc//[\[\]:]/}
            case $kind in
            none) action= ;;
            machines|instances|tags|themes|outputs) action=":${kind%s}:_clan_tui_names $kind" ;;
            dir) action=':directory:_files -/' ;;
            file) action=':file:_files' ;;
            *) action=':value: ' ;;
            esac
            [[ $kind == themes ]] && action=':theme:{_clan_tui_names themes; _files}'
            local eq=''; [[ $kind != none ]] && eq='='
            if [[ $short != - ]]; then
                printf '      %s{%s,%s}%s\n' "$(q "(-$short --$long)")" "-$short" "--$long$eq" \
                    "$(q "[$desc2]$action")"
            else
                printf '      %s\n' "$(q "--$long$eq[$desc2]$action")"
            fi
        done
        printf '    ) ;;\n'
    done
    echo '  esac'
    echo '}'
    echo
    echo '_clan_tui_words() {'
    echo '  # the first word after the command: its operations (from its synopsis), else DIR|FILE'
    echo '  case $1 in'
    for c in $cmds; do
        local first
        first=$(records syn | awk -F'\t' -v c="$c" '$2 == c { print $3 }' | tr '|' '\n' | sort -u | tr '\n' ' ')
        [[ -n $first ]] && printf '  %s) compadd -- %s ;;\n' "$(q "$c")" "$first"
    done
    echo '  esac'
    echo '}'
    echo
    echo '_clan-tui() {'
    echo '  local -a args commands'
    echo '  commands=('
    records cmd | while IFS=$'\t' read -r _ name desc; do
        printf '    %s\n' "$(q "$name:${desc//:/\\:}")"
    done
    echo '  )'
    cat <<'EOF'
  local cmd w
  for w in ${words[2,CURRENT-1]}; do
    (( ${commands[(I)$w:*]} )) && { cmd=$w; break }
  done
  if [[ -z $cmd ]]; then
    _clan_tui_args -
    _arguments -s $args '(-): :->cmd' '*:clan:_files'
    [[ $state == cmd ]] && { _describe command commands; _files; }
    return
  fi
  local i=${words[(i)$cmd]}
  shift $(( i - 1 )) words
  (( CURRENT -= i - 1 ))
  _clan_tui_args $cmd
  _arguments -s $args '*:: :->rest'
  if [[ $state == rest ]]; then
    if (( CURRENT == 1 )); then _clan_tui_words $cmd; _files
    else _clan_tui_names machines; _clan_tui_names instances; _clan_tui_names tags; _files
    fi
  fi
}

_clan-tui "$@"
EOF
}

# fish: one `complete` per command and option.
gen_fish() {
    echo '# fish completion for clan-tui (generated from its --help by completions/gen.sh)'
    echo 'complete -c clan-tui -f'
    records cmd | while IFS=$'\t' read -r _ name desc; do
        printf 'complete -c clan-tui -n "not __fish_seen_subcommand_from %s" -a %s -d %s\n' \
            "${cmds% }" "$(q "$name")" "$(q "$desc")"
    done
    records opt | while IFS=$'\t' read -r _ c long short kind desc; do
        local cond args='' s=''
        if [[ $c == - ]]; then cond="not __fish_seen_subcommand_from ${cmds% }"
        else cond="__fish_seen_subcommand_from $c"; fi
        [[ $short != - ]] && s=" -s $short"
        case $kind in
        none) ;;
        machines|instances|tags|outputs) args=" -x -a '(clan-tui names $kind 2>/dev/null)'" ;;
        themes) args=" -r -F -a '(clan-tui names themes 2>/dev/null)'" ;;
        dir) args=" -x -a '(__fish_complete_directories)'" ;;
        file) args=' -r -F' ;;
        *) args=' -x' ;;
        esac
        printf 'complete -c clan-tui -n "%s" -l %s%s%s -d %s\n' "$cond" "$long" "$s" "$args" "$(q "$desc")"
    done
    local c first
    for c in $cmds; do
        first=$(records syn | awk -F'\t' -v c="$c" '$2 == c { print $3 }' | tr '|' '\n' | sort -u | tr '\n' ' ')
        if [[ -n $first ]]; then
            printf 'complete -c clan-tui -n "__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from %s" -a %s\n' \
                "$c" "$first" "$(q "${first% }")"
            printf 'complete -c clan-tui -n "__fish_seen_subcommand_from %s; and __fish_seen_subcommand_from %s" -a %s\n' \
                "$c" "$first" "'(clan-tui names machines 2>/dev/null; clan-tui names instances 2>/dev/null; clan-tui names tags 2>/dev/null)'"
        fi
    done
    # DIR|FILE: every command and the UI take the clan as a path
    echo 'complete -c clan-tui -F'
}

case $shell in
bash) gen_bash ;;
zsh) gen_zsh ;;
fish) gen_fish ;;
*) echo "gen.sh: unknown shell '$shell'; expected bash, zsh or fish" >&2; exit 2 ;;
esac
