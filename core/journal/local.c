/* The local journal through sd-journal: the system journal, files or a directory. Matches,
 * positioning and the read loop follow journalctl (systemd 252) so that the same selection
 * yields the same entries. Following is driven by sd_journal_get_fd/get_events/get_timeout
 * and sd_journal_process; rotation and vacuuming are handled by sd-journal's inotify. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/journal/source.h"

#define BATCH 512

/* journalctl's add_matches_for_unit(): the unit's own messages, its coredumps, PID 1's
 * messages about it and those of privileged daemons about it. */
static int add_matches_for_unit(sd_journal *j, const char *unit)
{
    char m1[300], m2[300], m3[300], m4[300];
    snprintf(m1, sizeof m1, "_SYSTEMD_UNIT=%s", unit);
    snprintf(m2, sizeof m2, "COREDUMP_UNIT=%s", unit);
    snprintf(m3, sizeof m3, "UNIT=%s", unit);
    snprintf(m4, sizeof m4, "OBJECT_SYSTEMD_UNIT=%s", unit);
    int r;
    if ((r = sd_journal_add_match(j, m1, 0)) < 0 ||
        (r = sd_journal_add_disjunction(j)) < 0 ||
        (r = sd_journal_add_match(j, "MESSAGE_ID=fc2e22bc6ee647b6b90729ab34a250b1", 0)) < 0 ||
        (r = sd_journal_add_match(j, "_UID=0", 0)) < 0 ||
        (r = sd_journal_add_match(j, m2, 0)) < 0 ||
        (r = sd_journal_add_disjunction(j)) < 0 ||
        (r = sd_journal_add_match(j, "_PID=1", 0)) < 0 ||
        (r = sd_journal_add_match(j, m3, 0)) < 0 ||
        (r = sd_journal_add_disjunction(j)) < 0 ||
        (r = sd_journal_add_match(j, "_UID=0", 0)) < 0 ||
        (r = sd_journal_add_match(j, m4, 0)) < 0)
        return r;
    size_t n = strlen(unit);
    if (n > 6 && !strcmp(unit + n - 6, ".slice")) {
        char m5[300];
        snprintf(m5, sizeof m5, "_SYSTEMD_SLICE=%s", unit);
        if ((r = sd_journal_add_disjunction(j)) < 0 || (r = sd_journal_add_match(j, m5, 0)) < 0)
            return r;
    }
    return 0;
}

struct strset {
    char **v;
    size_t n;
};

static int strset_add(struct strset *s, const char *p, size_t len)
{
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->v[i]) == len && !memcmp(s->v[i], p, len))
            return 0;
    char **v = realloc(s->v, (s->n + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    s->v = v;
    if (!(v[s->n] = strndup(p, len)))
        return -ENOMEM;
    s->n++;
    return 0;
}

static void strset_free(struct strset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* journalctl's get_possible_units(): unit names seen in the journal that match a glob. */
static int possible_units(sd_journal *j, char **patterns, size_t npat, struct strset *found)
{
    static const char *const fields[] = {"_SYSTEMD_UNIT", "COREDUMP_UNIT", "UNIT",
                                         "OBJECT_SYSTEMD_UNIT", "_SYSTEMD_SLICE"};
    for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
        int r = sd_journal_query_unique(j, fields[f]);
        if (r < 0)
            return r;
        const void *data;
        size_t size;
        SD_JOURNAL_FOREACH_UNIQUE(j, data, size) {
            const char *eq = memchr(data, '=', size);
            size_t prefix = eq ? (size_t)(eq - (const char *)data) + 1 : 0;
            char *u = strndup((const char *)data + prefix, size - prefix);
            if (!u)
                return -ENOMEM;
            for (size_t i = 0; i < npat; i++)
                if (fnmatch(patterns[i], u, FNM_NOESCAPE) == 0) {
                    r = strset_add(found, u, strlen(u));
                    break;
                }
            free(u);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

static int add_units(sd_journal *j, const struct journal_select *sel, struct diag *d)
{
    char **patterns = NULL;
    size_t npat = 0, count = 0;
    int r = 0;
    struct strset found = {0};
    for (size_t i = 0; i < sel->nunits && r >= 0; i++) {
        char *u = journal_unit_mangle(sel->units[i]);
        if (!u) {
            r = -ENOMEM;
            break;
        }
        if (strpbrk(u, "*?[")) {
            char **v = realloc(patterns, (npat + 1) * sizeof *v);
            if (!v) {
                free(u);
                r = -ENOMEM;
                break;
            }
            patterns = v;
            patterns[npat++] = u;
            continue;
        }
        if ((r = add_matches_for_unit(j, u)) >= 0 && (r = sd_journal_add_disjunction(j)) >= 0)
            count++;
        free(u);
    }
    if (r >= 0 && npat) {
        r = possible_units(j, patterns, npat, &found);
        for (size_t i = 0; r >= 0 && i < found.n; i++)
            if ((r = add_matches_for_unit(j, found.v[i])) >= 0 &&
                (r = sd_journal_add_disjunction(j)) >= 0)
                count++;
    }
    if (r >= 0 && sel->nunits && count == 0) {
        struct buf b = {0};
        for (size_t i = 0; i < npat; i++)
            buf_printf(&b, "%s'%s'", i ? ", " : "", patterns[i]);
        r = diag_errno(d, -ENODATA, NULL, "no unit in the journal matches %s", b.p ? b.p : "");
        buf_free(&b);
    } else if (r >= 0)
        r = sd_journal_add_conjunction(j);
    else
        diag_errno(d, r, NULL, "cannot add the unit filter: %s", strerror(-r));
    for (size_t i = 0; i < npat; i++)
        free(patterns[i]);
    free(patterns);
    strset_free(&found);
    return r;
}

static int apply_selection(struct journal_source *s, struct diag *d)
{
    sd_journal *j = s->j;
    int r = add_units(j, &s->sel, d);
    if (r < 0)
        return r;
    if (s->sel.prio_max >= 0 && !(s->sel.prio_min == 0 && s->sel.prio_max == 7)) {
        for (int p = s->sel.prio_min; p <= s->sel.prio_max; p++) {
            char m[16];
            snprintf(m, sizeof m, "PRIORITY=%d", p);
            if ((r = sd_journal_add_match(j, m, 0)) < 0)
                goto fail;
        }
        if ((r = sd_journal_add_conjunction(j)) < 0)
            goto fail;
    }
    if (s->sel.hostname) {
        char *m;
        if (asprintf(&m, "_HOSTNAME=%s", s->sel.hostname) < 0)
            return -ENOMEM;
        r = sd_journal_add_match(j, m, 0);
        free(m);
        if (r < 0)
            goto fail;
    }
    return 0;
fail:
    return diag_errno(d, r, NULL, "cannot add a journal filter: %s", strerror(-r));
}

/* journalctl's positioning. With a pattern and -n (not following) it reads backwards from
 * the end, since it cannot know where the last N matches begin. */
static int position(struct journal_source *s, struct diag *d)
{
    int r;
    s->need_next = true;
    s->reverse = s->sel.grep && s->sel.lines >= 0 && !s->sel.follow;
    if (s->sel.has_since && !s->reverse) {
        r = sd_journal_seek_realtime_usec(s->j, s->sel.since);
    } else if (s->sel.has_until && s->reverse) {
        r = sd_journal_seek_realtime_usec(s->j, s->sel.until);
    } else if (s->reverse) {
        r = sd_journal_seek_tail(s->j);
    } else if (s->sel.lines >= 0) {
        r = sd_journal_seek_tail(s->j);
        if (r >= 0) {
            r = sd_journal_previous_skip(s->j, (uint64_t)s->sel.lines);
            if (r > 0)
                s->need_next = false;
        }
    } else
        r = sd_journal_seek_head(s->j);
    if (r < 0)
        return diag_errno(d, r, NULL, "cannot seek in the journal: %s", strerror(-r));
    return 0;
}

int journal_local_open(struct journal_source *s, const struct journal_source_options *opt,
                       struct diag *d)
{
    int r;
    switch (opt->kind) {
    case JOURNAL_FILES: {
        if (opt->npaths == 0)
            return diag_errno(d, -EINVAL, NULL, "no journal file given");
        const char **v = calloc(opt->npaths + 1, sizeof *v);
        if (!v)
            return -ENOMEM;
        for (size_t i = 0; i < opt->npaths; i++)
            v[i] = opt->paths[i];
        r = sd_journal_open_files(&s->j, v, 0);
        free(v);
        if (r < 0) {
            struct buf b = {0};
            for (size_t i = 0; i < opt->npaths; i++)
                buf_printf(&b, "%s%s", i ? ", " : "", opt->paths[i]);
            diag_errno(d, r, b.p, "cannot open journal file: %s", strerror(-r));
            buf_free(&b);
            return r;
        }
        s->label = strdup(opt->npaths == 1 ? opt->paths[0] : "journal files");
        break;
    }
    case JOURNAL_DIRECTORY:
        if (opt->npaths != 1)
            return diag_errno(d, -EINVAL, NULL, "expected one journal directory");
        r = sd_journal_open_directory(&s->j, opt->paths[0], 0);
        if (r < 0)
            return diag_errno(d, r, opt->paths[0], "cannot open journal directory: %s",
                              strerror(-r));
        s->label = strdup(opt->paths[0]);
        break;
    default:
        r = sd_journal_open(&s->j, SD_JOURNAL_LOCAL_ONLY);
        if (r < 0)
            return diag_errno(d, r, NULL, "cannot open the local journal: %s", strerror(-r));
        s->label = strdup("local journal");
        break;
    }
    sd_journal_set_data_threshold(s->j, 0);
    if ((r = apply_selection(s, d)) < 0)
        return r;
    if ((r = position(s, d)) < 0)
        return r;
    if (s->sel.follow) {
        /* sets up inotify; from here on changes are noticed */
        r = sd_journal_get_fd(s->j);
        if (r < 0)
            return diag_errno(d, r, NULL, "cannot watch the journal: %s", strerror(-r));
    }
    s->pending = true;
    s->state = JOURNAL_STATE_READING;
    return 0;
}

static struct journal_entry *read_entry(struct journal_source *s, int *err)
{
    sd_journal *j = s->j;
    struct journal_entry_builder *b = &s->b;
    const void *data;
    size_t len;
    int r;
    journal_entry_builder_reset(b);
    SD_JOURNAL_FOREACH_DATA(j, data, len) {
        const char *eq = memchr(data, '=', len);
        if (!eq)
            continue;
        size_t nl = (size_t)(eq - (const char *)data);
        if ((r = journal_entry_builder_add(b, data, nl, eq + 1, len - nl - 1)) < 0) {
            *err = r;
            return NULL;
        }
    }
    uint64_t rt = 0, mono = 0;
    sd_id128_t boot;
    if (sd_journal_get_realtime_usec(j, &rt) >= 0)
        b->realtime = rt;
    if (sd_journal_get_monotonic_usec(j, &mono, &boot) >= 0) {
        b->monotonic = mono;
        sd_id128_to_string(boot, b->boot_id);
    }
    char *cursor = NULL;
    if (sd_journal_get_cursor(j, &cursor) >= 0) {
        r = journal_entry_builder_set_cursor(b, cursor, strlen(cursor));
        free(cursor);
        if (r < 0) {
            *err = r;
            return NULL;
        }
    }
    struct journal_entry *e = journal_entry_builder_finish(b);
    if (!e)
        *err = -ENOMEM;
    return e;
}

static int read_batch(struct journal_source *s, struct diag *d)
{
    int got = 0, r;
    for (int i = 0; i < BATCH; i++) {
        bool limited = s->sel.lines >= 0 && !(s->sel.follow && s->first_batch_done);
        if (limited && s->shown >= s->sel.lines) {
            s->pending = false;
            break;
        }
        if (s->need_next) {
            r = s->reverse ? sd_journal_previous(s->j) : sd_journal_next(s->j);
            if (r < 0)
                return diag_errno(d, r, NULL, "cannot read the journal: %s", strerror(-r));
            if (r == 0) {
                s->pending = false;
                break;
            }
        }
        s->need_next = true;
        if (s->sel.has_until && !s->reverse) {
            uint64_t rt;
            if (sd_journal_get_realtime_usec(s->j, &rt) >= 0 && rt > s->sel.until) {
                s->pending = false;
                s->need_next = false; /* look at it again: it stays beyond --until */
                break;
            }
        }
        if (s->sel.has_since && s->reverse) {
            uint64_t rt;
            if (sd_journal_get_realtime_usec(s->j, &rt) >= 0 && rt < s->sel.since) {
                s->pending = false;
                s->need_next = false; /* look at it again: it stays beyond --until */
                break;
            }
        }
        struct journal_entry *e = read_entry(s, &r);
        if (!e) {
            if (r == -EADDRNOTAVAIL || r == -EBADMSG)
                continue; /* an entry we cannot read, as journalctl skips it */
            return diag_errno(d, r, NULL, "cannot read a journal entry: %s", strerror(-r));
        }
        if (journal_source_deliver(s, e) > 0) {
            s->shown++;
            got++;
        }
    }
    if (!s->pending)
        s->state = s->sel.follow ? JOURNAL_STATE_FOLLOWING : JOURNAL_STATE_DONE;
    return got;
}

int journal_local_process(struct journal_source *s, short revents, struct diag *d)
{
    (void)revents;
    if (s->state == JOURNAL_STATE_DONE)
        return 0;
    if (!s->pending && s->sel.follow) {
        int r = sd_journal_process(s->j);
        if (r < 0)
            return diag_errno(d, r, NULL, "cannot follow the journal: %s", strerror(-r));
        /* like journalctl, the -n limit applies only before the first change */
        s->first_batch_done = true;
        if (r == SD_JOURNAL_NOP)
            return 0;
        s->pending = true;
    }
    if (!s->pending)
        return 0;
    return read_batch(s, d);
}

int journal_local_fd(const struct journal_source *s)
{
    if (!s->sel.follow || s->state == JOURNAL_STATE_DONE)
        return -1;
    return sd_journal_get_fd(s->j);
}

short journal_local_events(const struct journal_source *s)
{
    if (!s->sel.follow)
        return 0;
    int e = sd_journal_get_events(s->j);
    return e < 0 ? 0 : (short)e;
}

int journal_local_timeout_ms(const struct journal_source *s)
{
    if (s->pending)
        return 0;
    if (!s->sel.follow || s->state == JOURNAL_STATE_DONE)
        return -1;
    uint64_t t;
    if (sd_journal_get_timeout(s->j, &t) < 0 || t == UINT64_MAX)
        return -1;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
    if (t <= now)
        return 0;
    uint64_t ms = (t - now + 999) / 1000;
    return ms > 60000 ? 60000 : (int)ms;
}
