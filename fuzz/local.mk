# core/nix/json.c: JSON parse, print, tree, and edits re-parsed
if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-json
fuzz_fuzz_json_SOURCES = fuzz/fuzz-json.c
fuzz_fuzz_json_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_json_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-json.c
