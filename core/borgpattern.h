/* borg's exclude patterns (borg 1.2 `--exclude`, as the borgbackup NixOS module passes
 * Clan's settings.exclude): the style prefixes fm: (fnmatch, the default), sh: (shell
 * style with **), re: (regular expression), pp: (path prefix) and pf: (path full), each
 * prepared and matched the way borg/patterns.py does, so the exclude editor can say
 * whether a path would be left out and by which pattern. No global state. */
#ifndef CLAN_CORE_BORGPATTERN_H
#define CLAN_CORE_BORGPATTERN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"

enum borg_pattern_style {
    BORG_PATTERN_FM, /* fnmatch: '*' crosses '/', matches the path or anything below it */
    BORG_PATTERN_SH, /* shell: '*' stays inside one name, '**' + '/' spans directories */
    BORG_PATTERN_RE, /* a regular expression searched anywhere in the path */
    BORG_PATTERN_PP, /* a path prefix: the path itself or anything below it */
    BORG_PATTERN_PF, /* exactly this path */
};

struct borg_pattern;

/* Parse one exclude pattern: "STYLE:PATTERN" when the first two characters are letters
 * or digits followed by ':' (an unknown style is an error, as in borg), else fm:.
 * Errors (-EINVAL) have col = the 1-based column of the problem. Regular expressions are
 * POSIX extended ones: Python-only syntax (\d, (?...) groups, lazy quantifiers) is refused
 * with an error rather than matched differently from borg, and so is what could make
 * glibc's regcomp/regexec take exponential time (stacked quantifiers, backreferences,
 * counts above 100). */
int borg_pattern_parse(const char *text, struct borg_pattern **out, struct diag *d);
void borg_pattern_free(struct borg_pattern *p);

enum borg_pattern_style borg_pattern_style(const struct borg_pattern *p);
/* "fm", "sh", "re", "pp", "pf". */
const char *borg_pattern_style_name(enum borg_pattern_style s);
/* The pattern as borg compares it after its preparation (normalized, leading '/'
 * removed, a slash and a star appended for fm:, a slash, two stars, a slash and a star
 * for sh:). */
const char *borg_pattern_prepared(const struct borg_pattern *p);

/* Would borg exclude path? The path is taken as borg sees it while archiving: leading
 * slashes are removed ("/home/a" and "home/a" are the same). */
bool borg_pattern_match(const struct borg_pattern *p, const char *path);

/* posixpath.normpath() of s (collapse "//", drop ".", fold ".." lexically; "" -> ".").
 * Returns a malloc'd string or NULL when out of memory. */
char *borg_normpath(const char *s);

#endif
