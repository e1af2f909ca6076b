/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * What spmd could use libcgroup for: finding the cgroup mount and telling
 * v1 from v2. Times, in the same run, libcgroup's discovery (cgroup_init(),
 * which parses /proc/mounts, plus cgroup_get_subsys_mount_point("cpuset"))
 * against the probe spmd does itself on spm_path(SPM_PATH_CGROUPFS): one
 * access(2) of cgroup.controllers, and of cpuset/ on v1.
 *
 * Read-only: neither side writes anything. libcgroup's write path
 * (cgroup_modify_cgroup, cgconfigparser) is not timed here, because it
 * can only act on the host's real cgroup mount from /proc/mounts; see
 * anchor-baselines §B for its cost in a guest (218x a plain write).
 *
 *   bench-libcgroup [REPS]
 */

#include <errno.h>
#include <libcgroup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "paths.h"

static double now_us(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static bool own_probe(bool *v2) {
        const char *root = spm_path(SPM_PATH_CGROUPFS);
        char p[4096];

        snprintf(p, sizeof p, "%s/cgroup.controllers", root);
        if (access(p, F_OK) == 0) {
                *v2 = true;
                return true;
        }
        snprintf(p, sizeof p, "%s/cpuset", root);
        *v2 = false;
        return access(p, F_OK) == 0;
}

int main(int argc, char *argv[]) {
        unsigned reps = argc > 1 ? (unsigned) atoi(argv[1]) : 200;
        double *a, *b;
        char *mnt = NULL;
        bool v2 = false, found;
        int r = 0;

        if (reps < 1)
                reps = 1;
        a = calloc(reps, sizeof *a);
        b = calloc(reps, sizeof *b);
        if (!a || !b)
                return EXIT_FAILURE;

        for (unsigned i = 0; i < reps; i++) {
                double t0 = now_us();

                r = cgroup_init();
                if (r == 0) {
                        free(mnt);
                        mnt = NULL;
                        (void) cgroup_get_subsys_mount_point("cpuset", &mnt);
                }
                a[i] = now_us() - t0;

                t0 = now_us();
                found = own_probe(&v2);
                b[i] = now_us() - t0;
        }
        qsort(a, reps, sizeof *a, cmp_double);
        qsort(b, reps, sizeof *b, cmp_double);

        printf("bench-libcgroup: mount discovery, %u reps (read-only)\n", reps);
        printf("libcgroup: cgroup_init()=%d (%s), cpuset at %s\n", r, r ? cgroup_strerror(r) : "ok",
               mnt ?: "(none)");
        printf("spmd probe on %s: %s\n\n", spm_path(SPM_PATH_CGROUPFS), found ? (v2 ? "cgroup v2" : "cgroup v1 cpuset") : "none");
        printf("| %-48s | %9s | %9s | %9s | %7s |\n", "method", "min us", "median us", "max us", "ratio");
        printf("|--------------------------------------------------|-----------|-----------|-----------|---------|\n");
        printf("| %-48s | %9.1f | %9.1f | %9.1f | %7.1f |\n", "spmd: access(cgroup.controllers) [+ cpuset/]",
               b[0], b[reps / 2], b[reps - 1], 1.0);
        printf("| %-48s | %9.1f | %9.1f | %9.1f | %7.1f |\n", "libcgroup: cgroup_init + get_subsys_mount_point",
               a[0], a[reps / 2], a[reps - 1], a[reps / 2] / (b[reps / 2] > 0 ? b[reps / 2] : 1));
        free(mnt);
        free(a);
        free(b);
        return EXIT_SUCCESS;
}
