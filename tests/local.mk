check_PROGRAMS += tests/test-util
tests_test_util_SOURCES = tests/test-util.c
tests_test_util_CFLAGS = $(TEST_CFLAGS)
tests_test_util_LDADD = $(TEST_LIBS)
TESTS += tests/test-util tests/cli.sh
EXTRA_DIST += tests/cli.sh tests/lib.sh
EXTRA_DIST += tests/sshd-lib.sh
# core/nix/json.c: JSON documents read into the logical tree, edited in Clan's layout
check_PROGRAMS += tests/test-json
tests_test_json_SOURCES = tests/test-json.c
tests_test_json_CFLAGS = $(TEST_CFLAGS)
tests_test_json_LDADD = $(TEST_LIBS)
TESTS += tests/test-json
check_PROGRAMS += tests/fileio-tool
tests_fileio_tool_SOURCES = tests/fileio-tool.c
tests_fileio_tool_LDADD = $(CORE_LIBS)
TESTS += tests/fileio-links.sh tests/fileio-faults.sh tests/fileio-full.sh
EXTRA_DIST += tests/fileio-links.sh tests/fileio-faults.sh tests/fileio-full.sh
# Finding the clan (tui/cli.c cli_open_clan): every command on a directory, a file in it, or
# nothing (upward from the working directory); the files node of the UI.
TESTS += tests/clan-open.sh
EXTRA_DIST += tests/clan-open.sh
# Setting up backups from nothing (issue 17): edit instance add/remove, the UI's setup flow
TESTS += tests/backup-setup.sh
EXTRA_DIST += tests/backup-setup.sh
# Fleet scale (issue 18): instructions per function at N and 10N machines under callgrind;
# the work that must stay linear fails the test by name if it grows faster
TESTS += tests/scale-work.sh
EXTRA_DIST += tests/scale-work.sh
