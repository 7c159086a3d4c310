/* runstat: runs a command N times, its output to /dev/null, and prints one line per run:
 * wall ms, CPU ms (user + system), peak RSS KiB, minor page faults. The whole process is
 * measured (exec, dynamic loading, exit), with nanosecond wall clock and the kernel's
 * rusage of the child, where /usr/bin/time rounds to 10 ms.
 *   runstat N CMD [ARG...] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double ms_of(struct timeval tv)
{
    return tv.tv_sec * 1e3 + tv.tv_usec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: runstat N CMD [ARG...]\n");
        return 2;
    }
    int n = atoi(argv[1]);
    for (int i = 0; i < n; i++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        pid_t pid = fork();
        if (pid < 0) {
            perror("runstat: fork");
            return 1;
        }
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            execvp(argv[2], argv + 2);
            _exit(127);
        }
        int st;
        struct rusage ru;
        if (wait4(pid, &st, 0, &ru) < 0) {
            perror("runstat: wait4");
            return 1;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double wall = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("%.3f %.3f %ld %ld\n", wall, ms_of(ru.ru_utime) + ms_of(ru.ru_stime),
               ru.ru_maxrss, ru.ru_minflt);
        if (!WIFEXITED(st) || WEXITSTATUS(st) == 127) {
            fprintf(stderr, "runstat: %s did not run\n", argv[2]);
            return 1;
        }
    }
    return 0;
}
