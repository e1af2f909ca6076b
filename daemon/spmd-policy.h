/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's hold on the policy: load it from the spm.d(5) search path,
 * keep the last good one when a reload finds errors, and say what happened
 * (journal, D-Bus PolicyState/PolicyError, signals).
 */

typedef struct manager manager;

typedef enum spmd_policy_state {
        SPMD_POLICY_NONE,           /* no policy files: observe only */
        SPMD_POLICY_LOADED,         /* the files on disk are in force */
        SPMD_POLICY_REJECTED,       /* the files on disk have errors; the last
                                     * good policy (if any) stays in force */
        _SPMD_POLICY_STATE_MAX,
} spmd_policy_state;

/* (Re)load. Returns 0 when the files were taken, -EINVAL when they were
 * rejected (the previous policy stays), other -errno on failure to read. */
int spmd_policy_reload(manager *m);

const char *spmd_policy_state_to_string(spmd_policy_state s);
