# core/schedmap: the fleet schedule map (starts per server and week, collisions, a staggered
# proposal) and `clan-tui schedule-map`.
libclancore_a_SOURCES += core/schedmap.h core/schedmap/schedmap.c
clan_tui_SOURCES += tui/cmd-schedule-map.c

check_PROGRAMS += tests/test-schedmap
tests_test_schedmap_SOURCES = tests/test-schedmap.c
tests_test_schedmap_CFLAGS = $(TEST_CFLAGS) -DSAMPLES_DIR='"$(abs_top_srcdir)/samples"'
tests_test_schedmap_LDADD = $(TEST_LIBS)
TESTS += tests/test-schedmap tests/schedule-map.sh
EXTRA_DIST += tests/schedule-map.sh

# make bench: the map and the proposal on a 1000-machine fleet.
EXTRA_PROGRAMS += bench/bench-schedmap
bench_bench_schedmap_SOURCES = bench/bench-schedmap.c
bench_bench_schedmap_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-schedmap
BENCH_RUNS += bench/bench-schedmap.sh
EXTRA_DIST += bench/bench-schedmap.sh
