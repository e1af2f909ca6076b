/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Memory blocks under devices/system/memory, and which dax device each one
 * belongs to. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "macro.h"
#include "strutil.h"
#include "topology-internal.h"

static int block_node(int fd, spm_topology *t) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list_at(fd, ".", "node", &names);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -1;

        for (char **i = names; *i; i++) {
                uint64_t id;

                if (spm_parse_u64(*i + strlen("node"), &id) >= 0 && id < SPM_MAX_NODES)
                        return (int) id;
        }
        return -1;
}

/* 1 when read, 0 when the block went away between readdir and open (hot
 * remove): it is left out rather than placed at phys_index 0. */
static int read_one_block(int memfd, const char *name, unsigned id, spm_topology *t, spm_memblock *b) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *state = NULL;
        int r;

        *b = (spm_memblock) { .id = id, .node = -1, .removable = -1, .dax_index = -1 };

        fd = openat(memfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return topology_optional(t, negative_errno());

        r = topology_read_string(fd, "state", t, &state);
        if (r < 0)
                return r;
        b->state = state ? spm_block_state_from_string(state) : SPM_BLOCK_UNKNOWN;
        if (state && b->state == SPM_BLOCK_UNKNOWN)
                t->n_unreadable++;

        r = topology_read_string(fd, "valid_zones", t, &b->valid_zones);
        if (r < 0)
                return r;

        r = spm_attr_read_hex_at(fd, "phys_index", &b->phys_index);
        if (r < 0) {
                /* Without phys_index the block cannot be placed; assume the
                 * kernel's usual identity (phys_index == N) but count it. */
                b->phys_index = id;
                if (r == -ENOENT)
                        t->n_unreadable++; /* topology_optional() would not count it */
                else {
                        r = topology_optional(t, r);
                        if (r < 0)
                                return r;
                }
        }

        b->removable = topology_read_flag(fd, "removable", t);

        r = block_node(fd, t);
        if (r == -ENOMEM)
                return r;
        b->node = r;
        return 1;
}

int topology_read_memory(int sysfd, spm_topology *t) {
        _cleanup_close_ int memfd = -EBADF;
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *auto_online = NULL;
        int r;

        memfd = openat(sysfd, "devices/system/memory", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (memfd < 0)
                return topology_optional(t, negative_errno());

        /* block_size_bytes is hex without "0x" */
        r = spm_attr_read_hex_at(memfd, "block_size_bytes", &t->block_size);
        if (r < 0 || t->block_size == 0) {
                t->block_size = 0;
                r = topology_optional(t, r < 0 ? r : -EINVAL);
                if (r < 0)
                        return r;
        }

        r = topology_read_string(memfd, "auto_online_blocks", t, &auto_online);
        if (r < 0)
                return r;
        t->auto_online = auto_online ? spm_online_type_from_string(auto_online) : SPM_ONLINE_INVALID;
        if (auto_online && t->auto_online == SPM_ONLINE_INVALID)
                t->n_unreadable++;

        r = dir_list_at(memfd, ".", "memory", &names);
        if (r < 0)
                return topology_optional(t, r);

        t->blocks = calloc(strv_length(names) + 1, sizeof(spm_memblock));
        if (!t->blocks)
                return -ENOMEM;

        for (char **i = names; *i; i++) {
                const char *num = *i + strlen("memory");
                uint64_t id;

                if (*num < '0' || *num > '9' || spm_parse_u64(num, &id) < 0 || id > UINT32_MAX)
                        continue;

                r = read_one_block(memfd, *i, (unsigned) id, t, &t->blocks[t->n_blocks]);
                if (r < 0)
                        return r;
                if (r > 0)
                        t->n_blocks++;
        }

        return 0;
}

static bool block_in_device(const spm_topology *t, const spm_memblock *b, const spm_dax_device *dev) {
        uint64_t bs = t->block_size, start, last;

        if (b->phys_index > UINT64_MAX / bs - 1)
                return false;
        start = b->phys_index * bs;
        last = start + bs - 1;

        for (size_t k = 0; k < dev->n_ranges; k++)
                if (start >= dev->ranges[k].start && last <= dev->ranges[k].end)
                        return true;
        return false;
}

/*
 * kmem adds each range aligned inwards to memory-block boundaries, so a
 * block belongs to a device when it lies wholly inside one of the aligned
 * ranges. Uses the mappingN ranges: a multi-range device's resource+size
 * would cover the holes between ranges.
 */
int topology_link_blocks(spm_topology *t) {
        if (t->block_size == 0)
                return 0;

        for (size_t d = 0; d < t->n_dax; d++) {
                spm_dax_device *dev = &t->dax[d];

                for (size_t b = 0; b < t->n_blocks; b++) {
                        if (t->blocks[b].dax_index >= 0 || !block_in_device(t, &t->blocks[b], dev))
                                continue;

                        if (!dev->blocks) {
                                dev->blocks = calloc(t->n_blocks - b, sizeof(size_t));
                                if (!dev->blocks)
                                        return -ENOMEM;
                        }
                        dev->blocks[dev->n_blocks++] = b;
                        if (t->blocks[b].state == SPM_BLOCK_ONLINE)
                                dev->n_blocks_online++;
                        t->blocks[b].dax_index = (int) d;
                }
        }
        return 0;
}
