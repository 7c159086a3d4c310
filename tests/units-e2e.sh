#!/bin/bash
# End to end with real components on 127.0.0.1: the generated units and scripts run (as
# systemd would run them, environment read by systemd itself) against a real sshd whose
# forced command is the generated authorized_keys line, with real borg.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/sshd-lib.sh"
. "$top_srcdir/tests/units-lib.sh"
for tool in borg ssh-keygen setpriv; do
    have "$tool" || { echo "SKIP: $tool not installed"; exit 77; }
done
[ -x "$systemd_bin" ] || { echo "SKIP: systemd not installed"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (systemd --test runs as nobody)"; exit 77; }
FIX="$top_builddir/tests/units-fixture"
chmod 755 "$T" # systemd --test runs as nobody and must read the units

sshd_start "$T/sshd" || exit $?

# secrets as deployed on the client, the public key in the clan's vars layout
S="$T/secrets"
mkdir -p "$S/borgbackup" "$T/clan/vars/per-machine/client/borgbackup/borgbackup.ssh.pub"
ssh-keygen -q -t ed25519 -N "" -C "" -f "$S/borgbackup/borgbackup.ssh"
cp "$S/borgbackup/borgbackup.ssh.pub" "$T/clan/vars/per-machine/client/borgbackup/borgbackup.ssh.pub/value"
printf 'alpha-bravo-charlie-delta-echo-foxtrot\n' > "$S/borgbackup/borgbackup.repokey"
chmod 600 "$S/borgbackup/borgbackup.repokey"

# the data: ordinary files, binary bytes, hostile names
D="$T/data"
hostile_dir=$'we ird \'q\' "dq" $(touch '"$T"$'/pwned) %n `id` \\ ünï\nline'
mkdir -p "$D/docs/sub" "$D/$hostile_dir" "$D/other"
echo "hello" > "$D/docs/a.txt"
echo "old" > "$D/docs/b.bak"
head -c 100000 /dev/urandom > "$D/docs/sub/blob.bin"
echo "keep me" > "$D/$hostile_dir/file with 'quotes' \$HOME %h.txt"
echo "skip" > "$D/other/sk ip 'me' \$(x) %n.txt"
echo "skip" > "$D/other/"$'new\nline.tmp'
echo "kept" > "$D/other/sk ip 'me' but not matched.txt"

# hooks: text with $(), quotes, % and a literal $HOME, run verbatim
cat > "$T/pre-a" <<EOF
printf '%s\n' "pre a \$(echo sub) 'q' \"dq\" 100% \\\$HOME" >> "$T/hooks.log"
EOF
printf 'echo "pre z" >> "%s/hooks.log"\n' "$T" > "$T/pre-z"
printf 'echo "post a" >> "%s/hooks.log"\n' "$T" > "$T/post-a"
printf 'echo "pre fail" >> "%s/hooks.log"\nexit 3\n' "$T" > "$T/pre-fail"

SD="$T/inst/my scripts"
# the server's directory: the forced command must cd into it literally
REPOS="$T/re pos 'q' \"dq\" \$(touch $T/pwned) %h ünï"
RSH="ssh -p $SSHD_PORT -i $S/borgbackup/borgbackup.ssh -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$T/known_hosts -o IdentitiesOnly=yes -o BatchMode=yes"
LOCALREPO="$T/local 're\"po' \$(touch $T/pwned) %n \\ ünï"
NLREPO=$'root@127.0.0.1:/srv/re"po\n$(touch x) %n' # only read by systemd, never run
render() { # render [extra fixture args]: the client (two destinations) and the server
    rm -rf "$T/out"
    "$FIX" --out "$T/out" --script-dir "$SD" --secrets-root "$S" --clan-dir "$T/clan" \
        --client client --dest srv "root@127.0.0.1:." "$RSH" --dest local "$LOCALREPO" "" --dest nl "$NLREPO" "$RSH" \
        --path "$D" --exclude '*.bak' --exclude "*/sk ip 'me' \$(x) %n.txt" \
        --exclude $'*/new\nline.tmp' \
        --hook a-state pre "$T/pre-a" --hook z-state pre "$T/pre-z" \
        --hook a-state post "$T/post-a" "$@" \
        --server srv "$REPOS" 2>"$T/render.err"
    # install the client's scripts where its units expect them
    rm -rf "$SD" && mkdir -p "$T/inst" && cp -a "$T/out/client$SD" "$SD"
}
render
check "fixture renders client and server" test -s "$T/out/srv/etc/ssh/authorized_keys.d/borg"
grep '^command=' "$T/out/srv/etc/ssh/authorized_keys.d/borg" >> "$T/sshd/authorized_keys"
check "the server file has exactly one forced-command line" \
    test "$(grep -c '^command="cd .* && borg serve --restrict-to-repository \.",restrict ssh-ed25519 ' "$T/out/srv/etc/ssh/authorized_keys.d/borg")" -eq 1
mkdir -p "$REPOS/client"

U="$T/out/client/etc/systemd/system"
unit_dump "$U" borgbackup-job-srv.service > "$T/srv.dump"
check "systemd loads the unit" grep -q 'Fragment Path: .*borgbackup-job-srv.service' "$T/srv.dump"
check "systemd reads BORG_REPO literally" test "$(unit_env_value "$T/srv.dump" BORG_REPO)" = "root@127.0.0.1:."
check "systemd reads BORG_RSH literally" test "$(unit_env_value "$T/srv.dump" BORG_RSH)" = "$RSH"
unit_dump "$U" borgbackup-job-local.service > "$T/local.dump"
check "a local repo with quotes, \$(), %, a backslash and ünï reaches BORG_REPO literally" \
    test "$(unit_env_value "$T/local.dump" BORG_REPO)" = "$LOCALREPO"
check "... and ReadWritePaths= (the sandbox must let borg write it)" \
    grep -qF "ReadWritePaths: -/root/.config/borg -/root/.cache/borg $LOCALREPO" "$T/local.dump"
unit_dump "$U" borgbackup-job-nl.service > "$T/nl.dump"
check "a remote repo with a quote, a newline, \$() and % reaches BORG_REPO literally" \
    test "$(unit_env_value "$T/nl.dump" BORG_REPO)" = "$NLREPO"
check "BORG_PASSCOMMAND names the repokey" \
    test "$(unit_env_value "$T/local.dump" BORG_PASSCOMMAND)" = "cat $S/borgbackup/borgbackup.repokey"

# borg as the unit would run it, for the checks
borg_env() {
    local kv
    envs=()
    while IFS= read -r -d '' kv; do envs+=("$kv"); done < <(unit_env "$T/srv.dump")
}
borg_env
uborg() { env "${envs[@]}" HOME="$HOME" borg "$@"; }
# the same repository opened directly on disk (faster, for setting up old archives)
lborg() { env "${envs[@]}" HOME="$HOME" BORG_REPO="$REPOS/client" borg "$@"; }
archives() { uborg list --short "$@"; }

# ---- first run ----
: > "$T/hooks.log"
set +e
run_unit "$U" borgbackup-job-srv.service HOME="$HOME" PATH="$PATH"
st=$?
set -e
check "first run succeeds" test "$st" -eq 0
[ "$st" -eq 0 ] || { cat "$T/run.log"; cat "$T/sshd/sshd.log" | tail -20; }
check "the forced command put the repository in <directory>/<client> (quotes, \$(), %, ünï)" \
    test -f "$REPOS/client/config"
archives > "$T/list1"
check "one archive, named <machine>-<dest>-<date>, no .failed left" \
    sh -c '[ $(wc -l < "$1") -eq 1 ] && grep -Eq "^client-srv-[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}$" "$1"' _ "$T/list1"
first=$(head -1 "$T/list1")
uborg list --format '{path}{NUL}' "::$first" > "$T/paths1"
inlist() { # inlist PATH: is PATH (any bytes but NUL) one of the archive's paths?
    local p
    while IFS= read -r -d '' p; do [ "$p" = "${1#/}" ] && return 0; done < "$T/paths1"
    return 1
}
nothing_like() { # nothing_like SUFFIX: no archive path ends with SUFFIX
    local p
    while IFS= read -r -d '' p; do [ "${p%"$1"}" = "$p" ] || return 1; done < "$T/paths1"
    return 0
}
check "included file is in the archive" inlist "$D/docs/a.txt"
check "*.bak is excluded" nothing_like "b.bak"
check "a pattern with spaces, quotes, \$() and % excludes literally" \
    nothing_like "/sk ip 'me' \$(x) %n.txt"
check "a file the pattern does not match stays" inlist "$D/other/sk ip 'me' but not matched.txt"
check "a pattern with a newline excludes literally" nothing_like $'/new\nline.tmp'
check "the file beside it is there" inlist "$D/other"
check "a folder with quotes, \$(), %, backquotes, backslash, ünï and a newline is backed up" \
    inlist "$D/$hostile_dir/file with 'quotes' \$HOME %h.txt"
check "nothing was executed from a name" test ! -e "$T/pwned"
check "pre hooks ran in state order, verbatim, then the post hook" \
    test "$(cat "$T/hooks.log")" = "pre a sub 'q' \"dq\" 100% \$HOME
pre z
post a"

# ---- restore gives identical bytes ----
mkdir -p "$T/restore"
(cd "$T/restore" && uborg extract "::$first" "${D#/}")
check "restored tree equals the source except the excluded files" \
    diff -r -x '*.bak' -x "sk ip 'me' \$(x) %n.txt" -x $'new\nline.tmp' "$D" "$T/restore$D"
check "binary file restored byte for byte" cmp "$D/docs/sub/blob.bin" "$T/restore$D/docs/sub/blob.bin"

# ---- the local destination: a hostile repository path ----
mkdir -p "$(dirname "$LOCALREPO")" # borg init creates the repository, not its parents
set +e
run_unit "$U" borgbackup-job-local.service HOME="$HOME" PATH="$PATH"
st=$?
set -e
check "the job with a hostile repository path succeeds" test "$st" -eq 0
[ "$st" -eq 0 ] || tail -30 "$T/run.log"
check "its repository is exactly that path" test -f "$LOCALREPO/config"
check "still nothing executed" test ! -e "$T/pwned"

# ---- a failing pre-hook stops borg and fails the job; the post hook still runs ----
render --hook m-fail pre "$T/pre-fail"
: > "$T/hooks.log"
set +e
run_unit "$U" borgbackup-job-srv.service HOME="$HOME" PATH="$PATH"
st=$?
set -e
check "a failing pre-hook fails the job" test "$st" -ne 0
check "every pre hook still ran, then the post hook" \
    test "$(grep -v '^pre a' "$T/hooks.log")" = "pre fail
pre z
post a"
check "borg did not run: still one archive" test "$(archives | wc -l)" -eq 1
check "the runner names the failed state" grep -q '^  m-fail$' "$T/run.log"
render

# ---- borg fails (wrong passphrase): the post hook runs anyway ----
cp "$S/borgbackup/borgbackup.repokey" "$T/repokey.good"
echo wrong > "$S/borgbackup/borgbackup.repokey"
: > "$T/hooks.log"; : > "$T/run.log"
set +e
run_unit "$U" borgbackup-job-srv.service HOME="$HOME" PATH="$PATH"
st=$?
set -e
cp "$T/repokey.good" "$S/borgbackup/borgbackup.repokey"
check "the job fails when borg fails" test "$st" -ne 0
check "the post hook ran after the failure" grep -qx 'post a' "$T/hooks.log"
check "the post runner saw the failure" grep -q '^job result: exit-code' "$T/run.log"
check "no archive was added" test "$(archives | wc -l)" -eq 1

# ---- prune: old archives under the job's prefix and another prefix ----
now=$(date +%s)
old() { # old DAYS PREFIX: an archive DAYS days and one hour ago
    ts=$(date -u -d "@$((now - $1 * 86400 - 3600))" +%Y-%m-%dT%H:%M:%S)
    lborg create --timestamp "$ts" "::$2-$ts" "$D/docs/a.txt" >/dev/null 2>&1
    echo "$2-$ts"
}
kept_daily=()
for d in 2 3 4 5 6 7 8; do kept_daily+=("$(old $d client-srv)"); done
for d in 9 10; do old $d client-srv >/dev/null; done
kept_weekly=()
for d in 200 300 400; do kept_weekly+=("$(old $d client-srv)"); done
old 500 client-srv >/dev/null # with -9/-10 and the three above: more than four weeks
oldest=$(old 600 client-srv)
other=$(old 600 other)
archives | sort > "$T/list1b"
set +e
run_unit "$U" borgbackup-job-srv.service HOME="$HOME" PATH="$PATH"
st=$?
set -e
check "second run succeeds" test "$st" -eq 0
archives > "$T/list2"
# what the run added, whatever the date (a run may straddle midnight)
sort "$T/list2" | comm -13 "$T/list1b" - > "$T/added2"
check "the second run created one more archive of the job's prefix" \
    test "$(grep -c '^client-srv-' "$T/added2")" -eq 1 -a "$(wc -l < "$T/added2")" -eq 1
check "keep-within=1d keeps the first run's archive" grep -qxF "$first" "$T/list2"
for a in "${kept_daily[@]}"; do check "keep-daily=7 keeps $a" grep -qxF "$a" "$T/list2"; done
for a in "${kept_weekly[@]}"; do check "keep-weekly=4 keeps $a" grep -qxF "$a" "$T/list2"; done
check "the oldest archive of the prefix is pruned" sh -c '! grep -qxF "$1" "$2"' _ "$oldest" "$T/list2"
check "an archive of another prefix is never pruned" grep -qxF "$other" "$T/list2"
lborg prune --dry-run --list --keep-within=1d --keep-daily=7 --keep-weekly=4 --keep-monthly=0 \
    --glob-archives 'client-srv-*' > "$T/prune.txt" 2>&1
check "the policy, applied again, prunes nothing more" sh -c '! grep -q "^Would prune" "$1"' _ "$T/prune.txt"
check "compact ran" grep -q 'borg compact' "$T/run.log"
finish
