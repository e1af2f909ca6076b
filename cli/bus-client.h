/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * spmctl's connection to spmd: the system bus (or the user bus with
 * --user, for tests and private buses), and whether the daemon is there.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#define SPMCTL_BUS_NAME  "org.spmd.spm1"
#define SPMCTL_BUS_PATH  "/org/spmd/spm1"
#define SPMCTL_BUS_IFACE "org.spmd.spm1.Manager"

/* Connect. Returns -errno when there is no bus at all. */
int spmctl_bus_open(bool user, sd_bus **ret);

/* Is spmd on the bus? 1 yes, 0 no (not running, no bus). */
int spmctl_daemon_running(sd_bus *bus);

/* The text to show for a failed call: the bus error's message, else the
 * errno's. */
const char *spmctl_bus_error_message(const sd_bus_error *e, int r);
