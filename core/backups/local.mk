# core/backups: operate Clan's borgbackup over SSH (status, create, list, restore).
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
	tests/backups-show/timer-elapsed.txt tests/backups-show/not-found.txt
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-backups
fuzz_fuzz_backups_SOURCES = fuzz/fuzz-backups.c
fuzz_fuzz_backups_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_backups_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-backups.c
