/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * vm-bench: the timing and set-up helper of the bench-hotplug and
 * bench-cgroups guests (tests/vm/guest/bench-*.sh). Built statically, like
 * json-flat, so the guest needs no library for it. It measures; it checks
 * only what a measurement needs to be valid.
 *
 *   vm-bench time [-b NODE:N] -- CMD [ARG...]
 *           fork+exec+wait of CMD, then (with -b) poll every 1 ms until
 *           node NODE has N memory blocks, all "online" with valid_zones
 *           "Movable". Prints "ms=<fork to done> rc=<CMD's exit status>".
 *   vm-bench signal PID SIG [-b NODE:N] [-n SOCKET] [-w LIST] [-m FROM:TO]
 *                   [-q QUIET_MS] [-t MAX_MS]
 *           bind a datagram socket at SOCKET (the NOTIFY_SOCKET PID was
 *           started with), send SIG (a number, or HUP, CONT, STOP,
 *           TERM) to PID, then poll every 1 ms: the blocks (with -b),
 *           the sd_notify messages PID sends, and whether PID sleeps in
 *           epoll. Ends when the blocks are done (with -b)
 *           and PID has sent nothing and was seen idle for QUIET_MS
 *           (default 300). SIG 0 sends nothing: just wait until PID is
 *           idle. With -w, every file named in LIST (one path a line) is
 *           watched with inotify: written_first_ms= is when the first of
 *           them was written, written_ms= when the last of them was first
 *           written, written= how many were. Prints "done_ms=
 *           status_first_ms= status_last_ms= statuses= idle_ms=
 *           written_first_ms= written_ms= written=" (ms from the signal;
 *           -1: did not happen). Until the first STATUS= it sleeps in
 *           poll() (no 1 ms wake-ups while the pass it times runs).
 *           With -m, FROM is renamed to TO first, in the timed part: a
 *           policy file put in place, for a daemon that would react to
 *           the file itself as well as to the signal.
 *   vm-bench hp-floor DEV NODE
 *           the minimal writer for a hot-add: unbind DEV from device_dax,
 *           write it to kmem/new_id, then every memory block of NODE that
 *           reads "offline" gets "online_movable". Nothing else.
 *   vm-bench cg-create ROOT PARENTS CHILDREN
 *           ROOT/bench/pNNN/cNNN with +cpuset down to the parents, and
 *           cpuset.mems=0-1 on every group (the baseline).
 *   vm-bench cg-apply ROOT PARENTS CHILDREN GRANTED VALUE
 *           the minimal writer for the policy change: VALUE into the
 *           cpuset.mems of bench, of p000..p(GRANTED-1) and of their
 *           children, parents first; open/write/close each, nothing else.
 *   vm-bench cg-reset ROOT PARENTS CHILDREN GRANTED VALUE
 *           the same files, children first (the untimed way back).
 *   vm-bench cg-list ROOT PARENTS CHILDREN GRANTED
 *           the paths of those cpuset.mems files, one a line.
 *   vm-bench cg-check ROOT PARENTS CHILDREN GRANTED WANT OTHER
 *           every group's cpuset.mems: WANT for bench, the granted
 *           parents and their children, OTHER elsewhere. Prints the
 *           mismatches (the first few) and their number; exit 1 if any.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static int put(const char *path, const char *v) {
        size_t len = strlen(v);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, v, len);
        if (n < 0)
                n = -errno;
        close(fd);
        return n < 0 ? (int) n : (size_t) n == len ? 0 : -EIO;
}

/* one line, without its newline; "" when the file cannot be read */
static int get(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        buf[0] = 0;
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                n = -errno;
        close(fd);
        if (n < 0)
                return (int) n;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: vm-bench time|signal|hp-floor|cg-create|cg-apply|cg-reset|cg-list|cg-check ... "
                        "(see tests/vm/vm-bench.c)\n");
        return 2;
}

/* ---- memory blocks ------------------------------------------------------ */

#define NODE_DIR "/sys/devices/system/node"
#define MEM_DIR "/sys/devices/system/memory"

static bool is_block(const char *name) {
        return strncmp(name, "memory", 6) == 0 && name[6] >= '0' && name[6] <= '9';
}

/* Does NODE have exactly N blocks, each online in ZONE_MOVABLE? The node's
 * directory goes away when its last block is removed: that is "no". */
static bool blocks_done(int node, int n) {
        char p[320], v[64];
        struct dirent *e;
        int count = 0;
        bool ok = true;
        DIR *d;

        snprintf(p, sizeof p, NODE_DIR "/node%d", node);
        d = opendir(p);
        if (!d)
                return false;
        while (ok && (e = readdir(d))) {
                if (!is_block(e->d_name))
                        continue;
                count++;
                snprintf(p, sizeof p, MEM_DIR "/%s/state", e->d_name);
                ok = get(p, v, sizeof v) == 0 && strcmp(v, "online") == 0;
                if (ok) {
                        snprintf(p, sizeof p, MEM_DIR "/%s/valid_zones", e->d_name);
                        ok = get(p, v, sizeof v) == 0 && strcmp(v, "Movable") == 0;
                }
        }
        closedir(d);
        return ok && count == n;
}

static int parse_blocks(const char *arg, int *node, int *n) {
        return sscanf(arg, "%d:%d", node, n) == 2 && *node >= 0 && *n > 0 ? 0 : -EINVAL;
}

/* ---- time: fork, exec, wait, then poll ---------------------------------- */

static int cmd_time(int argc, char **argv) {
        int node = -1, n = 0, status, i = 0;
        double t0, t;
        pid_t pid;

        for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "-b") == 0 && i + 1 < argc) {
                        if (parse_blocks(argv[++i], &node, &n) < 0)
                                return usage();
                } else
                        return usage();
        if (i + 1 >= argc)
                return usage();
        argv += i + 1;

        t0 = now_ms();
        pid = fork();
        if (pid < 0)
                return perror("fork"), 1;
        if (pid == 0) {
                execvp(argv[0], argv);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                return perror("waitpid"), 1;
        if (node >= 0)
                while (!blocks_done(node, n)) {
                        if (now_ms() - t0 > 60000)
                                return fprintf(stderr, "vm-bench: node%d not done after 60 s\n", node), 1;
                        sleep_ms(1);
                }
        t = now_ms() - t0;
        printf("ms=%.3f rc=%d\n", t, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        return 0;
}

/* ---- signal: trigger a daemon, follow it until it is idle --------------- */

static int notify_socket(const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                int r = -errno;

                close(fd);
                return r;
        }
        return fd;
}

/* Sleeping in epoll_wait: the daemon's event loop has nothing to do. A
 * pass that waits for a lock or a sysfs write sleeps elsewhere. */
static bool idle(pid_t pid) {
        char p[64], buf[512], *s;

        snprintf(p, sizeof p, "/proc/%d/stat", (int) pid);
        if (get(p, buf, sizeof buf) < 0)
                return true;   /* gone: nothing more will happen */
        s = strrchr(buf, ')');
        if (!s || s[1] != ' ' || s[2] != 'S')
                return false;
        snprintf(p, sizeof p, "/proc/%d/wchan", (int) pid);
        if (get(p, buf, sizeof buf) < 0)
                return false;
        return strstr(buf, "epoll") != NULL;
}

static int signal_number(const char *s) {
        static const struct {
                const char *name;
                int sig;
        } names[] = { { "HUP", SIGHUP }, { "CONT", SIGCONT }, { "STOP", SIGSTOP }, { "TERM", SIGTERM } };

        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
                if (strcmp(s, names[i].name) == 0)
                        return names[i].sig;
        return s[0] >= '0' && s[0] <= '9' ? atoi(s) : -1;
}

/* Watch every file LIST names for writes (IN_MODIFY: any write(2) that
 * wrote something). Returns the inotify fd; *ret_n the number watched. */
static int watch_list(const char *list, int *ret_n) {
        char line[512];
        int fd, n = 0;
        FILE *f;

        f = fopen(list, "re");
        if (!f)
                return -errno;
        fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
                fclose(f);
                return -errno;
        }
        while (fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                if (!line[0])
                        continue;
                if (inotify_add_watch(fd, line, IN_MODIFY) < 0) {
                        int r = -errno;

                        fprintf(stderr, "vm-bench: %s: %s\n", line, strerror(errno));
                        fclose(f);
                        close(fd);
                        return r;
                }
                n++;
        }
        fclose(f);
        *ret_n = n;
        return fd;
}

/* The inotify events queued so far, stamped t: the first write of each
 * watched file counts. */
static void drain_watch(int wfd, double t, int watched, unsigned char *seen, double *written_first,
                        double *written_at, int *written) {
        char msg[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t k;

        while (wfd >= 0 && (k = read(wfd, msg, sizeof msg)) > 0)
                for (char *q = msg; q < msg + k;) {
                        struct inotify_event *e = (struct inotify_event *) q;

                        if ((e->mask & IN_MODIFY) && e->wd > 0 && e->wd <= watched + 1 && !seen[e->wd]) {
                                seen[e->wd] = 1;
                                if (*written_first < 0)
                                        *written_first = t;
                                if (++*written == watched)
                                        *written_at = t;
                        }
                        q += sizeof *e + e->len;
                }
}

/* The sd_notify messages queued so far, stamped t. Returns how many were
 * STATUS= (RELOADING=1 comes from the signal handler; STATUS= ends every
 * pass, with READY=1 after the first one and after a reload's). */
static int drain_notify(int fd, double t, double *first, double *last, int *statuses, double *busy) {
        char msg[4096];
        ssize_t k;
        int n = 0;

        while (fd >= 0 && (k = recv(fd, msg, sizeof msg - 1, 0)) >= 0) {
                msg[k] = 0;
                if (strstr(msg, "STATUS=")) {
                        if (*first < 0)
                                *first = t;
                        *last = t;
                        (*statuses)++;
                        n++;
                }
                *busy = t;
        }
        return n;
}

static int cmd_signal(int argc, char **argv) {
        double t0, t, done = -1, first = -1, last = -1, busy, idle_at = -1, written_first = -1, written_at = -1;
        int node = -1, n = 0, sig, fd = -1, statuses = 0, wfd = -1, watched = 0, written = 0;
        char *move_from = NULL, *move_to = NULL;
        unsigned char *seen = NULL;
        long quiet = 300, max = 120000;
        pid_t pid;

        if (argc < 2)
                return usage();
        pid = (pid_t) atoi(argv[0]);
        sig = signal_number(argv[1]);
        if (pid <= 0 || sig < 0)
                return usage();
        for (int i = 2; i < argc; i++) {
                if (i + 1 >= argc)
                        return usage();
                if (strcmp(argv[i], "-b") == 0) {
                        if (parse_blocks(argv[++i], &node, &n) < 0)
                                return usage();
                } else if (strcmp(argv[i], "-n") == 0) {
                        fd = notify_socket(argv[++i]);
                        if (fd < 0)
                                return fprintf(stderr, "vm-bench: %s: %s\n", argv[i], strerror(-fd)), 1;
                } else if (strcmp(argv[i], "-w") == 0) {
                        wfd = watch_list(argv[++i], &watched);
                        if (wfd < 0)
                                return fprintf(stderr, "vm-bench: %s: %s\n", argv[i], strerror(-wfd)), 1;
                        /* watch descriptors count from 1 */
                        seen = calloc((size_t) watched + 2, 1);
                        if (!seen)
                                return 1;
                } else if (strcmp(argv[i], "-m") == 0) {
                        move_from = argv[++i];
                        move_to = strchr(move_from, ':');
                        if (!move_to)
                                return usage();
                        *move_to++ = 0;
                } else if (strcmp(argv[i], "-q") == 0)
                        quiet = atol(argv[++i]);
                else if (strcmp(argv[i], "-t") == 0)
                        max = atol(argv[++i]);
                else
                        return usage();
        }

        t0 = now_ms();
        if (move_from && rename(move_from, move_to) < 0)
                return fprintf(stderr, "vm-bench: %s -> %s: %m\n", move_from, move_to), 1;
        if (sig > 0 && kill(pid, sig) < 0)
                return perror("kill"), 1;
        busy = 0;
        /* Until the first STATUS= (the end of the pass the signal caused),
         * sleep in poll() instead of waking every millisecond: on a
         * one-CPU guest every wake-up of this process is time taken from
         * the daemon being timed, which the floor's timer (a plain
         * waitpid) does not take. The idle polling starts after it. */
        if (sig > 0 && fd >= 0 && node < 0)
                for (;;) {
                        struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = wfd, .events = POLLIN } };
                        int left = (int) (max - (now_ms() - t0));

                        if (left <= 0 || poll(p, wfd >= 0 ? 2 : 1, left) <= 0)
                                break;
                        t = now_ms() - t0;
                        drain_watch(wfd, t, watched, seen, &written_first, &written_at, &written);
                        if (drain_notify(fd, t, &first, &last, &statuses, &busy) > 0)
                                break;
                }
        for (;;) {
                t = now_ms() - t0;
                drain_notify(fd, t, &first, &last, &statuses, &busy);
                drain_watch(wfd, t, watched, seen, &written_first, &written_at, &written);
                if (node >= 0 && done < 0 && blocks_done(node, n))
                        done = t;
                if (!idle(pid))
                        busy = t;
                if ((node < 0 || done >= 0) && t - busy >= quiet) {
                        idle_at = busy;
                        break;
                }
                if (t > max) {
                        fprintf(stderr, "vm-bench: pid %d not idle after %ld ms\n", (int) pid, max);
                        break;
                }
                sleep_ms(1);
        }
        printf("done_ms=%.3f status_first_ms=%.3f status_last_ms=%.3f statuses=%d idle_ms=%.3f "
               "written_first_ms=%.3f written_ms=%.3f written=%d\n",
               done, first, last, statuses, idle_at, written_first, written_at, written);
        free(seen);
        return idle_at < 0 || (node >= 0 && done < 0);
}

/* ---- the hot-add floor -------------------------------------------------- */

static int cmd_hp_floor(int argc, char **argv) {
        char p[320], v[32];
        struct dirent *e;
        int r;
        DIR *d;

        if (argc != 2)
                return usage();
        if ((r = put("/sys/bus/dax/drivers/device_dax/unbind", argv[0])) < 0)
                return fprintf(stderr, "unbind: %s\n", strerror(-r)), 1;
        if ((r = put("/sys/bus/dax/drivers/kmem/new_id", argv[0])) < 0)
                return fprintf(stderr, "new_id: %s\n", strerror(-r)), 1;
        snprintf(p, sizeof p, NODE_DIR "/node%s", argv[1]);
        d = opendir(p);
        if (!d)
                return fprintf(stderr, "%s: %m\n", p), 1;
        while ((e = readdir(d))) {
                if (!is_block(e->d_name))
                        continue;
                snprintf(p, sizeof p, MEM_DIR "/%s/state", e->d_name);
                if (get(p, v, sizeof v) < 0 || strcmp(v, "offline") != 0)
                        continue;
                if ((r = put(p, "online_movable")) < 0)
                        return fprintf(stderr, "%s: %s\n", p, strerror(-r)), 1;
        }
        closedir(d);
        return 0;
}

/* ---- cgroups ------------------------------------------------------------ */

static int write_mems(const char *root, const char *group, const char *value) {
        char p[512];
        int r;

        snprintf(p, sizeof p, "%s/%s/cpuset.mems", root, group);
        r = put(p, value);
        if (r < 0)
                fprintf(stderr, "%s: %s\n", p, strerror(-r));
        return r;
}

static int cmd_cg_create(int argc, char **argv) {
        unsigned parents, children;
        char g[64], p[512];
        double t0, t1;
        int r;

        if (argc != 3)
                return usage();
        parents = (unsigned) atoi(argv[1]);
        children = (unsigned) atoi(argv[2]);
        t0 = now_ms();
        snprintf(p, sizeof p, "%s/cgroup.subtree_control", argv[0]);
        if ((r = put(p, "+cpuset")) < 0)
                return fprintf(stderr, "%s: %s\n", p, strerror(-r)), 1;
        for (unsigned i = 0; i <= parents; i++)
                for (unsigned c = 0; c <= (i == 0 ? 0 : children); c++) {
                        /* bench, then each parent with +cpuset, then its children */
                        if (i == 0)
                                snprintf(g, sizeof g, "bench");
                        else if (c == 0)
                                snprintf(g, sizeof g, "bench/p%03u", i - 1);
                        else
                                snprintf(g, sizeof g, "bench/p%03u/c%03u", i - 1, c - 1);
                        snprintf(p, sizeof p, "%s/%s", argv[0], g);
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return fprintf(stderr, "%s: %m\n", p), 1;
                        if (c == 0) {
                                snprintf(p, sizeof p, "%s/%s/cgroup.subtree_control", argv[0], g);
                                if ((r = put(p, "+cpuset")) < 0)
                                        return fprintf(stderr, "%s: %s\n", p, strerror(-r)), 1;
                        }
                }
        t1 = now_ms();
        if (write_mems(argv[0], "bench", "0-1") < 0)
                return 1;
        for (unsigned i = 0; i < parents; i++) {
                snprintf(g, sizeof g, "bench/p%03u", i);
                if (write_mems(argv[0], g, "0-1") < 0)
                        return 1;
                for (unsigned c = 0; c < children; c++) {
                        snprintf(g, sizeof g, "bench/p%03u/c%03u", i, c);
                        if (write_mems(argv[0], g, "0-1") < 0)
                                return 1;
                }
        }
        printf("create_ms=%.1f baseline_ms=%.1f groups=%u\n", t1 - t0, now_ms() - t1, 1 + parents * (1 + children));
        return 0;
}

static int cmd_cg_write(int argc, char **argv, bool parents_first) {
        unsigned children, granted;
        const char *root, *value;
        char g[64];

        if (argc != 5)
                return usage();
        root = argv[0];
        children = (unsigned) atoi(argv[2]);
        granted = (unsigned) atoi(argv[3]);
        value = argv[4];
        if (parents_first && write_mems(root, "bench", value) < 0)
                return 1;
        for (unsigned i = 0; i < granted; i++) {
                if (parents_first) {
                        snprintf(g, sizeof g, "bench/p%03u", i);
                        if (write_mems(root, g, value) < 0)
                                return 1;
                }
                for (unsigned c = 0; c < children; c++) {
                        snprintf(g, sizeof g, "bench/p%03u/c%03u", i, c);
                        if (write_mems(root, g, value) < 0)
                                return 1;
                }
                if (!parents_first) {
                        snprintf(g, sizeof g, "bench/p%03u", i);
                        if (write_mems(root, g, value) < 0)
                                return 1;
                }
        }
        if (!parents_first && write_mems(root, "bench", value) < 0)
                return 1;
        return 0;
}

static int cmd_cg_list(int argc, char **argv) {
        unsigned children, granted;

        if (argc != 4)
                return usage();
        children = (unsigned) atoi(argv[2]);
        granted = (unsigned) atoi(argv[3]);
        printf("%s/bench/cpuset.mems\n", argv[0]);
        for (unsigned i = 0; i < granted; i++) {
                printf("%s/bench/p%03u/cpuset.mems\n", argv[0], i);
                for (unsigned c = 0; c < children; c++)
                        printf("%s/bench/p%03u/c%03u/cpuset.mems\n", argv[0], i, c);
        }
        return 0;
}

static unsigned check_one(const char *root, const char *group, const char *want, unsigned bad) {
        char p[512], v[64];

        snprintf(p, sizeof p, "%s/%s/cpuset.mems", root, group);
        if (get(p, v, sizeof v) == 0 && strcmp(v, want) == 0)
                return bad;
        if (bad < 5)
                printf("mismatch %s: cpuset.mems='%s', want '%s'\n", group, v, want);
        return bad + 1;
}

static int cmd_cg_check(int argc, char **argv) {
        unsigned parents, children, granted, bad = 0;
        const char *root, *want, *other;
        char g[64];

        if (argc != 6)
                return usage();
        root = argv[0];
        parents = (unsigned) atoi(argv[1]);
        children = (unsigned) atoi(argv[2]);
        granted = (unsigned) atoi(argv[3]);
        want = argv[4];
        other = argv[5];
        bad = check_one(root, "bench", granted > 0 ? want : other, bad);
        for (unsigned i = 0; i < parents; i++) {
                const char *w = i < granted ? want : other;

                snprintf(g, sizeof g, "bench/p%03u", i);
                bad = check_one(root, g, w, bad);
                for (unsigned c = 0; c < children; c++) {
                        snprintf(g, sizeof g, "bench/p%03u/c%03u", i, c);
                        bad = check_one(root, g, w, bad);
                }
        }
        printf("mismatches=%u groups=%u\n", bad, 1 + parents * (1 + children));
        return bad > 0;
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        if (argc < 2)
                return usage();
        if (strcmp(argv[1], "time") == 0)
                return cmd_time(argc - 2, argv + 2);
        if (strcmp(argv[1], "signal") == 0)
                return cmd_signal(argc - 2, argv + 2);
        if (strcmp(argv[1], "hp-floor") == 0)
                return cmd_hp_floor(argc - 2, argv + 2);
        if (strcmp(argv[1], "cg-create") == 0)
                return cmd_cg_create(argc - 2, argv + 2);
        if (strcmp(argv[1], "cg-apply") == 0)
                return cmd_cg_write(argc - 2, argv + 2, true);
        if (strcmp(argv[1], "cg-reset") == 0)
                return cmd_cg_write(argc - 2, argv + 2, false);
        if (strcmp(argv[1], "cg-list") == 0)
                return cmd_cg_list(argc - 2, argv + 2);
        if (strcmp(argv[1], "cg-check") == 0)
                return cmd_cg_check(argc - 2, argv + 2);
        return usage();
}
