/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "bus-client.h"

int spmctl_bus_open(bool user, sd_bus **ret) {
        return user ? sd_bus_open_user(ret) : sd_bus_open_system(ret);
}

int spmctl_daemon_running(sd_bus *bus) {
        sd_bus_message *reply = NULL;
        int has = 0, r;

        if (!bus)
                return 0;
        /* Ask the bus, not the daemon: no activation, and no waiting on a
         * busy daemon just to learn that it exists. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", NULL, &reply, "s", SPMCTL_BUS_NAME);
        if (r >= 0)
                r = sd_bus_message_read(reply, "b", &has);
        sd_bus_message_unref(reply);
        return r >= 0 && has;
}

const char *spmctl_bus_error_message(const sd_bus_error *e, int r) {
        if (e && e->message)
                return e->message;
        return strerror(r < 0 ? -r : r);
}
