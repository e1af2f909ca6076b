/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * systemd as the owner of unit cgroups. systemd rewrites a unit's
 * cpuset.mems from its AllowedMemoryNodes= whenever it re-applies the unit
 * (daemon-reload, a unit start), so a mask written behind its back does not
 * stay: for units spmd sets the property itself, as a runtime property,
 * through org.freedesktop.systemd1.Manager.SetUnitProperties on the bus spmd
 * is on. UnitNew and Reloading only queue a pass; it reads again what
 * systemd owns (the slices' children; after a reload also every unit
 * cgroup's files, see spmd-cgroup-sync.h) and repairs what systemd left.
 */

#include <stdbool.h>

#include "nodemask.h"

typedef struct manager manager;
typedef struct spmd_systemd spmd_systemd;

/* Subscribe to systemd's signals on m->bus (nothing without a bus). */
int spmd_systemd_new(manager *m, spmd_systemd **ret);
spmd_systemd *spmd_systemd_free(spmd_systemd *s);

/* Is a systemd manager answering on the bus? Asked once, then remembered
 * until systemd's name changes owner. */
bool spmd_systemd_present(spmd_systemd *s);

/*
 * SetUnitProperties(unit, runtime=true, [AllowedMemoryNodes=mask]).
 * Waits for the reply for at most SPMD_SYSTEMD_TIMEOUT_USEC, so the plan's
 * order holds (the next write may rely on this one). Returns 0, -ENOENT
 * when systemd does not know the unit (it went away), -EHOSTDOWN when no
 * systemd answers, or another -errno.
 */
#define SPMD_SYSTEMD_TIMEOUT_USEC (2ULL * 1000 * 1000)
int spmd_systemd_set_allowed_memory_nodes(spmd_systemd *s, const char *unit, const spm_nodemask *mask);

/* The bitmask of the AllowedMemoryNodes "ay" property: bit n of byte n/8
 * for node n, trailing zero bytes left out. Returns the length. */
size_t spmd_systemd_mask_bytes(const spm_nodemask *mask, uint8_t *buf, size_t size);
