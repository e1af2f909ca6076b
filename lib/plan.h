/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A plan: the ordered changes the planner wants, each with the rule that
 * caused it, and the things it wants but cannot do (with why). The
 * executor runs the actions in order; spmctl prints them. An empty action
 * list means the system already is what the policy says. "Cannot do"
 * entries are not changes: a converged system may still carry them (a
 * node that needs a reboot stays that way until it gets one).
 */

#include <stdio.h>

#include "nodemask.h"

typedef enum spm_action_type {
        SPM_ACTION_CGROUP_MEMS,     /* write <cgroup>/cpuset.mems = mask */
        SPM_ACTION_UNIT_MEMS,       /* systemd SetUnitProperties AllowedMemoryNodes= mask (runtime) */
        SPM_ACTION_DRIVER_UNBIND,   /* <driver>/remove_id then <driver>/unbind; attribute = driver */
        SPM_ACTION_MARK_DEVICE,     /* dax device spm_node / protected_memory = value */
        SPM_ACTION_MARK_REGION,     /* CXL region spm_node / protected_memory = value, before it binds */
        SPM_ACTION_REGION_BIND,     /* bind the CXL region to cxl_region */
        SPM_ACTION_SET_MEMMAP,      /* dax device memmap_on_memory = value */
        SPM_ACTION_AUTO_ONLINE,     /* memory/auto_online_blocks = value (global) */
        SPM_ACTION_DRIVER_BIND,     /* <driver>/new_id then <driver>/bind; attribute = driver */
        SPM_ACTION_DEVICE_STATE,    /* whole-device attribute ("state" or "hotplug") = value */
        SPM_ACTION_ONLINE_BLOCK,    /* memoryN/state = value */
        SPM_ACTION_ONLINE_BLOCKS,   /* every offline block of a device just bound = value */
        SPM_ACTION_VERIFY_SYSRAM,   /* read <cgroup>/cpuset.mems.sysram, expect mask */
        _SPM_ACTION_TYPE_MAX,
} spm_action_type;

typedef struct spm_action {
        spm_action_type type;
        /* all strings belong to the plan (see spm_plan_add) */
        char *object;               /* "dax0.0", "region0", "memory42", a cgroup path ("" root), a unit */
        char *attribute;            /* "spm_node", "kmem", "state", "cpuset.mems", ... */
        char *value;                /* text to write (or expect) */
        const spm_nodemask *mask;   /* cgroup actions; never NULL (the plan's copy, shared) */
        char *rule;                 /* "file:line [Section name]", or "default" */
        char *reason;               /* why, in words */
} spm_action;

typedef struct spm_plan_blocked {
        char *object;
        char *rule;
        char *reason;
} spm_plan_blocked;

typedef struct spm_plan {
        spm_action *actions;
        size_t n_actions, n_actions_allocated;
        spm_plan_blocked *blocked;
        size_t n_blocked;
        char **chunks;              /* the arena the objects are copied into */
        size_t n_chunks, chunk_used, chunk_size;
        char **texts;               /* attributes, values, rules, reasons, each once (mostly) */
        size_t n_texts;
        spm_nodemask **masks;       /* the actions' masks, each once */
        size_t n_masks;
        size_t cgroups_visited;     /* cgroups the planner looked at (of a kept tree: fewer) */
        const char *cgroups_all_why;/* a kept tree planned whole: why (static text), else NULL */
} spm_plan;

spm_plan *spm_plan_new(void);
spm_plan *spm_plan_free(spm_plan *p);
static inline void spm_plan_freep(spm_plan **p) {
        if (*p)
                spm_plan_free(*p);
}

/* Append. value may be NULL. -ENOMEM only. */
int spm_plan_add(spm_plan *p, spm_action_type type, const char *object, const char *attribute,
                 const char *value, const spm_nodemask *mask, const char *rule, const char *reason);
int spm_plan_add_blocked(spm_plan *p, const char *object, const char *rule, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Has the plan any change? (Blocked entries do not count.) */
static inline bool spm_plan_has_changes(const spm_plan *p) {
        return p->n_actions > 0;
}

/* A human table: one line per action (STEP, ACTION, OBJECT, CHANGE, WHY),
 * then the "cannot do" entries. */
int spm_plan_format_table(const spm_plan *p, FILE *f);

/*
 * JSON, stable schema:
 *   {"changes": N, "actions": [{"step": 1, "action": "cgroup-mems",
 *     "object": "...", "attribute": "...", "value": "...", "rule": "...",
 *     "reason": "..."}...],
 *    "blocked": [{"object": "...", "rule": "...", "reason": "..."}...]}
 */
int spm_plan_format_json(const spm_plan *p, FILE *f);

const char *spm_action_type_to_string(spm_action_type t);
