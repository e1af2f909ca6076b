/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* dax devices (bus/dax/devices) and CXL regions (bus/cxl/devices). */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "macro.h"
#include "strutil.h"
#include "topology-internal.h"

/* "regionN" followed by digits only */
static bool is_numbered(const char *s, const char *prefix) {
        const char *p = startswith(s, prefix);

        if (!p || !*p)
                return false;
        for (; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

/* realpath(3) of sysfs_root/rel. */
static int resolve_slow(const char *sysfs_root, const char *rel, char **ret) {
        _cleanup_free_ char *full = NULL;
        char buf[PATH_MAX];

        if (asprintf(&full, "%s/%s", sysfs_root, rel) < 0)
                return -ENOMEM;
        if (!realpath(full, buf))
                return negative_errno();
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

/*
 * The resolved device path. bus/{dax,cxl}/devices/X is a relative link
 * into devices/, whose components are plain directories: the link's text
 * joined to its directory gives the same path as realpath(3), for one
 * readlink instead of a lookup per component (a dozen round trips through
 * sysfs, the most expensive part of reading one device). Anything else
 * goes through realpath(3).
 */
static int resolve(const char *sysfs_root, const char *rel, char **ret) {
        _cleanup_free_ char *full = NULL, *root = NULL, *joined = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        _cleanup_free_ const char **comp = NULL;
        char target[PATH_MAX], buf[PATH_MAX];
        const char *slash = strrchr(rel, '/');
        size_t n = 0, len;
        ssize_t k;
        int r;

        if (asprintf(&full, "%s/%s", sysfs_root, rel) < 0)
                return -ENOMEM;
        k = readlink(full, target, sizeof target - 1);
        if (k <= 0 || target[0] == '/' || !slash)
                return resolve_slow(sysfs_root, rel, ret);
        target[k] = 0;
        if (!realpath(sysfs_root, buf))
                return negative_errno();
        root = strdup(buf);
        if (!root || asprintf(&joined, "%.*s/%s", (int) (slash - rel), rel, target) < 0)
                return -ENOMEM;

        r = strv_split(joined, "/", &parts);
        if (r < 0)
                return r;
        comp = calloc(strv_length(parts) + 1, sizeof(char *));
        if (!comp)
                return -ENOMEM;
        for (char **i = parts; *i; i++) {
                if (streq(*i, "") || streq(*i, "."))
                        continue;
                if (streq(*i, "..")) {
                        if (n == 0)     /* above the sysfs root */
                                return resolve_slow(sysfs_root, rel, ret);
                        n--;
                        continue;
                }
                comp[n++] = *i;
        }

        len = strlen(root);
        for (size_t i = 0; i < n; i++)
                len += 1 + strlen(comp[i]);
        if (len >= PATH_MAX)
                return resolve_slow(sysfs_root, rel, ret);
        strcpy(buf, root);
        for (size_t i = 0; i < n; i++) {
                strcat(buf, "/");
                strcat(buf, comp[i]);
        }
        *ret = strdup(buf);
        return *ret ? 0 : -ENOMEM;
}

static spm_provider provider_from_path(const char *p) {
        _cleanup_strv_free_ char **parts = NULL;

        if (strv_split(p, "/", &parts) < 0)
                return SPM_PROVIDER_UNKNOWN;

        for (char **i = parts; *i; i++) {
                if (is_numbered(*i, "dax_region") && i > parts && is_numbered(i[-1], "region"))
                        return SPM_PROVIDER_CXL;
                if (is_numbered(*i, "hmem.") || startswith(*i, "hmem"))
                        return SPM_PROVIDER_HMEM;
                if (is_numbered(*i, "ndbus"))
                        return SPM_PROVIDER_PMEM;
        }
        return SPM_PROVIDER_UNKNOWN;
}

/* The CXL region a dax device sits under: ".../regionZ/dax_regionZ/daxZ.0" */
static int cxl_region_from_path(const char *p, char **ret) {
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        *ret = NULL;
        r = strv_split(p, "/", &parts);
        if (r < 0)
                return r;

        for (char **i = parts; *i; i++)
                if (is_numbered(*i, "dax_region") && i > parts && is_numbered(i[-1], "region")) {
                        *ret = strdup(i[-1]);
                        return *ret ? 0 : -ENOMEM;
                }
        return 0;
}

static int read_u64(int fd, const char *name, bool hex, spm_topology *t, uint64_t *ret, bool *ret_present) {
        int r;

        r = hex ? spm_attr_read_hex_at(fd, name, ret) : spm_attr_read_u64_at(fd, name, ret);
        if (ret_present)
                *ret_present = r >= 0;
        if (r < 0)
                *ret = 0;
        return topology_optional(t, r);
}

static int read_int(int fd, const char *name, spm_topology *t, int *ret) {
        int r;

        r = spm_attr_read_int_at(fd, name, ret);
        if (r < 0)
                *ret = -1;
        return topology_optional(t, r);
}

static int read_ranges(int fd, spm_topology *t, spm_dax_device *d) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list_at(fd, ".", "mapping", &names);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        d->ranges = calloc(strv_length(names) + 1, sizeof(spm_dax_range));
        if (!d->ranges)
                return -ENOMEM;

        for (char **i = names; *i; i++) {
                _cleanup_close_ int mfd = -EBADF;
                spm_dax_range *rg = &d->ranges[d->n_ranges];
                bool ok_s, ok_e, ok_o;

                if (!is_numbered(*i, "mapping"))
                        continue; /* "mapping" itself is the write-only resize file */

                mfd = openat(fd, *i, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (mfd < 0) {
                        r = topology_optional(t, negative_errno());
                        if (r < 0)
                                return r;
                        continue;
                }

                unsigned restricted = t->n_restricted;

                if ((r = read_u64(mfd, "start", true, t, &rg->start, &ok_s)) < 0 ||
                    (r = read_u64(mfd, "end", true, t, &rg->end, &ok_e)) < 0 ||
                    (r = read_u64(mfd, "page_offset", true, t, &rg->page_offset, &ok_o)) < 0)
                        return r;
                if (t->n_restricted > restricted)
                        d->ranges_restricted = true;

                /* A range is only usable with both ends, and end >= start. */
                if (!ok_s || !ok_e || rg->end < rg->start) {
                        if (ok_s && ok_e)
                                t->n_unreadable++;
                        continue;
                }
                d->n_ranges++;
        }

        /* Keep mappingN order (dir_list_at sorts mapping9 before
         * mapping10): it is the kernel's order of the device's ranges, in
         * which page_offset grows, and a range added when the device
         * grows can lie below the earlier ones. */
        return 0;
}

static int read_hotplug(int fd, spm_topology *t, spm_dax_device *d) {
        static const struct {
                const char *file;
                spm_dax_hotplug_attr attr;
        } files[] = {
                { "state",   SPM_DAX_HOTPLUG_STATE },
                { "hotplug", SPM_DAX_HOTPLUG_HOTPLUG },
        };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                if (!spm_attr_exists_at(fd, files[i].file))
                        continue;

                d->hotplug_attr = files[i].attr;
                r = topology_read_string(fd, files[i].file, t, &d->hotplug_raw);
                if (r < 0)
                        return r;
                d->hotplug_state = d->hotplug_raw ? spm_dax_state_from_string(d->hotplug_raw)
                                                  : SPM_DAX_STATE_UNKNOWN;
                if (d->hotplug_raw && d->hotplug_state == SPM_DAX_STATE_UNKNOWN &&
                    !streq(d->hotplug_raw, "unknown"))
                        t->n_unreadable++;
                return 0;
        }
        return 0;
}

/* 1 when read, 0 when the device went away between readdir and open. */
int topology_read_one_dax(int sysfd, const char *sysfs_root, const char *name, spm_topology *t, spm_dax_device *d) {
        _cleanup_free_ char *rel = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        *d = (spm_dax_device) {
                .region_id = -1,
                .target_node = -1,
                .numa_node = -1,
                .memmap_on_memory = -1,
                .spm_node = -1,
                .protected_memory = -1,
        };

        d->name = strdup(name);
        if (!d->name || asprintf(&rel, "bus/dax/devices/%s", name) < 0)
                return -ENOMEM;

        fd = openat(sysfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return topology_optional(t, negative_errno());

        r = resolve(sysfs_root, rel, &d->syspath);
        if (r == -ENOMEM)
                return r;
        if (d->syspath) {
                d->provider = provider_from_path(d->syspath);
                r = cxl_region_from_path(d->syspath, &d->cxl_region);
                if (r < 0)
                        return r;
        }

        if ((r = read_int(fd, "../dax_region/id", t, &d->region_id)) < 0 ||
            (r = read_int(fd, "target_node", t, &d->target_node)) < 0 ||
            (r = read_int(fd, "numa_node", t, &d->numa_node)) < 0 ||
            (r = read_u64(fd, "size", false, t, &d->size, NULL)) < 0 ||
            (r = read_u64(fd, "resource", true, t, &d->resource, &d->resource_present)) < 0 ||
            (r = read_u64(fd, "align", false, t, &d->align, NULL)) < 0 ||
            (r = topology_read_string(fd, "modalias", t, &d->modalias)) < 0)
                return r;

        d->memmap_on_memory = topology_read_flag(fd, "memmap_on_memory", t);
        d->spm_node = topology_read_flag(fd, "spm_node", t);
        d->protected_memory = topology_read_flag(fd, "protected_memory", t);

        /* The kernel hides target_node when it is negative; treat any
         * negative value it might show the same way. */
        if (d->target_node < 0)
                d->target_node = -1;

        r = spm_readlink_basename_at(fd, "driver", &d->driver);
        if (r == -ENOMEM)
                return r;
        /* A link that leads nowhere proves no binding. */
        if (d->driver && faccessat(fd, "driver", F_OK, 0) < 0) {
                d->driver = mfree(d->driver);
                t->n_unreadable++;
        }

        r = read_ranges(fd, t, d);
        if (r < 0)
                return r;

        r = read_hotplug(fd, t, d);
        return r < 0 ? r : 1;
}

int topology_cmp_dax(const void *a, const void *b) {
        const spm_dax_device *x = a, *y = b;
        return strverscmp_simple(x->name, y->name);
}

int topology_read_dax(int sysfd, const char *sysfs_root, spm_topology *t) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list_at(sysfd, "bus/dax/devices", "dax", &names);
        if (r < 0)
                return topology_optional(t, r);

        t->dax = calloc(strv_length(names) + 1, sizeof(spm_dax_device));
        if (!t->dax)
                return -ENOMEM;

        for (char **i = names; *i; i++) {
                /* daxR.I only; dax_regionN also lives on some buses */
                unsigned a, b;
                char tail;

                if (sscanf(*i, "dax%u.%u%c", &a, &b, &tail) != 2)
                        continue;

                r = topology_read_one_dax(sysfd, sysfs_root, *i, t, &t->dax[t->n_dax]);
                t->n_dax++; /* counted even on failure, so the free path sees it */
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Gone: only the name was filled in. Leave it out. */
                        t->n_dax--;
                        t->dax[t->n_dax].name = mfree(t->dax[t->n_dax].name);
                }
        }

        qsort(t->dax, t->n_dax, sizeof(spm_dax_device), topology_cmp_dax);
        return 0;
}

/*
 * The serial of the memdev behind an endpoint decoder. The kernel places an
 * endpoint port below its parent port (".../root0/port1/endpoint3/decoder3.0")
 * and links the memdev as the port's "uport"; a "memN" component in the
 * decoder's own path ("…/mem0/endpoint3/decoder3.0") is used when there is
 * no such link.
 */
static int memdev_serial(int sysfd, const char *sysfs_root, const char *decoder, spm_topology *t, char **ret) {
        _cleanup_free_ char *rel = NULL, *path = NULL, *uport = NULL, *mem = NULL;
        _cleanup_strv_free_ char **parts = NULL;
        int r;

        *ret = NULL;
        if (asprintf(&rel, "bus/cxl/devices/%s", decoder) < 0)
                return -ENOMEM;
        r = resolve(sysfs_root, rel, &path);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        if (asprintf(&uport, "%s/../uport", path) < 0)
                return -ENOMEM;
        r = spm_readlink_basename_at(AT_FDCWD, uport, &mem);
        if (r == -ENOMEM)
                return r;
        if (r >= 0 && is_numbered(mem, "mem")) {
                _cleanup_free_ char *serial = NULL;

                if (asprintf(&serial, "%s/serial", uport) < 0)
                        return -ENOMEM;
                return topology_read_string(AT_FDCWD, serial, t, ret);
        }

        r = strv_split(path, "/", &parts);
        if (r < 0)
                return r;

        for (size_t i = strv_length(parts); i > 0; i--)
                if (is_numbered(parts[i - 1], "mem")) {
                        _cleanup_free_ char *srel = NULL;

                        if (asprintf(&srel, "bus/cxl/devices/%s/serial", parts[i - 1]) < 0)
                                return -ENOMEM;
                        return topology_read_string(sysfd, srel, t, ret);
                }
        return 0;
}

static int find_region_dax(int fd, char **ret) {
        _cleanup_strv_free_ char **regions = NULL;
        int r;

        *ret = NULL;
        r = dir_list_at(fd, ".", "dax_region", &regions);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;

        for (char **i = regions; *i; i++) {
                _cleanup_strv_free_ char **devs = NULL;

                r = dir_list_at(fd, *i, "dax", &devs);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        continue;
                for (char **d = devs; *d; d++) {
                        unsigned a, b;
                        char tail;

                        if (sscanf(*d, "dax%u.%u%c", &a, &b, &tail) == 2) {
                                *ret = strdup(*d);
                                return *ret ? 0 : -ENOMEM;
                        }
                }
        }
        return 0;
}

/* 1 when read, 0 when the region went away between readdir and open. */
int topology_read_one_region(int sysfd, const char *sysfs_root, const char *name, spm_topology *t, spm_cxl_region *g) {
        _cleanup_free_ char *rel = NULL;
        _cleanup_strv_free_ char **entries = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        *g = (spm_cxl_region) { .spm_node = -1, .protected_memory = -1 };

        g->name = strdup(name);
        if (!g->name || asprintf(&rel, "bus/cxl/devices/%s", name) < 0)
                return -ENOMEM;

        fd = openat(sysfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return topology_optional(t, negative_errno());

        if ((r = topology_read_string(fd, "uuid", t, &g->uuid)) < 0 ||
            (r = topology_read_string(fd, "mode", t, &g->mode)) < 0 ||
            (r = read_u64(fd, "size", false, t, &g->size, NULL)) < 0 ||
            (r = read_u64(fd, "resource", true, t, &g->resource, &g->resource_present)) < 0 ||
            (r = topology_read_string(fd, "private_type", t, &g->private_type)) < 0)
                return r;

        g->spm_node = topology_read_flag(fd, "spm_node", t);
        g->protected_memory = topology_read_flag(fd, "protected_memory", t);

        r = spm_readlink_basename_at(fd, "driver", &g->driver);
        if (r == -ENOMEM)
                return r;

        g->targets = calloc(1, sizeof(char *));
        g->memdev_serials = calloc(1, sizeof(char *));
        if (!g->targets || !g->memdev_serials)
                return -ENOMEM;

        r = dir_list_at(fd, ".", "target", &entries);
        if (r == -ENOMEM)
                return r;
        if (r >= 0)
                for (char **i = entries; *i; i++) {
                        _cleanup_free_ char *decoder = NULL, *serial = NULL;

                        if (!is_numbered(*i, "target"))
                                continue;
                        r = topology_read_string(fd, *i, t, &decoder);
                        if (r < 0)
                                return r;
                        if (!decoder || !*decoder)
                                continue; /* unset target slot */
                        r = memdev_serial(sysfd, sysfs_root, decoder, t, &serial);
                        if (r < 0)
                                return r;
                        if ((r = strv_consume(&g->targets, TAKE_PTR(decoder))) < 0)
                                return r;
                        if (serial && (r = strv_consume(&g->memdev_serials, TAKE_PTR(serial))) < 0)
                                return r;
                }

        r = find_region_dax(fd, &g->dax_device);
        return r < 0 ? r : 1;
}

int topology_cmp_region(const void *a, const void *b) {
        const spm_cxl_region *x = a, *y = b;
        return strverscmp_simple(x->name, y->name);
}

int topology_read_cxl(int sysfd, const char *sysfs_root, spm_topology *t) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        r = dir_list_at(sysfd, "bus/cxl/devices", "region", &names);
        if (r < 0)
                return topology_optional(t, r);

        t->regions = calloc(strv_length(names) + 1, sizeof(spm_cxl_region));
        if (!t->regions)
                return -ENOMEM;

        for (char **i = names; *i; i++) {
                if (!is_numbered(*i, "region"))
                        continue;
                r = topology_read_one_region(sysfd, sysfs_root, *i, t, &t->regions[t->n_regions]);
                t->n_regions++;
                if (r < 0)
                        return r;
                if (r == 0) {
                        /* Gone: only the name was filled in. Leave it out. */
                        t->n_regions--;
                        t->regions[t->n_regions].name = mfree(t->regions[t->n_regions].name);
                }
        }

        qsort(t->regions, t->n_regions, sizeof(spm_cxl_region), topology_cmp_region);
        return 0;
}
