# core/clan: finding a Clan's directory (the reading is core/inventory/sources.c)
libclancore_a_SOURCES += core/clan.h core/clan/clan.c
