/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The file tree the simulated kernel shows: every directory, attribute and
 * symlink of its sysfs (and the cgroup2 mount below fs/cgroup), as a sorted
 * table of paths relative to the sysfs root. Rebuilt from the model
 * whenever the shape changes (sk_model.generation); file contents are made
 * on each read, so derived values are always current.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "model.h"

typedef enum sk_etype { SK_E_DIR, SK_E_FILE, SK_E_LINK } sk_etype;

typedef enum sk_attr {
        A_NONE,
        A_NODELIST,                 /* a = sk_nodelist */
        A_NODE_CPULIST, A_NODE_MEMINFO, A_NODE_DISTANCE,
        A_BLOCK_SIZE, A_AUTO_ONLINE,
        A_BLK_STATE, A_BLK_ZONES, A_BLK_PHYS, A_BLK_REMOVABLE, A_BLK_ONLINE,
        A_TIER_NODELIST,
        A_DAX_TARGET, A_DAX_NUMA, A_DAX_SIZE, A_DAX_RESOURCE, A_DAX_ALIGN, A_DAX_MEMMAP,
        A_DAX_MODALIAS, A_DAX_DEV, A_DAX_SPM, A_DAX_DEVSTATE, A_MAP_START, A_MAP_END, A_MAP_OFFSET,
        A_DREG_ID, A_DREG_SIZE, A_DREG_ALIGN, A_DREG_AVAIL,
        A_DRV_NEW_ID, A_DRV_REMOVE_ID, A_DRV_BIND, A_DRV_UNBIND,   /* a = sk_driver */
        A_REG_MODE, A_REG_SIZE, A_REG_RESOURCE, A_REG_UUID, A_REG_SPM, A_REG_COMMIT,
        A_REG_WAYS, A_REG_GRAN, A_REG_BIND, A_REG_UNBIND, A_REG_PRIVATE_TYPE,
        A_UEVENT,                   /* a = device kind, b = index */
        A_CG_CONTROLLERS, A_CG_SUBTREE, A_CG_PROCS, A_CG_TYPE, A_CG_EVENTS,
        A_CS_MEMS, A_CS_MEMS_EFF, A_CS_SYSRAM, A_CS_CPUS, A_CS_CPUS_EFF,
} sk_attr;

/* what a uevent file belongs to */
typedef enum sk_devkind { D_NODE, D_BLOCK, D_TIER, D_DAX, D_REGION, D_DAXREGION } sk_devkind;

typedef struct sk_entry {
        char *path;                 /* "devices/system/node/possible"; "" = the root */
        sk_etype type;
        mode_t mode;
        char *target;               /* symlinks */
        sk_attr attr;
        long a, b;
        bool cgroup;                /* lives in the cgroup2 mount: RO write gives EINVAL */
} sk_entry;

typedef struct sk_fs {
        sk_entry *e;
        size_t n, alloc;
        unsigned generation;
} sk_fs;

int sk_fs_build(sk_fs *fs, const sk_model *m);
void sk_fs_clear(sk_fs *fs);
/* path without leading slash ("" for the root) */
const sk_entry *sk_fs_lookup(const sk_fs *fs, const char *path);
/* Call fn for each direct child of dir; stops when fn returns nonzero. */
void sk_fs_children(const sk_fs *fs, const char *dir, int (*fn)(const sk_entry *e, const char *name, void *ud), void *ud);

/* File contents as read(2) would return them (value + "\n"). */
int sk_fs_read(sk_model *m, const sk_entry *e, char **ret, size_t *ret_len);
/* One store; returns 0 or -errno. */
int sk_fs_write(sk_model *m, const sk_entry *e, const char *buf, size_t len);
bool sk_fs_writable(const sk_entry *e);
bool sk_fs_readable(const sk_entry *e);

/* The uevent properties of a device (for uevent files and the sender):
 * "KEY=value\n..." without ACTION/DEVPATH/SUBSYSTEM/SEQNUM. */
char *sk_fs_device_env(const sk_model *m, sk_devkind kind, long idx);
