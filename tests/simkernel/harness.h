/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Start a simulated kernel from a test in a few lines, and always tear it
 * down:
 *
 *   sk_sim *s;
 *   r = sk_sim_start("[kernel]\nmarking=spm-v2\n...", &s);
 *   if (r == -EOPNOTSUPP) skip;        // no /dev/fuse, no server binary
 *   CHECK_INT(sk_sim_write(s, "bus/dax/drivers/kmem/new_id", "dax0.0"), 0);
 *   sk_sim_stop(s);
 *
 * The server is $SPM_SIMKERNEL (meson sets it), mounted on <tmp>/tb/sys,
 * with <tmp>/tb usable as UMOCKDEV_DIR. It dies with the test process, and
 * takes its mount with it, so a crashed test leaves nothing behind.
 */

#include <stddef.h>
#include <sys/types.h>

typedef struct sk_sim {
        char *dir;                  /* private temp dir */
        char *testbed;              /* UMOCKDEV_DIR */
        char *sys;                  /* the mount: SPM_SYSFS_ROOT */
        char *cgroup;               /* <sys>/fs/cgroup: SPM_CGROUP_ROOT */
        char *control;              /* control socket */
        char *uevent_log;           /* one line per uevent sent */
        pid_t pid;
} sk_sim;

/* scenario: file contents (NULL: the default scenario). -EOPNOTSUPP when
 * FUSE or the server is unavailable (tests skip). */
int sk_sim_start(const char *scenario, sk_sim **ret);
void sk_sim_stop(sk_sim *s);

/* One open + one write(2) of value (no newline added), like spm_attr_write:
 * 0 or -errno (of open or of write). */
int sk_sim_write(sk_sim *s, const char *rel, const char *value);
/* Read a whole file; 0 or -errno. *ret keeps the trailing newline. */
int sk_sim_read(sk_sim *s, const char *rel, char **ret);
/* A control command; returns 0 or -errno from the "err N" reply. */
int sk_sim_ctl(sk_sim *s, char **ret_reply, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Absolute path of rel inside the mount (static buffer). */
const char *sk_sim_path(sk_sim *s, const char *rel);
