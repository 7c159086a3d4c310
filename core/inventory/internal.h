/* Internals shared by the core/inventory sources. */
#ifndef CLAN_CORE_INVENTORY_INTERNAL_H
#define CLAN_CORE_INVENTORY_INTERNAL_H

#include "core/inventory.h"

/* name -> index, open addressing; names are borrowed. */
struct inv_index {
    const char **keys;
    size_t *vals;
    size_t cap, n;
};
int inv_index_put(struct inv_index *ix, const char *key, size_t val);
long inv_index_get(const struct inv_index *ix, const char *key);
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
    unsigned long id; /* identifies the text after this edit (for inventory_dirty) */
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

struct inventory {
    char *name;               /* path or name for diagnostics */
    bool has_file;
    struct file_stamp stamp;  /* of the file as read / last saved */

    struct nix_file *nix;
    struct nix_file **snippets; /* values read from inside lib.mkForce & co. */
    size_t nsnippets;
    const struct nix_value **snippet_roots; /* nix_file_root of each snippet */
    long *snippet_delta;                    /* offset of its text in the main source */
    struct inv_unwrap_cache unwrap;
    const struct nix_value *borg_defaults;
    struct inv_model model;
    struct inv_index machine_ix, instance_ix;
    struct diag_list diags;

    struct inv_undo *undo, *redo;
    size_t nundo, nredo;
    unsigned long next_id;  /* for the next applied edit */
    unsigned long saved_id; /* id of the text as read / last saved (0: as read) */
};

/* ---- model.c ---- */
/* Build everything for text into a fresh inventory (no file fields, no undo). */
int inv_build(const char *name, const char *text, size_t len, struct inventory **out,
              struct diag_list *diags);
/* Free what inv_build made (model, tree, diags, indexes); not the undo stacks. */
/* The same from a file parsed without any diagnostic (taken over, freed on failure). */
int inv_build_parsed(struct nix_file *f, struct inventory **out, struct diag_list *diags);
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

/* ---- resolve.c ---- */
int inv_resolve(struct inventory *inv);
void inv_free_eff(struct inv_eff *e);
/* Is there a conflict in e or below it? */
bool inv_eff_has_conflict(const struct inv_eff *e);
/* Diagnostics about roles, tags and merged settings. */
void inv_check_resolution(struct inventory *inv);

/* ---- plan.c ---- */
void inv_check_plan(struct inventory *inv);

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
