# Packaging: the Nix flake and package (flake.nix, package.nix) and debian/, each with a test
# that evaluates or builds it (tests/nix-package.sh, tests/debian-package.sh).
EXTRA_DIST += flake.nix package.nix packaging.mk
TESTS += tests/nix-package.sh
EXTRA_DIST += tests/nix-package.sh
TESTS += tests/debian-package.sh
EXTRA_DIST += tests/debian-package.sh debian/changelog debian/control debian/copyright \
	debian/rules debian/source/format
# The schedule editor's month grid (tui/view-schedule.c) in every theme and mode.
TESTS += tests/schedule-grid.sh
EXTRA_DIST += tests/schedule-grid.sh
