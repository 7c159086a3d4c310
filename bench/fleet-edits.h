/* The six kinds of edit bench/bench-inventory times and tests/test-edit-scale counts, on a
 * gen-fleet clan: picked the same way in both, around a machine in the middle that is a
 * direct client of a borgbackup instance. */
#ifndef CLAN_BENCH_FLEET_EDITS_H
#define CLAN_BENCH_FLEET_EDITS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/inventory.h"

#define FLEET_EDIT_KINDS "tag-add", "tag-join", "schedule", "exclude", "role-add", "machine-add"

struct fleet_edits {
    char *machine; /* the client in the middle */
    char *inst;    /* its borgbackup instance */
    char *ctag;    /* a tag of its client role ("all" when none) */
    char *join;    /* a client role tag of another instance it lacks (NULL: none) */
    char *other;   /* a machine from the middle on not yet a direct client of that role */
};

static inline void fleet_edits_free(struct fleet_edits *p)
{
    free(p->machine);
    free(p->inst);
    free(p->ctag);
    free(p->join);
    free(p->other);
    memset(p, 0, sizeof(*p));
}

/* 0, or -1 when the fleet has no direct client from the middle on. */
static inline int fleet_edits_pick(const struct inv_model *md, struct fleet_edits *p)
{
    memset(p, 0, sizeof(*p));
    size_t mi = md->nmachines / 2;
    const struct inv_member *cm = NULL;
    for (size_t k = 0; k < md->nmembers && !cm; k++) {
        const struct inv_member *mb = &md->members[k];
        const struct inv_instance *in = &md->instances[mb->instance];
        if (mb->direct && mb->machine >= mi && in->module.s &&
            !strcmp(in->module.s, "borgbackup") && !strcmp(in->roles[mb->role].name, "client"))
            cm = mb;
    }
    if (!cm)
        return -1;
    const struct inv_machine *m = &md->machines[cm->machine];
    const struct inv_role *crole = &md->instances[cm->instance].roles[cm->role];
    p->machine = strdup(m->name);
    p->inst = strdup(md->instances[cm->instance].name);
    p->ctag = strdup(crole->ntags ? crole->tags[0].name : "all");
    for (size_t i = 0; i < md->ninstances && !p->join; i++)
        for (size_t j = 0; j < md->instances[i].nroles && !p->join; j++) {
            const struct inv_role *r = &md->instances[i].roles[j];
            if (strcmp(r->name, "client") || i == cm->instance)
                continue;
            for (size_t k = 0; k < r->ntags && !p->join; k++) {
                bool has = false;
                for (size_t t = 0; t < m->ntags; t++)
                    has |= m->tags[t].s && !strcmp(m->tags[t].s, r->tags[k].name);
                if (!has)
                    p->join = strdup(r->tags[k].name);
            }
        }
    for (size_t i = mi; i < md->nmachines && !p->other; i++) {
        bool listed = false;
        for (size_t k = 0; k < crole->nmachines; k++)
            listed |= !strcmp(crole->machines[k].name, md->machines[i].name);
        if (!listed)
            p->other = strdup(md->machines[i].name);
    }
    return 0;
}

/* The edit of a kind (one of FLEET_EDIT_KINDS): 0, or -1 for an unknown kind. */
static inline int fleet_edits_op(const struct fleet_edits *p, const char *kind, struct inv_op *op)
{
    *op = (struct inv_op){.kind = INV_OP_TAG_ADD, .machine = p->machine, .tag = "bench"};
    if (!strcmp(kind, "tag-join")) {
        op->tag = p->join ? p->join : "bench";
    } else if (!strcmp(kind, "schedule")) {
        *op = (struct inv_op){.kind = INV_OP_SETTING_SET,
                              .scope = {.instance = p->inst, .role = "client",
                                        .level = INV_LEVEL_MACHINE, .name = p->machine},
                              .key = "startAt", .value = "*-*-* 04:30:00"};
    } else if (!strcmp(kind, "exclude")) {
        *op = (struct inv_op){.kind = INV_OP_LIST_ADD,
                              .scope = {.instance = p->inst, .role = "client",
                                        .level = INV_LEVEL_TAG, .name = p->ctag},
                              .key = "exclude", .value = "*.bench"};
    } else if (!strcmp(kind, "role-add")) {
        *op = (struct inv_op){.kind = INV_OP_ROLE_MACHINE_ADD, .instance = p->inst,
                              .role = "client", .machine = p->other ? p->other : p->machine};
    } else if (!strcmp(kind, "machine-add")) {
        *op = (struct inv_op){.kind = INV_OP_MACHINE_ADD, .machine = "bench-new",
                              .target_host = "root@10.9.9.9"};
    } else if (strcmp(kind, "tag-add")) {
        return -1;
    }
    return 0;
}

#endif
