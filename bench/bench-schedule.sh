#!/bin/bash
# make bench: the schedule editor's preview per keystroke (validate, normalize, 10 runs,
# two month grids), against systemd-analyze calendar in the same run.
set -eu
export TZ=UTC LC_ALL=C.UTF-8
exec nice -n 10 "$top_builddir/bench/bench-schedule"
