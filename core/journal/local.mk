# core/journal: journals of borgbackup-job units (sd-journal, export format over libssh).
libclancore_a_SOURCES += core/journal.h core/journal/source.h core/journal/entry.c \
	core/journal/ring.c core/journal/format.c core/journal/select.c \
	core/journal/export.c core/journal/source.c core/journal/local.c \
	core/journal/remote.c core/journal/status.c
clan_tui_SOURCES += tui/cmd-journal.c

check_PROGRAMS += tests/test-journal
tests_test_journal_SOURCES = tests/test-journal.c
tests_test_journal_CFLAGS = $(TEST_CFLAGS)
tests_test_journal_LDADD = $(TEST_LIBS)
TESTS += tests/test-journal tests/journal-files.sh tests/journal-follow.sh \
	tests/journal-remote.sh
EXTRA_DIST += tests/journal-files.sh tests/journal-follow.sh tests/journal-remote.sh \
	tests/journal-lib.sh tests/journal-sample.export.in

EXTRA_PROGRAMS += bench/bench-journal
bench_bench_journal_SOURCES = bench/bench-journal.c
bench_bench_journal_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-journal
BENCH_RUNS += bench/bench-journal.sh
EXTRA_DIST += bench/bench-journal.sh

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-journal-export
fuzz_fuzz_journal_export_SOURCES = fuzz/fuzz-journal-export.c
fuzz_fuzz_journal_export_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_journal_export_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-journal-export.c
# the kept disagreements of fuzz/journal-diff-fuzz.sh, replayed against journalctl
TESTS += tests/journal-diff.sh
EXTRA_DIST += tests/journal-diff.sh tests/journal-diff/found.in tests/journal-diff/found.args
