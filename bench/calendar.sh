#!/bin/bash
# make bench: core/calendar next-elapse speed against systemd's own implementation.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
exec nice -n 10 "$top_builddir/bench/bench-calendar"
