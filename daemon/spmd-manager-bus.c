/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* org.spmd.spm1.Manager at /org/spmd/spm1. */

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-bus.h"
#include "spmd-manager.h"
#include "spmd-polkit.h"
#include "cgroup-report.h"

static int append_mask(sd_bus_message *reply, const spm_nodemask *mask) {
        int r = sd_bus_message_open_container(reply, 'a', "u");

        SPM_NODEMASK_FOREACH(n, mask)
                if (r >= 0)
                        r = sd_bus_message_append(reply, "u", (uint32_t) n);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_manager(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        const spm_features *f = &m->features;

        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
        if (streq(property, "IsolationLevel"))
                return sd_bus_message_append(reply, "s", spm_isolation_to_string(f->isolation));
        if (streq(property, "KernelFeatures"))
                return sd_bus_message_append(reply, "a{ss}", 6,
                                             "marking", spm_marking_gen_to_string(f->marking),
                                             "private_nodes", spm_private_gen_to_string(f->private_nodes),
                                             "hotplug", spm_hotplug_gen_to_string(f->hotplug),
                                             "sysram_view", spm_sysram_view_to_string(f->sysram_view),
                                             "cgroup", spm_cgroup_version_to_string(f->cgroup),
                                             "cpuset", f->cpuset ? "yes" : "no");
        if (streq(property, "Settled"))
                return sd_bus_message_append(reply, "b", m->ready && !m->dirty && !m->look_again_pending);
        if (streq(property, "SysRAMNodes"))
                return append_mask(reply, &m->classes.sysram);
        if (streq(property, "SPMNodes"))
                return append_mask(reply, &m->classes.spm);
        if (streq(property, "PrivateNodes"))
                return append_mask(reply, &m->classes.private_nodes);
        if (streq(property, "PolicyState"))
                return sd_bus_message_append(reply, "s", spmd_policy_state_to_string(m->policy_state));
        if (streq(property, "PolicyError"))
                return sd_bus_message_append(reply, "s", strempty(m->policy_error));
        if (streq(property, "PendingActions"))
                return sd_bus_message_append(reply, "u", m->plan ? (uint32_t) m->plan->n_actions : 0);
        if (streq(property, "ReconcileCount"))
                return sd_bus_message_append(reply, "t", (uint64_t) m->stats.reconciles);
        if (streq(property, "ResyncCount"))
                return sd_bus_message_append(reply, "t", (uint64_t) m->stats.resyncs);
        if (streq(property, "UeventCount"))
                return sd_bus_message_append(reply, "t", (uint64_t) m->stats.uevents);
        if (streq(property, "LastSnapshotUSec"))
                return sd_bus_message_append(reply, "t", (uint64_t) m->stats.snapshot_usec);
        return -ENOENT;
}

/* ListNodes() → a(usttuo): id, class, memory total and free (bytes),
 * memory blocks, object path. */
static int method_list_nodes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        manager *m = userdata;
        spm_nodemask all;
        int r;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(usttuo)");
        if (r < 0)
                return r;

        all = m->topo ? spm_nodemask_or(&m->topo->possible, &m->topo->online) : SPM_NODEMASK_EMPTY;
        SPM_NODEMASK_FOREACH(id, &all) {
                const spm_node *n = spm_topology_find_node(m->topo, (unsigned) id);
                _cleanup_free_ char *path = spmd_bus_node_path((unsigned) id);

                if (!path)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(usttuo)", (uint32_t) id,
                                          spm_node_class_to_string(spm_node_classes_get(&m->classes, (unsigned) id)),
                                          n ? n->mem_total_kb * 1024 : UINT64_C(0),
                                          n ? n->mem_free_kb * 1024 : UINT64_C(0),
                                          n ? (uint32_t) n->n_blocks : 0, path);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ListDevices() → a(sssisuuo): name, provider, driver, target node, state,
 * memory blocks, blocks online, object path. */
static int method_list_devices(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        manager *m = userdata;
        int r;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssisuuo)");
        if (r < 0)
                return r;

        for (size_t i = 0; m->topo && i < m->topo->n_dax; i++) {
                const spm_dax_device *d = &m->topo->dax[i];
                _cleanup_free_ char *path = spmd_bus_device_path(d->name);

                if (!path)
                        return -ENOMEM;
                r = sd_bus_message_append(reply, "(sssisuuo)", d->name, spm_provider_to_string(d->provider),
                                          strempty(d->driver), d->target_node, spm_dax_device_observed_state(d),
                                          (uint32_t) d->n_blocks, (uint32_t) d->n_blocks_online, path);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* ListCgroups(s prefix) → a(sssssbb): path ("/..."), cpuset.mems,
 * mems.effective, mems.sysram ("-" when a file is absent), the policy rule
 * that decides the cgroup ("file:line [Cgroup name]", "" for none), whether
 * it is a systemd unit, whether it is in a delegated subtree. Read fresh
 * from cgroupfs: masks change between passes. */
static int method_list_cgroups(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *tree = NULL;
        manager *m = userdata;
        const char *prefix;
        int r;

        r = sd_bus_message_read(msg, "s", &prefix);
        if (r < 0)
                return r;
        while (*prefix == '/')
                prefix++;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = spm_cgroup_tree_load(&tree);
        if (r < 0)
                return sd_bus_error_set_errnof(error, -r, "Could not read the cgroup tree: %m");

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssssbb)");
        if (r < 0)
                return r;

        for (size_t i = 0; i < tree->n; i++) {
                const spm_cgroup *g = &tree->cgroups[i];
                spm_cgroup_report rep;

                if (!spm_cgroup_path_in(g->path, prefix))
                        continue;
                r = spm_cgroup_report_make(tree, i, m->policy, &rep);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "(sssssbb)", rep.path, rep.mems, rep.effective, rep.sysram,
                                                  strempty(rep.rule), g->is_unit,
                                                  spm_cgroup_in_delegated_subtree(tree, (int) i));
                spm_cgroup_report_done(&rep);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Reload(): re-read the policy, plan it at once on what spmd knows, then
 * read all of sysfs again; the cgroups are planned on the cgroup model
 * (Verify reads them). The call returns once the passes are queued;
 * Settled turns true when they are done. */
static int method_reload(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        manager *m = userdata;
        int r;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        log_info("Reload requested over D-Bus by '%s'.", strna(sd_bus_message_get_sender(msg)));
        r = spmd_policy_reload(m);
        manager_policy_reloaded(m, true, "Reload() call");
        if (r == -EINVAL)
                return sd_bus_error_setf(error, "org.spmd.spm1.Error.InvalidPolicy", "%s",
                                         strna(m->policy_error));
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, NULL);
}

/* Plan() → s: the current plan as JSON (the schema of `spmctl plan
 * --json`): what the last pass found to do, and what it cannot do. */
static int method_plan(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_free_ char *json = NULL;
        manager *m = userdata;
        size_t size = 0;
        FILE *f;
        int r;

        r = spmd_authorize(m, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        if (!m->plan)
                return sd_bus_error_set(error, "org.spmd.spm1.Error.NotReady", "No reconcile pass has run yet.");

        f = open_memstream(&json, &size);
        if (!f)
                return -ENOMEM;
        r = spm_plan_format_json(m->plan, f);
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0)
                return r;
        return sd_bus_reply_method_return(msg, "s", json);
}

const sd_bus_vtable spmd_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IsolationLevel", "s", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("KernelFeatures", "a{ss}", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Settled", "b", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SysRAMNodes", "au", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("SPMNodes", "au", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PrivateNodes", "au", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* counters change on every pass: read them, do not wait for signals */
        SD_BUS_PROPERTY("PolicyState", "s", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PolicyError", "s", property_get_manager, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PendingActions", "u", property_get_manager, 0, 0),
        SD_BUS_PROPERTY("ReconcileCount", "t", property_get_manager, 0, 0),
        SD_BUS_PROPERTY("ResyncCount", "t", property_get_manager, 0, 0),
        SD_BUS_PROPERTY("UeventCount", "t", property_get_manager, 0, 0),
        SD_BUS_PROPERTY("LastSnapshotUSec", "t", property_get_manager, 0, 0),
        SD_BUS_METHOD_WITH_ARGS("ListNodes",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(usttuo)", nodes),
                                method_list_nodes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListDevices",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("a(sssisuuo)", devices),
                                method_list_devices, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListCgroups",
                                SD_BUS_ARGS("s", prefix),
                                SD_BUS_RESULT("a(sssssbb)", cgroups),
                                method_list_cgroups, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Plan",
                                SD_BUS_NO_ARGS,
                                SD_BUS_RESULT("s", json),
                                method_plan, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload",
                                SD_BUS_NO_ARGS,
                                SD_BUS_NO_RESULT,
                                method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceAdded", SD_BUS_ARGS("s", name, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceRemoved", SD_BUS_ARGS("s", name, "o", path), 0),
        SD_BUS_SIGNAL_WITH_ARGS("DeviceStateChanged", SD_BUS_ARGS("s", name, "s", state), 0),
        SD_BUS_SIGNAL_WITH_ARGS("NodeClassChanged", SD_BUS_ARGS("u", node, "s", class_), 0),
        SD_BUS_SIGNAL("PolicyApplied", "", 0),
        SD_BUS_SIGNAL_WITH_ARGS("PolicyReloadFailed", SD_BUS_ARGS("s", error), 0),
        SD_BUS_SIGNAL_WITH_ARGS("ReconcileFailed", SD_BUS_ARGS("i", errno_, "s", message), 0),
        SD_BUS_VTABLE_END,
};
