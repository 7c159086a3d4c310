/* The files Clan's borgbackup service deploys, rendered from a plan (core/plan.h).
 *
 * For a client machine M and each destination D:
 *   etc/systemd/system/borgbackup-job-D.service and .timer
 *   <script_dir>/borgbackup-job-D            the job script (init, create, rename, prune, compact)
 *   <script_dir>/borgbackup-job-D.exclude    one borg pattern per line (--exclude-from)
 * once per client, on the PATH (what Clan's borgbackup service and clan.core.state install on a
 * NixOS client, so `clan backups` and clan-tui's backups commands work on this host too):
 *   <bin_dir>/borgbackup-create              systemctl start of every borgbackup-job-D
 *   <bin_dir>/borgbackup-list                every archive as JSON [{"name": "D::REPO::ARCHIVE"}]
 *   <bin_dir>/borgbackup-restore             extracts NAME's archive, the folders of FOLDERS
 *   <bin_dir>/borg-job-D                     borg with job D's environment (BORG_REPO, ...)
 *   <bin_dir>/pre-restore-<state>, post-restore-<state>  each state's restore hook (<state> as
 *                                            units_file_component)
 *   <script_dir>/pre-backup, post-backup     the hook runners (ExecStartPre=+ / ExecStopPost=+;
 *                                            pre-backup also creates borg's config and cache
 *                                            directories, the job's ReadWritePaths=)
 *   <script_dir>/hooks/<state>.pre-backup    each state's hook text, verbatim, in its own file
 *                                            (and .post-backup; <state> as units_file_component)
 * for a backup server:
 *   etc/ssh/authorized_keys.d/borg           one forced-command line per client
 *   etc/tmpfiles.d/clan-borgbackup-repos.conf the repository directories
 *
 * Paths are relative to the machine's root, so DIR/<machine>/ is an overlay of its file
 * system. Every value is quoted for where it lands (systemd, shell, borg's shlex, sshd,
 * tmpfiles); what cannot be represented there is refused with a diagnostic, never mangled. */
#ifndef CLAN_CORE_UNITS_H
#define CLAN_CORE_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "core/diag.h"
#include "core/plan.h"
#include "core/util.h"

#define UNITS_DEFAULT_SCRIPT_DIR "/usr/local/lib/clan-borgbackup"
#define UNITS_DEFAULT_SECRETS_ROOT "/run/secrets/vars"
#define UNITS_DEFAULT_BIN_DIR "/usr/local/bin"

struct units_options {
    /* Absolute directory on the target for scripts and exclude files.
     * NULL: UNITS_DEFAULT_SCRIPT_DIR. */
    const char *script_dir;
    /* Where the machine's secrets are deployed (as in core/inventory.h's plan_options):
     * the repokey is <secrets_root>/borgbackup/borgbackup.repokey; "%m" expands to the
     * machine name. NULL: UNITS_DEFAULT_SECRETS_ROOT. */
    const char *secrets_root;
    /* Directory holding clan.nix: client public keys are read from
     * <clan_dir>/vars/per-machine/<client>/borgbackup/borgbackup.ssh.pub/value.
     * NULL: no lookup (every key counts as missing). */
    const char *clan_dir;
    /* Name of the source shown in the generated files' header ("clan.nix"). NULL: none. */
    const char *source;
    /* Absolute directory on the target's PATH for Clan's client commands (borgbackup-create,
     * -list, -restore, borg-job-D, pre-restore-<state>, ...). NULL: UNITS_DEFAULT_BIN_DIR. */
    const char *bin_dir;
};

struct units_file {
    char *path;    /* relative to the machine's root, no leading '/' */
    char *content;
    size_t len;
    mode_t mode;   /* 0644, 0755 for scripts */
};

/* Everything one machine gets. */
struct units_machine {
    char *machine;
    struct units_file *files; /* in a stable order */
    size_t nfiles;
    struct diag_list notes;   /* warnings and notes (e.g. a client key that is missing) */
};

/* Render machine m of plan p. A machine that is neither a client with jobs nor a server
 * gets no files (and a note saying why). Refused (<0, d) when a value cannot be written
 * faithfully (e.g. a newline in a unit name or in a server directory). */
int units_render_machine(const struct plan *p, const struct plan_machine *m,
                         const struct units_options *opt, struct units_machine **out,
                         struct diag *d);
void units_machine_free(struct units_machine *um);
const struct units_file *units_find_file(const struct units_machine *um, const char *path);

struct units_write_stats {
    size_t written;   /* files created or replaced (or that would be, with dry_run) */
    size_t unchanged; /* same content and mode: not touched */
};

/* Write um under root/<machine>/ atomically; files whose content and mode are unchanged are
 * not touched. dry_run: write nothing; when diff is non-NULL, append a unified diff of
 * what would change (labels a/<machine>/<path>, b/...). Adds to *stats (may be NULL) on
 * success. Stops at the first failure (d); files already written stay written. */
int units_write(const struct units_machine *um, const char *root, bool dry_run,
                struct buf *diff, struct units_write_stats *stats, struct diag *d);
/* Many machines at once: stage um's changed files into batch (core/util file_batch; modes
 * of unchanged files are set at once), then file_batch_commit writes them all, with one
 * sync for the lot. Nothing is replaced before the commit. */
int units_stage(const struct units_machine *um, const char *root, struct file_batch *batch,
                struct units_write_stats *stats, struct diag *d);

/* Files under root/<machine>/ that um does not contain (left by an earlier run for a
 * destination or state that is gone). They are never deleted; *paths (relative to
 * root/<machine>/, sorted) lists them for the caller to report. */
int units_stale(const struct units_machine *um, const char *root, char ***paths, size_t *n,
                struct diag *d);
void units_paths_free(char **paths, size_t n);

/* The command a Clan client runs for a state's restore hook (pre: preRestoreCommand,
 * "pre-restore-<state>"; else postRestoreCommand), the state as units_file_component: the
 * file name units_render_machine gives it, and Clan's own name for the names Clan allows. */
int units_restore_hook_command(const char *state, bool pre, struct buf *out);

/* ---- quoting (exposed for tests) ---- */

/* POSIX shell single-quoting ('...' with '\'' for quotes); also right for Python's
 * shlex.split (borg's BORG_PASSCOMMAND and BORG_RSH). Words made only of safe characters
 * are left bare. */
int units_shell_quote(struct buf *b, const char *s);
/* A value for a systemd setting that unquotes, C-unescapes and expands specifiers
 * (Environment=, ExecStart='s executable path, RequiresMountsFor=, tmpfiles.d paths):
 * "..." with \\ \" \n \t \xNN and %%. (Path settings such as ReadWritePaths= and tmpfiles.d
 * do not C-unescape: callers refuse control characters there.) '$' is left alone: systemd expands $VAR only in
 * Exec*= arguments, never in Environment= or an executable path. Refused (-EILSEQ) for
 * invalid UTF-8. */
int units_systemd_quote(struct buf *b, const char *s);
/* A file-name component for any string: [A-Za-z0-9_-] and non-leading '.' kept, every
 * other byte as %hh ("" is "%"). Never empty, never "." or "..", never contains '/'. */
int units_file_component(struct buf *b, const char *s);
/* Is name usable as a unit name that is also a plain file name in ExecStart= (chars
 * [A-Za-z0-9:_.-], <= 240 bytes; systemd's '\' escapes are refused in executable paths)? */
bool units_unit_name_ok(const char *name);

#endif
