/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * An immutable snapshot of the memory topology the kernel shows in sysfs:
 * NUMA nodes, dax regions and devices, CXL regions and memory blocks. Built
 * in one pass from the directory spm_path(SPM_PATH_SYSFS) names, never
 * modified afterwards, freed as a whole. A full one is a few thousand
 * small reads for a large host; after a batch of uevents spmd builds a new
 * one from the last one and the objects the events name
 * (topology-patch.h).
 *
 * Attributes that the running kernel does not have are recorded as absent
 * (a *_present flag, -1 or NULL), never guessed. Attributes whose contents
 * cannot be parsed are recorded as absent too, and counted in
 * n_unreadable, so one odd file never hides the rest of the host.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodemask.h"

typedef enum spm_block_state {
        SPM_BLOCK_UNKNOWN,
        SPM_BLOCK_OFFLINE,
        SPM_BLOCK_ONLINE,
        SPM_BLOCK_GOING_OFFLINE,
        _SPM_BLOCK_STATE_MAX,
} spm_block_state;

/* Values of memoryN/state writes, auto_online_blocks, and the whole-device
 * state/hotplug attribute. */
typedef enum spm_online_type {
        SPM_ONLINE_INVALID = -1,
        SPM_ONLINE_OFFLINE,
        SPM_ONLINE_ONLINE,          /* kernel's zone policy decides */
        SPM_ONLINE_KERNEL,          /* ZONE_NORMAL */
        SPM_ONLINE_MOVABLE,         /* ZONE_MOVABLE */
        _SPM_ONLINE_TYPE_MAX,
} spm_online_type;

/* Where a dax device's memory comes from, found from its sysfs path. */
typedef enum spm_provider {
        SPM_PROVIDER_UNKNOWN,
        SPM_PROVIDER_CXL,           /* .../regionZ/dax_regionZ/daxZ.0 */
        SPM_PROVIDER_HMEM,          /* soft-reserved: .../hmem.N/daxN.0 */
        SPM_PROVIDER_PMEM,          /* nvdimm namespace: .../ndbusN/... */
        _SPM_PROVIDER_MAX,
} spm_provider;

/* Which whole-device hotplug attribute a kmem-bound dax device has. */
typedef enum spm_dax_hotplug_attr {
        SPM_DAX_HOTPLUG_NONE,       /* neither file: per-block onlining only */
        SPM_DAX_HOTPLUG_HOTPLUG,    /* "hotplug" (series v1-v4) */
        SPM_DAX_HOTPLUG_STATE,      /* "state" (series v5-v7) */
} spm_dax_hotplug_attr;

/* Values read from state/hotplug. */
typedef enum spm_dax_state {
        SPM_DAX_STATE_UNKNOWN,      /* "unknown", or unreadable */
        SPM_DAX_STATE_UNPLUGGED,
        SPM_DAX_STATE_OFFLINE,      /* v4+ only */
        SPM_DAX_STATE_ONLINE,
        SPM_DAX_STATE_ONLINE_KERNEL,/* v4+ only */
        SPM_DAX_STATE_ONLINE_MOVABLE,
        _SPM_DAX_STATE_MAX,
} spm_dax_state;

typedef struct spm_node {
        unsigned id;
        bool online;                /* nodeN/ exists */
        uint64_t mem_total_kb;      /* nodeN/meminfo MemTotal, 0 if unknown */
        uint64_t mem_free_kb;
        char *cpulist;              /* raw nodeN/cpulist, NULL if absent */
        /* distance[i] is the distance to the i-th *online* node, in the
         * order of the online mask (that is how the kernel prints it). */
        unsigned *distance;
        size_t n_distance;
        /* memory blocks linked from nodeN/memoryM, ids in ascending order */
        unsigned *block_ids;
        size_t n_blocks;
} spm_node;

typedef struct spm_dax_range {
        uint64_t start, end;        /* inclusive end, as mappingN/end */
        uint64_t page_offset;
} spm_dax_range;

typedef struct spm_dax_device {
        char *name;                 /* "dax0.0" */
        char *syspath;              /* resolved device directory */
        spm_provider provider;
        int region_id;              /* dax_region/id, -1 if absent */
        char *cxl_region;           /* "region0" when behind a CXL region */

        int target_node;            /* -1 when the file is hidden (negative) */
        int numa_node;              /* -1 when absent */
        uint64_t size;
        bool resource_present;      /* mode 0400: root only */
        uint64_t resource;
        uint64_t align;             /* 0 if absent */
        spm_dax_range *ranges;      /* mappingN, sorted by N */
        size_t n_ranges;
        bool ranges_restricted;     /* mappingN are root-only (0400) and we are
                                     * not root: ranges and blocks unknown */
        int memmap_on_memory;       /* 0/1, -1 absent (pre-6.8) */
        char *modalias;

        char *driver;               /* "kmem", "device_dax", NULL when unbound */

        int spm_node;               /* SPM v2: 0/1, -1 absent */
        int protected_memory;       /* SPM v1: 0/1, -1 absent */

        spm_dax_hotplug_attr hotplug_attr;
        char *hotplug_raw;          /* text read from state/hotplug */
        spm_dax_state hotplug_state;

        /* Indices into spm_topology.blocks of the blocks that fall in the
         * device's ranges. */
        size_t *blocks;
        size_t n_blocks;
        size_t n_blocks_online;
} spm_dax_device;

typedef struct spm_cxl_region {
        char *name;                 /* "region0" */
        char *uuid;                 /* empty for RAM regions */
        char *mode;                 /* "ram", "pmem", "private", ... */
        uint64_t size;
        bool resource_present;
        uint64_t resource;
        int spm_node;               /* v2: 0/1, -1 absent */
        int protected_memory;       /* v1: 0/1, -1 absent */
        char *private_type;         /* private v3, NULL absent */
        char *driver;               /* "cxl_region", NULL unbound */
        char **targets;             /* endpoint decoder names, NULL-terminated */
        char **memdev_serials;      /* serials of the memdevs behind targets, in
                                     * target order; only those found, so it
                                     * may be shorter than targets */
        char *dax_device;           /* "dax0.0" when the region has one */
} spm_cxl_region;

typedef struct spm_memblock {
        unsigned id;                /* memoryN */
        spm_block_state state;
        char *valid_zones;          /* raw, e.g. "Movable" or "Normal Movable" */
        uint64_t phys_index;
        int node;                   /* from the nodeM link; -1 unknown */
        int removable;              /* 0/1, -1 absent */
        int dax_index;              /* index into spm_topology.dax, -1 none */
} spm_memblock;

typedef struct spm_topology {
        /* node lists; has_private_memory_present says whether that list
         * exists and could be parsed (an unparseable list counts in
         * n_unreadable, like every other attribute) */
        spm_nodemask possible, online, has_memory, has_normal_memory, has_cpu;
        spm_nodemask has_private_memory;
        bool has_private_memory_present;

        spm_node *nodes;            /* one per nodeN/ directory, by id */
        size_t n_nodes;

        spm_dax_device *dax;        /* sorted by region id, then instance */
        size_t n_dax;

        spm_cxl_region *regions;    /* sorted by region number */
        size_t n_regions;

        uint64_t block_size;        /* block_size_bytes, 0 if unknown */
        spm_online_type auto_online; /* SPM_ONLINE_INVALID if unknown */
        spm_memblock *blocks;       /* sorted by id */
        size_t n_blocks;

        /* Files that exist but could not be parsed. */
        unsigned n_unreadable;
        /* Files that exist but only root may read (EACCES/EPERM). */
        unsigned n_restricted;
} spm_topology;

/* Build a snapshot from the sysfs root in spm_path(SPM_PATH_SYSFS). Fails
 * only for out-of-memory or when the sysfs root itself cannot be opened;
 * missing subsystems give empty lists. */
int spm_topology_load(spm_topology **ret);

/* Same, from an explicit sysfs directory (for tests and tools). */
int spm_topology_load_from(const char *sysfs_root, spm_topology **ret);

spm_topology *spm_topology_free(spm_topology *t);
static inline void spm_topology_freep(spm_topology **t) {
        if (*t)
                spm_topology_free(*t);
}

const spm_node *spm_topology_find_node(const spm_topology *t, unsigned id);
const spm_dax_device *spm_topology_find_dax(const spm_topology *t, const char *name);
const spm_cxl_region *spm_topology_find_region(const spm_topology *t, const char *name);
const spm_memblock *spm_topology_find_block(const spm_topology *t, unsigned id);

/* Blocks of a node, in id order, as indices into t->blocks. Returns the
 * count; *ret is malloc'ed (NULL when the count is 0). */
int spm_topology_node_blocks(const spm_topology *t, unsigned node, size_t **ret);

/*
 * A one-word summary of what the kernel shows for a device, for logs and
 * tables: the whole-device state when the kernel has one, else "unbound",
 * "devdax" (bound to another driver), "restricted" (kmem-bound, but only
 * root may read where its memory is), "no-blocks", "online", "offline" or
 * "partial" from its memory blocks.
 */
const char *spm_dax_device_observed_state(const spm_dax_device *d);

/* String tables. *_from_string() return -EINVAL (or the INVALID value) for
 * unknown words. */
const char *spm_block_state_to_string(spm_block_state s);
spm_block_state spm_block_state_from_string(const char *s);
const char *spm_online_type_to_string(spm_online_type t);
spm_online_type spm_online_type_from_string(const char *s);
const char *spm_provider_to_string(spm_provider p);
spm_provider spm_provider_from_string(const char *s);
const char *spm_dax_state_to_string(spm_dax_state s);
spm_dax_state spm_dax_state_from_string(const char *s);
const char *spm_dax_hotplug_attr_to_string(spm_dax_hotplug_attr a);
