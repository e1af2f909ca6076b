/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Every base directory spmd touches comes from here, so tests, the
 * simulated kernel and the demo can point the whole program elsewhere with
 * environment variables. Nothing else in the tree hard-codes /sys, /proc or
 * /etc/spm.d.
 *
 *   kind                 default            override
 *   SPM_PATH_SYSFS       /sys               $SPM_SYSFS_ROOT
 *   SPM_PATH_CGROUPFS    <sysfs>/fs/cgroup  $SPM_CGROUP_ROOT
 *   SPM_PATH_PROCFS      /proc              $SPM_PROC_ROOT
 *   SPM_PATH_POLICY_ETC  /etc/spm.d         $SPM_POLICY_ETC_DIR
 *   SPM_PATH_POLICY_RUN  /run/spm.d         $SPM_POLICY_RUN_DIR
 *   SPM_PATH_POLICY_LIB  /usr/lib/spm.d     $SPM_POLICY_LIB_DIR
 *   SPM_PATH_RUNTIME     /run/spmd          $RUNTIME_DIRECTORY (systemd), $SPM_RUNTIME_DIR
 *   SPM_PATH_STATE       /var/lib/spmd      $STATE_DIRECTORY (systemd), $SPM_STATE_DIR
 *
 * RUNTIME_DIRECTORY/STATE_DIRECTORY may hold a colon-separated list (several
 * directories in the unit); the first entry is used.
 */

#include <stdbool.h>

typedef enum spm_path_kind {
        SPM_PATH_SYSFS,
        SPM_PATH_CGROUPFS,
        SPM_PATH_PROCFS,
        SPM_PATH_POLICY_ETC,
        SPM_PATH_POLICY_RUN,
        SPM_PATH_POLICY_LIB,
        SPM_PATH_RUNTIME,
        SPM_PATH_STATE,
        _SPM_PATH_MAX,
} spm_path_kind;

/* The directory for a kind, without trailing slash. Never NULL. The
 * environment is read once, on first use. */
const char *spm_path(spm_path_kind kind);

/* Name of the kind ("sysfs", "cgroupfs", ...) for messages. */
const char *spm_path_kind_to_string(spm_path_kind kind);

/* True when the kind points somewhere other than its default. */
bool spm_path_is_overridden(spm_path_kind kind);

/* Forget the cached values, so the next spm_path() re-reads the
 * environment. For tests that change the environment between cases. */
void spm_paths_reset(void);

/* Join base directory of a kind and a relative path: "<base>/<fmt...>".
 * Returns NULL on out-of-memory. */
char *spm_path_join(spm_path_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
