/* Internals of the Nix syntax module, shared by the files of core/nix only. */
#ifndef CLAN_CORE_NIX_INT_H
#define CLAN_CORE_NIX_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/nix.h"

/* Deepest nesting the parser accepts; deeper input fails cleanly (no stack overflow). */
#define NIX_MAX_DEPTH 1000
/* More syntax errors than this in one file are summarised in one last diagnostic. */
#define NIX_MAX_ERRORS 200

/* ---- tokens: every byte of the input is in exactly one token ---- */
enum nix_tok {
    T_EOF,           /* zero width, last token */
    T_WS,            /* [ \t\r\n]+ */
    T_LINE_COMMENT,  /* #... up to (not including) the line end */
    T_BLOCK_COMMENT, /* slash-star ... star-slash */
    T_ID,
    T_INT,
    T_FLOAT,
    T_PATH,      /* ./a, a/b, /a, also the first piece of an interpolated path */
    T_HPATH,     /* ~/a */
    T_SPATH,     /* <nixpkgs> */
    T_URI,
    T_PATH_FRAG, /* a further literal piece of an interpolated path */
    T_PATH_END,  /* zero width: the path (and its interpolations) ended */
    T_DQUOTE_OPEN,
    T_DQUOTE_CLOSE,
    T_STR_TEXT,  /* raw text inside "..." (escapes undecoded) */
    T_IND_OPEN,  /* '' plus the spaces and newline it swallows */
    T_IND_CLOSE,
    T_IND_TEXT,  /* raw text inside ''...'' */
    T_IND_ESC,   /* ''$ ''' ''\X */
    T_DOLLAR_CURLY,
    /* keywords */
    T_IF, T_THEN, T_ELSE, T_ASSERT, T_WITH, T_LET, T_IN, T_REC, T_INHERIT, T_OR_KW,
    /* operators and punctuation */
    T_ELLIPSIS, T_EQ, T_NEQ, T_LEQ, T_GEQ, T_AND, T_OR, T_IMPL, T_UPDATE, T_CONCAT,
    T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_LPAREN, T_RPAREN, T_SEMI, T_COLON, T_COMMA,
    T_DOT, T_ASSIGN, T_QUESTION, T_AT, T_NOT, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_LT, T_GT,
    T_UNKNOWN, /* any other byte: no rule accepts it */
    T__COUNT
};

/* Tokens are contiguous, so a token ends where the next begins: the array ends with a
 * sentinel (at index ntoks, start = the text's length) and no length is stored (8 bytes a
 * token instead of 12: a 4 MB file has a million tokens). */
struct nix_token {
    uint32_t start;
    uint8_t kind;
};

/* Length of the token t (a pointer into f->toks). */
static inline uint32_t nix_tok_len(const struct nix_token *t)
{
    return t[1].start - t[0].start;
}

static inline bool nix_tok_trivia(int k)
{
    return k == T_WS || k == T_LINE_COMMENT || k == T_BLOCK_COMMENT;
}

/* ---- CST nodes ---- */
enum nix_nk {
    N_ROOT,
    N_ERROR,      /* tokens the parser skipped */
    N_LAMBDA,     /* ID ':' body | formals ['@' ID] ':' body | ID '@' formals ':' body */
    N_FORMALS,
    N_FORMAL,     /* ID ['?' default] */
    N_ASSERT,
    N_WITH,
    N_LET,        /* let binds in body */
    N_LEGACY_LET, /* let { binds } */
    N_IF,
    N_BINOP,      /* op = operator token kind */
    N_NOT,
    N_NEG,
    N_HASATTR,    /* expr ? attrpath */
    N_APPLY,      /* f arg */
    N_SELECT,     /* expr . attrpath [or default] */
    N_CURSED_OR,  /* expr or: application of the variable `or` */
    N_VAR,
    N_INT,
    N_FLOAT,
    N_STRING,     /* "..." */
    N_INDSTRING,  /* ''...'' */
    N_PATH,       /* path, possibly interpolated */
    N_SPATH,
    N_URI,
    N_PAREN,
    N_ATTRSET,    /* flags NF_REC for rec { } */
    N_LIST,
    N_BINDING,    /* attrpath = expr ; */
    N_INHERIT,    /* inherit [(expr)] names ; */
    N_ATTRPATH,
    N_ATTR_ID,    /* ID or `or` as an attribute name */
    N_ATTR_STR,   /* "..." as an attribute name (child: N_STRING) */
    N_ATTR_DYN,   /* ${ expr } as an attribute name */
    N_INTERP,     /* ${ expr } inside a string or path */
    N__COUNT
};

#define NF_REC 1u

struct nix_node {
    uint8_t kind;
    uint8_t op;     /* N_BINOP: token kind of the operator */
    uint8_t flags;
    uint32_t tok_start, tok_end; /* [start, end) in the token array */
    uint32_t first_child, last_child, next_sibling; /* node indices, NIX_NONE if none */
};

#define NIX_NONE UINT32_MAX

/* ---- arena: bump allocator freed all at once ---- */
struct nix_arena_chunk;
struct nix_arena {
    struct nix_arena_chunk *head;
    size_t first; /* bytes of the first chunk (0: 64 KiB); later chunks double */
};
/* A first-chunk size for the arenas of a file of len bytes: a small file (a machine's
 * configuration.nix) must not cost 64 KiB of memory twice over. */
size_t nix_arena_first_for(size_t len);
void *nix_arena_alloc(struct nix_arena *a, size_t size);
/* The link to the next chunk (to hand chunks from one arena over to another). */
struct nix_arena_chunk **nix_arena_next(struct nix_arena_chunk *c);
char *nix_arena_strndup(struct nix_arena *a, const char *s, size_t n);
void nix_arena_free(struct nix_arena *a);

/* Internal view of a logical value: the public struct plus where it is defined. */
struct nix_def {
    uint32_t node;  /* N_BINDING or N_INHERIT (or N_ATTRSET for an ATTRS literal's own set) */
    uint32_t seg;   /* index of the attrpath segment that reaches the value (bindings) */
    uint32_t name_node; /* N_INHERIT: the name node inherited */
};
struct nix_ivalue {
    struct nix_value pub;
    struct nix_file *file; /* where it is written (its positions are read from there) */
    uint32_t node;      /* the value's CST node after unwrapping (NIX_NONE for implicit) */
    uint32_t lit;       /* ATTRS: the N_ATTRSET literal (first one), else NIX_NONE */
    union {
        struct {              /* a Nix file: positions are its nodes' */
            uint32_t key_node;  /* the key segment (NIX_NONE: no key) */
            uint32_t wrap_node; /* the whole value, wrappers included; an implicit ATTRS:
                                   its first binding (NIX_NONE: none, positions 0) */
        };
        struct {              /* a JSON document (json): byte offsets, moved by its edits */
            uint32_t ks, ke, vs, ve;
        } js;
    };
    /* defs[0 .. ndefs): while there is one, defs points at def0 (most values have exactly
     * one definition: no array of its own); a struct copy of a value must re-point it */
    struct nix_def def0;
    bool mergeable;     /* ATTRS that Nix would merge (a literal or an implicit set) */
    bool inherited;
    bool json;          /* read from a JSON document: positions in js */
    uint32_t ndefs, capdefs;
    uint32_t nlits, caplits; /* lits: every literal set that contributes (in source order) */
    uint32_t capchildren;
    uint32_t hcap;      /* name index for large sets: hidx[hcap] */
    struct nix_def *defs;
    uint32_t *lits;
    uint32_t *hidx;
};

struct nix_file {
    char *name;
    char *text;
    size_t len, captext;
    struct nix_token *toks;
    size_t ntoks, captoks;
    struct nix_node *nodes;
    size_t nnodes, capnodes;
    uint32_t root;      /* N_ROOT */
    uint32_t expr;      /* top-level expression node, NIX_NONE if none */
    uint32_t *lines;    /* byte offset of the start of each line (built on first use) */
    size_t nlines, caplines;
    bool has_errors;
    bool has_diags;     /* the parse reported a diagnostic (warnings included) */
    struct nix_arena arena;       /* decoded names for checks */
    struct nix_arena tree_arena;  /* the logical tree */
    struct nix_ivalue *tree;      /* built on demand */
    size_t pos_hint;              /* the line last found for a value's position (a cursor) */
    unsigned long nvisits;        /* logical values local edits looked at or changed (tests:
                                     an edit's share must not grow with the file) */
    bool tree_built;
    struct nix_local *kept;       /* a local edit checked, not applied yet (splice.c) */
};

/* Grow an array of elem-sized items to at least want (cst.c); free it with its capacity. */
int nix_big_grow(void **p, size_t *cap, size_t elem, size_t want);
void nix_big_free(void *p, size_t cap, size_t elem);

/* lexer.c: tokenize the whole text into f->toks. Errors found by the lexer alone (path
 * with a trailing slash) go to diags. Returns 0 or -ENOMEM. */
int nix_lex(struct nix_file *f, struct diag_list *diags);
const char *nix_tok_name(int kind);
bool nix_tok_kind_is_keyword(int kind);

/* quote.c: decoding of literals. */
/* Decode the value of a "..." string node without interpolation; NULL if interpolated. */
char *nix_decode_string(const struct nix_file *f, uint32_t node, struct nix_arena *a);
/* A "..." string without interpolation or escapes: its text in the source. */
bool nix_string_plain(const struct nix_file *f, uint32_t node, const char **s, size_t *n);
/* Decode an indented string node without interpolation (indentation stripped). */
char *nix_decode_indstring(const struct nix_file *f, uint32_t node, struct nix_arena *a);
/* The static name of an attribute-name node (N_ATTR_ID/STR/DYN), or NULL if dynamic. */
char *nix_attr_name(const struct nix_file *f, uint32_t node, struct nix_arena *a);
bool nix_is_keyword(const char *s, size_t n);

/* nix_file_linecol with a cursor: fast when offsets come in (roughly) ascending order. */
void nix_linecol_hint(const struct nix_file *f, size_t offset, size_t *hint, unsigned *line,
                      unsigned *col);

/* node helpers (cst.c) */
static inline const struct nix_node *nix_n(const struct nix_file *f, uint32_t i)
{
    return &f->nodes[i];
}
/* Byte range of a node (from its first to its last token). */
size_t nix_node_start(const struct nix_file *f, uint32_t n);
size_t nix_node_end(const struct nix_file *f, uint32_t n);
/* Unwrap parentheses. */
uint32_t nix_unparen(const struct nix_file *f, uint32_t n);
/* The i-th child (NIX_NONE if missing), and the number of children. */
uint32_t nix_child(const struct nix_file *f, uint32_t n, unsigned i);
unsigned nix_nchildren(const struct nix_file *f, uint32_t n);
const char *nix_node_kind_name(int kind);

/* parser.c: fills the nodes; static checks included. */
int nix_parse_tokens(struct nix_file *f, struct diag_list *diags);
/* parser.c: parse the tokens as exactly one binding `attrpath = expr ;` of a binds block
 * (of a let when is_let), as parse_binds would with `depth` levels of nesting around it
 * (its own duplicate checks included). Node 0 is N_ROOT, *bind the binding (NIX_NONE when
 * the tokens do not start one). 0 or -ENOMEM; syntax errors go to diags. */
int nix_parse_binding(struct nix_file *f, struct diag_list *diags, bool is_let, unsigned depth,
                      uint32_t *bind);

/* parser.c: parse the tokens as the bindings of a set literal's interior (0..n of them, as
 * parse_binds would with `depth` levels of nesting around them, duplicate checks among
 * them included): they are the children of node 0 (N_ROOT); what is not a binding or an
 * inherit, or a '}', is a syntax error. 0 or -ENOMEM; syntax errors go to diags. */
int nix_parse_binds(struct nix_file *f, struct diag_list *diags, unsigned depth);

/* attrtree.c: the logical value of the expression `node`, built from a as the builder
 * builds the value of an attribute defined once (name, key and defs left empty); NULL when
 * memory runs out. */
struct nix_ivalue *nix_tree_build(struct nix_file *f, struct nix_arena *a, uint32_t node);
/* attrtree.c: an attribute set holding what the bindings among the children of node
 * `parent` define, built as the builder builds a set's attributes (NULL: out of memory). */
struct nix_ivalue *nix_tree_build_binds(struct nix_file *f, struct nix_arena *a, uint32_t parent);
/* The size of the name index the builder gives a set of n attributes (0: none), and the
 * index of v's children built in table (cap entries; NULL: v gets none). */
size_t nix_tree_index_cap(size_t nchildren);
void nix_tree_index(struct nix_ivalue *v, uint32_t *table, size_t cap);
/* Take child i out of v's name index (v->children[i] still there), or put it in (room for
 * it is there): a change at the end of a large set leaves the other entries. */
void nix_tree_index_remove(struct nix_ivalue *v, size_t i);
void nix_tree_index_add(struct nix_ivalue *v, size_t i);

/* splice.c: a local edit, checked (nix_local_check: 1 when local, 0 not, <0 ENOMEM; f
 * unchanged but for its logical tree, built when it was not) and then applied
 * (nix_local_apply, the same f and patches; 1, or <0 with f unchanged). */
struct nix_local {
    struct nix_file *frag;       /* the binding's new text, parsed alone */
    uint32_t bind;               /* the binding in frag */
    uint32_t node;               /* the binding in f */
    struct nix_ivalue *value;    /* the logical value it defines in f (its only def), or
                                    NULL: the binding is not in the logical tree at all */
    struct nix_ivalue *after;    /* that value as frag gives it (frag's offsets) */
    size_t lo, hi;               /* the patched range of f */
    /* the second form: whole bindings inserted into (or deleted from) the set literal
     * `node` of the logical value `value` (its only literal, nothing merged into it): the
     * text between the items around the patches re-parsed alone as 0..n bindings; `after`
     * is a set of the attributes they define (frag's offsets) */
    bool attrs;
    uint32_t prev, next;         /* the items kept around the span (NIX_NONE: '{', '}') */
    uint32_t ts, te;             /* the span's tokens [ts, te) in f */
    size_t ss, se;               /* its bytes */
    size_t at, ndel;             /* value's children [at, at + ndel) are deleted, the new
                                    ones go at `at` */
    struct nix_patch *v;         /* nix_local_keep: a copy of the patches */
    size_t n;
};
int nix_local_check(struct nix_file *f, const struct nix_patch *v, size_t n, struct nix_local *l);
/* The same with a choice of forms (tests, fuzzing): NIX_LOCAL_BINDING, NIX_LOCAL_ATTRS. */
#define NIX_LOCAL_BINDING 1
#define NIX_LOCAL_ATTRS 2
int nix_local_check_forms(struct nix_file *f, const struct nix_patch *v, size_t n,
                          struct nix_local *l, int forms);
/* Keep a successful check (taken from l) for nix_file_patch_local with the same patches:
 * the file holds one until it changes or another is kept (nothing kept when memory runs
 * out). */
void nix_local_keep(struct nix_file *f, struct nix_local *l, const struct nix_patch *v, size_t n);
int nix_local_apply(struct nix_file *f, struct nix_local *l, struct nix_change *ch);
void nix_local_free(struct nix_local *l);
/* Tests and fuzzing: a listing of the whole logical tree (every public field); the
 * comparison of two files (text, printed tree, tree listing, logical tree, definitions,
 * flags, line table): 0 same, 1 different (why says what), <0 ENOMEM. */
int nix_tree_dump(struct nix_file *f, struct buf *out);
int nix_file_compare(struct nix_file *a, struct nix_file *b, struct buf *why);

#endif
