#!/bin/bash
# spec.sh CLAN_TUI: the command line of clan-tui as the completion generator (gen.sh) reads it,
# taken from the program's own --help (built from tui/commands.def) and each command's --help,
# so the completions keep no list of their own. One record a line, fields separated by tabs:
#   cmd  NAME  SUMMARY
#   opt  CMD  LONG  SHORT  KIND  DESCRIPTION     (CMD "-": the UI, before any command;
#                                                SHORT "-": none)
#   syn  CMD  WORD...                            (a synopsis: literals a|b, placeholders)
# KIND says what the option's value is: none (a flag), text, file, dir, machines, instances,
# tags, themes, outputs -- from the option's name, else its metavariable (DIR, FILE, ...).
set -euo pipefail
prog=$1

# Option lines of a help text: an option at the start of a line (indented 2 to 11 columns;
# deeper lines continue a description). $1: the command ("-" for the UI).
options() {
    awk -v cmd="$1" '
    function kind(long, meta) {
        if (meta == "") return "none"
        if (long == "theme") return "themes"
        if (long == "machine") return "machines"
        if (long == "instance") return "instances"
        if (long == "tag") return "tags"
        if (long == "output") return "outputs"
        if (meta ~ /DIR$/) return "dir"
        if (meta ~ /(^|\|)(FILE|F|KEY|SCRIPT)$/) return "file"
        return "text"
    }
    /^  +-/ && match($0, /^ +/) && RLENGTH <= 11 {
        line = $0; sub(/^ +/, "", line)
        short = "-"; longs = ""
        while (match(line, /^--?[A-Za-z0-9][A-Za-z0-9-]*/)) {
            o = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1)
            if (o ~ /^--/) longs = longs " " substr(o, 3); else short = substr(o, 2)
            if (line !~ /^, -/) break
            line = substr(line, 3)
        }
        if (longs == "") next
        meta = ""
        if (match(line, /^[= ][][A-Z0-9_@:|.\/x-]*[A-Z][][A-Z0-9_@:|.\/x-]*( |$)/)) {
            meta = substr(line, 2, RLENGTH - 1); sub(/ $/, "", meta)
            line = substr(line, RLENGTH + 1)
        }
        desc = line; sub(/^ +/, "", desc)
        n = split(substr(longs, 2), L, " ")
        for (i = 1; i <= n; i++)
            printf "opt\t%s\t%s\t%s\t%s\t%s\n", cmd, L[i], short, kind(L[i], meta), desc
    }'
}

# Synopses of the commands that take words other than DIR|FILE: the "Usage:" lines that name
# a word after the command (nix parse, vars get) and the "Operations:" list (edit). Options
# ([--x], --x V) and the optional [DIR|FILE] are left out; "a | b" is two synopses.
synopses() {
    awk -v cmd="$1" '
    function emit(s,    n, w, i, t, out, depth) {
        gsub(/\([^)]*\)/, "", s)
        n = split(s, w, " "); out = ""; depth = 0
        for (i = 1; i <= n; i++) {
            t = w[i]
            depth += gsub(/\[/, "[", t)
            if (depth == 0 && t !~ /^-/) out = out "\t" t
            depth -= gsub(/\]/, "]", t)
            if (t ~ /^--?[a-z-]+$/ && depth == 0 && i < n && w[i+1] ~ /^[A-Z]+$/) i++
        }
        if (out != "") printf "syn\t%s%s\n", cmd, out
    }
    function emit_all(s,    n, parts, i) {
        n = split(s, parts, / \| /)
        for (i = 1; i <= n; i++) emit(parts[i])
    }
    /^(Usage: +|       +)clan-tui / {
        s = $0; sub(/^(Usage: +|       +)clan-tui [a-z-]+ /, "", s)
        gsub(/\[DIR\|FILE\] */, "", s)
        if (s ~ /^[a-z]/) emit_all(s)
        next
    }
    /^Operations:/ { ops = 1; next }
    ops && /^$/ { ops = 0 }
    ops && /^  [a-z]/ { s = $0; sub(/^ +/, "", s); sub(/  +[^ ].*$/, "", s); emit_all(s) }'
}

"$prog" --help | awk '
    /^Commands:/ { on = 1; next }
    on && /^$/ { on = 0 }
    on { name = $1; $1 = ""; sub(/^ +/, ""); printf "cmd\t%s\t%s\n", name, $0 }'
"$prog" --help | options -
for c in $("$prog" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }'); do
    help=$("$prog" "$c" --help)
    printf '%s\n' "$help" | options "$c"
    printf '%s\n' "$help" | synopses "$c"
done
