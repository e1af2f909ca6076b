/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Applying the device actions of a plan: marking, driver binding,
 * whole-device state and per-block onlining (lib/dax-ops.h does the
 * kernel side of each). */

#include "plan.h"

typedef struct manager manager;

int spmd_device_action_apply(manager *m, const spm_action *a);
