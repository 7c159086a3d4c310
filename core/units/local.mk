libclancore_a_SOURCES += core/units.h core/units/units-internal.h core/units/quote.c \
	core/units/render.c core/units/write.c
clan_tui_SOURCES += tui/cmd-units.c
check_PROGRAMS += tests/test-units tests/units-fixture
tests_test_units_SOURCES = tests/test-units.c
tests_test_units_CFLAGS = $(TEST_CFLAGS)
tests_test_units_LDADD = $(TEST_LIBS)
tests_units_fixture_SOURCES = tests/units-fixture.c
tests_units_fixture_LDADD = $(CORE_LIBS)
TESTS += tests/test-units tests/units-cli.sh tests/units-verify.sh tests/units-e2e.sh
EXTRA_DIST += tests/units-lib.sh tests/units-cli.sh tests/units-verify.sh tests/units-e2e.sh
