/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dax-ops.h"
#include "log.h"
#include "macro.h"
#include "spmd-device-ops.h"
#include "spmd-device-state.h"
#include "spmd-manager.h"

/* "memory40 memory41" for the blocks of d that are not offline now. */
static char *busy_blocks(const spm_topology *t, const spm_dax_device *d) {
        char *s = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; i < d->n_blocks; i++)
                if (t->blocks[d->blocks[i]].state != SPM_BLOCK_OFFLINE)
                        fprintf(f, "%smemory%u", ftell(f) > 0 ? " " : "", t->blocks[d->blocks[i]].id);
        if (fclose(f) != 0) {
                free(s);
                return NULL;
        }
        return s;
}

static int unplug_all(const spm_dax_device *d, const spm_topology *t) {
        int r = -EOPNOTSUPP;

        if (d->hotplug_attr != SPM_DAX_HOTPLUG_NONE)
                r = spm_dax_set_state(d->name, d->hotplug_attr == SPM_DAX_HOTPLUG_STATE ? "state" : "hotplug",
                                      SPM_ONLINE_OFFLINE);
        if (r >= 0)
                return 0;
        if (r != -EOPNOTSUPP && r != -EINVAL)
                return r;       /* the attribute's unplug is all or nothing; EBUSY: busy memory */
        /* Block by block is not atomic: on a refusal, put back online what
         * was taken offline here, in the zone it was in, so a failed
         * Offline() leaves the device as it found it. */
        for (size_t i = 0; i < d->n_blocks; i++) {
                r = spm_memblock_set_state(t->blocks[d->blocks[i]].id, SPM_ONLINE_OFFLINE);
                if (r >= 0)
                        continue;
                for (size_t k = 0; k < i; k++) {
                        const spm_memblock *b = &t->blocks[d->blocks[k]];
                        spm_online_type back = streq_ptr(b->valid_zones, "Movable") ? SPM_ONLINE_MOVABLE
                                                                                     : SPM_ONLINE_KERNEL;
                        int q;

                        if (b->state != SPM_BLOCK_ONLINE)
                                continue;
                        q = spm_memblock_set_state(b->id, back);
                        if (q < 0)
                                log_error_errno(q, "Failed to put block memory%u of '%s' back online: %m", b->id,
                                                d->name);
                }
                return r;
        }
        return 0;
}

int spmd_device_remove(manager *m, const char *dev, char **ret_reason) {
        _cleanup_(spm_topology_freep) spm_topology *t = NULL, *after = NULL;
        _cleanup_free_ char *why = NULL;
        const spm_dax_device *d;
        int r;

        r = spm_topology_load(&t);
        if (r < 0)
                return r;
        d = spm_topology_find_dax(t, dev);
        if (!d)
                return -ENODEV;
        if (!streq_ptr(d->driver, "kmem"))
                return 0;

        r = unplug_all(d, t);
        if (r < 0) {
                /* report which blocks hold it; no retry loop here */
                if (spm_topology_load(&after) >= 0 && (d = spm_topology_find_dax(after, dev)))
                        why = busy_blocks(after, d);
                if (asprintf(ret_reason, "unplug failed: %s%s%s", strerror(-r), why && *why ? "; still online: " : "",
                             strempty(why)) < 0)
                        *ret_reason = NULL;
                (void) spmd_device_state_set(m, dev, SPMD_DEVICE_ONLINE, *ret_reason);
                return r;
        }
        r = spm_topology_load(&after);
        if (r < 0)
                return r;
        d = spm_topology_find_dax(after, dev);
        if (!d)
                return -ENODEV;
        r = spm_dax_unbind(d);
        if (r < 0) {
                if (asprintf(ret_reason, "unbind failed: %s", strerror(-r)) < 0)
                        *ret_reason = NULL;
                return r;
        }
        (void) spmd_device_state_set(m, dev, SPMD_DEVICE_OFFLINE, "removed on request");
        return 0;
}
