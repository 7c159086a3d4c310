# core/nix: lossless Nix syntax (lexer, parser, CST, printer, attribute tree, edits)
libclancore_a_SOURCES += core/nix.h core/nix/nix-int.h core/nix/lexer.c core/nix/parser.c \
	core/nix/cst.c core/nix/quote.c core/nix/attrtree.c core/nix/edit.c \
	core/nix/splice.c core/nix/shape.c
# JSON documents (inventory.json) as nix_files: strict parser, logical tree, edits
libclancore_a_SOURCES += core/nix/json.c
clan_tui_SOURCES += tui/cmd-nix.c

check_PROGRAMS += tests/test-nix
tests_test_nix_SOURCES = tests/test-nix.c
tests_test_nix_CFLAGS = $(TEST_CFLAGS)
tests_test_nix_LDADD = $(TEST_LIBS)
TESTS += tests/test-nix
# local edits in place against full parses (samples, a generated fleet, the corpus)
check_PROGRAMS += tests/test-nix-splice
tests_test_nix_splice_SOURCES = tests/test-nix-splice.c
tests_test_nix_splice_CFLAGS = $(TEST_CFLAGS)
tests_test_nix_splice_LDADD = $(TEST_LIBS)
TESTS += tests/test-nix-splice
# an edit in place does not grow with the file: values an edit visits, counted on gen-fleet
# clans of 1,000 and 10,000 machines (six kinds of edit and their undo)
check_PROGRAMS += tests/test-edit-scale
tests_test_edit_scale_SOURCES = tests/test-edit-scale.c bench/fleet-edits.h
tests_test_edit_scale_CFLAGS = $(TEST_CFLAGS) -DTOP_SRCDIR='"$(abs_top_srcdir)"'
tests_test_edit_scale_LDADD = $(TEST_LIBS)
TESTS += tests/test-edit-scale
# helper of tests/nix-diff.sh (parses a list of files in one process)
check_PROGRAMS += tests/test-nix-batch
tests_test_nix_batch_SOURCES = tests/test-nix-batch.c
tests_test_nix_batch_LDADD = $(CORE_LIBS)
# differential tests against nix-instantiate (accept/reject on a corpus; edits evaluated)
TESTS += tests/nix-diff.sh tests/nix-edit-diff.sh tests/nix-cli.sh
EXTRA_DIST += tests/nix-diff.sh tests/nix-edit-diff.sh tests/nix-cli.sh \
	tests/nix-corpus/gen.sh tests/nix-corpus/atoms.txt tests/nix-corpus/cases.txt \
	tests/nix-edit/lib.nix

if ENABLE_FUZZING
noinst_PROGRAMS += fuzz/fuzz-nix
fuzz_fuzz_nix_SOURCES = fuzz/fuzz-nix.c
fuzz_fuzz_nix_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_nix_LDADD = $(CORE_LIBS)
noinst_PROGRAMS += fuzz/fuzz-nix-splice
fuzz_fuzz_nix_splice_SOURCES = fuzz/fuzz-nix-splice.c
fuzz_fuzz_nix_splice_LDFLAGS = $(FUZZ_LDFLAGS)
fuzz_fuzz_nix_splice_LDADD = $(CORE_LIBS)
endif
EXTRA_DIST += fuzz/fuzz-nix.c fuzz/fuzz-nix-splice.c

EXTRA_PROGRAMS += bench/bench-nix
bench_bench_nix_SOURCES = bench/bench-nix.c
bench_bench_nix_LDADD = $(CORE_LIBS)
BENCH_PROGS += bench/bench-nix
BENCH_RUNS += bench/bench-nix.sh
EXTRA_DIST += bench/bench-nix.sh
