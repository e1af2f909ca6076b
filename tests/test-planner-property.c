/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Property tests for the planner, over many random hosts, cgroup trees and
 * policies (seeded, so every run checks the same cases):
 *   - applying a plan to a small model of the kernel never hits a write the
 *     kernel would refuse (online↔online, offline→online on a whole device,
 *     a mark change while kmem is bound, a bind into a latched node);
 *   - re-planning the result gives no actions (one round converges);
 *   - at no step does a cgroup's effective mask hold a node that is in
 *     neither its mask before the plan nor its mask after it;
 *   - every mask written keeps a System RAM node.
 */

#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "planner.h"
#include "planner-helpers.h"
#include "strutil.h"
#include "tap.h"

#define GiB (UINT64_C(1) << 30)
#define N_CASES 3000
#define MAX_CG 24

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
        /* xorshift64*: small, deterministic, good enough for choosing */
        rng_state ^= rng_state >> 12;
        rng_state ^= rng_state << 25;
        rng_state ^= rng_state >> 27;
        return (uint32_t) ((rng_state * UINT64_C(2685821657736338717)) >> 33) % n;
}

typedef struct model {
        spm_topology *t;
        spm_cgroup_tree *tree;
        spm_features f;
        spm_nodemask boot;          /* nodes 0-1 */
} model;

static const char *zone_for(const char *word) {
        return streq(word, "online_movable") ? "Movable" : "Normal";
}

static spm_dax_state dax_state_for(const char *word) {
        return spm_dax_state_from_string(streq(word, "unplug") ? "unplugged" : word);
}

static bool is_spm_mark(const spm_dax_device *d) {
        return d->spm_node == 1 || d->protected_memory == 1;
}

/* Recompute derived state: node lists from online blocks, and every
 * cgroup's effective mask (kernel rule) from the root down. */
static void settle(model *m) {
        spm_topology *t = m->t;

        t->has_memory = m->boot;
        for (size_t i = 0; i < t->n_dax; i++) {
                spm_dax_device *d = &t->dax[i];
                d->n_blocks_online = 0;
                for (size_t k = 0; k < d->n_blocks; k++)
                        if (t->blocks[d->blocks[k]].state == SPM_BLOCK_ONLINE) {
                                d->n_blocks_online++;
                                spm_nodemask_set(&t->has_memory, (unsigned) d->target_node);
                        }
        }
        if (!m->tree)
                return;
        m->tree->cgroups[0].cpuset->effective = t->has_memory;
        for (size_t i = 1; i < m->tree->n; i++) {
                spm_cgroup *g = &m->tree->cgroups[i];
                g->cpuset->effective = spm_cgroup_effective(&g->cpuset->mems, &m->tree->cgroups[g->parent].cpuset->effective);
        }
}

static spm_dax_device *find_dax(model *m, const char *name) {
        for (size_t i = 0; i < m->t->n_dax; i++)
                if (streq(m->t->dax[i].name, name))
                        return &m->t->dax[i];
        return NULL;
}

static void set_blocks(model *m, spm_dax_device *d, spm_block_state st, const char *zones) {
        for (size_t k = 0; k < d->n_blocks; k++) {
                spm_memblock *b = &m->t->blocks[d->blocks[k]];
                b->state = st;
                free(b->valid_zones);
                b->valid_zones = strdup(zones);
        }
}

/* Does any kmem-bound device on node hold memory of the other type? */
static bool latched_against(model *m, const spm_dax_device *self, bool spm) {
        if (spm && spm_nodemask_test(&m->boot, (unsigned) self->target_node))
                return true;
        for (size_t i = 0; i < m->t->n_dax; i++) {
                const spm_dax_device *d = &m->t->dax[i];
                if (d == self || d->target_node != self->target_node || !streq_ptr(d->driver, "kmem"))
                        continue;
                if (is_spm_mark(d) != spm)
                        return true;
        }
        return false;
}

/* Apply one action; returns false (with a diagnostic) when the kernel
 * would refuse it. */
static bool apply(model *m, const spm_action *a) {
        spm_dax_device *d = NULL;

        if (IN_SET(a->type, SPM_ACTION_DRIVER_UNBIND, SPM_ACTION_MARK_DEVICE, SPM_ACTION_SET_MEMMAP,
                   SPM_ACTION_DRIVER_BIND, SPM_ACTION_DEVICE_STATE, SPM_ACTION_ONLINE_BLOCKS)) {
                d = find_dax(m, a->object);
                if (!d) {
                        printf("# no device %s\n", a->object);
                        return false;
                }
        }

        switch (a->type) {
        case SPM_ACTION_DRIVER_UNBIND:
                if (streq_ptr(d->driver, "kmem") && d->n_blocks_online > 0) {
                        printf("# unbind of %s with online blocks leaks them\n", d->name);
                        return false;
                }
                d->driver = mfree(d->driver);
                d->hotplug_attr = SPM_DAX_HOTPLUG_NONE;
                return true;
        case SPM_ACTION_MARK_DEVICE:
                if (streq_ptr(d->driver, "kmem")) {
                        printf("# %s of %s changed while kmem-bound: EBUSY\n", a->attribute, d->name);
                        return false;
                }
                if (streq(a->attribute, "spm_node"))
                        d->spm_node = a->value[0] - '0';
                else
                        d->protected_memory = a->value[0] - '0';
                return true;
        case SPM_ACTION_SET_MEMMAP:
                if (streq_ptr(d->driver, "kmem"))
                        return false;
                d->memmap_on_memory = a->value[0] - '0';
                return true;
        case SPM_ACTION_DRIVER_BIND: {
                spm_online_type ao = m->t->auto_online;
                bool marking = m->f.marking != SPM_MARKING_NONE;

                if (d->driver) {
                        printf("# bind of bound %s\n", d->name);
                        return false;
                }
                if (marking && latched_against(m, d, is_spm_mark(d))) {
                        printf("# bind of %s into a node latched the other way: EBUSY\n", d->name);
                        return false;
                }
                d->driver = strdup("kmem");
                if (m->f.hotplug == SPM_HOTPLUG_V7)
                        d->hotplug_attr = SPM_DAX_HOTPLUG_STATE;
                else if (m->f.hotplug == SPM_HOTPLUG_V2)
                        d->hotplug_attr = SPM_DAX_HOTPLUG_HOTPLUG;
                if (ao == SPM_ONLINE_OFFLINE || ao == SPM_ONLINE_INVALID) {
                        set_blocks(m, d, SPM_BLOCK_OFFLINE, "Movable Normal");
                        d->hotplug_state = m->f.hotplug == SPM_HOTPLUG_V2 ? SPM_DAX_STATE_UNPLUGGED : SPM_DAX_STATE_OFFLINE;
                } else {
                        const char *w = spm_online_type_to_string(ao);
                        set_blocks(m, d, SPM_BLOCK_ONLINE, zone_for(w));
                        d->hotplug_state = dax_state_for(w);
                }
                return true;
        }
        case SPM_ACTION_DEVICE_STATE: {
                spm_dax_state want = dax_state_for(a->value), cur = d->hotplug_state;

                if (!streq_ptr(d->driver, "kmem") || d->hotplug_attr == SPM_DAX_HOTPLUG_NONE) {
                        printf("# %s has no whole-device attribute\n", d->name);
                        return false;
                }
                if (want == SPM_DAX_STATE_UNPLUGGED) {
                        set_blocks(m, d, SPM_BLOCK_OFFLINE, "Movable Normal");
                        d->hotplug_state = want;
                        return true;
                }
                if (cur != SPM_DAX_STATE_UNPLUGGED && cur != want) {
                        printf("# %s: %s -> %s is EBUSY\n", d->name, spm_dax_state_to_string(cur), a->value);
                        return false;
                }
                set_blocks(m, d, SPM_BLOCK_ONLINE, zone_for(a->value));
                d->hotplug_state = want;
                return true;
        }
        case SPM_ACTION_ONLINE_BLOCKS:
                for (size_t k = 0; k < d->n_blocks; k++) {
                        spm_memblock *b = &m->t->blocks[d->blocks[k]];
                        if (b->state == SPM_BLOCK_OFFLINE) {
                                b->state = SPM_BLOCK_ONLINE;
                                free(b->valid_zones);
                                b->valid_zones = strdup(zone_for(a->value));
                        }
                }
                return true;
        case SPM_ACTION_ONLINE_BLOCK:
                for (size_t k = 0; k < m->t->n_blocks; k++) {
                        spm_memblock *b = &m->t->blocks[k];
                        char name[32];
                        snprintf(name, sizeof name, "memory%u", b->id);
                        if (!streq(name, a->object))
                                continue;
                        if (b->state != SPM_BLOCK_OFFLINE)
                                return false;
                        b->state = SPM_BLOCK_ONLINE;
                        free(b->valid_zones);
                        b->valid_zones = strdup(zone_for(a->value));
                        return true;
                }
                return false;
        case SPM_ACTION_CGROUP_MEMS:
        case SPM_ACTION_UNIT_MEMS:
                for (size_t i = 1; i < m->tree->n; i++) {
                        spm_cgroup *g = &m->tree->cgroups[i];
                        if (a->type == SPM_ACTION_CGROUP_MEMS ? streq(g->path, a->object) : streq(g->name, a->object)) {
                                g->cpuset->mems = *a->mask;
                                return true;
                        }
                }
                return false;
        case SPM_ACTION_VERIFY_SYSRAM:
                return true;
        case SPM_ACTION_AUTO_ONLINE:
                m->t->auto_online = spm_online_type_from_string(a->value);
                return m->t->auto_online == SPM_ONLINE_OFFLINE;
        default:
                printf("# unexpected action %s\n", spm_action_type_to_string(a->type));
                return false;
        }
}

/* ---- random inputs ---- */

static const char *const gens_names[] = { "stock", "spm-v2+v7", "spm-v1+hotplug-v2", "private-v4" };

static void random_host(model *m, size_t *n_dax) {
        static const spm_online_type aos[] = { SPM_ONLINE_OFFLINE, SPM_ONLINE_ONLINE, SPM_ONLINE_MOVABLE, SPM_ONLINE_KERNEL };
        tt_gen g = (tt_gen) rnd(_TT_GEN_MAX);
        spm_topology *t = tt_new("0-1");
        bool v1 = g == TT_SPM_V1_HOTPLUG_V2, marks = g == TT_SPM_V2_STATE_V7 || v1;
        /* the mark type each node got at its first kmem bind */
        int node_type[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
        model tmp = { .t = t };

        m->f = tt_features(g);
        m->boot = t->has_memory;
        t->auto_online = aos[rnd(4)];
        *n_dax = 1 + rnd(4);
        for (size_t i = 0; i < *n_dax; i++) {
                static const char *const drivers[] = { NULL, "device_dax", "kmem" };
                static const spm_provider provs[] = { SPM_PROVIDER_CXL, SPM_PROVIDER_HMEM, SPM_PROVIDER_PMEM };
                char name[16], serial[16];
                int node = 2 + (int) rnd(3);
                const char *drv = drivers[rnd(3)];
                int mark = marks ? (int) rnd(2) : -1;
                size_t d;

                if (drv && streq(drv, "kmem") && marks) {
                        if (node_type[node] < 0)
                                node_type[node] = mark;
                        mark = node_type[node];
                }
                snprintf(name, sizeof name, "dax%zu.0", i);
                snprintf(serial, sizeof serial, "%zu", 100 + i);
                d = tt_dax(t, name, provs[rnd(3)], node, 0x1000000000 + i * 0x100000000, 4 * GiB, drv,
                           v1 ? -1 : mark, v1 ? mark : -1);
                if (t->dax[d].provider == SPM_PROVIDER_CXL) {
                        char rname[16];
                        snprintf(rname, sizeof rname, "region%zu", i);
                        tt_region(t, rname, NULL, serial, name, -1);
                }
                tt_blocks(t, d, 2, SPM_BLOCK_OFFLINE, "Movable Normal");
                t->blocks[t->n_blocks - 1].id = (unsigned) (1000 + i * 2 + 1);
                t->blocks[t->n_blocks - 2].id = (unsigned) (1000 + i * 2);
                if (drv && streq(drv, "kmem")) {
                        static const char *const words[] = { "online_movable", "online_kernel", "online" };
                        const char *w = words[rnd(3)];
                        if (g == TT_SPM_V2_STATE_V7 || g == TT_SPM_V1_HOTPLUG_V2) {
                                tt_hotplug(t, d, g == TT_SPM_V2_STATE_V7 ? SPM_DAX_HOTPLUG_STATE : SPM_DAX_HOTPLUG_HOTPLUG,
                                           SPM_DAX_STATE_UNPLUGGED);
                                switch (rnd(3)) {
                                case 0:
                                        break;
                                case 1:
                                        if (g == TT_SPM_V2_STATE_V7) {
                                                t->dax[d].hotplug_state = SPM_DAX_STATE_OFFLINE;
                                                break;
                                        }
                                        __attribute__((fallthrough));
                                default:
                                        t->dax[d].hotplug_state = dax_state_for(w);
                                        set_blocks(&tmp, &t->dax[d], SPM_BLOCK_ONLINE, zone_for(w));
                                }
                        } else if (rnd(2))
                                set_blocks(&tmp, &t->dax[d], SPM_BLOCK_ONLINE, zone_for(w));
                }
        }
        m->t = t;
}

static void random_tree(model *m, char names[][24], size_t *n_names) {
        static const char *const masks[] = { "", "", "", "0", "1", "0-1", "0-2", "0,3", "0-4", "1-3" };
        spm_cgroup_tree *tree = ct_new("0-1", rnd(2));
        size_t n = 1 + rnd(MAX_CG - 2);

        *n_names = 0;
        for (size_t i = 0; i < n; i++) {
                int parent = (int) rnd((uint32_t) tree->n);
                char name[24];
                static const char *const suffixes[] = { ".slice", ".service", ".scope", "" };

                if (tree->cgroups[parent].depth >= 3 || streq(tree->cgroups[parent].name, "init.scope"))
                        parent = 0;
                snprintf(name, sizeof name, "c%zu%s", i, suffixes[rnd(4)]);
                /* keep pre-order: only append under the last path */
                {
                        int last = (int) tree->n - 1;
                        bool on_path = false;
                        for (int p = last; p >= 0; p = tree->cgroups[p].parent)
                                if (p == parent)
                                        on_path = true;
                        if (!on_path)
                                parent = 0;
                }
                {
                        int k = ct_add(tree, parent, name, masks[rnd(ELEMENTSOF(masks))]);
                        if (rnd(8) == 0)
                                tree->cgroups[k].delegated = true;
                        if (*n_names < MAX_CG)
                                snprintf(names[(*n_names)++], 24, "%s", tree->cgroups[k].path);
                }
        }
        m->tree = tree;
}

static char *random_policy(size_t n_dax, char names[][24], size_t n_names) {
        static const char *const classes[] = { "spm", "spm", "sysram", "ignore" };
        static const char *const onlines[] = { "", "online_movable", "online", "online_kernel" };
        static const char *const backends[] = { "auto", "systemd", "cgroupfs" };
        char *out = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&out, &size);

        fprintf(f, "[Daemon]\nAutoOnline=%s\nCgroupBackend=%s\n", rnd(3) ? "takeover" : "stepaside", backends[rnd(3)]);
        fprintf(f, "[Pool p0]\n[Pool p1]\nOnline=online_movable\n");
        for (size_t i = 0; i < n_dax; i++) {
                const char *cls = classes[rnd(4)];
                if (rnd(4) == 0)
                        continue;
                fprintf(f, "[Device d%zu]\n", i);
                if (rnd(3))
                        fprintf(f, "MatchSerial=%zu\n", 100 + i);
                else
                        fprintf(f, "MatchResource=0x%llx-0x%llx\n", (unsigned long long) (0x1000000000 + i * 0x100000000),
                                (unsigned long long) (0x1000000000 + i * 0x100000000 + 4 * GiB - 1));
                fprintf(f, "Class=%s\n", cls);
                if (streq(cls, "spm"))
                        fprintf(f, "Pool=p%u\n", rnd(2));
                if (!streq(cls, "ignore")) {
                        const char *o = onlines[rnd(4)];
                        if (*o && !(streq(cls, "spm") && streq(o, "online_kernel")))
                                fprintf(f, "Online=%s\n", o);
                }
        }
        size_t first = n_names ? rnd((uint32_t) n_names) : 0;
        for (size_t i = 0; i < n_names && i < 5; i++) {
                /* distinct paths: rules on one path that disagree are a
                 * policy error, tested elsewhere */
                const char *path = names[(first + i) % n_names];
                fprintf(f, "[Cgroup g%zu]\n", i);
                if (rnd(4) == 0)
                        fprintf(f, "Path=%s/*\n", path);
                else
                        fprintf(f, "Path=%s\n", path);
                fprintf(f, "Pools=%s\n", rnd(3) == 0 ? "p0 p1" : rnd(2) ? "p0" : "");
                if (rnd(3) == 0)
                        fprintf(f, "SysRAM=%u\n", rnd(2));
        }
        fclose(f);
        return out;
}

static unsigned n_run, n_actions_total, n_blocked_total, n_skipped;

static bool one_case(uint64_t seed) {
        _cleanup_(spm_policy_freep) spm_policy *pol = NULL;
        _cleanup_(spm_plan_freep) spm_plan *plan = NULL, *again = NULL;
        _cleanup_free_ char *text = NULL;
        spm_nodemask before[MAX_CG + 2], after[MAX_CG + 2];
        spm_nodemask steps[64][MAX_CG + 2];
        size_t n_steps = 0, n_dax, n_names;
        char names[MAX_CG][24];
        spm_diags d = {};
        model m = {};
        bool ok = true;

        rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
        random_host(&m, &n_dax);
        random_tree(&m, names, &n_names);
        text = random_policy(n_dax, names, n_names);
        pol = spm_policy_new();
        if (spm_policy_parse_buffer(pol, "t.conf", text, strlen(text), &d) < 0 || spm_policy_finish(pol, &d) < 0) {
                /* e.g. two random cgroup rules on one path that disagree */
                n_skipped++;
                spm_diags_clear(&d);
                goto done;
        }
        spm_diags_clear(&d);
        settle(&m);

        if (spm_plan_build(pol, m.t, &m.f, m.tree, &plan) < 0)
                abort();
        n_run++;
        n_actions_total += (unsigned) plan->n_actions;
        n_blocked_total += (unsigned) plan->n_blocked;

        for (size_t i = 0; i < m.tree->n; i++)
                before[i] = m.tree->cgroups[i].cpuset->effective;

        for (size_t i = 0; i < plan->n_actions && ok; i++) {
                const spm_action *a = &plan->actions[i];

                /* the generator's SysRAM= values are boot nodes, so every
                 * mask written must keep one of them */
                if (IN_SET(a->type, SPM_ACTION_CGROUP_MEMS, SPM_ACTION_UNIT_MEMS) &&
                    !spm_nodemask_intersects(a->mask, &m.boot)) {
                        printf("# step %zu writes a mask without System RAM to %s\n", i + 1, a->object);
                        ok = false;
                        break;
                }
                if (!apply(&m, a)) {
                        printf("# step %zu: %s %s %s=%s refused\n", i + 1, spm_action_type_to_string(a->type),
                               a->object, strempty(a->attribute), strempty(a->value));
                        ok = false;
                        break;
                }
                settle(&m);
                if (n_steps < ELEMENTSOF(steps)) {
                        for (size_t k = 0; k < m.tree->n; k++)
                                steps[n_steps][k] = m.tree->cgroups[k].cpuset->effective;
                        n_steps++;
                }
        }
        if (ok) {
                for (size_t k = 0; k < m.tree->n; k++)
                        after[k] = m.tree->cgroups[k].cpuset->effective;
                for (size_t s = 0; s < n_steps && ok; s++)
                        for (size_t k = 1; k < m.tree->n && ok; k++) {
                                spm_nodemask allowed = spm_nodemask_or(&before[k], &after[k]);
                                if (!spm_nodemask_subset(&steps[s][k], &allowed)) {
                                        char b1[64], b2[64], b3[64];
                                        spm_nodemask_format_buf(&steps[s][k], b1, sizeof b1);
                                        spm_nodemask_format_buf(&before[k], b2, sizeof b2);
                                        spm_nodemask_format_buf(&after[k], b3, sizeof b3);
                                        printf("# step %zu: %s has %s, before %s, after %s\n", s + 1,
                                               m.tree->cgroups[k].path, b1, b2, b3);
                                        ok = false;
                                }
                        }
        }
        if (ok) {
                if (spm_plan_build(pol, m.t, &m.f, m.tree, &again) < 0)
                        abort();
                if (again->n_actions > 0) {
                        _cleanup_free_ char *s = tp_plan_text(again);
                        printf("# re-plan is not empty:\n# %s\n", s);
                        ok = false;
                }
        }
        if (!ok) {
                _cleanup_free_ char *s = tp_plan_text(plan);
                printf("# seed %llu, kernel %s, auto_online %s\n# policy:\n%s\n# plan:\n%s\n", (unsigned long long) seed,
                       gens_names[m.f.marking == SPM_MARKING_SPM_V2 ? 1 : m.f.marking == SPM_MARKING_SPM_V1 ? 2 :
                                  m.f.marking == SPM_MARKING_PRIVATE_V4 ? 3 : 0],
                       spm_online_type_to_string(m.t->auto_online), text, s);
                for (size_t k = 0; k < m.tree->n; k++) {
                        char b1[64];
                        spm_nodemask_format_buf(&before[k], b1, sizeof b1);
                        printf("#   cgroup %s before %s\n", m.tree->cgroups[k].path, b1);
                }
        }
done:
        spm_topology_free(m.t);
        spm_cgroup_tree_free(m.tree);
        return ok;
}

static void test_converges(void) {
        unsigned failed = 0;
        /* SPM_PROPERTY_CASES=N runs more cases by hand */
        const char *e = getenv("SPM_PROPERTY_CASES");
        uint64_t n = e ? strtoull(e, NULL, 10) : N_CASES;

        for (uint64_t seed = 1; seed <= n && failed < 3; seed++)
                if (!one_case(seed))
                        failed++;
        CHECK_INT(failed, 0);
        printf("# %u cases planned (%u skipped as invalid policies), %u actions, %u cannot-do entries\n",
               n_run, n_skipped, n_actions_total, n_blocked_total);
        CHECK(n_run > n / 2);
        CHECK(n_actions_total > n_run);
}

int main(void) {
        TEST(test_converges);
        return tap_done();
}
