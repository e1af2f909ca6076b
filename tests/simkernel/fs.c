/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Path table of the simulated sysfs and cgroupfs, and the read/write
 * dispatch from a file to the model. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "macro.h"

/* ---------------------------------------------------------------- building */

static int add(sk_fs *fs, sk_etype type, mode_t mode, sk_attr attr, long a, long b,
               const char *target, const char *fmt, ...) _printf_(8, 9);

static int push(sk_fs *fs, sk_entry e) {
        if (fs->n == fs->alloc) {
                size_t n = fs->alloc ? fs->alloc * 2 : 1024;
                sk_entry *p = realloc(fs->e, n * sizeof(sk_entry));
                if (!p)
                        return -ENOMEM;
                fs->e = p;
                fs->alloc = n;
        }
        fs->e[fs->n++] = e;
        return 0;
}

static int add(sk_fs *fs, sk_etype type, mode_t mode, sk_attr attr, long a, long b,
               const char *target, const char *fmt, ...) {
        va_list ap;
        char *path;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&path, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;

        /* every ancestor is a directory; duplicates are dropped after sorting */
        for (char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
                char *d = strndup(path, (size_t) (s - path));
                if (!d || push(fs, (sk_entry) { .path = d, .type = SK_E_DIR, .mode = 0755 }) < 0) {
                        free(d);
                        free(path);
                        return -ENOMEM;
                }
        }
        r = push(fs, (sk_entry) {
                .path = path, .type = type, .mode = mode, .attr = attr, .a = a, .b = b,
                .target = target ? strdup(target) : NULL,
                .cgroup = startswith(path, "fs/cgroup") != NULL,
        });
        if (r < 0)
                free(path);
        return r;
}

#define FILE_(mode, attr, a, b, ...) add(fs, SK_E_FILE, mode, attr, a, b, NULL, __VA_ARGS__)
#define DIR_(...) add(fs, SK_E_DIR, 0755, A_NONE, 0, 0, NULL, __VA_ARGS__)

/* A symlink at `from` (a path) pointing to `to` (a path), written relative
 * as sysfs does: "../../../devices/...". */
static int link_(sk_fs *fs, const char *from, const char *to) {
        char target[1024] = "";
        size_t k = 0, common = 0;

        /* like kernfs: climb to the deepest common directory, then down */
        for (size_t i = 0; from[i] && from[i] == to[i]; i++)
                if (from[i] == '/')
                        common = i + 1;
        for (const char *s = strchr(from + common, '/'); s; s = strchr(s + 1, '/'))
                k += (size_t) snprintf(target + k, sizeof target - k, "../");
        snprintf(target + k, sizeof target - k, "%s", to + common);
        return add(fs, SK_E_LINK, 0777, A_NONE, 0, 0, target, "%s", from);
}

static int device(sk_fs *fs, const char *devpath, const char *subsystem, const char *bus_name,
                  sk_devkind kind, long idx) {
        char from[512], to[256];
        int r;

        r = FILE_(0644, A_UEVENT, kind, idx, "%s/uevent", devpath);
        if (r < 0)
                return r;
        snprintf(from, sizeof from, "%s/subsystem", devpath);
        snprintf(to, sizeof to, "bus/%s", subsystem);
        r = link_(fs, from, to);
        if (r < 0)
                return r;
        snprintf(from, sizeof from, "bus/%s/devices/%s", subsystem, bus_name);
        return link_(fs, from, devpath);
}

static int build_nodes(sk_fs *fs, const sk_model *m) {
        static const char *const lists[_SK_LIST_MAX] = {
                [SK_LIST_POSSIBLE] = "possible",
                [SK_LIST_ONLINE] = "online",
                [SK_LIST_HAS_MEMORY] = "has_memory",
                [SK_LIST_HAS_NORMAL] = "has_normal_memory",
                [SK_LIST_HAS_CPU] = "has_cpu",
                [SK_LIST_HAS_PRIVATE] = "has_private_memory",
        };
        int r;

        for (int l = 0; l < _SK_LIST_MAX; l++) {
                if (l == SK_LIST_HAS_PRIVATE &&
                    !IN_SET(m->cfg.marking, SK_MARKING_PRIVATE_V3, SK_MARKING_PRIVATE_V4))
                        continue;
                r = FILE_(0444, A_NODELIST, l, 0, "devices/system/node/%s", lists[l]);
                if (r < 0)
                        return r;
        }
        r = DIR_("bus/node/drivers");
        if (r < 0)
                return r;

        for (unsigned n = 0; n < m->n_nodes; n++) {
                char dp[64], name[32];

                if (!m->nodes[n].exists || !m->nodes[n].registered)
                        continue;
                snprintf(dp, sizeof dp, "devices/system/node/node%u", n);
                snprintf(name, sizeof name, "node%u", n);
                if ((r = device(fs, dp, "node", name, D_NODE, n)) < 0 ||
                    (r = FILE_(0444, A_NODE_CPULIST, n, 0, "%s/cpulist", dp)) < 0 ||
                    (r = FILE_(0444, A_NODE_MEMINFO, n, 0, "%s/meminfo", dp)) < 0 ||
                    (r = FILE_(0444, A_NODE_DISTANCE, n, 0, "%s/distance", dp)) < 0)
                        return r;
                for (size_t b = 0; b < m->n_blocks; b++) {
                        char from[128], to[128];

                        if (!m->blocks[b].present || m->blocks[b].node != n)
                                continue;
                        snprintf(from, sizeof from, "%s/memory%zu", dp, b);
                        snprintf(to, sizeof to, "devices/system/memory/memory%zu", b);
                        if ((r = link_(fs, from, to)) < 0)
                                return r;
                }
        }
        return 0;
}

static int build_memory(sk_fs *fs, const sk_model *m) {
        int r;

        if ((r = FILE_(0444, A_BLOCK_SIZE, 0, 0, "devices/system/memory/block_size_bytes")) < 0 ||
            (r = FILE_(0644, A_AUTO_ONLINE, 0, 0, "devices/system/memory/auto_online_blocks")) < 0 ||
            (r = DIR_("bus/memory/drivers")) < 0)
                return r;

        for (size_t b = 0; b < m->n_blocks; b++) {
                char dp[64], name[32], from[128], to[64];

                if (!m->blocks[b].present)
                        continue;
                snprintf(dp, sizeof dp, "devices/system/memory/memory%zu", b);
                snprintf(name, sizeof name, "memory%zu", b);
                snprintf(from, sizeof from, "%s/node%u", dp, m->blocks[b].node);
                snprintf(to, sizeof to, "devices/system/node/node%u", m->blocks[b].node);
                if ((r = device(fs, dp, "memory", name, D_BLOCK, (long) b)) < 0 ||
                    (r = FILE_(0644, A_BLK_STATE, (long) b, 0, "%s/state", dp)) < 0 ||
                    (r = FILE_(0444, A_BLK_ZONES, (long) b, 0, "%s/valid_zones", dp)) < 0 ||
                    (r = FILE_(0444, A_BLK_PHYS, (long) b, 0, "%s/phys_index", dp)) < 0 ||
                    (r = FILE_(0444, A_BLK_REMOVABLE, (long) b, 0, "%s/removable", dp)) < 0 ||
                    (r = FILE_(0644, A_BLK_ONLINE, (long) b, 0, "%s/online", dp)) < 0 ||
                    (r = link_(fs, from, to)) < 0)
                        return r;
        }

        for (unsigned t = 0; t < 64; t++) {
                char dp[96], name[32];

                if (!sk_tier_exists(m, t, NULL))
                        continue;
                snprintf(dp, sizeof dp, "devices/virtual/memory_tiering/memory_tier%u", t);
                snprintf(name, sizeof name, "memory_tier%u", t);
                if ((r = device(fs, dp, "memory_tiering", name, D_TIER, t)) < 0 ||
                    (r = FILE_(0444, A_TIER_NODELIST, t, 0, "%s/nodelist", dp)) < 0)
                        return r;
        }
        return 0;
}

static int build_dax(sk_fs *fs, const sk_model *m) {
        int r;

        for (int d = SK_DRV_DEVICE_DAX; d < _SK_DRV_MAX; d++) {
                const char *dn = sk_driver_to_string((sk_driver) d);
                if (d == SK_DRV_KMEM && !m->kmem_loaded)
                        continue;       /* the driver directory comes with the module */
                if ((r = FILE_(0200, A_DRV_NEW_ID, d, 0, "bus/dax/drivers/%s/new_id", dn)) < 0 ||
                    (r = FILE_(0200, A_DRV_REMOVE_ID, d, 0, "bus/dax/drivers/%s/remove_id", dn)) < 0 ||
                    (r = FILE_(0200, A_DRV_BIND, d, 0, "bus/dax/drivers/%s/bind", dn)) < 0 ||
                    (r = FILE_(0200, A_DRV_UNBIND, d, 0, "bus/dax/drivers/%s/unbind", dn)) < 0)
                        return r;
        }

        for (size_t i = 0; i < m->n_dax; i++) {
                const sk_dax *d = &m->dax[i];
                _cleanup_free_ char *dp = NULL, *rd = NULL;
                const char *st;
                char from[512], to[128];
                long x = (long) i;

                if (!d->present)
                        continue;
                dp = sk_dax_devpath(m, i);
                rd = sk_dax_region_dir(m, i);
                if (!dp || !rd)
                        return -ENOMEM;

                if ((r = device(fs, dp, "dax", d->name, D_DAX, x)) < 0 ||
                    (r = FILE_(0444, A_DAX_NUMA, x, 0, "%s/numa_node", dp)) < 0 ||
                    (r = FILE_(0644, A_DAX_SIZE, x, 0, "%s/size", dp)) < 0 ||
                    (r = FILE_(0400, A_DAX_RESOURCE, x, 0, "%s/resource", dp)) < 0 ||
                    (r = FILE_(0644, A_DAX_ALIGN, x, 0, "%s/align", dp)) < 0 ||
                    (r = FILE_(0444, A_DAX_MODALIAS, x, 0, "%s/modalias", dp)) < 0 ||
                    (r = FILE_(0444, A_DAX_DEV, x, 0, "%s/dev", dp)) < 0 ||
                    (r = FILE_(0400, A_MAP_START, x, 0, "%s/mapping0/start", dp)) < 0 ||
                    (r = FILE_(0400, A_MAP_END, x, 0, "%s/mapping0/end", dp)) < 0 ||
                    (r = FILE_(0400, A_MAP_OFFSET, x, 0, "%s/mapping0/page_offset", dp)) < 0 ||
                    (r = FILE_(0444, A_DREG_ID, x, 0, "%s/dax_region/id", rd)) < 0 ||
                    (r = FILE_(0444, A_DREG_SIZE, x, 0, "%s/dax_region/size", rd)) < 0 ||
                    (r = FILE_(0444, A_DREG_ALIGN, x, 0, "%s/dax_region/align", rd)) < 0 ||
                    (r = FILE_(0444, A_DREG_AVAIL, x, 0, "%s/dax_region/available_size", rd)) < 0)
                        return r;
                /* the kernel hides target_node when it is negative */
                snprintf(from, sizeof from, "dev/char/251:%ld", x);
                if ((r = link_(fs, from, dp)) < 0)
                        return r;
                if (d->target_node >= 0 && (r = FILE_(0444, A_DAX_TARGET, x, 0, "%s/target_node", dp)) < 0)
                        return r;
                if (m->cfg.memmap != SK_MEMMAP_ABSENT &&
                    (r = FILE_(0644, A_DAX_MEMMAP, x, 0, "%s/memmap_on_memory", dp)) < 0)
                        return r;
                if (sk_mark_file(m) &&
                    (r = FILE_(0644, A_DAX_SPM, x, 0, "%s/%s", dp, sk_mark_file(m))) < 0)
                        return r;
                st = sk_dax_devstate_file(m, i);
                if (st && (r = FILE_(0644, A_DAX_DEVSTATE, x, 0, "%s/%s", dp, st)) < 0)
                        return r;
                if (d->driver != SK_DRV_NONE) {
                        snprintf(from, sizeof from, "%s/driver", dp);
                        snprintf(to, sizeof to, "bus/dax/drivers/%s", sk_driver_to_string(d->driver));
                        if ((r = link_(fs, from, to)) < 0)
                                return r;
                        snprintf(from, sizeof from, "bus/dax/drivers/%s/%s", sk_driver_to_string(d->driver), d->name);
                        if ((r = link_(fs, from, dp)) < 0)
                                return r;
                }
        }
        return 0;
}

static int build_cxl(sk_fs *fs, const sk_model *m) {
        int r;

        if (m->n_regions == 0)
                return 0;
        if ((r = FILE_(0200, A_REG_BIND, 0, 0, "bus/cxl/drivers/cxl_region/bind")) < 0 ||
            (r = FILE_(0200, A_REG_UNBIND, 0, 0, "bus/cxl/drivers/cxl_region/unbind")) < 0)
                return r;

        for (size_t i = 0; i < m->n_regions; i++) {
                const sk_region *g = &m->regions[i];
                _cleanup_free_ char *dp = NULL;
                char name[32], from[1024], to[128];
                long x = (long) i;

                if (!g->present)
                        continue;
                dp = sk_region_devpath(m, i);
                if (!dp)
                        return -ENOMEM;
                snprintf(name, sizeof name, "region%u", g->id);
                if ((r = device(fs, dp, "cxl", name, D_REGION, x)) < 0 ||
                    (r = FILE_(0444, A_REG_MODE, x, 0, "%s/mode", dp)) < 0 ||
                    (r = FILE_(0644, A_REG_SIZE, x, 0, "%s/size", dp)) < 0 ||
                    (r = FILE_(0444, A_REG_RESOURCE, x, 0, "%s/resource", dp)) < 0 ||
                    (r = FILE_(0444, A_REG_UUID, x, 0, "%s/uuid", dp)) < 0 ||
                    (r = FILE_(0644, A_REG_COMMIT, x, 0, "%s/commit", dp)) < 0 ||
                    (r = FILE_(0644, A_REG_WAYS, x, 0, "%s/interleave_ways", dp)) < 0 ||
                    (r = FILE_(0644, A_REG_GRAN, x, 0, "%s/interleave_granularity", dp)) < 0)
                        return r;
                if (sk_mark_file(m) &&
                    (r = FILE_(0644, A_REG_SPM, x, 0, "%s/%s", dp, sk_mark_file(m))) < 0)
                        return r;
                if (sk_region_is_private(m, i) &&
                    (r = FILE_(0644, A_REG_PRIVATE_TYPE, x, 0, "%s/private_type", dp)) < 0)
                        return r;
                if (g->bound) {
                        char rdp[600];

                        snprintf(from, sizeof from, "%s/driver", dp);
                        if ((r = link_(fs, from, "bus/cxl/drivers/cxl_region")) < 0)
                                return r;
                        snprintf(from, sizeof from, "bus/cxl/drivers/cxl_region/%s", name);
                        if ((r = link_(fs, from, dp)) < 0)
                                return r;
                        snprintf(rdp, sizeof rdp, "%s/dax_region%u", dp, g->id);
                        snprintf(name, sizeof name, "dax_region%u", g->id);
                        if ((r = device(fs, rdp, "cxl", name, D_DAXREGION, x)) < 0)
                                return r;
                        snprintf(from, sizeof from, "%s/driver", rdp);
                        snprintf(to, sizeof to, "bus/cxl/drivers/cxl_dax_region");
                        if ((r = link_(fs, from, to)) < 0)
                                return r;
                }
        }
        return 0;
}

static int build_cgroups(sk_fs *fs, const sk_model *m) {
        int r;

        for (size_t i = 0; i < m->n_cgroups; i++) {
                const sk_cgroup *c = &m->cgroups[i];
                char dp[1024];
                long x = (long) i;

                if (!c->present)
                        continue;
                snprintf(dp, sizeof dp, "fs/cgroup%s%s", *c->path ? "/" : "", c->path);
                if ((r = DIR_("%s", dp)) < 0 ||
                    (r = FILE_(0444, A_CG_CONTROLLERS, x, 0, "%s/cgroup.controllers", dp)) < 0 ||
                    (r = FILE_(0644, A_CG_SUBTREE, x, 0, "%s/cgroup.subtree_control", dp)) < 0 ||
                    (r = FILE_(0644, A_CG_PROCS, x, 0, "%s/cgroup.procs", dp)) < 0)
                        return r;
                if (c->parent >= 0 &&
                    ((r = FILE_(0644, A_CG_TYPE, x, 0, "%s/cgroup.type", dp)) < 0 ||
                     (r = FILE_(0444, A_CG_EVENTS, x, 0, "%s/cgroup.events", dp)) < 0))
                        return r;
                if (!sk_cgroup_has_cpuset(m, i))
                        continue;
                if ((r = FILE_(0444, A_CS_MEMS_EFF, x, 0, "%s/cpuset.mems.effective", dp)) < 0 ||
                    (r = FILE_(0444, A_CS_CPUS_EFF, x, 0, "%s/cpuset.cpus.effective", dp)) < 0)
                        return r;
                if (c->parent >= 0 &&
                    ((r = FILE_(0644, A_CS_MEMS, x, 0, "%s/cpuset.mems", dp)) < 0 ||
                     (r = FILE_(0644, A_CS_CPUS, x, 0, "%s/cpuset.cpus", dp)) < 0))
                        return r;
                if (sk_sysram_file(m) &&
                    (r = FILE_(0444, A_CS_SYSRAM, x, 0, "%s/%s", dp, sk_sysram_file(m))) < 0)
                        return r;
        }
        return 0;
}

static int cmp_entry(const void *a, const void *b) {
        const sk_entry *x = a, *y = b;
        int c = strcmp(x->path, y->path);

        if (c != 0)
                return c;
        /* keep the real entry ahead of the implied directory */
        return (x->type == SK_E_DIR && x->attr == A_NONE) - (y->type == SK_E_DIR && y->attr == A_NONE);
}

void sk_fs_clear(sk_fs *fs) {
        for (size_t i = 0; i < fs->n; i++) {
                free(fs->e[i].path);
                free(fs->e[i].target);
        }
        free(fs->e);
        *fs = (sk_fs) {};
}

static int build_all(sk_fs *fs, const sk_model *m) {
        int r;

        if ((r = push(fs, (sk_entry) { .path = strdup(""), .type = SK_E_DIR, .mode = 0755 })) < 0)
                return r;
        if (!fs->e[fs->n - 1].path)
                return -ENOMEM;
        if ((r = DIR_("bus/dax/devices")) < 0 || (r = DIR_("class")) < 0 || (r = DIR_("kernel")) < 0 ||
            (r = build_nodes(fs, m)) < 0 || (r = build_memory(fs, m)) < 0 ||
            (r = build_dax(fs, m)) < 0 || (r = build_cxl(fs, m)) < 0)
                return r;
        return build_cgroups(fs, m);
}

int sk_fs_build(sk_fs *fs, const sk_model *m) {
        sk_fs n = {};
        size_t k = 0;
        int r;

        r = build_all(&n, m);
        if (r < 0)
                goto fail;

        qsort(n.e, n.n, sizeof(sk_entry), cmp_entry);
        for (size_t i = 0; i < n.n; i++) {
                if (k > 0 && streq(n.e[k - 1].path, n.e[i].path)) {
                        free(n.e[i].path);
                        free(n.e[i].target);
                        continue;
                }
                n.e[k++] = n.e[i];
        }
        n.n = k;
        n.generation = m->generation;
        sk_fs_clear(fs);
        *fs = n;
        return 0;

fail:
        sk_fs_clear(&n);
        return r;
}

/* ---------------------------------------------------------------- lookup */

static int cmp_key(const void *k, const void *e) {
        return strcmp(k, ((const sk_entry *) e)->path);
}

const sk_entry *sk_fs_lookup(const sk_fs *fs, const char *path) {
        /* FUSE passes no path for a file whose directory was removed
         * while it was open (a cgroup rmdir'ed under a reader) */
        if (!path)
                return NULL;
        while (*path == '/')
                path++;
        return bsearch(path, fs->e, fs->n, sizeof(sk_entry), cmp_key);
}

void sk_fs_children(const sk_fs *fs, const char *dir, int (*fn)(const sk_entry *e, const char *name, void *ud), void *ud) {
        _cleanup_free_ char *prefix = NULL;
        size_t lo = 0, hi = fs->n, plen;

        while (*dir == '/')
                dir++;
        if (asprintf(&prefix, "%s%s", dir, *dir ? "/" : "") < 0)
                return;
        plen = strlen(prefix);

        /* entries sharing a prefix are contiguous in the sorted table */
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(fs->e[mid].path, prefix) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < fs->n && strncmp(fs->e[i].path, prefix, plen) == 0; i++) {
                const char *name = fs->e[i].path + plen;

                if (!*name || strchr(name, '/'))
                        continue;
                if (fn(&fs->e[i], name, ud))
                        return;
        }
}

/* ---------------------------------------------------------------- contents */

bool sk_fs_writable(const sk_entry *e) {
        return e->type == SK_E_FILE && (e->mode & 0222);
}

bool sk_fs_readable(const sk_entry *e) {
        return e->type == SK_E_FILE && (e->mode & 0444);
}

static char *nodelist(spm_nodemask x) {
        char buf[SPM_NODEMASK_STRLEN_MAX + 2];
        size_t n;

        sk_format_nodelist(&x, buf, sizeof buf - 1);
        n = strlen(buf);
        buf[n] = '\n';
        buf[n + 1] = 0;
        return strdup(buf);
}

static char *fmt(const char *f, ...) _printf_(1, 2);
static char *fmt(const char *f, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, f);
        r = vasprintf(&s, f, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

static const char *devkind_subsystem(sk_devkind k) {
        switch (k) {
        case D_NODE: return "node";
        case D_BLOCK: return "memory";
        case D_TIER: return "memory_tiering";
        case D_DAX: return "dax";
        default: return "cxl";
        }
}

char *sk_fs_device_env(const sk_model *m, sk_devkind kind, long idx) {
        switch (kind) {
        case D_DAX: {
                const sk_dax *d = &m->dax[idx];
                /* dax devices have a char device number; kmem ones too */
                return fmt("MAJOR=251\nMINOR=%ld\nDEVNAME=%s\n%s%s%sMODALIAS=dax:t0*\n", idx, d->name,
                           d->driver ? "DRIVER=" : "", d->driver ? sk_driver_to_string(d->driver) : "",
                           d->driver ? "\n" : "");
        }
        case D_REGION:
                return fmt("DEVTYPE=cxl_region\n%s", m->regions[idx].bound ? "DRIVER=cxl_region\n" : "");
        case D_DAXREGION:
                return fmt("DEVTYPE=cxl_dax_region\nDRIVER=cxl_dax_region\n");
        default:
                return strdup("");
        }
}

static char *node_distance(const sk_model *m, unsigned n) {
        spm_nodemask on = sk_node_list(m, SK_LIST_ONLINE);
        char buf[4096];
        size_t k = 0;

        buf[0] = 0;
        SPM_NODEMASK_FOREACH(i, &on)
                k += (size_t) snprintf(buf + k, sizeof buf - k, "%s%u", k ? " " : "", (unsigned) i == n ? 10u : 20u);
        return fmt("%s\n", buf);
}

static char *cg_controllers(unsigned mask) {
        return fmt("%s%s%s%s%s\n",
                   mask & SK_CTRL_CPUSET ? "cpuset" : "",
                   (mask & SK_CTRL_CPUSET) && (mask & (SK_CTRL_MEMORY | SK_CTRL_PIDS)) ? " " : "",
                   mask & SK_CTRL_MEMORY ? "memory" : "",
                   (mask & SK_CTRL_MEMORY) && (mask & SK_CTRL_PIDS) ? " " : "",
                   mask & SK_CTRL_PIDS ? "pids" : "");
}

static char *all_cpus(const sk_model *m) {
        /* the union of the node cpulists, kept as text: nodes list whole ranges */
        char buf[1024];
        size_t k = 0;

        buf[0] = 0;
        for (unsigned n = 0; n < m->n_nodes; n++)
                if (m->nodes[n].exists && m->nodes[n].cpulist && *m->nodes[n].cpulist)
                        k += (size_t) snprintf(buf + k, sizeof buf - k, "%s%s", k ? "," : "", m->nodes[n].cpulist);
        return fmt("%s\n", buf);
}

int sk_fs_read(sk_model *m, const sk_entry *e, char **ret, size_t *ret_len) {
        long a = e->a;
        char *s = NULL, vz[64];

        switch (e->attr) {
        case A_NODELIST: s = nodelist(sk_node_list(m, (sk_nodelist) a)); break;
        case A_NODE_CPULIST: s = fmt("%s\n", m->nodes[a].cpulist ?: ""); break;
        case A_NODE_MEMINFO: {
                unsigned long long kb = sk_node_online_bytes(m, (unsigned) a) >> 10;
                s = fmt("Node %ld MemTotal:       %8llu kB\nNode %ld MemFree:        %8llu kB\n"
                        "Node %ld MemUsed:        %8llu kB\n", a, kb, a, kb, a, 0ULL);
                break;
        }
        case A_NODE_DISTANCE: s = node_distance(m, (unsigned) a); break;
        case A_BLOCK_SIZE: s = fmt("%llx\n", (unsigned long long) m->cfg.block_size); break;
        case A_AUTO_ONLINE: s = fmt("%s\n", sk_online_to_string(m->auto_online)); break;
        case A_BLK_STATE: s = fmt("%s\n", m->blocks[a].online ? "online" : "offline"); break;
        case A_BLK_ZONES: s = fmt("%s\n", sk_block_valid_zones(m, (size_t) a, vz, sizeof vz)); break;
        case A_BLK_PHYS: s = fmt("%08lx\n", (unsigned long) a); break;
        case A_BLK_REMOVABLE: s = strdup("1\n"); break;
        case A_BLK_ONLINE: s = fmt("%d\n", m->blocks[a].online); break;
        case A_TIER_NODELIST: {
                spm_nodemask x;
                (void) sk_tier_exists(m, (unsigned) a, &x);
                s = nodelist(x);
                break;
        }
        case A_DAX_TARGET: s = fmt("%d\n", m->dax[a].target_node); break;
        case A_DAX_NUMA: s = fmt("%d\n", m->dax[a].numa_node); break;
        case A_DAX_SIZE: s = fmt("%llu\n", (unsigned long long) m->dax[a].size); break;
        case A_DAX_RESOURCE: s = fmt("0x%llx\n", (unsigned long long) m->dax[a].start); break;
        case A_DAX_ALIGN: s = fmt("%llu\n", (unsigned long long) m->dax[a].align); break;
        case A_DAX_MEMMAP: s = fmt("%d\n", m->dax[a].memmap_on_memory); break;
        case A_DAX_MODALIAS: s = strdup("dax:t0*\n"); break;
        case A_DAX_DEV: s = fmt("251:%ld\n", a); break;
        case A_DAX_SPM: s = fmt("%d\n", m->dax[a].spm_node); break;
        case A_DAX_DEVSTATE: s = fmt("%s\n", sk_dax_devstate_string(m, (size_t) a)); break;
        case A_MAP_START: s = fmt("0x%llx\n", (unsigned long long) m->dax[a].start); break;
        case A_MAP_END: s = fmt("0x%llx\n", (unsigned long long) (m->dax[a].start + m->dax[a].size - 1)); break;
        case A_MAP_OFFSET: s = strdup("0x0\n"); break;
        case A_DREG_ID: s = fmt("%u\n", m->dax[a].region); break;
        case A_DREG_SIZE: s = fmt("%llu\n", (unsigned long long) m->dax[a].size); break;
        case A_DREG_ALIGN: s = fmt("%llu\n", (unsigned long long) m->dax[a].align); break;
        case A_DREG_AVAIL: s = strdup("0\n"); break;
        case A_REG_MODE: s = strdup(sk_region_is_private(m, a) ? "private\n" : "ram\n"); break;
        case A_REG_PRIVATE_TYPE: s = fmt("%s\n", m->regions[a].private_type); break;
        case A_REG_SIZE: s = fmt("%llu\n", (unsigned long long) m->regions[a].size); break;
        case A_REG_RESOURCE: {
                int di = m->regions[a].dax;
                s = fmt("0x%llx\n", di >= 0 ? (unsigned long long) m->dax[di].start : 0ULL);
                break;
        }
        case A_REG_UUID: s = strdup("\n"); break;
        case A_REG_SPM: s = fmt("%d\n", m->regions[a].spm_node); break;
        case A_REG_COMMIT: s = strdup(m->regions[a].uncommitted ? "0\n" : "1\n"); break;
        case A_REG_WAYS: s = strdup("1\n"); break;
        case A_REG_GRAN: s = strdup("256\n"); break;
        case A_UEVENT: s = sk_fs_device_env(m, (sk_devkind) a, e->b); break;
        case A_CG_CONTROLLERS: s = cg_controllers(sk_cgroup_controllers(m, (size_t) a)); break;
        case A_CG_SUBTREE: s = cg_controllers(m->cgroups[a].subtree); break;
        case A_CG_PROCS: s = strdup(""); break;
        case A_CG_TYPE: s = strdup("domain\n"); break;
        case A_CG_EVENTS: s = strdup("populated 0\nfrozen 0\n"); break;
        case A_CS_MEMS: s = nodelist(m->cgroups[a].mems); break;
        case A_CS_MEMS_EFF: s = nodelist(sk_cgroup_effective(m, (size_t) a)); break;
        case A_CS_SYSRAM: s = nodelist(sk_cgroup_sysram(m, (size_t) a)); break;
        case A_CS_CPUS: s = strdup("\n"); break;
        case A_CS_CPUS_EFF: s = all_cpus(m); break;
        default:
                return -EIO;
        }
        if (!s)
                return -ENOMEM;
        *ret = s;
        *ret_len = strlen(s);
        return 0;
}

static int uevent_store(sk_model *m, const sk_entry *e, const char *buf, size_t len) {
        static const char *const actions[] = { "add", "remove", "change", "move", "online", "offline", "bind", "unbind" };
        _cleanup_free_ char *s = strndup(buf, len), *env = NULL;
        char *sp, *devpath = NULL;
        const char *act = NULL;

        if (!s)
                return -ENOMEM;
        /* "change [UUID [KEY=value...]]": only the action word is used */
        sp = strpbrk(s, " \n");
        if (sp)
                *sp = 0;
        for (size_t i = 0; i < ELEMENTSOF(actions); i++)
                if (streq(s, actions[i]))
                        act = actions[i];
        if (!act)
                return -EINVAL;

        devpath = fmt("/%.*s", (int) (strlen(e->path) - strlen("/uevent")), e->path);
        env = sk_fs_device_env(m, (sk_devkind) e->a, e->b);
        if (!devpath || !env) {
                free(devpath);
                return -ENOMEM;
        }
        {
                char *kv[SK_EVENT_ENV_MAX + 1] = {};
                size_t k = 0;
                int r;

                for (char *l = strtok(env, "\n"); l && k < SK_EVENT_ENV_MAX; l = strtok(NULL, "\n"))
                        if (!startswith(l, "MAJOR=") && !startswith(l, "MINOR="))
                                kv[k++] = l;
                r = sk_model_emit(m, act, devkind_subsystem((sk_devkind) e->a), devpath, kv);
                free(devpath);
                return r;
        }
}

int sk_fs_write(sk_model *m, const sk_entry *e, const char *buf, size_t len) {
        long a = e->a;

        switch (e->attr) {
        case A_AUTO_ONLINE: return sk_store_auto_online(m, buf, len);
        case A_BLK_STATE: return sk_store_block_state(m, (size_t) a, buf, len);
        case A_BLK_ONLINE: return sk_store_block_online(m, (size_t) a, buf, len);
        case A_DRV_NEW_ID: return sk_store_new_id(m, (sk_driver) a, buf, len);
        case A_DRV_REMOVE_ID: return sk_store_remove_id(m, (sk_driver) a, buf, len);
        case A_DRV_BIND: return sk_store_bind(m, (sk_driver) a, buf, len);
        case A_DRV_UNBIND: return sk_store_unbind(m, (sk_driver) a, buf, len);
        case A_DAX_SPM: return sk_store_spm_node(m, (size_t) a, buf, len);
        case A_DAX_MEMMAP: return sk_store_memmap(m, (size_t) a, buf, len);
        case A_DAX_DEVSTATE: return sk_store_devstate(m, (size_t) a, buf, len);
        /* static regions: size and align cannot change while bound */
        case A_DAX_SIZE: return m->dax[a].driver ? -EBUSY : -EINVAL;
        case A_DAX_ALIGN: return m->dax[a].driver ? -EBUSY : -EINVAL;
        case A_REG_SPM: return sk_store_region_spm_node(m, (size_t) a, buf, len);
        case A_REG_BIND: return sk_store_region_bind(m, buf, len);
        case A_REG_UNBIND: return sk_store_region_unbind(m, buf, len);
        case A_REG_PRIVATE_TYPE: return sk_store_region_private_type(m, (size_t) a, buf, len);
        case A_REG_COMMIT: return sk_store_region_commit(m, (size_t) a, buf, len);
        case A_REG_SIZE: case A_REG_WAYS: case A_REG_GRAN:
                return -EBUSY; /* set up before commit, not modelled */
        case A_UEVENT: return uevent_store(m, e, buf, len);
        case A_CG_SUBTREE: return sk_store_subtree_control(m, (size_t) a, buf, len);
        case A_CS_MEMS: return sk_store_cpuset_mems(m, (size_t) a, buf, len);
        case A_CG_PROCS: case A_CS_CPUS: case A_CG_TYPE:
                return 0; /* no tasks or CPUs modelled: accepted, ignored */
        default:
                /* cgroup files without a write handler */
                return e->cgroup ? -EINVAL : -EACCES;
        }
}
