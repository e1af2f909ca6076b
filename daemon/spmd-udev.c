/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <libudev.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-manager.h"
#include "spmd-snapshot.h"
#include "spmd-udev.h"

const char *const spmd_udev_subsystems[] = { "dax", "cxl", "memory", "node", NULL };

struct spmd_udev {
        manager *manager;
        struct udev *udev;
        struct udev_monitor *monitor;
        sd_event_source *source;
        sd_event_source *settle;    /* one-shot: memory/node churn has gone quiet */
        uint64_t settle_first;      /* when the current churn started (CLOCK_MONOTONIC usec) */
};

/* Memory-block and node events come in bursts of thousands (a 256 GiB
 * region, another agent onlining block by block), and a busy udevd hands
 * them over a few at a time. Reconciling after each handful would re-read
 * sysfs hundreds of times; instead such churn marks dirty once it has been
 * quiet for SETTLE_QUIET_USEC, and at the latest SETTLE_MAX_USEC after it
 * started. dax and cxl events (hot-add, bind) reconcile at once. This is a
 * one-shot timer armed by events, not polling. */
#define SETTLE_QUIET_USEC (50 * 1000ULL)
#define SETTLE_MAX_USEC (1000 * 1000ULL)

static int on_settle(sd_event_source *s, uint64_t usec, void *userdata) {
        spmd_udev *u = userdata;

        u->settle_first = 0;
        /* a pass since may have read all that was named */
        if (!spm_topology_scope_is_empty(&u->manager->scope))
                manager_mark_scoped_dirty(u->manager, "uevents settled");
        else
                u->manager->look_again_pending = false;
        return 0;
}

void spmd_udev_settle_later(spmd_udev *u) {
        uint64_t now, when;
        int r;

        if (sd_event_now(u->manager->event, CLOCK_MONOTONIC, &now) < 0) {
                manager_mark_scoped_dirty(u->manager, "uevent");
                return;
        }
        if (u->settle_first == 0)
                u->settle_first = now;
        when = now + SETTLE_QUIET_USEC;
        if (when > u->settle_first + SETTLE_MAX_USEC)
                when = u->settle_first + SETTLE_MAX_USEC;

        if (!u->settle)
                r = sd_event_add_time(u->manager->event, &u->settle, CLOCK_MONOTONIC, when, 0, on_settle, u);
        else {
                r = sd_event_source_set_time(u->settle, when);
                if (r >= 0)
                        r = sd_event_source_set_enabled(u->settle, SD_EVENT_ONESHOT);
        }
        if (r < 0) {
                log_debug_errno(r, "Failed to arm the settle timer, reconciling now: %m");
                manager_mark_scoped_dirty(u->manager, "uevent");
        }
}

static bool is_trigger_action(const char *a) {
        return a && (streq(a, "add") || streq(a, "change") || streq(a, "remove"));
}

/* Drain everything that is queued, so a burst of thousands of block events
 * costs one wake-up and one reconcile. */
static int on_monitor(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        spmd_udev *u = userdata;
        unsigned n = 0;
        bool device_event = false;

        for (;;) {
                struct udev_device *d;

                errno = 0;
                d = udev_monitor_receive_device(u->monitor);
                if (!d) {
                        if (errno == ENOBUFS) {
                                log_warning("uevent receive buffer overflowed, events were lost; resyncing from sysfs");
                                manager_mark_dirty(u->manager, true, "uevents lost");
                                manager_cgroups_resync(u->manager, "uevents lost");
                                continue;
                        }
                        /* EAGAIN: drained. Anything else (a malformed
                         * message libudev dropped) is no reason to stop. */
                        if (errno != 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                                log_debug_errno(-errno, "Ignoring uevent receive error: %m");
                        break;
                }

                n++;
                u->manager->stats.uevents++;
                /* The kernel's answer to spmd's own writes (bind, unbind,
                 * change of a device the last pass acted on) joins the
                 * look at that device, which waits for the churn to settle;
                 * anything else about a dax or cxl device is looked at
                 * now. */
                if (!streq_ptr(udev_device_get_subsystem(d), "memory") &&
                    !streq_ptr(udev_device_get_subsystem(d), "node") &&
                    !spmd_snapshot_is_echo(u->manager, udev_device_get_subsystem(d), udev_device_get_sysname(d),
                                           udev_device_get_action(d)))
                        device_event = true;
                /* the next pass reads what the events name (spmd-snapshot.c) */
                spmd_snapshot_note_uevent(u->manager, udev_device_get_subsystem(d), udev_device_get_sysname(d));
                /* An operator's "udevadm trigger" (change) or a removal is
                 * a new trigger for a device held after a failure; bind and
                 * unbind are not (spmd's own steps and rollbacks raise
                 * them), nor is an add of a device spmd already knows (a
                 * late copy of the event that made it act). */
                if ((streq_ptr(udev_device_get_subsystem(d), "dax") ||
                     (streq_ptr(udev_device_get_subsystem(d), "cxl") &&
                      startswith(strempty(udev_device_get_sysname(d)), "region"))) &&
                    udev_device_get_sysname(d) &&
                    is_trigger_action(udev_device_get_action(d)) &&
                    !(streq_ptr(udev_device_get_action(d), "add") &&
                      spmd_device_record_find(u->manager, udev_device_get_sysname(d))))
                        spmd_device_state_trigger(u->manager, udev_device_get_sysname(d));
                log_debug("uevent %s %s %s", strna(udev_device_get_action(d)),
                          strna(udev_device_get_subsystem(d)), strna(udev_device_get_sysname(d)));
                udev_device_unref(d);
        }

        if (device_event) {
                if (u->settle)
                        (void) sd_event_source_set_enabled(u->settle, SD_EVENT_OFF);
                u->settle_first = 0;
                manager_mark_scoped_dirty(u->manager, "uevent");
        } else if (n > 0)
                spmd_udev_settle_later(u);
        return 0;
}

int spmd_udev_new(manager *m, bool kernel_source, spmd_udev **ret) {
        spmd_udev *u;
        int r;

        u = calloc(1, sizeof(*u));
        if (!u)
                return log_error_errno(-ENOMEM, "Out of memory");
        u->manager = m;

        u->udev = udev_new();
        if (!u->udev) {
                r = log_error_errno(errno > 0 ? -errno : -ENOMEM, "Failed to create udev context: %m");
                goto fail;
        }

        u->monitor = udev_monitor_new_from_netlink(u->udev, kernel_source ? "kernel" : "udev");
        if (!u->monitor) {
                r = log_error_errno(errno > 0 ? -errno : -EIO, "Failed to create udev monitor: %m");
                goto fail;
        }

        for (const char *const *s = spmd_udev_subsystems; *s; s++) {
                r = udev_monitor_filter_add_match_subsystem_devtype(u->monitor, *s, NULL);
                if (r < 0) {
                        log_error_errno(r, "Failed to add udev filter for '%s': %m", *s);
                        goto fail;
                }
        }

        r = udev_monitor_set_receive_buffer_size(u->monitor, SPMD_UDEV_RCVBUF);
        if (r < 0)
                log_warning_errno(r, "Failed to grow the uevent receive buffer, ignoring: %m");

        r = udev_monitor_enable_receiving(u->monitor);
        if (r < 0) {
                log_error_errno(r, "Failed to start receiving uevents: %m");
                goto fail;
        }

        r = sd_event_add_io(m->event, &u->source, udev_monitor_get_fd(u->monitor), EPOLLIN, on_monitor, u);
        if (r < 0) {
                log_error_errno(r, "Failed to watch the udev monitor: %m");
                goto fail;
        }
        (void) sd_event_source_set_description(u->source, "udev-monitor");
        /* Events first, reconcile after: see manager.c */
        (void) sd_event_source_set_priority(u->source, SD_EVENT_PRIORITY_NORMAL);

        *ret = u;
        return 0;

fail:
        spmd_udev_free(u);
        return r;
}

spmd_udev *spmd_udev_free(spmd_udev *u) {
        if (!u)
                return NULL;
        sd_event_source_disable_unref(u->source);
        sd_event_source_disable_unref(u->settle);
        udev_monitor_unref(u->monitor);
        udev_unref(u->udev);
        free(u);
        return NULL;
}
