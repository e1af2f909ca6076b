/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* NUMA nodes: the node lists under devices/system/node and one entry per
 * online node directory. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "macro.h"
#include "strutil.h"
#include "topology-internal.h"

static int read_list(int nodefd, const char *name, spm_topology *t, spm_nodemask *ret, bool *ret_present) {
        int r;

        r = spm_attr_read_nodemask_at(nodefd, name, ret);
        if (ret_present)
                *ret_present = r >= 0;
        if (r < 0)
                *ret = SPM_NODEMASK_EMPTY;
        return topology_optional(t, r);
}

/* "Node 0 MemTotal:       524288 kB". The numbers go through spm_parse_u64:
 * sscanf's %llu would take "-5" as a huge value and saturate on overflow.
 * Returns -EINVAL if a MemTotal/MemFree line holds no valid number; the
 * other value may still have been set. */
static int parse_meminfo(const char *text, spm_node *n) {
        _cleanup_strv_free_ char **lines = NULL;
        int r, ret = 0;

        r = strv_split(text, "\n", &lines);
        if (r < 0)
                return r;

        for (char **l = lines; *l; l++) {
                char key[32], num[32];
                uint64_t *dst, v;
                unsigned id;

                if (sscanf(*l, "Node %u %31[^:]: %31s kB", &id, key, num) != 3)
                        continue;
                if (streq(key, "MemTotal"))
                        dst = &n->mem_total_kb;
                else if (streq(key, "MemFree"))
                        dst = &n->mem_free_kb;
                else
                        continue;
                if (spm_parse_u64(num, &v) < 0) {
                        ret = -EINVAL;
                        continue;
                }
                *dst = v;
        }
        return ret;
}

static int parse_distance(const char *text, spm_node *n) {
        _cleanup_strv_free_ char **f = NULL;
        _cleanup_free_ unsigned *d = NULL;
        size_t k = 0;
        int r;

        r = strv_split(text, " \t\n", &f);
        if (r < 0)
                return r;

        d = calloc(strv_length(f) + 1, sizeof(unsigned));
        if (!d)
                return -ENOMEM;

        for (char **i = f; *i; i++) {
                uint64_t v;

                r = spm_parse_u64(*i, &v);
                if (r < 0 || v > 255) /* SLIT distances are one byte */
                        return -EINVAL;
                d[k++] = (unsigned) v;
        }

        n->distance = TAKE_PTR(d);
        n->n_distance = k;
        return 0;
}

static int read_one_node(int nodefd, const char *name, unsigned id, spm_topology *t, spm_node *n) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *meminfo = NULL, *distance = NULL;
        _cleanup_strv_free_ char **blocks = NULL;
        int r;

        *n = (spm_node) { .id = id, .online = true };

        fd = openat(nodefd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                n->online = false; /* went away while we looked */
                return topology_optional(t, negative_errno());
        }

        r = topology_read_string(fd, "meminfo", t, &meminfo);
        if (r < 0)
                return r;
        if (meminfo) {
                r = parse_meminfo(meminfo, n);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        t->n_unreadable++;
        }

        r = topology_read_string(fd, "cpulist", t, &n->cpulist);
        if (r < 0)
                return r;

        r = topology_read_string(fd, "distance", t, &distance);
        if (r < 0)
                return r;
        if (distance) {
                r = parse_distance(distance, n);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        t->n_unreadable++;
        }

        r = dir_list_at(fd, ".", "memory", &blocks);
        if (r == -ENOMEM)
                return r;
        if (r >= 0) {
                n->block_ids = calloc(strv_length(blocks) + 1, sizeof(unsigned));
                if (!n->block_ids)
                        return -ENOMEM;
                /* dir_list_at sorts numerically, so the ids come out in
                 * ascending order */
                for (char **b = blocks; *b; b++) {
                        const char *num = *b + strlen("memory");
                        uint64_t bid;

                        if (*num >= '0' && *num <= '9' && spm_parse_u64(num, &bid) >= 0 && bid <= UINT32_MAX)
                                n->block_ids[n->n_blocks++] = (unsigned) bid;
                }
        }
        return 0;
}

int topology_read_nodes(int sysfd, spm_topology *t) {
        _cleanup_close_ int nodefd = -EBADF;
        _cleanup_strv_free_ char **names = NULL;
        int r;

        nodefd = openat(sysfd, "devices/system/node", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (nodefd < 0)
                return topology_optional(t, negative_errno());

        if ((r = read_list(nodefd, "possible", t, &t->possible, NULL)) < 0 ||
            (r = read_list(nodefd, "online", t, &t->online, NULL)) < 0 ||
            (r = read_list(nodefd, "has_memory", t, &t->has_memory, NULL)) < 0 ||
            (r = read_list(nodefd, "has_normal_memory", t, &t->has_normal_memory, NULL)) < 0 ||
            (r = read_list(nodefd, "has_cpu", t, &t->has_cpu, NULL)) < 0 ||
            (r = read_list(nodefd, "has_private_memory", t, &t->has_private_memory,
                           &t->has_private_memory_present)) < 0)
                return r;

        r = dir_list_at(nodefd, ".", "node", &names);
        if (r < 0)
                return topology_optional(t, r);

        t->nodes = calloc(strv_length(names) + 1, sizeof(spm_node));
        if (!t->nodes)
                return -ENOMEM;

        for (char **i = names; *i; i++) {
                uint64_t id;

                /* "node0" .. "node1023"; skip anything else that starts
                 * with "node" */
                if (spm_parse_u64(*i + strlen("node"), &id) < 0 || id >= SPM_MAX_NODES ||
                    (*i)[strlen("node")] < '0' || (*i)[strlen("node")] > '9')
                        continue;

                r = read_one_node(nodefd, *i, (unsigned) id, t, &t->nodes[t->n_nodes]);
                if (r < 0)
                        return r;
                t->n_nodes++;
        }

        return 0;
}
