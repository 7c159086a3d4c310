# The operating views (issue 11): units (U), keys (K), journal (J), fleet schedule map (S),
# fleet backups (B, issue 17).
# Part of the UI, so they join TUI_UI_SOURCES (the binary, the UI tests and benchmark).
TUI_OPS_SOURCES = tui/ops.c tui/ops.h tui/view-units.c tui/view-keys.c tui/view-journal.c \
	tui/view-map.c tui/view-backups.c
TUI_UI_SOURCES += $(TUI_OPS_SOURCES)

# Tests: screens of every view through the headless harness (tests/screens/ops/), and the
# real binary in tmux: the journal followed while entries are appended, a remote journal
# through an sshd on 127.0.0.1, the units written from the view and verified by systemd.
TESTS += tests/tui-ops.sh tests/tui-ops-tmux.sh
EXTRA_DIST += tests/tui-ops.sh tests/tui-ops-tmux.sh tests/screens/ops tests/keys-view-setup.sh
# The backups view (B) and the tree's marks against real sshd with saved systemctl output.
TESTS += tests/tui-backups.sh
EXTRA_DIST += tests/tui-backups.sh tests/screens/backups

# The restore flow (X; issue 17): archives, states, the confirmation, the run.
TUI_UI_SOURCES += tui/view-restore.c tui/view-restore.h
