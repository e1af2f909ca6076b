/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Which generation of each SPM-related kernel interface this kernel
 * carries. The patch series were posted separately, so a kernel is an
 * arbitrary combination: each family is detected on its own, from the files
 * that exist (kernel-abi §14), never from a version number.
 */

#include <stdbool.h>

#include "topology.h"

/* Marking memory as SPM / private before it is hot-added. */
typedef enum spm_marking_gen {
        SPM_MARKING_NONE,           /* stock kernel */
        SPM_MARKING_SPM_V1,         /* dax/CXL protected_memory */
        SPM_MARKING_SPM_V2,         /* dax/CXL spm_node */
        SPM_MARKING_PRIVATE_V3,     /* CXL create_private_region + private_type */
        SPM_MARKING_PRIVATE_V4,     /* private nodes chosen by drivers; observe only */
        _SPM_MARKING_GEN_MAX,
} spm_marking_gen;

/* Node-level visibility of SPM/private nodes. */
typedef enum spm_private_gen {
        SPM_PRIVATE_NONE,
        SPM_PRIVATE_V3,             /* has_private_memory + cpuset.mems.sysram */
        SPM_PRIVATE_V4,             /* has_private_memory, no mems.sysram */
        _SPM_PRIVATE_GEN_MAX,
} spm_private_gen;

/* Whole-device online/unplug control on kmem-bound dax devices. */
typedef enum spm_hotplug_gen {
        SPM_HOTPLUG_NONE,           /* no kmem-bound device has either file */
        SPM_HOTPLUG_UNKNOWN,        /* no kmem-bound device to look at */
        SPM_HOTPLUG_V2,             /* "hotplug", write "unplug" (v2/v3) */
        SPM_HOTPLUG_V4,             /* "hotplug", v4 vocabulary */
        SPM_HOTPLUG_V2_OR_V4,       /* "hotplug", vocabulary not yet known */
        SPM_HOTPLUG_V7,             /* "state" (v5-v7) */
        _SPM_HOTPLUG_GEN_MAX,
} spm_hotplug_gen;

/* The read-only per-cgroup view of default allocation nodes. */
typedef enum spm_sysram_view {
        SPM_SYSRAM_VIEW_NONE,       /* compute it */
        SPM_SYSRAM_VIEW_MEMS_DEFAULT, /* SPM v1: cpuset.mems.default */
        SPM_SYSRAM_VIEW_MEMS_SYSRAM,  /* SPM v2 / private v3 */
        _SPM_SYSRAM_VIEW_MAX,
} spm_sysram_view;

typedef enum spm_cgroup_version {
        SPM_CGROUP_NONE,
        SPM_CGROUP_V1,
        SPM_CGROUP_V2,
        _SPM_CGROUP_VERSION_MAX,
} spm_cgroup_version;

typedef enum spm_isolation {
        SPM_ISOLATION_NONE,         /* no cpuset controller: nothing to gate with */
        SPM_ISOLATION_SOFT,         /* cpuset masks only */
        SPM_ISOLATION_HARD,         /* SPM/private nodes in the kernel */
        _SPM_ISOLATION_MAX,
} spm_isolation;

typedef struct spm_features {
        spm_marking_gen marking;
        spm_private_gen private_nodes;
        spm_hotplug_gen hotplug;
        spm_sysram_view sysram_view;
        spm_cgroup_version cgroup;
        bool cpuset;                /* cpuset controller available */
        bool cxl_sysram_online_type; /* "explicit DAX driver selection" series */
        bool memmap_on_memory;      /* some dax device shows the attribute */
        spm_isolation isolation;
} spm_features;

/* Probe the kernel at the current spm_path() roots. topo may be NULL, in
 * which case a snapshot is taken internally (the per-device attributes are
 * part of the evidence). Missing evidence is "none"/"unknown", not an error;
 * fails only when the sysfs root cannot be opened (or on out-of-memory). */
int spm_features_probe(const spm_topology *topo, spm_features *ret);

/* The probe's answer for a patched snapshot (topology-patch.h), without
 * I/O: what the devices decide (hotplug family, memmap_on_memory, a marking
 * shown by an object) from topo, the rest (cgroup, sysfs-wide probes) kept
 * from old. */
void spm_features_refresh(const spm_topology *topo, const spm_features *old, spm_features *ret);

const char *spm_marking_gen_to_string(spm_marking_gen g);
const char *spm_private_gen_to_string(spm_private_gen g);
const char *spm_hotplug_gen_to_string(spm_hotplug_gen g);
const char *spm_sysram_view_to_string(spm_sysram_view v);
const char *spm_cgroup_version_to_string(spm_cgroup_version v);
const char *spm_isolation_to_string(spm_isolation i);
