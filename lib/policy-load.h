/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Finding and loading the policy files.
 *
 * Files named *.conf are read from spm_path(SPM_PATH_POLICY_ETC) (/etc/spm.d),
 * spm_path(SPM_PATH_POLICY_RUN) (/run/spm.d) and spm_path(SPM_PATH_POLICY_LIB)
 * (/usr/lib/spm.d). A file in an earlier directory replaces the file of the
 * same name in a later one; a symlink to /dev/null masks the
 * name entirely. The surviving files are read in the
 * order of their names, whatever directory they came from.
 */

#include "policy.h"

/* The files to read, in order, as paths. dirs is NULL-terminated; NULL
 * means the three default directories. Missing directories are fine. */
int spm_policy_list_files(char *const *dirs, char ***ret);

/*
 * Parse and check a set of files into a new policy. Each entry of paths may
 * be a file or a directory (whose *.conf files are read in name order).
 * When paths is NULL the default search path is used. Diagnostics go to d.
 * Returns 0 with *ret set when the policy has no errors, -EINVAL when it
 * has (*ret untouched: the caller keeps its last good policy), or another
 * -errno.
 */
int spm_policy_load(char *const *paths, spm_policy **ret, spm_diags *d);
