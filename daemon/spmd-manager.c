/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "macro.h"
#include "paths.h"
#include "spmd-manager.h"
#include "spmd-polkit.h"
#include "cgroup-tree.h"
#include "planner.h"
#include "spmd-cgroup-readback.h"
#include "spmd-cgroup-sync.h"
#include "spmd-cgroups.h"
#include "spmd-device-races.h"
#include "spmd-executor.h"
#include "spmd-inotify.h"
#include "spmd-snapshot.h"
#include "spmd-systemd.h"
#include "spmd-udev.h"
#include "strutil.h"

static void mark_dirty_internal(manager *m, bool resync, const char *why);

#define MANAGER_ONCE_MAX_PASSES 8

unsigned long long manager_now_usec(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000;
}

/* Log one line per observed change of a device, at info level with the
 * device's journal fields. */
static void log_device_changes(const spm_topology *old, const spm_topology *new) {
        for (size_t i = 0; i < new->n_dax; i++) {
                const spm_dax_device *d = &new->dax[i];
                const spm_dax_device *o = old ? spm_topology_find_dax(old, d->name) : NULL;
                const char *state = spm_dax_device_observed_state(d);
                char dev[64], node[32];

                if (o && streq(state, spm_dax_device_observed_state(o)) && streq_ptr(o->driver, d->driver) &&
                    o->n_blocks_online == d->n_blocks_online)
                        continue;

                snprintf(dev, sizeof dev, "SPM_DEVICE=%s", d->name);
                snprintf(node, sizeof node, "SPM_NODE=%d", d->target_node);
                log_struct(LOG_INFO, LOG_FIELDS(dev, node),
                           "Device '%s' %s: %s, driver %s, %zu/%zu blocks online, node %d",
                           d->name, o ? "changed" : "found", state, strna(d->driver),
                           d->n_blocks_online, d->n_blocks, d->target_node);
        }

        if (!old)
                return;
        for (size_t i = 0; i < old->n_dax; i++)
                if (!spm_topology_find_dax(new, old->dax[i].name)) {
                        char dev[64];

                        snprintf(dev, sizeof dev, "SPM_DEVICE=%s", old->dax[i].name);
                        log_struct(LOG_INFO, LOG_FIELDS(dev), "Device '%s' removed", old->dax[i].name);
                }
}

/* The policy in force, or an empty one (nothing managed) when there is
 * none. *ret_owned is what the caller must free. */
static int policy_or_empty(manager *m, const spm_policy **ret, spm_policy **ret_owned) {
        spm_policy *empty;
        int r;

        *ret_owned = NULL;
        if (m->policy) {
                *ret = m->policy;
                return 0;
        }
        empty = spm_policy_new();
        if (!empty)
                return -ENOMEM;
        r = spm_policy_finish(empty, NULL);
        if (r < 0) {
                spm_policy_free(empty);
                return r;
        }
        *ret = *ret_owned = empty;
        return 0;
}

static bool has_cgroup_writes(const spm_plan *p) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (IN_SET(p->actions[i].type, SPM_ACTION_CGROUP_MEMS, SPM_ACTION_UNIT_MEMS))
                        return true;
        return false;
}

int manager_build_plan(manager *m, const spm_topology *t, const spm_features *features, spm_plan **ret) {
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *cg = NULL;
        _cleanup_(spm_policy_freep) spm_policy *owned = NULL;
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL;
        const spm_policy *policy;
        int r;

        /* against the kernel, never the model */
        r = spm_cgroup_tree_load(&cg);
        if (r < 0) {
                log_debug_errno(r, "Failed to read the cgroup tree, planning devices only: %m");
                cg = NULL;
        }
        r = policy_or_empty(m, &policy, &owned);
        if (r < 0)
                return r;
        r = spm_plan_build(policy, t, features, cg, &plan);
        if (r < 0)
                return r;
        /* What was read is the truth now: the model takes it, and the
         * drift it shows is repaired by a pass. */
        if (cg && spmd_cgroup_sync_adopt(m, TAKE_PTR(cg)) >= 0 && m->config.apply && has_cgroup_writes(plan))
                manager_mark_cgroups_dirty(m, "the cgroup tree read whole differs from the model");
        *ret = TAKE_PTR(plan);
        return 0;
}

/* Plan against the new snapshot and the cgroup model, brought up to date
 * first (spmd-cgroup-sync.h). preloaded: a tree just read whole, which
 * the model takes. The plan is what `spmctl plan` shows and what the
 * executors apply. */
static int plan_pass(manager *m, const spm_topology *t, spm_cgroup_tree *preloaded) {
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL;
        _cleanup_(spm_policy_freep) spm_policy *owned = NULL;
        const spm_policy *policy;
        int r = 0;

        unsigned long long t0 = manager_now_usec(), t1;
        struct rusage ru0 = {}, ru1 = {};

        if (preloaded)
                (void) spmd_cgroup_sync_adopt(m, preloaded);
        /* a full pass has just read the root cgroup's files */
        r = spmd_cgroup_sync(m, !m->cgroups_only_pass);
        if (r < 0)
                /* No cgroupfs (or not readable): plan the devices alone. */
                log_debug_errno(r, "Failed to read the cgroup tree, planning devices only: %m");
        t1 = manager_now_usec();

        r = policy_or_empty(m, &policy, &owned);
        if (r < 0)
                return r;
        /* a large plan's fresh memory is a cost of its own (page faults);
         * counted for the debug line only */
        if (log_max_level_internal >= LOG_DEBUG)
                (void) getrusage(RUSAGE_SELF, &ru0);
        spmd_readback_begin(m);
        /* on the model: the plan visits what changed since the last one */
        if (m->cgroups)
                r = spm_plan_build_kept(policy, t, &m->features, m->cgroups->tree, &plan);
        else
                r = spm_plan_build(policy, t, &m->features, NULL, &plan);
        if (r < 0)
                return r;

        if (log_max_level_internal >= LOG_DEBUG)
                (void) getrusage(RUSAGE_SELF, &ru1);
        log_debug("Plan: %zu action(s), %zu blocked; %zu of %zu cgroup(s) looked at; model %llu us, plan %llu us, %ld page faults.",
                  plan->n_actions, plan->n_blocked, plan->cgroups_visited, m->cgroups ? m->cgroups->tree->n : 0,
                  t1 - t0, manager_now_usec() - t1, ru1.ru_minflt - ru0.ru_minflt);
        if (plan->cgroups_all_why)
                log_debug("Planned every cgroup: %s.", plan->cgroups_all_why);
        for (size_t i = 0; i < plan->n_blocked; i++)
                log_debug("Cannot do for '%s': %s (%s)", plan->blocked[i].object, plan->blocked[i].reason,
                          strna(plan->blocked[i].rule));

        spm_plan_free(m->plan);
        m->plan = TAKE_PTR(plan);
        return 0;
}

static void emit_settled(manager *m) {
        if (m->bus && m->ready)
                (void) sd_bus_emit_properties_changed(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "Settled", NULL);
}

static bool plan_only_cgroups(const spm_plan *p) {
        for (size_t i = 0; i < p->n_actions; i++)
                if (!IN_SET(p->actions[i].type, SPM_ACTION_CGROUP_MEMS, SPM_ACTION_UNIT_MEMS, SPM_ACTION_VERIFY_SYSRAM))
                        return false;
        return true;
}

/* Run the plan of a pass on snapshot t, and queue what must follow: a
 * pass on the cgroup model after cgroup writes, a look at what device
 * writes changed (once their uevents settle). Returns the executor's
 * result (0 when nothing ran). */
static int execute_plan(manager *m, const spm_topology *t) {
        spmd_exec_result res;
        int r;

        if (m->plan->n_actions == 0 || !m->config.apply)
                return 0;

        r = spmd_plan_execute(m, m->plan, &res);
        log_debug("Executed %zu change(s), %zu already so%s.", res.applied, res.already,
                  r < 0 ? ", stopped at a failure" : "");
        if (r < 0 && m->bus)
                (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "ReconcileFailed",
                                          "is", -r, "A planned change failed; see the journal");
        /* What was applied changed the kernel: look again, so the
         * published view and the plan match what is there now. The next
         * pass starts from the kernel, never from a guess. */
        if (res.applied > 0 && plan_only_cgroups(m->plan))
                manager_mark_cgroups_dirty(m, "cgroup changes applied");
        else if (res.applied > 0 || (r < 0 && res.failed_at < m->plan->n_actions &&
                                     spmd_action_device(t, &m->plan->actions[res.failed_at]))) {
                /* after a device failure that device is held, so the next
                 * pass runs the rest of the plan; it reads again what this
                 * one acted on (up to and with the failed step) */
                spmd_snapshot_note_plan(m, m->plan, r < 0 ? res.failed_at + 1 : m->plan->n_actions);
                if (r < 0 || m->config.once || !m->udev)
                        manager_mark_scoped_dirty(m, "changes applied");
                else {
                        /* The writes raise uevents (blocks added, onlined,
                         * the device rebound) that name the same objects:
                         * one look once they have settled sees them all,
                         * and leaves the kernel to whoever waits for it. */
                        m->look_again_pending = true;
                        spmd_udev_settle_later(m->udev);
                        log_debug("Looking again once the uevents of these changes have settled.");
                }
        }
        return r;
}

/* A pass on what spmd already knows: after cgroup events only, or after a
 * policy reload. The devices and nodes are as the last snapshot says
 * (every change to them raises a uevent, which asks for a pass that reads
 * them); the cgroup model is patched with what the events said. After
 * cgroup writes one more pass plans on the model (it reads nothing): it
 * must come out empty, and its plan is what PendingActions shows. */
static int reconcile_known(manager *m) {
        unsigned long long start = manager_now_usec();
        bool resync_after = m->resync_after;
        int r;

        m->dirty = false;
        m->resync_after = false;
        m->look_again_pending = false;
        m->cgroups_only_pass = true;
        r = plan_pass(m, m->topo, NULL);
        m->cgroups_only_pass = false;
        if (r < 0)
                log_warning_errno(r, "Failed to plan, keeping the previous plan: %m");
        else {
                if (spmd_device_states_update(m, m->topo, m->plan) < 0)
                        log_error("Out of memory while updating device states.");
                (void) execute_plan(m, m->topo);
        }
        m->stats.reconciles++;
        log_debug("Reconcile #%llu on the known state in %llu us", m->stats.reconciles,
                  manager_now_usec() - start);
        /* After a reload: everything read again, for what changed without
         * any event (a sysfs knob written by hand, events lost unnoticed). */
        if (resync_after)
                manager_mark_dirty(m, true, "resync after the reload");
        return r;
}

int manager_reconcile(manager *m) {
        spm_topology *t = NULL, *old;
        spm_node_classes old_classes = m->classes;
        spm_features old_features = m->features;
        unsigned long long start = manager_now_usec();
        bool resync = m->resync, scoped, nodes;
        int r;

        if (!m->topology_dirty && !resync && m->topo)
                return reconcile_known(m);

        m->dirty = false;
        m->resync = false;
        if (resync)
                m->resync_after = false;        /* this pass is that resync */
        m->look_again_pending = false;

        r = spmd_snapshot_take(m, resync, &t, &scoped, &nodes);
        if (r < 0) {
                /* Keep the last snapshot and retry on the next trigger. */
                log_error_errno(r, "Failed to read the memory topology from '%s': %m",
                                spm_path(SPM_PATH_SYSFS));
                if (m->bus)
                        (void) sd_bus_emit_signal(m->bus, SPM_BUS_PATH, SPM_BUS_IFACE_MANAGER, "ReconcileFailed",
                                                  "is", -r, "Failed to read the memory topology");
                return r;
        }
        m->stats.snapshot_usec = manager_now_usec() - start;
        m->topology_dirty = false;

        if (scoped)
                /* a patch changes devices only: the sysfs-wide probes stand */
                spm_features_refresh(t, &m->features, &m->features);
        else if ((r = spm_features_probe(t, &m->features)) < 0)
                log_warning_errno(r, "Failed to probe kernel features, keeping the previous result: %m");

        if (t->n_unreadable > 0)
                log_debug("%u attribute(s) could not be parsed in this snapshot", t->n_unreadable);

        /* The root cgroup is optional evidence for node classes; it changes
         * with the nodes (mems.effective), so a patch that left the nodes
         * alone keeps the last reading. */
        if (nodes)
                m->root_present = spm_cpuset_read("", &m->root) >= 0;
        spm_node_classes_compute(t, m->root_present ? &m->root : NULL, &m->classes);

        /* The cgroup side plans on its model (spmd-cgroup-sync.h), which
         * cgroup events keep current: a device pass reads no cgroup tree. */

        log_device_changes(m->topo, t);
        spmd_device_races_check(m, t);

        /* Publish the new view first: the executor works on it too. */
        old = m->topo;
        m->topo = t;
        if (m->ready)
                spmd_bus_emit_changes(m, old, &old_classes, &old_features);
        spm_topology_free(old);

        r = plan_pass(m, t, NULL);
        if (r < 0)
                log_warning_errno(r, "Failed to plan, keeping the previous plan: %m");
        else if (spmd_device_states_update(m, t, m->plan) < 0)
                log_error("Out of memory while updating device states.");
        if (r >= 0)
                (void) execute_plan(m, t);

        m->stats.reconciles++;
        if (resync)
                m->stats.resyncs++;

        log_debug("Reconcile #%llu%s: %zu nodes, %zu dax devices, %zu blocks, %s %llu us",
                  m->stats.reconciles, resync ? " (resync)" : "", t->n_nodes, t->n_dax, t->n_blocks,
                  scoped ? "scoped read" : "snapshot", m->stats.snapshot_usec);
        return 0;
}

static void notify_status(manager *m) {
        size_t kmem = 0;

        for (size_t i = 0; i < m->topo->n_dax; i++)
                if (streq_ptr(m->topo->dax[i].driver, "kmem"))
                        kmem++;

        (void) sd_notifyf(false, "%sSTATUS=%zu dax device(s), %zu as memory; isolation %s",
                          !m->ready || m->reloading ? "READY=1\n" : "", m->topo->n_dax, kmem,
                          spm_isolation_to_string(m->features.isolation));
}

static int on_reconcile(sd_event_source *s, void *userdata) {
        manager *m = userdata;

        if (manager_reconcile(m) >= 0) {
                /* READY only after the first (coldplug) pass: units ordered
                 * after spmd.service may rely on its outcome. After a
                 * reload, once the new policy has been applied. */
                notify_status(m);
                m->ready = true;
                emit_settled(m);
        } else if (m->reloading)
                (void) sd_notify(false, "READY=1");
        m->reloading = false;

        /* --once: run passes until one changes nothing (the last one
         * verifies what the others did), bounded so a kernel that keeps
         * refusing cannot hold us. */
        if (m->config.once && (!m->dirty || ++m->once_passes >= MANAGER_ONCE_MAX_PASSES))
                return sd_event_exit(m->event, 0);
        return 0;
}

void manager_mark_dirty(manager *m, bool resync, const char *why) {
        m->topology_dirty = true;
        spmd_snapshot_want_full(m);
        mark_dirty_internal(m, resync, why);
}

void manager_mark_scoped_dirty(manager *m, const char *why) {
        m->topology_dirty = true;
        mark_dirty_internal(m, false, why);
}

void manager_policy_reloaded(manager *m, bool resync_after, const char *why) {
        /* a device held after a failure gets another try */
        spmd_device_state_trigger(m, NULL);
        if (resync_after)
                m->resync_after = true;
        mark_dirty_internal(m, false, why);
}

void manager_mark_cgroups_dirty(manager *m, const char *why) {
        mark_dirty_internal(m, false, why);
}

void manager_cgroup_created(manager *m, const char *path) {
        if (strv_extend(&m->cgroup_sync.load, path) < 0)
                m->cgroup_sync.reload = true;
        mark_dirty_internal(m, false, "cgroup created");
}

void manager_cgroup_removed(manager *m, const char *path) {
        if (strv_extend(&m->cgroup_sync.removed, path) < 0)
                m->cgroup_sync.reload = true;
        mark_dirty_internal(m, false, "cgroup removed");
}

void manager_cgroups_systemd_changed(manager *m, bool reapplied, const char *why) {
        m->cgroup_sync.systemd_units = true;
        if (reapplied)
                m->cgroup_sync.systemd_files = true;
        mark_dirty_internal(m, false, why);
}

void manager_cgroups_resync(manager *m, const char *why) {
        m->cgroup_sync.reload = true;
        mark_dirty_internal(m, false, why);
}

static void mark_dirty_internal(manager *m, bool resync, const char *why) {
        int r;

        if (resync) {
                m->resync = true;
                /* a reload or lost events may hide a trigger for any device */
                spmd_device_state_trigger(m, NULL);
        }
        if (m->dirty)
                return;
        m->dirty = true;

        log_debug("Reconcile queued (%s)", why);
        emit_settled(m);
        r = sd_event_source_set_enabled(m->reconcile_source, SD_EVENT_ONESHOT);
        if (r < 0)
                log_error_errno(r, "Failed to queue a reconcile: %m");
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager *m = userdata;

        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        manager *m = userdata;

        (void) sd_notify(false, "RELOADING=1");
        log_info("Reloading the policy.");
        (void) spmd_policy_reload(m);
        manager_policy_reloaded(m, true, "reload");
        /* READY=1 comes with the status at the end of the pass that
         * applies it: until then systemd shows the unit reloading */
        m->reloading = true;
        return 0;
}

int manager_new(const manager_config *config, manager **ret) {
        _cleanup_(manager_freep) manager *m = NULL;
        int r;

        m = calloc(1, sizeof(*m));
        if (!m)
                return log_error_errno(-ENOMEM, "Out of memory");
        m->config = *config;

        r = sd_event_default(&m->event);
        if (r < 0)
                return log_error_errno(r, "Failed to create the event loop: %m");

        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Failed to enable the watchdog, ignoring: %m");

        r = sd_event_add_defer(m->event, &m->reconcile_source, on_reconcile, m);
        if (r < 0)
                return log_error_errno(r, "Failed to create the reconcile source: %m");
        (void) sd_event_source_set_description(m->reconcile_source, "reconcile");
        /* Lower priority than every trigger: a burst is drained first, then
         * reconciled once. */
        (void) sd_event_source_set_priority(m->reconcile_source, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_enabled(m->reconcile_source, SD_EVENT_OFF);

        *ret = TAKE_PTR(m);
        return 0;
}

int manager_start(manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(-errno, "Failed to block signals: %m");

        if ((r = sd_event_add_signal(m->event, &m->sigterm_source, SIGTERM, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, &m->sigint_source, SIGINT, on_exit_signal, m)) < 0 ||
            (r = sd_event_add_signal(m->event, &m->sighup_source, SIGHUP, on_sighup, m)) < 0)
                return log_error_errno(r, "Failed to watch signals: %m");

        /* Subscribe before the coldplug snapshot, so nothing that happens
         * in between is missed. */
        r = spmd_udev_new(m, m->config.udev_kernel_source, &m->udev);
        if (r < 0)
                return r;

        r = spmd_bus_start(m, m->config.bus);
        if (r < 0)
                return r;

        r = spmd_systemd_new(m, &m->systemd);
        if (r < 0)
                return r;
        r = spmd_inotify_new(m, &m->inotify);
        if (r < 0)
                return r;

        /* A policy with errors at start leaves spmd observing only; it is
         * not a reason to fail the boot. */
        (void) spmd_policy_reload(m);
        spmd_device_races_scan_rules(m);

        manager_mark_dirty(m, true, "coldplug");
        return 0;
}

int manager_run(manager *m) {
        int r;

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return r;
}

manager *manager_free(manager *m) {
        if (!m)
                return NULL;

        spmd_polkit_free(m->polkit);
        spmd_inotify_free(m->inotify);
        spmd_systemd_free(m->systemd);
        spm_cgroup_model_free(m->cgroups);
        spmd_cgroup_pending_done(&m->cgroup_sync);
        sd_bus_flush_close_unref(m->bus);
        spmd_udev_free(m->udev);
        sd_event_source_disable_unref(m->reconcile_source);
        sd_event_source_disable_unref(m->sigterm_source);
        sd_event_source_disable_unref(m->sigint_source);
        sd_event_source_disable_unref(m->sighup_source);
        sd_event_unref(m->event);
        spm_topology_free(m->topo);
        spm_topology_scope_clear(&m->scope);
        spm_policy_free(m->policy);
        spm_plan_free(m->plan);
        spmd_device_table_free(&m->devices);
        free(m->policy_error);
        free(m);
        return NULL;
}
