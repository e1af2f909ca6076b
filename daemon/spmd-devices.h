/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Applying the device actions of a plan: marking, driver binding,
 * whole-device state and per-block onlining (lib/dax-ops.h does the
 * kernel side of each). */

#include <stdbool.h>

#include "plan.h"

typedef struct manager manager;

int spmd_device_action_apply(manager *m, const spm_action *a);

/* Is the dax device or CXL region name gone from sysfs (removed since the
 * snapshot)? false for other names and when it cannot tell. */
bool spmd_device_gone(const char *name);

/*
 * Undo what a failed run did to dev, as far as the kernel allows: unplug
 * its memory (after a failed online step, or when this run bound kmem),
 * unbind kmem if this run bound it (never while a block is online), and
 * give the device back to prev_driver (the driver this run released it
 * from, NULL: none). *ret_summary (may stay NULL) says what was undone.
 */
int spmd_device_rollback(manager *m, const char *dev, bool online_step, bool bound_here, const char *prev_driver,
                         char **ret_summary);

/*
 * Load the kmem module (modprobe, $SPMD_MODPROBE overrides the path).
 * First every unbound managed device whose mark is not what the policy
 * wants is bound to device_dax, so kmem's attach pass cannot add it with
 * the wrong type (such a device is reported failed); when one cannot be
 * kept out, nothing is loaded. On failure *ret_reason (may stay NULL) says
 * why in words, for the device's state.
 */
int spmd_load_kmem(manager *m, char **ret_reason);
