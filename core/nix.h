/* Lossless Nix syntax: parser, concrete syntax tree, printer, the logical attribute-path
 * view and text edits. Every byte of the input belongs to exactly one token, so printing
 * the tree gives the input back byte for byte, valid or not.
 *
 * This header is the contract core/inventory builds on; core/nix/ implements it. */
#ifndef CLAN_CORE_NIX_H
#define CLAN_CORE_NIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"

struct nix_file; /* source text + CST; owns the text */
struct nix_node; /* a CST node (opaque) */

/* ---- parsing and printing ---- */

/* Parse `text` (copied). `name` is used in diagnostics (FILE:LINE:COL).
 * Returns 0 when a tree was built -- always, for any input, unless memory runs out
 * (<0, with a diag in diags). Syntax errors, and what Nix rejects at parse time besides
 * unbound variables, go to diags (severity error); *out is still a full lossless tree of
 * everything. Nesting deeper than 1000 levels is one such error (what is nested deeper
 * is kept, unparsed, in an error node); a NUL byte ends the input as in Nix (a warning). */
int nix_parse(const char *name, const char *text, size_t len, struct nix_file **out,
              struct diag_list *diags);
void nix_file_free(struct nix_file *f);

const char *nix_file_name(const struct nix_file *f);
const char *nix_file_text(const struct nix_file *f, size_t *len);
/* Did the parse report errors? */
bool nix_file_has_errors(const struct nix_file *f);
/* Reprint the source from the tree (byte-identical to the input). */
int nix_file_print(const struct nix_file *f, struct buf *out);
/* Print the CST as an indented listing (for `clan-tui nix parse --tree`). */
int nix_file_dump_tree(const struct nix_file *f, struct buf *out);
/* 1-based line and column (in bytes) of a byte offset. */
void nix_file_linecol(const struct nix_file *f, size_t offset, unsigned *line, unsigned *col);

/* ---- the logical attribute tree ----
 * Dotted keys and nested attrset literals (and mixtures) denote one logical tree:
 * `a.b = 1; a = { c = 2; };` gives a = { b = 1; c = 2; }. Wrappers are looked through:
 * lambdas (`{ config, ... }: { ... }`, `x: { ... }`), `let ... in`, `with e;`, `assert`,
 * parentheses, and a call whose last argument is an attrset literal
 * (`clan-core.lib.clan { ... }`). Values that are not literals are OPAQUE leaves that keep
 * their source text. `true`/`false`/`null` read as BOOL/NULL. */
enum nix_kind {
    NIX_ATTRS,  /* a logical attribute set (literal, wrapped, or implied by dotted keys) */
    NIX_LIST,
    NIX_STRING, /* "..." or ''...'' without interpolation: `str` holds the decoded value */
    NIX_INT,
    NIX_FLOAT,
    NIX_BOOL,
    NIX_NULL,
    NIX_PATH,
    NIX_OPAQUE, /* anything else: calls, variables, interpolated strings, `//`, ... */
};

/* One node of the logical tree. Ranges are byte offsets into the source. */
struct nix_value {
    enum nix_kind kind;
    char *name;               /* attribute name (decoded key), NULL for list items/root */
    struct nix_value *parent; /* NULL for the root */

    /* where it is defined */
    size_t key_start, key_end; /* the key segment of the first definition (0,0 if none) */
    unsigned key_line, key_col;
    bool implicit;             /* ATTRS created only by dotted keys (`a.b = 1;` makes a);
                                  once a literal `a = { ... };` joins, it is not implicit */
    size_t val_start, val_end; /* the value expression's source text; for ATTRS from a
                                  literal: from '{' to '}' (the wrapper is in wrap_start);
                                  for a LIST behind `with pkgs;`/let/parens: '[' to ']';
                                  for an implicit ATTRS: its first dotted binding, key to
                                  ';'; for an inherited attribute: the inherited name */
    size_t wrap_start;         /* start of the wrapper (lambda, let, with, call, rec...),
                                  else = val_start; [wrap_start, val_end) is the whole value */
    unsigned val_line, val_col;

    /* contents */
    struct nix_value **children; /* ATTRS: attributes in source order; LIST: elements */
    size_t nchildren;
    char *str;      /* STRING: decoded value; PATH: the path text */
    int64_t ival;   /* INT */
    double fval;    /* FLOAT */
    bool bval;      /* BOOL */
};

/* Build the logical tree of the whole file (the root is the top-level attrset after
 * unwrapping; kind OPAQUE when the file is not an attrset). The tree stays valid until
 * nix_file_free. Conflicts in the tree (a duplicate attribute) are reported by nix_parse. */
const struct nix_value *nix_file_root(struct nix_file *f);
/* Child of an ATTRS node by name, or NULL. */
const struct nix_value *nix_value_get(const struct nix_value *v, const char *name);
/* Follow a path of decoded names from v; NULL if any step is missing or not ATTRS. */
const struct nix_value *nix_value_lookup(const struct nix_value *v, const char *const *path,
                                         size_t n);
/* "an attribute set", "a list", "a string", ... for messages. */
const char *nix_kind_name(enum nix_kind k);
/* Parse "a.b.\"c-d\"" into decoded segments (caller frees each and the array). */
int nix_attrpath_split(const char *s, char ***segs, size_t *n, struct diag *d);

/* ---- edits ----
 * An edit is a set of non-overlapping text patches on the original source. Every edit
 * function re-parses the patched text and refuses (<0, diag) when the result would not
 * parse, would bind a name twice, or the path does not fit the file's shape. */
struct nix_patch {
    size_t start, end; /* replace [start, end) of the original text ... */
    char *text;        /* ... with this */
};
struct nix_edit {
    struct nix_patch *v;
    size_t n;
    /* The patched text as the edit function parsed it to check it, kept when that parse
     * gave no diagnostic at all (else NULL); owned by the edit, freed by nix_edit_free.
     * Saves a caller that goes on with the new text a second parse. */
    struct nix_file *result;
    /* Set when the edit was checked locally (see nix_file_patch_local below) instead of by
     * a parse of the whole text: then result is NULL, and nix_file_patch_local(f, v, n)
     * will apply it. */
    bool local;
};

/* Set the value at path to `expr` (Nix source text). Replaces only the value's bytes
 * when it exists; otherwise inserts `rest.of.path = expr;` into the deepest existing
 * literal attrset on the path, matching the neighbours' indentation and line endings. */
int nix_edit_set(struct nix_file *f, const char *const *path, size_t n, const char *expr,
                 struct nix_edit *out, struct diag *d);
/* Delete the binding of path (with its line when it stands alone on it). */
int nix_edit_delete(struct nix_file *f, const char *const *path, size_t n,
                    struct nix_edit *out, struct diag *d);
/* List edits at path (which must be a list literal; append creates the list when the
 * path does not exist). Elements are matched by their source text or, for strings, by
 * their decoded value. index is 0-based; insert at index == count appends. */
int nix_edit_list_append(struct nix_file *f, const char *const *path, size_t n,
                         const char *expr, struct nix_edit *out, struct diag *d);
int nix_edit_list_insert(struct nix_file *f, const char *const *path, size_t n, size_t index,
                         const char *expr, struct nix_edit *out, struct diag *d);
int nix_edit_list_remove(struct nix_file *f, const char *const *path, size_t n,
                         const char *expr, struct nix_edit *out, struct diag *d);
int nix_edit_list_replace(struct nix_file *f, const char *const *path, size_t n, size_t index,
                          const char *expr, struct nix_edit *out, struct diag *d);
/* Apply to the file's text: *out (NUL-terminated, caller frees). */
int nix_edit_apply(const struct nix_file *f, const struct nix_edit *e, char **out,
                   size_t *outlen);
void nix_edit_free(struct nix_edit *e);
/* Take e->result (NULL if none): the caller owns it and frees it with nix_file_free. */
struct nix_file *nix_edit_take_result(struct nix_edit *e);

/* ---- local edits in place ----
 * A small edit (a tag in a list, a setting of one machine) changes a few bytes of a large
 * file: it is applied to the tree in place, re-parsing only the innermost binding that holds
 * every patch, instead of the whole file. Applied only when the result is exactly what
 * nix_parse of the patched text would give (same tokens, same tree, same logical tree) and
 * that parse would report no diagnostic at all; otherwise nothing changes and the caller
 * re-parses the whole text. */
struct nix_change {
    /* [start, old_end) of the old text became [start, new_end) of the new one */
    size_t start, old_end, new_end;
    /* line/col (1-based) of old_end in the old text and of new_end in the new one: a
     * position at or after old_end moves to offset + new_end - old_end, line + new_line -
     * old_line, and, on old_line itself, col + new_col - old_col */
    unsigned old_line, old_col, new_line, new_col;
    /* The logical value that was rebuilt (NULL when the logical tree was not built yet).
     * It keeps its address, name, parent and key; its contents are new, and so is every
     * value below it. Every other value keeps its address and its contents, positions
     * moved as above. */
    const struct nix_value *changed;
    /* Set when the edit only added or removed whole attributes of the attribute set
     * `changed` (bindings inserted between, or deleted from among, its others): then its
     * other children keep their addresses and contents (positions moved as above), and
     * only the added ones are new. */
    bool attrs_only;
};
/* Map a position of the old text through a change (offsets before start are kept). */
size_t nix_change_offset(const struct nix_change *c, size_t off);
void nix_change_linecol(const struct nix_change *c, unsigned *line, unsigned *col);

/* Apply the patches (sorted, not overlapping; their texts hold no NUL byte) to f in place.
 * 1: applied (*ch describes it); 0: not a local edit, f untouched (re-parse the patched
 * text); <0: out of memory, f untouched. Never applied when f itself has diagnostics. */
int nix_file_patch_local(struct nix_file *f, const struct nix_patch *v, size_t n,
                         struct nix_change *ch);
/* Did the parse of f report any diagnostic (warnings included)? */
bool nix_file_has_diags(const struct nix_file *f);

/* ---- quoting ---- */
/* A Nix string literal for s: "..." with \ " ${ and control characters escaped. */
char *nix_quote_string(const char *s);
/* An attribute key: bare when it is a valid identifier (and not a keyword), else quoted. */
char *nix_quote_key(const char *s);

#endif
