/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The simulated SPM kernel: a pure model of the kernel state spmd sees
 * through sysfs and cgroupfs, and of the rules the kernel applies to each
 * write. No I/O happens here. Every store function takes the exact bytes a
 * program handed to write(2) (trailing newline included) and returns 0 or
 * the -errno the kernel would give; each mutation appends the uevents the
 * kernel would raise, in the kernel's order, to the model's event queue.
 *
 * The file layer (fs.c) maps paths to these objects; the server (server.c)
 * exposes that over FUSE and sends the queued events.
 *
 * kernel-abi.md §15 (measured on a real kernel) is the reference wherever it
 * speaks; the rest follows the earlier sections of that document.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodemask.h"

/* Which generation of each interface family the simulated kernel carries. */
typedef enum sk_marking {
        SK_MARKING_STOCK,           /* no SPM patches: no spm_node, no latch */
        SK_MARKING_SPM_V2,          /* dax/CXL spm_node, node latch, mems.sysram */
        SK_MARKING_PRIVATE_V3,      /* has_private_memory (at registration), mems.sysram */
        SK_MARKING_PRIVATE_V4,      /* has_private_memory (while online), no mems.sysram */
        SK_MARKING_SPM_V1,          /* dax/CXL protected_memory, latch released with the
                                     * node's last block, mems.default */
        _SK_MARKING_MAX,
} sk_marking;

typedef enum sk_hotplug {
        SK_HOTPLUG_NONE,            /* per-block onlining only */
        SK_HOTPLUG_V2,              /* "hotplug": write unplug/online/online_movable */
        SK_HOTPLUG_V4,              /* "hotplug": v4 vocabulary */
        SK_HOTPLUG_V7,              /* "state": v4 vocabulary */
        _SK_HOTPLUG_MAX,
} sk_hotplug;

typedef enum sk_online {
        SK_ONLINE_OFFLINE,
        SK_ONLINE_ONLINE,           /* zone chosen by the kernel's policy */
        SK_ONLINE_KERNEL,
        SK_ONLINE_MOVABLE,
        _SK_ONLINE_MAX,
        SK_ONLINE_INVALID = -1,
} sk_online;

/* Read values of the whole-device attribute. */
typedef enum sk_devstate {
        SK_DEV_UNPLUGGED,
        SK_DEV_OFFLINE,
        SK_DEV_ONLINE,
        SK_DEV_ONLINE_KERNEL,
        SK_DEV_ONLINE_MOVABLE,
        SK_DEV_UNKNOWN,
        _SK_DEV_MAX,
} sk_devstate;

typedef enum sk_zone { SK_ZONE_NONE, SK_ZONE_NORMAL, SK_ZONE_MOVABLE } sk_zone;

typedef enum sk_latch { SK_LATCH_NONE, SK_LATCH_SYSRAM, SK_LATCH_SPM } sk_latch;

typedef enum sk_driver { SK_DRV_NONE, SK_DRV_DEVICE_DAX, SK_DRV_KMEM, _SK_DRV_MAX } sk_driver;

typedef enum sk_provider { SK_PROV_PMEM, SK_PROV_HMEM, SK_PROV_CXL, _SK_PROV_MAX } sk_provider;

typedef enum sk_memmap { SK_MEMMAP_SUPPORTED, SK_MEMMAP_UNSUPPORTED, SK_MEMMAP_ABSENT } sk_memmap;

#define SK_EVENT_ENV_MAX 4

typedef struct sk_uevent {
        char action[16];
        char subsystem[24];
        char *devpath;              /* "/devices/...", as the kernel's DEVPATH */
        char *env[SK_EVENT_ENV_MAX];/* extra "KEY=value" (DRIVER, MODALIAS, ...) */
        uint64_t seqnum;
} sk_uevent;

typedef struct sk_node {
        bool exists;                /* declared or ever hot-added */
        bool possible;
        char *cpulist;              /* "" for memory-only nodes */
        sk_latch latch;             /* SPM node type: v2 until "reboot", v1 until the last block goes */
        bool registered;            /* nodeN/ present (online) */
        bool private_mem;           /* private v3/v4 node */
        bool boot_memory;           /* had memory at boot: DRAM tier */
} sk_node;

typedef struct sk_block {
        bool present;
        unsigned node;
        bool online;
        sk_zone zone;
        bool busy;                  /* refuses to go offline (EBUSY) */
        int dax;                    /* owning dax device, -1 for boot memory */
} sk_block;

typedef struct sk_dax {
        bool present;
        char name[32];              /* "daxR.I" */
        unsigned region, instance;
        sk_provider provider;
        bool kmem_region;           /* region carries the KMEM flag (CXL, hmem on 6.12) */
        int target_node;            /* negative: file hidden */
        int numa_node;
        uint64_t start, size;
        uint64_t align;
        bool memmap_on_memory;
        bool spm_node;              /* the mark: spm_node (v2) or protected_memory (v1) */
        bool private_mem;           /* the device's memory is private (v3/v4) */
        bool busy;                  /* new blocks of this device are busy */
        sk_driver driver;
        bool stuck;                 /* range leaked by unbind while online */
        bool added;                 /* its memory is currently added (blocks exist) */
        sk_devstate devstate;       /* last requested whole-device state */
        sk_online created_default;  /* hotplug v4: default online type at creation */
        int cxl_region;             /* index into regions, -1 none */
} sk_dax;

typedef struct sk_region {
        bool present;
        unsigned id;
        int node;
        uint64_t size;
        bool spm_node;
        bool bound;                 /* cxl_region driver bound */
        bool auto_region;           /* firmware region, probed at boot */
        bool private_mem;           /* private v3: mode "private" */
        char private_type[32];      /* private v3: "" unset (probe refused) */
        bool uncommitted;           /* commit not yet written */
        int dax;                    /* dax device created by probe, -1 none */
} sk_region;

typedef struct sk_cgroup {
        bool present;
        char *path;                 /* "" for the root, "a/b" otherwise */
        int parent;                 /* -1 for the root */
        unsigned subtree;           /* SK_CTRL_* bits enabled for children */
        spm_nodemask mems;          /* requested cpuset.mems (empty = inherit) */
        spm_nodemask effective;
        bool delegated;             /* trusted.delegate / user.delegate set (systemd's Delegate=) */
} sk_cgroup;

#define SK_CTRL_CPUSET (1u << 0)
#define SK_CTRL_MEMORY (1u << 1)
#define SK_CTRL_PIDS   (1u << 2)

typedef struct sk_config {
        sk_marking marking;
        sk_hotplug hotplug;
        sk_online auto_online;
        uint64_t block_size;
        unsigned node_limit;        /* MAX_NUMNODES: ERANGE beyond it */
        sk_memmap memmap;
        unsigned controllers;       /* SK_CTRL_* offered at the root */
        unsigned dram_tier, dax_tier;
        bool kmem_absent;           /* kmem not loaded at boot (blacklisted) */
} sk_config;

typedef struct sk_model {
        sk_config cfg;
        sk_online auto_online;      /* current auto_online_blocks */

        sk_node *nodes;             /* indexed by node id, n_nodes entries */
        unsigned n_nodes;

        sk_block *blocks;           /* indexed by block id */
        size_t n_blocks;

        sk_dax *dax;
        size_t n_dax;
        sk_region *regions;
        size_t n_regions;

        char **ids[_SK_DRV_MAX];    /* new_id lists of kmem and device_dax */
        bool kmem_loaded;           /* bus/dax/drivers/kmem exists */

        sk_cgroup *cgroups;         /* [0] is the root */
        size_t n_cgroups;

        uint64_t next_phys;         /* next free physical address for dax ranges */

        sk_uevent *events;          /* queue, drained by the server */
        size_t n_events, n_events_alloc;
        uint64_t seqnum;

        unsigned generation;        /* bumped on every change of the tree shape */
} sk_model;

void sk_config_default(sk_config *c);

sk_model *sk_model_new(const sk_config *cfg);
sk_model *sk_model_free(sk_model *m);
static inline void sk_model_freep_(sk_model **m) {
        sk_model_free(*m);
}

/* Boot-time hardware. */
int sk_model_add_node(sk_model *m, unsigned id, const char *cpulist, uint64_t boot_memory);
int sk_model_set_possible(sk_model *m, unsigned id);

typedef struct sk_dax_spec {
        const char *name;           /* NULL: next free "daxR.0" */
        sk_provider provider;
        int node;
        uint64_t size;
        bool spm_node;
        bool private_mem;
        bool busy;
        sk_driver driver;           /* what the kernel binds at add; NONE = by match rules */
        bool no_probe;              /* leave unbound */
} sk_dax_spec;

/* Hot-add a dax device: "add" uevent, then the driver core's probe. Returns
 * the device index. */
int sk_model_add_dax(sk_model *m, const sk_dax_spec *spec);
/* Hot-remove: driver unbind (as the kernel's remove path does), "remove". */
int sk_model_remove_dax(sk_model *m, const char *name);

/* A CXL RAM region. auto: assembled and probed at boot (its dax device
 * binds kmem at once). Otherwise committed and waiting for cxl_region. */
int sk_model_add_region(sk_model *m, int node, uint64_t size, bool spm_node, bool auto_region, bool private_mem);
/* The same, with the private v3 creation state: private_type (NULL or ""
 * unset) and whether commit was written yet. */
typedef struct sk_region_spec {
        int node;
        uint64_t size;
        bool spm_node, auto_region, private_mem, uncommitted;
        const char *private_type;
} sk_region_spec;
int sk_model_add_region_spec(sk_model *m, const sk_region_spec *spec);
int sk_model_remove_region(sk_model *m, unsigned id);

/* modprobe kmem: the driver registers ("add" uevents for the module and
 * the driver) and its attach pass binds every unbound device it matches
 * (its ID list is empty, so: the KMEM-flagged ones). A device already on
 * device_dax stays there. 0 also when it was loaded already. */
int sk_model_load_kmem(sk_model *m);

int sk_model_find_dax(const sk_model *m, const char *name);
int sk_model_find_region(const sk_model *m, unsigned id);

/* ---- stores, one per writable file; buf/len are what write(2) got ---- */
/* The memoryN/state vocabulary, with sysfs_streq(); -EINVAL otherwise. */
int sk_online_from_buf(const char *buf, size_t len);
int sk_store_auto_online(sk_model *m, const char *buf, size_t len);
int sk_store_block_state(sk_model *m, size_t block, const char *buf, size_t len);
int sk_store_block_online(sk_model *m, size_t block, const char *buf, size_t len);
int sk_store_new_id(sk_model *m, sk_driver drv, const char *buf, size_t len);
int sk_store_remove_id(sk_model *m, sk_driver drv, const char *buf, size_t len);
int sk_store_bind(sk_model *m, sk_driver drv, const char *buf, size_t len);
int sk_store_unbind(sk_model *m, sk_driver drv, const char *buf, size_t len);
int sk_store_spm_node(sk_model *m, size_t dax, const char *buf, size_t len);
int sk_store_memmap(sk_model *m, size_t dax, const char *buf, size_t len);
int sk_store_devstate(sk_model *m, size_t dax, const char *buf, size_t len);
int sk_store_region_spm_node(sk_model *m, size_t region, const char *buf, size_t len);
int sk_store_region_bind(sk_model *m, const char *buf, size_t len);
/* private v3: EBUSY once committed, EINVAL for an empty word */
int sk_store_region_private_type(sk_model *m, size_t region, const char *buf, size_t len);
/* "1" commits an uncommitted region; a committed one refuses (EBUSY) */
int sk_store_region_commit(sk_model *m, size_t region, const char *buf, size_t len);
bool sk_region_is_private(const sk_model *m, size_t region);
int sk_store_region_unbind(sk_model *m, const char *buf, size_t len);

int sk_cgroup_mkdir(sk_model *m, const char *path);
int sk_cgroup_rmdir(sk_model *m, const char *path);
int sk_cgroup_find(const sk_model *m, const char *path);
int sk_store_subtree_control(sk_model *m, size_t cg, const char *buf, size_t len);
int sk_store_cpuset_mems(sk_model *m, size_t cg, const char *buf, size_t len);
/* Whether cgroup cg has the cpuset files (root always, else the parent
 * delegates cpuset). */
bool sk_cgroup_has_cpuset(const sk_model *m, size_t cg);
/* Controllers offered to cg (its cgroup.controllers). */
unsigned sk_cgroup_controllers(const sk_model *m, size_t cg);
bool sk_has_mems_sysram(const sk_model *m);
/* The name of the derived sysram view file ("cpuset.mems.sysram", or SPM
 * v1's "cpuset.mems.default"), NULL when the kernel has none. */
const char *sk_sysram_file(const sk_model *m);
/* The name of the dax/CXL region mark ("spm_node", or SPM v1's
 * "protected_memory"), NULL when the kernel has no SPM marking. */
const char *sk_mark_file(const sk_model *m);
spm_nodemask sk_cgroup_sysram(const sk_model *m, size_t cg);
spm_nodemask sk_cgroup_effective(const sk_model *m, size_t cg);

/* ---- derived state ---- */
typedef enum sk_nodelist {
        SK_LIST_POSSIBLE,
        SK_LIST_ONLINE,
        SK_LIST_HAS_MEMORY,
        SK_LIST_HAS_NORMAL,
        SK_LIST_HAS_CPU,
        SK_LIST_HAS_PRIVATE,
        _SK_LIST_MAX,
} sk_nodelist;

spm_nodemask sk_node_list(const sk_model *m, sk_nodelist which);
bool sk_node_online_memory(const sk_model *m, unsigned node);
uint64_t sk_node_online_bytes(const sk_model *m, unsigned node);
/* "Normal Movable" style, for memoryN/valid_zones. */
const char *sk_block_valid_zones(const sk_model *m, size_t block, char *buf, size_t size);
/* Tier id of each node with online memory; -1 when in none. */
int sk_node_tier(const sk_model *m, unsigned node);
bool sk_tier_exists(const sk_model *m, unsigned tier, spm_nodemask *ret_nodes);
bool sk_tier_exists_except(const sk_model *m, unsigned tier, unsigned node);
/* Whether the whole-device attribute exists, and its file name. */
const char *sk_dax_devstate_file(const sk_model *m, size_t dax);
const char *sk_dax_devstate_string(const sk_model *m, size_t dax);

/* Paths, relative to the sysfs root, without leading slash. */
char *sk_dax_devpath(const sk_model *m, size_t dax);
char *sk_dax_region_dir(const sk_model *m, size_t dax);
char *sk_region_devpath(const sk_model *m, size_t region);

/* ---- events ---- */
/* Take the queued events (caller frees with sk_uevents_free). */
sk_uevent *sk_model_take_events(sk_model *m, size_t *ret_n);
void sk_uevents_free(sk_uevent *e, size_t n);
/* Queue one event as given (a write to a device's uevent file). env holds
 * up to SK_EVENT_ENV_MAX "KEY=value" strings, NULL-terminated or full. */
int sk_model_emit(sk_model *m, const char *action, const char *subsystem, const char *devpath, char *const *env);
/* Raise n "change" events on existing memory blocks (fault: a burst). */
int sk_model_burst(sk_model *m, unsigned n);

/* ---- parsers that behave like the kernel's ---- */
int sk_kstrtobool(const char *s, bool *ret);
/* The same for a written buffer (not NUL-terminated). */
int sk_kstrtobool_buf(const char *buf, size_t len, bool *ret);
/* bitmap_parselist() as cpuset.mems uses it, nbits = limit. */
int sk_parse_nodelist(const char *s, unsigned limit, spm_nodemask *ret);
/* "%*pbl" */
void sk_format_nodelist(const spm_nodemask *m, char *buf, size_t size);
bool sk_sysfs_streq(const char *buf, size_t len, const char *word);

const char *sk_marking_to_string(sk_marking v);
int sk_marking_from_string(const char *s);
const char *sk_hotplug_to_string(sk_hotplug v);
int sk_hotplug_from_string(const char *s);
const char *sk_online_to_string(sk_online v);
int sk_online_from_string(const char *s);
const char *sk_driver_to_string(sk_driver d);
const char *sk_provider_to_string(sk_provider p);
int sk_provider_from_string(const char *s);
