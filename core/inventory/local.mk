libclancore_a_SOURCES += core/inventory.h core/plan.h core/inventory/internal.h \
	core/inventory/model.c core/inventory/resolve.c core/inventory/plan.c \
	core/inventory/edit.c core/inventory/json.c \
	core/inventory/incremental.c core/inventory/sources.c
clan_tui_SOURCES += tui/cmd-check.c tui/cmd-dump.c tui/cmd-plan.c tui/cmd-edit.c \
	tui/cmd-install-order.c
check_PROGRAMS += tests/test-inventory
tests_test_inventory_SOURCES = tests/test-inventory.c
tests_test_inventory_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_inventory_LDADD = $(TEST_LIBS)
TESTS += tests/test-inventory
check_PROGRAMS += tests/test-inventory-edits
tests_test_inventory_edits_SOURCES = tests/test-inventory-edits.c
tests_test_inventory_edits_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_inventory_edits_LDADD = $(TEST_LIBS)
TESTS += tests/test-inventory-edits
EXTRA_PROGRAMS += bench/bench-inventory
bench_bench_inventory_SOURCES = bench/bench-inventory.c bench/fleet-edits.h
bench_bench_inventory_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-inventory
BENCH_RUNS += bench/bench-inventory.sh
EXTRA_DIST += bench/bench-inventory.sh
TESTS += tests/inventory-cli.sh
EXTRA_DIST += tests/inventory-cli.sh
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-inventory
fuzz_fuzz_inventory_SOURCES = fuzz/fuzz-inventory.c
fuzz_fuzz_inventory_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_inventory_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-inventory.c
check_PROGRAMS += tests/test-inventory-reload
tests_test_inventory_reload_SOURCES = tests/test-inventory-reload.c
tests_test_inventory_reload_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_inventory_reload_LDADD = $(TEST_LIBS)
TESTS += tests/test-inventory-reload
# a clan of several files: edits in the file that defines each value, undo across files,
# reload equals edit, JSON kept valid, all-or-nothing writes (fixtures in tests/clans); a
# random series on every fixture; write faults (stale file, chattr +i, a full tmpfs)
check_PROGRAMS += tests/test-clan
tests_test_clan_SOURCES = tests/test-clan.c
tests_test_clan_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_clan_LDADD = $(TEST_LIBS)
TESTS += tests/test-clan
# the fixture clans against their EXPECTED facts (machines, states, addresses, roles)
TESTS += tests/clans-check.sh
EXTRA_DIST += tests/clans-check.sh tests/clans
# work that must stay linear (allocations and name comparisons counted through --wrap), on
# gen-fleet clans of 500 and 2000 machines, single file and directory
check_PROGRAMS += tests/test-scale
tests_test_scale_SOURCES = tests/test-scale.c
tests_test_scale_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_scale_LDFLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=strcmp
tests_test_scale_LDADD = $(TEST_LIBS)
TESTS += tests/test-scale
