/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Nodes, memory blocks, dax devices, the dax drivers and CXL regions of the
 * simulated kernel, with the kernel's write rules and uevent order. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "model.h"
#include "strutil.h"

void sk_config_default(sk_config *c) {
        *c = (sk_config) {
                .marking = SK_MARKING_STOCK,
                .hotplug = SK_HOTPLUG_NONE,
                .auto_online = SK_ONLINE_OFFLINE,
                .block_size = UINT64_C(128) << 20,
                .node_limit = 1024,
                .memmap = SK_MEMMAP_SUPPORTED,
                .controllers = SK_CTRL_CPUSET | SK_CTRL_MEMORY | SK_CTRL_PIDS,
                .dram_tier = 4,
                .dax_tier = 22,
        };
}

/* ---------------------------------------------------------------- events */

static void emit(sk_model *m, const char *action, const char *subsystem, char *devpath_owned, ...) {
        sk_uevent *e;
        va_list ap;
        const char *kv;
        size_t k = 0;

        if (!devpath_owned)
                return;
        if (m->n_events == m->n_events_alloc) {
                size_t n = m->n_events_alloc ? m->n_events_alloc * 2 : 64;
                sk_uevent *p = realloc(m->events, n * sizeof(*p));
                if (!p) {
                        free(devpath_owned);
                        return;
                }
                m->events = p;
                m->n_events_alloc = n;
        }
        e = &m->events[m->n_events++];
        *e = (sk_uevent) { .devpath = devpath_owned, .seqnum = ++m->seqnum };
        snprintf(e->action, sizeof e->action, "%s", action);
        snprintf(e->subsystem, sizeof e->subsystem, "%s", subsystem);

        va_start(ap, devpath_owned);
        while ((kv = va_arg(ap, const char *)) && k < SK_EVENT_ENV_MAX)
                e->env[k++] = strdup(kv);
        va_end(ap);
}

static char *xasprintf(const char *fmt, ...) _printf_(1, 2);
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&s, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : s;
}

int sk_model_emit(sk_model *m, const char *action, const char *subsystem, const char *devpath, char *const *env) {
        char *dp = strdup(devpath);
        size_t before = m->n_events;
        sk_uevent *e;

        if (!dp)
                return -ENOMEM;
        emit(m, action, subsystem, dp, NULL);
        if (m->n_events == before)
                return -ENOMEM;
        e = &m->events[m->n_events - 1];
        for (size_t k = 0; env && k < SK_EVENT_ENV_MAX && env[k]; k++)
                if (!(e->env[k] = strdup(env[k])))
                        return -ENOMEM;
        return 0;
}

sk_uevent *sk_model_take_events(sk_model *m, size_t *ret_n) {
        sk_uevent *e = m->events;

        *ret_n = m->n_events;
        m->events = NULL;
        m->n_events = m->n_events_alloc = 0;
        return e;
}

void sk_uevents_free(sk_uevent *e, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(e[i].devpath);
                for (size_t k = 0; k < SK_EVENT_ENV_MAX; k++)
                        free(e[i].env[k]);
        }
        free(e);
}

/* ---------------------------------------------------------------- paths */

char *sk_dax_devpath(const sk_model *m, size_t i) {
        const sk_dax *d = &m->dax[i];

        switch (d->provider) {
        case SK_PROV_PMEM:
                return xasprintf("devices/platform/ACPI0012:00/ndbus0/region%u/dax%u.0/%s",
                                 d->region, d->region, d->name);
        case SK_PROV_HMEM:
                return xasprintf("devices/platform/hmem.%u/%s", d->region, d->name);
        case SK_PROV_CXL:
        default:
                return xasprintf("devices/platform/ACPI0017:00/root0/decoder0.0/region%u/dax_region%u/%s",
                                 d->region, d->region, d->name);
        }
}

/* The directory that holds the dax_region/ attribute group (the parent). */
char *sk_dax_region_dir(const sk_model *m, size_t i) {
        _cleanup_free_ char *p = sk_dax_devpath(m, i);
        char *slash;

        if (!p)
                return NULL;
        slash = strrchr(p, '/');
        *slash = 0;
        return TAKE_PTR(p);
}

char *sk_region_devpath(const sk_model *m, size_t i) {
        return xasprintf("devices/platform/ACPI0017:00/root0/decoder0.0/region%u", m->regions[i].id);
}

static char *node_devpath(unsigned n) {
        return xasprintf("/devices/system/node/node%u", n);
}

static char *block_devpath(size_t b) {
        return xasprintf("/devices/system/memory/memory%zu", b);
}

static char *slash(char *p) {
        char *s;

        if (!p)
                return NULL;
        s = xasprintf("/%s", p);
        free(p);
        return s;
}

/* ---------------------------------------------------------------- model */

sk_model *sk_model_new(const sk_config *cfg) {
        sk_model *m = calloc(1, sizeof(*m));

        if (!m)
                return NULL;
        m->cfg = *cfg;
        m->auto_online = cfg->auto_online;
        m->kmem_loaded = !cfg->kmem_absent;
        m->next_phys = UINT64_C(1) << 32;

        m->cgroups = calloc(1, sizeof(sk_cgroup));
        if (!m->cgroups)
                return sk_model_free(m);
        m->cgroups[0] = (sk_cgroup) { .present = true, .path = strdup(""), .parent = -1 };
        m->n_cgroups = 1;
        if (!m->cgroups[0].path)
                return sk_model_free(m);
        return m;
}

sk_model *sk_model_free(sk_model *m) {
        if (!m)
                return NULL;
        for (unsigned i = 0; i < m->n_nodes; i++)
                free(m->nodes[i].cpulist);
        free(m->nodes);
        free(m->blocks);
        free(m->dax);
        free(m->regions);
        for (size_t d = 0; d < _SK_DRV_MAX; d++)
                strv_free(m->ids[d]);
        for (size_t i = 0; i < m->n_cgroups; i++)
                free(m->cgroups[i].path);
        free(m->cgroups);
        sk_uevents_free(m->events, m->n_events);
        free(m);
        return NULL;
}

static int ensure_node(sk_model *m, unsigned id) {
        if (id >= m->cfg.node_limit || id >= SPM_MAX_NODES)
                return -ERANGE;
        if (id >= m->n_nodes) {
                sk_node *p = realloc(m->nodes, (id + 1) * sizeof(sk_node));
                if (!p)
                        return -ENOMEM;
                memset(p + m->n_nodes, 0, (id + 1 - m->n_nodes) * sizeof(sk_node));
                m->nodes = p;
                m->n_nodes = id + 1;
        }
        if (!m->nodes[id].exists) {
                m->nodes[id].exists = true;
                m->nodes[id].possible = true;
                if (!m->nodes[id].cpulist && !(m->nodes[id].cpulist = strdup("")))
                        return -ENOMEM;
        }
        return 0;
}

static int ensure_blocks(sk_model *m, size_t end) {
        if (end > m->n_blocks) {
                sk_block *p = realloc(m->blocks, end * sizeof(sk_block));
                if (!p)
                        return -ENOMEM;
                memset(p + m->n_blocks, 0, (end - m->n_blocks) * sizeof(sk_block));
                m->blocks = p;
                m->n_blocks = end;
        }
        return 0;
}

int sk_model_set_possible(sk_model *m, unsigned id) {
        return ensure_node(m, id);
}

static bool node_has_blocks(const sk_model *m, unsigned n) {
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].node == n)
                        return true;
        return false;
}

int sk_model_add_node(sk_model *m, unsigned id, const char *cpulist, uint64_t boot_memory) {
        uint64_t bs = m->cfg.block_size, start = 0;
        size_t nblk = boot_memory / bs;
        sk_node *n;
        int r;

        r = ensure_node(m, id);
        if (r < 0)
                return r;
        n = &m->nodes[id];
        if (cpulist) {
                free(n->cpulist);
                n->cpulist = strdup(cpulist);
                if (!n->cpulist)
                        return -ENOMEM;
        }

        /* Boot RAM sits below 4 GiB in node order; dax ranges come after. */
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present)
                        start = (b + 1) * bs;
        if (nblk > 0) {
                if (start + nblk * bs > (UINT64_C(1) << 32))
                        return -ENOSPC;
                r = ensure_blocks(m, start / bs + nblk);
                if (r < 0)
                        return r;
                for (size_t b = start / bs; b < start / bs + nblk; b++)
                        m->blocks[b] = (sk_block) {
                                .present = true, .node = id, .online = true,
                                .zone = SK_ZONE_NORMAL, .dax = -1,
                        };
                n->boot_memory = true;
                n->latch = SK_LATCH_SYSRAM;
        }
        n->registered = n->registered || nblk > 0 || (n->cpulist && *n->cpulist);
        m->generation++;
        return 0;
}

/* ---------------------------------------------------------------- derived */

static bool node_is_private(const sk_model *m, unsigned n) {
        return IN_SET(m->cfg.marking, SK_MARKING_PRIVATE_V3, SK_MARKING_PRIVATE_V4) &&
               n < m->n_nodes && m->nodes[n].private_mem;
}

bool sk_node_online_memory(const sk_model *m, unsigned n) {
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].online && m->blocks[b].node == n)
                        return true;
        return false;
}

uint64_t sk_node_online_bytes(const sk_model *m, unsigned n) {
        uint64_t t = 0;

        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].online && m->blocks[b].node == n)
                        t += m->cfg.block_size;
        return t;
}

spm_nodemask sk_node_list(const sk_model *m, sk_nodelist which) {
        spm_nodemask r = SPM_NODEMASK_EMPTY;

        for (unsigned n = 0; n < m->n_nodes; n++) {
                const sk_node *nd = &m->nodes[n];
                bool in = false;

                if (!nd->exists)
                        continue;
                switch (which) {
                case SK_LIST_POSSIBLE:
                        in = nd->possible;
                        break;
                case SK_LIST_ONLINE:
                        in = nd->registered;
                        break;
                case SK_LIST_HAS_MEMORY:
                        /* private nodes are N_MEMORY_PRIVATE instead (v3/v4) */
                        in = sk_node_online_memory(m, n) && !node_is_private(m, n);
                        break;
                case SK_LIST_HAS_NORMAL:
                        for (size_t b = 0; b < m->n_blocks && !in; b++)
                                in = m->blocks[b].present && m->blocks[b].online &&
                                     m->blocks[b].node == n && m->blocks[b].zone == SK_ZONE_NORMAL;
                        in = in && !node_is_private(m, n);
                        break;
                case SK_LIST_HAS_CPU:
                        in = nd->cpulist && *nd->cpulist;
                        break;
                case SK_LIST_HAS_PRIVATE:
                        if (m->cfg.marking == SK_MARKING_PRIVATE_V3)
                                in = node_is_private(m, n); /* set at registration */
                        else if (m->cfg.marking == SK_MARKING_PRIVATE_V4)
                                in = node_is_private(m, n) && sk_node_online_memory(m, n);
                        break;
                default:
                        break;
                }
                if (in)
                        spm_nodemask_set(&r, n);
        }
        return r;
}

int sk_node_tier(const sk_model *m, unsigned n) {
        if (n >= m->n_nodes || !sk_node_online_memory(m, n))
                return -1;
        return (int) (m->nodes[n].boot_memory ? m->cfg.dram_tier : m->cfg.dax_tier);
}

bool sk_tier_exists(const sk_model *m, unsigned tier, spm_nodemask *ret) {
        spm_nodemask nodes = SPM_NODEMASK_EMPTY;
        bool any = false;

        for (unsigned n = 0; n < m->n_nodes; n++)
                if (sk_node_tier(m, n) == (int) tier) {
                        spm_nodemask_set(&nodes, n);
                        any = true;
                }
        if (ret)
                *ret = nodes;
        return any;
}

/* contig-zones policy: a block inside the span of exactly one of the
 * node's zones goes there; otherwise ZONE_NORMAL (movable_node is off). */
static sk_zone default_zone(const sk_model *m, size_t blk) {
        size_t lo[3] = { SIZE_MAX, SIZE_MAX, SIZE_MAX }, hi[3] = { 0, 0, 0 };
        unsigned n = m->blocks[blk].node;
        bool in_k, in_m;

        for (size_t b = 0; b < m->n_blocks; b++) {
                const sk_block *x = &m->blocks[b];
                if (!x->present || !x->online || x->node != n || b == blk)
                        continue;
                lo[x->zone] = MIN(lo[x->zone], b);
                hi[x->zone] = MAX(hi[x->zone], b);
        }
        in_k = lo[SK_ZONE_NORMAL] <= blk && blk <= hi[SK_ZONE_NORMAL];
        in_m = lo[SK_ZONE_MOVABLE] <= blk && blk <= hi[SK_ZONE_MOVABLE];
        if (in_k != in_m)
                return in_k ? SK_ZONE_NORMAL : SK_ZONE_MOVABLE;
        return SK_ZONE_NORMAL;
}

const char *sk_block_valid_zones(const sk_model *m, size_t blk, char *buf, size_t size) {
        const sk_block *b = &m->blocks[blk];

        if (b->online)
                snprintf(buf, size, "%s", b->zone == SK_ZONE_MOVABLE ? "Movable" : "Normal");
        else if (default_zone(m, blk) == SK_ZONE_MOVABLE)
                snprintf(buf, size, "Movable Normal");
        else
                snprintf(buf, size, "Normal Movable");
        return buf;
}

/* ---------------------------------------------------------------- blocks */

static void node_register(sk_model *m, unsigned n) {
        if (m->nodes[n].registered)
                return;
        m->nodes[n].registered = true;
        m->generation++;
        emit(m, "add", "node", node_devpath(n), NULL);
}

static void node_try_unregister(sk_model *m, unsigned n) {
        sk_node *nd = &m->nodes[n];

        if (!nd->registered || (nd->cpulist && *nd->cpulist) || node_has_blocks(m, n))
                return;
        nd->registered = false;
        m->generation++;
        emit(m, "remove", "node", node_devpath(n), NULL);
}

static int block_online(sk_model *m, size_t blk, sk_online type) {
        sk_block *b = &m->blocks[blk];
        int tier_before, tier;
        sk_zone z;

        if (b->online)
                return -EINVAL; /* device_online() returns 1: "already" */

        switch (type) {
        case SK_ONLINE_KERNEL:
                z = SK_ZONE_NORMAL;
                break;
        case SK_ONLINE_MOVABLE:
                z = SK_ZONE_MOVABLE;
                break;
        default:
                z = default_zone(m, blk);
                break;
        }

        tier_before = sk_node_tier(m, b->node);
        b->online = true;
        b->zone = z;
        tier = sk_node_tier(m, b->node);
        if (tier_before < 0 && !sk_tier_exists_except(m, (unsigned) tier, b->node)) {
                m->generation++;
                emit(m, "add", "memory_tiering",
                     xasprintf("/devices/virtual/memory_tiering/memory_tier%d", tier), NULL);
        }
        emit(m, "online", "memory", block_devpath(blk), NULL);
        return 0;
}

static int block_offline(sk_model *m, size_t blk) {
        sk_block *b = &m->blocks[blk];
        int tier;

        if (!b->online)
                return -EINVAL;
        if (b->busy)
                return -EBUSY;

        tier = sk_node_tier(m, b->node);
        b->online = false;
        b->zone = SK_ZONE_NONE;
        if (sk_node_tier(m, b->node) < 0 && !sk_tier_exists_except(m, (unsigned) tier, b->node)) {
                m->generation++;
                emit(m, "remove", "memory_tiering",
                     xasprintf("/devices/virtual/memory_tiering/memory_tier%d", tier), NULL);
        }
        emit(m, "offline", "memory", block_devpath(blk), NULL);
        return 0;
}

/* Whether a tier has a member other than node n. */
bool sk_tier_exists_except(const sk_model *m, unsigned tier, unsigned n) {
        for (unsigned i = 0; i < m->n_nodes; i++)
                if (i != n && sk_node_tier(m, i) == (int) tier)
                        return true;
        return false;
}

static size_t dax_first_block(const sk_model *m, const sk_dax *d) {
        uint64_t bs = m->cfg.block_size;
        return (size_t) ((d->start + bs - 1) / bs);
}

static size_t dax_nblocks(const sk_model *m, const sk_dax *d) {
        uint64_t bs = m->cfg.block_size, s = (d->start + bs - 1) / bs * bs;

        if (d->start + d->size <= s)
                return 0;
        return (size_t) ((d->start + d->size - s) / bs);
}

/* add_memory_driver_managed() for a dax device's range, then the
 * auto-online step that runs inside it. */
static int add_memory(sk_model *m, size_t di, sk_online type) {
        sk_dax *d = &m->dax[di];
        size_t first = dax_first_block(m, d), n = dax_nblocks(m, d);
        unsigned node = (unsigned) d->target_node;
        bool new_node;
        int r;

        if (n == 0)
                return -EINVAL;
        r = ensure_node(m, node);
        if (r < 0)
                return r;

        if (IN_SET(m->cfg.marking, SK_MARKING_SPM_V1, SK_MARKING_SPM_V2)) {
                sk_latch want = d->spm_node ? SK_LATCH_SPM : SK_LATCH_SYSRAM;
                sk_latch *l = &m->nodes[node].latch;

                /* v2: one-way latch until reboot, and the code says EBUSY.
                 * v1 returns EINVAL (its check is inverted in the posted
                 * code; the model applies the rule the series describes)
                 * and forgets the type with the node's last block. */
                if (*l != SK_LATCH_NONE && *l != want)
                        return m->cfg.marking == SK_MARKING_SPM_V1 ? -EINVAL : -EBUSY;
                *l = want;
        }

        r = ensure_blocks(m, first + n);
        if (r < 0)
                return r;

        new_node = !m->nodes[node].registered;
        for (size_t b = first; b < first + n; b++) {
                m->blocks[b] = (sk_block) {
                        .present = true, .node = node, .online = false,
                        .busy = d->busy, .dax = (int) di,
                };
                emit(m, "add", "memory", block_devpath(b), NULL);
        }
        if (new_node)
                node_register(m, node);
        d->added = true;
        m->generation++;

        if (type != SK_ONLINE_OFFLINE)
                for (size_t b = first; b < first + n; b++)
                        (void) block_online(m, b, type);
        return 0;
}

static bool dax_any_online(const sk_model *m, size_t di) {
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].dax == (int) di && m->blocks[b].online)
                        return true;
        return false;
}

/* remove_memory(): only when every block is offline. */
static int remove_memory(sk_model *m, size_t di) {
        sk_dax *d = &m->dax[di];
        int node = -1;

        if (dax_any_online(m, di))
                return -EBUSY;
        for (size_t b = 0; b < m->n_blocks; b++)
                if (m->blocks[b].present && m->blocks[b].dax == (int) di) {
                        node = (int) m->blocks[b].node;
                        m->blocks[b].present = false;
                        emit(m, "remove", "memory", block_devpath(b), NULL);
                }
        d->added = false;
        m->generation++;
        if (node >= 0) {
                /* SPM v1 releases the node type with the last block */
                if (m->cfg.marking == SK_MARKING_SPM_V1 && !node_has_blocks(m, (unsigned) node))
                        m->nodes[node].latch = SK_LATCH_NONE;
                node_try_unregister(m, (unsigned) node);
        }
        return 0;
}

/* offline_and_remove_memory(): all or nothing, with rollback. */
static int offline_and_remove(sk_model *m, size_t di) {
        size_t *done = NULL, n_done = 0;
        int r = 0;

        done = calloc(m->n_blocks + 1, sizeof(size_t));
        if (!done)
                return -ENOMEM;
        for (size_t b = 0; b < m->n_blocks; b++) {
                sk_block *x = &m->blocks[b];
                sk_online back;

                if (!x->present || x->dax != (int) di || !x->online)
                        continue;
                back = x->zone == SK_ZONE_MOVABLE ? SK_ONLINE_MOVABLE : SK_ONLINE_KERNEL;
                r = block_offline(m, b);
                if (r < 0) {
                        /* roll back what was offlined, in the same zones */
                        for (size_t k = 0; k < n_done; k++)
                                (void) block_online(m, done[k] >> 2, (sk_online) (done[k] & 3));
                        free(done);
                        return r;
                }
                done[n_done++] = (b << 2) | (size_t) back;
        }
        free(done);
        return remove_memory(m, di);
}

/* ---------------------------------------------------------------- stores: memory */

int sk_online_from_buf(const char *buf, size_t len) {
        for (int t = 0; t < _SK_ONLINE_MAX; t++)
                if (sk_sysfs_streq(buf, len, sk_online_to_string((sk_online) t)))
                        return t;
        return -EINVAL;
}

int sk_store_auto_online(sk_model *m, const char *buf, size_t len) {
        int t = sk_online_from_buf(buf, len);

        if (t < 0)
                return -EINVAL;
        m->auto_online = (sk_online) t;
        return 0;
}

/* hotplug v1/v2 block direct memoryN/state writes with a memory notifier
 * while the device controls its memory. */
static bool block_locked(const sk_model *m, size_t blk) {
        const sk_block *b = &m->blocks[blk];

        return m->cfg.hotplug == SK_HOTPLUG_V2 && b->dax >= 0 &&
               m->dax[b->dax].present && m->dax[b->dax].driver == SK_DRV_KMEM;
}

int sk_store_block_state(sk_model *m, size_t blk, const char *buf, size_t len) {
        int t = sk_online_from_buf(buf, len);

        if (blk >= m->n_blocks || !m->blocks[blk].present)
                return -ENODEV;
        if (t < 0)
                return -EINVAL;
        if (block_locked(m, blk))
                return -EBUSY;
        if (t == SK_ONLINE_OFFLINE)
                return block_offline(m, blk);
        return block_online(m, blk, (sk_online) t);
}

int sk_store_block_online(sk_model *m, size_t blk, const char *buf, size_t len) {
        bool v;
        int r;

        if (blk >= m->n_blocks || !m->blocks[blk].present)
                return -ENODEV;
        r = sk_kstrtobool_buf(buf, len, &v);
        if (r < 0)
                return r;
        if (block_locked(m, blk))
                return -EBUSY;
        /* driver-core toggle: "already" is success here */
        if (v == m->blocks[blk].online)
                return 0;
        if (!v)
                return block_offline(m, blk);
        return block_online(m, blk, m->auto_online == SK_ONLINE_OFFLINE ? SK_ONLINE_ONLINE : m->auto_online);
}

/* ---------------------------------------------------------------- dax drivers */

int sk_model_find_dax(const sk_model *m, const char *name) {
        for (size_t i = 0; i < m->n_dax; i++)
                if (m->dax[i].present && streq(m->dax[i].name, name))
                        return (int) i;
        return -ENODEV;
}

static bool id_listed(const sk_model *m, sk_driver drv, const char *name) {
        for (char **i = m->ids[drv]; i && *i; i++)
                if (streq(*i, name))
                        return true;
        return false;
}

static bool driver_match(const sk_model *m, sk_driver drv, const sk_dax *d) {
        if (drv == SK_DRV_KMEM && !m->kmem_loaded)
                return false;   /* no such driver on the bus */
        if (id_listed(m, drv, d->name))
                return true;
        return d->kmem_region ? drv == SK_DRV_KMEM : drv == SK_DRV_DEVICE_DAX;
}

static sk_devstate devstate_of(sk_online t) {
        switch (t) {
        case SK_ONLINE_ONLINE:
                return SK_DEV_ONLINE;
        case SK_ONLINE_KERNEL:
                return SK_DEV_ONLINE_KERNEL;
        case SK_ONLINE_MOVABLE:
                return SK_DEV_ONLINE_MOVABLE;
        default:
                return SK_DEV_OFFLINE;
        }
}

static void emit_dax(sk_model *m, size_t di, const char *action, const char *driver) {
        _cleanup_free_ char *drv = driver ? xasprintf("DRIVER=%s", driver) : NULL;
        _cleanup_free_ char *devname = xasprintf("DEVNAME=%s", m->dax[di].name);

        emit(m, action, "dax", slash(sk_dax_devpath(m, di)),
             devname ? devname : "DEVNAME=", "MODALIAS=dax:t0*", drv, NULL);
}

static int probe(sk_model *m, size_t di, sk_driver drv) {
        sk_dax *d = &m->dax[di];
        int r;

        if (d->driver != SK_DRV_NONE)
                return -EBUSY;
        if (drv == SK_DRV_KMEM && !m->kmem_loaded)
                return -ENODEV; /* the module is not loaded: nothing binds */
        if (d->stuck)
                return -EBUSY; /* request_mem_region() of a leaked range */

        if (drv == SK_DRV_KMEM) {
                sk_online t;

                if (d->target_node < 0)
                        return -EINVAL;
                switch (m->cfg.hotplug) {
                case SK_HOTPLUG_V4:
                        t = d->created_default;
                        break;
                default:
                        t = m->auto_online;
                        break;
                }
                if (m->cfg.hotplug == SK_HOTPLUG_V2 && t == SK_ONLINE_OFFLINE) {
                        /* v2: an offline default adds nothing */
                        d->devstate = SK_DEV_UNPLUGGED;
                } else {
                        r = add_memory(m, di, t);
                        if (r < 0)
                                return r;
                        d->devstate = devstate_of(t);
                        if (m->cfg.hotplug == SK_HOTPLUG_V2 && t == SK_ONLINE_KERNEL)
                                d->devstate = SK_DEV_UNKNOWN; /* no v2 word for it */
                }
        }

        d->driver = drv;
        m->generation++;
        emit_dax(m, di, "bind", sk_driver_to_string(drv));
        return 0;
}

static void release(sk_model *m, size_t di) {
        sk_dax *d = &m->dax[di];

        if (d->driver == SK_DRV_NONE)
                return;
        if (d->driver == SK_DRV_KMEM && d->added) {
                /* offline ranges go; an online one leaks until reboot */
                if (remove_memory(m, di) < 0)
                        d->stuck = true;
        }
        d->driver = SK_DRV_NONE;
        m->generation++;
        emit_dax(m, di, "unbind", NULL);
}

/* driver_attach(): try every unbound device the driver matches, ignoring
 * probe errors (why new_id "succeeds" when the probe fails). */
static void driver_attach(sk_model *m, sk_driver drv) {
        for (size_t i = 0; i < m->n_dax; i++)
                if (m->dax[i].present && m->dax[i].driver == SK_DRV_NONE && driver_match(m, drv, &m->dax[i]))
                        (void) probe(m, i, drv);
}

int sk_model_load_kmem(sk_model *m) {
        if (m->kmem_loaded)
                return 0;       /* modprobe of a loaded module succeeds */
        m->kmem_loaded = true;
        m->generation++;
        emit(m, "add", "module", xasprintf("/module/kmem"), NULL);
        emit(m, "add", "drivers", xasprintf("/bus/dax/drivers/kmem"), NULL);
        /* driver_register() → bus_add_driver() → driver_attach() */
        driver_attach(m, SK_DRV_KMEM);
        return 0;
}

/* "daxR.I" exactly, else EINVAL (do_id_store) */
static int parse_dax_id(const char *buf, size_t len, char *ret, size_t size) {
        _cleanup_free_ char *s = strndup(buf, len);
        int region, id, n = 0;
        char name[32];

        if (!s)
                return -ENOMEM;
        if (sscanf(s, "dax%d.%d%n", &region, &id, &n) != 2)
                return -EINVAL;
        snprintf(name, sizeof name, "dax%d.%d", region, id);
        if (!sk_sysfs_streq(buf, len, name))
                return -EINVAL;
        snprintf(ret, size, "%s", name);
        return 0;
}

int sk_store_new_id(sk_model *m, sk_driver drv, const char *buf, size_t len) {
        char name[32];
        int r;

        r = parse_dax_id(buf, len, name, sizeof name);
        if (r < 0)
                return r;
        if (!id_listed(m, drv, name)) {
                size_t n = strv_length(m->ids[drv]);
                char **p = realloc(m->ids[drv], (n + 2) * sizeof(char *));
                if (!p)
                        return -ENOMEM;
                m->ids[drv] = p;
                p[n] = strdup(name);
                p[n + 1] = NULL;
                if (!p[n])
                        return -ENOMEM;
        }
        driver_attach(m, drv);
        return 0;
}

int sk_store_remove_id(sk_model *m, sk_driver drv, const char *buf, size_t len) {
        char name[32];
        int r;

        r = parse_dax_id(buf, len, name, sizeof name);
        if (r < 0)
                return r;
        for (char **i = m->ids[drv]; i && *i; i++)
                if (streq(*i, name)) {
                        free(*i);
                        memmove(i, i + 1, (strv_length(i + 1) + 1) * sizeof(char *));
                        break;
                }
        return 0; /* not listed: still success */
}

static int find_dax_buf(const sk_model *m, const char *buf, size_t len) {
        for (size_t i = 0; i < m->n_dax; i++)
                if (m->dax[i].present && sk_sysfs_streq(buf, len, m->dax[i].name))
                        return (int) i;
        return -ENODEV;
}

int sk_store_bind(sk_model *m, sk_driver drv, const char *buf, size_t len) {
        int di = find_dax_buf(m, buf, len);

        if (di < 0 || !driver_match(m, drv, &m->dax[di]))
                return -ENODEV;
        return probe(m, (size_t) di, drv);
}

int sk_store_unbind(sk_model *m, sk_driver drv, const char *buf, size_t len) {
        int di = find_dax_buf(m, buf, len);

        if (di < 0 || m->dax[di].driver != drv)
                return -ENODEV;
        release(m, (size_t) di);
        return 0;
}

/* ---------------------------------------------------------------- dax attributes */

const char *sk_mark_file(const sk_model *m) {
        switch (m->cfg.marking) {
        case SK_MARKING_SPM_V2:
                return "spm_node";
        case SK_MARKING_SPM_V1:
                return "protected_memory";  /* same rules under its v1 name */
        default:
                return NULL;
        }
}

int sk_store_spm_node(sk_model *m, size_t di, const char *buf, size_t len) {
        sk_dax *d = &m->dax[di];
        bool v;
        int r;

        r = sk_kstrtobool_buf(buf, len, &v);
        if (r < 0)
                return r;
        if (v != d->spm_node && d->driver == SK_DRV_KMEM)
                return -EBUSY;
        d->spm_node = v;
        return 0;
}

int sk_store_memmap(sk_model *m, size_t di, const char *buf, size_t len) {
        sk_dax *d = &m->dax[di];
        bool v;
        int r;

        r = sk_kstrtobool_buf(buf, len, &v);
        if (r < 0)
                return r;
        if (v && m->cfg.memmap == SK_MEMMAP_UNSUPPORTED)
                return -EOPNOTSUPP;
        if (v != d->memmap_on_memory && d->driver == SK_DRV_KMEM)
                return -EBUSY;
        d->memmap_on_memory = v;
        return 0;
}

const char *sk_dax_devstate_file(const sk_model *m, size_t di) {
        if (m->dax[di].driver != SK_DRV_KMEM)
                return NULL; /* only while kmem is bound */
        switch (m->cfg.hotplug) {
        case SK_HOTPLUG_V2:
        case SK_HOTPLUG_V4:
                return "hotplug";
        case SK_HOTPLUG_V7:
                return "state";
        default:
                return NULL;
        }
}

const char *sk_dax_devstate_string(const sk_model *m, size_t di) {
        static const char *const names[_SK_DEV_MAX] = {
                [SK_DEV_UNPLUGGED] = "unplugged",
                [SK_DEV_OFFLINE] = "offline",
                [SK_DEV_ONLINE] = "online",
                [SK_DEV_ONLINE_KERNEL] = "online_kernel",
                [SK_DEV_ONLINE_MOVABLE] = "online_movable",
                [SK_DEV_UNKNOWN] = "unknown",
        };
        return names[m->dax[di].devstate];
}

int sk_store_devstate(sk_model *m, size_t di, const char *buf, size_t len) {
        sk_dax *d = &m->dax[di];
        sk_devstate want;
        sk_online type;
        int r;

        if (!sk_dax_devstate_file(m, di))
                return -ENXIO;

        if (m->cfg.hotplug == SK_HOTPLUG_V2) {
                if (sk_sysfs_streq(buf, len, "unplug"))
                        want = SK_DEV_UNPLUGGED, type = SK_ONLINE_OFFLINE;
                else if (sk_sysfs_streq(buf, len, "online"))
                        want = SK_DEV_ONLINE, type = SK_ONLINE_ONLINE;
                else if (sk_sysfs_streq(buf, len, "online_movable"))
                        want = SK_DEV_ONLINE_MOVABLE, type = SK_ONLINE_MOVABLE;
                else
                        return -EINVAL;
        } else {
                if (sk_sysfs_streq(buf, len, "unplugged"))
                        want = SK_DEV_UNPLUGGED, type = SK_ONLINE_OFFLINE;
                else if (sk_sysfs_streq(buf, len, "online"))
                        want = SK_DEV_ONLINE, type = SK_ONLINE_ONLINE;
                else if (sk_sysfs_streq(buf, len, "online_kernel"))
                        want = SK_DEV_ONLINE_KERNEL, type = SK_ONLINE_KERNEL;
                else if (sk_sysfs_streq(buf, len, "online_movable"))
                        want = SK_DEV_ONLINE_MOVABLE, type = SK_ONLINE_MOVABLE;
                else
                        return -EINVAL; /* "offline" is readable, not writable */
        }

        if (want == d->devstate)
                return 0;

        if (want == SK_DEV_UNPLUGGED) {
                if (d->added) {
                        r = offline_and_remove(m, di);
                        if (r < 0)
                                return r;
                }
                d->devstate = SK_DEV_UNPLUGGED;
                return 0;
        }

        /* online* from anything but unplugged: unplug first */
        if (d->devstate != SK_DEV_UNPLUGGED)
                return -EBUSY;
        if (d->added) /* blocks left behind by direct writes; treat as busy */
                return -EBUSY;
        r = add_memory(m, di, type);
        if (r < 0)
                return r;
        d->devstate = want;
        return 0;
}

/* ---------------------------------------------------------------- hot-add / remove */

int sk_model_add_dax(sk_model *m, const sk_dax_spec *spec) {
        unsigned region = 0, inst = 0;
        sk_dax *d, *p;
        size_t di;
        int r;

        if (spec->name) {
                char tail;
                if (sscanf(spec->name, "dax%u.%u%c", &region, &inst, &tail) != 2)
                        return -EINVAL;
                if (sk_model_find_dax(m, spec->name) >= 0)
                        return -EEXIST;
        } else {
                /* the next unused region number */
                for (size_t i = 0; i < m->n_dax; i++)
                        region = MAX(region, m->dax[i].region + 1);
                for (size_t i = 0; i < m->n_regions; i++)
                        region = MAX(region, m->regions[i].id + 1);
        }
        if (spec->node >= 0) {
                r = ensure_node(m, (unsigned) spec->node);
                if (r < 0)
                        return r;
        }

        p = realloc(m->dax, (m->n_dax + 1) * sizeof(sk_dax));
        if (!p)
                return -ENOMEM;
        m->dax = p;
        di = m->n_dax++;
        d = &m->dax[di];
        *d = (sk_dax) {
                .present = true,
                .region = region,
                .instance = inst,
                .provider = spec->provider,
                /* CXL and (since 6.12) hmem regions carry the KMEM flag */
                .kmem_region = spec->provider != SK_PROV_PMEM,
                .target_node = spec->node,
                .numa_node = 0,
                .start = m->next_phys,
                .size = spec->size,
                .align = UINT64_C(2) << 20,
                .spm_node = spec->spm_node,
                .private_mem = spec->private_mem,
                .busy = spec->busy,
                .devstate = SK_DEV_UNPLUGGED,
                .created_default = m->auto_online,
                .cxl_region = -1,
        };
        snprintf(d->name, sizeof d->name, "dax%u.%u", region, inst);
        /* next range starts at the next 1 GiB boundary */
        m->next_phys += (spec->size + (UINT64_C(1) << 30) - 1) & ~((UINT64_C(1) << 30) - 1);
        if (spec->size == 0)
                m->next_phys += UINT64_C(1) << 30;

        if (spec->private_mem && spec->node >= 0)
                m->nodes[spec->node].private_mem = true;

        m->generation++;
        emit_dax(m, di, "add", NULL);

        if (spec->no_probe)
                return (int) di;
        if (spec->driver != SK_DRV_NONE) {
                (void) probe(m, di, spec->driver);
                return (int) di;
        }
        /* driver core: ID lists first, then the type match */
        if (id_listed(m, SK_DRV_KMEM, d->name))
                (void) probe(m, di, SK_DRV_KMEM);
        else if (id_listed(m, SK_DRV_DEVICE_DAX, d->name))
                (void) probe(m, di, SK_DRV_DEVICE_DAX);
        else
                (void) probe(m, di, d->kmem_region ? SK_DRV_KMEM : SK_DRV_DEVICE_DAX);
        return (int) di;
}

int sk_model_remove_dax(sk_model *m, const char *name) {
        int di = sk_model_find_dax(m, name);

        if (di < 0)
                return di;
        release(m, (size_t) di);
        emit_dax(m, (size_t) di, "remove", NULL);
        m->dax[di].present = false;
        m->generation++;
        return 0;
}

/* ---------------------------------------------------------------- CXL regions */

int sk_model_find_region(const sk_model *m, unsigned id) {
        for (size_t i = 0; i < m->n_regions; i++)
                if (m->regions[i].present && m->regions[i].id == id)
                        return (int) i;
        return -ENODEV;
}

static int region_probe(sk_model *m, size_t ri) {
        sk_region *g = &m->regions[ri];
        char name[32];
        sk_dax_spec spec;
        int di;

        _cleanup_free_ char *dp = NULL;

        if (g->bound)
                return -EBUSY;
        if (g->uncommitted)
                return -ENXIO;  /* nothing decoded yet */
        if (sk_region_is_private(m, ri) && !g->private_type[0])
                return -ENXIO;  /* private v3: probe fails while private_type is unset */
        dp = sk_region_devpath(m, ri);
        if (!dp)
                return -ENOMEM;
        g->bound = true;
        emit(m, "bind", "cxl", xasprintf("/%s", dp), "DEVTYPE=cxl_region", "DRIVER=cxl_region", NULL);
        emit(m, "add", "cxl", xasprintf("/%s/dax_region%u", dp, g->id), "DEVTYPE=cxl_dax_region", NULL);
        emit(m, "bind", "cxl", xasprintf("/%s/dax_region%u", dp, g->id),
             "DEVTYPE=cxl_dax_region", "DRIVER=cxl_dax_region", NULL);

        /* spm_node is copied when the dax region probes */
        snprintf(name, sizeof name, "dax%u.0", g->id);
        spec = (sk_dax_spec) {
                .name = name, .provider = SK_PROV_CXL, .node = g->node, .size = g->size,
                .spm_node = sk_mark_file(m) && g->spm_node,
                .private_mem = g->private_mem,
        };
        di = sk_model_add_dax(m, &spec);
        if (di < 0)
                return di;
        m->dax[di].cxl_region = (int) ri;
        g->dax = di;
        m->generation++;
        return 0;
}

bool sk_region_is_private(const sk_model *m, size_t ri) {
        return m->cfg.marking == SK_MARKING_PRIVATE_V3 && m->regions[ri].private_mem;
}

int sk_model_add_region(sk_model *m, int node, uint64_t size, bool spm_node, bool auto_region, bool private_mem) {
        sk_region_spec spec = {
                .node = node, .size = size, .spm_node = spm_node, .auto_region = auto_region,
                .private_mem = private_mem,
        };
        return sk_model_add_region_spec(m, &spec);
}

int sk_model_add_region_spec(sk_model *m, const sk_region_spec *spec) {
        int node = spec->node;
        uint64_t size = spec->size;
        bool spm_node = spec->spm_node, auto_region = spec->auto_region, private_mem = spec->private_mem;
        sk_region *p;
        unsigned id = 0;
        size_t ri;

        for (size_t i = 0; i < m->n_dax; i++)
                id = MAX(id, m->dax[i].region + 1);
        for (size_t i = 0; i < m->n_regions; i++)
                id = MAX(id, m->regions[i].id + 1);

        p = realloc(m->regions, (m->n_regions + 1) * sizeof(sk_region));
        if (!p)
                return -ENOMEM;
        m->regions = p;
        ri = m->n_regions++;
        m->regions[ri] = (sk_region) {
                .present = true, .id = id, .node = node, .size = size, .spm_node = spm_node,
                .auto_region = auto_region, .private_mem = private_mem, .dax = -1,
                .uncommitted = spec->uncommitted,
        };
        snprintf(m->regions[ri].private_type, sizeof m->regions[ri].private_type, "%s", strempty(spec->private_type));
        m->generation++;
        emit(m, "add", "cxl", slash(sk_region_devpath(m, ri)), "DEVTYPE=cxl_region", NULL);
        if (auto_region) {
                int r = region_probe(m, ri);
                if (r < 0 && r != -ENXIO)   /* ENXIO: the probe refused; it stays unbound */
                        return r;
        }
        return (int) ri;
}

static void region_release(sk_model *m, size_t ri) {
        sk_region *g = &m->regions[ri];
        _cleanup_free_ char *dp = NULL;

        if (!g->bound)
                return;
        if (g->dax >= 0 && m->dax[g->dax].present)
                (void) sk_model_remove_dax(m, m->dax[g->dax].name);
        g->dax = -1;
        dp = sk_region_devpath(m, ri);
        emit(m, "unbind", "cxl", xasprintf("/%s/dax_region%u", dp ?: "", g->id), "DEVTYPE=cxl_dax_region", NULL);
        emit(m, "remove", "cxl", xasprintf("/%s/dax_region%u", dp ?: "", g->id), "DEVTYPE=cxl_dax_region", NULL);
        emit(m, "unbind", "cxl", slash(sk_region_devpath(m, ri)), "DEVTYPE=cxl_region", NULL);
        g->bound = false;
        m->generation++;
}

int sk_model_remove_region(sk_model *m, unsigned id) {
        int ri = sk_model_find_region(m, id);

        if (ri < 0)
                return ri;
        region_release(m, (size_t) ri);
        emit(m, "remove", "cxl", slash(sk_region_devpath(m, (size_t) ri)), "DEVTYPE=cxl_region", NULL);
        m->regions[ri].present = false;
        m->generation++;
        return 0;
}

int sk_store_region_spm_node(sk_model *m, size_t ri, const char *buf, size_t len) {
        bool v;
        int r;

        r = sk_kstrtobool_buf(buf, len, &v);
        if (r < 0)
                return r;
        m->regions[ri].spm_node = v; /* no state check */
        return 0;
}

int sk_store_region_private_type(sk_model *m, size_t ri, const char *buf, size_t len) {
        sk_region *g = &m->regions[ri];
        size_t n = len;

        if (!g->uncommitted)
                return -EBUSY;
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
                n--;
        if (n == 0 || n >= sizeof g->private_type || memchr(buf, ' ', n))
                return -EINVAL;
        memcpy(g->private_type, buf, n);
        g->private_type[n] = 0;
        return 0;
}

int sk_store_region_commit(sk_model *m, size_t ri, const char *buf, size_t len) {
        bool v;
        int r;

        if (!m->regions[ri].uncommitted)
                return -EBUSY;
        r = sk_kstrtobool_buf(buf, len, &v);
        if (r < 0)
                return r;
        if (v)
                m->regions[ri].uncommitted = false;
        return 0;
}

static int find_region_buf(const sk_model *m, const char *buf, size_t len) {
        for (size_t i = 0; i < m->n_regions; i++) {
                char name[32];

                snprintf(name, sizeof name, "region%u", m->regions[i].id);
                if (m->regions[i].present && sk_sysfs_streq(buf, len, name))
                        return (int) i;
        }
        return -ENODEV;
}

int sk_store_region_bind(sk_model *m, const char *buf, size_t len) {
        int ri = find_region_buf(m, buf, len);

        if (ri < 0)
                return ri;
        return region_probe(m, (size_t) ri);
}

int sk_store_region_unbind(sk_model *m, const char *buf, size_t len) {
        int ri = find_region_buf(m, buf, len);

        if (ri < 0 || !m->regions[ri].bound)
                return -ENODEV;
        region_release(m, (size_t) ri);
        return 0;
}

/* ---------------------------------------------------------------- faults */

int sk_model_burst(sk_model *m, unsigned n) {
        size_t any = 0;

        for (size_t b = 0; b < m->n_blocks; b++)
                any += m->blocks[b].present;
        if (any == 0)
                return -ENODEV;
        for (unsigned k = 0, b = 0; k < n; b = (b + 1) % (unsigned) m->n_blocks) {
                if (!m->blocks[b].present)
                        continue;
                emit(m, "change", "memory", block_devpath(b), NULL);
                k++;
        }
        return 0;
}
