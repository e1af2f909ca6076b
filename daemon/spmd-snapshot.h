/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The snapshot a topology pass works on. A pass triggered by uevents (or by
 * spmd's own writes) reads only what they named and patches the last
 * snapshot (lib/topology-patch.h); everything else reads the whole of sysfs:
 * the coldplug pass, lost uevents, SIGHUP/Reload(), D-Bus methods, policy
 * changes, any trigger that names nothing, and a patch that finds something
 * it cannot explain.
 */

#include <stdbool.h>

#include "plan.h"
#include "topology.h"

typedef struct manager manager;

/* A uevent to look at in the next pass. */
void spmd_snapshot_note_uevent(manager *m, const char *subsystem, const char *sysname);

/* What a pass just acted on: the devices and regions of plan->actions[0..n),
 * read again in the next pass; an action on something else (auto_online)
 * asks for a full read. */
void spmd_snapshot_note_plan(manager *m, const spm_plan *plan, size_t n);

/* Is this uevent the kernel's answer to a write of the last pass (a bind,
 * unbind or change of a device or region it acted on, while the look at it
 * is pending)? */
bool spmd_snapshot_is_echo(manager *m, const char *subsystem, const char *sysname, const char *action);

/* The next pass reads everything. */
void spmd_snapshot_want_full(manager *m);

/* Take the pass's snapshot and forget the scope. *ret_scoped: the result is
 * a patch of m->topo; *ret_nodes: the node part was read again (always true
 * for a full read). */
int spmd_snapshot_take(manager *m, bool full, spm_topology **ret, bool *ret_scoped, bool *ret_nodes);
