#!/bin/bash
# core/secrets against reference implementations that are not ours: Debian's age and
# age-keygen (both directions, binary and armored, across chunk boundaries), npm's sops-age
# with node's crypto for the MAC (tests/sops-oracle.mjs). (No sops binary is packaged for
# Debian 12; files that the real sops wrote are not committed here: the project's fixtures
# are its own.)
. "$top_srcdir/tests/lib.sh"
tool="$top_builddir/tests/secrets-tool"
for t in age age-keygen node npm jq; do
    have "$t" || { echo "missing $t: run ./quickstart test (installs the test packages)"; exit 1; }
done

# the npm oracles, pinned, installed once per build directory
npm_dir="$top_builddir/tests/npm-oracles"
if [ ! -d "$npm_dir/node_modules/sops-age" ]; then
    mkdir -p "$npm_dir"
    npm install --silent --no-audit --no-fund --prefix "$npm_dir" sops-age@4.0.2 \
        age-encryption@0.2.4 >/dev/null
fi
oracle() { NODE_PATH="$npm_dir/node_modules" node "$npm_dir/sops-oracle.mjs" "$@"; }
cp "$top_srcdir/tests/sops-oracle.mjs" "$npm_dir/sops-oracle.mjs"
# ESM resolves packages from the script's directory upward: node_modules is beside it

age-keygen -o "$T/theirs.txt" 2>/dev/null
their_rcpt=$(age-keygen -y "$T/theirs.txt")
"$tool" keygen > "$T/ours.txt"
our_rcpt=$(sed -n 's/^# public key: //p' "$T/ours.txt")
check "age-keygen -y derives our printed recipient from our identity" \
    test "$(age-keygen -y "$T/ours.txt")" = "$our_rcpt"

for size in 0 1 100 65535 65536 65537 200000; do
    head -c "$size" /dev/urandom > "$T/pt"
    for a in "" -a; do
        "$tool" age-encrypt $a "$their_rcpt" "$our_rcpt" < "$T/pt" > "$T/ct"
        check "age decrypts ours ($size bytes${a:+, armored})" \
            sh -c "age -d -i '$T/theirs.txt' '$T/ct' | cmp -s - '$T/pt'"
        check "we decrypt ours with our identity ($size bytes${a:+, armored})" \
            sh -c "'$tool' age-decrypt '$T/ours.txt' < '$T/ct' | cmp -s - '$T/pt'"
        age -e $a -r "$our_rcpt" -r "$their_rcpt" -o "$T/ct2" "$T/pt"
        check "we decrypt age's ($size bytes${a:+, armored})" \
            sh -c "'$tool' age-decrypt '$T/ours.txt' < '$T/ct2' | cmp -s - '$T/pt'"
    done
done
# age with an identity it is not encrypted to: both refuse
"$tool" age-encrypt "$their_rcpt" < "$T/pt" > "$T/ct"
expect_status 1 "a file not encrypted to us is refused" "$tool" age-decrypt "$T/ours.txt" < "$T/ct"
"$tool" age-decrypt "$T/ours.txt" < "$T/ct" 2>"$T/err" || true
check "... saying no identity matches" grep -q "no identity matches" "$T/err"

# sops: encrypted to both; each enc entry opens with `age`, the file with the npm oracle
printf 'borg-pass-phrase-words\n' > "$T/secret.txt"
"$tool" sops-encrypt "$their_rcpt" "$our_rcpt" < "$T/secret.txt" > "$T/secret"
check "sops file has one age entry per recipient" \
    test "$(jq -r '.sops.age[].recipient' "$T/secret" | tr '\n' ' ')" = "$their_rcpt $our_rcpt "
for i in 0 1; do
    jq -r ".sops.age[$i].enc" "$T/secret" > "$T/enc$i"
    age -d -i "$T/theirs.txt" -i "$T/ours.txt" -o "$T/key$i" "$T/enc$i"
    check "age opens enc entry $i: a 32-byte data key" test "$(stat -c %s "$T/key$i")" -eq 32
done
check "both entries hold the same data key" cmp -s "$T/key0" "$T/key1"
for id in theirs ours; do
    check "sops-age decrypts our sops file, MAC checked ($id identity)" \
        sh -c "NODE_PATH='$npm_dir/node_modules' node '$npm_dir/sops-oracle.mjs' decrypt '$T/secret' '$T/$id.txt' | cmp -s - '$T/secret.txt'"
done
# the oracle itself refuses a file whose MAC does not match (it is not a rubber stamp)
jq --tab '.sops.lastmodified = "2001-01-01T00:00:00Z"' "$T/secret" > "$T/bad"
set +e; oracle decrypt "$T/bad" "$T/theirs.txt" >/dev/null 2>&1; st=$?; set -e
check "the oracle refuses a file whose MAC is bound to another lastmodified" test "$st" -ne 0
expect_status 1 "we refuse it too" "$tool" sops-decrypt "$T/ours.txt" "$T/bad"

# updatekeys: a third recipient gains access, the data and MAC stay
age-keygen -o "$T/third.txt" 2>/dev/null
third=$(age-keygen -y "$T/third.txt")
"$tool" sops-updatekeys "$T/ours.txt" "$T/secret" "$our_rcpt" "$third" > "$T/updated"
check "updatekeys keeps data and mac" \
    test "$(jq -c '[.data, .sops.mac, .sops.lastmodified]' "$T/updated")" = \
         "$(jq -c '[.data, .sops.mac, .sops.lastmodified]' "$T/secret")"
check "sops-age decrypts the updated file with the new recipient" \
    sh -c "NODE_PATH='$npm_dir/node_modules' node '$npm_dir/sops-oracle.mjs' decrypt '$T/updated' '$T/third.txt' | cmp -s - '$T/secret.txt'"
expect_status 1 "the removed recipient no longer decrypts it" \
    "$tool" sops-decrypt "$T/theirs.txt" "$T/updated"

finish
