# fleet scale: whole processes at 1,000 and 10,000 machines beside nix-instantiate --parse
BENCH_RUNS += bench/bench-scale.sh
EXTRA_DIST += bench/bench-scale.sh
# runstat: whole-process wall clock, CPU, peak RSS and page faults for the scale benchmark
EXTRA_PROGRAMS += bench/runstat
bench_runstat_SOURCES = bench/runstat.c
BENCH_PROGS += bench/runstat
