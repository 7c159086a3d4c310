# core/keys: borgbackup/openssh vars with libssh, secrets store, keygen over the plan.
libclancore_a_SOURCES += core/keys.h core/keys/ssh.c core/keys/passphrase.c \
	core/keys/store.c core/keys/run.c
check_PROGRAMS += tests/test-keys
tests_test_keys_SOURCES = tests/test-keys.c
tests_test_keys_CFLAGS = $(TEST_CFLAGS)
tests_test_keys_LDADD = $(TEST_LIBS)
TESTS += tests/test-keys
