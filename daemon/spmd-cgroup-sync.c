/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "spmd-cgroup-sync.h"
#include "spmd-cgroups.h"
#include "spmd-inotify.h"
#include "spmd-manager.h"
#include "planner.h"
#include "strutil.h"

/* Rounds of "watch the new directories, rescan them": each round can only
 * go one level deeper, and policies do not nest that deep. */
#define WATCH_ROUNDS_MAX 16

void spmd_cgroup_pending_done(spmd_cgroup_pending *s) {
        strv_free(s->load);
        strv_free(s->removed);
        s->load = s->removed = NULL;
}

static void drop_pending(spmd_cgroup_pending *s) {
        spmd_cgroup_pending_done(s);
        s->reload = false;
        s->systemd_units = s->systemd_files = false;
}

static int adopt(manager *m, spm_cgroup_tree *t) {
        spm_cgroup_model *model;
        int r;

        r = spm_cgroup_model_new(t, &model);
        if (r < 0) {
                spm_cgroup_tree_free(t);
                return r;
        }
        spm_cgroup_model_free(m->cgroups);
        m->cgroups = model;
        m->cgroup_sync.watches_stale = true;
        return 0;
}

static int full_load(manager *m, bool root_fresh) {
        spm_cgroup_tree *t = NULL;
        int r;

        /* the root's files were read at the start of a full pass */
        r = spm_cgroup_tree_load_with_root(root_fresh && m->root_present ? &m->root : NULL, &t);
        if (r < 0)
                return r;
        /* everything queued is in what was just read */
        drop_pending(&m->cgroup_sync);
        m->cgroup_sync.full_loads++;
        log_debug("Read the whole cgroup tree: %zu cgroups.", t->n);
        return adopt(m, t);
}

int spmd_cgroup_sync_adopt(manager *m, spm_cgroup_tree *t) {
        /* What is queued may have happened after the read; applying it
         * again is harmless (every patch reads cgroupfs). */
        m->cgroup_sync.full_loads++;
        log_debug("Read the whole cgroup tree: %zu cgroups (adopted as the model).", t->n);
        return adopt(m, t);
}

/* Read path again, from its nearest ancestor the model knows. */
static int load_path(spm_cgroup_model *cg, const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;
        for (;;) {
                char *slash;
                int r = spm_cgroup_model_load(cg, p);

                if (r != -ENOENT)
                        return r == -ESRCH ? 0 : r;
                slash = strrchr(p, '/');
                if (!slash)
                        return 0;
                *slash = 0;
        }
}

/* What systemd owns: the root's and every slice's children (units come
 * and go there), and with files every unit cgroup's files (systemd
 * rewrites them on a re-apply). Delegated subtrees belong to their
 * delegatee. */
static int rescan_systemd(spm_cgroup_model *cg, bool files, unsigned *ret_changes) {
        _cleanup_strv_free_ char **units = NULL;
        unsigned changes = 0;
        int r;

        r = strv_extend(&units, "");
        for (size_t i = 1; r >= 0 && i < cg->tree->n; i++)
                if (cg->tree->cgroups[i].is_unit && !spm_cgroup_in_delegated_subtree(cg->tree, (int) i))
                        r = strv_extend(&units, cg->tree->cgroups[i].path);
        if (r < 0)
                return r;

        /* by path: indices move as subtrees come and go */
        for (char **p = units; *p; p++) {
                int i = spm_cgroup_model_find(cg, *p);

                if (i < 0)
                        continue;       /* went with a rescanned slice */
                if (i > 0 && files) {
                        r = spm_cgroup_model_reread(cg, i);
                        if (r == -ESRCH) {
                                changes++;
                                continue;
                        }
                        if (r < 0)
                                return r;
                }
                if (i == 0 || endswith(*p, ".slice")) {
                        r = spm_cgroup_model_rescan(cg, i);
                        if (r == -ESRCH)
                                continue;
                        if (r < 0)
                                return r;
                        changes += (unsigned) r;
                }
        }
        *ret_changes = changes;
        return 0;
}

static int apply_patches(manager *m) {
        spmd_cgroup_pending *s = &m->cgroup_sync;
        spm_cgroup_model *cg = m->cgroups;
        _cleanup_strv_free_ char **removed = TAKE_PTR(s->removed), **load = TAKE_PTR(s->load);
        bool systemd = s->systemd_units || s->systemd_files, files = s->systemd_files;
        int r;

        s->systemd_units = s->systemd_files = false;
        /* removals first: a cgroup removed and made again is in both */
        for (char **p = removed; p && *p; p++) {
                int i = spm_cgroup_model_find(cg, *p);

                if (i <= 0)
                        continue;
                r = spm_cgroup_model_remove(cg, i);
                if (r < 0)
                        return r;
                s->patches++;
                s->watches_stale = true;
        }
        for (char **p = load; p && *p; p++) {
                r = load_path(cg, *p);
                if (r < 0)
                        return r;
                s->patches++;
                s->watches_stale = true;
        }
        if (systemd) {
                unsigned changes = 0;

                r = rescan_systemd(cg, files, &changes);
                if (r < 0)
                        return r;
                log_debug("Read again what systemd owns: %u cgroup(s) came or went.", changes);
                s->patches++;
                if (changes > 0)
                        s->watches_stale = true;
        }
        if (removed || load)
                log_debug("Patched the cgroup model: %zu removed, %zu read again.", strv_length(removed),
                          strv_length(load));
        return 0;
}

/* Cgroups that just got cpuset files: the children of the cgroups whose
 * subtree_control now has it. */
static int reread_enabled(spm_cgroup_model *cg, const bool *enabled, size_t n) {
        _cleanup_strv_free_ char **kids = NULL;
        int r;

        for (size_t i = 1; i < cg->tree->n; i++) {
                int p = cg->tree->cgroups[i].parent;

                if ((size_t) p < n && enabled[p] && strv_extend(&kids, cg->tree->cgroups[i].path) < 0)
                        return -ENOMEM;
        }
        for (char **k = kids; k && *k; k++) {
                int i = spm_cgroup_model_find(cg, *k);

                if (i < 0)
                        continue;
                r = spm_cgroup_model_reread(cg, i);
                if (r < 0 && r != -ESRCH)
                        return r;
        }
        return 0;
}

static int update_watches(manager *m) {
        spm_cgroup_model *cg = m->cgroups;

        for (unsigned round = 0; round < WATCH_ROUNDS_MAX; round++) {
                _cleanup_strv_free_ char **added = NULL;
                unsigned changes = 0;
                int r;

                r = spmd_inotify_update(m->inotify, m->policy, cg->tree, &added);
                if (r < 0)
                        return r;
                /* Watched only now: what was created there between the
                 * read and the watch has raised no event. */
                for (char **p = added; p && *p; p++) {
                        int i = spm_cgroup_model_find(cg, *p);

                        if (i < 0)
                                continue;
                        r = spm_cgroup_model_rescan(cg, i);
                        if (r == -ESRCH) {
                                changes++;
                                continue;
                        }
                        if (r < 0)
                                return r;
                        changes += (unsigned) r;
                }
                if (changes == 0)
                        return 0;
                log_debug("%u cgroup(s) found in newly watched directories.", changes);
        }
        return 0;
}

int spmd_cgroup_sync(manager *m, bool root_fresh) {
        spmd_cgroup_pending *s = &m->cgroup_sync;
        int r;

        if (!m->cgroups || s->reload)
                r = full_load(m, root_fresh);
        else {
                spm_cgroup *root = &m->cgroups->tree->cgroups[0];

                if (root_fresh && m->root_present && !m->cgroups->tree->v1) {
                        *root->cpuset = m->root;
                        root->has_cpuset = true;
                }
                r = apply_patches(m);
        }
        if (r < 0)
                goto fail;

        /* a full pass may come with another policy */
        if (root_fresh)
                s->watches_stale = true;
        if (m->inotify && s->watches_stale) {
                r = update_watches(m);
                if (r < 0)
                        goto fail;
                s->watches_stale = false;
        }

        /* Cgroups a rule matches need the cpuset controller first. */
        if (m->config.apply) {
                _cleanup_free_ bool *enabled = NULL;
                size_t n = m->cgroups->tree->n;

                r = spmd_cgroups_enable_cpuset(m->policy, m->cgroups->tree, &enabled);
                if (r > 0)
                        r = reread_enabled(m->cgroups, enabled, n);
                if (r < 0)
                        goto fail;
        }
        return 0;

fail:
        /* the model may be half patched: the next pass reads it whole */
        m->cgroups = spm_cgroup_model_free(m->cgroups);
        s->reload = true;
        return r;
}

int spmd_cgroup_sync_written(manager *m, const char *cgroup, const spm_nodemask *mask) {
        int i;

        if (!m->cgroups)
                return -ENOENT;
        i = spm_cgroup_model_find(m->cgroups, cgroup);
        if (i >= 0)
                spm_cgroup_model_set_mems(m->cgroups, i, mask);
        return i;
}

void spmd_cgroup_sync_policy_changed(manager *m, const spm_policy *old, const spm_policy *new) {
        m->cgroup_sync.watches_stale = true;
        unsigned long long start = manager_now_usec();

        /* the next plan visits what the changed rules match */
        if (m->cgroups) {
                size_t n = spm_plan_policy_changed(m->cgroups->tree, old, new);

                log_debug("The policy change reaches %zu cgroup(s) (found in %llu us).", n,
                          manager_now_usec() - start);
        }
}

void spmd_cgroup_sync_suspect(manager *m, const char *cgroup) {
        if (strv_extend(&m->cgroup_sync.load, cgroup) < 0)
                m->cgroup_sync.reload = true;
}
