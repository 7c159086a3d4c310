#!/bin/bash
# gen.sh OUTDIR: write the differential corpus, one input per file (NNNN.nix).
#  - every atom of atoms.txt ({NL} = newline) in each context of CONTEXTS (@@ = the atom);
#    the leading `with {};` keeps Nix's undefined-variable check out of the comparison
#  - every case of cases.txt (cases separated by a line "----", no trailing newline)
#  - inputs with bytes a text file cannot show (CR, tabs, NUL, non-UTF-8, no final newline)
#  - every file of regress/: inputs on which fuzz/nix-diff-fuzz.sh found a disagreement
set -eu
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
CONTEXTS=('with {}; @@' 'with {}; [ @@ ]' 'with {}; { a = @@; }' 'with {}; f @@' 'with {}; @@ + 1')
n=0
emit() { n=$((n + 1)); printf '%s' "$1" > "$out/$(printf '%04d' $n).nix"; }
while IFS= read -r atom || [ -n "$atom" ]; do
    atom=${atom//\{NL\}/$'\n'}
    for c in "${CONTEXTS[@]}"; do
        emit "${c/@@/$atom}"
    done
done < "$here/atoms.txt"
case_text=
while IFS= read -r line || [ -n "$line" ]; do
    if [ "$line" = "----" ]; then
        emit "$case_text"
        case_text=
    elif [ -z "$case_text" ]; then
        case_text=$line
    else
        case_text+=$'\n'$line
    fi
done < "$here/cases.txt"
[ -z "$case_text" ] || emit "$case_text"
# bytes that do not survive a text file
bin() { n=$((n + 1)); printf "$1" > "$out/$(printf '%04d' $n).nix"; }
bin '{\r\n  a = 1;\r\n  b = "x\r\ny";\r\n}\r\n'
bin '{\r\n  a = '"''"'\r\n    x\r\n  '"''"';\r\n}'
bin '{\ta\t=\t1;\t}'
bin '{ a = 1; }'
bin '\xef\xbb\xbf{ a = 1; }'
bin '{ a = "\xff\xfe"; }'
bin '{ a = 1; } \xff'
bin '{ a\xc3\xa9 = 1; }'
bin '{ "\xc3\xa9" = 1; }'
bin '\x0c{ a = 1; }'
bin '{ a = 1;\x0b }'
bin '\r'
bin '\n\n\n'
bin ' \t\r\n'
bin '# comment\r\n1'
bin '1 # comment\r'
bin '"a\x01b"'
bin "''\t\n  a''"
bin "''  \r\n  a''"
bin "''\n\ta\n  b''"
bin '{ a = 1; }\x00'
bin '"a\x00b"'
# kept disagreements of fuzz/nix-diff-fuzz.sh, byte for byte
for f in "$here"/regress/*.nix; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    cp "$f" "$out/$(printf '%04d' $n).nix"
done
echo "$n"
