/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>

#include "attr.h"
#include "cpuset.h"
#include "macro.h"
#include "paths.h"

/* Read the first of the names that exists. -ENOENT when none does. */
static int read_first(int dirfd, const char *const names[], spm_nodemask *ret, bool *ret_present) {
        int r = -ENOENT;

        for (size_t i = 0; names[i]; i++) {
                r = spm_attr_read_nodemask_at(dirfd, names[i], ret);
                if (r != -ENOENT)
                        break;
        }

        *ret_present = r >= 0;
        if (r < 0)
                *ret = SPM_NODEMASK_EMPTY;
        /* A node beyond SPM_MAX_NODES or a NUL byte is as much "not a node
         * list" as any other garbage: one errno for all of it. */
        if (IN_SET(r, -ERANGE, -EBADMSG))
                return -EINVAL;
        return r == -ENOENT ? 0 : r;
}

int spm_cpuset_read_at(int dirfd, spm_cpuset *ret) {
        static const char *const mems[] = { "cpuset.mems", NULL };
        static const char *const effective[] = { "cpuset.mems.effective", "cpuset.effective_mems", NULL };
        static const char *const sysram[] = { "cpuset.mems.sysram", "cpuset.mems_sysram", NULL };
        static const char *const mems_default[] = { "cpuset.mems.default", "cpuset.mems_default", NULL };
        spm_cpuset c = {};
        int r;

        if ((r = read_first(dirfd, mems, &c.mems, &c.mems_present)) < 0 ||
            (r = read_first(dirfd, effective, &c.effective, &c.effective_present)) < 0 ||
            (r = read_first(dirfd, sysram, &c.sysram, &c.sysram_present)) < 0 ||
            (r = read_first(dirfd, mems_default, &c.mems_default, &c.mems_default_present)) < 0)
                return r;

        if (!c.mems_present && !c.effective_present) {
                /* No cpuset files: the cgroup is gone, or cpuset is not
                 * enabled for it. Tell the two apart. */
                if (!spm_attr_exists_at(dirfd, "cgroup.procs") && !spm_attr_exists_at(dirfd, "tasks"))
                        return -ENOENT;
                return -ENOMEDIUM;
        }

        *ret = c;
        return 0;
}

int spm_cpuset_read(const char *cgroup, spm_cpuset *ret) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_free_ char *path = NULL;

        path = spm_path_join(SPM_PATH_CGROUPFS, "%s", cgroup);
        if (!path)
                return -ENOMEM;

        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();

        return spm_cpuset_read_at(fd, ret);
}
