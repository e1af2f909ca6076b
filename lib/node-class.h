/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What each NUMA node is, from the kernel's point of view, following the
 * evidence order of kernel-abi §14: has_private_memory if present, then the
 * dax devices marked SPM (spm_node / protected_memory) and their target
 * nodes, then the root cgroup (mems.effective minus mems.sysram), then the
 * stock lists.
 */

#include "cpuset.h"
#include "topology.h"

typedef enum spm_node_class {
        SPM_NODE_OFFLINE,           /* possible but not online */
        SPM_NODE_MEMORYLESS,          /* online, no memory (CPU-only, or memory not yet online) */
        SPM_NODE_SYSRAM,            /* ordinary memory */
        SPM_NODE_SPM,               /* Specific Purpose Memory */
        SPM_NODE_PRIVATE,           /* N_MEMORY_PRIVATE (private v3/v4) */
        _SPM_NODE_CLASS_MAX,
} spm_node_class;

typedef struct spm_node_classes {
        spm_nodemask sysram, spm, private_nodes, memoryless, offline;
} spm_node_classes;

/* root may be NULL when the root cgroup could not be read. */
void spm_node_classes_compute(const spm_topology *t, const spm_cpuset *root, spm_node_classes *ret);

spm_node_class spm_node_classes_get(const spm_node_classes *c, unsigned node);

const char *spm_node_class_to_string(spm_node_class c);
