/* libFuzzer target: the two answers core/backups parses, `systemctl show` blocks and
 * borgbackup-list's JSON. The first byte picks the parser. A parsed archive name must split
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
    if (data[0] & 1) {
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
