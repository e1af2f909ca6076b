/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Keeping the daemon's cgroup model (lib/cgroup-model.h) true to cgroupfs
 * between passes, without reading the whole tree each time.
 *
 * The whole tree is read at start, on a resync (lost uevents, an inotify
 * queue overflow) and by Verify (which adopts what it read). Otherwise the
 * model is patched:
 *   - spmd's own cpuset.mems writes set the written mask (the read-back
 *     checks the kernel's derived files, not cpuset.mems itself);
 *   - inotify creations read the new cgroup with its whole subtree (its
 *     own children may have come before its watch), removals drop it;
 *   - a write that found the cgroup gone, or failed, reads that cgroup
 *     again: the model is known to be wrong there;
 *   - systemd's signals read again what systemd owns: on UnitNew the root
 *     and every slice are rescanned for new or gone children; after a
 *     reload (or a new systemd) every unit cgroup's files are read again
 *     too (a re-apply rewrites them);
 *   - a directory that gets a new watch is rescanned after the watch is in
 *     place, so nothing created between the read and the watch is missed.
 *
 * Why that is enough when a policy change or a new node widens a cgroup G
 * (its children that inherit would gain the node): the cgroups the policy
 * widens are the matched ones and their ancestors. Children of a matched
 * cgroup inherit its grant by the policy's own rule, whatever the model
 * knows of them. Every ancestor of a matched cgroup is watched (and a new
 * watch rescans its children), and the root is always watched, so every
 * child of a cgroup that widens is in the model before the plan is made,
 * and the plan narrows each one that must not inherit, before anything
 * above it grows. Below such a child nothing can gain the node: a cgroup's
 * effective mask is bounded by its parent's. Cgroups deeper down that the
 * model does not know are bounded the same way. What the model cannot see
 * is a cpuset.mems written behind spmd's back (cgroupfs raises no inotify
 * event for it): that is drift, found by Verify and by systemd's signals
 * for the unit cgroups systemd rewrites.
 */

#include <stdbool.h>

#include "cgroup-model.h"
#include "nodemask.h"
#include "policy.h"

typedef struct manager manager;

typedef struct spmd_cgroup_pending {
        bool reload;            /* read the whole tree again */
        bool systemd_units;     /* rescan the root and the slices (new units) */
        bool systemd_files;     /* and read every unit cgroup's files again */
        bool watches_stale;     /* the tree's shape changed: recompute the watches */
        char **load;            /* read these again (created, or known wrong) */
        char **removed;         /* drop these (removal seen) */
        unsigned long long full_loads, patches;  /* counters, for the log and tests */
} spmd_cgroup_pending;

void spmd_cgroup_pending_done(spmd_cgroup_pending *s);

/*
 * Before planning: make m->cgroups what cgroupfs holds, by the cheapest
 * means that is still right (see above). root_fresh: m->root was read in
 * this pass (a full pass): the model's root takes it, and the watches are
 * recomputed (the policy may have changed). Also enables the cpuset
 * controller where the policy needs it (reading again the cgroups that got
 * cpuset files) and updates the inotify watches. On failure m->cgroups is
 * NULL (the pass plans the devices alone, the next one reads the tree).
 */
int spmd_cgroup_sync(manager *m, bool root_fresh);

/* A cpuset.mems write of cgroup (path) went through with mask. Returns its
 * model index, or -ENOENT when the model does not have it. */
int spmd_cgroup_sync_written(manager *m, const char *cgroup, const spm_nodemask *mask);

/* The model is wrong at cgroup (a write found it gone or failed). */
void spmd_cgroup_sync_suspect(manager *m, const char *cgroup);

/* The policy changes from old to new (either may be NULL): the watches
 * follow it on the next pass (and the directories that become watched are
 * rescanned), and the next plan visits the cgroups whose rule may change
 * (lib/planner.h, "Remembering"). */
void spmd_cgroup_sync_policy_changed(manager *m, const spm_policy *old, const spm_policy *new);

/* Adopt a tree just read whole (Verify): it replaces the model. Takes t. */
int spmd_cgroup_sync_adopt(manager *m, spm_cgroup_tree *t);
