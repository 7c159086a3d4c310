/* Operating Clan's borgbackup on the machines, over SSH, as `clan backups` does: the fleet's
 * job status (systemctl show of each borgbackup-job-<dest> .service and .timer), back up now
 * (borgbackup-create, or systemctl start of one job), the archives (borgbackup-list) and
 * restore (per state: preRestoreCommand, borgbackup-restore with NAME and FOLDERS, then
 * postRestoreCommand).
 *
 * One operation (struct backups_op) works on one or many machines at once, each over its own
 * libssh session (core/sshc.h: host keys checked against known_hosts, agent or identity
 * file), every machine with its own connect timeout. Nothing blocks: the caller puts the
 * op's descriptors into its poll() set, and calls backups_op_process with what poll said.
 * A machine that refuses, times out or drops fails alone; the others go on.
 *
 * Remote command lines are built from fixed words; every value that comes from a clan or an
 * archive (unit names, archive names, state names, folders) is passed as a single-quoted
 * shell word (buf_put_shell_word), so no value can change what runs.
 *
 * Contract (stable; the TUI's backups view builds on it):
 * - backups_*_start() copies what it needs from its arguments; nothing is contacted until
 *   the first backups_op_process().
 * - machines are reported in the order given; their index is the one passed in.
 * - results (struct backups_machine) are owned by the op and valid until backups_op_free;
 *   they change only inside backups_op_process().
 * - callbacks (struct backups_callbacks) are called only from inside backups_op_process. */
#ifndef CLAN_CORE_BACKUPS_H
#define CLAN_CORE_BACKUPS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/sshc.h"
#include "core/util.h"

/* ---- job status: what `systemctl show` says of borgbackup-job-<dest>.{service,timer} ---- */

enum backups_job_state {
    BACKUPS_JOB_UNKNOWN,   /* not asked yet, or the machine could not be reached */
    BACKUPS_JOB_MISSING,   /* the machine has no such unit (LoadState=not-found) */
    BACKUPS_JOB_NEVER,     /* loaded, never ran since boot (no start timestamp, Result=success) */
    BACKUPS_JOB_RUNNING,   /* ActiveState=activating/active/deactivating/reloading */
    BACKUPS_JOB_OK,        /* the last run ended with Result=success */
    BACKUPS_JOB_FAILED,    /* the last run failed (Result != success, or ActiveState=failed) */
};

/* "unknown", "missing", "never ran", "running", "ok", "failed" */
const char *backups_job_state_name(enum backups_job_state s);

struct backups_job_status {
    char *unit;              /* "borgbackup-job-D" (without suffix) */
    enum backups_job_state state;
    char *active_state;      /* the service's ActiveState= ("inactive", "failed", ...) or NULL */
    char *sub_state;         /* SubState= or NULL */
    char *result;            /* the service's Result= ("success", "exit-code", ...) or NULL */
    int exit_status;         /* ExecMainStatus= (-1 unknown) */
    /* µs since the epoch, 0 when systemd has none (never ran since boot, never elapses) */
    uint64_t last_start;     /* ExecMainStartTimestamp= */
    uint64_t last_end;       /* ExecMainExitTimestamp= */
    uint64_t timer_last;     /* the timer's LastTriggerUSec= */
    uint64_t timer_next;     /* the timer's NextElapseUSecRealtime= */
    bool timer_loaded;       /* the .timer exists (LoadState=loaded) */
};

/* Parse the output of backups_status_command(): `systemctl show` blocks (one per unit, empty
 * line between, each with Id=) into jobs[i] for units[i] (service and timer merged); jobs[i]
 * start cleared (backups_job_status_clear), their unit is not touched. A unit systemctl did
 * not print keeps state UNKNOWN. Timestamps are systemd's "Www YYYY-MM-DD HH:MM:SS UTC" (the
 * command sets TZ=UTC). name is used in diagnostics. Unknown properties are ignored; a
 * malformed line is an error (FILE:LINE:COL). */
int backups_status_parse(const char *name, const char *text, size_t len,
                         char *const *units, size_t nunits, struct backups_job_status *jobs,
                         struct diag *d);
/* The remote command that status runs for these units (exposed for tests and --dry-run). */
int backups_status_command(char *const *units, size_t nunits, struct buf *out);
void backups_job_status_clear(struct backups_job_status *j);

/* ---- archives: borgbackup-list's JSON, [{"name": "<dest>::<repo>::<archive>"}, ...] ---- */

struct backups_archive {
    char *name;         /* the whole name as borgbackup-list gives it (NAME for restore) */
    char *destination;  /* the part before the first "::" */
    char *repo;         /* between the first "::" and the next one */
    char *archive;      /* the rest, after the second "::" (may itself contain "::") */
    /* from the repository (`borg info --json` through borg-job-DEST), where it answered: */
    char *time;         /* the archive's start as borg gives it ("2026-12-07T21:46:42.000000",
                           the machine's local time), or NULL */
    int64_t original_size, compressed_size, deduplicated_size, nfiles; /* -1: unknown */
};

/* Parse borgbackup-list's output (a JSON array of objects with a "name" string; other
 * members are ignored). name is used in diagnostics. */
int backups_list_parse(const char *name, const char *text, size_t len,
                       struct backups_archive **out, size_t *n, struct diag *d);
void backups_archives_free(struct backups_archive *a, size_t n);
/* The remote command asking DEST's repository for its archives' times and sizes:
 * `echo y | borg-job-DEST info --json --glob-archives '*'` (DEST a single-quoted word). */
int backups_info_command(const char *destination, struct buf *out);
/* Fill time and sizes of the archives of a (n of them) whose destination is DEST from that
 * command's output (borg's {"archives": [{"name", "start", "stats": {...}}, ...]}); archives
 * the answer does not name are left as they are. Refused (d) when it is not that JSON. */
/* For people: "2026-12-07 21:46:42" from borg's time (NULL or unreadable: "-"), and a size
 * in B, KiB, MiB, GiB or TiB with three significant digits ("-" when -1). */
void backups_format_time(const char *borg_time, char *out, size_t size);
void backups_format_size(int64_t bytes, char *out, size_t size);
int backups_info_parse(const char *name, const char *text, size_t len, const char *destination,
                       struct backups_archive *a, size_t n, struct diag *d);

/* ---- restore: what runs for one state ---- */

struct backups_state {
    const char *name;             /* clan.core.state.<name> */
    char *const *folders;         /* absolute paths; FOLDERS is their ':'-join */
    size_t nfolders;
    const char *pre_restore;      /* remote command (preRestoreCommand) or NULL */
    const char *post_restore;     /* remote command (postRestoreCommand) or NULL */
};

/* The remote command line of one restore step: `NAME=... FOLDERS=... exec CMD` with every
 * value a single-quoted word. Refused (-EINVAL, d) for a folder holding ':' (Clan's FOLDERS
 * cannot carry it) or a value that is not a string. Exposed for tests and the confirmation
 * screen. */
int backups_restore_command(const char *cmd, const char *archive_name,
                            const struct backups_state *st, struct buf *out, struct diag *d);

/* ---- operations ---- */

/* One machine an operation works on. */
struct backups_target {
    const char *machine;   /* its name (for messages) */
    const char *target;    /* [user@]host[:port] to ssh to */
    char *const *units;    /* status: its jobs, "borgbackup-job-D"; create with a job: one */
    size_t nunits;
    const struct backups_state *states; /* restore: the states to restore, in order */
    size_t nstates;
};

enum backups_kind { BACKUPS_STATUS, BACKUPS_CREATE, BACKUPS_LIST, BACKUPS_RESTORE };

enum backups_machine_state {
    BACKUPS_PENDING,      /* not started */
    BACKUPS_CONNECTING,
    BACKUPS_RUNNING,      /* a remote command runs */
    BACKUPS_DONE,         /* finished; for restore: every state restored */
    BACKUPS_FAILED,       /* failed: error says why (a restore may have done some states) */
};

/* A step of a restore or a create: one remote command and how it ended. */
struct backups_step {
    char *state;          /* restore: the state; create: NULL */
    char *what;           /* "preRestoreCommand", "borgbackup-restore", "postRestoreCommand",
                             "borgbackup-create", "systemctl start" */
    char *command;        /* the command line sent */
    int exit_status;      /* -1 when it did not finish (connection lost) */
    struct buf output;    /* stdout and stderr, as they came (bounded: the last 64 KiB) */
    bool ok;
};

struct backups_machine {
    const char *machine;
    enum backups_machine_state state;
    char *error;                       /* one line, terminal-safe; NULL unless FAILED */
    /* status */
    struct backups_job_status *jobs;   /* one per unit, in the order given */
    size_t njobs;
    /* list */
    struct backups_archive *archives;
    size_t narchives;
    char *details_error;               /* list: why some archives lack time and size, or NULL */
    /* create, restore */
    struct backups_step *steps;
    size_t nsteps;
    size_t states_failed;              /* restore: states that did not complete */
};

struct backups_op;

/* Live output and progress; any pointer may be NULL. */
struct backups_callbacks {
    void *ctx;
    /* bytes of a step's stdout (is_stderr false) or stderr as they arrive */
    void (*output)(void *ctx, size_t machine, const struct backups_step *step, const char *data,
                   size_t len, bool is_stderr);
    /* a step starts (exit_status -1), or has ended */
    void (*step)(void *ctx, size_t machine, const struct backups_step *step, bool ended);
    /* a machine reached DONE or FAILED */
    void (*machine_done)(void *ctx, size_t machine, const struct backups_machine *m);
};

struct backups_options {
    struct sshc_options ssh;  /* identity, known_hosts, policy, connect timeout (target unused) */
    unsigned command_timeout_s; /* status and list: a command that runs longer fails (0: 60);
                                   create and restore run as long as they need */
    const char *archive;      /* restore: NAME, as borgbackup-list gives it */
    unsigned slice_us;        /* 0, or: backups_op_process returns once it has worked this
                                 long (µs) and says 0 in backups_op_timeout_ms while work is
                                 left, so a UI's loop reads its keys between slices */
    struct backups_callbacks cb;
};

int backups_op_start(enum backups_kind kind, const struct backups_options *o,
                     const struct backups_target *targets, size_t n, struct backups_op **out,
                     struct diag *d);
void backups_op_free(struct backups_op *op);

/* poll(): how many descriptors the op wants now, fill them (fds[i].fd, events; nfds
 * entries), and the timeout in ms (-1 none, 0 call process again at once). */
size_t backups_op_nfds(const struct backups_op *op);
void backups_op_fill(const struct backups_op *op, struct pollfd *fds);
int backups_op_timeout_ms(const struct backups_op *op);
/* Does what is due; fds are the ones filled by backups_op_fill with poll's revents (or
 * NULL, 0 after a timeout). Returns 0, or -ENOMEM. Per-machine failures are not errors of
 * the call: they are in backups_op_machine()->state/error. */
int backups_op_process(struct backups_op *op, const struct pollfd *fds, size_t nfds);
/* Every machine DONE or FAILED. */
bool backups_op_done(const struct backups_op *op);
size_t backups_op_count(const struct backups_op *op);
const struct backups_machine *backups_op_machine(const struct backups_op *op, size_t i);
/* list: hand machine i's archives to the caller (to free with backups_archives_free); the
 * op keeps none. */
void backups_op_take_archives(struct backups_op *op, size_t i, struct backups_archive **out,
                              size_t *n);

/* Run the op to the end with its own poll loop (for the CLI and tests). */
int backups_op_run(struct backups_op *op);

#endif
