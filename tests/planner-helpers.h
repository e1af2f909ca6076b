/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Building planner inputs by hand: topology snapshots, cgroup trees,
 * feature sets and policies, and a compact text form of a plan. */

#include "cgroup-tree.h"
#include "kernel-features.h"
#include "plan.h"
#include "policy.h"
#include "topology.h"

typedef enum tt_gen {
        TT_STOCK,                   /* no SPM, no whole-device attribute */
        TT_SPM_V2_STATE_V7,         /* spm_node + "state" + mems.sysram */
        TT_SPM_V1_HOTPLUG_V2,       /* protected_memory + "hotplug" (unplug) */
        TT_PRIVATE_V4,              /* private nodes, observe only */
        _TT_GEN_MAX,
} tt_gen;

spm_features tt_features(tt_gen g);

/* has_memory as a node list */
spm_topology *tt_new(const char *has_memory);
/* Returns the index. Mark: spm_node for v2-style, protected_memory for
 * v1-style; -1 absent. */
size_t tt_dax(spm_topology *t, const char *name, spm_provider p, int node, uint64_t start, uint64_t size,
              const char *driver, int spm_node, int protected_memory);
void tt_hotplug(spm_topology *t, size_t dax, spm_dax_hotplug_attr attr, spm_dax_state state);
/* n blocks of 128 MiB covering the device start, all in one state */
void tt_blocks(spm_topology *t, size_t dax, size_t n, spm_block_state st, const char *zones);
size_t tt_region(spm_topology *t, const char *name, const char *uuid, const char *serial, const char *dax, int spm_node);

/* root effective as a node list; systemd: add init.scope */
spm_cgroup_tree *ct_new(const char *root_effective, bool systemd);
/* mems as node list ("" inherit); effective computed from the parent */
int ct_add(spm_cgroup_tree *t, int parent, const char *name, const char *mems);

/* Parse a policy; aborts the test binary on any error (it is a fixture). */
spm_policy *tp_policy(const char *text);

/* "action object attribute=value" per line, then "! object: reason" per
 * blocked entry. */
char *tp_plan_text(const spm_plan *p);

/* Build a plan and return its text. */
char *tp_plan(const spm_policy *pol, const spm_topology *t, const spm_features *f, const spm_cgroup_tree *tree);
