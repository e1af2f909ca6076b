/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Everything the read-only verbs show when they read the kernel directly:
 * the topology snapshot, the feature probe, the root cgroup's cpuset files
 * and the node classes derived from them.
 */

#include "cpuset.h"
#include "kernel-features.h"
#include "node-class.h"
#include "topology.h"

typedef struct kernel_view {
        spm_topology *topo;
        spm_features features;
        bool root_present;
        spm_cpuset root;
        spm_node_classes classes;
} kernel_view;

int kernel_view_load(kernel_view *ret);
void kernel_view_done(kernel_view *v);

/* The line that says where the data came from. */
#define KERNEL_VIEW_SOURCE_NOTE "read directly from the kernel (no daemon consulted)"
