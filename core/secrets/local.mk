# core/secrets: age and sops (binary store) over libcrypto.
libclancore_a_SOURCES += core/secrets.h core/secrets/crypto.h core/secrets/crypto.c \
	core/secrets/age.c core/secrets/sops.c
check_PROGRAMS += tests/test-secrets tests/secrets-tool
tests_test_secrets_SOURCES = tests/test-secrets.c
tests_test_secrets_CFLAGS = $(TEST_CFLAGS)
tests_test_secrets_LDADD = $(TEST_LIBS)
tests_secrets_tool_SOURCES = tests/secrets-tool.c
tests_secrets_tool_LDADD = $(CORE_LIBS)
TESTS += tests/test-secrets tests/secrets-age.sh
EXTRA_DIST += tests/secrets-age.sh

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-age
fuzz_fuzz_age_SOURCES = fuzz/fuzz-age.c
fuzz_fuzz_age_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_age_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-age.c
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-sops
fuzz_fuzz_sops_SOURCES = fuzz/fuzz-sops.c
fuzz_fuzz_sops_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_sops_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-sops.c tests/secrets-tool.c tests/sops-oracle.mjs
# Clan's key.json (sops/machines, sops/users): sops_key_json_parse
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-keyjson
fuzz_fuzz_keyjson_SOURCES = fuzz/fuzz-keyjson.c
fuzz_fuzz_keyjson_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_keyjson_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-keyjson.c
