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
        char *rule;                         /* "file:line [Cgroup name]", NULL: none */
} spm_cgroup_report;

/* Is path inside the subtree prefix (both relative to the cgroup root; ""
 * is everything)? "a" holds "a" and "a/b", not "ab". */
bool spm_cgroup_path_in(const char *path, const char *prefix);

/* Fill r for g; policy may be NULL. -ENOMEM only. */
int spm_cgroup_report_make(const spm_cgroup *g, const spm_policy *policy, spm_cgroup_report *r);
void spm_cgroup_report_done(spm_cgroup_report *r);
