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

/*
 * Remembering, for a tree kept between plans (the daemon's model): the
 * same plan as spm_plan_build(), but each cgroup keeps the target this
 * plan found for it, and the next plan visits only what may have changed
 * since. A policy change touches the cgroups its changed rules match, a
 * new cgroup the subtree it heads; a plan of ten thousand cgroups after a
 * grant to a thousand should cost the thousand.
 *
 * The next plan visits: every cgroup marked replan (and everything below
 * it), every cgroup without a remembered target (new), every cgroup this
 * plan reported as blocked or meant to write, until the write of its
 * target is carried out (spm_cgroup_model_set_mems() says so), the
 * ancestors of all those (their
 * targets are unions over their children) and the other children of those
 * ancestors (an ancestor that widens could leak into them: they are
 * planned with the target they had). A cgroup no plan visits is one that
 * needed nothing the last time and that nothing has changed since, so a
 * full plan would find nothing to do there either (tests/test-plan-memo.c
 * compares the two). When what the targets were computed from changed
 * (the root's effective mask, its final mask, the System RAM nodes, a
 * pool's nodes) every cgroup is visited.
 *
 * Whoever changes the tree marks it (lib/cgroup-model.c does for the
 * model's patches); whoever changes the policy calls
 * spm_plan_policy_changed() before the next plan.
 */
int spm_plan_build_kept(const spm_policy *policy, const spm_topology *topo, const spm_features *features,
                        spm_cgroup_tree *cgroups, spm_plan **ret);

/* The policy went from old to new (either may be NULL: no rules): mark
 * replan on every cgroup of tree that a rule found in only one of them
 * matches. Returns how many it marked (0 when nothing is remembered). */
size_t spm_plan_policy_changed(spm_cgroup_tree *tree, const spm_policy *old, const spm_policy *new);

/* Forget what was remembered: the next plan visits every cgroup. */
void spm_plan_forget(spm_cgroup_tree *tree);

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
