/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "dax-ops.h"
#include "macro.h"
#include "paths.h"

/* Open the sysfs root once per operation; every path below is relative. */
static int sysfs_fd(void) {
        int fd = open(spm_path(SPM_PATH_SYSFS), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        return fd < 0 ? negative_errno() : fd;
}

/* dax names are "daxR.I"; refuse anything that could walk elsewhere. */
static bool valid_name(const char *s, const char *prefix) {
        const char *p = startswith(s, prefix);

        if (!p || !*p || strlen(s) > 32)
                return false;
        for (; *p; p++)
                if (!((*p >= '0' && *p <= '9') || *p == '.'))
                        return false;
        return true;
}

static int driver_at(int sysfd, const char *dev, char **ret) {
        char p[96];
        int r;

        snprintf(p, sizeof p, "bus/dax/devices/%s/driver", dev);
        r = spm_readlink_basename_at(sysfd, p, ret);
        if (r == -ENOENT) {
                /* Unbound: no link. Tell that apart from a vanished device. */
                snprintf(p, sizeof p, "bus/dax/devices/%s", dev);
                if (!spm_attr_exists_at(sysfd, p))
                        return -ENODEV;
                *ret = NULL;
                return 0;
        }
        return r;
}

int spm_dax_current_driver(const char *dev, char **ret) {
        _cleanup_close_ int sysfd = -EBADF;

        if (!valid_name(dev, "dax"))
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;
        return driver_at(sysfd, dev, ret);
}

int spm_dax_bind(const char *dev, const char *driver) {
        _cleanup_close_ int sysfd = -EBADF;
        _cleanup_free_ char *cur = NULL;
        char p[96];
        int r, bind_r;

        if (!valid_name(dev, "dax") || !driver || !(streq(driver, "kmem") || streq(driver, "device_dax")))
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;

        /* a device that is gone must not leave its id in a driver's list */
        r = driver_at(sysfd, dev, &cur);
        if (r < 0)
                return r;
        if (cur)
                return streq(cur, driver) ? 0 : -EBUSY;

        /* new_id adds the id to the driver's list and attaches; it reports
         * success even when the probe fails, so judge by the link. Its
         * ENOENT is the driver not being loaded. */
        snprintf(p, sizeof p, "bus/dax/drivers/%s/new_id", driver);
        r = spm_attr_write_at(sysfd, p, dev);
        if (r == -ENOENT) {
                snprintf(p, sizeof p, "bus/dax/drivers/%s", driver);
                if (!spm_attr_exists_at(sysfd, p))
                        return -ENOENT;
        }
        if (r < 0 && r != -EEXIST)
                return r;
        r = driver_at(sysfd, dev, &cur);
        if (r < 0)
                return r;
        if (cur)
                return streq(cur, driver) ? 0 : -EBUSY;

        /* Not bound: run the probe again through bind to learn why. */
        snprintf(p, sizeof p, "bus/dax/drivers/%s/bind", driver);
        bind_r = spm_attr_write_at(sysfd, p, dev);

        r = driver_at(sysfd, dev, &cur);
        if (r < 0)
                return r;
        if (cur)
                return streq(cur, driver) ? 0 : -EBUSY;
        return bind_r < 0 ? bind_r : -EIO;
}

/*
 * Is any memory block inside the device's ranges not offline? Read from the
 * kernel now, block by block (memoryN covers [N*bs, (N+1)*bs)), rather than
 * trusting a snapshot that may predate the last bind.
 */
static int any_block_online(int sysfd, const spm_dax_device *d) {
        uint64_t bs;
        int r;

        r = spm_attr_read_hex_at(sysfd, "devices/system/memory/block_size_bytes", &bs);
        if (r < 0)
                return r;
        if (bs == 0)
                return -EINVAL;

        for (size_t k = 0; k < d->n_ranges; k++) {
                uint64_t first = (d->ranges[k].start + bs - 1) / bs, last = (d->ranges[k].end + 1) / bs;

                for (uint64_t id = first; id < last; id++) {
                        _cleanup_free_ char *state = NULL;
                        char p[80];

                        snprintf(p, sizeof p, "devices/system/memory/memory%llu/state", (unsigned long long) id);
                        r = spm_attr_read_at(sysfd, p, &state);
                        if (r == -ENOENT)
                                continue;   /* not added (or already removed) */
                        if (r < 0)
                                return r;
                        if (!streq(state, "offline"))
                                return 1;
                }
        }
        return 0;
}

int spm_dax_unbind(const spm_dax_device *d) {
        _cleanup_close_ int sysfd = -EBADF;
        _cleanup_free_ char *cur = NULL;
        char p[96];
        int r;

        if (!d || !valid_name(d->name, "dax"))
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;

        r = driver_at(sysfd, d->name, &cur);
        if (r < 0)
                return r;
        if (!cur)
                return 0;

        if (streq(cur, "kmem")) {
                r = any_block_online(sysfd, d);
                if (r < 0)
                        return r;
                if (r > 0)
                        return -EBUSY;
        }

        /* remove_id first, or a driver with the id in its list grabs the
         * device again; removing an id that is not listed is harmless. */
        snprintf(p, sizeof p, "bus/dax/drivers/%s/remove_id", cur);
        (void) spm_attr_write_at(sysfd, p, d->name);

        snprintf(p, sizeof p, "bus/dax/drivers/%s/unbind", cur);
        r = spm_attr_write_at(sysfd, p, d->name);

        cur = mfree(cur);
        if (driver_at(sysfd, d->name, &cur) >= 0 && !cur)
                return 0;
        return r < 0 ? r : -EBUSY;
}

static int write_bool_attr(const char *dir, const char *name, const char *const attrs[], bool on) {
        _cleanup_close_ int sysfd = -EBADF;
        char p[128];
        int r;

        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;

        for (size_t i = 0; attrs[i]; i++) {
                snprintf(p, sizeof p, "%s/%s/%s", dir, name, attrs[i]);
                /* exactly "0"/"1": the kernel's kstrtobool takes "foo" as
                 * false (kernel-abi §15). No separate existence check: a
                 * missing file fails the write with ENOENT. */
                r = spm_attr_write_verify_at(sysfd, p, on ? "1" : "0", NULL);
                if (r == -ENOENT && !spm_attr_exists_at(sysfd, p))
                        continue;
                return r < 0 ? r : 0;
        }

        snprintf(p, sizeof p, "%s/%s", dir, name);
        return spm_attr_exists_at(sysfd, p) ? -EOPNOTSUPP : -ENODEV;
}

int spm_dax_set_spm(const char *dev, bool spm) {
        static const char *const attrs[] = { "spm_node", "protected_memory", NULL };

        if (!valid_name(dev, "dax"))
                return -EINVAL;
        return write_bool_attr("bus/dax/devices", dev, attrs, spm);
}

int spm_cxl_region_set_spm(const char *region, bool spm) {
        static const char *const attrs[] = { "spm_node", "protected_memory", NULL };

        if (!valid_name(region, "region"))
                return -EINVAL;
        return write_bool_attr("bus/cxl/devices", region, attrs, spm);
}

/* Read-back equality for the whole-device attribute: "unplug" (v2/v3
 * write word) reads back as "unplugged". */
static bool state_equal(const char *wanted, const char *current) {
        if (streq(wanted, "unplug"))
                return streq(current, "unplugged");
        return streq(wanted, current);
}

int spm_dax_set_state(const char *dev, const char *attr, spm_online_type want) {
        _cleanup_close_ int sysfd = -EBADF;
        _cleanup_free_ char *cur = NULL;
        const char *word;
        char p[96];
        int r;

        if (!dev || !valid_name(dev, "dax") || !attr || !(streq(attr, "state") || streq(attr, "hotplug")) ||
            want < 0 || want >= _SPM_ONLINE_TYPE_MAX)
                return -EINVAL;

        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;

        word = want == SPM_ONLINE_OFFLINE ? "unplugged" : spm_online_type_to_string(want);
        snprintf(p, sizeof p, "bus/dax/devices/%s/%s", dev, attr);

        r = spm_attr_read_at(sysfd, p, &cur);
        if (r == -ENOENT)
                return -EOPNOTSUPP;
        if (r >= 0 && streq(cur, word))
                return 1;

        r = spm_attr_write_verify_at(sysfd, p, word, state_equal);
        /* hotplug v2/v3 only know the verb "unplug" */
        if (r == -EINVAL && want == SPM_ONLINE_OFFLINE && streq(attr, "hotplug"))
                r = spm_attr_write_verify_at(sysfd, p, "unplug", state_equal);
        return r;
}

int spm_dax_set_memmap(const char *dev, bool on) {
        static const char *const attrs[] = { "memmap_on_memory", NULL };

        if (!valid_name(dev, "dax"))
                return -EINVAL;
        return write_bool_attr("bus/dax/devices", dev, attrs, on);
}

int spm_cxl_region_bind(const char *region) {
        _cleanup_close_ int sysfd = -EBADF;
        _cleanup_free_ char *cur = NULL;
        char p[96];
        int r, w;

        if (!valid_name(region, "region"))
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;

        snprintf(p, sizeof p, "bus/cxl/devices/%s/driver", region);
        if (spm_readlink_basename_at(sysfd, p, &cur) >= 0)
                return streq(cur, "cxl_region") ? 1 : -EBUSY;

        w = spm_attr_write_at(sysfd, "bus/cxl/drivers/cxl_region/bind", region);
        r = spm_readlink_basename_at(sysfd, p, &cur);
        if (r >= 0)
                return streq(cur, "cxl_region") ? 0 : -EBUSY;
        return w < 0 ? w : -EIO;
}

bool spm_zone_matches(const char *valid_zones, spm_online_type type) {
        if (!valid_zones)
                return false;
        switch (type) {
        case SPM_ONLINE_MOVABLE:
                return streq(valid_zones, "Movable");
        case SPM_ONLINE_KERNEL:
                return streq(valid_zones, "Normal");
        case SPM_ONLINE_ONLINE:
                /* the kernel's zone policy decides; "none" means the block
                 * spans zones, which is never what anyone asked for */
                return !streq(valid_zones, "none") && *valid_zones;
        default:
                return false;
        }
}

int spm_memblock_set_state_at(int sysfd, unsigned block, spm_online_type want) {
        _cleanup_free_ char *state = NULL, *zones = NULL;
        const char *word = spm_online_type_to_string(want);
        char p[96];
        int r, write_r;

        if (!word)
                return -EINVAL;

        snprintf(p, sizeof p, "devices/system/memory/memory%u/state", block);
        write_r = spm_attr_write_at(sysfd, p, word);
        if (write_r == -ENOENT)
                return write_r;

        /* Whatever the write said, the block's state now decides. */
        r = spm_attr_read_at(sysfd, p, &state);
        if (r < 0)
                return write_r < 0 ? write_r : r;

        if (want == SPM_ONLINE_OFFLINE) {
                if (streq(state, "offline"))
                        return write_r < 0 ? 1 : 0;
                return write_r < 0 ? write_r : -EBUSY;
        }

        if (!streq(state, "online"))
                return write_r < 0 ? write_r : -EIO;

        snprintf(p, sizeof p, "devices/system/memory/memory%u/valid_zones", block);
        r = spm_attr_read_at(sysfd, p, &zones);
        if (r < 0)
                return r;
        if (!spm_zone_matches(zones, want))
                return SPM_ERR_ZONE_MISMATCH;

        /* EINVAL from the kernel here means "already online" */
        return write_r < 0 ? 1 : 0;
}

int spm_memblock_set_state(unsigned block, spm_online_type want) {
        _cleanup_close_ int sysfd = -EBADF;

        if (!spm_online_type_to_string(want))
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;
        return spm_memblock_set_state_at(sysfd, block, want);
}

int spm_memory_set_auto_online(spm_online_type type) {
        _cleanup_close_ int sysfd = -EBADF;
        const char *word = spm_online_type_to_string(type);
        int r;

        if (!word)
                return -EINVAL;
        sysfd = sysfs_fd();
        if (sysfd < 0)
                return sysfd;
        r = spm_attr_write_verify_at(sysfd, "devices/system/memory/auto_online_blocks", word, NULL);
        return r < 0 ? r : 0;
}
