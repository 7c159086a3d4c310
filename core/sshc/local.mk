# core/sshc: one SSH connection running commands (libssh, non-blocking); journal and backups use it.
libclancore_a_SOURCES += core/sshc.h core/sshc/sshc.c
