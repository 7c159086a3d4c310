/* Test helper: drive core/util's file writers from the script tests, so that they can put
 * real faults (immutable files, a full tmpfs in a mount namespace, a file or link changed
 * at a chosen moment) under them.
 *
 *   fileio-tool MODE [--after-read CMD] [--before-commit CMD] [--mode-if-new OCTAL]
 *               PATH NEWFILE [PATH NEWFILE]...
 *
 * Every PATH is read first (file_read; a missing file gives a stamp with exists = false),
 * then CMD of --after-read runs (sh -c), then each PATH is staged with the content of
 * NEWFILE and its stamp as the expected one, then CMD of --before-commit runs, then the set
 * is committed. MODE: txn (file_txn), batch (file_batch), write (file_write_atomic per file,
 * no staging: --before-commit runs before the first write).
 * After a txn commit each returned stamp must match its file (file_stamp_check).
 * Exit 0 written, 1 refused or failed (the diagnostic on stderr), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

struct item {
    const char *path;
    char *data;
    size_t len;
    struct file_stamp stamp;
};

static int fail(struct diag *d)
{
    char *s = diag_format(d);
    fprintf(stderr, "fileio-tool: %s\n", s ? s : "error");
    free(s);
    diag_clear(d);
    return 1;
}

static int run_hook(const char *what, const char *cmd)
{
    if (!cmd)
        return 0;
    int st = system(cmd);
    if (st != 0) {
        fprintf(stderr, "fileio-tool: %s command failed (%d): %s\n", what, st, cmd);
        return -1;
    }
    return 0;
}

static int stage_and_commit(const char *mode, struct item *it, size_t n, mode_t mode_if_new,
                            const char *before_commit, struct diag *d)
{
    if (!strcmp(mode, "write")) {
        if (run_hook("--before-commit", before_commit) < 0)
            return 2;
        for (size_t i = 0; i < n; i++)
            if (file_write_atomic(it[i].path, it[i].data, it[i].len, mode_if_new,
                                  &it[i].stamp, d) < 0)
                return fail(d);
        return 0;
    }
    if (!strcmp(mode, "batch")) {
        struct file_batch *b = NULL;
        if (file_batch_new(&b) < 0)
            return 2;
        int rc = 0;
        for (size_t i = 0; i < n && !rc; i++)
            if (file_batch_add(b, it[i].path, it[i].data, it[i].len, mode_if_new,
                               it[i].stamp.exists ? &it[i].stamp : NULL, d) < 0)
                rc = fail(d);
        if (!rc && run_hook("--before-commit", before_commit) < 0)
            rc = 2;
        if (!rc && file_batch_commit(b, d) < 0)
            rc = fail(d);
        file_batch_free(b);
        return rc;
    }
    struct file_txn *x = NULL;
    if (file_txn_new(&x) < 0)
        return 2;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (file_txn_add(x, it[i].path, it[i].data, it[i].len, mode_if_new, &it[i].stamp, d) < 0)
            rc = fail(d);
    if (!rc && run_hook("--before-commit", before_commit) < 0)
        rc = 2;
    struct file_stamp *now = calloc(n, sizeof(*now));
    if (!rc && !now)
        rc = 2;
    if (!rc && file_txn_commit(x, now, d) < 0)
        rc = fail(d);
    file_txn_free(x);
    for (size_t i = 0; i < n && !rc; i++) {
        if (file_stamp_check(it[i].path, &now[i], d) != 1) {
            fprintf(stderr, "fileio-tool: %s: the stamp returned does not match the file\n",
                    it[i].path);
            diag_clear(d);
            rc = 1;
        }
    }
    free(now);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "txn") && strcmp(argv[1], "batch") &&
                     strcmp(argv[1], "write"))) {
        fprintf(stderr, "usage: fileio-tool txn|batch|write [--after-read CMD] "
                        "[--before-commit CMD] [--mode-if-new OCTAL] PATH NEWFILE...\n");
        return 2;
    }
    const char *after_read = NULL, *before_commit = NULL;
    mode_t mode_if_new = 0644;
    int i = 2;
    for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
        if (!strcmp(argv[i], "--after-read"))
            after_read = argv[i + 1];
        else if (!strcmp(argv[i], "--before-commit"))
            before_commit = argv[i + 1];
        else if (!strcmp(argv[i], "--mode-if-new"))
            mode_if_new = (mode_t)strtoul(argv[i + 1], NULL, 8);
        else
            break;
    }
    if (i >= argc || (argc - i) % 2) {
        fprintf(stderr, "fileio-tool: expected PATH NEWFILE pairs\n");
        return 2;
    }
    size_t n = (size_t)(argc - i) / 2;
    struct item *it = calloc(n, sizeof(*it));
    if (!it)
        return 2;
    struct diag d = {0};
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        it[k].path = argv[i + 2 * k];
        if (file_read(argv[i + 2 * k + 1], &it[k].data, &it[k].len, NULL, &d) < 0) {
            rc = fail(&d);
            rc = 2;
            break;
        }
        char *old = NULL;
        if (file_read(it[k].path, &old, NULL, &it[k].stamp, &d) < 0) {
            if (d.msg && strstr(d.msg, strerror(ENOENT)))
                it[k].stamp.exists = false;
            else
                rc = fail(&d);
            diag_clear(&d);
        }
        free(old);
    }
    if (!rc && run_hook("--after-read", after_read) < 0)
        rc = 2;
    if (!rc)
        rc = stage_and_commit(argv[1], it, n, mode_if_new, before_commit, &d);
    for (size_t k = 0; k < n; k++)
        free(it[k].data);
    free(it);
    diag_clear(&d);
    return rc;
}
