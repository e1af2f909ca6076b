/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-cgroups.h"
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
        case SPM_ACTION_DRIVER_BIND:
        case SPM_ACTION_DEVICE_STATE:
        case SPM_ACTION_ONLINE_BLOCK:
        case SPM_ACTION_ONLINE_BLOCKS:
                return spmd_device_action_apply;
        default:
                return NULL;
        }
}

int spmd_plan_execute(manager *m, const spm_plan *plan, spmd_exec_result *ret) {
        spmd_exec_result res = { .failed_at = plan->n_actions };

        for (size_t i = 0; i < plan->n_actions; i++) {
                const spm_action *a = &plan->actions[i];
                spmd_action_handler h = handler_for(a->type);
                int r;

                log_debug("Step %zu/%zu: %s '%s' %s=%s (%s)", i + 1, plan->n_actions,
                          spm_action_type_to_string(a->type), a->object, strna(a->attribute), strna(a->value),
                          strna(a->rule));

                r = h ? h(m, a) : -EOPNOTSUPP;
                if (r < 0) {
                        if (!h)
                                log_error("Step %zu: no handler for action '%s' on '%s'.", i + 1,
                                          spm_action_type_to_string(a->type), a->object);
                        res.failed_at = i;
                        res.error = r;
                        break;
                }
                if (r > 0)
                        res.already++;
                else
                        res.applied++;
        }

        if (ret)
                *ret = res;
        return res.error;
}
