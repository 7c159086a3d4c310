/* The borgbackup plan: what Clan would deploy, per machine. Produced by core/inventory
 * (inventory_plan), consumed by core/units, core/keys, core/journal and the TUI.
 * Plain data: every string is owned by the plan; plan_free releases all of it. */
#ifndef CLAN_CORE_PLAN_H
#define CLAN_CORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

/* Where a value was defined in clan.nix (for "where does this come from"). */
struct plan_origin {
    char *level;       /* "default", "role", "tag:<t>", "machine", "destination" */
    unsigned line, col; /* 0 when it is a built-in default */
    char *file;        /* the file of the clan that defines it; NULL: the main file */
};

/* A state hook script as written (shown verbatim, run verbatim). */
struct plan_hook {
    char *state;  /* clan.core.state.<name> */
    char *script; /* the script text, decoded from the Nix string; with on_machine: the Nix
                     source of the value (an interpolation Clan evaluates on the machine) */
    bool on_machine;
};

struct plan_job {
    char *destination;   /* D: the server's machine name or the explicit destination name */
    char *unit;          /* "borgbackup-job-D" (without .service/.timer) */
    char *repo;          /* e.g. "borg@192.168.56.104:." */
    char *rsh;           /* BORG_RSH */
    bool explicit_dest;  /* from settings.destinations (else from a server of the instance) */
    char *server;        /* the server machine for server destinations, else NULL */
    char **paths;        /* union of state folders, states in name order, first kept */
    size_t npaths;
    /* folders Clan evaluates on the machine (`config.services.x.stateDir`): their source
     * text, "state: expression"; not in paths (clan-tui does not guess them) */
    char **machine_paths;
    size_t nmachine_paths;
    /* states declared under lib.mkIf: "state: condition" (their folders are in paths; the
     * machine includes them only when the condition holds) */
    char **conditional;
    size_t nconditional;
    char **exclude;      /* merged exclude patterns, in Clan's merge order */
    struct plan_origin *exclude_origin; /* one per pattern */
    size_t nexclude;
    char *start_at;      /* systemd calendar expression */
    struct plan_origin start_at_origin;
    struct plan_hook *pre_backup;  /* state-name order */
    size_t npre;
    struct plan_hook *post_backup;
    size_t npost;
    struct plan_hook *pre_restore;
    size_t npre_restore;
    struct plan_hook *post_restore;
    size_t npost_restore;
};

/* A client's clan.core.state.<name>, for restores (a restore works state by state). */
struct plan_state {
    char *name;
    char **folders;      /* the folders clan-tui knows (literal ones), in order */
    size_t nfolders;
    bool folders_on_machine; /* some folders are evaluated on the machine: not listed */
    bool has_pre_restore, has_post_restore; /* preRestoreScript / postRestoreScript set */
};

/* For a backup server: one client it accepts. */
struct plan_server_client {
    char *client;     /* machine name */
    char *directory;  /* <server directory>/<client> */
};

struct plan_machine {
    char *name;
    char *target_host;  /* deploy.targetHost or NULL */
    char **tags;
    size_t ntags;
    bool is_client;     /* a borgbackup client (of any instance) */
    bool is_server;     /* a borgbackup server (of any instance) */
    char *no_jobs_reason; /* a client without jobs says why (e.g. "no clan.core.state") */
    struct plan_job *jobs;
    size_t njobs;
    struct plan_state *states; /* a client with jobs: its states, in state-name order */
    size_t nstates;
    /* server side */
    char *address;      /* settings.address or the machine name */
    char *directory;    /* settings.directory or /var/lib/borgbackup */
    struct plan_server_client *clients;
    size_t nclients;
};

struct plan {
    char *meta_name;    /* meta.name or NULL */
    char *meta_domain;
    struct plan_machine *machines; /* every inventory machine, in inventory order */
    size_t nmachines;
    /* A plan from inventory_plan keeps everything in this arena (jobs of one machine share
     * their paths, exclude and hook arrays): treat it as read-only. Empty in a plan built by
     * hand (arena.head == NULL), which plan_free then frees field by field. */
    struct arena arena;
};

void plan_free(struct plan *p);
const struct plan_machine *plan_find_machine(const struct plan *p, const char *name);

#endif
