/* The built-in themes (internal): generated from themes/NAME.yaml by core/theme/embed.sh. */
#ifndef CLAN_CORE_THEME_BUILTIN_H
#define CLAN_CORE_THEME_BUILTIN_H

struct theme_builtin {
    const char *name;
    const char *text;
};
extern const struct theme_builtin theme_builtins[];

#endif
