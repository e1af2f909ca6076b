/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spm-simctl: send one command to a running spm-simkernel and print the
 * reply. Exit status 0 on "ok", otherwise the errno the command failed with
 * (capped at 125), so shell tests can branch on it.
 *
 *   spm-simctl [--control SOCKET] COMMAND [ARG...]
 *
 * The socket defaults to $SPM_SIMKERNEL_CONTROL.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        const char *path = getenv("SPM_SIMKERNEL_CONTROL");
        char line[8192], reply[65536];
        size_t k = 0, n = 0;
        int i = 1, fd;

        if (argc > 2 && strcmp(argv[1], "--control") == 0) {
                path = argv[2];
                i = 3;
        }
        if (!path || i >= argc) {
                fprintf(stderr, "usage: spm-simctl [--control SOCKET] COMMAND [ARG...]\n");
                return 2;
        }
        for (; i < argc; i++) {
                int r = snprintf(line + k, sizeof line - k, "%s%s", k ? " " : "", argv[i]);
                if (r < 0 || (size_t) r >= sizeof line - k - 1)
                        return 2;
                k += (size_t) r;
        }
        line[k++] = '\n';

        if (strlen(path) >= sizeof sa.sun_path)
                return 2;
        strcpy(sa.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "spm-simctl: %s: %s\n", path, strerror(errno));
                return 2;
        }
        if (write(fd, line, k) != (ssize_t) k)
                return 2;
        shutdown(fd, SHUT_WR);
        for (;;) {
                ssize_t r = read(fd, reply + n, sizeof reply - 1 - n);
                if (r <= 0)
                        break;
                n += (size_t) r;
        }
        close(fd);
        reply[n] = 0;
        fputs(reply, stdout);
        if (strncmp(reply, "ok", 2) == 0)
                return 0;
        if (strncmp(reply, "err ", 4) == 0) {
                int e = atoi(reply + 4);
                return e > 0 && e < 126 ? e : 1;
        }
        return 1;
}
