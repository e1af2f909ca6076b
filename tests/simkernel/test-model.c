/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The simulated kernel's model, driven directly: every transition and errno
 * per interface generation, and the uevent order. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "model.h"
#include "tap.h"

#define W(s) (s), strlen(s)

/* Drain the queue into "action subsystem name;..." (name = last path part,
 * plus the DRIVER for dax binds). */
static char *events(sk_model *m) {
        static char buf[8192];
        size_t n, k = 0;
        sk_uevent *e = sk_model_take_events(m, &n);

        buf[0] = 0;
        for (size_t i = 0; i < n && k < sizeof buf - 128; i++) {
                const char *name = strrchr(e[i].devpath, '/') + 1;
                const char *drv = "";

                for (size_t j = 0; j < SK_EVENT_ENV_MAX; j++)
                        if (e[i].env[j] && startswith(e[i].env[j], "DRIVER="))
                                drv = e[i].env[j];
                k += (size_t) snprintf(buf + k, sizeof buf - k, "%s%s %s %s%s%s", k ? ";" : "",
                                       e[i].action, e[i].subsystem, name, *drv ? " " : "", drv);
        }
        sk_uevents_free(e, n);
        return buf;
}

static char *list(sk_model *m, sk_nodelist l) {
        static char buf[256];
        spm_nodemask x = sk_node_list(m, l);
        sk_format_nodelist(&x, buf, sizeof buf);
        return buf;
}

static char *fmt(spm_nodemask x) {
        static char buf[256];
        sk_format_nodelist(&x, buf, sizeof buf);
        return buf;
}

/* The VM layout of vm-e2e: nodes 0 and 1 with a CPU and 512 MiB each,
 * node 2 memory-only; dax0.0 (1 GiB, pmem) targets node 2. */
static sk_model *vm(sk_marking mk, sk_hotplug hp, sk_online auto_online, bool spm) {
        sk_config c;
        sk_model *m;
        sk_dax_spec d = { .name = "dax0.0", .provider = SK_PROV_PMEM, .node = 2,
                          .size = UINT64_C(1) << 30, .spm_node = spm };

        sk_config_default(&c);
        c.marking = mk;
        c.hotplug = hp;
        c.auto_online = auto_online;
        m = sk_model_new(&c);
        if (!m)
                abort();
        if (sk_model_add_node(m, 0, "0", UINT64_C(512) << 20) < 0 ||
            sk_model_add_node(m, 1, "1", UINT64_C(512) << 20) < 0 ||
            sk_model_add_node(m, 2, "", 0) < 0 ||
            sk_model_add_dax(m, &d) < 0)
                abort();
        (void) events(m);
        return m;
}

static size_t dax_block(sk_model *m, const char *name, size_t k) {
        int di = sk_model_find_dax(m, name);
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].dax == di && k-- == 0)
                        return b;
        return SIZE_MAX;
}

static void test_parsers(void) {
        spm_nodemask x;
        bool v;
        char buf[64];

        CHECK_INT(sk_kstrtobool("1", &v), 0); CHECK(v);
        CHECK_INT(sk_kstrtobool("foo", &v), 0); CHECK(!v); /* measured: accepted as false */
        CHECK_INT(sk_kstrtobool("on", &v), 0); CHECK(v);
        CHECK_INT(sk_kstrtobool("off", &v), 0); CHECK(!v);
        CHECK_INT(sk_kstrtobool("Yes", &v), 0); CHECK(v);
        CHECK_INT(sk_kstrtobool("2", &v), -EINVAL);
        CHECK_INT(sk_kstrtobool("maybe", &v), -EINVAL);
        CHECK_INT(sk_kstrtobool("\n", &v), -EINVAL);
        CHECK_INT(sk_kstrtobool("o", &v), -EINVAL);

        CHECK(sk_sysfs_streq(W("online\n"), "online"));
        CHECK(sk_sysfs_streq(W("online"), "online"));
        CHECK(!sk_sysfs_streq(W("online\n\n"), "online"));
        CHECK(!sk_sysfs_streq(W("online "), "online"));

        CHECK_INT(sk_parse_nodelist("0,,1", 1024, &x), 0); CHECK_STREQ(fmt(x), "0-1");
        CHECK_INT(sk_parse_nodelist(" 0", 1024, &x), 0); CHECK_STREQ(fmt(x), "0");
        CHECK_INT(sk_parse_nodelist("0-3,7\n", 1024, &x), 0); CHECK_STREQ(fmt(x), "0-3,7");
        CHECK_INT(sk_parse_nodelist("1024", 1024, &x), -ERANGE);
        CHECK_INT(sk_parse_nodelist("64", 64, &x), -ERANGE);
        CHECK_INT(sk_parse_nodelist("3-1", 1024, &x), -EINVAL);
        CHECK_INT(sk_parse_nodelist("a", 1024, &x), -EINVAL);
        CHECK_INT(sk_parse_nodelist("1-", 1024, &x), -EINVAL);
        CHECK_INT(sk_parse_nodelist("1x", 1024, &x), -EINVAL);

        x = SPM_NODEMASK_EMPTY;
        sk_format_nodelist(&x, buf, sizeof buf);
        CHECK_STREQ(buf, "");
}

/* vm-e2e §3 on stock 6.12: device_dax → kmem with blocks offline, then
 * online_movable per block. */
static void test_stock_flow(void) {
        sk_model *m = vm(SK_MARKING_STOCK, SK_HOTPLUG_NONE, SK_ONLINE_OFFLINE, false);
        int di = sk_model_find_dax(m, "dax0.0");
        char vz[64];
        size_t b0;

        CHECK_INT(m->dax[di].driver, SK_DRV_DEVICE_DAX); /* pmem: device_dax by type */
        CHECK_STREQ(list(m, SK_LIST_ONLINE), "0-1");
        CHECK_STREQ(list(m, SK_LIST_POSSIBLE), "0-2");

        /* kmem/bind of a pmem device never written to new_id: ENODEV */
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0\n")), 0);
        CHECK_STREQ(events(m), "unbind dax dax0.0");
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -ENODEV);
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), -ENODEV);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0x")), -EINVAL);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax9.9\n")), 0); /* unknown name: fine */
        CHECK_INT(sk_store_remove_id(m, SK_DRV_KMEM, W("dax9.9")), 0);
        CHECK_INT(sk_store_remove_id(m, SK_DRV_KMEM, W("dax8.8")), 0);

        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0\n")), 0);
        CHECK_INT(m->dax[di].driver, SK_DRV_KMEM);
        /* 8 blocks added, then the node, then the bind */
        CHECK_STREQ(events(m),
                    "add memory memory32;add memory memory33;add memory memory34;add memory memory35;"
                    "add memory memory36;add memory memory37;add memory memory38;add memory memory39;"
                    "add node node2;bind dax dax0.0 DRIVER=kmem");
        CHECK_STREQ(list(m, SK_LIST_ONLINE), "0-2");
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-1"); /* nothing online yet */
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -EBUSY);
        CHECK(sk_dax_devstate_file(m, (size_t) di) == NULL);

        b0 = dax_block(m, "dax0.0", 0);
        CHECK_INT(b0, 32);
        CHECK_STREQ(sk_block_valid_zones(m, b0, vz, sizeof vz), "Normal Movable");
        CHECK_INT(sk_store_block_state(m, b0, W("bogus")), -EINVAL);
        CHECK_INT(sk_store_block_state(m, b0, W("offline")), -EINVAL); /* already */
        CHECK_INT(sk_store_block_state(m, b0, W("online_movable\n")), 0);
        CHECK_STREQ(events(m), "add memory_tiering memory_tier22;online memory memory32");
        CHECK_INT(sk_store_block_state(m, b0, W("online")), -EINVAL); /* already */
        CHECK_STREQ(sk_block_valid_zones(m, b0, vz, sizeof vz), "Movable");
        /* the next block sits inside the Movable span only once a later
         * one is movable too; plain online next to it goes Normal */
        CHECK_STREQ(sk_block_valid_zones(m, b0 + 1, vz, sizeof vz), "Normal Movable");
        CHECK_INT(sk_store_block_state(m, b0 + 7, W("online_movable")), 0);
        CHECK_STREQ(sk_block_valid_zones(m, b0 + 1, vz, sizeof vz), "Movable Normal");
        for (size_t k = 1; k < 7; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("online")), 0);
        CHECK_STREQ(sk_block_valid_zones(m, b0 + 3, vz, sizeof vz), "Movable");
        (void) events(m);
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-2");
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-1");
        CHECK_INT(sk_node_online_bytes(m, 2), UINT64_C(1) << 30);

        /* online_kernel puts it in ZONE_NORMAL: has_normal_memory follows */
        CHECK_INT(sk_store_block_state(m, b0 + 3, W("offline")), 0);
        CHECK_INT(sk_store_block_state(m, b0 + 3, W("online_kernel")), 0);
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-2");
        CHECK_STREQ(sk_block_valid_zones(m, b0 + 3, vz, sizeof vz), "Normal");
        (void) events(m);

        /* busy block: EBUSY on offline */
        m->blocks[b0 + 2].busy = true;
        CHECK_INT(sk_store_block_state(m, b0 + 2, W("offline")), -EBUSY);
        m->blocks[b0 + 2].busy = false;

        /* the driver-core online toggle: "already" is success */
        CHECK_INT(sk_store_block_online(m, b0, W("1")), 0);
        CHECK_INT(sk_store_block_online(m, b0, W("x")), -EINVAL);

        /* offline all: tier goes just before the last offline */
        for (size_t k = 0; k < 7; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("offline")), 0);
        (void) events(m);
        CHECK_INT(sk_store_block_state(m, b0 + 7, W("offline")), 0);
        CHECK_STREQ(events(m), "remove memory_tiering memory_tier22;offline memory memory39");
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-1");

        /* unbind with everything offline: blocks, node, then unbind */
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_STREQ(events(m),
                    "remove memory memory32;remove memory memory33;remove memory memory34;"
                    "remove memory memory35;remove memory memory36;remove memory memory37;"
                    "remove memory memory38;remove memory memory39;remove node node2;unbind dax dax0.0");
        CHECK_STREQ(list(m, SK_LIST_ONLINE), "0-1");

        /* after a failed/any probe the id stays listed: bind works */
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        (void) events(m);
        sk_model_free(m);
}

/* auto_online_blocks=online (Debian 6.12 default): blocks come up Normal
 * inside the probe, before the bind uevent. Then the stuck-range case. */
static void test_auto_online_and_stuck(void) {
        sk_model *m = vm(SK_MARKING_STOCK, SK_HOTPLUG_NONE, SK_ONLINE_ONLINE, false);
        size_t b0;

        CHECK_INT(sk_store_auto_online(m, W("bogus")), -EINVAL);
        CHECK_INT(sk_store_auto_online(m, W("online\n")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        b0 = dax_block(m, "dax0.0", 0);
        CHECK(m->blocks[b0].online);
        CHECK_INT(m->blocks[b0].zone, SK_ZONE_NORMAL);
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-2");
        {
                const char *e = events(m);
                CHECK(strstr(e, "add node node2;add memory_tiering memory_tier22;online memory memory32;") != NULL);
                CHECK(strstr(e, "online memory memory39;bind dax dax0.0 DRIVER=kmem") != NULL);
        }

        /* unbind while online: success, memory stays, range stuck */
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_STREQ(events(m), "unbind dax dax0.0");
        CHECK(m->blocks[b0].present && m->blocks[b0].online);
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("offline")), 0);
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -EBUSY);
        CHECK_INT(sk_store_new_id(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0); /* hides the probe error */
        CHECK_INT(sk_store_bind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), -EBUSY);
        CHECK_INT(m->dax[0].driver, SK_DRV_NONE);
        sk_model_free(m);
}

static void test_spm_v2_latch(void) {
        sk_model *m = vm(SK_MARKING_SPM_V2, SK_HOTPLUG_NONE, SK_ONLINE_OFFLINE, false);
        int di = sk_model_find_dax(m, "dax0.0");
        size_t b0;

        /* spm_node: kstrtobool; any valid write while not kmem-bound */
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("maybe")), -EINVAL);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("\n")), -EINVAL);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("foo")), 0);
        CHECK(!m->dax[di].spm_node);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("1\n")), 0);
        CHECK(m->dax[di].spm_node);

        /* SPM into a boot SysRAM node: new_id "succeeds", bind EBUSY, no events */
        m->dax[di].target_node = 1;
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        (void) events(m);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_INT(m->dax[di].driver, SK_DRV_NONE);
        CHECK_STREQ(events(m), "");
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -EBUSY);
        m->dax[di].target_node = 2;

        /* SPM into node 2: fine, latches it SPM */
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_SPM);
        (void) events(m);
        /* node online but not has_memory until a block is online */
        CHECK_STREQ(list(m, SK_LIST_ONLINE), "0-2");
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-1");

        /* EBUSY to change while kmem-bound; same value fine */
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("0")), -EBUSY);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("1")), 0);
        CHECK_INT(sk_store_memmap(m, (size_t) di, W("1")), -EBUSY);
        CHECK_INT(sk_store_memmap(m, (size_t) di, W("0")), 0);

        b0 = dax_block(m, "dax0.0", 0);
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("online_movable")), 0);
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-2");
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-1"); /* movable-only SPM node */
        CHECK_STREQ(fmt(sk_cgroup_effective(m, 0)), "0-2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, 0)), "0-1");

        /* full removal: node goes, latch stays */
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("offline")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK(strstr(events(m), "remove node node2;unbind dax dax0.0") != NULL);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_SPM);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("0")), 0);
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -EBUSY); /* SysRAM into SPM node */
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("y")), 0);
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        sk_model_free(m);
}

/* SPM RFC v1: the same mark under the name protected_memory, EINVAL for a
 * node-type conflict, the type released when the node's last block goes,
 * and cpuset.mems.default in place of cpuset.mems.sysram. */
static void test_spm_v1(void) {
        sk_model *m = vm(SK_MARKING_SPM_V1, SK_HOTPLUG_NONE, SK_ONLINE_OFFLINE, false);
        int di = sk_model_find_dax(m, "dax0.0"), ri;
        size_t b0;

        CHECK_STREQ(sk_marking_to_string(SK_MARKING_SPM_V1), "spm-v1");
        CHECK_INT(sk_marking_from_string("spm-v1"), SK_MARKING_SPM_V1);
        CHECK_STREQ(sk_mark_file(m), "protected_memory");
        CHECK_STREQ(sk_sysram_file(m), "cpuset.mems.default");
        CHECK(sk_has_mems_sysram(m));

        /* kstrtobool and the kmem-bound EBUSY, as v2 */
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("maybe")), -EINVAL);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("1\n")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);

        /* SPM into a boot SysRAM node: the probe fails with EINVAL */
        m->dax[di].target_node = 1;
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_INT(m->dax[di].driver, SK_DRV_NONE);
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), -EINVAL);
        m->dax[di].target_node = 2;

        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_SPM);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("0")), -EBUSY);
        b0 = dax_block(m, "dax0.0", 0);
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("online_movable")), 0);
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-2");
        CHECK_STREQ(fmt(sk_cgroup_effective(m, 0)), "0-2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, 0)), "0-1");   /* mems.default */

        /* the last block goes: the node forgets its type, so System RAM
         * may follow (v2 would say EBUSY here until reboot) */
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("offline")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK(strstr(events(m), "remove node node2;unbind dax dax0.0") != NULL);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_NONE);
        CHECK_INT(sk_store_spm_node(m, (size_t) di, W("0")), 0);
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_SYSRAM);
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, b0 + k, W("online_movable")), 0);
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, 0)), "0-2");

        /* a second device of the other type into the latched node: EINVAL */
        {
                sk_dax_spec d = { .name = "dax5.0", .provider = SK_PROV_PMEM, .node = 2,
                                  .size = UINT64_C(1) << 30, .spm_node = true };
                int d5 = sk_model_add_dax(m, &d);

                CHECK(d5 >= 0);
                CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax5.0")), 0);
                CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax5.0")), 0);
                CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax5.0")), -EINVAL);
                CHECK_INT(m->dax[d5].driver, SK_DRV_NONE);
        }

        /* CXL: protected_memory on the region, copied when it probes */
        ri = sk_model_add_region(m, 4, UINT64_C(1) << 30, false, false, false);
        CHECK(ri >= 0);
        CHECK_INT(sk_store_region_spm_node(m, (size_t) ri, W("1")), 0);
        {
                char name[32];

                snprintf(name, sizeof name, "region%u", m->regions[ri].id);
                CHECK_INT(sk_store_region_bind(m, W(name)), 0);
        }
        CHECK(m->regions[ri].dax >= 0 && m->dax[m->regions[ri].dax].spm_node);
        CHECK_INT(m->nodes[4].latch, SK_LATCH_SPM);
        sk_model_free(m);
}

/* kmem blacklisted at boot: KMEM-flagged devices stay unbound, nothing
 * binds them until the module loads; then its attach pass binds every
 * unbound one it matches, with the mark each has at that moment, and
 * leaves a device already on device_dax alone. */
static void test_kmem_absent(void) {
        sk_config c;
        sk_model *m;
        sk_dax_spec h0 = { .name = "dax1.0", .provider = SK_PROV_HMEM, .node = 2, .size = UINT64_C(1) << 30 };
        sk_dax_spec h1 = { .name = "dax2.0", .provider = SK_PROV_HMEM, .node = 3, .size = UINT64_C(1) << 30 };
        sk_dax_spec p = { .name = "dax3.0", .provider = SK_PROV_PMEM, .node = 4, .size = UINT64_C(1) << 30 };
        sk_dax_spec k = { .name = "dax4.0", .provider = SK_PROV_HMEM, .node = 5, .size = UINT64_C(1) << 30,
                          .driver = SK_DRV_KMEM };
        int d0, d1, d2, d3;

        sk_config_default(&c);
        c.marking = SK_MARKING_SPM_V2;
        c.kmem_absent = true;
        m = sk_model_new(&c);
        CHECK(m && sk_model_add_node(m, 0, "0", UINT64_C(512) << 20) >= 0);
        d0 = sk_model_add_dax(m, &h0);
        d1 = sk_model_add_dax(m, &h1);
        d2 = sk_model_add_dax(m, &p);
        d3 = sk_model_add_dax(m, &k);
        CHECK(d0 >= 0 && d1 >= 0 && d2 >= 0 && d3 >= 0);
        CHECK_INT(m->dax[d0].driver, SK_DRV_NONE);
        CHECK_INT(m->dax[d1].driver, SK_DRV_NONE);
        CHECK_INT(m->dax[d2].driver, SK_DRV_DEVICE_DAX);
        CHECK_INT(m->dax[d3].driver, SK_DRV_NONE);        /* even when asked for */
        CHECK_STREQ(events(m), "add dax dax1.0;add dax dax2.0;add dax dax3.0;bind dax dax3.0 DRIVER=device_dax;"
                               "add dax dax4.0");
        /* no driver: its files are gone too (the file layer), and a store
         * that reaches the model finds no match */
        CHECK_INT(sk_store_bind(m, SK_DRV_KMEM, W("dax1.0")), -ENODEV);
        CHECK_INT(sk_store_spm_node(m, (size_t) d0, W("1")), 0);
        /* dax3.0 parked on device_dax by ID: kmem must not take it */
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax3.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_DEVICE_DAX, W("dax3.0")), 0);
        (void) events(m);

        CHECK_INT(sk_model_load_kmem(m), 0);
        CHECK_INT(m->dax[d0].driver, SK_DRV_KMEM);
        CHECK_INT(m->dax[d1].driver, SK_DRV_KMEM);
        CHECK_INT(m->dax[d2].driver, SK_DRV_DEVICE_DAX);
        CHECK_INT(m->dax[d3].driver, SK_DRV_KMEM);
        CHECK_INT(m->nodes[2].latch, SK_LATCH_SPM);       /* marked before the load */
        CHECK_INT(m->nodes[3].latch, SK_LATCH_SYSRAM);    /* not marked: System RAM */
        CHECK(startswith(events(m), "add module kmem;add drivers kmem;add memory "));
        CHECK_INT(sk_model_load_kmem(m), 0);              /* again: nothing */
        CHECK_STREQ(events(m), "");
        sk_model_free(m);
}

static void test_hotplug_v7(void) {
        sk_model *m = vm(SK_MARKING_SPM_V2, SK_HOTPLUG_V7, SK_ONLINE_OFFLINE, true);
        int di = sk_model_find_dax(m, "dax0.0");
        size_t b0;

        CHECK(sk_dax_devstate_file(m, (size_t) di) == NULL); /* only while kmem-bound */
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_STREQ(sk_dax_devstate_file(m, (size_t) di), "state");
        CHECK_STREQ(sk_dax_devstate_string(m, (size_t) di), "offline"); /* blocks always created */
        b0 = dax_block(m, "dax0.0", 0);
        CHECK(b0 != SIZE_MAX);
        (void) events(m);

        CHECK_INT(sk_store_devstate(m, (size_t) di, W("offline")), -EINVAL);
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("unplug")), -EINVAL);
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("online_movable")), -EBUSY); /* offline → online */
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("unplugged\n")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, (size_t) di), "unplugged");
        CHECK(strstr(events(m), "remove memory memory39;remove node node2") != NULL);
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("unplugged")), 0); /* same: no-op */
        CHECK_STREQ(events(m), "");
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("online_movable")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, (size_t) di), "online_movable");
        CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0-2");
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-1");
        {
                const char *e = events(m);
                CHECK(startswith(e, "add memory memory32;") != NULL);
                CHECK(strstr(e, "add node node2;add memory_tiering memory_tier22;online memory memory32") != NULL);
        }
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("online_kernel")), -EBUSY); /* unplug first */
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("online_movable")), 0);

        /* all-or-nothing with rollback */
        b0 = dax_block(m, "dax0.0", 0);
        m->blocks[b0 + 5].busy = true;
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("unplugged")), -EBUSY);
        for (size_t k = 0; k < 8; k++)
                CHECK(m->blocks[b0 + k].present && m->blocks[b0 + k].online &&
                      m->blocks[b0 + k].zone == SK_ZONE_MOVABLE);
        CHECK_STREQ(sk_dax_devstate_string(m, (size_t) di), "online_movable");
        m->blocks[b0 + 5].busy = false;
        (void) events(m);

        /* direct block writes leave the value stale */
        CHECK_INT(sk_store_block_state(m, b0, W("offline")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, (size_t) di), "online_movable");
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("unplugged")), 0);
        CHECK_INT(sk_store_devstate(m, (size_t) di, W("online")), 0);
        CHECK_INT(m->blocks[b0].zone, SK_ZONE_NORMAL);

        /* unbind while online: leaks */
        CHECK_INT(sk_store_unbind(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK(m->dax[di].stuck);
        CHECK(sk_dax_devstate_file(m, (size_t) di) == NULL);
        sk_model_free(m);

        /* auto_online=online_movable at probe time */
        m = vm(SK_MARKING_STOCK, SK_HOTPLUG_V7, SK_ONLINE_OFFLINE, false);
        CHECK_INT(sk_store_auto_online(m, W("online_movable")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, 0), "online_movable");
        sk_model_free(m);
}

static void test_hotplug_v4_v2(void) {
        sk_model *m = vm(SK_MARKING_STOCK, SK_HOTPLUG_V4, SK_ONLINE_OFFLINE, false);

        /* v4 keeps the default from device creation (offline here) */
        CHECK_INT(sk_store_auto_online(m, W("online_movable")), 0);
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        CHECK_STREQ(sk_dax_devstate_file(m, 0), "hotplug");
        CHECK_STREQ(sk_dax_devstate_string(m, 0), "offline");
        CHECK_INT(sk_store_devstate(m, 0, W("unplug")), -EINVAL);
        CHECK_INT(sk_store_devstate(m, 0, W("unplugged")), 0);
        CHECK_INT(sk_store_devstate(m, 0, W("online_kernel")), 0);
        CHECK_STREQ(list(m, SK_LIST_HAS_NORMAL), "0-2");
        sk_model_free(m);

        m = vm(SK_MARKING_STOCK, SK_HOTPLUG_V2, SK_ONLINE_OFFLINE, false);
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        (void) events(m);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        /* offline default: nothing added, reads unplugged */
        CHECK_STREQ(sk_dax_devstate_string(m, 0), "unplugged");
        CHECK_STREQ(events(m), "bind dax dax0.0 DRIVER=kmem");
        CHECK_INT(sk_store_devstate(m, 0, W("unplugged")), -EINVAL); /* v2 writes "unplug" */
        CHECK_INT(sk_store_devstate(m, 0, W("online_kernel")), -EINVAL);
        CHECK_INT(sk_store_devstate(m, 0, W("online_movable")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, 0), "online_movable");
        CHECK_INT(sk_store_devstate(m, 0, W("online")), -EBUSY);
        /* v2 blocks direct block writes with a notifier */
        CHECK_INT(sk_store_block_state(m, dax_block(m, "dax0.0", 0), W("offline")), -EBUSY);
        CHECK_INT(sk_store_devstate(m, 0, W("unplug\n")), 0);
        CHECK_STREQ(sk_dax_devstate_string(m, 0), "unplugged");
        CHECK(dax_block(m, "dax0.0", 0) == SIZE_MAX);
        sk_model_free(m);
}

static void test_private(void) {
        sk_config c;
        sk_model *m;
        sk_dax_spec d = { .name = "dax0.0", .provider = SK_PROV_HMEM, .node = 2,
                          .size = UINT64_C(1) << 30, .private_mem = true };

        for (int gen = SK_MARKING_PRIVATE_V3; gen <= SK_MARKING_PRIVATE_V4; gen++) {
                sk_config_default(&c);
                c.marking = (sk_marking) gen;
                c.auto_online = SK_ONLINE_OFFLINE;
                m = sk_model_new(&c);
                CHECK_INT(sk_model_add_node(m, 0, "0", UINT64_C(512) << 20), 0);
                CHECK_INT(sk_model_add_dax(m, &d), 0);
                /* hmem on 6.12 binds kmem at once */
                CHECK_INT(m->dax[0].driver, SK_DRV_KMEM);
                CHECK_STREQ(list(m, SK_LIST_HAS_PRIVATE), gen == SK_MARKING_PRIVATE_V3 ? "2" : "");
                for (size_t k = 0; k < 8; k++)
                        CHECK_INT(sk_store_block_state(m, dax_block(m, "dax0.0", k), W("online_movable")), 0);
                CHECK_STREQ(list(m, SK_LIST_HAS_PRIVATE), "2");
                CHECK_STREQ(list(m, SK_LIST_HAS_MEMORY), "0");
                CHECK_STREQ(fmt(sk_cgroup_effective(m, 0)), "0,2");
                CHECK(sk_has_mems_sysram(m) == (gen == SK_MARKING_PRIVATE_V3));
                if (gen == SK_MARKING_PRIVATE_V3)
                        CHECK_STREQ(fmt(sk_cgroup_sysram(m, 0)), "0");
                sk_model_free(m);
        }
}

/* Private v3 regions: private_type only before commit, the probe refused
 * while it is unset or the region is not committed. */
static void test_private_v3_region(void) {
        sk_config c;
        sk_model *m;
        sk_region_spec open_ = { .node = 3, .size = UINT64_C(1) << 30, .private_mem = true, .uncommitted = true };
        sk_region_spec untyped = { .node = 4, .size = UINT64_C(1) << 30, .private_mem = true };
        int a, b;

        sk_config_default(&c);
        c.marking = SK_MARKING_PRIVATE_V3;
        m = sk_model_new(&c);
        CHECK_INT(sk_model_add_node(m, 0, "0", UINT64_C(512) << 20), 0);
        a = sk_model_add_region_spec(m, &open_);
        b = sk_model_add_region_spec(m, &untyped);
        CHECK(a >= 0 && b >= 0 && sk_region_is_private(m, (size_t) a));
        CHECK_INT(sk_store_region_bind(m, W("region1")), -ENXIO);        /* committed, no type */
        CHECK_INT(sk_store_region_private_type(m, (size_t) b, W("zswap")), -EBUSY);
        CHECK_INT(sk_store_region_bind(m, W("region0")), -ENXIO);        /* not committed */
        CHECK_INT(sk_store_region_private_type(m, (size_t) a, W("\n")), -EINVAL);
        CHECK_INT(sk_store_region_private_type(m, (size_t) a, W("zswap\n")), 0);
        CHECK_INT(sk_store_region_commit(m, (size_t) a, W("1")), 0);
        CHECK_INT(sk_store_region_private_type(m, (size_t) a, W("other")), -EBUSY);
        CHECK_STREQ(m->regions[a].private_type, "zswap");
        CHECK_INT(sk_store_region_commit(m, (size_t) a, W("1")), -EBUSY);
        CHECK_INT(sk_store_region_bind(m, W("region0")), 0);
        CHECK(m->regions[a].dax >= 0 && m->dax[m->regions[a].dax].driver == SK_DRV_KMEM);
        CHECK_STREQ(list(m, SK_LIST_HAS_PRIVATE), "3");
        sk_model_free(m);
}

static void test_cxl(void) {
        sk_model *m = vm(SK_MARKING_SPM_V2, SK_HOTPLUG_V7, SK_ONLINE_OFFLINE, false);
        int ri, di;

        /* firmware region: probed at boot, dax bound to kmem as SysRAM */
        ri = sk_model_add_region(m, 3, UINT64_C(1) << 30, false, true, false);
        CHECK(ri >= 0);
        di = m->regions[ri].dax;
        CHECK(di >= 0);
        CHECK_INT(m->dax[di].driver, SK_DRV_KMEM);
        CHECK(!m->dax[di].spm_node);
        CHECK_INT(m->nodes[3].latch, SK_LATCH_SYSRAM);
        {
                const char *e = events(m);
                CHECK(startswith(e, "add cxl region1;bind cxl region1 DRIVER=cxl_region;"
                                    "add cxl dax_region1;bind cxl dax_region1 DRIVER=cxl_dax_region;"
                                    "add dax dax1.0;add memory") != NULL);
        }

        /* user region: spm_node set before the region binds is inherited */
        ri = sk_model_add_region(m, 4, UINT64_C(1) << 30, false, false, false);
        CHECK_INT(sk_store_region_spm_node(m, (size_t) ri, W("maybe")), -EINVAL);
        CHECK_INT(sk_store_region_spm_node(m, (size_t) ri, W("1")), 0);
        CHECK_INT(sk_store_region_bind(m, W("region9")), -ENODEV);
        CHECK_INT(sk_store_region_bind(m, W("region2\n")), 0);
        CHECK_INT(sk_store_region_bind(m, W("region2")), -EBUSY);
        di = m->regions[ri].dax;
        CHECK(m->dax[di].spm_node);
        CHECK_INT(m->dax[di].driver, SK_DRV_KMEM);
        CHECK_INT(m->nodes[4].latch, SK_LATCH_SPM);
        CHECK_INT(sk_store_region_unbind(m, W("region2")), 0);
        CHECK(!m->dax[di].present);
        sk_model_free(m);
}

static void test_cgroups(void) {
        sk_model *m = vm(SK_MARKING_SPM_V2, SK_HOTPLUG_NONE, SK_ONLINE_OFFLINE, true);
        int a, b;

        CHECK_INT(sk_cgroup_mkdir(m, "spmd"), 1);
        CHECK_INT(sk_cgroup_mkdir(m, "spmd"), -EEXIST);
        CHECK_INT(sk_cgroup_mkdir(m, "nope/x"), -ENOENT);
        a = sk_cgroup_find(m, "spmd");
        CHECK(!sk_cgroup_has_cpuset(m, (size_t) a));
        CHECK_INT(sk_store_subtree_control(m, 0, W("+bogus")), -EINVAL);
        CHECK_INT(sk_store_subtree_control(m, 0, W("cpuset")), -EINVAL);
        CHECK_INT(sk_store_subtree_control(m, 0, W("+cpuset\n")), 0);
        CHECK(sk_cgroup_has_cpuset(m, (size_t) a));
        CHECK_INT(sk_cgroup_controllers(m, (size_t) a), SK_CTRL_CPUSET);
        CHECK_INT(sk_store_subtree_control(m, (size_t) a, W("+memory")), -ENOENT);
        CHECK_INT(sk_store_subtree_control(m, (size_t) a, W("+cpuset")), 0);
        CHECK_INT(sk_cgroup_mkdir(m, "spmd/app"), 2);
        b = sk_cgroup_find(m, "/spmd/app/");
        CHECK_INT(b, 2);
        CHECK_INT(sk_store_subtree_control(m, 0, W("-cpuset")), -EBUSY);
        CHECK_INT(sk_cgroup_rmdir(m, "spmd"), -EBUSY);

        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("0,,1")), 0);
        CHECK_STREQ(fmt(m->cgroups[a].mems), "0-1");
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W(" 0\n")), 0);
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("1024")), -ERANGE);
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("7")), -EINVAL); /* not possible */
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("0-")), -EINVAL);
        CHECK_INT(sk_store_cpuset_mems(m, 0, W("0")), -EACCES);
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("0,2")), 0); /* possible, offline: fine */
        CHECK_STREQ(fmt(sk_cgroup_effective(m, (size_t) a)), "0");
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) b, W("2")), 0);
        CHECK_STREQ(fmt(sk_cgroup_effective(m, (size_t) b)), "0"); /* empty ∩ → parent's */

        /* SPM node 2 comes online */
        CHECK_INT(sk_store_unbind(m, SK_DRV_DEVICE_DAX, W("dax0.0")), 0);
        CHECK_INT(sk_store_new_id(m, SK_DRV_KMEM, W("dax0.0")), 0);
        for (size_t k = 0; k < 8; k++)
                CHECK_INT(sk_store_block_state(m, dax_block(m, "dax0.0", k), W("online_movable")), 0);
        CHECK_STREQ(fmt(sk_cgroup_effective(m, 0)), "0-2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, 0)), "0-1");
        CHECK_STREQ(fmt(sk_cgroup_effective(m, (size_t) a)), "0,2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, (size_t) a)), "0");
        CHECK_STREQ(fmt(sk_cgroup_effective(m, (size_t) b)), "2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, (size_t) b)), ""); /* only SPM: empty */
        CHECK_INT(sk_store_cpuset_mems(m, (size_t) a, W("")), 0);
        CHECK_STREQ(fmt(sk_cgroup_effective(m, (size_t) a)), "0-2");
        CHECK_STREQ(fmt(sk_cgroup_sysram(m, (size_t) a)), "0-1");
        CHECK_STREQ(events(m) ? "" : "x", "");

        CHECK_INT(sk_cgroup_rmdir(m, "spmd/app"), 0);
        CHECK_INT(sk_cgroup_rmdir(m, "spmd/app"), -ENOENT);
        CHECK_INT(sk_store_subtree_control(m, (size_t) a, W("-cpuset")), 0);
        CHECK_INT(sk_store_subtree_control(m, 0, W("-cpuset")), 0);
        CHECK(!sk_cgroup_has_cpuset(m, (size_t) a));
        CHECK_INT(sk_cgroup_rmdir(m, "spmd"), 0);
        CHECK_INT(sk_cgroup_rmdir(m, ""), -EBUSY);
        sk_model_free(m);
}

static void test_hot_add_remove_and_burst(void) {
        sk_model *m = vm(SK_MARKING_STOCK, SK_HOTPLUG_NONE, SK_ONLINE_OFFLINE, false);
        sk_dax_spec d = { .provider = SK_PROV_HMEM, .node = 5, .size = UINT64_C(512) << 20 };
        int di;
        size_t n;
        sk_uevent *e;

        di = sk_model_add_dax(m, &d);
        CHECK(di > 0);
        CHECK_STREQ(m->dax[di].name, "dax1.0");
        CHECK_INT(m->dax[di].driver, SK_DRV_KMEM);
        CHECK(startswith(events(m), "add dax dax1.0;add memory") != NULL);
        CHECK_STREQ(list(m, SK_LIST_ONLINE), "0-1,5");
        CHECK_INT(sk_model_remove_dax(m, "dax1.0"), 0);
        CHECK(strstr(events(m), "remove node node5;unbind dax dax1.0;remove dax dax1.0") != NULL);
        CHECK_INT(sk_model_remove_dax(m, "dax1.0"), -ENODEV);

        CHECK_INT(sk_model_burst(m, 5000), 0);
        e = sk_model_take_events(m, &n);
        CHECK_INT(n, 5000);
        CHECK(n > 0 && streq(e[0].action, "change") && e[n - 1].seqnum == e[0].seqnum + 4999);
        sk_uevents_free(e, n);
        sk_model_free(m);
}

int main(void) {
        TEST(test_parsers);
        TEST(test_stock_flow);
        TEST(test_auto_online_and_stuck);
        TEST(test_spm_v2_latch);
        TEST(test_spm_v1);
        TEST(test_kmem_absent);
        TEST(test_hotplug_v7);
        TEST(test_hotplug_v4_v2);
        TEST(test_private);
        TEST(test_private_v3_region);
        TEST(test_cxl);
        TEST(test_cgroups);
        TEST(test_hot_add_remove_and_burst);
        return tap_done();
}
