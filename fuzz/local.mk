# core/nix/json.c: JSON parse, print, tree, and edits re-parsed
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-json
fuzz_fuzz_json_SOURCES = fuzz/fuzz-json.c
fuzz_fuzz_json_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_json_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-json.c

# Differential fuzzing against the reference tools (make fuzz-diff; README "Differential
# fuzzing"). The calendar target runs systemd's own code in-process; its replay driver is
# built in every configuration and replays the kept inputs in `make check`.
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-calendar-diff
FUZZ_DIFF_TARGETS = fuzz/fuzz-calendar-diff$(EXEEXT)
fuzz_fuzz_calendar_diff_SOURCES = fuzz/fuzz-calendar-diff.c
fuzz_fuzz_calendar_diff_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_calendar_diff_LDADD = $(CORE_LIBS) -ldl
else
FUZZ_DIFF_TARGETS =
endif
check_PROGRAMS += fuzz/calendar-diff-replay
fuzz_calendar_diff_replay_SOURCES = fuzz/fuzz-calendar-diff.c
fuzz_calendar_diff_replay_CFLAGS = $(AM_CFLAGS) -DCALENDAR_DIFF_REPLAY
fuzz_calendar_diff_replay_LDADD = $(CORE_LIBS) -ldl
TESTS += tests/calendar-diff-replay.sh
EXTRA_DIST += fuzz/fuzz-calendar-diff.c tests/calendar-diff-replay.sh \
	tests/calendar-diff-regress.txt
# nix-diff-fuzz: inputs generated and mutated by fuzz/nix-gen, judged by nix-instantiate
check_PROGRAMS += fuzz/nix-gen
fuzz_nix_gen_SOURCES = fuzz/nix-gen.c
fuzz_nix_gen_LDADD = $(CORE_LIBS)
EXTRA_DIST += fuzz/nix-gen.c
# journal-diff-fuzz: random journals and selections by fuzz/journal-gen
check_PROGRAMS += fuzz/journal-gen
fuzz_journal_gen_SOURCES = fuzz/journal-gen.c
EXTRA_DIST += fuzz/journal-gen.c fuzz/journal-diff-fuzz.sh fuzz/nix-diff-fuzz.sh \
	fuzz/calendar-seeds.sh
# make fuzz-diff FUZZ_TIME=1800: all three differential fuzzers at once (README)
FUZZ_TIME = 60
fuzz-diff: clan-tui$(EXEEXT) fuzz/calendar-diff-replay$(EXEEXT) fuzz/nix-gen$(EXEEXT) \
	fuzz/journal-gen$(EXEEXT) tests/test-nix-batch$(EXEEXT) $(FUZZ_DIFF_TARGETS)
	FUZZ_TIME=$(FUZZ_TIME) top_builddir=. top_srcdir=$(top_srcdir) \
	  CLAN_TUI=$(abs_builddir)/clan-tui bash $(top_srcdir)/fuzz/diff-all.sh
.PHONY: fuzz-diff
EXTRA_DIST += fuzz/diff-all.sh
