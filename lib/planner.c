/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The planner (see planner.h for the order of a plan). Devices are decided
 * first, because the nodes of the pools, and so the cgroup masks, follow
 * from what the devices will be once the plan has run.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "planner.h"
#include "strutil.h"

typedef struct ctx {
        const spm_policy *pol;
        const spm_topology *topo;
        const spm_features *feat;
        spm_cgroup_tree *tree;      /* written only when remember */
        bool remember;              /* keep what this plan found in the tree's cgroups */
        spm_plan *devices;          /* device actions, spliced in later */
        spm_plan *plan;

        spm_nodemask spm_latched;   /* nodes that hold SPM memory (or are private) */
        spm_nodemask sysram_latched;/* nodes that hold System RAM */
        spm_nodemask *pool_nodes;   /* per policy pool */
        spm_nodemask pools_all;
        spm_nodemask sysram_added;  /* nodes this plan brings online as System RAM */
        spm_nodemask sysram_nodes;  /* System RAM nodes once the plan has run */
        spm_nodemask root_final;    /* root effective once the plan has run */
        spm_online_type auto_online;/* auto_online_blocks, after this plan's change to it */
} ctx;

/* ---- rule choice ---- */

const spm_policy_device *spm_plan_device_rule(const spm_policy *pol, const spm_dax_device *dev,
                                              const spm_cxl_region *region,
                                              const spm_policy_device **ret_conflict) {
        const spm_policy_device *best = NULL, *conflict = NULL;
        unsigned best_spec = 0;

        for (size_t i = 0; i < pol->n_devices; i++) {
                const spm_policy_device *r = &pol->devices[i];
                unsigned spec;

                if (!spm_policy_device_matches(r, dev, region))
                        continue;
                spec = spm_policy_device_specificity(r);
                if (!best || spec > best_spec || (spec == best_spec && r->where.file_index > best->where.file_index)) {
                        best = r;
                        best_spec = spec;
                        conflict = NULL;
                } else if (spec == best_spec && r->where.file_index == best->where.file_index &&
                           !spm_policy_device_same_outcome(pol, r, best))
                        conflict = r;
        }
        if (ret_conflict)
                *ret_conflict = conflict;
        return best;
}

const spm_policy_cgroup *spm_plan_cgroup_rule(const spm_policy *pol, const char *path, const char *unit,
                                              const spm_policy_cgroup **ret_conflict) {
        const spm_policy_cgroup *best = NULL, *conflict = NULL;
        unsigned best_rank = 0;

        for (size_t i = 0; i < pol->n_cgroups; i++) {
                const spm_policy_cgroup *r = &pol->cgroups[i];
                unsigned rank = spm_policy_cgroup_match(r, path, unit);

                if (rank == 0)
                        continue;
                if (!best || rank > best_rank || (rank == best_rank && r->where.file_index > best->where.file_index)) {
                        best = r;
                        best_rank = rank;
                        conflict = NULL;
                } else if (rank == best_rank && r->where.file_index == best->where.file_index &&
                           !spm_policy_cgroup_same_outcome(r, best))
                        conflict = r;
        }
        if (ret_conflict)
                *ret_conflict = conflict;
        return best;
}

static char *label(const spm_source *w, const char *kind, const char *name) {
        char *s;

        if (asprintf(&s, "%s:%u [%s %s]", w->file, w->line, kind, name) < 0)
                return NULL;
        return s;
}

/* ---- devices ---- */

static const char *mark_attr(const spm_dax_device *d, int *ret_value) {
        if (d->spm_node >= 0) {
                *ret_value = d->spm_node;
                return "spm_node";
        }
        if (d->protected_memory >= 0) {
                *ret_value = d->protected_memory;
                return "protected_memory";
        }
        *ret_value = -1;
        return NULL;
}

static const char *region_mark_attr(const spm_cxl_region *g, int *ret_value) {
        if (g->spm_node >= 0) {
                *ret_value = g->spm_node;
                return "spm_node";
        }
        if (g->protected_memory >= 0) {
                *ret_value = g->protected_memory;
                return "protected_memory";
        }
        *ret_value = -1;
        return NULL;
}

static spm_dax_state state_for(spm_online_type t) {
        return t == SPM_ONLINE_KERNEL ? SPM_DAX_STATE_ONLINE_KERNEL :
               t == SPM_ONLINE_ONLINE ? SPM_DAX_STATE_ONLINE : SPM_DAX_STATE_ONLINE_MOVABLE;
}

static bool zone_ok(const char *zones, spm_online_type t) {
        if (t == SPM_ONLINE_ONLINE)
                return true;
        return streq_ptr(zones, t == SPM_ONLINE_KERNEL ? "Normal" : "Movable");
}

/* The series v2/v3 "hotplug" file takes "unplug" and has no online_kernel. */
static bool old_vocabulary(const ctx *c, const spm_dax_device *d) {
        return d->hotplug_attr == SPM_DAX_HOTPLUG_HOTPLUG && c->feat->hotplug == SPM_HOTPLUG_V2;
}

static int online_blocks(ctx *c, const spm_dax_device *d, spm_online_type want, const char *rule) {
        const char *word = spm_online_type_to_string(want);
        int r;

        for (size_t i = 0; i < d->n_blocks; i++) {
                const spm_memblock *b = &c->topo->blocks[d->blocks[i]];
                _cleanup_free_ char *obj = NULL;

                if (asprintf(&obj, "memory%u", b->id) < 0)
                        return -ENOMEM;
                if (b->state == SPM_BLOCK_OFFLINE)
                        r = spm_plan_add(c->devices, SPM_ACTION_ONLINE_BLOCK, obj, "state", word, NULL, rule,
                                         "online the device's memory with the policy's type (no whole-device attribute)");
                else if (b->state == SPM_BLOCK_ONLINE && !zone_ok(b->valid_zones, want))
                        r = spm_plan_add_blocked(c->plan, obj, rule,
                                                 "online in zone %s of %s but the policy wants %s; offline the device to change it",
                                                 strna(b->valid_zones), d->name, word);
                else
                        r = 0;
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Move a whole device from state cur to the online type want: unplugged →
 * want directly; offline or another online type → unplug first (the
 * kernel refuses online↔online and offline→online with EBUSY). */
static int set_state(ctx *c, const spm_dax_device *d, const char *attr, const char *unplug, spm_dax_state cur,
                     spm_online_type want, const char *rule, bool predicted) {
        const char *word = spm_online_type_to_string(want);
        int r;

        if (cur == state_for(want))
                return 0;
        if (cur == SPM_DAX_STATE_UNPLUGGED)
                return spm_plan_add(c->devices, SPM_ACTION_DEVICE_STATE, d->name, attr, word, NULL, rule,
                                    "add and online the device's memory with the policy's type");
        if (cur != SPM_DAX_STATE_OFFLINE && c->pol->auto_online == SPM_AUTO_ONLINE_STEPASIDE)
                return spm_plan_add_blocked(c->plan, d->name, rule,
                                            predicted ? "auto_online_blocks will online it as %s and AutoOnline=stepaside leaves it; the policy wants %s"
                                                      : "onlined as %s by someone else and AutoOnline=stepaside leaves it; the policy wants %s",
                                            spm_dax_state_to_string(cur), word);
        r = spm_plan_add(c->devices, SPM_ACTION_DEVICE_STATE, d->name, attr, unplug, NULL, rule,
                         cur == SPM_DAX_STATE_OFFLINE ? "blocks exist offline; unplug before onlining with a type"
                                                      : "onlined with another type; unplug before re-adding it");
        if (r < 0)
                return r;
        return spm_plan_add(c->devices, SPM_ACTION_DEVICE_STATE, d->name, attr, word, NULL, rule,
                            "add and online the device's memory with the policy's type");
}

static int online_device(ctx *c, const spm_dax_device *d, spm_online_type want, const char *rule, bool just_bound) {
        const char *word = spm_online_type_to_string(want);
        bool whole;

        if (just_bound) {
                /* The attribute appears with the kmem binding, and what
                 * kmem does with the blocks follows auto_online_blocks:
                 * predict the state the device will be in. */
                spm_online_type ao = c->auto_online;
                bool v2 = c->feat->hotplug == SPM_HOTPLUG_V2;
                spm_dax_state after;
                const char *attr = c->feat->hotplug == SPM_HOTPLUG_V7 ? "state" : "hotplug";

                whole = IN_SET(c->feat->hotplug, SPM_HOTPLUG_V7, SPM_HOTPLUG_V4, SPM_HOTPLUG_V2_OR_V4) ||
                        (v2 && want != SPM_ONLINE_KERNEL);
                if (!whole) {
                        if (ao == SPM_ONLINE_INVALID || ao == SPM_ONLINE_OFFLINE)
                                return spm_plan_add(c->devices, SPM_ACTION_ONLINE_BLOCKS, d->name, "state", word, NULL, rule,
                                                    "online every block of the device with the policy's type");
                        if (ao == want || want == SPM_ONLINE_ONLINE)
                                return 0;
                        return spm_plan_add_blocked(c->plan, d->name, rule,
                                                    "auto_online_blocks=%s will online it when kmem binds, but the policy wants %s "
                                                    "and this kernel has no whole-device attribute to redo it",
                                                    spm_online_type_to_string(ao), word);
                }
                after = ao == SPM_ONLINE_ONLINE ? SPM_DAX_STATE_ONLINE :
                        ao == SPM_ONLINE_KERNEL ? SPM_DAX_STATE_ONLINE_KERNEL :
                        ao == SPM_ONLINE_MOVABLE ? SPM_DAX_STATE_ONLINE_MOVABLE :
                        v2 ? SPM_DAX_STATE_UNPLUGGED : SPM_DAX_STATE_OFFLINE;
                return set_state(c, d, attr, v2 ? "unplug" : "unplugged", after, want, rule, true);
        }

        whole = d->hotplug_attr != SPM_DAX_HOTPLUG_NONE && d->hotplug_state != SPM_DAX_STATE_UNKNOWN &&
                !(old_vocabulary(c, d) && want == SPM_ONLINE_KERNEL);
        if (!whole)
                return online_blocks(c, d, want, rule);

        if (d->hotplug_state == state_for(want))
                /* the attribute shows the last request; direct block
                 * writes can have made it stale */
                return online_blocks(c, d, want, rule);
        return set_state(c, d, d->hotplug_attr == SPM_DAX_HOTPLUG_STATE ? "state" : "hotplug",
                         old_vocabulary(c, d) ? "unplug" : "unplugged", d->hotplug_state, want, rule, false);
}

/* Unbind from another driver, set the mark and memmap_on_memory while
 * unbound, bind kmem, online. */
static int bring_up(ctx *c, const spm_dax_device *d, const char *attr, int flag, int want_flag,
                    int memmap, spm_online_type online, const char *rule) {
        int r;

        if (d->driver) {
                r = spm_plan_add(c->devices, SPM_ACTION_DRIVER_UNBIND, d->name, d->driver, NULL, NULL, rule,
                                 "release the device from its driver (remove_id, unbind) so it can be set up");
                if (r < 0)
                        return r;
        }
        if (attr && want_flag >= 0 && flag != want_flag) {
                r = spm_plan_add(c->devices, SPM_ACTION_MARK_DEVICE, d->name, attr, want_flag ? "1" : "0", NULL, rule,
                                 want_flag ? "mark the memory SPM before kmem adds it"
                                           : "clear the SPM mark before kmem adds the memory as System RAM");
                if (r < 0)
                        return r;
        }
        if (memmap >= 0 && d->memmap_on_memory >= 0 && d->memmap_on_memory != memmap) {
                r = spm_plan_add(c->devices, SPM_ACTION_SET_MEMMAP, d->name, "memmap_on_memory", memmap ? "1" : "0",
                                 NULL, rule, "memmap_on_memory can only change while kmem is not bound");
                if (r < 0)
                        return r;
        }
        /* Without a whole-device attribute, blocks that the kernel onlines
         * by itself with the wrong type cannot be redone; take the global
         * setting over first (AutoOnline=takeover). */
        if (c->pol->auto_online == SPM_AUTO_ONLINE_TAKEOVER &&
            !IN_SET(c->auto_online, SPM_ONLINE_OFFLINE, SPM_ONLINE_INVALID) &&
            c->auto_online != online && online != SPM_ONLINE_ONLINE &&
            !(IN_SET(c->feat->hotplug, SPM_HOTPLUG_V7, SPM_HOTPLUG_V4, SPM_HOTPLUG_V2_OR_V4) ||
              (c->feat->hotplug == SPM_HOTPLUG_V2 && online != SPM_ONLINE_KERNEL))) {
                r = spm_plan_add(c->devices, SPM_ACTION_AUTO_ONLINE, "memory", "auto_online_blocks", "offline", NULL, rule,
                                 "keep the kernel from onlining the device's blocks with its own type (AutoOnline=takeover)");
                if (r < 0)
                        return r;
                c->auto_online = SPM_ONLINE_OFFLINE;
        }
        r = spm_plan_add(c->devices, SPM_ACTION_DRIVER_BIND, d->name, "kmem", NULL, NULL, rule,
                         "hot-add the memory (new_id, bind)");
        if (r < 0)
                return r;
        return online_device(c, d, online, rule, true);
}

static ssize_t pool_index(const ctx *c, const char *name) {
        for (size_t i = 0; i < c->pol->n_pools; i++)
                if (streq(c->pol->pools[i].name, name))
                        return (ssize_t) i;
        return -1;
}

/* The rule that decides a dax device (d) or a CXL region (g): 1 with the
 * rule and its label, 0 when nothing is to be done (no rule, Class=ignore,
 * or two rules disagree at the same precedence: that is reported). */
static int decide_device(ctx *c, const spm_dax_device *d, const spm_cxl_region *g, const char *object,
                         const spm_policy_device **ret_rule, char **ret_label) {
        const spm_policy_device *rule, *conflict;
        _cleanup_free_ char *lbl = NULL;

        rule = spm_plan_device_rule(c->pol, d, g, &conflict);
        if (!rule)
                return 0;
        lbl = label(&rule->where, "Device", rule->name);
        if (!lbl)
                return -ENOMEM;
        if (conflict)
                return spm_plan_add_blocked(c->plan, object, lbl,
                                            "[Device %s] (%s:%u) matches with the same precedence and disagrees; left alone",
                                            conflict->name, conflict->where.file, conflict->where.line);
        if (rule->class == SPM_CLASS_IGNORE)
                return 0;
        *ret_rule = rule;
        *ret_label = TAKE_PTR(lbl);
        return 1;
}

/* How long a node keeps the class it holds: SPM v1 releases it with the
 * node's last memory block, later series only at reboot. */
static const char *latch_lasts(const ctx *c) {
        return c->feat->marking == SPM_MARKING_SPM_V1 ?
                "until all of its memory is removed (SPM v1 frees a node's type with its last block)" :
                "until reboot";
}

static int plan_device(ctx *c, const spm_dax_device *d) {
        const spm_cxl_region *region = d->cxl_region ? spm_topology_find_region(c->topo, d->cxl_region) : NULL;
        const spm_policy_device *rule = NULL;
        _cleanup_free_ char *lbl = NULL;
        spm_online_type online;
        bool kmem = streq_ptr(d->driver, "kmem");
        int flag, node = d->target_node, memmap, r;
        const char *attr;

        r = decide_device(c, d, region, d->name, &rule, &lbl);
        if (r <= 0)
                return r;

        attr = mark_attr(d, &flag);
        online = spm_policy_device_online(c->pol, rule);
        memmap = spm_policy_device_memmap(c->pol, rule);

        if (node < 0 && !kmem)
                return spm_plan_add_blocked(c->plan, d->name, lbl, "the device has no target node; kmem cannot add it");

        if (rule->class == SPM_CLASS_SPM) {
                ssize_t pi = pool_index(c, rule->pool);
                bool hard = attr != NULL;

                /* Private v3 sets has_private_memory when the private
                 * region's driver registers the node, before any memory
                 * is added: a device there is private memory already and
                 * needs no mark. Anything else cannot become private. */
                if (!hard && c->feat->marking == SPM_MARKING_PRIVATE_V3 && node >= 0 &&
                    !(c->topo->has_private_memory_present &&
                      spm_nodemask_test(&c->topo->has_private_memory, (unsigned) node)))
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "private v3 kernel: memory becomes private only through a CXL region "
                                                    "created with decoderX.Y/create_private_region and given "
                                                    "regionN/private_type before commit; node %d is not private, so spmd "
                                                    "cannot make this device SPM", node);
                if (!hard && c->feat->marking == SPM_MARKING_PRIVATE_V4)
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "this kernel makes nodes private through CXL region creation or drivers, "
                                                    "not through dax devices; cannot mark it");
                if (!hard && IN_SET(c->feat->marking, SPM_MARKING_SPM_V1, SPM_MARKING_SPM_V2))
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "the kernel has SPM marking but this device shows neither spm_node nor protected_memory");
                if (kmem) {
                        if (hard && flag != 1)
                                return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                            "already added as System RAM (by firmware or another agent) while the policy "
                                                            "wants SPM; node %d keeps System RAM %s", node, latch_lasts(c));
                        r = online_device(c, d, online, lbl, false);
                } else {
                        if (hard && spm_nodemask_test(&c->sysram_latched, (unsigned) node))
                                return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                            "node %d already holds System RAM; it keeps that class %s", node, latch_lasts(c));
                        if (spm_nodemask_test(&c->sysram_added, (unsigned) node))
                                return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                            "node %d gets System RAM from another device in this plan; a node holds one class of memory", node);
                        if (hard)
                                spm_nodemask_set(&c->spm_latched, (unsigned) node);
                        r = bring_up(c, d, attr, flag, hard ? 1 : -1, memmap, online, lbl);
                }
                if (r < 0)
                        return r;
                if (node >= 0 && pi >= 0) {
                        spm_nodemask_set(&c->pool_nodes[pi], (unsigned) node);
                        spm_nodemask_set(&c->pools_all, (unsigned) node);
                }
                return 0;
        }

        /* System RAM */
        if (kmem) {
                if (attr && flag == 1)
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "added as SPM while the policy wants System RAM; node %d stays SPM %s", node, latch_lasts(c));
                r = online_device(c, d, online, lbl, false);
        } else {
                if (attr && spm_nodemask_test(&c->spm_latched, (unsigned) node))
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "node %d holds SPM memory; it keeps that class %s", node, latch_lasts(c));
                if (spm_nodemask_test(&c->pools_all, (unsigned) node))
                        return spm_plan_add_blocked(c->plan, d->name, lbl,
                                                    "node %d gets SPM memory from another device; a node holds one class of memory", node);
                if (attr)
                        spm_nodemask_set(&c->sysram_latched, (unsigned) node);
                r = bring_up(c, d, attr, flag, attr ? 0 : -1, memmap, online, lbl);
        }
        if (r < 0)
                return r;
        if (node >= 0)
                spm_nodemask_set(&c->sysram_added, (unsigned) node);
        return 0;
}

/*
 * A private v3 region (decoderX.Y/create_private_region) without a driver:
 * the kernel refuses to probe it while regionN/private_type is unset, and
 * takes private_type only before commit. spmd never chooses that type: v3
 * defines no value for it (later patches add "zswap"), what it should be is
 * the creator's decision, and a wrong one is fixed once committed. So a
 * region with its type is enabled (its memory then sits on a private node,
 * which is what Class=spm asks for), one without is reported.
 */
static int plan_private_region(ctx *c, const spm_cxl_region *g) {
        const spm_policy_device *rule = NULL;
        _cleanup_free_ char *lbl = NULL;
        int r;

        r = decide_device(c, NULL, g, g->name, &rule, &lbl);
        if (r <= 0)
                return r;
        if (rule->class != SPM_CLASS_SPM)
                return spm_plan_add_blocked(c->plan, g->name, lbl,
                                            "a private region's memory cannot be System RAM; not enabling it");
        if (!g->private_type || !*g->private_type)
                return spm_plan_add_blocked(c->plan, g->name, lbl,
                                            "private region without regionN/private_type: the kernel will not probe it; "
                                            "its creator must write private_type before commit (after commit only "
                                            "deleting and re-creating the region helps); spmd does not choose a type");
        return spm_plan_add(c->devices, SPM_ACTION_REGION_BIND, g->name, "cxl_region", NULL, NULL, lbl,
                            "enable the private region so its dax device appears on its private node");
}

/* A CXL RAM region without a dax device yet: set its mark before its
 * driver binds (the dax device inherits it), then bind it. */
static int plan_region(ctx *c, const spm_cxl_region *g) {
        const spm_policy_device *rule, *conflict;
        _cleanup_free_ char *lbl = NULL;
        const char *attr;
        int flag, want, r;

        if (g->dax_device || g->driver || !streq_ptr(g->mode, "ram")) {
                if (!g->dax_device && !g->driver && streq_ptr(g->mode, "private"))
                        return plan_private_region(c, g);
                return 0;
        }
        rule = spm_plan_device_rule(c->pol, NULL, g, &conflict);
        if (!rule)
                return 0;
        lbl = label(&rule->where, "Device", rule->name);
        if (!lbl)
                return -ENOMEM;
        if (conflict)
                return spm_plan_add_blocked(c->plan, g->name, lbl,
                                            "[Device %s] (%s:%u) matches with the same precedence and disagrees; left alone",
                                            conflict->name, conflict->where.file, conflict->where.line);
        if (rule->class == SPM_CLASS_IGNORE)
                return 0;

        attr = region_mark_attr(g, &flag);
        want = rule->class == SPM_CLASS_SPM ? 1 : 0;
        if (!attr && want && c->feat->marking == SPM_MARKING_PRIVATE_V3)
                return spm_plan_add_blocked(c->plan, g->name, lbl,
                                            "private v3 kernel: a RAM region cannot become private; the region must be "
                                            "created with decoderX.Y/create_private_region and given regionN/private_type "
                                            "before commit (spmd does not create or commit regions); not enabling it as "
                                            "System RAM");
        if (!attr && want && c->feat->marking != SPM_MARKING_NONE)
                return spm_plan_add_blocked(c->plan, g->name, lbl, "the region has no spm_node attribute to mark it with");
        if (attr && flag != want) {
                r = spm_plan_add(c->devices, SPM_ACTION_MARK_REGION, g->name, attr, want ? "1" : "0", NULL, lbl,
                                 want ? "mark the region SPM before its driver binds; its dax device inherits the mark"
                                      : "clear the SPM mark before the region's driver binds");
                if (r < 0)
                        return r;
        }
        return spm_plan_add(c->devices, SPM_ACTION_REGION_BIND, g->name, "cxl_region", NULL, NULL, lbl,
                            "enable the region so its dax device appears");
}

/* Which class each node is latched to, as the kernel will enforce it on
 * the next kmem bind. This is deliberately not lib/node-class: a node
 * classes view says what a node is now and needs online blocks (a marked
 * device bound with every block offline is not SPM memory yet), while the
 * latch takes hold at bind time, blocks or not (kernel-abi §15), and the
 * plan must not propose a bind the kernel would refuse with EBUSY. */
static void compute_latches(ctx *c) {
        const spm_topology *t = c->topo;

        c->spm_latched = t->has_private_memory_present ? t->has_private_memory : SPM_NODEMASK_EMPTY;
        c->sysram_latched = t->has_memory;
        for (size_t i = 0; i < t->n_dax; i++) {
                const spm_dax_device *d = &t->dax[i];
                int flag;

                if (!streq_ptr(d->driver, "kmem") || d->target_node < 0)
                        continue;
                if (!mark_attr(d, &flag))
                        continue;
                if (flag == 1)
                        spm_nodemask_set(&c->spm_latched, (unsigned) d->target_node);
                else
                        spm_nodemask_set(&c->sysram_latched, (unsigned) d->target_node);
        }
        c->sysram_latched = spm_nodemask_andnot(&c->sysram_latched, &c->spm_latched);
}

/* ---- cgroups ---- */

static bool use_unit(const ctx *c, int i) {
        const spm_cgroup *g = &c->tree->cgroups[i];

        if (!g->is_unit || c->pol->cgroup_backend == SPM_CGROUP_BACKEND_CGROUPFS)
                return false;
        if (spm_cgroup_in_delegated_subtree(c->tree, i))
                return false;
        return c->pol->cgroup_backend == SPM_CGROUP_BACKEND_SYSTEMD || c->tree->systemd;
}

static int add_cgroup_write(ctx *c, int i, const spm_nodemask *m, const char *rule, const char *why) {
        const spm_cgroup *g = &c->tree->cgroups[i];
        char v[SPM_NODEMASK_STRLEN_MAX];

        /* on the stack: a large change adds thousands of these */
        spm_nodemask_format_buf(m, v, sizeof v);
        if (use_unit(c, i))
                return spm_plan_add(c->plan, SPM_ACTION_UNIT_MEMS, g->name, "AllowedMemoryNodes", v, m, rule, why);
        return spm_plan_add(c->plan, SPM_ACTION_CGROUP_MEMS, g->path, "cpuset.mems", v, m, rule, why);
}

typedef struct cg {
        spm_nodemask want;          /* what the policy gives this cgroup */
        spm_nodemask target;        /* want ∪ what the cgroups below need */
        spm_nodemask cur;           /* effective now */
        const char *rule;           /* own, or an ancestor's (no copy per cgroup) */
        int parent;                 /* the tree's, here so the later loops stay in this array */
        bool skip, write, widen, early, bridged, blocked;
} cg;

/* What a plan of a kept tree visits (see "Remembering" in planner.h). */
enum {
        VISIT_NONE,                 /* as the last plan left it: nothing to do there */
        VISIT_ALL,                  /* planned as in a full plan */
        VISIT_ABOVE,                /* above such a cgroup: its target is worked out again */
        VISIT_EDGE,                 /* a child of one above: planned, with the remembered target */
};

/* The label of a policy rule, made once per plan and shared by every
 * cgroup it matches (a grant to a thousand cgroups is one string). */
static const char *rule_label(ctx *c, char **labels, const spm_policy_cgroup *rule) {
        size_t k = (size_t) (rule - c->pol->cgroups);

        if (!labels[k])
                labels[k] = label(&rule->where, "Cgroup", rule->name);
        return labels[k];
}

/* NULL when the remembered targets hold for this plan, else why not. */
static const char *memo_differs(const ctx *c, const spm_nodemask *root_now) {
        const spm_cgroup_plan_memo *memo = c->tree->memo;

        if (!memo)
                return "no plan remembered";
        if (!spm_nodemask_equal(&memo->root_now, root_now))
                return "the root's effective mask changed";
        if (!spm_nodemask_equal(&memo->root_final, &c->root_final))
                return "the root's final mask changed";
        if (!spm_nodemask_equal(&memo->sysram_nodes, &c->sysram_nodes))
                return "the System RAM nodes changed";
        if (strv_length(memo->pool_names) != c->pol->n_pools)
                return "the pools changed";
        for (size_t i = 0; i < c->pol->n_pools; i++)
                if (!streq(memo->pool_names[i], c->pol->pools[i].name) ||
                    !spm_nodemask_equal(&memo->pool_nodes[i], &c->pool_nodes[i]))
                        return "the pools changed";
        return NULL;
}

static int memo_update(ctx *c, const spm_nodemask *root_now) {
        spm_cgroup_plan_memo *memo;

        memo = calloc(1, sizeof *memo);
        if (!memo)
                return -ENOMEM;
        memo->pool_nodes = calloc(c->pol->n_pools + 1, sizeof *memo->pool_nodes);
        memo->pool_names = calloc(c->pol->n_pools + 1, sizeof *memo->pool_names);
        if (!memo->pool_nodes || !memo->pool_names) {
                spm_cgroup_plan_memo_free(memo);
                return -ENOMEM;
        }
        for (size_t i = 0; i < c->pol->n_pools; i++) {
                memo->pool_names[i] = strdup(c->pol->pools[i].name);
                if (!memo->pool_names[i]) {
                        spm_cgroup_plan_memo_free(memo);
                        return -ENOMEM;
                }
                memo->pool_nodes[i] = c->pool_nodes[i];
        }
        memo->root_now = *root_now;
        memo->root_final = c->root_final;
        memo->sysram_nodes = c->sysram_nodes;
        spm_cgroup_plan_memo_free(c->tree->memo);
        c->tree->memo = memo;
        return 0;
}

/* Which cgroups this plan must visit. Everything when nothing is
 * remembered or the memo's context changed; otherwise the cgroups that
 * changed since the last plan with everything below them, their
 * ancestors, and the children of those ancestors. Returns NULL for
 * everything (or on ENOMEM, *ret_r set). */
static uint8_t *visit_set(ctx *c, const spm_nodemask *root_now, int *ret_r) {
        const spm_cgroup_tree *t = c->tree;
        uint8_t *visit;

        *ret_r = 0;
        if (!c->remember)
                return NULL;
        c->plan->cgroups_all_why = memo_differs(c, root_now);
        if (c->plan->cgroups_all_why)
                return NULL;
        visit = calloc(t->n, 1);
        if (!visit) {
                *ret_r = -ENOMEM;
                return NULL;
        }
        /* the root is always worked out: its children are at least edges */
        visit[0] = VISIT_ABOVE;
        /* parents come before their children */
        for (size_t i = 1; i < t->n; i++) {
                const spm_cgroup *g = &t->cgroups[i];
                bool seed = g->replan || !g->planned || g->planned_blocked || visit[g->parent] == VISIT_ALL;

                if (seed)
                        visit[i] = VISIT_ALL;
                else if (g->retarget)
                        visit[i] = VISIT_ABOVE;
                else
                        continue;
                for (int p = g->parent; p > 0 && visit[p] == VISIT_NONE; p = t->cgroups[p].parent)
                        visit[p] = VISIT_ABOVE;
        }
        for (size_t i = 1; i < t->n; i++)
                if (visit[i] == VISIT_NONE && visit[t->cgroups[i].parent] == VISIT_ABOVE)
                        visit[i] = VISIT_EDGE;
        return visit;
}

/* The working records: a kept tree keeps them between plans (a large
 * tree's megabytes would otherwise be new memory, page faults and all, on
 * every plan; only the visited records are written). */
static cg *scratch(ctx *c) {
        spm_cgroup_tree *t = c->tree;
        /* the records, then the list of visited indices */
        size_t need = t->n * (sizeof(cg) + sizeof(uint32_t));
        void *p;

        if (!c->remember)
                return malloc(need);
        if (t->plan_scratch_size < need) {
                /* room to grow: cgroups come one by one */
                size_t size = need + need / 8;

                p = realloc(t->plan_scratch, size);
                if (!p)
                        return NULL;
                t->plan_scratch = p;
                t->plan_scratch_size = size;
        }
        return t->plan_scratch;
}

static int plan_cgroups(ctx *c) {
        spm_cgroup_tree *t = c->tree;
        spm_nodemask root_now;
        _cleanup_free_ uint8_t *visit = NULL;
        spm_cgroup_depths depths;
        char **labels = NULL;
        uint32_t *order;
        size_t n_order = 0;
        cg *v;
        int r = 0;

        spm_cgroup_depths_of_policy(&depths, c->pol);

        root_now = t->cgroups[0].has_cpuset && t->cgroups[0].cpuset->effective_present ?
                t->cgroups[0].cpuset->effective : c->topo->has_memory;
        visit = visit_set(c, &root_now, &r);
        if (r < 0)
                return r;
        /* Not calloc: every field of a visited cgroup is set below, and
         * clearing some megabytes first (400 bytes a cgroup) costs a
         * large tree more than the rest of this loop. */
        v = scratch(c);
        labels = calloc(c->pol->n_cgroups + 1, sizeof *labels);
        if (!v || !labels) {
                if (!c->remember)
                        free(v);
                free(labels);
                return -ENOMEM;
        }

        /* The loops below go through the visited cgroups in tree order
         * (parents first), the root always first: a list, so that a plan
         * of a thousand cgroups in a tree of ten thousand loops a thousand
         * times. */
        order = (uint32_t *) (v + t->n);
        for (size_t i = 0; i < t->n; i++)
                if (!visit || visit[i] != VISIT_NONE)
                        order[n_order++] = (uint32_t) i;
        c->plan->cgroups_visited = n_order;
#define FOR_VISITED(i) for (size_t k_ = 1, i; k_ < n_order && (i = order[k_], true); k_++)
#define FOR_VISITED_REVERSE(i) for (size_t k_ = n_order, i; k_-- > 1 && (i = order[k_], true);)

        v[0] = (cg) {
                .want = c->sysram_nodes,
                .cur = root_now,
                .rule = "default",
                .parent = -1,
        };

        FOR_VISITED(i) {
                const spm_cgroup *g;
                const spm_policy_cgroup *rule, *conflict = NULL;
                cg *x, *p;

                g = &t->cgroups[i];
                x = &v[i];
                p = &v[g->parent];
                x->parent = g->parent;
                x->cur = spm_cgroup_effective(&g->cpuset->mems, &p->cur);
                x->skip = p->skip || !g->has_cpuset;
                x->want = p->want;
                x->rule = NULL;
                x->write = x->widen = x->early = x->bridged = x->blocked = false;

                rule = spm_cgroup_depths_match(&depths, g->depth, g->is_unit) ?
                        spm_plan_cgroup_rule(c->pol, g->path, g->is_unit ? g->name : NULL, &conflict) : NULL;
                if (rule) {
                        const char *lbl = rule_label(c, labels, rule);
                        spm_nodemask s = rule->sysram_all ? c->sysram_nodes : spm_nodemask_and(&rule->sysram, &c->sysram_nodes);

                        if (!lbl) {
                                r = -ENOMEM;
                                goto finish;
                        }
                        x->blocked = true;
                        if (x->skip)
                                r = spm_plan_add_blocked(c->plan, g->path, lbl, "the cpuset controller is not enabled for this cgroup");
                        else if (conflict)
                                r = spm_plan_add_blocked(c->plan, g->path, lbl,
                                                         "[Cgroup %s] (%s:%u) matches with the same precedence and disagrees; inheriting instead",
                                                         conflict->name, conflict->where.file, conflict->where.line);
                        else if (spm_nodemask_is_empty(&s))
                                r = spm_plan_add_blocked(c->plan, g->path, lbl,
                                                         "SysRAM= names no node with System RAM; a mask without one would make tasks "
                                                         "silently use an ancestor's memory; inheriting instead");
                        else {
                                for (char **n = rule->pools; n && *n; n++) {
                                        ssize_t pi = pool_index(c, *n);
                                        if (pi >= 0)
                                                s = spm_nodemask_or(&s, &c->pool_nodes[pi]);
                                }
                                x->want = s;
                                x->rule = lbl;
                                x->blocked = false;
                        }
                        if (r < 0)
                                goto finish;
                }
                if (!x->rule)
                        x->rule = p->rule;
                /* an edge's subtree is as the last plan left it, and so is
                 * what it needs for it */
                x->target = visit && visit[i] == VISIT_EDGE ? g->planned_target : x->want;
        }
        v[0].target = v[0].want;
        FOR_VISITED_REVERSE(i)
                if (!v[i].skip)
                        v[v[i].parent].target = spm_nodemask_or(&v[v[i].parent].target, &v[i].target);
        FOR_VISITED(i)
                v[i].target = spm_nodemask_and(&v[i].target, &c->root_final);
        v[0].target = c->root_final;

        FOR_VISITED(i) {
                const spm_cgroup *g;
                cg *x, *p;
                spm_nodemask result, s;

                if (v[i].skip)
                        continue;
                g = &t->cgroups[i];
                x = &v[i];
                p = &v[x->parent];
                result = spm_cgroup_effective(&g->cpuset->mems, &p->target);
                if (spm_nodemask_equal(&result, &x->target)) {
                        /* Right in the end, but today its mask misses the
                         * parent's and the kernel gives it the parent's
                         * whole mask, which is about to change: it needs
                         * a bridge like any other leaky mask. */
                        spm_nodemask o = spm_nodemask_and(&g->cpuset->mems, &p->cur);
                        if (spm_nodemask_is_empty(&g->cpuset->mems) || !spm_nodemask_is_empty(&o) ||
                            spm_nodemask_equal(&p->cur, &p->target))
                                continue;
                }
                s = spm_nodemask_and(&x->target, &c->sysram_nodes);
                if (spm_nodemask_is_empty(&s)) {
                        x->blocked = true;
                        r = spm_plan_add_blocked(c->plan, g->path, x->rule,
                                                 "no System RAM node left for this cgroup; not writing a mask without one");
                        if (r < 0)
                                goto finish;
                        continue;
                }
                x->write = true;
                x->widen = !spm_nodemask_subset(&x->target, &x->cur);
        }
        FOR_VISITED(i) {
                const spm_cgroup *g;
                cg *x, *p;
                spm_nodemask overlap;

                if (!v[i].write)
                        continue;
                g = &t->cgroups[i];
                x = &v[i];
                p = &v[x->parent];
                /* A mask that is empty or reaches beyond the target lets
                 * nodes in as soon as anything above it grows: an
                 * ancestor's widening or memory coming online. Such a
                 * cgroup gets its final mask before any of that (so does a mask that
                 * misses its parent's today: the kernel falls back to the
                 * parent's whole mask, which widens with the parent), when the
                 * kernel would then give it no more than the target: its
                 * target only shrinks it, or overlaps what its parent has
                 * now (the kernel gives the overlap). */
                overlap = spm_nodemask_and(&g->cpuset->mems, &p->cur);
                if (!spm_nodemask_is_empty(&overlap) && spm_nodemask_subset(&g->cpuset->mems, &x->target))
                        continue;
                overlap = spm_nodemask_and(&x->target, &p->cur);
                if (!x->widen || !spm_nodemask_is_empty(&overlap))
                        x->early = true;
                else {
                        /* Nothing of the target is reachable yet, and an
                         * empty overlap would fall back to the parent's
                         * whole mask, which grows with it. Bridge: what it has now plus the
                         * target, which can neither fall back nor let
                         * anything else in; the final mask follows once
                         * the parent has widened. */
                        x->bridged = true;
                }
        }

        /* 1: narrowing, and masks that must be set before anything grows; deepest first */
        FOR_VISITED_REVERSE(i) {
                if (v[i].bridged) {
                        spm_nodemask bridge = spm_nodemask_or(&v[i].cur, &v[i].target);

                        r = add_cgroup_write(c, (int) i, &bridge, v[i].rule,
                                             "bridge: keep what it has and add the target, so its parent can widen without leaking");
                } else if (v[i].early && v[i].widen)
                        r = add_cgroup_write(c, (int) i, &v[i].target, v[i].rule,
                                             "set before anything above it grows, so nothing leaks into it");
                else if (v[i].write && !v[i].widen)
                        r = add_cgroup_write(c, (int) i, &v[i].target, v[i].rule, "take away nodes the policy does not grant");
                if (r < 0)
                        goto finish;
        }

        /* 2: devices */
        for (size_t i = 0; i < c->devices->n_actions; i++) {
                const spm_action *a = &c->devices->actions[i];
                r = spm_plan_add(c->plan, a->type, a->object, a->attribute, a->value, NULL, a->rule, a->reason);
                if (r < 0)
                        goto finish;
        }

        /* 3: widening, parents first */
        FOR_VISITED(i)
                if (v[i].write && v[i].widen && !v[i].early) {
                        bool own = !spm_nodemask_equal(&v[i].want, &v[i].target);
                        r = add_cgroup_write(c, (int) i, &v[i].target, v[i].rule,
                                             own ? "grant what the policy gives it and the cgroups below"
                                                 : "grant what the policy gives it");
                        if (r < 0)
                                goto finish;
                }

        /* 4: read back the kernel's derived view (SPM v1 names it
         * cpuset.mems.default; kernels without one are checked through
         * cpuset.mems.effective, which must hold the System RAM nodes the
         * policy gives) */
        if (c->feat->sysram_view != SPM_SYSRAM_VIEW_NONE || !t->v1)
                FOR_VISITED(i)
                        if (v[i].write) {
                                spm_nodemask s = spm_nodemask_and(&v[i].target, &c->sysram_nodes);
                                char txt[SPM_NODEMASK_STRLEN_MAX];

                                spm_nodemask_format_buf(&s, txt, sizeof txt);
                                r = spm_plan_add(c->plan, SPM_ACTION_VERIFY_SYSRAM, t->cgroups[i].path,
                                                 c->feat->sysram_view == SPM_SYSRAM_VIEW_MEMS_DEFAULT ?
                                                 "cpuset.mems.default" :
                                                 c->feat->sysram_view == SPM_SYSRAM_VIEW_MEMS_SYSRAM ?
                                                 "cpuset.mems.sysram" : "cpuset.mems.effective",
                                                 txt, &s, v[i].rule, "the kernel derives it; check it is what the policy means");
                                if (r < 0)
                                        goto finish;
                        }

        /* Remember: a cgroup with nothing to do stays so until something
         * changes it (which sets replan or retarget); one this plan writes
         * or reports is visited again next time, whether or not the plan
         * is carried out. */
        if (c->remember) {
                r = memo_update(c, &root_now);
                if (r < 0)
                        goto finish;
                for (size_t k = 0; k < n_order; k++) {
                        size_t i = order[k];
                        spm_cgroup *g = &t->cgroups[i];

                        g->planned_target = v[i].target;
                        g->planned = true;
                        g->planned_blocked = i > 0 && v[i].blocked;
                        g->replan = i > 0 && v[i].write;
                        g->retarget = false;
                }
        }
#undef FOR_VISITED
#undef FOR_VISITED_REVERSE

finish:
        /* the plan's actions hold copies of the labels */
        for (size_t k = 0; k < c->pol->n_cgroups; k++)
                free(labels[k]);
        free(labels);
        if (!c->remember)
                free(v);
        if (r < 0 && c->remember) {
                /* half remembered is not remembered */
                spm_cgroup_plan_memo_free(t->memo);
                t->memo = NULL;
        }
        return r;
}

static int build(const spm_policy *pol, const spm_topology *topo, const spm_features *feat,
                 spm_cgroup_tree *tree, bool remember, spm_plan **ret) {
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL, *devices = NULL;
        ctx c = {
                .pol = pol,
                .topo = topo,
                .feat = feat,
                .tree = tree,
                .remember = remember,
        };
        spm_nodemask spm_all;
        int r = 0;

        plan = spm_plan_new();
        devices = spm_plan_new();
        c.pool_nodes = calloc(pol->n_pools + 1, sizeof(spm_nodemask));
        if (!plan || !devices || !c.pool_nodes) {
                free(c.pool_nodes);
                return -ENOMEM;
        }
        c.plan = plan;
        c.devices = devices;

        c.auto_online = topo->auto_online;
        compute_latches(&c);
        for (size_t i = 0; i < topo->n_dax && r >= 0; i++)
                r = plan_device(&c, &topo->dax[i]);
        for (size_t i = 0; i < topo->n_regions && r >= 0; i++)
                r = plan_region(&c, &topo->regions[i]);
        if (r < 0)
                goto finish;

        spm_all = spm_nodemask_or(&c.pools_all, &c.spm_latched);
        c.root_final = tree && tree->cgroups[0].has_cpuset && tree->cgroups[0].cpuset->effective_present ?
                tree->cgroups[0].cpuset->effective : topo->has_memory;
        c.root_final = spm_nodemask_or(&c.root_final, &c.pools_all);
        c.root_final = spm_nodemask_or(&c.root_final, &c.sysram_added);
        c.sysram_nodes = spm_nodemask_andnot(&c.root_final, &spm_all);

        if (tree && tree->n > 0)
                r = plan_cgroups(&c);
        else
                for (size_t i = 0; i < devices->n_actions && r >= 0; i++) {
                        const spm_action *a = &devices->actions[i];
                        r = spm_plan_add(plan, a->type, a->object, a->attribute, a->value, NULL, a->rule, a->reason);
                }
        if (r < 0)
                goto finish;
        *ret = TAKE_PTR(plan);
finish:
        free(c.pool_nodes);
        return r;
}

int spm_plan_build(const spm_policy *pol, const spm_topology *topo, const spm_features *feat,
                   const spm_cgroup_tree *tree, spm_plan **ret) {
        /* not remembering: the tree is only read */
        return build(pol, topo, feat, (spm_cgroup_tree *) tree, false, ret);
}

int spm_plan_build_kept(const spm_policy *pol, const spm_topology *topo, const spm_features *feat,
                        spm_cgroup_tree *tree, spm_plan **ret) {
        return build(pol, topo, feat, tree, true, ret);
}

void spm_plan_forget(spm_cgroup_tree *tree) {
        if (!tree)
                return;
        spm_cgroup_plan_memo_free(tree->memo);
        tree->memo = NULL;
}

/* Every input of a cgroup's rule choice and of what it grants. */
static bool same_cgroup_rule(const spm_policy_cgroup *a, const spm_policy_cgroup *b) {
        return streq(a->name, b->name) && streq_ptr(a->where.file, b->where.file) && a->where.line == b->where.line &&
                strv_equal(a->paths, b->paths) && strv_equal(a->units, b->units) && strv_equal(a->pools, b->pools) &&
                a->sysram_all == b->sysram_all && (a->sysram_all || spm_nodemask_equal(&a->sysram, &b->sysram));
}

static bool has_rule(const spm_policy *p, const spm_policy_cgroup *r) {
        for (size_t i = 0; p && i < p->n_cgroups; i++)
                if (same_cgroup_rule(&p->cgroups[i], r))
                        return true;
        return false;
}

static size_t mark_matches(spm_cgroup_tree *t, const spm_policy_cgroup *r) {
        spm_cgroup_depths d = {};
        size_t n = 0;

        spm_cgroup_depths_add_rule(&d, r);
        for (size_t i = 1; i < t->n; i++) {
                spm_cgroup *g = &t->cgroups[i];

                if (!g->replan && spm_cgroup_depths_match(&d, g->depth, g->is_unit) &&
                    spm_policy_cgroup_match(r, g->path, g->is_unit ? g->name : NULL) > 0) {
                        g->replan = true;
                        n++;
                }
        }
        return n;
}

size_t spm_plan_policy_changed(spm_cgroup_tree *tree, const spm_policy *old, const spm_policy *new) {
        size_t n = 0;

        if (!tree || !tree->memo)
                return 0;
        /* A cgroup's rule can only change where a rule that is not in both
         * policies (to the letter and line) matches it: rules present in
         * both keep their order among themselves, since files are read in
         * the order of their names. */
        for (size_t i = 0; old && i < old->n_cgroups; i++)
                if (!has_rule(new, &old->cgroups[i]))
                        n += mark_matches(tree, &old->cgroups[i]);
        for (size_t i = 0; new && i < new->n_cgroups; i++)
                if (!has_rule(old, &new->cgroups[i]))
                        n += mark_matches(tree, &new->cgroups[i]);
        return n;
}
