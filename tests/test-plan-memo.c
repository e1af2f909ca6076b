/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * A plan of a kept tree (spm_plan_build_kept) visits only what changed
 * since the last one; it must still be the plan a full one would make.
 * Random trees and policies go through rounds of: plan, carry out some or
 * all of it (the kernel's part: the written masks), change something the
 * way the daemon's model would (a policy change, a cgroup made, removed or
 * read again with another mask), and compare the kept plan with a full
 * plan of the same tree, text for text. SPM_PROPERTY_CASES=N runs more.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup-model.h"
#include "macro.h"
#include "planner-helpers.h"
#include "planner.h"
#include "strutil.h"
#include "tap.h"

#define GiB (UINT64_C(1) << 30)
#define UUID_A "0a1b2c3d-0000-4000-8000-00000000000a"
#define UUID_B "0a1b2c3d-0000-4000-8000-00000000000b"
#define N_CASES 300
#define ROUNDS 12
#define MAX_RULES 6

static uint64_t rng_state;

static uint32_t rnd(uint32_t n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return n ? (uint32_t) (rng_state % n) : 0;
}

/* Nodes 0-1 System RAM, 2 and 3 SPM, online, in pools a and b. */
static spm_topology *host(void) {
        spm_topology *t = tt_new("0-3");
        size_t d;

        d = tt_dax(t, "dax0.0", SPM_PROVIDER_CXL, 2, 0x1000000000, 4 * GiB, "kmem", 1, -1);
        tt_region(t, "region0", UUID_A, "0x1", "dax0.0", 1);
        tt_hotplug(t, d, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_MOVABLE);
        tt_blocks(t, d, 2, SPM_BLOCK_ONLINE, "Movable");
        d = tt_dax(t, "dax1.0", SPM_PROVIDER_CXL, 3, 0x2000000000, 4 * GiB, "kmem", 1, -1);
        tt_region(t, "region1", UUID_B, "0x2", "dax1.0", 1);
        tt_hotplug(t, d, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_MOVABLE);
        tt_blocks(t, d, 2, SPM_BLOCK_ONLINE, "Movable");
        return t;
}

static const char *const masks[] = { "", "", "0", "1", "0-1", "0-2", "0,3", "0-3", "1-2", "2" };
static const char *const prefixes[] = { "a", "b", "c" };
static const char *const suffixes[] = { "", "", ".slice", ".service", ".scope" };

static unsigned counter;

static void add_random_cgroup(spm_cgroup_tree *t) {
        int parent = (int) rnd((uint32_t) t->n);
        char name[32];

        if (t->cgroups[parent].depth >= 4)
                parent = t->cgroups[parent].parent;
        /* one rnd() per statement: the order arguments are evaluated in
         * is the compiler's, and the cases must not depend on it */
        const char *prefix = prefixes[rnd(ELEMENTSOF(prefixes))];
        const char *suffix = suffixes[rnd(ELEMENTSOF(suffixes))];

        snprintf(name, sizeof name, "%s%u%s", prefix, counter++, suffix);
        (void) ct_add(t, parent, name, masks[rnd(ELEMENTSOF(masks))]);
}

typedef struct rule {
        char match[64];
        char pools[8];
        int sysram;                 /* -1: all */
} rule;

static void random_rule(const spm_cgroup_tree *t, rule *r) {
        static const char *const globs[] = { "a*", "b*/*", "*/c*", "*/*/*", "a*/b*", "*" };
        static const char *const pools[] = { "", "a", "b", "a b" };

        switch (t->n < 2 ? 0 : rnd(4)) {
        case 0:
                snprintf(r->match, sizeof r->match, "Path=%s", globs[rnd(ELEMENTSOF(globs))]);
                break;
        case 1:
                snprintf(r->match, sizeof r->match, "Unit=%s*.slice", prefixes[rnd(ELEMENTSOF(prefixes))]);
                break;
        default:
                snprintf(r->match, sizeof r->match, "Path=%s", t->cgroups[1 + rnd((uint32_t) t->n - 1)].path);
        }
        snprintf(r->pools, sizeof r->pools, "%s", pools[rnd(ELEMENTSOF(pools))]);
        r->sysram = rnd(4) == 0 ? (int) rnd(2) : -1;
}

static spm_policy *render(const rule *rules, size_t n) {
        _cleanup_free_ char *text = NULL;
        spm_policy *p = spm_policy_new();
        spm_diags d = {};
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        fprintf(f, "[Pool a]\n[Pool b]\n"
                   "[Device a]\nMatchRegionUUID=" UUID_A "\nClass=spm\nPool=a\n"
                   "[Device b]\nMatchRegionUUID=" UUID_B "\nClass=spm\nPool=b\n");
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "[Cgroup g%zu]\n%s\nPools=%s\n", i, rules[i].match, rules[i].pools);
                if (rules[i].sysram >= 0)
                        fprintf(f, "SysRAM=%d\n", rules[i].sysram);
        }
        fclose(f);
        if (spm_policy_parse_buffer(p, "t.conf", text, strlen(text), &d) < 0 || spm_policy_finish(p, &d) < 0) {
                /* two rules on one pattern that disagree: not this test's subject */
                spm_diags_clear(&d);
                spm_policy_free(p);
                return NULL;
        }
        spm_diags_clear(&d);
        return p;
}

/* The kernel's part of a plan: the masks it writes. Stops at a random
 * step now and then (a failure, or a plan not carried out). */
static void carry_out(spm_cgroup_model *m, const spm_plan *p, bool all) {
        size_t stop = !all && rnd(4) == 0 ? rnd((uint32_t) p->n_actions + 1) : p->n_actions;

        for (size_t i = 0; i < stop; i++) {
                const spm_action *a = &p->actions[i];
                int k = -1;

                if (a->type == SPM_ACTION_CGROUP_MEMS)
                        k = spm_cgroup_model_find(m, a->object);
                else if (a->type == SPM_ACTION_UNIT_MEMS)
                        for (size_t j = 1; j < m->tree->n && k < 0; j++)
                                if (streq(m->tree->cgroups[j].name, a->object))
                                        k = (int) j;
                if (k >= 0)
                        spm_cgroup_model_set_mems(m, k, a->mask);
        }
}

/* One change of the kind the daemon's model sees. Returns what it was. */
static const char *change(spm_cgroup_model *m, rule *rules, size_t *n_rules, spm_policy **pol) {
        switch (rnd(7)) {
        case 0: {
                /* a cgroup made (and its model index brought up to date) */
                add_random_cgroup(m->tree);
                return "cgroup made";
        }
        case 1:
                if (m->tree->n > 2) {
                        (void) spm_cgroup_model_remove(m, 1 + (int) rnd((uint32_t) m->tree->n - 1));
                        return "cgroup removed";
                }
                return "nothing";
        case 2: {
                /* read again: another mask than the model had */
                int k = 1 + (int) rnd((uint32_t) m->tree->n - 1);

                if ((size_t) k >= m->tree->n)
                        return "nothing";
                (void) spm_nodemask_parse(masks[rnd(ELEMENTSOF(masks))], &m->tree->cgroups[k].cpuset->mems, NULL);
                m->tree->cgroups[k].replan = true;
                return "cgroup read again";
        }
        case 3:
        case 4: {
                /* a policy change: one rule changed, added or dropped */
                rule next[MAX_RULES];
                size_t n = *n_rules;
                spm_policy *p;

                memcpy(next, rules, sizeof next);
                if (n > 0 && rnd(3) == 0)
                        memmove(&next[rnd((uint32_t) n)], &next[n - 1], sizeof next[0]), n--;
                else if (n < MAX_RULES && rnd(2) == 0)
                        random_rule(m->tree, &next[n++]);
                else if (n > 0)
                        random_rule(m->tree, &next[rnd((uint32_t) n)]);
                p = render(next, n);
                if (!p)
                        return "nothing";
                spm_plan_policy_changed(m->tree, *pol, p);
                spm_policy_free(*pol);
                *pol = p;
                memcpy(rules, next, sizeof next);
                *n_rules = n;
                return "policy changed";
        }
        default:
                return "nothing";
        }
}

static unsigned n_cases, n_rounds, n_actions, n_visited, n_cgroups;

static bool one_case(uint64_t seed) {
        _cleanup_(spm_topology_freep) spm_topology *t = host();
        _cleanup_(spm_cgroup_model_freep) spm_cgroup_model *m = NULL;
        _cleanup_(spm_policy_freep) spm_policy *pol = NULL;
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        spm_cgroup_tree *tree = ct_new("0-3", rnd(2));
        rule rules[MAX_RULES] = {};
        size_t n_rules;
        bool ok = true;

        rng_state = seed * UINT64_C(0x9e3779b97f4a7c15) + 1;
        for (size_t i = 0, n = 2 + rnd(40); i < n; i++)
                add_random_cgroup(tree);
        if (spm_cgroup_model_new(tree, &m) < 0)
                abort();
        n_rules = rnd(MAX_RULES);
        for (size_t i = 0; i < n_rules; i++)
                random_rule(m->tree, &rules[i]);
        pol = render(rules, n_rules);
        if (!pol)
                return true;
        n_cases++;

        for (unsigned round = 0; round < ROUNDS && ok; round++) {
                _cleanup_(spm_plan_freep) spm_plan *full = NULL, *kept = NULL;
                _cleanup_free_ char *full_text = NULL, *kept_text = NULL;
                const char *what = "first plan";

                if (round > 0) {
                        what = change(m, rules, &n_rules, &pol);
                        /* the model indexes what the tree gained */
                        if (spm_cgroup_model_find(m, m->tree->cgroups[m->tree->n - 1].path) < 0) {
                                spm_cgroup_tree *copy = m->tree;
                                m->tree = NULL;
                                spm_cgroup_model_free(m);
                                if (spm_cgroup_model_new(copy, &m) < 0)
                                        abort();
                        }
                }
                if (spm_plan_build(pol, t, &f, m->tree, &full) < 0 ||
                    spm_plan_build_kept(pol, t, &f, m->tree, &kept) < 0)
                        abort();
                full_text = tp_plan_text(full);
                kept_text = tp_plan_text(kept);
                n_rounds++;
                n_actions += (unsigned) full->n_actions;
                n_visited += (unsigned) kept->cgroups_visited;
                n_cgroups += (unsigned) m->tree->n;
                if (!streq(full_text, kept_text)) {
                        printf("# seed %llu, round %u (%s): the kept plan differs\n# full:\n%s\n# kept:\n%s\n",
                               (unsigned long long) seed, round, what, full_text, kept_text);
                        for (size_t k = 0; k < m->tree->n; k++) {
                                char b[64];

                                spm_nodemask_format_buf(&m->tree->cgroups[k].cpuset->mems, b, sizeof b);
                                printf("#   %s mems %s\n", m->tree->cgroups[k].path[0] ? m->tree->cgroups[k].path : "/", b);
                        }
                        ok = false;
                }
                carry_out(m, kept, false);
        }
        return ok;
}

static void test_same_plan(void) {
        const char *e = getenv("SPM_PROPERTY_CASES");
        uint64_t n = e ? strtoull(e, NULL, 10) : N_CASES;
        unsigned failed = 0;

        for (uint64_t seed = 1; seed <= n && failed < 3; seed++)
                if (!one_case(seed))
                        failed++;
        CHECK_INT(failed, 0);
        printf("# %u cases, %u plans, %u actions; %u of %u cgroups visited\n", n_cases, n_rounds, n_actions,
               n_visited, n_cgroups);
        CHECK(n_cases > n / 2);
        CHECK(n_actions > n_rounds / 2);
        /* the point of it: most plans visit a part of the tree */
        CHECK(n_visited < n_cgroups * 3 / 4);
}

/* A converged tree with nothing changed: the plan looks at the root's
 * children only; a policy change then visits what its rule matches, the
 * ancestors and their children. */
static void test_visits(void) {
        _cleanup_(spm_topology_freep) spm_topology *t = host();
        _cleanup_(spm_cgroup_model_freep) spm_cgroup_model *m = NULL;
        _cleanup_(spm_policy_freep) spm_policy *none = NULL, *grant = NULL;
        spm_features f = tt_features(TT_SPM_V2_STATE_V7);
        spm_cgroup_tree *tree = ct_new("0-3", false);
        spm_plan *p = NULL;
        rule r = { .match = "Path=bench/p1", .pools = "a", .sysram = -1 };
        int bench;

        bench = ct_add(tree, 0, "bench", "0-1");
        for (int i = 0; i < 5; i++) {
                char name[8];
                int k;

                snprintf(name, sizeof name, "p%d", i);
                k = ct_add(tree, bench, name, "0-1");
                for (int j = 0; j < 5; j++) {
                        snprintf(name, sizeof name, "c%d", j);
                        ct_add(tree, k, name, "0-1");
                }
        }
        ct_add(tree, 0, "other", "0-1");
        CHECK_INT(spm_cgroup_model_new(tree, &m), 0);
        none = render(NULL, 0);
        grant = render(&r, 1);

        /* first plan: everything, nothing to do */
        CHECK_INT(spm_plan_build_kept(none, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->n_actions, 0);
        CHECK_INT((int) p->cgroups_visited, 33);
        p = spm_plan_free(p);

        /* nothing changed: the root and its two children */
        CHECK_INT(spm_plan_build_kept(none, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->cgroups_visited, 3);
        p = spm_plan_free(p);

        /* grant p1: p1 and its 5 children, bench, the root, other and the
         * 4 other parents */
        spm_plan_policy_changed(m->tree, none, grant);
        CHECK_INT(spm_plan_build_kept(grant, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->cgroups_visited, 13);
        /* bench and p1 widen, and p1's children: 7 writes, 7 checks */
        CHECK_INT((int) p->n_actions, 14);
        carry_out(m, p, true);
        p = spm_plan_free(p);

        /* written as planned: nothing to look at again */
        CHECK_INT(spm_plan_build_kept(grant, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->n_actions, 0);
        CHECK_INT((int) p->cgroups_visited, 3);
        p = spm_plan_free(p);

        /* a plan not carried out is made again: revoke (bench narrows;
         * the kernel narrows what is below it), twice */
        spm_plan_policy_changed(m->tree, grant, none);
        CHECK_INT(spm_plan_build_kept(none, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->n_actions, 2);
        p = spm_plan_free(p);
        CHECK_INT(spm_plan_build_kept(none, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->n_actions, 2);
        carry_out(m, p, true);
        p = spm_plan_free(p);
        CHECK_INT(spm_plan_build_kept(none, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->n_actions, 0);
        p = spm_plan_free(p);

        /* forgotten: everything again */
        spm_plan_forget(m->tree);
        CHECK_INT(spm_plan_build_kept(grant, t, &f, m->tree, &p), 0);
        CHECK_INT((int) p->cgroups_visited, 33);
        spm_plan_free(p);
}

int main(void) {
        TEST(test_visits);
        TEST(test_same_plan);
        return tap_done();
}
