check_PROGRAMS += tests/test-util
tests_test_util_SOURCES = tests/test-util.c
tests_test_util_CFLAGS = $(TEST_CFLAGS)
tests_test_util_LDADD = $(TEST_LIBS)
TESTS += tests/test-util tests/cli.sh
EXTRA_DIST += tests/cli.sh tests/lib.sh
EXTRA_DIST += tests/sshd-lib.sh
