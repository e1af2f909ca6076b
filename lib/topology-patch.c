/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* A snapshot patched with the objects a scope names, read again; see
 * topology-patch.h for what a scope pulls in. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "attr.h"
#include "macro.h"
#include "paths.h"
#include "strutil.h"
#include "topology-internal.h"
#include "topology-patch.h"

/* ---- scope ---- */

static int strv_add_unique(char ***l, const char *s) {
        if (*l && strv_contains(*l, s))
                return 0;
        return strv_extend(l, s);
}

static int ids_add_unique(unsigned **ids, size_t *n, unsigned id) {
        unsigned *p;

        for (size_t i = 0; i < *n; i++)
                if ((*ids)[i] == id)
                        return 0;
        p = realloc(*ids, (*n + 1) * sizeof(unsigned));
        if (!p)
                return -ENOMEM;
        p[(*n)++] = id;
        *ids = p;
        return 0;
}

static int scope_result(spm_topology_scope *s, int r) {
        if (r < 0)
                s->full = true;
        return r;
}

/* "daxR.I", "regionN", "memoryN", "nodeN": the prefix and digits (and for
 * dax one dot) only. */
static bool numbered(const char *s, const char *prefix, bool dotted) {
        const char *p = startswith(s, prefix);
        bool dot = false, digit = false;

        if (!p || !*p)
                return false;
        for (; *p; p++) {
                if (*p >= '0' && *p <= '9')
                        digit = true;
                else if (dotted && *p == '.' && digit && !dot)
                        dot = true, digit = false;
                else
                        return false;
        }
        return digit && dot == dotted;
}

int spm_topology_scope_add_dax(spm_topology_scope *s, const char *name) {
        if (!numbered(name, "dax", true)) {
                s->full = true;
                return 0;
        }
        return scope_result(s, strv_add_unique(&s->dax, name));
}

int spm_topology_scope_add_region(spm_topology_scope *s, const char *name) {
        if (!numbered(name, "region", false)) {
                s->full = true;
                return 0;
        }
        return scope_result(s, strv_add_unique(&s->regions, name));
}

int spm_topology_scope_add_block(spm_topology_scope *s, unsigned id) {
        return scope_result(s, ids_add_unique(&s->blocks, &s->n_blocks, id));
}

int spm_topology_scope_add_uevent(spm_topology_scope *s, const char *subsystem, const char *sysname) {
        uint64_t id;

        if (!subsystem || !sysname) {
                s->full = true;
                return 0;
        }
        if (streq(subsystem, "dax"))
                return spm_topology_scope_add_dax(s, sysname);
        if (streq(subsystem, "cxl")) {
                if (numbered(sysname, "region", false))
                        return spm_topology_scope_add_region(s, sysname);
                /* decoders, memdevs, ports: what the snapshot keeps of them
                 * lives in the regions (targets, serials) */
                s->all_regions = true;
                return 0;
        }
        if (streq(subsystem, "memory") && numbered(sysname, "memory", false) &&
            spm_parse_u64(sysname + strlen("memory"), &id) >= 0 && id <= UINT32_MAX) {
                s->nodes = true;
                return spm_topology_scope_add_block(s, (unsigned) id);
        }
        if (streq(subsystem, "node") && numbered(sysname, "node", false)) {
                s->nodes = true;
                return 0;
        }
        s->full = true;
        return 0;
}

bool spm_topology_scope_is_empty(const spm_topology_scope *s) {
        return !s->full && !s->nodes && !s->all_regions && !(s->dax && *s->dax) && !(s->regions && *s->regions) &&
               s->n_blocks == 0;
}

void spm_topology_scope_clear(spm_topology_scope *s) {
        strv_free(s->dax);
        strv_free(s->regions);
        free(s->blocks);
        *s = (spm_topology_scope) {};
}

/* ---- copying a snapshot ---- */

static int memdup_n(const void *p, size_t n, size_t size, void *ret) {
        void *q = NULL;

        if (p && n > 0) {
                q = malloc(n * size);
                if (!q)
                        return -ENOMEM;
                memcpy(q, p, n * size);
        }
        *(void **) ret = q;
        return 0;
}

static int strdup_opt(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int strv_copy(char **l, char ***ret) {
        char **c;
        size_t n = strv_length(l);

        *ret = NULL;
        if (!l)
                return 0;
        c = calloc(n + 1, sizeof(char *));
        if (!c)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (!(c[i] = strdup(l[i]))) {
                        strv_free(c);
                        return -ENOMEM;
                }
        *ret = c;
        return 0;
}

static int copy_node(const spm_node *o, spm_node *n) {
        *n = *o;
        n->cpulist = NULL, n->distance = NULL, n->block_ids = NULL;
        if (strdup_opt(o->cpulist, &n->cpulist) < 0 ||
            memdup_n(o->distance, o->n_distance, sizeof(unsigned), &n->distance) < 0 ||
            memdup_n(o->block_ids, o->n_blocks, sizeof(unsigned), &n->block_ids) < 0)
                return -ENOMEM;
        return 0;
}

static int copy_dax(const spm_dax_device *o, spm_dax_device *d) {
        *d = *o;
        d->name = d->syspath = d->cxl_region = d->modalias = d->driver = d->hotplug_raw = NULL;
        d->ranges = NULL;
        d->blocks = NULL;
        if (strdup_opt(o->name, &d->name) < 0 || strdup_opt(o->syspath, &d->syspath) < 0 ||
            strdup_opt(o->cxl_region, &d->cxl_region) < 0 || strdup_opt(o->modalias, &d->modalias) < 0 ||
            strdup_opt(o->driver, &d->driver) < 0 || strdup_opt(o->hotplug_raw, &d->hotplug_raw) < 0 ||
            memdup_n(o->ranges, o->n_ranges, sizeof(spm_dax_range), &d->ranges) < 0 ||
            memdup_n(o->blocks, o->n_blocks, sizeof(size_t), &d->blocks) < 0)
                return -ENOMEM;
        return 0;
}

static int copy_region(const spm_cxl_region *o, spm_cxl_region *g) {
        *g = *o;
        g->name = g->uuid = g->mode = g->private_type = g->driver = g->dax_device = NULL;
        g->targets = g->memdev_serials = NULL;
        if (strdup_opt(o->name, &g->name) < 0 || strdup_opt(o->uuid, &g->uuid) < 0 ||
            strdup_opt(o->mode, &g->mode) < 0 || strdup_opt(o->private_type, &g->private_type) < 0 ||
            strdup_opt(o->driver, &g->driver) < 0 || strdup_opt(o->dax_device, &g->dax_device) < 0 ||
            strv_copy(o->targets, &g->targets) < 0 || strv_copy(o->memdev_serials, &g->memdev_serials) < 0)
                return -ENOMEM;
        return 0;
}

/* The entry counts grow as entries are filled, so the free path sees
 * exactly what was copied. */
static int copy_topology(const spm_topology *o, spm_topology **ret) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;

        t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        *t = *o;
        t->nodes = NULL, t->dax = NULL, t->regions = NULL, t->blocks = NULL;
        t->n_nodes = t->n_dax = t->n_regions = t->n_blocks = 0;

        if (!(t->nodes = calloc(o->n_nodes + 1, sizeof(spm_node))) ||
            !(t->dax = calloc(o->n_dax + 1, sizeof(spm_dax_device))) ||
            !(t->regions = calloc(o->n_regions + 1, sizeof(spm_cxl_region))) ||
            !(t->blocks = calloc(o->n_blocks + 1, sizeof(spm_memblock))))
                return -ENOMEM;

        for (size_t i = 0; i < o->n_nodes; i++) {
                int r = copy_node(&o->nodes[i], &t->nodes[i]);
                t->n_nodes++;
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < o->n_dax; i++) {
                int r = copy_dax(&o->dax[i], &t->dax[i]);
                t->n_dax++;
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < o->n_regions; i++) {
                int r = copy_region(&o->regions[i], &t->regions[i]);
                t->n_regions++;
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < o->n_blocks; i++) {
                t->blocks[i] = o->blocks[i];
                t->blocks[i].valid_zones = NULL;
                t->n_blocks++;
                if (strdup_opt(o->blocks[i].valid_zones, &t->blocks[i].valid_zones) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

/* ---- replacing one entry ---- */

static ssize_t dax_index(const spm_topology *t, const char *name) {
        for (size_t i = 0; i < t->n_dax; i++)
                if (streq(t->dax[i].name, name))
                        return (ssize_t) i;
        return -1;
}

static ssize_t region_index(const spm_topology *t, const char *name) {
        for (size_t i = 0; i < t->n_regions; i++)
                if (streq(t->regions[i].name, name))
                        return (ssize_t) i;
        return -1;
}

/* Read one dax device into t, replacing, adding or dropping its entry.
 * Returns the device's new index, -1 when it is gone, or -ENOMEM. */
static int patch_dax(int sysfd, const char *root, spm_topology *t, const char *name, ssize_t *ret) {
        spm_dax_device d;
        ssize_t i = dax_index(t, name);
        int r;

        r = topology_read_one_dax(sysfd, root, name, t, &d);
        if (r < 0) {
                topology_free_dax(&d);
                return r;
        }
        if (r == 0) {
                topology_free_dax(&d);
                if (i >= 0) {
                        topology_free_dax(&t->dax[i]);
                        memmove(&t->dax[i], &t->dax[i + 1], (t->n_dax - i - 1) * sizeof(spm_dax_device));
                        t->n_dax--;
                }
                *ret = -1;
                return 0;
        }
        if (i >= 0) {
                topology_free_dax(&t->dax[i]);
                t->dax[i] = d;
        } else {
                spm_dax_device *p = realloc(t->dax, (t->n_dax + 2) * sizeof(spm_dax_device));
                if (!p) {
                        topology_free_dax(&d);
                        return -ENOMEM;
                }
                t->dax = p;
                t->dax[t->n_dax++] = d;
                qsort(t->dax, t->n_dax, sizeof(spm_dax_device), topology_cmp_dax);
        }
        *ret = dax_index(t, name);
        return 0;
}

static int patch_region(int sysfd, const char *root, spm_topology *t, const char *name) {
        spm_cxl_region g;
        ssize_t i = region_index(t, name);
        int r;

        r = topology_read_one_region(sysfd, root, name, t, &g);
        if (r <= 0) {
                topology_free_region(&g);
                if (r < 0)
                        return r;
                if (i >= 0) {
                        topology_free_region(&t->regions[i]);
                        memmove(&t->regions[i], &t->regions[i + 1],
                                (t->n_regions - i - 1) * sizeof(spm_cxl_region));
                        t->n_regions--;
                }
                return 0;
        }
        if (i >= 0) {
                topology_free_region(&t->regions[i]);
                t->regions[i] = g;
                return 0;
        }
        spm_cxl_region *p = realloc(t->regions, (t->n_regions + 2) * sizeof(spm_cxl_region));
        if (!p) {
                topology_free_region(&g);
                return -ENOMEM;
        }
        t->regions = p;
        t->regions[t->n_regions++] = g;
        qsort(t->regions, t->n_regions, sizeof(spm_cxl_region), topology_cmp_region);
        return 0;
}

/* Read one block into t (sorted by id), or drop it when it is gone. */
static int patch_block(int memfd, spm_topology *t, unsigned id) {
        size_t lo = 0, hi = t->n_blocks;
        spm_memblock b;
        char name[32];
        int r;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->blocks[mid].id < id)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo < t->n_blocks && t->blocks[lo].id == id) {
                r = topology_reread_block(memfd, t, &t->blocks[lo]);
                if (r != 0)
                        return r < 0 ? r : 0;
                free(t->blocks[lo].valid_zones);
                memmove(&t->blocks[lo], &t->blocks[lo + 1], (t->n_blocks - lo - 1) * sizeof(spm_memblock));
                t->n_blocks--;
                return 0;
        }
        snprintf(name, sizeof name, "memory%u", id);
        r = topology_read_one_block(memfd, name, id, t, &b);
        if (r < 0) {
                free(b.valid_zones);
                return r;
        }
        if (r == 0)
                return 0;
        spm_memblock *p = realloc(t->blocks, (t->n_blocks + 2) * sizeof(spm_memblock));
        if (!p) {
                free(b.valid_zones);
                return -ENOMEM;
        }
        t->blocks = p;
        memmove(&t->blocks[lo + 1], &t->blocks[lo], (t->n_blocks - lo) * sizeof(spm_memblock));
        t->blocks[lo] = b;
        t->n_blocks++;
        return 0;
}

/* Node lists and directories read again, in place of t's. */
static int patch_nodes(int sysfd, spm_topology *t) {
        _cleanup_(spm_topology_freep) spm_topology *n = NULL;
        int r;

        n = calloc(1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        r = topology_read_nodes(sysfd, n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < t->n_nodes; i++)
                topology_free_node(&t->nodes[i]);
        free(t->nodes);
        t->nodes = TAKE_PTR(n->nodes);
        t->n_nodes = n->n_nodes;
        n->n_nodes = 0;
        t->possible = n->possible;
        t->online = n->online;
        t->has_memory = n->has_memory;
        t->has_normal_memory = n->has_normal_memory;
        t->has_cpu = n->has_cpu;
        t->has_private_memory = n->has_private_memory;
        t->has_private_memory_present = n->has_private_memory_present;
        return 0;
}

static int add_range_blocks(const spm_topology *t, const spm_dax_device *d, unsigned **ids, size_t *n) {
        uint64_t bs = t->block_size;

        for (size_t k = 0; k < d->n_ranges; k++)
                for (uint64_t id = (d->ranges[k].start + bs - 1) / bs; id < (d->ranges[k].end + 1) / bs; id++) {
                        if (id > UINT32_MAX)
                                return -ESTALE;
                        if (ids_add_unique(ids, n, (unsigned) id) < 0)
                                return -ENOMEM;
                }
        return 0;
}

static int relink(spm_topology *t) {
        for (size_t i = 0; i < t->n_dax; i++) {
                t->dax[i].blocks = mfree(t->dax[i].blocks);
                t->dax[i].n_blocks = t->dax[i].n_blocks_online = 0;
        }
        for (size_t i = 0; i < t->n_blocks; i++)
                t->blocks[i].dax_index = -1;
        return topology_link_blocks(t);
}

int spm_topology_patch_from(const char *root, const spm_topology *old, const spm_topology_scope *scope,
                            spm_topology **ret) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_strv_free_ char **dax = NULL, **regions = NULL;
        _cleanup_free_ unsigned *ids = NULL;
        _cleanup_close_ int sysfd = -EBADF, memfd = -EBADF;
        size_t n_ids = 0;
        bool nodes = scope->nodes;
        int r;

        if (!old || scope->full || old->block_size == 0)
                return -ESTALE;

        sysfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (sysfd < 0)
                return negative_errno();

        r = copy_topology(old, &t);
        if (r < 0)
                return r;
        if (strv_copy(scope->dax, &dax) < 0 || strv_copy(scope->regions, &regions) < 0 ||
            memdup_n(scope->blocks, scope->n_blocks, sizeof(unsigned), &ids) < 0)
                return -ENOMEM;
        n_ids = scope->n_blocks;

        if (scope->all_regions) {
                _cleanup_strv_free_ char **names = NULL;

                r = dir_list_at(sysfd, "bus/cxl/devices", "region", &names);
                if (r == -ENOMEM)
                        return r;
                for (char **i = names; r >= 0 && i && *i; i++)
                        if (numbered(*i, "region", false) && strv_add_unique(&regions, *i) < 0)
                                return -ENOMEM;
                for (size_t i = 0; i < old->n_regions; i++)
                        if (strv_add_unique(&regions, old->regions[i].name) < 0)
                                return -ENOMEM;
        }

        /* regions, and the dax devices they have (had) */
        for (char **i = regions; i && *i; i++) {
                const spm_cxl_region *o = spm_topology_find_region(old, *i), *g;

                if (o && o->dax_device && strv_add_unique(&dax, o->dax_device) < 0)
                        return -ENOMEM;
                r = patch_region(sysfd, root, t, *i);
                if (r < 0)
                        return r;
                g = spm_topology_find_region(t, *i);
                if (g && g->dax_device && strv_add_unique(&dax, g->dax_device) < 0)
                        return -ENOMEM;
        }

        /* the devices that held the named blocks */
        for (size_t i = 0; i < scope->n_blocks; i++) {
                const spm_memblock *b = spm_topology_find_block(old, scope->blocks[i]);

                if (b && b->dax_index >= 0 && strv_add_unique(&dax, old->dax[b->dax_index].name) < 0)
                        return -ENOMEM;
        }

        /* the devices, and the blocks they hold now and held before */
        for (char **i = dax; i && *i; i++) {
                const spm_dax_device *o = spm_topology_find_dax(old, *i);
                ssize_t k;

                if (o)
                        for (size_t j = 0; j < o->n_blocks; j++)
                                if (ids_add_unique(&ids, &n_ids, old->blocks[o->blocks[j]].id) < 0)
                                        return -ENOMEM;
                r = patch_dax(sysfd, root, t, *i, &k);
                if (r < 0)
                        return r;
                if (k < 0)
                        continue;
                if (streq_ptr(t->dax[k].driver, "kmem")) {
                        r = add_range_blocks(t, &t->dax[k], &ids, &n_ids);
                        if (r < 0)
                                return r;
                }
                if (t->dax[k].cxl_region && !strv_contains(regions, t->dax[k].cxl_region)) {
                        r = strv_add_unique(&regions, t->dax[k].cxl_region);
                        if (r < 0)
                                return r;
                        r = patch_region(sysfd, root, t, t->dax[k].cxl_region);
                        if (r < 0)
                                return r;
                }
        }

        /* Nodes before blocks: a block's node comes from the nodeN/memoryM
         * links, and a new block usually sits on a node the last snapshot
         * did not list. */
        if (nodes || n_ids > 0) {
                r = patch_nodes(sysfd, t);
                if (r < 0)
                        return r;
        }
        if (n_ids > 0) {
                memfd = openat(sysfd, "devices/system/memory", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (memfd < 0)
                        return -ESTALE;
                for (size_t i = 0; i < n_ids; i++) {
                        r = patch_block(memfd, t, ids[i]);
                        if (r < 0)
                                return r;
                }
        }

        r = relink(t);
        if (r < 0)
                return r;

        /* A named block now inside a device this read did not look at: that
         * device changed without a uevent the scope saw. */
        for (size_t i = 0; i < n_ids; i++) {
                const spm_memblock *b = spm_topology_find_block(t, ids[i]);

                if (b && b->dax_index >= 0 && !strv_contains(dax, t->dax[b->dax_index].name))
                        return -ESTALE;
        }

        *ret = TAKE_PTR(t);
        return nodes || n_ids > 0;
}

int spm_topology_patch(const spm_topology *old, const spm_topology_scope *scope, spm_topology **ret) {
        return spm_topology_patch_from(spm_path(SPM_PATH_SYSFS), old, scope, ret);
}
