/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The check after cgroup writes: what the kernel derived from them
 * (cpuset.mems.effective, cpuset.mems.sysram) against what the policy
 * means. A mismatch is reported, never "fixed" (the derived files are
 * read-only).
 *
 * The kernel's rule is fixed: effective = mems ∩ parent's effective, or
 * the parent's effective when mems is empty or misses it; sysram =
 * effective ∩ the root's sysram (kernel-abi: effective ∩ the global
 * System RAM list, and every effective is inside the root's). So the
 * files of a written cgroup follow from its mask and its parent's
 * effective. SPMD_READBACK_DERIVED reads what that depends on and nothing
 * else: the root's sysram once per pass, the effective of the nearest
 * ancestor that this pass did not write (once each), and a cgroup's own
 * files only where the kernel could have computed something other than
 * the mask (the mask not inside what its parent has) or the result is not
 * what the policy means (to report the real values). The same holds on
 * kernels without cpuset.mems.sysram: the check of effective after each
 * write is derived too (spmd_readback_check_effective).
 */

#include "plan.h"

typedef struct manager manager;

typedef enum spmd_readback {
        SPMD_READBACK_OFF,          /* no check (the benchmark's writes-only row) */
        SPMD_READBACK_BOTH,         /* effective and sysram of every written cgroup */
        SPMD_READBACK_ONE,          /* sysram of every written cgroup (it lies inside effective) */
        SPMD_READBACK_DERIVED,      /* see above */
        _SPMD_READBACK_MAX,
} spmd_readback;

extern spmd_readback spmd_cgroup_readback;

/* A plan is about to run on the cgroup model as it is now. */
void spmd_readback_begin(manager *m);

/* Cgroup index (of m->cgroups) was written in this pass. */
void spmd_readback_written(manager *m, int index);

/* Right after a write, on kernels without cpuset.mems.sysram (no verify
 * step follows): effective wider than the mask means the kernel fell back
 * to the parent's, letting in nodes the policy keeps out. index: the
 * cgroup's model index (or -errno). SPMD_READBACK_DERIVED reads nothing
 * when the mask lies inside the parent's effective (derived as above):
 * the kernel's rule makes effective the mask then. */
void spmd_readback_check_effective(manager *m, const char *cgroup, int index, const spm_nodemask *mask);

/* The plan's verify step (SPM_ACTION_VERIFY_SYSRAM). 1, or -EREMCHG after
 * reporting a mismatch, or -errno. */
int spmd_readback_verify(manager *m, const spm_action *a);
