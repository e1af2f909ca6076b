/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Connecting to the bus, registering the objects, and emitting what
 * changed after a reconcile. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-bus.h"
#include "spmd-change-bus.h"
#include "spmd-manager.h"

int spmd_bus_start(manager *m, spmd_bus_type type) {
        int r;

        if (type == SPMD_BUS_NONE)
                return 0;

        r = type == SPMD_BUS_SYSTEM ? sd_bus_open_system(&m->bus) : sd_bus_open_user(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the %s bus: %m",
                                       type == SPMD_BUS_SYSTEM ? "system" : "user");

        r = sd_bus_add_object_vtable(m->bus, NULL, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, spmd_manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager object: %m");

        r = sd_bus_add_object_vtable(m->bus, NULL, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, spmd_change_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the manager's methods: %m");

        r = sd_bus_add_fallback_vtable(m->bus, NULL, SPM_BUS_NODE_PREFIX, SPM_BUS_IFACE_NODE, spmd_node_vtable,
                                       spmd_node_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register node objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, SPM_BUS_NODE_PREFIX, spmd_node_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the node enumerator: %m");

        r = sd_bus_add_fallback_vtable(m->bus, NULL, SPM_BUS_DEV_PREFIX, SPM_BUS_IFACE_DEVICE, spmd_device_vtable,
                                       spmd_device_object_find, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register device objects: %m");
        r = sd_bus_add_node_enumerator(m->bus, NULL, SPM_BUS_DEV_PREFIX, spmd_device_node_enumerator, m);
        if (r < 0)
                return log_error_errno(r, "Failed to register the device enumerator: %m");

        r = sd_bus_add_object_manager(m->bus, NULL, SPM_BUS_PATH);
        if (r < 0)
                return log_error_errno(r, "Failed to register the object manager: %m");

        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        /* Objects first, name last: a client that sees the name finds
         * everything in place. */
        r = sd_bus_request_name(m->bus, SPM_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name '%s': %m", SPM_BUS_NAME);

        return 0;
}

static void emit_props(manager *m, const char *path, const char *iface, char **names) {
        int r;

        if (!names || !names[0])
                return;
        r = sd_bus_emit_properties_changed_strv(m->bus, path, iface, names);
        if (r < 0)
                log_debug_errno(r, "Failed to emit PropertiesChanged on '%s', ignoring: %m", path);
}

static void emit_manager_changes(manager *m, const spm_node_classes *oc, const spm_features *of) {
        char *names[8];
        size_t n = 0;

        if (of->isolation != m->features.isolation)
                names[n++] = (char *) "IsolationLevel";
        if (memcmp(of, &m->features, sizeof *of) != 0)
                names[n++] = (char *) "KernelFeatures";
        if (!spm_nodemask_equal(&oc->sysram, &m->classes.sysram))
                names[n++] = (char *) "SysRAMNodes";
        if (!spm_nodemask_equal(&oc->spm, &m->classes.spm))
                names[n++] = (char *) "SPMNodes";
        if (!spm_nodemask_equal(&oc->private_nodes, &m->classes.private_nodes))
                names[n++] = (char *) "PrivateNodes";
        names[n] = NULL;
        emit_props(m, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, names);
}

static void emit_node_changes(manager *m, const spm_topology *ot, const spm_node_classes *oc) {
        spm_nodemask all = spm_nodemask_or(&m->topo->possible, &m->topo->online);
        const spm_topology *t = m->topo;

        SPM_NODEMASK_FOREACH(id, &all) {
                unsigned u = (unsigned) id;
                spm_node_class cls = spm_node_classes_get(&m->classes, u);
                _cleanup_free_ char *path = spmd_bus_node_path(u);
                char *names[8];
                size_t n = 0;

                if (!path)
                        return;
                if (spm_node_classes_get(oc, u) != cls) {
                        names[n++] = (char *) "Class";
                        (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "NodeClassChanged",
                                                  "us", (uint32_t) u, spm_node_class_to_string(cls));
                }
                if (spm_nodemask_test(&ot->online, u) != spm_nodemask_test(&t->online, u))
                        names[n++] = (char *) "Online";
                if (spm_nodemask_test(&ot->has_memory, u) != spm_nodemask_test(&t->has_memory, u))
                        names[n++] = (char *) "HasMemory";
                if (spm_nodemask_test(&ot->has_normal_memory, u) != spm_nodemask_test(&t->has_normal_memory, u))
                        names[n++] = (char *) "HasNormalMemory";
                if (spm_nodemask_test(&ot->has_cpu, u) != spm_nodemask_test(&t->has_cpu, u))
                        names[n++] = (char *) "HasCPU";
                {
                        const spm_node *a = spm_topology_find_node(ot, u), *b = spm_topology_find_node(t, u);
                        if (!streq_ptr(a ? a->cpulist : NULL, b ? b->cpulist : NULL))
                                names[n++] = (char *) "CPUs";
                        if ((a ? a->n_distance : 0) != (b ? b->n_distance : 0) ||
                            (a && b && memcmp(a->distance, b->distance, a->n_distance * sizeof(unsigned)) != 0))
                                names[n++] = (char *) "Distances";
                }
                /* the device list of a node changes with devices coming
                 * and going; cheap to announce whenever the count moves */
                if (ot->n_dax != t->n_dax)
                        names[n++] = (char *) "Devices";
                names[n] = NULL;
                emit_props(m, path, SPM_BUS_IFACE_NODE, names);
        }
}

static void emit_device_changes(manager *m, const spm_topology *ot) {
        const spm_topology *t = m->topo;

        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i], *o = spm_topology_find_dax(ot, d->name);
                _cleanup_free_ char *path = spmd_bus_device_path(d->name);
                const char *state = spm_dax_device_observed_state(d);
                char *names[10];
                size_t n = 0;

                if (!path)
                        return;
                if (!o) {
                        (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "DeviceAdded", "so",
                                                  d->name, path);
                        (void) sd_bus_emit_interfaces_added(m->bus, path, SPM_BUS_IFACE_DEVICE, NULL);
                        continue;
                }

                if (!streq(state, spm_dax_device_observed_state(o))) {
                        names[n++] = (char *) "State";
                        (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "DeviceStateChanged",
                                                  "ss", d->name, state);
                }
                if (!streq_ptr(d->driver, o->driver))
                        names[n++] = (char *) "Driver";
                if (d->target_node != o->target_node)
                        names[n++] = (char *) "TargetNode";
                if (d->size != o->size)
                        names[n++] = (char *) "Size";
                if (d->spm_node != o->spm_node || d->protected_memory != o->protected_memory)
                        names[n++] = (char *) "SPM";
                if (d->hotplug_attr != o->hotplug_attr)
                        names[n++] = (char *) "HotplugAttribute";
                if (d->n_blocks != o->n_blocks)
                        names[n++] = (char *) "MemoryBlocks";
                if (d->n_blocks_online != o->n_blocks_online)
                        names[n++] = (char *) "MemoryBlocksOnline";
                if (d->n_ranges != o->n_ranges ||
                    (d->n_ranges && memcmp(d->ranges, o->ranges, d->n_ranges * sizeof(spm_dax_range)) != 0))
                        names[n++] = (char *) "Ranges";
                names[n] = NULL;
                emit_props(m, path, SPM_BUS_IFACE_DEVICE, names);
        }

        for (size_t i = 0; i < ot->n_dax; i++)
                if (!spm_topology_find_dax(t, ot->dax[i].name)) {
                        _cleanup_free_ char *path = spmd_bus_device_path(ot->dax[i].name);

                        if (!path)
                                return;
                        (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "DeviceRemoved", "so",
                                                  ot->dax[i].name, path);
                        (void) sd_bus_emit_interfaces_removed(m->bus, path, SPM_BUS_IFACE_DEVICE, NULL);
                }
}

void spmd_bus_emit_changes(manager *m, const spm_topology *old_topo, const spm_node_classes *old_classes,
                           const spm_features *old_features) {
        if (!m->bus || !old_topo)
                return;

        emit_manager_changes(m, old_classes, old_features);
        emit_node_changes(m, old_topo, old_classes);
        emit_device_changes(m, old_topo);
}
