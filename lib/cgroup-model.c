/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-model.h"
#include "macro.h"
#include "strutil.h"

static uint64_t hash(const char *s) {
        uint64_t h = 0xcbf29ce484222325ULL;

        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 0x100000001b3ULL;
        return h;
}

static void slot_put(int *slots, size_t n_slots, const char *path, int index) {
        size_t k = (size_t) hash(path) & (n_slots - 1);

        while (slots[k] != 0)
                k = (k + 1) & (n_slots - 1);
        slots[k] = index + 1;
}

/* Size the index for the tree as it is now and fill it. */
static int reindex(spm_cgroup_model *m) {
        size_t n = 64;
        int *slots;

        while (n < 2 * m->tree->n + 2)
                n *= 2;
        slots = calloc(n, sizeof *slots);
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->tree->n; i++)
                slot_put(slots, n, m->tree->cgroups[i].path, (int) i);
        free(m->slots);
        m->slots = slots;
        m->n_slots = n;
        return 0;
}

/* Cgroups from index `from` on were appended: index them. */
static int index_appended(spm_cgroup_model *m, size_t from) {
        if (2 * m->tree->n + 2 > m->n_slots)
                return reindex(m);
        for (size_t i = from; i < m->tree->n; i++)
                slot_put(m->slots, m->n_slots, m->tree->cgroups[i].path, (int) i);
        return 0;
}

int spm_cgroup_model_new(spm_cgroup_tree *t, spm_cgroup_model **ret) {
        spm_cgroup_model *m;
        int r;

        if (!t || t->n == 0)
                return -EINVAL;
        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->tree = t;
        r = reindex(m);
        if (r < 0) {
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

spm_cgroup_model *spm_cgroup_model_free(spm_cgroup_model *m) {
        if (!m)
                return NULL;
        spm_cgroup_tree_free(m->tree);
        free(m->slots);
        return mfree(m);
}

int spm_cgroup_model_find(const spm_cgroup_model *m, const char *path) {
        size_t k = (size_t) hash(path) & (m->n_slots - 1);

        for (; m->slots[k] != 0; k = (k + 1) & (m->n_slots - 1))
                if (streq(m->tree->cgroups[m->slots[k] - 1].path, path))
                        return m->slots[k] - 1;
        return -ENOENT;
}

void spm_cgroup_model_set_mems(spm_cgroup_model *m, int i, const spm_nodemask *mems) {
        spm_cgroup *g;

        if (i < 0 || (size_t) i >= m->tree->n)
                return;
        g = &m->tree->cgroups[i];
        g->cpuset->mems = *mems;
        g->cpuset->mems_present = true;
        /* Written as the last plan meant it: the plan decided everything
         * below with this mask as the parent's, so nothing there decides
         * otherwise now (lib/planner.h). Any other mask (a bridge, on its
         * way to the target) is planned again with its subtree. */
        g->replan = !(g->planned && spm_nodemask_equal(mems, &g->planned_target));
}

int spm_cgroup_model_remove(spm_cgroup_model *m, int i) {
        spm_cgroup_tree *t = m->tree;
        _cleanup_free_ int *map = NULL;
        size_t n = 0;
        int parent;

        if (i <= 0 || (size_t) i >= t->n)
                return -EINVAL;
        parent = t->cgroups[i].parent;     /* before i: keeps its index */
        map = malloc(t->n * sizeof *map);
        if (!map)
                return -ENOMEM;
        /* parents come first, so one pass finds the whole subtree */
        for (size_t k = 0; k < t->n; k++) {
                spm_cgroup *g = &t->cgroups[k];

                if ((int) k == i || (k > (size_t) i && g->parent >= 0 && map[g->parent] < 0)) {
                        map[k] = -1;
                        free(g->path);
                        free(g->cpuset);
                        continue;
                }
                map[k] = (int) n;
                if (g->parent >= 0)
                        g->parent = map[g->parent];
                t->cgroups[n++] = *g;
        }
        t->n = n;
        /* the parent lost a child, and with it what the child's target
         * added to the parent's */
        if (parent >= 0)
                t->cgroups[parent].retarget = true;
        return reindex(m);
}

static const char *basename_of(const char *path) {
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}

static int parent_index(const spm_cgroup_model *m, const char *path) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *parent = NULL;

        if (!slash)
                return 0;
        parent = strndup(path, (size_t) (slash - path));
        if (!parent)
                return -ENOMEM;
        return spm_cgroup_model_find(m, parent);
}

int spm_cgroup_model_reread(spm_cgroup_model *m, int i) {
        int r = spm_cgroup_tree_reread(m->tree, i);

        if (r >= 0)
                m->tree->cgroups[i].replan = true;

        if (r == -ENOENT && i > 0) {
                r = spm_cgroup_model_remove(m, i);
                return r < 0 ? r : -ESRCH;
        }
        return r < 0 ? r : i;
}

int spm_cgroup_model_load(spm_cgroup_model *m, const char *path) {
        size_t before;
        int i, p, r;

        if (!path[0])
                return spm_cgroup_model_reread(m, 0);

        i = spm_cgroup_model_find(m, path);
        if (i > 0) {
                r = spm_cgroup_model_remove(m, i);
                if (r < 0)
                        return r;
        }
        p = parent_index(m, path);
        if (p < 0)
                return p;
        before = m->tree->n;
        r = spm_cgroup_tree_append_from(m->tree, p, basename_of(path));
        i = r;
        if (m->tree->n > before) {
                /* index what came in, also when the read stopped partway
                 * (out of memory): then drop it again */
                int k = index_appended(m, before);

                if (k < 0)
                        return k;
                if (r < 0) {
                        (void) spm_cgroup_model_remove(m, (int) before);
                        return r;
                }
        }
        if (IN_SET(r, -ENOENT, -ENOTDIR))
                return -ESRCH;
        return r < 0 ? r : i;
}

int spm_cgroup_model_rescan(spm_cgroup_model *m, int i) {
        _cleanup_strv_free_ char **names = NULL;
        _cleanup_free_ char *dir = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int changes = 0, r;

        if (i < 0 || (size_t) i >= m->tree->n)
                return -EINVAL;
        path = strdup(m->tree->cgroups[i].path);
        dir = spm_cgroup_tree_dir(m->tree, path);
        if (!path || !dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT || i == 0)
                        return -errno;
                r = spm_cgroup_model_remove(m, i);
                return r < 0 ? r : -ESRCH;
        }
        r = spm_cgroup_subdirs_at(fd, &names);
        if (r < 0)
                return r == -ENOENT ? 0 : r;

        /* gone: children in the model that the directory no longer has */
        for (size_t k = m->tree->n; k-- > (size_t) i + 1;) {
                const spm_cgroup *g = &m->tree->cgroups[k];

                if (g->parent == i && !strv_contains(names, g->name)) {
                        r = spm_cgroup_model_remove(m, (int) k);
                        if (r < 0)
                                return r;
                        changes++;
                }
        }
        /* new: directories the model does not have */
        for (char **n = names; n && *n; n++) {
                _cleanup_free_ char *child = NULL;

                if (asprintf(&child, "%s%s%s", path, path[0] ? "/" : "", *n) < 0)
                        return -ENOMEM;
                if (spm_cgroup_model_find(m, child) >= 0)
                        continue;
                r = spm_cgroup_model_load(m, child);
                if (r == -ESRCH)
                        continue;       /* gone again */
                if (r < 0)
                        return r;
                changes++;
        }
        return changes;
}
