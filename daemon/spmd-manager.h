/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The daemon's central object: the event loop, the triggers that mark the
 * kernel state dirty, and the one idempotent reconcile that runs from the
 * loop after each burst of triggers (design §3).
 */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cpuset.h"
#include "kernel-features.h"
#include "node-class.h"
#include "plan.h"
#include "policy.h"
#include "spmd-bus.h"
#include "spmd-cgroup-sync.h"
#include "spmd-device-state.h"
#include "spmd-policy.h"
#include "topology.h"
#include "topology-patch.h"

typedef struct spmd_udev spmd_udev;
typedef struct spmd_polkit spmd_polkit;
typedef struct spmd_systemd spmd_systemd;
typedef struct spmd_inotify spmd_inotify;

typedef struct manager_stats {
        unsigned long long uevents;      /* uevents received */
        unsigned long long reconciles;   /* reconcile passes run */
        unsigned long long resyncs;      /* passes caused by lost events */
        unsigned long long snapshot_usec;/* time of the last snapshot */
} manager_stats;

typedef struct manager_config {
        bool udev_kernel_source;         /* listen to raw kernel uevents */
        bool once;                       /* exit after the first reconcile */
        spmd_bus_type bus;               /* where to offer org.spmd.spm1 */
        bool apply;                      /* carry out the plan (false: plan only) */
} manager_config;

typedef struct manager {
        sd_event *event;
        manager_config config;

        spmd_udev *udev;
        sd_event_source *reconcile_source;
        sd_event_source *sigterm_source, *sigint_source, *sighup_source;

        bool dirty;
        bool topology_dirty;             /* a trigger other than a cgroup event */
        spmd_cgroup_pending cgroup_sync;   /* what the cgroup model must read before the next plan */
        bool cgroups_only_pass;          /* in a pass after cgroup events only */
        bool resync;                     /* a full resync was requested */
        bool resync_after;               /* one after the next pass (a reload's) */
        bool ready;                      /* READY=1 sent */
        bool reloading;                  /* RELOADING=1 sent, READY=1 due after the next pass */
        unsigned once_passes;            /* passes run with --once */

        sd_bus *bus;
        spmd_polkit *polkit;             /* pending authorization queries */

        spm_topology *topo;              /* last snapshot, NULL before the first */
        spm_topology_scope scope;        /* what to read again for the next one (spmd-snapshot.c) */
        bool look_again_pending;         /* a look at what the last pass changed waits for
                                          * the kernel's uevents to settle (not Settled) */
        spm_features features;
        bool root_present;               /* root cgroup's cpuset files read */
        spm_cpuset root;
        spm_node_classes classes;

        spm_policy *policy;              /* last good policy, NULL: none */
        spmd_policy_state policy_state;
        char *policy_error;              /* first error of the last rejected load */
        spm_plan *plan;                  /* what the last pass found to do */
        spmd_device_table devices;       /* per device: state, reason, hold */

        spmd_systemd *systemd;           /* unit cgroups through systemd (spmd-systemd.c) */
        spmd_inotify *inotify;           /* new cgroups (spmd-inotify.c) */
        spm_cgroup_model *cgroups;       /* the cgroup tree as spmd believes it is (spmd-cgroup-sync.h) */

        manager_stats stats;
} manager;

int manager_new(const manager_config *config, manager **ret);
manager *manager_free(manager *m);
static inline void manager_freep(manager **m) {
        if (*m)
                manager_free(*m);
}

/* Start the sources (udev monitor, signals) and queue the coldplug pass. */
int manager_start(manager *m);

/* Run the loop until SIGTERM/SIGINT (or after the first pass with once). */
int manager_run(manager *m);

/* Mark the kernel state dirty; the reconcile runs once the loop has drained
 * the pending events. why is for the debug log. resync marks a full
 * resync (lost events, daemon restart, any doubt). */
void manager_mark_dirty(manager *m, bool resync, const char *why);

/* The same for a trigger that noted what changed (spmd_snapshot_note_*()):
 * the next pass reads only that, unless something asked for everything. */
void manager_mark_scoped_dirty(manager *m, const char *why);

/* A plan for snapshot t under the current policy, without changing
 * anything in the kernel. The cgroup tree is read whole, and replaces the
 * daemon's model of it; when the plan has changes, a pass is queued that
 * makes them (Verify finds drift, and spmd repairs it). */
int manager_build_plan(manager *m, const spm_topology *t, const spm_features *features, spm_plan **ret);

/* The policy was reloaded: the next pass plans it on what spmd knows (the
 * last snapshot, kept current by uevents, and the cgroup model), so the new
 * policy is in force without reading sysfs first; with resync_after a full
 * resync follows that pass, for what changed without any event. Devices
 * held after a failure are tried again. */
void manager_policy_reloaded(manager *m, bool resync_after, const char *why);

/* Only cgroups need another look: the next pass reuses the last topology
 * snapshot and plans on the cgroup model with what is queued for it. */
void manager_mark_cgroups_dirty(manager *m, const char *why);

/* A cgroup appeared (path relative to the cgroup root): the next pass reads
 * it, with anything already below it, into the model. */
void manager_cgroup_created(manager *m, const char *path);

/* A cgroup was removed: the next pass drops it from the model. */
void manager_cgroup_removed(manager *m, const char *path);

/* systemd added units, or (reapplied) reloaded and re-applied them: the
 * next pass reads again what systemd owns (spmd-cgroup-sync.h). */
void manager_cgroups_systemd_changed(manager *m, bool reapplied, const char *why);

/* Events were lost: the next pass reads the whole cgroup tree. */
void manager_cgroups_resync(manager *m, const char *why);

/* One reconcile pass; exposed for tests. */
int manager_reconcile(manager *m);

/* CLOCK_MONOTONIC now, in microseconds (for the pass timings in the log). */
unsigned long long manager_now_usec(void);
