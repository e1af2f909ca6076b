/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* The cgroup v2 part of the simulated kernel: the tree, subtree_control
 * and the cpuset memory files. Effective masks are computed when read, so
 * node hotplug is reflected at once (6.1 does that asynchronously; see
 * README). Writes to cgroup files raise no uevents. */

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "model.h"

static const struct {
        const char *name;
        unsigned bit;
} controllers[] = {
        { "cpuset", SK_CTRL_CPUSET },
        { "memory", SK_CTRL_MEMORY },
        { "pids",   SK_CTRL_PIDS },
};

int sk_cgroup_find(const sk_model *m, const char *path) {
        while (*path == '/')
                path++;
        for (size_t i = 0; i < m->n_cgroups; i++) {
                const char *p = m->cgroups[i].path;
                size_t n = strlen(p);

                if (!m->cgroups[i].present || strncmp(p, path, n) != 0)
                        continue;
                /* allow one trailing slash */
                if (path[n] == 0 || (path[n] == '/' && path[n + 1] == 0))
                        return (int) i;
        }
        return -ENOENT;
}

unsigned sk_cgroup_controllers(const sk_model *m, size_t cg) {
        const sk_cgroup *c = &m->cgroups[cg];

        return c->parent < 0 ? m->cfg.controllers : m->cgroups[c->parent].subtree;
}

bool sk_cgroup_has_cpuset(const sk_model *m, size_t cg) {
        const sk_cgroup *c = &m->cgroups[cg];

        if (c->parent < 0)
                return (m->cfg.controllers & SK_CTRL_CPUSET) != 0;
        return (m->cgroups[c->parent].subtree & SK_CTRL_CPUSET) != 0;
}

bool sk_has_mems_sysram(const sk_model *m) {
        return IN_SET(m->cfg.marking, SK_MARKING_SPM_V1, SK_MARKING_SPM_V2, SK_MARKING_PRIVATE_V3);
}

const char *sk_sysram_file(const sk_model *m) {
        if (!sk_has_mems_sysram(m))
                return NULL;
        return m->cfg.marking == SK_MARKING_SPM_V1 ? "cpuset.mems.default" : "cpuset.mems.sysram";
}

static spm_nodemask effective(const sk_model *m, size_t cg) {
        const sk_cgroup *c = &m->cgroups[cg];
        spm_nodemask p, e;

        if (c->parent < 0) {
                spm_nodemask mem = sk_node_list(m, SK_LIST_HAS_MEMORY);
                spm_nodemask priv = sk_node_list(m, SK_LIST_HAS_PRIVATE);

                /* private v3/v4 add their nodes to the root explicitly */
                return spm_nodemask_or(&mem, &priv);
        }
        p = effective(m, (size_t) c->parent);
        if (!sk_cgroup_has_cpuset(m, cg) || spm_nodemask_is_empty(&c->mems))
                return p;
        e = spm_nodemask_and(&c->mems, &p);
        return spm_nodemask_is_empty(&e) ? p : e;
}

spm_nodemask sk_cgroup_effective(const sk_model *m, size_t cg) {
        return effective(m, cg);
}

spm_nodemask sk_cgroup_sysram(const sk_model *m, size_t cg) {
        spm_nodemask e = effective(m, cg), mem = sk_node_list(m, SK_LIST_HAS_MEMORY);

        /* v1's mems.default is computed as v2's mems.sysram */
        if (IN_SET(m->cfg.marking, SK_MARKING_SPM_V1, SK_MARKING_SPM_V2)) {
                spm_nodemask sys = SPM_NODEMASK_EMPTY;

                SPM_NODEMASK_FOREACH(n, &mem)
                        if (m->nodes[n].latch != SK_LATCH_SPM)
                                spm_nodemask_set(&sys, n);
                if (spm_nodemask_is_empty(&sys))
                        return e;
                return spm_nodemask_and(&e, &sys);
        }
        /* private v3: effective ∩ N_MEMORY (private nodes are not in it) */
        return spm_nodemask_and(&e, &mem);
}

int sk_cgroup_mkdir(sk_model *m, const char *path) {
        _cleanup_free_ char *p = NULL;
        const char *base;
        sk_cgroup *n;
        int parent;

        while (*path == '/')
                path++;
        if (!*path)
                return -EEXIST;
        if (sk_cgroup_find(m, path) >= 0)
                return -EEXIST;
        p = strdup(path);
        if (!p)
                return -ENOMEM;
        if (p[strlen(p) - 1] == '/')
                p[strlen(p) - 1] = 0;
        base = strrchr(p, '/');
        if (base) {
                _cleanup_free_ char *dir = strndup(p, (size_t) (base - p));
                if (!dir)
                        return -ENOMEM;
                parent = sk_cgroup_find(m, dir);
                base++;
        } else {
                parent = 0;
                base = p;
        }
        if (parent < 0)
                return -ENOENT;
        if (!*base || streq(base, ".") || streq(base, ".."))
                return -EINVAL;
        if (startswith(base, "cgroup.") || startswith(base, "cpuset.") ||
            startswith(base, "memory.") || startswith(base, "pids."))
                return -EEXIST; /* a file of the parent has that name */

        n = realloc(m->cgroups, (m->n_cgroups + 1) * sizeof(sk_cgroup));
        if (!n)
                return -ENOMEM;
        m->cgroups = n;
        m->cgroups[m->n_cgroups++] = (sk_cgroup) {
                .present = true, .path = TAKE_PTR(p), .parent = parent,
        };
        m->generation++;
        return (int) m->n_cgroups - 1;
}

int sk_cgroup_rmdir(sk_model *m, const char *path) {
        int cg = sk_cgroup_find(m, path);

        if (cg < 0)
                return cg;
        if (cg == 0)
                return -EBUSY;
        for (size_t i = 0; i < m->n_cgroups; i++)
                if (m->cgroups[i].present && m->cgroups[i].parent == cg)
                        return -EBUSY;
        m->cgroups[cg].present = false;
        m->generation++;
        return 0;
}

int sk_store_subtree_control(sk_model *m, size_t cg, const char *buf, size_t len) {
        _cleanup_free_ char *s = strndup(buf, len);
        unsigned enable = 0, disable = 0, avail = sk_cgroup_controllers(m, cg);
        char *tok, *p;

        if (!s)
                return -ENOMEM;
        p = s;
        while ((tok = strsep(&p, " \t\n"))) {
                bool found = false;

                if (!*tok)
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(controllers); i++) {
                        if (!streq(tok + 1, controllers[i].name))
                                continue;
                        found = true;
                        if (*tok == '+') {
                                enable |= controllers[i].bit;
                                disable &= ~controllers[i].bit;
                        } else if (*tok == '-') {
                                disable |= controllers[i].bit;
                                enable &= ~controllers[i].bit;
                        } else
                                return -EINVAL;
                }
                if (!found)
                        return -EINVAL;
        }

        if (enable & ~avail)
                return -ENOENT;
        /* a child still delegating it further keeps it busy */
        for (size_t i = 0; i < m->n_cgroups; i++)
                if (m->cgroups[i].present && m->cgroups[i].parent == (int) cg &&
                    (m->cgroups[i].subtree & disable))
                        return -EBUSY;

        if (disable & m->cgroups[cg].subtree & SK_CTRL_CPUSET)
                /* the children's cpuset css goes away with its settings */
                for (size_t i = 0; i < m->n_cgroups; i++)
                        if (m->cgroups[i].present && m->cgroups[i].parent == (int) cg)
                                m->cgroups[i].mems = SPM_NODEMASK_EMPTY;

        m->cgroups[cg].subtree = (m->cgroups[cg].subtree | enable) & ~disable;
        m->generation++;
        return 0;
}

int sk_store_cpuset_mems(sk_model *m, size_t cg, const char *buf, size_t len) {
        _cleanup_free_ char *s = strndup(buf, len);
        spm_nodemask want = SPM_NODEMASK_EMPTY, possible;
        char *b, *e;
        int r;

        if (!s)
                return -ENOMEM;
        if (cg == 0)
                return -EACCES;
        if (!sk_cgroup_has_cpuset(m, cg))
                return -ENOENT; /* no such file without the controller */

        /* strstrip() */
        b = s;
        while (isspace((unsigned char) *b))
                b++;
        e = b + strlen(b);
        while (e > b && isspace((unsigned char) e[-1]))
                *--e = 0;

        if (*b) {
                r = sk_parse_nodelist(b, m->cfg.node_limit, &want);
                if (r < 0)
                        return r;
                possible = sk_node_list(m, SK_LIST_POSSIBLE);
                if (!spm_nodemask_subset(&want, &possible))
                        return -EINVAL;
        }
        m->cgroups[cg].mems = want;
        return 0;
}
