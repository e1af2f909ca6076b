/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Planner table tests: snapshot × policy → expected plan, per kernel
 * generation. Snapshots are built in memory (planner-helpers.c). */

#include <string.h>

#include "macro.h"
#include "planner.h"
#include "planner-helpers.h"
#include "tap.h"

#define GiB (UINT64_C(1) << 30)
#define UUID_A "0a1b2c3d-0000-4000-8000-00000000000a"

#define ACCEL_POLICY                                                            \
        "[Pool accel]\n"                                                        \
        "[Device accel]\n"                                                      \
        "MatchRegionUUID=" UUID_A "\n"                                          \
        "Class=spm\n"                                                           \
        "Pool=accel\n"                                                          \
        "[Cgroup gpu]\n"                                                        \
        "Path=gpu.slice\n"                                                      \
        "Pools=accel\n"

#define CHECK_PLAN(pol, t, f, tree, expected)                                   \
        do {                                                                    \
                _cleanup_free_ char *_s_ = tp_plan((pol), (t), (f), (tree));    \
                CHECK_STREQ(_s_, (expected));                                   \
        } while (0)

/* host: nodes 0-1 boot memory, a CXL region on node 2 */
static spm_topology *accel_host(const char *driver, int mark) {
        spm_topology *t = tt_new("0-1");
        size_t d = tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, driver, mark, -1);

        tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", mark);
        tt_blocks(t, d, 2, SPM_BLOCK_OFFLINE, "Normal Movable");
        return t;
}

static spm_cgroup_tree *systemd_tree(void) {
        spm_cgroup_tree *c = ct_new("0-1", true);
        int gpu;

        ct_add(c, 0, "system.slice", "");
        gpu = ct_add(c, 0, "gpu.slice", "");
        ct_add(c, gpu, "job1.scope", "");
        return c;
}

static void test_spm_v2_v7_fresh(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", 0);
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = systemd_tree();
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);

        /* gpu.slice inherits node 2 from the root once it is online, so it
         * needs no write; everyone else must be pinned to System RAM
         * before the memory appears. */
        CHECK_PLAN(pol, t, &f, tree,
                   "unit-mems system.slice AllowedMemoryNodes=0-1\n"
                   "unit-mems init.scope AllowedMemoryNodes=0-1\n"
                   "unbind dax0.0 device_dax\n"
                   "mark-device dax0.0 spm_node=1\n"
                   "bind dax0.0 kmem\n"
                   "device-state dax0.0 state=unplugged\n"
                   "device-state dax0.0 state=online_movable\n"
                   "verify-sysram init.scope cpuset.mems.sysram=0-1\n"
                   "verify-sysram system.slice cpuset.mems.sysram=0-1\n");

        /* without cgroups: devices only */
        CHECK_PLAN(pol, t, &f, NULL,
                   "unbind dax0.0 device_dax\n"
                   "mark-device dax0.0 spm_node=1\n"
                   "bind dax0.0 kmem\n"
                   "device-state dax0.0 state=unplugged\n"
                   "device-state dax0.0 state=online_movable\n");
}

static void test_spm_v2_v7_states(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);

        /* bound as SPM, blocks created offline: unplug first (v7 rule) */
        {
                _cleanup_(spm_topology_freep) spm_topology *t = accel_host("kmem", 1);
                tt_hotplug(t, 0, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_OFFLINE);
                CHECK_PLAN(pol, t, &f, NULL,
                           "device-state dax0.0 state=unplugged\n"
                           "device-state dax0.0 state=online_movable\n");
        }
        /* unplugged: one write */
        {
                _cleanup_(spm_topology_freep) spm_topology *t = accel_host("kmem", 1);
                tt_hotplug(t, 0, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_UNPLUGGED);
                CHECK_PLAN(pol, t, &f, NULL, "device-state dax0.0 state=online_movable\n");
        }
        /* state says online_movable but a block was offlined directly */
        {
                _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-2");
                size_t d = tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", 1, -1);
                tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", 1);
                tt_hotplug(t, d, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_MOVABLE);
                tt_blocks(t, d, 1, SPM_BLOCK_ONLINE, "Movable");
                tt_blocks(t, d, 1, SPM_BLOCK_OFFLINE, "Movable Normal");
                t->blocks[1].phys_index++;
                t->blocks[1].id++;
                CHECK_PLAN(pol, t, &f, NULL, "online-block memory513 state=online_movable\n");
        }
}

static void test_wrong_online_type(void) {
        _cleanup_(spm_policy_freep) spm_policy *take = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_policy_freep) spm_policy *aside = tp_policy("[Daemon]\nAutoOnline=stepaside\n" ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("kmem", 1);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);

        tt_hotplug(t, 0, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_KERNEL);
        CHECK_PLAN(take, t, &f, NULL,
                   "device-state dax0.0 state=unplugged\n"
                   "device-state dax0.0 state=online_movable\n");
        CHECK_PLAN(aside, t, &f, NULL,
                   "! dax0.0: onlined as online_kernel by someone else and AutoOnline=stepaside leaves it; the policy wants online_movable\n");
}

static void test_latch_and_firmware(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);

        /* firmware bound it to kmem as System RAM */
        {
                _cleanup_(spm_topology_freep) spm_topology *t = accel_host("kmem", 0);
                CHECK_PLAN(pol, t, &f, NULL,
                           "! dax0.0: already added as System RAM (by firmware or another agent) while the policy wants SPM; "
                           "node 2 keeps System RAM until reboot\n");
        }
        /* the device's node is a boot node holding System RAM */
        {
                _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-1");
                tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 1, 0x1000000000, 4 * GiB, NULL, 0, -1);
                tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", 0);
                CHECK_PLAN(pol, t, &f, NULL,
                           "! dax0.0: node 1 already holds System RAM; it keeps that class until reboot\n");
        }
        /* System RAM wanted into a node that holds SPM */
        {
                _cleanup_(spm_policy_freep) spm_policy *sys = tp_policy(
                        "[Device slow]\nMatchProvider=hmem\nClass=sysram\n");
                _cleanup_(spm_topology_freep) spm_topology *t = accel_host("kmem", 1);
                tt_dax(t, "dax1.0", SPM_PROVIDER_HMEM, 2, 0x2000000000, 4 * GiB, "device_dax", 0, -1);
                CHECK_PLAN(sys, t, &f, NULL,
                           "! dax1.0: node 2 holds SPM memory; it keeps that class until reboot\n");
        }
}

static void test_stock_soft(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", -1);
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = ct_new("0-1", false);
        spm_features f = tt_features(TT_STOCK);

        t->regions[0].spm_node = -1;
        ct_add(tree, 0, "gpu.slice", "");
        ct_add(tree, 0, "other", "");
        /* no marking: soft isolation through cpuset masks only; blocks
         * onlined one by one; no view of the default nodes, so the
         * check is that effective holds the System RAM nodes */
        CHECK_PLAN(pol, t, &f, tree,
                   "cgroup-mems other cpuset.mems=0-1\n"
                   "unbind dax0.0 device_dax\n"
                   "bind dax0.0 kmem\n"
                   "online-blocks dax0.0 state=online_movable\n"
                   "verify-sysram other cpuset.mems.effective=0-1\n");

        /* the kernel would online the blocks itself as "online" (ZONE_NORMAL):
         * take the global setting over, or step aside and say why */
        t->auto_online = SPM_ONLINE_ONLINE;
        CHECK_PLAN(pol, t, &f, NULL,
                   "unbind dax0.0 device_dax\n"
                   "auto-online memory auto_online_blocks=offline\n"
                   "bind dax0.0 kmem\n"
                   "online-blocks dax0.0 state=online_movable\n");
        {
                _cleanup_(spm_policy_freep) spm_policy *aside = tp_policy("[Daemon]\nAutoOnline=stepaside\n" ACCEL_POLICY);
                CHECK_PLAN(aside, t, &f, NULL,
                           "unbind dax0.0 device_dax\n"
                           "bind dax0.0 kmem\n"
                           "! dax0.0: auto_online_blocks=online will online it when kmem binds, but the policy wants "
                           "online_movable and this kernel has no whole-device attribute to redo it\n");
        }
}

static void test_spm_v1_hotplug_v2(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                "[Pool accel]\nOnline=online\n"
                "[Device accel]\nMatchSerial=0x1234\nClass=spm\nPool=accel\n");
        spm_features f = tt_features(TT_SPM_V1_HOTPLUG_V2);

        {
                _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0");
                tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, NULL, -1, 0);
                tt_region(t, "region0", NULL, "4660", "dax0.0", -1);
                CHECK_PLAN(pol, t, &f, NULL,
                           "mark-device dax0.0 protected_memory=1\n"
                           "bind dax0.0 kmem\n"
                           "device-state dax0.0 hotplug=online\n");
        }
        {
                _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0");
                tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", -1, 1);
                tt_region(t, "region0", NULL, "4660", "dax0.0", -1);
                tt_hotplug(t, 0, SPM_DAX_HOTPLUG_HOTPLUG, SPM_DAX_STATE_ONLINE_MOVABLE);
                CHECK_PLAN(pol, t, &f, NULL,
                           "device-state dax0.0 hotplug=unplug\n"
                           "device-state dax0.0 hotplug=online\n");
        }
}

static void test_private_v4(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", -1);
        spm_features f = tt_features(TT_PRIVATE_V4);

        t->regions[0].spm_node = -1;
        CHECK_PLAN(pol, t, &f, NULL,
                   "! dax0.0: this kernel makes nodes private through CXL region creation or drivers, "
                   "not through dax devices; cannot mark it\n");
}

/* Private v3: a device on a node that is not private cannot become SPM;
 * one on a private node needs no mark; a RAM region cannot become
 * private; a private region is enabled only when its private_type is set
 * (spmd never chooses one). */
static void test_private_v3(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        spm_features f = tt_features(TT_PRIVATE_V4);

        f.marking = SPM_MARKING_PRIVATE_V3;
        f.private_nodes = SPM_PRIVATE_V3;
        f.sysram_view = SPM_SYSRAM_VIEW_MEMS_SYSRAM;
        {
                _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", -1);

                t->has_private_memory_present = true;
                CHECK_PLAN(pol, t, &f, NULL,
                           "! dax0.0: private v3 kernel: memory becomes private only through a CXL region created with "
                           "decoderX.Y/create_private_region and given regionN/private_type before commit; node 2 is "
                           "not private, so spmd cannot make this device SPM\n");
                spm_nodemask_set(&t->has_private_memory, 2);
                CHECK_PLAN(pol, t, &f, NULL,
                           "unbind dax0.0 device_dax\n"
                           "bind dax0.0 kmem\n"
                           "online-blocks dax0.0 state=online_movable\n");
        }
        {
                _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-1");

                tt_region(t, "region3", UUID_A, "0x1234", NULL, -1);
                CHECK_PLAN(pol, t, &f, NULL,
                           "! region3: private v3 kernel: a RAM region cannot become private; the region must be "
                           "created with decoderX.Y/create_private_region and given regionN/private_type before "
                           "commit (spmd does not create or commit regions); not enabling it as System RAM\n");
                free(t->regions[0].mode);
                t->regions[0].mode = strdup("private");
                CHECK_PLAN(pol, t, &f, NULL,
                           "! region3: private region without regionN/private_type: the kernel will not probe it; "
                           "its creator must write private_type before commit (after commit only deleting and "
                           "re-creating the region helps); spmd does not choose a type\n");
                t->regions[0].private_type = strdup("zswap");
                CHECK_PLAN(pol, t, &f, NULL, "bind-region region3 cxl_region\n");
        }
}

static void test_sysram_slow_tier(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                "[Device slow]\nMatchProvider=cxl\nMatchSize=4G\nClass=sysram\nMemmapOnMemory=yes\n");
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host(NULL, 0);
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = ct_new("0-1", false);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        int a;

        a = ct_add(tree, 0, "a", "0-1");
        ct_add(tree, a, "b", "");
        ct_add(tree, 0, "c", "");
        /* node 2 becomes System RAM: the explicit mask of a widens, b
         * inherits it, c inherits from the root */
        CHECK_PLAN(pol, t, &f, tree,
                   "memmap dax0.0 memmap_on_memory=1\n"
                   "bind dax0.0 kmem\n"
                   "device-state dax0.0 state=unplugged\n"
                   "device-state dax0.0 state=online_movable\n"
                   "cgroup-mems a cpuset.mems=0-2\n"
                   "verify-sysram a cpuset.mems.sysram=0-2\n");
}

static void test_per_block(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-1");
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        size_t d;

        f.hotplug = SPM_HOTPLUG_NONE;
        d = tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", 1, -1);
        tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", 1);
        tt_blocks(t, d, 1, SPM_BLOCK_ONLINE, "Normal");
        tt_blocks(t, d, 1, SPM_BLOCK_OFFLINE, "Normal Movable");
        t->blocks[1].id = 200;
        CHECK_PLAN(pol, t, &f, NULL,
                   "online-block memory200 state=online_movable\n"
                   "! memory512: online in zone Normal of dax0.0 but the policy wants online_movable; offline the device to change it\n");
}

static void test_region_before_bind(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-1");
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);

        tt_region(t, "region3", UUID_A, "0x1234", NULL, 0);
        CHECK_PLAN(pol, t, &f, NULL,
                   "mark-region region3 spm_node=1\n"
                   "bind-region region3 cxl_region\n");
}

static void test_precedence(void) {
        /* uuid beats provider; a later file beats an earlier one at the
         * same specificity; same file + same specificity + disagreement is
         * left alone */
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", 0);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        spm_diags d = {};

        {
                _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                        "[Pool accel]\n"
                        "[Device any-cxl]\nMatchProvider=cxl\nClass=ignore\n"
                        "[Device this]\nMatchRegionUUID=" UUID_A "\nClass=spm\nPool=accel\n");
                const spm_policy_device *c = NULL, *r = spm_plan_device_rule(pol, &t->dax[0], &t->regions[0], &c);
                CHECK(r && streq(r->name, "this"));
                CHECK(!c);
        }
        {
                _cleanup_(spm_policy_freep) spm_policy *pol = spm_policy_new();
                const char *a = "[Device a]\nMatchProvider=cxl\nClass=ignore\n";
                const char *b = "[Device b]\nMatchSize=4G\nClass=sysram\n";
                const spm_policy_device *c = NULL, *r;

                CHECK_INT(spm_policy_parse_buffer(pol, "10-a.conf", a, strlen(a), &d), 0);
                CHECK_INT(spm_policy_parse_buffer(pol, "20-b.conf", b, strlen(b), &d), 0);
                CHECK_INT(spm_policy_finish(pol, &d), 0);
                r = spm_plan_device_rule(pol, &t->dax[0], &t->regions[0], &c);
                CHECK(r && streq(r->name, "b"));
                CHECK(!c);
                spm_diags_clear(&d);
        }
        {
                _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                        "[Device a]\nMatchProvider=cxl\nClass=ignore\n"
                        "[Device b]\nMatchSize=4G\nClass=sysram\n");
                CHECK_PLAN(pol, t, &f, NULL,
                           "! dax0.0: [Device b] (t.conf:4) matches with the same precedence and disagrees; left alone\n");
        }
        /* cgroups: a literal path beats a glob */
        {
                _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                        "[Pool accel]\n"
                        "[Cgroup all]\nPath=*\nSysRAM=0\n"
                        "[Cgroup gpu]\nPath=gpu.slice\nPools=accel\n");
                const spm_policy_cgroup *c = NULL, *r = spm_plan_cgroup_rule(pol, "gpu.slice", "gpu.slice", &c);
                CHECK(r && streq(r->name, "gpu"));
                r = spm_plan_cgroup_rule(pol, "x.slice", "x.slice", &c);
                CHECK(r && streq(r->name, "all"));
                CHECK(!spm_plan_cgroup_rule(pol, "x.slice/y", NULL, &c));
        }
}

static void test_cgroup_order(void) {
        /* node 2 is SPM and online already */
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                "[Pool accel]\n"
                "[Device accel]\nMatchRegionUUID=" UUID_A "\nClass=spm\nPool=accel\n"
                "[Cgroup b]\nPath=a/b\nPools=accel\n");
        _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-2");
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = ct_new("0-2", false);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        size_t d;
        int a;

        d = tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", 1, -1);
        tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", 1);
        tt_hotplug(t, d, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_MOVABLE);
        tt_blocks(t, d, 2, SPM_BLOCK_ONLINE, "Movable");

        a = ct_add(tree, 0, "a", "0-1");
        ct_add(tree, a, "b", "");
        ct_add(tree, a, "c", "");
        ct_add(tree, 0, "d", "0-1");
        /* c must be narrowed before a widens (it inherits); b needs no
         * write; d is right already */
        CHECK_PLAN(pol, t, &f, tree,
                   "cgroup-mems a/c cpuset.mems=0-1\n"
                   "cgroup-mems a cpuset.mems=0-2\n"
                   "verify-sysram a cpuset.mems.sysram=0-1\n"
                   "verify-sysram a/c cpuset.mems.sysram=0-1\n");

        /* and the revocation: a back to System RAM, children first */
        {
                _cleanup_(spm_policy_freep) spm_policy *none = tp_policy(
                        "[Pool accel]\n"
                        "[Device accel]\nMatchRegionUUID=" UUID_A "\nClass=spm\nPool=accel\n");
                _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *t2 = ct_new("0-2", false);
                int x = ct_add(t2, 0, "a", "0-2");
                ct_add(t2, x, "b", "0,2");
                CHECK_PLAN(none, t, &f, t2,
                           "cgroup-mems a/b cpuset.mems=0-1\n"
                           "cgroup-mems a cpuset.mems=0-1\n"
                           "verify-sysram a cpuset.mems.sysram=0-1\n"
                           "verify-sysram a/b cpuset.mems.sysram=0-1\n");
        }
}

static void test_units_and_delegation(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(
                "[Pool accel]\n"
                "[Device accel]\nMatchRegionUUID=" UUID_A "\nClass=spm\nPool=accel\n"
                "[Cgroup pods]\nUnit=kubepods-guaranteed.slice\nPools=accel\n"
                "[Cgroup app]\nPath=user.slice/user@1000.service/app.slice\nPools=accel\n");
        _cleanup_(spm_topology_freep) spm_topology *t = tt_new("0-2");
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = ct_new("0-2", true);
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        int k, u, dg;

        tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", 1, -1);
        tt_region(t, "region0", UUID_A, "0x1234", "dax0.0", 1);
        t->regions[0].spm_node = 1;

        /* pretend init.scope is pinned already */
        tree->cgroups[1].cpuset->mems = tree->cgroups[0].cpuset->effective;
        spm_nodemask_clear(&tree->cgroups[1].cpuset->mems, 2);
        k = ct_add(tree, 0, "kubepods.slice", "0-1");
        ct_add(tree, k, "kubepods-guaranteed.slice", "");
        ct_add(tree, k, "kubepods-besteffort.slice", "");
        u = ct_add(tree, 0, "user.slice", "0-1");
        dg = ct_add(tree, u, "user@1000.service", "");
        tree->cgroups[dg].delegated = true;
        ct_add(tree, dg, "app.slice", "0-1");

        CHECK_PLAN(pol, t, &f, tree,
                   "unit-mems kubepods-besteffort.slice AllowedMemoryNodes=0-1\n"
                   "unit-mems kubepods.slice AllowedMemoryNodes=0-2\n"
                   "unit-mems user.slice AllowedMemoryNodes=0-2\n"
                   "cgroup-mems user.slice/user@1000.service/app.slice cpuset.mems=0-2\n"
                   "verify-sysram kubepods.slice cpuset.mems.sysram=0-1\n"
                   "verify-sysram kubepods.slice/kubepods-besteffort.slice cpuset.mems.sysram=0-1\n"
                   "verify-sysram user.slice cpuset.mems.sysram=0-1\n"
                   "verify-sysram user.slice/user@1000.service/app.slice cpuset.mems.sysram=0-1\n");
}

static void test_format(void) {
        _cleanup_(spm_policy_freep) spm_policy *pol = tp_policy(ACCEL_POLICY);
        _cleanup_(spm_topology_freep) spm_topology *t = accel_host("device_dax", 0);
        _cleanup_(spm_plan_freep) spm_plan *p = NULL;
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        _cleanup_free_ char *table = NULL, *json = NULL;
        size_t size = 0;
        FILE *m;

        CHECK_INT(spm_plan_build(pol, t, &f, NULL, &p), 0);
        CHECK_INT(spm_plan_add_blocked(p, "dax9.9", "t.conf:1 [Device x]", "a \"quoted\" reason"), 0);
        m = open_memstream(&table, &size);
        CHECK_INT(spm_plan_format_table(p, m), 0);
        fclose(m);
        CHECK_STREQ(table,
                    "STEP  ACTION        OBJECT  CHANGE                WHY\n"
                    "1     unbind        dax0.0  device_dax=           t.conf:2 [Device accel]: release the device from its driver (remove_id, unbind) so it can be set up\n"
                    "2     mark-device   dax0.0  spm_node=1            t.conf:2 [Device accel]: mark the memory SPM before kmem adds it\n"
                    "3     bind          dax0.0  kmem=                 t.conf:2 [Device accel]: hot-add the memory (new_id, bind)\n"
                    "4     device-state  dax0.0  state=unplugged       t.conf:2 [Device accel]: blocks exist offline; unplug before onlining with a type\n"
                    "5     device-state  dax0.0  state=online_movable  t.conf:2 [Device accel]: add and online the device's memory with the policy's type\n"
                    "\n"
                    "Cannot do:\n"
                    "  dax9.9: t.conf:1 [Device x]: a \"quoted\" reason\n");
        m = open_memstream(&json, &size);
        CHECK_INT(spm_plan_format_json(p, m), 0);
        fclose(m);
        CHECK(strstr(json, "{\"changes\":5,\"actions\":[{\"step\":1,\"action\":\"unbind\",\"object\":\"dax0.0\",\"attribute\":\"device_dax\",\"value\":\"\",\"rule\":\"t.conf:2 [Device accel]\""));
        CHECK(strstr(json, "\"blocked\":[{\"object\":\"dax9.9\",\"rule\":\"t.conf:1 [Device x]\",\"reason\":\"a \\\"quoted\\\" reason\"}]}\n"));

        {
                _cleanup_(spm_plan_freep) spm_plan *e = spm_plan_new();
                _cleanup_free_ char *s = NULL;
                m = open_memstream(&s, &size);
                CHECK_INT(spm_plan_format_table(e, m), 0);
                CHECK_INT(spm_plan_format_json(e, m), 0);
                fclose(m);
                CHECK_STREQ(s, "Nothing to do.\n{\"changes\":0,\"actions\":[],\"blocked\":[]}\n");
        }
}

int main(void) {
        TEST(test_spm_v2_v7_fresh);
        TEST(test_spm_v2_v7_states);
        TEST(test_wrong_online_type);
        TEST(test_latch_and_firmware);
        TEST(test_stock_soft);
        TEST(test_spm_v1_hotplug_v2);
        TEST(test_private_v4);
        TEST(test_private_v3);
        TEST(test_sysram_slow_tier);
        TEST(test_per_block);
        TEST(test_region_before_bind);
        TEST(test_precedence);
        TEST(test_cgroup_order);
        TEST(test_units_and_delegation);
        TEST(test_format);
        return tap_done();
}
