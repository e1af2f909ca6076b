/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * How cheap is a full topology snapshot? spmd rebuilds one after every
 * burst of uevents instead of patching state, so this must stay a small
 * multiple of the reads any reconcile needs anyway.
 *
 * Builds a synthetic sysfs tree in a temporary directory (NODES nodes,
 * DEVICES dax devices of BLOCKS_PER_DEVICE 128 MiB blocks each, plus boot
 * memory), then times, interleaved, in the same run:
 *   floor     open+read+close of every block's state file: the minimum a
 *             reconcile must read to know what is online;
 *   snapshot  spm_topology_load_from() on the same tree.
 * Prints a table with min/median/max and the median ratio to the floor.
 *
 *   bench-snapshot [DEVICES [BLOCKS_PER_DEVICE [REPS]]]
 */

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "topology.h"

#define BLOCK_SIZE 0x8000000ULL
#define NODES 4
#define BOOT_BLOCKS_PER_NODE 16

static char root[64];

static void mkdirs(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void mkdirs(const char *fmt, ...) {
        char p[512], *s;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p, sizeof p, fmt, ap);
        va_end(ap);
        for (s = p + 1; *s; s++)
                if (*s == '/') {
                        *s = 0;
                        mkdir(p, 0755);
                        *s = '/';
                }
        mkdir(p, 0755);
}

static void put(const char *value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *value, const char *fmt, ...) {
        char p[512];
        va_list ap;
        FILE *f;

        va_start(ap, fmt);
        vsnprintf(p, sizeof p, fmt, ap);
        va_end(ap);
        f = fopen(p, "we");
        if (!f) {
                perror(p);
                exit(1);
        }
        fprintf(f, "%s\n", value);
        fclose(f);
}

static void link_to(const char *target, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void link_to(const char *target, const char *fmt, ...) {
        char p[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(p, sizeof p, fmt, ap);
        va_end(ap);
        if (symlink(target, p) < 0) {
                perror(p);
                exit(1);
        }
}

static void add_block(unsigned id, unsigned node, const char *state, const char *zones) {
        char v[32];

        mkdirs("%s/sys/devices/system/memory/memory%u", root, id);
        put(state, "%s/sys/devices/system/memory/memory%u/state", root, id);
        put(zones, "%s/sys/devices/system/memory/memory%u/valid_zones", root, id);
        snprintf(v, sizeof v, "%x", id);
        put(v, "%s/sys/devices/system/memory/memory%u/phys_index", root, id);
        put("1", "%s/sys/devices/system/memory/memory%u/removable", root, id);
        link_to("../../node/node0", "%s/sys/devices/system/memory/memory%u/node%u", root, id, node);
}

static void build_tree(unsigned devices, unsigned blocks_per_device) {
        unsigned id = 0;
        char v[64];

        snprintf(root, sizeof root, "/tmp/spm-bench-XXXXXX");
        if (!mkdtemp(root)) {
                perror("mkdtemp");
                exit(1);
        }

        mkdirs("%s/sys/devices/system/node", root);
        snprintf(v, sizeof v, "0-%u", NODES + devices - 1);
        put(v, "%s/sys/devices/system/node/possible", root);
        put(v, "%s/sys/devices/system/node/online", root);
        put(v, "%s/sys/devices/system/node/has_memory", root);
        snprintf(v, sizeof v, "0-%u", NODES - 1);
        put(v, "%s/sys/devices/system/node/has_cpu", root);
        put(v, "%s/sys/devices/system/node/has_normal_memory", root);
        for (unsigned n = 0; n < NODES + devices; n++) {
                mkdirs("%s/sys/devices/system/node/node%u", root, n);
                put("Node 0 MemTotal: 1048576 kB", "%s/sys/devices/system/node/node%u/meminfo", root, n);
                put("10 20 20 20", "%s/sys/devices/system/node/node%u/distance", root, n);
                put(n < NODES ? "0" : "", "%s/sys/devices/system/node/node%u/cpulist", root, n);
        }

        mkdirs("%s/sys/devices/system/memory", root);
        put("8000000", "%s/sys/devices/system/memory/block_size_bytes", root);
        put("offline", "%s/sys/devices/system/memory/auto_online_blocks", root);
        for (unsigned n = 0; n < NODES; n++)
                for (unsigned b = 0; b < BOOT_BLOCKS_PER_NODE; b++)
                        add_block(id++, n, "online", "Normal");

        mkdirs("%s/sys/bus/dax/devices", root);
        mkdirs("%s/sys/bus/dax/drivers/kmem", root);
        for (unsigned d = 0; d < devices; d++) {
                unsigned first = id;
                char dev[256];

                snprintf(dev, sizeof dev, "devices/platform/hmem.%u/dax%u.0", d, d);
                mkdirs("%s/sys/%s/mapping0", root, dev);
                mkdirs("%s/sys/devices/platform/hmem.%u/dax_region", root, d);
                snprintf(v, sizeof v, "%u", d);
                put(v, "%s/sys/devices/platform/hmem.%u/dax_region/id", root, d);
                snprintf(v, sizeof v, "%u", NODES + d);
                put(v, "%s/sys/%s/target_node", root, dev);
                put("0", "%s/sys/%s/numa_node", root, dev);
                snprintf(v, sizeof v, "%llu", (unsigned long long) blocks_per_device * BLOCK_SIZE);
                put(v, "%s/sys/%s/size", root, dev);
                snprintf(v, sizeof v, "0x%llx", (unsigned long long) first * BLOCK_SIZE);
                put(v, "%s/sys/%s/resource", root, dev);
                put(v, "%s/sys/%s/mapping0/start", root, dev);
                snprintf(v, sizeof v, "0x%llx", (unsigned long long) (first + blocks_per_device) * BLOCK_SIZE - 1);
                put(v, "%s/sys/%s/mapping0/end", root, dev);
                put("0x0", "%s/sys/%s/mapping0/page_offset", root, dev);
                put("2097152", "%s/sys/%s/align", root, dev);
                put("0", "%s/sys/%s/memmap_on_memory", root, dev);
                put("dax:t0", "%s/sys/%s/modalias", root, dev);
                put("1", "%s/sys/%s/spm_node", root, dev);
                put("online_movable", "%s/sys/%s/state", root, dev);
                link_to("../../../../bus/dax/drivers/kmem", "%s/sys/%s/driver", root, dev);
                snprintf(dev, sizeof dev, "../../../devices/platform/hmem.%u/dax%u.0", d, d);
                link_to(dev, "%s/sys/bus/dax/devices/dax%u.0", root, d);

                for (unsigned b = 0; b < blocks_per_device; b++)
                        add_block(id++, NODES + d, "online", "Movable");
        }
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p);
}

static unsigned long long now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (unsigned long long) ts.tv_sec * 1000000000ULL + (unsigned long long) ts.tv_nsec;
}

/* The floor: read every block's state, nothing else. */
static unsigned floor_read(unsigned n_blocks) {
        unsigned online = 0;

        for (unsigned i = 0; i < n_blocks; i++) {
                char p[256], buf[32];
                ssize_t k;
                int fd;

                snprintf(p, sizeof p, "%s/sys/devices/system/memory/memory%u/state", root, i);
                fd = open(p, O_RDONLY | O_CLOEXEC);
                if (fd < 0)
                        continue;
                k = read(fd, buf, sizeof buf);
                close(fd);
                if (k >= 6 && memcmp(buf, "online", 6) == 0)
                        online++;
        }
        return online;
}

static int cmp_ull(const void *a, const void *b) {
        unsigned long long x = *(const unsigned long long *) a, y = *(const unsigned long long *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char *argv[]) {
        unsigned devices = argc > 1 ? (unsigned) atoi(argv[1]) : 8;
        unsigned per_device = argc > 2 ? (unsigned) atoi(argv[2]) : 256;
        unsigned reps = argc > 3 ? (unsigned) atoi(argv[3]) : 15;
        unsigned n_blocks = NODES * BOOT_BLOCKS_PER_NODE + devices * per_device;
        unsigned long long *tf, *ts;
        char sys[128];

        if (devices == 0 || per_device == 0 || reps == 0 || reps > 1000) {
                fprintf(stderr, "usage: bench-snapshot [DEVICES [BLOCKS_PER_DEVICE [REPS]]]\n");
                return 2;
        }

        build_tree(devices, per_device);
        snprintf(sys, sizeof sys, "%s/sys", root);
        tf = calloc(reps, sizeof *tf);
        ts = calloc(reps, sizeof *ts);

        /* warm the dentry cache once for both */
        floor_read(n_blocks);
        {
                spm_topology *t = NULL;
                if (spm_topology_load_from(sys, &t) < 0 || t->n_blocks != n_blocks) {
                        fprintf(stderr, "snapshot of the synthetic tree is wrong\n");
                        return 1;
                }
                spm_topology_free(t);
        }

        for (unsigned r = 0; r < reps; r++) {
                unsigned long long a = now_ns();
                spm_topology *t = NULL;

                floor_read(n_blocks);
                tf[r] = now_ns() - a;

                a = now_ns();
                if (spm_topology_load_from(sys, &t) < 0)
                        return 1;
                ts[r] = now_ns() - a;
                spm_topology_free(t);
        }

        qsort(tf, reps, sizeof *tf, cmp_ull);
        qsort(ts, reps, sizeof *ts, cmp_ull);

        printf("topology snapshot: %u nodes, %u dax devices, %u memory blocks, %u runs (interleaved)\n",
               NODES + devices, devices, n_blocks, reps);
        printf("%-10s %10s %10s %10s %12s\n", "method", "min ms", "median ms", "max ms", "median/floor");
        printf("%-10s %10.2f %10.2f %10.2f %12.2f\n", "floor", tf[0] / 1e6, tf[reps / 2] / 1e6, tf[reps - 1] / 1e6, 1.0);
        printf("%-10s %10.2f %10.2f %10.2f %12.2f\n", "snapshot", ts[0] / 1e6, ts[reps / 2] / 1e6,
               ts[reps - 1] / 1e6, (double) ts[reps / 2] / (double) tf[reps / 2]);
        printf("per block: floor %.1f us, snapshot %.1f us\n", tf[reps / 2] / 1e3 / n_blocks,
               ts[reps / 2] / 1e3 / n_blocks);

        nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(tf);
        free(ts);
        return 0;
}
