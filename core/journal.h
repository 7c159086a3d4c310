/* Journals of borgbackup-job units: local (sd-journal, files, directories) and remote
 * (journalctl's export format over libssh), selection like `journalctl -u`, following
 * driven by a poll() loop, a bounded ring of entries, journalctl-compatible formatting,
 * terminal-safe rendering and per-job status. No global state; nothing is printed. */
#ifndef CLAN_CORE_JOURNAL_H
#define CLAN_CORE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/util.h"

/* ---- entries ---- */

struct journal_field {
    const char *name;   /* NUL-terminated field name, e.g. "MESSAGE" */
    const char *value;  /* value bytes (may contain NUL/binary); NUL-terminated for convenience */
    size_t len;         /* value length in bytes */
};

/* One journal entry, one allocation. Fields are in the order the journal gave them;
 * "__"-prefixed address fields are not among them (see cursor/realtime/monotonic). */
struct journal_entry {
    uint64_t realtime;    /* __REALTIME_TIMESTAMP, µs since the epoch */
    uint64_t monotonic;   /* __MONOTONIC_TIMESTAMP, µs since boot */
    char boot_id[33];     /* _BOOT_ID as 32 hex digits, "" when unknown */
    const char *cursor;   /* __CURSOR or NULL */
    bool new_boot;        /* the previous entry read from this source had another boot */
    bool filtered;        /* dropped by the pattern, kept (without fields) only to mark that
                           * its boot began, as journalctl prints "-- Boot --" for it */
    size_t nfields;
    struct journal_field *fields;
    size_t size;          /* bytes this entry occupies (for the ring's memory bound) */
};

/* Collects fields, then journal_entry_builder_finish() makes one journal_entry. */
struct journal_entry_builder {
    struct buf data;   /* name\0value\0 ... */
    size_t *offs;      /* per field: name offset, value offset, value length */
    size_t n, cap;
    uint64_t realtime, monotonic;
    char boot_id[33];
    char *cursor;
};

void journal_entry_builder_reset(struct journal_entry_builder *b);
void journal_entry_builder_free(struct journal_entry_builder *b);
int journal_entry_builder_add(struct journal_entry_builder *b, const char *name, size_t name_len,
                              const void *value, size_t len);
int journal_entry_builder_set_cursor(struct journal_entry_builder *b, const char *c, size_t len);
/* Returns the entry (NULL on out of memory) and resets the builder. */
struct journal_entry *journal_entry_builder_finish(struct journal_entry_builder *b);
void journal_entry_free(struct journal_entry *e);

/* Value of the field (the last one when it repeats), or NULL. */
const char *journal_entry_get(const struct journal_entry *e, const char *name, size_t *len);

/* Does the name satisfy journald's rules ([A-Z0-9_], not starting with a digit, <= 64)?
 * allow_protected: names starting with "_" are allowed. */
bool journal_field_name_valid(const char *name, size_t len, bool allow_protected);

/* ---- the ring: a bounded window of the newest entries ---- */

struct journal_ring;

/* At most max_entries entries and about max_bytes bytes (the newest entry is always kept). */
struct journal_ring *journal_ring_new(size_t max_entries, size_t max_bytes);
void journal_ring_free(struct journal_ring *r);
/* Takes ownership of e. Drops the oldest entries when a bound is exceeded. */
void journal_ring_push(struct journal_ring *r, struct journal_entry *e);
/* Entries are numbered from 0 in the order pushed; [first, end) are still held. */
uint64_t journal_ring_first(const struct journal_ring *r);
uint64_t journal_ring_end(const struct journal_ring *r);
const struct journal_entry *journal_ring_get(const struct journal_ring *r, uint64_t seq);
size_t journal_ring_count(const struct journal_ring *r);
size_t journal_ring_bytes(const struct journal_ring *r);
uint64_t journal_ring_dropped(const struct journal_ring *r);
void journal_ring_clear(struct journal_ring *r);

/* ---- selection ---- */

#define JOURNAL_DEFAULT_UNIT "borgbackup-job-*"

struct journal_select {
    char **units;          /* unit names or globs as given (like journalctl -u); NULL/0 = all */
    size_t nunits;
    char *hostname;        /* _HOSTNAME= match, or NULL */
    int prio_min, prio_max;/* PRIORITY range (0 emerg .. 7 debug); prio_max < 0: any */
    bool has_since, has_until;
    uint64_t since, until; /* µs since the epoch */
    char *grep;            /* regular expression on MESSAGE (POSIX ERE), or NULL */
    bool grep_case_sensitive; /* default: insensitive when the pattern has no upper case */
    long lines;            /* -n: < 0 all (unless following: then 10) */
    bool follow;
};

void journal_select_free(struct journal_select *s);
/* Adds a unit name or glob; a destination name becomes borgbackup-job-D.service. */
int journal_select_add_unit(struct journal_select *s, const char *unit);
int journal_select_add_destination(struct journal_select *s, const char *dest, struct diag *d);

/* "err", "3", "warning..err", "0..4" as journalctl -p. */
int journal_parse_priority(const char *s, int *min, int *max, struct diag *d);
/* Times as journalctl --since parses them (systemd's parse_timestamp, through
 * core/calendar): "YYYY-MM-DD [HH:MM[:SS[.frac]]] [UTC]", "HH:MM[:SS]", "@SECONDS[.frac]",
 * "now", "today", "yesterday", "tomorrow", "+5min", "-1h", "2 days ago", ... Local time
 * (TZ); now_usec is the reference for relative forms. */
int journal_parse_time(const char *s, uint64_t now_usec, uint64_t *out, struct diag *d);

/* journalctl's unit name mangling for -u: a valid name or glob stays, else ".service" is
 * appended. Returns a malloc'd string. */
char *journal_unit_mangle(const char *unit);

/* Post-filter used by every source (grep); 1 keep, 0 drop. */
struct journal_matcher;
int journal_matcher_new(const struct journal_select *s, struct journal_matcher **out,
                        struct diag *d);
void journal_matcher_free(struct journal_matcher *m);
int journal_matcher_keep(const struct journal_matcher *m, const struct journal_entry *e);

/* ---- sources ---- */

enum journal_source_kind { JOURNAL_LOCAL, JOURNAL_FILES, JOURNAL_DIRECTORY, JOURNAL_REMOTE };

enum journal_state {
    JOURNAL_STATE_READING,      /* reading what the journal holds */
    JOURNAL_STATE_FOLLOWING,    /* caught up, waiting for new entries */
    JOURNAL_STATE_DONE,         /* everything was read (not following) */
    JOURNAL_STATE_CONNECTING,   /* remote: connecting, authenticating, starting journalctl */
    JOURNAL_STATE_WAITING,      /* remote: disconnected, reconnecting after a delay */
    JOURNAL_STATE_FAILED,       /* a permanent error (bad host key, auth refused, ...) */
};

enum journal_host_key_policy {
    JOURNAL_HOSTKEY_ACCEPT_NEW, /* unknown hosts are added to known_hosts, changed keys refused */
    JOURNAL_HOSTKEY_STRICT,     /* unknown hosts and changed keys are refused */
};

struct journal_remote_options {
    const char *target;          /* user@host[:port] (user and port optional; [v6]:port) */
    const char *identity;        /* private key file, or NULL for the agent / default keys */
    const char *known_hosts;     /* NULL: ~/.ssh/known_hosts */
    enum journal_host_key_policy policy;
    const char *journalctl;      /* remote command name, NULL: "journalctl" */
    unsigned backoff_min_ms, backoff_max_ms; /* 0: 1000 and 30000 */
    unsigned connect_timeout_s;  /* 0: 10 */
};

struct journal_source;

struct journal_source_options {
    enum journal_source_kind kind;
    char **paths;            /* JOURNAL_FILES: files; JOURNAL_DIRECTORY: paths[0] */
    size_t npaths;
    struct journal_remote_options remote;
    size_t ring_entries;     /* 0: 10000 */
    size_t ring_bytes;       /* 0: 64 MiB */
};

/* Opens the journal and positions it like journalctl would for the selection. Nothing is
 * read yet: drive it with journal_source_process(). sel is copied. */
int journal_source_open(const struct journal_source_options *opt, const struct journal_select *sel,
                        struct journal_source **out, struct diag *d);
void journal_source_free(struct journal_source *s);

/* For poll(): the fd (-1 when there is none right now), the events to wait for, and a
 * timeout in ms (-1: none, 0: call process again at once). Valid until the next process. */
int journal_source_fd(const struct journal_source *s);
short journal_source_events(const struct journal_source *s);
int journal_source_timeout_ms(const struct journal_source *s);

/* Does the work that is due (revents from poll, 0 on timeout): reads a batch of new
 * entries into the ring, connects, reconnects. Returns the number of new entries (>= 0)
 * or a negative errno for a permanent failure (d filled; state FAILED). State changes
 * worth telling the user are queued: see journal_source_take_notice(). */
int journal_source_process(struct journal_source *s, short revents, struct diag *d);

enum journal_state journal_source_state(const struct journal_source *s);
/* A one-line description: "local journal", "ssh root@host:22 connected",
 * "ssh root@host:22 reconnecting in 4 s (connection lost: ...)". Owned by the source. */
const char *journal_source_describe(struct journal_source *s);
/* A notice for the user since the last call (connection lost, reconnecting, reconnected), or
 * NULL. Caller frees. */
char *journal_source_take_notice(struct journal_source *s);
/* The entries read so far (bounded). */
struct journal_ring *journal_source_ring(struct journal_source *s);
/* Counts of the export stream (remote): bytes received, reconnects made. */
uint64_t journal_source_reconnects(const struct journal_source *s);

/* ---- journalctl's export format, incrementally ---- */

struct journal_export_parser;

typedef int (*journal_export_entry_fn)(void *ctx, struct journal_entry *e); /* takes e */

/* name is used in diagnostics (FILE:LINE:COL). */
struct journal_export_parser *journal_export_parser_new(const char *name);
void journal_export_parser_free(struct journal_export_parser *p);
/* Feed bytes as they come; every complete entry goes to fn (which takes ownership).
 * A malformed entry is skipped up to the next empty line, reported once per entry through
 * diags (may be NULL). Returns 0, or the negative value returned by fn, or -ENOMEM. */
int journal_export_feed(struct journal_export_parser *p, const void *data, size_t len,
                        journal_export_entry_fn fn, void *ctx, struct diag_list *diags);
/* End of stream: a final entry without its empty line is delivered; a truncated field is
 * reported. */
int journal_export_finish(struct journal_export_parser *p, journal_export_entry_fn fn, void *ctx,
                          struct diag_list *diags);
/* Forget any partial entry (after a reconnect). */
void journal_export_reset(struct journal_export_parser *p);

/* ---- output ---- */

enum journal_output { JOURNAL_OUTPUT_SHORT, JOURNAL_OUTPUT_SHORT_ISO, JOURNAL_OUTPUT_JSON };

/* The names of the output modes, indexed by enum journal_output, NULL-terminated. */
extern const char *const journal_output_names[];
int journal_output_parse(const char *s, enum journal_output *out);

/* Appends the entry like `journalctl -o short|short-iso` (not on a terminal: full width, no
 * colour) does; json is one object per line. Returns 1 written, 0 skipped (no MESSAGE, as
 * journalctl skips it). A "-- Boot ID --" line precedes an entry with new_boot for the
 * short forms when boot_lines is true. Output is terminal-safe: control characters never
 * pass (messages with them are shown as "[N blob data]", as journalctl does). */
int journal_format(const struct journal_entry *e, enum journal_output mode, bool boot_lines,
                   struct buf *out);

/* journalctl's "[1.9K blob data]" size format. */
void journal_format_bytes(uint64_t n, char *out, size_t outlen);

/* Renders any bytes harmless for a terminal, for single-line display: tabs become spaces,
 * newlines "⏎" (or kept when keep_newlines), escape sequences, other control characters,
 * bidirectional overrides and invalid UTF-8 become visible \xHH / \u{...} text. */
void journal_sanitize(const char *s, size_t len, bool keep_newlines, struct buf *out);

/* ---- per-job status ---- */

struct journal_job_status {
    char *unit;                /* borgbackup-job-D.service */
    uint64_t last_start;       /* µs; 0 unknown */
    uint64_t last_end;         /* µs; 0 while running or unknown */
    char *result;              /* "running", "success", "failed (exit-code)", ... */
    char *exit_status;         /* "status=2/INVALIDARGUMENT" or NULL */
    char *archive;             /* borg's "Archive name:" or NULL */
    char **stats;              /* borg --stats lines of the last run (sanitized) */
    size_t nstats;
};

struct journal_status {
    struct journal_job_status *jobs; /* sorted by unit */
    size_t njobs;
};

/* Feed entries in journal order. */
int journal_status_feed(struct journal_status *st, const struct journal_entry *e);
const struct journal_job_status *journal_status_find(const struct journal_status *st,
                                                     const char *unit);
void journal_status_free(struct journal_status *st);

#endif
