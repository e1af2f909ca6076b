/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The dax/memory-block operations against writable copies of fixture
 * hosts. Plain files cannot react like the kernel does, so this covers the
 * decisions made before and after the writes (refusals, "already so",
 * which file gets which word); the kernel's reactions (errno, driver links
 * appearing) are exercised against the simulated kernel.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attr.h"
#include "dax-ops.h"
#include "macro.h"
#include "paths.h"
#include "tap.h"

static char *host;

/* cp -a of a fixture into a fresh temporary directory, used as sysfs. */
static void use_fixture(const char *name) {
        _cleanup_free_ char *cmd = NULL;
        char *dir = tap_tmpdir();

        if (asprintf(&cmd, "cp -a '%s/fixtures/%s/sys' '%s/'", tap_srcdir(), name, dir) < 0 || system(cmd) != 0) {
                printf("Bail out! cannot copy fixture %s\n", name);
                exit(1);
        }
        free(host);
        if (asprintf(&host, "%s/sys", dir) < 0)
                exit(1);
        setenv("SPM_SYSFS_ROOT", host, 1);
        spm_paths_reset();
}

static char *read_rel(const char *rel) {
        _cleanup_free_ char *p = NULL;
        char *v = NULL;

        if (asprintf(&p, "%s/%s", host, rel) < 0 || spm_attr_read(p, &v) < 0)
                return NULL;
        return v;
}

static void put_rel(const char *rel, const char *value) {
        _cleanup_free_ char *p = NULL;
        FILE *f;

        if (asprintf(&p, "%s/%s", host, rel) < 0 || !(f = fopen(p, "we")))
                exit(1);
        fputs(value, f);
        fclose(f);
}

static spm_topology *snapshot(void) {
        spm_topology *t = NULL;

        if (spm_topology_load(&t) < 0)
                return NULL;
        return t;
}

static void test_zone_matches(void) {
        CHECK(spm_zone_matches("Movable", SPM_ONLINE_MOVABLE));
        CHECK(!spm_zone_matches("Normal", SPM_ONLINE_MOVABLE));
        CHECK(!spm_zone_matches("Normal Movable", SPM_ONLINE_MOVABLE)); /* offline block's list */
        CHECK(spm_zone_matches("Normal", SPM_ONLINE_KERNEL));
        CHECK(!spm_zone_matches("Movable", SPM_ONLINE_KERNEL));
        CHECK(spm_zone_matches("Movable", SPM_ONLINE_ONLINE));
        CHECK(spm_zone_matches("Normal", SPM_ONLINE_ONLINE));
        CHECK(!spm_zone_matches("none", SPM_ONLINE_ONLINE));           /* spans zones */
        CHECK(!spm_zone_matches("", SPM_ONLINE_ONLINE));
        CHECK(!spm_zone_matches(NULL, SPM_ONLINE_MOVABLE));
        CHECK(!spm_zone_matches("Movable", SPM_ONLINE_OFFLINE));
}

static void test_names_refused(void) {
        char *drv = NULL;

        use_fixture("spm-v2");
        CHECK_INT(spm_dax_bind("../../etc", "kmem"), -EINVAL);
        CHECK_INT(spm_dax_bind("dax0.0/../x", "kmem"), -EINVAL);
        CHECK_INT(spm_dax_bind("dax0.0", "nvme"), -EINVAL);
        CHECK_INT(spm_dax_bind("dax0.0", NULL), -EINVAL);
        CHECK_INT(spm_dax_set_spm("region2", true), -EINVAL);
        CHECK_INT(spm_cxl_region_set_spm("dax0.0", true), -EINVAL);
        CHECK_INT(spm_dax_current_driver("", &drv), -EINVAL);
        CHECK_INT(spm_memblock_set_state(0, SPM_ONLINE_INVALID), -EINVAL);
        CHECK(drv == NULL);
}

static void test_bind_decisions(void) {
        _cleanup_free_ char *drv = NULL, *new_id = NULL;

        use_fixture("spm-v2");
        /* dax0.0 is on kmem already: nothing to write */
        CHECK_INT(spm_dax_bind("dax0.0", "kmem"), 0);
        new_id = read_rel("bus/dax/drivers/kmem/new_id");
        CHECK_STREQ(new_id, "");
        /* bound to another driver: the caller must unbind first */
        CHECK_INT(spm_dax_bind("dax0.0", "device_dax"), -EBUSY);
        /* a device that does not exist */
        CHECK_INT(spm_dax_bind("dax9.9", "kmem"), -ENODEV);
        CHECK_INT(spm_dax_current_driver("dax0.0", &drv), 0);
        CHECK_STREQ(drv, "kmem");
        drv = mfree(drv);
        CHECK_INT(spm_dax_current_driver("dax1.0", &drv), 0);
        CHECK(drv == NULL);

        /* An unbound device and a new_id that does not bind it (a plain
         * file cannot probe): the bind retry is written, and with no
         * driver link afterwards the result is a failure, never success. */
        CHECK(spm_dax_bind("dax1.0", "kmem") < 0);
        new_id = mfree(new_id);
        new_id = read_rel("bus/dax/drivers/kmem/new_id");
        CHECK(new_id && startswith(new_id, "dax1.0"));
        drv = mfree(drv);
        drv = read_rel("bus/dax/drivers/kmem/bind");
        CHECK(drv && startswith(drv, "dax1.0"));
}

static void test_bind_missing_driver(void) {
        _cleanup_free_ char *cmd = NULL;

        use_fixture("spm-v2");
        if (asprintf(&cmd, "rm -rf '%s/bus/dax/drivers/kmem'", host) < 0 || system(cmd) != 0)
                exit(1);
        CHECK_INT(spm_dax_bind("dax1.0", "kmem"), -ENOENT);
}

static void test_unbind_refuses_online_memory(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_free_ char *unbind = NULL, *remove_id = NULL;
        const spm_dax_device *d;

        use_fixture("spm-v2");
        t = snapshot();
        CHECK(t);
        if (!t)
                return;
        d = spm_topology_find_dax(t, "dax0.0");
        CHECK(d && d->n_blocks_online > 0);
        if (!d)
                return;

        CHECK_INT(spm_dax_unbind(d), -EBUSY);
        /* nothing was written */
        unbind = read_rel("bus/dax/drivers/kmem/unbind");
        remove_id = read_rel("bus/dax/drivers/kmem/remove_id");
        CHECK_STREQ(unbind, "");
        CHECK_STREQ(remove_id, "");

        /* The check reads the kernel now, not the snapshot: with one block
         * still online (the others offlined since) it still refuses. */
        for (size_t i = 0; i < d->n_blocks; i++) {
                char rel[80];
                snprintf(rel, sizeof rel, "devices/system/memory/memory%u/state", t->blocks[d->blocks[i]].id);
                put_rel(rel, i == d->n_blocks - 1 ? "online\n" : "offline\n");
        }
        CHECK_INT(spm_dax_unbind(d), -EBUSY);

        /* all offline: remove_id then unbind are written (a plain file
         * keeps the driver link, so the outcome is still "busy") */
        {
                char rel[80];
                snprintf(rel, sizeof rel, "devices/system/memory/memory%u/state",
                         t->blocks[d->blocks[d->n_blocks - 1]].id);
                put_rel(rel, "offline\n");
        }
        CHECK_INT(spm_dax_unbind(d), -EBUSY);
        unbind = mfree(unbind);
        remove_id = mfree(remove_id);
        unbind = read_rel("bus/dax/drivers/kmem/unbind");
        remove_id = read_rel("bus/dax/drivers/kmem/remove_id");
        CHECK_STREQ(unbind, "dax0.0");
        CHECK_STREQ(remove_id, "dax0.0");
}

static void test_unbind_unbound_is_noop(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;

        use_fixture("spm-v2");
        t = snapshot();
        CHECK(t && spm_topology_find_dax(t, "dax1.0"));
        if (t)
                CHECK_INT(spm_dax_unbind(spm_topology_find_dax(t, "dax1.0")), 0);
        CHECK_INT(spm_dax_unbind(NULL), -EINVAL);
}

static void test_set_spm(void) {
        _cleanup_free_ char *v = NULL;

        use_fixture("spm-v2");
        CHECK_INT(spm_dax_set_spm("dax1.0", true), 0);
        v = read_rel("bus/dax/devices/dax1.0/spm_node");
        CHECK_STREQ(v, "1");
        CHECK_INT(spm_cxl_region_set_spm("region2", false), 0);
        v = mfree(v);
        v = read_rel("bus/cxl/devices/region2/spm_node");
        CHECK_STREQ(v, "0");
        CHECK_INT(spm_dax_set_spm("dax7.0", true), -ENODEV);

        use_fixture("spm-v1");   /* v1 name */
        CHECK_INT(spm_dax_set_spm("dax0.0", true), 0);

        use_fixture("stock-6.12"); /* no marking on a stock kernel */
        CHECK_INT(spm_dax_set_spm("dax0.0", true), -EOPNOTSUPP);
}

static void test_set_state(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        _cleanup_free_ char *v = NULL;
        const spm_dax_device *d;

        use_fixture("hotplug-v7");
        t = snapshot();
        d = t && t->n_dax ? &t->dax[0] : NULL;
        CHECK(d && d->hotplug_attr == SPM_DAX_HOTPLUG_STATE);
        if (!d)
                return;
        CHECK_INT(spm_dax_set_state(d->name, "state", SPM_ONLINE_MOVABLE), 1);   /* already so */
        CHECK_INT(spm_dax_set_state(d->name, "state", SPM_ONLINE_OFFLINE), 0);   /* "unplugged" */
        CHECK_INT(spm_dax_set_state(d->name, "bogus", SPM_ONLINE_OFFLINE), -EINVAL);
        {
                char rel[96];
                snprintf(rel, sizeof rel, "bus/dax/devices/%s/state", d->name);
                v = read_rel(rel);
        }
        CHECK(v && startswith(v, "unplugged"));
        CHECK_INT(spm_dax_set_state(d->name, "state", _SPM_ONLINE_TYPE_MAX), -EINVAL);

        t = spm_topology_free(t);
        use_fixture("stock-6.12");
        t = snapshot();
        d = t ? spm_topology_find_dax(t, "dax1.0") : NULL;
        CHECK(d);
        if (d)
                CHECK_INT(spm_dax_set_state(d->name, "state", SPM_ONLINE_MOVABLE), -EOPNOTSUPP);
}

static void test_memblock_state(void) {
        _cleanup_free_ char *v = NULL;

        use_fixture("stock-6.1");
        /* The write lands (a plain file takes anything), but the block does
         * not read "online" afterwards: that is a failure, not success. */
        CHECK_INT(spm_memblock_set_state(41, SPM_ONLINE_MOVABLE), -EIO);
        v = read_rel("devices/system/memory/memory41/state");
        CHECK_STREQ(v, "online_movable");   /* exactly the word, no newline */
        /* offlining: the block must read "offline" afterwards */
        put_rel("devices/system/memory/memory41/state", "online\n");
        CHECK_INT(spm_memblock_set_state(41, SPM_ONLINE_OFFLINE), 0);
        put_rel("devices/system/memory/memory41/state", "going-offline\n");
        CHECK_INT(spm_memblock_set_state(41, SPM_ONLINE_OFFLINE), -EBUSY);
        CHECK_INT(spm_memblock_set_state(99999, SPM_ONLINE_MOVABLE), -ENOENT);
}

int main(void) {
        TEST(test_zone_matches);
        TEST(test_names_refused);
        TEST(test_bind_decisions);
        TEST(test_bind_missing_driver);
        TEST(test_unbind_refuses_online_memory);
        TEST(test_unbind_unbound_is_noop);
        TEST(test_set_spm);
        TEST(test_set_state);
        TEST(test_memblock_state);
        free(host);
        return tap_done();
}
