/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "cgroup-tree.h"
#include "macro.h"
#include "paths.h"
#include "strutil.h"

/* Deep enough for any real hierarchy, and a stop for loops in a fixture. */
#define MAX_DEPTH 64

bool spm_cgroup_name_is_unit(const char *name) {
        return endswith(name, ".slice") || endswith(name, ".service") || endswith(name, ".scope");
}

spm_nodemask spm_cgroup_effective(const spm_nodemask *mems, const spm_nodemask *parent_effective) {
        spm_nodemask e;

        if (spm_nodemask_is_empty(mems))
                return *parent_effective;
        e = spm_nodemask_and(mems, parent_effective);
        return spm_nodemask_is_empty(&e) ? *parent_effective : e;
}

static int append(spm_cgroup_tree *t, int parent, char *path, const spm_cpuset *cs) {
        spm_cgroup *a = reallocarray(t->cgroups, t->n + 1, sizeof *a);
        spm_cpuset *files = malloc(sizeof *files);
        spm_cgroup *g;

        if (a)
                t->cgroups = a;
        if (!a || !files) {
                free(files);
                free(path);
                return -ENOMEM;
        }
        *files = cs ? *cs : (spm_cpuset) {};
        g = &a[t->n];
        *g = (spm_cgroup) {
                .path = path,
                .parent = parent,
                .depth = parent < 0 ? 0 : a[parent].depth + 1,
                .has_cpuset = cs != NULL,
                .cpuset = files,
        };
        g->name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        g->is_unit = spm_cgroup_name_is_unit(g->name);
        if (parent < 0 && t->n > 0)
                return -EINVAL;
        return (int) t->n++;
}

int spm_cgroup_tree_new(const spm_cpuset *root, spm_cgroup_tree **ret) {
        spm_cgroup_tree *t = calloc(1, sizeof *t);
        char *path = strdup("");
        int r;

        if (!t || !path) {
                free(t);
                free(path);
                return -ENOMEM;
        }
        r = append(t, -1, path, root);
        if (r < 0) {
                spm_cgroup_tree_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

int spm_cgroup_tree_add(spm_cgroup_tree *t, int parent, const char *name, const spm_cpuset *cs) {
        char *path;

        if (parent < 0 || (size_t) parent >= t->n || !*name || strchr(name, '/'))
                return -EINVAL;
        if (t->cgroups[parent].path[0] ? asprintf(&path, "%s/%s", t->cgroups[parent].path, name) < 0
                                       : !(path = strdup(name)))
                return -ENOMEM;
        if (parent == 0 && streq(name, "init.scope"))
                t->systemd = true;
        return append(t, parent, path, cs);
}

void spm_cgroup_plan_memo_free(spm_cgroup_plan_memo *m) {
        if (!m)
                return;
        strv_free(m->pool_names);
        free(m->pool_nodes);
        free(m);
}

spm_cgroup_tree *spm_cgroup_tree_free(spm_cgroup_tree *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                free(t->cgroups[i].path);
                free(t->cgroups[i].cpuset);
        }
        free(t->cgroups);
        spm_cgroup_plan_memo_free(t->memo);
        free(t->plan_scratch);
        return mfree(t);
}

int spm_cgroup_tree_find(const spm_cgroup_tree *t, const char *path) {
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->cgroups[i].path, path))
                        return (int) i;
        return -ENOENT;
}

bool spm_cgroup_in_delegated_subtree(const spm_cgroup_tree *t, int i) {
        for (int p = t->cgroups[i].parent; p >= 0; p = t->cgroups[p].parent)
                if (t->cgroups[p].delegated)
                        return true;
        return false;
}

static bool has_delegate_xattr(int fd) {
        char v[8];

        /* systemd sets one of these on cgroups it delegated; the value
         * does not matter, absence is the normal case */
        return fgetxattr(fd, "trusted.delegate", v, sizeof v) >= 0 ||
                fgetxattr(fd, "user.delegate", v, sizeof v) >= 0;
}

static int read_one(spm_cgroup_tree *t, int fd, int index) {
        spm_cpuset cs;
        int r;

        r = spm_cpuset_read_at(fd, &cs);
        if (r >= 0) {
                t->cgroups[index].has_cpuset = true;
                *t->cgroups[index].cpuset = cs;
        } else if (r == -ENOMEM)
                return r;
        /* gone, no cpuset controller or unreadable: no cpuset for it */
        t->cgroups[index].delegated = has_delegate_xattr(fd);
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strverscmp_simple(*(char * const *) a, *(char * const *) b);
}

int spm_cgroup_subdirs_at(int dirfd, char ***ret) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_closedir_ DIR *d = NULL;
        int r;

        r = opendir_at(dirfd, ".", &d);
        if (r < 0)
                return r;
        for (;;) {
                struct dirent *de;
                struct stat st;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return negative_errno();
                        break;
                }
                if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
                        continue;
                if (de->d_type == DT_UNKNOWN) {
                        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
                                continue;
                } else if (de->d_type != DT_DIR)
                        continue;
                r = strv_extend(&l, de->d_name);
                if (r < 0)
                        return r;
        }
        if (l)
                qsort(l, strv_length(l), sizeof(char *), cmp_names);
        *ret = TAKE_PTR(l);     /* NULL: none */
        return 0;
}

static int walk(spm_cgroup_tree *t, int dirfd, int index) {
        _cleanup_strv_free_ char **names = NULL;
        int r;

        if (t->cgroups[index].depth >= MAX_DEPTH)
                return 0;
        r = spm_cgroup_subdirs_at(dirfd, &names);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;   /* removed while we looked */

        for (char **n = names; n && *n; n++) {
                _cleanup_close_ int fd = -EBADF;
                int child;

                /* (O_NOFOLLOW|O_DIRECTORY: a symlink or file is no cgroup) */
                fd = openat(dirfd, *n, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0)
                        continue;
                child = spm_cgroup_tree_add(t, index, *n, NULL);
                if (child < 0)
                        return child;
                if ((r = read_one(t, fd, child)) < 0 || (r = walk(t, fd, child)) < 0)
                        return r;
        }
        return 0;
}

static int load_from(const char *root, const spm_cpuset *root_cpuset, spm_cgroup_tree **ret) {
        _cleanup_(spm_cgroup_tree_freep) spm_cgroup_tree *t = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        r = spm_cgroup_tree_new(root_cpuset, &t);
        if (r < 0)
                return r;
        /* the root's files were read by the caller in this same pass */
        if (!root_cpuset && (r = read_one(t, fd, 0)) < 0)
                return r;
        if ((r = walk(t, fd, 0)) < 0)
                return r;
        *ret = TAKE_PTR(t);
        return 0;
}

int spm_cgroup_tree_load_from(const char *root, spm_cgroup_tree **ret) {
        return load_from(root, NULL, ret);
}

/* cgroup v1: the cpuset hierarchy has its own mount below the root, and
 * that is the tree whose masks matter. */
static int is_v1(const char *root, bool *ret) {
        _cleanup_free_ char *v1 = NULL, *probe = NULL;

        if (asprintf(&probe, "%s/cgroup.controllers", root) < 0 ||
            asprintf(&v1, "%s/cpuset", root) < 0)
                return -ENOMEM;
        *ret = access(probe, F_OK) < 0 && access(v1, F_OK) == 0;
        return 0;
}

int spm_cgroup_tree_load_with_root(const spm_cpuset *root_cpuset, spm_cgroup_tree **ret) {
        const char *root = spm_path(SPM_PATH_CGROUPFS);
        _cleanup_free_ char *v1 = NULL;
        bool legacy;
        int r;

        r = is_v1(root, &legacy);
        if (r < 0)
                return r;
        if (legacy) {
                /* the root cpuset the caller has is not this hierarchy's */
                if (asprintf(&v1, "%s/cpuset", root) < 0)
                        return -ENOMEM;
                r = load_from(v1, NULL, ret);
                if (r >= 0)
                        (*ret)->v1 = true;
                return r;
        }
        return load_from(root, root_cpuset, ret);
}

int spm_cgroup_tree_load(spm_cgroup_tree **ret) {
        return spm_cgroup_tree_load_with_root(NULL, ret);
}

char *spm_cgroup_tree_dir(const spm_cgroup_tree *t, const char *path) {
        const char *root = spm_path(SPM_PATH_CGROUPFS);
        char *s;

        if (asprintf(&s, "%s%s%s%s", root, t->v1 ? "/cpuset" : "", path[0] ? "/" : "", path) < 0)
                return NULL;
        return s;
}

int spm_cgroup_tree_append_from(spm_cgroup_tree *t, int parent, const char *name) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int k, r;

        if (parent < 0 || (size_t) parent >= t->n)
                return -EINVAL;
        dir = spm_cgroup_tree_dir(t, t->cgroups[parent].path);
        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return negative_errno();
        if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        {
                _cleanup_close_ int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

                if (child < 0)
                        return negative_errno();
                k = spm_cgroup_tree_add(t, parent, name, NULL);
                if (k < 0)
                        return k;
                if ((r = read_one(t, child, k)) < 0 || (r = walk(t, child, k)) < 0)
                        return r;
        }
        return k;
}

int spm_cgroup_tree_reread(spm_cgroup_tree *t, int i) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_close_ int fd = -EBADF;

        if (i < 0 || (size_t) i >= t->n)
                return -EINVAL;
        dir = spm_cgroup_tree_dir(t, t->cgroups[i].path);
        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        t->cgroups[i].has_cpuset = false;
        *t->cgroups[i].cpuset = (spm_cpuset) {};
        return read_one(t, fd, i);
}
