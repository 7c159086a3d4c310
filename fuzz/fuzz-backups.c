/* libFuzzer target: the answers core/backups parses, `systemctl show` blocks,
 * borgbackup-list's JSON and `borg info --json` (read into a fixed list of archives). The
 * first byte picks the parser. A parsed archive name must split
 * back into itself (DEST::REPO::ARCHIVE); a status parse must leave each job in a known
 * state with its strings owned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/backups.h"

static char *units[] = {"borgbackup-job-local", "borgbackup-job-second"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    struct diag d = {0};
    if (data[0] % 3 == 2) {
        static const char list[] = "[{\"name\": \"local::r::a\"}, {\"name\": \"local::r::b\"}]";
        struct backups_archive *a = NULL;
        size_t n = 0;
        if (backups_list_parse("l", list, sizeof list - 1, &a, &n, &d) < 0)
            abort();
        backups_info_parse("fuzz", text, len, "local", a, n, &d);
        for (size_t i = 0; i < n; i++) {
            char t[32], sz[32];
            backups_format_time(a[i].time, t, sizeof t);
            backups_format_size(a[i].original_size, sz, sizeof sz);
            if (a[i].original_size < -1 || a[i].nfiles < -1 || strlen(t) > 19)
                abort();
        }
        backups_archives_free(a, n);
    } else if (data[0] & 1) {
        struct backups_archive *a = NULL;
        size_t n = 0;
        if (backups_list_parse("fuzz", text, len, &a, &n, &d) == 0) {
            for (size_t i = 0; i < n; i++) {
                if (!strstr(a[i].name, "::"))
                    continue;
                size_t dl = strlen(a[i].destination);
                if (strncmp(a[i].name, a[i].destination, dl) || strncmp(a[i].name + dl, "::", 2))
                    abort();
            }
            backups_archives_free(a, n);
        }
    } else {
        struct backups_job_status jobs[2];
        for (int i = 0; i < 2; i++) {
            memset(&jobs[i], 0, sizeof jobs[i]);
            backups_job_status_clear(&jobs[i]);
        }
        backups_status_parse("fuzz", text, len, units, 2, jobs, &d);
        for (int i = 0; i < 2; i++) {
            if (jobs[i].state > BACKUPS_JOB_FAILED)
                abort();
            backups_job_status_clear(&jobs[i]);
        }
    }
    diag_clear(&d);
    return 0;
}
