/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Classify, Grant, Revoke and Verify on org.spmd.spm1.Manager. */
extern const sd_bus_vtable spmd_change_vtable[];
