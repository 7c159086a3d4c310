#!/bin/bash
# Edit differential test: on every sample and a generated fleet, set / insert / delete /
# append at many attribute paths with clan-tui nix; each result must parse with
# nix-instantiate, and evaluating it must give exactly the original value with the one
# intended change (compared inside Nix, see tests/nix-edit/lib.nix).
. "$top_srcdir/tests/lib.sh"
if ! have nix-instantiate; then
    echo "SKIP: nix-instantiate not installed (Debian package nix-bin)"
    exit 77
fi
export NIX_STATE_DIR=$T/nix-state NIX_CONF_DIR=$T/nix-conf
mkdir -p "$NIX_STATE_DIR" "$NIX_CONF_DIR"
lib=$top_srcdir/tests/nix-edit/lib.nix
ni() { nix-instantiate --store dummy:// "$@"; }
files=("$top_srcdir"/samples/*.nix)
"$top_srcdir/samples/gen-fleet" 150 > "$T/fleet.nix"
files+=("$T/fleet.nix")
edits=0 bad=0 refused=0
# one edit of a fresh copy, then the checks; args: FILE OP ATTRPATH NIXLIST [EXPR]
edit_check() {
    local src=$1 op=$2 ap=$3 list=$4 expr=${5:-} cmd out vexpr
    cp "$src" "$T/work/old.nix"
    cp "$src" "$T/work/new.nix"
    case $op in
    set) cmd=(set "$T/work/new.nix" "$ap" "$expr") ;;
    del) cmd=(del "$T/work/new.nix" "$ap") ;;
    append) cmd=(append "$T/work/new.nix" "$ap" "$expr") ;;
    esac
    if ! "$CLAN_TUI" nix "${cmd[@]}" 2>"$T/err"; then
        if grep -q "refused" "$T/err"; then
            bad=$((bad + 1)); echo "FAIL: $op $ap on $(basename "$src"): $(cat "$T/err")"
        else
            refused=$((refused + 1)); echo "refused (expected kind): $op $ap: $(cat "$T/err")"
        fi
        return
    fi
    edits=$((edits + 1))
    if ! ni --parse "$T/work/new.nix" >/dev/null 2>"$T/err"; then
        bad=$((bad + 1)); echo "FAIL: $op $ap on $(basename "$src"): nix-instantiate --parse rejects the result:"
        head -n 5 "$T/err"; diff -u "$T/work/old.nix" "$T/work/new.nix" | head -n 30
        return
    fi
    vexpr=${expr:-null}
    out=$(ni --eval --strict --json --expr "(import $lib).check { old = $T/work/old.nix; new = $T/work/new.nix; op = \"$op\"; path = $list; value = ($vexpr); }" 2>&1) || true
    if [ "$out" != true ]; then
        bad=$((bad + 1)); echo "FAIL: $op $ap on $(basename "$src"): the evaluated result is not the intended change:"
        echo "$out" | head -c 600; echo; diff -u "$T/work/old.nix" "$T/work/new.nix" | head -n 30
    fi
}
mkdir -p "$T/work"
for f in "${files[@]}"; do
    ni --eval --strict --json --expr "(import $lib).paths $f" > "$T/paths.json"
    sed -e 's/^"//' -e 's/"$//' -e 's/\\"/"/g' "$T/paths.json" | sed 's/\\t/\t/g; s/\\n/\n/g' > "$T/paths"
    total=$(wc -l < "$T/paths")
    step=$(( total / 25 + 1 ))
    i=0
    while IFS=$'\t' read -r kind ap list; do
        i=$((i + 1))
        [ $(( i % step )) -eq 0 ] || [ "$i" -le 3 ] || continue
        case $kind in
        leaf) edit_check "$f" set "$ap" "$list" 4242
              edit_check "$f" set "$ap" "$list" '"new \"value\" \${x}"'
              edit_check "$f" del "$ap" "$list" ;;
        list) edit_check "$f" append "$ap" "$list" '"appended"'
              edit_check "$f" set "$ap" "$list" '[ ]'
              edit_check "$f" del "$ap" "$list" ;;
        set)  l2="${list% ]} \"zzNew\" ]"
              edit_check "$f" set "$ap.zzNew" "$l2" '"new"'
              l3="${list% ]} \"zz-a\" \"b c\" ]"
              edit_check "$f" set "$ap.zz-a.\"b c\"" "$l3" '{ x = 1; }'
              edit_check "$f" del "$ap" "$list" ;;
        esac
    done < "$T/paths"
    # a new top-level attribute
    edit_check "$f" set "zzTop.x" '[ "zzTop" "x" ]' '[ 1 2 ]'
done
echo "edits: $edits applied and checked, $refused refused with a reason, $bad failures"
check "every edit parses and evaluates to exactly the intended change" test "$bad" -eq 0
check "at least 300 edits were checked" test "$edits" -ge 300
finish
