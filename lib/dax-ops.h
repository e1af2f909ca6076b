/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The individual kernel operations on dax devices, CXL regions and memory
 * blocks, each one write (or a fixed, documented sequence of writes) plus
 * the check that tells success from a silent failure. They encode the
 * kernel's quirks measured in kernel-abi §15, so callers never repeat them:
 *
 *  - kmem/new_id returns success even when the probe fails: success is only
 *    ever judged by the device's driver link; a failed probe is re-run
 *    through kmem/bind to learn its errno (EBUSY: node-type latch).
 *  - unbinding kmem while blocks are online "succeeds" and leaves the range
 *    stuck until reboot: refused here with -EBUSY, whatever the caller
 *    believes.
 *  - the whole-device attribute speaks two vocabularies ("unplug" in
 *    hotplug v2/v3, "unplugged" later): the newer word is tried first.
 *  - a memoryN/state write that fails because the block is already in the
 *    wanted state counts as done.
 *
 * Paths come from spm_path(SPM_PATH_SYSFS). Nothing here logs above debug.
 *
 * libdaxctl is not used for these steps: it hard-codes /sys, ignores the
 * mappingN ranges when it looks for a device's blocks, cannot write
 * online_kernel, spm_node or the whole-device state, and its libndctl side
 * can stall for seconds waiting for the udev queue (kernel-abi §11,
 * anchor-baselines §A).
 */

#include <errno.h>
#include <stdbool.h>

#include "topology.h"

/* Extra negative errno values with a domain meaning. */
#define SPM_ERR_ZONE_MISMATCH (-EXDEV)      /* onlined, but into another zone */

/* The driver a device is bound to now (NULL when unbound), read fresh. */
int spm_dax_current_driver(const char *dev, char **ret);

/*
 * Bind dev to driver ("kmem" or "device_dax"). 0 when bound afterwards
 * (or already was); -EBUSY when bound to another driver (unbind first) or
 * when the probe refused the device (kmem: the node's SysRAM/SPM type
 * latch); -ENODEV when the driver does not match the device; -ENOENT when
 * the driver is not loaded; other probe errors as the kernel gives them.
 */
int spm_dax_bind(const char *dev, const char *driver);

/*
 * Unbind dev from whatever driver holds it, removing the id from that
 * driver's dynamic list first so it does not grab the device again. For
 * kmem, every block inside the device's ranges (d->ranges) is read from the
 * kernel first: any block not offline gives -EBUSY and nothing is written.
 * 0 when unbound afterwards (or already was).
 */
int spm_dax_unbind(const spm_dax_device *d);

/* Write the SPM mark of a dax device: spm_node (SPM v2) or
 * protected_memory (v1), whichever the device has; -EOPNOTSUPP when it
 * has neither. -EBUSY while bound to kmem and the value differs. */
int spm_dax_set_spm(const char *dev, bool spm);

/* The same for a CXL region, to be done before the region's driver binds
 * (the dax device inherits it at probe). */
int spm_cxl_region_set_spm(const char *region, bool spm);

/*
 * Drive the whole-device attribute of a kmem-bound device: attr is
 * "state" (v5-v7) or "hotplug" (v1-v4). want is SPM_ONLINE_OFFLINE for
 * "unplugged" (remove all memory, all or nothing), or one of the online
 * types. Returns 1 when the attribute already said so, 0 after a
 * successful change, -EOPNOTSUPP without the attribute (use per-block
 * onlining), -EBUSY for a transition the kernel refuses (online → another
 * online type: unplug first) or busy memory.
 */
int spm_dax_set_state(const char *dev, const char *attr, spm_online_type want);

/* Write memmap_on_memory (only while not bound to kmem). */
int spm_dax_set_memmap(const char *dev, bool on);

/* Bind a CXL region to the cxl_region driver; 0 when bound afterwards. */
int spm_cxl_region_bind(const char *region);

/*
 * Set one memory block's state. Returns 0 after a change, 1 when it was
 * already so, SPM_ERR_ZONE_MISMATCH when it came online in another zone
 * than the type asks for (valid_zones), or the kernel's errno (-EBUSY for
 * memory that cannot be offlined).
 */
int spm_memblock_set_state(unsigned block, spm_online_type want);

/* The same relative to an open sysfs root directory, for a caller that
 * onlines many blocks in a row. */
int spm_memblock_set_state_at(int sysfd, unsigned block, spm_online_type want);

/* Does an online block's valid_zones fit the online type? ("Movable" for
 * online_movable, "Normal" for online_kernel, anything for online.) */
bool spm_zone_matches(const char *valid_zones, spm_online_type type);

/* Write auto_online_blocks. */
int spm_memory_set_auto_online(spm_online_type type);
