/* The fleet schedule map: when every borgbackup job of every client starts during one week,
 * grouped by backup server, the collisions (two or more jobs of one server starting at the
 * same moment: borg's repository and server locks make all but one fail or wait), and a
 * staggered proposal that moves clients' startAt so that no start collides. Pure logic on a
 * plan and core/calendar; applying the proposal is a list of inventory edits. */
#ifndef CLAN_CORE_SCHEDMAP_H
#define CLAN_CORE_SCHEDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/calendar.h"
#include "core/diag.h"
#include "core/inventory.h"
#include "core/plan.h"
#include "core/util.h"

#define SCHEDMAP_DAYS 7
#define SCHEDMAP_HOURS 24
/* Starts counted per job and week; an expression firing more often is "frequent" and is
 * shown, but its starts beyond the cap are not walked. */
#define SCHEDMAP_MAX_STARTS 700

struct schedmap_job {
    char *client;       /* the client machine */
    char *unit;         /* borgbackup-job-D */
    char *start_at;     /* the expression as in the plan */
    uint64_t *starts;   /* µs, ascending, inside the week */
    size_t nstarts;
    bool frequent;      /* more than SCHEDMAP_MAX_STARTS starts */
    char *error;        /* the expression could not be evaluated (then no starts) */
};

struct schedmap_collision {
    uint64_t when;      /* µs */
    size_t *jobs;       /* indexes into the group's jobs, >= 2 */
    size_t njobs;
};

/* A backup server (or, for an explicit destination, the repository's host). */
struct schedmap_group {
    char *name;         /* "backup-server", or "u1@u1.your-storagebox.de (explicit)" */
    bool server;        /* a server machine of the inventory */
    struct schedmap_job *jobs;
    size_t njobs;
    /* starts per day (0 = first day of the week) and hour */
    unsigned cells[SCHEDMAP_DAYS][SCHEDMAP_HOURS];
    bool collide[SCHEDMAP_DAYS][SCHEDMAP_HOURS]; /* a collision starts in this hour */
    struct schedmap_collision *collisions;       /* by time */
    size_t ncollisions;
};

struct schedmap {
    uint64_t week_start; /* µs: midnight (local zone of the ctx) starting the first day */
    struct schedmap_group *groups; /* servers in inventory order, then explicit hosts */
    size_t ngroups;
    size_t ncollisions;  /* over every group */
};

/* The map of the week starting at the midnight on or before `from` (µs, the ctx's zone). */
int schedmap_build(const struct plan *p, struct calendar_ctx *ctx, uint64_t from,
                   struct schedmap **out, struct diag *d);
void schedmap_free(struct schedmap *m);

/* One change of the proposal: the client's startAt becomes new_start_at. */
struct schedmap_change {
    char *client;
    char *old_start_at;
    char *new_start_at;
};
struct schedmap_proposal {
    struct schedmap_change *changes; /* in the order clients were moved */
    size_t nchanges;
    struct diag_list notes;          /* collisions that cannot be moved, and why */
};

/* A proposal that removes the collisions: for every collision the first client (inventory
 * order) keeps its time, each other client whose startAt is a fixed time of day
 * ("[WEEKDAYS] *-*-* HH:MM[:SS]") moves to the nearest later time of day, in steps of
 * step_min minutes (wrapping at midnight; then any free minute), at which none of its jobs
 * starts together with another job of the same server. Other expressions are left alone and
 * named in notes. */
int schedmap_propose(const struct schedmap *m, const struct plan *p, struct calendar_ctx *ctx,
                     unsigned step_min, struct schedmap_proposal *out, struct diag *d);
void schedmap_proposal_free(struct schedmap_proposal *pr);

/* The edit that sets the client's startAt at machine level in its borgbackup client
 * instance. The strings point into inv and ch. -ENOENT when the client is no borgbackup
 * client of any instance. */
int schedmap_change_op(const struct inventory *inv, const struct schedmap_change *ch,
                       struct inv_op *op, struct diag *d);

/* ---- output ---- */
/* The week as text: per group a header, one row per day, 24 hour columns ('.' none, the
 * count, '+' for ten or more, '!' marks a collision hour), then the collisions. */
int schedmap_format_text(const struct schedmap *m, struct calendar_ctx *ctx, struct buf *out);
int schedmap_format_json(const struct schedmap *m, const struct schedmap_proposal *pr,
                         struct calendar_ctx *ctx, struct buf *out);

#endif
