/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Other agents that online hot-added memory (design §4.6): the kernel
 * itself through auto_online_blocks, distro udev rules that write
 * memoryN/state, and daxctl's udev rule. spmd cannot stop them from
 * racing it; it says in the journal that they exist and what the policy's
 * [Daemon] AutoOnline= makes it do about them (takeover: re-add such memory
 * with the policy's type, set auto_online_blocks=offline where the kernel
 * has no whole-device attribute; stepaside: leave it and report it).
 */

#include "topology.h"

typedef struct manager manager;

/* Look for onlining udev rules once (the directories are
 * $SPMD_UDEV_RULES_DIRS, colon-separated, else udev's own) and log each. */
void spmd_device_races_scan_rules(manager *m);

/* Log auto_online_blocks and the decision whenever it changes. */
void spmd_device_races_check(manager *m, const spm_topology *t);
