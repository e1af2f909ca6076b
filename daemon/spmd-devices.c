/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <limits.h>

#include "attr.h"
#include "dax-ops.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "planner.h"
#include "spmd-device-state.h"
#include "spmd-devices.h"
#include "spmd-manager.h"

static bool is_on(const char *v) {
        return v && streq(v, "1");
}

/* The word of a DEVICE_STATE or ONLINE_BLOCK(S) action as an online type;
 * both vocabularies of the whole-device attribute mean "unplugged". */
static spm_online_type target_of(const spm_action *a) {
        if (a->value && (streq(a->value, "unplugged") || streq(a->value, "unplug")))
                return SPM_ONLINE_OFFLINE;
        return spm_online_type_from_string(a->value);
}

static int online_block(int sysfd, const char *dev, unsigned id, spm_online_type type, size_t *changed) {
        int r = spm_memblock_set_state_at(sysfd, id, type);

        if (r == SPM_ERR_ZONE_MISMATCH)
                return log_error_errno(r, "Block memory%u of '%s' is online in the wrong zone for %s.", id, dev,
                                       spm_online_type_to_string(type));
        if (r < 0)
                return log_error_errno(r, "Failed to online block memory%u of '%s' as %s: %m", id, dev,
                                       spm_online_type_to_string(type));
        if (r == 0)
                (*changed)++;
        return 0;
}

/* Online every block of a device and verify each one's zone. The device
 * was typically bound earlier in this same pass, so its blocks did not
 * exist in the pass's snapshot; they follow from its physical ranges and
 * the block size, which did. A block already online only gets its zone
 * checked (the kernel answers the write with EINVAL). Without ranges in
 * the snapshot, a fresh one is read. */
static int online_device_blocks(manager *m, const spm_action *a, spm_online_type type) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        const spm_dax_device *d = m->topo ? spm_topology_find_dax(m->topo, a->object) : NULL;
        uint64_t bs = m->topo ? m->topo->block_size : 0;
        _cleanup_close_ int sysfd = open(spm_path(SPM_PATH_SYSFS), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        size_t changed = 0, n = 0;
        int r;

        if (sysfd < 0)
                return log_error_errno(negative_errno(), "Failed to open '%s': %m", spm_path(SPM_PATH_SYSFS));
        if (d && d->n_ranges > 0 && bs > 0) {
                for (size_t i = 0; i < d->n_ranges; i++)
                        for (uint64_t id = (d->ranges[i].start + bs - 1) / bs; id < (d->ranges[i].end + 1) / bs;
                             id++, n++) {
                                if (id > UINT32_MAX)
                                        return -ERANGE;
                                r = online_block(sysfd, a->object, (unsigned) id, type, &changed);
                                if (r < 0)
                                        return r;
                        }
                if (n == 0)
                        return log_error_errno(-ENODATA, "Device '%s' has no memory blocks to online.", a->object);
                return changed > 0 ? 0 : 1;
        }

        r = spm_topology_load(&t);
        if (r < 0)
                return log_error_errno(r, "Failed to read the topology to online '%s': %m", a->object);
        d = spm_topology_find_dax(t, a->object);
        if (!d)
                return log_error_errno(-ENODEV, "Device '%s' went away before its memory could be onlined.",
                                       a->object);
        if (d->n_blocks == 0)
                return log_error_errno(-ENODATA, "Device '%s' has no memory blocks to online.", a->object);
        for (size_t i = 0; i < d->n_blocks; i++) {
                r = online_block(sysfd, a->object, t->blocks[d->blocks[i]].id, type, &changed);
                if (r < 0)
                        return r;
        }
        return changed > 0 ? 0 : 1;
}

/*
 * kmem's attach pass, when the module loads, binds every unbound device it
 * matches with the mark the device has at that moment (kernel-abi §2, §12a
 * step 4). A managed device whose mark is not what the policy wants (its
 * mark write failed, it is held after an earlier failure, or the plan
 * cannot do it) would be added with the wrong type, and on an SPM kernel
 * its node latched until reboot. Such a device is bound to device_dax by
 * ID first: a bound device is left alone by kmem's attach pass. The next
 * attempt releases it again (remove_id, unbind) like any device_dax one.
 */
static int keep_from_kmem(manager *m, char **ret_reason) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        int r;

        if (!m->policy)
                return 0;
        r = spm_topology_load(&t);
        if (r < 0) {
                if (asprintf(ret_reason, "cannot check the marks before loading kmem: %s", strerror(-r)) < 0)
                        *ret_reason = NULL;
                return r;
        }
        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];
                const spm_cxl_region *g = d->cxl_region ? spm_topology_find_region(t, d->cxl_region) : NULL;
                const spm_policy_device *rule = spm_plan_device_rule(m->policy, d, g, NULL);
                const spmd_device_record *rec;
                int have = d->spm_node >= 0 ? d->spm_node : d->protected_memory, want;
                _cleanup_free_ char *why = NULL;

                if (d->driver || have < 0 || d->target_node < 0 || !rule ||
                    !IN_SET(rule->class, SPM_CLASS_SPM, SPM_CLASS_SYSRAM))
                        continue;
                want = rule->class == SPM_CLASS_SPM;
                if (have == want)
                        continue;

                r = spm_dax_bind(d->name, "device_dax");
                if (r < 0) {
                        if (asprintf(ret_reason,
                                     "loading kmem would add %s %s and it could not be kept on device_dax: %s",
                                     d->name, want ? "without its SPM mark" : "as SPM", strerror(-r)) < 0)
                                *ret_reason = NULL;
                        return log_struct_errno(LOG_ERR, r, LOG_FIELDS("SPM_KMEM=refused"),
                                                "Not loading kmem: '%s' is unbound with %s=%d and could not be bound "
                                                "to device_dax: %m", d->name, d->spm_node >= 0 ? "spm_node" : "protected_memory",
                                                have);
                }
                if (asprintf(&why, "%s=%d while the policy wants %s; bound to device_dax so that loading kmem "
                             "does not add it as %s", d->spm_node >= 0 ? "spm_node" : "protected_memory", have,
                             want ? "SPM" : "System RAM", want ? "System RAM" : "SPM") < 0)
                        return -ENOMEM;
                log_struct(LOG_WARNING, LOG_FIELDS("SPM_KMEM=kept-out"), "Device '%s': %s", d->name, why);
                rec = spmd_device_record_find(m, d->name);
                if (!rec || !rec->held)
                        (void) spmd_device_state_fail(m, d->name, SPMD_DEVICE_FAILED, why);
        }
        return 0;
}

/* Load kmem. The shipped modprobe.d snippet blacklists it, so that at boot
 * no CXL dax device is bound (as System RAM) before spmd has marked it;
 * spmd loads it only when it binds the first device itself, after the
 * executor has set every mark of the plan (spmd-executor.c) and every
 * device still without its mark was kept out (keep_from_kmem). Loading by
 * name is not affected by the blacklist. */
int spmd_load_kmem(manager *m, char **ret_reason) {
        const char *modprobe = secure_getenv("SPMD_MODPROBE") ?: "/sbin/modprobe";
        char *argv[] = { (char *) modprobe, (char *) "-q", (char *) "kmem", NULL };
        extern char **environ;
        int status, r;
        pid_t pid;

        r = keep_from_kmem(m, ret_reason);
        if (r < 0)
                return r;

        r = posix_spawn(&pid, modprobe, NULL, NULL, argv, environ);
        if (r != 0) {
                if (asprintf(ret_reason, "cannot run '%s': %s", modprobe, strerror(r)) < 0)
                        *ret_reason = NULL;
                return log_error_errno(-r, "Failed to run '%s kmem': %m", modprobe);
        }
        if (waitpid(pid, &status, 0) < 0) {
                r = -errno;
                if (asprintf(ret_reason, "lost '%s kmem': %s", modprobe, strerror(-r)) < 0)
                        *ret_reason = NULL;
                return log_error_errno(r, "Failed to wait for modprobe: %m");
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                if (asprintf(ret_reason, "'%s -q kmem' %s %d", modprobe,
                             WIFEXITED(status) ? "exited with status" : "was killed by signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)) < 0)
                        *ret_reason = NULL;
                return log_error_errno(-ENOPKG, "'%s kmem' failed (%s %d); the kmem driver is not available.",
                                       modprobe, WIFEXITED(status) ? "status" : "signal",
                                       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
        log_info("Loaded the kmem driver.");
        return 0;
}

static int apply(manager *m, const spm_action *a) {
        const spm_dax_device *d;
        spm_online_type type;
        uint64_t id;

        switch (a->type) {
        case SPM_ACTION_MARK_DEVICE:
                return spm_dax_set_spm(a->object, is_on(a->value));
        case SPM_ACTION_MARK_REGION:
                return spm_cxl_region_set_spm(a->object, is_on(a->value));
        case SPM_ACTION_REGION_BIND:
                return spm_cxl_region_bind(a->object);
        case SPM_ACTION_SET_MEMMAP:
                return spm_dax_set_memmap(a->object, is_on(a->value));
        case SPM_ACTION_AUTO_ONLINE:
                type = spm_online_type_from_string(a->value);
                if (type == SPM_ONLINE_INVALID)
                        return -EINVAL;
                log_struct(LOG_NOTICE, LOG_FIELDS("SPM_AUTO_ONLINE=takeover"),
                           "AutoOnline=takeover: setting auto_online_blocks to '%s' so the kernel does not online "
                           "managed memory with its own type", a->value);
                return spm_memory_set_auto_online(type);
        case SPM_ACTION_DRIVER_UNBIND:
                /* this pass's snapshot: the device may be new since the last one */
                d = m->topo ? spm_topology_find_dax(m->topo, a->object) : NULL;
                if (!d)
                        return -ENODEV;
                return spm_dax_unbind(d);
        case SPM_ACTION_DRIVER_BIND:
                return spm_dax_bind(a->object, a->attribute);   /* -ENOENT: driver not loaded, see the executor */
        case SPM_ACTION_DEVICE_STATE:
                type = target_of(a);
                if (type == SPM_ONLINE_INVALID)
                        return -EINVAL;
                return spm_dax_set_state(a->object, a->attribute, type);
        case SPM_ACTION_ONLINE_BLOCK:
                type = target_of(a);
                if (type == SPM_ONLINE_INVALID || !startswith(a->object, "memory") ||
                    spm_parse_u64(a->object + strlen("memory"), &id) < 0 || id > UINT32_MAX)
                        return -EINVAL;
                return spm_memblock_set_state((unsigned) id, type);
        case SPM_ACTION_ONLINE_BLOCKS:
                type = target_of(a);
                if (type == SPM_ONLINE_INVALID)
                        return -EINVAL;
                return online_device_blocks(m, a, type);
        default:
                return -EOPNOTSUPP;
        }
}

bool spmd_device_gone(const char *name) {
        char p[PATH_MAX];

        if (!name || strchr(name, '/'))
                return false;
        if (startswith(name, "dax"))
                snprintf(p, sizeof p, "%s/bus/dax/devices/%s", spm_path(SPM_PATH_SYSFS), name);
        else if (startswith(name, "region"))
                snprintf(p, sizeof p, "%s/bus/cxl/devices/%s", spm_path(SPM_PATH_SYSFS), name);
        else
                return false;
        return access(p, F_OK) < 0 && errno == ENOENT;
}

int spmd_device_action_apply(manager *m, const spm_action *a) {
        char field[96];
        int r;

        snprintf(field, sizeof field, "SPM_DEVICE=%s", a->object);
        r = apply(m, a);
        if (IN_SET(r, -ENODEV, -ENOENT) && spmd_device_gone(a->object)) {
                /* removed since the snapshot: the executor says so */
                log_debug_errno(r, "%s '%s': the device is gone: %m", spm_action_type_to_string(a->type), a->object);
                return r;
        }
        if (r < 0)
                return log_struct_errno(LOG_ERR, r, LOG_FIELDS(field, SPM_MESSAGE_DEVICE_FAILED),
                                        "Failed to %s '%s'%s%s%s: %m (%s)", spm_action_type_to_string(a->type),
                                        a->object, a->value ? " to '" : "", strempty(a->value),
                                        a->value ? "'" : "", strna(a->rule));
        if (r == 0)
                log_struct(LOG_INFO, LOG_FIELDS(field), "%s '%s'%s%s%s (%s)", spm_action_type_to_string(a->type),
                           a->object, a->value ? " → '" : "", strempty(a->value), a->value ? "'" : "",
                           strna(a->rule));
        return r;
}

/* Put a device's memory back to "nothing added": the whole-device
 * attribute's unplug (all or nothing) where there is one, else every
 * online block offline. */
static int unplug(const spm_dax_device *d, const spm_topology *t) {
        int r, ret = 0;

        if (d->hotplug_attr != SPM_DAX_HOTPLUG_NONE) {
                r = spm_dax_set_state(d->name, d->hotplug_attr == SPM_DAX_HOTPLUG_STATE ? "state" : "hotplug",
                                      SPM_ONLINE_OFFLINE);
                if (r >= 0)
                        return 0;
                log_debug_errno(r, "Unplugging '%s' through its attribute failed, offlining block by block: %m",
                                d->name);
        }
        for (size_t i = 0; i < d->n_blocks; i++) {
                r = spm_memblock_set_state(t->blocks[d->blocks[i]].id, SPM_ONLINE_OFFLINE);
                if (r < 0 && ret == 0)
                        ret = r;
        }
        return ret;
}

int spmd_device_rollback(manager *m, const char *dev, bool online_step, bool bound_here, const char *prev_driver,
                         char **ret_summary) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL;
        const spm_dax_device *d;
        char buf[256] = "";
        int r, ret = 0;

        if (!startswith(dev, "dax"))
                return 0;
        r = spm_topology_load(&t);
        if (r < 0)
                return r;
        d = spm_topology_find_dax(t, dev);
        if (!d)
                return 0;

        if (streq_ptr(d->driver, "kmem") && (online_step || bound_here) && d->n_blocks > 0) {
                r = unplug(d, t);
                strncat(buf, r < 0 ? "memory could not be unplugged" : "memory unplugged", sizeof buf - strlen(buf) - 1);
                if (r < 0)
                        ret = r;
        }
        if (streq_ptr(d->driver, "kmem") && bound_here && ret == 0) {
                /* spm_dax_unbind re-reads every block and refuses while one
                 * is online: unbinding then would leak the range */
                r = spm_dax_unbind(d);
                strncat(buf, r < 0 ? ", kmem could not be unbound" : ", kmem unbound", sizeof buf - strlen(buf) - 1);
                if (r < 0)
                        ret = r;
        }
        if (prev_driver && !streq(prev_driver, "kmem") && ret == 0) {
                _cleanup_free_ char *cur = NULL;

                if (spm_dax_current_driver(dev, &cur) >= 0 && !cur) {
                        r = spm_dax_bind(dev, prev_driver);
                        if (buf[0])
                                strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
                        strncat(buf, r < 0 ? "could not rebind " : "rebound to ", sizeof buf - strlen(buf) - 1);
                        strncat(buf, prev_driver, sizeof buf - strlen(buf) - 1);
                        if (r < 0)
                                ret = r;
                }
        }
        if (buf[0] == ',')
                memmove(buf, buf + 2, strlen(buf + 2) + 1);
        log_debug("Rollback of '%s': %s", dev, buf[0] ? buf : "nothing to undo");
        if (ret_summary && buf[0])
                *ret_summary = strdup(buf);
        return ret;
}
