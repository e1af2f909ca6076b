/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The udev side of the trigger set: a libudev monitor on the dax, cxl,
 * memory and node subsystems with a large receive buffer. Every event only
 * marks the manager dirty; a receive error (ENOBUFS: the kernel dropped
 * events because we were slow) asks for a full resync.
 */

#include <stdbool.h>

typedef struct manager manager;
typedef struct spmd_udev spmd_udev;

/* Subsystems whose events can change what spmd must do. */
extern const char *const spmd_udev_subsystems[];

/* 128 MiB: a 256 GiB region is 2048 memory-block adds plus onlines; the
 * kernel only grows the buffer this far for a privileged process
 * (SO_RCVBUFFORCE), which spmd is. */
#define SPMD_UDEV_RCVBUF (128 * 1024 * 1024)

int spmd_udev_new(manager *m, bool kernel_source, spmd_udev **ret);

/* Mark dirty once uevents have been quiet for the settle window (the one
 * memory and node churn waits for), at most SETTLE_MAX after the first. */
void spmd_udev_settle_later(spmd_udev *u);
spmd_udev *spmd_udev_free(spmd_udev *u);
