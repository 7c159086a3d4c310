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
