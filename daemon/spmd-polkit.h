/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Authorization of D-Bus methods: one deny-by-default table from method to
 * polkit action. Every method handler starts with
 *
 *         r = spmd_authorize(m, msg, error);
 *         if (r <= 0)
 *                 return r;     (0: pending, the call comes back later)
 *
 * Methods listed as open run for everybody; root (CAP_SYS_ADMIN) passes the
 * others at once; everyone else is asked about through polkit's
 * CheckAuthorization, asynchronously, and the method call is replayed into
 * the bus once polkit has answered, so nothing changes before then. A
 * method missing from the table is refused, as is every caller when polkit
 * is not there.
 */

#include <systemd/sd-bus.h>

typedef struct manager manager;
typedef struct spmd_polkit spmd_polkit;

/* The polkit action of a method, NULL for read-only methods, or
 * SPMD_POLKIT_UNLISTED when the member is not in the table. */
#define SPMD_POLKIT_UNLISTED ((const char *) -1)
const char *spmd_polkit_action_for(const char *interface, const char *member);

/* 1: go ahead; 0: pending (return 1 from the handler, the message will be
 * dispatched again); <0: refused, error set. */
int spmd_authorize(manager *m, sd_bus_message *msg, sd_bus_error *error);

spmd_polkit *spmd_polkit_free(spmd_polkit *p);
