# Shell completions for bash, zsh and fish, generated from clan-tui's own --help (spec.sh reads
# it: commands from tui/commands.def, each command's options) by gen.sh; names of machines,
# instances, tags and themes come from `clan-tui names` when completing.
clan_tui_SOURCES += tui/cmd-names.c
COMPLETIONS = completions/clan-tui.bash completions/_clan-tui completions/clan-tui.fish
nodist_noinst_DATA = $(COMPLETIONS)
CLEANFILES += $(COMPLETIONS)
EXTRA_DIST += completions/spec.sh completions/gen.sh
completions/clan-tui.bash completions/_clan-tui completions/clan-tui.fish: clan-tui \
		$(srcdir)/completions/spec.sh $(srcdir)/completions/gen.sh
	$(AM_V_GEN)mkdir -p completions && \
	case $@ in *.bash) sh=bash;; *.fish) sh=fish;; *) sh=zsh;; esac && \
	$(SHELL) $(srcdir)/completions/gen.sh $$sh ./clan-tui > $@.tmp && mv $@.tmp $@
bashcompletiondir = $(datadir)/bash-completion/completions
zshcompletiondir = $(datadir)/zsh/site-functions
fishcompletiondir = $(datadir)/fish/vendor_completions.d
install-data-local: $(COMPLETIONS)
	$(MKDIR_P) '$(DESTDIR)$(bashcompletiondir)' '$(DESTDIR)$(zshcompletiondir)' \
		'$(DESTDIR)$(fishcompletiondir)'
	$(INSTALL_DATA) completions/clan-tui.bash '$(DESTDIR)$(bashcompletiondir)/clan-tui'
	$(INSTALL_DATA) completions/_clan-tui '$(DESTDIR)$(zshcompletiondir)/_clan-tui'
	$(INSTALL_DATA) completions/clan-tui.fish '$(DESTDIR)$(fishcompletiondir)/clan-tui.fish'
uninstall-local:
	rm -f '$(DESTDIR)$(bashcompletiondir)/clan-tui' '$(DESTDIR)$(zshcompletiondir)/_clan-tui' \
		'$(DESTDIR)$(fishcompletiondir)/clan-tui.fish'
TESTS += tests/completions.sh
EXTRA_DIST += tests/completions.sh
