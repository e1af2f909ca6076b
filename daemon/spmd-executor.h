/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Applying a plan: the actions in the planner's order, each through the
 * handler of its domain (devices: spmd-devices.c, cgroups:
 * spmd-cgroups.c). The order is what keeps intermediate states safe
 * (narrow masks before memory goes away, widen parents before children),
 * so the run stops at the first action that fails: later actions may rely
 * on it. The next pass re-plans from what the kernel then shows.
 */

#include "plan.h"

typedef struct manager manager;

typedef struct spmd_exec_result {
        size_t applied;             /* actions that changed something */
        size_t already;             /* actions the kernel already matched */
        size_t skipped;             /* actions of devices held after a failure */
        size_t failed_at;           /* index of the failed action, or n_actions */
        int error;                  /* its -errno, 0 when all went through */
} spmd_exec_result;

/* A handler returns 0 after a change, 1 when nothing needed changing,
 * or -errno (having logged why, with the object). */
typedef int (*spmd_action_handler)(manager *m, const spm_action *a);

/* A device action that fails rolls back what the kernel allows for that
 * device and leaves it failed (or needs-reboot) and held, see
 * spmd-device-state.h; actions of held devices are skipped. */
int spmd_plan_execute(manager *m, const spm_plan *plan, spmd_exec_result *ret);
