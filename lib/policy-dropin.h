/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Runtime changes as drop-in policy files, the `systemctl set-property`
 * convention: a change made with spmctl (or over D-Bus) is written as one
 * small spm.d(5) file, under /etc/spm.d when it is to persist, under
 * /run/spm.d when it is for this boot only, and the policy is reloaded. The
 * files are named "90-spmctl-*.conf", so they sort after the usual
 * administrator files and win ties; deleting a file undoes its change.
 *
 * A device drop-in names the device by the strongest identity it has (CXL
 * region UUID, else memdev serials, plus its physical range and provider),
 * never by "daxX.Y", which can change between boots.
 */

#include <stdbool.h>

#include "nodemask.h"
#include "policy.h"
#include "topology.h"

typedef struct spm_dropin {
        char *file_name;            /* "90-spmctl-device-<id>.conf" */
        char *text;                 /* the whole file */
} spm_dropin;

void spm_dropin_done(spm_dropin *d);

/* A [Device] rule for d. pool is required for SPM_CLASS_SPM and must be
 * NULL otherwise; online may be SPM_ONLINE_INVALID (from the pool). */
int spm_dropin_for_device(const spm_topology *t, const spm_dax_device *d, spm_device_class cls, const char *pool,
                          spm_online_type online, const char *why, spm_dropin *ret);

/* A [Cgroup] rule for one cgroup path (unit false) or systemd unit name
 * (unit true), granting exactly pools (NULL or empty: none) with the given
 * SysRAM nodes. */
int spm_dropin_for_cgroup(const char *target, bool unit, char *const *pools, bool sysram_all,
                          const spm_nodemask *sysram, const char *why, spm_dropin *ret);

/* Write atomically into dir (created if missing): a temporary file, fsync,
 * rename. */
int spm_dropin_write(const char *dir, const spm_dropin *d);

/* Remove dir/file_name; -ENOENT when it was not there. */
int spm_dropin_remove(const char *dir, const char *file_name);

/* Escape fnmatch(3) metacharacters so a literal path matches only itself. */
char *spm_glob_escape(const char *s);
