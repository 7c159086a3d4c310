#!/bin/bash
# Replays the calendar differential comparison (fuzz/fuzz-calendar-diff.c, built here
# without libFuzzer) over every kept disagreement (calendar-diff-regress.txt) and the
# hand-picked expressions: accept/reject, normalized form and next elapses must equal
# systemd 252's own calendar code in five local zones.
. "$top_srcdir/tests/lib.sh"
[ -e /usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so ] ||
    { echo "libsystemd-shared-252.so not installed: skip"; exit 77; }
check "every kept input and hand-picked expression answers as systemd does" \
    "$top_builddir/fuzz/calendar-diff-replay" "$top_srcdir/tests/calendar-diff-regress.txt" \
    "$top_srcdir/tests/calendar-exprs.txt"
finish
