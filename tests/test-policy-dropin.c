/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Drop-in files for runtime changes: they parse, they win over the
 * administrator's broader rules, and they are written atomically. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "macro.h"
#include "planner.h"
#include "policy-dropin.h"
#include "tap.h"

static spm_topology *load_fixture(const char *name) {
        _cleanup_free_ char *sys = NULL;
        spm_topology *t = NULL;

        if (asprintf(&sys, "%s/fixtures/%s/sys", tap_srcdir(), name) < 0 || spm_topology_load_from(sys, &t) < 0)
                return NULL;
        return t;
}

/* admin text (file "50-admin.conf") + drop-in → policy */
static spm_policy *policy_of(const char *admin, const spm_dropin *d) {
        spm_policy *p = spm_policy_new();
        spm_diags diags = {};
        int r = 0;

        if (!p)
                return NULL;
        if (admin)
                r = spm_policy_parse_buffer(p, "/etc/spm.d/50-admin.conf", admin, strlen(admin), &diags);
        if (r >= 0 && d)
                r = spm_policy_parse_buffer(p, d->file_name, d->text, strlen(d->text), &diags);
        if (r >= 0)
                r = spm_policy_finish(p, &diags);
        for (size_t i = 0; i < diags.n; i++)
                printf("# %s:%u: %s\n", strna(diags.items[i].file), diags.items[i].line, diags.items[i].message);
        spm_diags_clear(&diags);
        if (r < 0)
                return spm_policy_free(p);
        return p;
}

static const char admin_pools[] = "[Pool accel]\nOnline=online_movable\n"
                                   "[Pool slow]\nOnline=online_movable\n"
                                   "[Device all-pmem]\nMatchProvider=pmem\nClass=sysram\n";

static void test_device_dropin_wins(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = load_fixture("spm-v2");
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        spm_dropin d = {};
        const spm_dax_device *dev;
        const spm_policy_device *rule, *conflict = NULL;

        CHECK(t);
        if (!t)
                return;
        dev = spm_topology_find_dax(t, "dax0.0");
        CHECK(dev);
        if (!dev)
                return;

        CHECK_INT(spm_dropin_for_device(t, dev, SPM_CLASS_SPM, "accel", SPM_ONLINE_MOVABLE, "spmctl classify", &d), 0);
        CHECK(d.file_name && startswith(d.file_name, "90-spmctl-device-") && endswith(d.file_name, ".conf"));
        CHECK(d.text && strstr(d.text, "MatchResource=0x"));
        CHECK(d.text && strstr(d.text, "MatchProvider=pmem\n"));
        CHECK(d.text && strstr(d.text, "Class=spm\nPool=accel\nOnline=online_movable\n"));

        p = policy_of(admin_pools, &d);
        CHECK(p);
        if (p) {
                rule = spm_plan_device_rule(p, dev, NULL, &conflict);
                CHECK(rule && startswith(rule->name, "spmctl-dev-"));
                CHECK(!conflict);
                CHECK(rule && rule->class == SPM_CLASS_SPM);
        }
        spm_dropin_done(&d);
}

static void test_device_dropin_identities(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = load_fixture("spm-v2");
        spm_dropin d = {};
        const spm_dax_device *dev = t ? spm_topology_find_dax(t, "dax2.0") : NULL;

        CHECK(dev && dev->cxl_region);
        if (!dev)
                return;
        /* a RAM region has no UUID: its memdev serials name it */
        CHECK_INT(spm_dropin_for_device(t, dev, SPM_CLASS_SYSRAM, NULL, SPM_ONLINE_INVALID, NULL, &d), 0);
        CHECK(d.text && strstr(d.text, "MatchSerial="));
        CHECK(d.text && strstr(d.text, "MatchProvider=cxl\n"));
        CHECK(d.text && !strstr(d.text, "Online="));
        CHECK(d.text && !strstr(d.text, "Pool="));
        spm_dropin_done(&d);

        /* pool only with spm, and required there */
        CHECK_INT(spm_dropin_for_device(t, dev, SPM_CLASS_SPM, NULL, SPM_ONLINE_INVALID, NULL, &d), -EINVAL);
        CHECK_INT(spm_dropin_for_device(t, dev, SPM_CLASS_IGNORE, "accel", SPM_ONLINE_INVALID, NULL, &d), -EINVAL);
        /* values that would break the file */
        CHECK_INT(spm_dropin_for_device(t, dev, SPM_CLASS_SPM, "a\n[Daemon]", SPM_ONLINE_INVALID, NULL, &d), -EINVAL);
        CHECK(d.text == NULL && d.file_name == NULL);
}

static void test_cgroup_dropin(void) {
        _cleanup_(spm_policy_freep) spm_policy *p = NULL;
        char *pools[] = { (char *) "accel", (char *) "slow", NULL };
        const spm_policy_cgroup *rule, *conflict = NULL;
        spm_dropin d = {};
        spm_nodemask m;

        /* a path with glob characters matches only itself */
        CHECK_INT(spm_dropin_for_cgroup("jobs.slice/odd[1]*.scope", false, pools, true, NULL, "spmctl grant", &d), 0);
        CHECK(d.text && strstr(d.text, "Path=jobs.slice/odd\\[1\\]\\*.scope\n"));
        CHECK(d.text && strstr(d.text, "Pools=accel slow\nSysRAM=all\n"));
        p = policy_of("[Pool accel]\n[Pool slow]\n[Cgroup jobs]\nPath=jobs.slice/*\nPools=slow\n", &d);
        CHECK(p);
        if (p) {
                rule = spm_plan_cgroup_rule(p, "jobs.slice/odd[1]*.scope", NULL, &conflict);
                CHECK(rule && startswith(rule->name, "spmctl-cg-"));
                rule = spm_plan_cgroup_rule(p, "jobs.slice/odd1x.scope", NULL, &conflict);
                CHECK(rule && streq(rule->name, "jobs"));   /* the glob, not the drop-in */
        }
        spm_dropin_done(&d);

        CHECK(spm_nodemask_parse("0", &m, NULL) == 0);
        CHECK_INT(spm_dropin_for_cgroup("batch.slice", true, NULL, false, &m, NULL, &d), 0);
        CHECK(d.text && strstr(d.text, "Unit=batch.slice\nPools=\nSysRAM=0\n"));
        spm_dropin_done(&d);

        CHECK_INT(spm_dropin_for_cgroup("/abs", false, pools, true, NULL, NULL, &d), -EINVAL);
        CHECK_INT(spm_dropin_for_cgroup("", false, pools, true, NULL, NULL, &d), -EINVAL);
        CHECK_INT(spm_dropin_for_cgroup("x\ny", false, pools, true, NULL, NULL, &d), -EINVAL);
}

static void test_write_remove(void) {
        char *dir = tap_tmpdir();
        _cleanup_free_ char *sub = NULL, *path = NULL, *back = NULL;
        spm_dropin d = { .file_name = (char *) "90-x.conf", .text = (char *) "[Pool a]\n" };

        CHECK(asprintf(&sub, "%s/etc/spm.d", dir) > 0);
        CHECK_INT(spm_dropin_write(sub, &d), 0);            /* creates the directory */
        CHECK(asprintf(&path, "%s/90-x.conf", sub) > 0);
        CHECK_INT(spm_attr_read(path, &back), 0);
        CHECK_STREQ(back, "[Pool a]");
        d.text = (char *) "[Pool b]\n";
        CHECK_INT(spm_dropin_write(sub, &d), 0);            /* replaces */
        back = mfree(back);
        CHECK_INT(spm_attr_read(path, &back), 0);
        CHECK_STREQ(back, "[Pool b]");
        CHECK_INT(spm_dropin_remove(sub, "90-x.conf"), 0);
        CHECK_INT(spm_dropin_remove(sub, "90-x.conf"), -ENOENT);
        CHECK_INT(spm_dropin_remove(sub, "../x"), -EINVAL);
        d.file_name = (char *) "../escape.conf";
        CHECK_INT(spm_dropin_write(sub, &d), -EINVAL);
}

int main(void) {
        TEST(test_device_dropin_wins);
        TEST(test_device_dropin_identities);
        TEST(test_cgroup_dropin);
        TEST(test_write_remove);
        return tap_done();
}
