/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A scoped re-read: a new snapshot made of the last one with only the
 * objects a batch of uevents (or a pass's own writes) named read again from
 * sysfs. On a host with thousands of memory blocks a full snapshot is
 * thousands of reads; a hot-added device needs a dozen.
 *
 * What a scope pulls in beyond what it names, so the result is what a full
 * read would give for everything that changed with a uevent:
 *  - a dax device: its CXL region, and every memory block in its ranges
 *    now and in the last snapshot (bound to kmem, they come and go with it);
 *  - a memory block: the dax device that held it in the last snapshot (its
 *    whole-device state and online count follow its blocks); when it now
 *    lies in another device's ranges, that device too;
 *  - a block that appeared, went away or changed state: the node lists and
 *    node directories (has_memory, MemTotal, the nodeN/memoryM links);
 *  - a region: its dax device.
 *
 * Anything a scope cannot express (a uevent for an object the snapshot does
 * not model, lost uevents, a policy reload) sets full, and the caller reads
 * everything. The counters n_unreadable and n_restricted are those of the
 * last full read.
 */

#include <stdbool.h>
#include <stddef.h>

#include "topology.h"

typedef struct spm_topology_scope {
        bool full;                  /* read everything */
        bool nodes;                 /* node lists and directories */
        bool all_regions;           /* every CXL region (a decoder or memdev changed) */
        char **dax;                 /* dax device names, NULL-terminated */
        char **regions;             /* CXL region names */
        unsigned *blocks;           /* memory block ids */
        size_t n_blocks;
} spm_topology_scope;

/* Add what one uevent names: subsystem "dax", "cxl", "memory" or "node"
 * and the kernel's sysname. Anything unknown sets full. -ENOMEM sets full
 * too (and is returned). */
int spm_topology_scope_add_uevent(spm_topology_scope *s, const char *subsystem, const char *sysname);
int spm_topology_scope_add_dax(spm_topology_scope *s, const char *name);
int spm_topology_scope_add_region(spm_topology_scope *s, const char *name);
int spm_topology_scope_add_block(spm_topology_scope *s, unsigned id);

/* Nothing named and not full. */
bool spm_topology_scope_is_empty(const spm_topology_scope *s);

/* Forget everything (free the lists). */
void spm_topology_scope_clear(spm_topology_scope *s);

/*
 * The snapshot old with the objects of scope read again from the sysfs
 * root in spm_path(SPM_PATH_SYSFS). Returns 1 when the nodes (and with them
 * memory blocks) were read again, 0 when only devices and regions were.
 * -ESTALE when the scope is full or the
 * result would need more than the scope (the caller reads everything then);
 * -ENOMEM; errors opening the sysfs root. old is not changed.
 */
int spm_topology_patch(const spm_topology *old, const spm_topology_scope *scope, spm_topology **ret);
int spm_topology_patch_from(const char *sysfs_root, const spm_topology *old, const spm_topology_scope *scope,
                            spm_topology **ret);
