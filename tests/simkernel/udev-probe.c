/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * spm-simkernel-udev-probe: a small libudev client for the simkernel's
 * tests. Run under umockdev's preload, it shows what a daemon would see.
 *
 *   udev-probe enumerate SUBSYSTEM [SYSATTR...]
 *       one line per device: "SYSNAME DRIVER attr=value ..."
 *   udev-probe monitor COUNT TIMEOUT_MS [SUBSYSTEM...]
 *       prints "ready" once listening, then one line per event:
 *       "SEQNUM ACTION SUBSYSTEM SYSNAME DRIVER", until COUNT events or the
 *       timeout; exit 0 when COUNT events arrived.
 */

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libudev.h>

static long long now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char *argv[]) {
        struct udev *u = udev_new();

        if (!u || argc < 3)
                return 2;
        setvbuf(stdout, NULL, _IOLBF, 0);

        if (strcmp(argv[1], "enumerate") == 0) {
                struct udev_enumerate *en = udev_enumerate_new(u);
                struct udev_list_entry *l;

                udev_enumerate_add_match_subsystem(en, argv[2]);
                if (udev_enumerate_scan_devices(en) < 0)
                        return 1;
                udev_list_entry_foreach(l, udev_enumerate_get_list_entry(en)) {
                        struct udev_device *d = udev_device_new_from_syspath(u, udev_list_entry_get_name(l));
                        const char *drv;

                        if (!d)
                                continue;
                        drv = udev_device_get_driver(d);
                        printf("%s %s", udev_device_get_sysname(d), drv ? drv : "-");
                        for (int i = 3; i < argc; i++) {
                                const char *v = udev_device_get_sysattr_value(d, argv[i]);
                                printf(" %s=%s", argv[i], v ? v : "(null)");
                        }
                        printf("\n");
                        udev_device_unref(d);
                }
                udev_enumerate_unref(en);
                udev_unref(u);
                return 0;
        }

        if (strcmp(argv[1], "monitor") == 0 && argc >= 4) {
                struct udev_monitor *mon = udev_monitor_new_from_netlink(u, "udev");
                long count = atol(argv[2]), got = 0;
                long long deadline = now_ms() + atol(argv[3]);
                struct pollfd p;

                if (!mon)
                        return 1;
                for (int i = 4; i < argc; i++)
                        udev_monitor_filter_add_match_subsystem_devtype(mon, argv[i], NULL);
                if (udev_monitor_enable_receiving(mon) < 0)
                        return 1;
                udev_monitor_set_receive_buffer_size(mon, 128 * 1024 * 1024);
                printf("ready\n");
                p = (struct pollfd) { .fd = udev_monitor_get_fd(mon), .events = POLLIN };
                while (got < count) {
                        long long left = deadline - now_ms();
                        struct udev_device *d;
                        const char *drv;

                        if (left <= 0 || poll(&p, 1, (int) left) <= 0)
                                break;
                        d = udev_monitor_receive_device(mon);
                        if (!d)
                                continue;
                        drv = udev_device_get_driver(d);
                        printf("%llu %s %s %s %s\n", udev_device_get_seqnum(d), udev_device_get_action(d),
                               udev_device_get_subsystem(d), udev_device_get_sysname(d), drv ? drv : "-");
                        udev_device_unref(d);
                        got++;
                }
                udev_monitor_unref(mon);
                udev_unref(u);
                return got >= count ? 0 : 1;
        }
        return 2;
}
