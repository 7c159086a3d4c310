# core/theme: themes, the UI config file and keymap files (YAML via libyaml).
THEME_FILES = themes/default.yaml themes/light.yaml themes/solarized-dark.yaml \
	themes/high-contrast.yaml themes/mono.yaml
libclancore_a_SOURCES += core/theme.h core/theme/ytree.h core/theme/ytree.c \
	core/theme/builtin.h core/theme/theme.c core/theme/config.c
# The built-in themes are the installed files themselves, compiled in.
nodist_libclancore_a_SOURCES = core/theme/builtin-themes.c
BUILT_SOURCES = core/theme/builtin-themes.c
CLEANFILES += core/theme/builtin-themes.c
core/theme/builtin-themes.c: $(THEME_FILES:%=$(srcdir)/%) $(srcdir)/core/theme/embed.sh
	$(AM_V_GEN)mkdir -p core/theme && \
	$(SHELL) $(srcdir)/core/theme/embed.sh $(THEME_FILES:%=$(srcdir)/%) > $@.tmp && mv $@.tmp $@
nobase_dist_pkgdata_DATA = $(THEME_FILES)
EXTRA_DIST += core/theme/embed.sh

check_PROGRAMS += tests/test-theme
tests_test_theme_SOURCES = tests/test-theme.c
tests_test_theme_CFLAGS = $(TEST_CFLAGS) -DTHEMES_SRCDIR='"$(abs_top_srcdir)/themes"'
tests_test_theme_LDADD = $(TEST_LIBS)
TESTS += tests/test-theme

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-theme
fuzz_fuzz_theme_SOURCES = fuzz/fuzz-theme.c
fuzz_fuzz_theme_LDADD = $(CORE_LIBS)
fuzz_fuzz_theme_LDFLAGS = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)
endif
