# core/borgpattern: borg's exclude pattern styles (fm:, sh:, re:, pp:, pf:) for the
# exclude editor's path tester and `clan-tui exclude-test`.
libclancore_a_SOURCES += core/borgpattern.h core/borgpattern/match.c

check_PROGRAMS += tests/test-borgpattern
tests_test_borgpattern_SOURCES = tests/test-borgpattern.c
tests_test_borgpattern_CFLAGS = $(TEST_CFLAGS)
tests_test_borgpattern_LDADD = $(TEST_LIBS)
TESTS += tests/test-borgpattern

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-borgpattern
fuzz_fuzz_borgpattern_SOURCES = fuzz/fuzz-borgpattern.c
fuzz_fuzz_borgpattern_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_borgpattern_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-borgpattern.c
