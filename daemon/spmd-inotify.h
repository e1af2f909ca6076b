/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * New and removed cgroups. inotify on exactly the directories where a new
 * cgroup can need a mask: the root (a new top-level cgroup inherits the
 * root's SPM nodes), the cgroups that match a proper prefix of a policy
 * Path= pattern (a matching cgroup may appear below them), and the
 * ancestors of the cgroups a rule matches (they are widened for it, so a
 * new child would inherit the grant). The number of watches follows the
 * policy, not the number of cgroups: Path=kubepods.slice/kubepods-pod*.slice
 * watches the root and kubepods.slice, however many pods there are. Every
 * event only queues a patch of the daemon's cgroup model (a creation reads
 * the new cgroup, a removal drops it) and a pass.
 */

#include "cgroup-tree.h"
#include "policy.h"

typedef struct manager manager;
typedef struct spmd_inotify spmd_inotify;

int spmd_inotify_new(manager *m, spmd_inotify **ret);
spmd_inotify *spmd_inotify_free(spmd_inotify *w);

/* Make the watch set what the policy needs on this tree: add the missing
 * watches, drop the ones no longer needed. Returns the number of watches;
 * *ret_added (when given) lists the paths watched only now, whose
 * children the caller must look at again (a child made before the watch
 * raised no event). */
int spmd_inotify_update(spmd_inotify *w, const spm_policy *policy, const spm_cgroup_tree *t, char ***ret_added);

/* Does cgroup path match a proper prefix (depth components) of pattern? */
bool spmd_pattern_prefix_matches(const char *pattern, const char *path, unsigned depth);
