#!/bin/bash
# clan-tui calendar: options, exit statuses and the extras systemd-analyze lacks
# (--month, --diagnose). The byte-for-byte comparison is calendar-diff.sh.
. "$top_srcdir/tests/lib.sh"
C() { "$CLAN_TUI" calendar "$@"; }

expect_status 0 "--help" C --help
expect_status 2 "no expression" C
expect_status 2 "unknown option" C --frobnicate daily
expect_status 2 "bad --month" C --month=2026-13 daily
expect_status 1 "bad --base-time" C --base-time=garbage daily
C --base-time=garbage daily 2>$T/err || true
check "base-time message" grep -qx "Failed to parse --base-time= parameter: garbage" $T/err
expect_status 1 "bad --iterations" C --iterations=-1 daily

TZ=Europe/Berlin C --base-time='2026-03-28 12:00 UTC' --iterations=0 'Mon..Fri 9:00' >$T/out
check "iterations=0 prints the forms only" diff -u - $T/out <<'OUT'
  Original form: Mon..Fri 9:00
Normalized form: Mon..Fri *-*-* 09:00:00
OUT

TZ=Europe/Berlin C --base-time='2026-03-28 12:00 UTC' --month=2026-03 '*-*-* 02:30' >$T/out
check "month grid skips the DST gap day" diff -u - <(sed -n '/Month:/,$p' $T/out) <<'OUT'
          Month: 2026-03
                 Mo Tu We Th Fr Sa Su
                                    1*
                  2* 3* 4* 5* 6* 7* 8*
                  9*10*11*12*13*14*15*
                 16*17*18*19*20*21*22*
                 23*24*25*26*27*28*29
                 30*31*
        Elapses: 30
OUT

expect_status 1 "diagnose exit" C --diagnose 'Mon..Fri 25:00'
C --diagnose 'Mon..Fri 25:00' 2>$T/err || true
check "diagnose points at the hour" diff -u - $T/err <<'OUT'
<expr>:1:10: error: invalid calendar expression: hour must be 0..23
  Mon..Fri 25:00
           ^
OUT

# several expressions: one failure makes the status 1, the others still print
set +e; C --base-time=@0 daily bad hourly >$T/out 2>$T/err; st=$?; set -e
check "mixed status" test $st -eq 1
check "mixed stdout" test "$(grep -c 'Normalized form' $T/out)" -eq 2
check "mixed stderr" grep -q "Failed to parse calendar specification 'bad': Invalid argument" $T/err
finish
