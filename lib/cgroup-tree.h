/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A snapshot of the cgroup v2 tree under spm_path(SPM_PATH_CGROUPFS): every
 * cgroup with its cpuset memory files, whether systemd manages it as a unit
 * and whether it lies in a delegated subtree. A plain array in pre-order
 * (every parent before its children), so the planner walks it top-down by
 * index and bottom-up in reverse, and tests build trees in memory with
 * spm_cgroup_tree_add().
 */

#include <stdbool.h>
#include <stddef.h>

#include "cpuset.h"

typedef struct spm_cgroup {
        char *path;                 /* relative to the root; "" is the root */
        const char *name;           /* last component, points into path */
        int parent;                 /* index, -1 for the root */
        unsigned depth;
        bool is_unit;               /* name ends in .slice, .service or .scope */
        bool delegated;             /* trusted.delegate or user.delegate set */
        bool has_cpuset;            /* cpuset files present */
        spm_cpuset cpuset;
} spm_cgroup;

typedef struct spm_cgroup_tree {
        spm_cgroup *cgroups;
        size_t n;
        bool systemd;               /* init.scope exists below the root */
        bool v1;                    /* the cgroup v1 cpuset hierarchy */
} spm_cgroup_tree;

/* From spm_path(SPM_PATH_CGROUPFS); on cgroup v1 from its cpuset
 * hierarchy (paths are then relative to that mount). */
int spm_cgroup_tree_load(spm_cgroup_tree **ret);
int spm_cgroup_tree_load_from(const char *root, spm_cgroup_tree **ret);

/* A tree holding only the root, with the root's cpuset files (NULL: none). */
int spm_cgroup_tree_new(const spm_cpuset *root, spm_cgroup_tree **ret);

/* Append a child of parent (an index; must keep pre-order, so add a
 * subtree's cgroups before the next sibling's). cs may be NULL (no cpuset
 * files). Returns the new index or -errno. */
int spm_cgroup_tree_add(spm_cgroup_tree *t, int parent, const char *name, const spm_cpuset *cs);

spm_cgroup_tree *spm_cgroup_tree_free(spm_cgroup_tree *t);
static inline void spm_cgroup_tree_freep(spm_cgroup_tree **t) {
        if (*t)
                spm_cgroup_tree_free(*t);
}

int spm_cgroup_tree_find(const spm_cgroup_tree *t, const char *path);

/* Is name a systemd unit name for a cgroup? */
bool spm_cgroup_name_is_unit(const char *name);

/* Does a delegated cgroup lie strictly above index i? Inside such a
 * subtree the delegatee, not systemd, owns the cgroups. */
bool spm_cgroup_in_delegated_subtree(const spm_cgroup_tree *t, int i);

/* The kernel's rule for cgroup v2: effective = mems ∩ parent effective,
 * or the parent's effective when mems is empty or the intersection is. */
spm_nodemask spm_cgroup_effective(const spm_nodemask *mems, const spm_nodemask *parent_effective);
