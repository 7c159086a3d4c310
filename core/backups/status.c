/* Job status from `systemctl show` of borgbackup-job-<dest>.service and .timer. */
#include "core/backups.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The properties asked for; systemctl prints those a unit type has (timers have no
 * ExecMain*, services no LastTriggerUSec). */
#define STATUS_PROPERTIES                                                                    \
    "Id,LoadState,ActiveState,SubState,Result,ExecMainStatus,ExecMainStartTimestamp,"        \
    "ExecMainExitTimestamp,LastTriggerUSec,NextElapseUSecRealtime"

const char *backups_job_state_name(enum backups_job_state s)
{
    switch (s) {
    case BACKUPS_JOB_MISSING: return "missing";
    case BACKUPS_JOB_NEVER: return "never ran";
    case BACKUPS_JOB_RUNNING: return "running";
    case BACKUPS_JOB_OK: return "ok";
    case BACKUPS_JOB_FAILED: return "failed";
    case BACKUPS_JOB_UNKNOWN: break;
    }
    return "unknown";
}

int backups_status_command(char *const *units, size_t nunits, struct buf *out)
{
    /* TZ=UTC: timestamps as "Tue 2026-12-08 01:00:00 UTC" whatever the machine's zone
     * (systemctl show ignores --timestamp= for properties; weekdays are never localized) */
    int r = buf_puts(out, "TZ=UTC systemctl show -p " STATUS_PROPERTIES " --");
    for (size_t i = 0; i < nunits && r >= 0; i++)
        for (int t = 0; t < 2 && r >= 0; t++) {
            char *name = NULL;
            if (str_printf(&name, "%s.%s", units[i], t ? "timer" : "service") < 0)
                return -ENOMEM;
            r = buf_putc(out, ' ');
            if (r >= 0)
                r = buf_put_shell_word(out, name);
            free(name);
        }
    return r < 0 ? -ENOMEM : 0;
}

void backups_job_status_clear(struct backups_job_status *j)
{
    free(j->unit);
    free(j->active_state);
    free(j->sub_state);
    free(j->result);
    *j = (struct backups_job_status){.exit_status = -1};
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* "Tue 2026-12-08 01:00:00 UTC" (systemd's timestamp with TZ=UTC; empty or "n/a": none)
 * into µs since the epoch. */
static int parse_stamp(const char *v, uint64_t *out)
{
    if (!*v || !strcmp(v, "n/a")) {
        *out = 0;
        return 0;
    }
    /* "Www " then "YYYY-MM-DD HH:MM:SS UTC" */
    if (strlen(v) != 27 || v[3] != ' ' || strcmp(v + 23, " UTC"))
        return -EINVAL;
    const char *t = v + 4;
    int y, mo, d, h, mi, se;
    if (!digits(t, 4, &y) || t[4] != '-' || !digits(t + 5, 2, &mo) || t[7] != '-' ||
        !digits(t + 8, 2, &d) || t[10] != ' ' || !digits(t + 11, 2, &h) || t[13] != ':' ||
        !digits(t + 14, 2, &mi) || t[16] != ':' || !digits(t + 17, 2, &se))
        return -EINVAL;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -EINVAL;
    /* days since the epoch (proleptic Gregorian, civil-from-days inverted) */
    int yy = mo <= 2 ? y - 1 : y;
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = (int64_t)era * 146097 + doe - 719468;
    *out = (uint64_t)(days * 86400 + h * 3600 + mi * 60 + se) * 1000000;
    return 0;
}

static int set_str(char **dst, const char *v)
{
    char *c = strdup(v);
    if (!c)
        return -ENOMEM;
    free(*dst);
    *dst = c;
    return 0;
}

/* One unit's block, as properties (name=value pairs) into its job. */
struct block {
    char *id;
    char *load, *active, *sub, *result;
    char *status, *start, *exit_, *last, *next;
    unsigned line; /* first line, for diagnostics */
};

static void block_clear(struct block *b)
{
    char **f[] = {&b->id, &b->load, &b->active, &b->sub, &b->result,
                  &b->status, &b->start, &b->exit_, &b->last, &b->next};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
        free(*f[i]);
        *f[i] = NULL;
    }
}

static bool running(const char *active)
{
    return active && (!strcmp(active, "activating") || !strcmp(active, "active") ||
                      !strcmp(active, "deactivating") || !strcmp(active, "reloading"));
}

static int apply_block(const char *name, struct block *b, char *const *units, size_t nunits,
                       struct backups_job_status *jobs, struct diag *d)
{
    if (!b->id)
        return diag_set(d, DIAG_ERROR, name, b->line, 1,
                        "a unit's properties without its Id=: expected systemctl show output");
    size_t idlen = strlen(b->id);
    bool timer = idlen > 6 && !strcmp(b->id + idlen - 6, ".timer");
    bool service = idlen > 8 && !strcmp(b->id + idlen - 8, ".service");
    if (!timer && !service)
        return 0;
    size_t base = idlen - (timer ? 6 : 8);
    for (size_t i = 0; i < nunits; i++) {
        if (strlen(units[i]) != base || strncmp(units[i], b->id, base))
            continue;
        struct backups_job_status *j = &jobs[i];
        bool loaded = b->load && !strcmp(b->load, "loaded");
        if (timer) {
            j->timer_loaded = loaded;
            uint64_t v;
            if (b->last && parse_stamp(b->last, &v) == 0)
                j->timer_last = v;
            if (b->next && parse_stamp(b->next, &v) == 0)
                j->timer_next = v;
            return 0;
        }
        if ((b->active && set_str(&j->active_state, b->active) < 0) ||
            (b->sub && set_str(&j->sub_state, b->sub) < 0) ||
            (b->result && set_str(&j->result, b->result) < 0))
            return -ENOMEM;
        if (b->status)
            j->exit_status = atoi(b->status);
        uint64_t v;
        if (b->start && parse_stamp(b->start, &v) == 0)
            j->last_start = v;
        if (b->exit_ && parse_stamp(b->exit_, &v) == 0)
            j->last_end = v;
        if (b->load && !strcmp(b->load, "not-found"))
            j->state = BACKUPS_JOB_MISSING;
        else if (running(b->active))
            j->state = BACKUPS_JOB_RUNNING;
        else if ((b->active && !strcmp(b->active, "failed")) ||
                 (b->result && strcmp(b->result, "success")))
            j->state = BACKUPS_JOB_FAILED;
        else if (!j->last_start)
            j->state = BACKUPS_JOB_NEVER;
        else
            j->state = BACKUPS_JOB_OK;
        return 0;
    }
    return 0;
}

int backups_status_parse(const char *name, const char *text, size_t len, char *const *units,
                         size_t nunits, struct backups_job_status *jobs, struct diag *d)
{
    struct block b = {0};
    unsigned line = 0;
    int r = 0;
    const char *p = text, *end = text + len;
    while (p <= end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        line++;
        size_t ll = (size_t)(le - p);
        if (ll == 0) {
            if (b.line && (r = apply_block(name, &b, units, nunits, jobs, d)) < 0)
                goto out;
            block_clear(&b);
            b.line = 0;
        } else {
            const char *eq = memchr(p, '=', ll);
            if (!eq || eq == p || memchr(p, '\0', ll)) {
                r = diag_set(d, DIAG_ERROR, name, line, 1,
                             "expected PROPERTY=VALUE (systemctl show output)");
                goto out;
            }
            if (!b.line)
                b.line = line;
            size_t kl = (size_t)(eq - p);
            static const char *const keys[] = {
                "Id", "LoadState", "ActiveState", "SubState", "Result", "ExecMainStatus",
                "ExecMainStartTimestamp", "ExecMainExitTimestamp", "LastTriggerUSec",
                "NextElapseUSecRealtime"};
            char **slots[] = {&b.id, &b.load, &b.active, &b.sub, &b.result,
                              &b.status, &b.start, &b.exit_, &b.last, &b.next};
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
                if (strlen(keys[k]) != kl || strncmp(keys[k], p, kl))
                    continue;
                char *v = strndup(eq + 1, (size_t)(le - eq - 1));
                if (!v) {
                    r = -ENOMEM;
                    goto out;
                }
                free(*slots[k]);
                *slots[k] = v;
                if (k >= 6 && parse_stamp(v, &(uint64_t){0}) < 0) {
                    r = diag_set(d, DIAG_ERROR, name, line, (unsigned)kl + 2,
                                 "%s: expected a time as 'Www YYYY-MM-DD HH:MM:SS UTC' "
                                 "(systemctl show with TZ=UTC), got '%.40s'", keys[k], v);
                    goto out;
                }
            }
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (b.line)
        r = apply_block(name, &b, units, nunits, jobs, d);
out:
    block_clear(&b);
    return r;
}
