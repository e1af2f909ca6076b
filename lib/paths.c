/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "paths.h"

static const struct {
        const char *name;
        const char *env[2];
        const char *fallback;
} table[_SPM_PATH_MAX] = {
        [SPM_PATH_SYSFS]      = { "sysfs",      { "SPM_SYSFS_ROOT" },                     "/sys" },
        [SPM_PATH_CGROUPFS]   = { "cgroupfs",   { "SPM_CGROUP_ROOT" },                    NULL /* <sysfs>/fs/cgroup */ },
        [SPM_PATH_PROCFS]     = { "procfs",     { "SPM_PROC_ROOT" },                      "/proc" },
        [SPM_PATH_POLICY_ETC] = { "policy-etc", { "SPM_POLICY_ETC_DIR" },                 "/etc/spm.d" },
        [SPM_PATH_POLICY_RUN] = { "policy-run", { "SPM_POLICY_RUN_DIR" },                 "/run/spm.d" },
        [SPM_PATH_POLICY_LIB] = { "policy-lib", { "SPM_POLICY_LIB_DIR" },                 "/usr/lib/spm.d" },
        [SPM_PATH_RUNTIME]    = { "runtime",    { "RUNTIME_DIRECTORY", "SPM_RUNTIME_DIR" }, "/run/spmd" },
        [SPM_PATH_STATE]      = { "state",      { "STATE_DIRECTORY", "SPM_STATE_DIR" },     "/var/lib/spmd" },
};

static char *cache[_SPM_PATH_MAX];
static bool overridden[_SPM_PATH_MAX];

/* Copy the first entry of a colon-separated list, without trailing slashes
 * (but keep "/" itself). */
static char *normalize(const char *v) {
        size_t n = strcspn(v, ":");
        char *s;

        while (n > 1 && v[n - 1] == '/')
                n--;
        s = strndup(v, n);
        return s;
}

static const char *resolve(spm_path_kind kind) {
        const char *v = NULL;

        for (size_t i = 0; i < ELEMENTSOF(table[kind].env) && table[kind].env[i]; i++) {
                v = secure_getenv(table[kind].env[i]);
                if (v && *v)
                        break;
                v = NULL;
        }

        if (v) {
                cache[kind] = normalize(v);
                overridden[kind] = true;
        } else if (kind == SPM_PATH_CGROUPFS) {
                const char *sys = spm_path(SPM_PATH_SYSFS);
                if (asprintf(&cache[kind], "%s/fs/cgroup", streq(sys, "/") ? "" : sys) < 0)
                        cache[kind] = NULL;
                overridden[kind] = overridden[SPM_PATH_SYSFS];
        } else
                cache[kind] = strdup(table[kind].fallback);

        /* Out of memory this early: fall back to the static default rather
         * than returning NULL to callers that cannot handle it. */
        return cache[kind] ?: (table[kind].fallback ?: "/sys/fs/cgroup");
}

const char *spm_path(spm_path_kind kind) {
        if (kind < 0 || kind >= _SPM_PATH_MAX)
                return "/nonexistent";
        return cache[kind] ?: resolve(kind);
}

const char *spm_path_kind_to_string(spm_path_kind kind) {
        if (kind < 0 || kind >= _SPM_PATH_MAX)
                return NULL;
        return table[kind].name;
}

bool spm_path_is_overridden(spm_path_kind kind) {
        (void) spm_path(kind);
        return kind >= 0 && kind < _SPM_PATH_MAX && overridden[kind];
}

void spm_paths_reset(void) {
        for (size_t i = 0; i < _SPM_PATH_MAX; i++) {
                cache[i] = mfree(cache[i]);
                overridden[i] = false;
        }
}

char *spm_path_join(spm_path_kind kind, const char *fmt, ...) {
        _cleanup_free_ char *rel = NULL;
        char *s = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&rel, fmt, ap);
        va_end(ap);
        if (r < 0)
                return NULL;

        if (asprintf(&s, "%s/%s", spm_path(kind), rel[0] == '/' ? rel + 1 : rel) < 0)
                return NULL;
        return s;
}
