EXTRA_DIST += samples/gen-fleet samples/gen-fleet-dir $(SAMPLE_FILES) samples/flake-parts \
	samples/clan-dir
SAMPLE_FILES = samples/docker-hooks.nix samples/postgres.nix samples/two-machines.nix \
	samples/exclude-tag.nix samples/schedule.nix \
	samples/exclude.nix samples/nas-schedules.nix samples/storagebox.nix \
	samples/multi-destination.nix
TESTS += tests/samples.sh
EXTRA_DIST += tests/samples.sh
