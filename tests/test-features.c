/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The kernel feature probe against every fixture tree. Each case points
 * SPM_SYSFS_ROOT at <fixture>/sys and leaves the cgroupfs root to its
 * default (<sysfs>/fs/cgroup), the way a test harness or the simulated
 * kernel runs the daemon.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel-features.h"
#include "macro.h"
#include "paths.h"
#include "tap.h"
#include "topology.h"

/* The expected tables start from shared defaults and override a few
 * fields per case. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

typedef struct exp_features {
        const char *fixture;
        spm_features f;
} exp_features;

static int probe_fixture(const char *fixture, spm_features *ret) {
        _cleanup_free_ char *sys = NULL;

        if (asprintf(&sys, "%s/fixtures/%s/sys", tap_srcdir(), fixture) < 0)
                abort();
        CHECK(setenv("SPM_SYSFS_ROOT", sys, 1) == 0);
        CHECK(unsetenv("SPM_CGROUP_ROOT") == 0);
        spm_paths_reset();
        return spm_features_probe(NULL, ret);
}

static void check_features(const exp_features *e) {
        spm_features f;
        int r;

        /* out-parameter is written in full on success */
        memset(&f, 0xaa, sizeof f);
        r = probe_fixture(e->fixture, &f);
        CHECK_INT(r, 0);
        if (r < 0)
                return;

        CHECK_STREQ(spm_marking_gen_to_string(f.marking), spm_marking_gen_to_string(e->f.marking));
        CHECK_STREQ(spm_private_gen_to_string(f.private_nodes), spm_private_gen_to_string(e->f.private_nodes));
        CHECK_STREQ(spm_hotplug_gen_to_string(f.hotplug), spm_hotplug_gen_to_string(e->f.hotplug));
        CHECK_STREQ(spm_sysram_view_to_string(f.sysram_view), spm_sysram_view_to_string(e->f.sysram_view));
        CHECK_STREQ(spm_cgroup_version_to_string(f.cgroup), spm_cgroup_version_to_string(e->f.cgroup));
        CHECK_INT(f.cpuset, e->f.cpuset);
        CHECK_INT(f.cxl_sysram_online_type, e->f.cxl_sysram_online_type);
        CHECK_INT(f.memmap_on_memory, e->f.memmap_on_memory);
        CHECK_STREQ(spm_isolation_to_string(f.isolation), spm_isolation_to_string(e->f.isolation));
}

#define STOCK(...) { .cgroup = SPM_CGROUP_V2, .cpuset = true, .memmap_on_memory = true, \
                     .hotplug = SPM_HOTPLUG_NONE, .isolation = SPM_ISOLATION_SOFT, __VA_ARGS__ }

static const exp_features cases[] = {
        { "stock-6.12", STOCK() },
        /* no memmap_on_memory before 6.8 */
        { "stock-6.1", STOCK(.memmap_on_memory = false) },
        { "spm-v1", STOCK(.marking = SPM_MARKING_SPM_V1, .sysram_view = SPM_SYSRAM_VIEW_MEMS_DEFAULT,
                          .isolation = SPM_ISOLATION_HARD) },
        { "spm-v2", STOCK(.marking = SPM_MARKING_SPM_V2, .sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM,
                          .isolation = SPM_ISOLATION_HARD) },
        { "private-v3", STOCK(.marking = SPM_MARKING_PRIVATE_V3, .private_nodes = SPM_PRIVATE_V3,
                              .sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM,
                              .isolation = SPM_ISOLATION_HARD) },
        { "private-v4", STOCK(.marking = SPM_MARKING_PRIVATE_V4, .private_nodes = SPM_PRIVATE_V4,
                              .isolation = SPM_ISOLATION_HARD) },
        /* "unplugged" is read by v2 and v4 alike: only a write tells them apart */
        { "hotplug-v2", STOCK(.hotplug = SPM_HOTPLUG_V2_OR_V4) },
        /* only v4 reads "offline" */
        { "hotplug-v4", STOCK(.hotplug = SPM_HOTPLUG_V4) },
        { "hotplug-v7", STOCK(.hotplug = SPM_HOTPLUG_V7, .cxl_sysram_online_type = true) },
        { "multi-range", STOCK() },
        /* no device: the v1 sysram file names the series; nothing bound to kmem */
        { "cgroup-v1", STOCK(.cgroup = SPM_CGROUP_V1, .marking = SPM_MARKING_SPM_V2,
                             .sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM, .memmap_on_memory = false,
                             .hotplug = SPM_HOTPLUG_UNKNOWN, .isolation = SPM_ISOLATION_HARD) },
        /* unparsable markers are not evidence; the dangling driver link is
         * no binding, so no kmem device to look at */
        { "malformed", STOCK(.memmap_on_memory = false, .hotplug = SPM_HOTPLUG_UNKNOWN) },
        { "empty", { .hotplug = SPM_HOTPLUG_UNKNOWN } },
};

static size_t current;

static void test_fixture(void) {
        check_features(&cases[current]);
}

/* A snapshot passed in is used as the per-device evidence instead of a
 * fresh one; the cgroup and node evidence still come from the paths. */
static void test_given_topology(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_free_ char *sys = NULL;
        spm_features f;

        if (asprintf(&sys, "%s/fixtures/hotplug-v7/sys", tap_srcdir()) < 0)
                abort();
        CHECK_INT(spm_topology_load_from(sys, &t), 0);
        if (!t)
                return;

        /* paths at stock-6.12, devices from hotplug-v7 */
        CHECK_INT(probe_fixture("stock-6.12", &f), 0);
        CHECK_INT(spm_features_probe(t, &f), 0);
        CHECK_INT(f.hotplug, SPM_HOTPLUG_V7);
        CHECK_INT(f.cgroup, SPM_CGROUP_V2);
        CHECK_INT(f.isolation, SPM_ISOLATION_SOFT);
        CHECK_INT(f.cxl_sysram_online_type, false); /* stock-6.12 has no cxl bus */
}

/* SPM_CGROUP_ROOT wins over <sysfs>/fs/cgroup. */
static void test_cgroup_root_override(void) {
        _cleanup_free_ char *sys = NULL, *cg = NULL;
        spm_features f;

        if (asprintf(&sys, "%s/fixtures/stock-6.12/sys", tap_srcdir()) < 0 ||
            asprintf(&cg, "%s/fixtures/cgroup-v1/sys/fs/cgroup", tap_srcdir()) < 0)
                abort();
        CHECK(setenv("SPM_SYSFS_ROOT", sys, 1) == 0);
        CHECK(setenv("SPM_CGROUP_ROOT", cg, 1) == 0);
        spm_paths_reset();
        CHECK_INT(spm_features_probe(NULL, &f), 0);
        CHECK_INT(f.cgroup, SPM_CGROUP_V1);
        CHECK_INT(f.sysram_view, SPM_SYSRAM_VIEW_MEMS_SYSRAM);
        CHECK_INT(f.marking, SPM_MARKING_SPM_V2);
        CHECK_INT(f.isolation, SPM_ISOLATION_HARD);
        CHECK(unsetenv("SPM_CGROUP_ROOT") == 0);
}

static void make_file(const char *root, const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *d = NULL, *p = NULL;
        FILE *f;

        if (asprintf(&d, "%s/%s", root, dir) < 0 || asprintf(&p, "%s/%s", d, name) < 0)
                abort();
        for (char *c = d + strlen(root) + 1; *c; c++)
                if (*c == '/') {
                        *c = 0;
                        (void) mkdir(d, 0755);
                        *c = '/';
                }
        (void) mkdir(d, 0755);
        f = fopen(p, "we");
        CHECK(f);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

static void probe_tmp(const char *root, spm_features *f) {
        CHECK(setenv("SPM_SYSFS_ROOT", root, 1) == 0);
        CHECK(unsetenv("SPM_CGROUP_ROOT") == 0);
        spm_paths_reset();
        CHECK_INT(spm_features_probe(NULL, f), 0);
}

/* cgroup v2 without the cpuset controller: nothing to gate with. */
static void test_v2_without_cpuset(void) {
        const char *root = tap_tmpdir();
        spm_features f;

        make_file(root, "fs/cgroup", "cgroup.controllers", "cpu io memory pids\n");
        make_file(root, "fs/cgroup", "cgroup.procs", "");
        probe_tmp(root, &f);
        CHECK_INT(f.cgroup, SPM_CGROUP_V2);
        CHECK_INT(f.cpuset, false);
        CHECK_INT(f.sysram_view, SPM_SYSRAM_VIEW_NONE);
        CHECK_INT(f.marking, SPM_MARKING_NONE);
        CHECK_INT(f.isolation, SPM_ISOLATION_NONE);
}

/* A v1 tree with only the memory hierarchy mounted. */
static void test_v1_without_cpuset(void) {
        const char *root = tap_tmpdir();
        spm_features f;

        make_file(root, "fs/cgroup/memory", "cgroup.procs", "");
        probe_tmp(root, &f);
        CHECK_INT(f.cgroup, SPM_CGROUP_V1);
        CHECK_INT(f.cpuset, false);
        CHECK_INT(f.isolation, SPM_ISOLATION_NONE);
}

/* Only the per-device evidence of private v3: a root decoder that can
 * create private regions, no has_private_memory list yet. */
static void test_private_decoder_only(void) {
        const char *root = tap_tmpdir();
        spm_features f;

        make_file(root, "bus/cxl/devices/decoder0.0", "create_private_region", "region0\n");
        probe_tmp(root, &f);
        CHECK_INT(f.marking, SPM_MARKING_PRIVATE_V3);
        CHECK_INT(f.private_nodes, SPM_PRIVATE_NONE);
        CHECK_INT(f.cgroup, SPM_CGROUP_NONE);
        CHECK_INT(f.isolation, SPM_ISOLATION_HARD);
}

/* A sysfs root that does not exist: the snapshot cannot be taken. */
static void test_missing_root(void) {
        spm_features f = { .marking = SPM_MARKING_SPM_V2 };

        CHECK(setenv("SPM_SYSFS_ROOT", "/nonexistent/sys", 1) == 0);
        spm_paths_reset();
        CHECK_INT(spm_features_probe(NULL, &f), -ENOENT);
        CHECK_INT(f.marking, SPM_MARKING_SPM_V2); /* untouched */
}

static void test_strings(void) {
        CHECK_STREQ(spm_marking_gen_to_string(SPM_MARKING_NONE), "none");
        CHECK_STREQ(spm_marking_gen_to_string(SPM_MARKING_SPM_V1), "spm-v1");
        CHECK_STREQ(spm_marking_gen_to_string(SPM_MARKING_SPM_V2), "spm-v2");
        CHECK_STREQ(spm_marking_gen_to_string(SPM_MARKING_PRIVATE_V3), "private-v3");
        CHECK_STREQ(spm_marking_gen_to_string(SPM_MARKING_PRIVATE_V4), "private-v4");
        CHECK_STREQ(spm_marking_gen_to_string(_SPM_MARKING_GEN_MAX), NULL);

        CHECK_STREQ(spm_private_gen_to_string(SPM_PRIVATE_NONE), "none");
        CHECK_STREQ(spm_private_gen_to_string(SPM_PRIVATE_V3), "private-v3");
        CHECK_STREQ(spm_private_gen_to_string(SPM_PRIVATE_V4), "private-v4");
        CHECK_STREQ(spm_private_gen_to_string(_SPM_PRIVATE_GEN_MAX), NULL);

        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_NONE), "none");
        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_UNKNOWN), "unknown");
        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_V2), "hotplug-v2");
        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_V4), "hotplug-v4");
        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_V2_OR_V4), "hotplug-v2-or-v4");
        CHECK_STREQ(spm_hotplug_gen_to_string(SPM_HOTPLUG_V7), "hotplug-v7");
        CHECK_STREQ(spm_hotplug_gen_to_string(_SPM_HOTPLUG_GEN_MAX), NULL);

        CHECK_STREQ(spm_sysram_view_to_string(SPM_SYSRAM_VIEW_NONE), "none");
        CHECK_STREQ(spm_sysram_view_to_string(SPM_SYSRAM_VIEW_MEMS_DEFAULT), "cpuset.mems.default");
        CHECK_STREQ(spm_sysram_view_to_string(SPM_SYSRAM_VIEW_MEMS_SYSRAM), "cpuset.mems.sysram");
        CHECK_STREQ(spm_sysram_view_to_string(_SPM_SYSRAM_VIEW_MAX), NULL);

        CHECK_STREQ(spm_cgroup_version_to_string(SPM_CGROUP_NONE), "none");
        CHECK_STREQ(spm_cgroup_version_to_string(SPM_CGROUP_V1), "v1");
        CHECK_STREQ(spm_cgroup_version_to_string(SPM_CGROUP_V2), "v2");
        CHECK_STREQ(spm_cgroup_version_to_string(_SPM_CGROUP_VERSION_MAX), NULL);

        CHECK_STREQ(spm_isolation_to_string(SPM_ISOLATION_NONE), "none");
        CHECK_STREQ(spm_isolation_to_string(SPM_ISOLATION_SOFT), "soft");
        CHECK_STREQ(spm_isolation_to_string(SPM_ISOLATION_HARD), "hard");
        CHECK_STREQ(spm_isolation_to_string(_SPM_ISOLATION_MAX), NULL);
        CHECK_STREQ(spm_isolation_to_string((spm_isolation) -1), NULL);
}

int main(void) {
        for (current = 0; current < ELEMENTSOF(cases); current++)
                tap_run(cases[current].fixture, test_fixture);
        TEST(test_given_topology);
        TEST(test_cgroup_root_override);
        TEST(test_v2_without_cpuset);
        TEST(test_v1_without_cpuset);
        TEST(test_private_decoder_only);
        TEST(test_missing_root);
        TEST(test_strings);
        spm_paths_reset();
        return tap_done();
}
