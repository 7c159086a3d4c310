/* clan-tui edit [DIR|FILE] OPERATION ARGS... [--dry-run]: one scriptable form per inventory edit
 * operation (core/inventory), written atomically, or shown as a diff. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/inventory.h"
#include "tui/cli.h"

static void edit_help(void)
{
    fputs("Usage: clan-tui edit [DIR|FILE] OPERATION ARG... [OPTION]...\n"
          "\n"
          "Change the clan with one edit, keeping every other byte as it is. The\n"
          "result must parse, and an edit that would make Clan's evaluation fail (a second,\n"
          "different definition of a single value at the same priority) is refused with the\n"
          "existing definition and the edits that would not conflict.\n"
          "\n"
          "Operations:\n"
          "  tag add|remove MACHINE TAG                 inventory.machines.MACHINE.tags\n"
          "  machine add NAME [--target-host H] [--tag T]\n"
          "  instance add NAME [--module M] | instance remove NAME    inventory.instances\n"
          "  role add-machine|remove-machine INSTANCE ROLE MACHINE\n"
          "  role add-tag|remove-tag INSTANCE ROLE TAG\n"
          "  schedule set TARGET EXPR | schedule clear TARGET         (settings.startAt)\n"
          "  exclude add|remove TARGET PATTERN                        (settings.exclude)\n"
          "  exclude replace TARGET INDEX PATTERN | exclude move TARGET FROM TO\n"
          "  destination set TARGET NAME repo|rsh VALUE\n"
          "  destination clear TARGET NAME [repo|rsh]\n"
          "  server set SERVER address|directory VALUE | server clear SERVER address|directory\n"
          "  setting set|clear|add|remove TARGET KEY [VALUE]          any settings key\n"
          "\n"
          "TARGET says where the setting is defined: MACHINE or machine:MACHINE (the\n"
          "machine's own settings in the role), tag:TAG (roles.R.tags.TAG.settings), or role\n"
          "(the role-wide settings). INDEX, FROM and TO count from 0.\n"
          "\n"
          CLI_CLAN_HELP
          "The edit goes to the file that defines what it changes (clan.nix, another clan\n"
          "module, inventory.json); --dry-run shows the diff of each file it changes.\n"
          "\n"
          "Options:\n"
          "  -n, --dry-run        print the change as a unified diff, write nothing\n"
          "  -i, --instance I     the service instance (default: the borgbackup instance\n"
          "                       that fits)\n"
          "  -r, --role R         the role (default: client; server for address/directory)\n"
          "      --force          write the value as lib.mkForce VALUE\n"
          "      --default        write the value as lib.mkDefault VALUE\n"
          "      --expr           VALUE is a Nix expression, not a string\n"
          "      --target-host H  machine add: deploy.targetHost\n"
          "      --tag T          machine add: a first tag\n"
          "      --module M       instance add: the instance's module (default: its name,\n"
          "                       as Clan reads it)\n"
          "  -h, --help           show this help and exit\n"
          "\n"
          "Examples:\n"
          "  clan-tui edit clan.nix tag add alice-laptop employees\n"
          "  clan-tui edit schedule set alice-laptop '*-*-* 04:00:00'\n"
          "  clan-tui edit ~/my-clan exclude add tag:employees '*.bak' --dry-run\n"
          "  clan-tui edit instance add borgbackup && clan-tui edit role add-machine \\\n"
          "      borgbackup server backup-server\n"
          "\n"
          "Exit status: 0 done, 1 refused (nothing written), 2 usage error.\n",
          stdout);
}

struct args {
    const char *pos[16];
    int npos;
    bool dry_run, expr;
    int priority;
    const char *instance, *role, *target_host, *tag, *module;
};

static int parse_index(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

/* TARGET: role | tag:T | machine:M | M */
static int parse_target(const char *t, struct inv_scope *s)
{
    if (!strcmp(t, "role")) {
        s->level = INV_LEVEL_ROLE;
        s->name = NULL;
    } else if (!strncmp(t, "tag:", 4) && t[4]) {
        s->level = INV_LEVEL_TAG;
        s->name = t + 4;
    } else if (!strncmp(t, "machine:", 8) && t[8]) {
        s->level = INV_LEVEL_MACHINE;
        s->name = t + 8;
    } else if (*t && !strchr(t, ':')) {
        s->level = INV_LEVEL_MACHINE;
        s->name = t;
    } else {
        return -1;
    }
    return 0;
}

static void put_shell(struct buf *b, const char *s)
{
    bool plain = *s != 0;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,", *p))
            plain = false;
    if (plain) {
        buf_puts(b, s);
        return;
    }
    buf_putc(b, '\'');
    for (; *s; s++)
        if (*s == '\'')
            buf_puts(b, "'\\''");
        else
            buf_putc(b, *s);
    buf_putc(b, '\'');
}

static void put_target(struct buf *b, const struct inv_scope *s)
{
    if (s->level == INV_LEVEL_ROLE)
        buf_puts(b, "role");
    else if (s->level == INV_LEVEL_TAG) {
        char *t = NULL;
        if (asprintf(&t, "tag:%s", s->name) >= 0) {
            put_shell(b, t);
            free(t);
        }
    } else
        put_shell(b, s->name ? s->name : "?");
}

/* The command line that performs op (for the alternatives of a refused edit). */
static void format_op(struct buf *b, const char *file, const struct inv_op *op)
{
    buf_puts(b, "clan-tui edit");
    if (file) { /* without: found from the working directory again */
        buf_putc(b, ' ');
        put_shell(b, file);
    }
    const char *value = op->expr ? op->expr : op->value;
    bool start = op->key && !strcmp(op->key, "startAt");
    if (op->kind == INV_OP_SETTING_SET && start) {
        buf_puts(b, " schedule set ");
        put_target(b, &op->scope);
        buf_putc(b, ' ');
        put_shell(b, value ? value : "");
    } else if (op->kind == INV_OP_SETTING_CLEAR && start) {
        buf_puts(b, " schedule clear ");
        put_target(b, &op->scope);
    } else {
        buf_puts(b, op->kind == INV_OP_SETTING_CLEAR ? " setting clear " : " setting set ");
        put_target(b, &op->scope);
        buf_putc(b, ' ');
        put_shell(b, op->key ? op->key : "");
        if (op->kind == INV_OP_SETTING_SET) {
            buf_putc(b, ' ');
            put_shell(b, value ? value : "");
        }
    }
    if (op->expr)
        buf_puts(b, " --expr");
    if (op->priority == INV_PRIO_FORCE)
        buf_puts(b, " --force");
    if (op->priority == INV_PRIO_DEFAULT)
        buf_puts(b, " --default");
    if (op->scope.instance) {
        buf_puts(b, " --instance ");
        put_shell(b, op->scope.instance);
    }
    if (op->scope.role) {
        buf_puts(b, " --role ");
        put_shell(b, op->scope.role);
    }
}

/* The first word of every operation: the word before it, if any, is the clan. */
static const char *const op_groups[] = {"tag", "machine", "instance", "role", "schedule", "exclude",
                                        "destination", "server", "setting", NULL};

static bool is_op_group(const char *w)
{
    for (const char *const *g = op_groups; *g; g++)
        if (!strcmp(w, *g))
            return true;
    return false;
}

#define NEED(n, usage)                                                                    \
    do {                                                                                  \
        if (a->npos != (n))                                                               \
            return cli_usage_error("edit", "%s", "expected: " usage), 2;                  \
    } while (0)

/* Build the operation from the positional words after DIR|FILE. 0, or 2 (usage error
 * printed). */
static int build_op(struct args *a, struct inv_op *op, char *keybuf, size_t keylen)
{
    const char *g = a->npos > 0 ? a->pos[0] : "";
    const char *v = a->npos > 1 ? a->pos[1] : "";
    memset(op, 0, sizeof(*op));
    op->priority = a->priority;
    op->scope.instance = a->instance;
    op->scope.role = a->role;
    op->instance = a->instance;
    op->role = a->role;
    if (!strcmp(g, "tag")) {
        NEED(4, "tag add|remove MACHINE TAG");
        if (!strcmp(v, "add"))
            op->kind = INV_OP_TAG_ADD;
        else if (!strcmp(v, "remove"))
            op->kind = INV_OP_TAG_REMOVE;
        else
            return cli_usage_error("edit", "unknown tag operation '%s' (expected add or remove)", v);
        op->machine = a->pos[2];
        op->tag = a->pos[3];
        return 0;
    }
    if (!strcmp(g, "machine")) {
        NEED(3, "machine add NAME [--target-host H] [--tag T]");
        if (strcmp(v, "add"))
            return cli_usage_error("edit", "unknown machine operation '%s' (expected add)", v);
        op->kind = INV_OP_MACHINE_ADD;
        op->machine = a->pos[2];
        op->target_host = a->target_host;
        op->tag = a->tag;
        return 0;
    }
    if (!strcmp(g, "instance")) {
        NEED(3, "instance add NAME [--module M] | instance remove NAME");
        if (!strcmp(v, "add"))
            op->kind = INV_OP_INSTANCE_ADD;
        else if (!strcmp(v, "remove"))
            op->kind = INV_OP_INSTANCE_REMOVE;
        else
            return cli_usage_error("edit", "unknown instance operation '%s' (expected add or remove)", v);
        if (a->module && op->kind == INV_OP_INSTANCE_REMOVE)
            return cli_usage_error("edit", "--module goes with instance add");
        op->instance = a->pos[2];
        op->module = a->module;
        return 0;
    }
    if (!strcmp(g, "role")) {
        NEED(5, "role add-machine|remove-machine|add-tag|remove-tag INSTANCE ROLE NAME");
        if (!strcmp(v, "add-machine"))
            op->kind = INV_OP_ROLE_MACHINE_ADD;
        else if (!strcmp(v, "remove-machine"))
            op->kind = INV_OP_ROLE_MACHINE_REMOVE;
        else if (!strcmp(v, "add-tag"))
            op->kind = INV_OP_ROLE_TAG_ADD;
        else if (!strcmp(v, "remove-tag"))
            op->kind = INV_OP_ROLE_TAG_REMOVE;
        else
            return cli_usage_error("edit", "unknown role operation '%s' (expected add-machine, "
                                   "remove-machine, add-tag or remove-tag)", v);
        op->instance = a->pos[2];
        op->role = a->pos[3];
        if (op->kind == INV_OP_ROLE_MACHINE_ADD || op->kind == INV_OP_ROLE_MACHINE_REMOVE)
            op->machine = a->pos[4];
        else
            op->tag = a->pos[4];
        return 0;
    }
    if (!strcmp(g, "schedule") || !strcmp(g, "exclude") || !strcmp(g, "destination") ||
        !strcmp(g, "server") || !strcmp(g, "setting")) {
        if (a->npos < 3)
            return cli_usage_error("edit", "%s %s needs a TARGET", g, v);
        if (parse_target(a->pos[2], &op->scope) < 0)
            return cli_usage_error("edit", "bad TARGET '%s' (expected MACHINE, machine:M, "
                                   "tag:T or role)", a->pos[2]);
    }
    if (!strcmp(g, "schedule")) {
        op->key = "startAt";
        if (!strcmp(v, "set")) {
            NEED(4, "schedule set TARGET EXPR");
            op->kind = INV_OP_SETTING_SET;
            op->value = a->pos[3];
        } else if (!strcmp(v, "clear")) {
            NEED(3, "schedule clear TARGET");
            op->kind = INV_OP_SETTING_CLEAR;
        } else {
            return cli_usage_error("edit", "unknown schedule operation '%s' (expected set or clear)", v);
        }
        return 0;
    }
    if (!strcmp(g, "exclude")) {
        op->key = "exclude";
        if (!strcmp(v, "add") || !strcmp(v, "remove")) {
            NEED(4, "exclude add|remove TARGET PATTERN");
            op->kind = !strcmp(v, "add") ? INV_OP_LIST_ADD : INV_OP_LIST_REMOVE;
            op->value = a->pos[3];
        } else if (!strcmp(v, "replace")) {
            NEED(5, "exclude replace TARGET INDEX PATTERN");
            op->kind = INV_OP_LIST_REPLACE;
            if (parse_index(a->pos[3], &op->index) < 0)
                return cli_usage_error("edit", "INDEX must be a number from 0, got '%s'", a->pos[3]);
            op->value = a->pos[4];
        } else if (!strcmp(v, "move")) {
            NEED(5, "exclude move TARGET FROM TO");
            op->kind = INV_OP_LIST_MOVE;
            if (parse_index(a->pos[3], &op->index) < 0 || parse_index(a->pos[4], &op->to) < 0)
                return cli_usage_error("edit", "FROM and TO must be numbers from 0");
        } else {
            return cli_usage_error("edit", "unknown exclude operation '%s' (expected add, "
                                   "remove, replace or move)", v);
        }
        return 0;
    }
    if (!strcmp(g, "destination")) {
        char *qn = nix_quote_key(a->npos > 3 ? a->pos[3] : "");
        if (!strcmp(v, "set")) {
            if (a->npos != 6) {
                free(qn);
                return cli_usage_error("edit", "expected: destination set TARGET NAME repo|rsh VALUE");
            }
            if (strcmp(a->pos[4], "repo") && strcmp(a->pos[4], "rsh")) {
                free(qn);
                return cli_usage_error("edit", "destination field must be repo or rsh, got '%s'", a->pos[4]);
            }
            snprintf(keybuf, keylen, "destinations.%s.%s", qn ? qn : "", a->pos[4]);
            op->kind = INV_OP_SETTING_SET;
            op->value = a->pos[5];
        } else if (!strcmp(v, "clear")) {
            if (a->npos != 4 && a->npos != 5) {
                free(qn);
                return cli_usage_error("edit", "expected: destination clear TARGET NAME [repo|rsh]");
            }
            if (a->npos == 5 && strcmp(a->pos[4], "repo") && strcmp(a->pos[4], "rsh")) {
                free(qn);
                return cli_usage_error("edit", "destination field must be repo or rsh, got '%s'", a->pos[4]);
            }
            if (a->npos == 5)
                snprintf(keybuf, keylen, "destinations.%s.%s", qn ? qn : "", a->pos[4]);
            else
                snprintf(keybuf, keylen, "destinations.%s", qn ? qn : "");
            op->kind = INV_OP_SETTING_CLEAR;
        } else {
            free(qn);
            return cli_usage_error("edit", "unknown destination operation '%s' (expected set or clear)", v);
        }
        free(qn);
        op->key = keybuf;
        return 0;
    }
    if (!strcmp(g, "server")) {
        if (!op->scope.role)
            op->scope.role = "server";
        if (a->npos < 4 || (strcmp(a->pos[3], "address") && strcmp(a->pos[3], "directory")))
            return cli_usage_error("edit", "expected: server set|clear SERVER address|directory [VALUE]");
        op->key = a->pos[3];
        if (!strcmp(v, "set")) {
            NEED(5, "server set SERVER address|directory VALUE");
            op->kind = INV_OP_SETTING_SET;
            op->value = a->pos[4];
        } else if (!strcmp(v, "clear")) {
            NEED(4, "server clear SERVER address|directory");
            op->kind = INV_OP_SETTING_CLEAR;
        } else {
            return cli_usage_error("edit", "unknown server operation '%s' (expected set or clear)", v);
        }
        return 0;
    }
    if (!strcmp(g, "setting")) {
        if (a->npos < 4)
            return cli_usage_error("edit", "expected: setting set|clear|add|remove TARGET KEY [VALUE]");
        op->key = a->pos[3];
        if (!strcmp(v, "clear")) {
            NEED(4, "setting clear TARGET KEY");
            op->kind = INV_OP_SETTING_CLEAR;
            return 0;
        }
        NEED(5, "setting set|add|remove TARGET KEY VALUE");
        if (!strcmp(v, "set"))
            op->kind = INV_OP_SETTING_SET;
        else if (!strcmp(v, "add"))
            op->kind = INV_OP_LIST_ADD;
        else if (!strcmp(v, "remove"))
            op->kind = INV_OP_LIST_REMOVE;
        else
            return cli_usage_error("edit", "unknown setting operation '%s' (expected set, clear, "
                                   "add or remove)", v);
        op->value = a->pos[4];
        return 0;
    }
    if (!*g)
        return cli_usage_error("edit", "missing OPERATION (tag, machine, instance, role, "
                               "schedule, exclude, destination, server or setting)");
    return cli_usage_error("edit", "unknown operation '%s' (expected tag, machine, instance, "
                           "role, schedule, exclude, destination, server or setting)", g);
}

int cmd_edit(int argc, char **argv)
{
    struct args a = {0};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const char **slot = NULL;
        if (!strcmp(s, "-h") || !strcmp(s, "--help")) {
            edit_help();
            return 0;
        } else if (!strcmp(s, "-n") || !strcmp(s, "--dry-run"))
            a.dry_run = true;
        else if (!strcmp(s, "--force"))
            a.priority = INV_PRIO_FORCE;
        else if (!strcmp(s, "--default"))
            a.priority = INV_PRIO_DEFAULT;
        else if (!strcmp(s, "--expr"))
            a.expr = true;
        else if (!strcmp(s, "-i") || !strcmp(s, "--instance"))
            slot = &a.instance;
        else if (!strcmp(s, "-r") || !strcmp(s, "--role"))
            slot = &a.role;
        else if (!strcmp(s, "--target-host"))
            slot = &a.target_host;
        else if (!strcmp(s, "--tag"))
            slot = &a.tag;
        else if (!strcmp(s, "--module"))
            slot = &a.module;
        else if (!strcmp(s, "--")) {
            for (i++; i < argc; i++) {
                if (!file && !a.npos && !is_op_group(argv[i]))
                    file = argv[i];
                else if (a.npos < 16)
                    a.pos[a.npos++] = argv[i];
            }
            break;
        } else if (s[0] == '-' && s[1])
            return cli_usage_error("edit", "unknown option '%s'", s);
        /* the clan comes first when given: a word that is no operation and names a path */
        else if (!file && !a.npos && !is_op_group(s) && (cli_is_clan_arg(s) || !access(s, F_OK)))
            file = s;
        else if (a.npos < 16)
            a.pos[a.npos++] = s;
        else
            return cli_usage_error("edit", "too many arguments");
        if (slot) {
            if (i + 1 >= argc)
                return cli_usage_error("edit", "option '%s' needs a value", s);
            *slot = argv[++i];
        }
    }
    struct inv_op op;
    char keybuf[1024];
    int u = build_op(&a, &op, keybuf, sizeof(keybuf));
    if (u)
        return u;
    if (a.expr && op.value) {
        op.expr = op.value;
        op.value = NULL;
    }

    struct diag_list diags = {0};
    struct inventory *inv = NULL;
    cli_open_clan("edit", file, &inv, &diags); /* the edit says what is wrong with it */
    diag_list_free(&diags);
    if (!inv)
        return 1;
    const char *clan = file; /* as given, for the commands suggested */
    file = inventory_name(inv); /* the file the edit changes */
    size_t olen;
    const char *old = inventory_text(inv, &olen);
    char *oldcopy = malloc(olen + 1);
    if (oldcopy)
        memcpy(oldcopy, old, olen + 1);
    struct inv_alternatives alts = {0};
    int st = 0;
    if (inventory_edit(inv, &op, &alts, &diags) < 0) {
        cli_print_diags(stderr, &diags);
        for (size_t i = 0; i < alts.n; i++) {
            struct buf b = {0};
            format_op(&b, clan, &alts.v[i].op);
            fprintf(stderr, "  try: %s\n", b.p ? b.p : "");
            buf_free(&b);
        }
        fprintf(stderr, "clan-tui: edit: refused; %s is unchanged\n", file);
        st = 1;
        goto out;
    }
    char *desc = inv_op_describe(&op);
    struct buf b = {0}, names = {0}; /* the diff of every file the edit changes, their names */
    if (cli_diff_pending(inv, oldcopy, oldcopy ? olen : 0, true, &b, &names) < 0) {
        fputs("clan-tui: edit: out of memory\n", stderr);
        st = 1;
    } else if (a.dry_run) {
        st = cli_write_stdout(b.p ? b.p : "", b.len);
    } else {
        struct diag d = {0};
        if (inventory_save(inv, &d) < 0) {
            cli_print_diag(stderr, &d);
            diag_clear(&d);
            fprintf(stderr, "clan-tui: edit: %s is unchanged\n", names.p ? names.p : file);
            st = 1;
        } else {
            printf("%s: %s\n", names.p ? names.p : file, desc ? desc : "edited");
        }
    }
    buf_free(&b);
    buf_free(&names);
    free(desc);
out:
    free(oldcopy);
    inv_alternatives_free(&alts);
    diag_list_free(&diags);
    inventory_free(inv);
    return st;
}
