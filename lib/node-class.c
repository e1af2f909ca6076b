/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "node-class.h"
#include "string-table.h"

void spm_node_classes_compute(const spm_topology *t, const spm_cpuset *root, spm_node_classes *ret) {
        spm_node_classes c = {};
        spm_nodemask memory;

        if (t->has_private_memory_present)
                c.private_nodes = t->has_private_memory;

        /* SPM v1/v2: marked devices that are bound to kmem put their
         * target node in the SPM class. */
        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];

                if (d->target_node >= 0 && (d->spm_node == 1 || d->protected_memory == 1) &&
                    d->n_blocks > 0)
                        spm_nodemask_set(&c.spm, (unsigned) d->target_node);
        }

        /* The root cgroup names SPM nodes too: they are in effective but
         * not in the sysram (or v1 default) view. */
        if (root && root->effective_present) {
                spm_nodemask view, extra;

                if (root->sysram_present)
                        view = root->sysram;
                else if (root->mems_default_present)
                        view = root->mems_default;
                else
                        goto no_view;

                extra = spm_nodemask_andnot(&root->effective, &view);
                extra = spm_nodemask_andnot(&extra, &c.private_nodes);
                c.spm = spm_nodemask_or(&c.spm, &extra);
        }
no_view:
        c.spm = spm_nodemask_andnot(&c.spm, &c.private_nodes);

        memory = spm_nodemask_andnot(&t->has_memory, &c.spm);
        c.sysram = spm_nodemask_andnot(&memory, &c.private_nodes);

        c.offline = spm_nodemask_andnot(&t->possible, &t->online);
        {
                spm_nodemask classified = spm_nodemask_or(&c.sysram, &c.spm);
                classified = spm_nodemask_or(&classified, &c.private_nodes);
                c.memoryless = spm_nodemask_andnot(&t->online, &classified);
        }

        *ret = c;
}

spm_node_class spm_node_classes_get(const spm_node_classes *c, unsigned node) {
        if (spm_nodemask_test(&c->private_nodes, node))
                return SPM_NODE_PRIVATE;
        if (spm_nodemask_test(&c->spm, node))
                return SPM_NODE_SPM;
        if (spm_nodemask_test(&c->sysram, node))
                return SPM_NODE_SYSRAM;
        if (spm_nodemask_test(&c->memoryless, node))
                return SPM_NODE_MEMORYLESS;
        return SPM_NODE_OFFLINE;
}

DEFINE_STRING_TABLE(spm_node_class, spm_node_class, _SPM_NODE_CLASS_MAX,
        [SPM_NODE_OFFLINE] = "offline",
        [SPM_NODE_MEMORYLESS] = "memoryless",
        [SPM_NODE_SYSRAM] = "sysram",
        [SPM_NODE_SPM] = "spm",
        [SPM_NODE_PRIVATE] = "private");
