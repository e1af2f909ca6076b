/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Kernel feature probe. Each interface family is detected on its own from
 * the files that exist (kernel-abi §14). Per-device attributes only exist on
 * devices, so a host with no dax device yet falls back to the cgroup and
 * node evidence, and the hotplug family may stay "unknown" until a device is
 * bound to kmem.
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "attr.h"
#include "kernel-features.h"
#include "macro.h"
#include "paths.h"
#include "string-table.h"
#include "strutil.h"

static bool word_in(const char *list, const char *word) {
        _cleanup_strv_free_ char **l = NULL;

        return strv_split(list, " \t\n", &l) >= 0 && strv_contains(l, word);
}

static void probe_cgroup(int cgfd, spm_features *f) {
        _cleanup_free_ char *controllers = NULL;

        if (spm_attr_read_at(cgfd, "cgroup.controllers", &controllers) >= 0) {
                f->cgroup = SPM_CGROUP_V2;
                f->cpuset = word_in(controllers, "cpuset");
                if (spm_attr_exists_at(cgfd, "cpuset.mems.sysram"))
                        f->sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM;
                else if (spm_attr_exists_at(cgfd, "cpuset.mems.default"))
                        f->sysram_view = SPM_SYSRAM_VIEW_MEMS_DEFAULT;
                return;
        }

        /* v1: the cpuset hierarchy is mounted at <cgroupfs>/cpuset */
        if (spm_attr_exists_at(cgfd, "cpuset/cpuset.mems")) {
                f->cgroup = SPM_CGROUP_V1;
                f->cpuset = true;
                if (spm_attr_exists_at(cgfd, "cpuset/cpuset.mems_sysram"))
                        f->sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM;
                else if (spm_attr_exists_at(cgfd, "cpuset/cpuset.mems_default"))
                        f->sysram_view = SPM_SYSRAM_VIEW_MEMS_DEFAULT;
                return;
        }

        /* A bare v1 tree without cpuset, or nothing mounted at all. */
        if (spm_attr_exists_at(cgfd, "cgroup.procs") || spm_attr_exists_at(cgfd, "memory"))
                f->cgroup = SPM_CGROUP_V1;
}

static bool any_entry_has(int sysfd, const char *dir, const char *prefix, const char *file) {
        _cleanup_strv_free_ char **names = NULL;

        if (dir_list_at(sysfd, dir, prefix, &names) < 0)
                return false;

        for (char **i = names; *i; i++) {
                _cleanup_free_ char *p = NULL;

                if (asprintf(&p, "%s/%s/%s", dir, *i, file) < 0)
                        return false;
                if (spm_attr_exists_at(sysfd, p))
                        return true;
        }
        return false;
}

static spm_hotplug_gen hotplug_of(const spm_topology *t) {
        spm_hotplug_gen g = SPM_HOTPLUG_UNKNOWN;

        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];

                if (!streq_ptr(d->driver, "kmem"))
                        continue;

                switch (d->hotplug_attr) {
                case SPM_DAX_HOTPLUG_STATE:
                        return SPM_HOTPLUG_V7;
                case SPM_DAX_HOTPLUG_HOTPLUG:
                        /* Only v4 can read "offline" or "online_kernel". */
                        if (IN_SET(d->hotplug_state, SPM_DAX_STATE_OFFLINE, SPM_DAX_STATE_ONLINE_KERNEL))
                                return SPM_HOTPLUG_V4;
                        g = SPM_HOTPLUG_V2_OR_V4;
                        break;
                case SPM_DAX_HOTPLUG_NONE:
                        if (g == SPM_HOTPLUG_UNKNOWN)
                                g = SPM_HOTPLUG_NONE;
                        break;
                }
        }
        return g;
}

/* What the devices and regions show of the marking series; NONE when no
 * object has a marking file. */
static spm_marking_gen marking_of_objects(const spm_topology *t) {
        bool v1 = false;

        for (size_t i = 0; i < t->n_dax; i++) {
                if (t->dax[i].spm_node >= 0)
                        return SPM_MARKING_SPM_V2;
                if (t->dax[i].protected_memory >= 0)
                        v1 = true;
        }
        for (size_t i = 0; i < t->n_regions; i++) {
                if (t->regions[i].spm_node >= 0)
                        return SPM_MARKING_SPM_V2;
                if (t->regions[i].protected_memory >= 0)
                        v1 = true;
        }
        return v1 ? SPM_MARKING_SPM_V1 : SPM_MARKING_NONE;
}

static spm_marking_gen marking_of(const spm_topology *t, int sysfd, const spm_features *f) {
        spm_marking_gen g = marking_of_objects(t);

        if (g != SPM_MARKING_NONE)
                return g;

        if (f->private_nodes == SPM_PRIVATE_V3 ||
            any_entry_has(sysfd, "bus/cxl/devices", "decoder", "create_private_region"))
                return SPM_MARKING_PRIVATE_V3;
        if (f->private_nodes == SPM_PRIVATE_V4)
                return SPM_MARKING_PRIVATE_V4;

        /* No device to look at: the cgroup files name the series. */
        if (f->sysram_view == SPM_SYSRAM_VIEW_MEMS_SYSRAM)
                return SPM_MARKING_SPM_V2;
        if (f->sysram_view == SPM_SYSRAM_VIEW_MEMS_DEFAULT)
                return SPM_MARKING_SPM_V1;
        return SPM_MARKING_NONE;
}

/* The parts every snapshot decides from its devices alone, and the
 * isolation level that follows. */
static void from_objects(const spm_topology *topo, spm_features *f) {
        f->hotplug = hotplug_of(topo);
        for (size_t i = 0; i < topo->n_dax; i++)
                if (topo->dax[i].memmap_on_memory >= 0)
                        f->memmap_on_memory = true;

        if (f->marking != SPM_MARKING_NONE || f->private_nodes != SPM_PRIVATE_NONE)
                f->isolation = SPM_ISOLATION_HARD;
        else if (f->cpuset)
                f->isolation = SPM_ISOLATION_SOFT;
        else
                f->isolation = SPM_ISOLATION_NONE;
}

int spm_features_probe(const spm_topology *topo, spm_features *ret) {
        _cleanup_(spm_topology_freep) spm_topology *own = NULL;
        _cleanup_close_ int sysfd = -EBADF, cgfd = -EBADF;
        spm_features f = {};
        int r;

        if (!topo) {
                r = spm_topology_load(&own);
                if (r < 0)
                        return r;
                topo = own;
        }

        sysfd = open(spm_path(SPM_PATH_SYSFS), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sysfd < 0)
                return negative_errno();

        cgfd = open(spm_path(SPM_PATH_CGROUPFS), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (cgfd >= 0)
                probe_cgroup(cgfd, &f);

        if (topo->has_private_memory_present) {
                bool v3 = f.sysram_view == SPM_SYSRAM_VIEW_MEMS_SYSRAM ||
                          any_entry_has(sysfd, "bus/cxl/devices", "decoder", "create_private_region");
                f.private_nodes = v3 ? SPM_PRIVATE_V3 : SPM_PRIVATE_V4;
        }

        f.marking = marking_of(topo, sysfd, &f);
        f.cxl_sysram_online_type = any_entry_has(sysfd, "bus/cxl/devices", "sysram_region", "online_type");
        from_objects(topo, &f);
        *ret = f;
        return 0;
}

void spm_features_refresh(const spm_topology *topo, const spm_features *old, spm_features *ret) {
        spm_features f = *old;
        spm_marking_gen g = marking_of_objects(topo);

        /* the series does not change while the kernel runs: an object that
         * shows it only makes the answer more certain */
        if (g != SPM_MARKING_NONE)
                f.marking = g;
        f.memmap_on_memory = false;
        from_objects(topo, &f);
        *ret = f;
}

DEFINE_STRING_TABLE(spm_marking_gen, spm_marking_gen, _SPM_MARKING_GEN_MAX,
        [SPM_MARKING_NONE] = "none",
        [SPM_MARKING_SPM_V1] = "spm-v1",
        [SPM_MARKING_SPM_V2] = "spm-v2",
        [SPM_MARKING_PRIVATE_V3] = "private-v3",
        [SPM_MARKING_PRIVATE_V4] = "private-v4");

DEFINE_STRING_TABLE(spm_private_gen, spm_private_gen, _SPM_PRIVATE_GEN_MAX,
        [SPM_PRIVATE_NONE] = "none",
        [SPM_PRIVATE_V3] = "private-v3",
        [SPM_PRIVATE_V4] = "private-v4");

DEFINE_STRING_TABLE(spm_hotplug_gen, spm_hotplug_gen, _SPM_HOTPLUG_GEN_MAX,
        [SPM_HOTPLUG_NONE] = "none",
        [SPM_HOTPLUG_UNKNOWN] = "unknown",
        [SPM_HOTPLUG_V2] = "hotplug-v2",
        [SPM_HOTPLUG_V4] = "hotplug-v4",
        [SPM_HOTPLUG_V2_OR_V4] = "hotplug-v2-or-v4",
        [SPM_HOTPLUG_V7] = "hotplug-v7");

DEFINE_STRING_TABLE(spm_sysram_view, spm_sysram_view, _SPM_SYSRAM_VIEW_MAX,
        [SPM_SYSRAM_VIEW_NONE] = "none",
        [SPM_SYSRAM_VIEW_MEMS_DEFAULT] = "cpuset.mems.default",
        [SPM_SYSRAM_VIEW_MEMS_SYSRAM] = "cpuset.mems.sysram");

DEFINE_STRING_TABLE(spm_cgroup_version, spm_cgroup_version, _SPM_CGROUP_VERSION_MAX,
        [SPM_CGROUP_NONE] = "none",
        [SPM_CGROUP_V1] = "v1",
        [SPM_CGROUP_V2] = "v2");

DEFINE_STRING_TABLE(spm_isolation, spm_isolation, _SPM_ISOLATION_MAX,
        [SPM_ISOLATION_NONE] = "none",
        [SPM_ISOLATION_SOFT] = "soft",
        [SPM_ISOLATION_HARD] = "hard");
