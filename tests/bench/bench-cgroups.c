/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Converging a 10,000-cgroup tree after a policy change, against a minimal
 * writer, in the same run.
 *
 * The tree is bench/pNNN/cNNN (PARENTS x CHILDREN leaves, plus the
 * parents and bench) of plain files on a tmpfs (/dev/shm): the cgroup
 * files as spmd reads them, every cgroup starting with cpuset.mems=0-1
 * (the "baseline" of the anchor measurement). The policy then grants pool
 * "fast" (node 2) to bench/p000..p009, which needs exactly 1 + 10 + 10 x
 * CHILDREN writes of cpuset.mems (bench, the ten parents, their children:
 * each has an explicit 0-1 mask that would otherwise keep node 2 out).
 *
 * Per repetition, interleaved:
 *   spmd      the daemon's own code: cgroup tree snapshot, plan, and the
 *             executor (spmd_plan_execute: write, read back
 *             cpuset.mems.effective, verify cpuset.mems.sysram);
 *   apply     the executor part of that alone;
 *   minimal   open/write/close of exactly the needed cpuset.mems files,
 *             parents first;
 *   again     a second spmd pass on the converged tree (must write nothing).
 * A plain file cannot derive mems.effective, so the files hold the values a
 * kernel would show after the change; the planner itself reads only
 * cpuset.mems below the root.
 *
 *   bench-cgroups [PARENTS [CHILDREN [REPS]]]
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-tree.h"
#include "log.h"
#include "macro.h"
#include "planner-helpers.h"
#include "planner.h"
#include "spmd-cgroups.h"
#include "spmd-executor.h"
#include "spmd-manager.h"

static char root[128];
static unsigned parents = 100, children = 100, granted = 10;

static double now_ms(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void put(const char *dir, const char *name, const char *value) {
        char p[512];
        int fd;

        snprintf(p, sizeof p, "%s/%s", dir, name);
        fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t) strlen(value)) {
                perror(p);
                exit(EXIT_FAILURE);
        }
        close(fd);
}

static void make_cgroup(const char *dir, bool inner, const char *mems, const char *eff) {
        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                perror(dir);
                exit(EXIT_FAILURE);
        }
        put(dir, "cgroup.procs", "");
        put(dir, "cgroup.subtree_control", inner ? "cpuset\n" : "\n");
        put(dir, "cpuset.mems", mems);
        put(dir, "cpuset.mems.effective", eff);
        put(dir, "cpuset.mems.sysram", "0-1\n");
}

static bool is_granted(unsigned p) {
        return p < granted;
}

/* Baseline: 0-1 everywhere; effective as the kernel would show it once
 * the change is in (what the executor's read-back sees). */
static void build(void) {
        char d[512];

        put(root, "cgroup.controllers", "cpuset\n");
        put(root, "cgroup.procs", "");
        put(root, "cgroup.subtree_control", "cpuset\n");
        put(root, "cpuset.mems.effective", "0-2\n");
        put(root, "cpuset.mems.sysram", "0-1\n");
        snprintf(d, sizeof d, "%s/bench", root);
        make_cgroup(d, true, "0-1\n", "0-2\n");
        for (unsigned p = 0; p < parents; p++) {
                snprintf(d, sizeof d, "%s/bench/p%03u", root, p);
                make_cgroup(d, true, "0-1\n", is_granted(p) ? "0-2\n" : "0-1\n");
                for (unsigned c = 0; c < children; c++) {
                        snprintf(d, sizeof d, "%s/bench/p%03u/c%03u", root, p, c);
                        make_cgroup(d, false, "0-1\n", is_granted(p) ? "0-2\n" : "0-1\n");
                }
        }
}

static int write_one(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        ssize_t k;

        if (fd < 0)
                return -errno;
        k = write(fd, value, strlen(value));
        close(fd);
        return k == (ssize_t) strlen(value) ? 0 : -EIO;
}

/* Every cpuset.mems back to the baseline (not timed). */
static void reset(void) {
        char p[512];

        snprintf(p, sizeof p, "%s/bench/cpuset.mems", root);
        write_one(p, "0-1");
        for (unsigned i = 0; i < parents; i++) {
                snprintf(p, sizeof p, "%s/bench/p%03u/cpuset.mems", root, i);
                write_one(p, "0-1");
                for (unsigned c = 0; c < children; c++) {
                        snprintf(p, sizeof p, "%s/bench/p%03u/c%03u/cpuset.mems", root, i, c);
                        write_one(p, "0-1");
                }
        }
}

/* The floor: exactly the needed writes, parents first. */
static unsigned minimal_writer(void) {
        char p[512];
        unsigned n = 0;

        snprintf(p, sizeof p, "%s/bench/cpuset.mems", root);
        n += write_one(p, "0-2") == 0;
        for (unsigned i = 0; i < granted; i++) {
                snprintf(p, sizeof p, "%s/bench/p%03u/cpuset.mems", root, i);
                n += write_one(p, "0-2") == 0;
                for (unsigned c = 0; c < children; c++) {
                        snprintf(p, sizeof p, "%s/bench/p%03u/c%03u/cpuset.mems", root, i, c);
                        n += write_one(p, "0-2") == 0;
                }
        }
        return n;
}

/* Does the tree hold the wanted result? */
static bool check(void) {
        spm_cgroup_tree *t = NULL;
        bool ok = true;

        if (spm_cgroup_tree_load_from(root, &t) < 0)
                return false;
        for (size_t i = 1; i < t->n; i++) {
                const spm_cgroup *g = &t->cgroups[i];
                unsigned p;
                char want[16], got[SPM_NODEMASK_STRLEN_MAX];
                bool grant = streq(g->path, "bench") ||
                        (sscanf(g->path, "bench/p%u", &p) == 1 && is_granted(p));

                snprintf(want, sizeof want, "%s", grant ? "0-2" : "0-1");
                spm_nodemask_format_buf(&g->cpuset.mems, got, sizeof got);
                if (!streq(want, got)) {
                        fprintf(stderr, "%s: cpuset.mems=%s, want %s\n", g->path, got, want);
                        ok = false;
                        break;
                }
        }
        spm_cgroup_tree_free(t);
        return ok;
}

typedef struct pass {
        double load, plan, apply, total;
        size_t actions, writes;
} pass;

static pass spmd_pass(manager *m, const spm_topology *topo, const spm_features *f) {
        spm_cgroup_tree *t = NULL;
        spm_plan *plan = NULL;
        unsigned long long w0 = spmd_cgroup_stats_global.mems_writes;
        pass x = {};
        double t0 = now_ms(), t1, t2;
        int r;

        r = spm_cgroup_tree_load(&t);
        t1 = now_ms();
        if (r >= 0)
                r = spm_plan_build(m->policy, topo, f, t, &plan);
        t2 = now_ms();
        if (r < 0) {
                fprintf(stderr, "planning failed: %s\n", strerror(-r));
                exit(EXIT_FAILURE);
        }
        spm_cgroup_tree_free(m->cgroups);
        m->cgroups = t;
        (void) spmd_plan_execute(m, plan, NULL);
        x.total = now_ms() - t0;
        x.load = t1 - t0;
        x.plan = t2 - t1;
        x.apply = x.total - (t2 - t0);
        x.actions = plan->n_actions;
        x.writes = (size_t) (spmd_cgroup_stats_global.mems_writes - w0);
        spm_plan_free(plan);
        return x;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static void row(const char *name, double *v, unsigned n, double floor_med, const char *note) {
        double med;

        qsort(v, n, sizeof *v, cmp_double);
        med = v[n / 2];
        printf("| %-28s | %9.2f | %9.2f | %9.2f | %6.2f | %s\n", name, v[0], med, v[n - 1],
               floor_med > 0 ? med / floor_med : 1.0, note);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

int main(int argc, char *argv[]) {
        manager_config config = { .bus = SPMD_BUS_NONE, .apply = true };
        manager *m = NULL;
        spm_topology *topo;
        spm_features feat;
        unsigned reps = 5;
        double *tot, *app, *min, *again, *load, *plan, *wo, *newp, *newf;
        size_t issued = 0, again_writes = 0, actions = 0;
        unsigned needed = 0;
        bool ok = true;

        if (argc > 1)
                parents = (unsigned) atoi(argv[1]);
        if (argc > 2)
                children = (unsigned) atoi(argv[2]);
        if (argc > 3)
                reps = (unsigned) atoi(argv[3]);
        if (parents < granted)
                granted = parents;
        if (reps < 1)
                reps = 1;

        log_setup(LOG_TARGET_CONSOLE, LOG_WARNING);
        snprintf(root, sizeof root, "/dev/shm/spm-bench-cgroups-XXXXXX");
        if (access("/dev/shm", W_OK) < 0 || !mkdtemp(root)) {
                snprintf(root, sizeof root, "/tmp/spm-bench-cgroups-XXXXXX");
                if (!mkdtemp(root)) {
                        perror("mkdtemp");
                        return EXIT_FAILURE;
                }
        }
        setenv("SPM_CGROUP_ROOT", root, 1);
        build();

        /* node 2: an SPM device already online, in pool "fast" */
        topo = tt_new("0-2");
        tt_dax(topo, "dax0.0", SPM_PROVIDER_HMEM, 2, 0x100000000ULL, 0x40000000ULL, "kmem", 1, -1);
        tt_hotplug(topo, 0, SPM_DAX_HOTPLUG_STATE, SPM_DAX_STATE_ONLINE_MOVABLE);
        tt_blocks(topo, 0, 8, SPM_BLOCK_ONLINE, "Movable");
        feat = tt_features(TT_SPM_V2_STATE_V7);

        if (manager_new(&config, &m) < 0)
                return EXIT_FAILURE;
        m->features = feat;
        m->policy = tp_policy("[Pool fast]\n"
                              "[Device hbm]\nMatchTargetNode=2\nClass=spm\nPool=fast\n"
                              "[Cgroup grant]\nPath=bench/p00[0-9]\nPools=fast\n");

        tot = calloc(reps, sizeof *tot);
        app = calloc(reps, sizeof *app);
        min = calloc(reps, sizeof *min);
        again = calloc(reps, sizeof *again);
        load = calloc(reps, sizeof *load);
        plan = calloc(reps, sizeof *plan);
        wo = calloc(reps, sizeof *wo);
        newp = calloc(reps, sizeof *newp);
        newf = calloc(reps, sizeof *newf);
        if (!newp || !newf || !wo || !tot || !app || !min || !again || !load || !plan)
                return EXIT_FAILURE;

        for (unsigned r = 0; r < reps; r++) {
                pass a, b;
                double t0;

                reset();
                if (r % 2 == 0) {
                        a = spmd_pass(m, topo, &feat);
                        ok = ok && check();
                        reset();
                        t0 = now_ms();
                        needed = minimal_writer();
                        min[r] = now_ms() - t0;
                        ok = ok && check();
                } else {
                        t0 = now_ms();
                        needed = minimal_writer();
                        min[r] = now_ms() - t0;
                        ok = ok && check();
                        reset();
                        a = spmd_pass(m, topo, &feat);
                        ok = ok && check();
                }
                b = spmd_pass(m, topo, &feat);
                /* the executor without read-backs: the writes alone */
                reset();
                spmd_cgroup_readback = false;
                wo[r] = spmd_pass(m, topo, &feat).apply;
                spmd_cgroup_readback = true;
                ok = ok && check();
                tot[r] = a.total;
                app[r] = a.apply;
                load[r] = a.load;
                plan[r] = a.plan;
                again[r] = b.total;
                issued = a.writes;
                actions = a.actions;
                again_writes = b.writes;
        }

        /* A new cgroup below bench/ (widened for the grant) inherits node 2
         * and must be narrowed: what the pass after its inotify event
         * costs, adding it to the last tree, against a whole new pass.
         * First a pass that leaves the converged tree as the last one, as
         * the daemon's pass after its writes does. */
        (void) spmd_pass(m, topo, &feat);
        for (unsigned r = 0; r < reps; r++) {
                char d[512], rel[64];
                char *paths[] = { rel, NULL };
                spm_cgroup_tree *patched = NULL;
                spm_plan *pl = NULL;
                unsigned long long w0;
                double t0;
                pass f;

                snprintf(rel, sizeof rel, "bench/newp%u", r);
                snprintf(d, sizeof d, "%s/%s", root, rel);
                make_cgroup(d, false, "\n", "0-2\n");
                w0 = spmd_cgroup_stats_global.mems_writes;
                t0 = now_ms();
                if (spmd_cgroup_tree_with_new(m->cgroups, paths, &patched) < 0 ||
                    spm_plan_build(m->policy, topo, &feat, patched, &pl) < 0)
                        return EXIT_FAILURE;
                (void) spmd_plan_execute(m, pl, NULL);
                newp[r] = now_ms() - t0;
                ok = ok && spmd_cgroup_stats_global.mems_writes - w0 == 1;
                spm_plan_free(pl);
                spm_cgroup_tree_free(patched);

                snprintf(rel, sizeof rel, "bench/newf%u", r);
                snprintf(d, sizeof d, "%s/%s", root, rel);
                make_cgroup(d, false, "\n", "0-2\n");
                f = spmd_pass(m, topo, &feat);
                newf[r] = f.total;
                ok = ok && f.writes == 1;
                (void) spmd_pass(m, topo, &feat);   /* the tree as it is now, untimed */
        }

        printf("bench-cgroups: %u groups (bench + %u parents x %u children) on %s, %u reps\n",
               1 + parents + parents * children, parents, children,
               startswith(root, "/dev/shm") ? "tmpfs (/dev/shm)" : root, reps);
        printf("writes needed %u, issued by spmd %zu (plan: %zu actions incl. sysram checks), second pass %zu; result %s\n\n",
               needed, issued, actions, again_writes, ok ? "correct" : "WRONG");
        printf("| %-28s | %9s | %9s | %9s | %6s | %s\n", "method", "min ms", "median ms", "max ms", "/floor", "");
        printf("|------------------------------|-----------|-----------|-----------|--------|\n");
        {
                double fm;
                double *mc = calloc(reps, sizeof *mc);

                memcpy(mc, min, reps * sizeof *mc);
                qsort(mc, reps, sizeof *mc, cmp_double);
                fm = mc[reps / 2];
                free(mc);
                row("minimal writer (floor)", min, reps, fm, "open/write/close of the needed files");
                row("spmd executor (apply)", app, reps, fm, "writes + effective/sysram read-back");
                row("spmd executor, no read-back", wo, reps, fm, "the same writes, read-back off");
                row("spmd full pass", tot, reps, fm, "snapshot + plan + apply");
                row("  of which snapshot", load, reps, fm, "spm_cgroup_tree_load, all groups");
                row("  of which plan", plan, reps, fm, "spm_plan_build");
                row("spmd second pass", again, reps, fm, "converged: snapshot + empty plan");
                row("new cgroup, added to tree", newp, reps, fm, "inotify path: 1 group read, plan, 1 write");
                row("new cgroup, whole pass", newf, reps, fm, "the same with a full tree snapshot");
        }

        m->policy = spm_policy_free(m->policy);
        manager_free(m);
        spm_topology_free(topo);
        free(tot);
        free(app);
        free(min);
        free(again);
        free(load);
        free(plan);
        free(wo);
        free(newp);
        free(newf);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return ok && again_writes == 0 && issued == needed ? EXIT_SUCCESS : EXIT_FAILURE;
}
