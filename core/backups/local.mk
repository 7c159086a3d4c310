# core/backups: operate Clan's borgbackup over SSH (status, create, list, restore).
clan_tui_SOURCES += tui/cmd-backups.c
libclancore_a_SOURCES += core/backups.h core/backups/status.c core/backups/list.c \
	core/backups/op.c
check_PROGRAMS += tests/test-backups
tests_test_backups_SOURCES = tests/test-backups.c
tests_test_backups_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_backups_LDADD = $(TEST_LIBS)
TESTS += tests/test-backups
EXTRA_DIST += tests/backups-show/README tests/backups-show/never-started.txt \
	tests/backups-show/succeeded.txt tests/backups-show/failed.txt \
	tests/backups-show/running.txt tests/backups-show/deactivating.txt \
	tests/backups-show/timer-elapsed.txt tests/backups-show/not-found.txt \
	tests/backups-show/info-local.json
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-backups
fuzz_fuzz_backups_SOURCES = fuzz/fuzz-backups.c
fuzz_fuzz_backups_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_backups_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-backups.c
# a real machine: Debian 12 booted with systemd-nspawn (root cached outside the clone)
TESTS += tests/backups-container.sh
EXTRA_DIST += tests/backups-container.sh tests/container-lib.sh
# make bench: fleet status of 100 machines (100 sshd on loopback) in one loop
EXTRA_PROGRAMS += bench/bench-backups
bench_bench_backups_SOURCES = bench/bench-backups.c
bench_bench_backups_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-backups
BENCH_RUNS += bench/bench-backups.sh
EXTRA_DIST += bench/bench-backups.sh
