/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The topology snapshot against every fixture tree in tests/fixtures, field
 * by field. The expected values below are written out by hand from what
 * make-fixtures.py puts in each tree, so a change on either side shows up
 * as a mismatch here.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "paths.h"
#include "tap.h"
#include "topology.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* The expected tables start from shared defaults and override a few
 * fields per case. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

typedef struct exp_node {
        unsigned id;
        uint64_t total_kb, free_kb;
        const char *cpulist;
        unsigned distance[4];
        size_t n_distance;
        size_t n_blocks;
} exp_node;

typedef struct exp_dax {
        const char *name;
        const char *path;           /* below the fixture's sys/, NULL: no syspath */
        spm_provider provider;
        int region_id;
        const char *cxl_region;
        int target_node, numa_node;
        uint64_t size;
        bool resource_present;
        uint64_t resource;
        uint64_t align;
        spm_dax_range ranges[4];
        size_t n_ranges;
        int memmap_on_memory;
        const char *modalias;
        const char *driver;
        int spm_node, protected_memory;
        spm_dax_hotplug_attr hotplug_attr;
        const char *hotplug_raw;
        spm_dax_state hotplug_state;
        unsigned blocks[16];
        size_t n_blocks, n_blocks_online;
} exp_dax;

typedef struct exp_region {
        const char *name, *uuid, *mode;
        uint64_t size;
        bool resource_present;
        uint64_t resource;
        int spm_node, protected_memory;
        const char *private_type, *driver;
        const char *targets[4];     /* NULL-terminated */
        const char *serials[4];
        const char *dax_device;
} exp_region;

/* A run of memory blocks first..last that look alike. phys_index is
 * always the block id: fixtures print it so, and a missing or unparsable
 * one falls back to the id. */
typedef struct exp_blocks {
        unsigned first, last;
        spm_block_state state;
        const char *zones;
        int node;
        int removable;
        const char *dax;            /* owning device, NULL none */
} exp_blocks;

typedef struct exp_topology {
        const char *fixture;
        const char *possible, *online, *has_memory, *has_normal_memory, *has_cpu;
        bool has_private_memory_present;
        const char *has_private_memory;
        exp_node nodes[4];
        size_t n_nodes;
        exp_dax dax[4];
        size_t n_dax;
        exp_region regions[3];
        size_t n_regions;
        uint64_t block_size;
        spm_online_type auto_online;
        exp_blocks blocks[10];
        size_t n_block_runs;
        unsigned n_unreadable;
} exp_topology;

/* ---- pieces most fixtures share (make-fixtures.py: base_host) ---------- */

#define NODE0(dist...) { .id = 0, .total_kb = 495736, .free_kb = 301212, .cpulist = "0", \
                .distance = { dist }, .n_distance = ELEMENTSOF(((unsigned[]) { dist })), .n_blocks = 4 }
#define NODE1(dist...) { .id = 1, .total_kb = 503888, .free_kb = 412560, .cpulist = "1", \
                .distance = { dist }, .n_distance = ELEMENTSOF(((unsigned[]) { dist })), .n_blocks = 4 }
#define NODE2(total, free, nblocks) { .id = 2, .total_kb = total, .free_kb = free, .cpulist = "", \
                .distance = { 20, 20, 10 }, .n_distance = 3, .n_blocks = nblocks }
#define NODES_3(total2, free2, nblocks2) \
        .nodes = { NODE0(10, 20, 20), NODE1(20, 10, 20), NODE2(total2, free2, nblocks2) }, .n_nodes = 3
#define NODES_2 .nodes = { NODE0(10, 20), NODE1(20, 10) }, .n_nodes = 2

#define BOOT_BLOCKS                                                                     \
        { 0, 0, SPM_BLOCK_ONLINE, "none", 0, 1, NULL },                                 \
        { 1, 3, SPM_BLOCK_ONLINE, "DMA32", 0, 1, NULL },                                \
        { 4, 7, SPM_BLOCK_ONLINE, "DMA32", 1, 1, NULL }

#define PMEM_PATH "devices/LNXSYSTM:00/LNXSYBUS:00/ACPI0012:00/ndbus0/region0/dax0.0/dax0.0"
#define CXL_ROOT "devices/platform/ACPI0017:00/root0"

/* The NVDIMM namespace: 1022 MiB at 5 GiB + 2 MiB, blocks 41-47 under kmem. */
#define PMEM_DAX(...) {                                                                 \
                .name = "dax0.0", .path = PMEM_PATH, .provider = SPM_PROVIDER_PMEM,     \
                .region_id = 0, .numa_node = 0, .size = 1022 * MiB,                     \
                .resource_present = true, .resource = 0x140200000, .align = 2 * MiB,    \
                .ranges = { { 0x140200000, 0x17fffffff, 0 } }, .n_ranges = 1,           \
                .memmap_on_memory = 0, .modalias = "dax:t0",                            \
                .spm_node = -1, .protected_memory = -1,                                 \
                __VA_ARGS__ }
#define PMEM_BLOCKS .blocks = { 41, 42, 43, 44, 45, 46, 47 }, .n_blocks = 7

/* The soft-reserved range: 512 MiB at 6 GiB, blocks 48-51. */
#define HMEM_DAX(...) {                                                                 \
                .name = "dax1.0", .path = "devices/platform/hmem.1/dax1.0",             \
                .provider = SPM_PROVIDER_HMEM, .region_id = 1, .numa_node = 0,          \
                .size = 512 * MiB, .resource_present = true, .resource = 0x180000000,   \
                .align = 2 * MiB, .ranges = { { 0x180000000, 0x19fffffff, 0 } },        \
                .n_ranges = 1, .memmap_on_memory = 0, .modalias = "dax:t0",             \
                .spm_node = -1, .protected_memory = -1,                                 \
                __VA_ARGS__ }

/* ---- the checker --------------------------------------------------------- */

static char *fixture_sys(const char *fixture) {
        char *p;

        if (asprintf(&p, "%s/fixtures/%s/sys", tap_srcdir(), fixture) < 0)
                abort();
        return p;
}

static spm_topology *load(const char *fixture) {
        _cleanup_free_ char *sys = fixture_sys(fixture);
        spm_topology *t = NULL;
        int r;

        r = spm_topology_load_from(sys, &t);
        CHECK_INT(r, 0);
        if (r < 0)
                return NULL;
        CHECK(t);
        return t;
}

static int dax_index_of(const spm_topology *t, const char *name) {
        for (size_t i = 0; i < t->n_dax; i++)
                if (streq_ptr(t->dax[i].name, name))
                        return (int) i;
        return -1;
}

static void check_node(const spm_node *n, const exp_node *e) {
        printf("# node%u\n", e->id);
        CHECK_INT(n->id, e->id);
        CHECK(n->online);
        CHECK_U64(n->mem_total_kb, e->total_kb);
        CHECK_U64(n->mem_free_kb, e->free_kb);
        CHECK_STREQ(n->cpulist, e->cpulist);
        CHECK_INT(n->n_distance, e->n_distance);
        if (n->n_distance == e->n_distance)
                for (size_t i = 0; i < e->n_distance; i++)
                        CHECK_INT(n->distance[i], e->distance[i]);
        if (e->n_distance == 0)
                CHECK(!n->distance);
        CHECK_INT(n->n_blocks, e->n_blocks);
}

static void check_dax(const spm_topology *t, const char *sysroot, const spm_dax_device *d, const exp_dax *e) {
        printf("# %s\n", e->name);
        CHECK_STREQ(d->name, e->name);
        if (e->path) {
                _cleanup_free_ char *want = NULL;
                if (asprintf(&want, "%s/%s", sysroot, e->path) < 0)
                        abort();
                CHECK_STREQ(d->syspath, want);
        } else
                CHECK(!d->syspath);
        CHECK_INT(d->provider, e->provider);
        CHECK_INT(d->region_id, e->region_id);
        CHECK_STREQ(d->cxl_region, e->cxl_region);
        CHECK_INT(d->target_node, e->target_node);
        CHECK_INT(d->numa_node, e->numa_node);
        CHECK_U64(d->size, e->size);
        CHECK_INT(d->resource_present, e->resource_present);
        CHECK_U64(d->resource, e->resource);
        CHECK_U64(d->align, e->align);
        CHECK_INT(d->n_ranges, e->n_ranges);
        if (d->n_ranges == e->n_ranges)
                for (size_t i = 0; i < e->n_ranges; i++) {
                        CHECK_U64(d->ranges[i].start, e->ranges[i].start);
                        CHECK_U64(d->ranges[i].end, e->ranges[i].end);
                        CHECK_U64(d->ranges[i].page_offset, e->ranges[i].page_offset);
                }
        CHECK_INT(d->memmap_on_memory, e->memmap_on_memory);
        CHECK_STREQ(d->modalias, e->modalias);
        CHECK_STREQ(d->driver, e->driver);
        CHECK_INT(d->spm_node, e->spm_node);
        CHECK_INT(d->protected_memory, e->protected_memory);
        CHECK_INT(d->hotplug_attr, e->hotplug_attr);
        CHECK_STREQ(d->hotplug_raw, e->hotplug_raw);
        CHECK_INT(d->hotplug_state, e->hotplug_state);

        /* blocks are indices into t->blocks, in id order */
        CHECK_INT(d->n_blocks, e->n_blocks);
        if (d->n_blocks == e->n_blocks)
                for (size_t i = 0; i < e->n_blocks; i++) {
                        CHECK(d->blocks[i] < t->n_blocks);
                        if (d->blocks[i] < t->n_blocks)
                                CHECK_INT(t->blocks[d->blocks[i]].id, e->blocks[i]);
                }
        if (e->n_blocks == 0)
                CHECK(!d->blocks);
        CHECK_INT(d->n_blocks_online, e->n_blocks_online);
}

static void check_strv(char **l, const char *const *want) {
        size_t n = 0;

        CHECK(l);
        if (!l)
                return;
        for (; want[n]; n++) {
                CHECK(l[n]);
                if (!l[n])
                        return;
                CHECK_STREQ(l[n], want[n]);
        }
        CHECK_STREQ(l[n], NULL);
}

static void check_region(const spm_cxl_region *g, const exp_region *e) {
        printf("# %s\n", e->name);
        CHECK_STREQ(g->name, e->name);
        CHECK_STREQ(g->uuid, e->uuid);
        CHECK_STREQ(g->mode, e->mode);
        CHECK_U64(g->size, e->size);
        CHECK_INT(g->resource_present, e->resource_present);
        CHECK_U64(g->resource, e->resource);
        CHECK_INT(g->spm_node, e->spm_node);
        CHECK_INT(g->protected_memory, e->protected_memory);
        CHECK_STREQ(g->private_type, e->private_type);
        CHECK_STREQ(g->driver, e->driver);
        check_strv(g->targets, e->targets);
        check_strv(g->memdev_serials, e->serials);
        CHECK_STREQ(g->dax_device, e->dax_device);
}

static void check_blocks(const spm_topology *t, const exp_topology *e) {
        size_t k = 0;

        for (size_t r = 0; r < e->n_block_runs; r++) {
                const exp_blocks *x = &e->blocks[r];

                for (unsigned id = x->first; id <= x->last; id++, k++) {
                        const spm_memblock *b;

                        CHECK(k < t->n_blocks);
                        if (k >= t->n_blocks)
                                return;
                        b = &t->blocks[k];
                        CHECK_INT(b->id, id);
                        CHECK_INT(b->state, x->state);
                        CHECK_STREQ(b->valid_zones, x->zones);
                        CHECK_U64(b->phys_index, id);
                        CHECK_INT(b->node, x->node);
                        CHECK_INT(b->removable, x->removable);
                        CHECK_INT(b->dax_index, x->dax ? dax_index_of(t, x->dax) : -1);
                        if (x->dax)
                                CHECK(b->dax_index >= 0);
                }
        }
        CHECK_INT(t->n_blocks, k);
}

static void check_topology(const exp_topology *e) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_free_ char *sys = fixture_sys(e->fixture);
        char sysroot[PATH_MAX];

        CHECK(realpath(sys, sysroot));
        t = load(e->fixture);
        if (!t)
                return;

        CHECK_MASK(t->possible, e->possible);
        CHECK_MASK(t->online, e->online);
        CHECK_MASK(t->has_memory, e->has_memory);
        CHECK_MASK(t->has_normal_memory, e->has_normal_memory);
        CHECK_MASK(t->has_cpu, e->has_cpu);
        CHECK_INT(t->has_private_memory_present, e->has_private_memory_present);
        CHECK_MASK(t->has_private_memory, e->has_private_memory ?: "");

        CHECK_INT(t->n_nodes, e->n_nodes);
        if (t->n_nodes == e->n_nodes)
                for (size_t i = 0; i < e->n_nodes; i++)
                        check_node(&t->nodes[i], &e->nodes[i]);

        CHECK_INT(t->n_dax, e->n_dax);
        if (t->n_dax == e->n_dax)
                for (size_t i = 0; i < e->n_dax; i++)
                        check_dax(t, sysroot, &t->dax[i], &e->dax[i]);

        CHECK_INT(t->n_regions, e->n_regions);
        if (t->n_regions == e->n_regions)
                for (size_t i = 0; i < e->n_regions; i++)
                        check_region(&t->regions[i], &e->regions[i]);

        CHECK_U64(t->block_size, e->block_size);
        CHECK_INT(t->auto_online, e->auto_online);
        check_blocks(t, e);

        /* Each node's block list is ascending and agrees with the node the
         * block itself names. */
        for (size_t i = 0; i < t->n_nodes; i++)
                for (size_t k = 0; k < t->nodes[i].n_blocks; k++) {
                        const spm_memblock *b = spm_topology_find_block(t, t->nodes[i].block_ids[k]);

                        if (k > 0)
                                CHECK(t->nodes[i].block_ids[k - 1] < t->nodes[i].block_ids[k]);
                        if (b)
                                CHECK_INT(b->node, (int) t->nodes[i].id);
                }

        CHECK_INT(t->n_unreadable, e->n_unreadable);
}

/* ---- one case per fixture ------------------------------------------------ */

static void test_stock_6_12(void) {
        static const exp_topology e = {
                .fixture = "stock-6.12",
                .possible = "0-3", .online = "0-2", .has_memory = "0-1",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(0, 0, 4),
                .dax = {
                        PMEM_DAX(.target_node = 3, .driver = "device_dax"),
                        HMEM_DAX(.target_node = 2, .driver = "kmem",
                                 .blocks = { 48, 49, 50, 51 }, .n_blocks = 4, .n_blocks_online = 0),
                },
                .n_dax = 2,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,
                .blocks = { BOOT_BLOCKS, { 48, 51, SPM_BLOCK_OFFLINE, "Normal Movable", 2, 1, "dax1.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

static void test_stock_6_1(void) {
        static const exp_topology e = {
                .fixture = "stock-6.1",
                .possible = "0-3", .online = "0-2", .has_memory = "0-2",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(917504, 843776, 7),
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem", .memmap_on_memory = -1,
                                 PMEM_BLOCKS, .n_blocks_online = 7),
                        HMEM_DAX(.target_node = 3, .driver = "device_dax", .memmap_on_memory = -1),
                },
                .n_dax = 2,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_OFFLINE,
                .blocks = { BOOT_BLOCKS, { 41, 47, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

static void test_spm_v1(void) {
        static const exp_topology e = {
                .fixture = "spm-v1",
                .possible = "0-2", .online = "0-2", .has_memory = "0-2",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(917504, 917504, 7),
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem", .protected_memory = 1,
                                 PMEM_BLOCKS, .n_blocks_online = 7),
                },
                .n_dax = 1,
                .regions = {
                        { .name = "region1", .uuid = "", .mode = "ram", .size = 256 * MiB,
                          .resource_present = true, .resource = 0x1c0000000,
                          .spm_node = -1, .protected_memory = 0,
                          .targets = { "decoder2.0" }, .serials = { "0x5a17c0de" } },
                },
                .n_regions = 1,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,
                .blocks = { BOOT_BLOCKS, { 41, 47, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

static void test_spm_v2(void) {
        static const exp_topology e = {
                .fixture = "spm-v2",
                .possible = "0-3", .online = "0-2", .has_memory = "0-2",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(917504, 849920, 7),
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem", .spm_node = 1,
                                 PMEM_BLOCKS, .n_blocks_online = 7),
                        HMEM_DAX(.target_node = 2, .spm_node = 0),
                        { .name = "dax2.0", .path = CXL_ROOT "/decoder0.0/region2/dax_region2/dax2.0",
                          .provider = SPM_PROVIDER_CXL, .region_id = 2, .cxl_region = "region2",
                          .target_node = 3, .numa_node = 0, .size = 2 * GiB,
                          .resource_present = true, .resource = 0x200000000, .align = 2 * MiB,
                          .ranges = { { 0x200000000, 0x27fffffff, 0 } }, .n_ranges = 1,
                          .memmap_on_memory = 0, .modalias = "dax:t0",
                          .spm_node = 1, .protected_memory = -1 },
                },
                .n_dax = 3,
                .regions = {
                        { .name = "region2", .uuid = "", .mode = "ram", .size = 2 * GiB,
                          .resource_present = true, .resource = 0x200000000,
                          .spm_node = 1, .protected_memory = -1, .driver = "cxl_region",
                          .targets = { "decoder5.0", "decoder6.0" },
                          .serials = { "0x1a2b3c4d", "0x1a2b3c4e" }, .dax_device = "dax2.0" },
                        { .name = "region3", .uuid = "8f3c1d52-6a47-4c0e-9b1a-2f5d7e9c4a10",
                          .mode = "pmem", .size = 512 * MiB,
                          .resource_present = true, .resource = 0x300000000,
                          .spm_node = 0, .protected_memory = -1, .driver = "cxl_region",
                          .targets = { "decoder7.0" }, .serials = { "0x77" } },
                },
                .n_regions = 2,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,
                .blocks = { BOOT_BLOCKS, { 41, 47, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

#define PRIVATE_TOPOLOGY(fixture_, mode_, type_)                                       \
        {                                                                               \
                .fixture = fixture_,                                                    \
                .possible = "0-2", .online = "0-2", .has_memory = "0-1",                \
                .has_normal_memory = "0-1", .has_cpu = "0-1",                           \
                .has_private_memory_present = true, .has_private_memory = "2",         \
                NODES_3(1048576, 1048576, 8),                                           \
                .dax = {                                                                \
                        { .name = "dax0.0", .path = CXL_ROOT "/decoder0.0/region0/dax_region0/dax0.0", \
                          .provider = SPM_PROVIDER_CXL, .region_id = 0, .cxl_region = "region0", \
                          .target_node = 2, .numa_node = 0, .size = GiB,                \
                          .resource_present = true, .resource = 0x100000000, .align = 2 * MiB, \
                          .ranges = { { 0x100000000, 0x13fffffff, 0 } }, .n_ranges = 1, \
                          .memmap_on_memory = 0, .modalias = "dax:t0", .driver = "kmem", \
                          .spm_node = -1, .protected_memory = -1,                       \
                          .blocks = { 32, 33, 34, 35, 36, 37, 38, 39 }, .n_blocks = 8,  \
                          .n_blocks_online = 8 },                                       \
                },                                                                      \
                .n_dax = 1,                                                             \
                .regions = {                                                            \
                        { .name = "region0", .uuid = "", .mode = mode_, .size = GiB, \
                          .resource_present = true, .resource = 0x100000000,            \
                          .spm_node = -1, .protected_memory = -1, .private_type = type_, \
                          .driver = "cxl_region", .targets = { "decoder3.0" },          \
                          .serials = { "0xc0ffee" }, .dax_device = "dax0.0" },          \
                },                                                                      \
                .n_regions = 1,                                                         \
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,              \
                .blocks = { BOOT_BLOCKS, { 32, 39, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" } }, \
                .n_block_runs = 4,                                                      \
        }

static void test_private_v3(void) {
        static const exp_topology e = PRIVATE_TOPOLOGY("private-v3", "private", "zswap");
        check_topology(&e);
}

static void test_private_v4(void) {
        static const exp_topology e = PRIVATE_TOPOLOGY("private-v4", "ram", NULL);
        check_topology(&e);
}

static void test_hotplug_v2(void) {
        static const exp_topology e = {
                .fixture = "hotplug-v2",
                .possible = "0-2", .online = "0-1", .has_memory = "0-1",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_2,
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem",
                                 .hotplug_attr = SPM_DAX_HOTPLUG_HOTPLUG, .hotplug_raw = "unplugged",
                                 .hotplug_state = SPM_DAX_STATE_UNPLUGGED),
                },
                .n_dax = 1,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_OFFLINE,
                .blocks = { BOOT_BLOCKS },
                .n_block_runs = 3,
        };
        check_topology(&e);
}

static void test_hotplug_v4(void) {
        static const exp_topology e = {
                .fixture = "hotplug-v4",
                .possible = "0-2", .online = "0-2", .has_memory = "0-1",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(0, 0, 7),
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem",
                                 .hotplug_attr = SPM_DAX_HOTPLUG_HOTPLUG, .hotplug_raw = "offline",
                                 .hotplug_state = SPM_DAX_STATE_OFFLINE,
                                 PMEM_BLOCKS, .n_blocks_online = 0),
                },
                .n_dax = 1,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_OFFLINE,
                .blocks = { BOOT_BLOCKS, { 41, 47, SPM_BLOCK_OFFLINE, "Normal Movable", 2, 1, "dax0.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

static void test_hotplug_v7(void) {
        static const exp_topology e = {
                .fixture = "hotplug-v7",
                .possible = "0-2", .online = "0-2", .has_memory = "0-2",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(917504, 917504, 7),
                .dax = {
                        PMEM_DAX(.target_node = 2, .driver = "kmem",
                                 .hotplug_attr = SPM_DAX_HOTPLUG_STATE, .hotplug_raw = "online_movable",
                                 .hotplug_state = SPM_DAX_STATE_ONLINE_MOVABLE,
                                 PMEM_BLOCKS, .n_blocks_online = 7),
                },
                .n_dax = 1,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_OFFLINE,
                .blocks = { BOOT_BLOCKS, { 41, 47, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" } },
                .n_block_runs = 4,
        };
        check_topology(&e);
}

static void test_multi_range(void) {
        static const exp_topology e = {
                .fixture = "multi-range",
                .possible = "0-2", .online = "0-2", .has_memory = "0-2",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_3(786432, 786432, 7),
                .dax = {
                        { .name = "dax0.0", .path = "devices/platform/hmem.0/dax0.0",
                          .provider = SPM_PROVIDER_HMEM, .region_id = 0, .target_node = 2,
                          .numa_node = 0, .size = 384 * MiB,
                          /* resource is mapping0's start, not the lowest address;
                           * ranges stay in mappingN order */
                          .resource_present = true, .resource = 0x130000000, .align = 2 * MiB,
                          .ranges = { { 0x130000000, 0x137ffffff, 0 },
                                      { 0x100000000, 0x10fffffff, 0x8000000 } },
                          .n_ranges = 2, .memmap_on_memory = 0, .modalias = "dax:t0",
                          .driver = "kmem", .spm_node = -1, .protected_memory = -1,
                          /* not 34-37: they lie between the two ranges */
                          .blocks = { 32, 33, 38 }, .n_blocks = 3, .n_blocks_online = 3 },
                        { .name = "dax0.1", .path = "devices/platform/hmem.0/dax0.1",
                          .provider = SPM_PROVIDER_HMEM, .region_id = 0, .target_node = 2,
                          .numa_node = 0, .size = 256 * MiB,
                          .resource_present = true, .resource = 0x110000000, .align = 2 * MiB,
                          .ranges = { { 0x110000000, 0x11fffffff, 0 } }, .n_ranges = 1,
                          .memmap_on_memory = 0, .modalias = "dax:t0", .driver = "kmem",
                          .spm_node = -1, .protected_memory = -1,
                          .blocks = { 34, 35 }, .n_blocks = 2, .n_blocks_online = 2 },
                },
                .n_dax = 2,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,
                .blocks = {
                        BOOT_BLOCKS,
                        { 32, 33, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" },
                        { 34, 35, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.1" },
                        { 36, 37, SPM_BLOCK_OFFLINE, "Normal Movable", 2, 1, NULL },
                        { 38, 38, SPM_BLOCK_ONLINE, "Movable", 2, 1, "dax0.0" },
                },
                .n_block_runs = 7,
        };
        check_topology(&e);
}

static void test_cgroup_v1(void) {
        static const exp_topology e = {
                .fixture = "cgroup-v1",
                .possible = "0-1", .online = "0-1", .has_memory = "0-1",
                .has_normal_memory = "0-1", .has_cpu = "0-1",
                NODES_2,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_ONLINE,
                .blocks = { BOOT_BLOCKS },
                .n_block_runs = 3,
        };
        check_topology(&e);
}

static void test_malformed(void) {
        static const exp_topology e = {
                .fixture = "malformed",
                .possible = "0-1023",
                .online = "",                   /* "0-1024": out of range, unreadable */
                .has_memory = "",               /* "banana" */
                .has_normal_memory = "",        /* empty file: a valid empty list */
                .has_cpu = "",                  /* missing */
                .has_private_memory_present = false, /* NUL byte */
                .nodes = {
                        /* meminfo "banana", no cpulist, distance "10 banana" */
                        { .id = 0, .n_blocks = 2 },
                        /* MemTotal too large, MemFree negative, distance 300 */
                        { .id = 1, .cpulist = "1", .n_blocks = 5 },
                },
                .n_nodes = 2,
                .dax = {
                        { .name = "dax0.0", .path = "devices/platform/hmem.0/dax0.0",
                          .provider = SPM_PROVIDER_HMEM, .region_id = -1, .target_node = -1,
                          .numa_node = -1,
                          /* only mapping3 has both ends in order */
                          .ranges = { { 0x0, 0x3fffffff, 0 } }, .n_ranges = 1,
                          .memmap_on_memory = -1, .spm_node = -1, .protected_memory = -1,
                          .hotplug_attr = SPM_DAX_HOTPLUG_STATE, .hotplug_raw = "banana",
                          .hotplug_state = SPM_DAX_STATE_UNKNOWN,
                          .blocks = { 0, 1, 2, 3, 4, 5, 6, 7 }, .n_blocks = 8, .n_blocks_online = 3 },
                        { .name = "dax1.0", .path = "devices/virtual/weird/dax1.0",
                          .provider = SPM_PROVIDER_UNKNOWN, .region_id = -1, .target_node = -1,
                          .numa_node = -1, .memmap_on_memory = -1, .spm_node = -1,
                          .protected_memory = -1 },
                        /* dax2.0's bus link dangles: left out */
                },
                .n_dax = 2,
                .regions = {
                        { .name = "region0", .spm_node = -1, .protected_memory = -1,
                          .driver = "cxl_region", .targets = { "decoder9.9" } },
                        /* region5's bus link dangles: left out */
                },
                .n_regions = 1,
                .block_size = 128 * MiB, .auto_online = SPM_ONLINE_INVALID,
                .blocks = {
                        { 0, 0, SPM_BLOCK_ONLINE, "Normal", 0, 1, "dax0.0" },
                        { 1, 1, SPM_BLOCK_UNKNOWN, "Normal", 0, 1, "dax0.0" },         /* "banana" */
                        { 2, 3, SPM_BLOCK_ONLINE, "Normal", 1, 1, "dax0.0" },          /* no / huge phys_index */
                        { 4, 4, SPM_BLOCK_OFFLINE, "", 1, -1, "dax0.0" },              /* removable "banana" */
                        { 5, 5, SPM_BLOCK_UNKNOWN, "Movable", -1, 1, "dax0.0" },       /* empty state, no node */
                        { 6, 6, SPM_BLOCK_UNKNOWN, "Movable", 1, 1, "dax0.0" },        /* NUL in state */
                        { 7, 7, SPM_BLOCK_GOING_OFFLINE, "Movable", 1, 1, "dax0.0" },
                        /* memory9 and memory10 cannot be opened: left out */
                },
                .n_block_runs = 7,
                /*
                 * node lists: online, has_memory, has_private_memory (3);
                 * node0 distance, node1 meminfo, node1 distance (3);
                 * auto_online_blocks (1); blocks: memory1 state, memory2
                 * phys_index missing, memory3 phys_index, memory4 removable,
                 * memory5 state, memory6 state (6); dax0.0: dax_region/id,
                 * target_node, size, resource, align, modalias,
                 * memmap_on_memory, spm_node, dangling driver, mapping1,
                 * mapping2 start, state (12); region0: uuid, size, resource,
                 * spm_node (4).
                 */
                .n_unreadable = 3 + 3 + 1 + 6 + 12 + 4,
        };
        check_topology(&e);
}

static void test_empty(void) {
        static const exp_topology e = {
                .fixture = "empty",
                .possible = "", .online = "", .has_memory = "", .has_normal_memory = "", .has_cpu = "",
                .auto_online = SPM_ONLINE_INVALID,
        };
        check_topology(&e);
}

/* ---- helpers, attribution, odd roots --------------------------------------- */

static void test_find(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = load("spm-v2");
        const spm_memblock *b;

        if (!t)
                return;

        CHECK(spm_topology_find_node(t, 0) == &t->nodes[0]);
        CHECK(spm_topology_find_node(t, 2) == &t->nodes[2]);
        CHECK(!spm_topology_find_node(t, 3));           /* possible, not online */
        CHECK(!spm_topology_find_node(t, 1023));

        CHECK(spm_topology_find_dax(t, "dax1.0") == &t->dax[1]);
        CHECK(spm_topology_find_dax(t, "dax2.0") == &t->dax[2]);
        CHECK(!spm_topology_find_dax(t, "dax9.9"));
        CHECK(!spm_topology_find_dax(t, "dax2"));

        CHECK(spm_topology_find_region(t, "region3") == &t->regions[1]);
        CHECK(!spm_topology_find_region(t, "region0"));

        for (size_t i = 0; i < t->n_blocks; i++)
                CHECK(spm_topology_find_block(t, t->blocks[i].id) == &t->blocks[i]);
        b = spm_topology_find_block(t, 47);
        CHECK(b && b->id == 47 && b->node == 2);
        CHECK(!spm_topology_find_block(t, 8));          /* the gap between 7 and 41 */
        CHECK(!spm_topology_find_block(t, 48));
        CHECK(!spm_topology_find_block(t, UINT32_MAX));
}

static void test_find_empty(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = load("empty");

        if (!t)
                return;
        CHECK(!spm_topology_find_node(t, 0));
        CHECK(!spm_topology_find_dax(t, "dax0.0"));
        CHECK(!spm_topology_find_region(t, "region0"));
        CHECK(!spm_topology_find_block(t, 0));
}

static void test_node_blocks(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = load("multi-range");
        _cleanup_free_ size_t *l = NULL;
        int n;

        if (!t)
                return;

        n = spm_topology_node_blocks(t, 2, &l);
        CHECK_INT(n, 7);
        for (int i = 0; i < n && l; i++)
                CHECK_INT(t->blocks[l[i]].id, 32 + i);
        l = mfree(l);

        n = spm_topology_node_blocks(t, 0, &l);
        CHECK_INT(n, 4);
        for (int i = 0; i < n && l; i++)
                CHECK_INT(t->blocks[l[i]].id, i);
        l = mfree(l);

        n = spm_topology_node_blocks(t, 5, &l);
        CHECK_INT(n, 0);
        CHECK(!l);

        /* every node's count matches its memoryN links */
        for (size_t i = 0; i < t->n_nodes; i++) {
                n = spm_topology_node_blocks(t, t->nodes[i].id, &l);
                CHECK_INT(n, t->nodes[i].n_blocks);
                l = mfree(l);
        }
}

/* Every block belongs to at most one device, and a device's list holds
 * exactly the blocks that point back at it. */
static void test_attribution_consistent(void) {
        static const char *const fixtures[] = {
                "stock-6.12", "stock-6.1", "spm-v1", "spm-v2", "private-v3", "private-v4",
                "hotplug-v2", "hotplug-v4", "hotplug-v7", "multi-range", "cgroup-v1",
                "malformed", "empty",
        };

        for (size_t f = 0; f < ELEMENTSOF(fixtures); f++) {
                _cleanup_(spm_topology_freep) spm_topology *t = load(fixtures[f]);
                size_t owned = 0;

                if (!t)
                        continue;
                printf("# %s\n", fixtures[f]);
                for (size_t d = 0; d < t->n_dax; d++) {
                        size_t online = 0;

                        for (size_t i = 0; i < t->dax[d].n_blocks; i++) {
                                const spm_memblock *b = &t->blocks[t->dax[d].blocks[i]];

                                CHECK_INT(b->dax_index, d);
                                if (i > 0)
                                        CHECK(t->blocks[t->dax[d].blocks[i - 1]].id < b->id);
                                online += b->state == SPM_BLOCK_ONLINE;
                        }
                        CHECK_INT(t->dax[d].n_blocks_online, online);
                        owned += t->dax[d].n_blocks;
                }
                for (size_t i = 0; i < t->n_blocks; i++) {
                        owned -= t->blocks[i].dax_index >= 0;
                        if (i > 0)
                                CHECK(t->blocks[i - 1].id < t->blocks[i].id);
                }
                CHECK_INT(owned, 0);
        }
}

/* mkdir -p */
static int mkdir_p_helper(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                return -errno;
                        *s = '/';
                }
        return mkdir(p, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static void write_file(const char *dir, const char *name, const char *text) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        if (asprintf(&p, "%s/%s", dir, name) < 0)
                abort();
        f = fopen(p, "we");
        CHECK(f);
        if (f) {
                fputs(text, f);
                fclose(f);
        }
}

/* Without a usable block size nothing can be attributed. */
static void test_block_size_unusable(void) {
        static const char *const values[] = { "0\n", "banana\n", "0x\n", "\n" };

        for (size_t i = 0; i < ELEMENTSOF(values); i++) {
                _cleanup_(spm_topology_freep) spm_topology *t = NULL;
                _cleanup_free_ char *mem = NULL, *blk = NULL, *dax = NULL, *m0 = NULL;
                char *root = tap_tmpdir();

                if (asprintf(&mem, "%s/devices/system/memory", root) < 0 ||
                    asprintf(&blk, "%s/memory32", mem) < 0 ||
                    asprintf(&dax, "%s/bus/dax/devices/dax0.0", root) < 0 ||
                    asprintf(&m0, "%s/mapping0", dax) < 0)
                        abort();
                CHECK(mkdir_p_helper(blk) == 0 && mkdir_p_helper(m0) == 0);
                write_file(mem, "block_size_bytes", values[i]);
                write_file(blk, "state", "online\n");
                write_file(blk, "phys_index", "00000020\n");
                write_file(m0, "start", "0x100000000\n");
                write_file(m0, "end", "0x10fffffff\n");

                CHECK_INT(spm_topology_load_from(root, &t), 0);
                if (!t)
                        continue;
                CHECK_U64(t->block_size, 0);
                CHECK_INT(t->n_unreadable, 1);
                CHECK_INT(t->n_blocks, 1);
                CHECK_INT(t->n_dax, 1);
                CHECK_INT(t->n_blocks ? t->blocks[0].dax_index : 0, -1);
                CHECK_INT(t->n_dax ? t->dax[0].n_blocks : 1, 0);
        }
}

/* spm_topology_load() reads the root from spm_path(SPM_PATH_SYSFS). */
static void test_load_from_env(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_free_ char *sys = fixture_sys("multi-range");

        CHECK(setenv("SPM_SYSFS_ROOT", sys, 1) == 0);
        spm_paths_reset();
        CHECK_INT(spm_topology_load(&t), 0);
        if (t) {
                CHECK_INT(t->n_nodes, 3);
                CHECK_INT(t->n_dax, 2);
                CHECK_INT(t->n_blocks, 15);
                CHECK_STREQ(t->n_dax ? t->dax[1].name : NULL, "dax0.1");
        }
        CHECK(unsetenv("SPM_SYSFS_ROOT") == 0);
        spm_paths_reset();
}

static void test_bad_root(void) {
        spm_topology *t = NULL;
        _cleanup_free_ char *file = NULL;

        CHECK_INT(spm_topology_load_from("/nonexistent/sys", &t), -ENOENT);
        CHECK(!t);
        if (asprintf(&file, "%s/fixtures/make-fixtures.py", tap_srcdir()) < 0)
                abort();
        CHECK_INT(spm_topology_load_from(file, &t), -ENOTDIR);
        CHECK(!t);
        CHECK(!spm_topology_free(NULL));
}

static void test_strings(void) {
        static const struct { spm_block_state v; const char *s; } bs[] = {
                { SPM_BLOCK_UNKNOWN, "unknown" }, { SPM_BLOCK_OFFLINE, "offline" },
                { SPM_BLOCK_ONLINE, "online" }, { SPM_BLOCK_GOING_OFFLINE, "going-offline" },
        };
        static const struct { spm_online_type v; const char *s; } ot[] = {
                { SPM_ONLINE_OFFLINE, "offline" }, { SPM_ONLINE_ONLINE, "online" },
                { SPM_ONLINE_KERNEL, "online_kernel" }, { SPM_ONLINE_MOVABLE, "online_movable" },
        };
        static const struct { spm_provider v; const char *s; } pr[] = {
                { SPM_PROVIDER_UNKNOWN, "unknown" }, { SPM_PROVIDER_CXL, "cxl" },
                { SPM_PROVIDER_HMEM, "hmem" }, { SPM_PROVIDER_PMEM, "pmem" },
        };
        static const struct { spm_dax_state v; const char *s; } ds[] = {
                { SPM_DAX_STATE_UNKNOWN, "unknown" }, { SPM_DAX_STATE_UNPLUGGED, "unplugged" },
                { SPM_DAX_STATE_OFFLINE, "offline" }, { SPM_DAX_STATE_ONLINE, "online" },
                { SPM_DAX_STATE_ONLINE_KERNEL, "online_kernel" },
                { SPM_DAX_STATE_ONLINE_MOVABLE, "online_movable" },
        };

        CHECK_INT(ELEMENTSOF(bs), _SPM_BLOCK_STATE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(bs); i++) {
                CHECK_STREQ(spm_block_state_to_string(bs[i].v), bs[i].s);
                CHECK_INT(spm_block_state_from_string(bs[i].s), bs[i].v);
        }
        CHECK_STREQ(spm_block_state_to_string(_SPM_BLOCK_STATE_MAX), NULL);
        CHECK_STREQ(spm_block_state_to_string((spm_block_state) -1), NULL);
        CHECK_INT(spm_block_state_from_string("Online"), SPM_BLOCK_UNKNOWN);
        CHECK_INT(spm_block_state_from_string(""), SPM_BLOCK_UNKNOWN);
        CHECK_INT(spm_block_state_from_string(NULL), SPM_BLOCK_UNKNOWN);

        CHECK_INT(ELEMENTSOF(ot), _SPM_ONLINE_TYPE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(ot); i++) {
                CHECK_STREQ(spm_online_type_to_string(ot[i].v), ot[i].s);
                CHECK_INT(spm_online_type_from_string(ot[i].s), ot[i].v);
        }
        CHECK_STREQ(spm_online_type_to_string(SPM_ONLINE_INVALID), NULL);
        CHECK_STREQ(spm_online_type_to_string(_SPM_ONLINE_TYPE_MAX), NULL);
        CHECK_INT(spm_online_type_from_string("unplug"), SPM_ONLINE_INVALID);
        CHECK_INT(spm_online_type_from_string("online "), SPM_ONLINE_INVALID);
        CHECK_INT(spm_online_type_from_string(NULL), SPM_ONLINE_INVALID);

        CHECK_INT(ELEMENTSOF(pr), _SPM_PROVIDER_MAX);
        for (size_t i = 0; i < ELEMENTSOF(pr); i++) {
                CHECK_STREQ(spm_provider_to_string(pr[i].v), pr[i].s);
                CHECK_INT(spm_provider_from_string(pr[i].s), pr[i].v);
        }
        CHECK_STREQ(spm_provider_to_string(_SPM_PROVIDER_MAX), NULL);
        CHECK_INT(spm_provider_from_string("nvdimm"), SPM_PROVIDER_UNKNOWN);

        CHECK_INT(ELEMENTSOF(ds), _SPM_DAX_STATE_MAX);
        for (size_t i = 0; i < ELEMENTSOF(ds); i++) {
                CHECK_STREQ(spm_dax_state_to_string(ds[i].v), ds[i].s);
                CHECK_INT(spm_dax_state_from_string(ds[i].s), ds[i].v);
        }
        CHECK_STREQ(spm_dax_state_to_string(_SPM_DAX_STATE_MAX), NULL);
        /* the v2/v3 write word is not a read value */
        CHECK_INT(spm_dax_state_from_string("unplug"), SPM_DAX_STATE_UNKNOWN);

        CHECK_STREQ(spm_dax_hotplug_attr_to_string(SPM_DAX_HOTPLUG_NONE), "none");
        CHECK_STREQ(spm_dax_hotplug_attr_to_string(SPM_DAX_HOTPLUG_HOTPLUG), "hotplug");
        CHECK_STREQ(spm_dax_hotplug_attr_to_string(SPM_DAX_HOTPLUG_STATE), "state");
        CHECK_STREQ(spm_dax_hotplug_attr_to_string((spm_dax_hotplug_attr) 7), NULL);
}

int main(void) {
        TEST(test_stock_6_12);
        TEST(test_stock_6_1);
        TEST(test_spm_v1);
        TEST(test_spm_v2);
        TEST(test_private_v3);
        TEST(test_private_v4);
        TEST(test_hotplug_v2);
        TEST(test_hotplug_v4);
        TEST(test_hotplug_v7);
        TEST(test_multi_range);
        TEST(test_cgroup_v1);
        TEST(test_malformed);
        TEST(test_empty);
        TEST(test_find);
        TEST(test_find_empty);
        TEST(test_node_blocks);
        TEST(test_attribution_consistent);
        TEST(test_block_size_unusable);
        TEST(test_load_from_env);
        TEST(test_bad_root);
        TEST(test_strings);
        return tap_done();
}
