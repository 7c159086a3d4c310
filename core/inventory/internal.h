/* Internals shared by the core/inventory sources. */
#ifndef CLAN_CORE_INVENTORY_INTERNAL_H
#define CLAN_CORE_INVENTORY_INTERNAL_H

#include <stdint.h>

#include "core/inventory.h"

/* A hash of a pointer for open-addressing tables (the low bits of an allocation are 0). */
static inline size_t inv_ptr_hash(const void *p)
{
    return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull);
}

/* name -> index, open addressing; names are borrowed. */
struct inv_index {
    const char **keys;
    size_t *vals;
    size_t cap, n;
};
int inv_index_put(struct inv_index *ix, const char *key, size_t val);
long inv_index_get(const struct inv_index *ix, const char *key);
/* Take key out when it maps to val (its place freed for others). */
void inv_index_del(struct inv_index *ix, const char *key, size_t val);
void inv_index_free(struct inv_index *ix);

/* One applied edit: patches that redo it (on the text before) and undo it (on the text
 * after). */
/* A patch with an explicit length: undo texts may hold NUL bytes (any input is kept). */
struct inv_patch {
    size_t start, end;
    char *text;
    size_t len;
};

struct inv_undo {
    char *label;
    char *file;       /* realpath of the file it patches; NULL: the main file */
    unsigned long id; /* identifies the text after this edit (for inventory_dirty) */
    unsigned long group; /* nonzero: undone and redone with its neighbours of this group */
    struct inv_patch *fwd, *back;
    size_t nfwd, nback;
};

/* What inv_unwrap_priority found for one value (so each is read once). */
struct inv_unwrap {
    const struct nix_value *key, *inner;
    int prio;
    size_t inner_start;
};
struct inv_unwrap_cache {
    struct inv_unwrap *v;
    size_t cap, n;
};
/* Where the cache starts looking for a value (open addressing, cap a power of two). */
static inline size_t inv_unwrap_hash(const struct nix_value *v)
{
    return ((uintptr_t)v >> 4) * 0x9E3779B97F4A7C15ull;
}

/* Which part of the model a diagnostic comes from, so that an incremental update can drop
 * and regenerate exactly the diagnostics of what it re-read. */
enum inv_owner_kind {
    INV_OWN_NIX,         /* the parse */
    INV_OWN_GLOBAL,      /* the top-level shape (meta, inventory, machines, instances) */
    INV_OWN_MACHINE_INV, /* a = machine: inventory.machines.<m> */
    INV_OWN_MACHINE_CFG, /* a = machine: machines.<m> */
    INV_OWN_INSTANCE,    /* a = instance: inventory.instances.<i> */
    INV_OWN_ROLE_MACHINES, /* a = instance: its roles name machines not in the inventory */
    INV_OWN_TAGSEL,      /* tags that select no machine */
    INV_OWN_CONFLICT,    /* a = instance, b = machine: conflicting settings of a member */
    INV_OWN_PLAN,        /* a = machine: the plan checks of its client memberships */
};
struct inv_owner {
    uint8_t kind;
    uint32_t a, b;
};

/* ---- a clan of several files (sources.c) ----
 * What stays as read while the main clan module is edited: every other file, parsed once,
 * and the logical trees read out of them (whole files, and views of the expressions inside
 * calls such as lib.mkIf). Shared, counted, by an inventory and the previews its edits build. */
/* A file's parse, shared by the clans rebuilt from one another (an edit of one file
 * re-reads the clan and reuses every other file's parse). */
struct inv_parse {
    unsigned refs;
    struct nix_file *nix;
    struct diag_list diags;       /* what the parse reported */
    size_t local_bytes;           /* re-parsed in place since (edit.c patch_local_file) */
};
/* The current text of an edited file, for a rebuild of the clan. */
struct inv_overlay {
    const char *real;             /* realpath */
    const char *text;
    size_t len;
    struct file_stamp stamp;      /* of the file on disk, as read / last saved */
};
struct inv_srcfile {
    struct inv_file_info info;
    char *path, *why, *dir;      /* dir: for relative imports */
    char *real;                  /* the name it was first read under (its identity across
                                    rebuilds: overlays, undo records) */
    char *idkey;                 /* "dev:ino": one file under several names is read once */
    struct nix_file *nix;        /* the whole file (file 0: NULL, the inventory's own) */
    struct inv_parse *parse;     /* owns nix */
    struct file_stamp stamp;     /* on disk, as read / last saved */
    bool edited;                 /* its text is an overlay (edited since read / saved) */
};
struct inv_view {
    unsigned file;
    struct nix_span span;
    struct nix_file *nix;
};
struct inv_tree {
    const struct nix_value *root;
    struct nix_file *nix;
    unsigned file;
};
struct inv_modref {               /* a module (clan or NixOS) read out of a file */
    unsigned file;
    const struct nix_value *v;    /* its logical root (an attribute set) */
};
struct inv_clan {
    unsigned refs;
    char *dir;                    /* the clan directory, NULL for a lone file */
    struct inv_srcfile *files;
    size_t nfiles, capfiles;
    struct inv_tree *trees;       /* root -> tree, open addressing (cap a power of two) */
    size_t ntrees, captrees;
    struct inv_view *views;       /* views owned here (of files 1..) */
    size_t nviews, capviews;
    struct inv_modref *mods;      /* clan modules other than the main one */
    size_t nmods, capmods;
    long json;                    /* index of inventory.json, or -1 */
    struct inv_index pathix, idix; /* name -> file, "dev:ino" -> file */
    char **kept;                  /* alias names the index borrows */
    size_t nkept;
    char **mdirs;                 /* machines/<name>/ directories, sorted */
    size_t nmdirs;
    size_t ndisc;                 /* files read to find the clan (always part of it) */
    long *mfiles;                 /* per directory, its 3 machine files: index, -1 none,
                                     -2 not looked up yet */
    /* the main clan module when it is an expression inside its file (flake-parts
     * `clan = { ... }`, a call in flake.nix): the file's text around it; NULL: whole file */
    char *main_prefix, *main_suffix;
    struct inv_parse *main_full;  /* the main file's first whole parse (see sources.c) */
    char *loc_dir, *loc_file;     /* how the clan was located (for rebuilds) */
    bool loc_given_nix;
    struct inv_modsum *sums;      /* per file: what it contributes to a machine (sources.c) */
    size_t nsums;
    struct inv_clan *prev;        /* while rebuilding: the clan whose parses are reused */
    const struct inv_overlay *ov; /* while rebuilding: edited texts */
    size_t nov;
    size_t main_prefix_len, main_suffix_len;
};
void inv_clan_unref(struct inv_clan *c);
struct inv_modsum;
void inv_modsums_free(struct inv_modsum *s, size_t n);
/* The tree an edit of file (> 0) works on: inventory.json (json), or the clan module the
 * file holds (the file's tree or the view of the expression inside it). <0 with d when the
 * file is not edited by clan-tui. */
int inv_edit_file(const struct inventory *inv, unsigned file, struct nix_file **f, bool *json,
                  struct diag *d);
const char *inv_file_real(const struct inventory *inv, unsigned file);
/* inventory_save of a clan: every changed file, all or nothing (file_txn). */
int inv_save_clan(struct inventory *inv, struct diag *d);
long inv_file_by_real(const struct inventory *inv, const char *real);
/* The current text of a file of the clan (0: the main file's whole text). */
const char *inv_file_text(const struct inventory *inv, unsigned file, size_t *len);
/* Read the clan of inv again with file `real` (a realpath; NULL: none) holding text, every
 * other edited file its current text, every other parse reused: a new inventory (no undo
 * stack) in *out. */
int inv_clan_rebuild(const struct inventory *inv, const char *real, const char *text,
                     size_t len, struct inventory **out, struct diag_list *diags);
/* The tree a root belongs to, or NULL. */
const struct inv_tree *inv_clan_tree(const struct inv_clan *c, const struct nix_value *root);
/* The model reads file i of the clan (for the list of files that make it up). */
void inv_file_used(struct inventory *inv, size_t i);
/* After a model read: the list of the files it read. */
void inv_list_files(struct inventory *inv);
/* Add the clan's modules and files to the model being read (model.c calls these). */
void inv_read_sources(struct inventory *inv, size_t *machines_cap);
/* The attribute sets that the clan-module value v stands for when it is an expression
 * (`import ./x.nix args`, `a // b`, a let-bound name): up to max into out; v itself when it
 * is a set literal. */
size_t inv_expand_attrs(struct inventory *inv, const struct nix_value *v,
                        const struct nix_value **out, size_t max);
/* After resolution: the extraModules of every role a machine is in are modules of its
 * configuration too (their states count). */
void inv_read_role_modules(struct inventory *inv);
/* model.c: read one clan module's meta, inventory and machines into the model (json: the
 * root is inventory.json's, the inventory itself); machines_cap: capacity of the machines
 * array (it grows). */
void inv_read_clan_module(struct inventory *inv, const struct nix_value *root, bool json,
                          size_t *machines_cap);
/* The index of machine name, declared (at loc) when it does not exist yet; -1: no memory. */
long inv_declare_machine(struct inventory *inv, const char *name, struct inv_loc loc,
                         size_t *machines_cap);
/* Every NixOS module of machine m (beyond the main file's machines.<m>): its states. */
void inv_read_machine_modules(struct inventory *inv, struct inv_machine *m);
/* Read one NixOS module (file, value) of machine m, following its imports. */
void inv_read_nixos_module(struct inventory *inv, struct inv_machine *m, unsigned file,
                           const struct nix_value *v, const char *cond);

struct inv_tagdef {            /* inventory.tags.<tag> names machine (model.c) */
    const char *tag, *machine;  /* borrowed from the tree */
    struct inv_loc loc;
};

struct inventory {
    char *name;               /* path or name for diagnostics */
    struct inv_tagdef *tagdefs;
    size_t ntagdefs;
    bool no_local;            /* edits re-read the whole model (inventory.tags is used) */
    uint64_t *dseen;          /* diagnostics made in other files (inv_diag: each once) */
    size_t ndseen, capdseen;
    struct inv_clan *clan;    /* the other files of the clan, or NULL (one file) */
    char *real;               /* main file's whole text when its clan module is a view */
    size_t real_len;
    struct inv_unfollowed *unf; /* imports not followed (model-owned) */
    size_t nunf, capunf;
    bool *fused;              /* per file of the clan: read by this model (sources.c) */
    size_t nfused;
    unsigned *flist;          /* the files read, main first, then by path (inventory_listed) */
    size_t nflist;
    unsigned *visit;          /* per file: the walk that visited it last (module walker) */
    size_t nvisit;
    unsigned visit_gen;
    bool has_file;
    struct file_stamp stamp;  /* of the file as read / last saved */

    struct nix_file *nix;
    struct nix_file **snippets; /* values read from inside lib.mkForce & co. */
    size_t nsnippets;
    const struct nix_value **snippet_roots; /* nix_file_root of each snippet */
    long *snippet_delta;                    /* offset of its text in its file */
    unsigned *snippet_file;                 /* which file of the clan */
    uint32_t *snippet_hidx;                 /* root -> 1 + index, open addressing */
    size_t snippet_hcap;                    /* a power of two, over twice nsnippets */
    struct inv_unwrap_cache unwrap;
    const struct nix_value *borg_defaults;
    struct inv_model model;
    struct inv_index machine_ix, instance_ix;
    struct diag_list diags;
    struct inv_owner *owners; /* owners[i]: who made diags.v[i] */
    size_t capowners, nowned;
    struct inv_owner cur_owner; /* given to the diagnostics inv_diag adds */
    size_t nupdates_local, nupdates_full; /* see inventory_update_counts */
    size_t local_bytes; /* re-parsed in place since the last full parse (edit.c compact) */

    struct inv_undo *undo, *redo;
    size_t nundo, nredo;
    unsigned long next_id;  /* for the next applied edit */
    unsigned long saved_id; /* id of the text as read / last saved (0: as read) */
};

/* ---- model.c ---- */
/* Build everything for text into a fresh inventory (no file fields, no undo). */
int inv_build(const char *name, const char *text, size_t len, struct inventory **out,
              struct diag_list *diags);
/* The same, reading the other files of clan along (a reference is taken; NULL: none). */
int inv_build_clan(const char *name, const char *text, size_t len, struct inv_clan *clan,
                   struct inventory **out, struct diag_list *diags);
/* Keep a view (a tree of an expression inside a file) alive with the model. */
int inv_add_view(struct inventory *inv, struct nix_file *view, unsigned file);
/* The tree v belongs to: its file and the nix_file holding its syntax. */
struct nix_file *inv_value_file(const struct inventory *inv, const struct nix_value *v,
                                unsigned *file);
/* Rebuild inv->real from the main view's text (masked main module). */
void inv_sync_real(struct inventory *inv);
/* The main file's whole text for a text of its view (caller frees; NULL: no memory). */
char *inv_real_of(const struct inventory *inv, const char *view, size_t vlen, size_t *len);
/* Free what inv_build made (model, tree, diags, indexes); not the undo stacks. */
/* The same from a file parsed without any diagnostic (taken over, freed on failure). */
int inv_build_parsed(struct nix_file *f, struct inv_clan *clan, struct inventory **out,
                     struct diag_list *diags);
void inv_release(struct inventory *inv);
struct inv_loc inv_loc_value(const struct inventory *inv, const struct nix_value *v);
struct inv_loc inv_loc_key(const struct inventory *inv, const struct nix_value *v);
/* Source text of a value (from its wrapper). Caller frees. */
char *inv_value_text(const struct inventory *inv, const struct nix_value *v);
/* Read a value that may be wrapped in lib.mkForce / mkDefault / mkOverride N /
 * mkOptionDefault. Returns the inner value (v itself when unwrapped) and its priority;
 * inner_text (may be NULL) gets the offset of the inner text in the main source. */
const struct nix_value *inv_unwrap_priority(struct inventory *inv, const struct nix_value *v,
                                            int *prio, size_t *inner_start);
void inv_free_model(struct inv_model *m);
/* Keep a parsed helper text (built-in defaults) alive with the model. */
int inv_add_snippet(struct inventory *inv, struct nix_file *f);
/* Does the source bind `lib` around the top level (so lib.mkForce may be written)? */
bool inv_lib_in_scope(const struct inventory *inv);

void inv_undo_free(struct inv_undo *u);
/* Give every diagnostic without an owner yet (those after the last one) this owner. */
void inv_owners_sync(struct inventory *inv, struct inv_owner o);
/* After diagnostics were dropped: "said once" forgets what is no longer said (a dropped
 * diagnostic that an update finds again is said again). */
void inv_diag_reseed(struct inventory *inv);
/* Sort the diagnostics (and their owners) into file order; ties by severity and text, so
 * the order does not depend on the order they were made in. */
void inv_sort_diags(struct inventory *inv);
/* Re-read parts of the model (incremental updates). The caller frees what was there. */
void inv_read_machine(struct inventory *inv, struct inv_machine *m, const struct nix_value *v);
void inv_read_config(struct inventory *inv, struct inv_machine *m, const struct nix_value *v);
void inv_read_instance(struct inventory *inv, struct inv_instance *in,
                       const struct nix_value *v);
void inv_free_machine_inv(struct inv_machine *m);   /* what inv_read_machine reads */
void inv_free_machine_cfg(struct inv_machine *m);   /* what inv_read_config reads */
void inv_free_instance(struct inv_instance *in);
void inv_free_member(struct inv_member *mb);
/* Throw the model away and read it again from the current tree (the fallback of an update). */
void inv_rebuild_model(struct inventory *inv);

/* Readers of the parts of one NixOS module (model.c), for sources.c's module walker:
 * cond is the lib.mkIf condition around them (NULL: none). */
void inv_read_state_set(struct inventory *inv, struct inv_machine *m,
                        const struct nix_value *states, const char *cond, struct inv_loc cl);
void inv_read_one_state(struct inventory *inv, struct inv_machine *m, const char *name,
                        struct inv_loc keyloc, const struct nix_value *v, const char *cond,
                        struct inv_loc cl);
void inv_read_postgresql(struct inventory *inv, struct inv_machine *m,
                         const struct nix_value *pg, const char *cond, struct inv_loc cl);
void inv_check_postgresql(struct inventory *inv, struct inv_machine *m);
void inv_sort_states(struct inv_machine *m);
void inv_config_opaque(struct inventory *inv, struct inv_machine *m, const struct nix_value *v);
struct inv_text inv_read_text(struct inventory *inv, const struct nix_value *v, const char *what);

/* ---- resolve.c ---- */
int inv_resolve(struct inventory *inv);
/* Resolve the members of instance i into *out (in role, then machine order); counts the
 * role tags' selections. */
int inv_resolve_instance(struct inventory *inv, size_t i, struct inv_member **out, size_t *n);
/* Fill a member of (instance i, role j, machine mi) when the machine belongs to the role:
 * 1 (filled), 0 (not a member), <0 ENOMEM. */
int inv_member_make(struct inventory *inv, size_t i, size_t j, size_t mi,
                    struct inv_member *mb);
/* The same when the caller knows: direct is its roles.<r>.machines entry (or NULL), nvia
 * how many of the role's tags select it (not both nothing). 0 or <0 ENOMEM. */
int inv_member_fill(struct inventory *inv, size_t i, size_t j, size_t mi,
                    const struct inv_role_entry *direct, size_t nvia, struct inv_member *mb);
bool inv_machine_has_tag(const struct inv_machine *m, const char *tag);
/* Pieces of inv_check_resolution, each with its owner. */
void inv_check_instance_roles(struct inventory *inv, size_t i);
void inv_check_tag_selection(struct inventory *inv);
void inv_check_member_conflicts(struct inventory *inv, const struct inv_member *mb);
void inv_free_eff(struct inv_eff *e);
/* Is there a conflict in e or below it? */
bool inv_eff_has_conflict(const struct inv_eff *e);
/* Diagnostics about roles, tags and merged settings. */
void inv_check_resolution(struct inventory *inv);

/* ---- plan.c ---- */
void inv_check_plan(struct inventory *inv);
/* The plan checks of the machines flagged in which[] (indexed by machine). */
void inv_check_plan_for(struct inventory *inv, const char *which);

/* ---- incremental.c ---- */
/* Bring the model up to date after ch was applied to inv->nix in place: re-read only what
 * lies under ch->changed, move every position, re-resolve and re-check what depends on it
 * (else the whole model is read again). *new_conflict: a member now has a conflicting
 * setting it did not have. 0, or <0 ENOMEM (then the model was read again). */
int inv_update(struct inventory *inv, const struct nix_change *ch, bool *new_conflict);
/* The same for a change of file `file` of a clan (inventory.json: its root is the inventory). */
int inv_update_file(struct inventory *inv, unsigned file, const struct nix_change *ch,
                    bool *new_conflict);
/* One line per conflicting setting of mb, "instance\x1frole\x1fmachine\x1fsettings.path\n"
 * (appended to out). */
void inv_member_conflicts(const struct inventory *inv, const struct inv_member *mb,
                          struct buf *out);
/* The first line of now that is not a line of before (*len: its length), or NULL. */
const char *inv_conflict_first_new(const struct buf *before, const struct buf *now,
                                   size_t *len);

/* ---- helpers ---- */
char *inv_strdup(const char *s);
char *inv_strndup(const char *s, size_t n);
char *inv_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* grow *v (element size sz) to hold n+1 elements; 0 or -ENOMEM */
int inv_grow(void *pv, size_t *cap, size_t n, size_t sz);
void inv_diag(struct inventory *inv, enum diag_severity sev, struct inv_loc loc,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));
bool inv_is_borgbackup(const struct inv_instance *in);

#endif
