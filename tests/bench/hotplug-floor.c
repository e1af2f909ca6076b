/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The floor for bench-hotplug: exactly the sysfs writes that bring a
 * hot-added dax device (bound to device_dax) online as online_movable, and
 * the valid_zones reads that verify it, with nothing else: no snapshot, no
 * policy, no checks beyond the zone. Run under the same umockdev preload as
 * spmd, on /sys, and timed from outside by hotplug-wait like spmd is.
 *
 *   hotplug-floor state DEV [spm]     whole-device "state" attribute (v7):
 *                                     unbind, [spm_node], new_id, state
 *                                     unplugged, state online_movable
 *   hotplug-floor blocks DEV          per memory block (stock kernel)
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int put(const char *path, const char *v) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = write(fd, v, strlen(v));
        close(fd);
        return n < 0 ? -errno : 0;
}

static int get(const char *path, char *buf, size_t size) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -errno;
        buf[n] = 0;
        buf[strcspn(buf, "\n")] = 0;
        return 0;
}

int main(int argc, char **argv) {
        char p[256], v[64], zones[64];
        unsigned long long start, end, bs;
        int whole, r;

        if (argc < 3)
                return 2;
        whole = strcmp(argv[1], "state") == 0;
        snprintf(p, sizeof p, "/sys/bus/dax/drivers/device_dax/unbind");
        if ((r = put(p, argv[2])) < 0)
                return fprintf(stderr, "unbind: %s\n", strerror(-r)), 1;
        if (argc > 3 && strcmp(argv[3], "spm") == 0) {
                snprintf(p, sizeof p, "/sys/bus/dax/devices/%s/spm_node", argv[2]);
                if ((r = put(p, "1")) < 0)
                        return fprintf(stderr, "spm_node: %s\n", strerror(-r)), 1;
        }
        if ((r = put("/sys/bus/dax/drivers/kmem/new_id", argv[2])) < 0)
                return fprintf(stderr, "new_id: %s\n", strerror(-r)), 1;
        if (whole) {
                /* with auto_online_blocks=offline the blocks exist offline
                 * after the bind, and offline → online is EBUSY: unplug first */
                snprintf(p, sizeof p, "/sys/bus/dax/devices/%s/state", argv[2]);
                if ((r = put(p, "unplugged")) < 0)
                        return fprintf(stderr, "state unplugged: %s\n", strerror(-r)), 1;
                if ((r = put(p, "online_movable")) < 0)
                        return fprintf(stderr, "state: %s\n", strerror(-r)), 1;
        }

        snprintf(p, sizeof p, "/sys/bus/dax/devices/%s/mapping0/start", argv[2]);
        if (get(p, v, sizeof v) < 0)
                return 1;
        start = strtoull(v, NULL, 0);
        snprintf(p, sizeof p, "/sys/bus/dax/devices/%s/mapping0/end", argv[2]);
        if (get(p, v, sizeof v) < 0)
                return 1;
        end = strtoull(v, NULL, 0);
        if (get("/sys/devices/system/memory/block_size_bytes", v, sizeof v) < 0)
                return 1;
        bs = strtoull(v, NULL, 16);
        if (bs == 0)
                return 1;

        /* kmem adds only the blocks wholly inside the range: on a real
         * kernel mapping0 may start inside a block (2 MiB in, for an
         * NVDIMM namespace's info block) */
        for (unsigned long long b = (start + bs - 1) / bs; b < (end + 1) / bs; b++) {
                if (!whole) {
                        snprintf(p, sizeof p, "/sys/devices/system/memory/memory%llu/state", b);
                        if ((r = put(p, "online_movable")) < 0)
                                return fprintf(stderr, "memory%llu: %s\n", b, strerror(-r)), 1;
                }
                snprintf(p, sizeof p, "/sys/devices/system/memory/memory%llu/valid_zones", b);
                if (get(p, zones, sizeof zones) < 0 || strcmp(zones, "Movable") != 0)
                        return fprintf(stderr, "memory%llu: zone %s\n", b, zones), 1;
        }
        return 0;
}
