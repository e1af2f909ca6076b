/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Building, freeing and querying a topology snapshot; the readers for each
 * part live in topology-{node,dax,memory}.c. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "macro.h"
#include "paths.h"
#include "string-table.h"
#include "strutil.h"
#include "topology-internal.h"

int topology_optional(spm_topology *t, int r) {
        if (r >= 0 || r == -ENOENT || r == -ENOTDIR)
                return 0;
        if (r == -ENOMEM)
                return r;
        /* root-only files (dax resource and mappingN, mode 0400) read by an
         * unprivileged user: not broken, just not ours to see */
        if (r == -EACCES || r == -EPERM)
                t->n_restricted++;
        else
                t->n_unreadable++;
        return 0;
}

int topology_read_flag(int dirfd, const char *name, spm_topology *t) {
        bool b;
        int r;

        r = spm_attr_read_bool_at(dirfd, name, &b);
        if (r >= 0)
                return b;
        (void) topology_optional(t, r);
        return -1;
}

int topology_read_string(int dirfd, const char *name, spm_topology *t, char **ret) {
        int r;

        *ret = NULL;
        r = spm_attr_read_at(dirfd, name, ret);
        return topology_optional(t, r);
}

int spm_topology_load_from(const char *sysfs_root, spm_topology **ret) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_close_ int sysfd = -EBADF;
        int r;

        sysfd = open(sysfs_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sysfd < 0)
                return negative_errno();

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->auto_online = SPM_ONLINE_INVALID;

        if ((r = topology_read_nodes(sysfd, t)) < 0 ||
            (r = topology_read_dax(sysfd, sysfs_root, t)) < 0 ||
            (r = topology_read_cxl(sysfd, sysfs_root, t)) < 0 ||
            (r = topology_read_memory(sysfd, t)) < 0 ||
            (r = topology_link_blocks(t)) < 0)
                return r;

        *ret = TAKE_PTR(t);
        return 0;
}

int spm_topology_load(spm_topology **ret) {
        return spm_topology_load_from(spm_path(SPM_PATH_SYSFS), ret);
}

void topology_free_node(spm_node *n) {
        free(n->cpulist);
        free(n->distance);
        free(n->block_ids);
}

void topology_free_dax(spm_dax_device *d) {
        free(d->name);
        free(d->syspath);
        free(d->cxl_region);
        free(d->ranges);
        free(d->modalias);
        free(d->driver);
        free(d->hotplug_raw);
        free(d->blocks);
}

void topology_free_region(spm_cxl_region *g) {
        free(g->name);
        free(g->uuid);
        free(g->mode);
        free(g->private_type);
        free(g->driver);
        strv_free(g->targets);
        strv_free(g->memdev_serials);
        free(g->dax_device);
}

spm_topology *spm_topology_free(spm_topology *t) {
        if (!t)
                return NULL;

        for (size_t i = 0; i < t->n_nodes; i++)
                topology_free_node(&t->nodes[i]);
        free(t->nodes);

        for (size_t i = 0; i < t->n_dax; i++)
                topology_free_dax(&t->dax[i]);
        free(t->dax);

        for (size_t i = 0; i < t->n_regions; i++)
                topology_free_region(&t->regions[i]);
        free(t->regions);

        for (size_t i = 0; i < t->n_blocks; i++)
                free(t->blocks[i].valid_zones);
        free(t->blocks);

        free(t);
        return NULL;
}

const spm_node *spm_topology_find_node(const spm_topology *t, unsigned id) {
        for (size_t i = 0; i < t->n_nodes; i++)
                if (t->nodes[i].id == id)
                        return &t->nodes[i];
        return NULL;
}

const spm_dax_device *spm_topology_find_dax(const spm_topology *t, const char *name) {
        for (size_t i = 0; i < t->n_dax; i++)
                if (streq_ptr(t->dax[i].name, name))
                        return &t->dax[i];
        return NULL;
}

const spm_cxl_region *spm_topology_find_region(const spm_topology *t, const char *name) {
        for (size_t i = 0; i < t->n_regions; i++)
                if (streq_ptr(t->regions[i].name, name))
                        return &t->regions[i];
        return NULL;
}

const spm_memblock *spm_topology_find_block(const spm_topology *t, unsigned id) {
        size_t lo = 0, hi = t->n_blocks;

        /* blocks are sorted by id */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->blocks[mid].id == id)
                        return &t->blocks[mid];
                if (t->blocks[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return NULL;
}

int spm_topology_node_blocks(const spm_topology *t, unsigned node, size_t **ret) {
        size_t *l = NULL, n = 0;

        for (size_t i = 0; i < t->n_blocks; i++)
                if (t->blocks[i].node == (int) node)
                        n++;
        if (n > 0) {
                l = calloc(n, sizeof(size_t));
                if (!l)
                        return -ENOMEM;
                n = 0;
                for (size_t i = 0; i < t->n_blocks; i++)
                        if (t->blocks[i].node == (int) node)
                                l[n++] = i;
        }
        *ret = l;
        return (int) n;
}

const char *spm_dax_device_observed_state(const spm_dax_device *d) {
        if (d->hotplug_raw)
                return d->hotplug_raw;
        if (!d->driver)
                return "unbound";
        if (!streq(d->driver, "kmem"))
                return "devdax";
        if (d->ranges_restricted)
                return "restricted";
        if (d->n_blocks == 0)
                return "no-blocks";
        if (d->n_blocks_online == d->n_blocks)
                return "online";
        if (d->n_blocks_online == 0)
                return "offline";
        return "partial";
}

DEFINE_STRING_TABLE(spm_block_state, spm_block_state, _SPM_BLOCK_STATE_MAX,
        [SPM_BLOCK_UNKNOWN] = "unknown",
        [SPM_BLOCK_OFFLINE] = "offline",
        [SPM_BLOCK_ONLINE] = "online",
        [SPM_BLOCK_GOING_OFFLINE] = "going-offline");
DEFINE_FROM_STRING(spm_block_state, spm_block_state, _SPM_BLOCK_STATE_MAX, SPM_BLOCK_UNKNOWN)

DEFINE_STRING_TABLE(spm_online_type, spm_online_type, _SPM_ONLINE_TYPE_MAX,
        [SPM_ONLINE_OFFLINE] = "offline",
        [SPM_ONLINE_ONLINE] = "online",
        [SPM_ONLINE_KERNEL] = "online_kernel",
        [SPM_ONLINE_MOVABLE] = "online_movable");
DEFINE_FROM_STRING(spm_online_type, spm_online_type, _SPM_ONLINE_TYPE_MAX, SPM_ONLINE_INVALID)

DEFINE_STRING_TABLE(spm_provider, spm_provider, _SPM_PROVIDER_MAX,
        [SPM_PROVIDER_UNKNOWN] = "unknown",
        [SPM_PROVIDER_CXL] = "cxl",
        [SPM_PROVIDER_HMEM] = "hmem",
        [SPM_PROVIDER_PMEM] = "pmem");
DEFINE_FROM_STRING(spm_provider, spm_provider, _SPM_PROVIDER_MAX, SPM_PROVIDER_UNKNOWN)

/* Both vocabularies: v2/v3 read "unplugged" too, so one table serves. */
DEFINE_STRING_TABLE(spm_dax_state, spm_dax_state, _SPM_DAX_STATE_MAX,
        [SPM_DAX_STATE_UNKNOWN] = "unknown",
        [SPM_DAX_STATE_UNPLUGGED] = "unplugged",
        [SPM_DAX_STATE_OFFLINE] = "offline",
        [SPM_DAX_STATE_ONLINE] = "online",
        [SPM_DAX_STATE_ONLINE_KERNEL] = "online_kernel",
        [SPM_DAX_STATE_ONLINE_MOVABLE] = "online_movable");
DEFINE_FROM_STRING(spm_dax_state, spm_dax_state, _SPM_DAX_STATE_MAX, SPM_DAX_STATE_UNKNOWN)

const char *spm_dax_hotplug_attr_to_string(spm_dax_hotplug_attr a) {
        switch (a) {
        case SPM_DAX_HOTPLUG_NONE:
                return "none";
        case SPM_DAX_HOTPLUG_HOTPLUG:
                return "hotplug";
        case SPM_DAX_HOTPLUG_STATE:
                return "state";
        }
        return NULL;
}
