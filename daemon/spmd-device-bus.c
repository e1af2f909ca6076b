/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.spmd.spm1.Device: one object per dax device, named by its escaped
 * kernel name ("dax0.0" → /org/spmd/spm1/device/dax0_2e0). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "spmd-bus.h"
#include "spmd-manager.h"

char *spmd_bus_device_path(const char *name) {
        char *p = NULL;

        if (sd_bus_path_encode(SPM_BUS_DEV_PREFIX, name, &p) < 0)
                return NULL;
        return p;
}

static const spm_dax_device *device_from_path(manager *m, const char *path) {
        _cleanup_free_ char *name = NULL;

        if (!m->topo || sd_bus_path_decode(path, SPM_BUS_DEV_PREFIX, &name) <= 0)
                return NULL;
        return spm_topology_find_dax(m->topo, name);
}

int spmd_device_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                            sd_bus_error *error) {
        manager *m = userdata;

        if (!device_from_path(m, path))
                return 0;
        *found = m;
        return 1;
}

int spmd_device_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        manager *m = userdata;
        size_t n = m->topo ? m->topo->n_dax : 0;
        char **l = calloc(n + 1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                l[i] = spmd_bus_device_path(m->topo->dax[i].name);
                if (!l[i]) {
                        strv_free(l);
                        return -ENOMEM;
                }
        }
        *nodes = l;
        return 0;
}

static const char *spm_marking(const spm_dax_device *d) {
        int v = d->spm_node >= 0 ? d->spm_node : d->protected_memory;
        return v < 0 ? "unsupported" : v ? "yes" : "no";
}

static int property_get_device(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        const spm_dax_device *d = device_from_path(m, path);
        const spm_cxl_region *g;

        if (!d)
                return sd_bus_error_setf(error, "org.spmd.spm1.Error.NoSuchDevice", "No device at '%s'", path);

        if (streq(property, "Name"))
                return sd_bus_message_append(reply, "s", d->name);
        if (streq(property, "Provider"))
                return sd_bus_message_append(reply, "s", spm_provider_to_string(d->provider));
        if (streq(property, "Driver"))
                return sd_bus_message_append(reply, "s", strempty(d->driver));
        if (streq(property, "TargetNode"))
                return sd_bus_message_append(reply, "i", d->target_node);
        if (streq(property, "Size"))
                return sd_bus_message_append(reply, "t", d->size);
        if (streq(property, "SPM"))
                return sd_bus_message_append(reply, "s", spm_marking(d));
        if (streq(property, "State"))
                return sd_bus_message_append(reply, "s", spm_dax_device_observed_state(d));
        if (streq(property, "ManagedState") || streq(property, "StateReason")) {
                const spmd_device_record *rec = spmd_device_record_find(m, d->name);

                if (streq(property, "ManagedState"))
                        return sd_bus_message_append(reply, "s",
                                                     rec ? spmd_device_state_to_string(rec->state) : "unmanaged");
                return sd_bus_message_append(reply, "s", rec ? rec->reason : "");
        }
        if (streq(property, "HotplugAttribute"))
                return sd_bus_message_append(reply, "s", spm_dax_hotplug_attr_to_string(d->hotplug_attr));
        if (streq(property, "MemoryBlocks"))
                return sd_bus_message_append(reply, "u", (uint32_t) d->n_blocks);
        if (streq(property, "MemoryBlocksOnline"))
                return sd_bus_message_append(reply, "u", (uint32_t) d->n_blocks_online);
        if (streq(property, "CXLRegion"))
                return sd_bus_message_append(reply, "s", strempty(d->cxl_region));
        if (streq(property, "RegionUUID")) {
                g = d->cxl_region ? spm_topology_find_region(m->topo, d->cxl_region) : NULL;
                return sd_bus_message_append(reply, "s", g && g->uuid ? g->uuid : "");
        }
        if (streq(property, "Ranges")) {
                int r = sd_bus_message_open_container(reply, 'a', "(tt)");
                for (size_t i = 0; r >= 0 && i < d->n_ranges; i++)
                        r = sd_bus_message_append(reply, "(tt)", d->ranges[i].start, d->ranges[i].end);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

const sd_bus_vtable spmd_device_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Name", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Provider", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Driver", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TargetNode", "i", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Size", "t", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SPM", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ManagedState", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("StateReason", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HotplugAttribute", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryBlocks", "u", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryBlocksOnline", "u", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("CXLRegion", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RegionUUID", "s", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Ranges", "a(tt)", property_get_device, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
