/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A snapshot of the cgroup v2 tree under spm_path(SPM_PATH_CGROUPFS): every
 * cgroup with its cpuset memory files, whether systemd manages it as a unit
 * and whether it lies in a delegated subtree. A plain array with every
 * parent before its children (a fresh load is in pre-order; a tree patched
 * by spm_cgroup_tree_append_from() may not be), so the planner walks it
 * top-down by index and bottom-up in reverse, and tests build trees in
 * memory with spm_cgroup_tree_add().
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

        /* For a tree kept between plans (the daemon's model): what the last
         * remembering plan found (lib/planner.h). A new cgroup has no plan
         * yet. Whatever changes the cgroup after that plan sets replan
         * (plan it and everything below again) or retarget (a child went:
         * its target is worked out again from what is left). The flags
         * sit by parent: a plan reads them for every cgroup. */
        bool planned, planned_blocked, replan, retarget;

        /* Out of line: the files are 500 bytes, and a pass walks the
         * records above for every cgroup of a large tree several times
         * (matching rules, watches, what to plan); small records keep
         * those walks to a few pages. Never NULL. */
        spm_cpuset *cpuset;
        spm_nodemask planned_target;
} spm_cgroup;

/* The inputs the remembered targets were computed from, beyond the tree
 * and the policy: when any differs, the next plan visits every cgroup. */
typedef struct spm_cgroup_plan_memo {
        spm_nodemask root_now, root_final, sysram_nodes;
        char **pool_names;          /* the policy's pools, with... */
        spm_nodemask *pool_nodes;   /* ...the nodes each had */
} spm_cgroup_plan_memo;

typedef struct spm_cgroup_tree {
        spm_cgroup *cgroups;
        size_t n;
        bool systemd;               /* init.scope exists below the root */
        bool v1;                    /* the cgroup v1 cpuset hierarchy */
        spm_cgroup_plan_memo *memo; /* NULL: no plan remembered */
        void *plan_scratch;         /* the planner's working records, kept with a kept tree */
        size_t plan_scratch_size;   /* bytes */
} spm_cgroup_tree;

void spm_cgroup_plan_memo_free(spm_cgroup_plan_memo *m);

/* From spm_path(SPM_PATH_CGROUPFS); on cgroup v1 from its cpuset
 * hierarchy (paths are then relative to that mount). */
int spm_cgroup_tree_load(spm_cgroup_tree **ret);
int spm_cgroup_tree_load_from(const char *root, spm_cgroup_tree **ret);
/* The same, with the root cgroup's cpuset files as the caller read them
 * in this pass (not read again; ignored on cgroup v1, whose root is
 * another directory). */
int spm_cgroup_tree_load_with_root(const spm_cpuset *root_cpuset, spm_cgroup_tree **ret);

/* The directory of a cgroup of t (path relative to t's root). NULL: OOM. */
char *spm_cgroup_tree_dir(const spm_cgroup_tree *t, const char *path);

/* Read the cgroup directory name below parent (an index) from cgroupfs
 * with its cpuset files and its whole subtree, and append them: parents
 * still come before their children, but the result is no longer in
 * pre-order when parent is not the last cgroup's ancestor line. Returns
 * the new cgroup's index, -ENOENT when it is not there (any more). */
int spm_cgroup_tree_append_from(spm_cgroup_tree *t, int parent, const char *name);

/* Read the cpuset files (and delegation) of cgroup i again. -ENOENT when
 * it is gone. */
int spm_cgroup_tree_reread(spm_cgroup_tree *t, int i);

/* A tree holding only the root, with the root's cpuset files (NULL: none). */
int spm_cgroup_tree_new(const spm_cpuset *root, spm_cgroup_tree **ret);

/* Append a child of parent (an index, so parents come before children;
 * add a subtree's cgroups before the next sibling's to keep pre-order).
 * cs may be NULL (no cpuset files). Returns the new index or -errno. */
int spm_cgroup_tree_add(spm_cgroup_tree *t, int parent, const char *name, const spm_cpuset *cs);

spm_cgroup_tree *spm_cgroup_tree_free(spm_cgroup_tree *t);
static inline void spm_cgroup_tree_freep(spm_cgroup_tree **t) {
        if (*t)
                spm_cgroup_tree_free(*t);
}

int spm_cgroup_tree_find(const spm_cgroup_tree *t, const char *path);

/* The subdirectories of dirfd (a cgroup's children), sorted; NULL when
 * there are none. The entry type readdir gives saves a stat of each of a
 * cgroup's thirty-odd files; filesystems that do not give it get the
 * stat. */
int spm_cgroup_subdirs_at(int dirfd, char ***ret);

/* Is name a systemd unit name for a cgroup? */
bool spm_cgroup_name_is_unit(const char *name);

/* Does a delegated cgroup lie strictly above index i? Inside such a
 * subtree the delegatee, not systemd, owns the cgroups. */
bool spm_cgroup_in_delegated_subtree(const spm_cgroup_tree *t, int i);

/* The kernel's rule for cgroup v2: effective = mems ∩ parent effective,
 * or the parent's effective when mems is empty or the intersection is. */
spm_nodemask spm_cgroup_effective(const spm_nodemask *mems, const spm_nodemask *parent_effective);
