/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The scoped re-read (lib/topology-patch.c) against a full read of the same
 * tree: on copies of the fixture trees, changed between the two reads, a
 * patch naming what changed must give what a full read gives, field by
 * field; what it may not see (a change nothing named) and when it must
 * give up (-ESTALE) are checked too.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "strutil.h"
#include "tap.h"
#include "topology-patch.h"

static const char *const fixtures[] = {
        "stock-6.12", "stock-6.1", "spm-v1", "spm-v2", "hotplug-v2", "hotplug-v4", "hotplug-v7",
        "private-v3", "private-v4", "multi-range", "malformed", "cgroup-v1", NULL,
};

/* A writable copy of a fixture's sys/ tree (the directory is tap's). */
static char *copy_fixture(const char *name) {
        const char *dir = tap_tmpdir();
        char *cmd = NULL, *sys = NULL;

        if (!dir || asprintf(&cmd, "cp -a '%s/fixtures/%s/sys' '%s/sys'", tap_srcdir(), name, dir) < 0 ||
            system(cmd) != 0 || asprintf(&sys, "%s/sys", dir) < 0)
                sys = NULL;
        free(cmd);
        return sys;
}

static void put(const char *sys, const char *rel, const char *v) {
        char p[4096];
        FILE *f;

        snprintf(p, sizeof p, "%s/%s", sys, rel);
        f = fopen(p, "we");
        CHECK(f);
        if (f) {
                fputs(v, f);
                fclose(f);
        }
}

static bool same_u(const unsigned *a, const unsigned *b, size_t n) {
        return n == 0 || memcmp(a, b, n * sizeof(unsigned)) == 0;
}

/* Field by field, what the planner and the bus see; the counters of
 * unreadable files are those of the last full read by design. */
static void check_equal(const spm_topology *a, const spm_topology *b, const char *what) {
        bool ok = true;

#define SAME(x) do { if (!(x)) { ok = false; tap_fail_at(__FILE__, __LINE__, "%s: %s", what, #x); } } while (0)
        SAME(spm_nodemask_equal(&a->possible, &b->possible));
        SAME(spm_nodemask_equal(&a->online, &b->online));
        SAME(spm_nodemask_equal(&a->has_memory, &b->has_memory));
        SAME(spm_nodemask_equal(&a->has_normal_memory, &b->has_normal_memory));
        SAME(spm_nodemask_equal(&a->has_cpu, &b->has_cpu));
        SAME(a->has_private_memory_present == b->has_private_memory_present);
        SAME(a->block_size == b->block_size && a->auto_online == b->auto_online);

        SAME(a->n_nodes == b->n_nodes);
        for (size_t i = 0; ok && i < a->n_nodes; i++) {
                const spm_node *x = &a->nodes[i], *y = &b->nodes[i];
                SAME(x->id == y->id && x->online == y->online && x->mem_total_kb == y->mem_total_kb &&
                     x->mem_free_kb == y->mem_free_kb && streq_ptr(x->cpulist, y->cpulist));
                SAME(x->n_distance == y->n_distance && same_u(x->distance, y->distance, x->n_distance));
                SAME(x->n_blocks == y->n_blocks && same_u(x->block_ids, y->block_ids, x->n_blocks));
        }

        SAME(a->n_dax == b->n_dax);
        for (size_t i = 0; ok && i < a->n_dax; i++) {
                const spm_dax_device *x = &a->dax[i], *y = &b->dax[i];
                SAME(streq(x->name, y->name) && streq_ptr(x->syspath, y->syspath) && x->provider == y->provider);
                SAME(x->region_id == y->region_id && streq_ptr(x->cxl_region, y->cxl_region));
                SAME(x->target_node == y->target_node && x->numa_node == y->numa_node && x->size == y->size);
                SAME(x->resource_present == y->resource_present && x->resource == y->resource &&
                     x->align == y->align);
                SAME(x->n_ranges == y->n_ranges &&
                     (x->n_ranges == 0 || memcmp(x->ranges, y->ranges, x->n_ranges * sizeof(spm_dax_range)) == 0));
                SAME(x->ranges_restricted == y->ranges_restricted && x->memmap_on_memory == y->memmap_on_memory);
                SAME(streq_ptr(x->modalias, y->modalias) && streq_ptr(x->driver, y->driver));
                SAME(x->spm_node == y->spm_node && x->protected_memory == y->protected_memory);
                SAME(x->hotplug_attr == y->hotplug_attr && streq_ptr(x->hotplug_raw, y->hotplug_raw) &&
                     x->hotplug_state == y->hotplug_state);
                SAME(x->n_blocks == y->n_blocks && x->n_blocks_online == y->n_blocks_online);
                for (size_t k = 0; ok && k < x->n_blocks; k++)
                        SAME(a->blocks[x->blocks[k]].id == b->blocks[y->blocks[k]].id);
        }

        SAME(a->n_regions == b->n_regions);
        for (size_t i = 0; ok && i < a->n_regions; i++) {
                const spm_cxl_region *x = &a->regions[i], *y = &b->regions[i];
                SAME(streq(x->name, y->name) && streq_ptr(x->uuid, y->uuid) && streq_ptr(x->mode, y->mode));
                SAME(x->size == y->size && x->resource == y->resource && x->spm_node == y->spm_node &&
                     x->protected_memory == y->protected_memory);
                SAME(streq_ptr(x->private_type, y->private_type) && streq_ptr(x->driver, y->driver) &&
                     streq_ptr(x->dax_device, y->dax_device));
                SAME(strv_length(x->targets) == strv_length(y->targets) &&
                     strv_length(x->memdev_serials) == strv_length(y->memdev_serials));
        }

        SAME(a->n_blocks == b->n_blocks);
        for (size_t i = 0; ok && i < a->n_blocks; i++) {
                const spm_memblock *x = &a->blocks[i], *y = &b->blocks[i];
                SAME(x->id == y->id && x->state == y->state && streq_ptr(x->valid_zones, y->valid_zones));
                SAME(x->phys_index == y->phys_index && x->node == y->node && x->removable == y->removable &&
                     x->dax_index == y->dax_index);
        }
#undef SAME
}

/* A scope naming everything gives the full read, on every fixture. */
static void test_everything_named(void) {
        for (const char *const *f = fixtures; *f; f++) {
                _cleanup_free_ char *sys = copy_fixture(*f);
                _cleanup_(spm_topology_freep) spm_topology *old = NULL, *full = NULL, *patched = NULL;
                spm_topology_scope s = {};
                int r;

                CHECK(sys);
                if (!sys)
                        continue;
                CHECK_INT(spm_topology_load_from(sys, &old), 0);
                for (size_t i = 0; i < old->n_dax; i++)
                        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", old->dax[i].name), 0);
                for (size_t i = 0; i < old->n_regions; i++)
                        CHECK_INT(spm_topology_scope_add_uevent(&s, "cxl", old->regions[i].name), 0);
                for (size_t i = 0; i < old->n_blocks; i++)
                        CHECK_INT(spm_topology_scope_add_block(&s, old->blocks[i].id), 0);
                s.nodes = true;

                r = spm_topology_patch_from(sys, old, &s, &patched);
                if (old->block_size == 0)
                        CHECK_INT(r, -ESTALE);   /* blocks cannot be placed: full reads only */
                else {
                        CHECK(r >= 0);
                        CHECK_INT(spm_topology_load_from(sys, &full), 0);
                        if (patched && full)
                                check_equal(patched, full, *f);
                }
                spm_topology_scope_clear(&s);
        }
}

/* A block that went offline: its device's counts and the nodes follow. */
static void test_block_state(void) {
        _cleanup_free_ char *sys = copy_fixture("hotplug-v7");
        _cleanup_(spm_topology_freep) spm_topology *old = NULL, *full = NULL, *patched = NULL;
        spm_topology_scope s = {};

        CHECK_INT(spm_topology_load_from(sys, &old), 0);
        put(sys, "devices/system/memory/memory41/state", "offline\n");
        put(sys, "bus/dax/devices/dax0.0/state", "offline\n");
        CHECK_INT(spm_topology_scope_add_uevent(&s, "memory", "memory41"), 0);
        CHECK_INT(spm_topology_patch_from(sys, old, &s, &patched), 1);
        CHECK_INT(spm_topology_load_from(sys, &full), 0);
        check_equal(patched, full, "memory41 offline");
        CHECK_STREQ(spm_topology_find_dax(patched, "dax0.0")->hotplug_raw, "offline");
        spm_topology_scope_clear(&s);
}

/* A device removed between its uevent and the read: dropped, its blocks
 * (still there) no longer linked to it. */
static void test_device_gone(void) {
        _cleanup_free_ char *sys = copy_fixture("stock-6.12"), *link = NULL;
        _cleanup_(spm_topology_freep) spm_topology *old = NULL, *full = NULL, *patched = NULL;
        spm_topology_scope s = {};

        CHECK_INT(spm_topology_load_from(sys, &old), 0);
        CHECK(asprintf(&link, "%s/bus/dax/devices/dax1.0", sys) >= 0);
        CHECK_INT(unlink(link), 0);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax1.0"), 0);
        CHECK(spm_topology_patch_from(sys, old, &s, &patched) >= 0);
        CHECK_INT(spm_topology_load_from(sys, &full), 0);
        check_equal(patched, full, "dax1.0 removed");
        CHECK(!spm_topology_find_dax(patched, "dax1.0"));
        CHECK_INT(patched->n_dax, old->n_dax - 1);
        spm_topology_scope_clear(&s);
}

/* What a scope does not name is the last snapshot's: a device that changed
 * without a uevent stays as it was until something names it (its own
 * uevent, one of its blocks, spmd acting on it) or a full read. */
static void test_silent_change_not_named(void) {
        _cleanup_free_ char *sys = copy_fixture("stock-6.12");
        _cleanup_(spm_topology_freep) spm_topology *old = NULL, *full = NULL, *p1 = NULL, *p2 = NULL;
        spm_topology_scope s = {};
        int before;

        CHECK_INT(spm_topology_load_from(sys, &old), 0);
        before = spm_topology_find_dax(old, "dax1.0")->numa_node;
        put(sys, "bus/dax/devices/dax1.0/numa_node", "7\n");

        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax0.0"), 0);
        CHECK(spm_topology_patch_from(sys, old, &s, &p1) >= 0);
        CHECK_INT(spm_topology_find_dax(p1, "dax1.0")->numa_node, before);
        spm_topology_scope_clear(&s);

        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax1.0"), 0);
        CHECK(spm_topology_patch_from(sys, p1, &s, &p2) >= 0);
        CHECK_INT(spm_topology_find_dax(p2, "dax1.0")->numa_node, 7);
        CHECK_INT(spm_topology_load_from(sys, &full), 0);
        check_equal(p2, full, "dax1.0 named");
        spm_topology_scope_clear(&s);
}

/* A block that appeared inside a device nothing named: the patch cannot
 * explain it and gives up. */
static void test_unexplained_block(void) {
        _cleanup_free_ char *sys = copy_fixture("hotplug-v7"), *cmd = NULL;
        _cleanup_(spm_topology_freep) spm_topology *old = NULL, *patched = NULL;
        spm_topology_scope s = {};

        CHECK(asprintf(&cmd, "mv '%s/devices/system/memory/memory47' '%s/m47'", sys, sys) >= 0);
        CHECK_INT(system(cmd), 0);
        CHECK_INT(spm_topology_load_from(sys, &old), 0);
        free(cmd);
        CHECK(asprintf(&cmd, "mv '%s/m47' '%s/devices/system/memory/memory47'", sys, sys) >= 0);
        CHECK_INT(system(cmd), 0);

        CHECK_INT(spm_topology_scope_add_uevent(&s, "memory", "memory47"), 0);
        CHECK_INT(spm_topology_patch_from(sys, old, &s, &patched), -ESTALE);
        CHECK(!patched);
        spm_topology_scope_clear(&s);
}

/* What a uevent puts in a scope. */
static void test_scope_from_uevents(void) {
        spm_topology_scope s = {};

        CHECK(spm_topology_scope_is_empty(&s));
        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax3.0"), 0);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax3.0"), 0);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "memory", "memory12"), 0);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "cxl", "region4"), 0);
        CHECK(!s.full && s.nodes && !s.all_regions);
        CHECK_INT(strv_length(s.dax), 1);
        CHECK_INT(s.n_blocks, 1);
        CHECK_INT(strv_length(s.regions), 1);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "cxl", "decoder2.0"), 0);
        CHECK(s.all_regions && !s.full);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "dax_region3"), 0);
        CHECK(s.full);
        spm_topology_scope_clear(&s);
        CHECK(spm_topology_scope_is_empty(&s));
        CHECK_INT(spm_topology_scope_add_uevent(&s, "dax", "../../x"), 0);
        CHECK(s.full);
        spm_topology_scope_clear(&s);
        CHECK_INT(spm_topology_scope_add_uevent(&s, "memory", "memory"), 0);
        CHECK(s.full);
        spm_topology_scope_clear(&s);

        /* full, or no last snapshot: not a patch */
        s.full = true;
        spm_topology *t = NULL;
        CHECK_INT(spm_topology_patch_from("/nonexistent", NULL, &s, &t), -ESTALE);
        spm_topology_scope_clear(&s);
}

int main(void) {
        TEST(test_scope_from_uevents);
        TEST(test_everything_named);
        TEST(test_block_state);
        TEST(test_device_gone);
        TEST(test_silent_change_not_named);
        TEST(test_unexplained_block);
        return tap_done();
}
