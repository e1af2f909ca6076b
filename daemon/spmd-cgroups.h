/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Applying the cgroup actions of a plan: cpuset.mems writes, systemd unit
 * properties, and the read-back of cpuset.mems.sysram. */

#include "plan.h"

typedef struct manager manager;

int spmd_cgroup_action_apply(manager *m, const spm_action *a);
