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

/*
 * Before planning: a cgroup that a policy rule matches but that has no
 * cpuset files needs "+cpuset" in the cgroup.subtree_control of its parent,
 * and so on up to the first ancestor that has them. Writes exactly those,
 * top-down, and never one that is already enabled: such a no-op write
 * still costs the kernel a walk over every live descendant. Returns the
 * number of controllers enabled (the tree must then be read again), or
 * -errno.
 */
int spmd_cgroups_enable_cpuset(const spm_policy *policy, const spm_cgroup_tree *t);

/*
 * The tree t with the cgroups at the given paths read again from cgroupfs:
 * those already in t get their cpuset files re-read (they were written),
 * new ones are added (one that is gone again is left out) right after
 * their parent, which keeps the tree in pre-order. -ENOENT when a new
 * cgroup's parent is not in t (the caller re-reads the whole tree then).
 */
int spmd_cgroup_tree_with_new(const spm_cgroup_tree *t, char **paths, spm_cgroup_tree **ret);

/* Counters of the cgroup side, for the journal and the benchmark. */
typedef struct spmd_cgroup_stats {
        unsigned long long mems_writes;         /* cpuset.mems write(2)s issued */
        unsigned long long unit_calls;          /* SetUnitProperties calls */
        unsigned long long subtree_writes;      /* "+cpuset" writes */
        unsigned long long gone;                /* cgroups that vanished mid-write */
        unsigned long long mismatches;          /* read-backs that disagreed */
} spmd_cgroup_stats;

extern spmd_cgroup_stats spmd_cgroup_stats_global;

/* Read back cpuset.mems.effective / cpuset.mems.sysram after writes (on by
 * default; the benchmark turns it off to time the writes alone). */
extern bool spmd_cgroup_readback;
