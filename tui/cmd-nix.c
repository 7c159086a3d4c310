/* clan-tui nix: parse, print and edit Nix files losslessly (core/nix). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/nix.h"
#include "core/util.h"
#include "tui/cli.h"

static const char usage_text[] =
    "Usage: clan-tui nix parse FILE [--roundtrip | --tree]\n"
    "       clan-tui nix get FILE ATTRPATH\n"
    "       clan-tui nix set FILE ATTRPATH EXPR [--dry-run]\n"
    "       clan-tui nix del FILE ATTRPATH [--dry-run]\n"
    "       clan-tui nix append FILE ATTRPATH EXPR [--dry-run]\n"
    "       clan-tui nix remove FILE ATTRPATH EXPR [--dry-run]\n"
    "\n"
    "Read and edit a Nix file without disturbing its comments and layout.\n"
    "\n"
    "  parse    exit 0 when Nix accepts the syntax, 1 with FILE:LINE:COL diagnostics\n"
    "           --roundtrip  print the text reprinted from the syntax tree\n"
    "           --tree       print the concrete syntax tree\n"
    "  get      print the source text of the value at ATTRPATH (a.b.\"c-d\")\n"
    "  set      set ATTRPATH to the Nix expression EXPR (inserted when missing)\n"
    "  del      delete the attribute at ATTRPATH\n"
    "  append   append EXPR to the list at ATTRPATH (created when missing)\n"
    "  remove   remove the elements equal to EXPR from the list at ATTRPATH\n"
    "\n"
    "Edits are re-parsed before they are written; the file is replaced atomically and\n"
    "never when it changed on disk meanwhile. --dry-run prints a unified diff instead.\n";

static int load(const char *path, char **text, size_t *len, struct file_stamp *st,
                struct nix_file **f, bool show_diags)
{
    struct diag d = {0};
    if (file_read(path, text, len, st, &d) < 0) {
        cli_print_diag(stderr, &d);
        diag_clear(&d);
        return 1;
    }
    struct diag_list dl = {0};
    int r = nix_parse(path, *text, *len, f, &dl);
    if (show_diags || r < 0)
        cli_print_diags(stderr, &dl);
    diag_list_free(&dl);
    if (r < 0) {
        free(*text);
        return 1;
    }
    return 0;
}

/* Parse a file mapped with its pages read in at once (a large file parses noticeably
 * faster than after a read() into fresh memory, which faults page by page). */
static int load_mapped(const char *path, struct nix_file **f)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        if (fd >= 0)
            close(fd);
        return -1; /* file_read reports it, or handles the empty file */
    }
    size_t len = (size_t)st.st_size;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    struct diag_list dl = {0};
    int r = nix_parse(path, m, len, f, &dl);
    munmap(m, len);
    cli_print_diags(stderr, &dl);
    diag_list_free(&dl);
    return r < 0 ? 1 : 0;
}

static int do_parse(const char *path, int mode)
{
    char *text = NULL;
    size_t len;
    struct nix_file *f;
    int lr = load_mapped(path, &f);
    if (lr > 0)
        return 1;
    if (lr < 0 && load(path, &text, &len, NULL, &f, true))
        return 1;
    int rc = nix_file_has_errors(f) ? 1 : 0;
    if (mode) {
        struct buf b = {0};
        int r = mode == 1 ? nix_file_print(f, &b) : nix_file_dump_tree(f, &b);
        if (r < 0) {
            fprintf(stderr, "clan-tui: nix parse: out of memory\n");
            rc = 1;
        } else if (cli_write_stdout(b.p ? b.p : "", b.len)) {
            rc = 1;
        }
        buf_free(&b);
    }
    nix_file_free(f);
    free(text);
    return rc;
}

static void free_segs(char **segs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
}

/* The source of a value; attribute sets defined (also) by dotted keys outside their
 * literal are spelled out from their parts. */
static bool spread(const struct nix_value *v)
{
    if (v->kind != NIX_ATTRS)
        return false;
    if (v->implicit)
        return true;
    for (size_t i = 0; i < v->nchildren; i++)
        if (nix_key_start(v->children[i]) < nix_val_start(v) ||
            nix_key_start(v->children[i]) >= nix_val_end(v))
            return true;
    return false;
}

static void put_value(const char *text, const struct nix_value *v, struct buf *out)
{
    if (spread(v)) {
        buf_puts(out, "{ ");
        for (size_t i = 0; i < v->nchildren; i++) {
            char *k = nix_quote_key(v->children[i]->name);
            buf_printf(out, "%s = ", k ? k : "?");
            free(k);
            put_value(text, v->children[i], out);
            buf_puts(out, "; ");
        }
        buf_puts(out, "}");
        return;
    }
    buf_append(out, text + nix_wrap_start(v), nix_val_end(v) - nix_wrap_start(v));
}

static int do_get(const char *path, const char *attrpath)
{
    char **segs;
    size_t n;
    struct diag d = {0};
    if (nix_attrpath_split(attrpath, &segs, &n, &d) < 0) {
        fprintf(stderr, "clan-tui: nix get: %s\n", d.msg);
        diag_clear(&d);
        return 2;
    }
    char *text;
    size_t len;
    struct nix_file *f;
    if (load(path, &text, &len, NULL, &f, true)) {
        free_segs(segs, n);
        return 1;
    }
    const struct nix_value *v = nix_value_lookup(nix_file_root(f), (const char *const *)segs, n);
    int rc = 0;
    if (!v) {
        fprintf(stderr, "%s: error: no attribute '%s'\n", path, attrpath);
        rc = 1;
    } else {
        struct buf b = {0};
        put_value(text, v, &b);
        buf_putc(&b, '\n');
        rc = cli_write_stdout(b.p, b.len);
        buf_free(&b);
    }
    nix_file_free(f);
    free(text);
    free_segs(segs, n);
    return rc;
}

enum op { OP_SET, OP_DEL, OP_APPEND, OP_REMOVE };

static int do_edit(const char *cmd, enum op op, const char *path, const char *attrpath,
                   const char *expr, bool dry)
{
    char **segs;
    size_t n;
    struct diag d = {0};
    if (nix_attrpath_split(attrpath, &segs, &n, &d) < 0) {
        fprintf(stderr, "clan-tui: nix %s: %s\n", cmd, d.msg);
        diag_clear(&d);
        return 2;
    }
    char *text;
    size_t len;
    struct file_stamp st;
    struct nix_file *f;
    if (load(path, &text, &len, &st, &f, true)) {
        free_segs(segs, n);
        return 1;
    }
    const char *const *p = (const char *const *)segs;
    struct nix_edit ed = {0};
    int r;
    switch (op) {
    case OP_SET: r = nix_edit_set(f, p, n, expr, &ed, &d); break;
    case OP_DEL: r = nix_edit_delete(f, p, n, &ed, &d); break;
    case OP_APPEND: r = nix_edit_list_append(f, p, n, expr, &ed, &d); break;
    default: r = nix_edit_list_remove(f, p, n, expr, &ed, &d); break;
    }
    int rc = 0;
    char *out = NULL;
    size_t outlen = 0;
    if (r < 0) {
        cli_print_diag(stderr, &d);
        rc = 1;
    } else if (nix_edit_apply(f, &ed, &out, &outlen) < 0) {
        fprintf(stderr, "clan-tui: nix %s: cannot apply the edit\n", cmd);
        rc = 1;
    } else if (dry) {
        struct buf b = {0};
        if (diff_unified(text, len, out, outlen, path, path, 3, &b) < 0)
            rc = 1;
        else
            rc = cli_write_stdout(b.p ? b.p : "", b.len);
        buf_free(&b);
    } else if (file_write_atomic(path, out, outlen, 0644, &st, &d) < 0) {
        cli_print_diag(stderr, &d);
        rc = 1;
    }
    free(out);
    nix_edit_free(&ed);
    diag_clear(&d);
    nix_file_free(f);
    free(text);
    free_segs(segs, n);
    return rc;
}

int cmd_nix(int argc, char **argv)
{
    const char *pos[4];
    int npos = 0, mode = 0;
    bool dry = false, dashdash = false;
    if (argc < 2)
        return cli_usage_error("nix", "missing subcommand (parse, get, set, del, append, remove)");
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        fputs(usage_text, stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && a[0] == '-' && a[1] == '-') {
            if (!strcmp(a, "--")) dashdash = true;
            else if (!strcmp(a, "--help")) { fputs(usage_text, stdout); return 0; }
            else if (!strcmp(a, "--dry-run")) dry = true;
            else if (!strcmp(a, "--roundtrip")) mode = mode ? -1 : 1;
            else if (!strcmp(a, "--tree")) mode = mode ? -1 : 2;
            else return cli_usage_error("nix", "unknown option '%s'", a);
            continue;
        }
        if (npos == 4)
            return cli_usage_error("nix", "too many arguments");
        pos[npos++] = a;
    }
    if (mode < 0)
        return cli_usage_error("nix", "--roundtrip and --tree exclude each other");
    if (!strcmp(sub, "parse")) {
        if (npos != 1 || dry)
            return cli_usage_error("nix", "usage: nix parse FILE [--roundtrip | --tree]");
        return do_parse(pos[0], mode);
    }
    if (mode)
        return cli_usage_error("nix", "--roundtrip and --tree belong to 'nix parse'");
    if (!strcmp(sub, "get")) {
        if (npos != 2 || dry)
            return cli_usage_error("nix", "usage: nix get FILE ATTRPATH");
        return do_get(pos[0], pos[1]);
    }
    if (!strcmp(sub, "del")) {
        if (npos != 2)
            return cli_usage_error("nix", "usage: nix del FILE ATTRPATH [--dry-run]");
        return do_edit(sub, OP_DEL, pos[0], pos[1], NULL, dry);
    }
    enum op op;
    if (!strcmp(sub, "set")) op = OP_SET;
    else if (!strcmp(sub, "append")) op = OP_APPEND;
    else if (!strcmp(sub, "remove")) op = OP_REMOVE;
    else return cli_usage_error("nix", "unknown subcommand '%s'", sub);
    if (npos != 3)
        return cli_usage_error("nix", "usage: nix %s FILE ATTRPATH EXPR [--dry-run]", sub);
    return do_edit(sub, op, pos[0], pos[1], pos[2], dry);
}
