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

/* One node of the logical tree (its place in the source: nix_key_start & co. below). */
struct nix_value {
    enum nix_kind kind;
    bool implicit;             /* ATTRS created only by dotted keys (`a.b = 1;` makes a);
                                  once a literal `a = { ... };` joins, it is not implicit */
    char *name;               /* attribute name (decoded key), NULL for list items/root */
    struct nix_value *parent; /* NULL for the root */

    /* contents */
    struct nix_value **children; /* ATTRS: attributes in source order; LIST: elements */
    size_t nchildren;
    char *str;      /* STRING: decoded value; PATH: the path text; FLOAT: its text */
    union {         /* by kind: */
        int64_t ival; /* INT */
        double fval;  /* FLOAT */
        bool bval;    /* BOOL */
    };
};

/* Where a value is written, in its file as it is now (byte offsets: a file is under 4 GiB,
 * nix_parse refuses more; lines and columns 1-based, columns in bytes). Read from the file's
 * syntax tree and line table on each call (a local edit moves no value):
 *   key: the key segment of the first definition (0, 0 and line 0 when there is none);
 *   val: the value expression's source text; for ATTRS from a literal: from '{' to '}' (the
 *        wrapper is in wrap_start); for a LIST behind `with pkgs;`/let/parens: '[' to ']';
 *        for an implicit ATTRS: its first dotted binding, key to ';'; for an inherited
 *        attribute: the inherited name;
 *   wrap_start: the start of the wrapper (lambda, let, with, call, rec...), else val_start;
 *        [wrap_start, val_end) is the whole value. */
uint32_t nix_key_start(const struct nix_value *v);
uint32_t nix_key_end(const struct nix_value *v);
unsigned nix_key_line(const struct nix_value *v);
unsigned nix_key_col(const struct nix_value *v);
uint32_t nix_val_start(const struct nix_value *v);
uint32_t nix_val_end(const struct nix_value *v);
uint32_t nix_wrap_start(const struct nix_value *v);
unsigned nix_val_line(const struct nix_value *v);
unsigned nix_val_col(const struct nix_value *v);

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


/* ---- expression shapes ----
 * Static readers (core/clan) look inside what the logical tree keeps opaque -- calls such as
 * `lib.mkIf c { ... }` and `lib.mkMerge [ ... ]`, lists of modules, `import ./x.nix`,
 * `dir + "/x.nix"`, let-bound names -- as syntax, without evaluating anything. */
struct nix_span {
    size_t start, end; /* byte range in the file's text */
};
enum nix_shape_kind {
    NIX_SH_OTHER,
    NIX_SH_ATTRS,  /* a set literal */
    NIX_SH_LIST,   /* parts: the elements */
    NIX_SH_APPLY,  /* parts: the function, then each argument (f a b) */
    NIX_SH_PLUS,   /* parts: the operands of a + b + ... */
    NIX_SH_UPDATE, /* parts: the operands of a // b // ... */
    NIX_SH_PATH,   /* text: the path as written (NULL when interpolated) */
    NIX_SH_STRING, /* text: decoded (NULL when interpolated) */
    NIX_SH_VAR,    /* text: the name */
    NIX_SH_SELECT, /* text: the expression as written (a.b.c) */
    NIX_SH_LAMBDA, /* parts: the body */
    NIX_SH_WRAP,   /* let ... in, with e;, assert e; -- parts: the body */
    NIX_SH_IF,     /* parts: condition, then, else */
};
struct nix_shape {
    enum nix_shape_kind kind;
    struct nix_span span; /* the expression, parentheses removed */
    struct nix_span *parts;
    size_t nparts;
    char *text;
};
/* The shape of the expression whose source range is exactly s (parentheses around it looked
 * through); -ENOENT when no expression has that range. Free with nix_shape_free. */
int nix_shape_at(const struct nix_file *f, struct nix_span s, struct nix_shape *out);
void nix_shape_free(struct nix_shape *s);
/* The value bound to `name` by the innermost `let` (or `rec { }`) around offset `at`:
 * 0 and its range, or -ENOENT. */
int nix_let_binding(const struct nix_file *f, size_t at, const char *name, struct nix_span *out);
/* A file holding only the expression at s: f's text with every other byte blanked (line ends
 * kept), parsed, so offsets, lines and columns are f's and nix_file_root is the logical
 * value of that expression alone. */
int nix_file_view(const struct nix_file *f, struct nix_span s, struct nix_file **out,
                  struct diag_list *diags);

/* ---- JSON documents ----
 * Clan keeps part of its inventory in inventory.json, written by its Python CLI with
 * json.dump(data, f, indent=2) (no trailing newline). Such a file is read into the same
 * logical tree as a Nix file, with exact source positions, and edited losslessly.
 * core/nix/json.c; strict RFC 8259 by its own scanner (libyaml is YAML 1.1 and refuses
 * valid JSON: surrogate pairs, a newline before ':', keys over 1024 bytes, a leading tab). */

/* Parse JSON text (copied) into a nix_file whose logical tree mirrors it:
 *   object -> NIX_ATTRS (members in source order; name = the decoded key; key_start/key_end,
 *             key_line/key_col: the key's string token, quotes included)
 *   array -> NIX_LIST, string -> NIX_STRING (str: decoded, UTF-8), true/false -> NIX_BOOL,
 *   null -> NIX_NULL, an integer within int64 -> NIX_INT (ival), any other number (a
 *   fraction, an exponent, or an integer outside int64) -> NIX_FLOAT (fval: the nearest
 *   double, inf when out of range; str: the number's exact text).
 * val_start/val_end: the value's bytes ({...}, [...], "...", the literal); wrap_start =
 * val_start; val_line/val_col 1-based, columns in bytes. The root has no name, key 0,0.
 * nix_file_root/name/text/linecol/print/dump_tree work as on a Nix file (the CST is one root
 * holding the tokens); nix_file_has_errors and nix_file_has_diags are false; the nix_edit_*
 * functions refuse the file. nix_file_patch_local applies patches that lie strictly inside
 * the brackets of one object or array: that container is read again alone and spliced in
 * (changed: it; attrs_only false), when its new text is JSON within the nesting limit.
 * 0 and *out on success. Text that is not JSON gives -EINVAL and one diag (severity error)
 * "NAME:LINE:COL: what; expected what": single quotes, unquoted keys or text, comments,
 * trailing or missing commas, numbers JSON does not write (01, +1, .5, 1., NaN), YAML
 * (anchors, tags, block style, `---`), a duplicate key, anything after the value, a byte
 * order mark, bytes that are not UTF-8, raw control characters in strings, invalid escapes.
 * Also refused, though RFC 8259 lets them pass: \u0000 and lone surrogate escapes (the tree
 * holds C strings of valid UTF-8), nesting deeper than 1000 levels. -ENOMEM, -EFBIG (4 GiB). */
int nix_file_from_json(const char *name, const char *text, size_t len, struct nix_file **out,
                       struct diag_list *diags);
/* Was f made by nix_file_from_json? */
bool nix_file_is_json(const struct nix_file *f);

/* Edits of a JSON document: text patches on the original as the nix_edit_* functions make
 * them (nix_edit_apply, nix_edit_free, nix_edit_take_result work; `local` is false). Each
 * re-parses the patched text with nix_file_from_json, refuses (<0, a diag) when it would not
 * be valid JSON or would not read back as asked, and keeps that parse in out->result.
 * path: n decoded keys from the root (n == 0: the root itself, for set and the list edits).
 * json: the value as JSON text, written out the way Clan's writer writes it: strings as
 * json_quote_string gives them, numbers and literals as given, objects and arrays with one
 * member or element a line (`"key": value`, `{}`/`[]` when empty) indented as the
 * neighbours are (the file's indentation step, else 2 spaces, its line ending); inside a
 * one-line object or array, on one line (`{"a": 1, "b": [1, 2]}`). Every other byte is kept.
 * New members go after the last one of their object. */
/* Replace the value at path, or add the member, creating the objects missing on the way. */
int json_edit_set(struct nix_file *f, const char *const *path, size_t n, const char *json,
                  struct nix_edit *out, struct diag *d);
/* Remove the member at path with its comma and line; an object left empty becomes {}. */
int json_edit_delete(struct nix_file *f, const char *const *path, size_t n,
                     struct nix_edit *out, struct diag *d);
/* Array edits at path. append creates the array (as json_edit_set) when path is missing;
 * remove takes out the first element equal to json (strings compared decoded, numbers by
 * value, objects whatever their member order), and an array left empty becomes [];
 * replace sets element `index` (0-based). */
int json_edit_list_append(struct nix_file *f, const char *const *path, size_t n,
                          const char *json, struct nix_edit *out, struct diag *d);
int json_edit_list_remove(struct nix_file *f, const char *const *path, size_t n,
                          const char *json, struct nix_edit *out, struct diag *d);
int json_edit_list_replace(struct nix_file *f, const char *const *path, size_t n, size_t index,
                           const char *json, struct nix_edit *out, struct diag *d);
/* A JSON string literal for s (UTF-8) as Python's json.dumps writes it: \" \\ \n \r \t \b \f,
 * other control characters, DEL and everything outside ASCII as \uxxxx (lowercase hex, a
 * surrogate pair above U+FFFF). NULL when s is not valid UTF-8 (errno EINVAL) or memory runs
 * out. Caller frees. */
char *json_quote_string(const char *s);

/* Applications `f a ... z` whose function is a variable or a selection ending in one of
 * names (whole attribute names: "lib.clan" matches `clan-core.lib.clan`, not `mylib.clan`),
 * in source order: which name, the function's range, the last argument's and the call's.
 * *out: caller frees. */
struct nix_call {
    size_t name;
    struct nix_span fn, arg, call;
};
int nix_find_calls(const struct nix_file *f, const char *const *names, size_t nnames,
                   struct nix_call **out, size_t *n);

#endif
