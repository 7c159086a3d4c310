#!/bin/bash
# calendar-seeds.sh OUTDIR: the seed corpus of fuzz-calendar-diff, one expression per
# file: the hand-picked and kept expressions of the tests, the generated ones
# (tests/calendar-gen.sh), the startAt values of the samples and test clans, and the
# examples of systemd.time(7) when its man page is installed.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
out=$1
mkdir -p "$out"
{
    grep -hv '^#' "$src/tests/calendar-exprs.txt" "$src/tests/calendar-diff-regress.txt" |
        while IFS= read -r l; do
            case $l in '%b '*) printf '%b\n' "${l#%b }" | tr '\n' ' '; echo ;; *) echo "$l" ;; esac
        done
    bash "$src/tests/calendar-gen.sh" 400
    grep -rhoE 'startAt = "[^"]*"' "$src/samples" "$src/tests/clans" 2>/dev/null |
        sed 's/^startAt = "//; s/"$//'
    if [ -e /usr/share/man/man7/systemd.time.7.gz ]; then
        zcat /usr/share/man/man7/systemd.time.7.gz | sed -n 's/^ *\([^ ].*\) → .*/\1/p' |
            sed 's/\\-/-/g; s/\\&//g; s/\\(ti/~/g; s/\\fB//g; s/\\fR//g'
    fi
} | sort -u | grep -v '^$' | while IFS= read -r l; do
    printf '%s' "$l" > "$out/$(printf '%s' "$l" | sha1sum | cut -c1-16)"
done
ls "$out" | wc -l
