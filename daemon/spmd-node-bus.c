/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.spmd.spm1.Node: one object per possible NUMA node. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "macro.h"
#include "spmd-bus.h"
#include "spmd-manager.h"

char *spmd_bus_node_path(unsigned node) {
        char *p = NULL;

        if (asprintf(&p, SPM_BUS_NODE_PREFIX "/%u", node) < 0)
                return NULL;
        return p;
}

/* The node id named by an object path, if the snapshot knows that node. */
static int node_from_path(manager *m, const char *path, unsigned *ret) {
        const char *e = startswith(path, SPM_BUS_NODE_PREFIX "/");
        uint64_t id;

        if (!e || !m->topo || spm_parse_u64(e, &id) < 0 || id >= SPM_MAX_NODES)
                return 0;
        /* canonical form only: "/node/02" is not node 2 */
        if (e[0] == '0' && e[1] != 0)
                return 0;
        if (!spm_nodemask_test(&m->topo->possible, (unsigned) id) &&
            !spm_nodemask_test(&m->topo->online, (unsigned) id))
                return 0;
        *ret = (unsigned) id;
        return 1;
}

int spmd_node_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
                          sd_bus_error *error) {
        manager *m = userdata;
        unsigned id;

        if (node_from_path(m, path, &id) <= 0)
                return 0;
        *found = m;
        return 1;
}

int spmd_node_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error) {
        manager *m = userdata;
        spm_nodemask all;
        char **l;
        size_t n = 0;

        if (!m->topo) {
                *nodes = calloc(1, sizeof(char *));
                return *nodes ? 0 : -ENOMEM;
        }

        all = spm_nodemask_or(&m->topo->possible, &m->topo->online);
        l = calloc(spm_nodemask_count(&all) + 1, sizeof(char *));
        if (!l)
                return -ENOMEM;
        SPM_NODEMASK_FOREACH(id, &all) {
                l[n] = spmd_bus_node_path((unsigned) id);
                if (!l[n]) {
                        strv_free(l);
                        return -ENOMEM;
                }
                n++;
        }
        *nodes = l;
        return 0;
}

static int get_node(manager *m, const char *path, unsigned *id, const spm_node **n, sd_bus_error *error) {
        if (node_from_path(m, path, id) <= 0)
                return sd_bus_error_setf(error, "org.spmd.spm1.Error.NoSuchNode", "No node at '%s'", path);
        *n = spm_topology_find_node(m->topo, *id);
        return 0;
}

static int property_get_node(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        const spm_topology *t = m->topo;
        const spm_node *n = NULL;
        unsigned id = 0;
        int r;

        r = get_node(m, path, &id, &n, error);
        if (r < 0)
                return r;

        if (streq(property, "Id"))
                return sd_bus_message_append(reply, "u", id);
        if (streq(property, "Class"))
                return sd_bus_message_append(reply, "s",
                                             spm_node_class_to_string(spm_node_classes_get(&m->classes, id)));
        if (streq(property, "Online"))
                return sd_bus_message_append(reply, "b", spm_nodemask_test(&t->online, id));
        if (streq(property, "HasMemory"))
                return sd_bus_message_append(reply, "b", spm_nodemask_test(&t->has_memory, id));
        if (streq(property, "HasNormalMemory"))
                return sd_bus_message_append(reply, "b", spm_nodemask_test(&t->has_normal_memory, id));
        if (streq(property, "HasCPU"))
                return sd_bus_message_append(reply, "b", spm_nodemask_test(&t->has_cpu, id));
        if (streq(property, "MemoryTotal"))
                return sd_bus_message_append(reply, "t", n ? n->mem_total_kb * 1024 : UINT64_C(0));
        if (streq(property, "MemoryFree"))
                return sd_bus_message_append(reply, "t", n ? n->mem_free_kb * 1024 : UINT64_C(0));
        if (streq(property, "CPUs"))
                return sd_bus_message_append(reply, "s", n && n->cpulist ? n->cpulist : "");
        if (streq(property, "MemoryBlocks"))
                return sd_bus_message_append(reply, "u", n ? (uint32_t) n->n_blocks : 0);
        if (streq(property, "Distances")) {
                r = sd_bus_message_open_container(reply, 'a', "u");
                for (size_t i = 0; r >= 0 && n && i < n->n_distance; i++)
                        r = sd_bus_message_append(reply, "u", n->distance[i]);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        if (streq(property, "Devices")) {
                r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t i = 0; r >= 0 && i < t->n_dax; i++)
                        if (t->dax[i].target_node == (int) id)
                                r = sd_bus_message_append(reply, "s", t->dax[i].name);
                if (r < 0)
                        return r;
                return sd_bus_message_close_container(reply);
        }
        return -ENOENT;
}

const sd_bus_vtable spmd_node_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Class", "s", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Online", "b", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HasMemory", "b", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HasNormalMemory", "b", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("HasCPU", "b", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* sizes move with every allocation: read them, do not wait for signals */
        SD_BUS_PROPERTY("MemoryTotal", "t", property_get_node, 0, 0),
        SD_BUS_PROPERTY("MemoryFree", "t", property_get_node, 0, 0),
        SD_BUS_PROPERTY("CPUs", "s", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("MemoryBlocks", "u", property_get_node, 0, 0),
        SD_BUS_PROPERTY("Distances", "au", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Devices", "as", property_get_node, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_VTABLE_END,
};
