# core/calendar: systemd calendar expressions (parse, normalize, next elapse, month view).
libclancore_a_SOURCES += core/calendar.h core/calendar/internal.h core/calendar/tz.c \
	core/calendar/parse.c core/calendar/format.c core/calendar/next.c \
	core/calendar/month.c core/calendar/timestamp.c
clan_tui_SOURCES += tui/cmd-calendar.c

check_PROGRAMS += tests/test-calendar
tests_test_calendar_SOURCES = tests/test-calendar.c
tests_test_calendar_CFLAGS = $(TEST_CFLAGS)
tests_test_calendar_LDADD = $(TEST_LIBS)
TESTS += tests/test-calendar tests/calendar-diff.sh tests/calendar-cli.sh
EXTRA_DIST += tests/calendar-diff.sh tests/calendar-exprs.txt tests/calendar-gen.sh \
	tests/calendar-cli.sh

EXTRA_PROGRAMS += bench/bench-calendar
bench_bench_calendar_SOURCES = bench/bench-calendar.c
bench_bench_calendar_LDADD = $(CORE_LIBS) -ldl
BENCH_PROGS += bench/bench-calendar
BENCH_RUNS += bench/calendar.sh
EXTRA_DIST += bench/calendar.sh

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-calendar
fuzz_fuzz_calendar_SOURCES = fuzz/fuzz-calendar.c
fuzz_fuzz_calendar_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_calendar_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-calendar.c
