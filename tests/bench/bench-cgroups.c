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
 *   minimal   open/write/close of exactly the needed cpuset.mems files,
 *             parents first;
 *   spmd      the daemon's pass for a policy change, timed from the
 *             trigger (the new policy in place, spmd_cgroup_sync_policy_changed
 *             as spmd_policy_reload calls it) until manager_reconcile()
 *             returns: the cgroup model brought up to date (watches
 *             recomputed, newly watched directories rescanned, cpuset
 *             enabling checked), the plan, the executor with its
 *             read-back. Once per read-back mode;
 *   again     the pass the daemon runs next, on the converged model (must
 *             write nothing).
 * The device topology is the last snapshot, as in the daemon's passes
 * after cgroup events (a full pass also re-reads sysfs: the device side's
 * cost, measured by bench-snapshot). Between runs the tree is put back
 * behind the daemon's back and the model re-read whole (not timed). A
 * plain file cannot derive mems.effective, so the files hold the values a
 * kernel would show after the change.
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
#include "spmd-cgroup-readback.h"
#include "spmd-cgroup-sync.h"
#include "spmd-cgroups.h"
#include "spmd-executor.h"
#include "spmd-inotify.h"
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
                spm_nodemask_format_buf(&g->cpuset->mems, got, sizeof got);
                if (!streq(want, got)) {
                        fprintf(stderr, "%s: cpuset.mems=%s, want %s\n", g->path, got, want);
                        ok = false;
                        break;
                }
        }
        spm_cgroup_tree_free(t);
        return ok;
}

static spm_policy *old_policy, *new_policy;

/* Put the tree back to the baseline behind the daemon's back and let it
 * read the tree whole under the old policy (not timed). */
static void prepare(manager *m) {
        reset();
        spmd_cgroup_sync_policy_changed(m, m->policy, old_policy);
        m->policy = old_policy;
        manager_cgroups_resync(m, "benchmark reset");
        (void) manager_reconcile(m);
        if (m->plan->n_actions != 0) {
                fprintf(stderr, "baseline not converged: %zu actions\n", m->plan->n_actions);
                exit(EXIT_FAILURE);
        }
        m->dirty = false;
}

typedef struct pass {
        double ms;
        size_t writes, reads;
} pass;

/* The daemon's pass after a policy change: from the trigger to the end. */
static pass policy_pass(manager *m) {
        unsigned long long w0 = spmd_cgroup_stats_global.mems_writes, r0 = spmd_cgroup_stats_global.readbacks;
        double t0 = now_ms();
        pass x;

        spmd_cgroup_sync_policy_changed(m, m->policy, new_policy);
        m->policy = new_policy;
        (void) manager_reconcile(m);
        x.ms = now_ms() - t0;
        x.writes = (size_t) (spmd_cgroup_stats_global.mems_writes - w0);
        x.reads = (size_t) (spmd_cgroup_stats_global.readbacks - r0);
        return x;
}

/* The pass the daemon queues after writes. */
static pass next_pass(manager *m) {
        unsigned long long w0 = spmd_cgroup_stats_global.mems_writes;
        double t0 = now_ms();
        pass x = {};

        (void) manager_reconcile(m);
        x.ms = now_ms() - t0;
        x.writes = (size_t) (spmd_cgroup_stats_global.mems_writes - w0);
        if (m->plan->n_actions != 0)
                x.writes += 1000000;    /* not converged */
        return x;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return x < y ? -1 : x > y;
}

static double median(const double *v, unsigned n) {
        double *c = calloc(n, sizeof *c), med;

        if (!c)
                exit(EXIT_FAILURE);
        memcpy(c, v, n * sizeof *c);
        qsort(c, n, sizeof *c, cmp_double);
        med = c[n / 2];
        free(c);
        return med;
}

static void row(const char *name, double *v, unsigned n, double floor_med, const char *note) {
        double med;

        qsort(v, n, sizeof *v, cmp_double);
        med = v[n / 2];
        printf("| %-36s | %9.2f | %9.2f | %9.2f | %6.2f | %s\n", name, v[0], med, v[n - 1],
               floor_med > 0 ? med / floor_med : 1.0, note);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(p) < 0 ? -1 : 0;
}

static const struct {
        spmd_readback mode;
        const char *name, *note;
} modes[] = {
        { SPMD_READBACK_DERIVED, "spmd policy pass (as shipped)", "read-back: what the kernel's rule depends on" },
        { SPMD_READBACK_ONE, "spmd policy pass, read-back 1 file", "cpuset.mems.sysram of each written group" },
        { SPMD_READBACK_BOTH, "spmd policy pass, read-back 2 files", "effective + sysram of each written group" },
        { SPMD_READBACK_OFF, "spmd policy pass, no read-back", "writes only" },
};
#define N_MODES ELEMENTSOF(modes)

int main(int argc, char *argv[]) {
        manager_config config = { .bus = SPMD_BUS_NONE, .apply = true };
        manager *m = NULL;
        spm_topology *topo;
        spm_features feat;
        unsigned reps = 5;
        double *min, *again, *mode_ms[N_MODES], *sync_ms, *plan_ms, *exec_ms, *full, *newc, *verify;
        size_t issued[N_MODES] = {}, reads[N_MODES] = {}, again_writes = 0, derived = 0;
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

        log_setup(LOG_TARGET_CONSOLE, getenv("BENCH_DEBUG") ? LOG_DEBUG : LOG_WARNING);
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
        m->topo = topo;         /* the manager's now */
        /* the daemon's watches, on the benchmark's tree (events are never
         * dispatched: the loop does not run) */
        if (spmd_inotify_new(m, &m->inotify) < 0)
                return EXIT_FAILURE;
        old_policy = tp_policy("[Pool fast]\n"
                               "[Device hbm]\nMatchTargetNode=2\nClass=spm\nPool=fast\n");
        new_policy = tp_policy("[Pool fast]\n"
                               "[Device hbm]\nMatchTargetNode=2\nClass=spm\nPool=fast\n"
                               "[Cgroup grant]\nPath=bench/p00[0-9]\nPools=fast\n");

        min = calloc(reps, sizeof *min);
        again = calloc(reps, sizeof *again);
        sync_ms = calloc(reps, sizeof *sync_ms);
        plan_ms = calloc(reps, sizeof *plan_ms);
        exec_ms = calloc(reps, sizeof *exec_ms);
        full = calloc(reps, sizeof *full);
        newc = calloc(reps, sizeof *newc);
        verify = calloc(reps, sizeof *verify);
        for (size_t k = 0; k < N_MODES; k++)
                if (!(mode_ms[k] = calloc(reps, sizeof(double))))
                        return EXIT_FAILURE;
        if (!min || !again || !sync_ms || !plan_ms || !exec_ms || !full || !newc || !verify)
                return EXIT_FAILURE;

        for (unsigned r = 0; r < reps; r++) {
                double t0;

                /* the floor, first or last by turns */
                if (r % 2 == 0) {
                        reset();
                        t0 = now_ms();
                        needed = minimal_writer();
                        min[r] = now_ms() - t0;
                        ok = ok && check();
                }
                for (size_t k = 0; k < N_MODES; k++) {
                        pass a;

                        prepare(m);
                        spmd_cgroup_readback = modes[k].mode;
                        a = policy_pass(m);
                        spmd_cgroup_readback = SPMD_READBACK_DERIVED;
                        ok = ok && check();
                        mode_ms[k][r] = a.ms;
                        issued[k] = a.writes;
                        reads[k] = a.reads;
                        if (k == 0) {
                                pass b = next_pass(m);

                                again[r] = b.ms;
                                again_writes = b.writes;
                        }
                }
                if (r % 2 == 1) {
                        reset();
                        t0 = now_ms();
                        needed = minimal_writer();
                        min[r] = now_ms() - t0;
                        ok = ok && check();
                }

                /* the same pass in its parts (the functions plan_pass
                 * and the executor call) */
                {
                        spm_plan *pl = NULL;
                        double t1, t2, t3;
                        unsigned long long d0 = spmd_cgroup_stats_global.derived;

                        prepare(m);
                        t0 = now_ms();
                        spmd_cgroup_sync_policy_changed(m, m->policy, new_policy);
                        m->policy = new_policy;
                        (void) spmd_cgroup_sync(m, false);
                        t1 = now_ms();
                        spmd_readback_begin(m);
                        if (spm_plan_build_kept(m->policy, topo, &feat, m->cgroups->tree, &pl) < 0)
                                return EXIT_FAILURE;
                        t2 = now_ms();
                        (void) spmd_plan_execute(m, pl, NULL);
                        t3 = now_ms();
                        sync_ms[r] = t1 - t0;
                        plan_ms[r] = t2 - t1;
                        exec_ms[r] = t3 - t2;
                        derived = (size_t) (spmd_cgroup_stats_global.derived - d0);
                        spm_plan_free(pl);
                        ok = ok && check();
                }

                /* what every pass cost before the model: the whole tree */
                {
                        spm_cgroup_tree *t = NULL;

                        t0 = now_ms();
                        if (spm_cgroup_tree_load(&t) < 0)
                                return EXIT_FAILURE;
                        full[r] = now_ms() - t0;
                        spm_cgroup_tree_free(t);
                }

                /* Verify: reads the whole tree, plans, adopts it */
                {
                        spm_plan *pl = NULL;

                        t0 = now_ms();
                        if (manager_build_plan(m, topo, &feat, &pl) < 0)
                                return EXIT_FAILURE;
                        verify[r] = now_ms() - t0;
                        ok = ok && pl->n_actions == 0;
                        spm_plan_free(pl);
                        (void) manager_reconcile(m);    /* drains what it may have queued */
                }

                /* a new cgroup below bench/ (widened for the grant) must be
                 * narrowed: the inotify event to the end of its pass */
                {
                        char d[512], rel[64];
                        unsigned long long w0;

                        snprintf(rel, sizeof rel, "bench/new%u", r);
                        snprintf(d, sizeof d, "%s/%s", root, rel);
                        make_cgroup(d, false, "\n", "0-2\n");
                        w0 = spmd_cgroup_stats_global.mems_writes;
                        t0 = now_ms();
                        manager_cgroup_created(m, rel);
                        (void) manager_reconcile(m);
                        newc[r] = now_ms() - t0;
                        ok = ok && spmd_cgroup_stats_global.mems_writes - w0 == 1;
                        (void) manager_reconcile(m);
                        ok = ok && m->plan->n_actions == 0;
                        {
                                char f[600];
                                static const char *const files[] = { "cgroup.procs", "cgroup.subtree_control",
                                        "cpuset.mems", "cpuset.mems.effective", "cpuset.mems.sysram" };

                                for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                                        snprintf(f, sizeof f, "%s/%s", d, files[k]);
                                        (void) unlink(f);
                                }
                                (void) rmdir(d);
                        }
                }
        }

        printf("bench-cgroups: %u groups (bench + %u parents x %u children) on %s, %u reps\n",
               1 + parents + parents * children, parents, children,
               startswith(root, "/dev/shm") ? "tmpfs (/dev/shm)" : root, reps);
        printf("writes needed %u; issued by spmd: %zu; the next pass on the converged model: %zu; result %s\n",
               needed, issued[0], again_writes, ok ? "correct" : "WRONG");
        printf("read-back files read per mode:");
        for (size_t k = 0; k < N_MODES; k++)
                printf(" %s %zu%s", k == 0 ? "shipped" : modes[k].name + strlen("spmd policy pass, "), reads[k],
                       k + 1 < N_MODES ? ";" : "");
        printf(" (shipped: %zu of %u checks settled by the kernel's rule)\n\n", derived, needed);
        printf("| %-36s | %9s | %9s | %9s | %6s | %s\n", "method", "min ms", "median ms", "max ms", "/floor", "");
        printf("|--------------------------------------|-----------|-----------|-----------|--------|\n");
        {
                double fm = median(min, reps);

                row("minimal writer (floor)", min, reps, fm, "open/write/close of the needed files");
                for (size_t k = 0; k < N_MODES; k++)
                        row(modes[k].name, mode_ms[k], reps, fm, modes[k].note);
                row("  of which model sync", sync_ms, reps, fm, "watches, rescans, cpuset enabling check");
                row("  of which plan", plan_ms, reps, fm, "spm_plan_build_kept on the model");
                row("  of which executor", exec_ms, reps, fm, "writes + read-back as shipped");
                row("next pass, converged", again, reps, fm, "plans on the model: 0 writes");
                row("whole tree read (each pass before)", full, reps, fm, "spm_cgroup_tree_load");
                row("Verify", verify, reps, fm, "whole tree read + plan, adopted as the model");
                row("new cgroup below bench/", newc, reps, fm, "inotify event to the end of its pass: 1 write");
        }

        m->policy = NULL;
        spm_policy_free(old_policy);
        spm_policy_free(new_policy);
        manager_free(m);
        free(min);
        free(again);
        free(sync_ms);
        free(plan_ms);
        free(exec_ms);
        free(full);
        free(newc);
        free(verify);
        for (size_t k = 0; k < N_MODES; k++)
                free(mode_ms[k]);
        nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
        return ok && again_writes == 0 && issued[0] == needed ? EXIT_SUCCESS : EXIT_FAILURE;
}
