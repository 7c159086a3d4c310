/* A clan of several files, read the way Clan assembles it, without evaluating Nix:
 * flake.nix's clan call (clan-core.lib.clan / lib.buildClan) or flake-parts module
 * (`clan = { ... }`, `flake.clan`), the clan modules they import, inventory.json, the
 * machines/<name>/ directories, and every machine's NixOS modules (machines.<name> of the
 * clan modules, machines/<name>/{configuration,hardware-configuration,disko}.nix) with
 * everything they import. Inside NixOS modules: clan.core.state, clan.core.postgresql and
 * clan.core.networking.targetHost, flat, under `config`, inside lib.mkMerge [ ... ] or
 * lib.mkIf COND { ... } (the condition kept). See core/clan.h for how the directory is
 * found. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clan.h"
#include "core/inventory/internal.h"

/* ---- the clan's files ---- */


const struct inv_tree *inv_clan_tree(const struct inv_clan *c, const struct nix_value *root)
{
    if (!c || !c->captrees)
        return NULL;
    for (size_t j = inv_ptr_hash(root) & (c->captrees - 1);; j = (j + 1) & (c->captrees - 1)) {
        if (!c->trees[j].root)
            return NULL;
        if (c->trees[j].root == root)
            return &c->trees[j];
    }
}

static int add_tree(struct inv_clan *c, struct nix_file *nix, unsigned file)
{
    const struct nix_value *root = nix_file_root(nix);
    if (!root)
        return -ENOMEM;
    if ((c->ntrees + 1) * 2 > c->captrees) {
        size_t nc = c->captrees ? c->captrees * 2 : 64;
        struct inv_tree *nt = calloc(nc, sizeof(*nt));
        if (!nt)
            return -ENOMEM;
        for (size_t i = 0; i < c->captrees; i++) {
            if (!c->trees[i].root)
                continue;
            size_t j = inv_ptr_hash(c->trees[i].root) & (nc - 1);
            while (nt[j].root)
                j = (j + 1) & (nc - 1);
            nt[j] = c->trees[i];
        }
        free(c->trees);
        c->trees = nt;
        c->captrees = nc;
    }
    size_t j = inv_ptr_hash(root) & (c->captrees - 1);
    while (c->trees[j].root)
        j = (j + 1) & (c->captrees - 1);
    c->trees[j] = (struct inv_tree){root, nix, file};
    c->ntrees++;
    return 0;
}

/* Keep a string alive as long as the clan (an index key): 0, or -ENOMEM (s freed). */
static int inv_clan_keep(struct inv_clan *c, char *s)
{
    char **nk = realloc(c->kept, (c->nkept + 1) * sizeof(*nk));
    if (!nk) {
        free(s);
        return -ENOMEM;
    }
    c->kept = nk;
    c->kept[c->nkept++] = s;
    return 0;
}

static void parse_unref(struct inv_parse *p)
{
    if (!p || --p->refs)
        return;
    nix_file_free(p->nix);
    diag_list_free(&p->diags);
    free(p);
}

void inv_clan_unref(struct inv_clan *c)
{
    if (!c || --c->refs)
        return;
    for (size_t i = 0; i < c->nfiles; i++) {
        struct inv_srcfile *f = &c->files[i];
        free(f->path);
        free(f->why);
        free(f->dir);
        free(f->real);
        free(f->idkey);
        parse_unref(f->parse);
    }
    inv_index_free(&c->pathix);
    inv_index_free(&c->idix);
    inv_modsums_free(c->sums, c->nsums);
    free(c->mfiles);
    for (size_t i = 0; i < c->nkept; i++)
        free(c->kept[i]);
    free(c->kept);
    free(c->files);
    for (size_t i = 0; i < c->nviews; i++)
        nix_file_free(c->views[i].nix);
    free(c->views);
    free(c->trees);
    free(c->mods);
    for (size_t i = 0; i < c->nmdirs; i++)
        free(c->mdirs[i]);
    free(c->mdirs);
    free(c->main_prefix);
    free(c->main_suffix);
    parse_unref(c->main_full);
    free(c->loc_dir);
    free(c->loc_file);
    free(c->dir);
    free(c);
}

static char *join(const char *dir, const char *rel)
{
    char *r = NULL;
    if (!strcmp(dir, "."))
        return strdup(rel);
    if (str_printf(&r, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel) < 0)
        return NULL;
    return r;
}

/* Lexically tidy a path: "a/./b" -> "a/b", "a/x/../b" -> "a/b" (paths in Nix are resolved
 * lexically too). */
static void tidy(char *p)
{
    char *segs[PATH_MAX / 2];
    size_t n = 0;
    bool abs = p[0] == '/';
    char *save = NULL;
    char *copy = strdup(p);
    if (!copy)
        return;
    for (char *t = strtok_r(copy, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (!strcmp(t, "."))
            continue;
        if (!strcmp(t, "..") && n && strcmp(segs[n - 1], ".."))
            n--;
        else if (n < sizeof(segs) / sizeof(*segs))
            segs[n++] = t;
    }
    char *o = p;
    if (abs)
        *o++ = '/';
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(segs[i]);
        memmove(o, segs[i], l);
        o += l;
        if (i + 1 < n)
            *o++ = '/';
    }
    if (o == p)
        *o++ = '.';
    *o = 0;
    free(copy);
}

/* Free the names of a file entry that is not added after all. */
static void srcfile_drop(struct inv_srcfile *f)
{
    free(f->path);
    free(f->why);
    free(f->dir);
    free(f->real);
    free(f->idkey);
}

/* The whole of an open regular file (st: its fstat), and a stamp of it. */
static int read_fd(int fd, const struct stat *st, char **out, size_t *len, struct file_stamp *stamp)
{
    size_t cap = (size_t)st->st_size + 1, n = 0;
    char *t = malloc(cap);
    if (!t)
        return -ENOMEM;
    for (;;) {
        if (n + 1 >= cap) {
            char *nt = realloc(t, cap * 2);
            if (!nt) {
                free(t);
                return -ENOMEM;
            }
            t = nt;
            cap *= 2;
        }
        ssize_t r = read(fd, t + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(t);
            return -errno;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    t[n] = 0;
    *out = t;
    *len = n;
    memset(stamp, 0, sizeof(*stamp));
    stamp->exists = true;
    stamp->dev = st->st_dev;
    stamp->ino = st->st_ino;
    stamp->size = (off_t)n;
    stamp->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
    stamp->hash = hash_bytes(t, n);
    return 0;
}

/* The index of the file at path, read (once) when new; -1 when it cannot be read (the
 * reason in *why_not). */
static long clan_file(struct inv_clan *c, const char *path, enum inv_file_kind kind,
                      const char *why, const char **why_not)
{
    /* a name seen before (every machine importing modules/common.nix): no system call */
    long k = inv_index_get(&c->pathix, path);
    if (k >= 0)
        return k;
    /* a file is one file under all its names (links, ../): its device and inode */
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        *why_not = fd < 0 && errno != ENOENT ? "cannot be read" : "not found";
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char idkey[64];
    str_snprintf(idkey, sizeof(idkey), "%jx:%jx", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
    k = inv_index_get(&c->idix, idkey);
    if (k >= 0) {
        close(fd);
        char *alias = strdup(path);
        if (alias && inv_clan_keep(c, alias) == 0)
            inv_index_put(&c->pathix, alias, (size_t)k);
        return k;
    }
    /* a file is known across rebuilds by the name it was first read under */
    const char *real = path;
    if (inv_grow(&c->files, &c->capfiles, c->nfiles, sizeof(*c->files)) < 0) {
        *why_not = "out of memory";
        return -1;
    }
    struct inv_srcfile *f = &c->files[c->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = strdup(path);
    f->why = strdup(why ? why : "");
    f->dir = clan_dir_of(path);
    f->real = strdup(real);
    f->idkey = strdup(idkey);
    /* an edited text, or the parse of the clan this one is rebuilt from, or the disk */
    const struct inv_overlay *ov = NULL;
    for (size_t i = 0; i < c->nov && !ov; i++)
        if (!strcmp(c->ov[i].real, real))
            ov = &c->ov[i];
    const struct inv_srcfile *pf = NULL;
    for (size_t i = 1; !ov && c->prev && i < c->prev->nfiles && !pf; i++)
        if (c->prev->files[i].real && !strcmp(c->prev->files[i].real, real) &&
            c->prev->files[i].parse)
            pf = &c->prev->files[i];
    if (pf) {
        f->parse = pf->parse;
        f->parse->refs++;
        f->stamp = pf->stamp;
    } else {
        char *text = NULL;
        size_t len = 0;
        struct diag d = {0};
        if (ov) {
            text = strndup(ov->text, ov->len);
            len = ov->len;
            f->stamp = ov->stamp;
            f->edited = true;
        } else if (kind == INV_FILE_NIXOS && read_fd(fd, &st, &text, &len, &f->stamp) == 0) {
            /* a NixOS module is never written: read from the open file (a stamp without
             * the link resolution writers need: a thousand machines' files, a few system
             * calls each) */
        } else if (file_read(path, &text, &len, &f->stamp, &d) < 0) {
            diag_clear(&d);
            close(fd);
            srcfile_drop(f);
            *why_not = "cannot be read";
            return -1;
        }
        f->parse = calloc(1, sizeof(*f->parse));
        if (!f->parse || !text) {
            close(fd);
            free(text);
            free(f->parse);
            srcfile_drop(f);
            *why_not = "out of memory";
            return -1;
        }
        f->parse->refs = 1;
        int r = kind == INV_FILE_JSON
                    ? nix_file_from_json(path, text, len, &f->parse->nix, &f->parse->diags)
                    : nix_parse(path, text, len, &f->parse->nix, &f->parse->diags);
        free(text);
        if (r < 0)
            f->parse->nix = NULL;
    }
    close(fd);
    f->nix = f->parse->nix;
    inv_index_put(&c->pathix, f->path, c->nfiles);
    inv_index_put(&c->idix, f->idkey, c->nfiles);
    f->info.kind = kind;
    f->info.path = f->path;
    f->info.why = f->why;
    f->info.editable = false;
    size_t idx = c->nfiles++;
    if (f->nix && !nix_file_has_errors(f->nix))
        add_tree(c, f->nix, (unsigned)idx);
    return (long)idx;
}

/* A view of the expression at s of file fi (cached): its logical root, or NULL. */
static const struct nix_value *clan_view(struct inv_clan *c, unsigned fi, struct nix_file *base,
                                         struct nix_span s)
{
    for (size_t i = 0; i < c->nviews; i++)
        if (c->views[i].file == fi && c->views[i].span.start == s.start &&
            c->views[i].span.end == s.end)
            return nix_file_root(c->views[i].nix);
    if (inv_grow(&c->views, &c->capviews, c->nviews, sizeof(*c->views)) < 0)
        return NULL;
    struct diag_list dl = {0};
    struct nix_file *v = NULL;
    int r = nix_file_view(base, s, &v, &dl);
    diag_list_free(&dl);
    if (r < 0 || !v)
        return NULL;
    if (nix_file_has_errors(v) || add_tree(c, v, fi) < 0) {
        nix_file_free(v);
        return NULL;
    }
    c->views[c->nviews++] = (struct inv_view){fi, s, v};
    return nix_file_root(v);
}

/* ---- reading expressions as syntax ---- */

/* A path expression of file fi (base: the tree holding it) at s: the file it names, as a
 * path relative to the working directory, or NULL (not a literal, let-bound or `+`-joined
 * path). A directory means its default.nix. */
static char *static_path(struct inv_clan *c, unsigned fi, struct nix_file *base,
                         struct nix_span s, int depth)
{
    if (depth > 8)
        return NULL;
    struct nix_shape sh;
    if (nix_shape_at(base, s, &sh) < 0)
        return NULL;
    char *out = NULL;
    switch (sh.kind) {
    case NIX_SH_PATH:
        if (sh.text && (sh.text[0] == '.' || sh.text[0] == '/')) {
            out = sh.text[0] == '/' ? strdup(sh.text) : join(c->files[fi].dir, sh.text);
            if (out)
                tidy(out);
        }
        break;
    case NIX_SH_STRING:
        /* a string names a path relative to the clan directory (extraModules in JSON) */
        if (sh.text && depth == 0 && c->dir) {
            out = sh.text[0] == '/' ? strdup(sh.text) : join(c->dir, sh.text);
            if (out)
                tidy(out);
        }
        break;
    case NIX_SH_VAR: {
        struct nix_span b;
        if (sh.text && nix_let_binding(base, s.start, sh.text, &b) == 0) {
            out = static_path(c, fi, base, b, depth + 1);
        } else if (sh.text) {
            /* a view sees only its expression: the lets around it are in the whole file */
            struct nix_file *full = fi ? c->files[fi].nix : c->main_full ? c->main_full->nix : NULL;
            size_t at = fi ? s.start : c->main_prefix_len;
            if (full && full != base && nix_let_binding(full, at, sh.text, &b) == 0)
                out = static_path(c, fi, full, b, depth + 1);
        }
        break;
    }
    case NIX_SH_APPLY:
        /* import ./x.nix */
        if (sh.nparts == 2) {
            size_t fl = sh.parts[0].end - sh.parts[0].start;
            if (fl == 6 && !memcmp(nix_file_text(base, NULL) + sh.parts[0].start, "import", 6))
                out = static_path(c, fi, base, sh.parts[1], depth + 1);
        }
        break;
    case NIX_SH_PLUS: {
        char *head = sh.nparts ? static_path(c, fi, base, sh.parts[0], depth + 1) : NULL;
        struct buf b = {0};
        if (head)
            buf_puts(&b, head);
        free(head);
        for (size_t i = 1; head && i < sh.nparts; i++) {
            struct nix_shape p;
            /* dir + "/x.nix", or dir + /x (a path literal appends its text) */
            if (nix_shape_at(base, sh.parts[i], &p) < 0 ||
                (p.kind != NIX_SH_STRING && p.kind != NIX_SH_PATH) || !p.text) {
                nix_shape_free(&p);
                buf_free(&b);
                head = NULL;
                break;
            }
            buf_puts(&b, p.text);
            nix_shape_free(&p);
        }
        if (head && b.p) {
            out = buf_steal(&b);
            tidy(out);
        }
        buf_free(&b);
        break;
    }
    default:
        break;
    }
    nix_shape_free(&sh);
    if (out && depth == 0 && inv_index_get(&c->pathix, out) < 0) {
        struct stat st;
        if (stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *d = join(out, "default.nix");
            free(out);
            out = d;
        }
    }
    return out;
}

static struct nix_span value_span(const struct nix_value *v)
{
    return (struct nix_span){nix_wrap_start(v), nix_val_end(v)};
}

/* ---- finding the clan modules ---- */

struct cand {
    long file;
    bool whole;
    struct nix_span span;
    const struct nix_value *v; /* a value of the file's own tree that is no expression of
                                  its own (`clan.machines.x = ...;` dotted keys) */
};
struct finder {
    struct inv_clan *c;
    struct cand *v;
    size_t n, cap;
    struct diag_list *diags;
    int depth;
};

static void add_cand(struct finder *fd, long file, bool whole, struct nix_span s,
                     const struct nix_value *v)
{
    for (size_t i = 0; i < fd->n; i++)
        if (fd->v[i].file == file && fd->v[i].whole == whole && fd->v[i].v == v &&
            (whole || (fd->v[i].span.start == s.start && fd->v[i].span.end == s.end)))
            return;
    if (inv_grow(&fd->v, &fd->cap, fd->n, sizeof(*fd->v)) < 0)
        return;
    fd->v[fd->n++] = (struct cand){file, whole, s, v};
}

static char *where(struct inv_clan *c, unsigned fi, struct nix_file *base, size_t off)
{
    /* the main file changes with every edit: it is named without a position, which would
     * go stale (a reason must read the same after an edit as after a fresh read) */
    if (fi == 0 || !c->ndisc) /* (while the clan is found, the main file is not known) */
        return strdup(c->files[fi].path);
    unsigned line, col;
    nix_file_linecol(base, off, &line, &col);
    char *r = NULL;
    if (str_printf(&r, "%s:%u:%u", c->files[fi].path, line, col) < 0)
        return NULL;
    return r;
}

static void clan_module_file(struct finder *fd, const char *path, const char *why);
static void flake_parts_value(struct finder *fd, unsigned fi, struct nix_file *base,
                              const struct nix_value *v);

/* The logical value of the expression at s of file fi. */
static const struct nix_value *value_at(struct inv_clan *c, unsigned fi, struct nix_file *base,
                                        struct nix_span s)
{
    const struct nix_value *root = nix_file_root(base);
    if (root && nix_wrap_start(root) == s.start && nix_val_end(root) == s.end)
        return root;
    return clan_view(c, fi, base, s);
}

/* imports = [ ... ] of a module: call each for every file it names. */
static void each_import(struct finder *fd, unsigned fi, struct nix_file *base,
                        const struct nix_value *mod,
                        void (*fn)(struct finder *, const char *, const char *))
{
    const struct nix_value *im = nix_value_get(mod, "imports");
    if (!im || im->kind != NIX_LIST)
        return;
    for (size_t i = 0; i < im->nchildren; i++) {
        const struct nix_value *e = im->children[i];
        char *p = static_path(fd->c, fi, base, value_span(e), 0);
        if (!p)
            continue;
        char *w = where(fd->c, fi, base, nix_val_start(e));
        char *why = NULL;
        if (str_printf(&why, "imported by %s", w ? w : "?") < 0)
            why = NULL;
        fn(fd, p, why);
        free(why);
        free(w);
        free(p);
    }
}

/* A clan module at s of file fi (whole: the file's top level; direct: a value of its tree
 * that has no expression of its own). */
static void clan_module_at(struct finder *fd, long fi, bool whole, struct nix_span s,
                           const struct nix_value *direct)
{
    if (fd->depth > 32)
        return;
    add_cand(fd, fi, whole, s, direct);
    struct nix_file *base = fd->c->files[fi].nix;
    if (!base)
        return;
    const struct nix_value *v = direct ? direct
                                : whole ? nix_file_root(base)
                                        : value_at(fd->c, (unsigned)fi, base, s);
    if (!v || v->kind != NIX_ATTRS)
        return;
    fd->depth++;
    each_import(fd, (unsigned)fi, base, v, clan_module_file);
    fd->depth--;
}

static void clan_module_file(struct finder *fd, const char *path, const char *why)
{
    const char *wn;
    long fi = clan_file(fd->c, path, INV_FILE_CLAN, why, &wn);
    if (fi < 0)
        return;
    fd->c->files[fi].info.kind = INV_FILE_CLAN;
    clan_module_at(fd, fi, true, (struct nix_span){0, 0}, NULL);
}

/* A flake-parts module file (imported by mkFlake's module or another one). */
static void flake_parts_file(struct finder *fd, const char *path, const char *why)
{
    const char *wn;
    long fi = clan_file(fd->c, path, INV_FILE_FLAKE, why, &wn);
    if (fi < 0 || !fd->c->files[fi].nix || fd->depth > 32)
        return;
    const struct nix_value *root = nix_file_root(fd->c->files[fi].nix);
    if (root) {
        fd->depth++;
        flake_parts_value(fd, (unsigned)fi, fd->c->files[fi].nix, root);
        fd->depth--;
    }
}

/* A flake-parts module: its `clan` / `flake.clan` is a clan module; its imports are
 * flake-parts modules. */
static void flake_parts_value(struct finder *fd, unsigned fi, struct nix_file *base,
                              const struct nix_value *v)
{
    if (!v || v->kind != NIX_ATTRS)
        return;
    const struct nix_value *cl = nix_value_get(v, "clan");
    if (!cl) {
        const struct nix_value *fl = nix_value_get(v, "flake");
        if (fl && fl->kind == NIX_ATTRS)
            cl = nix_value_get(fl, "clan");
    }
    if (cl) {
        if (cl->kind == NIX_ATTRS) {
            fd->c->files[fi].info.kind = INV_FILE_CLAN;
            /* `clan.machines.x = ...;` makes an attribute set of dotted keys: no
             * expression of its own, read from the file's tree */
            clan_module_at(fd, fi, false, value_span(cl), cl->implicit ? cl : NULL);
        } else {
            /* clan = import ./clan.nix; or a path */
            char *p = static_path(fd->c, fi, base, value_span(cl), 0);
            if (p) {
                char *w = where(fd->c, fi, base, nix_val_start(cl));
                char *why = NULL;
                if (str_printf(&why, "the clan of %s", w ? w : "?") < 0)
                    why = NULL;
                clan_module_file(fd, p, why);
                free(why);
                free(w);
                free(p);
            }
        }
    }
    each_import(fd, fi, base, v, flake_parts_file);
}

/* Does a file's top level look like a flake-parts module (clan = / flake.clan =)? */
static bool is_flake_parts(const struct nix_value *root)
{
    if (!root || root->kind != NIX_ATTRS)
        return false;
    if (nix_value_get(root, "inventory") || nix_value_get(root, "meta"))
        return false;
    const struct nix_value *fl = nix_value_get(root, "flake");
    return nix_value_get(root, "clan") || (fl && fl->kind == NIX_ATTRS && nix_value_get(fl, "clan")) ||
           nix_value_get(root, "perSystem");
}

/* flake.nix: clan-core.lib.clan { ... }, lib.buildClan { ... }, or flake-parts mkFlake. */
static void read_flake(struct finder *fd, long fi)
{
    struct nix_file *f = fd->c->files[fi].nix;
    if (!f)
        return;
    static const char *const names[] = {"lib.clan", "lib.buildClan", "buildClan", "mkFlake",
                                        "import"};
    struct nix_call *calls = NULL;
    size_t n = 0;
    if (fd->depth > 8 || nix_find_calls(f, names, 5, &calls, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        struct nix_span arg = calls[i].arg;
        struct nix_shape sh;
        if (nix_shape_at(f, arg, &sh) < 0)
            continue;
        /* an argument bound by let: clan-core.lib.clan clanArgs */
        if (sh.kind == NIX_SH_VAR && sh.text) {
            struct nix_span b;
            if (nix_let_binding(f, arg.start, sh.text, &b) == 0) {
                arg = b;
                nix_shape_free(&sh);
                if (nix_shape_at(f, arg, &sh) < 0)
                    continue;
            }
        }
        if (calls[i].name == 4) { /* import ./x.nix ...: a file that may call the clan */
            nix_shape_free(&sh);
            struct nix_shape ap;
            if (nix_shape_at(f, calls[i].call, &ap) < 0)
                continue;
            char *p = ap.nparts >= 2 ? static_path(fd->c, (unsigned)fi, f, ap.parts[1], 0) : NULL;
            nix_shape_free(&ap);
            if (!p)
                continue;
            char *w = where(fd->c, (unsigned)fi, f, calls[i].call.start);
            char *why = NULL;
            if (str_printf(&why, "imported by %s", w ? w : "?") < 0)
                why = NULL;
            const char *wn;
            long nf = clan_file(fd->c, p, INV_FILE_FLAKE, why, &wn);
            free(why);
            free(w);
            free(p);
            if (nf >= 0 && nf != fi) {
                fd->depth++;
                read_flake(fd, nf);
                fd->depth--;
            }
            continue;
        }
        if (calls[i].name == 3) { /* mkFlake */
            if (sh.kind == NIX_SH_ATTRS || sh.kind == NIX_SH_LAMBDA) {
                const struct nix_value *v = value_at(fd->c, (unsigned)fi, f, arg);
                flake_parts_value(fd, (unsigned)fi, f, v);
            }
        } else if (sh.kind == NIX_SH_ATTRS) {
            fd->c->files[fi].info.kind = INV_FILE_CLAN;
            clan_module_at(fd, fi, false, arg, NULL);
        }
        nix_shape_free(&sh);
    }
    free(calls);
}

/* ---- opening ---- */

static int read_mdirs(struct inv_clan *c)
{
    char *md = join(c->dir, "machines");
    if (!md)
        return -ENOMEM;
    DIR *d = opendir(md);
    if (!d) {
        free(md);
        return 0;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        /* directories only: Clan's readDir says "directory" for them, not for links */
        char *p = join(md, e->d_name);
        struct stat st;
        bool dir = p && lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
        free(p);
        if (!dir)
            continue;
        if (c->nmdirs == cap) {
            size_t nc = cap ? cap * 2 : 16;
            char **nv = realloc(c->mdirs, nc * sizeof(*nv));
            if (!nv)
                break;
            c->mdirs = nv;
            cap = nc;
        }
        c->mdirs[c->nmdirs] = strdup(e->d_name);
        if (c->mdirs[c->nmdirs])
            c->nmdirs++;
    }
    closedir(d);
    free(md);
    if (c->nmdirs > 1)
        qsort(c->mdirs, c->nmdirs, sizeof(*c->mdirs), clan_cmp_names);
    return 0;
}

/* Swap files a and b of the clan (before any view or model refers to their indexes). */
static void swap_files(struct inv_clan *c, struct finder *fd, size_t a, size_t b)
{
    if (a == b)
        return;
    struct inv_srcfile t = c->files[a];
    c->files[a] = c->files[b];
    c->files[b] = t;
    for (size_t i = 0; i < fd->n; i++) {
        if (fd->v[i].file == (long)a)
            fd->v[i].file = (long)b;
        else if (fd->v[i].file == (long)b)
            fd->v[i].file = (long)a;
    }
    /* the registries are rebuilt: trees, views and the name indexes name files by index */
    inv_index_free(&c->pathix);
    inv_index_free(&c->idix);
    for (size_t i = 0; i < c->nfiles; i++) {
        inv_index_put(&c->pathix, c->files[i].path, i);
        inv_index_put(&c->idix, c->files[i].idkey, i);
    }
    memset(c->trees, 0, c->captrees * sizeof(*c->trees));
    c->ntrees = 0;
    for (size_t i = 0; i < c->nviews; i++) {
        if (c->views[i].file == a)
            c->views[i].file = (unsigned)b;
        else if (c->views[i].file == b)
            c->views[i].file = (unsigned)a;
    }
    for (size_t i = 0; i < c->nfiles; i++)
        if (c->files[i].nix && !nix_file_has_errors(c->files[i].nix))
            add_tree(c, c->files[i].nix, (unsigned)i);
    for (size_t i = 0; i < c->nviews; i++)
        add_tree(c, c->views[i].nix, c->views[i].file);
}

/* Read the clan located at (ldir, lfile); prev/ov: a rebuild (see inv_clan_rebuild). */
static int clan_build(const char *path, const char *ldir, const char *lfile, bool given_nix,
                      struct inv_clan *prev, const struct inv_overlay *ov, size_t nov,
                      struct inventory **out, struct diag_list *diags)
{
    struct diag d = {0};
    struct inv_clan *c = calloc(1, sizeof(*c));
    if (!c)
        return diag_list_add(diags, DIAG_ERROR, path, 0, 0, "out of memory"), -ENOMEM;
    c->refs = 1;
    c->json = -1;
    c->dir = strdup(ldir);
    c->loc_dir = strdup(ldir);
    c->loc_file = lfile ? strdup(lfile) : NULL;
    c->loc_given_nix = given_nix;
    c->prev = prev;
    c->ov = ov;
    c->nov = nov;
    struct finder fd = {.c = c, .diags = diags};
    const char *wn;
    char *flake = join(ldir, "flake.nix");
    long ffi = -1;
    if (flake && access(flake, F_OK) == 0) {
        ffi = clan_file(c, flake, INV_FILE_FLAKE, "the flake: its clan call and imports", &wn);
        if (ffi >= 0)
            read_flake(&fd, ffi);
    }
    free(flake);
    char *clannix = join(ldir, "clan.nix");
    long cfi = -1;
    if (clannix && access(clannix, F_OK) == 0) {
        if (!fd.n) {
            cfi = clan_file(c, clannix, INV_FILE_CLAN, "the clan's clan.nix", &wn);
            if (cfi >= 0 && c->files[cfi].nix && is_flake_parts(nix_file_root(c->files[cfi].nix)))
                flake_parts_value(&fd, (unsigned)cfi, c->files[cfi].nix,
                                  nix_file_root(c->files[cfi].nix));
            else if (cfi >= 0)
                clan_module_at(&fd, cfi, true, (struct nix_span){0, 0}, NULL);
        } else {
            cfi = clan_file(c, clannix, INV_FILE_CLAN, "the clan's clan.nix", &wn);
        }
    }
    free(clannix);
    /* the file named on the command line is read as a clan module if nothing reached it */
    long gfi = -1;
    if (lfile && given_nix) {
        gfi = clan_file(c, lfile, INV_FILE_CLAN, "named on the command line", &wn);
        bool reached = false;
        for (size_t i = 0; i < fd.n; i++)
            reached |= fd.v[i].file == gfi;
        if (gfi >= 0 && !reached && c->files[gfi].nix) {
            const struct nix_value *root = nix_file_root(c->files[gfi].nix);
            if (is_flake_parts(root))
                flake_parts_value(&fd, (unsigned)gfi, c->files[gfi].nix, root);
            else
                clan_module_at(&fd, gfi, true, (struct nix_span){0, 0}, NULL);
        }
    }
    if (!fd.n) {
        free(fd.v);
        inv_clan_unref(c);
        diag_list_add(diags, DIAG_ERROR, path ? path : ".", 0, 0,
                      "no clan configuration found in %s: expected flake.nix calling "
                      "clan-core.lib.clan (or a flake-parts `clan = { ... }`) or a clan.nix",
                      ldir);
        return -ENOENT;
    }
    /* the main module: the file named, else clan.nix, else the first that has an
     * inventory, else the first */
    size_t mi = 0;
    bool found = false;
    /* a dotted-key module cannot be the main one (no expression to edit in) */
    for (size_t i = 0; i < fd.n && !found; i++)
        if (gfi >= 0 && fd.v[i].file == gfi && !fd.v[i].v)
            mi = i, found = true;
    for (size_t i = 0; i < fd.n && !found; i++)
        if (cfi >= 0 && fd.v[i].file == cfi && !fd.v[i].v)
            mi = i, found = true;
    for (size_t i = 0; i < fd.n && !found; i++) {
        if (fd.v[i].v)
            continue;
        struct nix_file *b = c->files[fd.v[i].file].nix;
        const struct nix_value *v = !b ? NULL : fd.v[i].whole ? nix_file_root(b)
                                                              : value_at(c, (unsigned)fd.v[i].file, b, fd.v[i].span);
        if (v && v->kind == NIX_ATTRS && nix_value_get(v, "inventory"))
            mi = i, found = true;
    }
    for (size_t i = 0; i < fd.n && !found; i++)
        if (!fd.v[i].v)
            mi = i, found = true;
    struct cand main = fd.v[mi];
    swap_files(c, &fd, 0, (size_t)main.file);
    main = fd.v[mi];
    /* `directory = ./sub;`: inventory.json and machines/ are read from there */
    for (size_t i = 0; i < fd.n; i++) {
        struct nix_file *b = c->files[fd.v[i].file].nix;
        if (!b)
            continue;
        const struct nix_value *v = fd.v[i].v          ? fd.v[i].v
                                    : fd.v[i].whole ? nix_file_root(b)
                                                    : value_at(c, (unsigned)fd.v[i].file, b, fd.v[i].span);
        const struct nix_value *dv = v && v->kind == NIX_ATTRS ? nix_value_get(v, "directory") : NULL;
        if (dv && dv->kind == NIX_PATH && dv->str && (dv->str[0] == '.' || dv->str[0] == '/')) {
            char *nd = dv->str[0] == '/' ? strdup(dv->str) : join(c->files[fd.v[i].file].dir, dv->str);
            if (nd) {
                tidy(nd);
                free(c->dir);
                c->dir = nd;
            }
        }
    }
    /* the json and the machine directories */
    char *json = join(c->dir, "inventory.json");
    if (json && access(json, F_OK) == 0)
        c->json = clan_file(c, json, INV_FILE_JSON, "the clan's inventory.json", &wn);
    if (c->json >= 0)
        c->files[c->json].info.editable = true;
    free(json);
    read_mdirs(c);
    /* the other clan modules */
    for (size_t i = 0; i < fd.n; i++) {
        if (i == mi || !c->files[fd.v[i].file].nix)
            continue;
        struct nix_file *b = c->files[fd.v[i].file].nix;
        const struct nix_value *v = fd.v[i].v          ? fd.v[i].v
                                    : fd.v[i].whole ? nix_file_root(b)
                                                    : value_at(c, (unsigned)fd.v[i].file, b, fd.v[i].span);
        if (!v)
            continue;
        struct inv_modref *nm = realloc(c->mods, (c->nmods + 1) * sizeof(*nm));
        if (!nm)
            break;
        c->mods = nm;
        c->mods[c->nmods++] = (struct inv_modref){(unsigned)fd.v[i].file, v};
        /* edits reach a clan module that is the file or an expression in it (not one
         * written with dotted keys) */
        if (!fd.v[i].v)
            c->files[fd.v[i].file].info.editable = true;
    }
    /* the main module's text: the file, or a view of the clan expression inside it */
    struct inv_srcfile *f0 = &c->files[0];
    f0->info.editable = true;
    f0->info.kind = INV_FILE_CLAN;
    char *text = NULL;
    size_t len = 0;
    const struct inv_overlay *mo = NULL;
    for (size_t i = 0; i < nov && !mo; i++)
        if (f0->real && !strcmp(ov[i].real, f0->real))
            mo = &ov[i];
    int r = 0;
    if (mo) {
        text = strndup(mo->text, mo->len);
        len = mo->len;
        f0->stamp = mo->stamp;
        f0->edited = true;
        if (!text)
            r = diag_set(&d, DIAG_ERROR, f0->path, 0, 0, "out of memory");
    } else {
        r = file_read(f0->path, &text, &len, &f0->stamp, &d);
    }
    if (r < 0) {
        diag_list_push(diags, &d);
        diag_clear(&d);
        free(fd.v);
        inv_clan_unref(c);
        return r;
    }
    if (!main.whole && f0->nix) {
        const struct nix_value *root = nix_file_root(f0->nix);
        bool whole = root && nix_wrap_start(root) == main.span.start &&
                     nix_val_end(root) == main.span.end;
        if (!whole && main.span.end <= len) {
            c->main_prefix = strndup(text, main.span.start);
            c->main_suffix = strndup(text + main.span.end, len - main.span.end);
            c->main_prefix_len = main.span.start;
            c->main_suffix_len = len - main.span.end;
            for (size_t i = 0; i < len; i++)
                if ((i < main.span.start || i >= main.span.end) && text[i] != '\n')
                    text[i] = ' ';
        }
    }
    free(fd.v);
    /* file 0's own tree is the inventory's (edits replace it): the clan keeps its first
     * parse only to look up the lets around a view (they lie before it, so edits inside
     * the view do not move them) */
    if (f0->nix) {
        if (c->main_prefix)
            c->main_full = f0->parse;
        else
            parse_unref(f0->parse);
        f0->parse = NULL;
        f0->nix = NULL;
        memset(c->trees, 0, c->captrees * sizeof(*c->trees));
        c->ntrees = 0;
        for (size_t i = 1; i < c->nfiles; i++)
            if (c->files[i].nix && !nix_file_has_errors(c->files[i].nix))
                add_tree(c, c->files[i].nix, (unsigned)i);
        /* views of file 0 go too: the model makes its own */
        size_t k = 0;
        for (size_t i = 0; i < c->nviews; i++) {
            if (c->views[i].file == 0) {
                nix_file_free(c->views[i].nix);
                continue;
            }
            c->views[k++] = c->views[i];
        }
        c->nviews = k;
        for (size_t i = 0; i < c->nviews; i++)
            add_tree(c, c->views[i].nix, c->views[i].file);
        for (size_t i = 0; i < c->nmods; i++)
            if (c->mods[i].file == 0)
                c->mods[i].v = NULL; /* a second module in the main file: read from the view */
    }
    c->prev = NULL;
    c->ov = NULL;
    c->nov = 0;
    c->ndisc = c->nfiles;
    struct inventory *inv = NULL;
    r = inv_build_clan(f0->path, text, len, c, &inv, NULL);
    free(text);
    if (r < 0) {
        inv_clan_unref(c);
        return diag_list_add(diags, DIAG_ERROR, path ? path : ".", 0, 0, "out of memory"), r;
    }
    inv_clan_unref(c); /* the inventory holds it now */
    inv->has_file = true;
    inv->stamp = c->files[0].stamp;
    for (size_t i = 0; i < inv->diags.n; i++)
        diag_list_push(diags, &inv->diags.v[i]);
    *out = inv;
    return 0;
}

int inventory_open(const char *path, struct inventory **out, struct diag_list *diags)
{
    struct clan_location loc;
    struct diag d = {0};
    if (clan_locate(path, &loc, &d) < 0) {
        diag_list_push(diags, &d);
        diag_clear(&d);
        return -ENOENT;
    }
    /* a lone file in a directory that is no clan: exactly as before */
    int r = loc.lone ? inventory_load(loc.file, out, diags)
                     : clan_build(path ? path : ".", loc.dir, loc.file, loc.given_nix, NULL, NULL,
                                  0, out, diags);
    clan_location_free(&loc);
    return r;
}

int inv_clan_rebuild(const struct inventory *inv, const char *real, const char *text,
                     size_t len, struct inventory **out, struct diag_list *diags)
{
    struct inv_clan *c = inv->clan;
    struct inv_overlay *ov = calloc(c->nfiles + 1, sizeof(*ov));
    char **owned = calloc(c->nfiles + 1, sizeof(*owned));
    if (!ov || !owned) {
        free(ov);
        free(owned);
        return diag_list_add(diags, DIAG_ERROR, inv->name, 0, 0, "out of memory"), -ENOMEM;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->nfiles; i++) {
        const struct inv_srcfile *f = &c->files[i];
        if (!f->real)
            continue;
        if (real && !strcmp(real, f->real)) {
            ov[n++] = (struct inv_overlay){f->real, text, len, f->stamp};
            continue;
        }
        if (i == 0) {
            /* the main file: its current text, when it is not the one on disk */
            size_t ml;
            const char *mt = inventory_text(inv, &ml);
            if (hash_bytes(mt, ml) != f->stamp.hash || f->edited)
                ov[n++] = (struct inv_overlay){f->real, mt, ml, f->stamp};
            continue;
        }
        if (f->edited && f->nix) {
            size_t fl;
            const char *ft = nix_file_text(f->nix, &fl);
            ov[n++] = (struct inv_overlay){f->real, ft, fl, f->stamp};
        }
    }
    int r = clan_build(inv->name, c->loc_dir, c->loc_file, c->loc_given_nix, c, ov, n, out,
                       diags);
    free(ov);
    free(owned);
    return r;
}

/* ---- the model's part ---- */

static bool in_walk(struct inventory *inv, unsigned fi)
{
    if (fi >= inv->nvisit) {
        size_t n = inv->clan ? inv->clan->nfiles + 16 : 16;
        if (n <= fi)
            n = fi + 16;
        unsigned *nv = realloc(inv->visit, n * sizeof(*nv));
        if (!nv)
            return true;
        memset(nv + inv->nvisit, 0, (n - inv->nvisit) * sizeof(*nv));
        inv->visit = nv;
        inv->nvisit = n;
    }
    if (inv->visit[fi] == inv->visit_gen)
        return true;
    inv->visit[fi] = inv->visit_gen;
    return false;
}

static void unfollowed(struct inventory *inv, const struct nix_value *v, struct inv_machine *m,
                       const char *note)
{
    if (!inv->clan)
        return;
    if (inv_grow(&inv->unf, &inv->capunf, inv->nunf, sizeof(*inv->unf)) < 0)
        return;
    char *t = inv_value_text(inv, v);
    char *text = NULL;
    if (note && str_printf(&text, "%s (%s)", t ? t : "", note) < 0)
        text = NULL;
    if (!note) {
        text = t;
        t = NULL;
    }
    free(t);
    struct inv_loc l = inv_loc_value(inv, v);
    /* one entry per import, however many machines read it */
    for (size_t i = 0; i < inv->nunf; i++)
        if (inv->unf[i].loc.file == l.file && inv->unf[i].loc.start == l.start) {
            free(text);
            return;
        }
    inv->unf[inv->nunf++] = (struct inv_unfollowed){text, l, m ? m->name : NULL};
}

/* What one NixOS module file contributes to every machine that imports it, read once
 * (recorded) and replayed per machine: a file shared by a thousand machines is looked into
 * once. Kept by the clan (its files do not change while it lives). */
enum contrib_kind { C_STATE, C_BAD_SET, C_PG, C_HOST, C_IMPORT, C_UNFOLLOWED };
struct contrib {
    enum contrib_kind kind;
    const char *name;             /* C_STATE: the state's name; C_UNFOLLOWED: a note */
    struct inv_loc key;           /* C_STATE: its key */
    const struct nix_value *v;    /* the value (C_IMPORT: unused) */
    long file;                    /* C_IMPORT: the file */
    char *cond;                   /* the lib.mkIf conditions around it (owned), or NULL */
    struct inv_loc cl;
};
struct inv_modsum {
    struct contrib *v;
    size_t n, cap;
    bool done, busy;
};

void inv_modsums_free(struct inv_modsum *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        for (size_t k = 0; k < s[i].n; k++)
            free(s[i].v[k].cond);
        free(s[i].v);
    }
    free(s);
}

struct walk {
    struct inventory *inv;
    struct inv_machine *m;        /* NULL while recording */
    int depth;
    struct inv_modsum *rec;       /* recording a file's contributions, or NULL */
};

static void record(struct walk *w, struct contrib c, const char *cond, struct inv_loc cl)
{
    struct inv_modsum *r = w->rec;
    if (inv_grow(&r->v, &r->cap, r->n, sizeof(*r->v)) < 0)
        return;
    c.cond = cond ? strdup(cond) : NULL;
    c.cl = cl;
    r->v[r->n++] = c;
}

static void walk_module(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl);
static void replay(struct walk *w, long nf, const char *cond, struct inv_loc cl);
static void record(struct walk *w, struct contrib c, const char *cond, struct inv_loc cl);
static void target_host(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl, void *ctx);

/* An import not followed: listed (for the machine being read, or recorded). */
static void walk_unfollowed(struct walk *w, const struct nix_value *v, const char *note,
                            const char *cond, struct inv_loc cl)
{
    if (w->rec)
        record(w, (struct contrib){.kind = C_UNFOLLOWED, .v = v, .name = note}, cond, cl);
    else
        unfollowed(w->inv, v, w->m, note);
}

static const struct nix_value *view_in(struct inventory *inv, unsigned fi,
                                       struct nix_file *base, struct nix_span s);

/* The view of the expression at s of the tree holding `near` (a value of that tree). */
static const struct nix_value *view_near(struct inventory *inv, const struct nix_value *near,
                                         struct nix_span s)
{
    unsigned fi;
    struct nix_file *base = inv_value_file(inv, near, &fi);
    return view_in(inv, fi, base, s);
}

/* The logical value of the expression at s of file fi (base: a tree holding it). */
static const struct nix_value *view_in(struct inventory *inv, unsigned fi,
                                       struct nix_file *base, struct nix_span s)
{
    const struct nix_value *root = nix_file_root(base);
    if (root && nix_wrap_start(root) == s.start && nix_val_end(root) == s.end)
        return root;
    if (fi != 0 && inv->clan)
        return clan_view(inv->clan, fi, base, s);
    /* file 0 changes with every edit: its views belong to the model */
    struct diag_list dl = {0};
    struct nix_file *vf = NULL;
    int r = nix_file_view(base, s, &vf, &dl);
    diag_list_free(&dl);
    if (r < 0 || !vf)
        return NULL;
    if (nix_file_has_errors(vf) || inv_add_view(inv, vf, 0) < 0) {
        nix_file_free(vf);
        return NULL;
    }
    return nix_file_root(vf);
}

static char *and_cond(const char *a, const char *b)
{
    char *r = NULL;
    if (!a)
        return strdup(b);
    if (str_printf(&r, "(%s) && (%s)", a, b) < 0)
        return NULL;
    return r;
}

/* The attribute sets an expression of a clan module stands for, as syntax: `import ./x.nix
 * args...` (the file's value), `a // b` (each, in order: later ones win in Nix, the model
 * merges them), a let-bound name, a function's body, `let ... in`. */
static size_t expand_span(struct inventory *inv, unsigned fi, struct nix_file *base,
                          struct nix_span s, const struct nix_value **out, size_t max,
                          int depth)
{
    if (depth > 16 || !max)
        return 0;
    struct nix_shape sh;
    if (nix_shape_at(base, s, &sh) < 0)
        return 0;
    size_t n = 0;
    const char *t = nix_file_text(base, NULL);
    switch (sh.kind) {
    case NIX_SH_ATTRS: {
        const struct nix_value *v = view_in(inv, fi, base, sh.span);
        if (v && v->kind == NIX_ATTRS)
            out[n++] = v;
        break;
    }
    case NIX_SH_LAMBDA:
    case NIX_SH_WRAP:
        if (sh.nparts)
            n = expand_span(inv, fi, base, sh.parts[0], out, max, depth + 1);
        break;
    case NIX_SH_UPDATE:
        for (size_t i = 0; i < sh.nparts && n < max; i++)
            n += expand_span(inv, fi, base, sh.parts[i], out + n, max - n, depth + 1);
        break;
    case NIX_SH_VAR: {
        struct nix_span b;
        if (sh.text && nix_let_binding(base, s.start, sh.text, &b) == 0)
            n = expand_span(inv, fi, base, b, out, max, depth + 1);
        break;
    }
    case NIX_SH_APPLY: {
        size_t fl = sh.parts[0].end - sh.parts[0].start;
        if (fl != 6 || memcmp(t + sh.parts[0].start, "import", 6) || !inv->clan)
            break;
        char *p = static_path(inv->clan, fi, base, sh.parts[1], 0);
        if (!p)
            break;
        char *wh = where(inv->clan, fi, base, s.start);
        char *why = NULL;
        if (str_printf(&why, "imported by %s", wh ? wh : "?") < 0)
            why = NULL;
        const char *wn;
        long nf = clan_file(inv->clan, p, INV_FILE_CLAN, why, &wn);
        free(why);
        free(wh);
        free(p);
        if (nf > 0)
            inv_file_used(inv, (size_t)nf);
        if (nf <= 0 || !inv->clan->files[nf].nix)
            break;
        struct nix_file *nb = inv->clan->files[nf].nix;
        const struct nix_value *root = nix_file_root(nb);
        if (root && root->kind == NIX_ATTRS)
            out[n++] = root;
        else if (root)
            n = expand_span(inv, (unsigned)nf, nb,
                            (struct nix_span){nix_wrap_start(root), nix_val_end(root)},
                            out, max, depth + 1);
        break;
    }
    default:
        break;
    }
    nix_shape_free(&sh);
    return n;
}

size_t inv_expand_attrs(struct inventory *inv, const struct nix_value *v,
                        const struct nix_value **out, size_t max)
{
    if (!v || !max)
        return 0;
    if (v->kind == NIX_ATTRS) {
        out[0] = v;
        return 1;
    }
    if (v->kind != NIX_OPAQUE)
        return 0;
    unsigned fi;
    struct nix_file *base = inv_value_file(inv, v, &fi);
    if (nix_file_is_json(base))
        return 0;
    return expand_span(inv, fi, base, (struct nix_span){nix_val_start(v), nix_val_end(v)}, out,
                       max, 0);
}

/* Is the function text t (a variable or selection) the lib function nm? */
static bool is_fn(const char *t, size_t n, const char *nm)
{
    size_t k = strlen(nm);
    return n >= k && !memcmp(t + n - k, nm, k) && (n == k || t[n - k - 1] == '.');
}

typedef void (*emit_fn)(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl, void *ctx);

/* Look through lib.mkIf c x, lib.mkMerge [ ... ], lib.mkDefault x & co. and `import path`
 * around the value v: call emit for each attribute set found (with the conditions around it).
 * Returns how many were found. */
static int expand(struct walk *w, const struct nix_value *v, const char *cond,
                  struct inv_loc cl, emit_fn emit, void *ctx)
{
    if (v->kind == NIX_ATTRS) {
        emit(w, v, cond, cl, ctx);
        return 1;
    }
    if (v->kind != NIX_OPAQUE || w->depth > 48)
        return 0;
    struct inventory *inv = w->inv;
    unsigned fi;
    struct nix_file *base = inv_value_file(inv, v, &fi);
    struct nix_shape sh;
    if (nix_shape_at(base, (struct nix_span){nix_val_start(v), nix_val_end(v)}, &sh) < 0)
        return 0;
    size_t tl;
    const char *t = nix_file_text(base, &tl);
    int found = 0;
    w->depth++;
    if (sh.kind == NIX_SH_APPLY && sh.nparts >= 2) {
        const char *fn = t + sh.parts[0].start;
        size_t fl = sh.parts[0].end - sh.parts[0].start;
        struct nix_span last = sh.parts[sh.nparts - 1];
        if (is_fn(fn, fl, "mkIf") && sh.nparts == 3) {
            char *c1 = strndup(t + sh.parts[1].start, sh.parts[1].end - sh.parts[1].start);
            char *c2 = c1 ? and_cond(cond, c1) : NULL;
            struct inv_loc l2 = cl;
            if (!cond) {
                l2.file = fi;
                l2.start = sh.parts[1].start;
                l2.end = sh.parts[1].end;
                nix_file_linecol(base, l2.start, &l2.line, &l2.col);
            }
            const struct nix_value *x = view_near(inv, v, last);
            if (x && c2)
                found += expand(w, x, c2, l2, emit, ctx);
            free(c1);
            free(c2);
        } else if (is_fn(fn, fl, "mkMerge") && sh.nparts == 2) {
            const struct nix_value *x = view_near(inv, v, last);
            for (size_t i = 0; x && x->kind == NIX_LIST && i < x->nchildren; i++)
                found += expand(w, x->children[i], cond, cl, emit, ctx);
        } else if (is_fn(fn, fl, "mkDefault") || is_fn(fn, fl, "mkForce") ||
                   is_fn(fn, fl, "mkOverride") || is_fn(fn, fl, "mkBefore") ||
                   is_fn(fn, fl, "mkAfter") || is_fn(fn, fl, "mkOrder")) {
            const struct nix_value *x = view_near(inv, v, last);
            if (x)
                found += expand(w, x, cond, cl, emit, ctx);
        } else if (fl == 6 && !memcmp(fn, "import", 6) && sh.nparts == 2 && inv->clan) {
            char *p = static_path(inv->clan, fi, base, last, 0);
            if (p) {
                char *wh = where(inv->clan, fi, base, nix_val_start(v));
                char *why = NULL;
                if (str_printf(&why, "imported by %s", wh ? wh : "?") < 0)
                    why = NULL;
                const char *wn;
                long nf = clan_file(inv->clan, p, INV_FILE_NIXOS, why, &wn);
                free(why);
                free(wh);
                free(p);
                if (nf >= 0)
                    inv_file_used(inv, (size_t)nf);
                if (nf >= 0 && inv->clan->files[nf].nix && !in_walk(inv, (unsigned)nf))
                    found += expand(w, nix_file_root(inv->clan->files[nf].nix), cond, cl, emit,
                                    ctx);
            }
        }
    } else if (sh.kind == NIX_SH_VAR && sh.text) {
        /* a let-bound attribute set */
        struct nix_span b;
        if (nix_let_binding(base, nix_val_start(v), sh.text, &b) == 0) {
            const struct nix_value *x = view_near(inv, v, b);
            if (x && x != v)
                found += expand(w, x, cond, cl, emit, ctx);
        }
    }
    w->depth--;
    nix_shape_free(&sh);
    return found;
}

/* Follow the path names[i..] below v (through wrappers at each step), calling fn with every
 * value found there. */
struct path_ctx {
    const char *const *names;
    size_t n, i;
    emit_fn fn;
    void *ctx;
};

static void path_step(struct walk *w, const struct nix_value *v, const char *cond,
                      struct inv_loc cl, void *pc);

static void follow_path(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl, const char *const *names, size_t n, size_t i,
                        emit_fn fn, void *ctx)
{
    if (i == n) {
        fn(w, v, cond, cl, ctx);
        return;
    }
    struct path_ctx pc = {names, n, i, fn, ctx};
    expand(w, v, cond, cl, path_step, &pc);
}

static void path_step(struct walk *w, const struct nix_value *v, const char *cond,
                      struct inv_loc cl, void *pcv)
{
    struct path_ctx *pc = pcv;
    const struct nix_value *c = nix_value_get(v, pc->names[pc->i]);
    if (c)
        follow_path(w, c, cond, cl, pc->names, pc->n, pc->i + 1, pc->fn, pc->ctx);
}

struct state_ctx {
    const char *name;
    struct inv_loc key;
};

static void one_state(struct walk *w, const struct nix_value *v, const char *cond,
                      struct inv_loc cl, void *ctx)
{
    struct state_ctx *sc = ctx;
    if (w->rec)
        record(w, (struct contrib){.kind = C_STATE, .name = sc->name, .key = sc->key, .v = v},
               cond, cl);
    else
        inv_read_one_state(w->inv, w->m, sc->name, sc->key, v, cond, cl);
}

static void state_set(struct walk *w, const struct nix_value *v, const char *cond,
                      struct inv_loc cl, void *ctx)
{
    (void)ctx;
    if (v->kind != NIX_ATTRS) {
        if (!expand(w, v, cond, cl, state_set, NULL)) {
            if (w->rec) /* reported per machine, as a set that is not one */
                record(w, (struct contrib){.kind = C_BAD_SET, .v = v}, cond, cl);
            else
                inv_read_state_set(w->inv, w->m, v, cond, cl);
        }
        return;
    }
    for (size_t i = 0; i < v->nchildren; i++) {
        const struct nix_value *s = v->children[i];
        struct state_ctx sc = {s->name, inv_loc_key(w->inv, s)};
        if (s->kind == NIX_OPAQUE && expand(w, s, cond, cl, one_state, &sc))
            continue;
        one_state(w, s, cond, cl, &sc);
    }
}

static void pg_set(struct walk *w, const struct nix_value *v, const char *cond,
                   struct inv_loc cl, void *ctx)
{
    (void)ctx;
    if (v->kind == NIX_ATTRS && w->rec)
        record(w, (struct contrib){.kind = C_PG, .v = v}, cond, cl);
    else if (v->kind == NIX_ATTRS)
        inv_read_postgresql(w->inv, w->m, v, cond, cl);
    else
        expand(w, v, cond, cl, pg_set, NULL);
}

static void target_host(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl, void *ctx)
{
    (void)ctx;
    if (w->rec) {
        record(w, (struct contrib){.kind = C_HOST, .v = v}, cond, cl);
        return;
    }
    struct inv_machine *m = w->m;
    if (m->nixos_target_host.s)
        return;
    /* lib.mkForce "host" & co.: the string inside */
    for (int guard = 0; v->kind == NIX_OPAQUE && guard < 4; guard++) {
        unsigned fi;
        struct nix_file *base = inv_value_file(w->inv, v, &fi);
        struct nix_shape sh;
        if (nix_shape_at(base, (struct nix_span){nix_val_start(v), nix_val_end(v)}, &sh) < 0)
            break;
        const char *t = nix_file_text(base, NULL);
        const struct nix_value *x = NULL;
        if (sh.kind == NIX_SH_APPLY && sh.nparts >= 2) {
            const char *fn = t + sh.parts[0].start;
            size_t fl = sh.parts[0].end - sh.parts[0].start;
            if (is_fn(fn, fl, "mkForce") || is_fn(fn, fl, "mkDefault") ||
                is_fn(fn, fl, "mkOverride"))
                x = view_in(w->inv, fi, base, sh.parts[sh.nparts - 1]);
        }
        nix_shape_free(&sh);
        if (!x)
            break;
        v = x;
    }
    struct inv_text t = {.loc = inv_loc_value(w->inv, v)};
    if (v->kind == NIX_STRING) {
        t.s = inv_strdup(v->str ? v->str : "");
    } else {
        t.s = inv_value_text(w->inv, v); /* evaluated on the machine */
        t.opaque = true;
    }
    m->nixos_target_host = t;
}

static void import_one(struct walk *w, const struct nix_value *e, const char *cond,
                       struct inv_loc cl)
{
    struct inventory *inv = w->inv;
    if (e->kind == NIX_ATTRS) {
        walk_module(w, e, cond, cl);
        return;
    }
    if (!inv->clan)
        return;
    unsigned fi;
    struct nix_file *base = inv_value_file(inv, e, &fi);
    char *p = NULL;
    if (e->kind == NIX_STRING && e->str && nix_file_is_json(base)) {
        /* JSON can only name a module by a path relative to the clan directory */
        p = e->str[0] == '/' ? strdup(e->str) : join(inv->clan->dir, e->str);
        if (p)
            tidy(p);
    } else if (!nix_file_is_json(base)) {
        p = static_path(inv->clan, fi, base, value_span(e), 0);
    }
    if (!p) {
        walk_unfollowed(w, e, NULL, cond, cl);
        return;
    }
    const char *wn = NULL;
    long nf = inv_index_get(&inv->clan->pathix, p); /* known: no text to make */
    if (nf < 0) {
        char *wh = where(inv->clan, fi, base, nix_val_start(e));
        char *why = NULL;
        if (str_printf(&why, "imported by %s", wh ? wh : "?") < 0)
            why = NULL;
        nf = clan_file(inv->clan, p, INV_FILE_NIXOS, why, &wn);
        free(why);
        free(wh);
    }
    free(p);
    if (nf < 0) {
        walk_unfollowed(w, e, wn, cond, cl);
        return;
    }
    if (w->rec)
        record(w, (struct contrib){.kind = C_IMPORT, .file = nf}, cond, cl);
    else
        replay(w, nf, cond, cl);
}

/* The contributions of file nf, recorded the first time. */
static const struct inv_modsum *summary(struct inventory *inv, long nf)
{
    struct inv_clan *c = inv->clan;
    if (!c->sums || c->nsums < c->nfiles) {
        size_t n = c->nfiles + 64;
        struct inv_modsum *ns = realloc(c->sums, n * sizeof(*ns));
        if (!ns)
            return NULL;
        memset(ns + c->nsums, 0, (n - c->nsums) * sizeof(*ns));
        c->sums = ns;
        c->nsums = n;
    }
    struct inv_modsum *s = &c->sums[nf];
    if (s->done || s->busy)
        return s->done ? s : NULL;
    const struct nix_value *root = c->files[nf].nix ? nix_file_root(c->files[nf].nix) : NULL;
    if (root) {
        s->busy = true;
        struct walk rw = {inv, NULL, 0, s};
        walk_module(&rw, root, NULL, (struct inv_loc){0});
        s = &c->sums[nf]; /* (the array may have moved while the file's imports were read) */
        s->busy = false;
    }
    s->done = true;
    return s;
}

/* Apply file nf's contributions to the machine being read (under cond from outside). */
static void replay(struct walk *w, long nf, const char *cond, struct inv_loc cl)
{
    struct inventory *inv = w->inv;
    inv_file_used(inv, (size_t)nf);
    if (in_walk(inv, (unsigned)nf) || !inv->clan->files[nf].nix || w->depth > 48)
        return;
    if (!summary(inv, nf))
        return;
    w->depth++;
    for (size_t i = 0; i < inv->clan->sums[nf].n; i++) {
        /* (re-fetched each time: a nested summary may grow the array) */
        const struct contrib *c = &inv->clan->sums[nf].v[i];
        char *both = cond && c->cond ? and_cond(cond, c->cond) : NULL;
        const char *k = both ? both : cond ? cond : c->cond;
        struct inv_loc kl = cond ? cl : c->cl;
        switch (c->kind) {
        case C_STATE:
            inv_read_one_state(inv, w->m, c->name, c->key, c->v, k, kl);
            break;
        case C_BAD_SET:
            inv_read_state_set(inv, w->m, c->v, k, kl);
            break;
        case C_PG:
            inv_read_postgresql(inv, w->m, c->v, k, kl);
            break;
        case C_HOST:
            target_host(w, c->v, k, kl, NULL);
            break;
        case C_UNFOLLOWED:
            unfollowed(inv, c->v, w->m, c->name);
            break;
        case C_IMPORT: {
            long f = c->file;
            char *kc = k ? strdup(k) : NULL;
            replay(w, f, kc, kl);
            free(kc);
            break;
        }
        }
        free(both);
    }
    w->depth--;
}

static void module_emit(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl, void *ctx)
{
    (void)ctx;
    walk_module(w, v, cond, cl);
}

static void walk_module(struct walk *w, const struct nix_value *v, const char *cond,
                        struct inv_loc cl)
{
    if (w->depth > 48)
        return;
    if (v->kind != NIX_ATTRS) {
        if (!expand(w, v, cond, cl, module_emit, NULL) && v->kind == NIX_OPAQUE && w->m &&
            !w->m->config_opaque && w->depth == 0)
            inv_config_opaque(w->inv, w->m, v);
        return;
    }
    w->depth++;
    const struct nix_value *im = nix_value_get(v, "imports");
    if (im && im->kind == NIX_LIST) {
        for (size_t i = 0; i < im->nchildren; i++)
            import_one(w, im->children[i], cond, cl);
    } else if (im) {
        walk_unfollowed(w, im, "not a list literal", cond, cl);
    }
    static const char *const st[] = {"clan", "core", "state"};
    static const char *const pg[] = {"clan", "core", "postgresql"};
    static const char *const th[] = {"clan", "core", "networking", "targetHost"};
    /* a module with `config` (and `options`) sets only what is under config */
    const struct nix_value *cfg = nix_value_get(v, "config");
    bool explicit = cfg && (nix_value_get(v, "options") || cfg->kind != NIX_ATTRS ||
                            !nix_value_get(cfg, "clan") || !nix_value_get(v, "clan"));
    const struct nix_value *body = explicit ? cfg : v;
    follow_path(w, body, cond, cl, st, 3, 0, state_set, NULL);
    follow_path(w, body, cond, cl, pg, 3, 0, pg_set, NULL);
    follow_path(w, body, cond, cl, th, 4, 0, target_host, NULL);
    w->depth--;
}

void inv_read_nixos_module(struct inventory *inv, struct inv_machine *m, unsigned file,
                           const struct nix_value *v, const char *cond)
{
    (void)file;
    inv->visit_gen++;
    if (!inv->visit_gen)
        inv->visit_gen = 1;
    struct walk w = {inv, m, 0, NULL};
    walk_module(&w, v, cond, (struct inv_loc){0});
}

void inv_read_role_modules(struct inventory *inv)
{
    struct inv_model *md = &inv->model;
    bool *touched = calloc(md->nmachines ? md->nmachines : 1, sizeof(*touched));
    if (!touched)
        return;
    for (size_t i = 0; i < md->nmembers; i++) {
        const struct inv_member *mb = &md->members[i];
        const struct inv_role *r = &md->instances[mb->instance].roles[mb->role];
        if (!r->extra_modules)
            continue;
        struct inv_machine *m = &md->machines[mb->machine];
        inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_CFG, (uint32_t)mb->machine, 0};
        inv->visit_gen++;
        if (!inv->visit_gen)
            inv->visit_gen = 1;
        struct walk w = {inv, m, 0, NULL};
        const struct nix_value *l = r->extra_modules;
        if (l->kind == NIX_LIST) {
            for (size_t k = 0; k < l->nchildren; k++)
                import_one(&w, l->children[k], NULL, (struct inv_loc){0});
        } else {
            unfollowed(inv, l, m, "not a list literal");
        }
        touched[mb->machine] = true;
    }
    for (size_t k = 0; k < md->nmachines; k++)
        if (touched[k])
            inv_sort_states(&md->machines[k]);
    free(touched);
}

static const char *const machine_files[] = {"configuration.nix", "hardware-configuration.nix",
                                            "disko.nix"};

/* File j (machine_files) of machine directory i: its index, or -1 when it does not exist;
 * looked up once per clan. */
static long machine_file(struct inv_clan *c, size_t i, size_t j)
{
    if (!c->mfiles) {
        c->mfiles = malloc((c->nmdirs ? c->nmdirs : 1) * 3 * sizeof(*c->mfiles));
        if (!c->mfiles)
            return -1;
        for (size_t k = 0; k < c->nmdirs * 3; k++)
            c->mfiles[k] = -2;
    }
    long *slot = &c->mfiles[i * 3 + j];
    if (*slot != -2)
        return *slot;
    char *rel = NULL, *why = NULL;
    if (str_printf(&rel, "machines/%s/%s", c->mdirs[i], machine_files[j]) < 0)
        return -1;
    char *p = join(c->dir, rel);
    free(rel);
    if (str_printf(&why, "the configuration of machine %s", c->mdirs[i]) < 0)
        why = NULL;
    const char *wn;
    *slot = p ? clan_file(c, p, INV_FILE_NIXOS, why, &wn) : -1; /* absent: -1 */
    free(why);
    free(p);
    return *slot;
}

void inv_read_sources(struct inventory *inv, size_t *cap)
{
    struct inv_clan *c = inv->clan;
    /* what the parses of the other files reported */
    for (size_t i = 1; i < c->nfiles; i++)
        for (size_t k = 0; c->files[i].parse && k < c->files[i].parse->diags.n; k++) {
            inv->cur_owner = (struct inv_owner){INV_OWN_NIX, 0, 0};
            diag_list_push(&inv->diags, &c->files[i].parse->diags.v[k]);
            inv_owners_sync(inv, inv->cur_owner);
        }
    for (size_t i = 0; i < c->nmods; i++)
        if (c->mods[i].v)
            inv_read_clan_module(inv, c->mods[i].v, false, cap);
    if (c->json >= 0 && c->files[c->json].nix) {
        const struct nix_value *root = nix_file_root(c->files[c->json].nix);
        if (root)
            inv_read_clan_module(inv, root, true, cap);
    }
    for (size_t i = 0; i < c->nmdirs; i++) {
        struct inv_loc l = {0};
        long k = inv_declare_machine(inv, c->mdirs[i], l, cap);
        if (k < 0)
            continue;
        struct inv_machine *m = &inv->model.machines[k];
        m->has_dir = true;
        const char *cls = NULL;
        if (m->node) {
            const struct nix_value *mc = nix_value_get(m->node, "machineClass");
            if (mc && mc->kind == NIX_STRING)
                cls = mc->str;
        }
        bool darwin = cls && !strcmp(cls, "darwin");
        /* one walk for all of the machine's files: a module they share is read once */
        inv->visit_gen++;
        if (!inv->visit_gen)
            inv->visit_gen = 1;
        for (size_t j = 0; j < (darwin ? 1 : 3); j++) {
            long fi = machine_file(c, i, j);
            if (fi < 0)
                continue;
            inv_file_used(inv, (size_t)fi);
            m = &inv->model.machines[k];
            if (!m->dir_loc.line && j == 0)
                m->dir_loc = (struct inv_loc){.line = 1, .col = 1, .file = (unsigned)fi};
            if (!m->loc.line && !m->loc.file && j == 0)
                m->loc = m->dir_loc;
            if (!c->files[fi].nix)
                continue;
            inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_CFG, (uint32_t)k, 0};
            /* read once per clan, replayed by every model read (an edit elsewhere) */
            struct walk w = {inv, m, 0, NULL};
            replay(&w, fi, NULL, (struct inv_loc){0});
        }
    }
    for (size_t k = 0; k < inv->model.nmachines; k++) {
        struct inv_machine *m = &inv->model.machines[k];
        inv->cur_owner = (struct inv_owner){INV_OWN_MACHINE_CFG, (uint32_t)k, 0};
        inv_sort_states(m);
        inv_check_postgresql(inv, m);
        /* Clan's deploy falls back to clan.core.networking.targetHost */
        if (!m->target_host.s && m->nixos_target_host.s) {
            m->target_host = m->nixos_target_host;
            m->target_host.s = inv_strdup(m->nixos_target_host.s);
        }
    }
}

/* ---- public ---- */

size_t inventory_nfiles(const struct inventory *inv)
{
    return inv->clan ? inv->clan->nfiles : 1;
}

const struct inv_file_info *inventory_file(const struct inventory *inv, size_t i)
{
    if (!inv->clan)
        return NULL;
    return i < inv->clan->nfiles ? &inv->clan->files[i].info : NULL;
}

const char *inventory_file_name(const struct inventory *inv, unsigned file)
{
    if (file && inv->clan && file < inv->clan->nfiles)
        return inv->clan->files[file].path;
    return inv->name;
}

size_t inventory_nunfollowed(const struct inventory *inv)
{
    return inv->nunf;
}

const struct inv_unfollowed *inventory_unfollowed(const struct inventory *inv, size_t i)
{
    return i < inv->nunf ? &inv->unf[i] : NULL;
}

const char *inventory_dir(const struct inventory *inv)
{
    return inv->clan ? inv->clan->dir : NULL;
}

int inv_edit_file(const struct inventory *inv, unsigned file, struct nix_file **f, bool *json,
                  struct diag *d)
{
    const struct inv_clan *c = inv->clan;
    if (!c || file >= c->nfiles || !c->files[file].nix)
        return diag_set(d, DIAG_ERROR, inventory_file_name(inv, file), 0, 0,
                        "this file cannot be edited (it could not be read)");
    const struct inv_srcfile *sf = &c->files[file];
    if ((long)file == c->json) {
        *f = sf->nix;
        *json = true;
        return 0;
    }
    *json = false;
    /* the clan module in that file: the whole file, or the expression inside it */
    for (size_t i = 0; i < c->nmods; i++) {
        if (c->mods[i].file != file || !c->mods[i].v)
            continue;
        const struct nix_value *v = c->mods[i].v;
        if (v == nix_file_root(sf->nix)) {
            *f = sf->nix;
            return 0;
        }
        for (size_t k = 0; k < c->nviews; k++)
            if (c->views[k].file == file && nix_file_root(c->views[k].nix) == v) {
                *f = c->views[k].nix;
                return 0;
            }
        return diag_set(d, DIAG_ERROR, sf->path, nix_key_line(v), nix_key_col(v),
                        "the clan module here is written with dotted keys (`clan.x = ...;`); "
                        "clan-tui cannot edit it in place: edit the file by hand");
    }
    return diag_set(d, DIAG_ERROR, sf->path, 0, 0,
                    "this value comes from %s, which clan-tui reads but does not edit (%s)",
                    sf->path, sf->why);
}

const char *inv_file_real(const struct inventory *inv, unsigned file)
{
    if (!inv->clan || file >= inv->clan->nfiles)
        return NULL;
    return inv->clan->files[file].real;
}

long inv_file_by_real(const struct inventory *inv, const char *real)
{
    if (!inv->clan || !real)
        return -1;
    for (size_t i = 0; i < inv->clan->nfiles; i++)
        if (inv->clan->files[i].real && !strcmp(inv->clan->files[i].real, real))
            return (long)i;
    return -1;
}

/* The current text of file k (k > 0). */
const char *inv_file_text(const struct inventory *inv, unsigned file, size_t *len)
{
    if (!file)
        return inventory_text(inv, len);
    if (!inv->clan || file >= inv->clan->nfiles || !inv->clan->files[file].nix) {
        *len = 0;
        return NULL;
    }
    return nix_file_text(inv->clan->files[file].nix, len);
}

/* ---- saving a clan of several files ---- */

size_t inventory_pending(const struct inventory *inv, struct inv_pending *out, size_t max)
{
    size_t n = 0;
    size_t ml;
    const char *mt = inventory_text(inv, &ml);
    const struct file_stamp *ms = inv->clan ? &inv->clan->files[0].stamp : &inv->stamp;
    if (hash_bytes(mt, ml) != ms->hash) {
        if (n < max)
            out[n] = (struct inv_pending){0, inv->name, mt, ml};
        n++;
    }
    for (size_t i = 1; inv->clan && i < inv->clan->nfiles; i++) {
        const struct inv_srcfile *f = &inv->clan->files[i];
        if (!f->edited || !f->nix)
            continue;
        size_t l;
        const char *t = nix_file_text(f->nix, &l);
        if (hash_bytes(t, l) == f->stamp.hash)
            continue;
        if (n < max)
            out[n] = (struct inv_pending){(unsigned)i, f->path, t, l};
        n++;
    }
    return n;
}

int inv_save_clan(struct inventory *inv, struct diag *d)
{
    struct inv_clan *c = inv->clan;
    size_t n = inventory_pending(inv, NULL, 0);
    struct inv_pending *pv = calloc(n ? n : 1, sizeof(*pv));
    struct file_stamp *ns = calloc(n ? n : 1, sizeof(*ns));
    struct file_txn *x = NULL;
    int r = !pv || !ns ? -ENOMEM : file_txn_new(&x);
    if (r < 0) {
        free(pv);
        free(ns);
        return diag_set(d, DIAG_ERROR, inv->name, 0, 0, "out of memory"), r;
    }
    inventory_pending(inv, pv, n);
    /* every file's stamp is checked before any is written: all or nothing */
    for (size_t i = 0; i < n && r == 0; i++) {
        const struct file_stamp *st = pv[i].file ? &c->files[pv[i].file].stamp : &inv->stamp;
        r = file_txn_add(x, pv[i].path, pv[i].text, pv[i].len, 0644, st, d);
    }
    if (r == 0)
        r = file_txn_commit(x, ns, d);
    file_txn_free(x);
    if (r == 0) {
        for (size_t i = 0; i < n; i++) {
            if (pv[i].file) {
                c->files[pv[i].file].stamp = ns[i];
                c->files[pv[i].file].edited = false;
            } else {
                inv->stamp = ns[i];
                c->files[0].stamp = ns[i];
                c->files[0].edited = false;
            }
        }
        inv->saved_id = inv->nundo ? inv->undo[inv->nundo - 1].id : 0;
    }
    free(pv);
    free(ns);
    return r;
}

/* ---- the files a model reads ---- */

void inv_file_used(struct inventory *inv, size_t i)
{
    if (i >= inv->nfused) {
        size_t n = (inv->clan ? inv->clan->nfiles : 0) + 16;
        if (n <= i)
            n = i + 16;
        bool *nv = realloc(inv->fused, n * sizeof(*nv));
        if (!nv)
            return;
        memset(nv + inv->nfused, 0, (n - inv->nfused) * sizeof(*nv));
        inv->fused = nv;
        inv->nfused = n;
    }
    inv->fused[i] = true;
}

void inv_list_files(struct inventory *inv)
{
    free(inv->flist);
    inv->flist = NULL;
    inv->nflist = 0;
    size_t n = inv->clan ? inv->clan->nfiles : 1;
    inv->flist = malloc(n * sizeof(*inv->flist));
    if (!inv->flist)
        return;
    inv->flist[inv->nflist++] = 0;
    for (size_t i = 1; inv->clan && i < n; i++)
        if (i < inv->clan->ndisc || (i < inv->nfused && inv->fused[i]))
            inv->flist[inv->nflist++] = (unsigned)i;
    /* by path after the main file: the same order however the files were first met */
    for (size_t i = 2; i < inv->nflist; i++) {
        unsigned x = inv->flist[i];
        size_t j = i;
        while (j > 1 && strcmp(inv->clan->files[inv->flist[j - 1]].path, inv->clan->files[x].path) > 0) {
            inv->flist[j] = inv->flist[j - 1];
            j--;
        }
        inv->flist[j] = x;
    }
}

size_t inventory_nlisted(const struct inventory *inv)
{
    return inv->nflist ? inv->nflist : 1;
}

unsigned inventory_listed(const struct inventory *inv, size_t k)
{
    return k < inv->nflist ? inv->flist[k] : 0;
}

long inventory_listing_index(const struct inventory *inv, unsigned file)
{
    for (size_t k = 0; k < inv->nflist; k++)
        if (inv->flist[k] == file)
            return (long)k;
    return file == 0 ? 0 : -1;
}
