/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Scope of a scoped re-read, built from uevents (lib/topology-patch.h).
 * The input is a list of "subsystem\0sysname\0" pairs, as a burst of
 * uevents would bring them. Whatever the names, a scope must only ever
 * hold names that are safe to join to a sysfs path (daxR.I, regionN: no
 * '/', no "..") and block ids that came from "memoryN"; anything else must
 * have set full, so the caller reads everything.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "topology-patch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool safe_name(const char *s, const char *prefix) {
        size_t n = strlen(prefix);

        if (strncmp(s, prefix, n) != 0 || !s[n])
                return false;
        return strspn(s + n, "0123456789.") == strlen(s + n) && !strstr(s, "..") && !strchr(s, '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        spm_topology_scope scope = {};
        char *buf;
        const char *p, *end;

        if (size > 4096)
                return 0;
        buf = malloc(size + 2);
        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = buf[size + 1] = 0;

        /* pairs of NUL-terminated strings; a lone last string has an
         * empty sysname, and a NULL sysname is tried once too */
        p = buf;
        end = buf + size;
        while (p < end) {
                const char *subsystem = p, *sysname = p + strlen(p) + 1;

                if (sysname > end)
                        sysname = buf + size + 1;
                (void) spm_topology_scope_add_uevent(&scope, subsystem, sysname);
                p = sysname + strlen(sysname) + 1;
        }
        (void) spm_topology_scope_add_uevent(&scope, "dax", NULL);

        if (!scope.full)
                abort();    /* the NULL sysname above must set full */
        for (char **d = scope.dax; d && *d; d++)
                if (!safe_name(*d, "dax"))
                        abort();
        for (char **r = scope.regions; r && *r; r++)
                if (!safe_name(*r, "region"))
                        abort();
        for (size_t i = 0; i + 1 < scope.n_blocks; i++)
                for (size_t j = i + 1; j < scope.n_blocks; j++)
                        if (scope.blocks[i] == scope.blocks[j])
                                abort();    /* ids are kept unique */

        spm_topology_scope_clear(&scope);
        free(buf);
        return 0;
}
