/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Applying the cgroup actions of a plan: cpuset.mems writes, systemd unit
 * properties, and the read-back of cpuset.mems.effective and
 * cpuset.mems.sysram. */

#include "cgroup-tree.h"
#include "plan.h"
#include "policy.h"

typedef struct manager manager;

int spmd_cgroup_action_apply(manager *m, const spm_action *a);

/* A run of a plan ended: after a large change, one info line counting the
 * changes by rule and value (only the first few are logged at info one
 * by one, the others at debug). */
void spmd_cgroups_run_done(void);

/*
 * Before planning: a cgroup that a policy rule matches but that has no
 * cpuset files needs "+cpuset" in the cgroup.subtree_control of its parent,
 * and so on up to the first ancestor that has them. Writes exactly those,
 * top-down, and never one that is already enabled: such a no-op write
 * still costs the kernel a walk over every live descendant. Returns the
 * number of controllers enabled, or -errno. When it is > 0 and ret_enabled
 * is given, *ret_enabled (t->n entries, to free) marks the cgroups whose
 * children got cpuset files and must be read again.
 */
int spmd_cgroups_enable_cpuset(const spm_policy *policy, const spm_cgroup_tree *t, bool **ret_enabled);

/* Counters of the cgroup side, for the journal and the benchmark. */
typedef struct spmd_cgroup_stats {
        unsigned long long mems_writes;         /* cpuset.mems write(2)s issued */
        unsigned long long unit_calls;          /* SetUnitProperties calls */
        unsigned long long subtree_writes;      /* "+cpuset" writes */
        unsigned long long gone;                /* cgroups that vanished mid-write */
        unsigned long long mismatches;          /* read-backs that disagreed */
        unsigned long long readbacks;           /* derived files read to check writes */
        unsigned long long derived;             /* checks settled by the kernel's rule, nothing read */
} spmd_cgroup_stats;

extern spmd_cgroup_stats spmd_cgroup_stats_global;
