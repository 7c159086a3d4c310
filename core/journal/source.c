/* The journal source: one interface over the local journal and a remote one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal/source.h"

static int copy_select(struct journal_select *dst, const struct journal_select *src)
{
    *dst = *src;
    dst->units = NULL;
    dst->nunits = 0;
    dst->hostname = NULL;
    dst->grep = NULL;
    for (size_t i = 0; i < src->nunits; i++)
        if (journal_select_add_unit(dst, src->units[i]) < 0)
            return -ENOMEM;
    if (src->hostname && !(dst->hostname = strdup(src->hostname)))
        return -ENOMEM;
    if (src->grep && !(dst->grep = strdup(src->grep)))
        return -ENOMEM;
    return 0;
}

int journal_source_open(const struct journal_source_options *opt, const struct journal_select *sel,
                        struct journal_source **out, struct diag *d)
{
    struct journal_source *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    s->kind = opt->kind;
    int r = copy_select(&s->sel, sel);
    if (r < 0)
        goto fail;
    if (s->sel.nunits == 0 && (r = journal_select_add_unit(&s->sel, JOURNAL_DEFAULT_UNIT)) < 0)
        goto fail;
    /* journalctl: following without -n shows the last 10 entries first */
    if (s->sel.follow && s->sel.lines < 0 && !s->sel.has_since)
        s->sel.lines = 10;
    if ((r = journal_matcher_new(&s->sel, &s->matcher, d)) < 0)
        goto fail;
    s->ring = journal_ring_new(opt->ring_entries ? opt->ring_entries : 10000,
                               opt->ring_bytes ? opt->ring_bytes : (64u << 20));
    if (!s->ring) {
        r = -ENOMEM;
        goto fail;
    }
    if (opt->kind == JOURNAL_REMOTE)
        r = journal_remote_open(s, &opt->remote, d);
    else
        r = journal_local_open(s, opt, d);
    if (r < 0)
        goto fail;
    *out = s;
    return 0;
fail:
    if (r == -ENOMEM && d && !d->msg)
        diag_set(d, DIAG_ERROR, NULL, 0, 0, "out of memory");
    journal_source_free(s);
    return r;
}

void journal_source_free(struct journal_source *s)
{
    if (!s)
        return;
    if (s->j)
        sd_journal_close(s->j);
    journal_remote_free(s->remote);
    journal_entry_builder_free(&s->b);
    journal_matcher_free(s->matcher);
    journal_ring_free(s->ring);
    journal_select_free(&s->sel);
    buf_free(&s->notices);
    free(s->describe);
    free(s->label);
    free(s);
}

/* Every entry read passes here: boot tracking, the pattern, the ring. */
int journal_source_deliver(struct journal_source *s, struct journal_entry *e)
{
    e->new_boot = s->prev_boot[0] && e->boot_id[0] && strcmp(s->prev_boot, e->boot_id) != 0;
    if (e->boot_id[0])
        memcpy(s->prev_boot, e->boot_id, sizeof s->prev_boot);
    /* a remote journalctl applies the pattern itself (PCRE, as journalctl does) */
    if (s->kind != JOURNAL_REMOTE && !journal_matcher_keep(s->matcher, e)) {
        if (!e->new_boot) {
            journal_entry_free(e);
            return 0;
        }
        /* journalctl still prints "-- Boot --" for it: keep only that */
        e->nfields = 0;
        e->filtered = true;
        journal_ring_push(s->ring, e);
        return 0;
    }
    journal_ring_push(s->ring, e);
    return 1;
}

void journal_source_notice(struct journal_source *s, const char *fmt, ...)
{
    va_list ap;
    char *m = NULL;
    va_start(ap, fmt);
    int n = vasprintf(&m, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (s->notices.len)
        buf_putc(&s->notices, '\n');
    buf_puts(&s->notices, m);
    free(m);
}

char *journal_source_take_notice(struct journal_source *s)
{
    if (!s->notices.len)
        return NULL;
    return buf_steal(&s->notices);
}

int journal_source_fd(const struct journal_source *s)
{
    return s->kind == JOURNAL_REMOTE ? journal_remote_fd(s) : journal_local_fd(s);
}

short journal_source_events(const struct journal_source *s)
{
    return s->kind == JOURNAL_REMOTE ? journal_remote_events(s) : journal_local_events(s);
}

int journal_source_timeout_ms(const struct journal_source *s)
{
    return s->kind == JOURNAL_REMOTE ? journal_remote_timeout_ms(s) : journal_local_timeout_ms(s);
}

int journal_source_process(struct journal_source *s, short revents, struct diag *d)
{
    if (s->state == JOURNAL_STATE_FAILED)
        return diag_set(d, DIAG_ERROR, NULL, 0, 0, "the journal source has failed");
    int r = s->kind == JOURNAL_REMOTE ? journal_remote_process(s, revents, d)
                                      : journal_local_process(s, revents, d);
    if (r < 0 && r != -EAGAIN)
        s->state = JOURNAL_STATE_FAILED;
    return r;
}

enum journal_state journal_source_state(const struct journal_source *s)
{
    return s->state;
}

const char *journal_source_describe(struct journal_source *s)
{
    if (s->kind == JOURNAL_REMOTE)
        return journal_remote_describe(s);
    free(s->describe);
    const char *st = s->state == JOURNAL_STATE_FOLLOWING ? "following"
                     : s->state == JOURNAL_STATE_DONE    ? "done"
                     : s->state == JOURNAL_STATE_FAILED  ? "failed"
                                                         : "reading";
    if (asprintf(&s->describe, "%s %s", s->label ? s->label : "journal", st) < 0)
        s->describe = NULL;
    return s->describe ? s->describe : "journal";
}

struct journal_ring *journal_source_ring(struct journal_source *s)
{
    return s->ring;
}

uint64_t journal_source_reconnects(const struct journal_source *s)
{
    return s->kind == JOURNAL_REMOTE ? journal_remote_reconnects(s) : 0;
}
