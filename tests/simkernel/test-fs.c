/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The simulated kernel through its mounted tree: every transition and
 * errno per generation with plain open/read/write(2), symlinks, faults,
 * the control socket, lib/topology on the mount, and uevents through a
 * libudev monitor running under umockdev's preload. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "macro.h"
#include "tap.h"
#include "cpuset.h"
#include "kernel-features.h"
#include "paths.h"
#include "topology.h"

static sk_sim *sim;
static bool unavailable;

#define VM_NODES "[node 0]\ncpus=0\nmemory=512M\n[node 1]\ncpus=1\nmemory=512M\n[node 2]\n"
#define DAX0 "[dax dax0.0]\nnode=2\nsize=1G\nprovider=pmem\n"

static bool start(const char *scenario) {
        int r;

        sim = NULL;
        if (unavailable)
                return false;
        r = sk_sim_start(scenario, &sim);
        if (r == -EOPNOTSUPP) {
                unavailable = true;
                return false;
        }
        CHECK_INT(r, 0);
        return r >= 0;
}

static void stop(void) {
        sk_sim_stop(sim);
        sim = NULL;
}

/* read, compare, free */
#define CHECK_FILE(rel, text)                                                   \
        do {                                                                    \
                char *_s_ = NULL;                                               \
                CHECK_INT(sk_sim_read(sim, (rel), &_s_), 0);                    \
                CHECK_STREQ(_s_, (text));                                       \
                free(_s_);                                                      \
        } while (0)

#define W(rel, v) sk_sim_write(sim, (rel), (v))

static bool exists(const char *rel) {
        struct stat st;
        return lstat(sk_sim_path(sim, rel), &st) == 0;
}

static char *link_of(const char *rel) {
        static char buf[1024];
        ssize_t n = readlink(sk_sim_path(sim, rel), buf, sizeof buf - 1);
        buf[n < 0 ? 0 : n] = 0;
        return buf;
}

static int open_errno(const char *rel, int flags) {
        int fd = open(sk_sim_path(sim, rel), flags | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        close(fd);
        return 0;
}

static void online_all(const char *how, unsigned first, unsigned n) {
        for (unsigned b = first; b < first + n; b++) {
                char p[128];
                snprintf(p, sizeof p, "devices/system/memory/memory%u/state", b);
                CHECK_INT(W(p, how), 0);
        }
}

static void test_stock(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        const spm_dax_device *d;
        int fd;

        if (!start("[kernel]\nmarking=stock\nauto_online_blocks=offline\n" VM_NODES DAX0))
                return;

        CHECK_FILE("devices/system/node/possible", "0-2\n");
        CHECK_FILE("devices/system/node/online", "0-1\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1\n");
        CHECK_FILE("devices/system/node/has_cpu", "0-1\n");
        CHECK(!exists("devices/system/node/has_private_memory"));
        CHECK_FILE("devices/system/memory/block_size_bytes", "8000000\n");
        CHECK_FILE("devices/system/memory/auto_online_blocks", "offline\n");
        CHECK_FILE("devices/system/memory/memory0/phys_index", "00000000\n");
        CHECK_FILE("devices/system/memory/memory0/valid_zones", "Normal\n");
        CHECK_STREQ(link_of("bus/dax/devices/dax0.0"),
                    "../../../devices/platform/ACPI0012:00/ndbus0/region0/dax0.0/dax0.0");
        CHECK(endswith(link_of("bus/dax/devices/dax0.0/driver"), "/bus/dax/drivers/device_dax"));
        CHECK_FILE("bus/dax/devices/dax0.0/target_node", "2\n");
        CHECK_FILE("bus/dax/devices/dax0.0/size", "1073741824\n");
        CHECK_FILE("bus/dax/devices/dax0.0/mapping0/start", "0x100000000\n");
        CHECK_FILE("bus/dax/devices/dax0.0/mapping0/end", "0x13fffffff\n");
        CHECK_FILE("bus/dax/devices/dax0.0/../dax_region/id", "0\n");
        CHECK(!exists("bus/dax/devices/dax0.0/spm_node"));
        CHECK(!exists("bus/dax/devices/dax0.0/state"));

        /* sysfs open rules: no store → EACCES for writing, no show for reading */
        CHECK_INT(W("bus/dax/devices/dax0.0/target_node", "3"), -EACCES);
        CHECK_INT(open_errno("bus/dax/drivers/kmem/new_id", O_RDONLY), -EACCES);
        CHECK_INT(W("bus/dax/devices/dax0.0/nope", "1"), -ENOENT);
        CHECK_INT(W("bus/dax/devices/dax0.0/memmap_on_memory", "2"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/memmap_on_memory", "1"), 0);
        CHECK_INT(mkdir(sk_sim_path(sim, "devices/foo"), 0755) < 0 ? -errno : 0, -EPERM);

        /* vm-e2e §3 */
        CHECK_INT(W("devices/system/memory/auto_online_blocks", "bogus"), -EINVAL);
        CHECK_INT(W("bus/dax/drivers/kmem/bind", "dax0.0"), -ENODEV);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0x"), -EINVAL);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax9.9"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/remove_id", "dax8.8\n"), 0);
        CHECK_INT(W("bus/dax/drivers/device_dax/unbind", "dax0.0\n"), 0);
        CHECK(!exists("bus/dax/devices/dax0.0/driver"));
        CHECK_INT(W("bus/dax/drivers/device_dax/unbind", "dax0.0"), -ENODEV);
        CHECK_INT(W("bus/dax/devices/dax0.0/memmap_on_memory", "0"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0\n"), 0);
        CHECK(endswith(link_of("bus/dax/devices/dax0.0/driver"), "/bus/dax/drivers/kmem"));
        CHECK(exists("bus/dax/drivers/kmem/dax0.0"));
        CHECK_INT(W("bus/dax/drivers/kmem/bind", "dax0.0"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/memmap_on_memory", "1"), -EBUSY);
        CHECK_FILE("devices/system/node/online", "0-2\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1\n");
        CHECK_FILE("devices/system/memory/memory32/state", "offline\n");
        CHECK_FILE("devices/system/memory/memory32/valid_zones", "Normal Movable\n");
        CHECK_STREQ(link_of("devices/system/node/node2/memory32"), "../../memory/memory32");
        CHECK_STREQ(link_of("devices/system/memory/memory32/node2"), "../../node/node2");

        CHECK_INT(W("devices/system/memory/memory32/state", "bogus"), -EINVAL);
        CHECK_INT(W("devices/system/memory/memory32/state", "offline"), -EINVAL);
        /* a shell's "echo x > file" opens with O_TRUNC: accepted */
        fd = open(sk_sim_path(sim, "devices/system/memory/memory32/state"), O_WRONLY | O_TRUNC | O_CLOEXEC);
        CHECK(fd >= 0);
        CHECK_INT(write(fd, "online_movable\n", 15), 15);
        close(fd);
        CHECK_INT(W("devices/system/memory/memory32/state", "online"), -EINVAL);
        online_all("online_movable", 33, 7);
        CHECK_FILE("devices/system/memory/memory32/valid_zones", "Movable\n");
        CHECK_FILE("devices/system/memory/memory32/state", "online\n");
        CHECK_FILE("devices/system/node/has_memory", "0-2\n");
        CHECK_FILE("devices/system/node/has_normal_memory", "0-1\n");
        CHECK_FILE("devices/virtual/memory_tiering/memory_tier22/nodelist", "2\n");
        {
                char *s = NULL;
                CHECK_INT(sk_sim_read(sim, "devices/system/node/node2/meminfo", &s), 0);
                CHECK(s && strstr(s, "Node 2 MemTotal:        1048576 kB"));
                free(s);
        }

        /* lib/topology on the mount */
        CHECK_INT(spm_topology_load_from(sim->sys, &t), 0);
        if (t) {
                CHECK_INT(t->n_unreadable, 0);
                CHECK_MASK(t->has_memory, "0-2");
                CHECK_MASK(t->online, "0-2");
                CHECK_U64(t->block_size, UINT64_C(0x8000000));
                CHECK_INT(t->auto_online, SPM_ONLINE_OFFLINE);
                d = spm_topology_find_dax(t, "dax0.0");
                CHECK(d);
                if (d) {
                        CHECK_STREQ(d->driver, "kmem");
                        CHECK_INT(d->target_node, 2);
                        CHECK_INT(d->provider, SPM_PROVIDER_PMEM);
                        CHECK_INT(d->n_ranges, 1);
                        CHECK_INT(d->n_blocks, 8);
                        CHECK_INT(d->n_blocks_online, 8);
                        CHECK_INT(d->memmap_on_memory, 0);
                        CHECK_INT(d->spm_node, -1);
                }
                CHECK_INT(t->n_blocks, 16);
        }

        /* unbind while online: success, range stuck */
        CHECK_INT(W("bus/dax/drivers/kmem/unbind", "dax0.0"), 0);
        CHECK_FILE("devices/system/memory/memory32/state", "online\n");
        online_all("offline", 32, 8);
        CHECK_INT(W("bus/dax/drivers/kmem/bind", "dax0.0"), -EBUSY);
        CHECK_INT(W("bus/dax/drivers/device_dax/bind", "dax0.0"), -EBUSY);

        /* cgroup v2 */
        CHECK_FILE("fs/cgroup/cgroup.controllers", "cpuset memory pids\n");
        CHECK_FILE("fs/cgroup/cpuset.mems.effective", "0-1\n");
        CHECK(!exists("fs/cgroup/cpuset.mems"));
        CHECK(!exists("fs/cgroup/cpuset.mems.sysram"));
        CHECK_INT(mkdir(sk_sim_path(sim, "fs/cgroup/spmd"), 0755), 0);
        CHECK_INT(mkdir(sk_sim_path(sim, "fs/cgroup/spmd"), 0755) < 0 ? -errno : 0, -EEXIST);
        CHECK(!exists("fs/cgroup/spmd/cpuset.mems"));
        CHECK_INT(W("fs/cgroup/cgroup.subtree_control", "+bogus"), -EINVAL);
        CHECK_INT(W("fs/cgroup/cgroup.subtree_control", "+cpuset"), 0);
        CHECK_FILE("fs/cgroup/cgroup.subtree_control", "cpuset\n");
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems", "\n");
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.effective", "0-1\n");
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "0,,1"), 0);
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", " 0"), 0);
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems", "0\n");
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "1024"), -ERANGE);
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "x"), -EINVAL);
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "5"), -EINVAL);
        /* cgroupfs: RO file opens for writing, write() is EINVAL */
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems.effective", "0"), -EINVAL);
        CHECK_INT(W("fs/cgroup/spmd/cgroup.subtree_control", "+cpuset"), 0);
        CHECK_INT(mkdir(sk_sim_path(sim, "fs/cgroup/spmd/app"), 0755), 0);
        CHECK_INT(W("fs/cgroup/spmd/app/cpuset.mems", "1"), 0);
        CHECK_FILE("fs/cgroup/spmd/app/cpuset.mems.effective", "0\n"); /* ∩ empty → parent's */
        CHECK_INT(rmdir(sk_sim_path(sim, "fs/cgroup/spmd")) < 0 ? -errno : 0, -EBUSY);
        CHECK_INT(W("fs/cgroup/cgroup.subtree_control", "-cpuset"), -EBUSY);
        CHECK_INT(rmdir(sk_sim_path(sim, "fs/cgroup/spmd/app")), 0);
        CHECK_INT(rmdir(sk_sim_path(sim, "fs/cgroup/spmd")), 0);
        stop();
}

static void test_spm_v2_state_v7(void) {
        if (!start("[kernel]\nmarking=spm-v2\nhotplug=v7\nauto_online_blocks=offline\n" VM_NODES DAX0
                   "[cgroup spmd]\n[cgroup /]\nsubtree_control=+cpuset\n"))
                return;

        CHECK_FILE("bus/dax/devices/dax0.0/spm_node", "0\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "maybe"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "\n"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "2"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "foo"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/spm_node", "0\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "on"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/spm_node", "1\n");

        CHECK_INT(W("bus/dax/drivers/device_dax/remove_id", "dax0.0"), 0);
        CHECK_INT(W("bus/dax/drivers/device_dax/unbind", "dax0.0"), 0);
        CHECK(!exists("bus/dax/devices/dax0.0/state"));
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/state", "offline\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "0"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "1"), 0);
        CHECK_FILE("devices/system/node/online", "0-2\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1\n");

        CHECK_INT(W("bus/dax/devices/dax0.0/state", "offline"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "unplug"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "online_movable"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "unplugged"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/state", "unplugged\n");
        CHECK(!exists("devices/system/memory/memory32"));
        CHECK_FILE("devices/system/node/online", "0-1\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "unplugged"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "online_movable\n"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/state", "online_movable\n");
        CHECK_FILE("devices/system/memory/memory35/valid_zones", "Movable\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "online_kernel"), -EBUSY);

        /* §15 figures */
        CHECK_FILE("devices/system/node/has_memory", "0-2\n");
        CHECK_FILE("devices/system/node/has_normal_memory", "0-1\n");
        CHECK_FILE("fs/cgroup/cpuset.mems.effective", "0-2\n");
        CHECK_FILE("fs/cgroup/cpuset.mems.sysram", "0-1\n");
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.effective", "0-2\n");
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.sysram", "0-1\n");
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "0,2"), 0);
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.effective", "0,2\n");
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.sysram", "0\n");
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems", "2"), 0);
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.sysram", "\n");
        CHECK_INT(W("fs/cgroup/spmd/cpuset.mems.sysram", "0"), -EINVAL); /* root: open ok, write EINVAL */
        CHECK_INT(W("fs/cgroup/cpuset.mems.sysram", "0"), -EINVAL);

        /* lib/cpuset reads the same through SPM_CGROUP_ROOT */
        {
                spm_cpuset c;

                setenv("SPM_CGROUP_ROOT", sim->cgroup, 1);
                spm_paths_reset();
                CHECK_INT(spm_cpuset_read("spmd", &c), 0);
                CHECK(c.mems_present && c.effective_present && c.sysram_present && !c.mems_default_present);
                CHECK_MASK(c.mems, "2");
                CHECK_MASK(c.effective, "2");
                CHECK_MASK(c.sysram, "");
                CHECK_INT(spm_cpuset_read("", &c), 0);
                CHECK(!c.mems_present);
                CHECK_MASK(c.effective, "0-2");
                CHECK_MASK(c.sysram, "0-1");
                CHECK_INT(spm_cpuset_read("gone", &c), -ENOENT);
                unsetenv("SPM_CGROUP_ROOT");
                spm_paths_reset();
        }

        /* busy block: all-or-nothing unplug */
        CHECK_INT(sk_sim_ctl(sim, NULL, "busy memory36 1"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "unplugged"), -EBUSY);
        CHECK_FILE("devices/system/memory/memory32/state", "online\n");
        CHECK_INT(W("devices/system/memory/memory36/state", "offline"), -EBUSY);
        CHECK_INT(sk_sim_ctl(sim, NULL, "busy memory36 0"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/state", "unplugged"), 0);
        /* cgroup effective follows node hotplug */
        CHECK_FILE("fs/cgroup/spmd/cpuset.mems.effective", "0-1\n");

        /* the latch survives: SysRAM into node 2 is EBUSY, new_id hides it */
        CHECK_INT(W("bus/dax/drivers/kmem/unbind", "dax0.0"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "0"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), 0);
        CHECK(!exists("bus/dax/devices/dax0.0/driver"));
        CHECK_INT(W("bus/dax/drivers/kmem/bind", "dax0.0"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "1"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/bind", "dax0.0"), 0);
        stop();
}

static void test_hotplug_v2_v4(void) {
        if (!start("[kernel]\nhotplug=v2\nauto_online_blocks=offline\n" VM_NODES
                   "[dax dax0.0]\nnode=2\nsize=1G\nprovider=hmem\n"))
                return;
        /* hmem binds kmem at once; v2 with an offline default adds nothing */
        CHECK_FILE("bus/dax/devices/dax0.0/hotplug", "unplugged\n");
        CHECK(!exists("devices/system/memory/memory32"));
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "unplugged"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "online_kernel"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "online_movable"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/hotplug", "online_movable\n");
        CHECK_INT(W("devices/system/memory/memory32/state", "offline"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "online"), -EBUSY);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "unplug"), 0);
        CHECK_FILE("bus/dax/devices/dax0.0/hotplug", "unplugged\n");
        stop();

        if (!start("[kernel]\nhotplug=v4\nauto_online_blocks=online_movable\n" VM_NODES
                   "[dax dax0.0]\nnode=2\nsize=1G\nprovider=hmem\n"))
                return;
        CHECK_FILE("bus/dax/devices/dax0.0/hotplug", "online_movable\n");
        CHECK_FILE("devices/system/memory/memory32/valid_zones", "Movable\n");
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "unplug"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "offline"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "unplugged"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/hotplug", "online_kernel"), 0);
        CHECK_FILE("devices/system/node/has_normal_memory", "0-2\n");
        stop();
}

static void test_private(void) {
        if (!start("[kernel]\nmarking=private-v3\nauto_online_blocks=online_movable\n" VM_NODES
                   "[dax dax0.0]\nnode=2\nsize=1G\nprovider=hmem\nprivate=yes\n"))
                return;
        CHECK_FILE("devices/system/node/has_private_memory", "2\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1\n");
        CHECK_FILE("fs/cgroup/cpuset.mems.effective", "0-2\n");
        CHECK_FILE("fs/cgroup/cpuset.mems.sysram", "0-1\n");
        CHECK(!exists("bus/dax/devices/dax0.0/spm_node"));
        stop();

        if (!start("[kernel]\nmarking=private-v4\nauto_online_blocks=offline\n" VM_NODES
                   "[dax dax0.0]\nnode=2\nsize=1G\nprovider=hmem\nprivate=yes\n"))
                return;
        CHECK_FILE("devices/system/node/has_private_memory", "\n"); /* v4: only while online */
        online_all("online_movable", 32, 8);
        CHECK_FILE("devices/system/node/has_private_memory", "2\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1\n");
        CHECK(!exists("fs/cgroup/cpuset.mems.sysram"));
        online_all("offline", 32, 8);
        CHECK_FILE("devices/system/node/has_private_memory", "\n");
        stop();
}

static void test_cxl(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;

        if (!start("[kernel]\nmarking=spm-v2\nhotplug=v7\nauto_online_blocks=offline\n" VM_NODES
                   "[region]\nnode=3\nsize=1G\nauto=yes\n[region]\nnode=4\nsize=1G\nauto=no\n"))
                return;
        /* the firmware region came up bound to kmem, SysRAM */
        CHECK(endswith(link_of("bus/dax/devices/dax0.0/driver"), "/kmem"));
        CHECK_FILE("bus/dax/devices/dax0.0/spm_node", "0\n");
        CHECK_FILE("bus/cxl/devices/region1/spm_node", "0\n");
        CHECK(!exists("bus/dax/devices/dax1.0"));
        CHECK_INT(W("bus/cxl/devices/region1/spm_node", "maybe"), -EINVAL);
        CHECK_INT(W("bus/cxl/devices/region1/spm_node", "1"), 0);
        CHECK_INT(W("bus/cxl/drivers/cxl_region/bind", "region9"), -ENODEV);
        CHECK_INT(W("bus/cxl/drivers/cxl_region/bind", "region1"), 0);
        CHECK_FILE("bus/dax/devices/dax1.0/spm_node", "1\n");
        CHECK(endswith(link_of("bus/dax/devices/dax1.0/driver"), "/kmem"));
        CHECK_INT(W("bus/dax/devices/dax1.0/state", "unplugged"), 0);
        CHECK_INT(W("bus/dax/devices/dax1.0/state", "online_movable"), 0);

        CHECK_INT(spm_topology_load_from(sim->sys, &t), 0);
        if (t) {
                const spm_dax_device *d = spm_topology_find_dax(t, "dax1.0");
                const spm_cxl_region *g = spm_topology_find_region(t, "region1");

                CHECK_INT(t->n_regions, 2);
                CHECK(d && d->provider == SPM_PROVIDER_CXL && d->spm_node == 1);
                CHECK(d && streq_ptr(d->cxl_region, "region1"));
                CHECK(g && g->spm_node == 1 && streq_ptr(g->driver, "cxl_region") &&
                      streq_ptr(g->dax_device, "dax1.0") && streq_ptr(g->mode, "ram"));
                CHECK(d && d->hotplug_attr == SPM_DAX_HOTPLUG_STATE &&
                      d->hotplug_state == SPM_DAX_STATE_ONLINE_MOVABLE);
                CHECK_INT(t->n_unreadable, 0);
        }
        stop();
}

static unsigned log_lines(void) {
        FILE *f = fopen(sim->uevent_log, "re");
        unsigned n = 0;
        int c;

        if (!f)
                return 0;
        while ((c = fgetc(f)) != EOF)
                n += c == '\n';
        fclose(f);
        return n;
}

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* kmem blacklisted: no driver directory, the hmem device unbound; a
 * write to the missing new_id is ENOENT; "load-kmem" (what a test's fake
 * modprobe runs) makes the directory appear and binds the device with the
 * mark it has then. */
static void test_kmem_absent(void) {
        if (!start("[kernel]\nmarking=spm-v2\nkmem=absent\n" VM_NODES
                   "[dax dax0.0]\nnode=2\nsize=1G\nprovider=hmem\n"))
                return;
        CHECK(!exists("bus/dax/drivers/kmem"));
        CHECK(exists("bus/dax/drivers/device_dax/bind"));
        CHECK(!exists("bus/dax/devices/dax0.0/driver"));
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), -ENOENT);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "1"), 0);
        CHECK_INT(sk_sim_ctl(sim, NULL, "load-kmem"), 0);
        CHECK(exists("bus/dax/drivers/kmem/new_id"));
        CHECK(endswith(link_of("bus/dax/devices/dax0.0/driver"), "/kmem"));
        CHECK_FILE("bus/dax/devices/dax0.0/spm_node", "1\n");
        CHECK_INT(sk_sim_ctl(sim, NULL, "load-kmem"), 0);
        stop();
}

static void test_faults_and_control(void) {
        char *reply = NULL;
        double t0;

        if (!start("[kernel]\nauto_online_blocks=offline\n" VM_NODES DAX0
                   "[faults]\nfail=bus/dax/drivers/kmem/new_id 2 EIO\n"
                   "delay=devices/system/memory/auto_online_blocks 200\ndrop_uevents=1\n"))
                return;

        /* the Nth write fails with the errno, once; the model is untouched */
        CHECK_INT(W("bus/dax/drivers/device_dax/unbind", "dax0.0"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax9.9"), 0);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), -EIO);
        CHECK(!exists("bus/dax/devices/dax0.0/driver"));
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), 0);
        CHECK(exists("bus/dax/devices/dax0.0/driver"));

        t0 = now();
        CHECK_INT(W("devices/system/memory/auto_online_blocks", "online"), 0);
        CHECK(now() - t0 >= 0.19);

        CHECK_INT(sk_sim_ctl(sim, NULL, "fail devices/system/memory/memory33/state 1 EHWPOISON"), 0);
        CHECK_INT(W("devices/system/memory/memory33/state", "online"), -EHWPOISON);
        CHECK_INT(sk_sim_ctl(sim, NULL, "bogus"), -EOPNOTSUPP);

        /* hot-add/remove while running */
        CHECK_INT(sk_sim_ctl(sim, &reply, "add-dax node=3 size=512M provider=hmem"), 0);
        CHECK_STREQ(reply, "ok dax1.0\n");
        free(reply);
        CHECK(endswith(link_of("bus/dax/devices/dax1.0/driver"), "/kmem")); /* hmem: kmem by type */
        CHECK_FILE("devices/system/node/online", "0-3\n");
        CHECK_FILE("devices/system/node/has_memory", "0-1,3\n"); /* auto_online=online now */
        CHECK_INT(sk_sim_ctl(sim, NULL, "remove-dax dax1.0"), -0); /* online memory leaks */
        CHECK(!exists("bus/dax/devices/dax1.0"));
        CHECK_INT(sk_sim_ctl(sim, NULL, "remove-dax dax1.0"), -ENODEV);
        CHECK_INT(sk_sim_ctl(sim, NULL, "mkdir a"), 0);
        CHECK(exists("fs/cgroup/a/cgroup.procs"));
        CHECK_INT(sk_sim_ctl(sim, NULL, "mkdir a/b"), 0);
        CHECK_INT(sk_sim_ctl(sim, NULL, "rmdir a"), -EBUSY);
        CHECK_INT(sk_sim_ctl(sim, NULL, "rmdir a/b"), 0);
        CHECK_INT(sk_sim_ctl(sim, &reply, "read devices/system/node/possible"), 0);
        CHECK_STREQ(reply, "ok 0-3\n");
        free(reply);

        /* one event was dropped: the unbind of dax0.0 */
        CHECK_INT(sk_sim_ctl(sim, &reply, "sync"), 0);
        free(reply);
        CHECK_INT(sk_sim_ctl(sim, &reply, "stats"), 0);
        CHECK(reply && strstr(reply, "dropped=1"));
        free(reply);
        {
                FILE *f = fopen(sim->uevent_log, "re");
                char line[512] = "";
                CHECK(f && fgets(line, sizeof line, f));
                CHECK(strstr(line, " add memory ") != NULL); /* not the unbind */
                if (f)
                        fclose(f);
        }

        /* writing an action to a uevent file synthesises the event */
        CHECK_INT(W("devices/system/memory/memory0/uevent", "bogus"), -EINVAL);
        CHECK_INT(W("bus/dax/devices/dax0.0/uevent", "change\n"), 0);
        CHECK_INT(sk_sim_ctl(sim, NULL, "sync"), 0);
        {
                FILE *f = fopen(sim->uevent_log, "re");
                char line[512] = "", last[512] = "";
                while (f && fgets(line, sizeof line, f))
                        memcpy(last, line, sizeof last);
                if (f)
                        fclose(f);
                CHECK(strstr(last, " change dax /devices/platform/ACPI0012:00/ndbus0/region0/dax0.0/dax0.0 "
                                   "DEVNAME=dax0.0 DRIVER=kmem MODALIAS=dax:t0*") != NULL);
        }

        /* a burst */
        {
                unsigned before = log_lines();
                CHECK_INT(sk_sim_ctl(sim, NULL, "burst 5000"), 0);
                CHECK_INT(sk_sim_ctl(sim, NULL, "sync"), 0);
                CHECK_INT(log_lines() - before, 5000);
        }
        stop();
}

/* A libudev monitor and enumerator under the preload, as spmd runs. */
static pid_t spawn_probe(sk_sim *s, int *ret_fd, char *const argv[]) {
        int p[2];
        pid_t pid;

        if (pipe2(p, O_CLOEXEC) < 0)
                return -1;
        pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                setenv("LD_PRELOAD", "libumockdev-preload.so.0", 1);
                setenv("UMOCKDEV_DIR", s->testbed, 1);
                setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
                execv(argv[0], argv);
                _exit(127);
        }
        close(p[1]);
        *ret_fd = p[0];
        return pid;
}

static char *slurp(int fd, bool until_ready) {
        static char buf[1 << 20];
        size_t k = 0;

        for (;;) {
                ssize_t n = read(fd, buf + k, sizeof buf - 1 - k);
                if (n <= 0)
                        break;
                k += (size_t) n;
                buf[k] = 0;
                if (until_ready && strstr(buf, "ready\n"))
                        break;
        }
        buf[k] = 0;
        return buf;
}

static void test_udev(void) {
        const char *probe = getenv("SPM_SIMKERNEL_UDEV_PROBE");
        char *out;
        int fd, st;
        pid_t pid;

        const char *preload = getenv("SPM_SIMKERNEL_PRELOAD");

        if (!probe || access(probe, X_OK) < 0) {
                tap_fail_at(__FILE__, __LINE__, "SPM_SIMKERNEL_UDEV_PROBE not set");
                return;
        }
        if (!preload || access(preload, R_OK) < 0) {
                printf("# umockdev's preload library is not installed: udev checks skipped\n");
                return;
        }
        if (!start("[kernel]\nmarking=spm-v2\nauto_online_blocks=offline\n" VM_NODES DAX0))
                return;

        /* enumerator: devices and sysattrs through the redirected /sys */
        pid = spawn_probe(sim, &fd, (char *[]) { (char *) probe, "enumerate", "dax", "target_node", "spm_node", NULL });
        out = slurp(fd, false);
        close(fd);
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_STREQ(out, "dax0.0 device_dax target_node=2 spm_node=0\n");

        /* monitor: the kernel's order at an SPM kmem bind */
        CHECK_INT(W("bus/dax/drivers/device_dax/unbind", "dax0.0"), 0);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "1"), 0);
        CHECK_INT(sk_sim_ctl(sim, NULL, "sync"), 0);
        pid = spawn_probe(sim, &fd, (char *[]) { (char *) probe, "monitor", "19", "10000", NULL });
        out = slurp(fd, true);
        CHECK(strstr(out, "ready") != NULL);
        CHECK_INT(W("bus/dax/drivers/kmem/new_id", "dax0.0"), 0);
        online_all("online_movable", 32, 8);
        CHECK_INT(W("bus/dax/devices/dax0.0/spm_node", "1"), 0); /* no event */
        CHECK_INT(W("fs/cgroup/cgroup.subtree_control", "+cpuset"), 0); /* no event */
        out = slurp(fd, false);
        close(fd);
        CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
        {
                const char *p = out;
                const char *want[] = {
                        "add memory memory32 -", "add memory memory39 -", "add node node2 -",
                        "bind dax dax0.0 kmem", "add memory_tiering memory_tier22 -",
                        "online memory memory32 -", "online memory memory39 -",
                };
                for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                        const char *q = strstr(p, want[i]);
                        if (!q)
                                tap_fail_at(__FILE__, __LINE__, "missing or out of order: %s in\n%s", want[i], out);
                        else
                                p = q;
                }
        }

        /* throughput of a burst to one monitor (printed, not asserted) */
        {
                double t0;
                char *r = NULL;

                pid = spawn_probe(sim, &fd, (char *[]) { (char *) probe, "monitor", "5000", "60000", "memory", NULL });
                (void) slurp(fd, true);
                t0 = now();
                CHECK_INT(sk_sim_ctl(sim, NULL, "burst 5000"), 0);
                out = slurp(fd, false);
                close(fd);
                CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
                printf("# burst: 5000 uevents received by a libudev monitor in %.3f s (%.0f events/s)\n",
                       now() - t0, 5000 / (now() - t0));
                CHECK_INT(sk_sim_ctl(sim, &r, "stats"), 0);
                printf("# %s", r ? r : "\n");
                free(r);
        }
        stop();
}

/* lib/kernel-features on each shipped scenario: the generation the
 * scenario declares is the one spmd detects. */
static void test_feature_probe(void) {
        static const struct {
                const char *file;
                spm_marking_gen marking;
                spm_private_gen private_nodes;
                spm_hotplug_gen hotplug;
                spm_sysram_view sysram;
        } cases[] = {
                { "stock-6.12.ini",        SPM_MARKING_NONE,   SPM_PRIVATE_NONE, SPM_HOTPLUG_UNKNOWN,  SPM_SYSRAM_VIEW_NONE },
                { "spm-v2-hotplug-v7.ini", SPM_MARKING_SPM_V2, SPM_PRIVATE_NONE, SPM_HOTPLUG_V7,       SPM_SYSRAM_VIEW_MEMS_SYSRAM },
                { "hotplug-v2.ini",        SPM_MARKING_NONE,   SPM_PRIVATE_NONE, SPM_HOTPLUG_V2_OR_V4, SPM_SYSRAM_VIEW_NONE },
                { "hotplug-v4.ini",        SPM_MARKING_NONE,   SPM_PRIVATE_NONE, SPM_HOTPLUG_V4,       SPM_SYSRAM_VIEW_NONE },
                { "private-v3.ini",        _SPM_MARKING_GEN_MAX, SPM_PRIVATE_V3, SPM_HOTPLUG_NONE,     SPM_SYSRAM_VIEW_MEMS_SYSRAM },
                { "private-v4.ini",        _SPM_MARKING_GEN_MAX, SPM_PRIVATE_V4, SPM_HOTPLUG_NONE,     SPM_SYSRAM_VIEW_NONE },
                { "cxl-spm-v2.ini",        SPM_MARKING_SPM_V2, SPM_PRIVATE_NONE, SPM_HOTPLUG_V7,       SPM_SYSRAM_VIEW_MEMS_SYSRAM },
                { "spm-v1.ini",            SPM_MARKING_SPM_V1, SPM_PRIVATE_NONE, SPM_HOTPLUG_NONE,     SPM_SYSRAM_VIEW_MEMS_DEFAULT },
                /* nothing is kmem-bound yet, so no whole-device attribute to see */
                { "private-v3-cxl.ini",    SPM_MARKING_PRIVATE_V3, SPM_PRIVATE_V3, SPM_HOTPLUG_NONE,   SPM_SYSRAM_VIEW_MEMS_SYSRAM },
                { "kmem-absent.ini",       SPM_MARKING_SPM_V2, SPM_PRIVATE_NONE, SPM_HOTPLUG_UNKNOWN,  SPM_SYSRAM_VIEW_MEMS_SYSRAM },
        };
        const char *dir = getenv("SPM_SIMKERNEL_SCENARIOS");

        if (!dir) {
                tap_fail_at(__FILE__, __LINE__, "SPM_SIMKERNEL_SCENARIOS not set");
                return;
        }
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(spm_topology_freep) spm_topology *t = NULL;
                _cleanup_free_ char *path = NULL, *text = NULL;
                spm_features f;
                size_t len = 0;
                FILE *fp;

                if (asprintf(&path, "%s/%s", dir, cases[i].file) < 0 || !(fp = fopen(path, "re")))
                        continue;
                (void) getdelim(&text, &len, 0, fp);
                fclose(fp);
                if (!start(text))
                        return;
                setenv("SPM_SYSFS_ROOT", sim->sys, 1);
                setenv("SPM_CGROUP_ROOT", sim->cgroup, 1);
                spm_paths_reset();
                CHECK_INT(spm_topology_load(&t), 0);
                CHECK_INT(spm_features_probe(t, &f), 0);
                printf("# %s: marking=%s private=%s hotplug=%s sysram=%s cgroup=%s cpuset=%d isolation=%s\n",
                       cases[i].file, spm_marking_gen_to_string(f.marking),
                       spm_private_gen_to_string(f.private_nodes), spm_hotplug_gen_to_string(f.hotplug),
                       spm_sysram_view_to_string(f.sysram_view), spm_cgroup_version_to_string(f.cgroup),
                       f.cpuset, spm_isolation_to_string(f.isolation));
                if (cases[i].marking != _SPM_MARKING_GEN_MAX)
                        CHECK_INT(f.marking, cases[i].marking);
                CHECK_INT(f.private_nodes, cases[i].private_nodes);
                CHECK_INT(f.hotplug, cases[i].hotplug);
                CHECK_INT(f.sysram_view, cases[i].sysram);
                CHECK_INT(f.cgroup, SPM_CGROUP_V2);
                CHECK(f.cpuset);
                CHECK_INT(t->n_unreadable, 0);
                unsetenv("SPM_SYSFS_ROOT");
                unsetenv("SPM_CGROUP_ROOT");
                spm_paths_reset();
                stop();
        }
}

static void cleanup_on_signal(int sig) {
        sk_sim_stop(sim);
        signal(sig, SIG_DFL);
        raise(sig);
}

int main(void) {
        signal(SIGINT, cleanup_on_signal);
        signal(SIGTERM, cleanup_on_signal);

        if (!getenv("SPM_SIMKERNEL") || access(getenv("SPM_SIMKERNEL"), X_OK) < 0 ||
            access("/dev/fuse", R_OK | W_OK) < 0) {
                printf("1..0 # SKIP no /dev/fuse or no spm-simkernel binary\n");
                return 77;
        }
        TEST(test_stock);
        TEST(test_spm_v2_state_v7);
        TEST(test_hotplug_v2_v4);
        TEST(test_private);
        TEST(test_cxl);
        TEST(test_kmem_absent);
        TEST(test_faults_and_control);
        TEST(test_udev);
        TEST(test_feature_probe);
        return tap_done();
}
