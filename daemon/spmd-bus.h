/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The D-Bus face of spmd (org.spmd.spm1(5)): the manager object at
 * /org/spmd/spm1, one object per NUMA node (/org/spmd/spm1/node/N) and per
 * dax device (/org/spmd/spm1/device/<escaped name>), served from fallback
 * vtables over the manager's latest snapshot.
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "kernel-features.h"
#include "node-class.h"
#include "topology.h"

typedef struct manager manager;

#define SPM_BUS_NAME        "org.spmd.spm1"
#define SPM_BUS_PATH        "/org/spmd/spm1"
#define SPM_BUS_NODE_PREFIX "/org/spmd/spm1/node"
#define SPM_BUS_DEV_PREFIX  "/org/spmd/spm1/device"
#define SPM_BUS_IFACE_MANAGER "org.spmd.spm1.Manager"
#define SPM_BUS_IFACE_NODE    "org.spmd.spm1.Node"
#define SPM_BUS_IFACE_DEVICE  "org.spmd.spm1.Device"

typedef enum spmd_bus_type {
        SPMD_BUS_NONE,
        SPMD_BUS_SYSTEM,
        SPMD_BUS_USER,              /* session bus, or DBUS_SESSION_BUS_ADDRESS */
} spmd_bus_type;

/* Connect, register all objects, attach to the manager's event loop and
 * take the well-known name. */
int spmd_bus_start(manager *m, spmd_bus_type type);

/* After a reconcile: emit property changes and signals for what differs
 * between the previous view (old_topo, old_classes, old_features) and the
 * manager's current one. Not called for the first pass: clients read the
 * initial state. */
void spmd_bus_emit_changes(manager *m, const spm_topology *old_topo, const spm_node_classes *old_classes,
                           const spm_features *old_features);

/* Object paths; NULL on out-of-memory. */
char *spmd_bus_node_path(unsigned node);
char *spmd_bus_device_path(const char *name);

extern const sd_bus_vtable spmd_manager_vtable[];
extern const sd_bus_vtable spmd_node_vtable[];
extern const sd_bus_vtable spmd_device_vtable[];

int spmd_node_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error);
int spmd_node_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
int spmd_device_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                            sd_bus_error *error);
int spmd_device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error);
