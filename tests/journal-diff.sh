#!/bin/bash
# Replays every kept disagreement of fuzz/journal-diff-fuzz.sh: the entries of
# tests/journal-diff/NAME.in go into a journal file (systemd-journal-remote), and each
# selection of NAME.args must give the same exit status and output from
# `clan-tui journal --file` as from `journalctl --file` (journal_same).
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/journal-lib.sh"
have jq || { echo "jq not installed: skip"; exit 77; }
for in in "$top_srcdir"/tests/journal-diff/*.in; do
    name=$(basename "$in" .in)
    journal_export "$in" "$T/$name.export"
    journal_write "$T/$name.journal" < "$T/$name.export"
    while IFS= read -r line; do
        case $line in '#'*|'') continue ;; esac
        tz=UTC
        case $line in TZ=*) tz=${line%% *}; tz=${tz#TZ=}; line=${line#* } ;; esac
        eval "set -- $line"
        if journal_same "$T/o" "$tz" --file "$T/$name.journal" "$@"; then
            ok "$name: TZ=$tz $line"
        else
            fail "$name: TZ=$tz $line"
            diff -a "$T/o.theirs" "$T/o.ours" | head -n 10 | cat -A || true
            cat "$T/o.ours.err" "$T/o.theirs.err"
        fi
    done < "$top_srcdir/tests/journal-diff/$name.args"
done
finish
