/* Per-job status from the journal: systemd's job messages about borgbackup-job-*.service
 * (start, finish, failure, exit status) and borg's own output (archive name, --stats). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/journal.h"

/* systemd's catalog ids (src/systemd/sd-messages.h) */
#define MID_JOB_START "7d4958e842da4a758f6c1cdc7b36dcc5"
#define MID_JOB_DONE "39f53479d3a045ac8e11786248231fbf"
#define MID_UNIT_SUCCESS "7ad2d189f7e94e70a38c781354912448"
#define MID_UNIT_FAILED "d9b373ed55a64feb8242e02dbe79a49c"
#define MID_PROCESS_EXIT "98e322203f7a4ed290d09fe03c09fe15"

#define MAX_STATS 24

static const char *const stats_prefixes[] = {
    "Repository: ", "Archive name: ", "Archive fingerprint: ", "Time (start): ",
    "Time (end): ", "Duration: ", "Number of files: ", "Utilization of max. archive size: ",
    "Original size", "This archive: ", "All archives: ", "Unique chunks", "Chunk index: ",
    "------------------------------------------------------------------------------", NULL,
};

static bool is_job_unit(const char *u, size_t len)
{
    return len > 23 && len < 256 && !memchr(u, 0, len) && !strncmp(u, "borgbackup-job-", 15) &&
           !memcmp(u + len - 8, ".service", 8);
}

static struct journal_job_status *job(struct journal_status *st, const char *unit, size_t len)
{
    size_t lo = 0, hi = st->njobs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        size_t slen = strlen(st->jobs[mid].unit);
        int c = memcmp(st->jobs[mid].unit, unit, slen < len ? slen : len);
        if (c == 0)
            c = slen < len ? -1 : slen > len;
        if (c == 0)
            return &st->jobs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    struct journal_job_status *v = realloc(st->jobs, (st->njobs + 1) * sizeof *v);
    if (!v)
        return NULL;
    st->jobs = v;
    memmove(&v[lo + 1], &v[lo], (st->njobs - lo) * sizeof *v);
    memset(&v[lo], 0, sizeof *v);
    if (!(v[lo].unit = strndup(unit, len))) {
        memmove(&v[lo], &v[lo + 1], (st->njobs - lo) * sizeof *v);
        return NULL;
    }
    st->njobs++;
    return &v[lo];
}

static void clear_run(struct journal_job_status *j)
{
    free(j->result);
    free(j->exit_status);
    free(j->archive);
    for (size_t i = 0; i < j->nstats; i++)
        free(j->stats[i]);
    free(j->stats);
    j->result = j->exit_status = j->archive = NULL;
    j->stats = NULL;
    j->nstats = 0;
    j->last_start = j->last_end = 0;
}

static char *sanitized(const char *s, size_t len)
{
    struct buf b = {0};
    journal_sanitize(s, len, false, &b);
    return b.p ? buf_steal(&b) : strdup("");
}

static int set_str(char **dst, const char *s, size_t len)
{
    char *v = sanitized(s, len);
    if (!v)
        return -ENOMEM;
    free(*dst);
    *dst = v;
    return 0;
}

static bool field_is(const struct journal_entry *e, const char *name, const char *value)
{
    size_t len;
    const char *v = journal_entry_get(e, name, &len);
    return v && len == strlen(value) && !memcmp(v, value, len);
}

static bool starts(const char *m, size_t len, const char *p)
{
    size_t n = strlen(p);
    return len >= n && !memcmp(m, p, n);
}

/* A message of PID 1 (or another manager) about the unit. */
static int manager_message(struct journal_job_status *j, const struct journal_entry *e,
                           const char *msg, size_t mlen)
{
    size_t len;
    const char *mid = journal_entry_get(e, "MESSAGE_ID", &len);
    bool is_mid = mid && len == 32;
    if ((is_mid && !memcmp(mid, MID_JOB_START, 32) && !field_is(e, "JOB_TYPE", "stop")) ||
        (!is_mid && starts(msg, mlen, "Starting "))) {
        clear_run(j);
        j->last_start = e->realtime;
        return set_str(&j->result, "running", 7);
    }
    if (is_mid && !memcmp(mid, MID_JOB_DONE, 32)) {
        const char *res = journal_entry_get(e, "JOB_RESULT", &len);
        if (field_is(e, "JOB_TYPE", "stop"))
            return 0;
        j->last_end = e->realtime;
        if (res && len == 4 && !memcmp(res, "done", 4))
            return set_str(&j->result, "success", 7);
        if (res) {
            char buf[80];
            snprintf(buf, sizeof buf, "failed (%.*s)", (int)(len < 40 ? len : 40), res);
            return (j->result && !strncmp(j->result, "failed (", 8)) ? 0
                                                                      : set_str(&j->result, buf, strlen(buf));
        }
        return 0;
    }
    if (is_mid && !memcmp(mid, MID_UNIT_SUCCESS, 32)) {
        if (!j->last_end)
            j->last_end = e->realtime;
        return set_str(&j->result, "success", 7);
    }
    if (is_mid && !memcmp(mid, MID_UNIT_FAILED, 32)) {
        const char *res = journal_entry_get(e, "UNIT_RESULT", &len);
        char buf[80];
        snprintf(buf, sizeof buf, "failed (%.*s)", res ? (int)(len < 40 ? len : 40) : 6,
                 res ? res : "failed");
        j->last_end = e->realtime;
        return set_str(&j->result, buf, strlen(buf));
    }
    if (is_mid && !memcmp(mid, MID_PROCESS_EXIT, 32)) {
        const char *st = memmem(msg, mlen, "status=", 7);
        if (st) {
            size_t n = mlen - (size_t)(st - msg);
            while (n && (st[n - 1] == '.' || st[n - 1] == '\n'))
                n--;
            return set_str(&j->exit_status, st, n);
        }
        return 0;
    }
    if (!is_mid && starts(msg, mlen, "Finished ")) {
        j->last_end = e->realtime;
        return set_str(&j->result, "success", 7);
    }
    if (!is_mid && starts(msg, mlen, "Failed to start ")) {
        j->last_end = e->realtime;
        return set_str(&j->result, "failed", 6);
    }
    return 0;
}

/* A line of the job's own output. */
static int job_line(struct journal_job_status *j, const char *l, size_t len)
{
    while (len && (l[0] == ' ' || l[0] == '\t')) {
        l++;
        len--;
    }
    while (len && (l[len - 1] == ' ' || l[len - 1] == '\r'))
        len--;
    bool stat = false;
    for (const char *const *p = stats_prefixes; *p && !stat; p++)
        stat = starts(l, len, *p);
    if (!stat)
        return 0;
    if (starts(l, len, "Archive name: ")) {
        int r = set_str(&j->archive, l + 14, len - 14);
        if (r < 0)
            return r;
    }
    if (j->nstats >= MAX_STATS)
        return 0;
    char **v = realloc(j->stats, (j->nstats + 1) * sizeof *v);
    if (!v)
        return -ENOMEM;
    j->stats = v;
    if (!(v[j->nstats] = sanitized(l, len)))
        return -ENOMEM;
    j->nstats++;
    return 0;
}

int journal_status_feed(struct journal_status *st, const struct journal_entry *e)
{
    size_t ulen, mlen;
    const char *msg = journal_entry_get(e, "MESSAGE", &mlen);
    if (!msg)
        return 0;
    const char *unit = journal_entry_get(e, "_SYSTEMD_UNIT", &ulen);
    if (unit && is_job_unit(unit, ulen)) {
        struct journal_job_status *j = job(st, unit, ulen);
        if (!j)
            return -ENOMEM;
        for (const char *p = msg, *end = msg + mlen; p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl)
                nl = end;
            int r = job_line(j, p, (size_t)(nl - p));
            if (r < 0)
                return r;
            p = nl + 1;
        }
        return 0;
    }
    /* the manager's messages carry UNIT= (system) or OBJECT_SYSTEMD_UNIT= */
    unit = journal_entry_get(e, "UNIT", &ulen);
    if (!unit || !is_job_unit(unit, ulen))
        unit = journal_entry_get(e, "OBJECT_SYSTEMD_UNIT", &ulen);
    if (!unit || !is_job_unit(unit, ulen))
        return 0;
    struct journal_job_status *j = job(st, unit, ulen);
    if (!j)
        return -ENOMEM;
    return manager_message(j, e, msg, mlen);
}

const struct journal_job_status *journal_status_find(const struct journal_status *st,
                                                     const char *unit)
{
    for (size_t i = 0; i < st->njobs; i++)
        if (!strcmp(st->jobs[i].unit, unit))
            return &st->jobs[i];
    return NULL;
}

void journal_status_free(struct journal_status *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->njobs; i++) {
        clear_run(&st->jobs[i]);
        free(st->jobs[i].unit);
    }
    free(st->jobs);
    st->jobs = NULL;
    st->njobs = 0;
}
