/* One SSH connection (libssh, non-blocking) that runs remote commands one after another, each
 * on its own session channel: connect, check the host key against known_hosts, authenticate
 * (agent and default keys, or one identity file), open a channel, exec. Every step resumes
 * from poll() events on the socket; a deadline bounds connecting. Used by the remote journal
 * (core/journal) and by core/backups. No global state. */
#ifndef CLAN_CORE_SSHC_H
#define CLAN_CORE_SSHC_H

#include <stdbool.h>
#include <stddef.h>

#include <libssh/libssh.h>

#include "core/diag.h"

enum sshc_host_key_policy {
    SSHC_HOSTKEY_ACCEPT_NEW, /* unknown hosts are added to known_hosts, changed keys refused */
    SSHC_HOSTKEY_STRICT,     /* unknown hosts and changed keys are refused */
};

struct sshc_options {
    const char *target;          /* [user@]host[:port] ([v6]:port) */
    const char *identity;        /* private key file, or NULL for the agent / default keys */
    const char *known_hosts;     /* NULL: ~/.ssh/known_hosts */
    enum sshc_host_key_policy policy;
    unsigned connect_timeout_s;  /* 0: 10 */
    /* STRICT: an unknown host that offers exactly this key ("TYPE SHA256:...", as
     * sshc_offered_fingerprint gives it) is trusted and added to known_hosts -- the key an
     * operator was shown and accepted, and no other */
    const char *trusted_fingerprint;
};

/* [user@]host[:port]; user NULL and port 0 when absent. */
struct sshc_target {
    char *user, *host;
    unsigned port;
};
int sshc_target_parse(const char *t, struct sshc_target *out, struct diag *d);
void sshc_target_clear(struct sshc_target *t);

enum sshc_phase {
    SSHC_IDLE,       /* not connected */
    SSHC_CONNECTING, /* TCP, key exchange, host key, authentication */
    SSHC_READY,      /* connected, no command running */
    SSHC_STARTING,   /* opening a channel, sending exec */
    SSHC_RUNNING,    /* the command runs: read its output */
    SSHC_FAILED,     /* the connection failed or was lost (see sshc_error) */
};

struct sshc;

/* Parses the target and reads the identity; connects on the first sshc_process. */
int sshc_new(const struct sshc_options *o, struct sshc **out, struct diag *d);
void sshc_free(struct sshc *c);

/* Run command next (when READY; from IDLE, connects first). The previous command's channel
 * must have been finished with sshc_close_channel. */
int sshc_exec(struct sshc *c, const char *command);

/* Advance connecting and starting. Returns 1 when the command has just started (RUNNING),
 * 0 when waiting, or a negative errno: the phase is FAILED and d says why ("cannot connect:
 * ...", "timed out after N s", host key refused, authentication refused). Output is read
 * by the caller (sshc_read) once RUNNING. */
int sshc_process(struct sshc *c, struct diag *d);
/* Could retrying help (a refused connection, a timeout), or not (host key, auth)? */
bool sshc_failed_permanently(const struct sshc *c);

/* Read what the running command wrote: >0 bytes (*is_stderr says which stream), 0 nothing
 * now, SSH_EOF (-127)... see sshc_read_done. Returns <0 (-EIO) when the connection broke. */
int sshc_read(struct sshc *c, char *buf, size_t len, bool *is_stderr);
/* Has the command ended (EOF on both streams and its exit status arrived, or the channel
 * closed)? *status: its exit status, or -1 when none arrived (killed, connection lost). */
bool sshc_command_ended(struct sshc *c, int *status);
/* Is the connection gone (closed by the peer, or an error)? */
bool sshc_connection_lost(struct sshc *c);
/* Done with the command: its channel is freed, the connection is READY again. */
void sshc_close_channel(struct sshc *c);
/* Drop the connection (IDLE again; a later sshc_exec reconnects). */
void sshc_disconnect(struct sshc *c);

/* For poll(): the socket (-1 when none), events, timeout in ms (-1 none, 0 at once). */
int sshc_fd(const struct sshc *c);
short sshc_events(const struct sshc *c);
int sshc_timeout_ms(const struct sshc *c);

enum sshc_phase sshc_phase(const struct sshc *c);
/* The host key the server offered at the last connection ("ssh-ed25519 SHA256:..."), or
 * NULL; kept after a failure. */
const char *sshc_offered_fingerprint(const struct sshc *c);
/* Did the last connection fail because the host is not in known_hosts (STRICT)? */
bool sshc_host_unknown(const struct sshc *c);
/* "user@host:port" as given. */
const char *sshc_target(const struct sshc *c);
/* A notice since the last call (a new host key was added to known_hosts), or NULL; caller
 * frees. */
char *sshc_take_notice(struct sshc *c);
/* The raw channel of the running command (for streaming readers), or NULL. */
ssh_channel sshc_channel(struct sshc *c);
ssh_session sshc_session(struct sshc *c);

#endif
