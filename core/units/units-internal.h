/* Helpers shared by the files of core/units (not part of the public API). */
#ifndef CLAN_CORE_UNITS_INTERNAL_H
#define CLAN_CORE_UNITS_INTERNAL_H

#include <stdbool.h>

#include "core/util.h"

bool units_utf8_valid(const char *s);
/* Any byte below 0x20 or 0x7f? */
bool units_has_control(const char *s);
/* Append s for a comment line (control characters become '?'). */
int units_put_comment_text(struct buf *b, const char *s);

#endif
