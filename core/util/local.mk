libclancore_a_SOURCES += core/diag.h core/util.h core/util/diag.c core/util/buf.c \
	core/util/fileio.c core/util/diff.c core/util/arena.c core/util/fmt.c
