/* libyaml events -> a small tree with positions. Iterative (an explicit stack), with a
 * depth limit, so no input can exhaust the C stack. */
#include "core/theme/ytree.h"

#include <errno.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define YTREE_MAX_DEPTH 64
#define YTREE_MAX_ANCHORS 4096

struct anchor {
    char *name;
    struct ynode *node;
};

static struct ynode *ynode_new(struct ydoc *doc, enum ynode_type t, const yaml_mark_t *m)
{
    struct ynode *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->type = t;
    n->line = (unsigned)m->line + 1;
    n->col = (unsigned)m->column + 1;
    n->next_alloc = doc->arena;
    doc->arena = n;
    return n;
}

static int ynode_push(struct ynode *parent, struct ynode *key, struct ynode *val)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        struct ynode **v = realloc(parent->vals, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        parent->vals = v;
        if (parent->type == YNODE_MAP) {
            struct ynode **k = realloc(parent->keys, cap * sizeof(*k));
            if (!k)
                return -ENOMEM;
            parent->keys = k;
        }
        parent->cap = cap;
    }
    if (parent->type == YNODE_MAP)
        parent->keys[parent->n] = key;
    parent->vals[parent->n++] = val;
    return 0;
}

void ydoc_free(struct ydoc *doc)
{
    if (!doc)
        return;
    for (struct ynode *n = doc->arena, *next; n; n = next) {
        next = n->next_alloc;
        free(n->str);
        free(n->keys);
        free(n->vals);
        free(n);
    }
    free(doc->file);
    free(doc);
}

int ydoc_error(const struct ydoc *doc, const struct ynode *n, struct diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, DIAG_ERROR, doc->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

const char *ynode_type_name(enum ynode_type t)
{
    switch (t) {
    case YNODE_SCALAR: return "a scalar";
    case YNODE_MAP: return "a mapping";
    case YNODE_SEQ: return "a list";
    }
    return "?";
}

int ynode_bool(const struct ynode *n)
{
    static const char *const yes[] = {"true", "yes", "on"};
    static const char *const no[] = {"false", "no", "off"};
    if (!n || n->type != YNODE_SCALAR)
        return -1;
    for (size_t i = 0; i < 3; i++) {
        if (!strcasecmp(n->str, yes[i]))
            return 1;
        if (!strcasecmp(n->str, no[i]))
            return 0;
    }
    return -1;
}

static int mark_error(struct diag *d, const char *file, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int mark_error(struct diag *d, const char *file, const yaml_mark_t *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_setv(d, DIAG_ERROR, file, (unsigned)m->line + 1, (unsigned)m->column + 1, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

struct frame {
    struct ynode *node;
    struct ynode *pending_key; /* MAP: a key waiting for its value */
};

/* Attach a finished node to the frame on top of the stack (or make it the root). */
static int attach(struct ydoc *doc, struct frame *stack, size_t depth, struct ynode *n,
                  struct diag *d)
{
    if (depth == 0) {
        doc->root = n;
        return 0;
    }
    struct frame *top = &stack[depth - 1];
    if (top->node->type == YNODE_SEQ)
        return ynode_push(top->node, NULL, n) < 0 ? diag_errno(d, -ENOMEM, doc->file, "out of memory") : 0;
    if (!top->pending_key) {
        if (n->type != YNODE_SCALAR)
            return ydoc_error(doc, n, d, "a mapping key must be a plain name, not %s",
                              ynode_type_name(n->type));
        for (size_t i = 0; i < top->node->n; i++)
            if (!strcmp(top->node->keys[i]->str, n->str))
                return ydoc_error(doc, n, d, "duplicate key '%s' (first defined at line %u)",
                                  n->str, top->node->keys[i]->line);
        top->pending_key = n;
        return 0;
    }
    int r = ynode_push(top->node, top->pending_key, n);
    top->pending_key = NULL;
    return r < 0 ? diag_errno(d, -ENOMEM, doc->file, "out of memory") : 0;
}

int ydoc_parse(const char *file, const char *text, size_t len, struct ydoc **out, struct diag *d)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct frame stack[YTREE_MAX_DEPTH];
    size_t depth = 0;
    struct anchor *anchors = NULL;
    size_t nanchors = 0;
    int docs = 0, r = 0;
    bool done = false;

    struct ydoc *doc = calloc(1, sizeof(*doc));
    if (!doc)
        return diag_errno(d, -ENOMEM, file, "out of memory");
    doc->file = strdup(file ? file : "<theme>");
    if (!doc->file) {
        free(doc);
        return diag_errno(d, -ENOMEM, file, "out of memory");
    }
    if (!yaml_parser_initialize(&parser)) {
        ydoc_free(doc);
        return diag_errno(d, -ENOMEM, file, "out of memory");
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);

    while (!done && r == 0) {
        if (!yaml_parser_parse(&parser, &ev)) {
            const char *what = parser.problem ? parser.problem : "invalid YAML";
            r = mark_error(d, doc->file, &parser.problem_mark, "YAML syntax: %s%s%s", what,
                           parser.context ? " " : "", parser.context ? parser.context : "");
            break;
        }
        struct ynode *n = NULL;
        const char *anchor = NULL;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++docs > 1)
                r = mark_error(d, doc->file, &ev.start_mark,
                               "a second YAML document; expected one document per file");
            break;
        case YAML_SCALAR_EVENT:
            n = ynode_new(doc, YNODE_SCALAR, &ev.start_mark);
            if (!n || !(n->str = strndup((const char *)ev.data.scalar.value, ev.data.scalar.length))) {
                r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
                break;
            }
            if (strlen(n->str) != ev.data.scalar.length) {
                r = mark_error(d, doc->file, &ev.start_mark, "a NUL byte in a value");
                break;
            }
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            anchor = (const char *)ev.data.scalar.anchor;
            r = attach(doc, stack, depth, n, d);
            break;
        case YAML_ALIAS_EVENT: {
            const char *name = (const char *)ev.data.alias.anchor;
            struct ynode *target = NULL;
            for (size_t i = nanchors; i-- > 0;)
                if (!strcmp(anchors[i].name, name)) {
                    target = anchors[i].node;
                    break;
                }
            if (!target) {
                r = mark_error(d, doc->file, &ev.start_mark, "unknown alias '*%s'; expected an anchor defined above", name);
                break;
            }
            if (target->type != YNODE_SCALAR) {
                r = mark_error(d, doc->file, &ev.start_mark,
                               "alias '*%s' names %s; only scalar anchors (colours) can be reused",
                               name, ynode_type_name(target->type));
                break;
            }
            n = ynode_new(doc, YNODE_SCALAR, &ev.start_mark);
            if (!n || !(n->str = strdup(target->str))) {
                r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
                break;
            }
            n->plain = target->plain;
            r = attach(doc, stack, depth, n, d);
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == YTREE_MAX_DEPTH) {
                r = mark_error(d, doc->file, &ev.start_mark, "nested deeper than %d levels",
                               YTREE_MAX_DEPTH);
                break;
            }
            n = ynode_new(doc, ev.type == YAML_SEQUENCE_START_EVENT ? YNODE_SEQ : YNODE_MAP,
                          &ev.start_mark);
            if (!n) {
                r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
                break;
            }
            anchor = (const char *)(ev.type == YAML_SEQUENCE_START_EVENT
                                        ? ev.data.sequence_start.anchor
                                        : ev.data.mapping_start.anchor);
            r = attach(doc, stack, depth, n, d);
            if (r == 0)
                stack[depth++] = (struct frame){n, NULL};
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
        if (r == 0 && anchor && n) {
            if (nanchors == YTREE_MAX_ANCHORS) {
                r = mark_error(d, doc->file, &ev.start_mark, "more than %d anchors",
                               YTREE_MAX_ANCHORS);
            } else {
                struct anchor *a = realloc(anchors, (nanchors + 1) * sizeof(*a));
                if (!a || !(a[nanchors].name = strdup(anchor))) {
                    if (a)
                        anchors = a;
                    r = diag_errno(d, -ENOMEM, doc->file, "out of memory");
                } else {
                    anchors = a;
                    a[nanchors++].node = n;
                }
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < nanchors; i++)
        free(anchors[i].name);
    free(anchors);
    if (r < 0) {
        ydoc_free(doc);
        return r;
    }
    *out = doc;
    return 0;
}
