/* Internal: the journal source object shared by local.c, remote.c and source.c. */
#ifndef CLAN_CORE_JOURNAL_SOURCE_H
#define CLAN_CORE_JOURNAL_SOURCE_H

#include <systemd/sd-journal.h>

#include "core/journal.h"

struct journal_remote;

struct journal_source {
    enum journal_source_kind kind;
    struct journal_select sel;
    struct journal_matcher *matcher;
    struct journal_ring *ring;
    enum journal_state state;
    char *describe;        /* owned, rebuilt on demand */
    char *label;           /* "local journal", "journal files", "ssh root@host:22" */
    struct buf notices;    /* pending notices, '\n'-separated */
    char prev_boot[33];    /* boot of the previous entry read */

    /* local */
    sd_journal *j;
    bool pending;          /* entries may be waiting to be read */
    bool reverse;          /* reading backwards (journalctl: -g with -n) */
    bool need_next;        /* the position is not on an unread entry */
    long shown;            /* entries delivered (journalctl's n_shown) */
    bool first_batch_done; /* journalctl's first_line */
    struct journal_entry_builder b;

    /* remote */
    struct journal_remote *remote;
};

int journal_source_deliver(struct journal_source *s, struct journal_entry *e);
void journal_source_notice(struct journal_source *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

int journal_local_open(struct journal_source *s, const struct journal_source_options *opt,
                       struct diag *d);
int journal_local_process(struct journal_source *s, short revents, struct diag *d);
int journal_local_fd(const struct journal_source *s);
short journal_local_events(const struct journal_source *s);
int journal_local_timeout_ms(const struct journal_source *s);

int journal_remote_open(struct journal_source *s, const struct journal_remote_options *opt,
                        struct diag *d);
void journal_remote_free(struct journal_remote *r);
int journal_remote_process(struct journal_source *s, short revents, struct diag *d);
int journal_remote_fd(const struct journal_source *s);
short journal_remote_events(const struct journal_source *s);
int journal_remote_timeout_ms(const struct journal_source *s);
const char *journal_remote_describe(struct journal_source *s);
uint64_t journal_remote_reconnects(const struct journal_source *s);

#endif
