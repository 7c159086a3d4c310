/* The Clan inventory read from clan.nix: meta, machines, service instances and their roles,
 * each machine's clan.core.state (and the states clan.core.postgresql creates), role
 * resolution (direct, tags, built-in tags), settings merged the way Clan's module system
 * merges them (every effective value knows every definition), the borgbackup plan,
 * diagnostics, and undoable edit operations that patch the text through core/nix.
 *
 * An inventory owns its source text and its Nix tree; every model pointer stays valid
 * until the next edit, undo, redo or inventory_free. */
#ifndef CLAN_CORE_INVENTORY_H
#define CLAN_CORE_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "core/diag.h"
#include "core/nix.h"
#include "core/plan.h"
#include "core/util.h"

struct inventory;

/* ---- loading ---- */

/* Read and model path (keeps the file's stamp, so inventory_save refuses to overwrite a
 * file that changed on disk). Returns 0 whenever the file could be read: syntax errors,
 * unknown shapes and non-literal values go to diags (with FILE:LINE:COL) and the model
 * holds everything that could be read. <0 (diag in diags) when the file cannot be read. */
int inventory_load(const char *path, struct inventory **out, struct diag_list *diags);
/* The same from text in memory; `name` is used in diagnostics. No file, so no save. */
int inventory_from_text(const char *name, const char *text, size_t len, struct inventory **out,
                        struct diag_list *diags);
void inventory_free(struct inventory *inv);

const char *inventory_name(const struct inventory *inv);          /* path or name */
const char *inventory_text(const struct inventory *inv, size_t *len); /* current text */
/* The current tree (read-only use; edits go through inventory_edit). */
struct nix_file *inventory_nix(const struct inventory *inv);

/* ---- the model ---- */

/* A source position: 1-based line/col of the value (or key) and its byte range. All zero
 * for something that is not written in the file (a default). */
struct inv_loc {
    unsigned line, col;
    size_t start, end;
    unsigned file; /* which file of the clan (inventory_file); 0: the main clan module */
};

/* A string-valued field. s is the decoded string; when the value is not a literal string
 * (a variable, a call, an interpolation) opaque is set and s is its source text, verbatim.
 * s == NULL: not present. */
struct inv_text {
    char *s;
    bool opaque;
    struct inv_loc loc;
};

/* ---- the files of a clan ----
 * A clan is a directory (see core/clan.h for how it is found): flake.nix and the clan modules
 * it calls or imports (clan.nix, flake-parts modules), inventory.json, machines/<m>/
 * directories and each machine's NixOS modules with everything they import. Each file is
 * read once; every position (struct inv_loc) names its file. */
enum inv_file_kind {
    INV_FILE_CLAN,   /* a clan module: clan.nix, a module it imports, flake.nix's clan call */
    INV_FILE_JSON,   /* inventory.json */
    INV_FILE_NIXOS,  /* a NixOS module of one or more machines */
    INV_FILE_FLAKE,  /* flake.nix when it only calls the clan (read for imports) */
};
struct inv_file_info {
    const char *path;      /* as opened (relative paths stay relative) */
    enum inv_file_kind kind;
    const char *why;       /* "the clan's entry point", "imported by clan.nix:4:15", ... */
    bool editable;         /* edits may write here */
};
size_t inventory_nfiles(const struct inventory *inv);
/* i < inventory_nfiles (an index as in struct inv_loc.file); file 0 is the main clan module.
 * The clan keeps every file it read since it was opened, also ones no longer imported. */
const struct inv_file_info *inventory_file(const struct inventory *inv, size_t i);
/* The files that make up the clan as the current model reads it: the main file first, then
 * by path (a list that reads the same after any edit as after opening the clan afresh).
 * inventory_listed gives the k-th one's index (for inventory_file). */
size_t inventory_nlisted(const struct inventory *inv);
unsigned inventory_listed(const struct inventory *inv, size_t k);
/* Where file (an index) stands in that list, or -1 when the model does not read it. */
long inventory_listing_index(const struct inventory *inv, unsigned file);
const char *inventory_file_name(const struct inventory *inv, unsigned file);
/* An import that cannot be followed without evaluating Nix (an input's module, a computed
 * path): listed, never an error. */
struct inv_unfollowed {
    const char *text;      /* the import as written */
    struct inv_loc loc;
    const char *machine;   /* the machine whose configuration imports it, or NULL */
};
size_t inventory_nunfollowed(const struct inventory *inv);
const struct inv_unfollowed *inventory_unfollowed(const struct inventory *inv, size_t i);
/* The clan directory ("." style path as given), or NULL for a single file / text. */
const char *inventory_dir(const struct inventory *inv);

/* Open the clan that path names: a clan directory, or any file in one (its directory is
 * the clan; a file that the clan's entry points do not reach is read as a clan module too),
 * or a lone clan.nix-style file. NULL: look upward from the working directory for the clan
 * root, as git finds its repository. Diagnostics as inventory_load. */
int inventory_open(const char *path, struct inventory **out, struct diag_list *diags);

struct inv_meta {
    struct inv_text name;   /* meta.name */
    struct inv_text domain; /* meta.domain */
};

enum inv_hook {
    INV_HOOK_PRE_BACKUP,   /* preBackupScript */
    INV_HOOK_POST_BACKUP,  /* postBackupScript */
    INV_HOOK_PRE_RESTORE,  /* preRestoreScript */
    INV_HOOK_POST_RESTORE, /* postRestoreScript */
    INV_NHOOKS,
};
/* "preBackupScript" etc. */
const char *inv_hook_name(enum inv_hook h);

/* clan.core.state.<name> of one machine. */
struct inv_state {
    char *name;
    struct inv_loc loc;     /* the state's key */
    char *database;         /* set when created by clan.core.postgresql.databases.<db> */
    struct inv_text *folders;
    size_t nfolders;
    bool folders_opaque;    /* `folders` is not a list literal (see folders_text) */
    struct inv_text folders_text;
    struct inv_text hooks[INV_NHOOKS]; /* script text exactly as it will run; s NULL: none */
    /* Declared under `lib.mkIf COND { ... }` (here or around the module that declares it):
     * the condition's source text (NULL: unconditional), evaluated on the machine. */
    struct inv_text condition;
};

struct inv_machine {
    char *name;
    struct inv_loc loc;              /* key of inventory.machines.<name> */
    struct inv_text target_host;     /* deploy.targetHost */
    struct inv_text *tags;           /* tags as written, in order */
    size_t ntags;
    bool has_tags;                   /* a `tags` attribute exists */
    struct inv_loc tags_loc;         /* the list literal */
    const struct nix_value *node;    /* inventory.machines.<name>: all keys, for display */
    /* The machine's configuration, machines.<name> (NULL when absent). */
    const struct nix_value *config;
    bool config_opaque;              /* machines.<name> could not be read (not a module) */
    struct inv_state *states;        /* in state-name order (the order Clan uses) */
    size_t nstates;
    bool pg_enabled;                 /* clan.core.postgresql.enable seen true (or opaque) */
    struct inv_loc pg_dbs_loc;       /* clan.core.postgresql.databases (non-empty) */
    struct inv_loc dir_loc;          /* machines/<name>/ exists: its configuration.nix (or
                                        the directory, line 0); file set */
    bool has_dir;
    /* clan.core.networking.targetHost of its NixOS configuration (Clan falls back to it
     * when deploy.targetHost is unset) */
    struct inv_text nixos_target_host;
    bool merged;                     /* its inventory entry is written in several files */
};

/* A machine or a tag listed in a role. */
struct inv_role_entry {
    char *name;
    struct inv_loc loc;                /* its key, or the list element */
    const struct nix_value *settings;  /* its `settings` (NULL when none) */
    size_t nselected;                  /* tags: how many machines it selects */
};

struct inv_role {
    char *name;
    struct inv_loc loc;
    struct inv_role_entry *machines;   /* roles.<r>.machines.<m> */
    size_t nmachines;
    struct inv_role_entry *tags;       /* roles.<r>.tags (list or attrset) */
    size_t ntags;
    bool tags_is_list;                 /* `tags = [ ... ]` rather than `tags.<t> = {...}` */
    const struct nix_value *settings;  /* role-wide roles.<r>.settings (NULL when none) */
    struct inv_loc settings_loc;
    /* roles.<r>.extraModules: NixOS modules of every member (their states count) */
    const struct nix_value *extra_modules;
};

struct inv_instance {
    char *name;
    struct inv_loc loc;
    struct inv_text module;   /* module.name; when absent: s = the instance name, loc zero */
    struct inv_role *roles;
    size_t nroles;
    bool merged;              /* written in several files of the clan */
};

enum inv_level {
    INV_LEVEL_DEFAULT, /* the option's built-in default */
    INV_LEVEL_ROLE,    /* roles.<r>.settings */
    INV_LEVEL_TAG,     /* roles.<r>.tags.<t>.settings */
    INV_LEVEL_MACHINE, /* roles.<r>.machines.<m>.settings */
};
const char *inv_level_name(enum inv_level l); /* "default", "role", "tag", "machine" */

/* Module-system priorities. */
#define INV_PRIO_FORCE 50
#define INV_PRIO_PLAIN 100
#define INV_PRIO_DEFAULT 1000          /* lib.mkDefault */
#define INV_PRIO_OPTION_DEFAULT 1500   /* an option's own default */

/* One definition of an effective value. */
struct inv_def {
    enum inv_level level;
    char *tag;                     /* INV_LEVEL_TAG: which tag */
    int priority;                  /* after lib.mkForce / mkDefault / mkOverride */
    const struct nix_value *value; /* the value with the priority wrapper removed; NULL for
                                      a built-in default */
    char *text;                    /* source text of the value (without wrapper), or the
                                      default's Nix text */
    struct inv_loc loc;            /* the value's position */
    bool active;                   /* it has the best priority, so it counts */
};

/* One node of a merged settings tree. */
struct inv_eff {
    char *name;                    /* NULL for the root */
    enum nix_kind kind;            /* NIX_ATTRS, NIX_LIST or the leaf's kind */
    struct inv_eff *children;      /* NIX_ATTRS: merged attributes, sorted by name */
    size_t nchildren;
    struct inv_def *defs;          /* leaves and lists: every definition, in merge order
                                      (role, tags in tag order, machine) */
    size_t ndefs;
    const struct nix_value *value; /* leaf: the winning value (NULL if conflict/default) */
    const struct inv_def *winner;  /* leaf: the definition shown as the origin */
    /* NIX_LIST: the concatenation of the active definitions' elements */
    const struct nix_value **items;
    size_t *item_def;              /* index into defs of each item */
    size_t nitems;
    bool conflict;                 /* different values at the best priority */
};
const struct inv_eff *inv_eff_get(const struct inv_eff *e, const char *name);
/* Follow a dotted path ("destinations.storagebox.repo"); NULL when missing. */
const struct inv_eff *inv_eff_lookup(const struct inv_eff *e, const char *dotted);
/* The leaf's winning string, or NULL (absent, conflict, not a string). */
const char *inv_eff_string(const struct inv_eff *e);

/* A machine selected by a role, with its merged settings. */
struct inv_member {
    size_t instance, role, machine; /* indexes into the model's arrays */
    bool direct;                    /* listed under roles.<r>.machines */
    char **via_tags;                /* the role's tags that select it, in role order */
    size_t nvia_tags;
    struct inv_eff settings;        /* root: NIX_ATTRS */
};

struct inv_model {
    struct inv_meta meta;
    struct inv_machine *machines; /* inventory order */
    size_t nmachines;
    struct inv_instance *instances;
    size_t ninstances;
    struct inv_member *members;   /* by instance, role, then machine inventory order */
    size_t nmembers;
};

const struct inv_model *inventory_model(const struct inventory *inv);
/* The members of role r of instance i are members[*first, *first + n), n returned (the
 * members are ordered by instance, then role): a binary search. */
size_t inv_model_role_members(const struct inv_model *md, size_t i, size_t r, size_t *first);
/* The members grouped by machine, in member order (a counting sort): machine m's are
 * members[by[k]] for k in [first[m], first[m + 1]). *first has nmachines + 1 entries, *by
 * nmembers; the caller frees both. 0, or -ENOMEM with both NULL. */
int inv_model_members_by_machine(const struct inv_model *md, size_t **first, size_t **by);
/* Index of a machine / instance by name, or -1. */
long inventory_machine_index(const struct inventory *inv, const char *name);
long inventory_instance_index(const struct inventory *inv, const char *name);
/* The membership of machine in instance/role, or NULL. */
const struct inv_member *inventory_member(const struct inventory *inv, const char *instance,
                                          const char *role, const char *machine);
/* Diagnostics of the current text (parse, model, resolution, plan checks), in file order. */
const struct diag_list *inventory_diags(const struct inventory *inv);

/* ---- the borgbackup plan ---- */

struct plan_options {
    /* Where the machine's secrets are deployed; the default client key is
     * <secrets_root>/borgbackup/borgbackup.ssh. NULL: "/run/secrets/vars" (the user's
     * document; newer clan: "/run/secrets/vars/per-machine/<m>"; "%m" expands to the
     * machine name). */
    const char *secrets_root;
};

/* Build the plan for every machine of every instance whose module is borgbackup.
 * The problems the plan shows (duplicate unit names, a client without destination, an
 * invalid startAt, a destination name clan rejects) are reported once, with the model's
 * diagnostics (inventory_load / inventory_diags); diags here only gets failures. */
int inventory_plan(const struct inventory *inv, struct plan **out, struct diag_list *diags);
int inventory_plan_with(const struct inventory *inv, const struct plan_options *opt,
                        struct plan **out, struct diag_list *diags);

/* Install order: providers before consumers -- a backup server before every client that has
 * a job to it (that client needs the server's host key) -- otherwise inventory order.
 * *order holds machine indexes (caller frees). Each cycle (machines needing each other's host
 * keys) is one error diagnostic naming its machines; they keep inventory order among
 * themselves, and what depends on them comes after. */
int inventory_install_order(const struct inventory *inv, size_t **order, size_t *n,
                            struct diag_list *diags);

/* ---- JSON ---- */
/* The model as JSON (`clan-tui dump --json`). */
int inventory_dump_json(const struct inventory *inv, struct buf *out);
/* {"machines": {"<name>": {"jobs": [...]}, ...}} (`clan-tui plan --json`); machine NULL: all. */
int plan_to_json(const struct plan *p, const char *machine, struct buf *out);

/* ---- edit operations ---- */

enum inv_op_kind {
    INV_OP_TAG_ADD,             /* machine, tag: append to inventory.machines.<m>.tags */
    INV_OP_TAG_REMOVE,          /* machine, tag */
    INV_OP_MACHINE_ADD,         /* machine [, target_host] [, tag]: new inventory machine */
    INV_OP_ROLE_MACHINE_ADD,    /* instance, role, machine: roles.<r>.machines.<m> = { } */
    INV_OP_ROLE_MACHINE_REMOVE, /* instance, role, machine */
    INV_OP_ROLE_TAG_ADD,        /* instance, role, tag (list form, or tags.<t> = { }) */
    INV_OP_ROLE_TAG_REMOVE,     /* instance, role, tag */
    INV_OP_SETTING_SET,         /* scope, key, value: a single value (startAt, address, ...) */
    INV_OP_SETTING_CLEAR,       /* scope, key: remove the definition at this level */
    INV_OP_LIST_ADD,            /* scope, key, value: append an element (exclude) */
    INV_OP_LIST_REMOVE,         /* scope, key, value */
    INV_OP_LIST_REPLACE,        /* scope, key, index, value */
    INV_OP_LIST_MOVE,           /* scope, key, index -> to */
    INV_OP_INSTANCE_ADD,        /* instance [, module]: inventory.instances.<i> = { } (with
                                   module.name = <module> when it differs from the name) */
    INV_OP_INSTANCE_REMOVE,     /* instance: its whole definition */
};

/* Where a setting is defined: instance (NULL: the only instance of module borgbackup that
 * fits), role (NULL: "client", or "server" for address/directory), level ROLE, TAG (name =
 * tag) or MACHINE (name = machine). */
struct inv_scope {
    const char *instance;
    const char *role;
    enum inv_level level;
    const char *name;
};

struct inv_op {
    enum inv_op_kind kind;
    const char *machine;
    const char *tag;
    const char *target_host;
    const char *instance;   /* role ops (NULL: as in inv_scope) */
    const char *role;
    const char *module;     /* instance add: module.name (NULL: the instance's name) */
    struct inv_scope scope; /* setting and list ops */
    const char *key;        /* dotted settings path: startAt, exclude, destinations.<n>.repo */
    const char *value;      /* a string value (quoted by the operation) ... */
    const char *expr;       /* ... or a Nix expression, verbatim (exactly one of the two) */
    size_t index, to;
    int priority;           /* 0 or INV_PRIO_PLAIN: plain; INV_PRIO_FORCE: lib.mkForce;
                               INV_PRIO_DEFAULT: lib.mkDefault */
};

/* Edits that would do what was asked without a conflict, offered when one is refused. */
struct inv_alternative {
    char *label;       /* one line for a human */
    struct inv_op op;  /* ready to pass to inventory_edit (strings owned by the list) */
};
struct inv_alternatives {
    struct inv_alternative *v;
    size_t n;
    char **strings;    /* owned strings the ops point into */
    size_t nstrings;
};
void inv_alternatives_free(struct inv_alternatives *a);

/* Compute the new text of op without changing anything (for --dry-run and previews).
 * Refused (<0, diags) when the operation does not fit, when the result would not parse, or
 * when it would create a conflict in Clan; alts (may be NULL) then lists the edits that do
 * not conflict. */
int inventory_edit_preview(const struct inventory *inv, const struct inv_op *op, char **text,
                           size_t *len, struct inv_alternatives *alts, struct diag_list *diags);
/* The same, saying which file of the clan the edit writes (*file, see inventory_file) and
 * giving that file's whole new text. */
int inventory_edit_preview_file(const struct inventory *inv, const struct inv_op *op,
                                unsigned *file, char **text, size_t *len,
                                struct inv_alternatives *alts, struct diag_list *diags);
/* The inventory as it would be after op, every file of the clan included (for previews of
 * what an edit does: memberships, the plan); nothing changes. Free it with inventory_free;
 * it is read-only (no save). */
int inventory_edit_preview_model(const struct inventory *inv, const struct inv_op *op,
                                 struct inventory **out, struct inv_alternatives *alts,
                                 struct diag_list *diags);
/* Apply op: the text is patched, the model re-read, the undo stack grows, redo is cleared.
 * Refused as above, leaving everything as it was. */
int inventory_edit(struct inventory *inv, const struct inv_op *op,
                   struct inv_alternatives *alts, struct diag_list *diags);
/* Apply ops in order as one edit: one undo step (label, or the first op's description)
 * undoes them all. Refused as a whole when one is refused (diags say which), leaving
 * everything as it was; the redo stack is cleared once something was applied. */
int inventory_edit_group(struct inventory *inv, const struct inv_op *ops, size_t n,
                         const char *label, struct diag_list *diags);
/* The inventory as it would be after ops (as inventory_edit_preview_model); NULL ops, n 0:
 * a copy. Read-only, free it with inventory_free. */
int inventory_edit_group_preview(const struct inventory *inv, const struct inv_op *ops, size_t n,
                                 struct inventory **out, struct diag_list *diags);
/* The unified diff (3 lines of context, a/ b/ names) of every file whose text differs
 * between before and after (after: an edit or preview of before). */
int inventory_diff(const struct inventory *before, const struct inventory *after,
                   struct buf *out);
/* One line describing op ("add tag employees to alice-laptop"); caller frees. */
char *inv_op_describe(const struct inv_op *op);

/* Undo stack: every applied edit, with redo. 0, or -ENOENT when there is nothing to do. */
int inventory_undo(struct inventory *inv, struct diag *d);
int inventory_redo(struct inventory *inv, struct diag *d);
size_t inventory_undo_depth(const struct inventory *inv);
size_t inventory_redo_depth(const struct inventory *inv);
/* Description of the edit the next undo / redo would revert / reapply, or NULL. */
const char *inventory_undo_label(const struct inventory *inv);
const char *inventory_redo_label(const struct inventory *inv);
/* Is the current text other than the one read / last saved? O(1): it compares which edit
 * produced the text (undoing back to the saved state makes it clean again). */
bool inventory_dirty(const struct inventory *inv);
/* How the edits, undos and redos so far brought the model up to date: in place (a local
 * edit: only the machine or instance it touches is read again) or by reading the whole
 * text again. */
void inventory_update_counts(const struct inventory *inv, size_t *local, size_t *full);
/* The files an inventory_save would write: each one's index (inventory_file), path and new
 * text (valid until the next edit). Fills up to max of out; returns how many there are. */
struct inv_pending {
    unsigned file;
    const char *path;
    const char *text;
    size_t len;
};
size_t inventory_pending(const struct inventory *inv, struct inv_pending *out, size_t max);
/* Write the current text atomically; refused (-ESTALE) when the file changed on disk since
 * it was read or last saved. */
int inventory_save(struct inventory *inv, struct diag *d);
/* A clan of several files: every changed file is written, all or nothing -- every file's
 * stamp is checked first, and a failure puts back the ones already replaced; the message
 * names the file. */

#endif
