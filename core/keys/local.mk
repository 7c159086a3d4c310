# core/keys: borgbackup/openssh vars with libssh, secrets store, keygen over the plan.
libclancore_a_SOURCES += core/keys.h core/keys/ssh.c core/keys/passphrase.c \
	core/keys/store.c core/keys/run.c \
	core/keys/sops.c core/keys/internal.h core/keys/upload.c core/keys/upload-ssh.c
clan_tui_SOURCES += tui/cmd-keygen.c tui/cmd-vars.c
check_PROGRAMS += tests/test-keys
tests_test_keys_SOURCES = tests/test-keys.c
tests_test_keys_CFLAGS = $(TEST_CFLAGS)
tests_test_keys_LDADD = $(TEST_LIBS)
TESTS += tests/test-keys tests/keys-cli.sh tests/keys-sshd.sh tests/keys-fs.sh tests/keys-sops.sh tests/upload-key.sh
EXTRA_DIST += tests/keys-cli.sh tests/keys-sshd.sh tests/keys-fs.sh tests/keys-lib.sh tests/keys-sops.sh tests/upload-key.sh

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-keys
fuzz_fuzz_keys_SOURCES = fuzz/fuzz-keys.c
fuzz_fuzz_keys_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_keys_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-keys.c
BENCH_RUNS += bench/bench-keys.sh
EXTRA_DIST += bench/bench-keys.sh
