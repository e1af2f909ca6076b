/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "cpuset.h"
#include "log.h"
#include "macro.h"
#include "paths.h"
#include "spmd-cgroups.h"
#include "spmd-manager.h"

/* Write <cgroup>/cpuset.mems. The cgroup may have gone away since the
 * snapshot (ENOENT): that is normal churn, not a failure. */
static int write_mems(const spm_action *a) {
        _cleanup_free_ char *path = NULL;
        char text[SPM_NODEMASK_STRLEN_MAX];
        int r;

        spm_nodemask_format_buf(&a->mask, text, sizeof text);
        path = spm_path_join(SPM_PATH_CGROUPFS, "%s/cpuset.mems", a->object);
        if (!path)
                return -ENOMEM;

        r = spm_attr_write_verify(path, text, spm_attr_equal_nodemask);
        if (r == -ENOENT) {
                log_debug("Cgroup '%s' went away before its mask was written, ignoring.", a->object);
                return 1;
        }
        return r;
}

/* Read back cpuset.mems.sysram and compare with what the policy means. A
 * mismatch is reported, never "fixed": the file is derived by the kernel. */
static int verify_sysram(const spm_action *a) {
        spm_cpuset cs;
        int r;

        r = spm_cpuset_read(a->object, &cs);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return r;
        if (!cs.sysram_present)
                return 1;
        if (!spm_nodemask_equal(&cs.sysram, &a->mask)) {
                char want[SPM_NODEMASK_STRLEN_MAX], got[SPM_NODEMASK_STRLEN_MAX];

                spm_nodemask_format_buf(&a->mask, want, sizeof want);
                spm_nodemask_format_buf(&cs.sysram, got, sizeof got);
                log_warning("Cgroup '%s' allocates from nodes '%s' by default, the policy means '%s' (%s).",
                            a->object[0] ? a->object : "/", got, want, strna(a->rule));
                return -EREMCHG;
        }
        return 1;
}

int spmd_cgroup_action_apply(manager *m, const spm_action *a) {
        char field[512];
        int r;

        snprintf(field, sizeof field, "SPM_CGROUP=/%s", a->object);

        switch (a->type) {
        case SPM_ACTION_CGROUP_MEMS:
                r = write_mems(a);
                break;
        case SPM_ACTION_VERIFY_SYSRAM:
                /* a mismatch is reported; later steps still run */
                r = verify_sysram(a);
                return r == -EREMCHG ? 1 : r;
        default:
                r = -EOPNOTSUPP;
        }

        if (r < 0)
                return log_struct_errno(LOG_ERR, r, LOG_FIELDS(field), "Failed to %s '/%s' to '%s': %m (%s)",
                                        spm_action_type_to_string(a->type), a->object, strempty(a->value),
                                        strna(a->rule));
        if (r == 0)
                log_struct(LOG_INFO, LOG_FIELDS(field), "Set cpuset.mems of '/%s' to '%s' (%s)", a->object,
                           strempty(a->value), strna(a->rule));
        return r;
}
