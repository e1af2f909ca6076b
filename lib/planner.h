/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The planner: a pure function from (policy, topology snapshot, kernel
 * features, cgroup tree) to a plan. It reads nothing from the system and
 * keeps no state, so the daemon, `spmctl plan` and the tests all get the
 * same answer for the same input, and a converged system gives an empty
 * plan.
 *
 * Order of a plan:
 *   1. cgroup writes that only take nodes away, and writes of masks that
 *      would let nodes in as soon as anything above them grows (they
 *      inherit, or reach beyond their target): deepest cgroups first;
 *   2. per device: unbind, mark, memmap_on_memory, bind kmem, online;
 *   3. the remaining cgroup writes, which add nodes: parents first;
 *   4. read-back checks of cpuset.mems.sysram for every cgroup written.
 * So memory coming online and parents widening never reach a cgroup the
 * policy keeps them from, and narrowing happens before memory is taken
 * away.
 */

#include "cgroup-tree.h"
#include "kernel-features.h"
#include "plan.h"
#include "policy.h"
#include "topology.h"

/* cgroups may be NULL: devices only. */
int spm_plan_build(const spm_policy *policy, const spm_topology *topo, const spm_features *features,
                   const spm_cgroup_tree *cgroups, spm_plan **ret);

/* The device rule that decides a device (or a CXL region without a dax
 * device: dev NULL). Returns the rule, or NULL. When two rules of one file
 * with the same specificity match and disagree, *ret_conflict gets the
 * other one (and the device must be left alone). */
const spm_policy_device *spm_plan_device_rule(const spm_policy *policy, const spm_dax_device *dev,
                                              const spm_cxl_region *region,
                                              const spm_policy_device **ret_conflict);

/* Same for cgroups. */
const spm_policy_cgroup *spm_plan_cgroup_rule(const spm_policy *policy, const char *path, const char *unit,
                                              const spm_policy_cgroup **ret_conflict);
