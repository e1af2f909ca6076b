/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Memory blocks under devices/system/memory, and which dax device each one
 * belongs to. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static int cmp_unsigned(const void *a, const void *b) {
        unsigned x = *(const unsigned *) a, y = *(const unsigned *) b;
        return x < y ? -1 : x > y;
}

/* The node whose nodeN/memoryM links list this block. The node directories
 * were read already, so this costs no I/O, unlike a readdir of every
 * memory block directory (which made the snapshot several times slower on
 * hosts with thousands of blocks). -1 when no node lists it. */
static int node_from_node_links(const spm_topology *t, unsigned id) {
        for (size_t i = 0; i < t->n_nodes; i++)
                if (t->nodes[i].n_blocks > 0 &&
                    bsearch(&id, t->nodes[i].block_ids, t->nodes[i].n_blocks, sizeof(unsigned), cmp_unsigned))
                        return (int) t->nodes[i].id;
        return -1;
}

static bool is_dir_at(int dirfd, const char *name) {
        struct stat st;

        return fstatat(dirfd, name, &st, 0) >= 0 && S_ISDIR(st.st_mode);
}

/* Path of one attribute of a block, relative to the memory directory.
 * Reading "memoryN/state" through the directory fd instead of opening each
 * block directory first saves one open per block, which is a fifth of the
 * snapshot's system calls on a host with thousands of blocks. */
static const char *block_attr(char *buf, size_t size, const char *block, const char *attr) {
        snprintf(buf, size, "%s/%s", block, attr);
        return buf;
}

/* 1 when read, 0 when the block went away between readdir and the first
 * read (hot remove): it is left out rather than placed at phys_index 0. */
int topology_read_one_block(int memfd, const char *name, unsigned id, spm_topology *t, spm_memblock *b) {
        _cleanup_free_ char *state = NULL;
        char p[64];
        int r;

        *b = (spm_memblock) { .id = id, .node = -1, .removable = -1, .dax_index = -1 };

        r = spm_attr_read_at(memfd, block_attr(p, sizeof p, name, "state"), &state);
        if (IN_SET(r, -ENOENT, -ENOTDIR) && !is_dir_at(memfd, name))
                return 0;
        r = topology_optional(t, r);
        if (r < 0)
                return r;
        b->state = state ? spm_block_state_from_string(state) : SPM_BLOCK_UNKNOWN;
        if (state && b->state == SPM_BLOCK_UNKNOWN)
                t->n_unreadable++;

        r = topology_read_string(memfd, block_attr(p, sizeof p, name, "valid_zones"), t, &b->valid_zones);
        if (r < 0)
                return r;

        r = spm_attr_read_hex_at(memfd, block_attr(p, sizeof p, name, "phys_index"), &b->phys_index);
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

        b->removable = topology_read_flag(memfd, block_attr(p, sizeof p, name, "removable"), t);

        r = node_from_node_links(t, id);
        if (r < 0) {
                _cleanup_close_ int fd = openat(memfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                r = fd >= 0 ? block_node(fd, t) : -1;
        }
        if (r == -ENOMEM)
                return r;
        b->node = r;
        return 1;
}

int topology_reread_block(int memfd, spm_topology *t, spm_memblock *b) {
        _cleanup_free_ char *state = NULL, *zones = NULL;
        char name[32], p[64];
        int r, node;

        snprintf(name, sizeof name, "memory%u", b->id);
        r = spm_attr_read_at(memfd, block_attr(p, sizeof p, name, "state"), &state);
        if (IN_SET(r, -ENOENT, -ENOTDIR) && !is_dir_at(memfd, name))
                return 0;
        r = topology_optional(t, r);
        if (r < 0)
                return r;
        r = topology_read_string(memfd, block_attr(p, sizeof p, name, "valid_zones"), t, &zones);
        if (r < 0)
                return r;

        b->state = state ? spm_block_state_from_string(state) : SPM_BLOCK_UNKNOWN;
        free(b->valid_zones);
        b->valid_zones = TAKE_PTR(zones);
        node = node_from_node_links(t, b->id);
        if (node >= 0)
                b->node = node;
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

                r = topology_read_one_block(memfd, *i, (unsigned) id, t, &t->blocks[t->n_blocks]);
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
