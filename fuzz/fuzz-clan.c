/* libFuzzer target for the clan reader: the expression-shape functions of core/nix on any
 * input (every shape's parts lie inside its span; a view of an expression is that
 * expression, at the same positions), and the whole reader: the input is written as the
 * clan.nix, flake.nix or a machine's configuration.nix of a small clan directory (beside a
 * fixed inventory.json and modules) which is opened, planned and dumped. Never a crash, a
 * leak or an out-of-bounds read, whatever the text. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/inventory.h"
#include "core/nix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_shapes(struct nix_file *f, const struct nix_value *v, unsigned depth)
{
    if (!v || depth > 64)
        return;
    size_t len;
    (void)nix_file_text(f, &len);
    struct nix_span spans[2] = {{nix_wrap_start(v), nix_val_end(v)},
                                {nix_val_start(v), nix_val_end(v)}};
    for (int k = 0; k < 2; k++) {
        struct nix_shape sh;
        if (nix_shape_at(f, spans[k], &sh) == 0) {
            for (size_t i = 0; i < sh.nparts; i++)
                if (sh.parts[i].start < sh.span.start || sh.parts[i].end > sh.span.end ||
                    sh.parts[i].start > sh.parts[i].end)
                    abort();
            nix_shape_free(&sh);
        }
        struct nix_span b;
        static const char *const names[] = {"a", "lib", "mods", "x"};
        for (size_t i = 0; i < 4; i++)
            if (nix_let_binding(f, spans[k].start, names[i], &b) == 0 &&
                (b.start > b.end || b.end > len))
                abort();
    }
    if (depth < 3 && v->kind == NIX_ATTRS && !v->implicit && nix_val_end(v) <= len) {
        struct diag_list dl = {0};
        struct nix_file *view = NULL;
        if (nix_file_view(f, spans[1], &view, &dl) == 0) {
            const struct nix_value *r = nix_file_root(view);
            /* the view's set is the original's literal: same place, its attributes (a set
             * merged from several literals has more) */
            if (!nix_file_has_errors(view) && r && r->kind == NIX_ATTRS &&
                (nix_val_start(r) != nix_val_start(v) || r->nchildren > v->nchildren))
                abort();
            nix_file_free(view);
        }
        diag_list_free(&dl);
    }
    for (size_t i = 0; i < v->nchildren && i < 64; i++)
        check_shapes(f, v->children[i], depth + 1);
}

static void put(const char *dir, const char *name, const void *d, size_t n)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *o = fopen(p, "w");
    if (!o)
        abort();
    fwrite(d, 1, n, o);
    fclose(o);
}

static void reader(const uint8_t *data, size_t size, int where)
{
    char dir[] = "/tmp/fuzz-clan.XXXXXX";
    if (!mkdtemp(dir))
        return;
    char p[4096];
    snprintf(p, sizeof p, "%s/machines", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/machines/m", dir);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/modules", dir);
    mkdir(p, 0755);
    static const char json[] = "{\n  \"machines\": {\n    \"m\": {\n      \"tags\": [\n        \"backup\"\n"
                               "      ]\n    }\n  }\n}";
    static const char mod[] = "{ lib, config, ... }: { config = lib.mkIf config.x.enable {"
                              " clan.core.state.s.folders = [ \"/s\" ]; }; }";
    static const char clan[] = "{ inventory.instances.borgbackup.roles.client.tags.backup = { };"
                               " inventory.instances.borgbackup.roles.server.machines.m = { }; }";
    static const char flake[] = "{ outputs = { self, clan-core, ... }: let c = clan-core.lib.clan"
                                " { inherit self; imports = [ ./clan.nix ]; }; in { }; }";
    put(dir, "inventory.json", json, sizeof json - 1);
    put(dir, "modules/state.nix", mod, sizeof mod - 1);
    put(dir, "clan.nix", where == 0 ? (const char *)data : clan, where == 0 ? size : sizeof clan - 1);
    put(dir, "flake.nix", where == 1 ? (const char *)data : flake, where == 1 ? size : sizeof flake - 1);
    put(dir, "machines/m/configuration.nix", where == 2 ? (const char *)data : mod,
        where == 2 ? size : sizeof mod - 1);
    struct inventory *inv = NULL;
    struct diag_list dl = {0};
    if (inventory_open(dir, &inv, &dl) == 0) {
        struct plan *pl = NULL;
        if (inventory_plan(inv, &pl, &dl) == 0)
            plan_free(pl);
        struct buf b = {0};
        inventory_dump_json(inv, &b);
        buf_free(&b);
        inventory_free(inv);
    }
    diag_list_free(&dl);
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    int mode = data[0] % 4;
    data++;
    size--;
    if (mode == 3) {
        struct diag_list dl = {0};
        struct nix_file *f = NULL;
        if (nix_parse("fuzz.nix", (const char *)data, size, &f, &dl) == 0) {
            static const char *const names[] = {"lib.clan", "buildClan", "mkFlake", "import",
                                                "mkIf"};
            struct nix_call *calls = NULL;
            size_t n = 0;
            if (nix_find_calls(f, names, 5, &calls, &n) == 0) {
                size_t len;
                (void)nix_file_text(f, &len);
                for (size_t i = 0; i < n; i++)
                    if (calls[i].arg.end > len || calls[i].fn.end > len)
                        abort();
                free(calls);
            }
            check_shapes(f, nix_file_root(f), 0);
            nix_file_free(f);
        }
        diag_list_free(&dl);
        return 0;
    }
    if (memchr(data, 0, size))
        return 0;
    reader(data, size, mode);
    return 0;
}
