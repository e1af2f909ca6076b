/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The clock and the poller of bench-hotplug, one for every method, so the
 * floor and spmd are observed the same way:
 *
 *   hotplug-wait SYSFS FIRST LAST cont PID       SIGCONT to PID (spmd, stopped
 *                                                with its uevents queued)
 *   hotplug-wait SYSFS FIRST LAST run CMD ARGS…  fork+exec+wait of CMD
 *
 * The clock starts just before the kill(2) or the fork(2). Then, every
 * millisecond, it reads memoryLAST/state and valid_zones; once that block
 * is online and Movable it reads every block FIRST..LAST, and stops the
 * clock when all of them are. The last block first keeps the poller's own
 * reads (through the same FUSE server the writers use) to two a round
 * while the work is still going on. Prints the elapsed microseconds.
 *
 * The poller reads through SYSFS (the simulated tree's mount point) and is
 * not itself under the umockdev preload; CMD gets the preload named by
 * HOTPLUG_WAIT_CHILD_PRELOAD, if set, as its LD_PRELOAD.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *sysfs;

static bool read_is(unsigned long block, const char *attr, const char *want) {
        char p[4096], buf[64];
        ssize_t n;
        int fd;

        snprintf(p, sizeof p, "%s/devices/system/memory/memory%lu/%s", sysfs, block, attr);
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n <= 0)
                return false;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return strcmp(buf, want) == 0;
}

static bool block_done(unsigned long b) {
        return read_is(b, "state", "online") && read_is(b, "valid_zones", "Movable");
}

static bool all_done(unsigned long first, unsigned long last) {
        if (!block_done(last))
                return false;
        for (unsigned long b = first; b < last; b++)
                if (!block_done(b))
                        return false;
        return true;
}

static long long usec_since(const struct timespec *t0) {
        struct timespec t1;

        clock_gettime(CLOCK_MONOTONIC, &t1);
        return (long long) (t1.tv_sec - t0->tv_sec) * 1000000LL + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

int main(int argc, char **argv) {
        const struct timespec tick = { 0, 1000000 };
        unsigned long first, last;
        struct timespec t0;
        int status;

        if (argc < 6)
                return fprintf(stderr, "usage: hotplug-wait SYSFS FIRST LAST cont PID | run CMD...\n"), 2;
        sysfs = argv[1];
        first = strtoul(argv[2], NULL, 10);
        last = strtoul(argv[3], NULL, 10);
        if (last < first)
                return 2;

        if (strcmp(argv[4], "cont") == 0) {
                pid_t pid = (pid_t) strtol(argv[5], NULL, 10);

                clock_gettime(CLOCK_MONOTONIC, &t0);
                if (kill(pid, SIGCONT) < 0)
                        return perror("kill"), 1;
        } else if (strcmp(argv[4], "run") == 0) {
                const char *preload = getenv("HOTPLUG_WAIT_CHILD_PRELOAD");
                pid_t pid;

                clock_gettime(CLOCK_MONOTONIC, &t0);
                pid = fork();
                if (pid < 0)
                        return perror("fork"), 1;
                if (pid == 0) {
                        if (preload)
                                setenv("LD_PRELOAD", preload, 1);
                        execvp(argv[5], argv + 5);
                        _exit(127);
                }
                if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        return fprintf(stderr, "%s failed\n", argv[5]), 1;
        } else
                return 2;

        /* 60 s at most: a writer that never finishes is a failure */
        while (!all_done(first, last)) {
                if (usec_since(&t0) > 60 * 1000000LL)
                        return fprintf(stderr, "blocks %lu-%lu not online and Movable\n", first, last), 1;
                nanosleep(&tick, NULL);
        }
        printf("%lld\n", usec_since(&t0));
        return 0;
}
