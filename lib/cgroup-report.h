/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One cgroup as people see it (spmctl cgroups, ListCgroups): its masks as
 * text and the policy rule that decides it. */

#include <stdbool.h>

#include "cgroup-tree.h"
#include "nodemask.h"
#include "policy.h"

typedef struct spm_cgroup_report {
        char path[4096];                    /* "/..." */
        char mems[SPM_NODEMASK_STRLEN_MAX]; /* "-" when the file is absent */
        char effective[SPM_NODEMASK_STRLEN_MAX];
        char sysram[SPM_NODEMASK_STRLEN_MAX];
        char *rule;                         /* "file:line [Cgroup name]", with
                                             * " via /path" when an ancestor's
                                             * rule covers it; NULL: none */
} spm_cgroup_report;

/* Is path inside the subtree prefix (both relative to the cgroup root; ""
 * is everything)? "a" holds "a" and "a/b", not "ab". */
bool spm_cgroup_path_in(const char *path, const char *prefix);

/* Fill r for cgroup i of the tree; policy may be NULL. A rule covers its
 * cgroup's whole subtree until another rule matches lower down, so the
 * nearest ancestor with a rule names it. -ENOMEM only. */
int spm_cgroup_report_make(const spm_cgroup_tree *tree, size_t i, const spm_policy *policy, spm_cgroup_report *r);
void spm_cgroup_report_done(spm_cgroup_report *r);
