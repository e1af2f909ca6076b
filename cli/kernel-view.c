/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "kernel-view.h"
#include "paths.h"
#include "spmctl.h"

int kernel_view_load(kernel_view *ret) {
        kernel_view v = {};
        int r;

        r = spm_topology_load(&v.topo);
        if (r < 0)
                return spmctl_error("Could not read the memory topology from '%s': %s",
                                    spm_path(SPM_PATH_SYSFS), strerror(-r)), r;

        r = spm_features_probe(v.topo, &v.features);
        if (r < 0) {
                spm_topology_free(v.topo);
                return spmctl_error("Could not probe kernel features: %s", strerror(-r)), r;
        }

        /* The root cgroup is optional evidence: a host without cgroup2 or
         * cpuset still has nodes and devices to show. */
        v.root_present = spm_cpuset_read("", &v.root) >= 0;
        spm_node_classes_compute(v.topo, v.root_present ? &v.root : NULL, &v.classes);

        *ret = v;
        return 0;
}

void kernel_view_done(kernel_view *v) {
        v->topo = spm_topology_free(v->topo);
}
