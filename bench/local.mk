# fleet scale: whole processes at 1,000 and 10,000 machines beside nix-instantiate --parse
BENCH_RUNS += bench/bench-scale.sh
EXTRA_DIST += bench/bench-scale.sh
