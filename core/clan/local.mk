# core/clan: finding a Clan's directory (the reading is core/inventory/sources.c)
libclancore_a_SOURCES += core/clan.h core/clan/clan.c
# a 1000-machine clan directory: open, edits in clan.nix and inventory.json, first frame
EXTRA_PROGRAMS += bench/bench-clan
bench_bench_clan_SOURCES = bench/bench-clan.c tui/heap.c
bench_bench_clan_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-clan
BENCH_RUNS += bench/bench-clan.sh
EXTRA_DIST += bench/bench-clan.sh
# the clan reader and the expression-shape functions under libFuzzer
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-clan
fuzz_fuzz_clan_SOURCES = fuzz/fuzz-clan.c
fuzz_fuzz_clan_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_clan_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-clan.c
