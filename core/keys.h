/* The vars Clan's borgbackup and openssh generators produce, made with libssh instead of
 * ssh-keygen, in Clan's layout: public values beside clan.nix under
 * vars/per-machine/<m>/<generator>/<file>/value, secrets (private keys, the repository
 * passphrase) in a store OUTSIDE the clan directory, <secrets>/<m>/<generator>/<file>.
 *
 * Nothing is ever overwritten silently: an existing pair is left alone, a regeneration keeps
 * the old files in a dated backup, and a failure half-way leaves no partial file (every file
 * is written to a temporary name with O_EXCL, fsync'ed, then linked or renamed into place;
 * on failure everything created so far is removed again). */
#ifndef CLAN_CORE_KEYS_H
#define CLAN_CORE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/diag.h"
#include "core/plan.h"
#include "core/secrets.h"

/* ---- ed25519 keys (libssh) ---- */

struct keys_keypair {
    char *private_key;  /* OpenSSH private key file, unencrypted (secret: wiped on free) */
    size_t private_len;
    char *public_line;  /* "ssh-ed25519 <base64> \n": byte for byte what
                           `ssh-keygen -t ed25519 -N "" -C ""` writes to the .pub file */
    char *fingerprint;  /* "SHA256:<base64>", as `ssh-keygen -l` shows it */
};

int keys_keypair_generate(struct keys_keypair **out, struct diag *d);
void keys_keypair_free(struct keys_keypair *k);

/* Fingerprint ("SHA256:...") of a public key line "TYPE BASE64 [COMMENT]". */
int keys_public_fingerprint(const char *line, size_t len, char **fingerprint, struct diag *d);
/* "TYPE BASE64" of a public key line (no comment, no newline), for known_hosts. */
int keys_public_key_only(const char *line, size_t len, char **out, struct diag *d);
/* The public line ("TYPE BASE64 \n") of an OpenSSH private key file, like ssh-keygen -y. */
int keys_private_to_public(const char *priv, size_t len, char **public_line, struct diag *d);

/* ---- repository passphrase ----
 * Six pronounceable words joined by '-', like Clan's word passphrases, but drawn so that
 * they carry 132 bits from getrandom(): each word is consonant-vowel-consonant-vowel-
 * consonant-vowel-consonant over 16 consonants and 4 vowels (4+2+4+2+4+2+4 = 22 bits). */
#define KEYS_PASSPHRASE_BYTES 17 /* random input: 136 bits, the first 132 are used */
#define KEYS_PASSPHRASE_BITS 132
#define KEYS_PASSPHRASE_WORDS 6
#define KEYS_PASSPHRASE_LEN (KEYS_PASSPHRASE_WORDS * 8 - 1) /* without the NUL */

/* Deterministic encoding of 17 random bytes; out gets KEYS_PASSPHRASE_LEN chars + NUL. */
void keys_passphrase_encode(const unsigned char rnd[KEYS_PASSPHRASE_BYTES],
                            char out[KEYS_PASSPHRASE_LEN + 1]);
/* A new passphrase from getrandom() (caller frees, after wiping). */
int keys_passphrase_generate(char **out, struct diag *d);

/* ---- the generators clan-tui knows ---- */

struct keys_generator {
    const char *name;            /* "borgbackup" */
    const char *private_file;    /* "borgbackup.ssh" (secret) */
    const char *public_file;     /* "borgbackup.ssh.pub" (public value) */
    const char *passphrase_file; /* "borgbackup.repokey" (secret) or NULL */
    const char *what;            /* "borgbackup SSH key", for messages */
};
extern const struct keys_generator keys_gen_borgbackup; /* every borgbackup client */
extern const struct keys_generator keys_gen_openssh;    /* the host key (Clan's sshd service) */

/* Where a client's known_hosts lines for its backup servers go (a public value):
 * vars/per-machine/<m>/KEYS_KNOWN_HOSTS_GENERATOR/KEYS_KNOWN_HOSTS_FILE/value. */
#define KEYS_KNOWN_HOSTS_GENERATOR "borgbackup-known-hosts"
#define KEYS_KNOWN_HOSTS_FILE "known_hosts"

/* A name used as one path component (machine, generator, file, meta.name): 0 or -EINVAL
 * (letters, digits, '.', '_', '-', not starting with '.', at most 255 bytes). */
int keys_check_name(const char *what, const char *name, struct diag *d);

/* ---- the store: clan directory + secrets directory ---- */

struct keys_admin;
struct keys_store {
    char *clan_dir;    /* absolute, symlinks resolved: the directory holding clan.nix */
    char *secrets_dir; /* absolute: this clan's secrets, <secrets_dir>/<m>/<generator>/<file> */
    /* Clan's sops layout (keys_store_use_sops): secrets sops-encrypted in the clan */
    struct keys_admin *admin;
    char **groups;     /* default groups: their members are recipients too */
    size_t ngroups;
    char *backup_root; /* --regenerate keeps the old (encrypted) files below it */
    struct keys_names *names; /* keys_store_load_names: every key of sops/machines, users */
};

/* The default secrets directory of a clan:
 * <xdg_data_home, else home/.local/share>/clan-tui/secrets/<clan_name>. A relative or empty
 * xdg_data_home is ignored (XDG base directory rules). */
int keys_default_secrets_dir(const char *xdg_data_home, const char *home, const char *clan_name,
                             char **out, struct diag *d);
/* clan_file: the clan.nix path. Refuses (-EPERM) a secrets_dir that is, or would be, inside
 * the clan directory (symlinks resolved). Nothing is created yet. secrets_dir NULL: a store
 * for public values only (secret paths are NULL, generation is refused). */
int keys_store_open(const char *clan_file, const char *secrets_dir, struct keys_store **out,
                    struct diag *d);
void keys_store_free(struct keys_store *s);

/* Paths (caller frees): the public value file, and a secret file in the store. */
char *keys_public_path(const struct keys_store *s, const char *machine, const char *generator,
                       const char *file);
char *keys_secret_path(const struct keys_store *s, const char *machine, const char *generator,
                       const char *file);

/* ---- Clan's sops store ----
 * Secrets are sops files vars/per-machine/<m>/<generator>/<file>/secret in the clan, encrypted
 * to the machine's age key (sops/machines/<m>/key.json), to the admin running clan-tui
 * (sops/users/<u>) and to the members of the default groups (sops/groups/<g>/{machines,users}),
 * with symlinks machines/<m>, users/<u>, groups/<g> beside `secret` pointing back into sops/
 * -- as `clan vars generate` writes them. A machine without an age key gets one: its public
 * key in sops/machines/<m>/key.json, its private key as the secret
 * sops/secrets/<m>-age.key/secret, encrypted to the admin (and the default groups). */

/* Where the admin's age identity is looked up, in this order (as sops and Clan do). */
struct keys_env {
    const char *sops_age_key;      /* identities themselves */
    const char *sops_age_key_file; /* a path */
    const char *xdg_config_home;   /* else <home>/.config: <it>/sops/age/keys.txt */
    const char *home;
};
struct keys_admin {
    char *user;   /* the sops/users/<user> whose key.json names one of the identities */
    char *source; /* "SOPS_AGE_KEY" or the file the identities came from */
    struct age_identities ids;
    char **keys;  /* the user's public keys (from key.json) */
    size_t nkeys;
};
/* The admin's identities, matched to a user of the clan. No identity, or none matching a
 * user: -ENOKEY with a message saying where it looked and the commands that fix it. */
int keys_admin_find(const char *clan_dir, const struct keys_env *env, struct keys_admin **out,
                    struct diag *d);
/* The identities alone (vars get needs no user match); *out->user is NULL. */
int keys_admin_identities(const struct keys_env *env, struct keys_admin **out, struct diag *d);
void keys_admin_free(struct keys_admin *a);

/* Make s write Clan's sops layout (takes admin). backup_root: outside the clan. */
int keys_store_use_sops(struct keys_store *s, struct keys_admin *admin,
                        const char *const *groups, size_t ngroups, const char *backup_root,
                        struct diag *d);
/* The default backup root: <xdg_data_home, else home/.local/share>/clan-tui/backups/<clan>. */
int keys_default_backup_root(const char *xdg_data_home, const char *home, const char *clan_name,
                             char **out, struct diag *d);
/* vars/per-machine/<m>/<generator>/<file>/secret (caller frees). */
char *keys_sops_path(const struct keys_store *s, const char *machine, const char *generator,
                     const char *file);

/* Every age key of sops/machines/<m>/key.json and sops/users/<u>/key.json, read once: the
 * recipients' names, and the members' keys the recipient sets are made of (without it, each
 * secret reads the key.json files it links to). Unreadable key.json files are skipped here
 * (the secret linking to one reports it). Owned by the store. */
int keys_store_load_names(struct keys_store *s, struct diag *d);
/* "machine m" or "user u" for a public key "age1...", or NULL when no key.json names it. */
const char *keys_name_of(const struct keys_store *s, const char *pubkey);

/* One var of a machine as vars list / check and the keys view see it. */
struct keys_var_info {
    char *generator, *file;
    bool secret;       /* a sops secret (else a public value) */
    bool absent;       /* keys_machine_vars: a file Clan's generator makes, not there */
    bool readable;     /* secret: the admin's identities open it (see verified) */
    bool verified;     /* readable was found by decrypting (data and MAC checked); else from
                          the recipients listed in the file (one of them is the admin's key) */
    char *recipients;  /* secret: who can read it, "machine m, user u, age1..." */
    char *missing;     /* secret: recipients Clan would add now (NULL: none) */
    char *error;       /* why it is unreadable or its recipients unknown (NULL: none) */
};
#define KEYS_VARS_VERIFY 0x1u /* decrypt every secret to tell whether it is readable */
/* Every var of machine in the clan, by generator and file name. With KEYS_VARS_VERIFY the
 * secrets are decrypted to check them (the plaintext is wiped at once); without it only
 * parsed: readable when one of their age recipients is the admin's. s->admin may be NULL
 * (nothing is readable). */
int keys_vars_scan(const struct keys_store *s, const char *machine, unsigned flags,
                   struct keys_var_info **out, size_t *n, struct diag *d);
/* keys_vars_scan with KEYS_VARS_VERIFY. */
int keys_vars_list(const struct keys_store *s, const char *machine, struct keys_var_info **out,
                   size_t *n, struct diag *d);
/* keys_vars_scan, plus the files of the generators a machine of the backup plan needs
 * (borgbackup on a client, openssh on a server) that are not there, marked absent; sorted
 * by generator and file. */
int keys_machine_vars(const struct keys_store *s, const char *machine, bool client, bool server,
                      unsigned flags, struct keys_var_info **out, size_t *n, struct diag *d);
void keys_vars_free(struct keys_var_info *v, size_t n);
/* Re-encrypt one secret to its full recipient set (sops updatekeys): the plaintext stays.
 * *changed: false when nothing was missing. Atomic; the symlinks of default groups added. */
int keys_var_fix(const struct keys_store *s, const char *machine, const char *generator,
                 const char *file, bool *changed, struct diag *d);

/* ---- one generator of one machine ---- */

enum keys_state {
    KEYS_ABSENT,     /* none of its files exists */
    KEYS_PRESENT,    /* all of them exist */
    KEYS_INCOMPLETE, /* some exist, some do not */
};

struct keys_status {
    enum keys_state state;
    char *missing;          /* INCOMPLETE: the missing paths, ", "-separated */
    char *fingerprint;      /* public value present: its fingerprint */
    int64_t public_mtime_ns;
    bool mismatch;          /* PRESENT: the private key does not belong to the public value */
    bool public_present;
    unsigned secrets_present;
};
int keys_status_get(const struct keys_store *s, const char *machine,
                    const struct keys_generator *g, struct keys_status *out, struct diag *d);
void keys_status_clear(struct keys_status *st);

enum keys_outcome {
    KEYS_GENERATED,   /* new files written */
    KEYS_EXISTS,      /* all files were there: left alone */
    KEYS_REGENERATED, /* new files written, old ones kept in backup_dir */
    KEYS_UPDATED,     /* known_hosts: derived value rewritten */
    KEYS_UNCHANGED,   /* known_hosts: already up to date */
    KEYS_FAILED,      /* nothing changed; see the diag */
};
const char *keys_outcome_name(enum keys_outcome o);

struct keys_result {
    enum keys_outcome outcome;
    char *fingerprint;      /* the current public key's fingerprint */
    char *old_fingerprint;  /* REGENERATED: the replaced one (NULL if it had none) */
    char *public_path;
    char *secret_paths[2];
    size_t nsecrets;
    char *backup_dir;       /* REGENERATED: where the old files are now */
    bool mismatch;          /* EXISTS: the stored private key does not match the public value */
};
void keys_result_clear(struct keys_result *r);

#define KEYS_REGENERATE 0x1u /* replace existing files, keeping them as a dated backup */

/* Generate the generator's files for machine unless they exist (in Clan's sops layout when
 * the store uses it, keys_generate_sops). An INCOMPLETE set is
 * refused (-EEXIST) unless KEYS_REGENERATE. `now` (seconds since the epoch) dates the
 * backup directory. On failure nothing has changed on disk. */
int keys_generate(const struct keys_store *s, const char *machine, const struct keys_generator *g,
                  unsigned flags, int64_t now, struct keys_result *out, struct diag *d);

int keys_generate_sops(const struct keys_store *s, const char *machine,
                       const struct keys_generator *g, unsigned flags, int64_t now,
                       struct keys_result *out, struct diag *d);
/* The same for n machines at once, each all or nothing, made durable with two syncfs() in
 * all instead of fsyncs per file: results[i] / diags[i] (FAILED: why). -ENOMEM only. */
int keys_generate_sops_many(const struct keys_store *s, const char *const *machines, size_t n,
                            const struct keys_generator *g, unsigned flags, int64_t now,
                            struct keys_result *results, struct diag *diags);

/* ---- clan vars get ---- */

/* The value of var_id ("generator/file") of machine: the public value file, else the secret
 * from the store. *secret tells which. Not generated: -ENOENT with Clan's message. */
int keys_var_get(const struct keys_store *s, const char *machine, const char *var_id,
                 char **value, size_t *len, bool *secret, struct diag *d);

/* ---- across the plan ---- */

/* known_hosts text of a client: one "<address> <type> <base64>" line per server destination
 * whose host key exists, in job order. Destinations without a host key (a server without
 * one yet, an external destination) are reported in notes. */
int keys_known_hosts_text(const struct keys_store *s, const struct plan *p,
                          const struct plan_machine *client, char **text,
                          struct diag_list *notes);
/* Write it as the client's known_hosts value (atomically, only when it differs). */
int keys_known_hosts_write(const struct keys_store *s, const char *machine, const char *text,
                           struct keys_result *out, struct diag *d);

enum keys_order_kind {
    KEYS_ORDER_NO_HOST_KEY,   /* client has keys, its server has no host key yet */
    KEYS_ORDER_PREDATES,      /* client's keys are older than its server's host key */
    KEYS_ORDER_KNOWN_HOSTS,   /* client's known_hosts lacks the server's current host key */
};
struct keys_order_issue {
    enum keys_order_kind kind;
    char *client;
    char *server;
    char *message;     /* one sentence */
    bool clan_managed; /* the client's vars were made by clan (sops secret beside them) */
};
/* Install-order problems between every client with keys and its servers (inventory order),
 * judged from the public values beside clan.nix alone (so vars Clan generated are checked
 * too; the store needs no secrets directory). Caller frees with keys_order_issues_free. */
int keys_order_check(const struct keys_store *s, const struct plan *p,
                     struct keys_order_issue **out, size_t *n, struct diag *d);
void keys_order_issues_free(struct keys_order_issue *v, size_t n);

/* One step of a keygen run. */
struct keys_event {
    char *machine;
    const char *generator; /* "openssh", "borgbackup" or KEYS_KNOWN_HOSTS_GENERATOR */
    struct keys_result result;
    struct diag diag;      /* FAILED: why; otherwise an optional note */
};
struct keys_report {
    struct keys_event *events;
    size_t nevents;
    struct diag_list notes;          /* e.g. destinations without a host key */
    struct keys_order_issue *issues; /* after the run */
    size_t nissues;
};
void keys_report_free(struct keys_report *r);
size_t keys_report_failures(const struct keys_report *r);

/* Generate what the selected machines need (machines NULL/nmachines 0: every machine with a
 * borgbackup role): backup servers first (their host key), then clients (their borgbackup
 * key and passphrase, then known_hosts). A machine that is not in the plan, or has no
 * borgbackup role, is refused (-ENOENT / -EINVAL) before anything is written. Failures of
 * single steps are recorded in the report and do not stop the others. */
int keys_run(const struct keys_store *s, const struct plan *p, const char *const *machines,
             size_t nmachines, unsigned flags, int64_t now, struct keys_report *rep,
             struct diag *d);

/* ---- uploading a client's key to an external destination ----
 * The seed's storage box step (`clan vars get M borgbackup/borgbackup.ssh.pub | ssh -p23
 * U@U.your-storagebox.de install-ssh-key`), for any SSH-reachable borg server. */
struct keys_upload_target {
    char *user, *host;  /* user NULL: the login name; host without [ ] */
    unsigned port;      /* 0: 22 */
    bool storage_box;   /* a Hetzner storage box (*.your-storagebox.de): install-ssh-key */
};
/* The user, host and port borg reaches for repo (user@host:path, ssh://user@host:port/path)
 * and rsh (-p PORT, -o Port=N, -l USER), as borg passes them to ssh: the URL's port wins over
 * rsh's. Local repositories and malformed values are refused with what was expected. */
int keys_upload_target_parse(const char *repo, const char *rsh, struct keys_upload_target *out,
                             struct diag *d);
void keys_upload_target_clear(struct keys_upload_target *t);
/* "user@host:port" ([v6] bracketed; no port when 0); caller frees. */
char *keys_upload_target_text(const struct keys_upload_target *t);
/* The shell command an ordinary SSH server runs to authorize pub_line: appended to
 * $HOME/.ssh/authorized_keys (created 0600 in a 0700 .ssh) unless the key (type and
 * base64, any comment or options) is there already; prints "clan-tui: added" or
 * "clan-tui: present". Every value is one quoted shell word. */
int keys_upload_command(const char *pub_line, size_t len, char **command, struct diag *d);
/* Does authorized_keys text hold the key of pub_line (type and base64 as one entry)? */
bool keys_upload_line_present(const char *authorized_keys, size_t len, const char *pub_line,
                              size_t plen);

/* The upload itself, over one SSH connection (core/sshc.h), driven by poll(): an ordinary
 * server runs keys_upload_command; a storage box (or method INSTALL_SSH_KEY) is read
 * (cat .ssh/authorized_keys) and, when the key is not there, runs install-ssh-key with the
 * key on its standard input. Host keys are checked against known_hosts: an unknown host is
 * refused (keys_upload_host_unknown, keys_upload_fingerprint say so and which key it
 * offered) unless accept_new_host_key, or trusted_fingerprint names the key it offers. */
enum keys_upload_method { KEYS_UPLOAD_AUTO, KEYS_UPLOAD_AUTHORIZED_KEYS, KEYS_UPLOAD_INSTALL_SSH_KEY };
enum keys_upload_outcome { KEYS_UPLOAD_ADDED, KEYS_UPLOAD_PRESENT };
struct keys_upload_options {
    const char *pub_line;            /* the client's borgbackup.ssh.pub */
    size_t pub_len;
    const char *identity;            /* NULL: the agent and the default keys */
    const char *known_hosts;         /* NULL: ~/.ssh/known_hosts */
    bool accept_new_host_key;
    const char *trusted_fingerprint; /* "TYPE SHA256:..." the operator accepted, or NULL */
    enum keys_upload_method method;  /* AUTO: storage box by its host name */
    unsigned timeout_s;              /* connecting (0: 10); a command gets three times it */
};
struct keys_upload;
int keys_upload_new(const struct keys_upload_target *t, const struct keys_upload_options *o,
                    struct keys_upload **out, struct diag *d);
void keys_upload_free(struct keys_upload *u);
/* 1 done (keys_upload_outcome), 0 waiting (poll keys_upload_fd/events/timeout_ms), <0 failed
 * (d: "user@host:port: what went wrong"). */
int keys_upload_process(struct keys_upload *u, struct diag *d);
int keys_upload_fd(const struct keys_upload *u);
short keys_upload_events(const struct keys_upload *u);
int keys_upload_timeout_ms(const struct keys_upload *u);
enum keys_upload_outcome keys_upload_outcome(const struct keys_upload *u);
bool keys_upload_host_unknown(const struct keys_upload *u);
const char *keys_upload_fingerprint(const struct keys_upload *u);
const char *keys_upload_target_name(const struct keys_upload *u);
/* "new host key ... added to ..." once, or NULL; caller frees. */
char *keys_upload_take_notice(struct keys_upload *u);
/* Run to the end with its own poll loop (the CLI): 0 done, <0 failed. */
int keys_upload_run(struct keys_upload *u, struct diag *d);

#endif
