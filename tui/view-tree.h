/* The inventory tree: nodes built from the model and the plan (shared by the tree and the
 * details views; later views read the selection through it). */
#ifndef CLAN_TUI_VIEW_TREE_H
#define CLAN_TUI_VIEW_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/theme.h"

/* How the UI marks what only the machine's evaluation decides (a lib.mkIf condition, a
 * folder that is an expression). */
#define EVALUATED_ON_MACHINE "evaluated on the machine"

enum tkind {
    TK_SECTION,       /* a top-level section; a = which (enum tsection) */
    TK_FIELD,         /* "key  value" with a position (meta.name, targetHost, ...) */
    TK_GROUP,         /* a sub-heading (tags, roles, states, jobs, settings, members) */
    TK_MACHINE,       /* a = machine */
    TK_MACHINE_TAG,   /* a = machine, b = tag index */
    TK_MEMBERSHIP,    /* a = member index (a machine's role) */
    TK_STATE,         /* a = machine, b = state */
    TK_FOLDER,        /* a = machine, b = state, c = folder */
    TK_HOOK,          /* a = machine, b = state, c = enum inv_hook */
    TK_TAG,           /* the tags section: label = the tag */
    TK_TAG_MACHINE,   /* a = machine */
    TK_INSTANCE,      /* a = instance */
    TK_ROLE,          /* a = instance, b = role */
    TK_ROLE_MACHINE,  /* a = instance, b = role, c = entry */
    TK_ROLE_TAG,      /* a = instance, b = role, c = entry */
    TK_SETTING,       /* ptr = const struct nix_value * */
    TK_MEMBER,        /* a = member index (under a role) */
    TK_PLAN_MACHINE,  /* a = plan machine index */
    TK_JOB,           /* a = plan machine, b = job */
    TK_SERVER_CLIENT, /* a = plan machine, b = client */
    TK_DIAG,          /* a = diagnostic index (app_diag) */
    TK_FILE,          /* a = file of the clan (inventory_file) */
    TK_UNFOLLOWED,    /* a = import not followed (inventory_unfollowed) */
};

enum tsection { SEC_DIAGS, SEC_META, SEC_MACHINES, SEC_TAGS, SEC_INSTANCES, SEC_BACKUPS,
                SEC_FILES };

struct tnode { /* compact: a 1000-machine fleet has tens of thousands of them */
    const char *label;      /* the tree's own copy: valid until the next rebuild */
    const char *extra;      /* shown beside the label, may be NULL; like ptr, it may point
                               into the model or plan: valid only until they change */
    struct tnode *parent, *child, *last, *next;
    const void *ptr;
    int32_t a, b, c;
    uint32_t pre;           /* preorder index */
    uint32_t nchildren;
    uint32_t line, col;     /* source position, 0 when none */
    uint16_t file;          /* ... in this file of the clan (inv_loc.file) */
    uint16_t depth;
    uint8_t kind;           /* enum tkind */
    uint8_t role;           /* enum theme_role: colour of the label */
    bool expanded;
    bool lazy;              /* has children not built yet (built on first expand) */
    int8_t diag;            /* worst diagnostic on this node: -1 none, else enum diag_severity */
};

#endif
