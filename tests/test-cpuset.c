/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The cpuset reader against the cgroup trees of the fixtures. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpuset.h"
#include "macro.h"
#include "paths.h"
#include "tap.h"

/* NULL: the file is absent (and the mask empty). */
typedef struct exp_cpuset {
        const char *cgroup;
        const char *mems, *effective, *sysram, *mems_default;
} exp_cpuset;

static void use_fixture(const char *fixture) {
        _cleanup_free_ char *sys = NULL;

        if (asprintf(&sys, "%s/fixtures/%s/sys", tap_srcdir(), fixture) < 0)
                abort();
        CHECK(setenv("SPM_SYSFS_ROOT", sys, 1) == 0);
        CHECK(unsetenv("SPM_CGROUP_ROOT") == 0);
        spm_paths_reset();
}

static void check_mask(bool present, const spm_nodemask *m, const char *want, const char *what) {
        int failed_before = tap_case_failed;

        CHECK_INT(present, want != NULL);
        CHECK_MASK(*m, want ?: "");
        if (!failed_before && tap_case_failed)
                printf("#   (in %s)\n", what);
}

static void check_cpusets(const char *fixture, const exp_cpuset *e, size_t n) {
        use_fixture(fixture);

        for (size_t i = 0; i < n; i++) {
                spm_cpuset c;
                int r;

                printf("# %s: '%s'\n", fixture, e[i].cgroup);
                memset(&c, 0xaa, sizeof c);
                r = spm_cpuset_read(e[i].cgroup, &c);
                CHECK_INT(r, 0);
                if (r < 0)
                        continue;
                check_mask(c.mems_present, &c.mems, e[i].mems, "mems");
                check_mask(c.effective_present, &c.effective, e[i].effective, "effective");
                check_mask(c.sysram_present, &c.sysram, e[i].sysram, "sysram");
                check_mask(c.mems_default_present, &c.mems_default, e[i].mems_default, "mems_default");
        }
}

static void test_stock(void) {
        static const exp_cpuset e[] = {
                /* the v2 root has no cpuset.mems */
                { "", NULL, "0-1", NULL, NULL },
                { "/", NULL, "0-1", NULL, NULL },
                /* empty cpuset.mems: inherit */
                { "system.slice", "", "0-1", NULL, NULL },
                { "spmd", "1", "1", NULL, NULL },
                { "spmd/", "1", "1", NULL, NULL },
        };
        check_cpusets("stock-6.12", e, ELEMENTSOF(e));
}

static void test_spm_v1(void) {
        static const exp_cpuset e[] = {
                { "", NULL, "0-2", NULL, "0-1" },
                { "spmd", "0,2", "0,2", NULL, "0" },
        };
        check_cpusets("spm-v1", e, ELEMENTSOF(e));
}

/* The values measured on the SPM v2 kernel (kernel-abi §15). */
static void test_spm_v2(void) {
        static const exp_cpuset e[] = {
                { "", NULL, "0-2", "0-1", NULL },
                { "system.slice", "", "0-2", "0-1", NULL },
                { "spmd", "0,2", "0,2", "0", NULL },
                /* only the SPM node granted: an empty sysram view */
                { "spmd/app", "2", "2", "", NULL },
        };
        check_cpusets("spm-v2", e, ELEMENTSOF(e));
}

static void test_private(void) {
        static const exp_cpuset v3[] = {
                { "", NULL, "0-2", "0-1", NULL },
                { "spmd", "0-2", "0-2", "0-1", NULL },
        };
        static const exp_cpuset v4[] = {
                { "", NULL, "0-2", NULL, NULL },
                { "spmd", "2", "2", NULL, NULL },
        };
        check_cpusets("private-v3", v3, ELEMENTSOF(v3));
        check_cpusets("private-v4", v4, ELEMENTSOF(v4));
}

/* cgroup v1: the cpuset hierarchy is its own mount below the cgroupfs
 * root, with the v1 file names. */
static void test_v1(void) {
        static const exp_cpuset e[] = {
                { "cpuset", "0-1", "0-1", "0-1", NULL },
                { "cpuset/spmd", "1", "1", "1", NULL },
                { "cpuset/spmd/app", "", "1", "1", NULL },
        };
        spm_cpuset c;

        check_cpusets("cgroup-v1", e, ELEMENTSOF(e));

        /* the v1 memory hierarchy has no cpuset files */
        CHECK_INT(spm_cpuset_read("memory", &c), -ENOMEDIUM);
        /* the tmpfs holding the hierarchies is not a cgroup */
        CHECK_INT(spm_cpuset_read("", &c), -ENOENT);
}

static void test_errors(void) {
        spm_cpuset c = { .mems_present = true }, before;

        before = c;

        use_fixture("stock-6.12");
        CHECK_INT(spm_cpuset_read("gone", &c), -ENOENT);
        CHECK_INT(spm_cpuset_read("spmd/gone/deeper", &c), -ENOENT);
        /* cpuset not enabled in the parent's subtree_control */
        CHECK_INT(spm_cpuset_read("system.slice/nocpuset.service", &c), -ENOMEDIUM);
        /* a file, not a cgroup directory */
        CHECK_INT(spm_cpuset_read("cgroup.procs", &c), -ENOTDIR);

        use_fixture("malformed");
        CHECK_INT(spm_cpuset_read("garbage", &c), -EINVAL);
        CHECK_INT(spm_cpuset_read("", &c), -EINVAL);
        /* a node beyond the kernel's largest NODES_SHIFT, a NUL byte */
        CHECK_INT(spm_cpuset_read("huge", &c), -EINVAL);
        CHECK_INT(spm_cpuset_read("nul", &c), -EINVAL);
        /* a directory with neither cpuset files nor cgroup.procs */
        CHECK_INT(spm_cpuset_read("nothing", &c), -ENOENT);

        /* no cgroup mount at all */
        use_fixture("empty");
        CHECK_INT(spm_cpuset_read("", &c), -ENOENT);

        /* failures leave the out-parameter alone */
        CHECK(memcmp(&c, &before, sizeof c) == 0);
}

/* The fd-based reader, on a directory opened by the caller. */
static void test_read_at(void) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        spm_cpuset c;

        if (asprintf(&dir, "%s/fixtures/spm-v2/sys/fs/cgroup/spmd", tap_srcdir()) < 0)
                abort();
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_INT(spm_cpuset_read_at(fd, &c), 0);
        CHECK_MASK(c.mems, "0,2");
        CHECK_MASK(c.effective, "0,2");
        CHECK_MASK(c.sysram, "0");
        CHECK(!c.mems_default_present);
}

/* SPM_CGROUP_ROOT points the reader at another tree. */
static void test_cgroup_root_override(void) {
        _cleanup_free_ char *cg = NULL;
        spm_cpuset c;

        use_fixture("stock-6.12");
        if (asprintf(&cg, "%s/fixtures/spm-v2/sys/fs/cgroup", tap_srcdir()) < 0)
                abort();
        CHECK(setenv("SPM_CGROUP_ROOT", cg, 1) == 0);
        spm_paths_reset();
        CHECK_INT(spm_cpuset_read("spmd/app", &c), 0);
        CHECK_MASK(c.effective, "2");
        CHECK(c.sysram_present);
        CHECK(unsetenv("SPM_CGROUP_ROOT") == 0);
        spm_paths_reset();
}

int main(void) {
        TEST(test_stock);
        TEST(test_spm_v1);
        TEST(test_spm_v2);
        TEST(test_private);
        TEST(test_v1);
        TEST(test_errors);
        TEST(test_read_at);
        TEST(test_cgroup_root_override);
        spm_paths_reset();
        return tap_done();
}
