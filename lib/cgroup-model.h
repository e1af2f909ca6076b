/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A cgroup tree kept across passes: what the daemon believes cgroupfs
 * holds, patched where it learns of a change (its own writes, a cgroup
 * created or removed, a directory whose children must be looked at again)
 * instead of read again whole. An index by path makes every patch cheap
 * at tens of thousands of cgroups. The tree keeps every parent before its
 * children, which is all the planner needs; patched subtrees are appended.
 *
 * Every patch also tells the planner what it changed (lib/planner.h,
 * "Remembering"): a mask written or a cgroup read again is planned again
 * with its subtree, a cgroup read in is new to it, and the parent of a
 * removed one works out its target again.
 */

#include "cgroup-tree.h"

typedef struct spm_cgroup_model {
        spm_cgroup_tree *tree;
        int *slots;                 /* open addressing: tree index + 1, 0 empty */
        size_t n_slots;             /* a power of two, at least twice tree->n */
} spm_cgroup_model;

/* Takes t (only on success). */
int spm_cgroup_model_new(spm_cgroup_tree *t, spm_cgroup_model **ret);
spm_cgroup_model *spm_cgroup_model_free(spm_cgroup_model *m);
static inline void spm_cgroup_model_freep(spm_cgroup_model **m) {
        if (*m)
                spm_cgroup_model_free(*m);
}

/* The index of path ("" is the root), or -ENOENT. */
int spm_cgroup_model_find(const spm_cgroup_model *m, const char *path);

/* A cpuset.mems write to cgroup i went through: the model holds mems. */
void spm_cgroup_model_set_mems(spm_cgroup_model *m, int i, const spm_nodemask *mems);

/* Drop cgroup i and everything below it (not the root: -EINVAL). */
int spm_cgroup_model_remove(spm_cgroup_model *m, int i);

/* Make the model hold what cgroupfs has at path: the cgroup with its files
 * and whole subtree read again (replacing what the model had there), or
 * nothing when it is gone. Its parent must be in the model (-ENOENT
 * otherwise). The root is never replaced: path "" re-reads its files only.
 * Returns the cgroup's index, or -ESRCH when it is gone (and dropped). */
int spm_cgroup_model_load(spm_cgroup_model *m, const char *path);

/* Read the cpuset files of cgroup i again; a cgroup that is gone is
 * dropped (-ESRCH). */
int spm_cgroup_model_reread(spm_cgroup_model *m, int i);

/* Compare the children of cgroup i with its directory: read the new ones
 * with their subtrees, drop the ones that are gone. Returns the number of
 * cgroups added or dropped, -ESRCH when i itself is gone (and dropped). */
int spm_cgroup_model_rescan(spm_cgroup_model *m, int i);
