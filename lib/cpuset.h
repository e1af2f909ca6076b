/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A cgroup's cpuset memory files. cgroup v2 names are tried first
 * (cpuset.mems, cpuset.mems.effective, cpuset.mems.sysram), then v1
 * (cpuset.mems, cpuset.effective_mems, cpuset.mems_sysram); SPM v1's
 * mems.default is read where mems.sysram is absent.
 */

#include <stdbool.h>

#include "nodemask.h"

typedef struct spm_cpuset {
        bool mems_present;          /* absent on the v2 root cgroup */
        spm_nodemask mems;          /* empty = inherit */
        bool effective_present;
        spm_nodemask effective;
        bool sysram_present;        /* SPM v2 / private v3 */
        spm_nodemask sysram;
        bool mems_default_present;  /* SPM v1 */
        spm_nodemask mems_default;
} spm_cpuset;

/* Read the cpuset files of the cgroup directory dirfd (or path relative to
 * the cgroupfs root: "" for the root). -ENOENT when the cgroup is gone,
 * -ENOMEDIUM when cpuset is not enabled for it (no cpuset files at all),
 * -EINVAL when a file holds something that is not a node list. */
int spm_cpuset_read_at(int dirfd, spm_cpuset *ret);
int spm_cpuset_read(const char *cgroup, spm_cpuset *ret);
