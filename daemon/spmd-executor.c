/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-cgroups.h"
#include "spmd-device-state.h"
#include "spmd-devices.h"
#include "spmd-executor.h"
#include "spmd-manager.h"

static spmd_action_handler handler_for(spm_action_type t) {
        switch (t) {
        case SPM_ACTION_CGROUP_MEMS:
        case SPM_ACTION_UNIT_MEMS:
        case SPM_ACTION_VERIFY_SYSRAM:
                return spmd_cgroup_action_apply;
        case SPM_ACTION_DRIVER_UNBIND:
        case SPM_ACTION_MARK_DEVICE:
        case SPM_ACTION_MARK_REGION:
        case SPM_ACTION_REGION_BIND:
        case SPM_ACTION_SET_MEMMAP:
        case SPM_ACTION_AUTO_ONLINE:
        case SPM_ACTION_DRIVER_BIND:
        case SPM_ACTION_DEVICE_STATE:
        case SPM_ACTION_ONLINE_BLOCK:
        case SPM_ACTION_ONLINE_BLOCKS:
                return spmd_device_action_apply;
        default:
                return NULL;
        }
}

static bool is_online_step(spm_action_type t) {
        return IN_SET(t, SPM_ACTION_DRIVER_BIND, SPM_ACTION_DEVICE_STATE, SPM_ACTION_ONLINE_BLOCK,
                      SPM_ACTION_ONLINE_BLOCKS);
}

/* What one device went through so far in this run, for its rollback. */
typedef struct device_run {
        const char *dev;
        const char *prev_driver;    /* the driver this run released it from */
        bool bound;                 /* this run bound kmem */
} device_run;

/* A step of dev failed: roll back what the kernel allows, then record the
 * failure (held: no retry until a new trigger). */
static void device_failed(manager *m, const device_run *run, const spm_action *a, int error, const char *detail) {
        const spm_dax_device *d = m->topo ? spm_topology_find_dax(m->topo, run->dev) : NULL;
        _cleanup_free_ char *undo = NULL, *reason = NULL;
        spmd_device_state state = SPMD_DEVICE_FAILED;

        (void) spmd_device_rollback(m, run->dev, is_online_step(a->type), run->bound, run->prev_driver, &undo);

        if (a->type == SPM_ACTION_DRIVER_BIND && error == -EBUSY && d && (d->spm_node >= 0 || d->protected_memory >= 0))
                /* kernel-abi §15: the probe refuses a node that already
                 * holds the other class of memory; only a reboot clears it */
                state = SPMD_DEVICE_NEEDS_REBOOT;

        if (asprintf(&reason, "%s%s %s%s%s failed: %s%s%s%s%s",
                     state == SPMD_DEVICE_NEEDS_REBOOT ? "node type latched until reboot; " : "",
                     spm_action_type_to_string(a->type), a->object, a->value ? "=" : "", strempty(a->value),
                     detail ?: "", detail ? "" : strerror(-error),
                     undo ? " (" : "", strempty(undo), undo ? ")" : "") < 0)
                reason = NULL;
        (void) spmd_device_state_fail(m, run->dev, state, reason ?: "failed");
}

/* kmem is not loaded (the boot flow in spmd(8) keeps it out until now):
 * loading it makes the kernel bind every unbound device kmem matches, so
 * first give every device of the plan its mark, then load it (which keeps
 * out whatever is still not marked as the policy wants). */
static int load_kmem_after_marks(manager *m, const spm_plan *plan, size_t from, char **ret_reason) {
        for (size_t j = from; j < plan->n_actions; j++) {
                const spm_action *b = &plan->actions[j];

                if (!IN_SET(b->type, SPM_ACTION_MARK_DEVICE, SPM_ACTION_MARK_REGION) ||
                    spmd_device_action_held(m, m->topo, b))
                        continue;
                (void) spmd_device_action_apply(m, b);
        }
        return spmd_load_kmem(m, ret_reason);
}

int spmd_plan_execute(manager *m, const spm_plan *plan, spmd_exec_result *ret) {
        spmd_exec_result res = { .failed_at = plan->n_actions };
        const char *gone = NULL;     /* a device removed during the run */
        device_run run = {};

        for (size_t i = 0; i < plan->n_actions; i++) {
                const spm_action *a = &plan->actions[i];
                spmd_action_handler h = handler_for(a->type);
                const char *dev = spmd_action_device(m->topo, a);
                _cleanup_free_ char *detail = NULL;
                int r;

                if (dev && gone && streq(dev, gone)) {
                        res.skipped++;
                        continue;
                }
                if (dev && spmd_device_action_held(m, m->topo, a)) {
                        /* failed before; waits for a new trigger */
                        log_debug("Step %zu/%zu: skipped, '%s' is held after a failure", i + 1, plan->n_actions, dev);
                        res.skipped++;
                        continue;
                }

                log_debug("Step %zu/%zu: %s '%s' %s=%s (%s)", i + 1, plan->n_actions,
                          spm_action_type_to_string(a->type), a->object, strna(a->attribute), strna(a->value),
                          strna(a->rule));

                if (dev) {
                        if (!run.dev || !streq(run.dev, dev))
                                run = (device_run) { .dev = dev };
                        (void) spmd_device_state_set(m, dev,
                                                     is_online_step(a->type) ? SPMD_DEVICE_ONLINING : SPMD_DEVICE_MARKING,
                                                     spm_action_type_to_string(a->type));
                }

                r = h ? h(m, a) : -EOPNOTSUPP;
                if (r == -ENOENT && a->type == SPM_ACTION_DRIVER_BIND && streq_ptr(a->attribute, "kmem")) {
                        _cleanup_free_ char *why = NULL;

                        if (load_kmem_after_marks(m, plan, i + 1, &why) >= 0) {
                                r = h(m, a);
                                if (r == -ENOENT)
                                        why = strdup("modprobe kmem succeeded but the kmem driver did not appear");
                        }
                        if (r < 0 && asprintf(&detail, "kmem driver not loaded: %s",
                                              why ?: "modprobe kmem failed") < 0)
                                detail = NULL;
                }
                if (r < 0 && dev && IN_SET(r, -ENODEV, -ENOENT) && spmd_device_gone(dev)) {
                        /* removed between the uevent and this write: not a
                         * failure, and no reason to stop the others */
                        log_struct(LOG_INFO, LOG_FIELDS("SPM_STATE_CHANGE=1"),
                                   "Device '%s' went away before %s; skipping its remaining steps", dev,
                                   spm_action_type_to_string(a->type));
                        gone = dev;
                        res.skipped++;
                        continue;
                }
                if (r < 0) {
                        if (!h)
                                log_error("Step %zu: no handler for action '%s' on '%s'.", i + 1,
                                          spm_action_type_to_string(a->type), a->object);
                        if (dev)
                                device_failed(m, &run, a, r, detail);
                        res.failed_at = i;
                        res.error = r;
                        break;
                }
                if (dev && a->type == SPM_ACTION_DRIVER_UNBIND)
                        run.prev_driver = a->attribute;
                if (dev && a->type == SPM_ACTION_DRIVER_BIND && r == 0)
                        run.bound = true;
                if (r > 0)
                        res.already++;
                else
                        res.applied++;
        }

        spmd_cgroups_run_done();
        if (ret)
                *ret = res;
        return res.error;
}
