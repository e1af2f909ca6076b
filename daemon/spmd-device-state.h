/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * What spmd is doing with each device, as the design's states (§4):
 * unmanaged, pending, marking, onlining, online, offline, failed (with a
 * reason) and needs-reboot. The kernel stays the source of truth for what
 * a device *is*; this table only adds what spmd decided and why, so it is
 * rebuilt from each snapshot and never persisted.
 *
 * A device that failed (or needs a reboot) is "held": its actions are not
 * run again on every pass, only after a new trigger concerning it (a dax
 * add/change/remove uevent of that device, a reload, a D-Bus request).
 * Without the hold a failing step would be retried on every uevent, and
 * its own rollback raises uevents: a loop.
 */

#include <stdbool.h>

#include "plan.h"
#include "topology.h"

typedef struct manager manager;

typedef enum spmd_device_state {
        SPMD_DEVICE_UNMANAGED,
        SPMD_DEVICE_PENDING,
        SPMD_DEVICE_MARKING,
        SPMD_DEVICE_ONLINING,
        SPMD_DEVICE_ONLINE,
        SPMD_DEVICE_OFFLINE,
        SPMD_DEVICE_FAILED,
        SPMD_DEVICE_NEEDS_REBOOT,
        _SPMD_DEVICE_STATE_MAX,
} spmd_device_state;

typedef struct spmd_device_record {
        char *name;                 /* "dax0.0" or "region0" */
        spmd_device_state state;
        char *reason;               /* why, in words ("" when nothing to say) */
        int node;                   /* target node, -1 unknown */
        char *pool;                 /* policy pool, NULL for sysram/unmanaged */
        bool held;                  /* failed: do not retry until triggered */
        bool triggered;             /* a new trigger arrived since the hold */
        bool seen;                  /* present in the current snapshot */
} spmd_device_record;

typedef struct spmd_device_table {
        spmd_device_record *records;
        size_t n;
} spmd_device_table;

const char *spmd_device_state_to_string(spmd_device_state s);

spmd_device_table *spmd_device_table_free(spmd_device_table *t);

/* The record of name, NULL when spmd has none. */
const spmd_device_record *spmd_device_record_find(const manager *m, const char *name);

/* Set a device's state and reason; on a change, log one line with the
 * device's journal fields and emit ManagedState/StateReason. reason may be
 * NULL. -ENOMEM only. */
int spmd_device_state_set(manager *m, const char *name, spmd_device_state state, const char *reason);

/* A failure: state (FAILED or NEEDS_REBOOT) and hold the device. */
int spmd_device_state_fail(manager *m, const char *name, spmd_device_state state, const char *reason);

/* A new trigger concerning name (NULL: every device, as on a reload). */
void spmd_device_state_trigger(manager *m, const char *name);

/* Before the plan runs: classify every device of the snapshot from the
 * policy, the plan's actions and its "cannot do" entries, and release the
 * holds that got a new trigger. */
int spmd_device_states_update(manager *m, const spm_topology *t, const spm_plan *plan);

/* The device an action concerns (a dax device, a region, the dax device
 * holding a memory block), NULL for cgroup and global actions. */
const char *spmd_action_device(const spm_topology *t, const spm_action *a);

/* Is the device an action concerns held (its action must be skipped)? */
bool spmd_device_action_held(const manager *m, const spm_topology *t, const spm_action *a);
