/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "log.h"
#include "macro.h"
#include "spmd-manager.h"
#include "spmd-systemd.h"

#define SD_NAME  "org.freedesktop.systemd1"
#define SD_PATH  "/org/freedesktop/systemd1"
#define SD_IFACE "org.freedesktop.systemd1.Manager"

struct spmd_systemd {
        manager *manager;
        sd_bus_slot *unit_new, *reloading, *owner_changed;
        int present;                /* -1: not asked yet */
};

static int on_unit_new(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        spmd_systemd *s = userdata;
        const char *id = NULL;

        (void) sd_bus_message_read(msg, "s", &id);
        log_debug("systemd: new unit '%s'", strna(id));
        /* its cgroup is below a slice (or the root): those are rescanned */
        manager_cgroups_systemd_changed(s->manager, false, "systemd UnitNew");
        return 0;
}

static int on_reloading(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        spmd_systemd *s = userdata;
        int active = 0;

        (void) sd_bus_message_read(msg, "b", &active);
        /* After a reload systemd re-applies every unit's cgroup settings,
         * which may rewrite cpuset.mems: re-verify once it is done. */
        if (!active)
                manager_cgroups_systemd_changed(s->manager, true, "systemd reloaded");
        else
                log_debug("systemd is reloading");
        return 0;
}

static int subscribe(spmd_systemd *s) {
        /* UnitNew is only sent to subscribed clients; the reply does not
         * matter (an old systemd, or none). */
        return sd_bus_call_method_async(s->manager->bus, NULL, SD_NAME, SD_PATH, SD_IFACE, "Subscribe", NULL, NULL,
                                        NULL);
}

static int on_owner_changed(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        spmd_systemd *s = userdata;
        const char *name = NULL, *old = NULL, *new = NULL;

        if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0 || !streq_ptr(name, SD_NAME))
                return 0;
        s->present = new && *new;
        log_debug("systemd %s the bus", s->present ? "is on" : "left");
        if (s->present)
                (void) subscribe(s);
        /* a systemd that (re)started applies its units again */
        manager_cgroups_systemd_changed(s->manager, true, "systemd owner changed");
        manager_mark_dirty(s->manager, false, "systemd owner changed");
        return 0;
}

int spmd_systemd_new(manager *m, spmd_systemd **ret) {
        spmd_systemd *s;
        int r;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->manager = m;
        s->present = -1;

        if (m->bus) {
                if ((r = sd_bus_match_signal_async(m->bus, &s->unit_new, SD_NAME, SD_PATH, SD_IFACE, "UnitNew",
                                                   on_unit_new, NULL, s)) < 0 ||
                    (r = sd_bus_match_signal_async(m->bus, &s->reloading, SD_NAME, SD_PATH, SD_IFACE, "Reloading",
                                                   on_reloading, NULL, s)) < 0 ||
                    (r = sd_bus_match_signal_async(m->bus, &s->owner_changed, "org.freedesktop.DBus",
                                                   "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                   "NameOwnerChanged", on_owner_changed, NULL, s)) < 0) {
                        spmd_systemd_free(s);
                        return log_error_errno(r, "Failed to subscribe to systemd's signals: %m");
                }
                (void) subscribe(s);
        }
        *ret = s;
        return 0;
}

spmd_systemd *spmd_systemd_free(spmd_systemd *s) {
        if (!s)
                return NULL;
        sd_bus_slot_unref(s->unit_new);
        sd_bus_slot_unref(s->reloading);
        sd_bus_slot_unref(s->owner_changed);
        return mfree(s);
}

bool spmd_systemd_present(spmd_systemd *s) {
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int has = 0, r;

        if (!s || !s->manager->bus)
                return false;
        if (s->present >= 0)
                return s->present;

        r = sd_bus_call_method(s->manager->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "NameHasOwner", &err, &reply, "s", SD_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        if (r < 0) {
                log_debug_errno(r, "Failed to ask whether systemd is on the bus, assuming not: %m");
                return false;
        }
        s->present = has;
        return has;
}

size_t spmd_systemd_mask_bytes(const spm_nodemask *mask, uint8_t *buf, size_t size) {
        size_t n = 0;

        memset(buf, 0, size);
        SPM_NODEMASK_FOREACH(node, mask) {
                unsigned u = (unsigned) node;

                if (u / 8 >= size)
                        break;
                buf[u / 8] |= (uint8_t) (1u << (u % 8));
                n = u / 8 + 1;
        }
        return n;
}

int spmd_systemd_set_allowed_memory_nodes(spmd_systemd *s, const char *unit, const spm_nodemask *mask) {
        _cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL, *reply = NULL;
        uint8_t bytes[SPM_MAX_NODES / 8];
        size_t n;
        int r;

        if (!spmd_systemd_present(s))
                return -EHOSTDOWN;

        n = spmd_systemd_mask_bytes(mask, bytes, sizeof bytes);
        r = sd_bus_message_new_method_call(s->manager->bus, &msg, SD_NAME, SD_PATH, SD_IFACE, "SetUnitProperties");
        if (r < 0)
                return r;
        if ((r = sd_bus_message_append(msg, "sb", unit, 1)) < 0 ||
            (r = sd_bus_message_open_container(msg, 'a', "(sv)")) < 0 ||
            (r = sd_bus_message_open_container(msg, 'r', "sv")) < 0 ||
            (r = sd_bus_message_append(msg, "s", "AllowedMemoryNodes")) < 0 ||
            (r = sd_bus_message_open_container(msg, 'v', "ay")) < 0 ||
            (r = sd_bus_message_append_array(msg, 'y', bytes, n)) < 0 ||
            (r = sd_bus_message_close_container(msg)) < 0 ||
            (r = sd_bus_message_close_container(msg)) < 0 ||
            (r = sd_bus_message_close_container(msg)) < 0)
                return r;

        r = sd_bus_call(s->manager->bus, msg, SPMD_SYSTEMD_TIMEOUT_USEC, &err, &reply);
        if (r >= 0)
                return 0;
        if (sd_bus_error_has_names(&err, "org.freedesktop.systemd1.NoSuchUnit", "org.freedesktop.systemd1.LoadFailed"))
                return -ENOENT;
        if (sd_bus_error_has_names(&err, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
                s->present = 0;
                return -EHOSTDOWN;
        }
        log_debug("SetUnitProperties(%s) failed: %s", unit, strna(err.message));
        return r;
}
