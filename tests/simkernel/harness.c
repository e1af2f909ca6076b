/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "macro.h"

static int rm_rf(const char *dir) {
        pid_t p = fork();

        if (p < 0)
                return -errno;
        if (p == 0) {
                execlp("rm", "rm", "-rf", "--one-file-system", dir, (char *) NULL);
                _exit(127);
        }
        (void) waitpid(p, NULL, 0);
        return 0;
}

static void unmount(const char *mnt) {
        pid_t p = fork();

        if (p < 0)
                return;
        if (p == 0) {
                int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
                if (fd >= 0) {
                        dup2(fd, 1);
                        dup2(fd, 2);
                }
                /* the server must not run under the preload; neither this */
                unsetenv("LD_PRELOAD");
                execlp("fusermount3", "fusermount3", "-u", "-q", mnt, (char *) NULL);
                _exit(127);
        }
        (void) waitpid(p, NULL, 0);
}

void sk_sim_stop(sk_sim *s) {
        if (!s)
                return;
        if (s->pid > 0) {
                int st;
                unmount(s->sys);
                for (int i = 0; i < 200; i++) {
                        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                                s->pid = 0;
                                break;
                        }
                        (void) nanosleep(&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
                }
                if (s->pid > 0) {
                        kill(s->pid, SIGKILL);
                        (void) waitpid(s->pid, &st, 0);
                        unmount(s->sys);
                }
        }
        if (s->dir)
                (void) rm_rf(s->dir);
        free(s->dir);
        free(s->testbed);
        free(s->sys);
        free(s->cgroup);
        free(s->control);
        free(s->uevent_log);
        free(s);
}

int sk_sim_start(const char *scenario, sk_sim **ret) {
        const char *server = getenv("SPM_SIMKERNEL");
        char tmpl[] = "/tmp/spm-simkernel-XXXXXX", *scen = NULL, *nodes = NULL;
        sk_sim *s;
        int r = 0;

        if (!server || access(server, X_OK) < 0 || access("/dev/fuse", R_OK | W_OK) < 0)
                return -EOPNOTSUPP;
        if (!mkdtemp(tmpl))
                return -errno;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->dir = strdup(tmpl);
        if (!s->dir ||
            asprintf(&s->testbed, "%s/tb", tmpl) < 0 || asprintf(&s->sys, "%s/tb/sys", tmpl) < 0 ||
            asprintf(&s->cgroup, "%s/tb/sys/fs/cgroup", tmpl) < 0 ||
            asprintf(&s->control, "%s/control", tmpl) < 0 || asprintf(&s->uevent_log, "%s/uevents.log", tmpl) < 0 ||
            asprintf(&scen, "%s/scenario.ini", tmpl) < 0 || asprintf(&nodes, "%s/devices/system/node/possible", s->sys) < 0) {
                r = -ENOMEM;
                goto fail;
        }
        if (mkdir(s->testbed, 0755) < 0 || mkdir(s->sys, 0755) < 0) {
                r = -errno;
                goto fail;
        }
        if (scenario) {
                FILE *f = fopen(scen, "we");
                if (!f) {
                        r = -errno;
                        goto fail;
                }
                fputs(scenario, f);
                fclose(f);
        }

        s->pid = fork();
        if (s->pid < 0) {
                r = -errno;
                goto fail;
        }
        if (s->pid == 0) {
                unsetenv("LD_PRELOAD");
                if (scenario)
                        execl(server, server, "--mount", s->sys, "--scenario", scen, "--control", s->control,
                              "--uevent-dir", s->testbed, "--uevent-log", s->uevent_log, "--die-with-parent",
                              (char *) NULL);
                else
                        execl(server, server, "--mount", s->sys, "--control", s->control, "--uevent-dir",
                              s->testbed, "--uevent-log", s->uevent_log, "--die-with-parent", (char *) NULL);
                _exit(127);
        }

        /* ready when the tree answers and the control socket exists */
        for (int i = 0;; i++) {
                int st;

                if (access(nodes, R_OK) == 0 && access(s->control, F_OK) == 0)
                        break;
                if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
                        s->pid = 0;
                        r = WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -EOPNOTSUPP : -EIO;
                        goto fail;
                }
                if (i > 500) {
                        r = -ETIMEDOUT;
                        goto fail;
                }
                (void) nanosleep(&(struct timespec) { 0, 10 * 1000 * 1000 }, NULL);
        }
        free(scen);
        free(nodes);
        *ret = s;
        return 0;

fail:
        free(scen);
        free(nodes);
        sk_sim_stop(s);
        return r;
}

const char *sk_sim_path(sk_sim *s, const char *rel) {
        static char buf[4096];

        while (*rel == '/')
                rel++;
        snprintf(buf, sizeof buf, "%s/%s", s->sys, rel);
        return buf;
}

int sk_sim_write(sk_sim *s, const char *rel, const char *value) {
        int fd = open(sk_sim_path(s, rel), O_WRONLY | O_CLOEXEC);
        ssize_t n;
        int r = 0;

        if (fd < 0)
                return -errno;
        n = write(fd, value, strlen(value));
        if (n < 0)
                r = -errno;
        else if ((size_t) n != strlen(value))
                r = -EIO;
        close(fd);
        return r;
}

int sk_sim_read(sk_sim *s, const char *rel, char **ret) {
        char buf[65536];
        size_t k = 0;
        int fd = open(sk_sim_path(s, rel), O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return -errno;
        for (;;) {
                ssize_t n = read(fd, buf + k, sizeof buf - 1 - k);
                if (n < 0) {
                        int r = -errno;
                        close(fd);
                        return r;
                }
                if (n == 0)
                        break;
                k += (size_t) n;
        }
        close(fd);
        buf[k] = 0;
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

int sk_sim_ctl(sk_sim *s, char **ret_reply, const char *fmt, ...) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char *cmd = NULL, reply[65536];
        size_t k = 0;
        va_list ap;
        int fd, r;

        va_start(ap, fmt);
        r = vasprintf(&cmd, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", s->control);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                if (fd >= 0)
                        close(fd);
                free(cmd);
                return r;
        }
        (void) !write(fd, cmd, strlen(cmd));
        (void) !write(fd, "\n", 1);
        free(cmd);
        shutdown(fd, SHUT_WR);
        for (;;) {
                ssize_t n = read(fd, reply + k, sizeof reply - 1 - k);
                if (n <= 0)
                        break;
                k += (size_t) n;
        }
        close(fd);
        reply[k] = 0;
        if (ret_reply)
                *ret_reply = strdup(reply);
        if (strncmp(reply, "ok", 2) == 0)
                return 0;
        if (strncmp(reply, "err ", 4) == 0)
                return -atoi(reply + 4);
        return -EIO;
}
