/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Operations on one device outside the reconcile pass, for the D-Bus API
 * (design §4.5): remove a device's memory (Offline()). Reclassifying a
 * device that is online is Offline(), Classify(), Online(): on SPM kernels
 * the node keeps its class until reboot anyway. Each is all-or-nothing as far as the
 * kernel allows: the memory is unplugged first (through the whole-device
 * attribute, else block by block), and on busy memory nothing further is
 * done and the busy blocks are named. kmem is never unbound while a block
 * is online (the range would be stuck until reboot).
 *
 * The caller also has to change the policy (a drop-in in /run/spm.d):
 * otherwise the next pass puts the device back the way the policy says.
 */

#include <stdbool.h>

#include "topology.h"

typedef struct manager manager;

/* Unplug dev's memory and unbind kmem. On -EBUSY *ret_reason names the
 * blocks still online. The device ends offline (unbound). */
int spmd_device_remove(manager *m, const char *dev, char **ret_reason);
