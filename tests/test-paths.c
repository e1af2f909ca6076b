/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "macro.h"
#include "paths.h"
#include "tap.h"

static const char *const vars[] = {
        "SPM_SYSFS_ROOT", "SPM_CGROUP_ROOT", "SPM_PROC_ROOT", "SPM_POLICY_ETC_DIR",
        "SPM_POLICY_RUN_DIR", "SPM_POLICY_LIB_DIR", "RUNTIME_DIRECTORY", "SPM_RUNTIME_DIR",
        "STATE_DIRECTORY", "SPM_STATE_DIR",
};

static void clear_env(void) {
        for (size_t i = 0; i < ELEMENTSOF(vars); i++)
                unsetenv(vars[i]);
        spm_paths_reset();
}

static void test_defaults(void) {
        clear_env();
        CHECK_STREQ(spm_path(SPM_PATH_SYSFS), "/sys");
        CHECK_STREQ(spm_path(SPM_PATH_CGROUPFS), "/sys/fs/cgroup");
        CHECK_STREQ(spm_path(SPM_PATH_PROCFS), "/proc");
        CHECK_STREQ(spm_path(SPM_PATH_POLICY_ETC), "/etc/spm.d");
        CHECK_STREQ(spm_path(SPM_PATH_POLICY_RUN), "/run/spm.d");
        CHECK_STREQ(spm_path(SPM_PATH_POLICY_LIB), "/usr/lib/spm.d");
        CHECK_STREQ(spm_path(SPM_PATH_RUNTIME), "/run/spmd");
        CHECK_STREQ(spm_path(SPM_PATH_STATE), "/var/lib/spmd");
        for (int k = 0; k < _SPM_PATH_MAX; k++)
                CHECK(!spm_path_is_overridden((spm_path_kind) k));
        CHECK_STREQ(spm_path(_SPM_PATH_MAX), "/nonexistent");
        CHECK_STREQ(spm_path_kind_to_string(SPM_PATH_CGROUPFS), "cgroupfs");
        CHECK(spm_path_kind_to_string(_SPM_PATH_MAX) == NULL);
}

static void test_overrides(void) {
        clear_env();
        setenv("SPM_SYSFS_ROOT", "/tmp/fx/sys/", 1);
        setenv("SPM_POLICY_ETC_DIR", "/tmp/etc-spm", 1);
        setenv("RUNTIME_DIRECTORY", "/run/spmd-a:/run/spmd-b", 1);
        setenv("SPM_STATE_DIR", "/tmp/state", 1);
        spm_paths_reset();

        CHECK_STREQ(spm_path(SPM_PATH_SYSFS), "/tmp/fx/sys");          /* trailing slash dropped */
        CHECK_STREQ(spm_path(SPM_PATH_CGROUPFS), "/tmp/fx/sys/fs/cgroup"); /* follows sysfs */
        CHECK(spm_path_is_overridden(SPM_PATH_CGROUPFS));
        CHECK_STREQ(spm_path(SPM_PATH_POLICY_ETC), "/tmp/etc-spm");
        CHECK_STREQ(spm_path(SPM_PATH_RUNTIME), "/run/spmd-a");        /* first of a list */
        CHECK_STREQ(spm_path(SPM_PATH_STATE), "/tmp/state");
        CHECK(!spm_path_is_overridden(SPM_PATH_PROCFS));

        setenv("SPM_CGROUP_ROOT", "/tmp/cg", 1);
        /* cached until reset */
        CHECK_STREQ(spm_path(SPM_PATH_CGROUPFS), "/tmp/fx/sys/fs/cgroup");
        spm_paths_reset();
        CHECK_STREQ(spm_path(SPM_PATH_CGROUPFS), "/tmp/cg");

        /* empty values count as unset; "/" stays "/" */
        setenv("SPM_SYSFS_ROOT", "", 1);
        setenv("SPM_PROC_ROOT", "/", 1);
        spm_paths_reset();
        CHECK_STREQ(spm_path(SPM_PATH_SYSFS), "/sys");
        CHECK_STREQ(spm_path(SPM_PATH_PROCFS), "/");

        setenv("STATE_DIRECTORY", "/var/lib/x", 1);
        spm_paths_reset();
        CHECK_STREQ(spm_path(SPM_PATH_STATE), "/var/lib/x");           /* systemd's wins */
        clear_env();
}

static void test_join(void) {
        _cleanup_free_ char *a = NULL, *b = NULL;

        clear_env();
        setenv("SPM_SYSFS_ROOT", "/tmp/s", 1);
        spm_paths_reset();
        a = spm_path_join(SPM_PATH_SYSFS, "bus/dax/devices/%s", "dax0.0");
        CHECK_STREQ(a, "/tmp/s/bus/dax/devices/dax0.0");
        b = spm_path_join(SPM_PATH_CGROUPFS, "/%s", "a.slice");
        CHECK_STREQ(b, "/tmp/s/fs/cgroup/a.slice");
        clear_env();
}

int main(void) {
        TEST(test_defaults);
        TEST(test_overrides);
        TEST(test_join);
        return tap_done();
}
