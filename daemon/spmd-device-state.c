/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attr.h"
#include "log.h"
#include "macro.h"
#include "planner.h"
#include "spmd-bus.h"
#include "spmd-device-state.h"
#include "spmd-manager.h"

static const char *const state_names[_SPMD_DEVICE_STATE_MAX] = {
        [SPMD_DEVICE_UNMANAGED] = "unmanaged",
        [SPMD_DEVICE_PENDING] = "pending",
        [SPMD_DEVICE_MARKING] = "marking",
        [SPMD_DEVICE_ONLINING] = "onlining",
        [SPMD_DEVICE_ONLINE] = "online",
        [SPMD_DEVICE_OFFLINE] = "offline",
        [SPMD_DEVICE_FAILED] = "failed",
        [SPMD_DEVICE_NEEDS_REBOOT] = "needs-reboot",
};

const char *spmd_device_state_to_string(spmd_device_state s) {
        return s >= 0 && s < _SPMD_DEVICE_STATE_MAX ? state_names[s] : NULL;
}

spmd_device_table *spmd_device_table_free(spmd_device_table *t) {
        if (!t)
                return NULL;
        for (size_t i = 0; i < t->n; i++) {
                free(t->records[i].name);
                free(t->records[i].reason);
                free(t->records[i].pool);
        }
        free(t->records);
        t->records = NULL;
        t->n = 0;
        return NULL;
}

static spmd_device_record *find(const spmd_device_table *t, const char *name) {
        for (size_t i = 0; i < t->n; i++)
                if (streq(t->records[i].name, name))
                        return &t->records[i];
        return NULL;
}

const spmd_device_record *spmd_device_record_find(const manager *m, const char *name) {
        return find(&m->devices, name);
}

static spmd_device_record *get(manager *m, const char *name) {
        spmd_device_table *t = &m->devices;
        spmd_device_record *r = find(t, name), *n;

        if (r)
                return r;
        n = reallocarray(t->records, t->n + 1, sizeof(*n));
        if (!n)
                return NULL;
        t->records = n;
        r = &n[t->n];
        *r = (spmd_device_record) { .state = SPMD_DEVICE_UNMANAGED, .node = -1 };
        r->name = strdup(name);
        r->reason = strdup("");
        if (!r->name || !r->reason) {
                free(r->name);
                free(r->reason);
                return NULL;
        }
        t->n++;
        return r;
}

static void emit(manager *m, const char *name) {
        _cleanup_free_ char *path = NULL;

        if (!m->bus || !startswith(name, "dax"))
                return;
        path = spmd_bus_device_path(name);
        if (path)
                (void) sd_bus_emit_properties_changed(m->bus, path, SPM_BUS_IFACE_DEVICE, "ManagedState",
                                                      "StateReason", NULL);
}

int spmd_device_state_set(manager *m, const char *name, spmd_device_state state, const char *reason) {
        spmd_device_record *r = get(m, name);
        char dev[96], node[32], pool[96];
        const char *id;
        int level;

        if (!r)
                return -ENOMEM;
        reason = reason ?: "";
        if (r->state == state && streq(r->reason, reason))
                return 0;
        if (!streq(r->reason, reason)) {
                char *s = strdup(reason);

                if (!s)
                        return -ENOMEM;
                free(r->reason);
                r->reason = s;
        }
        r->state = state;

        level = state == SPMD_DEVICE_FAILED ? LOG_ERR : state == SPMD_DEVICE_NEEDS_REBOOT ? LOG_WARNING : LOG_INFO;
        id = state == SPMD_DEVICE_FAILED ? SPM_MESSAGE_DEVICE_FAILED :
             state == SPMD_DEVICE_NEEDS_REBOOT ? SPM_MESSAGE_NEEDS_REBOOT :
             state == SPMD_DEVICE_ONLINE ? SPM_MESSAGE_DEVICE_ONLINE : "SPM_STATE_CHANGE=1";
        snprintf(dev, sizeof dev, "SPM_DEVICE=%s", name);
        snprintf(node, sizeof node, "SPM_NODE=%d", r->node);
        snprintf(pool, sizeof pool, "SPM_POOL=%s", strempty(r->pool));
        log_struct(level, LOG_FIELDS(dev, node, pool, id), "Device '%s' is %s%s%s", name,
                   spmd_device_state_to_string(state), *reason ? ": " : "", reason);
        emit(m, name);
        return 0;
}

int spmd_device_state_fail(manager *m, const char *name, spmd_device_state state, const char *reason) {
        spmd_device_record *r;
        int k;

        k = spmd_device_state_set(m, name, state, reason);
        if (k < 0)
                return k;
        r = find(&m->devices, name);
        r->held = true;
        r->triggered = false;
        return 0;
}

void spmd_device_state_trigger(manager *m, const char *name) {
        for (size_t i = 0; i < m->devices.n; i++)
                if (!name || streq(m->devices.records[i].name, name))
                        m->devices.records[i].triggered = true;
}

const char *spmd_action_device(const spm_topology *t, const spm_action *a) {
        uint64_t id;

        switch (a->type) {
        case SPM_ACTION_DRIVER_UNBIND:
        case SPM_ACTION_MARK_DEVICE:
        case SPM_ACTION_MARK_REGION:
        case SPM_ACTION_REGION_BIND:
        case SPM_ACTION_SET_MEMMAP:
        case SPM_ACTION_DRIVER_BIND:
        case SPM_ACTION_DEVICE_STATE:
        case SPM_ACTION_ONLINE_BLOCKS:
                return a->object;
        case SPM_ACTION_ONLINE_BLOCK:
                if (t && startswith(a->object, "memory") &&
                    spm_parse_u64(a->object + strlen("memory"), &id) >= 0 && id <= UINT32_MAX) {
                        const spm_memblock *b = spm_topology_find_block(t, (unsigned) id);

                        if (b && b->dax_index >= 0)
                                return t->dax[b->dax_index].name;
                }
                return a->object;
        default:
                return NULL;
        }
}

bool spmd_device_action_held(const manager *m, const spm_topology *t, const spm_action *a) {
        const char *dev = spmd_action_device(t, a);
        const spmd_device_record *r;

        if (!dev)
                return false;
        r = find(&m->devices, dev);
        return r && r->held;
}

static bool plan_touches(const spm_topology *t, const spm_plan *p, const char *name) {
        for (size_t i = 0; i < p->n_actions; i++) {
                const char *d = spmd_action_device(t, &p->actions[i]);

                if (d && streq(d, name))
                        return true;
        }
        return false;
}

/* The first "cannot do" entry of the device (or one of its blocks). */
static const char *blocked_reason(const spm_topology *t, const spm_plan *p, const spm_dax_device *d) {
        for (size_t i = 0; i < p->n_blocked; i++) {
                const char *o = p->blocked[i].object;
                uint64_t id;

                if (streq(o, d->name))
                        return p->blocked[i].reason;
                if (startswith(o, "memory") && spm_parse_u64(o + strlen("memory"), &id) >= 0 && id <= UINT32_MAX) {
                        const spm_memblock *b = spm_topology_find_block(t, (unsigned) id);

                        if (b && b->dax_index >= 0 && streq(t->dax[b->dax_index].name, d->name))
                                return p->blocked[i].reason;
                }
        }
        return NULL;
}

static int set_pool(spmd_device_record *r, const char *pool) {
        if (streq_ptr(r->pool, pool))
                return 0;
        free(r->pool);
        r->pool = NULL;
        if (pool && !(r->pool = strdup(pool)))
                return -ENOMEM;
        return 0;
}

int spmd_device_states_update(manager *m, const spm_topology *t, const spm_plan *plan) {
        int k;

        for (size_t i = 0; i < m->devices.n; i++)
                m->devices.records[i].seen = false;

        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];
                const spm_cxl_region *g = d->cxl_region ? spm_topology_find_region(t, d->cxl_region) : NULL;
                const spm_policy_device *rule = m->policy ? spm_plan_device_rule(m->policy, d, g, NULL) : NULL;
                spmd_device_record *r = get(m, d->name);
                const char *why;
                char buf[128];

                if (!r)
                        return -ENOMEM;
                r->seen = true;
                r->node = d->target_node;
                k = set_pool(r, rule && rule->class == SPM_CLASS_SPM ? rule->pool : NULL);
                if (k < 0)
                        return k;

                if (r->held) {
                        if (!r->triggered)
                                continue;       /* keep failed/needs-reboot and its reason */
                        r->held = r->triggered = false;
                        log_struct(LOG_INFO, LOG_FIELDS("SPM_STATE_CHANGE=1"),
                                   "Device '%s': new trigger, retrying after '%s'", d->name, r->reason);
                }
                r->triggered = false;

                if (!rule || rule->class == SPM_CLASS_IGNORE) {
                        k = spmd_device_state_set(m, d->name, SPMD_DEVICE_UNMANAGED,
                                                  rule ? "the policy says ignore" : "no [Device] rule matches");
                } else if (plan && plan_touches(t, plan, d->name)) {
                        k = spmd_device_state_set(m, d->name, SPMD_DEVICE_PENDING, "changes planned");
                } else if (plan && (why = blocked_reason(t, plan, d))) {
                        if (strstr(why, "reboot"))
                                k = spmd_device_state_set(m, d->name, SPMD_DEVICE_NEEDS_REBOOT, why);
                        else if (strstr(why, "stepaside"))
                                k = spmd_device_state_set(m, d->name, d->n_blocks_online > 0 ? SPMD_DEVICE_ONLINE
                                                                                            : SPMD_DEVICE_OFFLINE,
                                                          why);
                        else
                                k = spmd_device_state_set(m, d->name, SPMD_DEVICE_FAILED, why);
                } else if (d->n_blocks > 0 && d->n_blocks_online == d->n_blocks) {
                        snprintf(buf, sizeof buf, "%zu block(s) online as %s", d->n_blocks,
                                 spm_online_type_to_string(spm_policy_device_online(m->policy, rule)));
                        k = spmd_device_state_set(m, d->name, SPMD_DEVICE_ONLINE, buf);
                } else {
                        snprintf(buf, sizeof buf, "%zu/%zu block(s) online, driver %s", d->n_blocks_online,
                                 d->n_blocks, strna(d->driver));
                        k = spmd_device_state_set(m, d->name, SPMD_DEVICE_OFFLINE, buf);
                }
                if (k < 0)
                        return k;
        }

        /* Regions waiting for their driver are tracked while the plan
         * touches them; everything gone from the kernel is forgotten, so a
         * device that comes back starts afresh. */
        for (size_t i = 0; i < t->n_regions; i++) {
                spmd_device_record *r = find(&m->devices, t->regions[i].name);

                if (r) {
                        r->seen = true;
                        /* a failed region is released by a new trigger
                         * too, or a reload could never retry it */
                        if (r->held && r->triggered) {
                                r->held = false;
                                log_struct(LOG_INFO, LOG_FIELDS("SPM_STATE_CHANGE=1"),
                                           "Device '%s': new trigger, retrying after '%s'", r->name, r->reason);
                        }
                        r->triggered = false;
                }
                if (plan && plan_touches(t, plan, t->regions[i].name) && !(r && r->held)) {
                        k = spmd_device_state_set(m, t->regions[i].name, SPMD_DEVICE_PENDING, "changes planned");
                        if (k < 0)
                                return k;
                        find(&m->devices, t->regions[i].name)->seen = true;
                }
        }
        for (size_t i = 0; i < m->devices.n;) {
                spmd_device_record *r = &m->devices.records[i];

                if (r->seen) {
                        i++;
                        continue;
                }
                free(r->name);
                free(r->reason);
                free(r->pool);
                memmove(r, r + 1, (m->devices.n - i - 1) * sizeof(*r));
                m->devices.n--;
        }
        return 0;
}
